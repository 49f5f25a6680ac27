/* addon_proc.c - the process side of add-ons, for any local service:
 * finding its program, a free port, a password, starting it detached,
 * recognising it again from its pidfile, and ending it. */
#include "addon_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appstate.h"
#include "loopport.h"
#include "monotime.h"

/* Ports are picked here, below Linux's ephemeral range (32768-60999), so
 * that outgoing connections do not take a stopped add-on's port. */
#define PORT_LO 20000
#define PORT_HI 32767

/* The only environment a server gets (doas-style: nothing of the app's
 * config vars leaks into it). */
static char *const server_envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", NULL};

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

bool
addon_proc_alive(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? false
				       : kill(pid, 0) == 0 || errno == EPERM;
	do
		n = read(fd, buf, sizeof buf - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* A zombie is dead: whoever is init reaps it when it likes. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return false;
	return p[2] != 'Z' && p[2] != 'X' && p[2] != 'x';
}

/* Whether pid is a live server on p's files: its command line names the
 * config file as a word (Redis's title template ends with it; before it
 * sets the title, its argv names it), or, should a title ever be cut, its
 * working directory is the data directory (Redis changes into `dir`) and
 * its command line starts with redis-server. */
bool
addon_proc_ours(pid_t pid, const struct addon_paths *p)
{
	char path[64], buf[8192], cwd[PATH_MAX], *q, *real;
	size_t clen = strlen(p->conf), len = 0;
	ssize_t n;
	bool ok = false;
	int fd;

	if (!addon_proc_alive(pid))
		return false;
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	while (len < sizeof buf - 1) {
		n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	for (q = buf; q < buf + len; q++)
		if (*q == '\0')
			*q = ' ';
	buf[len] = '\0';
	for (q = buf; (q = strstr(q, p->conf)) != NULL; q++)
		if ((q == buf || q[-1] == ' ') &&
		    (q[clen] == ' ' || q[clen] == '\0'))
			return true;
	q = strchrnul(buf, ' ');
	*q = '\0';
	if ((q = strrchr(buf, '/')) == NULL)
		q = buf;
	else
		q++;
	if (strcmp(q, "redis-server") != 0)
		return false;
	snprintf(path, sizeof path, "/proc/%ld/cwd", (long)pid);
	if ((n = readlink(path, cwd, sizeof cwd - 1)) <= 0)
		return false;
	cwd[n] = '\0';
	if ((real = realpath(p->data, NULL)) != NULL) {
		ok = strcmp(real, cwd) == 0;
		free(real);
	}
	return ok;
}

/* The pid in pidfile path: > 0, 0 when there is no pidfile, -1 when it
 * holds no pid (it is stale then). */
pid_t
addon_pid_read(const char *path)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	do
		n = read(fd, buf, sizeof buf - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    v <= 1 || v > INT_MAX)
		return -1;
	return (pid_t)v;
}

int
addon_pid_write(const char *path, pid_t pid, struct errbuf *e)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%ld\n", (long)pid);

	return appstate_write_file(path, buf, (size_t)n, 0600, e);
}

/* Waits until pid is gone, at most ms.  true when it is. */
static bool
wait_gone(pid_t pid, int ms)
{
	int64_t deadline = monotime_ms() + ms;

	while (addon_proc_alive(pid)) {
		if (monotime_ms() >= deadline)
			return false;
		sleep_ms(10);
	}
	return true;
}

/* Ends the server pid: SIGTERM, then after ms SIGKILL to its process
 * group (it leads one: its save children go too). */
int
addon_proc_end(const struct addon *a, pid_t pid, int ms, struct errbuf *e)
{
	if (kill(pid, SIGTERM) == -1 && errno != ESRCH)
		return errf(e, "%s: kill %ld:", a->name, (long)pid);
	if (wait_gone(pid, ms))
		return 0;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	if (wait_gone(pid, 5000))
		return 0;
	return errf(e, "%s: redis-server (pid %ld) does not end", a->name,
	    (long)pid);
}

