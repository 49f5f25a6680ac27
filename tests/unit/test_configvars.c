/* test_configvars.c - the run-time precedence of config vars (release <
 * app < --env < -e), the app's config read from real state without
 * creating any, URL passwords masked through libcurl's parser, .env lines
 * that slugc's and foreman's readers both read back exactly, and the app
 * name a command derives from a directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "appname.h"
#include "appstate.h"
#include "configvars.h"
#include "testhelp.h"
#include "testtmp.h"

static struct envdir *
set_of(const char *const *kv)
{
	struct envdir *env = envdir_new();
	struct errbuf e;

	if (env == NULL)
		abort();
	for (; kv[0] != NULL; kv += 2)
		if (envdir_set(env, kv[0], kv[1], &e) == -1)
			abort();
	return env;
}

static bool
is(const struct envdir *env, const char *name, const char *value)
{
	const char *v = envdir_get(env, name);

	return v != NULL && strcmp(v, value) == 0;
}

static void
test_merge(void)
{
	static const char *const appv[] = {"B", "app", "C", "app", "D", "app",
	    NULL};
	static const char *const filev[] = {"C", "file", "D", "file", NULL};
	static const char *const cliv[] = {"D", "cli", "E", "cli", NULL};
	struct envdir *app = set_of(appv), *file = set_of(filev),
		      *cli = set_of(cliv), *out;
	struct manifest *rel = manifest_new();
	struct errbuf e;

	if (rel == NULL || manifest_set_var(rel, "A", "release", &e) == -1 ||
	    manifest_set_var(rel, "B", "release", &e) == -1 ||
	    manifest_set_var(rel, "D", "release", &e) == -1)
		abort();
	TEST("merge: succeeds",
	    configvars_merge(rel, app, file, cli, &out, &e) == 0);
	TEST("merge: release < app < --env < -e, name by name",
	    out->nvars == 5 && is(out, "A", "release") && is(out, "B", "app") &&
		is(out, "C", "file") && is(out, "D", "cli") &&
		is(out, "E", "cli"));
	envdir_free(out);
	TEST("merge: every source may be missing",
	    configvars_merge(NULL, NULL, NULL, NULL, &out, &e) == 0 &&
		out->nvars == 0);
	envdir_free(out);
	TEST("merge: the release alone",
	    configvars_merge(rel, NULL, NULL, NULL, &out, &e) == 0 &&
		out->nvars == 3 && is(out, "B", "release"));
	envdir_free(out);
	if (manifest_set_var(rel, "NOT A NAME", "x", &e) == -1)
		abort();
	out = (struct envdir *)1;
	TEST("merge: a release var no environment can carry is named",
	    configvars_merge(rel, app, NULL, NULL, &out, &e) == -1 &&
		out == NULL && strstr(e.msg, "NOT\\x20A\\x20NAME") != NULL);
	manifest_free(rel);
	envdir_free(app);
	envdir_free(file);
	envdir_free(cli);
}

static void
test_for_app(void)
{
	static const char *const cliv[] = {"K", "cli", NULL};
	struct envdir *cli = set_of(cliv), *vars, *out;
	struct appstate *st;
	struct errbuf e;
	char *root;

	setenv("XDG_STATE_HOME", at(tmpdir, "state"), 1);
	if (appstate_open("web-1", true, &st, &e) == -1 ||
	    (vars = envdir_new()) == NULL ||
	    envdir_set(vars, "K", "app", &e) == -1 ||
	    envdir_set(vars, "L", "app", &e) == -1 ||
	    appstate_config_set(st, vars, &e) == -1)
		abort();
	envdir_free(vars);
	appstate_close(st);
	TEST("for_app: the app's config under -e",
	    configvars_for_app("web-1", NULL, NULL, cli, &out, &e) == 0 &&
		out->nvars == 2 && is(out, "K", "cli") && is(out, "L", "app"));
	envdir_free(out);
	TEST("for_app: an app without state has no config",
	    configvars_for_app("never-made", NULL, NULL, cli, &out, &e) == 0 &&
		out->nvars == 1 && is(out, "K", "cli"));
	envdir_free(out);
	TEST("for_app: ... and gets none made",
	    !exists("state/slugc/apps/never-made"));
	TEST("for_app: no app at all",
	    configvars_for_app(NULL, NULL, NULL, NULL, &out, &e) == 0 &&
		out->nvars == 0);
	envdir_free(out);
	/* A state directory that is a symlink is refused, not read. */
	if ((root = tpath("state/slugc/apps/linked")) == NULL)
		abort();
	put_link("state/slugc/apps/linked", "web-1");
	out = (struct envdir *)1;
	TEST("for_app: a state directory that is a symlink is an error",
	    configvars_for_app("linked", NULL, NULL, NULL, &out, &e) == -1 &&
		out == NULL && strstr(e.msg, "symlink") != NULL);
	free(root);
	envdir_free(cli);
}

