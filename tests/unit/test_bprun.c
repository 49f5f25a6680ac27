/* test_bprun.c - the buildpack runner over real buildpacks: shell-script
 * bin/detect, bin/compile and bin/release written into the scratch
 * directory, run as a platform runs them. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bprun.h"
#include "fsutil.h"
#include "spawn.h"
#include "testhelp.h"
#include "testtmp.h"
#include "testwarn.h"

/* A buildpack at rel: detect prints name (NULL: refuses, exit 1); compile
 * and release are the given script bodies (NULL: none). */
static void
buildpack(const char *rel, const char *name, const char *compile,
    const char *release)
{
	char path[256], text[2048];

	snprintf(path, sizeof path, "%s/bin/detect", rel);
	if (name != NULL)
		snprintf(text, sizeof text, "#!/bin/sh\nprintf '%%s' '%s'\n",
		    name);
	else
		snprintf(text, sizeof text, "#!/bin/sh\necho no\nexit 1\n");
	put(path, text, 0755);
	if (compile != NULL) {
		snprintf(path, sizeof path, "%s/bin/compile", rel);
		snprintf(text, sizeof text, "#!/bin/bash\n%s\n", compile);
		put(path, text, 0755);
	}
	if (release != NULL) {
		snprintf(path, sizeof path, "%s/bin/release", rel);
		snprintf(text, sizeof text, "#!/bin/sh\n%s\n", release);
		put(path, text, 0755);
	}
}

struct seen {
	char log[1024];
	int detected, refused;
};

static void
on_event(void *arg, enum bprun_event ev, const struct bprun_bp *bp)
{
	struct seen *s = arg;
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof s->log - n, "%s %s;",
	    ev == BPRUN_DETECTED ? "detected" : "refused",
	    ev == BPRUN_DETECTED ? bp->name : bp->src);
	if (ev == BPRUN_DETECTED)
		s->detected++;
	else
		s->refused++;
}

/* A runner over a fresh build directory "NAME/build" with its ENV_DIR,
 * copies and caches beside it. */
static void
runner(struct bprun *r, const char *name, struct seen *s)
{
	static char dirs[4][5][256];
	static int k;
	char(*d)[256] = dirs[k++ % 4];
	struct errbuf e;
	const char *sub[] = {"build", "env", "copies", "caches", "home"};
	size_t i;

	*r = (struct bprun)BPRUN_INIT;
	for (i = 0; i < 5; i++) {
		snprintf(d[i], sizeof d[i], "%s/%s/%s", tmpdir, name, sub[i]);
		if (i != 2 && i != 3 && fs_mkdir_p(d[i], 0700, &e) == -1)
			abort();
	}
	r->build_dir = d[0];
	r->env_dir = d[1];
	r->copy_root = d[2];
	r->cache_root = d[3];
	r->on_event = on_event;
	r->event_arg = s;
	memset(s, 0, sizeof *s);
	if (bprun_env(r, d[4], d[4], "heroku-22", "abc123", &e) == -1)
		abort();
}

