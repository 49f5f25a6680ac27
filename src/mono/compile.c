/* compile BUILD_DIR CACHE_DIR [ENV_DIR] - the Mono buildpack's build.
 *
 * Installs a relocatable Mono runtime into BUILD_DIR/vendor/mono (from the
 * cache, or streamed from its URL and verified against its sha256), writes
 * .profile.d/mono.sh and the buildpack's export file, and builds the app's
 * solution with the vendored xbuild, streaming its output into the build
 * log.  stdout is the build log (Heroku's "-----> " and 7-space lines);
 * xbuild's exit status decides ours.  Exit codes: exitcode.h. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "beneath.h"
#include "bpmain.h"
#include "envdir.h"
#include "envv.h"
#include "err.h"
#include "exitcode.h"
#include "fsutil.h"
#include "log.h"
#include "monoapp/monoapp.h"
#include "monoapp/solution.h"
#include "nuget.h"
#include "procfile.h"
#include "profile.h"
#include "runtime/downloader.h"
#include "runtime/install_log.h"
#include "runtime/runtime.h"
#include "runtime/versions.h"
#include "shquote.h"
#include "spawn.h"

extern char **environ;

#define RUNTIME_DIR RUNTIME_MONO_PREFIX

/* What this build is about, gathered from the arguments, the environment,
 * the config vars and buildpack.yml before anything is changed. */
struct compile_job {
	char *build_dir; /* absolute: the child runs elsewhere */
	const char *cache_dir;
	const char *env_dir; /* may be NULL */
	const char *stack;
	char *buildpack_dir;	   /* where bin/compile lives, one up */
	struct envdir *vars;	   /* config vars */
	char *solution;		   /* relative to build_dir */
	const char *configuration; /* BUILD_CONFIGURATION, "Release" */
	const char *verbosity;	   /* XBUILD_VERBOSITY, or NULL */
	struct runtime_spec rt;	   /* which Mono tarball */
	char *runtime;		   /* build_dir/vendor/mono */
	time_t started;
};

static void
warn_log(void *arg, const char *msg)
{
	(void)arg;
	log_warn(stdout, "%s", msg);
}

static bool
valid_word(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ"
			    "0123456789_.-",
			*s))
			return false;
	return true;
}

/* xbuild reads its tools' path (inside BUILD_DIR/vendor/mono) as MSBuild
 * syntax: ';' splits it, '%', '*', "$(" and "@(" expand.  Such a BUILD_DIR
 * would fail deep inside the build with a baffling error; say why now. */
static int
check_build_path(const char *build_dir, struct errbuf *e)
{
	static const char *const bad[] = {";", "%", "*", "$(", "@(", NULL};

	for (int i = 0; bad[i] != NULL; i++)
		if (strstr(build_dir, bad[i]) != NULL)
			return errf(e,
			    "BUILD_DIR %s holds '%s', which xbuild "
			    "cannot handle in a path: build in another "
			    "directory",
			    build_dir, bad[i]);
	return 0;
}

/* What compile writes inside BUILD_DIR. */
static const char *const written[] = {RUNTIME_DIR, ".profile.d/mono.sh",
    MONOAPP_EXECUTABLES, NULL};

/* Config vars the buildpack itself consumes stay out of the build's
 * environment: xbuild's diagnostic verbosity prints the environment, and
 * the runtime's credentials are none of the app's business. */