static void
check_mask(const char *descr, const char *in, const char *want)
{
	char *m = configvars_mask(in);

	TEST(descr, m != NULL && strcmp(m, want) == 0);
	if (m != NULL && strcmp(m, want) != 0)
		printf("# got '%s'\n", m);
	free(m);
}

static void
test_mask(void)
{
	check_mask("mask: the password of a redistogo URL",
	    "redis://redistogo:s3cr3t@127.0.0.1:6379/",
	    "redis://redistogo:*****@127.0.0.1:6379/");
	check_mask("mask: a password without a user",
	    "redis://:s3cr3t@localhost:1/", "redis://:*****@localhost:1/");
	check_mask("mask: percent-encoded password, query kept",
	    "postgres://u:p%40ss@db.example:5432/d?sslmode=require",
	    "postgres://u:*****@db.example:5432/d?sslmode=require");
	check_mask("mask: IPv6 host", "mysql://u:pw@[::1]:3306/db",
	    "mysql://u:*****@[::1]:3306/db");
	check_mask("mask: an '@' curl cannot place hides all",
	    "postgres://u:p@ss@h/db", "*****");
	check_mask("mask: a URL without a password is kept as it is",
	    "https://example.com/a:b@c", "https://example.com/a:b@c");
	check_mask("mask: an empty password is no secret", "redis://u:@h:1/",
	    "redis://u:@h:1/");
	check_mask("mask: not a URL", "plain value", "plain value");
	check_mask("mask: a colon is not a URL", "foo:bar", "foo:bar");
	check_mask("mask: empty", "", "");
}

/* slugc's --env reader's rules (src/slugc/dotenv.c) for one line. */
static char *
read_slugc(const char *line)
{
	const char *eq = strchr(line, '=');
	size_t n;
	char *v, *w, *s;

	if (eq == NULL || (v = strdup(eq + 1)) == NULL)
		abort();
	n = strlen(v);
	if (n > 0 && v[n - 1] == '\n')
		v[--n] = '\0';
	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
	} else if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
		for (s = w = v; *s != '\0'; s++)
			if (s[0] == '\\' && s[1] == 'n') {
				*w++ = '\n';
				s++;
			} else if (s[0] == '\\' && s[1] != '\0')
				*w++ = *++s;
			else
				*w++ = *s;
		*w = '\0';
	}
	return v;
}

/* foreman's (Foreman::Env): '\n' becomes a newline everywhere first,
 * then "\X" becomes X for any X but a newline. */
static char *
read_foreman(const char *line)
{
	char *v = read_slugc(line), *w, *s;
	const char *eq = strchr(line, '=');

	if (eq[1] != '"')
		return v;
	free(v);
	if ((v = strdup(eq + 2)) == NULL)
		abort();
	v[strlen(v) - 2] = '\0'; /* the closing quote and \n */
	for (s = w = v; *s != '\0'; s++)
		if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else
			*w++ = *s;
	*w = '\0';
	for (s = w = v; *s != '\0'; s++)
		if (s[0] == '\\' && s[1] != '\0' && s[1] != '\n')
			*w++ = *++s;
		else
			*w++ = *s;
	*w = '\0';
	return v;
}

