/* bprun.c - the buildpack runner. */
#include "bprun.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "spawn.h"
#include "strlist.h"

/* The buildpacks' PATH: a platform's, not the user's. */
#define BUILD_PATH                                                             \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"                   \
	"/sbin:/bin"

/* Passed through from our environment when set: locale, terminal and the
 * network settings a download needs (NODE_EXTRA_CA_CERTS is node's, hence
 * npm's: node reads neither SSL_CERT_FILE nor SSL_CERT_DIR).  Nothing else
 * of the user's environment reaches a buildpack (config vars go through
 * ENV_DIR). */
static const char *const env_keep[] = {"TERM", "LANG", "LC_ALL", "LC_CTYPE",
    "TZ", "http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY",
    "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", NULL};

/* Sources the earlier buildpacks' export files, in order, then runs the
 * compile: "bash -c SCRIPT bash N EXPORT... COMPILE BUILD CACHE ENV".  The
 * paths are positional parameters, never part of the script's text. */
static const char export_script[] =
    "__slugc_exports=(\"${@:2:$1}\"); shift $(($1 + 1))\n"
    "for __slugc_f in \"${__slugc_exports[@]}\"; do . \"$__slugc_f\"; done\n"
    "unset __slugc_f __slugc_exports\n"
    "exec \"$@\"\n";

void
bprun_free(struct bprun *r)
{
	size_t i;

	for (i = 0; i < r->nbps; i++) {
		free(r->bps[i].src);
		free(r->bps[i].dir);
		free(r->bps[i].cache);
		free(r->bps[i].name);
	}
	free(r->bps);
	envv_free(&r->env);
	memset(r, 0, sizeof *r);
}

static bool
is_buildpack(const char *dir)
{
	char *detect = fs_join(dir, "bin/detect");
	bool ok = detect != NULL && access(detect, X_OK) == 0;

	free(detect);
	return ok;
}

static int
push_bp(struct bprun *r, const char *src, struct errbuf *e)
{
	struct bprun_bp *v;

	if ((v = realloc(r->bps, (r->nbps + 1) * sizeof *v)) == NULL)
		return errf(e, "buildpacks:");
	r->bps = v;
	memset(&v[r->nbps], 0, sizeof *v);
	if ((v[r->nbps].src = strdup(src)) == NULL)
		return errf(e, "buildpacks:");
	r->nbps++;
	return 0;
}

int
bprun_add(struct bprun *r, const char *dir, struct errbuf *e)
{
	if (!is_buildpack(dir))
		return errf(e, "%s: not a buildpack (no executable bin/detect)",
		    dir);
	r->given = true;
	return push_bp(r, dir, e);
}

/* The buildpacks in root, sorted, into names. */
static int
list_buildpacks(const char *root, struct strlist *names, struct errbuf *e)
{
	struct dirent *d;
	char *p;
	DIR *dp;
	int rc = 0;

	if ((dp = opendir(root)) == NULL)
		return errf(e, "%s:", root);
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if ((p = fs_join(root, d->d_name)) == NULL)
			rc = errf(e, "%s:", root);
		else if (is_buildpack(p) && strlist_push(names, p) == -1)
			rc = errf(e, "%s:", root);
		free(p);
	}
	closedir(dp);
	if (rc == 0)
		strlist_sort(names);
	return rc;
}

int
bprun_scan(struct bprun *r, const char *root, struct errbuf *e)
{
	struct strlist names = STRLIST_INIT;
	size_t i;
	int rc = -1;

	if (list_buildpacks(root, &names, e) == -1)
		goto out;
	if (names.n == 0) {
		errf(e, "no buildpacks in %s", root);
		goto out;
	}
	for (i = 0; i < names.n; i++)
		if (push_bp(r, names.v[i], e) == -1)
			goto out;
	r->given = false;
	rc = 0;
out:
	strlist_free(&names);
	return rc;
}

