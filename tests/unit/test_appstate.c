/* test_appstate.c - per-app state on a real file system: modes, config
 * vars that round-trip any byte string, atomic replacement (also on a full
 * tmpfs), symlinks refused, and the lock between processes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appstate.h"
#include "fsutil.h"
#include "monotime.h"
#include "testhelp.h"
#include "testtmp.h"

static char *mounted; /* a tmpfs we mounted, unmounted at exit */

static void
cleanup(void)
{
	if (mounted != NULL) {
		if (umount2(mounted, MNT_DETACH) == -1)
			perror(mounted);
		free(mounted);
		mounted = NULL;
	}
	tmp_done();
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* Points XDG_STATE_HOME at rel in the scratch directory. */
static void
use_state(const char *rel)
{
	setenv("XDG_STATE_HOME", at(tmpdir, rel), 1);
}

static struct appstate *
open_app(const char *name)
{
	struct appstate *st;
	struct errbuf e;

	if (appstate_open(name, true, &st, &e) == -1) {
		fprintf(stderr, "appstate_open %s: %s\n", name, e.msg);
		abort();
	}
	return st;
}

static int
set1(struct appstate *st, const char *name, const char *value, struct errbuf *e)
{
	struct envdir *v = envdir_new();
	int rc;

	if (v == NULL || envdir_set(v, name, value, e) == -1)
		abort();
	rc = appstate_config_set(st, v, e);
	envdir_free(v);
	return rc;
}

static bool
get_is(struct appstate *st, const char *name, const char *want)
{
	struct errbuf e;
	char *v;
	int rc;
	bool ok;

	rc = appstate_config_get(st, name, &v, &e);
	if (want == NULL)
		return rc == 1 && v == NULL;
	ok = rc == 0 && strcmp(v, want) == 0;
	free(v);
	return ok;
}

static void
test_names(void)
{
	char out[APPSTATE_NAME_MAX + 1];
	struct errbuf e;

	TEST("name: lower-case, digits, dashes", appstate_name_ok("my-app-2"));
	TEST("name: a leading digit", appstate_name_ok("2app"));
	TEST("name: 30 characters",
	    appstate_name_ok("abcdefghijabcdefghijabcdefghij"));
	TEST("name: not 31",
	    !appstate_name_ok("abcdefghijabcdefghijabcdefghijk"));
	TEST("name: not empty", !appstate_name_ok(""));
	TEST("name: no upper case", !appstate_name_ok("App"));
	TEST("name: no leading dash", !appstate_name_ok("-app"));
	TEST("name: no slash or dots",
	    !appstate_name_ok("a/b") && !appstate_name_ok("..") &&
		!appstate_name_ok("a.b"));
	TEST("name from a directory: lower-cased, runs become one dash",
	    appstate_name_from("My App__2!", out, &e) == 0 &&
		strcmp(out, "my-app-2") == 0);
	TEST("name from a directory: cut at 30, no dash at the end",
	    appstate_name_from("abcdefghij abcdefghij abcdefgh xyz", out, &e) ==
		    0 &&
		appstate_name_ok(out) &&
		strcmp(out, "abcdefghij-abcdefghij-abcdefgh") == 0);
	TEST("name from a directory: nothing usable is an error",
	    appstate_name_from("__ !", out, &e) == -1 &&
		strstr(e.msg, "--app") != NULL);
}

static void
test_root(void)
{
	struct errbuf e;
	char *r;

	setenv("XDG_STATE_HOME", "/x/state", 1);
	r = appstate_root(&e);
	TEST("root: under XDG_STATE_HOME",
	    r != NULL && strcmp(r, "/x/state/slugc/apps") == 0);
	free(r);
	setenv("XDG_STATE_HOME", "relative/state", 1);
	setenv("HOME", "/home/u", 1);
	r = appstate_root(&e);
	TEST("root: a relative XDG_STATE_HOME is ignored (XDG spec)",
	    r != NULL && strcmp(r, "/home/u/.local/state/slugc/apps") == 0);
	free(r);
	unsetenv("XDG_STATE_HOME");
	r = appstate_root(&e);
	TEST("root: ~/.local/state by default",
	    r != NULL && strcmp(r, "/home/u/.local/state/slugc/apps") == 0);
	free(r);
}

static void
test_open(void)
{
	struct appstate *st;
	struct errbuf e;
	char **names;
	size_t n;

	use_state("s1");
	TEST("open without create: no state is ENOENT",
	    appstate_open("nope", false, &st, &e) == -1 && errno == ENOENT &&
		st == NULL && strstr(e.msg, "nope") != NULL);
	TEST("open: an invalid name is refused",
	    appstate_open("../etc", true, &st, &e) == -1 &&
		strstr(e.msg, "not an app name") != NULL &&
		!exists("s1/slugc"));
	st = open_app("web-1");
	TEST("open: the app's directory",
	    strcmp(st->dir, at(tmpdir, "s1/slugc/apps/web-1")) == 0 &&
		strcmp(st->name, "web-1") == 0);
	TEST("open: directories 0700",
	    mode_of(at(tmpdir, "s1/slugc")) == 0700 &&
		mode_of(at(tmpdir, "s1/slugc/apps")) == 0700 &&
		mode_of(st->dir) == 0700);
	TEST("open: the lock file 0600",
	    mode_of(at(tmpdir, "s1/slugc/apps/web-1/lock")) == 0600);
	appstate_close(st);
	st = open_app("api");
	appstate_close(st);
	put("s1/slugc/apps/Not-An-App/x", "", 0600);
	TEST("list: the apps, sorted, invalid names left out",
	    appstate_list(&names, &n, &e) == 0 && n == 2 &&
		strcmp(names[0], "api") == 0 && strcmp(names[1], "web-1") == 0);
	appstate_names_free(names, n);
	TEST("open without create: existing state opens",
	    appstate_open("api", false, &st, &e) == 0 && st != NULL);
	appstate_close(st);

	use_state("s-none");
	TEST("list: no state at all is an empty list",
	    appstate_list(&names, &n, &e) == 0 && n == 0);
	appstate_names_free(names, n);

	/* A state directory that is a symlink is refused. */
	use_state("s2");
	put("elsewhere/keep", "", 0600);
	if (fs_mkdir_p(at(tmpdir, "s2/slugc/apps"), 0700, &e) == -1)
		abort();
	put_link("s2/slugc/apps/linked", at(tmpdir, "elsewhere"));
	TEST("open: a symlinked app directory is refused",
	    appstate_open("linked", true, &st, &e) == -1 &&
		strstr(e.msg, "symlink") != NULL && !exists("elsewhere/lock"));
}

static void
test_config(void)
{
	/* Everything an environment can carry: controls, quotes, YAML
	 * specials, UTF-8, bytes that are not UTF-8, trailing newlines. */
	static const char *const odd[] = {
	    "",
	    "plain",
	    "with space",
	    "yes",
	    "no",
	    "~",
	    "null",
	    "*",
	    "# not a comment",
	    "a: b",
	    "line1\nline2\n\n",
	    "\ttab\r\n",
	    "\"quoted\" and 'single'",
	    "back\\slash\\n",
	    "\x01\x02\x1b[31m",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3",
	    "\xef\xbb\xbf"
	    "bom",
	    "\xff\xfe not utf-8 \x80",
	    "\xc0\xaf",
	    "\xed\xa0\x80",
	    "x\xc2\x85y \xe2\x80\xa8",
	    "--- \n...\n",
	    "!!binary AAAA",
	};
	struct appstate *st, *st2;
	struct envdir *all, *v;
	struct errbuf e;
	char name[32], *val, *text;
	size_t i, removed;
	bool ok;

	use_state("c1");
	st = open_app("conf");
	TEST("config: empty at first",
	    appstate_config_read(st, &all, &e) == 0 && all->nvars == 0);
	envdir_free(all);
	TEST("config: get of an unset var is 1", get_is(st, "NOPE", NULL));

	v = envdir_new();
	for (i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		snprintf(name, sizeof name, "V%02zu", i);
		if (envdir_set(v, name, odd[i], &e) == -1)
			abort();
	}
	if (envdir_set(v, "NO", "the name is a YAML 1.1 boolean", &e) == -1)
		abort();
	TEST("config: set many in one go", appstate_config_set(st, v, &e) == 0);
	envdir_free(v);
	TEST("config.yml is 0600", mode_of(at(st->dir, "config.yml")) == 0600);

	/* Read back through another handle, from the file. */
	st2 = open_app("conf");
	ok = appstate_config_read(st2, &all, &e) == 0 &&
	    all->nvars == sizeof odd / sizeof odd[0] + 1;
	for (i = 0; ok && i < sizeof odd / sizeof odd[0]; i++) {
		snprintf(name, sizeof name, "V%02zu", i);
		ok = envdir_get(all, name) != NULL &&
		    strcmp(envdir_get(all, name), odd[i]) == 0;
		if (!ok)
			printf("# %s differs\n", name);
	}
	TEST("config: every value round-trips byte for byte", ok);
	TEST("config: a var named NO stays a string",
	    ok &&
		strcmp(envdir_get(all, "NO"),
		    "the name is a YAML 1.1 boolean") == 0);
	envdir_free(all);
	text = fs_read_file(at(st->dir, "config.yml"), 1 << 20, NULL, &e);
	TEST("config.yml: not UTF-8 goes as !!binary, the rest as text",
	    text != NULL && strstr(text, "!!binary") != NULL &&
		strstr(text, "caf\xc3\xa9") != NULL &&
		strstr(text, "\"NO\"") != NULL);
	free(text);

	TEST("config: set replaces one var",
	    set1(st, "V01", "changed", &e) == 0 &&
		get_is(st2, "V01", "changed") &&
		get_is(st2, "V02", "with space"));
	{
		const char *names[] = {"V01", "V03", "NOT_SET"};

		TEST("config: unset removes the named vars, counts them",
		    appstate_config_unset(st, names, 3, &removed, &e) == 0 &&
			removed == 2 && get_is(st2, "V01", NULL) &&
			get_is(st2, "V03", NULL) &&
			get_is(st2, "V02", "with space"));
	}
	TEST("config: an invalid name is refused",
	    (v = envdir_new()) != NULL && envdir_set(v, "1BAD", "x", &e) == -1);
	envdir_free(v);
	TEST("config: no temporary file is left",
	    appstate_config_get(st, "V02", &val, &e) == 0);
	free(val);
	{
		struct dirent *d;
		DIR *dp = opendir(st->dir);
		int stray = 0;

		while (dp != NULL && (d = readdir(dp)) != NULL)
			stray += strstr(d->d_name, ".tmp") != NULL;
		if (dp != NULL)
			closedir(dp);
		TEST("config: no temporary file is left",
		    dp != NULL && stray == 0);
	}

	/* A broken file is named with its line; nothing is guessed. */
	put("c1/slugc/apps/conf/config.yml", "\"A\": \"1\"\n\"B\": [x]\n",
	    0600);
	TEST("config: a broken config.yml is an error naming file and line",
	    appstate_config_read(st, &all, &e) == -1 && all == NULL &&
		strstr(e.msg, "config.yml:2") != NULL);
	put("c1/slugc/apps/conf/config.yml", "\"A\": \"1\"\n\"A\": \"2\"\n",
	    0600);
	TEST("config: a var twice is an error",
	    appstate_config_read(st, &all, &e) == -1 &&
		strstr(e.msg, "twice") != NULL);
	put("c1/slugc/apps/conf/config.yml",
	    "\"SECRET\": \"hunter2\"\n"
	    "\"bad name\": \"x\"\n",
	    0600);
	TEST("config: a bad name is an error that shows no value",
	    appstate_config_read(st, &all, &e) == -1 &&
		strstr(e.msg, "hunter2") == NULL);

	/* A symlink in config.yml's place is never followed. */
	put("outside", "\"X\": \"1\"\n", 0600);
	unlink(at(st->dir, "config.yml"));
	put_link("c1/slugc/apps/conf/config.yml", at(tmpdir, "outside"));
	TEST("config: a symlinked config.yml is not read",
	    appstate_config_read(st, &all, &e) == -1 &&
		strstr(e.msg, "config.yml") != NULL);
	if ((all = envdir_new()) == NULL || envdir_set(all, "Y", "2", &e) == -1)
		abort();
	TEST("config: writing replaces the symlink, not its target",
	    appstate_config_write(st, all, &e) == 0 &&
		has("outside", "\"X\": \"1\"\n") &&
		mode_of(at(st->dir, "config.yml")) == 0600 &&
		get_is(st, "Y", "2"));
	envdir_free(all);
	appstate_close(st);
	appstate_close(st2);
}

/* Fills the file system at dir (a tmpfs) to its last byte. */
static void
fill(const char *dir)
{
	char buf[4096], *path = fs_join(dir, "filler");
	int fd;

	memset(buf, 'x', sizeof buf);
	if (path == NULL ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	while (write(fd, buf, sizeof buf) > 0)
		;
	while (write(fd, buf, 1) > 0)
		;
	close(fd);
	free(path);
}

static void
test_full_disk(void)
{
	struct appstate *st;
	struct errbuf e;
	char big[64 * 1024], *dir = tpath("full");
	int rc;

	if (fs_mkdir_p(dir, 0700, &e) == -1)
		abort();
	if (mount("tmpfs", dir, "tmpfs", 0, "size=256k,mode=0700") == -1) {
		TEST("tmpfs mounted (as root)",
		    getenv("SLUGC_REQUIRE_ALL") == NULL);
		printf("# skip: full disk (mount tmpfs: %s)\n",
		    strerror(errno));
		free(dir);
		return;
	}
	mounted = dir;
	setenv("XDG_STATE_HOME", dir, 1);
	st = open_app("full");
	TEST("full disk: a first value fits", set1(st, "KEEP", "old", &e) == 0);
	fill(dir);
	memset(big, 'v', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	rc = set1(st, "BIG", big, &e);
	TEST("full disk: set fails", rc == -1);
	TEST("full disk: the message names config.yml and ENOSPC",
	    strstr(e.msg, "config.yml") != NULL &&
		strstr(e.msg, "No space left on device") != NULL);
	TEST("full disk: the message holds no value",
	    strstr(e.msg, "vvvv") == NULL);
	TEST("full disk: the old config is whole",
	    get_is(st, "KEEP", "old") && get_is(st, "BIG", NULL));
	{
		struct dirent *d;
		DIR *dp = opendir(st->dir);
		int stray = 0;

		while (dp != NULL && (d = readdir(dp)) != NULL)
			stray += strstr(d->d_name, ".tmp") != NULL;
		if (dp != NULL)
			closedir(dp);
		TEST("full disk: no temporary file is left", stray == 0);
	}
	appstate_close(st);
	if (umount2(dir, 0) == -1)
		perror(dir);
	else {
		free(mounted);
		mounted = NULL;
	}
}

static void
test_lock(void)
{
	struct appstate *st, *st2;
	struct errbuf e;
	int p[2], i, ws, kids = 4, rounds = 15, bad = 0;
	int64_t t0, waited;
	pid_t pid;
	char c;

	use_state("l1");
	st = open_app("locked");
	TEST("lock: nests within one handle",
	    appstate_lock(st, &e) == 0 && appstate_lock(st, &e) == 0);
	appstate_unlock(st);
	appstate_unlock(st);

	/* A child holds the lock for 300 ms; our second handle waits. */
	if (pipe(p) == -1)
		abort();
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct appstate *cs = open_app("locked");

		if (appstate_lock(cs, &e) == -1)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		appstate_unlock(cs);
		appstate_close(cs);
		_exit(0);
	}
	close(p[1]);
	TEST("lock: the child has it", read(p[0], &c, 1) == 1);
	close(p[0]);
	st2 = open_app("locked");
	t0 = monotime_ms();
	TEST("lock: another process's lock is waited for",
	    appstate_lock(st2, &e) == 0 &&
		(waited = monotime_ms() - t0) >= 200);
	appstate_unlock(st2);
	appstate_close(st2);
	TEST("lock: child exited 0",
	    waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) &&
		WEXITSTATUS(ws) == 0);

	/* Concurrent config:set from several processes loses no update. */
	fflush(stdout);
	for (i = 0; i < kids; i++) {
		if ((pid = fork()) == 0) {
			struct appstate *cs = open_app("locked");
			char name[32], val[16];
			int r;

			for (r = 0; r < rounds; r++) {
				snprintf(name, sizeof name, "K%d_%d", i, r);
				snprintf(val, sizeof val, "%d", r);
				if (set1(cs, name, val, &e) == -1)
					_exit(1);
			}
			appstate_close(cs);
			_exit(0);
		}
	}
	for (i = 0; i < kids; i++)
		if (wait(&ws) == -1 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
			bad++;
	{
		struct envdir *all;

		TEST("lock: concurrent sets all land",
		    bad == 0 && appstate_config_read(st, &all, &e) == 0 &&
			all->nvars == (size_t)(kids * rounds));
		if (bad == 0)
			envdir_free(all);
	}
	appstate_close(st);
}

int
main(void)
{
	if (tmp_init("test_appstate") == -1)
		return 1;
	atexit(cleanup);
	test_names();
	test_root();
	test_open();
	test_config();
	test_full_disk();
	test_lock();
	return test_report();
}