static void
test_find(void)
{
	struct bprun r = BPRUN_INIT;
	struct errbuf e = {""};

	buildpack("bps/b-second", "B", NULL, NULL);
	buildpack("bps/a-first", "A", NULL, NULL);
	buildpack("bps/.hidden", "H", NULL, NULL);
	put("bps/not-one/bin/compile", "#!/bin/sh\n", 0755);
	put("bps/no-exec/bin/detect", "#!/bin/sh\n", 0644);
	put("bps/file", "x", 0644);
	TEST("scan: succeeds", bprun_scan(&r, at(tmpdir, "bps"), &e) == 0);
	TEST("scan: buildpacks only, in byte order",
	    r.nbps == 2 &&
		strcmp(r.bps[0].src, at(tmpdir, "bps/a-first")) == 0 &&
		strcmp(r.bps[1].src, at(tmpdir, "bps/b-second")) == 0);
	TEST("scan: not given", !r.given);
	bprun_free(&r);

	TEST("scan: none is an error",
	    bprun_scan(&r, at(tmpdir, "bps/not-one"), &e) == -1 &&
		strstr(e.msg, "no buildpacks in ") == e.msg);
	bprun_free(&r);
	TEST("scan: a missing root names it",
	    bprun_scan(&r, at(tmpdir, "nowhere"), &e) == -1 &&
		strstr(e.msg, "nowhere: No such file") != NULL);
	bprun_free(&r);

	TEST("add: a buildpack",
	    bprun_add(&r, at(tmpdir, "bps/b-second"), &e) == 0 && r.nbps == 1 &&
		r.given);
	TEST("add: without an executable detect refused",
	    bprun_add(&r, at(tmpdir, "bps/no-exec"), &e) == -1 &&
		strstr(e.msg,
		    "no-exec: not a buildpack (no executable bin/detect)") !=
		    NULL &&
		r.nbps == 1);
	bprun_free(&r);

	setenv("SLUGC_BUILDPACKS", "/some/where", 1);
	char *root = bprun_default_root();
	TEST("default root: $SLUGC_BUILDPACKS",
	    root != NULL && strcmp(root, "/some/where") == 0);
	free(root);
	unsetenv("SLUGC_BUILDPACKS");
}

static void
test_env(void)
{
	struct bprun r = BPRUN_INIT;
	struct errbuf e;

	static const char *const ours[] = {"TERM", "LC_ALL", "LC_CTYPE", "TZ",
	    "http_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
	    "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
	    "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", NULL};
	size_t i;

	for (i = 0; ours[i] != NULL; i++)
		unsetenv(ours[i]);
	setenv("LANG", "C.UTF-8", 1);
	setenv("https_proxy", "http://proxy:3128", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "hunter2", 1);
	setenv("PATH", "/home/me/bin:/usr/bin:/bin", 1);
	TEST("env: made", bprun_env(&r, "/h", "/t", "cedar", "", &e) == 0);
	TEST("env: a platform's PATH",
	    strcmp(envv_get(&r.env, "PATH"),
		"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
		"/bin") == 0);
	TEST("env: HOME, TMPDIR, STACK",
	    strcmp(envv_get(&r.env, "HOME"), "/h") == 0 &&
		strcmp(envv_get(&r.env, "TMPDIR"), "/t") == 0 &&
		strcmp(envv_get(&r.env, "STACK"), "cedar") == 0);
	TEST("env: no SOURCE_VERSION without a commit",
	    envv_get(&r.env, "SOURCE_VERSION") == NULL);
	TEST("env: locale and proxy kept",
	    strcmp(envv_get(&r.env, "LANG"), "C.UTF-8") == 0 &&
		strcmp(envv_get(&r.env, "https_proxy"), "http://proxy:3128") ==
		    0);
	TEST("env: nothing else of ours",
	    envv_get(&r.env, "AWS_SECRET_ACCESS_KEY") == NULL && r.env.n == 6);
	bprun_free(&r);
	TEST("env: SOURCE_VERSION from the commit",
	    bprun_env(&r, "/h", "/t", "cedar", "abc", &e) == 0 &&
		strcmp(envv_get(&r.env, "SOURCE_VERSION"), "abc") == 0);
	bprun_free(&r);
	unsetenv("AWS_SECRET_ACCESS_KEY");
}

