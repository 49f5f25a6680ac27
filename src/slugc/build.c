/* build.c - `slugc build`: what a platform does with a push, locally.
 *
 * The work is the library's: the slug store (slugstore.h) keeps the app's
 * state directory and its locks, gitexport takes the app, the buildpack
 * runner (bprun.h) runs detect, compile and release, procfile completes
 * the Procfile and pack writes the slug.  This file prints the build log
 * around them and turns their outcomes into exit statuses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appcmd.h"
#include "appname.h"
#include "bprun.h"
#include "configvars.h"
#include "fsutil.h"
#include "log.h"
#include "monotime.h"
#include "pack.h"
#include "runtime/runtime.h"
#include "slugc.h"
#include "spawn.h"

struct ctx {
	const struct opts *o;
	struct build *b;
	struct bprun run;
	char *app; /* realpath of the app */
	char *env_dir, *home, *tmp;
	char *copy_root, *cache_root; /* bprun's */
	struct envdir *vars; /* ENV_DIR's: -e over --env over --app's config */
};

char *
release_path_for(const char *slug)
{
	size_t n = strlen(slug);
	char *p;

	if (n > 4 && strcmp(slug + n - 4, ".tgz") == 0)
		n -= 4;
	else if (n > 7 && strcmp(slug + n - 7, ".tar.gz") == 0)
		n -= 7;
	if (asprintf(&p, "%.*s.release.yml", (int)n, slug) == -1)
		return NULL;
	return p;
}

void
build_free(struct build *b)
{
	struct errbuf ignored;

	if (b->tmp_dir != NULL)
		fs_rm_rf(b->tmp_dir, &ignored);
	if (b->build_dir != NULL && !b->keep_build_dir)
		fs_rm_rf(b->build_dir, &ignored);
	/* The locks last: the next build may start once they are free. */
	slugstore_close(&b->store);
	free(b->build_dir);
	free(b->tmp_dir);
	free(b->slug_path);
	free(b->release_path);
	manifest_free(b->release);
	*b = (struct build)BUILD_INIT;
}

static void
log_warn_cb(void *arg, const char *msg)
{
	(void)arg;
	log_warn(stdout, "%s", msg);
}

static void
on_store_event(void *arg, enum slugstore_event ev)
{
	(void)arg;
	if (ev == SLUGSTORE_WAITING)
		log_topic(stdout,
		    "Waiting for another build of this app to "
		    "finish");
	else
		log_topic(stdout,
		    "Stopping what an earlier build of this app left "
		    "running");
}

static void
on_bp_event(void *arg, enum bprun_event ev, const struct bprun_bp *bp)
{
	struct ctx *c = arg;

	if (ev == BPRUN_REFUSED) {
		log_topic(stdout, "App not compatible with buildpack: %s",
		    bp->src);
		return;
	}
	snprintf(c->b->bp_name, sizeof c->b->bp_name, "%s", bp->name);
	if (c->run.given && c->run.nbps > 1)
		log_topic(stdout, "Using buildpack: %s", bp->src);
	log_topic(stdout, "%s app detected", bp->name);
	fflush(stdout); /* compile writes to our stdout */
}

/* The build log's lines for where the app came from: an app named with
 * --app by its name (a push builds a checkout in the app's state, whose
 * path says nothing to the pusher), else by its directory. */
static void
say_source(const struct ctx *c)
{
	const struct gitexport *g = &c->b->git;
	const char *what = c->o->app != NULL ? c->o->app : c->app;

	if (g->is_git && !g->from_worktree)
		log_topic(stdout, "Building commit %.7s of %s", g->commit,
		    what);
	else if (g->is_git)
		log_topic(stdout,
		    "Building %s as it is (--worktree, HEAD "
		    "%.7s)",
		    what, g->commit);
	else
		log_topic(stdout, "Building %s", what);
	if (g->changes > 0 && !g->from_worktree) {
		log_warn(stdout,
		    "%zu uncommitted change%s left out of this "
		    "build: %s",
		    g->changes, g->changes == 1 ? " is" : "s are", g->sample);
		log_warn(stdout,
		    "Commit them, or build the directory as it "
		    "is with --worktree.");
	}
}

