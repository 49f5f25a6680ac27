/* test_psd.c - the supervisor daemon's protocol, with a real psd_run in a
 * child process, real processes (this binary re-executed as a web that
 * binds $PORT) and the real socket, spoken to with psctl_request.  The
 * releases are made here (the loader is the test's): v1 a web and a
 * worker, v2 a web that ignores SIGTERM.  Every process checked is one the
 * supervisor reported, by its pid and process group. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appstate.h"
#include "fsutil.h"
#include "manifest.h"
#include "monotime.h"
#include "procfile.h"
#include "psctl.h"
#include "psd.h"
#include "supervise.h"
#include "testhelp.h"
#include "testtmp.h"

static char self[PATH_MAX];
static char cmd_web[PATH_MAX + 64], cmd_deaf[PATH_MAX + 64];

/* --listen: binds $PORT on 127.0.0.1, says so, waits. */
static int
helper_listen(void)
{
	struct sockaddr_in sa = {0};
	const char *port = getenv("PORT");
	int fd, one = 1;

	if (port == NULL || (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 2;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(port));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    listen(fd, 8) == -1)
		return 3;
	printf("listening on %s as %s\n", port, getenv("DYNO"));
	fflush(stdout);
	for (;;)
		pause();
}

/* ---- the loader ----------------------------------------------------- */

struct rel {
	struct psd_release r;
	struct manifest *m;
	struct envdir *config;
};

static int
load(void *arg, unsigned version, struct psd_release **out, struct errbuf *e)
{
	struct rel *l;

	(void)arg;
	if (version == 0)
		version = 2;
	if (version > 2)
		return errf(e, "no release v%u", version);
	if ((l = calloc(1, sizeof *l)) == NULL ||
	    (l->m = manifest_new()) == NULL ||
	    (l->config = envdir_new()) == NULL)
		abort();
	procfile_set(l->m->types, "web", version == 1 ? cmd_web : cmd_deaf, e);
	procfile_set(l->m->types, "worker", "echo working; exec sleep 60", e);
	envdir_set(l->config, "SECRET", "topsecret-value", e);
	l->r.version = version;
	l->r.home = tmpdir;
	l->r.release = l->m;
	l->r.config = l->config;
	*out = &l->r;
	return 0;
}

static void
unload(void *arg, struct psd_release *r)
{
	struct rel *l = (struct rel *)r;

	(void)arg;
	manifest_free(l->m);
	envdir_free(l->config);
	free(l);
}

/* ---- helpers -------------------------------------------------------- */

static bool
group_alive(pid_t pgid)
{
	char path[300], buf[512], *p;
	struct dirent *d;
	bool live = false;
	long pg;
	DIR *dp;
	FILE *f;

	if ((dp = opendir("/proc")) == NULL)
		return true;
	while (!live && (d = readdir(dp)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", d->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof buf, f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %*d %ld", &pg) == 1 && pg == pgid)
			live = p[2] != 'Z' && p[2] != 'X';
		fclose(f);
	}
	closedir(dp);
	return live;
}

static struct appstate *st;
static char reply[PSCTL_REPLY_MAX];

static int
ask(const char *req)
{
	struct errbuf e;

	return psctl_request(st->dir, req, reply, sizeof reply, 20000, &e);
}

/* The pid and port of process name in the last status reply. */
static bool
proc_of(const char *name, long *pid, int *port, char *state)
{
	char pat[64], *p;

	snprintf(pat, sizeof pat, "\nproc %s ", name);
	if ((p = strstr(reply, pat)) == NULL)
		return false;
	return sscanf(p + strlen(pat), "%15s %d %ld", state, port, pid) == 3;
}

/* The daemon: psd_run in a child, its ready line read. */
static pid_t
daemon_start(char *ready, size_t n)
{
	struct psd_opts o = {0};
	struct errbuf e;
	ssize_t r;
	int p[2];
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(p[0]);
		o.st = st;
		o.load = load;
		o.unload = unload;
		o.grace_ms = 400;
		o.restart_ms = 100;
		o.boot_timeout_ms = 10000;
		o.ready_fd = p[1];
		r = psd_run(&o, &e);
		appstate_close(st);
		free(tmpdir);	      /* the parent's to remove */
		exit(r == 0 ? 0 : 1); /* LeakSanitizer checks psd too */
	}
	close(p[1]);
	r = read(p[0], ready, n - 1);
	ready[r > 0 ? r : 0] = '\0';
	close(p[0]);
	return pid;
}

