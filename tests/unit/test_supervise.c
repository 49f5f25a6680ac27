/* test_supervise.c - the supervisor's loop with real children: /bin/sh
 * scripts, and this binary re-executed as a helper that listens on a port
 * after a delay (--listen), connects to one (--connect), or PINGs a Redis
 * server with AUTH (--redis-ping, from $REDIS_URL).  A real redis-server
 * add-on, made through the add-on library under this test's own
 * XDG_STATE_HOME, is supervised as a service.  Every process this test
 * starts is found by the pid or process group it recorded. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
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

#include <hiredis/hiredis.h>

#include "addon.h"
#include "addon_supervise.h"
#include "appstate.h"
#include "fsutil.h"
#include "monotime.h"
#include "spawn.h"
#include "supervise.h"
#include "testhelp.h"
#include "testtmp.h"

#define MAXEV 64

static char self[PATH_MAX];

/* ---- helpers run as children ---------------------------------------- */

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
listen_on(int port)
{
	struct sockaddr_in sa = {0};
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    listen(fd, 8) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --listen PORT DELAY_MS: binds after the delay, says so, waits. */
static int
helper_listen(int port, int delay)
{
	sleep_ms(delay);
	if (listen_on(port) == -1)
		return 2;
	printf("listening on %d\n", port);
	fflush(stdout);
	for (;;)
		pause();
}

/* --connect PORT: 0 when something accepts on 127.0.0.1:PORT. */
static int
helper_connect(int port)
{
	return supervise_port_bound(port) ? 0 : 1;
}

/* --redis-ping: AUTH and PING on $REDIS_URL (redis://USER:PW@HOST:PORT/). */
static int
helper_redis_ping(void)
{
	const char *url = getenv("REDIS_URL");
	char user[64], pw[128];
	int port, ok;
	redisContext *c;
	redisReply *r;

	if (url == NULL ||
	    sscanf(url, "redis://%63[^:]:%127[^@]@127.0.0.1:%d", user, pw,
		&port) != 3)
		return 3;
	if ((c = redisConnect("127.0.0.1", port)) == NULL || c->err) {
		redisFree(c);
		return 4;
	}
	r = redisCommand(c, "AUTH %s %s", user, pw);
	freeReplyObject(r);
	r = redisCommand(c, "PING");
	ok = r != NULL && r->type == REDIS_REPLY_STATUS &&
	    strcmp(r->str, "PONG") == 0;
	freeReplyObject(r);
	redisFree(c);
	printf("%s\n", ok ? "PONG" : "no PONG");
	return ok ? 0 : 5;
}

/* ---- what the supervisor told us ------------------------------------ */

struct seen {
	int n;
	struct supervise_event ev[MAXEV];
	char names[MAXEV][32];
	int64_t at[MAXEV];
	char lines[4096];
	int task_calls;
	int task_port;
	int task_rc;
	long svc_kill; /* kill this pid at the first STARTED event */
};

static void
on_event(void *arg, const struct supervise_event *ev)
{
	struct seen *sn = arg;

	if (sn->n >= MAXEV)
		return;
	sn->ev[sn->n] = *ev;
	snprintf(sn->names[sn->n], sizeof sn->names[0], "%s",
	    ev->name ? ev->name : "");
	sn->ev[sn->n].name = sn->names[sn->n];
	sn->ev[sn->n].error = NULL;
	sn->at[sn->n] = monotime_ms();
	sn->n++;
}

/* The index of the first event of type (for name, if not NULL), or -1. */
static int
find_ev(const struct seen *sn, enum supervise_ev type, const char *name)
{
	int i;

	for (i = 0; i < sn->n; i++)
		if (sn->ev[i].type == type &&
		    (name == NULL || strcmp(sn->names[i], name) == 0))
			return i;
	return -1;
}

static int
count_ev(const struct seen *sn, enum supervise_ev type)
{
	int i, n = 0;

	for (i = 0; i < sn->n; i++)
		n += sn->ev[i].type == type;
	return n;
}

static void
on_line(void *arg, int fd, const char *line, size_t len, bool complete)
{
	struct seen *sn = arg;
	size_t l = strlen(sn->lines);

	(void)fd;
	snprintf(sn->lines + l, sizeof sn->lines - l, "%.*s%s", (int)len, line,
	    complete ? "\n" : "");
}

static int
task(void *arg, int port)
{
	struct seen *sn = arg;

	sn->task_calls++;
	sn->task_port = port;
	return sn->task_rc;
}

/* A free port on 127.0.0.1 (free now). */
static int
free_port(void)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof sa;
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* true if some process of group pgid runs (zombies do not count). */
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

static bool
alive(pid_t pid)
{
	char path[64], buf[512], *p;
	bool live = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof buf, f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		live = p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return live;
}

/* ---- building processes --------------------------------------------- */

struct argv8 {
	const char *v[8];
	char port[16], delay[16];
};

static void
proc_sh(struct supervise_proc *p, struct argv8 *a, const char *name,
    const char *script, struct seen *sn)
{
	*p = (struct supervise_proc)SUPERVISE_PROC_INIT;
	a->v[0] = "/bin/sh";
	a->v[1] = "-c";
	a->v[2] = script;
	a->v[3] = NULL;
	p->name = name;
	p->s.argv = a->v;
	p->s.on_line = on_line;
	p->s.arg = sn;
}

static void
proc_listen(struct supervise_proc *p, struct argv8 *a, const char *name,
    int port, int delay, struct seen *sn)
{
	*p = (struct supervise_proc)SUPERVISE_PROC_INIT;
	snprintf(a->port, sizeof a->port, "%d", port);
	snprintf(a->delay, sizeof a->delay, "%d", delay);
	a->v[0] = self;
	a->v[1] = "--listen";
	a->v[2] = a->port;
	a->v[3] = a->delay;
	a->v[4] = NULL;
	p->name = name;
	p->s.argv = a->v;
	p->s.on_line = on_line;
	p->s.arg = sn;
	p->port = port;
}

/* Runs the processes given (and services) in a new supervisor. */
static int
sv_run(struct seen *sn, struct supervise_proc **procs, size_t n,
    struct supervise_service **svcs, size_t nsvcs, struct supervise_result *r,
    struct errbuf *e)
{
	struct supervise_opts o = {.on_event = on_event, .arg = sn};
	struct supervise *sv;
	size_t i;
	int rc = -1;

	if ((sv = supervise_new(&o, e)) == NULL)
		return -1;
	for (i = 0; i < nsvcs; i++)
		if (supervise_add_service(sv, svcs[i], e) == -1)
			goto out;
	for (i = 0; i < n; i++)
		if (supervise_add(sv, procs[i], e) == -1)
			goto out;
	rc = supervise_run(sv, r, e);
out:
	supervise_free(sv);
	return rc;
}

/* ---- the cases ------------------------------------------------------ */

static void
test_binds_in_time(void)
{
	struct supervise_proc web;
	struct supervise_proc *ps[] = {&web};
	struct supervise_result r;
	struct argv8 a;
	struct seen sn = {0};
	struct errbuf e;
	int port = free_port(), rc, b, t, x;

	proc_listen(&web, &a, "web.1", port, 300, &sn);
	web.boot_timeout_ms = 5000;
	web.on_bound = task;
	web.on_bound_arg = &sn;
	sn.task_rc = 1; /* done: stop */
	rc = sv_run(&sn, ps, 1, NULL, 0, &r, &e);
	TEST("bind: the run ends", rc == 0);
	b = find_ev(&sn, SV_EV_BOUND, "web.1");
	t = find_ev(&sn, SV_EV_TASK_DONE, NULL);
	x = find_ev(&sn, SV_EV_EXITED, "web.1");
	TEST("bind: STARTED, BOUND, TASK_DONE, EXITED in that order",
	    find_ev(&sn, SV_EV_STARTED, "web.1") == 0 && b > 0 && t > b &&
		x > t);
	TEST("bind: bound after its delay, with its port",
	    web.bound && web.ms_bound >= 290 && web.ms_bound < 3000 &&
		sn.ev[b].port == port);
	TEST("bind: the task ran once, with the port, its result given",
	    sn.task_calls == 1 && sn.task_port == port && r.task_done &&
		r.task_status == 1 && sn.ev[t].status == 1);
	TEST("bind: the task's nonzero result stopped web (SIGTERM)",
	    web.status == 128 + SIGTERM && sn.ev[x].stopping &&
		sn.ev[x].first && r.first == 0);
	TEST("bind: no boot timeout, no signal",
	    r.boot_timeout == -1 && !web.boot_timeout && r.signo == 0 &&
		count_ev(&sn, SV_EV_BOOT_TIMEOUT) == 0);
	TEST("bind: its output went to on_line",
	    strstr(sn.lines, "listening on") != NULL);
	TEST("bind: its group is gone", !group_alive(web.s.pid));
}

static void
test_boot_timeout(void)
{
	struct supervise_proc web;
	struct supervise_proc *ps[] = {&web};
	struct supervise_result r;
	struct argv8 a;
	struct seen sn = {0};
	struct errbuf e;
	int64_t t0 = monotime_ms(), took;
	int rc, i;

	proc_sh(&web, &a, "web.1", "exec sleep 600", &sn);
	web.port = free_port();
	web.boot_timeout_ms = 400;
	web.on_bound = task;
	web.on_bound_arg = &sn;
	rc = sv_run(&sn, ps, 1, NULL, 0, &r, &e);
	took = monotime_ms() - t0;
	i = find_ev(&sn, SV_EV_BOOT_TIMEOUT, "web.1");
	TEST("R10: reported once, with the timeout",
	    rc == 0 && i >= 0 && count_ev(&sn, SV_EV_BOOT_TIMEOUT) == 1 &&
		sn.ev[i].ms == 400);
	TEST("R10: in the result and the process",
	    r.boot_timeout == 0 && web.boot_timeout && !web.bound);
	TEST("R10: after the timeout, not much later",
	    took >= 400 && took < 2000);
	TEST("R10: web was stopped (SIGTERM), no task ran",
	    web.status == 128 + SIGTERM && sn.task_calls == 0 && !r.task_done &&
		!group_alive(web.s.pid));
}

static void
test_exit0_before_bind(void)
{
	struct supervise_proc web;
	struct supervise_proc *ps[] = {&web};
	struct supervise_result r;
	struct argv8 a;
	struct seen sn = {0};
	struct errbuf e;
	int rc, x;

	proc_sh(&web, &a, "web.1", "echo started; exit 0", &sn);
	web.port = free_port();
	web.boot_timeout_ms = 5000;
	rc = sv_run(&sn, ps, 1, NULL, 0, &r, &e);
	x = find_ev(&sn, SV_EV_EXITED, "web.1");
	TEST("exit 0 before binding: EXITED with 0, not stopping, first",
	    rc == 0 && x >= 0 && sn.ev[x].status == 0 && sn.ev[x].first &&
		!sn.ev[x].stopping && r.first == 0);
	TEST("exit 0 before binding: not bound, no R10, quick",
	    !web.bound && !web.boot_timeout && r.boot_timeout == -1 &&
		web.status == 0);
	TEST("exit 0 before binding: its output",
	    strcmp(sn.lines, "started\n") == 0);
}

static void
test_crash(void)
{
	struct supervise_proc web, worker;
	struct supervise_proc *ps[] = {&web, &worker};
	struct supervise_result r;
	struct argv8 a, b;
	struct seen sn = {0};
	struct errbuf e;
	int rc, x;

	proc_sh(&web, &a, "web.1", "exec sleep 600", &sn);
	proc_sh(&worker, &b, "worker.1", "sleep 0.2; kill -SEGV $$", &sn);
	rc = sv_run(&sn, ps, 2, NULL, 0, &r, &e);
	x = find_ev(&sn, SV_EV_EXITED, "worker.1");
	TEST("crash: the worker's death by SIGSEGV is 139, first",
	    rc == 0 && x >= 0 && sn.ev[x].status == 128 + SIGSEGV &&
		sn.ev[x].first && r.first == 1 && worker.status == 139);
	TEST("crash: web was stopped with it",
	    web.status == 128 + SIGTERM && !group_alive(web.s.pid) &&
		count_ev(&sn, SV_EV_EXITED) == 2);
}

static void
test_exec_failure(void)
{
	struct supervise_proc p, q;
	struct supervise_proc *ps[] = {&p, &q};
	struct supervise_result r;
	struct argv8 a, b;
	struct seen sn = {0};
	struct errbuf e;
	int rc, x;

	proc_sh(&p, &a, "bad.1", NULL, &sn);
	a.v[0] = "/nonexistent/program";
	proc_sh(&q, &b, "web.1", "exec sleep 600", &sn);
	rc = sv_run(&sn, ps, 2, NULL, 0, &r, &e);
	x = find_ev(&sn, SV_EV_EXITED, "bad.1");
	TEST("exec failure: 127, first, with the error",
	    rc == 0 && x >= 0 && sn.ev[x].status == 127 && r.first == 0 &&
		!p.started &&
		strstr(p.err.msg, "/nonexistent/program") != NULL);
	TEST("exec failure: the processes after it are not started",
	    !q.started && q.status == -1 && count_ev(&sn, SV_EV_EXITED) == 2 &&
		count_ev(&sn, SV_EV_STARTED) == 0);
}

static void
test_several(void)
{
	static const char *const scripts[] = {
	    "echo a; exec sleep 600",
	    "echo b; exec sleep 600",
	    "echo c; sleep 0.3; echo c done",
	    "echo d; trap '' TERM; sleep 600 & wait; wait",
	    "echo e; sleep 600 & sleep 600 & wait",
	};
	struct supervise_proc p[5], *ps[5];
	struct supervise_result r;
	struct argv8 a[5];
	struct seen sn = {0};
	struct errbuf e;
	char name[5][16];
	int64_t t0 = monotime_ms(), took;
	int rc, i, x, nexit;
	bool gone = true;

	for (i = 0; i < 5; i++) {
		snprintf(name[i], sizeof name[i], "p%d.1", i);
		proc_sh(&p[i], &a[i], name[i], scripts[i], &sn);
		p[i].s.grace_ms = 500;
		ps[i] = &p[i];
	}
	rc = sv_run(&sn, ps, 5, NULL, 0, &r, &e);
	took = monotime_ms() - t0;
	x = find_ev(&sn, SV_EV_EXITED, "p2.1");
	TEST("several: five started",
	    rc == 0 && count_ev(&sn, SV_EV_STARTED) == 5);
	TEST("several: the one that ends first is first, with 0",
	    r.first == 2 && x >= 0 && sn.ev[x].first && p[2].status == 0);
	nexit = count_ev(&sn, SV_EV_EXITED);
	TEST("several: every one ended, each once", nexit == 5);
	TEST("several: stopped with SIGTERM",
	    p[0].status == 143 && p[1].status == 143 && p[4].status == 143);
	TEST("several: one ignoring SIGTERM is killed after its grace",
	    p[3].status == 128 + SIGKILL || p[3].status == 143);
	for (i = 0; i < 5; i++)
		gone = gone && !group_alive(p[i].s.pid);
	TEST("several: every process group is gone (children too)", gone);
	TEST("several: within the grace period", took < 3000);
	TEST("several: every line came",
	    strstr(sn.lines, "a\n") && strstr(sn.lines, "b\n") &&
		strstr(sn.lines, "c done\n") && strstr(sn.lines, "d\n") &&
		strstr(sn.lines, "e\n"));
	TEST("several: a stop after the first is reported as stopping",
	    sn.ev[find_ev(&sn, SV_EV_EXITED, "p0.1")].stopping);
}

static void
test_sigterm(void)
{
	struct supervise_proc p, q;
	struct supervise_proc *ps[] = {&p, &q};
	struct supervise_result r;
	struct argv8 a, b;
	struct seen sn = {0};
	struct errbuf e;
	char script[128];
	int rc, s;

	if (spawn_install_signal_handlers(&e) == -1) {
		TEST("signal handlers", 0);
		return;
	}
	/* The first process sends SIGTERM to us, its supervisor. */
	snprintf(script, sizeof script,
	    "sleep 0.3; kill -TERM %ld; exec "
	    "sleep 600",
	    (long)getpid());
	proc_sh(&p, &a, "web.1", script, &sn);
	proc_sh(&q, &b, "worker.1", "sleep 600 & sleep 600 & wait", &sn);
	rc = sv_run(&sn, ps, 2, NULL, 0, &r, &e);
	s = find_ev(&sn, SV_EV_SIGNAL, NULL);
	TEST("SIGTERM: reported once, in the result",
	    rc == 0 && s >= 0 && sn.ev[s].signo == SIGTERM &&
		count_ev(&sn, SV_EV_SIGNAL) == 1 && r.signo == SIGTERM);
	TEST("SIGTERM: every process was stopped, after the signal",
	    p.status == 143 && q.status == 143 &&
		find_ev(&sn, SV_EV_EXITED, NULL) > s &&
		sn.ev[find_ev(&sn, SV_EV_EXITED, NULL)].stopping);
	TEST("SIGTERM: their trees are gone",
	    !group_alive(p.s.pid) && !group_alive(q.s.pid));
	rc = sv_run(&sn, ps, 2, NULL, 0, &r, &e);
	TEST("SIGTERM: until reset, nothing more is started",
	    rc == 0 && r.signo == SIGTERM && !p.started && !q.started);
	spawn_interrupt_reset();
}

/* ---- services ------------------------------------------------------- */

/* A service: this binary listening after a delay, detached (its own
 * session, not our child's group), as an add-on's server is. */
struct listener {
	int port, delay;
	pid_t pid;
	int starts, readies;
};

static int
listener_start(void *arg, pid_t *pid, struct errbuf *e)
{
	struct listener *l = arg;
	char port[16], delay[16];
	pid_t c;

	l->starts++;
	snprintf(port, sizeof port, "%d", l->port);
	snprintf(delay, sizeof delay, "%d", l->delay);
	if ((c = fork()) == -1)
		return errf(e, "fork:");
	if (c == 0) {
		int fd = open("/dev/null", O_RDWR);

		setsid();
		dup2(fd, 0);
		dup2(fd, 1);
		execl(self, self, "--listen", port, delay, (char *)NULL);
		_exit(127);
	}
	*pid = l->pid = c;
	return 0;
}

static int
listener_ready(void *arg, struct errbuf *e)
{
	struct listener *l = arg;

	(void)e;
	l->readies++;
	return supervise_port_bound(l->port) ? 1 : 0;
}

static void
listener_end(struct listener *l)
{
	int ws;

	if (l->pid > 0) {
		kill(l->pid, SIGKILL);
		waitpid(l->pid, &ws, 0);
		l->pid = 0;
	}
}

static void
test_service(void)
{
	struct listener l = {free_port(), 300, 0, 0, 0};
	struct supervise_service svc = {0};
	struct supervise_service *ss[] = {&svc};
	struct supervise_proc p;
	struct supervise_proc *ps[] = {&p};
	struct supervise_result r;
	struct argv8 a;
	struct seen sn = {0};
	struct errbuf e;
	char port[16];
	int rc, ready, started;

	svc.name = "listener";
	svc.start = listener_start;
	svc.ready = listener_ready;
	svc.arg = &l;
	svc.poll_ms = 30;
	snprintf(port, sizeof port, "%d", l.port);
	proc_sh(&p, &a, "web.1", NULL, &sn);
	a.v[0] = self;
	a.v[1] = "--connect";
	a.v[2] = port;
	rc = sv_run(&sn, ps, 1, ss, 1, &r, &e);
	ready = find_ev(&sn, SV_EV_SERVICE_READY, "listener");
	started = find_ev(&sn, SV_EV_STARTED, "web.1");
	TEST("service: started once, asked until ready",
	    rc == 0 && l.starts == 1 && l.readies >= 2 && svc.is_ready &&
		svc.pid == l.pid);
	TEST("service: ready before the process started",
	    ready >= 0 && started > ready && sn.ev[ready].pid == l.pid);
	TEST("service: the process found it serving (exit 0)", p.status == 0);
	TEST("service: left running after the run",
	    alive(l.pid) && supervise_port_bound(l.port) && !svc.exited &&
		count_ev(&sn, SV_EV_SERVICE_EXITED) == 0);
	listener_end(&l);
}

/* A service that dies while the app runs is reported; the app goes on.
 * Services are started first (supervise_start_services), so that the
 * process can be told the service's pid, and not again by the run. */
static void
test_service_dies(void)
{
	struct listener l = {free_port(), 0, 0, 0, 0};
	struct supervise_opts o = {0};
	struct supervise_service svc = {0};
	struct supervise_proc p;
	struct supervise_result r;
	struct supervise *sv;
	struct argv8 a;
	struct seen sn = {0};
	struct errbuf e;
	char env[32];
	char *envp[] = {env, "PATH=/usr/bin:/bin", NULL};
	int rc = -1, x;

	o.on_event = on_event;
	o.arg = &sn;
	svc.name = "listener";
	svc.start = listener_start;
	svc.ready = listener_ready;
	svc.arg = &l;
	proc_sh(&p, &a, "web.1",
	    "sleep 0.2; kill -KILL \"$SVC\"; sleep 0.4; echo still here", &sn);
	if ((sv = supervise_new(&o, &e)) != NULL &&
	    supervise_add_service(sv, &svc, &e) == 0 &&
	    supervise_start_services(sv, &e) == 0) {
		snprintf(env, sizeof env, "SVC=%ld", (long)svc.pid);
		p.s.envp = envp;
		if (supervise_add(sv, &p, &e) == 0)
			rc = supervise_run(sv, &r, &e);
	}
	supervise_free(sv);
	x = find_ev(&sn, SV_EV_SERVICE_EXITED, "listener");
	TEST("service dies: started once, before the run",
	    rc == 0 && l.starts == 1 &&
		find_ev(&sn, SV_EV_SERVICE_READY, NULL) == 0);
	TEST("service dies: reported with its pid while the app runs",
	    x > find_ev(&sn, SV_EV_STARTED, "web.1") &&
		x < find_ev(&sn, SV_EV_EXITED, "web.1") &&
		sn.ev[x].pid == l.pid && svc.exited);
	TEST("service dies: the app goes on",
	    p.status == 0 && strstr(sn.lines, "still here") != NULL);
	listener_end(&l);
}

static void
test_service_never_ready(void)
{
	struct listener l = {free_port(), 5000, 0, 0, 0};
	struct supervise_service svc = {0};
	struct supervise_service *ss[] = {&svc};
	struct supervise_proc p;
	struct supervise_proc *ps[] = {&p};
	struct supervise_result r;
	struct argv8 a;
	struct seen sn = {0};
	struct errbuf e;
	int64_t t0 = monotime_ms(), took;
	int rc;

	svc.name = "slowpoke";
	svc.start = listener_start;
	svc.ready = listener_ready;
	svc.arg = &l;
	svc.timeout_ms = 300;
	proc_sh(&p, &a, "web.1", "exit 0", &sn);
	rc = sv_run(&sn, ps, 1, ss, 1, &r, &e);
	took = monotime_ms() - t0;
	TEST("service not ready: the run fails, naming it",
	    rc == -1 &&
		strstr(e.msg, "slowpoke: not ready within 300 ms") != NULL);
	TEST("service not ready: no process started, in its time",
	    !p.started && count_ev(&sn, SV_EV_STARTED) == 0 && took >= 300 &&
		took < 2000);
	listener_end(&l);
}

/* ---- a real Redis add-on -------------------------------------------- */

static struct appstate *redis_app;

static void
redis_cleanup(void)
{
	struct errbuf e;

	if (redis_app != NULL)
		addon_stop_all(redis_app, NULL, &e);
	appstate_close(redis_app);
	redis_app = NULL;
}

static void
test_redis_addon(void)
{
	struct supervise_opts o = {0};
	struct supervise_proc p;
	struct supervise_result r;
	struct addon_services *as = NULL;
	struct addon *ad = NULL;
	struct supervise *sv = NULL;
	struct argv8 a;
	struct seen sn = {0};
	struct errbuf e;
	char env[256], *url = NULL;
	char *envp[] = {env, "PATH=/usr/bin:/bin", NULL};
	size_t n = 0;
	int rc = -1, ready, started;

	if (access("/usr/bin/redis-server", X_OK) != 0) {
		TEST("redis-server installed (apt-get install redis-server)",
		    getenv("SLUGC_REQUIRE_ALL") == NULL);
		printf("# skip: redis-server is not installed\n");
		return;
	}
	setenv("XDG_STATE_HOME", at(tmpdir, "state"), 1);
	if (appstate_open("sv-app", true, &redis_app, &e) == -1 ||
	    addon_create(redis_app, "redistogo", NULL, "cache", NULL, NULL,
		&e) != ADDON_OK) {
		printf("# %s\n", e.msg);
		TEST("redis: an add-on made through the library", 0);
		return;
	}
	o.on_event = on_event;
	o.arg = &sn;
	proc_sh(&p, &a, "web.1", NULL, &sn);
	a.v[0] = self;
	a.v[1] = "--redis-ping";
	a.v[2] = NULL;
	/* As dyno_run does: the add-ons first, then the config vars. */
	if ((sv = supervise_new(&o, &e)) != NULL &&
	    addon_services_add(sv, redis_app, NULL, &as, &n, &e) == 0 &&
	    supervise_start_services(sv, &e) == 0 &&
	    appstate_config_get(redis_app, "REDIS_URL", &url, &e) == 0) {
		snprintf(env, sizeof env, "REDIS_URL=%s", url);
		p.s.envp = envp;
		if (supervise_add(sv, &p, &e) == 0)
			rc = supervise_run(sv, &r, &e);
	}
	if (rc != 0)
		printf("# %s\n", e.msg);
	ready = find_ev(&sn, SV_EV_SERVICE_READY, "cache");
	started = find_ev(&sn, SV_EV_STARTED, "web.1");
	TEST("redis: one service per add-on, named after it",
	    rc == 0 && n == 1 && ready >= 0 && sn.ev[ready].pid > 0);
	TEST("redis: ready before the app's process started", started > ready);
	TEST("redis: the process's authenticated PING answered",
	    p.status == 0 && strcmp(sn.lines, "PONG\n") == 0);
	TEST("redis: the server outlives the run",
	    addon_find(redis_app, "cache", &ad, &e) == ADDON_OK &&
		ad->pid == sn.ev[ready].pid && alive(ad->pid) &&
		count_ev(&sn, SV_EV_SERVICE_EXITED) == 0);
	TEST("redis: the password is in no event or line",
	    url != NULL && strstr(sn.lines, strrchr(url, ':')) == NULL);
	supervise_free(sv);
	addon_services_free(as);
	addon_free(ad);
	if (url != NULL) {
		explicit_bzero(url, strlen(url));
		free(url);
	}
	redis_cleanup();
}

/* ---- keep: the daemon's policy -------------------------------------- */

/* What a keep test's events do to the loop: quit after `quit_after`
 * STARTED events of `quit_name`, add `add` once `add_on` is bound, remove
 * `rm` once `add` is bound, quit once `rm` is handed back. */
struct keep {
	struct seen sn;
	struct supervise *sv;
	const char *quit_name;
	int quit_after, starts;
	struct supervise_proc *add, *rm;
	const char *add_on;
	bool rm_group_alive; /* at REMOVED: was rm's group still there */
	int watch_calls;
	short watch_revents;
	int wake_fd; /* written to once a line "ready" came */
};

static void
keep_event(void *arg, const struct supervise_event *ev)
{
	struct keep *k = arg;
	struct errbuf e;

	on_event(&k->sn, ev);
	if (ev->type == SV_EV_STARTED && k->quit_name != NULL &&
	    strcmp(ev->name, k->quit_name) == 0 && ++k->starts >= k->quit_after)
		supervise_quit(k->sv);
	if (ev->type == SV_EV_BOUND && k->add_on != NULL &&
	    strcmp(ev->name, k->add_on) == 0 && k->add != NULL) {
		k->add_on = NULL;
		if (supervise_add(k->sv, k->add, &e) == -1)
			supervise_quit(k->sv);
	} else if (ev->type == SV_EV_BOUND && k->add != NULL &&
	    strcmp(ev->name, k->add->name) == 0 && k->rm != NULL)
		supervise_remove(k->sv, k->rm);
	if (ev->type == SV_EV_REMOVED && k->rm != NULL &&
	    strcmp(ev->name, k->rm->name) == 0) {
		k->rm_group_alive = group_alive(k->rm->s.pid);
		supervise_quit(k->sv);
	}
}

static int
keep_run(struct keep *k, struct supervise_proc **procs, size_t n,
    struct supervise_result *r, struct errbuf *e)
{
	struct supervise_opts o = {.on_event = keep_event,
	    .arg = k,
	    .keep = true,
	    .restart_ms = 50};
	size_t i;
	int rc = -1;

	if ((k->sv = supervise_new(&o, e)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (supervise_add(k->sv, procs[i], e) == -1)
			goto out;
	rc = supervise_run(k->sv, r, e);
out:
	supervise_free(k->sv);
	k->sv = NULL;
	return rc;
}

static void
test_keep_restarts(void)
{
	struct supervise_proc crash, steady;
	struct supervise_proc *ps[] = {&crash, &steady};
	struct supervise_result r;
	struct argv8 a1, a2;
	struct keep k = {.quit_name = "worker.1", .quit_after = 4};
	struct errbuf e;
	int i, ex[3], n = 0, rc;

	proc_sh(&crash, &a1, "worker.1", "echo up; exit 3", &k.sn);
	proc_sh(&steady, &a2, "clock.1", "exec sleep 30", &k.sn);
	rc = keep_run(&k, ps, 2, &r, &e);
	for (i = 0; i < k.sn.n && n < 3; i++)
		if (k.sn.ev[i].type == SV_EV_EXITED &&
		    strcmp(k.sn.names[i], "worker.1") == 0)
			ex[n++] = i;
	TEST("keep: a crashed process is restarted, three times",
	    rc == 0 && n == 3 && crash.restarts == 3);
	TEST("keep: the restart delay doubles (50, 100, 200 ms)",
	    n == 3 && k.sn.ev[ex[0]].restart_ms == 50 &&
		k.sn.ev[ex[1]].restart_ms == 100 &&
		k.sn.ev[ex[2]].restart_ms == 200);
	TEST("keep: the restart waits its delay",
	    n == 3 && k.sn.at[ex[2]] - k.sn.at[ex[1]] >= 100);
	TEST("keep: STARTED counts the restarts",
	    k.sn.ev[find_ev(&k.sn, SV_EV_STARTED, "worker.1")].restarts == 0);
	TEST("keep: a crash does not stop the others",
	    count_ev(&k.sn, SV_EV_STARTED) == 5 &&
		find_ev(&k.sn, SV_EV_EXITED, "clock.1") > ex[2]);
	TEST("keep: quit stops what runs (SIGTERM)",
	    steady.status == 128 + SIGTERM && !group_alive(steady.s.pid));
}

static void
test_keep_add_remove(void)
{
	struct supervise_proc w1, w2;
	struct supervise_proc *ps[] = {&w1};
	struct supervise_result r;
	struct argv8 a1, a2;
	struct keep k = {.add = &w2, .rm = &w1, .add_on = "web.1"};
	struct errbuf e;
	int rc, rm, st2;

	proc_listen(&w1, &a1, "web.1", free_port(), 0, &k.sn);
	proc_listen(&w2, &a2, "web.2", free_port(), 0, &k.sn);
	rc = keep_run(&k, ps, 1, &r, &e);
	rm = find_ev(&k.sn, SV_EV_REMOVED, "web.1");
	st2 = find_ev(&k.sn, SV_EV_STARTED, "web.2");
	TEST("keep: a process added while running starts at once",
	    rc == 0 && st2 > find_ev(&k.sn, SV_EV_BOUND, "web.1") &&
		find_ev(&k.sn, SV_EV_BOUND, "web.2") > st2);
	TEST("keep: a removed process is stopped, then handed back",
	    rm > find_ev(&k.sn, SV_EV_EXITED, "web.1") &&
		k.sn.ev[rm].status == 128 + SIGTERM && !k.rm_group_alive);
	TEST("keep: a removed process is not restarted",
	    w1.restarts == 0 &&
		k.sn.ev[find_ev(&k.sn, SV_EV_EXITED, "web.1")].restart_ms == 0);
	TEST("keep: the one added runs until quit",
	    w2.status == 128 + SIGTERM && !group_alive(w2.s.pid));
}

static void
test_keep_boot_timeout(void)
{
	struct supervise_proc w;
	struct supervise_proc *ps[] = {&w};
	struct supervise_result r;
	struct argv8 a;
	struct keep k = {.quit_name = "web.1", .quit_after = 2};
	struct errbuf e;
	int rc, to;

	proc_listen(&w, &a, "web.1", free_port(), 60000, &k.sn);
	w.boot_timeout_ms = 200;
	rc = keep_run(&k, ps, 1, &r, &e);
	to = find_ev(&k.sn, SV_EV_BOOT_TIMEOUT, "web.1");
	TEST("keep: R10 stops that process, which is restarted",
	    rc == 0 && to >= 0 &&
		k.sn.ev[find_ev(&k.sn, SV_EV_EXITED, "web.1")].restart_ms ==
		    50 &&
		w.restarts == 1 && count_ev(&k.sn, SV_EV_STARTED) == 2);
}

static void
keep_watch_fn(void *arg, int fd, short revents)
{
	struct keep *k = arg;
	char c;

	k->watch_calls++;
	k->watch_revents = revents;
	if (read(fd, &c, 1) != 1)
		k->watch_calls += 100;
	supervise_unwatch(k->sv, fd);
	supervise_quit(k->sv);
}

static void
keep_ready_line(void *arg, int fd, const char *line, size_t len, bool complete)
{
	struct keep *k = arg;

	(void)fd;
	if (complete && len == 5 && memcmp(line, "ready", 5) == 0 &&
	    write(k->wake_fd, "x", 1) != 1)
		k->watch_calls += 1000;
}

/* A watched descriptor ends the run; a process that ignores SIGTERM is
 * killed after its grace. */
static void
test_keep_watch_grace(void)
{
	struct supervise_opts o = {.on_event = keep_event, .keep = true};
	struct supervise_proc p;
	struct supervise_result r;
	struct argv8 a;
	struct keep k = {0};
	struct errbuf e;
	int fds[2] = {-1, -1}, rc = -1;

	o.arg = &k;
	proc_sh(&p, &a, "web.1", "trap '' TERM; echo ready; sleep 30 & wait",
	    &k.sn);
	p.s.on_line = keep_ready_line;
	p.s.arg = &k;
	p.s.grace_ms = 300;
	if (pipe(fds) == 0 && (k.sv = supervise_new(&o, &e)) != NULL &&
	    supervise_add(k.sv, &p, &e) == 0 &&
	    supervise_watch(k.sv, fds[0], POLLIN, keep_watch_fn, &k, &e) == 0) {
		k.wake_fd = fds[1];
		rc = supervise_run(k.sv, &r, &e);
	}
	TEST("keep: a watched descriptor's callback runs in the loop",
	    rc == 0 && k.watch_calls == 1 && (k.watch_revents & POLLIN));
	TEST("keep: SIGTERM ignored: SIGKILL after the grace",
	    p.status == 128 + SIGKILL && r.ms_stop >= 300 &&
		!group_alive(p.s.pid));
	TEST("keep: added after quit is refused",
	    k.sv != NULL && supervise_add(k.sv, &p, &e) == -1);
	supervise_free(k.sv);
	if (fds[0] >= 0) {
		close(fds[0]);
		close(fds[1]);
	}
}

static void
cleanup(void)
{
	redis_cleanup();
	tmp_done();
}

int
main(int argc, char **argv)
{
	ssize_t n;

	if (argc == 4 && strcmp(argv[1], "--listen") == 0)
		return helper_listen(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "--connect") == 0)
		return helper_connect(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "--redis-ping") == 0)
		return helper_redis_ping();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0) {
		TEST("readlink /proc/self/exe", 0);
		return test_report();
	}
	self[n] = '\0';
	if (tmp_init("test_supervise") == -1)
		return 1;
	atexit(cleanup);
	test_binds_in_time();
	test_boot_timeout();
	test_exit0_before_bind();
	test_crash();
	test_exec_failure();
	test_several();
	test_service();
	test_service_dies();
	test_service_never_ready();
	test_redis_addon();
	test_sigterm();
	test_keep_restarts();
	test_keep_add_remove();
	test_keep_boot_timeout();
	test_keep_watch_grace();
	return test_report();
}
