/* test_addon.c - Redis add-ons against Debian's real redis-server, spoken
 * to with hiredis: provisioning, config vars, AUTH as both ACL users,
 * persistence across restarts, stale pidfiles, two concurrent starts, a
 * taken port, export/import (and refused or interrupted imports), and the
 * password kept out of command lines and messages.
 *
 * Every server is started under this test's own XDG_STATE_HOME; at exit
 * the test ends the servers it knows of (pids it saw started, and the
 * pidfiles in its scratch directory that name a process whose command line
 * is in that directory), never anything else. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "addon.h"
#include "appstate.h"
#include "fsutil.h"
#include "testhelp.h"
#include "testtmp.h"

#define MAXPIDS 64

static pid_t started[MAXPIDS]; /* servers seen started, to end at exit */
static int nstarted;

/* Every message an add-on call gave us, to look for the password in. */
static char said[64 * 1024];

struct seen {
	int n[ADDON_EV_IMPORTED + 1];
	char last[256];
	pid_t pid;
	int warnings;
	char warning[256];
};

static void
note(const char *msg)
{
	size_t l = strlen(said);

	snprintf(said + l, sizeof said - l, "%s\n", msg);
}

static void
on_event(void *arg, enum addon_event ev, const struct addon *a,
    const char *detail)
{
	struct seen *s = arg;

	s->n[ev]++;
	snprintf(s->last, sizeof s->last, "%s", detail ? detail : "");
	note(s->last);
	if (ev == ADDON_EV_STARTED || ev == ADDON_EV_RUNNING) {
		s->pid = a->pid;
		if (nstarted < MAXPIDS)
			started[nstarted++] = a->pid;
	}
}

static void
on_warn(void *arg, const char *msg)
{
	struct seen *s = arg;

	s->warnings++;
	snprintf(s->warning, sizeof s->warning, "%s", msg);
	note(msg);
}

static struct addon_opts
opts(struct seen *s)
{
	struct addon_opts o = {0};

	memset(s, 0, sizeof *s);
	o.on_event = on_event;
	o.warn = on_warn;
	o.arg = s;
	return o;
}

/* Whether pid's command line mentions our scratch directory: one of our
 * servers. */
static bool
ours(pid_t pid)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return tmpdir != NULL && strstr(buf, tmpdir) != NULL;
}

static void
kill_pidfile(const char *path)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	long pid;

	if (f == NULL)
		return;
	if (fgets(buf, sizeof buf, f) != NULL && (pid = atol(buf)) > 1 &&
	    ours((pid_t)pid))
		kill((pid_t)-pid, SIGKILL);
	fclose(f);
}

/* Ends the servers whose pidfiles are in the add-on directories of
 * apps (state/slugc/apps). */
static void
kill_app_servers(const char *apps)
{
	struct dirent *d, *a;
	DIR *dp, *ap;
	char dir[4096], file[4400];

	if ((dp = opendir(apps)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof dir, "%s/%s/addons", apps, d->d_name);
		if ((ap = opendir(dir)) == NULL)
			continue;
		while ((a = readdir(ap)) != NULL) {
			snprintf(file, sizeof file, "%s/%s/redis.pid", dir,
			    a->d_name);
			kill_pidfile(file);
			snprintf(file, sizeof file, "%s/%s/import.pid", dir,
			    a->d_name);
			kill_pidfile(file);
		}
		closedir(ap);
	}
	closedir(dp);
}

static void
cleanup(void)
{
	int i;

	for (i = 0; i < nstarted; i++)
		if (started[i] > 1 && ours(started[i]))
			kill(-started[i], SIGKILL);
	if (tmpdir != NULL)
		kill_app_servers(at(tmpdir, "state/slugc/apps"));
	tmp_done();
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static bool
alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool ok = false;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof buf, f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		ok = p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return ok;
}

static bool
gone_within(pid_t pid, int ms)
{
	for (; ms > 0 && alive(pid); ms -= 10)
		sleep_ms(10);
	return !alive(pid);
}

/* Field n (1-based, after the name) of /proc/PID/stat, as a number. */
static long
stat_field(pid_t pid, int n)
{
	char path[64], buf[1024], *p;
	FILE *f;
	long v = -1;
	int i;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof buf, f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL) {
		p += 2;
		for (i = 3; i < n && p != NULL; i++)
			if ((p = strchr(p, ' ')) != NULL)
				p++;
		if (p != NULL)
			v = strtol(p, NULL, 10);
	}
	fclose(f);
	return v;
}