/* Moves fd to 3 or above (close-on-exec), so that the dup2s onto 0, 1
 * and 2 in the child cannot overwrite it. */
static int
fd_high(int fd)
{
	int nfd;

	if (fd < 0 || fd >= 3)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

/* What the detaching child and the server tell us over the status pipe. */
enum { MSG_PID, MSG_FORK, MSG_SETUP, MSG_EXEC };
struct dmsg {
	int kind;
	int val; /* a pid, or an errno */
};

/* The server, between fork and exec: only async-signal-safe calls (we may
 * have threads, and one of them may hold malloc's lock). */
static void __attribute__((noreturn)) server_child(const char *const argv[],
    const char *cwd, int in, int log, int wfd)
{
	struct dmsg m = {MSG_SETUP, 0};
	struct sigaction dfl, old;
	sigset_t none;
	ssize_t r;
	int sig;

	/* Its own session: no terminal's Ctrl-C or hang-up reaches it, and
	 * it leads its own process group (pgid = pid). */
	setsid();
	umask(077);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP ||
		    sigaction(sig, NULL, &old) == -1)
			continue;
		if (old.sa_handler != SIG_DFL)
			sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) == -1 || dup2(log, 1) == -1 || dup2(log, 2) == -1)
		goto fail;
	/* Nothing else of ours: an inherited lock or socket would live as
	 * long as the server. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (chdir(cwd) == -1)
		goto fail;
	m.kind = MSG_EXEC;
	execve(argv[0], (char *const *)argv, server_envp);
fail:
	m.val = errno;
	r = write(wfd, &m, sizeof m);
	(void)r;
	_exit(127);
}

/* Starts argv detached: a child forks the server and exits at once, so
 * the server is not our child (it outlives us, and nobody here has to
 * reap it).  stdin is /dev/null, stdout and stderr append to logpath.
 * *out gets the server's pid.  Exec failures come back over a
 * close-on-exec pipe. */