static void
test_place_detect(void)
{
	struct bprun r;
	struct seen s;
	struct errbuf e = {""};
	char *p;

	buildpack("pd/one/mono", "Mono  \r\nsecond line", NULL, NULL);
	buildpack("pd/two/mono", "", NULL, NULL);
	buildpack("pd/refuses", NULL, NULL, NULL);
	put("pd/one/mono/VERSION", "1\n", 0644);
	runner(&r, "pd", &s);
	bprun_add(&r, at(tmpdir, "pd/one/mono"), &e);
	bprun_add(&r, at(tmpdir, "pd/two/mono"), &e);
	bprun_add(&r, at(tmpdir, "pd/refuses"), &e);
	TEST("place: first", bprun_place(&r, 0, &e) == 0);
	TEST("place: copied under copy_root by name",
	    strcmp(r.bps[0].dir, at(tmpdir, "pd/copies/mono")) == 0 &&
		has("pd/copies/mono/VERSION", "1\n"));
	TEST("place: its cache made",
	    strcmp(r.bps[0].cache, at(tmpdir, "pd/caches/mono")) == 0 &&
		fs_is_dir(r.bps[0].cache));
	TEST("place: second", bprun_place(&r, 1, &e) == 0);
	TEST("place: a second of the same name gets its own",
	    strcmp(r.bps[1].dir, at(tmpdir, "pd/copies/mono-2")) == 0 &&
		strcmp(r.bps[1].cache, at(tmpdir, "pd/caches/mono-2")) == 0);
	TEST("place: third", bprun_place(&r, 2, &e) == 0);

	TEST("detect: takes the app", bprun_detect(&r, 0, &e) == 0);
	TEST("detect: the first line is the name, blanks cut",
	    r.bps[0].name != NULL && strcmp(r.bps[0].name, "Mono") == 0);
	TEST("detect: nothing printed", bprun_detect(&r, 1, &e) == 0);
	TEST("detect: the directory's name then",
	    r.bps[1].name != NULL && strcmp(r.bps[1].name, "mono-2") == 0);
	TEST("detect: refuses", bprun_detect(&r, 2, &e) == 1);
	TEST("detect: no name", r.bps[2].name == NULL);

	/* A changed source is copied afresh. */
	put("pd/one/mono/VERSION", "2\n", 0644);
	TEST("place: again",
	    bprun_place(&r, 0, &e) == 0 &&
		has("pd/copies/mono/VERSION", "2\n"));
	p = fs_join(r.copy_root, "missing");
	free(r.bps[2].src);
	r.bps[2].src = p;
	TEST("place: a missing source names it",
	    bprun_place(&r, 2, &e) == -1 && strstr(e.msg, "missing:") != NULL);
	bprun_free(&r);
}

