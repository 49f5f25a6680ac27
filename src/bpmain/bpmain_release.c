/* bpmain_release.c - release's main (bpmain.h).  Apart from compile's
 * part so that release links neither spawn nor log. */
#include "bpmain.h"

#include <stdio.h>
#include <stdlib.h>

#include "exitcode.h"
#include "fsutil.h"

int
bpmain_release(int argc, char **argv, bpmain_types_fn *types)
{
	struct errbuf e = {""};
	struct manifest *m = NULL;
	char *yaml = NULL;
	size_t len;
	int rc = EXIT_USAGE;

	if (argc < 2) {
		fprintf(stderr, "usage: release BUILD_DIR [CACHE_DIR]\n");
		return EXIT_USAGE;
	}
	if (!fs_is_dir(argv[1])) {
		fprintf(stderr, "release: %s: not a directory\n", argv[1]);
		return EXIT_USAGE;
	}
	if ((m = manifest_new()) == NULL) {
		perror("release");
		return EXIT_IO;
	}
	if (types(argv[1], m, &e) == -1 ||
	    manifest_emit(m, &yaml, &len, &e) == -1) {
		fprintf(stderr, "release: %s\n", e.msg);
		goto out;
	}
	rc = EXIT_OK;
	if (fwrite(yaml, 1, len, stdout) != len || fclose(stdout) == EOF) {
		perror("release: stdout");
		rc = EXIT_IO;
	}
out:
	free(yaml);
	manifest_free(m);
	return rc;
}
