/* pack_slug DIR OUT - packs DIR into the slug OUT the way `slugc build` does
 * (pack_dir with the "./app" prefix, .slugignore honoured, gzip level 5 and
 * the default threads, one fixed mtime), and prints "COMPRESSED RAW ENTRIES" on stdout.
 * SOURCE_DATE_EPOCH sets the mtime (default 0). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "exitcode.h"
#include "fsutil.h"
#include "pack.h"

int
main(int argc, char **argv)
{
	struct pack_opts po = PACK_OPTS_INIT;
	struct pack_result r = {0};
	struct pack_ignore *ig = NULL;
	struct errbuf e = {""};
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int rc = EXIT_IO;

	if (argc != 3) {
		fprintf(stderr, "usage: pack_slug DIR OUT\n");
		return EXIT_USAGE;
	}
	if ((ig = pack_ignore_load(argv[1], &e)) == NULL) {
		fprintf(stderr, "pack_slug: %s\n", e.msg);
		goto out;
	}
	po.prefix = "./app";
	po.ignore = ig;
	po.mtime = sde != NULL ? (time_t)strtoll(sde, NULL, 10) : 0;
	po.level = 5; /* what slugc build uses (see src/slugc/build.c) */
	if (pack_dir(argv[1], argv[2], &po, &r, &e) == -1) {
		fprintf(stderr, "pack_slug: %s\n", e.msg);
		goto out;
	}
	printf("%" PRIu64 " %" PRIu64 " %zu\n", r.compressed, r.raw, r.entries);
	rc = fclose(stdout) == EOF ? EXIT_IO : EXIT_OK;
out:
	pack_ignore_free(ig);
	return rc;
}