char *
bprun_default_root(void)
{
	const char *env = getenv("SLUGC_BUILDPACKS");
	static const char *const rel[] = {"../buildpacks",
	    "../lib/slugc/buildpacks", NULL};
	char *exe, *dir, *p;
	size_t i;

	if (env != NULL && *env != '\0')
		return strdup(env);
	if ((exe = realpath("/proc/self/exe", NULL)) == NULL)
		return NULL;
	dir = dirname(exe);
	for (i = 0; rel[i] != NULL; i++) {
		if ((p = fs_join(dir, rel[i])) != NULL && fs_is_dir(p)) {
			free(exe);
			return p;
		}
		free(p);
	}
	free(exe);
	return NULL;
}

int
bprun_env(struct bprun *r, const char *home, const char *tmp, const char *stack,
    const char *commit, struct errbuf *e)
{
	const char *const *k;
	const char *v;

	for (k = env_keep; *k != NULL; k++)
		if ((v = getenv(*k)) != NULL &&
		    envv_set(&r->env, *k, v, e) == -1)
			return -1;
	if (envv_set(&r->env, "PATH", BUILD_PATH, e) == -1 ||
	    envv_set(&r->env, "HOME", home, e) == -1 ||
	    envv_set(&r->env, "TMPDIR", tmp, e) == -1 ||
	    envv_set(&r->env, "STACK", stack, e) == -1)
		return -1;
	if (commit != NULL && *commit != '\0' &&
	    envv_set(&r->env, "SOURCE_VERSION", commit, e) == -1)
		return -1;
	return 0;
}

