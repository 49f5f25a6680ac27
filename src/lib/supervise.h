/* supervise.h - one poll loop over every process of a run, and the
 * services they need.
 *
 * `slugc run`, `start` and `smoke` start an app's processes (web, workers,
 * a one-off command) and watch them together: their output, their exits,
 * web binding $PORT within the boot timeout (Heroku's R10), our own
 * SIGINT/SIGTERM, and a task to run once web is bound (smoke's request).
 * All of it is one poll(2) loop in the calling thread, over each child's
 * pidfd and output pipes (spawn_pollfds), the signal self-pipe
 * (spawn_interrupt_fd) and the port probes' sockets; timers (boot
 * timeouts, probe intervals, grace periods) are poll's timeout.  No thread
 * per process; the only other thread is the on_bound task's, which shares
 * nothing with the loop but its argument and hands its result back through
 * a pipe, read after pthread_join.
 *
 * Policy, as foreman and a dyno manager have it: when one process ends,
 * every other is stopped (SIGTERM to its process group, SIGKILL after its
 * spawn grace period); so are all on SIGINT/SIGTERM, on a boot timeout, and
 * when the on_bound task asks.  supervise_run returns once every process
 * has ended and the task has returned.
 *
 * Services (add-ons) start before the processes and outlive them: each is
 * started and then asked whether it is ready until it is, and is never
 * stopped here.  While the processes run, a service that dies is reported.
 *
 * A daemon (`slugc ps:start`) asks for the other policy, opts.keep: the
 * processes run until told to stop.  One that ends by itself (or misses
 * its boot timeout, which stops it alone) is restarted after a backoff, as
 * a dyno manager restarts a crashed dyno; processes are added (started at
 * once) and removed (stopped, then handed back) while the loop runs; the
 * caller's own descriptors (a control socket, its clients) are watched in
 * the same loop (supervise_watch); and supervise_run returns only after
 * supervise_quit or SIGINT/SIGTERM, once every process has ended.
 *
 * Nothing here prints: events go to on_event, in the loop's thread, as they
 * happen; figures are in the structs after supervise_run. */
#ifndef SLUGC_SUPERVISE_H
#define SLUGC_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "spawn.h"

#define SUPERVISE_PROBE_MS 50		   /* between two port probes */
#define SUPERVISE_SERVICE_TIMEOUT_MS 10000 /* a service's readiness */
#define SUPERVISE_RESTART_MS 1000	   /* keep: first restart's delay */
#define SUPERVISE_RESTART_MAX_MS 60000	   /* keep: the longest delay */
#define SUPERVISE_STABLE_MS 60000 /* keep: up this long, the backoff resets */

enum supervise_ev {
	SV_EV_SERVICE_READY,  /* a service started and is ready (pid) */
	SV_EV_STARTED,	      /* a process was started (pid) */
	SV_EV_BOUND,	      /* its port accepts connections (port, ms) */
	SV_EV_BOOT_TIMEOUT,   /* it did not bind in time (ms): all stop */
	SV_EV_EXITED,	      /* a process ended (status, first, ...) */
	SV_EV_TASK_DONE,      /* the on_bound task returned (status) */
	SV_EV_SIGNAL,	      /* SIGINT or SIGTERM came (signo): all stop */
	SV_EV_SERVICE_EXITED, /* a service's process died while we ran */
	SV_EV_REMOVED	      /* keep: a process supervise_remove asked for
				 has ended and left the loop; free it now */
};

struct supervise_event {
	enum supervise_ev type;
	const char *name; /* the process's or service's */
	size_t index;	  /* the process's, in the order added */
	pid_t pid;
	int status;	   /* EXITED: 0..255 or 128+N; TASK_DONE: its return */
	int signo;	   /* SIGNAL */
	int port;	   /* BOUND */
	double ms;	   /* BOUND: since its start; BOOT_TIMEOUT: limit */
	bool first;	   /* EXITED: the first process to end */
	bool stopping;	   /* EXITED: we had asked everything to stop */
	const char *error; /* EXITED: why spawn failed, or NULL */
	int restart_ms;	   /* EXITED, keep: restarted after this, or 0 */
	unsigned restarts; /* STARTED: how many times it was restarted */
};