/* ---- the cases ------------------------------------------------------ */

static void
test_start_status(long *web_pid)
{
	char state[16];
	int port;

	TEST("status: running v2, its types and counts",
	    ask("status") == 0 &&
		strncmp(reply, "ok\nrelease 2\npid ", 17) == 0 &&
		strstr(reply, "\nstate running\n") != NULL &&
		strstr(reply, "\ntype web 1 ") != NULL &&
		strstr(reply, "\ntype worker 0 echo working;") != NULL);
	TEST("status: web.1 up on its port, which answers",
	    proc_of("web.1", web_pid, &port, state) &&
		strcmp(state, "up") == 0 && supervise_port_bound(port));
	TEST("status: no worker (web=1 by default)",
	    strstr(reply, "proc worker") == NULL);
	TEST("unknown request: error 2",
	    ask("fly") == 0 &&
		strcmp(reply, "error 2: unknown request\n") == 0);
	TEST("scale of a type the release lacks: error 2, named",
	    ask("scale clock=1") == 0 &&
		strstr(reply,
		    "error 2: Couldn't find that process type (clock)") ==
		    reply);
	TEST("scale with a bad count: error 2",
	    ask("scale web=x") == 0 && strncmp(reply, "error 2: ", 9) == 0);
	TEST("release N that cannot be loaded: error 4, still running",
	    ask("release 9") == 0 &&
		strcmp(reply, "error 4: no release v9\n") == 0 &&
		ask("status") == 0 && strstr(reply, "\nrelease 2\n") != NULL);
}

static void
test_scale(void)
{
	char state[16], *path = tpath("state/slugc/apps/psdapp/formation.yml");
	char *text;
	long pid;
	int p1, p2;
	size_t len;
	struct errbuf e;

	TEST("scale web=2 worker=1: ok once web is bound",
	    ask("scale web=2 worker=1") == 0 && strcmp(reply, "ok\n") == 0);
	TEST("scale: two webs up, on two ports, and a worker",
	    ask("status") == 0 && proc_of("web.1", &pid, &p1, state) &&
		proc_of("web.2", &pid, &p2, state) &&
		strcmp(state, "up") == 0 && p1 != p2 &&
		supervise_port_bound(p2) &&
		proc_of("worker.1", &pid, &p2, state));
	text = fs_read_file(path, 4096, &len, &e);
	TEST("scale: formation.yml keeps it",
	    text != NULL && strcmp(text, "web: 2\nworker: 1\n") == 0);
	free(text);
	free(path);
	TEST("scale down: worker=0 web=1",
	    ask("scale worker=0 web=1") == 0 && strcmp(reply, "ok\n") == 0);
}

static void
test_release_grace(void)
{
	char state[16];
	long w1, w2, wk;
	int port;
	int64_t t0;

	/* The old ones may not be gone yet: the removal is under way. */
	if (ask("status") != 0 || !proc_of("web.1", &w1, &port, state))
		w1 = -1;
	if (!proc_of("web.2", &w2, &port, state))
		w2 = -1;
	if (!proc_of("worker.1", &wk, &port, state))
		wk = -1;
	t0 = monotime_ms();
	TEST("release 1: ok once v1's web is bound",
	    ask("release 1") == 0 && strcmp(reply, "ok\n") == 0);
	TEST("release 1: v2's web ignored SIGTERM: killed after the grace",
	    monotime_ms() - t0 >= 400 && (w1 < 0 || !group_alive(w1)) &&
		(w2 < 0 || !group_alive(w2)) && (wk < 0 || !group_alive(wk)));
	TEST("release 1: v1 runs, at the formation's counts",
	    ask("status") == 0 && strstr(reply, "\nrelease 1\n") != NULL &&
		proc_of("web.1", &w1, &port, state) &&
		strstr(reply, "web.2") == NULL &&
		strstr(reply, "worker.1") == NULL);
}