int
bprun_place(struct bprun *r, size_t i, struct errbuf *e)
{
	struct bprun_bp *bp = &r->bps[i];
	char *abs = realpath(bp->src, NULL), *base, name[300];
	size_t j;
	int rc = -1;

	if (abs == NULL)
		return errf(e, "%s:", bp->src);
	base = strrchr(abs, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : "buildpack";
	snprintf(name, sizeof name, "%s", base);
	/* Two buildpacks of the same name get their own directories. */
	for (j = 0; j < i; j++)
		if (r->bps[j].dir != NULL &&
		    strcmp(strrchr(r->bps[j].dir, '/') + 1, name) == 0)
			snprintf(name, sizeof name, "%s-%zu", base, i + 1);
	free(bp->dir);
	free(bp->cache);
	if ((bp->dir = fs_join(r->copy_root, name)) == NULL ||
	    (bp->cache = fs_join(r->cache_root, name)) == NULL) {
		errf(e, "%s:", bp->src);
		goto out;
	}
	if (fs_mkdir_p(r->copy_root, 0700, e) == -1 ||
	    fs_rm_rf(bp->dir, e) == -1 ||
	    fs_copy_tree(abs, bp->dir, false, e) == -1 ||
	    fs_mkdir_p(bp->cache, 0700, e) == -1)
		goto out;
	rc = 0;
out:
	free(abs);
	return rc;
}

/* A spawn of one of bp's programs over the build directory. */
static void
spawn_setup(struct bprun *r, struct spawn *s, const char *const *argv)
{
	s->argv = argv;
	s->envp = envv_array(&r->env);
	s->cwd = r->build_dir;
	s->keep_fd = r->keep_fd;
}

/* detect's first line, trailing blanks and CRs cut: its name. */
static void
first_line(char *out, size_t len)
{
	char *nl;

	if ((nl = strchr(out, '\n')) != NULL) {
		*nl = '\0';
		len = (size_t)(nl - out);
	}
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\r'))
		out[--len] = '\0';
}

int
bprun_detect(struct bprun *r, size_t i, struct errbuf *e)
{
	struct bprun_bp *bp = &r->bps[i];
	struct spawn s = SPAWN_INIT;
	char *detect = fs_join(bp->dir, "bin/detect"), *out = NULL;
	const char *argv[] = {detect, r->build_dir, NULL};
	size_t len;
	int st;

	if (detect == NULL)
		return errf(e, "detect:");
	spawn_setup(r, &s, argv);
	st = spawn_capture(&s, 64 * 1024, &out, &len, e);
	free(detect);
	if (st != 0 || s.interrupted) {
		free(out);
		return st < 0 || s.interrupted ? -1 : 1;
	}
	first_line(out, len);
	if (*out == '\0') {
		free(out);
		out = strdup(strrchr(bp->dir, '/') + 1);
	}
	free(bp->name);
	bp->name = out;
	return out != NULL ? 0 : errf(e, "detect:");
}

/* The export files of the buildpacks used before buildpack k, appended to
 * exports (malloc'd paths). */
static int
exports_before(struct bprun *r, size_t k, struct strlist *exports,
    struct errbuf *e)
{
	char *exp;
	size_t i;
	int rc = 0;

	for (i = 0; i < k && rc == 0; i++) {
		if (!r->bps[i].used)
			continue;
		if ((exp = fs_join(r->bps[i].dir, "export")) == NULL)
			rc = errf(e, "compile:");
		else if (fs_exists(exp) && strlist_push(exports, exp) == -1)
			rc = errf(e, "compile:");
		free(exp);
	}
	return rc;
}

/* compile's argv, through export_script when there are exports. */
static const char **
compile_argv(struct bprun *r, size_t k, const char *compile,
    const struct strlist *exports, char *nbuf, size_t nsize)
{
	const char **argv = calloc(exports->n + 10, sizeof *argv);
	size_t i, n = 0;

	if (argv == NULL)
		return NULL;
	if (exports->n > 0) {
		snprintf(nbuf, nsize, "%zu", exports->n);
		argv[n++] = "bash";
		argv[n++] = "-c";
		argv[n++] = export_script;
		argv[n++] = "bash";
		argv[n++] = nbuf;
		for (i = 0; i < exports->n; i++)
			argv[n++] = exports->v[i];
	}
	argv[n++] = compile;
	argv[n++] = r->build_dir;
	argv[n++] = r->bps[k].cache;
	argv[n++] = r->env_dir;
	argv[n] = NULL;
	return argv;
}

static void
outcome(struct bprun_outcome *out, enum bprun_stop stop,
    const struct bprun_bp *bp, int status)
{
	out->stop = stop;
	out->bp = bp;
	out->status = status;
}

/* How a child run that failed (st non-zero) is reported. */
static void
child_failed(struct bprun_outcome *out, enum bprun_stop stop,
    const struct bprun_bp *bp, const struct spawn *s, int st)
{
	int status = st > 0 ? st : 0;

	if (s->interrupted)
		status = 128 + s->interrupted;
	outcome(out, stop, bp, status);
}

int
bprun_compile(struct bprun *r, size_t k, struct bprun_outcome *out,
    struct errbuf *e)
{
	struct bprun_bp *bp = &r->bps[k];
	struct strlist exports = STRLIST_INIT;
	struct spawn s = SPAWN_INIT;
	const char **argv = NULL;
	char *compile = fs_join(bp->dir, "bin/compile"), nbuf[24];
	int st, rc = -1;

	outcome(out, BPRUN_ERROR, bp, 0);
	if (compile == NULL || exports_before(r, k, &exports, e) == -1 ||
	    (argv = compile_argv(r, k, compile, &exports, nbuf, sizeof nbuf)) ==
		NULL) {
		errf(e, "compile: out of memory");
		goto out;
	}
	spawn_setup(r, &s, argv);
	st = spawn_run(&s, e);
	if (st < 0 && s.interrupted)
		outcome(out, BPRUN_INTERRUPTED, bp, 128 + s.interrupted);
	else if (st < 0)
		outcome(out, BPRUN_ERROR, bp, s.status > 0 ? s.status : 0);
	else if (st != 0) {
		spawn_errstatus(&s, st, e);
		child_failed(out, BPRUN_COMPILE_FAILED, bp, &s, st);
	} else {
		bp->used = true;
		outcome(out, BPRUN_OK, NULL, 0);
		rc = 0;
	}
out:
	strlist_free(&exports);
	free(argv);
	free(compile);
	return rc;
}

static void
event(struct bprun *r, enum bprun_event ev, const struct bprun_bp *bp)
{
	if (r->on_event != NULL)
		r->on_event(r->event_arg, ev, bp);
}

int
bprun_build(struct bprun *r, struct bprun_outcome *out, struct errbuf *e)
{
	size_t k;
	int d;

	for (k = 0; k < r->nbps; k++) {
		struct bprun_bp *bp = &r->bps[k];

		outcome(out, BPRUN_ERROR, bp, 0);
		if (bprun_place(r, k, e) == -1)
			return -1;
		if ((d = bprun_detect(r, k, e)) == -1) {
			if (spawn_interrupted())
				outcome(out, BPRUN_INTERRUPTED, bp,
				    128 + spawn_interrupted());
			return -1;
		}
		if (d == 1 && !r->given)
			continue;
		if (d == 1) {
			event(r, BPRUN_REFUSED, bp);
			outcome(out, BPRUN_NOT_DETECTED, bp, 0);
			return errf(e, "%s: did not detect the app", bp->src);
		}
		event(r, BPRUN_DETECTED, bp);
		if (bprun_compile(r, k, out, e) == -1)
			return -1;
		if (!r->given)
			break; /* the first that detects the app */
	}
	if (k == r->nbps && !r->given) {
		outcome(out, BPRUN_NO_MATCH, NULL, 0);
		return errf(e, "no buildpack detected the app");
	}
	outcome(out, BPRUN_OK, NULL, 0);
	return 0;
}

/* Runs bp's release into *m; 1 when it has none. */
static int
release_one(struct bprun *r, struct bprun_bp *bp, struct manifest **m,
    struct bprun_outcome *out, struct errbuf *e)
{
	struct spawn s = SPAWN_INIT;
	char *rel, *text = NULL;
	const char *argv[3];
	size_t len;
	int st;

	if ((rel = fs_join(bp->dir, "bin/release")) == NULL)
		return errf(e, "release: out of memory");
	if (access(rel, X_OK) != 0) {
		free(rel); /* optional in a multi-buildpack build */
		return 1;
	}
	argv[0] = rel;
	argv[1] = r->build_dir;
	argv[2] = NULL;
	spawn_setup(r, &s, argv);
	st = spawn_capture(&s, MANIFEST_MAX, &text, &len, e);
	if (st > 0)
		spawn_errstatus(&s, st, e); /* names argv[0]: before free */
	free(rel);
	if (st != 0) {
		child_failed(out, BPRUN_RELEASE_FAILED, bp, &s, st);
		free(text);
		return -1;
	}
	st = manifest_parse(text, len, "release output", m, r->warn,
	    r->warn_arg, e);
	free(text);
	if (st == -1)
		outcome(out, BPRUN_BAD_RELEASE, bp, 0);
	return st;
}

int
bprun_release(struct bprun *r, struct manifest **rel, struct bprun_outcome *out,
    struct errbuf *e)
{
	struct manifest *m;
	size_t k;
	int st;

	outcome(out, BPRUN_ERROR, NULL, 0);
	if ((*rel = manifest_new()) == NULL)
		return errf(e, "release: out of memory");
	for (k = 0; k < r->nbps; k++) {
		if (!r->bps[k].used)
			continue;
		outcome(out, BPRUN_ERROR, &r->bps[k], 0);
		m = NULL;
		if ((st = release_one(r, &r->bps[k], &m, out, e)) == 1)
			continue;
		/* Later buildpacks win, addons accumulate. */
		if (st == -1 || manifest_merge(*rel, m, e) == -1) {
			if (st == 0)
				errprefix(e, "release");
			manifest_free(m);
			manifest_free(*rel);
			*rel = NULL;
			return -1;
		}
		manifest_free(m);
	}
	outcome(out, BPRUN_OK, NULL, 0);
	return 0;
}
