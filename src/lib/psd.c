/* psd.c - an app's process supervisor daemon: formation, control socket,
 * release switches, all in one supervise loop. */
#include "psd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addon_supervise.h"
#include "applog.h"
#include "dynoenv.h"
#include "envv.h"
#include "formation.h"
#include "loopport.h"
#include "monotime.h"
#include "procfile.h"
#include "psctl.h"
#include "supervise.h"

#define REQUEST_MAX 512
#define CODE_USAGE 2
#define CODE_FAIL 4
#define CODE_BOOT 124

struct psd;

/* One process of the formation. */
struct pproc {
	struct psd *d;
	char name[FORMATION_TYPE_MAX + 16];
	char type[FORMATION_TYPE_MAX + 1];
	unsigned num;
	int port;
	struct psd_release *rel;
	struct envv env;
	const char **argv;
	struct supervise_proc sp;
	bool leaving; /* supervise_remove asked */
};

enum waitfor { W_BOUND, W_STOPPED };

/* A client (or ps:start's pipe) waiting for its reply. */
struct waiter {
	int fd;
	enum waitfor what;
};

/* A connection whose request line is not complete yet. */
struct client {
	struct psd *d;
	int fd;
	size_t len;
	char buf[REQUEST_MAX];
};

struct psd {
	const struct psd_opts *o;
	struct supervise *sv;
	struct applog log;
	struct formation form;
	char *form_path;
	struct psd_release *cur, *next;
	struct pproc **procs;
	size_t nprocs;
	struct waiter *waiters;
	size_t nwaiters;
	struct client **clients;
	size_t nclients;
	int lfd, dirfd;
	bool switching, stopping;
	int boot_code; /* nonzero: web failed while a waiter waits */
	char boot_err[1100];
	struct addon_services *addons;
	struct addon_opts ao;
	int grace_ms, boot_ms;
};

