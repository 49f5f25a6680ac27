/* spawn.c - run a child process: argv, own process group, output by line. */
#include "spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"

extern char **environ;

/* spawn_stop may run in a signal handler: its atomics must not hide a
 * lock. */
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
    "spawn_stop needs lock-free atomics");

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* How often to look again when nothing can be polled for (the group after
 * its leader died, or a kernel without pidfd_open). */
#define RECHECK_MS 20

/* The one mutable global: what the SIGINT/SIGTERM handler sets and writes
 * to.  The pipe is never drained while signo is set, so every spawn_run
 * polling it (several threads may run children) wakes up. */
static struct {
	stopflag signo;
	int rfd, wfd;
} sigstate = {0, -1, -1};

/* What the child tells the parent, over a close-on-exec pipe, when it could
 * not exec: nothing arrives (EOF) when exec worked. */
enum { STAGE_SETUP, STAGE_CHDIR, STAGE_EXEC };
struct childerr {
	int stage;
	int err;
};

/* Everything the child needs, made before fork: after fork only
 * async-signal-safe calls are allowed (another thread may hold malloc's
 * lock), so no allocation and no stdio there. */
struct prep {
	char **cand; /* paths to try for argv[0], NULL-terminated */
	char *const *envp;
	int in;		    /* /dev/null, or -1 to inherit */
	int out[2], err[2]; /* pipes, or -1 to inherit */
	int ep[2];	    /* exec error pipe */
	pid_t parent;	    /* us, for the child's PR_SET_PDEATHSIG */
};

struct stream {
	int fd;	   /* read end, -1 once closed */
	int which; /* 1 or 2 */
	char *buf; /* line_max bytes */
	size_t len;
};

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Moves fd to 3 or above (keeping close-on-exec), so dup2 onto 0, 1 and 2 in
 * the child can never overwrite another of our descriptors. */
static int
fd_high(int fd)
{
	int nfd, saved;

	if (fd < 0 || fd >= 3)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	saved = errno;
	close(fd);
	errno = saved;
	return nfd;
}

static int
pipe_high(int p[2])
{
	int saved;

	if (pipe2(p, O_CLOEXEC) < 0) {
		p[0] = p[1] = -1;
		return -1;
	}
	p[0] = fd_high(p[0]);
	p[1] = fd_high(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		saved = errno;
		close_fd(&p[0]);
		close_fd(&p[1]);
		errno = saved;
		return -1;
	}
	return 0;
}

/* The candidate paths for name: itself when it holds a '/', else each
 * directory of envp's PATH (an empty entry meaning ".") joined with it.
 * execvpe would search our own PATH, not the child's.  One allocation. */
static char **
candidates(const char *name, char *const *envp)
{
	const char *path = NULL, *dir, *end;
	size_t ndirs = 1, nlen = strlen(name), i = 0;
	char *const *ep;
	char **cand, *q;

	if (strchr(name, '/') != NULL) {
		if ((cand = malloc(2 * sizeof *cand + nlen + 1)) == NULL)
			return NULL;
		cand[0] = memcpy(cand + 2, name, nlen + 1);
		cand[1] = NULL;
		return cand;
	}
	for (ep = envp; *ep != NULL; ep++)
		if (strncmp(*ep, "PATH=", 5) == 0) {
			path = *ep + 5;
			break;
		}
	if (path == NULL)
		path = DEFAULT_PATH;
	for (dir = path; *dir != '\0'; dir++)
		if (*dir == ':')
			ndirs++;
	cand = malloc(
	    (ndirs + 1) * sizeof *cand + strlen(path) + ndirs * (nlen + 3));
	if (cand == NULL)
		return NULL;
	q = (char *)(cand + ndirs + 1);
	for (dir = path;; dir = end + 1) {
		end = strchrnul(dir, ':');
		cand[i++] = q;
		if (end == dir)
			*q++ = '.';
		memcpy(q, dir, (size_t)(end - dir));
		q += end - dir;
		*q++ = '/';
		memcpy(q, name, nlen + 1);
		q += nlen + 1;
		if (*end == '\0')
			break;
	}
	cand[i] = NULL;
	return cand;
}

