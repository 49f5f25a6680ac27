/* treesum.h - a cheap digest of a tree's regular files: how many, their
 * names and sizes, and their contents, the same in whatever order they are
 * visited.
 *
 * unpack computes it from the bytes it hands to the file system, the cache
 * from what the file system gives back, so a file that lost data on the way
 * (a failed write, zeros where bytes should be) shows as a different sum.
 * Not cryptographic: it catches lost or damaged data, not an attacker (the
 * tarball's sha256 does that).  The content hash runs at memory speed, so
 * hashing what is written or read anyway costs next to nothing. */
#ifndef SLUGC_TREESUM_H
#define SLUGC_TREESUM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The content hash of one file, fed in pieces of any size: the result does
 * not depend on where the pieces were cut. */
struct treesum_hash {
	uint64_t v[4];
	uint64_t len;
	unsigned char tail[32];
	size_t ntail;
};

void treesum_hash_init(struct treesum_hash *h);
void treesum_hash_update(struct treesum_hash *h, const void *buf, size_t len);
uint64_t treesum_hash_final(const struct treesum_hash *h);

/* The sums over a tree's regular files (names relative to its root, as
 * "a/b/c", no "." or empty components).  Sums modulo 2^64, so a file can be
 * taken out again (treesum_remove) when it is replaced. */
struct treesum {
	uint64_t files;
	uint64_t bytes;
	uint64_t sizes;	  /* over (name, size) */
	uint64_t content; /* over (name, size, content hash) */
};

/* The terms one file adds to sizes and content. */
uint64_t treesum_size_term(const char *name, size_t namelen, uint64_t size);
uint64_t treesum_content_term(const char *name, size_t namelen, uint64_t size,
    uint64_t chash);

/* Adds (or takes out) one file. */
void treesum_add(struct treesum *t, const char *name, size_t namelen,
    uint64_t size, uint64_t chash);
void treesum_remove(struct treesum *t, const char *name, size_t namelen,
    uint64_t size, uint64_t chash);

/* Reads the regular file open at fd (not closed) to its end, hashing it;
 * *size gets the bytes read.  Returns 0, or -1 with errno set. */
int treesum_hash_fd(int fd, uint64_t *chash, uint64_t *size);

/* Sums the tree at root from disk, reading every regular file, never
 * following symlinks.  Returns 0, or -1 with e naming the path. */
int treesum_tree(const char *root, struct treesum *t, struct errbuf *e);

#endif