static void slog(struct psd *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
slog(struct psd *d, const char *fmt, ...)
{
	char buf[1024];
	struct errbuf e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	applog_write(&d->log, "slugc", buf, strlen(buf), &e);
}

/* ---- replies ------------------------------------------------------- */

/* Writes text to fd (a socket or a pipe) and closes it. */
static void
reply(int fd, const char *text)
{
	size_t len = strlen(text);
	ssize_t w;

	while (len > 0) {
		w = send(fd, text, len, MSG_NOSIGNAL);
		if (w == -1 && errno == ENOTSOCK)
			w = write(fd, text, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		text += w;
		len -= (size_t)w;
	}
	close(fd);
}

static void
reply_error(int fd, int code, const char *msg)
{
	char buf[1200];

	snprintf(buf, sizeof buf, "error %d: %s\n", code, msg);
	reply(fd, buf);
}

static int
wait_add(struct psd *d, int fd, enum waitfor what)
{
	struct waiter *nw;

	nw = realloc(d->waiters, (d->nwaiters + 1) * sizeof *nw);
	if (nw == NULL) {
		reply_error(fd, CODE_FAIL, "out of memory");
		return -1;
	}
	d->waiters = nw;
	nw[d->nwaiters++] = (struct waiter){fd, what};
	return 0;
}

/* Replies to the waiters for what: text, or the error when code. */
static void
wait_done(struct psd *d, enum waitfor what, int code, const char *text)
{
	size_t i, k = 0;

	for (i = 0; i < d->nwaiters; i++) {
		struct waiter w = d->waiters[i];

		if (w.what != what) {
			d->waiters[k++] = w;
			continue;
		}
		if (code != 0)
			reply_error(w.fd, code, text);
		else
			reply(w.fd, text);
	}
	d->nwaiters = k;
}

static bool
waiting(const struct psd *d, enum waitfor what)
{
	size_t i;

	for (i = 0; i < d->nwaiters; i++)
		if (d->waiters[i].what == what)
			return true;
	return false;
}

/* Those waiting for web: answered once every web process is bound, or
 * one failed to boot. */
static void
check_waiters(struct psd *d)
{
	size_t i;

	if (!waiting(d, W_BOUND) || d->switching)
		return;
	if (d->boot_code != 0) {
		wait_done(d, W_BOUND, d->boot_code, d->boot_err);
		d->boot_code = 0;
		return;
	}
	for (i = 0; i < d->nprocs; i++) {
		struct pproc *p = d->procs[i];

		if (!p->leaving && p->sp.port > 0 && !p->sp.bound)
			return;
	}
	wait_done(d, W_BOUND, 0, "ok\n");
}

static void
boot_failed(struct psd *d, const char *msg)
{
	if (!waiting(d, W_BOUND) || d->boot_code != 0)
		return;
	d->boot_code = CODE_BOOT;
	snprintf(d->boot_err, sizeof d->boot_err, "%s", msg);
}

/* ---- processes ----------------------------------------------------- */

static void
proc_free(struct pproc *p)
{
	if (p == NULL)
		return;
	envv_free(&p->env);
	free(p->argv);
	free(p);
}

/* supervise's on_line: the process's lines into the log. */
static void
proc_line(void *arg, int fd, const char *line, size_t len, bool complete)
{
	struct pproc *p = arg;
	struct errbuf e;

	(void)fd;
	(void)complete;
	applog_write(&p->d->log, p->name, line, len, &e);
}

/* Its environment and argv, for the release it runs. */
static int
proc_build(struct psd *d, struct pproc *p, const char *cmd, struct errbuf *e)
{
	const struct psd_release *rel = p->rel;
	struct dynoenv de = {.home = rel->home,
	    .dyno = p->name,
	    .port = p->port,
	    .release = rel->release,
	    .vars = rel->config,
	    .app_name = d->o->st->name,
	    .commit = rel->commit,
	    .created = rel->created};

	if (dynoenv_build(&p->env, &de, e) == -1 ||
	    (p->argv = dynoenv_argv(cmd, NULL, e)) == NULL)
		return -1;
	p->sp = (struct supervise_proc)SUPERVISE_PROC_INIT;
	p->sp.name = p->name;
	p->sp.s.argv = p->argv;
	p->sp.s.envp = envv_array(&p->env);
	p->sp.s.cwd = rel->home;
	p->sp.s.on_line = proc_line;
	p->sp.s.arg = p;
	p->sp.s.grace_ms = d->grace_ms;
	if (strcmp(p->type, "web") == 0) {
		p->sp.port = p->port;
		p->sp.boot_timeout_ms = d->boot_ms;
	}
	return 0;
}

static int
procs_push(struct psd *d, struct pproc *p, struct errbuf *e)
{
	struct pproc **nv;

	nv = realloc(d->procs, (d->nprocs + 1) * sizeof *nv);
	if (nv == NULL)
		return errf(e, "%s:", p->name);
	d->procs = nv;
	nv[d->nprocs++] = p;
	return 0;
}

/* Starts process type.num of the current release. */
static int
proc_add(struct psd *d, const char *type, unsigned num, struct errbuf *e)
{
	const char *cmd = procfile_get(d->cur->release->types, type);
	struct pproc *p;

	if (cmd == NULL)
		return errf(e, "no process type %s", type);
	if ((p = calloc(1, sizeof *p)) == NULL)
		return errf(e, "%s:", type);
	p->d = d;
	p->rel = d->cur;
	p->num = num;
	snprintf(p->type, sizeof p->type, "%s", type);
	snprintf(p->name, sizeof p->name, "%s.%u", type, num);
	p->port = d->o->port > 0 && strcmp(type, "web") == 0
	    ? d->o->port + (int)num - 1
	    : loopport_free(NULL);
	if (p->port <= 0) {
		errf(e, "%s: no free port", p->name);
		goto fail;
	}
	if (proc_build(d, p, cmd, e) == -1 || procs_push(d, p, e) == -1)
		goto fail;
	slog(d, "%s: Starting process with command `%s` (port %d, v%u)",
	    p->name, cmd, p->port, d->cur->version);
	if (supervise_add(d->sv, &p->sp, e) == -1) {
		d->nprocs--;
		goto fail;
	}
	return 0;
fail:
	proc_free(p);
	return -1;
}

/* The running processes of type, not leaving. */
static unsigned
count_type(const struct psd *d, const char *type, unsigned *maxnum)
{
	unsigned n = 0;
	size_t i;

	*maxnum = 0;
	for (i = 0; i < d->nprocs; i++)
		if (!d->procs[i]->leaving &&
		    strcmp(d->procs[i]->type, type) == 0) {
			n++;
			if (d->procs[i]->num > *maxnum)
				*maxnum = d->procs[i]->num;
		}
	return n;
}

static void
proc_leave(struct psd *d, struct pproc *p)
{
	p->leaving = true;
	slog(d, "%s: Stopping process with SIGTERM", p->name);
	supervise_remove(d->sv, &p->sp);
}

/* One type to its count in the formation: processes added or removed
 * (the highest numbers first). */
static int
apply_type(struct psd *d, const char *type, struct errbuf *e)
{
	unsigned want = formation_get(&d->form, type), maxnum, have;
	size_t i;

	have = count_type(d, type, &maxnum);
	while (have < want) {
		if (proc_add(d, type, ++maxnum, e) == -1)
			return -1;
		have++;
	}
	while (have > want) {
		for (i = 0; i < d->nprocs; i++) {
			struct pproc *p = d->procs[i];

			if (!p->leaving && strcmp(p->type, type) == 0 &&
			    p->num == maxnum) {
				proc_leave(d, p);
				have--;
			}
		}
		count_type(d, type, &maxnum);
	}
	return 0;
}

/* The formation of the current release, as it stands. */
static int
apply_formation(struct psd *d, struct errbuf *e)
{
	const struct procfile *t = d->cur->release->types;
	size_t i;

	for (i = 0; i < t->ntypes; i++)
		if (apply_type(d, t->types[i].name, e) == -1)
			return -1;
	return 0;
}

/* The old processes are gone: the next release's start. */
static void
switch_finish(struct psd *d)
{
	struct errbuf e;

	if (d->cur != d->next)
		d->o->unload(d->o->arg, d->cur);
	d->cur = d->next;
	d->next = NULL;
	d->switching = false;
	slog(d, "Running v%u", d->cur->version);
	if (apply_formation(d, &e) == -1) {
		slog(d, "%s", e.msg);
		boot_failed(d, e.msg);
	}
	check_waiters(d);
}

/* A process handed back by the loop. */
static void
proc_removed(struct psd *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nprocs; i++)
		if (d->procs[i]->name == name) /* the event names p's own */
			break;
	if (i == d->nprocs)
		return;
	proc_free(d->procs[i]);
	memmove(d->procs + i, d->procs + i + 1,
	    (d->nprocs - i - 1) * sizeof *d->procs);
	d->nprocs--;
	if (d->switching && d->nprocs == 0 && !d->stopping)
		switch_finish(d);
}

/* ---- the loop's events --------------------------------------------- */

static struct pproc *
proc_named(struct psd *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nprocs; i++)
		if (d->procs[i]->name == name)
			return d->procs[i];
	return NULL;
}