/* The child, between fork and exec.  Only async-signal-safe calls. */
static void __attribute__((noreturn))
child_exec(const struct spawn *s, const struct prep *p)
{
	struct childerr ce = {STAGE_SETUP, 0};
	struct sigaction dfl, old;
	sigset_t none;
	char *const *c;
	int sig, err = ENOENT;
	ssize_t r;

	/* Our own group first, so the terminal's Ctrl-C goes to us only and
	 * a TERM to the group reaches every descendant. */
	setpgid(0, 0);

	/* Die with the parent: a TERM when it goes, however it goes (a
	 * `kill -9` of slugc must not leave a compile writing the build
	 * directory).  TERM and not KILL, so that a child running its own
	 * children (compile and xbuild) stops them as on a Ctrl-C.  If the
	 * parent died before the prctl, getppid() is no longer it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		goto fail;
	if (getppid() != p->parent)
		_exit(128 + SIGTERM);

	/* Signals are blocked since before fork.  A handler inherited from
	 * the parent must not run here (ours would write into the parent's
	 * self-pipe), so back to defaults before unblocking; SIGPIPE too, as
	 * a parent ignoring it would make `yes | head` in the build loop. */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &old) < 0)
			continue;
		if (old.sa_handler == SIG_DFL ||
		    (old.sa_handler == SIG_IGN && sig != SIGPIPE))
			continue;
		sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (p->in >= 0 && dup2(p->in, 0) < 0)
		goto fail;
	if (p->out[1] >= 0 && dup2(p->out[1], 1) < 0)
		goto fail;
	if (p->err[1] >= 0 && dup2(p->err[1], 2) < 0)
		goto fail;
	/* Descriptors the caller opened without O_CLOEXEC (sockets, a cache
	 * lock) must not leak into the build, where a daemon left behind
	 * would hold them.  Our error pipe is close-on-exec already.  Old
	 * kernels lack close_range: then they leak, as with execvp. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (s->keep_fd > 2 && fcntl(s->keep_fd, F_SETFD, 0) < 0)
		goto fail;

	ce.stage = STAGE_CHDIR;
	if (s->cwd != NULL && chdir(s->cwd) < 0)
		goto fail;

	/* execvp's search: go on past missing entries, remember EACCES. */
	ce.stage = STAGE_EXEC;
	for (c = p->cand; *c != NULL; c++) {
		execve(*c, (char *const *)s->argv, p->envp);
		if (errno == EACCES)
			err = EACCES;
		else if (errno != ENOENT && errno != ENOTDIR) {
			err = errno;
			break;
		}
	}
	errno = err;
fail:
	ce.err = errno;
	r = write(p->ep[1], &ce, sizeof ce);
	(void)r;
	_exit(ce.err == ENOENT || ce.err == ENOTDIR ? 127 : 126);
}

/* Hands out the complete lines in st->buf, bytes from..len being new. */
static void
stream_split(struct stream *st, size_t cap, size_t from, spawn_line_fn *fn,
    void *arg)
{
	char *b = st->buf, *nl, *cr;
	size_t start = 0;

	while ((nl = memchr(b + from, '\n', st->len - from)) != NULL) {
		fn(arg, st->which, b + start, (size_t)(nl - b) - start, true);
		start = from = (size_t)(nl - b) + 1;
	}
	if (st->len - start == cap) {
		/* A full buffer without '\n': a piece, to bound memory. */
		fn(arg, st->which, b, cap, false);
		start = st->len;
	} else if (st->len > start &&
	    (cr = memrchr(b + start, '\r', st->len - start)) != NULL) {
		/* A progress line redrawn with '\r' shows now, not when a
		 * '\n' finally comes.  (A "\r\n" split by a read then comes as
		 * "...\r" and an empty complete line.) */
		fn(arg, st->which, b + start, (size_t)(cr - b) + 1 - start,
		    false);
		start = (size_t)(cr - b) + 1;
	}
	memmove(b, b + start, st->len - start);
	st->len -= start;
}

/* Delivers a last unterminated line and closes the stream. */
static void
stream_close(struct stream *st, spawn_line_fn *fn, void *arg)
{
	if (st->fd < 0)
		return;
	if (st->len > 0)
		fn(arg, st->which, st->buf, st->len, false);
	st->len = 0;
	close_fd(&st->fd);
}

/* Reads at most max bytes (what poll said is there).  Returns the number
 * read, 0 when nothing was there; at EOF or error the stream is closed. */
static size_t
stream_read(struct stream *st, size_t cap, size_t max, spawn_line_fn *fn,
    void *arg)
{
	size_t room = cap - st->len, old = st->len;
	ssize_t n;

	if (room > max)
		room = max;
	do
		n = read(st->fd, st->buf + st->len, room);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		stream_close(st, fn, arg);
		return 0;
	}
	st->len += (size_t)n;
	stream_split(st, cap, old, fn, arg);
	return (size_t)n;
}