static void
test_crash(void)
{
	char state[16];
	long pid, pid2;
	int port, i;

	if (ask("status") != 0 || !proc_of("web.1", &pid, &port, state)) {
		TEST("crash: web.1 found", 0);
		return;
	}
	kill((pid_t)pid, SIGKILL);
	for (i = 0; i < 100; i++) {
		usleep(50 * 1000);
		if (ask("status") == 0 &&
		    proc_of("web.1", &pid2, &port, state) && pid2 != pid &&
		    strcmp(state, "up") == 0)
			break;
	}
	TEST("crash: web.1 is restarted, up again with a new pid",
	    i < 100 && strstr(reply, " 1\n") != NULL);
}

static void
test_log(void)
{
	char *path = tpath("state/slugc/apps/psdapp/log"), *text;
	struct errbuf e;
	size_t len;

	text = fs_read_file(path, 1 << 20, &len, &e);
	TEST("log: the process's lines as app[web.1]",
	    text != NULL && strstr(text, " app[web.1]: listening on ") != NULL);
	TEST("log: the supervisor's as app[slugc]",
	    text != NULL &&
		strstr(text,
		    " app[slugc]: web.1: Process exited with status 137") !=
		    NULL &&
		strstr(text, " app[slugc]: Restarting on v1") != NULL);
	TEST("log: no config var value",
	    text != NULL && strstr(text, "topsecret-value") == NULL);
	free(text);
	free(path);
}

static void
test_stop(pid_t daemon)
{
	char state[16], *sock = tpath("state/slugc/apps/psdapp/ps.sock");
	long pid;
	int port, ws = -1;

	if (ask("status") != 0 || !proc_of("web.1", &pid, &port, state))
		pid = -1;
	TEST("stop: ok", ask("stop") == 0 && strcmp(reply, "ok\n") == 0);
	TEST("stop: the daemon exits 0",
	    waitpid(daemon, &ws, 0) == daemon && WIFEXITED(ws) &&
		WEXITSTATUS(ws) == 0);
	TEST("stop: its processes are gone, and the socket",
	    pid > 0 && !group_alive((pid_t)pid) && !fs_exists(sock));
	TEST("stop: then nobody answers (1)", ask("status") == 1);
	free(sock);
}

static void
test_ready_error(void)
{
	char ready[256];
	pid_t pid;
	int ws;

	/* A release whose web cannot bind: ps:start's line says so. */
	snprintf(cmd_deaf, sizeof cmd_deaf, "exit 7");
	pid = daemon_start(ready, sizeof ready);
	TEST("ready: a web that exits before binding: error 124",
	    strcmp(ready,
		"error 124: web.1 exited with status 7 before "
		"binding $PORT\n") == 0);
	ask("stop");
	waitpid(pid, &ws, 0);
}

int
main(int argc, char **argv)
{
	struct errbuf e;
	char ready[256], *state;
	long web;
	ssize_t n;
	pid_t d;

	if (argc == 2 && strcmp(argv[1], "--listen") == 0)
		return helper_listen();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0 ||
	    tmp_init("test_psd") == -1)
		return 1;
	self[n] = '\0';
	snprintf(cmd_web, sizeof cmd_web, "exec '%s' --listen", self);
	snprintf(cmd_deaf, sizeof cmd_deaf, "trap '' TERM; exec '%s' --listen",
	    self);
	state = tpath("state");
	setenv("XDG_STATE_HOME", state, 1);
	free(state);
	if (appstate_open("psdapp", true, &st, &e) == -1) {
		TEST("appstate_open", 0);
		tmp_done();
		return test_report();
	}
	TEST("nothing runs yet: 1", ask("status") == 1);
	d = daemon_start(ready, sizeof ready);
	TEST("start: the ready line is ok once web is bound",
	    d > 0 && strcmp(ready, "ok\n") == 0);
	test_start_status(&web);
	test_scale();
	test_release_grace();
	test_crash();
	test_log();
	test_stop(d);
	test_ready_error();
	appstate_close(st);
	tmp_done();
	return test_report();
}
