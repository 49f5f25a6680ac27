/* runtime/downloader.h - the download half of a runtime install, loaded
 * on demand.
 *
 * Downloading a runtime takes fetch, install and unpack, hence libcurl and
 * libarchive and the ~40 libraries they load in turn (TLS, LDAP, Kerberos,
 * libxml2, ICU...): some 30 ms before main in every process linking them,
 * most of a warm build's runtime step.  A cache hit needs none of it.  So
 * compile does not link those modules: they are built into slugc-install.so,
 * installed beside the buildpack's programs, and loaded with
 * runtime_downloader_open only when a runtime must be downloaded.  Programs
 * that link the modules anyway (slugc, the unit tests) use
 * runtime_downloader_linked directly. */
#ifndef SLUGC_RUNTIME_DOWNLOADER_H
#define SLUGC_RUNTIME_DOWNLOADER_H

#include <stddef.h>

#include "err.h"
#include "fetch.h"
#include "nuget.h"
#include "unpack.h"

#define RUNTIME_DOWNLOADER_SO "slugc-install.so"

/* fetch's and download's entry points, as one table. */
struct runtime_downloader {
	/* The layouts it was built with: a shared object from other sources
	 * than the program loading it is refused, not called. */
	size_t size;	    /* sizeof (struct runtime_downloader) */
	size_t opts_size;   /* sizeof (struct fetch_opts) */
	size_t limits_size; /* sizeof (struct unpack_limits) */
	size_t errbuf_size; /* sizeof (struct errbuf) */
	size_t sum_size;    /* sizeof (struct unpack_sum) */

	int (*global_init)(struct errbuf *e);	 /* fetch_global_init */
	void (*global_cleanup)(void);		 /* fetch_global_cleanup */
	void (*opts_init)(struct fetch_opts *o); /* fetch_opts_init */
	char *(*redact_url)(const char *url);	 /* fetch_redact_url */
	int (*download)(const struct fetch_opts *fo, const char *sha256_hex,
	    const char *dest, const struct unpack_limits *lim,
	    struct unpack_sum *sum, struct errbuf *e); /* runtime_download */
	/* NuGet restore (XML, HTTP, zip) rides along: compile loads it
	 * only for an app that has packages to restore. */
	int (*nuget_restore)(const struct nuget_opts *o, struct nuget_result *r,
	    struct errbuf *e); /* nuget_restore */
};

/* The table over the modules linked into this program (and the symbol
 * slugc-install.so exports).  Defined in runtime_downloader_linked.c, so that
 * only programs naming it link libcurl and libarchive; they call its
 * global_init themselves. */
extern const struct runtime_downloader runtime_downloader_linked;

struct runtime_downloader_so;

/* Loads the shared object at path, or, when path is NULL, RUNTIME_DOWNLOADER_SO
 * in the directory of the running executable (found from /proc/self/exe,
 * never from $PATH or the working directory), with RTLD_NOW | RTLD_LOCAL;
 * checks its table's layouts against this program's and calls its
 * global_init.  Call it before starting threads of your own.  Returns NULL
 * with e naming the shared object's path on failure.  Release with
 * runtime_downloader_close. */
struct runtime_downloader_so *runtime_downloader_open(const char *path,
    struct errbuf *e);

/* The loaded table; valid until runtime_downloader_close. */
const struct runtime_downloader *runtime_downloader_table(
    const struct runtime_downloader_so *so);

/* The path it was loaded from; valid until runtime_downloader_close. */
const char *runtime_downloader_path(const struct runtime_downloader_so *so);

/* Calls the table's global_cleanup, unloads and frees.  Accepts NULL. */
void runtime_downloader_close(struct runtime_downloader_so *so);

#endif