/* After the child exited: reads what it wrote (what the pipe holds now) and
 * closes.  Not waiting for EOF means a daemon it left holding the pipe
 * cannot hang the build. */
static void
stream_drain(struct stream *st, size_t cap, spawn_line_fn *fn, void *arg)
{
	int avail = 0;
	size_t n;

	if (st->fd < 0)
		return;
	if (ioctl(st->fd, FIONREAD, &avail) < 0)
		avail = 0;
	while (avail > 0 && st->fd >= 0) {
		if ((n = stream_read(st, cap, (size_t)avail, fn, arg)) == 0)
			break;
		avail -= (int)n;
	}
	stream_close(st, fn, arg);
}

static void
prep_free(struct prep *p)
{
	free(p->cand);
	p->cand = NULL;
	close_fd(&p->in);
	close_fd(&p->out[0]);
	close_fd(&p->out[1]);
	close_fd(&p->err[0]);
	close_fd(&p->err[1]);
	close_fd(&p->ep[0]);
	close_fd(&p->ep[1]);
}

static void
sigpipe_drain(void)
{
	char buf[64];

	while (read(sigstate.rfd, buf, sizeof buf) > 0)
		;
}

static void
sigpipe_wake(void)
{
	char c = 0;
	ssize_t r;

	/* A full pipe is fine: then everybody is awake already. */
	r = write(sigstate.wfd, &c, 1);
	(void)r;
}