static void
on_exited(struct psd *d, const struct supervise_event *ev)
{
	struct pproc *p = proc_named(d, ev->name);
	char msg[300];

	if (ev->restart_ms == 0) {
		slog(d, "%s: Process exited with status %d", ev->name,
		    ev->status);
		return;
	}
	slog(d,
	    "%s: Process exited with status %d; State changed to crashed, "
	    "restarting in %.1f s",
	    ev->name, ev->status, ev->restart_ms / 1000.0);
	if (ev->error != NULL)
		slog(d, "%s: %s", ev->name, ev->error);
	if (p != NULL && p->sp.port > 0 && !p->sp.bound &&
	    !p->sp.boot_timeout) {
		snprintf(msg, sizeof msg,
		    "%s exited with status %d before binding $PORT", ev->name,
		    ev->status);
		boot_failed(d, msg);
	}
}

static void
on_event(void *arg, const struct supervise_event *ev)
{
	struct psd *d = arg;
	char msg[300];

	switch (ev->type) {
	case SV_EV_STARTED:
		if (ev->restarts > 0)
			slog(d, "%s: Restarted (pid %ld, restart %u)", ev->name,
			    (long)ev->pid, ev->restarts);
		break;
	case SV_EV_BOUND:
		slog(d, "%s: State changed from starting to up (port %d)",
		    ev->name, ev->port);
		break;
	case SV_EV_BOOT_TIMEOUT:
		snprintf(msg, sizeof msg,
		    "Error R10 (Boot timeout) -> Web process failed to bind "
		    "to $PORT within %.0f seconds of launch",
		    ev->ms / 1000.0);
		slog(d, "%s: %s", ev->name, msg);
		boot_failed(d, msg);
		break;
	case SV_EV_EXITED:
		on_exited(d, ev);
		break;
	case SV_EV_REMOVED:
		proc_removed(d, ev->name);
		break;
	case SV_EV_SIGNAL:
		slog(d, "Received signal %d: stopping all processes",
		    ev->signo);
		d->stopping = true;
		break;
	case SV_EV_SERVICE_READY:
		slog(d, "add-on %s: ready (pid %ld)", ev->name, (long)ev->pid);
		break;
	case SV_EV_SERVICE_EXITED:
		slog(d, "add-on %s: exited (pid %ld)", ev->name, (long)ev->pid);
		break;
	default:
		break;
	}
	check_waiters(d);
}

