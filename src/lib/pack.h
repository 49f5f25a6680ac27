/* pack.h - packing a build directory into a slug (a gzipped tarball), and
 * (slugignore.h) the .slugignore patterns that keep files out of it.
 *
 * Slugs are reproducible: entries sorted by path in byte order, owner 0:0
 * without names, one fixed mtime (layers have one of their own, below), no
 * atime/ctime/xattrs, and a gzip stream whose bytes depend only on the
 * input (not on thread timing or the number of threads).  The tar stream
 * comes from libarchive in GNU tar's format (what `tar czf` gives Heroku's
 * slugs); zlib compresses it in parallel blocks, each primed with the
 * previous block's last 32 KiB, the way pigz does, into one gzip member.
 *
 * A slug holds only what `slugc run` will extract from it: every entry is
 * judged by slugpolicy_check (the rule unpack applies) under its name in
 * the slug, and what it refuses (FIFOs, sockets, devices, symlinks that are
 * absolute or climb out of the slug's root) is left out with a warning.
 *
 * Layers (packlayer.h): a subtree that is a runtime cache entry placed by
 * hard links (vendor/mono, .heroku/node) is compressed on its own, between
 * two cuts of the deflate stream, and its compressed bytes are kept beside
 * the entry; the next pack of the same entry splices them in instead of
 * compressing the runtime again.  The slug is byte for byte the one a pack
 * that compresses everything gives (PACK_SEG_COLD), and still one gzip
 * member. */
#ifndef SLUGC_PACK_H
#define SLUGC_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "slugignore.h"

/* Progress: called from the packing thread with the bytes of file data
 * read so far and the total expected (known after the directory walk). */
typedef void pack_progress_fn(void *arg, uint64_t done, uint64_t total);

/* A subtree that may be a layer. */
struct pack_layer {
	const char *rel;    /* below dir: "vendor/mono" */
	const char *ns_dir; /* the cache namespace that may hold it as an
			       entry: CACHE_DIR/mono */
};

enum pack_segments {
	PACK_SEG_REUSE, /* splice the layers' kept segments, keep new ones */
	PACK_SEG_COLD,	/* compress the layers, keep nothing */
};

struct pack_opts {
	const char *prefix; /* entry name prefix, e.g. "./app" (Heroku's
			       slug layout); NULL or "" for "./" */
	const struct pack_ignore *ignore; /* paths left out; NULL: none */
	time_t mtime;			  /* the one mtime of every entry */
	int level;			  /* gzip level 1-9; 0 means 6 */
	int threads;	    /* compression threads; 0: online CPUs */
	size_t block_size;  /* input bytes per block; 0: 256 KiB */
	uint64_t max_bytes; /* refuse a slug bigger than this; 0: no limit */
	pack_progress_fn *progress; /* may be NULL */
	void *progress_arg;
	/* Polled between files and blocks (spawn_interrupted fits): when it
	 * returns non-zero packing stops, the temporary file is removed and
	 * pack_dir fails with r->cancelled.  May be NULL. */
	int (*cancel)(void);
	/* Gets one line for each entry the slug policy leaves out, naming
	 * it (relative to dir) and why: "'tmp/sock' left out of the slug:
	 * socket refused".  May be NULL. */
	err_warn_fn *warn;
	void *warn_arg;
	/* Subtrees to pack as layers when they are their cache entry. */
	const struct pack_layer *layers;
	size_t nlayers;
	/* The one mtime of a layer's entries: the runtime is not the
	 * commit's, and a layer stamped with the commit's time could not
	 * be reused by the next commit. */
	time_t layer_mtime;
	enum pack_segments segments;
};

#define PACK_OPTS_INIT                                                         \
	{                                                                      \
		.prefix = NULL                                                 \
	}

struct pack_result {
	uint64_t compressed; /* bytes of the slug */
	uint64_t raw;	     /* bytes of file data packed */
	uint64_t tar;	     /* bytes of the uncompressed tar stream */
	size_t entries;	     /* tar entries written */
	size_t ignored;	     /* paths left out by the ignore set */
	size_t skipped;	     /* entries the slug policy left out */
	size_t layers;	     /* subtrees packed as layers */
	size_t reused;	     /* layers spliced from their kept segment */
	size_t stored;	     /* layers whose segment was kept */
	size_t damaged;	     /* kept segments found damaged (recompressed) */
	/* Where the time went, in ms: the walk of the tree, finding and
	 * checking its layers, splicing segments, and the rest (tar headers,
	 * reading and compressing files, writing). */
	double ms_walk, ms_layers, ms_splice, ms_rest;
	bool too_big;	/* failed because of max_bytes */
	bool cancelled; /* failed because cancel() returned non-zero */
};

/* Packs the tree at dir into the gzipped tarball out.  The slug is written
 * to a temporary file in out's directory and renamed to out only when
 * complete: on any failure (including max_bytes and cancel) out is left
 * untouched and the temporary file removed.  An out that exists and is not
 * a regular file (a device, a directory, a symlink) is refused.  r (may be
 * NULL) receives the figures, also on failure.  Entries are named prefix +
 * "/" + relpath; the root directory itself is the first entry (prefix +
 * "/"), and a prefix the slug policy refuses there (absolute, '..') fails.
 * Every write error names out.  A symlink's target is checked against the
 * root of the slug, not dir: with the prefix "./app", app/l -> ../x stays
 * inside (as /x on a dyno), app/l -> ../../x does not. */
int pack_dir(const char *dir, const char *out, const struct pack_opts *o,
    struct pack_result *r, struct errbuf *e);

#endif
