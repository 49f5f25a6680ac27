/* supervise.c - one poll loop over a run's processes and services. */
#include "supervise.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monotime.h"

#define PROBE_WAIT_MS 200 /* a connect still in progress after this fails */
#define SERVICE_POLL_MS 50

/* The on_bound task: its own thread, its result read after join. */
struct task {
	supervise_task_fn *fn;
	void *arg;
	int port;
	int status;
	int wfd; /* written once fn returned */
	pthread_t th;
	bool running;
	int pipe[2];
};

/* A descriptor of the caller's (supervise_watch); fd -1 once unwatched. */
struct watch {
	int fd;
	short events;
	supervise_fd_fn *fn;
	void *arg;
	long idx; /* in pfd, or -1 */
};

struct supervise {
	struct supervise_opts o;
	struct watch *watches;
	size_t nwatches;
	bool running; /* supervise_run's loop has begun */
	struct supervise_proc **procs;
	size_t nprocs, ndone;
	struct supervise_service **svcs;
	size_t nsvcs, nsvcs_started;
	struct supervise_result r;
	bool stopping;
	int64_t stop_at;
	struct task task;
	struct pollfd *pfd;
	size_t pfd_cap;
	long sig_idx, task_idx;
};

static void
emit(struct supervise *sv, struct supervise_event *ev)
{
	if (sv->o.on_event != NULL)
		sv->o.on_event(sv->o.arg, ev);
}

struct supervise *
supervise_new(const struct supervise_opts *o, struct errbuf *e)
{
	struct supervise *sv;

	if ((sv = calloc(1, sizeof *sv)) == NULL) {
		errf(e, "supervise:");
		return NULL;
	}
	if (o != NULL)
		sv->o = *o;
	if (sv->o.probe_ms <= 0)
		sv->o.probe_ms = SUPERVISE_PROBE_MS;
	if (sv->o.restart_ms <= 0)
		sv->o.restart_ms = SUPERVISE_RESTART_MS;
	sv->task.pipe[0] = sv->task.pipe[1] = -1;
	sv->r.first = sv->r.boot_timeout = -1;
	return sv;
}

void
supervise_free(struct supervise *sv)
{
	size_t i;

	if (sv == NULL)
		return;
	for (i = 0; i < sv->nsvcs; i++)
		if (sv->svcs[i]->pidfd_ >= 0) {
			close(sv->svcs[i]->pidfd_);
			sv->svcs[i]->pidfd_ = -1;
		}
	free(sv->procs);
	free(sv->watches);
	free(sv->svcs);
	free(sv->pfd);
	free(sv);
}

