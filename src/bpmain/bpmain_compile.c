/* bpmain_compile.c - compile's start and end (bpmain.h). */
#include "bpmain.h"

#include <stdio.h>

#include "exitcode.h"
#include "log.h"
#include "spawn.h"

int
bpmain_compile_begin(int argc)
{
	struct errbuf e = {""};

	if (argc < 3) {
		fprintf(stderr,
		    "usage: compile BUILD_DIR CACHE_DIR [ENV_DIR]\n");
		return EXIT_USAGE;
	}
	/* The log streams: a line must reach the platform as it is written. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* No fetch_global_init: libcurl is loaded with the downloader, and
	 * only when the runtime must be downloaded (runtime/downloader.h). */
	if (spawn_install_signal_handlers(&e) == -1) {
		log_error(stdout, "%s", e.msg);
		return EXIT_IO;
	}
	return EXIT_OK;
}

int
bpmain_compile_end(int rc, const struct errbuf *e)
{
	if (spawn_interrupted()) {
		log_error(stdout, "Interrupted by %s",
		    spawn_signal_name(spawn_interrupted()));
		rc = EXIT_SIGNAL_BASE + spawn_interrupted();
	} else if (rc != EXIT_OK) {
		log_error(stdout, "%s", e->msg);
	}
	/* The log is flushed line by line: a write that failed on the way
	 * is remembered in ferror, not reported again by fclose. */
	if ((ferror(stdout) || fclose(stdout) == EOF) && rc == EXIT_OK)
		rc = EXIT_IO;
	return rc;
}
