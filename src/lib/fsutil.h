/* fsutil.h - small file-system helpers shared by every module. */
#ifndef SLUGC_FSUTIL_H
#define SLUGC_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Returns a malloc'd "a/b" (no doubled '/'), or NULL when out of memory.
 * The caller frees it. */
char *fs_join(const char *a, const char *b);

/* Creates dir and its missing parents with the given mode (like mkdir -p).
 * An existing directory is success; an existing non-directory is an error. */
int fs_mkdir_p(const char *dir, mode_t mode, struct errbuf *e);

/* Removes path and everything under it, never following symlinks (like
 * rm -rf).  A path that does not exist is success. */
int fs_rm_rf(const char *path, struct errbuf *e);

/* Writes all of buf to fd, retrying short writes and EINTR.  Returns 0, or
 * -1 with errno set. */
int fs_write_all(int fd, const void *buf, size_t len);

/* Reads a whole regular file into a malloc'd, NUL-terminated buffer (the NUL
 * is not counted in *len).  Files larger than max bytes are refused.  Returns
 * NULL with errno set (ENOENT for a missing file) and e filled. */
char *fs_read_file(const char *path, size_t max, size_t *len, struct errbuf *e);

/* fs_read_file's reading half: reads the regular file open on fd (opened
 * with O_NONBLOCK, so that a FIFO never blocks the open) and closes fd,
 * whatever happens; name names it in messages. */
char *fs_read_fd(int fd, const char *name, size_t max, size_t *len,
    struct errbuf *e);

/* Writes len bytes to path atomically: a temporary file in the same
 * directory, fsync'd, then renamed over path. */
int fs_write_file_atomic(const char *path, const void *buf, size_t len,
    mode_t mode, struct errbuf *e);

/* true if path exists and is a directory (following symlinks). */
bool fs_is_dir(const char *path);

/* true if path exists (not following a final symlink). */
bool fs_exists(const char *path);

/* Copies the tree at src to dst (which must not exist), keeping modes,
 * symlinks and mtimes, like cp -a.  With hardlink, regular files are
 * hard-linked instead of copied (like cp -al): only safe when nobody edits
 * the files in place afterwards.  On failure the partial dst is removed. */
int fs_copy_tree(const char *src, const char *dst, bool hardlink,
    struct errbuf *e);

/* fs_copy_tree for an app's files on their way into a slug: FIFOs,
 * sockets and devices, which a slug cannot hold (slugpolicy.h), are left
 * out and each named through warn ("'run/fifo' left out of the slug: FIFO
 * refused"), as pack names what it leaves out.  With a NULL warn they are
 * refused, as by fs_copy_tree. */
int fs_copy_app(const char *src, const char *dst, bool hardlink,
    err_warn_fn *warn, void *arg, struct errbuf *e);

/* Refuses (-1, e naming it) when a component of rel below root exists and
 * is a symlink, so that writing to root/rel cannot land outside root.  The
 * app's tree is untrusted: an app shipping `vendor -> /` must not get
 * /mono replaced.  Components that do not exist yet are fine. */
int fs_check_beneath(const char *root, const char *rel, struct errbuf *e);

/* Creates a fresh directory "<parent>/<prefix>XXXXXX" (mkdtemp) and returns
 * its malloc'd path, or NULL. */
char *fs_mkdtemp(const char *parent, const char *prefix, struct errbuf *e);

#endif