/* Whether the file at path (all of it) holds needle. */
static bool
file_has(const char *path, const char *needle)
{
	struct errbuf e;
	size_t len;
	char *text = fs_read_file(path, 64 << 20, &len, &e);
	bool found;

	if (text == NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	found = strstr(text, needle) != NULL;
	free(text);
	return found;
}

static int
lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0;

	if (f == NULL)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static char *
config(struct appstate *st, const char *name)
{
	struct errbuf e;
	char *v = NULL;

	if (appstate_config_get(st, name, &v, &e) != 0)
		return NULL;
	return v;
}

/* The password and port in a redis:// URL. */
static bool
parse_url(const char *url, const char *user, char *pw, size_t pwsz, int *port)
{
	char fmt[64], u[32];

	snprintf(fmt, sizeof fmt,
	    "redis://%%31[^:]:%%%zu[0-9a-f]@127.0.0.1:%%d/", pwsz - 1);
	return url != NULL && sscanf(url, fmt, u, pw, port) == 3 &&
	    strcmp(u, user) == 0 && strlen(pw) == 64;
}

/* A hiredis connection authenticated as user (NULL: no AUTH). */
static redisContext *
connect_as(int port, const char *user, const char *pw)
{
	struct timeval tv = {2, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *r;

	if (c == NULL || c->err) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	if (user != NULL) {
		r = redisCommand(c, "AUTH %s %s", user, pw);
		if (r == NULL || r->type != REDIS_REPLY_STATUS) {
			if (r != NULL)
				freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

/* Runs a command with one or two string arguments; returns the reply's
 * text (status, string or error) in out. */
static bool
cmd(redisContext *c, char *out, size_t size, const char *fmt, const char *a1,
    const char *a2)
{
	redisReply *r = redisCommand(c, fmt, a1, a2);

	out[0] = '\0';
	if (r == NULL)
		return false;
	if (r->str != NULL)
		snprintf(out, size, "%s", r->str);
	else if (r->type == REDIS_REPLY_NIL)
		snprintf(out, size, "(nil)");
	freeReplyObject(r);
	return true;
}

static bool
get_is(int port, const char *pw, const char *key, const char *want)
{
	redisContext *c = connect_as(port, "default", pw);
	char got[256];
	bool ok;

	if (c == NULL)
		return false;
	ok = cmd(c, got, sizeof got, "GET %s", key, NULL) &&
	    strcmp(got, want) == 0;
	if (!ok)
		printf("# GET %s: %s, not %s\n", key, got, want);
	redisFree(c);
	return ok;
}

static bool
set_ok(int port, const char *pw, const char *key, const char *val)
{
	redisContext *c = connect_as(port, "redistogo", pw);
	char got[64];
	bool ok;

	if (c == NULL)
		return false;
	ok = cmd(c, got, sizeof got, "SET %s %s", key, val) &&
	    strcmp(got, "OK") == 0;
	redisFree(c);
	return ok;
}

static struct appstate *
open_app(const char *name)
{
	struct appstate *st;
	struct errbuf e;

	if (appstate_open(name, true, &st, &e) == -1) {
		fprintf(stderr, "%s\n", e.msg);
		abort();
	}
	return st;
}

static pid_t
pid_in(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof buf, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return (pid_t)atol(buf);
}

static void
put_abs(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF)
		abort();
}

static bool
dir_has_temp(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	bool found = false;

	while (dp != NULL && (d = readdir(dp)) != NULL)
		if (strncmp(d->d_name, "import", 6) == 0 ||
		    strcmp(d->d_name, "data.import") == 0)
			found = true;
	if (dp != NULL)
		closedir(dp);
	return found;
}

/* Whether any fd of pid points at path. */
static bool
holds_fd(pid_t pid, const char *path)
{
	char dir[64], link[4096];
	struct dirent *d;
	DIR *dp;
	ssize_t n;
	bool found = false;

	snprintf(dir, sizeof dir, "/proc/%ld/fd", (long)pid);
	if ((dp = opendir(dir)) == NULL)
		return true; /* cannot tell: count as a failure */
	while ((d = readdir(dp)) != NULL) {
		n = readlinkat(dirfd(dp), d->d_name, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, path) == 0)
			found = true;
	}
	closedir(dp);
	return found;
}

int
main(void)
{
	struct appstate *st;
	struct addon *a = NULL, *b = NULL, **list;
	struct addon_opts o;
	struct seen s;
	struct errbuf e;
	char pw[80], pw2[80] = "", *url, *url2, *v = NULL, got[256], dump[4096];
	int port, port2, rc, fd;
	size_t n;
	pid_t pid;

	if (tmp_init("test_addon") == -1)
		return 1;
	atexit(cleanup);
	if (access("/usr/bin/redis-server", X_OK) != 0 ||
	    access("/usr/bin/redis-check-rdb", X_OK) != 0) {
		TEST("redis-server installed (apt-get install redis-server)",
		    getenv("SLUGC_REQUIRE_ALL") == NULL);
		printf("# skip: redis-server is not installed\n");
		return test_report();
	}
	setenv("XDG_STATE_HOME", at(tmpdir, "state"), 1);
	st = open_app("sessions");

	/* --- Provisioning -------------------------------------------- */
	o = opts(&s);
	rc = addon_create(st, "papertrail:choklad", NULL, NULL, &o, &a, &e);
	TEST("create: a service with no local equivalent is skipped",
	    rc == ADDON_SKIPPED && a == NULL);
	TEST("create: ... with a warning naming it",
	    s.warnings == 1 && strstr(s.warning, "papertrail") != NULL &&
		!exists("state/slugc/apps/sessions/addons"));

	o = opts(&s);
	o.redis_server = "/nonexistent/redis-server";
	rc = addon_create(st, "redistogo", NULL, NULL, &o, &a, &e);
	note(e.msg);
	TEST("create: redis-server missing is its own error",
	    rc == ADDON_ERR_NOTINSTALLED);
	TEST("create: ... saying which package to install",
	    strstr(e.msg, "apt-get install redis-server") != NULL &&
		strchr(e.msg, '\n') == NULL);

	rc = addon_create(st, "Redis!", NULL, NULL, NULL, &a, &e);
	TEST("create: a bad spec is refused",
	    rc == ADDON_ERR && strstr(e.msg, "not an add-on") != NULL);

	o = opts(&s);
	rc = addon_create(st, "redistogo:nano", NULL, NULL, &o, &a, &e);
	TEST("create: redistogo:nano",
	    rc == ADDON_OK && a != NULL && s.n[ADDON_EV_CREATED] == 1);
	if (rc != ADDON_OK) {
		printf("# %s\n", e.msg);
		return test_report();
	}
	TEST("create: named redistogo-NNNNN, plan kept",
	    strncmp(a->name, "redistogo-", 10) == 0 && strlen(a->name) == 15 &&
		strcmp(a->plan, "nano") == 0 &&
		strcmp(a->as, "REDISTOGO") == 0);
	TEST("create: REDISTOGO_URL and REDIS_URL",
	    a->nvars == 2 && strcmp(a->vars[0], "REDISTOGO_URL") == 0 &&
		strcmp(a->vars[1], "REDIS_URL") == 0);
	url = config(st, "REDISTOGO_URL");
	TEST("create: REDISTOGO_URL is redis://redistogo:PW@127.0.0.1:PORT/",
	    parse_url(url, "redistogo", pw, sizeof pw, &port) &&
		port == a->port && port >= 1024);
	url2 = config(st, "REDIS_URL");
	TEST("create: REDIS_URL is the same URL",
	    url2 != NULL && url != NULL && strcmp(url, url2) == 0);
	free(url2);
	TEST("create: its directory 0700, addon.yml 0600",
	    mode_of(a->dir) == 0700 &&
		mode_of(at(a->dir, "addon.yml")) == 0600 &&
		mode_of(at(st->dir, "addons")) == 0700);
	TEST("create: no server yet",
	    a->pid == 0 &&
		!exists("state/slugc/apps/sessions/addons/x/redis.pid"));

	/* --- Start ----------------------------------------------------- */
	/* Started through a wrapper that records the environment and the
	 * arguments it got, then execs the real server (whose title
	 * overwrites its /proc/PID/environ). */
	{
		char script[8192];

		snprintf(script, sizeof script,
		    "#!/bin/sh\n"
		    "env > '%s/server.env'\n"
		    "printf '%%s\\n' \"$0\" \"$@\" > '%s/server.argv'\n"
		    "exec /usr/bin/redis-server \"$@\"\n",
		    tmpdir, tmpdir);
		put("wrap/redis-server", script, 0755);
	}
	o = opts(&s);
	o.redis_server = at(tmpdir, "wrap/redis-server");
	rc = addon_start(st, a->name, &o, &e);
	TEST("start: started",
	    rc == ADDON_OK && s.n[ADDON_EV_STARTED] == 1 && s.pid > 0);
	if (rc != ADDON_OK) {
		printf("# %s\n", e.msg);
		return test_report();
	}
	pid = s.pid;
	TEST("start: the pidfile names it",
	    pid_in(at(a->dir, "redis.pid")) == pid);
	TEST("start: redis.conf is 0600, 127.0.0.1, appendonly, ACL users",
	    mode_of(at(a->dir, "redis.conf")) == 0600 &&
		file_has(at(a->dir, "redis.conf"), "bind 127.0.0.1\n") &&
		file_has(at(a->dir, "redis.conf"), "appendonly yes\n") &&
		file_has(at(a->dir, "redis.conf"), "user redistogo on"));
	{
		char p[64];

		snprintf(p, sizeof p, "/proc/%ld/cmdline", (long)pid);
		TEST("start: no password on its command line",
		    file_has(p, "redis.conf") && !file_has(p, pw));
		snprintf(p, sizeof p, "%s/redis.conf\n", a->dir);
		TEST("start: its argv is the server and its config file",
		    lines_in(at(tmpdir, "server.argv")) == 2 &&
			file_has(at(tmpdir, "server.argv"), p) &&
			!file_has(at(tmpdir, "server.argv"), pw));
		TEST("start: its environment is PATH, nothing of ours",
		    file_has(at(tmpdir, "server.env"), "PATH=/usr/local/bin") &&
			!file_has(at(tmpdir, "server.env"), pw) &&
			!file_has(at(tmpdir, "server.env"), "XDG_STATE_HOME") &&
			!file_has(at(tmpdir, "server.env"), "HOME="));
	}
	TEST("start: nor in its log", !file_has(at(a->dir, "redis.log"), pw));
	TEST("start: it is not our child, leads its own session and group",
	    stat_field(pid, 4) != getpid() && stat_field(pid, 5) == pid &&
		stat_field(pid, 6) == pid);
	TEST("start: it holds no descriptor of ours (the app's lock)",
	    !holds_fd(pid, at(st->dir, "lock")));
	TEST("start: its data directory 0700 (umask 077)",
	    mode_of(at(a->dir, "data")) == 0700 &&
		mode_of(at(a->dir, "data/appendonlydir")) == 0700);

	{
		redisContext *c;

		c = connect_as(port, NULL, NULL);
		TEST("AUTH: none gets NOAUTH",
		    c != NULL && cmd(c, got, sizeof got, "GET %s", "k", NULL) &&
			strncmp(got, "NOAUTH", 6) == 0);
		if (c != NULL)
			redisFree(c);
		TEST("AUTH: a wrong password is refused",
		    connect_as(port, "redistogo", "0000") == NULL);
		TEST("AUTH: as redistogo (what the URL makes clients send)",
		    set_ok(port, pw, "views", "3"));
		TEST("AUTH: as default, the same data",
		    get_is(port, pw, "views", "3"));
	}

	o = opts(&s);
	TEST("start again: the running server is reused",
	    addon_start(st, "REDISTOGO", &o, &e) == ADDON_OK &&
		s.n[ADDON_EV_RUNNING] == 1 && s.n[ADDON_EV_STARTED] == 0 &&
		s.pid == pid);

	TEST("find: by name, attachment or config var, with its pid",
	    addon_find(st, "REDIS_URL", &b, &e) == ADDON_OK &&
		strcmp(b->name, a->name) == 0 && b->pid == pid);
	addon_free(b);
	b = NULL;
	TEST("find: an unknown name is NOTFOUND",
	    addon_find(st, "nosuch", &b, &e) == ADDON_ERR_NOTFOUND &&
		b == NULL && strstr(e.msg, "nosuch") != NULL);

	/* --- Stop, start: the data stay (append-only) ------------------ */
	o = opts(&s);
	TEST("stop: stopped",
	    addon_stop(st, a->name, &o, &e) == ADDON_OK &&
		s.n[ADDON_EV_STOPPED] == 1 && gone_within(pid, 2000) &&
		!exists("state/slugc/apps/sessions/addons/x") &&
		access(at(a->dir, "redis.pid"), F_OK) == -1);
	o = opts(&s);
	TEST("stop: not running is fine",
	    addon_stop(st, a->name, &o, &e) == ADDON_OK &&
		s.n[ADDON_EV_STOPPED] == 0);
	o = opts(&s);
	TEST("start after stop: a new server",
	    addon_start(st, a->name, &o, &e) == ADDON_OK &&
		s.n[ADDON_EV_STARTED] == 1 && s.pid != pid);
	pid = s.pid;
	TEST("start after stop: the data are there",
	    get_is(port, pw, "views", "3"));

	/* --- Killed: a stale pidfile ----------------------------------- */
	TEST("kill -9 of the server",
	    set_ok(port, pw, "views", "4") && kill(pid, SIGKILL) == 0 &&
		gone_within(pid, 2000));
	o = opts(&s);
	rc = addon_start(st, a->name, &o, &e);
	TEST("stale pidfile (a dead pid): recovered, started again",
	    rc == ADDON_OK && s.n[ADDON_EV_STALE_PID] == 1 &&
		s.n[ADDON_EV_STARTED] == 1);
	pid = s.pid;
	if (s.n[ADDON_EV_PORT_CHANGED] != 0)
		printf("# killed: the port moved (%d changes): %s\n",
		    s.n[ADDON_EV_PORT_CHANGED], e.msg);
	TEST("killed: what it had written is there",
	    get_is(port, pw, "views", "4"));
	o = opts(&s);
	addon_stop(st, a->name, &o, &e);
	{
		char me[32];

		snprintf(me, sizeof me, "%ld\n", (long)getpid());
		put_abs(at(a->dir, "redis.pid"), me);
	}
	o = opts(&s);
	rc = addon_start(st, a->name, &o, &e);
	TEST("stale pidfile (a live pid, not a server of it): recovered, "
	     "and that process is left alone",
	    rc == ADDON_OK && s.n[ADDON_EV_STALE_PID] == 1 &&
		s.n[ADDON_EV_STARTED] == 1 && s.pid != getpid());
	pid = s.pid;
	o = opts(&s);
	addon_stop(st, a->name, &o, &e);
	put_abs(at(a->dir, "redis.pid"), "garbage\n");
	o = opts(&s);
	TEST("stale pidfile (garbage): recovered",
	    addon_start(st, a->name, &o, &e) == ADDON_OK &&
		s.n[ADDON_EV_STALE_PID] == 1 && s.n[ADDON_EV_STARTED] == 1);
	pid = s.pid;

	/* A server of this add-on whose command line does not name its
	 * config file (started by hand from a copy): recognised by its
	 * working directory, the add-on's data, and reused, never doubled. */
	o = opts(&s);
	addon_stop(st, a->name, &o, &e);
	{
		struct errbuf fe;
		char *conf =
		    fs_read_file(at(a->dir, "redis.conf"), 1 << 16, NULL, &fe);
		pid_t byhand;
		int i;

		if (conf == NULL)
			abort();
		put("other.conf", conf, 0600);
		free(conf);
		fflush(stdout);
		if ((byhand = fork()) == 0) {
			int nul = open("/dev/null", O_RDWR);

			setsid();
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
			execl("/usr/bin/redis-server", "redis-server",
			    at(tmpdir, "other.conf"), (char *)NULL);
			_exit(127);
		}
		if (nstarted < MAXPIDS)
			started[nstarted++] = byhand;
		for (i = 0; i < 200 &&
		     (pid_in(at(a->dir, "redis.pid")) != byhand ||
			 !get_is(port, pw, "views", "4"));
		     i++)
			sleep_ms(10);
		o = opts(&s);
		TEST("a server on its data, started by hand, is reused",
		    addon_start(st, a->name, &o, &e) == ADDON_OK &&
			s.n[ADDON_EV_RUNNING] == 1 && s.pid == byhand);
		o = opts(&s);
		TEST("... and stopped as its own",
		    addon_stop(st, a->name, &o, &e) == ADDON_OK &&
			s.n[ADDON_EV_STOPPED] == 1 &&
			gone_within(byhand, 2000));
		waitpid(byhand, NULL, 0);
	}

	/* --- Two processes start at once: one server ------------------- */
	o = opts(&s);
	addon_stop(st, a->name, &o, &e);
	{
		int pp[2], k, ws, ok = 0;
		pid_t kids[2], seen[2] = {0, 0};
		struct {
			pid_t server;
			int started;
		} r;

		if (pipe(pp) == -1)
			abort();
		fflush(stdout);
		for (k = 0; k < 2; k++) {
			if ((kids[k] = fork()) == 0) {
				struct appstate *cs = open_app("sessions");
				struct seen cseen;
				struct addon_opts co = opts(&cseen);

				if (addon_start(cs, a->name, &co, &e) != 0)
					_exit(1);
				r.server = cseen.pid;
				r.started = cseen.n[ADDON_EV_STARTED];
				if (write(pp[1], &r, sizeof r) != sizeof r)
					_exit(1);
				appstate_close(cs);
				_exit(0);
			}
		}
		close(pp[1]);
		for (k = 0; k < 2; k++) {
			if (read(pp[0], &r, sizeof r) == sizeof r) {
				seen[k] = r.server;
				ok += r.started;
				if (nstarted < MAXPIDS)
					started[nstarted++] = r.server;
			}
		}
		close(pp[0]);
		for (k = 0; k < 2; k++)
			waitpid(kids[k], &ws, 0);
		TEST("two concurrent starts: one server, started once",
		    seen[0] > 0 && seen[0] == seen[1] && ok == 1 &&
			alive(seen[0]));
		pid = seen[0];
	}

	/* --- The port taken by another program ------------------------- */
	o = opts(&s);
	addon_stop(st, a->name, &o, &e);
	{
		struct sockaddr_in sa;
		int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)port);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		TEST("port: another program listens on the add-on's port",
		    lfd >= 0 &&
			setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof one) == 0 &&
			bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
			listen(lfd, 1) == 0);
		o = opts(&s);
		rc = addon_start(st, a->name, &o, &e);
		TEST("port taken: started on a new port",
		    rc == ADDON_OK && s.n[ADDON_EV_PORT_CHANGED] == 1 &&
			s.n[ADDON_EV_STARTED] == 1);
		if (rc != ADDON_OK || s.n[ADDON_EV_PORT_CHANGED] != 1 ||
		    s.n[ADDON_EV_STARTED] != 1)
			printf("# rc %d, %d port changes, %d starts: %s\n", rc,
			    s.n[ADDON_EV_PORT_CHANGED], s.n[ADDON_EV_STARTED],
			    e.msg);
		pid = s.pid;
		free(url);
		url = config(st, "REDISTOGO_URL");
		url2 = config(st, "REDIS_URL");
		TEST("port taken: the config vars follow",
		    parse_url(url, "redistogo", pw2, sizeof pw2, &port2) &&
			port2 != port && strcmp(pw2, pw) == 0 && url2 != NULL &&
			strcmp(url, url2) == 0);
		free(url2);
		TEST("port taken: the data came along",
		    get_is(port2, pw, "views", "4"));
		addon_free(b);
		b = NULL;
		TEST("port taken: the new port is kept",
		    addon_find(st, a->name, &b, &e) == ADDON_OK &&
			b->port == port2);
		addon_free(b);
		b = NULL;
		port = port2;
		if (lfd >= 0)
			close(lfd);
	}

	/* --- Export, import -------------------------------------------- */
	snprintf(dump, sizeof dump, "%s/dump.rdb", tmpdir);
	fd = open(dump, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	o = opts(&s);
	rc = addon_export(st, a->name, fd, &o, &e);
	close(fd);
	TEST("export: an RDB dump",
	    rc == ADDON_OK && file_has(dump, "REDIS") &&
		file_has(dump, "views"));
	TEST("after the export: a key the dump does not have",
	    set_ok(port, pw, "later", "x"));

	put("junk.txt", "hello, this is not a dump\n", 0600);
	fd = open(at(tmpdir, "junk.txt"), O_RDONLY);
	o = opts(&s);
	rc = addon_import(st, a->name, fd, &o, &e);
	note(e.msg);
	close(fd);
	TEST("import: not an RDB is refused",
	    rc == ADDON_ERR_REFUSED &&
		strstr(e.msg, "not a Redis dump") != NULL);
	TEST("import refused: the old data and server stay",
	    get_is(port, pw, "later", "x") && alive(pid) &&
		!dir_has_temp(a->dir));

	{
		/* A real dump cut in half: the header is right, the rest
		 * is not: redis-check-rdb says so. */
		struct errbuf fe;
		size_t len;
		char *text = fs_read_file(dump, 1 << 20, &len, &fe);

		if (text == NULL ||
		    put_file(at(tmpdir, "half.rdb"), text, len / 2, 0600) == -1)
			abort();
		free(text);
	}
	fd = open(at(tmpdir, "half.rdb"), O_RDONLY);
	o = opts(&s);
	rc = addon_import(st, a->name, fd, &o, &e);
	note(e.msg);
	close(fd);
	TEST("import: a damaged RDB is refused (redis-check-rdb)",
	    rc == ADDON_ERR_REFUSED && strstr(e.msg, "damaged") != NULL);
	TEST("import refused: the old data stay",
	    get_is(port, pw, "later", "x") && !dir_has_temp(a->dir));

	/* Interrupted: the importer dies while it reads its input. */
	{
		int pp[2], ws;
		pid_t kid;
		struct errbuf fe;
		size_t len;
		char *text = fs_read_file(dump, 1 << 20, &len, &fe);

		if (text == NULL || pipe(pp) == -1)
			abort();
		fflush(stdout);
		if ((kid = fork()) == 0) {
			struct appstate *cs = open_app("sessions");

			close(pp[1]);
			addon_import(cs, a->name, pp[0], NULL, &e);
			_exit(0);
		}
		close(pp[0]);
		TEST("import crash: half the dump written",
		    write(pp[1], text, len / 2) == (ssize_t)(len / 2));
		sleep_ms(200);
		kill(kid, SIGKILL);
		waitpid(kid, &ws, 0);
		close(pp[1]);
		free(text);
		TEST("import crash: the importer died mid-way",
		    WIFSIGNALED(ws) && exists("state/slugc/apps/sessions") &&
			access(at(a->dir, "import.rdb"), F_OK) == 0);
		o = opts(&s);
		TEST("import crash: the old data and server stay",
		    addon_start(st, a->name, &o, &e) == ADDON_OK &&
			s.pid == pid && get_is(port, pw, "later", "x") &&
			!dir_has_temp(a->dir));
	}

	fd = open(dump, O_RDONLY);
	o = opts(&s);
	rc = addon_import(st, a->name, fd, &o, &e);
	close(fd);
	if (rc != ADDON_OK)
		printf("# %s\n", e.msg);
	TEST("import: the exported dump",
	    rc == ADDON_OK && s.n[ADDON_EV_IMPORTED] == 1);
	pid = s.pid;
	TEST("import: the dump's data, and only those",
	    get_is(port, pw, "views", "4") &&
		get_is(port, pw, "later", "(nil)") && !dir_has_temp(a->dir));
	o = opts(&s);
	TEST("import: kept across a restart (written as append-only data)",
	    addon_stop(st, a->name, &o, &e) == ADDON_OK &&
		addon_start(st, a->name, &o, &e) == ADDON_OK &&
		get_is(port, pw, "views", "4") &&
		get_is(port, pw, "later", "(nil)"));
	pid = s.pid;

	/* --- More add-ons: names and config vars ----------------------- */
	o = opts(&s);
	rc = addon_create(st, "heroku-redis:mini", NULL, NULL, &o, &b, &e);
	TEST("second add-on: REDIS_URL is taken, so NAME_URL",
	    rc == ADDON_OK && b->nvars == 1 &&
		strncmp(b->vars[0], "HEROKU_REDIS_", 13) == 0 &&
		strlen(b->vars[0]) == strlen("HEROKU_REDIS_12345_URL") &&
		(v = config(st, b->vars[0])) != NULL &&
		parse_url(v, "default", pw2, sizeof pw2, &port2) &&
		strcmp(pw2, pw) != 0 && port2 != port);
	free(v);
	addon_free(b);
	b = NULL;
	rc = addon_create(st, "redis", "cache", "my-cache", &o, &b, &e);
	TEST("--as cache: CACHE_URL only, name kept",
	    rc == ADDON_OK && b->nvars == 1 &&
		strcmp(b->vars[0], "CACHE_URL") == 0 &&
		strcmp(b->name, "my-cache") == 0 &&
		(v = config(st, "CACHE_URL")) != NULL);
	free(v);
	addon_free(b);
	b = NULL;
	TEST("--as: a name already set is refused",
	    addon_create(st, "redis", "CACHE", NULL, &o, &b, &e) ==
		    ADDON_ERR_EXISTS &&
		b == NULL);
	TEST("--name: an add-on name already there is refused",
	    addon_create(st, "redis", "other", "my-cache", &o, &b, &e) ==
		    ADDON_ERR_EXISTS &&
		b == NULL && (v = config(st, "OTHER_URL")) == NULL);
	TEST("list: three add-ons sorted, the running one with its pid",
	    addon_list(st, &list, &n, &e) == ADDON_OK && n == 3 &&
		strncmp(list[0]->name, "heroku-redis-", 13) == 0 &&
		strcmp(list[1]->name, "my-cache") == 0 &&
		strcmp(list[2]->name, a->name) == 0 && list[2]->pid == pid &&
		list[0]->pid == 0);
	addon_list_free(list, n);

	/* A server that cannot start: its own data are broken. */
	put("state/slugc/apps/sessions/addons/my-cache/data/appendonlydir/"
	    "appendonly.aof.manifest",
	    "this is no manifest\n", 0600);
	o = opts(&s);
	o.start_timeout_ms = 5000;
	rc = addon_start(st, "my-cache", &o, &e);
	note(e.msg);
	TEST("broken data: start fails with the server's last log line",
	    rc == ADDON_ERR && strstr(e.msg, "did not start") != NULL &&
		strstr(e.msg, "redis.log") != NULL);
	TEST("broken data: no server and no pidfile left",
	    !exists("state/slugc/apps/sessions/addons/my-cache/redis.pid"));

	o = opts(&s);
	o.redis_server = "/nonexistent/redis-server";
	rc = addon_start(st, "my-cache", &o, &e);
	note(e.msg);
	TEST("start: redis-server missing is its own error",
	    rc == ADDON_ERR_NOTINSTALLED &&
		strstr(e.msg, "apt-get install redis-server") != NULL);

	/* --- Destroy --------------------------------------------------- */
	{
		struct envdir *one = envdir_new();

		if (one == NULL ||
		    envdir_set(one, "REDIS_URL", "redis://elsewhere:6379",
			&e) == -1 ||
		    appstate_config_set(st, one, &e) == -1)
			abort();
		envdir_free(one);
	}
	o = opts(&s);
	rc = addon_destroy(st, a->name, &o, &e);
	TEST("destroy: done",
	    rc == ADDON_OK && s.n[ADDON_EV_DESTROYED] == 1 &&
		s.n[ADDON_EV_STOPPED] == 1 && gone_within(pid, 2000));
	TEST("destroy: its directory and data are gone",
	    access(a->dir, F_OK) == -1);
	TEST("destroy: its config var is unset",
	    (v = config(st, "REDISTOGO_URL")) == NULL);
	free(v);
	TEST("destroy: a var set to something else since is left, with a "
	     "warning",
	    (v = config(st, "REDIS_URL")) != NULL &&
		strcmp(v, "redis://elsewhere:6379") == 0 && s.warnings == 1 &&
		strstr(s.warning, "REDIS_URL") != NULL);
	free(v);
	TEST("destroy: then it is not found",
	    addon_destroy(st, a->name, &o, &e) == ADDON_ERR_NOTFOUND);
	TEST("destroy: by attachment name",
	    addon_destroy(st, "CACHE", &o, &e) == ADDON_OK &&
		(v = config(st, "CACHE_URL")) == NULL);

	TEST("no message held the password",
	    strstr(said, pw) == NULL && strstr(said, pw2) == NULL);

	free(url);
	addon_free(a);
	addon_free(b);
	appstate_close(st);
	return test_report();
}
