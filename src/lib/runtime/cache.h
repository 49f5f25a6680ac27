/* runtime/cache.h - the buildpack's runtime cache in CACHE_DIR.
 *
 * An entry is a directory CACHE_DIR/<ns>/<key>, where the key spells out
 * the stack, the version and the sha256 of the tarball it was unpacked from,
 * so changing any of them misses.  Beside it, <key>.ok (the seal) records the
 * sha256, entry count, byte total, modification times, each file's size and
 * a digest of the contents of the tree (see struct tally in cache.c); an
 * entry without a seal, or whose tree no longer matches it, is damaged (an
 * interrupted run, a deleted file, a file rewritten in place through an
 * app's hard link) and gets replaced.  A tree is sealed only when it reads
 * back as it was unpacked.  An flock on CACHE_DIR itself serialises
 * builds sharing the cache, so concurrent cold builds download once. */
#ifndef SLUGC_RUNTIME_CACHE_H
#define SLUGC_RUNTIME_CACHE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "err.h"
#include "stopflag.h"
#include "treesum.h"

struct runtime_cache_entry {
	char *ns;   /* CACHE_DIR/<ns> */
	char *path; /* CACHE_DIR/<ns>/<key>: where the tree lives */
	char *seal; /* CACHE_DIR/<ns>/<key>.ok */
	int lockfd; /* holds an exclusive flock while open */
};

#define RUNTIME_CACHE_ENTRY_INIT                                               \
	{                                                                      \
		NULL, NULL, NULL, -1                                           \
	}

/* Takes the cache's lock, waiting for any other build holding it (CACHE_DIR
 * is created if missing; CACHE_DIR/<ns> only when an entry is installed).
 * Fails (-1, e filled) when the cache cannot be used at all (not writable,
 * not a directory): callers go on without one.
 * While another build holds the lock it polls, calling w->waiting once and
 * failing ("interrupted") as soon as *w->stop is set; w may be NULL.
 * Release with runtime_cache_close. */
struct runtime_cache_wait {
	const stopflag *stop;	    /* set: give up waiting */
	void (*waiting)(void *arg); /* called once if we must wait */
	void *arg;
};

int runtime_cache_open(struct runtime_cache_entry *c, const char *cache_dir,
    const char *ns, const char *stack, const char *version, const char *sha256,
    const struct runtime_cache_wait *w, struct errbuf *e);

/* What a cache entry is worth. */
enum runtime_cache_state {
	RUNTIME_CACHE_MISSING,	/* no entry: "not cached" */
	RUNTIME_CACHE_UNSEALED, /* no seal: an earlier install did not finish */
	RUNTIME_CACHE_DAMAGED,	/* the seal or the tree does not match */
	RUNTIME_CACHE_OK, /* present, sealed with the sha256, tree intact */
};

/* Checks the entry against its seal and the sha256.  Anything but
 * RUNTIME_CACHE_OK comes with why saying what is wrong ("not cached", "an
 * earlier install did not finish", "its files changed (...)"). */
enum runtime_cache_state
runtime_cache_check(const struct runtime_cache_entry *c, const char *sha256,
    struct errbuf *why);

/* Places the entry at dest (which must not exist; its parent must) and
 * checks it against its seal in the same pass: directories are created
 * with the entry's modes and times, everything else is hard-linked (files
 * and symlinks: nothing edits them in place; where the cache is on another
 * file system, or a link count is exhausted, files are copied instead).
 *
 * Returns 0 with *state RUNTIME_CACHE_OK when dest holds the entry.  Returns 0
 * with another *state (e saying what is wrong, as runtime_cache_check's why)
 * when the entry is missing or damaged: dest then does not exist and the caller
 * installs the entry again.  Returns -1 with e naming the path when dest
 * cannot be written; dest does not exist then either, unless removing what
 * was placed failed too (e then says "cannot remove what was placed"). */
int runtime_cache_place(const struct runtime_cache_entry *c, const char *sha256,
    const char *dest, enum runtime_cache_state *state, struct errbuf *e);

/* Removes the entry, its seal and any temporary directories left beside it
 * by interrupted installs (safe: we hold the lock). */
int runtime_cache_discard(const struct runtime_cache_entry *c,
    struct errbuf *e);

/* Seals a freshly installed entry (written atomically after the tree),
 * reading the whole tree. */
int runtime_cache_seal(const struct runtime_cache_entry *c, const char *sha256,
    struct errbuf *e);

/* What runtime_cache_seal_place returns when the entry could not be sealed. */
#define RUNTIME_CACHE_UNSEALABLE (-2)

/* Places a freshly installed entry at dest as runtime_cache_place does and
 * seals it with what that one pass counted and read, sparing
 * runtime_cache_seal's walk of the tree (where files must be copied, it seals
 * first, then copies). expect, when not NULL, is what was unpacked into the
 * entry: the files read back must match it, or nothing is sealed.
 *
 * Returns 0 when dest holds the entry and it is sealed.  Returns
 * RUNTIME_CACHE_UNSEALABLE, with e saying why, when the entry cannot be sealed:
 * it does not read back as expected, it cannot be read, or the seal cannot be
 * written (a full or failing cache): dest does not exist then, and the
 * caller discards the entry and goes on without the cache.  Returns -1 with
 * e naming the path when dest cannot be written: dest does not exist then
 * either (as for runtime_cache_place), and the entry may be sealed or not (the
 * caller discards it). */
int runtime_cache_seal_place(const struct runtime_cache_entry *c,
    const char *sha256, const char *dest, const struct treesum *expect,
    struct errbuf *e);

/* Slug segments (packlayer.h): pack keeps the compressed bytes of a placed
 * entry beside it, as <key>.seg-<hash>, and needs to know that the tree it
 * is packing is still the one the seal describes, without reading it.
 * runtime_cache_discard removes an entry's segments with it. */
struct runtime_cache_statsum {
	unsigned long long entries, bytes, mtimes, sizes;
};

/* Adds one entry of the tree (rel: its path below the entry's root, no
 * trailing '/'; "" for the root itself) as lstat showed it. */
void runtime_cache_statsum_add(struct runtime_cache_statsum *s, const char *rel,
    const struct stat *st);

/* Whether the seal at seal_path (an entry's <key>.ok) matches what s
 * counted: entries, bytes, modification times and sizes (the checks a warm
 * placement makes).  Returns 0 with the seal's text in *text (malloc'd, for
 * the caller to free), or -1 with why saying what differs. */
int runtime_cache_statsum_check(const char *seal_path,
    const struct runtime_cache_statsum *s, char **text, struct errbuf *why);

/* Removes CACHE_DIR/<ns> if it is empty, unlocks and frees.  Accepts an
 * entry that was never opened. */
void runtime_cache_close(struct runtime_cache_entry *c);

#endif
