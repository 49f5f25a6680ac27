/* pkgjson.h - what the Node.js buildpack reads from an app's package.json.
 *
 * The file is parsed with json-c, as strictly as npm's JSON.parse: json-c's
 * own extensions (single-quoted names, NaN and Infinity, "1.", raw control
 * characters inside strings) are refused too, so that an app npm would
 * refuse fails here, with the line and column, and not later in npm with a
 * page of text.  A leading UTF-8 byte order mark is skipped, as npm does;
 * of a name given twice the last value counts, as in JSON.parse. */
#ifndef SLUGC_PKGJSON_H
#define SLUGC_PKGJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Largest package.json pkgjson_read() accepts. */
#define PKGJSON_MAX (8 * 1024 * 1024)

/* The fields the buildpack uses.  A string field is NULL when its key is
 * absent or null; every string is NUL-free UTF-8 as the file had it. */
struct pkgjson {
	char *engines_node;	 /* engines.node: a semver range */
	char *engines_npm;	 /* engines.npm */
	char *start;		 /* scripts.start */
	char *build;		 /* scripts.build */
	char *heroku_prebuild;	 /* scripts["heroku-prebuild"] */
	char *heroku_postbuild;	 /* scripts["heroku-postbuild"] */
	char *heroku_cleanup;	 /* scripts["heroku-cleanup"] */
	bool has_deps;		 /* "dependencies" is an object */
	bool has_dev_deps;	 /* "devDependencies" is an object */
	size_t ndeps, ndev_deps; /* how many entries they hold */
};

/* Parses the package.json held in buf (len bytes, need not be
 * NUL-terminated).  name is the file's name in messages ("package.json").
 * No I/O, no global state: safe to fuzz.  On success *out is a new struct
 * the caller frees with pkgjson_free() and 0 is returned.  -1 leaves *out
 * NULL and fills e, for bad JSON with "NAME:LINE:COLUMN: what" (lines and
 * columns from 1, columns counting UTF-8 characters), and for a field of
 * the wrong type with "NAME: engines.node is a number, not a string". */
int pkgjson_parse(const char *buf, size_t len, const char *name,
    struct pkgjson **out, struct errbuf *e);

/* Reads and parses the app's rel ("package.json") beneath root, the app's
 * directory (beneath.h: a symlink out of the app is refused, errno EXDEV),
 * at most PKGJSON_MAX bytes; rel names it in messages.  A missing file is
 * an error with errno ENOENT; content pkgjson_parse refuses, EINVAL.
 * Returns 0 or -1 with e filled; the caller frees *out. */
int pkgjson_read(const char *root, const char *rel, struct pkgjson **out,
    struct errbuf *e);

/* Frees p and its strings.  NULL is fine. */
void pkgjson_free(struct pkgjson *p);

/* Converts a byte offset in buf (len bytes) to a 1-based line and column;
 * the column counts UTF-8 characters (bytes that are not continuation
 * bytes), so a message points where an editor does.  An offset past the
 * end is taken as the end. */
void pkgjson_position(const char *buf, size_t len, size_t off,
    unsigned long *line, unsigned long *col);

#endif