/* Takes the app into BUILD_DIR and removes what .slugignore names. */
static int
take_app(struct ctx *c)
{
	struct build *b = c->b;
	struct pack_ignore *ig = NULL;
	struct errbuf e;
	size_t removed, neg;
	int rc = SX_FAIL;

	if (slugstore_sweep_dir(&b->store, b->build_dir, &e) == -1 ||
	    (c->o->commit != NULL
		    ? gitexport_take_rev(c->app, c->o->commit, b->build_dir,
			  &b->git, &e)
		    : gitexport_take(c->app, b->build_dir,
			  c->o->worktree ? GITEXPORT_WORKTREE : 0, log_warn_cb,
			  NULL, &b->git, &e)) == -1) {
		log_error(stdout, "%s", e.msg);
		return SX_FAIL;
	}
	say_source(c);
	/* Heroku removes what .slugignore names before the buildpacks run. */
	if ((ig = pack_ignore_load(b->build_dir, &e)) == NULL ||
	    pack_ignore_prune(ig, b->build_dir, &removed, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	if ((neg = pack_ignore_negated(ig)) > 0)
		log_warn(stdout,
		    ".slugignore: %zu negated pattern%s ('!') "
		    "ignored: not supported, as on Heroku",
		    neg, neg == 1 ? "" : "s");
	if (removed > 0)
		log_info(stdout, "Removed %zu path%s matching .slugignore",
		    removed, removed == 1 ? "" : "s");
	rc = SX_OK;
out:
	pack_ignore_free(ig);
	return rc;
}

/* Prints how the buildpack runner stopped; returns the exit status. */
static int
report_outcome(const struct bprun_outcome *r, const struct errbuf *e)
{
	const char *name = r->bp != NULL ? r->bp->name : NULL;

	switch (r->stop) {
	case BPRUN_OK:
		return SX_OK;
	case BPRUN_INTERRUPTED:
		return r->status; /* main says so */
	case BPRUN_NO_MATCH:
		log_topic(stdout, "Unable to select a buildpack");
		return SX_NO_BUILDPACK;
	case BPRUN_NOT_DETECTED:
		log_error(stdout,
		    "Push rejected, failed to detect the app with %s",
		    r->bp->src);
		return SX_NO_BUILDPACK;
	case BPRUN_COMPILE_FAILED:
		log_error(stdout, "Push rejected, failed to compile %s app: %s",
		    name, e->msg);
		break;
	case BPRUN_RELEASE_FAILED:
		log_error(stdout, "Push rejected, %s release failed: %s", name,
		    e->msg);
		break;
	case BPRUN_BAD_RELEASE:
		log_error(stdout, "%s release: %s", name, e->msg);
		return SX_FAIL;
	case BPRUN_ERROR:
		log_error(stdout, "%s", e->msg);
		break;
	}
	return r->status > 0 ? r->status : SX_FAIL;
}

/* Finds the buildpacks: the ones given with -b, else every one in the
 * buildpacks directory. */
static int
find_buildpacks(struct ctx *c, struct errbuf *e)
{
	char *root;
	size_t i;
	int rc;

	for (i = 0; i < c->o->nbuildpacks; i++)
		if (bprun_add(&c->run, c->o->buildpacks[i], e) == -1)
			return -1;
	if (c->o->nbuildpacks > 0)
		return 0;
	if ((root = bprun_default_root()) == NULL)
		return errf(e,
		    "no buildpacks directory: set SLUGC_BUILDPACKS "
		    "or use -b DIR");
	rc = bprun_scan(&c->run, root, e);
	free(root);
	return rc;
}

/* The app's name: --app, else made of its directory's name. */
static void
name_app(struct ctx *c)
{
	const char *slash = strrchr(c->app, '/');
	const char *s = slash != NULL && slash[1] != '\0' ? slash + 1 : "app";
	struct build *b = c->b;

	if (c->o->app != NULL)
		snprintf(b->app_name, sizeof b->app_name, "%s", c->o->app);
	else
		slugstore_app_label(s, b->app_name, sizeof b->app_name);
}

/* Locks the app's store and makes this build's directories in it.  The
 * temporary directory is in the store (0700), where the next build finds
 * it should this one be killed. */
static int
prepare(struct ctx *c, struct errbuf *e)
{
	const struct opts *o = c->o;
	struct build *b = c->b;
	const char *sd, *app = o->app;
	char name[APPSTATE_NAME_MAX + 1];
	struct errbuf ne;

	if (slugstore_open(&b->store, c->app, o->no_cache ? NULL : o->cache_dir,
		e) == -1 ||
	    slugstore_lock(&b->store, on_store_event, NULL, e) == -1 ||
	    slugstore_sweep_tmp(&b->store, e) == -1)
		return -1;
	sd = b->store.dir;
	if ((b->tmp_dir = fs_mkdtemp(sd, "tmp.", e)) == NULL)
		return -1;
	if ((b->build_dir = fs_join(sd, "build")) == NULL ||
	    (c->env_dir = fs_join(b->tmp_dir, "env")) == NULL ||
	    (c->home = fs_join(b->tmp_dir, "home")) == NULL ||
	    (c->tmp = fs_join(b->tmp_dir, "tmp")) == NULL ||
	    (c->copy_root = fs_join(sd, "buildpacks")) == NULL)
		return errf(e, "out of memory");
	if (o->no_cache)
		c->cache_root = fs_join(b->tmp_dir, "cache");
	else if (o->cache_dir != NULL)
		c->cache_root = strdup(o->cache_dir);
	else
		c->cache_root = fs_join(sd, "cache");
	if (c->cache_root == NULL)
		return errf(e, "out of memory");
	/* The app's config vars go to compile, as on a platform: the app is
	 * --app, else the directory's name, as run and start take it. */
	if (app == NULL && appname_for(NULL, c->app, name, &ne) == 0)
		app = name;
	if (fs_mkdir_p(c->home, 0700, e) == -1 ||
	    fs_mkdir_p(c->tmp, 0700, e) == -1 ||
	    configvars_for_app(app, NULL, o->envfile_vars, o->cli_vars,
		&c->vars, e) == -1)
		return -1;
	return envdir_write(c->env_dir, c->vars, e);
}

/* ENV_DIR takes any size; an environment does not, and a buildpack that
 * exports its config vars to its tools will fail on this one. */
static void
warn_env_limits(const struct envdir *vars)
{
	struct envv_limits lim;
	struct errbuf e;
	size_t k;

	envv_exec_limits(&lim);
	for (k = 0; k < vars->nvars; k++)
		if (envv_check_var("config var", vars->vars[k].name,
			vars->vars[k].len, &lim, &e) == -1)
			log_warn(stdout,
			    "%s; buildpacks get it as a file in ENV_DIR, but "
			    "cannot pass it on in an environment",
			    e.msg);
}

/* The Procfile wins over the defaults, type by type. */
static int
discover_types(struct ctx *c)
{
	struct build *b = c->b;
	struct procfile *pf = NULL;
	struct errbuf e;
	char list[1024];
	bool absent;
	int rc = SX_FAIL;

	/* Beneath the build dir: `Procfile -> /etc/shadow` is refused. */
	if (procfile_load_beneath(b->build_dir, "Procfile", &pf, &absent,
		log_warn_cb, NULL, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	log_topic(stdout, "Discovering process types");
	procfile_names(pf, NULL, list, sizeof list);
	log_info(stdout, "Procfile declares types -> %s",
	    pf->ntypes > 0 ? list : "(none)");
	procfile_names(b->release->types, pf, list, sizeof list);
	if (list[0] != '\0')
		log_info(stdout, "Default types for %s -> %s", b->bp_name,
		    list);
	if (procfile_merge(b->release->types, pf, &e) == -1 ||
	    procfile_complete(b->build_dir, "Procfile", pf, b->release->types,
		log_warn_cb, NULL, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	rc = SX_OK;
out:
	procfile_free(pf);
	return rc;
}

static void
on_pack_progress(void *arg, uint64_t done, uint64_t total)
{
	log_progress_update(arg, done, total);
}

/* Says why pack_dir failed; returns the exit status. */
static int
pack_failed(const struct opts *o, const struct pack_result *r,
    const struct errbuf *e)
{
	char limit[32];

	if (r->cancelled)
		return SX_SIGNAL + spawn_interrupted();
	if (r->too_big) {
		log_format_bytes(limit, sizeof limit, o->slug_max);
		log_error(stdout,
		    "Compiled slug size is too large (max is %s).", limit);
		return SX_TOO_BIG;
	}
	log_error(stdout, "%s", e->msg);
	return SX_FAIL;
}

/* Packs dir into slug with the build log's lines and the size limits.
 * ig (may be NULL) leaves paths out; po (may hold layers) has the rest.
 * Returns SX_OK, SX_TOO_BIG, SX_FAIL or SX_SIGNAL + N; *bytes gets the
 * slug's size. */
static int
pack_log(const struct opts *o, const char *dir, const char *slug, time_t mtime,
    const struct pack_ignore *ig, struct pack_opts *po_in, uint64_t *bytes)
{
	struct pack_opts po = *po_in;
	struct pack_result r;
	struct log_progress lp;
	struct errbuf e;
	char size[32], limit[32];

	po.mtime = mtime;
	po.prefix = "./app";
	po.ignore = ig;
	/* zlib's level 5 takes ~45% less CPU than 6 for ~1% more bytes (the
	 * hello app with its runtime: 33.8 MB against 33.5 MB, and 33.6 MB
	 * from `tar czf`, which is gzip -6). */
	po.level = 5;
	po.max_bytes = o->slug_max;
	po.cancel = spawn_interrupted;
	po.progress = on_pack_progress;
	po.progress_arg = &lp;
	po.warn = log_warn_cb;
	log_topic(stdout, "Compressing...");
	log_progress_start(&lp, stdout, "Compressed");
	if (pack_dir(dir, slug, &po, &r, &e) == -1) {
		log_progress_end(&lp);
		return pack_failed(o, &r, &e);
	}
	log_progress_end(&lp);
	*bytes = r.compressed;
	log_format_bytes(size, sizeof size, r.compressed);
	log_topic(stdout, "Compiled slug size is %s", size);
	if (o->slug_warn > 0 && r.compressed > o->slug_warn) {
		log_format_bytes(limit, sizeof limit, o->slug_warn);
		log_warn(stdout,
		    "Warning: Your slug size (%s) exceeds our soft "
		    "limit (%s) which may affect boot time.",
		    size, limit);
	}
	return SX_OK;
}

/* One time for every entry: SOURCE_DATE_EPOCH, else the commit's (0
 * outside git). */
static time_t
slug_time(long long commit_time)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	if (sde != NULL && *sde != '\0')
		return (time_t)strtoll(sde, NULL, 10);
	return (time_t)commit_time;
}

/* The runtimes the buildpacks that ran may have placed from their caches:
 * packed as layers, their compressed bytes kept in those caches for the
 * next build (pack.h).  *n may be 0; the caller frees with free_layers. */
static struct pack_layer *
runtime_layers(struct ctx *c, size_t *n)
{
	static const struct runtime_kind *const kinds[] = {&runtime_mono,
	    &runtime_node};
	const size_t nk = sizeof kinds / sizeof kinds[0];
	struct pack_layer *v;
	size_t i, k;

	*n = 0;
	if ((v = calloc(c->run.nbps * nk + 1, sizeof *v)) == NULL)
		return NULL;
	for (i = 0; i < c->run.nbps; i++) {
		if (!c->run.bps[i].used || c->run.bps[i].cache == NULL)
			continue;
		for (k = 0; k < nk; k++) {
			v[*n].rel = kinds[k]->prefix;
			if ((v[*n].ns_dir = fs_join(c->run.bps[i].cache,
				 kinds[k]->cache_ns)) == NULL)
				return v;
			(*n)++;
		}
	}
	return v;
}

static void
free_layers(struct pack_layer *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)v[i].ns_dir);
	free(v);
}

static int
pack_slug(struct ctx *c)
{
	const struct opts *o = c->o;
	struct build *b = c->b;
	struct pack_opts po = PACK_OPTS_INIT;
	struct pack_layer *layers;
	struct errbuf e;
	char *yaml = NULL;
	size_t ylen, nlayers;
	int code;

	b->slug_path = o->output != NULL ? strdup(o->output)
					 : fs_join(b->store.dir, "slug.tgz");
	if (b->slug_path == NULL ||
	    (b->release_path = release_path_for(b->slug_path)) == NULL) {
		log_error(stdout, "pack: out of memory");
		return SX_FAIL;
	}
	/* Without a cache (--no-cache: a temporary one) nothing is kept. */
	layers = runtime_layers(c, &nlayers);
	po.layers = layers;
	po.nlayers = nlayers;
	po.layer_mtime = slug_time(0);
	po.segments = o->no_cache ? PACK_SEG_COLD : PACK_SEG_REUSE;
	code = pack_log(o, b->build_dir, b->slug_path,
	    slug_time(b->git.commit_time), NULL, &po, &b->slug_bytes);
	free_layers(layers, nlayers);
	if (code != SX_OK)
		return code;
	if (manifest_emit(b->release, &yaml, &ylen, &e) == -1 ||
	    fs_write_file_atomic(b->release_path, yaml, ylen, 0644, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		free(yaml);
		return SX_FAIL;
	}
	free(yaml);
	log_info(stdout, "Slug:    %s", b->slug_path);
	log_info(stdout, "Release: %s", b->release_path);
	return SX_OK;
}

int
pack_app(const struct opts *o)
{
	struct pack_opts po = PACK_OPTS_INIT;
	struct pack_ignore *ig = NULL;
	struct errbuf e;
	const char *slug = o->output != NULL ? o->output : "slug.tgz";
	uint64_t bytes;
	int code = SX_FAIL;

	if (!fs_is_dir(o->app_dir)) {
		fprintf(stderr, PROGNAME ": %s: not a directory\n", o->app_dir);
		return SX_USAGE;
	}
	if ((ig = pack_ignore_load(o->app_dir, &e)) == NULL) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	code = pack_log(o, o->app_dir, slug, slug_time(0), ig, &po, &bytes);
	if (code == SX_OK)
		log_info(stdout, "Slug:    %s", slug);
out:
	pack_ignore_free(ig);
	return code;
}

static void
ctx_free(struct ctx *c)
{
	bprun_free(&c->run);
	free(c->app);
	free(c->env_dir);
	free(c->home);
	free(c->tmp);
	free(c->copy_root);
	free(c->cache_root);
	envdir_free(c->vars);
}

/* The app's directory and buildpacks, before anything is locked or made:
 * what is wrong here is a usage error. */
static int
open_app(struct ctx *c)
{
	const char *dir = c->o->app_dir;
	struct errbuf e;

	if ((c->app = realpath(dir, NULL)) == NULL) {
		fprintf(stderr, PROGNAME ": %s: %s\n", dir, strerror(errno));
		return SX_USAGE;
	}
	if (!fs_is_dir(c->app)) {
		fprintf(stderr, PROGNAME ": %s: not a directory\n", dir);
		return SX_USAGE;
	}
	if (find_buildpacks(c, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_USAGE;
	}
	name_app(c);
	return SX_OK;
}

/* Sets up the buildpack runner over this build's directories. */
static int
setup_runner(struct ctx *c, struct errbuf *e)
{
	struct bprun *r = &c->run;

	r->build_dir = c->b->build_dir;
	r->env_dir = c->env_dir;
	r->copy_root = c->copy_root;
	r->cache_root = c->cache_root;
	r->keep_fd = c->b->store.tree_fd;
	r->on_event = on_bp_event;
	r->event_arg = c;
	r->warn = log_warn_cb;
	return bprun_env(r, c->home, c->tmp, c->o->stack, c->b->git.commit, e);
}

/* Runs the buildpacks and merges the release and the Procfile. */
static int
run_buildpacks(struct ctx *c)
{
	struct build *b = c->b;
	struct bprun_outcome r;
	struct errbuf e;
	double t;
	int code;

	if (setup_runner(c, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		return SX_FAIL;
	}
	t = monotime_msf();
	if (bprun_build(&c->run, &r, &e) == -1)
		return report_outcome(&r, &e);
	b->ms_compile = monotime_msf() - t;
	t = monotime_msf();
	if (bprun_release(&c->run, &b->release, &r, &e) == -1)
		return report_outcome(&r, &e);
	if ((code = discover_types(c)) != SX_OK)
		return code;
	b->ms_release = monotime_msf() - t;
	return SX_OK;
}

int
build_app(const struct opts *o, bool pack, struct build *b)
{
	struct ctx c = {.o = o, .b = b, .run = BPRUN_INIT};
	struct errbuf e;
	double t;
	int code;

	*b = (struct build)BUILD_INIT;
	/* Kept for the next build to move aside and remove while it runs:
	 * removing the hard-linked runtime took ~1.5 s here (bench/README.md).
	 * Without a cache it holds the only copy of the runtime: removed. */
	b->keep_build_dir = !pack || !o->no_cache;
	e.msg[0] = '\0';
	if ((code = open_app(&c)) != SX_OK)
		goto out;
	if (prepare(&c, &e) == -1) {
		code = SX_FAIL;
		if (spawn_interrupted())
			code = SX_SIGNAL + spawn_interrupted();
		else
			log_error(stdout, "%s",
			    e.msg[0] ? e.msg : "out of memory");
		goto out;
	}
	t = monotime_msf();
	if ((code = take_app(&c)) != SX_OK)
		goto out;
	b->ms_take = monotime_msf() - t;
	warn_env_limits(c.vars);
	if ((code = run_buildpacks(&c)) != SX_OK)
		goto out;
	if (pack) {
		t = monotime_msf();
		if ((code = pack_slug(&c)) != SX_OK)
			goto out;
		b->ms_pack = monotime_msf() - t;
	}
	code = SX_OK;
	/* Heroku provisions the add-ons asked for on the first deploy. */
	build_provision(o, c.app, b->build_dir, b->release);
out:
	fflush(stdout);
	/* Config vars must not outlive the build on disk. */
	if (b->tmp_dir != NULL) {
		struct errbuf ignored;

		fs_rm_rf(b->tmp_dir, &ignored);
		free(b->tmp_dir);
		b->tmp_dir = NULL;
	}
	ctx_free(&c);
	return code;
}