/* ---- requests ------------------------------------------------------ */

static const char *
state_name(const struct supervise_proc *sp)
{
	switch (supervise_state_of(sp)) {
	case SV_UP:
		return "up";
	case SV_STARTING:
		return "starting";
	case SV_CRASHED:
		return "crashed";
	default:
		return "down";
	}
}

static void
do_status(struct psd *d, int fd)
{
	const struct procfile *t = d->cur->release->types;
	int64_t now = monotime_ms();
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		reply_error(fd, CODE_FAIL, "out of memory");
		return;
	}
	fprintf(f, "ok\nrelease %u\npid %ld\nstate %s\n", d->cur->version,
	    (long)getpid(),
	    d->stopping	       ? "stopping"
		: d->switching ? "switching"
			       : "running");
	for (i = 0; i < t->ntypes; i++)
		fprintf(f, "type %s %u %s\n", t->types[i].name,
		    formation_get(&d->form, t->types[i].name),
		    t->types[i].command);
	for (i = 0; i < d->nprocs; i++) {
		const struct pproc *p = d->procs[i];

		fprintf(f, "proc %s %s %d %ld %lld %u\n", p->name,
		    state_name(&p->sp), p->port, (long)p->sp.s.pid,
		    (long long)(now - p->sp.started_at) / 1000, p->sp.restarts);
	}
	if (fclose(f) != 0)
		reply_error(fd, CODE_FAIL, "out of memory");
	else
		reply(fd, buf);
	free(buf);
}

/* `release N`, `restart`: N loaded, the old processes stopped, then N's
 * started; the reply once its web is bound. */
static void
do_release(struct psd *d, int fd, unsigned version)
{
	struct psd_release *rel = NULL;
	struct errbuf e;
	size_t i;

	if (d->o->load(d->o->arg, version, &rel, &e) == -1) {
		slog(d, "Release v%u not started: %s", version, e.msg);
		reply_error(fd, CODE_FAIL, e.msg);
		return;
	}
	slog(d, "Restarting on v%u: stopping all processes", rel->version);
	if (d->next != NULL)
		d->o->unload(d->o->arg, d->next);
	d->next = rel;
	d->switching = true;
	d->boot_code = 0;
	if (wait_add(d, fd, W_BOUND) == -1)
		return;
	for (i = 0; i < d->nprocs; i++)
		if (!d->procs[i]->leaving)
			proc_leave(d, d->procs[i]);
	if (d->nprocs == 0)
		switch_finish(d);
}

/* `scale web=2 worker=1`: the formation changed, saved and applied. */
static void
do_scale(struct psd *d, int fd, const char *spec)
{
	const struct psd_release *rel = d->next != NULL ? d->next : d->cur;
	struct formation f = {0};
	struct errbuf e;
	char text[512];
	size_t i;

	if (formation_parse(spec, &f, &e) == -1)
		goto usage;
	for (i = 0; i < f.n; i++)
		if (procfile_get(rel->release->types, f.v[i].type) == NULL) {
			errf(&e, "Couldn't find that process type (%s).",
			    f.v[i].type);
			goto usage;
		}
	for (i = 0; i < f.n; i++)
		if (formation_set(&d->form, f.v[i].type, f.v[i].count, &e) ==
		    -1)
			goto fail;
	if (formation_write(d->form_path, &d->form, &e) == -1)
		goto fail;
	formation_format(&f, text, sizeof text);
	slog(d, "Scaled to %s", text);
	formation_free(&f);
	d->boot_code = 0;
	if (wait_add(d, fd, W_BOUND) == -1)
		return;
	if (!d->switching && apply_formation(d, &e) == -1)
		boot_failed(d, e.msg);
	check_waiters(d);
	return;
usage:
	formation_free(&f);
	reply_error(fd, CODE_USAGE, e.msg);
	return;
fail:
	formation_free(&f);
	reply_error(fd, CODE_FAIL, e.msg);
}

