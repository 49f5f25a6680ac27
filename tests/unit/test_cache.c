/* Unit tests for the runtime cache: keys, seals, damage detection, locking
 * between processes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "fsutil.h"
#include "testhelp.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA2 "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
fill(const char *dir)
{
	char *p;

	fs_mkdir_p(dir, 0755, NULL);
	p = fs_join(dir, "bin");
	fs_mkdir_p(p, 0755, NULL);
	free(p);
	p = fs_join(dir, "bin/mono");
	fs_write_file_atomic(p, "ELF...", 6, 0755, NULL);
	free(p);
}

static int waits;

static void
count_wait(void *arg)
{
	(void)arg;
	waits++;
}

int
main(void)
{
	struct errbuf e = { "" }, why = { "" };
	struct cache_entry c = CACHE_ENTRY_INIT, c2 = CACHE_ENTRY_INIT;
	char *root = fs_mkdtemp("/tmp", "test_cache.", &e), *p;

	TEST("open locks",
	    cache_open(&c, root, "mono", "heroku-22", "6.8", SHA, NULL, &e) == 0);
	TEST("key spells stack, version and sha",
	    strstr(c.path, "/mono/6.8-heroku-22-" SHA) != NULL);
	TEST("empty entry is not valid", !cache_valid(&c, SHA, &why) &&
	    strcmp(why.msg, "not cached") == 0);
	cache_close(&c);
	{
		char *ns = fs_join(root, "mono");
		TEST("opening and closing leaves no file behind", !fs_exists(ns));
		free(ns);
	}
	TEST("open again",
	    cache_open(&c, root, "mono", "heroku-22", "6.8", SHA, NULL, &e) == 0);
	fill(c.path);
	TEST("unsealed entry is not valid (interrupted run)",
	    !cache_valid(&c, SHA, &why) && strstr(why.msg, "did not finish"));
	TEST("seal", cache_seal(&c, SHA, &e) == 0);
	TEST("sealed entry is valid", cache_valid(&c, SHA, &why));
	TEST("another sha does not match the seal", !cache_valid(&c, SHA2, &why));
	p = fs_join(c.path, "bin/mono");
	unlink(p);
	free(p);
	TEST("a missing file is detected", !cache_valid(&c, SHA, &why) &&
	    strstr(why.msg, "files changed") != NULL);
	{
		char *tmp = NULL;
		char *slash = strrchr(c.path, '/');
		if (asprintf(&tmp, "%.*s/.%s.part-XYZ", (int)(slash - c.path),
		    c.path, slash + 1) > 0)
			fill(tmp);
		TEST("discard", cache_discard(&c, &e) == 0);
		TEST("discard removes the entry, the seal and temp siblings",
		    !fs_exists(c.path) && !fs_exists(c.seal) && !fs_exists(tmp));
		free(tmp);
	}
	cache_close(&c);

	/* A version holding '/' or '..' stays inside the namespace. */
	TEST("hostile version", cache_open(&c, root, "mono", "st", "../../x",
	    SHA, NULL, &e) == 0);
	TEST("hostile version is escaped", strstr(c.path, "/mono/%2e.%2f..%2fx-st-") != NULL &&
	    strchr(strstr(c.path, "/mono/") + 6, '/') == NULL);
	cache_close(&c);

	/* The lock excludes another process until released. */
	TEST("reopen", cache_open(&c, root, "mono", "heroku-22", "6.8", SHA, NULL, &e) == 0);
	{
		char *lock = root;
		pid_t pid;
		int status;

		pid = fork();
		if (pid == 0) {
			int fd = open(lock, O_RDONLY | O_DIRECTORY);
			_exit(flock(fd, LOCK_EX | LOCK_NB) == -1 &&
			    errno == EWOULDBLOCK ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		TEST("another process cannot take the lock while held",
		    WIFEXITED(status) && WEXITSTATUS(status) == 0);
		cache_close(&c);
		pid = fork();
		if (pid == 0) {
			int fd = open(lock, O_RDONLY | O_DIRECTORY);
			_exit(flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		TEST("after close it can",
		    WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	/* Waiting for another build's lock can be interrupted. */
	TEST("hold the lock", cache_open(&c, root, "mono", "heroku-22", "6.8",
	    SHA, NULL, &e) == 0);
	{
		volatile sig_atomic_t stop = 1;
		struct cache_wait w = { &stop, count_wait, NULL };

		TEST("a second open waits, then gives up when told to stop",
		    cache_open(&c2, root, "mono", "heroku-22", "6.8", SHA, &w,
		    &e) == -1 && strstr(e.msg, "interrupted") != NULL);
		TEST("the waiting callback ran once", waits == 1);
		TEST("a failed open holds nothing", c2.lockfd == -1 &&
		    c2.path == NULL);
	}
	cache_close(&c);

	/* An unwritable cache directory is reported, not used. */
	p = fs_join(root, "ro");
	fs_mkdir_p(p, 0755, NULL);
	chmod(p, 0555);
	if (geteuid() == 0) {
		/* root writes anywhere; use a path under a regular file */
		char *f = fs_join(root, "file");
		fs_write_file_atomic(f, "", 0, 0644, NULL);
		TEST("a cache dir that cannot be created fails",
		    cache_open(&c2, f, "mono", "s", "v", SHA, NULL, &e) == -1 &&
		    strstr(e.msg, "file") != NULL);
		free(f);
	} else {
		TEST("an unwritable cache dir fails",
		    cache_open(&c2, p, "mono", "s", "v", SHA, NULL, &e) == -1);
	}
	cache_close(&c2);
	chmod(p, 0755);
	free(p);
	cache_close(NULL);

	fs_rm_rf(root, NULL);
	free(root);
	return test_report();
}
