/* test_slugstore.c - the slug store on real directories: app names and
 * keys, where the state directory goes, its two locks against real
 * processes holding them, and the sweeping of what builds leave. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "slugstore.h"
#include "spawn.h"
#include "testhelp.h"
#include "testtmp.h"

static void
test_label(void)
{
	char name[64], tiny[5];

	slugstore_app_label("My App!", name, sizeof name);
	TEST("label: lowercase, runs of others one '-', none at the end",
	    strcmp(name, "my-app") == 0);
	slugstore_app_label("--x__y--", name, sizeof name);
	TEST("label: no '-' in front", strcmp(name, "x-y") == 0);
	slugstore_app_label("", name, sizeof name);
	TEST("label: empty gives app", strcmp(name, "app") == 0);
	slugstore_app_label("._-", name, sizeof name);
	TEST("label: nothing usable gives app", strcmp(name, "app") == 0);
	slugstore_app_label("abcdefgh", tiny, sizeof tiny);
	TEST("label: cut to the buffer", strcmp(tiny, "abcd") == 0);
}

static void
test_key(void)
{
	struct errbuf e = {""};
	char key[128], small[8];

	TEST("key: made",
	    slugstore_app_key("/x/hello", key, sizeof key, &e) == 0);
	TEST("key: name and the path's sha256",
	    strcmp(key, "hello-398ddfe4") == 0);
	slugstore_app_key("/x/a b+c", key, sizeof key, &e);
	TEST("key: other bytes of the name become '_'",
	    strcmp(key, "a_b_c-988f1f29") == 0);
	slugstore_app_key("/", key, sizeof key, &e);
	TEST("key: the root is app", strcmp(key, "app-8a5edab2") == 0);
	TEST("key: too small a buffer fails",
	    slugstore_app_key("/x/hello", small, sizeof small, &e) == -1 &&
		strstr(e.msg, "too long") != NULL);
}

static void
test_open(void)
{
	struct slugstore s = SLUGSTORE_INIT;
	struct errbuf e = {""};
	struct stat st;
	char *cache = tpath("cache"), *xdg = tpath("xdg"), *home = tpath("h");

	TEST("open: --cache dir",
	    slugstore_open(&s, "/x/hello", cache, &e) == 0 &&
		strcmp(s.dir, at(cache, "apps/hello-398ddfe4")) == 0);
	TEST("open: made 0700",
	    stat(s.dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		(st.st_mode & 0777) == 0700);
	slugstore_close(&s);
	TEST("close: back to init",
	    s.dir == NULL && s.lock_fd == -1 && s.tree_fd == -1);

	setenv("XDG_CACHE_HOME", xdg, 1);
	setenv("HOME", home, 1);
	TEST("open: XDG_CACHE_HOME",
	    slugstore_open(&s, "/x/hello", NULL, &e) == 0 &&
		strcmp(s.dir, at(xdg, "slugc/hello-398ddfe4")) == 0 &&
		fs_is_dir(s.dir));
	slugstore_close(&s);
	setenv("XDG_CACHE_HOME", "relative", 1);
	TEST("open: a relative XDG_CACHE_HOME is not used, HOME is",
	    slugstore_open(&s, "/x/hello", NULL, &e) == 0 &&
		strcmp(s.dir, at(home, ".cache/slugc/hello-398ddfe4")) == 0);
	slugstore_close(&s);
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	TEST("open: neither is an error",
	    slugstore_open(&s, "/x/hello", NULL, &e) == -1 &&
		strcmp(e.msg, "neither XDG_CACHE_HOME nor HOME is set") == 0);
	slugstore_close(&s);
	free(cache);
	free(xdg);
	free(home);
}

struct events {
	int waiting, stopping;
};

static void
count(void *arg, enum slugstore_event ev)
{
	struct events *n = arg;

	if (ev == SLUGSTORE_WAITING)
		n->waiting++;
	else
		n->stopping++;
}

/* A child, in its own process group, that locks path (without
 * close-on-exec, as a buildpack inherits build.lock), tells us over a pipe
 * and runs argv, with SIGTERM ignored when term_proof (from before it
 * tells us: an ignored signal stays ignored across exec).  Returns its pid
 * once it holds the lock. */
