/* slugignore.h - .slugignore: the patterns that keep files out of a slug
 * (Heroku removes them from the app before the buildpacks run, and slugc
 * pack leaves them out).  pack.h includes this. */
#ifndef SLUGC_SLUGIGNORE_H
#define SLUGC_SLUGIGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* A parsed .slugignore.  Heroku's format: gitignore-like patterns, one per
 * line; blank lines and lines starting with '#' are skipped; a trailing '/'
 * matches directories only; a pattern holding a '/' (other than a trailing
 * one) is anchored at the app root (a leading '/' is dropped), otherwise it
 * matches the name at any depth; '*', '?', '[...]' never match '/', "**"
 * as a whole segment matches any number of directories.  Negated ('!')
 * patterns are not supported (as on Heroku): they are counted and skipped. */
struct pack_ignore;

/* Parses len bytes of .slugignore text.  Returns a new set the caller frees
 * with pack_ignore_free(), or NULL (out of memory) with e filled. */
struct pack_ignore *pack_ignore_parse(const char *text, size_t len,
    struct errbuf *e);

/* Reads and parses dir/.slugignore, opened beneath dir (a symlink out of
 * the app is refused); a missing file gives an empty set. */
struct pack_ignore *pack_ignore_load(const char *dir, struct errbuf *e);

/* Frees a set; NULL is allowed. */
void pack_ignore_free(struct pack_ignore *ig);

/* Number of usable patterns, and of negated lines that were skipped. */
size_t pack_ignore_count(const struct pack_ignore *ig);
size_t pack_ignore_negated(const struct pack_ignore *ig);

/* true if relpath (relative to the app root, '/'-separated, no leading
 * "./") is matched by a pattern.  is_dir tells whether it is a directory.
 * Parents are not consulted: callers walk top-down and prune. */
bool pack_ignore_match(const struct pack_ignore *ig, const char *relpath,
    bool is_dir);

/* Removes everything under dir that the set matches (what Heroku does to
 * the source before compiling).  *removed (may be NULL) gets the number of
 * top-most paths removed.  Symlinks are removed, never followed. */
int pack_ignore_prune(const struct pack_ignore *ig, const char *dir,
    size_t *removed, struct errbuf *e);

#endif