static pid_t
waitpid_eintr(pid_t pid, int *ws, int flags)
{
	pid_t r;

	do
		r = waitpid(pid, ws, flags);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Reads /proc/<pid>/stat: the state letter (field 3), process group (5)
 * and thread count (20).  -1 when the process is gone or the file is
 * unreadable. */
static int
proc_stat(long pid, char *state, pid_t *pgrp, long *nthreads)
{
	char path[64], buf[1024], *p;
	int fd, field;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	do
		n = read(fd, buf, sizeof buf - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The name in parentheses may hold spaces and ')'; after it, fields
	 * are separated by one space. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	*state = p[2];
	*pgrp = -1;
	*nthreads = -1;
	for (field = 3, p += 2; *p != '\0' && field < 20; p++) {
		if (*p != ' ')
			continue;
		if (++field == 5)
			*pgrp = (pid_t)strtol(p + 1, NULL, 10);
		else if (field == 20)
			*nthreads = strtol(p + 1, NULL, 10);
	}
	return *pgrp > 0 && *nthreads > 0 ? 0 : -1;
}

/* true when every process left in group pgid is a zombie: dead, only
 * waiting for a parent to reap it.  Members orphaned by the leader's death
 * go to init, which may take seconds to reap them (some never do), and
 * killpg(pgid, 0) succeeds until then.  A zombie whose threads still run
 * (its main thread exited first) shows state Z with more than one thread:
 * that one is alive.  false when /proc shows no member at all though the
 * group exists: we cannot tell, so the caller keeps waiting. */
static bool
group_only_zombies(pid_t pgid)
{
	struct dirent *d;
	DIR *dp;
	char state, *end;
	pid_t pg;
	long pid, nthreads;
	bool found = false, live = false;

	if ((dp = opendir("/proc")) == NULL)
		return false;
	while (!live && (d = readdir(dp)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		pid = strtol(d->d_name, &end, 10);
		if (*end != '\0' ||
		    proc_stat(pid, &state, &pg, &nthreads) < 0 || pg != pgid)
			continue;
		found = true;
		live = !((state == 'Z' || state == 'X') && nthreads <= 1);
	}
	closedir(dp);
	return found && !live;
}

/* true once no process of group pgid runs any more. */
static bool
group_gone(pid_t pgid)
{
	if (killpg(pgid, 0) < 0 && errno == ESRCH)
		return true;
	if (!group_only_zombies(pgid))
		return false;
	/* A member forked while we read /proc may have got a pid below the
	 * one being read (pids wrap) and been missed: a KILL, which zombies
	 * ignore, makes sure nothing is left. */
	killpg(pgid, SIGKILL);
	return true;
}

static int
exit_status(struct spawn *s, int ws)
{
	if (WIFSIGNALED(ws)) {
		s->signo = WTERMSIG(ws);
		return 128 + s->signo;
	}
	return WEXITSTATUS(ws);
}

/* Reports the child's exec failure (read from the error pipe). */
static int
exec_failed(struct spawn *s, const struct childerr *ce, struct errbuf *e)
{
	const char *name = s->argv[0];
	int ws;

	if (waitpid_eintr(s->pid, &ws, 0) == s->pid && WIFEXITED(ws))
		s->status = WEXITSTATUS(ws);
	else
		s->status = ce->err == ENOENT || ce->err == ENOTDIR ? 127 : 126;
	errno = ce->err;
	switch (ce->stage) {
	case STAGE_CHDIR:
		return errf(e, "%s: chdir %s:", name, s->cwd);
	case STAGE_EXEC:
		return errf(e, "exec %s:", name);
	default:
		return errf(e, "%s: setting up the child:", name);
	}
}

enum { RUNNING, TERMINATING, KILLED };

/* A started child, from spawn_start to spawn_finish. */
struct spawn_child {
	struct stream st[2];
	spawn_line_fn *fn;
	void *arg;
	size_t cap;	  /* line buffer size */
	int64_t grace;	  /* TERM to KILL, ms */
	int64_t deadline; /* timeout_ms ends, or 0 */
	int64_t kill_at;  /* TERMINATING: when KILL goes */
	int pidfd;	  /* -1: none (kernels before 5.3) */
	int wfd;	  /* spawn_stop's eventfd */
	int state;
	bool reaped;
	bool done;  /* spawn_step said so */
	int failed; /* spawn_step's waitpid failed: its errno */
	int ws;	    /* the wait status, once reaped */
};

static void
child_free(struct spawn *s)
{
	struct spawn_child *ch = s->child_;
	int i;

	if (ch == NULL)
		return;
	if (ch->pidfd >= 0)
		close(ch->pidfd);
	if (ch->wfd >= 0) {
		/* Withdrawn first, then closed once no spawn_stop is still
		 * writing to it: the number may be reused at once. */
		atomic_store(&s->wake_, 0);
		while (atomic_load(&s->wakers_) > 0)
			sched_yield();
		close(ch->wfd);
	}
	for (i = 0; i < 2; i++) {
		close_fd(&ch->st[i].fd);
		free(ch->st[i].buf);
	}
	free(ch);
	s->child_ = NULL;
}

/* stdin, the output pipes wanted and the exec error pipe, made before
 * fork. */
static int
prep_pipes(const struct spawn *s, struct prep *p, struct spawn_child *ch,
    bool pipe_out, bool pipe_err, struct errbuf *e)
{
	const char *name = s->argv[0];
	const bool want[2] = {pipe_out, pipe_err};
	int *ends[2] = {p->out, p->err};
	int i;

	if (!s->inherit_stdin &&
	    (p->in = fd_high(open("/dev/null", O_RDONLY | O_CLOEXEC))) < 0)
		return errf(e, "%s: /dev/null:", name);
	for (i = 0; i < 2; i++) {
		if (!want[i])
			continue;
		if (pipe_high(ends[i]) < 0 ||
		    fcntl(ends[i][0], F_SETFL, O_NONBLOCK) < 0)
			return errf(e, "%s: pipe:", name);
		if ((ch->st[i].buf = malloc(ch->cap)) == NULL)
			return errf(e, "%s:", name);
	}
	if (pipe_high(p->ep) < 0)
		return errf(e, "%s: pipe:", name);
	return 0;
}

/* Forks; the child execs (child_exec).  Returns its pid, or -1. */
static pid_t
fork_child(const struct spawn *s, const struct prep *p, struct errbuf *e)
{
	sigset_t all, old;
	pid_t pid;
	int saved;

	/* Blocked across fork so no handler runs in the child before it has
	 * reset them (see child_exec). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(s, p);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		errno = saved;
		errf(e, "fork %s:", s->argv[0]);
		return -1;
	}
	/* Both sides set the group so it exists whichever runs first: a TERM
	 * to the group right after fork must not miss.  Fails harmlessly
	 * (EACCES) once the child has exec'd. */
	setpgid(pid, pid);
	return pid;
}

/* After fork: our ends of the pipes, and what the error pipe says (EOF
 * when exec worked).  -1 when the child could not exec; it is reaped. */
static int
after_fork(struct spawn *s, struct prep *p, struct errbuf *e)
{
	struct spawn_child *ch = s->child_;
	struct childerr ce;
	ssize_t n;

	close_fd(&p->in);
	close_fd(&p->out[1]);
	close_fd(&p->err[1]);
	close_fd(&p->ep[1]);
	ch->st[0].fd = p->out[0];
	ch->st[1].fd = p->err[0];
	p->out[0] = p->err[0] = -1;
	do
		n = read(p->ep[0], &ce, sizeof ce);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof ce)
		return exec_failed(s, &ce, e);
	return 0;
}

/* Refuses to start when a signal came or spawn_stop asked. */
static int
may_start(struct spawn *s, struct errbuf *e)
{
	s->pid = -1;
	s->status = -1;
	s->signo = 0;
	s->timed_out = false;
	s->interrupted = 0;
	s->stopped = false;
	s->child_ = NULL;
	if (s->argv == NULL || s->argv[0] == NULL || s->argv[0][0] == '\0')
		return errf(e, "spawn: empty argv");
	if (sigstate.signo != 0) {
		s->interrupted = sigstate.signo;
		return errf(e, "%s: not started: received %s", s->argv[0],
		    spawn_signal_name(s->interrupted));
	}
	if (atomic_load(&s->stop_)) {
		s->stopped = true;
		return errf(e, "%s: not started: stopped", s->argv[0]);
	}
	return 0;
}

static struct spawn_child *
child_new(const struct spawn *s, spawn_line_fn *fn, void *arg)
{
	struct spawn_child *ch;

	if ((ch = calloc(1, sizeof *ch)) == NULL)
		return NULL;
	ch->st[0] = (struct stream){-1, 1, NULL, 0};
	ch->st[1] = (struct stream){-1, 2, NULL, 0};
	ch->fn = fn;
	ch->arg = arg;
	ch->cap = s->line_max > 0 ? s->line_max : SPAWN_LINE_MAX;
	ch->grace = s->grace_ms > 0 ? s->grace_ms : SPAWN_GRACE_MS;
	ch->pidfd = ch->wfd = -1;
	ch->state = RUNNING;
	return ch;
}

static int
start(struct spawn *s, spawn_line_fn *fn, void *arg, bool pipe_out,
    bool pipe_err, struct errbuf *e)
{
	struct prep p = {NULL, NULL, -1, {-1, -1}, {-1, -1}, {-1, -1}, 0};
	struct spawn_child *ch;
	const char *name;
	int wfd;

	if (may_start(s, e) == -1)
		goto fail;
	name = s->argv[0];
	if ((ch = s->child_ = child_new(s, fn, arg)) == NULL) {
		errf(e, "%s:", name);
		goto fail;
	}
	p.envp = s->envp != NULL ? s->envp : environ;
	p.parent = getpid();
	if ((p.cand = candidates(name, p.envp)) == NULL) {
		errf(e, "%s:", name);
		goto fail;
	}
	if (prep_pipes(s, &p, ch, pipe_out, pipe_err, e) == -1)
		goto fail;
	/* spawn_stop's wake-up, published before spawn_finish first looks
	 * at stop_: a stop that comes after that look finds the
	 * descriptor. */
	if ((wfd = fd_high(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))) < 0) {
		errf(e, "%s: eventfd:", name);
		goto fail;
	}
	ch->wfd = wfd;
	atomic_store(&s->wake_, wfd + 1);
	if ((s->pid = fork_child(s, &p, e)) < 0 || after_fork(s, &p, e) == -1)
		goto fail;
	/* A pidfd turns "the child exited" into a poll event; without one
	 * (kernels before 5.3) waitpid is retried every RECHECK_MS. */
	ch->pidfd = fd_high((int)syscall(SYS_pidfd_open, s->pid, 0));
	if (s->timeout_ms > 0)
		ch->deadline = monotime_ms() + s->timeout_ms;
	prep_free(&p);
	return 0;
fail:
	prep_free(&p);
	child_free(s);
	/* The request was for this start: the next one starts afresh. */
	atomic_store(&s->stop_, false);
	return -1;
}

int
spawn_start(struct spawn *s, struct errbuf *e)
{
	return start(s, s->on_line, s->arg, s->on_line != NULL,
	    s->on_line != NULL, e);
}

/* Lowers *tmo (-1: none yet) to ms, at least 0. */
static void
tmo_lower(int *tmo, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms > INT32_MAX)
		ms = INT32_MAX;
	if (*tmo < 0 || ms < *tmo)
		*tmo = (int)ms;
}

