/* slugpolicy.h - which tar entries a slug may hold.
 *
 * One rule with two users: unpack (unpack_check_entry) fails an archive
 * holding an entry the rule refuses, and pack leaves such an entry out of
 * the slug, naming it, so that slugc never writes a slug that `slugc run`
 * would refuse.  Pure: no file-system access. */
#ifndef SLUGC_SLUGPOLICY_H
#define SLUGC_SLUGPOLICY_H

#include <sys/types.h>

#include "err.h"

/* Judges one archive entry.  path is the entry's name as stored, type its
 * S_IFMT bits (S_IFREG, S_IFDIR, S_IFLNK, ...), symlink the link target for
 * a symlink (else NULL), hardlink the target for a hard link (else NULL).
 * Accepts directories, regular files, symlinks whose target stays inside
 * the root and hard links to other entries; refuses empty and absolute
 * paths, '..' components, devices, FIFOs, sockets, and non-directories that
 * would replace the root itself.
 *
 * Symlinks are resolved lexically from the link's directory: the target
 * must be relative, its '..' components must all come first (after a name,
 * '..' could climb out of a directory reached through another symlink) and
 * must not climb above the root.  Hard links are checked by name only.
 *
 * Returns 0, or -1 with why holding the reason, one line without the
 * entry's name ("FIFO refused", "symlink to absolute path '/x' refused");
 * names quoted in it are escaped with err_printable. */
int slugpolicy_check(const char *path, mode_t type, const char *symlink,
    const char *hardlink, struct errbuf *why);

#endif