typedef void supervise_event_fn(void *arg, const struct supervise_event *ev);

/* Runs on a thread of its own once the process has bound its port (port
 * given), while the loop goes on.  Its return value comes back in
 * SV_EV_TASK_DONE; nonzero stops every process. */
typedef int supervise_task_fn(void *arg, int port);

/* One process.  The caller owns it and prepares s (argv, envp, cwd,
 * on_line, grace_ms; see spawn.h; s.timeout_ms is honoured too); it must
 * stay valid and unmoved from supervise_add until supervise_run returns. */
struct supervise_proc {
	/* In. */
	const char *name; /* "web.1" */
	struct spawn s;
	/* > 0: bound once 127.0.0.1:port accepts a connection; with
	 * boot_timeout_ms > 0, not bound by then is a boot timeout. */
	int port;
	int boot_timeout_ms;
	supervise_task_fn *on_bound; /* NULL, or run once bound */
	void *on_bound_arg;

	/* Out, after supervise_run.  status: 0..255 or 128+N; 127/126 when
	 * exec failed, 1 for other failures to start; -1 when it was not
	 * started because the run was stopping (one before it could not
	 * start).  err: why it could not be started or watched, or "". */
	bool started; /* its child was started */
	int status;
	bool bound;	   /* its port was seen bound */
	double ms_bound;   /* start to bound */
	bool boot_timeout; /* not bound within boot_timeout_ms */
	struct errbuf err;
	/* keep: it ended by itself and waits to be restarted; how many times
	 * it was; when its child last started (monotime_ms). */
	bool crashed;
	unsigned restarts;
	int64_t started_at;

	/* Private. */
	bool done_, polled_, remove_;
	unsigned crashes_;
	int64_t restart_at_;
	int64_t started_at_, probe_at_, probe_until_;
	int probe_fd_;
	size_t pfd_at_, pfd_n_;
	long probe_idx_;
};

#define SUPERVISE_PROC_INIT                                                    \
	{                                                                      \
		.name = NULL, .s = SPAWN_INIT                                  \
	}

/* Starts the service, or finds it running: 0 with *pid the process to
 * watch (0: none), or -1 with e filled.  May take a moment (it runs before
 * any process, in the order added). */
typedef int supervise_start_fn(void *arg, pid_t *pid, struct errbuf *e);

/* Whether the started service serves yet: 1 ready, 0 not yet (asked again
 * after poll_ms), -1 failed (e filled). */
typedef int supervise_ready_fn(void *arg, struct errbuf *e);

/* A service: something the processes need that starts before them and
 * outlives them, as an add-on (a Redis server) outlives the dynos of a
 * managed platform.  The caller owns it, as a process.
 *
 * To add one: fill name, start (and ready when starting is not the same as
 * serving), and call supervise_add_service before supervise_run (or
 * supervise_start_services, to read what the services set up, such as
 * config vars, before preparing the processes' environment).  It is never
 * stopped here; stop it yourself if it must not outlive the run. */
struct supervise_service {
	/* In. */
	const char *name;
	supervise_start_fn *start;
	supervise_ready_fn *ready; /* NULL: ready once started */
	void *arg;		   /* for start and ready */
	int timeout_ms;		   /* 0: SUPERVISE_SERVICE_TIMEOUT_MS */
	int poll_ms;		   /* between ready's tries; 0: 50 */

	/* Out. */
	pid_t pid;     /* what start gave */
	bool is_ready; /* it was ready */
	bool exited;   /* its process died while we ran */

	/* Private. */
	int pidfd_;
	size_t pfd_at_;
};

struct supervise_opts {
	supervise_event_fn *on_event; /* may be NULL */
	void *arg;
	int probe_ms; /* 0: SUPERVISE_PROBE_MS */
	/* The daemon's policy (top of this file); restart_ms is the first
	 * restart's delay, doubled at each crash in a row up to
	 * SUPERVISE_RESTART_MAX_MS (0: SUPERVISE_RESTART_MS). */
	bool keep;
	int restart_ms;
};