size_t
spawn_pollfds(const struct spawn *s, struct pollfd *pfd, size_t n, int *tmo)
{
	const struct spawn_child *ch = s->child_;
	int64_t now;
	size_t k = 0;
	int i;

	if (ch == NULL)
		return 0;
	for (i = 0; i < 2 && k < n; i++)
		if (ch->st[i].fd >= 0)
			pfd[k++] = (struct pollfd){ch->st[i].fd, POLLIN, 0};
	if (!ch->reaped && ch->pidfd >= 0 && k < n)
		pfd[k++] = (struct pollfd){ch->pidfd, POLLIN, 0};
	now = monotime_ms();
	if (ch->state == RUNNING && !ch->reaped && ch->deadline > 0)
		tmo_lower(tmo, ch->deadline - now);
	if (ch->state == TERMINATING)
		tmo_lower(tmo, ch->kill_at - now);
	/* Nothing to poll for: the group after its leader died, or no
	 * pidfd. */
	if (ch->reaped || ch->pidfd < 0)
		tmo_lower(tmo, RECHECK_MS);
	return k;
}

void
spawn_terminate(struct spawn *s)
{
	struct spawn_child *ch = s->child_;

	if (ch == NULL || ch->state != RUNNING || ch->reaped)
		return;
	killpg(s->pid, SIGTERM);
	ch->kill_at = monotime_ms() + ch->grace;
	ch->state = TERMINATING;
}

