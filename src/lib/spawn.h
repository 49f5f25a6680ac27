/* spawn.h - run a child process (after git's run-command).
 *
 * spawn_run runs a child to completion.  It is spawn_start, which forks and
 * execs, then spawn_finish, which waits.  A caller watching several children
 * at once in one poll loop (supervise.h) drives each between the two with
 * spawn_pollfds, spawn_step and spawn_terminate instead.
 *
 * The child gets an argv (never a shell string), its own process group (so a
 * timeout or a Ctrl-C can end the whole tree), stdin from /dev/null, and no
 * file descriptors beyond 0, 1 and 2 (and keep_fd).  Its stdout and stderr
 * are either inherited or read through pipes and handed to a callback line
 * by line as they arrive.
 *
 * The child does not outlive us: it gets SIGTERM when we die, even by
 * SIGKILL (PR_SET_PDEATHSIG).  The kernel sends it when the *thread* that
 * forked exits; spawn_run waits for the child in the thread that started
 * it, so that only happens when the whole process dies (a caller of
 * spawn_start must keep its thread alive until spawn_finish too).  Only the child
 * gets it, not its own children: a child that runs others with spawn
 * (compile running xbuild) stops its group on that SIGTERM, as on a
 * Ctrl-C; for the rest, see keep_fd. */
#ifndef SLUGC_SPAWN_H
#define SLUGC_SPAWN_H

#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "stopflag.h"

/* Longest piece of a line handed to on_line at once; longer lines come in
 * several pieces, so memory stays bounded whatever the child writes. */
#define SPAWN_LINE_MAX (64 * 1024)
#define SPAWN_GRACE_MS 3000

/* Receives the child's output on stream fd (1 or 2), without the '\n'.
 * complete is true when a '\n' ended the line; false for a piece of a line
 * that continues in the next call for the same fd (a line longer than
 * line_max, or text up to a '\r' so progress lines show at once), and for an
 * unterminated last line at EOF.  Lines of one stream arrive in order; the
 * two streams are independent.  line is only valid during the call. */
typedef void spawn_line_fn(void *arg, int fd, const char *line, size_t len,
    bool complete);

struct spawn {
	/* In. */
	const char *const *argv; /* argv[0] without '/' is searched in the
	                             PATH of envp (or of environ) */
	char *const *envp;	 /* NULL: inherit environ */
	const char *cwd;	 /* NULL: inherit */
	spawn_line_fn *on_line;	 /* NULL: the child inherits stdout/stderr */
	void *arg;		 /* passed to on_line */
	bool inherit_stdin;	 /* false: stdin is /dev/null */
	int timeout_ms;		 /* 0: none; then TERM the group, KILL later */
	int grace_ms;		 /* TERM to KILL; 0 means SPAWN_GRACE_MS */
	size_t line_max;	 /* 0 means SPAWN_LINE_MAX */
	int keep_fd;		 /* > 2: stays open in the child, at the same
	                             number (a lock the child's whole tree must
	                             hold, so that it is held until the last
	                             of them is gone); 0: none */

	/* Out, filled by spawn_start and spawn_finish (spawn_run). */
	pid_t pid;	 /* the child, also its process group id */
	int status;	 /* same as spawn_run's result; 127/126 when
	                             exec failed, -1 when fork etc. failed */
	int signo;	 /* signal that killed the child, or 0 */
	bool timed_out;	 /* timeout_ms expired */
	int interrupted; /* SIGINT/SIGTERM we received, or 0 */
	bool stopped;	 /* spawn_stop asked */

	/* Private: the started child, from spawn_start to spawn_finish. */
	struct spawn_child *child_;

	/* Private: spawn_stop's request, and the eventfd (+1, so that 0 is
	 * none) it writes to while a run is in progress.  Aligned apart from
	 * the plain fields, so that no load the compiler widens over those
	 * touches what another thread writes. */
	_Alignas(8) atomic_bool stop_;
	atomic_int wake_;
	atomic_int wakers_; /* spawn_stop calls using wake_ now */
};

#define SPAWN_INIT                                                             \
	{                                                                      \
		.argv = NULL                                                   \
	}

/* Runs the child to completion and returns its exit status: 0..255, or
 * 128+N when it died of signal N (s->signo = N).  Returns -1 with e filled
 * when it could not be started ("exec xbuild: No such file or directory";
 * s->status is then 127 when the program was not found and 126 when it could
 * not be run, else -1), or when spawn_install_signal_handlers' signal came
 * before the start (s->interrupted set).
 *
 * On timeout, on spawn_stop, or when SIGINT/SIGTERM reaches us (after
 * spawn_install_signal_handlers), the child's whole process group gets
 * SIGTERM, then SIGKILL once grace_ms have passed if any member is left;
 * spawn_run then returns the child's status with s->timed_out,
 * s->stopped or s->interrupted set, so the caller can clean up and exit
 * 130/143.
 *
 * A member "is left" while it runs: once the leader has been reaped,
 * spawn_run returns as soon as every remaining member of the group is a
 * zombie (read from /proc), not when init gets round to reaping them,
 * which may take seconds or never happen.  We do not make this process a
 * child subreaper (PR_SET_CHILD_SUBREAPER) to reap them ourselves: that is
 * process-wide, so every orphan of every descendant (daemons a build
 * leaves, anything that escapes the group with setsid) would become our
 * child, and reaping those safely would need a waitpid(-1)-style reaper
 * that cannot tell them from children other code (another thread's
 * spawn_run, a caller's fork) is waiting for.  Zombies are dead and hold
 * nothing but their pid; whoever is init reaps them.
 *
 * When the child exits, the output it wrote is read and delivered, and
 * spawn_run returns even if a grandchild it left behind still holds the
 * pipes.  Normal exits do not touch the rest of the group. */