static void
do_request(struct psd *d, int fd, char *line)
{
	unsigned long v;
	char *end;

	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "status") == 0)
		do_status(d, fd);
	else if (d->stopping)
		reply_error(fd, CODE_FAIL, "the app is stopping");
	else if (strcmp(line, "stop") == 0) {
		if (wait_add(d, fd, W_STOPPED) == 0) {
			slog(d, "Stopping all processes with SIGTERM");
			d->stopping = true;
			supervise_quit(d->sv);
		}
	} else if (strcmp(line, "restart") == 0)
		do_release(d, fd, 0); /* the current one, whatever runs */
	else if (strncmp(line, "release ", 8) == 0) {
		errno = 0;
		v = strtoul(line + 8, &end, 10);
		if (errno != 0 || end == line + 8 || *end != '\0' ||
		    line[8] == '-' || v > 1000000000UL)
			reply_error(fd, CODE_USAGE, "release: want a number");
		else
			do_release(d, fd, (unsigned)v);
	} else if (strncmp(line, "scale ", 6) == 0)
		do_scale(d, fd, line + 6);
	else
		reply_error(fd, CODE_USAGE, "unknown request");
}

static void
client_drop(struct psd *d, struct client *c)
{
	size_t i;

	supervise_unwatch(d->sv, c->fd);
	for (i = 0; i < d->nclients; i++)
		if (d->clients[i] == c) {
			d->clients[i] = d->clients[--d->nclients];
			break;
		}
	free(c);
}

/* A client's bytes: its request once the line (or the stream) ends. */
static void
on_client(void *arg, int fd, short revents)
{
	struct client *c = arg;
	struct psd *d = c->d;
	char line[REQUEST_MAX];
	size_t len;
	ssize_t r;

	(void)revents;
	r = read(fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
	if (r == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r > 0)
		c->len += (size_t)r;
	c->buf[c->len] = '\0';
	if (r > 0 && memchr(c->buf, '\n', c->len) == NULL &&
	    c->len < sizeof c->buf - 1)
		return;
	memcpy(line, c->buf, c->len + 1);
	len = c->len;
	client_drop(d, c);
	if (r == -1 || len == 0)
		close(fd);
	else if (memchr(line, '\n', len) == NULL && r > 0)
		reply_error(fd, CODE_USAGE, "request too long");
	else
		do_request(d, fd, line);
}

/* New connections: each watched until its line is in. */
static void
on_accept(void *arg, int lfd, short revents)
{
	struct psd *d = arg;
	struct client *c, **nv;
	struct errbuf e;
	int fd;

	(void)revents;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	    0) {
		nv = realloc(d->clients, (d->nclients + 1) * sizeof *nv);
		if (nv != NULL)
			d->clients = nv;
		if (nv == NULL || (c = calloc(1, sizeof *c)) == NULL) {
			close(fd);
			continue;
		}
		c->d = d;
		c->fd = fd;
		d->clients[d->nclients++] = c;
		if (supervise_watch(d->sv, fd, POLLIN, on_client, c, &e) ==
		    -1) {
			client_drop(d, c);
			close(fd);
		}
	}
}

/* APP/ps.sock, a stale one replaced (the caller holds the ps lock). */
static int
sock_listen(struct psd *d, struct errbuf *e)
{
	struct sockaddr_un addr;
	int len;

	d->dirfd = open(d->o->st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dirfd == -1)
		return errf(e, "open %s:", d->o->st->dir);
	if ((len = psctl_addr(d->dirfd, PSCTL_SOCKET, &addr, e)) == -1)
		return -1;
	if (unlinkat(d->dirfd, PSCTL_SOCKET, 0) == -1 && errno != ENOENT)
		return errf(e, "remove %s/%s:", d->o->st->dir, PSCTL_SOCKET);
	d->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->lfd == -1)
		return errf(e, "socket:");
	if (bind(d->lfd, (struct sockaddr *)&addr, (socklen_t)len) == -1 ||
	    listen(d->lfd, 16) == -1)
		return errf(e, "%s/%s:", d->o->st->dir, PSCTL_SOCKET);
	return supervise_watch(d->sv, d->lfd, POLLIN, on_accept, d, e);
}