static bool
buildpack_only(const char *name)
{
	static const char *const names[] = {"MONO_URL", "MONO_SHA256",
	    "S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	    "AWS_SESSION_TOKEN", "NUGET_SOURCE", "NUGET_USERNAME",
	    "NUGET_PASSWORD", NULL};

	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Picks the solution: SOLUTION, else the first *.sln in byte order. */
static int
choose_solution(struct compile_job *b, struct errbuf *e)
{
	const char *named = envdir_get(b->vars, "SOLUTION");
	struct strlist sln = {0};
	int rc = -1;

	if (named != NULL) {
		if (solution_check_name(b->build_dir, named, e) == -1)
			return -1;
		if ((b->solution = strdup(named)) == NULL)
			return errf(e, "solution:");
		return 0;
	}
	if (solution_list(b->build_dir, &sln, e) == -1)
		return -1;
	if (sln.n == 0) {
		errf(e,
		    "no *.sln file at the root of the app: add one, or set "
		    "the SOLUTION config var to its path");
		goto out;
	}
	/* `A.sln -> /etc/passwd` would have xbuild read (and quote) a file
	 * out of the app. */
	if (solution_check_file(b->build_dir, sln.v[0], e) == -1)
		goto out;
	if ((b->solution = strdup(sln.v[0])) == NULL) {
		errf(e, "solution:");
		goto out;
	}
	if (sln.n > 1) {
		log_info(stdout,
		    "Found %zu solutions; building %s (the first "
		    "in byte order).",
		    sln.n, sln.v[0]);
		log_info(stdout,
		    "To build another, set the SOLUTION config var, "
		    "e.g. heroku config:set SOLUTION=%s",
		    sln.v[1]);
	}
	rc = 0;
out:
	strlist_free(&sln);
	return rc;
}

static int
gather(struct compile_job *b, int argc, char **argv, struct errbuf *e)
{
	char *versions, *local = NULL;
	const char *s;
	int rc;

	b->cache_dir = argv[2];
	b->env_dir = argc > 3 ? argv[3] : NULL;
	s = getenv("STACK");
	b->stack = s != NULL && *s != '\0' ? s : "unknown-stack";
	if (!fs_is_dir(argv[1]))
		return errf(e, "BUILD_DIR %s: not a directory", argv[1]);
	if ((b->build_dir = realpath(argv[1], NULL)) == NULL)
		return errf(e, "BUILD_DIR %s:", argv[1]);
	if ((b->buildpack_dir = runtime_buildpack_dir(e)) == NULL)
		return -1;
	if (envdir_read(b->env_dir, &b->vars, warn_log, NULL, e) == -1)
		return -1;
	s = envdir_get(b->vars, "BUILD_CONFIGURATION");
	b->configuration = s != NULL ? s : "Release";
	if (!valid_word(b->configuration))
		return errf(e,
		    "BUILD_CONFIGURATION must be letters, digits, "
		    "'.', '_' or '-'");
	b->verbosity = envdir_get(b->vars, "XBUILD_VERBOSITY");
	if (b->verbosity != NULL) {
		static const char *const levels[] = {"quiet", "minimal",
		    "normal", "detailed", "diagnostic", NULL};
		bool ok = false;
		for (int i = 0; levels[i] != NULL; i++)
			ok |= strcmp(levels[i], b->verbosity) == 0;
		if (!ok)
			return errf(e,
			    "XBUILD_VERBOSITY must be quiet, minimal, "
			    "normal, detailed or diagnostic");
		if (strcmp(b->verbosity, "diagnostic") == 0)
			log_warn(stdout,
			    "XBUILD_VERBOSITY=diagnostic prints the "
			    "build's environment, config vars included");
	}
	if (check_build_path(b->build_dir, e) == -1)
		return -1;
	/* The app's tree is untrusted: nothing we write may go through one
	 * of its symlinks to somewhere else. */
	for (int i = 0; written[i] != NULL; i++)
		if (fs_check_beneath(b->build_dir, written[i], e) == -1)
			return -1;
	if ((b->runtime = fs_join(b->build_dir, RUNTIME_DIR)) == NULL)
		return errf(e, "compile:");
	if (choose_solution(b, e) == -1)
		return -1;
	if ((versions = fs_join(b->buildpack_dir, "buildpack.yml")) == NULL ||
	    (local = fs_join(b->buildpack_dir, "buildpack.local.yml")) ==
		NULL) {
		free(versions);
		return errf(e, "compile:");
	}
	struct runtime_want w = {
	    .kind = &runtime_mono,
	    .vars = b->vars,
	    .versions_path = versions,
	    .local_path = local,
	};
	rc = runtime_resolve(&w, &b->rt, e);
	free(versions);
	free(local);
	return rc;
}

/* *local: the file-system error that failed it (a full BUILD_DIR: exit 4,
 * not 3), or 0. */
static int
install_runtime(struct compile_job *b, int *local, struct errbuf *e)
{
	struct runtime_install ri = {
	    .cache_dir = b->cache_dir,
	    .stack = b->stack,
	    .dest = b->runtime,
	    .vars = b->vars,
	    .stop = spawn_interrupt_flag(),
	    .local_errno = local,
	};

	return runtime_install_logged(&b->rt, &ri, stdout, e);
}

/* NuGet restore's events, as lines under its topic.  Ids and versions were
 * checked against NuGet's rules, URLs have no credentials. */
static void
nuget_log(void *arg, enum nuget_event ev, const char *id, const char *version,
    const char *detail)
{
	(void)arg;
	switch (ev) {
	case NUGET_COMMITTED:
		log_info(stdout, "%s %s: in the app already", id, version);
		break;
	case NUGET_CACHED:
		log_info(stdout, "%s %s: from the cache", id, version);
		break;
	case NUGET_DOWNLOAD:
		log_info(stdout, "%s %s: downloading %s", id, version, detail);
		break;
	case NUGET_CACHE_DAMAGED:
		log_warn(stdout,
		    "%s %s: the cached copy is damaged (%s): "
		    "downloading it again",
		    id, version, detail);
		break;
	case NUGET_CACHE_UNUSABLE:
		log_warn(stdout, "No package cache (%s)", detail);
		break;
	case NUGET_SOURCE_SKIPPED:
		log_warn(stdout, "NuGet source %s", detail);
		break;
	}
}

/* Restores the packages.config packages of the solution's projects, if
 * any; returns an exit code.  Finding them needs libc alone; restoring
 * (libxml2, libcurl, libarchive) is in slugc-install.so, loaded only when
 * there is something to restore, so that every other app's warm build
 * starts without those libraries (runtime/downloader.h). */
static int
restore_packages(struct compile_job *b, struct errbuf *e)
{
	struct strlist configs = {0};
	struct runtime_downloader_so *so = NULL;
	struct nuget_result r;
	struct nuget_opts o = {
	    .size = sizeof o,
	    .build_dir = b->build_dir,
	    .solution = b->solution,
	    .configs = &configs,
	    .cache_dir = b->cache_dir,
	    .vars = b->vars,
	    .stop = spawn_interrupt_flag(),
	    .event = nuget_log,
	};
	int rc = EXIT_IO;

	if (nuget_find_configs(b->build_dir, b->solution, &configs, e) == -1)
		goto out;
	rc = EXIT_OK;
	if (configs.n == 0)
		goto out;
	log_topic(stdout, "Restoring NuGet packages");
	rc = EXIT_FETCH;
	if ((so = runtime_downloader_open(NULL, e)) == NULL)
		goto out;
	if (runtime_downloader_table(so)->nuget_restore(&o, &r, e) == -1) {
		rc = r.failure == NUGET_FAIL_INPUT  ? EXIT_USAGE
		    : r.failure == NUGET_FAIL_FETCH ? EXIT_FETCH
						    : EXIT_IO;
		goto out;
	}
	log_info(stdout,
	    "Packages: %d downloaded, %d from the cache, %d in "
	    "the app",
	    r.downloaded, r.cached, r.committed);
	rc = EXIT_OK;
out:
	runtime_downloader_close(so);
	strlist_free(&configs);
	return rc;
}

/* .profile.d/mono.sh puts the runtime on the dyno's PATH (relative to
 * $HOME, where the slug is mounted); the export file gives the next
 * buildpack of a multi-buildpack build the same, at build-time paths. */
static int
write_environment(struct compile_job *b, struct errbuf *e)
{
	static const char profile[] =
	    "# Written by the Mono buildpack: the vendored runtime.\n"
	    "export PATH=\"$HOME/" RUNTIME_DIR "/bin:$PATH\"\n"
	    "export LD_LIBRARY_PATH=\"$HOME/" RUNTIME_DIR "/lib"
	    "${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\"\n";
	char *dir = fs_join(b->build_dir, ".profile.d"), *path = NULL;
	char *exp = NULL, *text = NULL, *qrt = NULL, abs[PATH_MAX];
	struct errbuf ee = {""};
	int rc = -1, n;

	if (dir == NULL || (path = fs_join(dir, "mono.sh")) == NULL) {
		errf(e, "compile:");
		goto out;
	}
	if (fs_mkdir_p(dir, 0755, e) == -1 ||
	    fs_write_file_atomic(path, profile, sizeof profile - 1, 0644, e) ==
		-1)
		goto out;
	if (realpath(b->runtime, abs) == NULL) {
		errf(e, "%s:", b->runtime);
		goto out;
	}
	if ((qrt = shquote(abs)) == NULL ||
	    (exp = fs_join(b->buildpack_dir, "export")) == NULL ||
	    (n = asprintf(&text,
		 "export PATH=%s/bin:\"$PATH\"\n"
		 "export "
		 "LD_LIBRARY_PATH=%s/"
		 "lib\"${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\"\n",
		 qrt, qrt)) < 0) {
		text = NULL;
		errf(e, "compile:");
		goto out;
	}
	/* A read-only buildpack directory only costs the next buildpack the
	 * runtime on its PATH: say so, and go on. */
	if (fs_write_file_atomic(exp, text, (size_t)n, 0644, &ee) == -1)
		log_warn(stdout, "Cannot write the export file: %s", ee.msg);
	rc = 0;
out:
	free(dir);
	free(path);
	free(exp);
	free(text);
	free(qrt);
	return rc;
}

/* What leave_out needs: the config vars and the environment built. */
struct fit {
	const struct envdir *vars;
	const struct envv *env;
};

/* A config var execve cannot pass (envv_fit_exec asks): only config vars
 * as they came may be left out (not LD_LIBRARY_PATH with the runtime
 * prepended: the build needs that part).  Leaving one out and going on is what a user expects
 * more than a failed build: Heroku hands config vars to buildpacks as
 * files in ENV_DIR, so the value is still there for anything that reads
 * it, and most such values (a certificate bundle, a large JSON) are for
 * the app at run time, not for xbuild.  The warning names the variable
 * and the limit, never the value. */
static bool
leave_out(void *arg, const char *name, size_t len, enum envv_over why,
    const struct envv_limits *l)
{
	const struct fit *f = arg;
	const char *cv = envdir_get(f->vars, name),
		   *ev = envv_get(f->env, name);

	if (cv == NULL || ev == NULL || strcmp(cv, ev) != 0)
		return false;
	if (why == ENVV_OVER_STRING)
		log_warn(stdout,
		    "Config var %s (%zu bytes) is left out of the "
		    "build's environment: Linux allows one variable at most "
		    "%zu bytes (%zu KiB, NAME=value); it is still in ENV_DIR",
		    name, len, l->str_max, l->str_max / 1024);
	else
		log_warn(stdout,
		    "Config var %s (%zu bytes) is left out of the "
		    "build's environment: all variables together may take at "
		    "most %zu bytes (a quarter of ulimit -s); it is still in "
		    "ENV_DIR",
		    name, len, l->total_max);
	return true;
}

/* Stops before xbuild when a project targets a .NET Framework profile the
 * runtime lacks (profile.h): one line instead of 31 compiler errors. */
/* A project the solution lists but does not build in this configuration
 * (no Build.0 line) is often a surprise: name it before xbuild runs. */
static void
warn_unbuilt_projects(const struct compile_job *b)
{
	struct strlist built = STRLIST_INIT, skipped = STRLIST_INIT;
	struct errbuf ignored;
	char *sln;
	size_t n = strlen(b->solution);

	if (n < 4 || strcasecmp(b->solution + n - 4, ".sln") != 0 ||
	    (sln = fs_join(b->build_dir, b->solution)) == NULL)
		return;
	if (profile_solution_projects(sln, b->configuration, &built, &skipped,
		&ignored) == 0)
		for (size_t i = 0; i < skipped.n; i++)
			log_warn(stdout,
			    "%s maps %s to no %s build (no Build.0 line): "
			    "xbuild will not build it",
			    b->solution, skipped.v[i], b->configuration);
	strlist_free(&built);
	strlist_free(&skipped);
	free(sln);
}

static int
check_profiles(struct compile_job *b, struct errbuf *e)
{
	warn_unbuilt_projects(b);
	switch (profile_check(b->build_dir, b->solution, b->configuration,
	    b->runtime, e)) {
	case 0:
		return EXIT_OK;
	case 1:
		return EXIT_USAGE;
	default:
		return EXIT_IO;
	}
}

/* The original bash buildpack vendored Mono in mono-build/, and its apps'
 * Procfiles run ./mono-build/bin/mono: when the Procfile names mono-build/
 * and the app has no mono-build of its own, a relative link to the runtime
 * (which finds its root from /proc/self/exe) runs them unchanged. */
static int
link_mono_build(struct compile_job *b, struct errbuf *e)
{
	char *link = fs_join(b->build_dir, "mono-build"), *text = NULL;
	struct errbuf ignored;
	size_t len;
	int rc = -1;

	if (link == NULL) {
		errf(e, "compile:");
		goto out;
	}
	/* No Procfile, or one release will complain about: no link. */
	rc = 0;
	if ((text = beneath_read_file(b->build_dir, "Procfile", 1 << 20, &len,
		 &ignored)) == NULL ||
	    strstr(text, "mono-build/") == NULL || fs_exists(link))
		goto out;
	if (symlink(RUNTIME_DIR, link) == -1) {
		rc = errf(e, "symlink %s:", link);
		goto out;
	}
	log_info(stdout,
	    "The Procfile runs mono-build/ (the original "
	    "buildpack's layout): linked mono-build -> " RUNTIME_DIR);
out:
	free(link);
	free(text);
	return rc;
}

/* Runs xbuild on the solution with the log streaming its output. */
static int
build(struct compile_job *b, int *status, int *signo, struct errbuf *e)
{
	struct log_stream ls = LOG_STREAM_INIT(stdout);
	struct spawn s = SPAWN_INIT;
	struct envv env = ENVV_INIT;
	struct envv_limits lim;
	struct fit fit;
	char *xbuild = NULL, *bin = NULL, *lib = NULL, *config = NULL;
	char *verbosity = NULL, *sln = NULL;
	const char *argv[6];
	int n = 0, rc = -1;

	log_topic(stdout, "Building %s with xbuild (%s)", b->solution,
	    b->configuration);
	if (asprintf(&config, "/p:Configuration=%s", b->configuration) < 0)
		config = NULL;
	if (b->verbosity != NULL &&
	    asprintf(&verbosity, "/verbosity:%s", b->verbosity) < 0)
		verbosity = NULL;
	if ((bin = fs_join(b->runtime, "bin")) == NULL ||
	    (lib = fs_join(b->runtime, "lib")) == NULL ||
	    (xbuild = fs_join(bin, "xbuild")) == NULL || config == NULL ||
	    (b->verbosity != NULL && verbosity == NULL)) {
		errf(e, "compile:");
		goto out;
	}
	argv[n++] = xbuild;
	argv[n++] = config;
	if (verbosity != NULL)
		argv[n++] = verbosity;
	/* "./": a name like "-t:Clean.sln" or "@x.sln" must stay a file
	 * name, not become a switch or a response file. */
	if (asprintf(&sln, "./%s", b->solution) < 0) {
		sln = NULL;
		errf(e, "compile:");
		goto out;
	}
	argv[n++] = sln;
	argv[n] = NULL;

	/* The build sees the config vars (but never the denied ones, which
	 * envdir_read dropped), with the runtime first on its paths. */
	if (envv_from(&env, environ, e) == -1)
		goto out;
	for (size_t i = 0; i < b->vars->nvars; i++)
		if (!buildpack_only(b->vars->vars[i].name) &&
		    envv_set(&env, b->vars->vars[i].name,
			b->vars->vars[i].value, e) == -1)
			goto out;
	if (envv_prepend_path(&env, "PATH", bin, e) == -1 ||
	    envv_prepend_path(&env, "LD_LIBRARY_PATH", lib, e) == -1)
		goto out;
	/* Else one var over execve's limits fails the build with a bare
	 * "Argument list too long". */
	envv_exec_limits(&lim);
	fit.vars = b->vars;
	fit.env = &env;
	if (envv_fit_exec(&env, argv, &lim, leave_out, &fit, e) == -1) {
		errprefix(e, "cannot start xbuild");
		goto out;
	}

	s.argv = argv;
	s.envp = envv_array(&env);
	s.cwd = b->build_dir;
	s.on_line = log_stream_on_line;
	s.arg = &ls;
	*status = spawn_run(&s, e);
	*signo = s.signo;
	log_stream_finish(&ls);
	if (*status == -1 || s.interrupted)
		goto out;
	if (*status != 0) {
		spawn_errstatus(&s, *status, e);
		goto out;
	}
	rc = 0;
out:
	envv_free(&env);
	free(xbuild);
	free(bin);
	free(lib);
	free(config);
	free(verbosity);
	free(sln);
	return rc;
}

/* Records the executables this build produced for release, and warns when
 * release will have no web process to offer. */
static int
record_executables(struct compile_job *b, struct errbuf *e)
{
	struct strlist exes = {0};
	char *procfile = fs_join(b->build_dir, "Procfile");
	int rc = -1;

	if (procfile == NULL) {
		errf(e, "compile:");
		goto out;
	}
	if (solution_find_executables(b->build_dir, b->started, &exes, e) ==
		-1 ||
	    monoapp_write_executables(b->build_dir, &exes, e) == -1)
		goto out;
	if (!fs_exists(procfile)) {
		if (exes.n == 1) {
			char *cmd = monoapp_web_command(exes.v[0]);
			log_info(stdout, "Default web process: %s",
			    cmd ? cmd : "");
			free(cmd);
		} else {
			log_warn(stdout,
			    "No Procfile, and the build produced %zu "
			    "executables: there is no default web process.",
			    exes.n);
			log_warn(stdout,
			    "Add a Procfile, e.g. web: mono "
			    "MyApp/bin/%s/MyApp.exe",
			    b->configuration);
		}
	}
	rc = 0;
out:
	strlist_free(&exes);
	free(procfile);
	return rc;
}

static void
build_free(struct compile_job *b)
{
	free(b->build_dir);
	free(b->buildpack_dir);
	envdir_free(b->vars);
	free(b->solution);
	runtime_spec_free(&b->rt);
	free(b->runtime);
}

int
main(int argc, char **argv)
{
	struct compile_job b = {0};
	struct errbuf e = {""};
	int rc, status = 0, signo = 0, local = 0;

	if ((rc = bpmain_compile_begin(argc)) != EXIT_OK)
		return rc;
	b.started = time(NULL);
	if (gather(&b, argc, argv, &e) == -1) {
		rc = EXIT_USAGE;
	} else if (install_runtime(&b, &local, &e) == -1) {
		rc = local != 0 ? EXIT_IO : EXIT_FETCH;
		/* buildpack.yml's URL is a placeholder until someone publishes
		 * a runtime there: say how to get one. */
		if (local == 0 && !b.rt.local &&
		    envdir_get(b.vars, "MONO_URL") == NULL &&
		    !spawn_interrupted())
			runtime_hint_append(&runtime_mono, &e);
	} else if (write_environment(&b, &e) == -1) {
		rc = EXIT_IO;
	} else if ((rc = check_profiles(&b, &e)) != EXIT_OK) {
		/* a profile the runtime lacks: EXIT_USAGE */
	} else if ((rc = restore_packages(&b, &e)) != EXIT_OK) {
		/* rc says what failed */
	} else if (link_mono_build(&b, &e) == -1) {
		rc = EXIT_IO;
	} else if (build(&b, &status, &signo, &e) == -1) {
		/* xbuild killed by signal N: we exit 128+N, as a shell would. */
		rc = signo != 0	 ? EXIT_SIGNAL_BASE + signo
		    : status > 0 ? EXIT_BUILD_FAILED
				 : EXIT_IO;
		if (status > 0)
			errprefix(&e, "Build failed");
	} else if (record_executables(&b, &e) == -1) {
		rc = EXIT_IO;
	} else {
		rc = EXIT_OK;
	}
	build_free(&b);
	return bpmain_compile_end(rc, &e);
}