int
addon_proc_start(const struct addon *a, const char *const argv[],
    const char *logpath, pid_t *out, struct errbuf *e)
{
	struct dmsg m, got[2];
	sigset_t all, old;
	pid_t mid, pid;
	int in, log, p[2] = {-1, -1}, ws, n = 0, rc = -1, saved;
	ssize_t r;

	*out = 0;
	in = fd_high(open("/dev/null", O_RDONLY | O_CLOEXEC));
	log = fd_high(open(logpath,
	    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
	if (in == -1 || log == -1) {
		errf(e, "%s: open %s:", a->name,
		    in == -1 ? "/dev/null" : logpath);
		goto out;
	}
	if (pipe2(p, O_CLOEXEC) == -1 || (p[0] = fd_high(p[0])) == -1 ||
	    (p[1] = fd_high(p[1])) == -1) {
		errf(e, "%s: pipe:", a->name);
		goto out;
	}
	/* No handler of ours may run in the children. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	mid = fork();
	if (mid == 0) {
		pid = fork();
		if (pid == 0)
			server_child(argv, a->dir, in, log, p[1]);
		m.kind = pid == -1 ? MSG_FORK : MSG_PID;
		m.val = pid == -1 ? errno : (int)pid;
		r = write(p[1], &m, sizeof m);
		_exit(r == (ssize_t)sizeof m ? 0 : 1);
	}
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	p[1] = -1;
	if (mid == -1) {
		errno = saved;
		errf(e, "%s: fork:", a->name);
		goto out;
	}
	while (waitpid(mid, &ws, 0) == -1 && errno == EINTR)
		;
	/* EOF comes when the middle child has exited and the server has
	 * exec'd (or died). */
	for (;;) {
		r = read(p[0], (char *)got + n, sizeof got - (size_t)n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (int)r;
		if (n == (int)sizeof got)
			break;
	}
	if (n < (int)sizeof m || got[0].kind != MSG_PID) {
		errno = n >= (int)sizeof m ? got[0].val : EIO;
		errf(e, "%s: fork:", a->name);
		goto out;
	}
	if (n == (int)sizeof got) {
		errno = got[1].val;
		if (got[1].kind == MSG_EXEC)
			errf(e, "%s: exec %s:", a->name, argv[0]);
		else
			errf(e, "%s: setting up redis-server:", a->name);
		goto out;
	}
	*out = (pid_t)got[0].val;
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (log >= 0)
		close(log);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return rc;
}

static bool
is_exe(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

/* Finds prog (given, or in PATH, /usr/bin, /usr/sbin) into *out.
 * ADDON_ERR_NOTINSTALLED, naming the Debian package, when it is not
 * there. */
int
addon_find_prog(const char *given, const char *prog, const char *pkg,
    char **out, struct errbuf *e)
{
	const char *path = getenv("PATH"), *dir, *end;
	char cand[PATH_MAX];

	*out = NULL;
	if (given != NULL) {
		if (is_exe(given))
			goto found_given;
		errf(e, "%s: not found: install it with `apt-get install %s`",
		    given, pkg);
		return ADDON_ERR_NOTINSTALLED;
	}
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (dir = path;; dir = end + 1) {
		end = strchrnul(dir, ':');
		/* Relative entries ("", ".") are skipped: a server must not
		 * come from wherever we happen to run. */
		if (*dir == '/' &&
		    snprintf(cand, sizeof cand, "%.*s/%s", (int)(end - dir),
			dir, prog) < (int)sizeof cand &&
		    is_exe(cand))
			goto found;
		if (*end == '\0')
			break;
	}
	snprintf(cand, sizeof cand, "/usr/bin/%s", prog);
	if (is_exe(cand))
		goto found;
	snprintf(cand, sizeof cand, "/usr/sbin/%s", prog);
	if (is_exe(cand))
		goto found;
	errf(e, "%s not found: install it with `apt-get install %s`", prog,
	    pkg);
	return ADDON_ERR_NOTINSTALLED;
found_given:
	snprintf(cand, sizeof cand, "%s", given);
found:
	if ((*out = strdup(cand)) == NULL)
		return errf(e, "%s: out of memory", prog);
	return 0;
}

/* Whether 127.0.0.1:port can be bound now, the way Redis binds it
 * (SO_REUSEADDR: a port in TIME_WAIT is free, a listener's is not). */
bool
addon_port_free(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;
	bool ok;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return false;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

/* A free port on 127.0.0.1 that no port in avoid[] is, into *out. */
int
addon_port_pick(const int *avoid, size_t navoid, int *out, struct errbuf *e)
{
	uint16_t r;
	size_t i;
	int tries, port;

	for (tries = 0; tries < 256; tries++) {
		if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
			return errf(e, "getrandom:");
		port = PORT_LO + r % (PORT_HI - PORT_LO + 1);
		for (i = 0; i < navoid && avoid[i] != port; i++)
			;
		if (i == navoid && addon_port_free(port)) {
			*out = port;
			return 0;
		}
	}
	/* A crowded range: let the kernel choose one. */
	if ((port = loopport_free(e)) == -1)
		return -1;
	*out = port;
	return 0;
}

/* 32 bytes from the kernel, as 64 hex digits (URL-safe, and no quoting in
 * the Redis config file), malloc'd. */
char *
addon_secret_new(struct errbuf *e)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[SECRET_BYTES];
	ssize_t n;
	size_t got = 0, i;
	char *s;

	while (got < sizeof raw) {
		n = getrandom(raw + got, sizeof raw - got, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errf(e, "getrandom:");
			return NULL;
		}
		got += (size_t)n;
	}
	if ((s = malloc(2 * sizeof raw + 1)) == NULL) {
		explicit_bzero(raw, sizeof raw);
		errf(e, "password: out of memory");
		return NULL;
	}
	for (i = 0; i < sizeof raw; i++) {
		s[2 * i] = hex[raw[i] >> 4];
		s[2 * i + 1] = hex[raw[i] & 15];
	}
	s[2 * sizeof raw] = '\0';
	explicit_bzero(raw, sizeof raw);
	return s;
}
