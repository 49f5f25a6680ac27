/* pack_slug DIR OUT [CACHE_DIR] - packs DIR into the slug OUT the way `slugc
 * build` does (pack_dir with the "./app" prefix, .slugignore honoured, gzip
 * level 5 and the default threads, one fixed mtime), and prints "COMPRESSED
 * RAW ENTRIES" on stdout.  SOURCE_DATE_EPOCH sets the mtime (default 0).
 *
 * With CACHE_DIR (a buildpack's, as its bin/compile got it), vendor/mono
 * and .heroku/node are packed as layers when they are CACHE_DIR's entries,
 * reusing and keeping their segments (PACK_SEGMENTS=cold: reusing and
 * keeping nothing, the same bytes), and "LAYERS REUSED STORED DAMAGED"
 * follow on the line.  Where the time went goes to stderr:
 * "walk MS layers MS splice MS rest MS ms". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	const char *seg = getenv("PACK_SEGMENTS");
	struct pack_layer layers[2] = {{"vendor/mono", NULL},
	    {".heroku/node", NULL}};
	int rc = EXIT_IO;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: pack_slug DIR OUT [CACHE_DIR]\n");
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
	if (argc == 4) {
		if ((layers[0].ns_dir = fs_join(argv[3], "mono")) == NULL ||
		    (layers[1].ns_dir = fs_join(argv[3], "node")) == NULL) {
			fprintf(stderr, "pack_slug: out of memory\n");
			goto out;
		}
		po.layers = layers;
		po.nlayers = 2;
		po.layer_mtime = po.mtime;
		if (seg != NULL && strcmp(seg, "cold") == 0)
			po.segments = PACK_SEG_COLD;
	}
	if (pack_dir(argv[1], argv[2], &po, &r, &e) == -1) {
		fprintf(stderr, "pack_slug: %s\n", e.msg);
		goto out;
	}
	printf("%" PRIu64 " %" PRIu64 " %zu", r.compressed, r.raw, r.entries);
	if (argc == 4)
		printf(" %zu %zu %zu %zu", r.layers, r.reused, r.stored,
		    r.damaged);
	printf("\n");
	fprintf(stderr, "walk %.1f layers %.1f splice %.1f rest %.1f ms\n",
	    r.ms_walk, r.ms_layers, r.ms_splice, r.ms_rest);
	rc = fclose(stdout) == EOF ? EXIT_IO : EXIT_OK;
out:
	free((char *)layers[0].ns_dir);
	free((char *)layers[1].ns_dir);
	pack_ignore_free(ig);
	return rc;
}
