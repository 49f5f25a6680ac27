/* exitcode.h - the exit statuses of the buildpack's programs (and the
 * README's table).  detect's 1 is the buildpack API's "does not apply", not
 * a failure. */
#ifndef SLUGC_EXITCODE_H
#define SLUGC_EXITCODE_H

enum exit_code {
	EXIT_OK = 0,
	EXIT_NOT_DETECTED = 1, /* detect: not this buildpack's app (no *.sln,
	                          no package.json at its root) */
	EXIT_BUILD_FAILED = 1, /* compile: xbuild reported a failed build */
	EXIT_USAGE = 2,	       /* bad arguments or bad input: missing BUILD_DIR,
	                          no solution, bad config var or buildpack.yml */
	EXIT_FETCH = 3,	       /* the runtime could not be downloaded, verified
	                          or unpacked */
	EXIT_IO = 4,	       /* a local file-system error or a write error on
	                          stdout */
	EXIT_SIGNAL_BASE = 128 /* interrupted by signal N: 128 + N */
};

#endif