static pid_t
holder(const char *path, const char *const *argv, bool term_proof)
{
	int p[2], fd;
	pid_t pid;
	char c;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		abort();
	if (pid == 0) {
		setpgid(0, 0);
		/* Not the test's handler: the signal may come before exec. */
		signal(SIGTERM, term_proof ? SIG_IGN : SIG_DFL);
		close(p[0]);
		fd = open(path, O_RDWR | O_CREAT, 0600);
		if (fd == -1 || flock(fd, LOCK_EX) == -1)
			_exit(99);
		if (write(p[1], "x", 1) != 1)
			_exit(99);
		close(p[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		abort();
	close(p[0]);
	return pid;
}

static int
reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return st;
}

static void
test_lock(void)
{
	struct slugstore s = SLUGSTORE_INIT;
	struct errbuf e = {""};
	struct events n = {0, 0};
	char *cache = tpath("lockcache");
	pid_t pid;
	int st, fd;

	TEST("lock: open", slugstore_open(&s, "/x/locked", cache, &e) == 0);
	TEST("lock: free locks are taken at once",
	    slugstore_lock(&s, count, &n, &e) == 0 && n.waiting == 0 &&
		n.stopping == 0 && s.lock_fd > 2 && s.tree_fd > 2);
	fd = open(at(s.dir, "lock"), O_RDWR);
	TEST("lock: held against others",
	    fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == -1 &&
		errno == EWOULDBLOCK);
	TEST("lock: close-on-exec",
	    (fcntl(s.lock_fd, F_GETFD) & FD_CLOEXEC) != 0);
	slugstore_close(&s);
	TEST("lock: released by close", flock(fd, LOCK_EX | LOCK_NB) == 0);
	close(fd);

	/* Another build holds "lock" for a while: we wait, and say so once. */
	slugstore_open(&s, "/x/locked", cache, &e);
	pid = holder(at(s.dir, "lock"),
	    (const char *const[]){"sleep", "1", NULL}, false);
	n.waiting = n.stopping = 0;
	TEST("lock: waits for another build",
	    slugstore_lock(&s, count, &n, &e) == 0 && n.waiting == 1 &&
		n.stopping == 0);
	st = reap(pid);
	TEST("lock: the other build ended by itself",
	    WIFEXITED(st) && WEXITSTATUS(st) == 0);
	slugstore_close(&s);

	/* A Ctrl-C while waiting ends the wait with an empty message. */
	slugstore_open(&s, "/x/locked", cache, &e);
	pid = holder(at(s.dir, "lock"),
	    (const char *const[]){"sleep", "30", NULL}, false);
	TEST("lock: handlers", spawn_install_signal_handlers(&e) == 0);
	raise(SIGTERM);
	e.msg[0] = 'x';
	TEST("lock: an interrupted wait fails, message empty",
	    slugstore_lock(&s, count, &n, &e) == -1 && e.msg[0] == '\0' &&
		spawn_interrupted() == SIGTERM);
	spawn_interrupt_reset();
	kill(pid, SIGKILL);
	reap(pid);
	slugstore_close(&s);
	free(cache);
}

static void
test_leftovers(void)
{
	struct slugstore s = SLUGSTORE_INIT;
	struct errbuf e = {""};
	struct events n = {0, 0};
	char *cache = tpath("leftcache");
	pid_t pid;
	int st;

	/* What an earlier build left holds build.lock: it is stopped. */
	slugstore_open(&s, "/x/left", cache, &e);
	pid = holder(at(s.dir, "build.lock"),
	    (const char *const[]){"sleep", "30", NULL}, false);
	TEST("leftovers: lock taken",
	    slugstore_lock(&s, count, &n, &e) == 0 && n.stopping == 1 &&
		n.waiting == 0);
	st = reap(pid);
	TEST("leftovers: the holder got SIGTERM",
	    WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	slugstore_close(&s);

	/* One that ignores SIGTERM gets SIGKILL after the grace period. */
	slugstore_open(&s, "/x/left", cache, &e);
	pid = holder(at(s.dir, "build.lock"),
	    (const char *const[]){"sleep", "30", NULL}, true);
	n.stopping = 0;
	TEST("leftovers: lock taken from a TERM-proof holder",
	    slugstore_lock(&s, count, &n, &e) == 0 && n.stopping == 1);
	st = reap(pid);
	TEST("leftovers: it got SIGKILL",
	    WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	slugstore_close(&s);
	free(cache);
}

/* How many "trash.*" dir holds; the last one's name into last. */
static size_t
trash_count(const char *dir, char *last, size_t size)
{
	struct dirent *d;
	size_t n = 0;
	DIR *dp = opendir(dir);

	while (dp != NULL && (d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, "trash.", 6) != 0)
			continue;
		n++;
		if (last != NULL)
			snprintf(last, size, "%s", d->d_name);
	}
	if (dp != NULL)
		closedir(dp);
	return n;
}

static void
test_sweep(void)
{
	struct slugstore s = SLUGSTORE_INIT;
	struct errbuf e = {""};
	char *cache = tpath("sweepcache"), *build, trash[256], rel[300];

	slugstore_open(&s, "/x/sweep", cache, &e);
	put_file(at(s.dir, "tmp.killed/env/SECRET"), "hunter2", 7, 0600);
	put_file(at(s.dir, "tmp.killed/home/file"), "x", 1, 0644);
	put_file(at(s.dir, "build/app.txt"), "old", 3, 0644);
	put_file(at(s.dir, "cache/keep"), "kept", 4, 0644);
	TEST("sweep tmp: succeeds", slugstore_sweep_tmp(&s, &e) == 0);
	TEST("sweep tmp: the temporary directory is gone",
	    !fs_exists(at(s.dir, "tmp.killed")));
	TEST("sweep tmp: the rest went to the trash, without ENV_DIR",
	    trash_count(s.dir, trash, sizeof trash) == 1 &&
		snprintf(rel, sizeof rel, "%s/tmp/home/file", trash) > 0 &&
		fs_exists(at(s.dir, rel)) &&
		snprintf(rel, sizeof rel, "%s/tmp/env", trash) > 0 &&
		!fs_exists(at(s.dir, rel)));
	build = fs_join(s.dir, "build");
	TEST("sweep dir: succeeds", slugstore_sweep_dir(&s, build, &e) == 0);
	TEST("sweep dir: the build directory is moved at once",
	    !fs_exists(build));
	TEST("sweep dir: only once", slugstore_sweep_dir(&s, build, &e) == -1);
	slugstore_close(&s);
	slugstore_open(&s, "/x/sweep", cache, &e);
	TEST("sweep: no trash left after close",
	    trash_count(s.dir, NULL, 0) == 0);
	TEST("sweep: the cache is not touched",
	    fs_exists(at(s.dir, "cache/keep")));
	TEST("sweep dir: a missing directory is fine",
	    slugstore_sweep_dir(&s, build, &e) == 0);
	slugstore_close(&s);
	free(build);
	free(cache);
}

int
main(void)
{
	if (tmp_init("test_slugstore") == -1)
		return 1;
	test_label();
	test_key();
	test_open();
	test_lock();
	test_leftovers();
	test_sweep();
	tmp_done();
	return test_report();
}