/* 1 once the child is done: reaped and, when it was being stopped, its
 * group gone or killed. */
static int
child_done(struct spawn *s, int64_t now)
{
	struct spawn_child *ch = s->child_;

	/* The leader is gone; when stopping, wait for the rest of the group
	 * to go too, until the grace period ends. */
	if (ch->reaped && (ch->state != TERMINATING || group_gone(s->pid)))
		ch->done = true;
	else if (ch->state == TERMINATING && now >= ch->kill_at) {
		killpg(s->pid, SIGKILL);
		ch->state = KILLED;
		ch->done = ch->reaped;
	}
	return ch->done ? 1 : 0;
}

int
spawn_step(struct spawn *s, const struct pollfd *pfd, size_t n,
    struct errbuf *e)
{
	struct spawn_child *ch = s->child_;
	bool exited;
	int64_t now;
	size_t k;
	pid_t r;
	int i;

	if (ch == NULL)
		return 1;
	exited = ch->pidfd < 0;
	for (k = 0; k < n; k++) {
		if (pfd[k].revents == 0)
			continue;
		for (i = 0; i < 2; i++)
			if (ch->st[i].fd >= 0 && pfd[k].fd == ch->st[i].fd)
				stream_read(&ch->st[i], ch->cap, ch->cap,
				    ch->fn, ch->arg);
		if (ch->pidfd >= 0 && pfd[k].fd == ch->pidfd)
			exited = true;
	}
	if (!ch->reaped && exited) {
		if ((r = waitpid_eintr(s->pid, &ch->ws, WNOHANG)) == s->pid) {
			ch->reaped = true;
			for (i = 0; i < 2; i++)
				stream_drain(&ch->st[i], ch->cap, ch->fn,
				    ch->arg);
		} else if (r < 0) {
			ch->failed = errno;
			return errf(e, "%s: waitpid:", s->argv[0]);
		}
	}
	now = monotime_ms();
	if (ch->state == RUNNING && !ch->reaped && ch->deadline > 0 &&
	    now >= ch->deadline) {
		s->timed_out = true;
		spawn_terminate(s);
	}
	return child_done(s, now);
}

/* spawn_finish's loop: the child's events, plus our signals and
 * spawn_stop's wake-up.  0 once the child is done, -1 on error. */
static int
wait_child(struct spawn *s, struct errbuf *e)
{
	struct spawn_child *ch = s->child_;
	struct pollfd pfd[5];
	uint64_t count;
	size_t k, n;
	int tmo, gidx, widx, r;

	if (ch->failed != 0) {
		errno = ch->failed;
		return errf(e, "%s: waitpid:", s->argv[0]);
	}
	if (ch->done)
		return 0;
	for (;;) {
		if (ch->state == RUNNING && !ch->reaped) {
			if (sigstate.signo != 0)
				s->interrupted = sigstate.signo;
			if (atomic_load(&s->stop_))
				s->stopped = true;
			if (s->stopped || s->interrupted)
				spawn_terminate(s);
		}
		tmo = -1;
		n = k = spawn_pollfds(s, pfd, 3, &tmo);
		gidx = widx = -1;
		if (ch->state == RUNNING && sigstate.rfd >= 0) {
			pfd[n] = (struct pollfd){sigstate.rfd, POLLIN, 0};
			gidx = (int)n++;
		}
		if (ch->state == RUNNING) {
			pfd[n] = (struct pollfd){ch->wfd, POLLIN, 0};
			widx = (int)n++;
		}
		if (poll(pfd, (nfds_t)n, tmo) < 0) {
			if (errno == EINTR)
				continue;
			return errf(e, "%s: poll:", s->argv[0]);
		}
		if (gidx >= 0 && pfd[gidx].revents != 0 &&
		    sigstate.signo == 0) {
			/* A stale byte left by a reset.  Should a signal come
			 * while we drain, put a wake-up back for the others. */
			sigpipe_drain();
			if (sigstate.signo != 0)
				sigpipe_wake();
		}
		/* The flag is what counts; the count only woke us. */
		if (widx >= 0 && pfd[widx].revents != 0 &&
		    read(ch->wfd, &count, sizeof count) < 0)
			count = 0;
		if ((r = spawn_step(s, pfd, k, e)) != 0)
			return r < 0 ? -1 : 0;
	}
}

