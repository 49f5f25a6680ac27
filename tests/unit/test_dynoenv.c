/* Unit tests for dynoenv: a dyno process's environment (which source wins
 * over which), Heroku's dyno metadata, and the argv, run by a real bash
 * with real .profile.d scripts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynoenv.h"
#include "testhelp.h"
#include "testtmp.h"

static bool
is(const struct envv *ev, const char *name, const char *want)
{
	const char *v = envv_get(ev, name);

	return v != NULL && strcmp(v, want) == 0;
}

/* "xxxxxxxx-xxxx-Vxxx-Nxxx-xxxxxxxxxxxx", V the version, N 8, 9, a or b. */
static bool
uuid_ok(const char *u, char version)
{
	size_t i;

	if (u == NULL || strlen(u) != 36)
		return false;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return false;
		} else if (strchr("0123456789abcdef", u[i]) == NULL)
			return false;
	return u[14] == version && strchr("89ab", u[19]) != NULL;
}

static void
test_sources(void)
{
	struct manifest *rel = manifest_new();
	struct envdir *vars = envdir_new();
	struct envv ev = ENVV_INIT;
	struct dynoenv de = {.home = "/app", .dyno = "web.1", .port = 5000};
	struct errbuf e;

	if (rel == NULL || vars == NULL ||
	    manifest_set_var(rel, "R", "release", &e) == -1 ||
	    manifest_set_var(rel, "ONLY_R", "release", &e) == -1 ||
	    manifest_set_var(rel, "HEROKU_APP_NAME", "release", &e) == -1 ||
	    manifest_set_var(rel, "PORT", "1", &e) == -1 ||
	    envdir_set(vars, "R", "config", &e) == -1 ||
	    envdir_set(vars, "HEROKU_APP_ID", "config", &e) == -1 ||
	    envdir_set(vars, "PATH", "/config/bin", &e) == -1 ||
	    envdir_set(vars, "HOME", "/config", &e) == -1 ||
	    envdir_set(vars, "PORT", "2", &e) == -1 ||
	    envdir_set(vars, "DYNO", "config.1", &e) == -1)
		abort();
	de.release = rel;
	de.vars = vars;
	de.app_name = "my-shop";
	TEST("env: built", dynoenv_build(&ev, &de, &e) == 0);
	TEST("env: config vars win over the release's", is(&ev, "R", "config"));
	TEST("env: the release's stay where nothing overrides them",
	    is(&ev, "ONLY_R", "release"));
	TEST("env: the metadata wins over the release's config_vars",
	    is(&ev, "HEROKU_APP_NAME", "my-shop"));
	TEST("env: config vars win over the metadata",
	    is(&ev, "HEROKU_APP_ID", "config"));
	TEST("env: a config var may set PATH", is(&ev, "PATH", "/config/bin"));
	TEST("env: HOME, PORT and DYNO are the platform's",
	    is(&ev, "HOME", "/app") && is(&ev, "PORT", "5000") &&
		is(&ev, "DYNO", "web.1"));
	envv_free(&ev);

	de.release = NULL;
	de.vars = NULL;
	de.app_name = NULL;
	de.commit = "0123456789abcdef";
	de.created = 86400;
	TEST("env: no release, no config vars, no app name",
	    dynoenv_build(&ev, &de, &e) == 0);
	TEST("env: then PATH, HOME, PORT and DYNO alone",
	    ev.n == 4 && is(&ev, "PATH", DYNOENV_PATH) &&
		is(&ev, "HOME", "/app") && is(&ev, "PORT", "5000") &&
		is(&ev, "DYNO", "web.1"));
	envv_free(&ev);
	manifest_free(rel);
	envdir_free(vars);
}