/* What a run came to. */
struct supervise_result {
	long first;	   /* index of the first process to end, or -1 */
	int signo;	   /* SIGINT/SIGTERM that stopped the run, or 0 */
	long boot_timeout; /* index of the process that timed out, or -1 */
	bool task_done;	   /* the on_bound task ran */
	int task_status;   /* and returned this */
	double ms_stop;	   /* from the first stop to all gone, or 0 */
};

struct supervise;

/* A new supervisor (free with supervise_free), or NULL with e filled.
 * o may be NULL. */
struct supervise *supervise_new(const struct supervise_opts *o,
    struct errbuf *e);

/* Frees sv; its processes and services stay the caller's.  NULL is fine. */
void supervise_free(struct supervise *sv);

/* Adds a process or a service, to start at supervise_run (services at
 * supervise_start_services).  keep: a process added while supervise_run
 * runs is started at once (SV_EV_STARTED, or SV_EV_EXITED when it could
 * not be: then it is restarted as after a crash).  Returns 0, or -1 with
 * e filled (keep: also after supervise_quit). */
int supervise_add(struct supervise *sv, struct supervise_proc *p,
    struct errbuf *e);
int supervise_add_service(struct supervise *sv, struct supervise_service *svc,
    struct errbuf *e);

/* Starts every service not started yet, in order, and waits until each is
 * ready (SV_EV_SERVICE_READY), watching for SIGINT/SIGTERM meanwhile.
 * Returns 0 when all are ready; 1 when a signal came (SV_EV_SIGNAL, and
 * supervise_result's signo); -1 with e filled when one could not be started
 * or was not ready in time (e names it).  Services started before a
 * failure keep running. */
int supervise_start_services(struct supervise *sv, struct errbuf *e);

/* Starts the services (as supervise_start_services) then every process,
 * and supervises them until all have ended, as described at the top.
 * Returns 0: the outcome is in *r and in each process's out fields (after a
 * signal before the start, r->signo is set and no process was started).
 * Returns -1 with e filled when a service failed (no process was started)
 * or the loop itself failed (every process is then killed). */
int supervise_run(struct supervise *sv, struct supervise_result *r,
    struct errbuf *e);

/* keep: the process's state for `ps`: SV_UP (running; bound when it has
 * a port), SV_STARTING (running, port not bound yet), SV_CRASHED (waiting
 * to be restarted), SV_DOWN (ended, or not started). */
enum supervise_state { SV_DOWN, SV_STARTING, SV_UP, SV_CRASHED };
enum supervise_state supervise_state_of(const struct supervise_proc *p);

/* keep: stops p (SIGTERM to its group, SIGKILL after its grace) or cancels
 * its restart.  Once it has ended it leaves the loop and SV_EV_REMOVED
 * hands it back (from within supervise_run).  Nothing when p is being
 * removed already. */
void supervise_remove(struct supervise *sv, struct supervise_proc *p);

/* keep: stops every process, and supervise_run returns once they have
 * ended, as on SIGTERM.  Processes added after this are refused. */
void supervise_quit(struct supervise *sv);

/* Called by the loop when poll reports revents on fd. */
typedef void supervise_fd_fn(void *arg, int fd, short revents);

/* Watches fd for events in the loop, calling fn (in the loop's thread;
 * fn may add, remove, watch and unwatch).  supervise_unwatch stops it
 * (before the caller closes fd).  Returns 0 or -1 with e filled. */
int supervise_watch(struct supervise *sv, int fd, short events,
    supervise_fd_fn *fn, void *arg, struct errbuf *e);
void supervise_unwatch(struct supervise *sv, int fd);

/* true if something accepts connections on 127.0.0.1:port now: the way a
 * router sees that a process has bound $PORT (0.0.0.0 or 127.0.0.1).  At
 * most 200 ms. */
bool supervise_port_bound(int port);

#endif
