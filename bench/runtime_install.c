/* runtime_install [-k mono|node] CACHE_DIR DEST URL SHA256 - the runtime
 * step of a buildpack's compile, alone: what compile does before xbuild
 * (Mono, the default) or npm (-k node).
 *
 * The runtime is resolved from the kind's URL and SHA256 config vars
 * (MONO_URL and MONO_SHA256, or NODE_URL and NODE_SHA256, as compile does
 * when they are set) and installed with runtime_install_logged exactly as
 * src/mono/compile.c and src/nodejs/compile.c call it: cache lookup in
 * CACHE_DIR, on a miss a streamed download + sha256 + unpack into the cache
 * and a seal, then the tree placed at DEST.  An empty CACHE_DIR gives a cold
 * install, a sealed one a warm install.  The log goes to stdout like
 * compile's; STACK as compile reads it.  Like compile, it links neither
 * libcurl nor libarchive: on a miss runtime_install loads them with
 * slugc-install.so from beside this program (runtime/downloader.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envdir.h"
#include "err.h"
#include "exitcode.h"
#include "runtime/install_log.h"
#include "runtime/runtime.h"
#include "spawn.h"

static int
install(const struct runtime_kind *k, const char *cache, const char *dest,
    const char *url, const char *sha, struct errbuf *e)
{
	struct runtime_spec rs = {.kind = k};
	struct runtime_want w = {
	    .kind = k,
	    .versions_path = "/nonexistent/buildpack.yml",
	};
	struct envdir *vars;
	const char *stack = getenv("STACK");
	char nurl[64], nsha[64];
	int rc = -1;

	if ((vars = envdir_new()) == NULL) {
		errf(e, "runtime_install:");
		return -1;
	}
	w.vars = vars;
	snprintf(nurl, sizeof nurl, "%s_URL", k->var_prefix);
	snprintf(nsha, sizeof nsha, "%s_SHA256", k->var_prefix);
	if (envdir_set(vars, nurl, url, e) == -1 ||
	    envdir_set(vars, nsha, sha, e) == -1 ||
	    runtime_resolve(&w, &rs, e) == -1)
		goto out;

	struct runtime_install ri = {
	    .cache_dir = cache,
	    .stack = stack != NULL && *stack != '\0' ? stack : "unknown-stack",
	    .dest = dest,
	    .vars = vars,
	    .stop = spawn_interrupt_flag(),
	};
	rc = runtime_install_logged(&rs, &ri, stdout, e);
out:
	runtime_spec_free(&rs);
	envdir_free(vars);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct runtime_kind *k = &runtime_mono;
	struct errbuf e = {""};
	int rc;

	if (argc == 7 && strcmp(argv[1], "-k") == 0) {
		if (strcmp(argv[2], "node") == 0)
			k = &runtime_node;
		else if (strcmp(argv[2], "mono") != 0)
			argc = 0; /* usage */
		argc -= 2;
		argv += 2;
	}
	if (argc != 5) {
		fprintf(stderr,
		    "usage: runtime_install [-k mono|node] CACHE_DIR DEST URL "
		    "SHA256\n");
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (spawn_install_signal_handlers(&e) == -1) {
		fprintf(stderr, "runtime_install: %s\n", e.msg);
		return EXIT_IO;
	}
	rc = install(k, argv[1], argv[2], argv[3], argv[4], &e) == -1
	    ? EXIT_FETCH
	    : EXIT_OK;
	if (rc != EXIT_OK)
		fprintf(stderr, "runtime_install: %s\n", e.msg);
	if (fclose(stdout) == EOF && rc == EXIT_OK)
		rc = EXIT_IO;
	return rc;
}