static void
test_metadata(void)
{
	struct envv a = ENVV_INIT, b = ENVV_INIT;
	struct dynoenv de = {.home = "/app", .dyno = "run.1", .port = 5000};
	struct errbuf e;
	char id[37];

	de.app_name = "my-shop";
	TEST("metadata: set", dynoenv_metadata(&a, &de, &e) == 0);
	TEST("metadata: the name and domain",
	    is(&a, "HEROKU_APP_NAME", "my-shop") &&
		is(&a, "HEROKU_APP_DEFAULT_DOMAIN_NAME", "my-shop.localhost"));
	/* Python: uuid bytes = sha256(b"slugc app my-shop")[:16], version 5
	 * and RFC variant bits set. */
	TEST("metadata: the app id is the name's UUID",
	    is(&a, "HEROKU_APP_ID", "bb285cf2-506e-58ae-998b-b5f06939ceec"));
	TEST("metadata: the dyno id is a random (v4) UUID",
	    uuid_ok(envv_get(&a, "HEROKU_DYNO_ID"), '4'));
	TEST("metadata: no commit, no time: neither is set",
	    envv_get(&a, "HEROKU_SLUG_COMMIT") == NULL &&
		envv_get(&a, "HEROKU_SLUG_DESCRIPTION") == NULL &&
		envv_get(&a, "HEROKU_RELEASE_CREATED_AT") == NULL && a.n == 4);
	de.commit = "0123456789abcdef";
	de.created = 31536000 + 3661;
	TEST("metadata: again, with a commit and a time",
	    dynoenv_metadata(&b, &de, &e) == 0);
	TEST("metadata: a new dyno id each time",
	    uuid_ok(envv_get(&b, "HEROKU_DYNO_ID"), '4') &&
		strcmp(envv_get(&a, "HEROKU_DYNO_ID"),
		    envv_get(&b, "HEROKU_DYNO_ID")) != 0);
	TEST("metadata: the same app id each time",
	    is(&b, "HEROKU_APP_ID", envv_get(&a, "HEROKU_APP_ID")));
	TEST("metadata: the commit and its short description",
	    is(&b, "HEROKU_SLUG_COMMIT", "0123456789abcdef") &&
		is(&b, "HEROKU_SLUG_DESCRIPTION", "Deploy 0123456"));
	TEST("metadata: the release's time in UTC",
	    is(&b, "HEROKU_RELEASE_CREATED_AT", "1971-01-01T01:01:01Z"));
	envv_free(&a);
	envv_free(&b);

	de.app_name = "";
	TEST("metadata: none without an app name",
	    dynoenv_metadata(&a, &de, &e) == 0 && a.n == 0);
	TEST("app id: a UUID of version 5",
	    dynoenv_app_id("other", id, &e) == 0 && uuid_ok(id, '5'));
	TEST("app id: another app, another id",
	    strcmp(id, "bb285cf2-506e-58ae-998b-b5f06939ceec") != 0);
}

/* Runs argv as a dyno would (HOME the scratch directory, started in /):
 * its stdout into out, the status returned. */
static int
run_dyno(const char **argv, char *out, size_t size)
{
	struct envv ev = ENVV_INIT;
	struct spawn s = SPAWN_INIT;
	struct errbuf e;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (envv_set(&ev, "PATH", DYNOENV_PATH, &e) == -1 ||
	    envv_set(&ev, "HOME", tmpdir, &e) == -1)
		abort();
	s.argv = argv;
	s.envp = envv_array(&ev);
	s.cwd = "/";
	s.on_line = run_drop;
	rc = spawn_capture(&s, size - 1, &text, &len, &e);
	out[0] = '\0';
	if (text != NULL) {
		while (len > 0 && text[len - 1] == '\n')
			len--;
		memcpy(out, text, len);
		out[len] = '\0';
	}
	free(text);
	envv_free(&ev);
	return rc;
}

static void
test_argv(void)
{
	char *const words[] = {"printf", "%s|", "a b", "$HOME", "'\"", "-c",
	    NULL};
	const char **v;
	struct errbuf e;
	char out[256];

	put(".profile.d/a.sh", "export FROM_D=d\n", 0644);
	put(".profile.d/b.sh", "export FROM_D=\"$FROM_D+b\"\n", 0644);
	put(".profile.d/skip.txt", "export FROM_D=no\n", 0644);
	put(".profile", "export FROM_PROFILE=\"p after $FROM_D\"\n", 0644);

	v = dynoenv_argv("echo \"$FROM_PROFILE\" \"$(pwd)\"; exit 7", NULL, &e);
	TEST("argv: a command line", v != NULL);
	TEST("argv: it runs in HOME after .profile.d's scripts, in order, then "
	     ".profile, and its status is the command's",
	    run_dyno(v, out, sizeof out) == 7 &&
		strncmp(out, "p after d+b ", 12) == 0 &&
		strcmp(out + 12, tmpdir) == 0);
	free(v);

	v = dynoenv_argv("echo \"unbalanced", NULL, &e);
	TEST("argv: a command line that is not shell is bash -c's error "
	     "(2), not the script's",
	    v != NULL && run_dyno(v, out, sizeof out) == 2);
	free(v);

	v = dynoenv_argv(NULL, words, &e);
	TEST("argv: an argv, each word as it is",
	    v != NULL && run_dyno(v, out, sizeof out) == 0 &&
		strcmp(out, "a b|$HOME|'\"|-c|") == 0);
	TEST("argv: bash -c SCRIPT bash -- WORDS...",
	    v != NULL && strcmp(v[0], "bash") == 0 && strcmp(v[1], "-c") == 0 &&
		strcmp(v[3], "bash") == 0 && strcmp(v[4], "--") == 0 &&
		v[5] == words[0] && v[10] == words[5] && v[11] == NULL);
	free(v);

	v = dynoenv_argv(NULL,
	    (char *const[]){"exec-this-does-not-exist", NULL}, &e);
	TEST("argv: an argv that cannot be found exits 127",
	    v != NULL && run_dyno(v, out, sizeof out) == 127);
	free(v);
}

int
main(void)
{
	if (tmp_init("test_dynoenv") == -1)
		return 1;
	test_sources();
	test_metadata();
	test_argv();
	tmp_done();
	return test_report();
}