int
spawn_finish(struct spawn *s, struct errbuf *e)
{
	struct spawn_child *ch = s->child_;
	int ret, ws;

	if (ch == NULL)
		return errf(e, "spawn: no child started");
	if ((ret = wait_child(s, e)) == 0) {
		ret = s->status = exit_status(s, ch->ws);
		if (s->interrupted == 0)
			s->interrupted = sigstate.signo;
	} else if (!ch->reaped) {
		/* Failing with a child still running: do not leave it. */
		killpg(s->pid, SIGKILL);
		waitpid_eintr(s->pid, &ws, 0);
	}
	child_free(s);
	/* The request was for this run: the next one starts afresh. */
	atomic_store(&s->stop_, false);
	return ret;
}

int
spawn_run(struct spawn *s, struct errbuf *e)
{
	if (spawn_start(s, e) == -1)
		return -1;
	return spawn_finish(s, e);
}

struct capture {
	struct spawn *s;
	char *buf;
	size_t len, size, max;
	bool over, nomem;
};

static void
capture_line(void *arg, int fd, const char *line, size_t len, bool complete)
{
	struct capture *c = arg;
	size_t need = len + (complete ? 1 : 0), nsize;
	char *nbuf;

	if (fd == 2) {
		if (c->s->on_line != NULL)
			c->s->on_line(c->s->arg, fd, line, len, complete);
		return;
	}
	if (c->over || c->nomem)
		return;
	if (need > c->max - c->len) {
		c->over = true;
		spawn_stop(c->s);
		return;
	}
	if (c->len + need + 1 > c->size) {
		nsize = c->size > 0 ? c->size : 256;
		while (nsize < c->len + need + 1)
			nsize *= 2;
		if ((nbuf = realloc(c->buf, nsize)) == NULL) {
			c->nomem = true;
			spawn_stop(c->s);
			return;
		}
		c->buf = nbuf;
		c->size = nsize;
	}
	memcpy(c->buf + c->len, line, len);
	c->len += len;
	if (complete)
		c->buf[c->len++] = '\n';
}

int
spawn_capture(struct spawn *s, size_t max, char **out, size_t *outlen,
    struct errbuf *e)
{
	struct capture c = {s, NULL, 0, 0, max, false, false};
	int status;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	status = start(s, capture_line, &c, true, s->on_line != NULL, e);
	if (status == 0)
		status = spawn_finish(s, e);
	if (status < 0)
		goto fail;
	if (c.nomem) {
		errno = ENOMEM;
		errf(e, "%s: output:", s->argv[0]);
		goto fail;
	}
	if (c.over) {
		errf(e, "%s: output exceeds %zu bytes", s->argv[0], max);
		goto fail;
	}
	if (c.buf == NULL && (c.buf = malloc(1)) == NULL) {
		errf(e, "%s: output:", s->argv[0]);
		goto fail;
	}
	c.buf[c.len] = '\0';
	*out = c.buf;
	if (outlen != NULL)
		*outlen = c.len;
	return status;
fail:
	free(c.buf);
	return -1;
}

void
spawn_stop(struct spawn *s)
{
	uint64_t one = 1;
	int saved = errno, fd;
	ssize_t r;

	/* Only atomics and write(2): callable from a signal handler.  The
	 * flag first: a run that has not published its descriptor yet sees
	 * the flag when it looks, one that has gets the write. */
	atomic_store(&s->stop_, true);
	atomic_fetch_add(&s->wakers_, 1);
	if ((fd = atomic_load(&s->wake_) - 1) >= 0) {
		r = write(fd, &one, sizeof one);
		(void)r; /* only EAGAIN: a wake-up is pending already */
	}
	atomic_fetch_sub(&s->wakers_, 1);
	errno = saved;
}

