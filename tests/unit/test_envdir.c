/* Unit tests for envdir: a real ENV_DIR in a temporary directory holding
 * good values, denied names, directories, symlinks, a FIFO, huge files and
 * odd names; and envdir_write() round trips. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envdir.h"
#include "fsutil.h"
#include "testfs.h"
#include "testhelp.h"
#include "testwarn.h"

#define SECRET "s3cr3t-do-not-print"

static int
put(const char *dir, const char *name, const void *buf, size_t len)
{
	return put_file(at(dir, name), buf, len, 0644);
}

static int
puts_(const char *dir, const char *name, const char *s)
{
	return put(dir, name, s, strlen(s));
}

static bool
has_line(const struct warns *w, const char *dir, const char *rest)
{
	char line[PATH_MAX + 256];

	snprintf(line, sizeof line, "%s/%s\n", dir, rest);
	return strstr(w->buf, line) != NULL;
}

static bool
val_is(const struct envdir *env, const char *name, const char *want, size_t len)
{
	const char *v = envdir_get(env, name);
	size_t i;

	if (v == NULL)
		return false;
	for (i = 0; i < env->nvars; i++)
		if (strcmp(env->vars[i].name, name) == 0)
			return env->vars[i].len == len &&
			    memcmp(v, want, len) == 0 && v[len] == '\0';
	return false;
}

static void
test_read(const char *root)
{
	struct errbuf e = {""};
	struct envdir *env = NULL;
	struct warns w;
	char dir[1024], *big;
	static const char *const denied[] = {
	    "PATH",
	    "GIT_DIR",
	    "CPATH",
	    "CPPATH",
	    "LD_PRELOAD",
	    "LIBRARY_PATH",
	    "LANG",
	    "BUILD_DIR",
	};
	/* Names that are no config var's: skipped, and shown escaped. */
	static const struct {
		const char *name, *shown, *descr;
	} badnames[] = {
	    {"1START", "1START", "name starting with a digit"},
	    {"has-dash", "has-dash", "name with a dash"},
	    {"has space", "has\\x20space", "name with a space, shown escaped"},
	    {"dot.name", "dot.name", "name with a dot"},
	    {".hidden", ".hidden", "hidden file"},
	    {"new\nline", "new\\x0aline", "name with a newline, shown escaped"},
	    {"esc\x1b[31mred", "esc\\x1b[31mred",
		"name with an escape sequence, shown escaped"},
	    {"caf\xc3\xa9", "caf\\xc3\\xa9", "non-ASCII name, shown escaped"},
	};
	size_t i;
	bool sorted;
	int ok = 0;

	snprintf(dir, sizeof dir, "%s/env", root);
	mkdir(dir, 0700);
	ok += puts_(dir, "SIMPLE", "value");
	ok += puts_(dir, "SPACES", "  a b  ");
	ok += puts_(dir, "BUILD_CONFIGURATION", "Release\n");
	ok += puts_(dir, "MANY_NL", "x\n\n\n");
	ok += puts_(dir, "INNER_NL", "a\nb\n");
	ok += puts_(dir, "CRLF", "v\r\n");
	ok += puts_(dir, "UTF8", "日本語 ✓");
	ok += puts_(dir, "EMPTY", "");
	ok += puts_(dir, "ONLY_NL", "\n");
	ok += puts_(dir, "_under", "u");
	ok += puts_(dir, "lower9", "l");
	ok += puts_(dir, "QUOTES", "it's \"q\" $HOME `x` \\ ; rm -rf /");
	ok += puts_(dir, "AWS_SECRET_ACCESS_KEY", SECRET);
	ok += put(dir, "NULVAL", "a\0b", 3);
	for (i = 0; i < sizeof denied / sizeof denied[0]; i++)
		ok += puts_(dir, denied[i], SECRET);
	ok += mkdir(at(dir, "ADIR"), 0700);
	ok += symlink("SIMPLE", at(dir, "LINK"));
	ok += symlink("/nonexistent/x", at(dir, "DANGLING"));
	ok += mkfifo(at(dir, "FIFO"), 0600);
	big = malloc(ENVDIR_MAX_VALUE + 1);
	memset(big, 'x', ENVDIR_MAX_VALUE + 1);
	ok += put(dir, "HUGE", big, ENVDIR_MAX_VALUE + 1);
	ok += put(dir, "MAXED", big, ENVDIR_MAX_VALUE);
	for (i = 0; i < sizeof badnames / sizeof badnames[0]; i++)
		ok += puts_(dir, badnames[i].name, SECRET);
	TEST("fixture ENV_DIR made", ok == 0);

	memset(&w, 0, sizeof w);
	TEST("envdir_read succeeds",
	    envdir_read(dir, &env, collect, &w, &e) == 0 && env != NULL);
	if (env == NULL) {
		printf("# %s\n", e.msg);
		free(big);
		return;
	}
	TEST("plain value", val_is(env, "SIMPLE", "value", 5));
	TEST("blanks kept", val_is(env, "SPACES", "  a b  ", 7));
	TEST("a trailing newline dropped, as $(cat) does",
	    val_is(env, "BUILD_CONFIGURATION", "Release", 7));
	TEST("all trailing newlines dropped", val_is(env, "MANY_NL", "x", 1));
	TEST("inner newlines kept", val_is(env, "INNER_NL", "a\nb", 3));
	TEST("a carriage return kept", val_is(env, "CRLF", "v\r", 2));
	TEST("UTF-8 kept", val_is(env, "UTF8", "日本語 ✓", strlen("日本語 ✓")));
	TEST("empty file: empty value", val_is(env, "EMPTY", "", 0));
	TEST("newline only: empty value", val_is(env, "ONLY_NL", "", 0));
	TEST("lower case and underscore names",
	    val_is(env, "_under", "u", 1) && val_is(env, "lower9", "l", 1));
	TEST("shell metacharacters kept",
	    val_is(env, "QUOTES", "it's \"q\" $HOME `x` \\ ; rm -rf /",
		strlen("it's \"q\" $HOME `x` \\ ; rm -rf /")));
	TEST("secrets imported",
	    val_is(env, "AWS_SECRET_ACCESS_KEY", SECRET, strlen(SECRET)));
	TEST("a file of exactly the cap is imported",
	    val_is(env, "MAXED", big, ENVDIR_MAX_VALUE));
	for (i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		char descr[80], rest[120];

		snprintf(descr, sizeof descr, "%s is not imported", denied[i]);
		TEST(descr, envdir_get(env, denied[i]) == NULL);
		snprintf(rest, sizeof rest,
		    "%s: never imported into a build, "
		    "skipped",
		    denied[i]);
		snprintf(descr, sizeof descr, "%s: warned by name", denied[i]);
		TEST(descr, has_line(&w, dir, rest));
	}
	TEST("skipped: directory",
	    envdir_get(env, "ADIR") == NULL &&
		has_line(&w, dir, "ADIR: a directory, skipped"));
	TEST("skipped: symlink, not followed",
	    envdir_get(env, "LINK") == NULL &&
		has_line(&w, dir, "LINK: a symlink, not followed, skipped"));
	TEST("skipped: dangling symlink",
	    envdir_get(env, "DANGLING") == NULL &&
		has_line(&w, dir,
		    "DANGLING: a symlink, not followed, skipped"));
	TEST("skipped: FIFO, without hanging",
	    envdir_get(env, "FIFO") == NULL &&
		has_line(&w, dir, "FIFO: not a regular file, skipped"));
	TEST("skipped: over the size cap",
	    envdir_get(env, "HUGE") == NULL &&
		has_line(&w, dir, "HUGE: larger than 1048576 bytes, skipped"));
	TEST("skipped: NUL in the value",
	    envdir_get(env, "NULVAL") == NULL &&
		has_line(&w, dir,
		    "NULVAL: holds a NUL byte, which no "
		    "environment variable can, skipped"));
	for (i = 0; i < sizeof badnames / sizeof badnames[0]; i++) {
		char descr[80], rest[120];

		snprintf(descr, sizeof descr, "skipped: %s", badnames[i].descr);
		snprintf(rest, sizeof rest,
		    "%s: not a config var name, skipped", badnames[i].shown);
		TEST(descr, has_line(&w, dir, rest));
	}
	TEST("one warning per skipped entry", w.n == 22);
	TEST("no warning holds a value",
	    strstr(w.buf, SECRET) == NULL && strstr(w.buf, "xxxxxxxx") == NULL);
	TEST("no warning holds a raw control byte",
	    strchr(w.buf, '\x1b') == NULL);
	TEST("exactly the good entries imported", env->nvars == 14);
	sorted = true;
	for (i = 1; i < env->nvars; i++)
		sorted = sorted &&
		    strcmp(env->vars[i - 1].name, env->vars[i].name) < 0;
	TEST("sorted by name", sorted);
	if (w.n != 20)
		printf("# warnings:\n%s", w.buf);
	envdir_free(env);

	TEST("a NULL warn callback is fine",
	    envdir_read(dir, &env, NULL, NULL, &e) == 0 && env->nvars == 14);
	envdir_free(env);
	free(big);
	fs_rm_rf(dir, &e);
}

