/* detect BUILD_DIR - the Mono buildpack applies to apps with a *.sln at their
 * root.  Prints "Mono" and exits 0, or prints "no" and exits 1 (the buildpack
 * API's answer for "not mine").  A BUILD_DIR that cannot be read is an error
 * (exit 2), never a silent "no". */
#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "exitcode.h"
#include "fsutil.h"
#include "monoapp/solution.h"

int
main(int argc, char **argv)
{
	struct errbuf e = {""};
	bool found;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: detect BUILD_DIR\n");
		return EXIT_USAGE;
	}
	if (!fs_is_dir(argv[1])) {
		fprintf(stderr, "detect: %s: not a directory\n", argv[1]);
		return EXIT_USAGE;
	}
	if (solution_any(argv[1], &found, &e) == -1) {
		fprintf(stderr, "detect: %s\n", e.msg);
		return EXIT_USAGE;
	}
	rc = found ? EXIT_OK : EXIT_NOT_DETECTED;
	/* A failed write may show at puts (musl writes through at once) or
	 * only at fclose (glibc buffers). */
	if (puts(found ? "Mono" : "no") == EOF || fclose(stdout) == EOF) {
		perror("detect: stdout");
		return EXIT_IO;
	}
	return rc;
}
