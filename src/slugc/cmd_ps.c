/* cmd_ps.c - `slugc ps[:VERB]`: the app's current release run in the
 * background by a supervisor daemon (psd.h), with the Heroku CLI's verbs.
 * ps:start forks the daemon (double fork, setsid, its stdio to the app's
 * log) and waits until its web processes are bound; the others talk to it
 * over APP/ps.sock (psctl.h).
 *
 * Exit statuses: 0 done; 2 usage, already running, not running
 * (ps:restart, ps:scale of a bad type), no release; 4 local failure
 * (unpacking, the socket, the daemon gone); 124 web did not bind $PORT at
 * ps:start or after a restart (R10, or it crashed first: the daemon goes
 * on restarting it). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appcmd.h"
#include "formation.h"
#include "psctl.h"
#include "psd.h"
#include "slugc.h"
#include "spawn.h"

#define GO_ON (-1)
#define PS_LOCK "ps.lock"

static const char usage_text[] =
    "usage: slugc ps [-a APP]\n"
    "       slugc ps:start [-p PORT] [-a APP]\n"
    "       slugc ps:stop [-a APP]\n"
    "       slugc ps:restart [-a APP]\n"
    "       slugc ps:scale TYPE=COUNT... [-a APP]\n"
    "\n"
    "  -a, --app NAME   the app (default: the current directory's name)\n"
    "  -p, --port PORT  web.N listens on PORT + N - 1 (default: free ports)\n"
    "\n"
    "ps:start runs the app's current release in the background, its\n"
    "add-ons first, then its formation (web=1 unless scaled), and returns\n"
    "once web is bound.  A crashed process is restarted.  ps:stop stops\n"
    "every process (SIGTERM, then SIGKILL after $SLUGC_STOP_GRACE seconds,\n"
    "30 by default).  `slugc logs` shows what they print.\n";

static const struct option longopts[] = {{"app", required_argument, NULL, 'a'},
    {"port", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

struct psargs {
	const char *verb;
	const char *given;
	int port;
	char spec[512]; /* ps:scale's words */
	char app[APPSTATE_NAME_MAX + 1];
};

static int
parse_opts(struct psargs *a, int argc, char **argv)
{
	char *end;
	long v;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return SX_OK;
		case 'a':
			a->given = optarg;
			break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (strcmp(a->verb, "ps:start") != 0)
				return appcmd_usage(a->verb,
				    "does not take -p");
			if (*end != '\0' || v < 1 || v > 65535)
				return appcmd_usage(a->verb, "bad port");
			a->port = (int)v;
			break;
		default:
			return appcmd_opt_error(a->verb, c, argv);
		}
	}
	return GO_ON;
}

/* ps:scale's words, joined, into a->spec; the other verbs take none. */
static int
take_args(struct psargs *a, int argc, char **argv)
{
	size_t at = 0;
	int i, n;

	if (strcmp(a->verb, "ps:scale") != 0)
		return optind < argc
		    ? appcmd_usage(a->verb, "takes no arguments")
		    : GO_ON;
	if (optind >= argc)
		return appcmd_usage(a->verb, "wants TYPE=COUNT, one or more");
	for (i = optind; i < argc; i++) {
		n = snprintf(a->spec + at, sizeof a->spec - at, "%s%s",
		    at > 0 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof a->spec - at)
			return appcmd_usage(a->verb, "too many arguments");
		at += (size_t)n;
	}
	return GO_ON;
}

/* A reply's status: 0 for "ok...", else the error's code, said. */
static int
reply_code(const char *reply)
{
	int code;
	const char *msg;

	if (strncmp(reply, "ok", 2) == 0)
		return SX_OK;
	if (sscanf(reply, "error %d:", &code) == 1 &&
	    (msg = strchr(reply, ':')) != NULL) {
		msg++;
		msg += strspn(msg, " ");
		fprintf(stderr, " !     %.*s\n", (int)strcspn(msg, "\n"), msg);
		return code > 0 && code < 256 ? code : SX_FAIL;
	}
	fprintf(stderr,
	    " !     the supervisor gave no answer (see slugc logs)\n");
	return SX_FAIL;
}

/* Sends request; SX_OK with the reply, 1 when nothing runs, or the
 * status (said). */
