#include "runtime/downloader.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct runtime_downloader_so {
	void *handle;
	const struct runtime_downloader *table;
	char *path;
};

/* RUNTIME_DOWNLOADER_SO in the running executable's directory.  Never a
 * search: what a program runs as code must be what was installed with it. */
static char *
beside_exe(struct errbuf *e)
{
	char exe[PATH_MAX], *slash, *p;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n == -1) {
		errf(e, "locate %s: /proc/self/exe:", RUNTIME_DOWNLOADER_SO);
		return NULL;
	}
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL) {
		errf(e, "locate %s beside %s", RUNTIME_DOWNLOADER_SO, exe);
		return NULL;
	}
	*slash = '\0';
	if (asprintf(&p, "%s/%s", exe, RUNTIME_DOWNLOADER_SO) < 0) {
		errf(e, "locate %s:", RUNTIME_DOWNLOADER_SO);
		return NULL;
	}
	return p;
}

/* dlerror's text, without the path it usually starts with (ours names it
 * already). */
static const char *
dl_reason(const char *path)
{
	const char *msg = dlerror();
	size_t n = strlen(path);

	if (msg == NULL)
		return "unknown error";
	if (strncmp(msg, path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
		return msg + n + 2;
	return msg;
}

struct runtime_downloader_so *
runtime_downloader_open(const char *path, struct errbuf *e)
{
	struct runtime_downloader_so *so = calloc(1, sizeof *so);
	const struct runtime_downloader *t;

	if (so == NULL) {
		errf(e, "load the runtime downloader:");
		return NULL;
	}
	so->path = path != NULL ? strdup(path) : beside_exe(e);
	if (so->path == NULL) {
		if (path != NULL)
			errf(e, "load %s:", path);
		goto fail;
	}
	/* RTLD_LOCAL: its libraries' symbols stay its own.  RTLD_NOW: a
	 * library missing on this machine fails here, naming it, rather
	 * than halfway through a download. */
	if ((so->handle = dlopen(so->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		errf(e, "load %s: %s", so->path, dl_reason(so->path));
		goto fail;
	}
	if ((t = dlsym(so->handle, "runtime_downloader_linked")) == NULL) {
		errf(e, "load %s: %s", so->path, dl_reason(so->path));
		goto fail;
	}
	if (t->size != sizeof *t || t->opts_size != sizeof(struct fetch_opts) ||
	    t->limits_size != sizeof(struct unpack_limits) ||
	    t->errbuf_size != sizeof(struct errbuf) ||
	    t->sum_size != sizeof(struct unpack_sum)) {
		errf(e,
		    "load %s: built from other sources than this program: "
		    "reinstall the buildpack",
		    so->path);
		goto fail;
	}
	if (t->global_init(e) == -1) {
		errprefix(e, "load %s", so->path);
		goto fail;
	}
	so->table = t;
	return so;
fail:
	runtime_downloader_close(so);
	return NULL;
}

const struct runtime_downloader *
runtime_downloader_table(const struct runtime_downloader_so *so)
{
	return so->table;
}

const char *
runtime_downloader_path(const struct runtime_downloader_so *so)
{
	return so->path;
}

void
runtime_downloader_close(struct runtime_downloader_so *so)
{
	if (so == NULL)
		return;
	if (so->table != NULL)
		so->table->global_cleanup();
	if (so->handle != NULL)
		dlclose(so->handle);
	free(so->path);
	free(so);
}