const char *
spawn_signal_name(int signo)
{
	static const char *const names[] = {
	    [SIGHUP] = "SIGHUP",
	    [SIGINT] = "SIGINT",
	    [SIGQUIT] = "SIGQUIT",
	    [SIGILL] = "SIGILL",
	    [SIGTRAP] = "SIGTRAP",
	    [SIGABRT] = "SIGABRT",
	    [SIGBUS] = "SIGBUS",
	    [SIGFPE] = "SIGFPE",
	    [SIGKILL] = "SIGKILL",
	    [SIGUSR1] = "SIGUSR1",
	    [SIGSEGV] = "SIGSEGV",
	    [SIGUSR2] = "SIGUSR2",
	    [SIGPIPE] = "SIGPIPE",
	    [SIGALRM] = "SIGALRM",
	    [SIGTERM] = "SIGTERM",
	    [SIGSTKFLT] = "SIGSTKFLT",
	    [SIGCHLD] = "SIGCHLD",
	    [SIGCONT] = "SIGCONT",
	    [SIGSTOP] = "SIGSTOP",
	    [SIGTSTP] = "SIGTSTP",
	    [SIGTTIN] = "SIGTTIN",
	    [SIGTTOU] = "SIGTTOU",
	    [SIGURG] = "SIGURG",
	    [SIGXCPU] = "SIGXCPU",
	    [SIGXFSZ] = "SIGXFSZ",
	    [SIGVTALRM] = "SIGVTALRM",
	    [SIGPROF] = "SIGPROF",
	    [SIGWINCH] = "SIGWINCH",
	    [SIGIO] = "SIGIO",
	    [SIGPWR] = "SIGPWR",
	    [SIGSYS] = "SIGSYS",
	};

	if (signo > 0 && (size_t)signo < sizeof names / sizeof names[0] &&
	    names[signo] != NULL)
		return names[signo];
	if (signo >= SIGRTMIN && signo <= SIGRTMAX)
		return "real-time signal";
	return "unknown signal";
}

int
spawn_errstatus(const struct spawn *s, int status, struct errbuf *e)
{
	const char *name =
	    s->argv != NULL && s->argv[0] != NULL ? s->argv[0] : "child";
	const char *slash = strrchr(name, '/');

	/* The program, not where it lives: "xbuild exited with status 1"
	 * reads better in a build log than a path into the build dir. */
	if (slash != NULL && slash[1] != '\0')
		name = slash + 1;

	if (s->interrupted != 0)
		return errf(e, "%s stopped: received %s", name,
		    spawn_signal_name(s->interrupted));
	if (s->timed_out) {
		if (s->timeout_ms % 1000 == 0)
			return errf(e, "%s timed out after %d s", name,
			    s->timeout_ms / 1000);
		return errf(e, "%s timed out after %d ms", name, s->timeout_ms);
	}
	if (s->stopped)
		return errf(e, "%s was stopped", name);
	if (s->signo != 0)
		return errf(e, "%s was killed by %s", name,
		    spawn_signal_name(s->signo));
	return errf(e, "%s exited with status %d", name, status);
}

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	ssize_t r;

	if (sigstate.signo == 0)
		sigstate.signo = sig;
	r = write(sigstate.wfd, &c, 1);
	(void)r;
	errno = saved;
}

int
spawn_install_signal_handlers(struct errbuf *e)
{
	struct sigaction sa;
	int p[2];

	if (sigstate.wfd >= 0)
		return 0;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return errf(e, "signal pipe:");
	sigstate.rfd = p[0];
	sigstate.wfd = p[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return errf(e, "sigaction:");
	return 0;
}

int
spawn_interrupted(void)
{
	return sigstate.signo;
}

const stopflag *
spawn_interrupt_flag(void)
{
	return &sigstate.signo;
}

void
spawn_interrupt_reset(void)
{
	/* Drain first: a signal arriving in between leaves a byte that
	 * spawn_run drops as stale, never a flag without a wake-up. */
	if (sigstate.rfd >= 0)
		sigpipe_drain();
	sigstate.signo = 0;
}

int
spawn_interrupt_fd(void)
{
	return sigstate.rfd;
}

int
spawn_interrupt_check(void)
{
	if (sigstate.signo == 0 && sigstate.rfd >= 0) {
		/* A stale byte left by a reset; as in wait_child. */
		sigpipe_drain();
		if (sigstate.signo != 0)
			sigpipe_wake();
	}
	return sigstate.signo;
}