static void
addon_event(void *arg, enum addon_event ev, const struct addon *a,
    const char *detail)
{
	struct psd *d = arg;

	if (ev == ADDON_EV_STARTED || ev == ADDON_EV_PORT_CHANGED ||
	    ev == ADDON_EV_STALE_PID)
		slog(d, "add-on %s: %s", a->name, detail != NULL ? detail : "");
}

static void
addon_warn(void *arg, const char *msg)
{
	slog(arg, "warning: %s", msg);
}

/* The log, the current release, the add-ons, the formation, the socket:
 * everything before the loop. */
static int
setup(struct psd *d, struct errbuf *e)
{
	struct supervise_opts so = {.on_event = on_event,
	    .arg = d,
	    .keep = true,
	    .restart_ms = d->o->restart_ms};
	size_t n;
	char *path;
	int rc;

	if ((path = appstate_path(d->o->st, PSD_LOG, e)) == NULL)
		return -1;
	rc = applog_open(&d->log, path, d->o->log_max, e);
	free(path);
	if (rc == -1)
		return -1;
	slog(d, "Starting the supervisor (pid %ld)", (long)getpid());
	if ((d->form_path = appstate_path(d->o->st, FORMATION_FILE, e)) ==
		NULL ||
	    formation_read(d->form_path, &d->form, e) == -1 ||
	    (d->sv = supervise_new(&so, e)) == NULL)
		return -1;
	/* The add-ons first: the release's config names their ports. */
	d->ao.on_event = addon_event;
	d->ao.warn = addon_warn;
	d->ao.arg = d;
	if (addon_services_add(d->sv, d->o->st, &d->ao, &d->addons, &n, e) ==
		-1 ||
	    (n > 0 && supervise_start_services(d->sv, e) != 0) ||
	    d->o->load(d->o->arg, 0, &d->cur, e) == -1)
		return -1;
	if (sock_listen(d, e) == -1)
		return -1;
	slog(d, "Running v%u", d->cur->version);
	return apply_formation(d, e);
}

static void
teardown(struct psd *d)
{
	size_t i;

	for (i = 0; i < d->nclients; i++) {
		close(d->clients[i]->fd);
		free(d->clients[i]);
	}
	free(d->clients);
	if (d->lfd >= 0) {
		unlinkat(d->dirfd, PSCTL_SOCKET, 0);
		close(d->lfd);
	}
	if (d->dirfd >= 0)
		close(d->dirfd);
	supervise_free(d->sv);
	for (i = 0; i < d->nprocs; i++)
		proc_free(d->procs[i]);
	free(d->procs);
	if (d->next != NULL && d->next != d->cur)
		d->o->unload(d->o->arg, d->next);
	if (d->cur != NULL)
		d->o->unload(d->o->arg, d->cur);
	addon_services_free(d->addons);
	formation_free(&d->form);
	free(d->form_path);
	if (d->log.path != NULL)
		slog(d, "Stopped");
	applog_close(&d->log);
	/* Last: the socket is gone by the time stop's client hears. */
	wait_done(d, W_STOPPED, 0, "ok\n");
	wait_done(d, W_BOUND, CODE_FAIL, "stopped");
	free(d->waiters);
}

int
psd_run(const struct psd_opts *o, struct errbuf *e)
{
	struct psd d = {.o = o, .lfd = -1, .dirfd = -1};
	struct supervise_result r;
	int rc = -1;

	d.log.fd = -1;
	d.grace_ms = o->grace_ms > 0 ? o->grace_ms : PSD_GRACE_MS;
	d.boot_ms =
	    o->boot_timeout_ms > 0 ? o->boot_timeout_ms : PSD_BOOT_TIMEOUT_MS;
	if (setup(&d, e) == -1) {
		if (d.log.path != NULL)
			slog(&d, "%s", e->msg);
		if (o->ready_fd > 0)
			reply_error(o->ready_fd, CODE_FAIL, e->msg);
		goto out;
	}
	if (o->ready_fd > 0 && wait_add(&d, o->ready_fd, W_BOUND) == 0)
		check_waiters(&d);
	rc = supervise_run(d.sv, &r, e);
	if (rc == -1)
		slog(&d, "%s", e->msg);
out:
	teardown(&d);
	return rc;
}