static void
test_compile(void)
{
	struct bprun r;
	struct bprun_outcome out;
	struct seen s;
	struct errbuf e = {""};
	char keep[16];
	int fd;

	buildpack("cp/first", "First",
	    "echo 'export FROM_FIRST=\"a b\"' > \"$(dirname $0)/../export\"\n"
	    "echo \"$@\" > \"$1/first-args\"",
	    NULL);
	buildpack("cp/second", "Second",
	    "printf '%s|%s|%s|%s' \"$FROM_FIRST\" \"$PWD\" \"$STACK\" "
	    "\"$SOURCE_VERSION\" > \"$1/second-saw\"\n"
	    "read n < \"$1/keep\"; [ -e /proc/$$/fd/$n ] && touch \"$1/kept\"\n"
	    "ls \"$3\" > \"$1/env-dir\"",
	    NULL);
	buildpack("cp/fails", "Fails", "exit 3", NULL);
	runner(&r, "cp", &s);
	fd =
	    open(at(tmpdir, "cp/lockfile"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	r.keep_fd = fd;
	snprintf(keep, sizeof keep, "%d\n", fd);
	put("cp/build/keep", keep, 0644);
	put("cp/env/SECRET", "x", 0600);
	bprun_add(&r, at(tmpdir, "cp/first"), &e);
	bprun_add(&r, at(tmpdir, "cp/second"), &e);
	bprun_add(&r, at(tmpdir, "cp/fails"), &e);
	bprun_place(&r, 0, &e);
	bprun_place(&r, 1, &e);
	bprun_place(&r, 2, &e);
	TEST("compile: first",
	    bprun_compile(&r, 0, &out, &e) == 0 && out.stop == BPRUN_OK &&
		r.bps[0].used);
	TEST("compile: BUILD_DIR CACHE_DIR ENV_DIR",
	    has("cp/build/first-args",
		strcat(strcat(strcat(strcpy((char[1024]){0},
					 at(tmpdir, "cp/build ")),
				  at(tmpdir, "cp/caches/first ")),
			   at(tmpdir, "cp/env")),
		    "\n")));
	TEST("compile: second", bprun_compile(&r, 1, &out, &e) == 0);
	TEST("compile: after the earlier export, in BUILD_DIR, env set",
	    has("cp/build/second-saw",
		strcat(strcat(strcpy((char[1024]){0}, "a b|"),
			   at(tmpdir, "cp/build")),
		    "|heroku-22|abc123")));
	TEST("compile: keep_fd stays open in the child",
	    exists("cp/build/kept"));
	TEST("compile: ENV_DIR holds the config vars",
	    has("cp/build/env-dir", "SECRET\n"));
	TEST("compile: a failing one",
	    bprun_compile(&r, 2, &out, &e) == -1 &&
		out.stop == BPRUN_COMPILE_FAILED && out.status == 3 &&
		out.bp == &r.bps[2] && !r.bps[2].used);
	/* After an export, the program run is bash (export_script). */
	TEST("compile: says how it ended",
	    strcmp(e.msg, "bash exited with status 3") == 0);

	/* Interrupted: spawn refuses to start, the outcome says 128 + N. */
	TEST("compile: handlers", spawn_install_signal_handlers(&e) == 0);
	raise(SIGINT);
	TEST("compile: interrupted",
	    bprun_compile(&r, 1, &out, &e) == -1 &&
		out.stop == BPRUN_INTERRUPTED && out.status == 130);
	spawn_interrupt_reset();
	close(fd);
	bprun_free(&r);
}

static void
test_build(void)
{
	struct bprun r;
	struct bprun_outcome out;
	struct seen s;
	struct errbuf e = {""};

	buildpack("bd/bps/a-no", NULL, "touch \"$1/a-ran\"", NULL);
	buildpack("bd/bps/b-yes", "Yes", "touch \"$1/b-ran\"", NULL);
	buildpack("bd/bps/c-yes", "Also", "touch \"$1/c-ran\"", NULL);
	runner(&r, "bd", &s);
	bprun_scan(&r, at(tmpdir, "bd/bps"), &e);
	TEST("build: scanned, the first that detects runs",
	    bprun_build(&r, &out, &e) == 0 && out.stop == BPRUN_OK &&
		exists("bd/build/b-ran") && !exists("bd/build/a-ran") &&
		!exists("bd/build/c-ran"));
	TEST("build: one event", strcmp(s.log, "detected Yes;") == 0);
	TEST("build: only it used",
	    !r.bps[0].used && r.bps[1].used && !r.bps[2].used);
	bprun_free(&r);

	runner(&r, "bd2", &s);
	bprun_add(&r, at(tmpdir, "bd/bps/b-yes"), &e);
	bprun_add(&r, at(tmpdir, "bd/bps/c-yes"), &e);
	TEST("build: given ones all run",
	    bprun_build(&r, &out, &e) == 0 && exists("bd2/build/b-ran") &&
		exists("bd2/build/c-ran") &&
		strcmp(s.log, "detected Yes;detected Also;") == 0);
	bprun_free(&r);

	runner(&r, "bd3", &s);
	bprun_add(&r, at(tmpdir, "bd/bps/b-yes"), &e);
	bprun_add(&r, at(tmpdir, "bd/bps/a-no"), &e);
	TEST("build: a given one that refuses stops the build",
	    bprun_build(&r, &out, &e) == -1 && out.stop == BPRUN_NOT_DETECTED &&
		out.bp == &r.bps[1] && s.refused == 1 && s.detected == 1);
	bprun_free(&r);

	runner(&r, "bd4", &s);
	buildpack("bd/none/x-no", NULL, NULL, NULL);
	bprun_scan(&r, at(tmpdir, "bd/none"), &e);
	TEST("build: none detects",
	    bprun_build(&r, &out, &e) == -1 && out.stop == BPRUN_NO_MATCH &&
		out.bp == NULL && s.detected == 0 && s.refused == 0);
	bprun_free(&r);
}

static void
test_release(void)
{
	struct bprun r;
	struct bprun_outcome out;
	struct manifest *m = NULL;
	struct warns w;
	struct seen s;
	struct errbuf e = {""};

	buildpack("rl/one", "One", "true",
	    "cat <<'Y'\n"
	    "addons: [redis]\n"
	    "config_vars: {A: one, B: one}\n"
	    "default_process_types: {web: one-web, worker: one-worker}\n"
	    "Y");
	buildpack("rl/none", "None", "true", NULL);
	buildpack("rl/two", "Two", "true",
	    "cat <<'Y'\n"
	    "addons: [redis, pg]\n"
	    "config_vars: {B: two}\n"
	    "default_process_types: {web: two-web, 'bad name': x}\n"
	    "Y");
	buildpack("rl/bad", "Bad", "true", "echo '{'");
	buildpack("rl/fails", "Fails", "exit 0", "exit 2");
	runner(&r, "rl", &s);
	memset(&w, 0, sizeof w);
	r.warn = collect;
	r.warn_arg = &w;
	bprun_add(&r, at(tmpdir, "rl/one"), &e);
	bprun_add(&r, at(tmpdir, "rl/none"), &e);
	bprun_add(&r, at(tmpdir, "rl/two"), &e);
	TEST("release: built", bprun_build(&r, &out, &e) == 0);
	TEST("release: merged",
	    bprun_release(&r, &m, &out, &e) == 0 && m != NULL &&
		out.stop == BPRUN_OK);
	TEST("release: later vars win, order kept",
	    m != NULL && m->nvars == 2 &&
		strcmp(manifest_get_var(m, "A"), "one") == 0 &&
		strcmp(manifest_get_var(m, "B"), "two") == 0);
	TEST("release: addons accumulate",
	    m != NULL && m->naddons == 2 &&
		strcmp(m->addons[0], "redis") == 0 &&
		strcmp(m->addons[1], "pg") == 0);
	TEST("release: types merged type by type",
	    m != NULL && m->types->ntypes == 2 &&
		strcmp(procfile_get(m->types, "web"), "two-web") == 0 &&
		strcmp(procfile_get(m->types, "worker"), "one-worker") == 0);
	TEST("release: a bad entry is a warning", w.n == 1);
	manifest_free(m);
	bprun_free(&r);

	runner(&r, "rl2", &s);
	bprun_add(&r, at(tmpdir, "rl/one"), &e);
	bprun_add(&r, at(tmpdir, "rl/bad"), &e);
	bprun_build(&r, &out, &e);
	TEST("release: output that does not parse",
	    bprun_release(&r, &m, &out, &e) == -1 && m == NULL &&
		out.stop == BPRUN_BAD_RELEASE && out.bp == &r.bps[1] &&
		strstr(e.msg, "release output:") == e.msg);
	bprun_free(&r);

	runner(&r, "rl3", &s);
	bprun_add(&r, at(tmpdir, "rl/fails"), &e);
	bprun_build(&r, &out, &e);
	TEST("release: a failing release",
	    bprun_release(&r, &m, &out, &e) == -1 && m == NULL &&
		out.stop == BPRUN_RELEASE_FAILED && out.status == 2);
	TEST("release: says how it ended",
	    strcmp(e.msg, "release exited with status 2") == 0);
	bprun_free(&r);
}

int
main(void)
{
	if (tmp_init("test_bprun") == -1)
		return 1;
	test_find();
	test_env();
	test_place_detect();
	test_compile();
	test_build();
	test_release();
	tmp_done();
	return test_report();
}
