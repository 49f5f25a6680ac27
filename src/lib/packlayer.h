/* packlayer.h - pack's layers: subtrees of the tree being packed that are
 * a runtime cache entry placed by hard links (runtime/cache.h), found and
 * checked before the tar is written, and their segments, kept in the cache
 * beside the entry.
 *
 * A layer is packed between two cuts of the deflater (pgzip.h), so its
 * compressed bytes depend only on its entries and the pack settings (the
 * walk gives them contiguously, sorted; every tar entry is a multiple of
 * 512 bytes, so where the layer starts in the tar changes nothing).  Those
 * bytes are a pure function of the segment's key: the pack settings, the
 * layer's tar name, the entry's name, the text of its seal (which holds
 * the tarball's sha256 and a digest of the files' contents) and a hash of
 * what the tar holds of every entry (name, mode, link target) and of each
 * file's size and mtime.
 *
 * A subtree is a layer only when it is exactly the entry: every file and
 * symlink of it the entry's own inode at the same name (hard links), every
 * directory with the entry's mode, no file of it linked from an entry
 * packed before it, and its entries matching the entry's seal by what lstat
 * shows (entries, bytes, mtimes, sizes): a build that added, removed,
 * replaced or rewrote a file in place makes it an ordinary subtree.  Only
 * lstat is used (one fstatat per entry beside the walk's): no file is
 * read. */
#ifndef SLUGC_PACKLAYER_H
#define SLUGC_PACKLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"
#include "pack.h"
#include "packwalk.h"
#include "pgzip.h"

/* What the segment's bytes depend on besides the entry. */
struct packlayer_settings {
	int level;
	size_t block_size;
	time_t mtime; /* the layer's entries' one mtime */
};

struct packlayer {
	size_t start, end; /* its entries: w->v[start..end) */
	char *seg_path;	   /* NS_DIR/<entry>.seg-<hash of key> */
	char *key;	   /* what the segment must say it holds */
};

/* Finds which of want[0..n) are layers of the walk w (their order in the
 * walk), into *out (*nout of them; packlayer_free frees them).  A subtree
 * that is missing or is not a layer is left out: this fails (-1, e filled)
 * only when memory runs out. */
int packlayer_find(const struct packwalk *w, const struct pack_layer *want,
    size_t n, const struct packlayer_settings *set, struct packlayer **out,
    size_t *nout, struct errbuf *e);

void packlayer_free(struct packlayer *v, size_t n);

/* Opens l's segment when it is there.  Returns its descriptor, positioned
 * at the deflate bytes, with *s filled from its header; or -1 when there is
 * none (*damaged false) or it is damaged: a header that does not match its
 * own checksum, another key, a size that is not the header's (*damaged
 * true, why says what).  The bytes themselves are checked against s->ccrc
 * as they are spliced (pgzip_splice). */
int packlayer_seg_open(const struct packlayer *l, struct pgzip_seg *s,
    bool *damaged, struct errbuf *why);

/* A temporary file beside l's segment for pgzip_capture_begin, with room
 * for the header; *tmp (malloc'd) names it.  Returns the descriptor or -1. */
int packlayer_seg_create(const struct packlayer *l, char **tmp,
    struct errbuf *e);

/* Writes the header of the segment s into fd (from packlayer_seg_create),
 * and renames tmp to l's segment.  fd is closed and, on failure, tmp
 * removed; tmp is freed.  Returns 0 or -1. */
int packlayer_seg_commit(const struct packlayer *l, int fd, char *tmp,
    const struct pgzip_seg *s, struct errbuf *e);

/* Closes fd, removes tmp and frees it (a capture that failed). */
void packlayer_seg_drop(int fd, char *tmp);

#endif