static void
test_missing(const char *root)
{
	struct errbuf e = {""};
	struct envdir *env = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/no-such-env", root);
	TEST("missing ENV_DIR: empty set",
	    envdir_read(path, &env, NULL, NULL, &e) == 0 && env != NULL &&
		env->nvars == 0);
	TEST("get on an empty set", envdir_get(env, "X") == NULL);
	envdir_free(env);
	env = NULL;
	TEST("NULL ENV_DIR: empty set",
	    envdir_read(NULL, &env, NULL, NULL, &e) == 0 && env != NULL &&
		env->nvars == 0);
	envdir_free(env);
	TEST("get on NULL", envdir_get(NULL, "X") == NULL);
	envdir_free(NULL);

	snprintf(path, sizeof path, "%s/afile", root);
	puts_(root, "afile", "x");
	env = NULL;
	TEST("ENV_DIR that is a file: error naming it",
	    envdir_read(path, &env, NULL, NULL, &e) == -1 && env == NULL &&
		strstr(e.msg, path) != NULL);
	unlink(path);
}

static void
test_set(void)
{
	struct errbuf e = {""};
	struct envdir *env = envdir_new();

	TEST("set",
	    envdir_set(env, "B", "2", &e) == 0 &&
		envdir_set(env, "A", "1", &e) == 0 &&
		envdir_set(env, "C", "3", &e) == 0);
	TEST("set keeps the order",
	    env->nvars == 3 && strcmp(env->vars[0].name, "A") == 0 &&
		strcmp(env->vars[1].name, "B") == 0 &&
		strcmp(env->vars[2].name, "C") == 0);
	TEST("set replaces",
	    envdir_set(env, "B", "two", &e) == 0 && env->nvars == 3 &&
		strcmp(envdir_get(env, "B"), "two") == 0 &&
		env->vars[1].len == 3);
	TEST("set refuses bad names",
	    envdir_set(env, "1X", "v", &e) == -1 &&
		envdir_set(env, "../x", "v", &e) == -1 &&
		envdir_set(env, "", "v", &e) == -1 &&
		strstr(e.msg, "v\"") == NULL);
	TEST("set: a refused name is quoted escaped, on one line",
	    envdir_set(env, "A B\n\x1b[2J", "v", &e) == -1 &&
		strncmp(e.msg,
		    "'A\\x20B\\x0a\\x1b[2J' is not a config var "
		    "name",
		    40) == 0);
	TEST("set accepts denied names (a runtime config var)",
	    envdir_set(env, "PATH", "/app/bin", &e) == 0);
	TEST("name checks",
	    envdir_name_ok("_a9") && !envdir_name_ok("9a") &&
		!envdir_name_ok("a-b") && !envdir_name_ok(NULL) &&
		envdir_name_denied("LD_PRELOAD") &&
		!envdir_name_denied("LD_PRELOADX"));
	TEST("LANG and BUILD_DIR are denied, as in Heroku's buildpacks; "
	     "LC_ALL and BUILD_DIRS are not",
	    envdir_name_denied("LANG") && envdir_name_denied("BUILD_DIR") &&
		!envdir_name_denied("LC_ALL") &&
		!envdir_name_denied("BUILD_DIRS") &&
		!envdir_name_denied("lang"));
	envdir_free(env);
}

