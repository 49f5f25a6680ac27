/* detect BUILD_DIR - the Node.js buildpack applies to apps with a
 * package.json at their root.  Prints "Node.js" and exits 0, or prints "no"
 * and exits 1 (the buildpack API's answer for "not mine").  A BUILD_DIR that
 * cannot be read is an error (exit 2), never a silent "no".
 *
 * One stat, whatever the app's size: package.json is a regular file, or a
 * symlink to one (Heroku's `[ -f package.json ]`); compile reads it only
 * beneath the app. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "exitcode.h"

int
main(int argc, char **argv)
{
	struct stat st;
	bool found;
	int dfd, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: detect BUILD_DIR\n");
		return EXIT_USAGE;
	}
	if ((dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "detect: %s: %s\n", argv[1],
		    errno == ENOTDIR || errno == ENOENT ? "not a directory"
							: strerror(errno));
		return EXIT_USAGE;
	}
	if (fstatat(dfd, "package.json", &st, 0) == 0) {
		found = S_ISREG(st.st_mode);
	} else if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
		found = false; /* absent, or a dangling or looping link */
	} else {
		fprintf(stderr, "detect: %s/package.json: %s\n", argv[1],
		    strerror(errno));
		return EXIT_USAGE;
	}
	rc = found ? EXIT_OK : EXIT_NOT_DETECTED;
	/* A failed write may show at puts (musl writes through at once) or
	 * only at fclose (glibc buffers). */
	if (puts(found ? "Node.js" : "no") == EOF || fclose(stdout) == EOF) {
		perror("detect: stdout");
		return EXIT_IO;
	}
	return rc;
}