/* Appends x to the array *v of *n. */
static int
push(void ***v, size_t *n, void *x, struct errbuf *e)
{
	void **nv;

	if ((nv = realloc(*v, (*n + 1) * sizeof *nv)) == NULL)
		return errf(e, "supervise:");
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

static void proc_spawn(struct supervise *sv, size_t i);

int
supervise_add(struct supervise *sv, struct supervise_proc *p, struct errbuf *e)
{
	p->started = p->bound = p->boot_timeout = p->done_ = false;
	p->crashed = p->polled_ = p->remove_ = false;
	p->restarts = p->crashes_ = 0;
	p->status = -1;
	p->ms_bound = 0;
	p->err.msg[0] = '\0';
	p->probe_fd_ = -1;
	p->probe_at_ = p->probe_until_ = p->restart_at_ = p->started_at = 0;
	p->pfd_n_ = 0;
	p->probe_idx_ = -1;
	if (sv->o.keep && sv->stopping)
		return errf(e, "%s: not started: stopping", p->name);
	if (push((void ***)&sv->procs, &sv->nprocs, p, e) == -1)
		return -1;
	if (sv->o.keep && sv->running)
		proc_spawn(sv, sv->nprocs - 1);
	return 0;
}

int
supervise_watch(struct supervise *sv, int fd, short events, supervise_fd_fn *fn,
    void *arg, struct errbuf *e)
{
	struct watch *nw;

	nw = realloc(sv->watches, (sv->nwatches + 1) * sizeof *nw);
	if (nw == NULL)
		return errf(e, "supervise:");
	sv->watches = nw;
	nw[sv->nwatches++] = (struct watch){fd, events, fn, arg, -1};
	return 0;
}

void
supervise_unwatch(struct supervise *sv, int fd)
{
	size_t i;

	/* Only marked: the loop may be walking the array. */
	for (i = 0; i < sv->nwatches; i++)
		if (sv->watches[i].fd == fd)
			sv->watches[i].fd = -1;
}

enum supervise_state
supervise_state_of(const struct supervise_proc *p)
{
	if (p->crashed)
		return SV_CRASHED;
	if (!p->started || p->done_)
		return SV_DOWN;
	return p->port > 0 && !p->bound ? SV_STARTING : SV_UP;
}

int
supervise_add_service(struct supervise *sv, struct supervise_service *svc,
    struct errbuf *e)
{
	if (svc->start == NULL)
		return errf(e, "%s: a service needs a start function",
		    svc->name);
	svc->pid = 0;
	svc->is_ready = svc->exited = false;
	svc->pidfd_ = -1;
	return push((void ***)&sv->svcs, &sv->nsvcs, svc, e);
}

/* ---- port probes -------------------------------------------------- */

static int
probe_socket(int port, int *fd)
{
	struct sockaddr_in sa = {0};

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd == -1)
		return -1;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(*fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		return 1;
	return errno == EINPROGRESS ? 0 : -1;
}

/* Whether the connect in progress on fd has succeeded. */
static bool
probe_connected(int fd)
{
	socklen_t len;
	int err = -1;

	len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return false;
	return err == 0;
}

bool
supervise_port_bound(int port)
{
	struct pollfd pfd;
	bool ok = false;
	int fd, r;

	r = probe_socket(port, &fd);
	if (r == 0) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		ok = poll(&pfd, 1, PROBE_WAIT_MS) == 1 && probe_connected(fd);
	}
	if (fd >= 0)
		close(fd);
	return r == 1 || ok;
}

static void
probe_close(struct supervise *sv, struct supervise_proc *p, int64_t now)
{
	if (p->probe_fd_ >= 0)
		close(p->probe_fd_);
	p->probe_fd_ = -1;
	p->probe_at_ = now + sv->o.probe_ms;
}

static void task_start(struct supervise *sv, struct supervise_proc *p);

static void
proc_bound(struct supervise *sv, size_t i, int64_t now)
{
	struct supervise_event ev = {.type = SV_EV_BOUND};
	struct supervise_proc *p = sv->procs[i];

	p->bound = true;
	p->ms_bound = (double)(now - p->started_at_);
	ev.name = p->name;
	ev.index = i;
	ev.pid = p->s.pid;
	ev.port = p->port;
	ev.ms = p->ms_bound;
	emit(sv, &ev);
	if (p->on_bound != NULL && !sv->stopping)
		task_start(sv, p);
}

/* Starts a probe when one is due; at once when the kernel answers at
 * once, as it mostly does on loopback. */
static void
probe_tick(struct supervise *sv, size_t i, int64_t now)
{
	struct supervise_proc *p = sv->procs[i];
	int r;

	if (p->probe_fd_ >= 0) {
		if (now >= p->probe_until_)
			probe_close(sv, p, now);
		return;
	}
	if (now < p->probe_at_)
		return;
	r = probe_socket(p->port, &p->probe_fd_);
	if (r == 0) {
		p->probe_until_ = now + PROBE_WAIT_MS;
		return;
	}
	probe_close(sv, p, now);
	if (r == 1)
		proc_bound(sv, i, now);
}

/* ---- stopping ------------------------------------------------------ */

static void
stop_all(struct supervise *sv)
{
	size_t i;

	if (sv->stopping)
		return;
	sv->stopping = true;
	sv->stop_at = monotime_ms();
	for (i = 0; i < sv->nprocs; i++) {
		struct supervise_proc *p = sv->procs[i];

		if (p->probe_fd_ >= 0) {
			close(p->probe_fd_);
			p->probe_fd_ = -1;
		}
		if (p->crashed) {
			/* Waiting to be restarted: it stays down. */
			p->crashed = false;
			p->done_ = true;
			sv->ndone++;
		} else if (p->started && !p->done_)
			spawn_terminate(&p->s);
	}
}