static void
test_write(const char *root)
{
	struct errbuf e = {""};
	struct envdir *env = envdir_new(), *back = NULL;
	char dir[1024], path[PATH_MAX], target[PATH_MAX], *got;
	struct stat st;
	size_t len;

	snprintf(dir, sizeof dir, "%s/out/env", root);
	envdir_set(env, "SIMPLE", "value", &e);
	envdir_set(env, "TRAIL", "ends with newline\n", &e);
	envdir_set(env, "QUOTES", "it's \"q\" \\ 日本語", &e);
	envdir_set(env, "EMPTY", "", &e);
	envdir_set(env, "PATH", "/app/bin:/usr/bin", &e);
	TEST("write creates the directory",
	    envdir_write(dir, env, &e) == 0 && fs_is_dir(dir));
	snprintf(path, sizeof path, "%s/TRAIL", dir);
	got = fs_read_file(path, 1024, &len, &e);
	TEST("write: exact bytes",
	    got != NULL && len == 18 &&
		memcmp(got, "ends with newline\n", 18) == 0);
	free(got);
	TEST("write: mode 0600",
	    stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	snprintf(path, sizeof path, "%s/EMPTY", dir);
	TEST("write: empty value, empty file",
	    stat(path, &st) == 0 && st.st_size == 0);

	TEST("read back", envdir_read(dir, &back, NULL, NULL, &e) == 0);
	TEST("read back: values",
	    back != NULL && strcmp(envdir_get(back, "SIMPLE"), "value") == 0 &&
		strcmp(envdir_get(back, "QUOTES"), "it's \"q\" \\ 日本語") ==
		    0 &&
		strcmp(envdir_get(back, "EMPTY"), "") == 0);
	TEST("read back: trailing newline dropped (see envdir.h)",
	    back != NULL &&
		strcmp(envdir_get(back, "TRAIL"), "ends with newline") == 0);
	TEST("read back: PATH written but not imported",
	    back != NULL && envdir_get(back, "PATH") == NULL &&
		back->nvars == 4);
	envdir_free(back);

	/* Rewriting: an existing 0644 file becomes 0600 with the new
	 * value; a symlink planted in the way is not followed. */
	snprintf(path, sizeof path, "%s/SIMPLE", dir);
	chmod(path, 0644);
	envdir_set(env, "SIMPLE", "new", &e);
	TEST("rewrite", envdir_write(dir, env, &e) == 0);
	got = fs_read_file(path, 1024, &len, &e);
	TEST("rewrite: new value, no leftovers",
	    got != NULL && len == 3 && memcmp(got, "new", 3) == 0);
	free(got);
	TEST("rewrite: mode back to 0600",
	    stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

	snprintf(target, sizeof target, "%s/target", root);
	puts_(root, "target", "untouched");
	snprintf(path, sizeof path, "%s/QUOTES", dir);
	unlink(path);
	symlink(target, path);
	TEST("a symlink in the way: error naming the file",
	    envdir_write(dir, env, &e) == -1 &&
		strstr(e.msg, "QUOTES") != NULL &&
		strstr(e.msg, "日本語") == NULL);
	got = fs_read_file(target, 1024, &len, &e);
	TEST("a symlink in the way: its target untouched",
	    got != NULL && strcmp(got, "untouched") == 0);
	free(got);

	env->vars[0].name[0] = '.'; /* bypassing envdir_set() */
	TEST("write refuses a bad name", envdir_write(dir, env, &e) == -1);
	envdir_free(env);
}

int
main(void)
{
	struct errbuf e = {""};
	char *root;

	root = fs_mkdtemp("/tmp", "test_envdir.", &e);
	TEST("temp dir", root != NULL);
	if (root == NULL)
		return test_report();
	test_read(root);
	test_missing(root);
	test_set();
	test_write(root);
	fs_rm_rf(root, &e);
	free(root);
	return test_report();
}