static bool
round_trips(const char *value, bool foreman)
{
	char *line = configvars_dotenv_line("K", value), *a, *b;
	bool ok;

	if (line == NULL)
		abort();
	/* One line per var, ending in one newline. */
	ok = strncmp(line, "K=", 2) == 0 &&
	    strchr(line, '\n') == line + strlen(line) - 1;
	a = read_slugc(line);
	b = read_foreman(line);
	ok = ok && strcmp(a, value) == 0 && (!foreman || strcmp(b, value) == 0);
	if (!ok)
		printf("# %s", line);
	free(a);
	free(b);
	free(line);
	return ok;
}

static void
test_dotenv(void)
{
	static const char *const values[] = {"", "plain", "en_US.UTF-8",
	    "with space", " lead and trail ", "it's", "'quoted'", "\"double\"",
	    "a # not a comment", "#start", "$HOME `x` $(y)", "back\\slash",
	    "back\\nslash", "tab\there", "cr\rinside", "ends with cr\r",
	    "line1\nline2", "\n", "a\nb\"c'd", "x\\\ny", "redis://u:p@h:1/",
	    "=", "=x=", "\xc3\xa9t\xc3\xa9 \xff\xfe", NULL};
	char rnd[64], *line;
	size_t i, j;
	bool all = true;

	for (i = 0; values[i] != NULL; i++)
		if (!round_trips(values[i], true)) {
			all = false;
			printf("# value %zu\n", i);
		}
	TEST("dotenv: slugc's and foreman's readers read every value back",
	    all);
	TEST("dotenv: ...but foreman, a multi-line value with \\ then n",
	    round_trips("a\\n\nb", false));
	for (all = true, i = 0; i < 2000; i++) {
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
			abort();
		for (j = 0; j < sizeof rnd - 1; j++)
			if (rnd[j] == '\0' ||
			    (rnd[j] == 'n' && j > 0 && rnd[j - 1] == '\\'))
				rnd[j] = 'x';
		rnd[sizeof rnd - 1] = '\0';
		all = all && round_trips(rnd, true);
	}
	TEST("dotenv: 2000 random byte strings round-trip", all);
	line = configvars_dotenv_line("LANG", "en_US.UTF-8");
	TEST("dotenv: a plain value goes bare, as heroku config -s has it",
	    line != NULL && strcmp(line, "LANG=en_US.UTF-8\n") == 0);
	free(line);
	line = configvars_dotenv_line("A", "x y");
	TEST("dotenv: spaces in single quotes",
	    line != NULL && strcmp(line, "A='x y'\n") == 0);
	free(line);
	line = configvars_dotenv_line("A", "1\n\"2\"\\");
	TEST("dotenv: newlines in double quotes, escaped",
	    line != NULL && strcmp(line, "A=\"1\\n\\\"2\\\"\\\\\"\n") == 0);
	free(line);
}

static void
test_appname(void)
{
	char out[APPSTATE_NAME_MAX + 1];
	struct errbuf e;

	if (fs_mkdir_p(at(tmpdir, "src/My App_2"), 0700, &e) == -1)
		abort();
	put_link("src/link", "My App_2");
	TEST("appname: --app as given",
	    appname_for("given-1", "/nonexistent", out, &e) == 0 &&
		strcmp(out, "given-1") == 0);
	TEST("appname: a bad --app is refused, quoted",
	    appname_for("Bad Name", ".", out, &e) == -1 &&
		strstr(e.msg, "Bad\\x20Name") != NULL);
	TEST("appname: from the directory's name",
	    appname_for(NULL, at(tmpdir, "src/My App_2"), out, &e) == 0 &&
		strcmp(out, "my-app-2") == 0);
	TEST("appname: a symlink's target names it",
	    appname_for(NULL, at(tmpdir, "src/link"), out, &e) == 0 &&
		strcmp(out, "my-app-2") == 0);
	errno = 0;
	TEST("appname: a missing directory, named with errno",
	    appname_for(NULL, at(tmpdir, "src/none"), out, &e) == -1 &&
		strstr(e.msg, "src/none: No such file") != NULL);
	TEST("appname: the root has no name: --app is asked for",
	    appname_for(NULL, "/", out, &e) == -1 &&
		strstr(e.msg, "--app") != NULL);
}

int
main(void)
{
	if (tmp_init("test_configvars") == -1)
		return 1;
	atexit(tmp_done);
	test_merge();
	test_for_app();
	test_mask();
	test_dotenv();
	test_appname();
	return test_report();
}