void
supervise_quit(struct supervise *sv)
{
	stop_all(sv);
}

void
supervise_remove(struct supervise *sv, struct supervise_proc *p)
{
	if (p->remove_)
		return;
	p->remove_ = true;
	if (p->probe_fd_ >= 0) {
		close(p->probe_fd_);
		p->probe_fd_ = -1;
	}
	if (p->crashed || !p->started) {
		p->crashed = false;
		if (!p->done_) {
			p->done_ = true;
			sv->ndone++;
		}
	} else if (!p->done_)
		spawn_terminate(&p->s);
}

static void
on_signal(struct supervise *sv, int signo)
{
	struct supervise_event ev = {.type = SV_EV_SIGNAL};

	if (signo == 0 || sv->r.signo != 0)
		return;
	sv->r.signo = signo;
	ev.signo = signo;
	emit(sv, &ev);
	stop_all(sv);
}

/* ---- the on_bound task --------------------------------------------- */

static void *
task_main(void *arg)
{
	struct task *t = arg;
	char c = 0;
	ssize_t n;

	t->status = t->fn(t->arg, t->port);
	do
		n = write(t->wfd, &c, 1);
	while (n < 0 && errno == EINTR);
	return NULL;
}

/* Runs p's on_bound on a thread; when that cannot be, inline (the loop
 * then waits for it, as it would for a slow answer). */