static int
ask(struct appstate *st, const char *request, char *reply, size_t n)
{
	struct errbuf e;
	int rc;

	rc = psctl_request(st->dir, request, reply, n, 0, &e);
	if (rc == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	return rc == 1 ? 1 : SX_OK;
}

/* ---- ps ------------------------------------------------------------ */

static void
print_proc(const char *line, unsigned version)
{
	char name[80], state[16];
	long port, pid;
	long long up;
	unsigned restarts;

	if (sscanf(line, "proc %79s %15s %ld %ld %lld %u", name, state, &port,
		&pid, &up, &restarts) != 6)
		return;
	printf("%s: %s (~ %llds ago), port %ld, pid %ld, v%u", name, state, up,
	    port, pid, version);
	if (restarts > 0)
		printf(", restarted %u time%s", restarts,
		    restarts == 1 ? "" : "s");
	putchar('\n');
}

/* The type's header and its processes, from a status reply. */
static void
print_type(const char *reply, const char *tline, unsigned version)
{
	char type[FORMATION_TYPE_MAX + 1], prefix[80];
	const char *l, *cmd;
	unsigned count;
	int n = 0;

	if (sscanf(tline, "type %63s %u %n", type, &count, &n) != 2 || n == 0)
		return;
	cmd = tline + n;
	snprintf(prefix, sizeof prefix, "proc %s.", type);
	if (count == 0 && strstr(reply, prefix) == NULL)
		return;
	printf("=== %s (%u): %.*s\n", type, count, (int)strcspn(cmd, "\n"),
	    cmd);
	for (l = reply; l != NULL && *l != '\0'; l = strchr(l, '\n')) {
		l += *l == '\n';
		if (strncmp(l, prefix, strlen(prefix)) == 0)
			print_proc(l, version);
	}
	putchar('\n');
}

static void
print_status(const char *reply)
{
	const char *l, *r;
	unsigned version = 0;
	long pid = 0;

	if ((r = strstr(reply, "\nrelease ")) != NULL)
		sscanf(r, "\nrelease %u", &version);
	if ((r = strstr(reply, "\npid ")) != NULL)
		sscanf(r, "\npid %ld", &pid);
	for (l = reply; l != NULL && *l != '\0'; l = strchr(l, '\n')) {
		l += *l == '\n';
		if (strncmp(l, "type ", 5) == 0)
			print_type(reply, l, version);
	}
	printf("Supervisor: pid %ld, running v%u\n", pid, version);
}

/* Nothing runs: the formation that ps:start would run. */
static int
print_stopped(struct appstate *st)
{
	struct formation f = {0};
	struct errbuf e;
	char *path, text[512];
	unsigned v;
	int rc;

	if ((path = appstate_path(st, FORMATION_FILE, &e)) == NULL)
		goto fail;
	rc = formation_read(path, &f, &e);
	free(path);
	if (rc == -1 || ps_current_version(st, &v, &e) == -1)
		goto fail;
	if (formation_get(&f, "web") == 1 &&
	    formation_set(&f, "web", 1, &e) == -1)
		goto fail;
	formation_format(&f, text, sizeof text);
	printf("=== %s is not running (slugc ps:start -a %s)\n", st->name,
	    st->name);
	printf("Formation: %s\n", text);
	if (v > 0)
		printf("Current release: v%u\n", v);
	formation_free(&f);
	return SX_OK;
fail:
	formation_free(&f);
	fprintf(stderr, PROGNAME ": %s\n", e.msg);
	return SX_FAIL;
}

static int
ps_list(struct appstate *st)
{
	char *reply;
	int code;

	if ((reply = malloc(PSCTL_REPLY_MAX)) == NULL) {
		fprintf(stderr, PROGNAME ": out of memory\n");
		return SX_FAIL;
	}
	code = ask(st, "status", reply, PSCTL_REPLY_MAX);
	if (code == 1)
		code = print_stopped(st);
	else if (code == SX_OK && (code = reply_code(reply)) == SX_OK)
		print_status(reply);
	free(reply);
	return code;
}

/* ---- ps:start ------------------------------------------------------ */

/* $name in seconds (fractions too) as ms, or 0 when unset or bad. */
static int
env_ms(const char *name)
{
	const char *s = getenv(name);
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return 0;
	v = strtod(s, &end);
	return *end == '\0' && v > 0 && v < 86400 ? (int)(v * 1000) : 0;
}

/* The daemon's stdio: stdin /dev/null, stdout and stderr the app's log
 * (what our own code prints lands there, not on a terminal gone). */
static int
daemon_stdio(struct appstate *st)
{
	char path[4096];
	int in, out;

	snprintf(path, sizeof path, "%s/%s", st->dir, PSD_LOG);
	in = open("/dev/null", O_RDONLY);
	out = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0600);
	if (in == -1 || out == -1 || dup2(in, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(out, 2) == -1)
		return -1;
	close(in);
	close(out);
	return 0;
}

/* The grandchild: runs psd until stopped, its ready line on fd ready. */
static int
daemon_main(struct appstate *st, const struct psargs *a, int ready)
{
	struct psd_opts o = {0};
	struct errbuf e;
	const char *s;

	if (daemon_stdio(st) == -1 || spawn_install_signal_handlers(&e) == -1)
		return SX_FAIL;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	o.st = st;
	o.load = ps_load;
	o.unload = ps_unload;
	o.arg = st;
	o.grace_ms = env_ms("SLUGC_STOP_GRACE");
	o.boot_timeout_ms = env_ms("SLUGC_BOOT_TIMEOUT");
	o.restart_ms = env_ms("SLUGC_RESTART_DELAY");
	if ((s = getenv("SLUGC_LOG_MAX")) != NULL)
		o.log_max = (off_t)strtoll(s, NULL, 10);
	o.port = a->port;
	o.ready_fd = ready;
	return psd_run(&o, &e) == 0 ? SX_OK : SX_FAIL;
}

/* The app's ps lock, taken: its fd, -1 when held, -2 on error. */
static int
take_lock_quiet(struct appstate *st)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/%s", st->dir, PS_LOCK);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return -2;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	close(fd);
	return errno == EWOULDBLOCK ? -1 : -2;
}

