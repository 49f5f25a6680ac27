/* runtime_install CACHE_DIR DEST URL SHA256 - the runtime step of the Mono
 * buildpack's compile, alone: what compile does before xbuild.
 *
 * The runtime is resolved from MONO_URL and MONO_SHA256 config vars (as
 * compile does when they are set) and installed with runtime_install_logged
 * exactly as src/mono/compile.c calls it: cache lookup in CACHE_DIR, on a miss a
 * streamed download + sha256 + unpack into the cache and a seal, then the
 * tree placed at DEST.  An empty CACHE_DIR gives a cold install, a sealed one
 * a warm install.  The log goes to stdout like compile's; STACK as compile
 * reads it.  Like compile, it links neither libcurl nor libarchive: on a miss
 * runtime_install loads them with slugc-install.so from beside this program
 * (installer.h). */
#include <stdio.h>
#include <stdlib.h>

#include "envdir.h"
#include "err.h"
#include "exitcode.h"
#include "runtime.h"
#include "runtime_log.h"
#include "spawn.h"

static int
install(const char *cache, const char *dest, const char *url, const char *sha,
    struct errbuf *e)
{
	struct runtime_spec rs = {.kind = &runtime_mono};
	struct runtime_want w = {
	    .kind = &runtime_mono,
	    .bpconfig_path = "/nonexistent/buildpack.yml",
	};
	struct envdir *vars;
	const char *stack = getenv("STACK");
	int rc = -1;

	if ((vars = envdir_new()) == NULL) {
		errf(e, "runtime_install:");
		return -1;
	}
	w.vars = vars;
	if (envdir_set(vars, "MONO_URL", url, e) == -1 ||
	    envdir_set(vars, "MONO_SHA256", sha, e) == -1 ||
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
	struct errbuf e = {""};
	int rc;

	if (argc != 5) {
		fprintf(stderr,
		    "usage: runtime_install CACHE_DIR DEST URL "
		    "SHA256\n");
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (spawn_install_signal_handlers(&e) == -1) {
		fprintf(stderr, "runtime_install: %s\n", e.msg);
		return EXIT_IO;
	}
	rc = install(argv[1], argv[2], argv[3], argv[4], &e) == -1 ? EXIT_FETCH
								   : EXIT_OK;
	if (rc != EXIT_OK)
		fprintf(stderr, "runtime_install: %s\n", e.msg);
	if (fclose(stdout) == EOF && rc == EXIT_OK)
		rc = EXIT_IO;
	return rc;
}