int spawn_run(struct spawn *s, struct errbuf *e);

/* The first half of spawn_run: checks as spawn_run does, then starts the
 * child (s->pid set) and returns 0; or returns -1 with e filled, s->status
 * and s->interrupted/s->stopped as spawn_run gives them.  After 0, call
 * spawn_finish exactly once, whatever happens in between.  s must stay
 * valid and unmoved until then, and its on_line is called from
 * spawn_finish and spawn_step only. */
int spawn_start(struct spawn *s, struct errbuf *e);

/* The second half: waits for the child started by spawn_start as spawn_run
 * does (timeout, spawn_stop, SIGINT/SIGTERM, output delivered) and returns
 * its status, or -1 with e filled; then releases what spawn_start took.
 * Returns at once when spawn_step has said the child is done. */
int spawn_finish(struct spawn *s, struct errbuf *e);

/* For a caller's own poll loop, between spawn_start and spawn_finish.
 * spawn_pollfds puts the child's poll entries (its output pipes and its
 * pidfd: at most SPAWN_POLLFDS) in pfd[0..n) and returns how many; *tmo
 * (ms, -1 for none) is lowered to when spawn_step must run again even
 * without an event (a timeout, a grace period, or a recheck every few ms
 * where the kernel gives nothing to poll).  After poll, spawn_step gets the
 * same entries back with their revents: it hands out output, reaps the
 * child when it exited, stops it on timeout_ms and kills its group when the
 * grace period is over.  It returns 1 once the child is done (then call
 * spawn_finish for its status), 0 while not, -1 on error (e filled; call
 * spawn_finish, which kills the child).  This path does not look at
 * spawn_stop or at our signals: the caller does. */
#define SPAWN_POLLFDS 3
size_t spawn_pollfds(const struct spawn *s, struct pollfd *pfd, size_t n,
    int *tmo);
int spawn_step(struct spawn *s, const struct pollfd *pfd, size_t n,
    struct errbuf *e);

/* Begins to stop the started child: SIGTERM to its process group now,
 * SIGKILL once grace_ms have passed if any member is left (spawn_step or
 * spawn_finish sends it).  Nothing when it has exited or is being stopped
 * already; its other group members are then left alone, as at a normal
 * exit. */
void spawn_terminate(struct spawn *s);

/* Like spawn_run, but collects the child's stdout into *out: a malloc'd
 * NUL-terminated buffer of *outlen bytes, which the caller frees.  Output
 * beyond max bytes stops the child and fails.  stderr goes to s->on_line
 * (fd 2) if set, else is inherited.  *out is NULL whenever -1 is returned. */
int spawn_capture(struct spawn *s, size_t max, char **out, size_t *outlen,
    struct errbuf *e);

/* Asks the run of s in progress to stop: its child's group gets SIGTERM at
 * once (poll is woken), then SIGKILL after the grace period, and spawn_run
 * returns with s->stopped set.  When no run is in progress the next
 * spawn_run of s does not start the child (it returns -1 with s->stopped
 * set).  Each spawn_run consumes the request when it returns, so a later
 * run of s starts normally.
 *
 * Safe from any thread, from on_line, and from a signal handler (atomics
 * and one write(2)).  s must stay valid until the call returns; it is not
 * meant for a struct being reinitialised at the same time. */
void spawn_stop(struct spawn *s);

/* "SIGKILL" for 9: a static string; "real-time signal" or "unknown signal"
 * for signals without a standard name. */
const char *spawn_signal_name(int signo);

/* Describes a finished run's failure for the log, naming the program by the
 * last component of argv[0] ("xbuild exited with status 1", "xbuild was
 * killed by SIGKILL", "xbuild timed out after 10 s", "xbuild stopped:
 * received SIGINT", "xbuild was stopped" after spawn_stop) into e and
 * returns -1.  For
 * `return spawn_errstatus(&s, st, e);` after a non-zero status. */
int spawn_errstatus(const struct spawn *s, int status, struct errbuf *e);

/* For mains: makes SIGINT and SIGTERM set a flag (and wake spawn_run through
 * a self-pipe) instead of killing us.  A running child's group is then
 * stopped as described at spawn_run, and every later spawn_run refuses to
 * start; code that does long work without children (downloads) should poll
 * spawn_interrupted().  Call once, before starting threads. */
int spawn_install_signal_handlers(struct errbuf *e);

/* The first SIGINT/SIGTERM received since spawn_install_signal_handlers, or
 * 0.  Exit with 128 + that. */
int spawn_interrupted(void);

/* For a caller's own poll loop: a descriptor that polls readable once
 * SIGINT/SIGTERM came (-1 before spawn_install_signal_handlers).  Never read
 * it; when poll says it is readable, call spawn_interrupt_check, which
 * returns spawn_interrupted() (0 after dropping a stale wake-up). */
int spawn_interrupt_fd(void);
int spawn_interrupt_check(void);

/* The flag spawn_interrupted() reads, for code that polls a flag and does
 * not know this module (fetch_opts.stop): nonzero (the signal number) once
 * SIGINT/SIGTERM came.  Never NULL. */
const stopflag *spawn_interrupt_flag(void);

/* Forgets a received signal, so spawn_run starts children again.  (To stop
 * one child from another thread, use spawn_stop, not a signal to
 * ourselves.) */
void spawn_interrupt_reset(void);

#endif