/* The app's ps lock, taken, or -1 (said) when a daemon holds it. */
static int
take_lock(struct appstate *st, int *code)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/%s", st->dir, PS_LOCK);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		fprintf(stderr, PROGNAME ": %s: %s\n", path, strerror(errno));
		*code = SX_FAIL;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno == EWOULDBLOCK) {
		fprintf(stderr,
		    " !     %s is running already (slugc ps -a %s)\n", st->name,
		    st->name);
		*code = SX_USAGE;
	} else {
		fprintf(stderr, PROGNAME ": flock %s: %s\n", path,
		    strerror(errno));
		*code = SX_FAIL;
	}
	close(fd);
	return -1;
}

/* Reads fd to EOF into buf. */
static void
read_all(int fd, char *buf, size_t n)
{
	size_t have = 0;
	ssize_t r;

	while (have + 1 < n) {
		r = read(fd, buf + have, n - 1 - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	buf[have] = '\0';
}

/* Double fork: the daemon is reparented and in a session of its own, so
 * the terminal's Ctrl-C and hangup never reach it.  Returns in the
 * parent (the daemon's ready line in reply) and in the daemon (*is_daemon,
 * with its status). */
static int
spawn_daemon(struct appstate *st, const struct psargs *a, bool *is_daemon,
    char *reply, size_t n)
{
	int p[2], st_;
	pid_t pid;

	*is_daemon = false;
	if (pipe2(p, O_CLOEXEC) == -1) {
		fprintf(stderr, PROGNAME ": pipe: %s\n", strerror(errno));
		return SX_FAIL;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		fprintf(stderr, PROGNAME ": fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return SX_FAIL;
	}
	if (pid == 0) {
		close(p[0]);
		if (setsid() == -1 || (pid = fork()) != 0)
			_exit(pid == -1 ? 1 : 0);
		*is_daemon = true;
		return daemon_main(st, a, p[1]);
	}
	close(p[1]);
	while (waitpid(pid, &st_, 0) == -1 && errno == EINTR)
		;
	read_all(p[0], reply, n);
	close(p[0]);
	return SX_OK;
}

static int
ps_start(struct appstate *st, const struct psargs *a, bool *is_daemon)
{
	char reply[2048];
	struct errbuf e;
	unsigned v;
	int lock, code = SX_OK;

	*is_daemon = false;
	if ((lock = take_lock(st, &code)) == -1)
		return code;
	if (ps_current_version(st, &v, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		close(lock);
		return SX_FAIL;
	}
	if (v == 0) {
		fprintf(stderr, " !     %s has no release yet\n", st->name);
		close(lock);
		return SX_USAGE;
	}
	printf("Starting %s v%u... ", st->name, v);
	code = spawn_daemon(st, a, is_daemon, reply, sizeof reply);
	close(lock); /* the daemon holds its copy */
	if (*is_daemon || code != SX_OK)
		return code;
	if (strncmp(reply, "ok", 2) == 0)
		printf("done\n\n");
	else
		printf("failed\n");
	fflush(stdout);
	if ((code = reply_code(reply)) == SX_BOOT_TIMEOUT)
		fprintf(stderr,
		    " !     the supervisor goes on restarting it: "
		    "slugc logs -a %s, slugc ps:stop -a %s\n",
		    st->name, st->name);
	return code == SX_OK ? ps_list(st) : code;
}

/* ---- ps:stop, ps:restart, ps:scale ---------------------------------- */

/* Not running: the formation is saved for the next ps:start. */
static int
scale_stopped(struct appstate *st, const char *spec)
{
	struct formation f = {0}, add = {0};
	struct errbuf e;
	char *path = NULL, text[512];
	size_t i;
	int code = SX_FAIL;

	if (formation_parse(spec, &add, &e) == -1) {
		fprintf(stderr, " !     %s\n", e.msg);
		code = SX_USAGE;
		goto out;
	}
	if ((path = appstate_path(st, FORMATION_FILE, &e)) == NULL ||
	    formation_read(path, &f, &e) == -1)
		goto fail;
	for (i = 0; i < add.n; i++)
		if (formation_set(&f, add.v[i].type, add.v[i].count, &e) == -1)
			goto fail;
	if (formation_write(path, &f, &e) == -1)
		goto fail;
	formation_format(&add, text, sizeof text);
	printf("Scaling %s processes... done, now %s (not running)\n", st->name,
	    text);
	code = SX_OK;
	goto out;
fail:
	fprintf(stderr, PROGNAME ": %s\n", e.msg);
out:
	free(path);
	formation_free(&f);
	formation_free(&add);
	return code;
}

/* After stop's reply: until the daemon has exited, which drops the ps
 * lock (its children are gone before it replies). */
static int
wait_gone(struct appstate *st)
{
	int fd, i;

	for (i = 0; i < 200; i++) {
		if ((fd = take_lock_quiet(st)) >= 0) {
			close(fd);
			return SX_OK;
		}
		if (fd == -2)
			break;
		usleep(50 * 1000);
	}
	fprintf(stderr, " !     the supervisor of %s has not exited\n",
	    st->name);
	return SX_FAIL;
}

/* ps:stop, ps:restart and ps:scale: one request, its reply. */
static int
ps_request(struct appstate *st, const struct psargs *a)
{
	char req[600], reply[2048];
	const char *doing = "Stopping";
	int code;

	if (strcmp(a->verb, "ps:stop") == 0)
		snprintf(req, sizeof req, "stop");
	else if (strcmp(a->verb, "ps:restart") == 0) {
		snprintf(req, sizeof req, "restart");
		doing = "Restarting";
	} else {
		snprintf(req, sizeof req, "scale %s", a->spec);
		doing = "Scaling";
	}
	printf("%s %s processes... ", doing, st->name);
	fflush(stdout);
	if ((code = ask(st, req, reply, sizeof reply)) == 1) {
		printf("not running\n");
		if (strcmp(a->verb, "ps:stop") == 0)
			return SX_OK;
		if (strcmp(a->verb, "ps:scale") == 0)
			return scale_stopped(st, a->spec);
		fprintf(stderr, " !     %s is not running (slugc ps:start)\n",
		    st->name);
		return SX_USAGE;
	}
	if (code != SX_OK)
		return code;
	if (strcmp(a->verb, "ps:stop") == 0 && strncmp(reply, "ok", 2) == 0 &&
	    (code = wait_gone(st)) != SX_OK)
		return code;
	printf("%s\n", strncmp(reply, "ok", 2) == 0 ? "done" : "failed");
	fflush(stdout);
	return reply_code(reply);
}

int
cmd_ps(const char *verb, int argc, char **argv)
{
	static const struct appcmd_verb verbs[] = {{"ps", 0}, {"ps:start", 0},
	    {"ps:stop", 0}, {"ps:restart", 0}, {"ps:scale", 0}};
	struct psargs a = {.verb = verb};
	struct appstate *st = NULL;
	bool is_daemon = false;
	int code;

	if (appcmd_verb(verbs, sizeof verbs / sizeof verbs[0], verb) == -1)
		return appcmd_usage("ps", "unknown command");
	if ((code = parse_opts(&a, argc, argv)) != GO_ON ||
	    (code = take_args(&a, argc, argv)) != GO_ON)
		return code;
	if ((code = appcmd_app(a.given, a.app)) != SX_OK)
		return code;
	/* ps:start and ps:scale keep state; the others only read it. */
	code = appcmd_open(a.app,
	    strcmp(verb, "ps:start") == 0 || strcmp(verb, "ps:scale") == 0,
	    &st);
	if (code == 1) {
		if (strcmp(verb, "ps:stop") == 0)
			return SX_OK;
		fprintf(stderr, " !     %s has no state: no release yet\n",
		    a.app);
		return SX_USAGE;
	}
	if (code != SX_OK)
		return code;
	if (strcmp(verb, "ps") == 0)
		code = ps_list(st);
	else if (strcmp(verb, "ps:start") == 0)
		code = ps_start(st, &a, &is_daemon);
	else
		code = ps_request(st, &a);
	appstate_close(st);
	return code;
}
