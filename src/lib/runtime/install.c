/* runtime/install.c - putting a spec's runtime in the app: placed from the
 * cache, downloaded into it first on a miss (runtime.h). */
#include "runtime/runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "runtime/cache.h"
#include "runtime/downloader.h"

static void
on_progress(void *arg, curl_off_t done, curl_off_t total)
{
	const struct runtime_install *ri = arg;

	ri->progress(ri->arg, (uint64_t)done, total > 0 ? (uint64_t)total : 0);
}

/* Streams the tarball into dir (which must not exist), verified, with
 * ri->downloader, or the one loaded for this download.  On failure *local
 * gets the local file system's error when writing dir failed, else 0. */
static int
download(const struct runtime_spec *rs, const struct runtime_install *ri,
    const char *dir, struct unpack_sum *sum, int *local, struct errbuf *e)
{
	const struct runtime_downloader *dl = ri->downloader;
	struct runtime_downloader_so *so = NULL;
	struct fetch_opts fo;
	char *shown;
	int rc;

	*local = 0;
	if (dl == NULL) {
		if ((so = runtime_downloader_open(NULL, e)) == NULL)
			return -1;
		dl = runtime_downloader_table(so);
	}
	shown = dl->redact_url(rs->url);
	ri->event(ri->arg, RUNTIME_EV_DOWNLOAD, shown ? shown : "the runtime");
	free(shown);
	dl->opts_init(&fo);
	fo.url = rs->url;
	fo.aws_access_key_id = envdir_get(ri->vars, "AWS_ACCESS_KEY_ID");
	fo.aws_secret_access_key =
	    envdir_get(ri->vars, "AWS_SECRET_ACCESS_KEY");
	fo.aws_session_token = envdir_get(ri->vars, "AWS_SESSION_TOKEN");
	fo.aws_region = envdir_get(ri->vars, "AWS_REGION");
	fo.s3_endpoint = envdir_get(ri->vars, "S3_ENDPOINT");
	if (ri->progress != NULL) {
		fo.progress = on_progress;
		fo.progress_arg = (void *)ri;
	}
	fo.stop = ri->stop;
	/* A runtime is ~30 MB compressed: a body past 2 GiB is a broken or
	 * hostile server, not a runtime. */
	fo.max_bytes = (curl_off_t)2 << 30;
	if ((rc = dl->download(&fo, rs->sha256, dir, NULL, sum, e)) == -1)
		*local = errno;
	runtime_downloader_close(so);
	return rc;
}

static void
on_cache_wait(void *arg)
{
	const struct runtime_install *ri = arg;

	ri->event(ri->arg, RUNTIME_EV_CACHE_WAIT, NULL);
}

/* Without the cache: straight into ri->dest. */
static int
install_uncached(const struct runtime_spec *rs,
    const struct runtime_install *ri, int *local, struct errbuf *e)
{
	return download(rs, ri, ri->dest, NULL, local, e);
}

/* The cache failed us on our side (it is full, or its disk failed): what
 * is in it for this key goes, and the runtime goes straight into the app,
 * as with a cache that cannot be used at all.  A bad download or sha256 is
 * not the cache's fault and fails the build: only the cache's own write
 * errors come here.  An interrupted build stops instead. */
static int
degrade(const struct runtime_spec *rs, const struct runtime_install *ri,
    struct runtime_cache_entry *c, int *local, struct errbuf *e)
{
	if (stopflag_is_set(ri->stop))
		return -1;
	(void)runtime_cache_discard(c, NULL);
	ri->event(ri->arg, RUNTIME_EV_CACHE_UNUSABLE, e->msg);
	return install_uncached(rs, ri, local, e);
}

int
runtime_install(const struct runtime_spec *rs, const struct runtime_install *ri,
    struct errbuf *e)
{
	struct runtime_cache_entry c = RUNTIME_CACHE_ENTRY_INIT;
	struct errbuf why = {""};
	struct unpack_sum sum;
	enum runtime_cache_state state;
	int rc = -1, local = 0, r;

	char *parent = strdup(ri->dest), *slash;

	if (parent == NULL)
		return errf(e, "runtime:");
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		rc = fs_mkdir_p(parent, 0755, e);
	} else {
		rc = 0;
	}
	free(parent);
	if (rc == -1 || fs_rm_rf(ri->dest, e) == -1) {
		local = errno != 0 ? errno : EIO;
		goto out;
	}
	rc = -1;
	struct runtime_cache_wait w = {ri->stop, on_cache_wait, (void *)ri};

	if (runtime_cache_open(&c, ri->cache_dir, rs->kind->cache_ns, ri->stack,
		rs->version, rs->sha256, &w, &why) == -1) {
		if (stopflag_is_set(ri->stop)) {
			errf(e, "%s", why.msg);
			goto out;
		}
		ri->event(ri->arg, RUNTIME_EV_CACHE_UNUSABLE, why.msg);
		rc = install_uncached(rs, ri, &local, e);
		goto out;
	}
	/* A hit is placed and checked in one pass; a miss or a damaged
	 * entry leaves dest absent, to be installed again.  Failing to place
	 * is failing to write dest. */
	if (runtime_cache_place(&c, rs->sha256, ri->dest, &state, e) == -1) {
		local = errno != 0 ? errno : EIO;
		goto out;
	}
	if (state == RUNTIME_CACHE_OK) {
		ri->event(ri->arg, RUNTIME_EV_CACHE_HIT, NULL);
		rc = 0;
		goto out;
	}
	if (state != RUNTIME_CACHE_MISSING)
		ri->event(ri->arg, RUNTIME_EV_CACHE_DAMAGED, e->msg);
	if (runtime_cache_discard(&c, e) == -1) {
		rc = degrade(rs, ri, &c, &local, e);
		goto out;
	}
	if (download(rs, ri, c.path, &sum, &local, e) == -1) {
		/* Writing into the cache failed: try the app. */
		if (local != 0)
			rc = degrade(rs, ri, &c, &local, e);
		goto out;
	}
	/* One walk of the new entry both places and seals it, once it reads
	 * back as it was unpacked. */
	r = runtime_cache_seal_place(&c, rs->sha256, ri->dest,
	    sum.exact ? &sum.t : NULL, e);
	if (r == RUNTIME_CACHE_UNSEALABLE) {
		rc = degrade(rs, ri, &c, &local, e);
		goto out;
	}
	if (r == -1) {
		local = errno != 0 ? errno : EIO;
		runtime_cache_discard(&c, NULL);
		goto out;
	}
	rc = 0;
out:
	runtime_cache_close(&c);
	if (rc == -1 && ri->local_errno != NULL)
		*ri->local_errno = local;
	return rc;
}