static void
task_start(struct supervise *sv, struct supervise_proc *p)
{
	struct task *t = &sv->task;
	sigset_t all, old;

	if (t->running || sv->r.task_done)
		return;
	t->fn = p->on_bound;
	t->arg = p->on_bound_arg;
	t->port = p->port;
	if (pipe2(t->pipe, O_CLOEXEC) == 0) {
		t->wfd = t->pipe[1];
		/* Our signals stay with the loop's thread. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		t->running = pthread_create(&t->th, NULL, task_main, t) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (t->running)
			return;
		close(t->pipe[0]);
		close(t->pipe[1]);
		t->pipe[0] = t->pipe[1] = -1;
	}
	t->status = t->fn(t->arg, t->port);
	t->running = true;
	t->th = pthread_self();
}

/* The task returned (its byte came, or it ran inline): collects it. */
static void
task_done(struct supervise *sv)
{
	struct supervise_event ev = {.type = SV_EV_TASK_DONE};
	struct task *t = &sv->task;

	if (!pthread_equal(t->th, pthread_self()))
		pthread_join(t->th, NULL);
	t->running = false;
	if (t->pipe[0] >= 0) {
		close(t->pipe[0]);
		close(t->pipe[1]);
		t->pipe[0] = t->pipe[1] = -1;
	}
	sv->r.task_done = true;
	sv->r.task_status = t->status;
	ev.status = t->status;
	emit(sv, &ev);
	if (t->status != 0)
		stop_all(sv);
}

/* ---- processes ------------------------------------------------------ */

/* The status of a process spawn could not start or watch (st -1), else
 * st. */
static int
status_of(const struct supervise_proc *p, int st)
{
	if (st >= 0)
		return st;
	return p->s.status > 0 ? p->s.status : 1;
}

/* keep: p ended by itself, and is restarted after a delay that doubles
 * with each crash in a row; one that had run a while starts afresh. */
static int
proc_crashed(struct supervise *sv, struct supervise_proc *p)
{
	int64_t now = monotime_ms(), delay;

	if (p->started_at > 0 && now - p->started_at >= SUPERVISE_STABLE_MS)
		p->crashes_ = 0;
	delay = (int64_t)sv->o.restart_ms
	    << (p->crashes_ < 16 ? p->crashes_ : 16);
	if (delay > SUPERVISE_RESTART_MAX_MS)
		delay = SUPERVISE_RESTART_MAX_MS;
	p->crashes_++;
	p->crashed = true;
	p->restart_at_ = now + delay;
	return (int)delay;
}

/* p has ended (or never started): its status, the event, and the others
 * stopped if it is the first (keep: p restarted later instead). */
static void
proc_ended(struct supervise *sv, size_t i, int status)
{
	struct supervise_proc *p = sv->procs[i];
	struct supervise_event ev = {.type = SV_EV_EXITED};

	p->status = status;
	p->polled_ = false;
	if (sv->o.keep && !sv->stopping && !p->remove_)
		ev.restart_ms = proc_crashed(sv, p);
	else {
		p->done_ = true;
		sv->ndone++;
	}
	if (p->probe_fd_ >= 0) {
		close(p->probe_fd_);
		p->probe_fd_ = -1;
	}
	ev.name = p->name;
	ev.index = i;
	ev.pid = p->s.pid;
	ev.status = status;
	ev.first = sv->r.first < 0;
	ev.stopping = sv->stopping;
	ev.error = p->err.msg[0] != '\0' ? p->err.msg : NULL;
	if (ev.first)
		sv->r.first = (long)i;
	emit(sv, &ev);
	/* One ended: the others go with it (keep: it alone). */
	if (!sv->o.keep)
		stop_all(sv);
}

/* Starts process i (again, after a crash, with keep). */
static void
proc_spawn(struct supervise *sv, size_t i)
{
	struct supervise_event ev = {.type = SV_EV_STARTED};
	struct supervise_proc *p = sv->procs[i];

	p->started_at_ = p->probe_at_ = monotime_ms();
	p->crashed = p->polled_ = p->bound = p->boot_timeout = false;
	p->ms_bound = 0;
	p->err.msg[0] = '\0';
	if (sv->stopping) {
		/* One before it could not start: it never runs. */
		errf(&p->err, "%s: not started: the run is stopping", p->name);
		proc_ended(sv, i, -1);
		return;
	}
	p->s.status = p->s.signo = p->s.interrupted = 0;
	p->s.timed_out = p->s.stopped = false;
	if (spawn_start(&p->s, &p->err) == -1) {
		proc_ended(sv, i, status_of(p, -1));
		return;
	}
	p->started = true;
	p->started_at = p->started_at_;
	ev.name = p->name;
	ev.index = i;
	ev.pid = p->s.pid;
	ev.restarts = p->restarts;
	emit(sv, &ev);
}

static void
procs_start(struct supervise *sv)
{
	size_t i;

	for (i = 0; i < sv->nprocs; i++)
		proc_spawn(sv, i);
}

/* keep: a crashed process whose delay is over starts again. */
static void
proc_restart_due(struct supervise *sv, size_t i, int64_t now)
{
	struct supervise_proc *p = sv->procs[i];

	if (p->crashed && now >= p->restart_at_) {
		p->restarts++;
		proc_spawn(sv, i);
	}
}

/* Probes and boot timeouts that are due. */
static void
procs_tick(struct supervise *sv, int64_t now)
{
	struct supervise_event ev = {.type = SV_EV_BOOT_TIMEOUT};
	size_t i;

	for (i = 0; i < sv->nprocs && !sv->stopping; i++) {
		struct supervise_proc *p = sv->procs[i];

		proc_restart_due(sv, i, now);
		if (!p->started || p->done_ || p->crashed || p->bound ||
		    p->port <= 0 || p->boot_timeout)
			continue;
		probe_tick(sv, i, now);
		if (p->bound || p->boot_timeout_ms <= 0 ||
		    now - p->started_at_ <= p->boot_timeout_ms)
			continue;
		p->boot_timeout = true;
		sv->r.boot_timeout = (long)i;
		ev.name = p->name;
		ev.index = i;
		ev.pid = p->s.pid;
		ev.ms = p->boot_timeout_ms;
		emit(sv, &ev);
		if (sv->o.keep) {
			/* R10 stops that dyno alone; it is restarted. */
			if (p->probe_fd_ >= 0) {
				close(p->probe_fd_);
				p->probe_fd_ = -1;
			}
			spawn_terminate(&p->s);
		} else
			stop_all(sv);
	}
}

/* ---- the loop ------------------------------------------------------- */

static int
pfd_add(struct supervise *sv, size_t *n, int fd, short events, struct errbuf *e)
{
	struct pollfd *np;
	size_t cap;

	if (*n + SPAWN_POLLFDS >= sv->pfd_cap) {
		cap = sv->pfd_cap > 0 ? 2 * sv->pfd_cap : 16;
		if ((np = realloc(sv->pfd, cap * sizeof *np)) == NULL)
			return errf(e, "supervise:");
		sv->pfd = np;
		sv->pfd_cap = cap;
	}
	if (fd >= 0)
		sv->pfd[(*n)++] = (struct pollfd){fd, events, 0};
	return 0;
}

/* Lowers *tmo (ms, -1 none) to what is left until at. */
static void
until(int *tmo, int64_t at, int64_t now)
{
	int64_t ms = at > now ? at - now : 0;

	if (ms > INT32_MAX)
		ms = INT32_MAX;
	if (*tmo < 0 || ms < *tmo)
		*tmo = (int)ms;
}

/* One process's poll entries and timers. */
static int
collect_proc(struct supervise *sv, struct supervise_proc *p, size_t *n,
    int *tmo, int64_t now, struct errbuf *e)
{
	p->pfd_n_ = 0;
	p->probe_idx_ = -1;
	if (p->crashed && !sv->stopping)
		until(tmo, p->restart_at_, now);
	if (!p->started || p->done_ || p->crashed)
		return 0;
	if (pfd_add(sv, n, -1, 0, e) == -1) /* room for the spawn's */
		return -1;
	p->polled_ = true;
	p->pfd_at_ = *n;
	p->pfd_n_ = spawn_pollfds(&p->s, sv->pfd + *n, SPAWN_POLLFDS, tmo);
	*n += p->pfd_n_;
	if (sv->stopping || p->port <= 0 || p->bound)
		return 0;
	if (p->probe_fd_ >= 0) {
		p->probe_idx_ = (long)*n;
		if (pfd_add(sv, n, p->probe_fd_, POLLOUT, e) == -1)
			return -1;
		until(tmo, p->probe_until_, now);
	} else
		until(tmo, p->probe_at_, now);
	if (p->boot_timeout_ms > 0)
		until(tmo, p->started_at_ + p->boot_timeout_ms + 1, now);
	return 0;
}

/* The caller's descriptors, the unwatched ones dropped first. */
static int
collect_watches(struct supervise *sv, size_t *n, struct errbuf *e)
{
	size_t i, k = 0;

	for (i = 0; i < sv->nwatches; i++)
		if (sv->watches[i].fd >= 0)
			sv->watches[k++] = sv->watches[i];
	sv->nwatches = k;
	for (i = 0; i < sv->nwatches; i++) {
		sv->watches[i].idx = (long)*n;
		if (pfd_add(sv, n, sv->watches[i].fd, sv->watches[i].events,
			e) == -1)
			return -1;
	}
	return 0;
}

/* Everything to poll for, into sv->pfd; *tmo when to look again anyway. */
static int
collect(struct supervise *sv, size_t *n, int *tmo, int64_t now,
    struct errbuf *e)
{
	size_t i;

	*n = 0;
	*tmo = -1;
	sv->sig_idx = sv->task_idx = -1;
	for (i = 0; i < sv->nprocs; i++)
		if (collect_proc(sv, sv->procs[i], n, tmo, now, e) == -1)
			return -1;
	for (i = 0; i < sv->nsvcs; i++) {
		sv->svcs[i]->pfd_at_ = *n;
		if (pfd_add(sv, n, sv->svcs[i]->pidfd_, POLLIN, e) == -1)
			return -1;
	}
	if (!sv->stopping && spawn_interrupt_fd() >= 0) {
		sv->sig_idx = (long)*n;
		if (pfd_add(sv, n, spawn_interrupt_fd(), POLLIN, e) == -1)
			return -1;
	}
	if (sv->task.running) {
		sv->task_idx = (long)*n;
		if (pfd_add(sv, n, sv->task.pipe[0], POLLIN, e) == -1)
			return -1;
	}
	return collect_watches(sv, n, e);
}

static void
service_exited(struct supervise *sv, struct supervise_service *svc)
{
	struct supervise_event ev = {.type = SV_EV_SERVICE_EXITED};

	close(svc->pidfd_);
	svc->pidfd_ = -1;
	svc->exited = true;
	ev.name = svc->name;
	ev.pid = svc->pid;
	emit(sv, &ev);
}

/* Acts on what poll said. */
static void
dispatch(struct supervise *sv, int64_t now)
{
	struct pollfd *pfd = sv->pfd;
	size_t i;
	int r;

	if (sv->sig_idx >= 0 && pfd[sv->sig_idx].revents != 0)
		on_signal(sv, spawn_interrupt_check());
	for (i = 0; i < sv->nprocs; i++) {
		struct supervise_proc *p = sv->procs[i];

		/* Not polled this round: (re)started or ended since. */
		if (!p->polled_ || !p->started || p->done_ || p->crashed)
			continue;
		if (p->probe_idx_ >= 0 && p->probe_fd_ >= 0 &&
		    pfd[p->probe_idx_].revents != 0) {
			bool ok = probe_connected(p->probe_fd_);

			probe_close(sv, p, now);
			if (ok)
				proc_bound(sv, i, now);
		}
		r = spawn_step(&p->s, pfd + p->pfd_at_, p->pfd_n_, &p->err);
		if (r != 0)
			proc_ended(sv, i,
			    status_of(p, spawn_finish(&p->s, &p->err)));
	}
	for (i = 0; i < sv->nsvcs; i++) {
		struct supervise_service *svc = sv->svcs[i];

		if (svc->pidfd_ >= 0 && pfd[svc->pfd_at_].revents != 0)
			service_exited(sv, svc);
	}
	if (sv->task_idx >= 0 && pfd[sv->task_idx].revents != 0)
		task_done(sv);
	for (i = 0; i < sv->nwatches; i++) {
		/* A copy: fn may watch more, moving the array. */
		struct watch w = sv->watches[i];

		if (w.fd >= 0 && w.idx >= 0 && pfd[w.idx].revents != 0)
			w.fn(w.arg, w.fd, pfd[w.idx].revents);
	}
}

/* keep: processes supervise_remove asked for that have ended leave the
 * loop, and go back to the caller. */
static void
reap_removed(struct supervise *sv)
{
	struct supervise_event ev = {.type = SV_EV_REMOVED};
	size_t i = 0, k;

	while (i < sv->nprocs) {
		struct supervise_proc *p = sv->procs[i];

		if (!p->remove_ || !p->done_) {
			i++;
			continue;
		}
		for (k = i; k + 1 < sv->nprocs; k++)
			sv->procs[k] = sv->procs[k + 1];
		sv->nprocs--;
		sv->ndone--;
		ev.name = p->name;
		ev.pid = p->s.pid;
		ev.status = p->status;
		emit(sv, &ev); /* p may be freed now */
	}
}

/* Whether the loop is over: every process has ended (keep: and we were
 * told to stop), and the task returned. */
static bool
finished(struct supervise *sv)
{
	if (sv->task.running || sv->ndone != sv->nprocs)
		return false;
	return !sv->o.keep || sv->stopping;
}

/* Kills what runs, after a failure of the loop itself. */
static void
kill_all(struct supervise *sv)
{
	size_t i;

	sv->stopping = true; /* nothing is restarted */
	for (i = 0; i < sv->nprocs; i++) {
		struct supervise_proc *p = sv->procs[i];
		struct errbuf ignored;

		if (p->started && !p->done_ && !p->crashed) {
			killpg(p->s.pid, SIGKILL);
			proc_ended(sv, i,
			    status_of(p, spawn_finish(&p->s, &ignored)));
		}
	}
	if (sv->task.running)
		task_done(sv);
}

static int
loop(struct supervise *sv, struct errbuf *e)
{
	int64_t now;
	size_t n;
	int tmo;

	for (;;) {
		now = monotime_ms();
		/* A task that ran inline (no thread) is done already. */
		if (sv->task.running && sv->task.pipe[0] < 0)
			task_done(sv);
		procs_tick(sv, now);
		reap_removed(sv);
		if (finished(sv))
			return 0;
		if (collect(sv, &n, &tmo, now, e) == -1)
			return -1;
		if (poll(sv->pfd, (nfds_t)n, tmo) < 0) {
			if (errno == EINTR)
				continue;
			return errf(e, "supervise: poll:");
		}
		dispatch(sv, monotime_ms());
	}
}

int
supervise_run(struct supervise *sv, struct supervise_result *r,
    struct errbuf *e)
{
	int rc;

	/* A signal that came before the loop: nothing is started. */
	if ((rc = supervise_start_services(sv, e)) != 0 ||
	    spawn_interrupted() != 0) {
		on_signal(sv, spawn_interrupted());
		*r = sv->r;
		return rc == -1 ? -1 : 0;
	}
	sv->running = true;
	procs_start(sv);
	rc = loop(sv, e);
	sv->running = false;
	if (rc == -1)
		kill_all(sv);
	if (sv->stopping)
		sv->r.ms_stop = (double)(monotime_ms() - sv->stop_at);
	*r = sv->r;
	return rc;
}

/* ---- services ------------------------------------------------------- */

/* Waits for the signal pipe or the service's death for ms: 1 when a
 * signal came, -1 when the service died, else 0. */
static int
service_pause(struct supervise *sv, struct supervise_service *svc, int ms)
{
	struct pollfd pfd[2];
	nfds_t n = 0;
	int sfd = spawn_interrupt_fd();

	if (sfd >= 0)
		pfd[n++] = (struct pollfd){sfd, POLLIN, 0};
	if (svc->pidfd_ >= 0)
		pfd[n++] = (struct pollfd){svc->pidfd_, POLLIN, 0};
	if (poll(pfd, n, ms) <= 0)
		return 0;
	if (sfd >= 0 && pfd[0].revents != 0 && spawn_interrupt_check() != 0) {
		on_signal(sv, spawn_interrupted());
		return 1;
	}
	return svc->pidfd_ >= 0 && pfd[n - 1].revents != 0 ? -1 : 0;
}

/* Asks svc whether it is ready until it is, or its time is up. */
static int
service_wait(struct supervise *sv, struct supervise_service *svc,
    struct errbuf *e)
{
	int tmo = svc->timeout_ms > 0 ? svc->timeout_ms
				      : SUPERVISE_SERVICE_TIMEOUT_MS;
	int every = svc->poll_ms > 0 ? svc->poll_ms : SERVICE_POLL_MS, r;
	int64_t end = monotime_ms() + tmo;

	if (svc->ready == NULL)
		return 0;
	for (;;) {
		if ((r = svc->ready(svc->arg, e)) != 0)
			return r == 1 ? 0 : -1;
		if (monotime_ms() >= end)
			return errf(e, "%s: not ready within %d ms", svc->name,
			    tmo);
		if ((r = service_pause(sv, svc, every)) == 1)
			return 1;
		if (r == -1)
			return errf(e, "%s: exited before it was ready",
			    svc->name);
	}
}

int
supervise_start_services(struct supervise *sv, struct errbuf *e)
{
	struct supervise_event ev = {.type = SV_EV_SERVICE_READY};
	int rc;

	for (; sv->nsvcs_started < sv->nsvcs; sv->nsvcs_started++) {
		struct supervise_service *svc = sv->svcs[sv->nsvcs_started];

		if (spawn_interrupted() != 0) {
			on_signal(sv, spawn_interrupted());
			return 1;
		}
		if (svc->start(svc->arg, &svc->pid, e) == -1)
			return -1;
		/* Not our child: a pidfd still tells when it dies. */
		if (svc->pid > 0)
			svc->pidfd_ = (int)syscall(SYS_pidfd_open, svc->pid, 0);
		if ((rc = service_wait(sv, svc, e)) != 0)
			return rc;
		svc->is_ready = true;
		ev.name = svc->name;
		ev.pid = svc->pid;
		emit(sv, &ev);
	}
	return 0;
}
