/* unpack.h - extracting untrusted tarballs.
 *
 * Accepts tar only (ustar, pax, GNU: long names included), uncompressed or
 * compressed with gzip, xz or zstd; anything else is refused.  Every entry is
 * checked by unpack_check_entry before libarchive's write_disk sees it (a
 * hard link's target also on disk, see unpack_from), nothing is written
 * through a symlink extracted earlier, and write_disk refuses '..' itself,
 * so a hostile archive cannot write outside the destination nor leave a
 * link that points outside it.  Sizes, entry count and the expansion ratio
 * are capped.  On any failure the partial tree is removed. */
#ifndef SLUGC_UNPACK_H
#define SLUGC_UNPACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "treesum.h"

/* A field set to 0 is no limit. */
struct unpack_limits {
	uint64_t max_bytes;   /* sum of the sizes of all files */
	uint64_t max_entries; /* entries of any kind */
	/* Expanded bytes (the larger of the tar stream and the file data
	 * written) may be at most max_ratio times the compressed bytes read,
	 * checked only once more than ratio_floor bytes have expanded, so
	 * small, very compressible archives pass. */
	uint64_t max_ratio;
	uint64_t ratio_floor;
};

#define UNPACK_DEFAULT_MAX_BYTES (4ULL << 30) /* 4 GiB */
#define UNPACK_DEFAULT_MAX_ENTRIES 200000ULL
#define UNPACK_DEFAULT_MAX_RATIO 200ULL
#define UNPACK_DEFAULT_RATIO_FLOOR (64ULL << 20) /* 64 MiB */

/* Fills l with the defaults above. */
void unpack_limits_init(struct unpack_limits *l);

/* The policy for one archive entry, pure (no file-system access) so it can be
 * tested and fuzzed alone: slugpolicy_check (slugpolicy.h), which pack
 * applies too, with the entry's name before the reason.  path is the entry's name as stored, type its
 * S_IFMT bits (S_IFREG, S_IFDIR, S_IFLNK, ...), symlink the link target for a
 * symlink (else NULL), hardlink the target for a hard link (else NULL).
 * Accepts directories, regular files, symlinks whose target stays inside the
 * root and hard links to other entries; refuses empty and absolute paths,
 * '..' components, devices, FIFOs, sockets, and non-directories that would
 * replace the root itself.
 *
 * Symlinks are resolved lexically from the link's directory: the target must
 * be relative, its '..' components must all come first (after a name, '..'
 * could climb out of a directory reached through another symlink) and must
 * not climb above the root.
 *
 * Hard links are checked here by name only; see unpack_from for the check
 * on their target.
 *
 * Returns 0, or -1 with e holding "archive entry 'PATH': why". */
int unpack_check_entry(const char *path, mode_t type, const char *symlink,
    const char *hardlink, struct errbuf *e);

/* Where unpack_from reads the archive. */
struct unpack_source {
	/* Points *buf at the next bytes of the stream and returns how many;
	 * they must stay valid until the next call (or unpack_from's return).
	 * Returns 0 at the end of the stream, or -1 with e holding why, one
	 * line that unpack_from puts after the entry's name. */
	ssize_t (*read)(void *arg, const void **buf, struct errbuf *e);
	/* For a source that may decompress before handing the bytes over:
	 * the compressed bytes behind what read returned so far (a little
	 * more is fine).  The expansion ratio is measured against the smaller
	 * of this and the bytes read.  NULL when the bytes read are the
	 * stream as stored. */
	uint64_t (*stored)(void *arg);
	void *arg;
};

/* Extracts the archive read from src into dest, which must be missing (it
 * is created, mode 0755; its parent must exist) or an empty directory.  lim
 * NULL means the defaults.  Modes and mtimes are restored, owners are not;
 * setuid and setgid bits are dropped, and directories keep owner rwx so the
 * tree can always be removed.  A hard link must name a regular file already
 * extracted: never a symlink (linking copies the symlink itself into another
 * directory, where its relative target may escape the root: a/b/l -> ../../x
 * is inside, h linked to it at the top would not be), a directory or a
 * missing name.  No entry, and no hard link's target, is reached through a
 * symlink extracted earlier; an entry named like one replaces it.  Reading
 * stops at the archive's end marker, which may come before the end of the
 * stream (padding, compression trailers): a caller that must see every
 * byte, to hash it, drains the rest.
 *
 * Every write is checked: a file that could not be written whole (disk
 * full, I/O error) fails the unpack, naming the entry, the path and the
 * errno; nothing is ever left with zeros where its bytes should be.
 *
 * Returns 0, or -1 with e holding one line naming the entry, and with dest
 * removed (whether or not it existed before, unless it was refused for not
 * being empty).  On failure errno tells whose fault it was: the local file
 * system's error (ENOSPC, EDQUOT, EIO, EROFS, EACCES...) when writing dest
 * failed, 0 when the archive, its source or a limit did. */
int unpack_from(const struct unpack_source *src, const char *dest,
    const struct unpack_limits *lim, struct errbuf *e);

/* What unpack_from_sum wrote: the treesum (treesum.h) of the regular files
 * as they must read back from dest, hard links included, from the bytes
 * handed to the file system.  exact is false when the archive did what the
 * sum cannot follow (a hard link carrying data, overlapping sparse blocks):
 * there is then nothing to compare a tree with. */
struct unpack_sum {
	struct treesum t;
	bool exact;
};

/* unpack_from, filling *sum (when not NULL) on success. */
int unpack_from_sum(const struct unpack_source *src, const char *dest,
    const struct unpack_limits *lim, struct unpack_sum *sum, struct errbuf *e);

/* Reads up to len bytes into buf: returns the count, 0 at the end of the
 * stream, or -1 with errno set. */
typedef ssize_t (*unpack_read_fn)(void *arg, void *buf, size_t len);

/* unpack_from reading through fn (into a buffer of its own); a failed read
 * is reported as "read: " and strerror(errno). */
int unpack_cb(unpack_read_fn fn, void *arg, const char *dest,
    const struct unpack_limits *lim, struct errbuf *e);

/* unpack_cb reading from the file descriptor fd (not closed). */
int unpack_fd(int fd, const char *dest, const struct unpack_limits *lim,
    struct errbuf *e);

#endif
