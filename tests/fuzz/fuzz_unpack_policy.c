/* fuzz_unpack_policy.c - unpack_check_entry on arbitrary entries.
 *
 * The input is one flag byte and then NUL-separated fields: the path, the
 * symlink target, the hard link target.  Flag bits 0-2 pick the type
 * (regular, directory, symlink, char device, block device, FIFO, socket,
 * none), bit 3 passes the symlink field (else NULL), bit 4 the hard link
 * field (else NULL), bit 5 adds permission bits to the type.
 *
 * Invariants, checked against the independent model in pathcheck.h:
 * - whenever the entry is accepted the path is relative and has no '..'
 *   component, a hard link's target is a name inside the root, and a
 *   symlink's target resolved lexically from the link's directory stays
 *   inside the root; devices, FIFOs and sockets are never accepted;
 * - what the contract in unpack.h promises is accepted: directories,
 *   regular files below the root, hard links to names inside it, and
 *   symlinks whose '..' components all come first and do not climb above
 *   the root;
 * - a refusal is one line "archive entry '...': why" with every control
 *   character escaped. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "pathcheck.h"
#include "unpack.h"

#define POL "fuzz_unpack_policy"

/* The contract's promise for symlinks: below the root, relative, every
 * '..' before the first name, at most as many as the link's directory is
 * deep. */
static bool
pol_symlink_promised(const char *path, const char *target)
{
	const char *p, *c;
	size_t n;
	long ups = 0;
	bool named = false;

	if (pc_depth(path) <= 0 || target == NULL || target[0] == '\0' ||
	    target[0] == '/')
		return false;
	for (p = target; (p = pc_next(p, &c, &n)) != NULL;) {
		if (!pc_dotdot(c, n))
			named = true;
		else if (named)
			return false;
		else
			ups++;
	}
	return ups <= pc_depth(path) - 1;
}

/* Entries unpack.h says are accepted: pathcheck.h's shape, with the
 * promise for symlinks. */
static bool
pol_promised(const char *path, mode_t type, const char *symlink,
    const char *hardlink)
{
	return pc_entry_by(path, type, symlink, hardlink,
	    pol_symlink_promised);
}

static const char *
pol_type_name(mode_t type)
{
	switch (type & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "symlink";
	case S_IFCHR:
		return "chardev";
	case S_IFBLK:
		return "blockdev";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	default:
		return "other";
	}
}

int
fuzz_unpack_policy_one(const uint8_t *data, size_t size)
{
	static const mode_t types[8] = { S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR,
	    S_IFBLK, S_IFIFO, S_IFSOCK, 0 };
	char *buf, *fields[3] = { NULL, NULL, NULL };
	const char *symlink, *hardlink;
	struct errbuf e;
	size_t i, nf;
	mode_t type;
	bool accepted, safe, promised;
	int rc = -1;
	const unsigned char *m;

	if (size == 0)
		return 0;
	/* The fields, NUL-terminated; missing ones are empty. */
	if ((buf = malloc(size + 3)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	memset(buf + size - 1, 0, 4);
	fields[0] = buf;
	for (i = 0, nf = 1; i < size - 1 && nf < 3; i++)
		if (buf[i] == '\0')
			fields[nf++] = buf + i + 1;
	for (; nf < 3; nf++)
		fields[nf] = buf + size + 1;	/* "" */

	type = types[data[0] & 7];
	if (data[0] & 0x20)
		type |= 0755;
	symlink = data[0] & 0x08 ? fields[1] : NULL;
	hardlink = data[0] & 0x10 ? fields[2] : NULL;

	e.msg[0] = '\0';
	accepted = unpack_check_entry(fields[0], type, symlink, hardlink,
	    &e) == 0;
	safe = pc_entry_safe(fields[0], type, symlink, hardlink);
	promised = pol_promised(fields[0], type, symlink, hardlink);

	if (accepted && !safe) {
		fuzz_fail(POL, "accepted an unsafe %s '%s' (symlink '%s', "
		    "hardlink '%s')", pol_type_name(type), fields[0],
		    symlink ? symlink : "(null)",
		    hardlink ? hardlink : "(null)");
		goto out;
	}
	if (!accepted && promised) {
		fuzz_fail(POL, "refused a %s '%s' (symlink '%s', hardlink "
		    "'%s') unpack.h promises to accept: %s",
		    pol_type_name(type), fields[0],
		    symlink ? symlink : "(null)",
		    hardlink ? hardlink : "(null)", e.msg);
		goto out;
	}
	if (!accepted) {
		if (strncmp(e.msg, "archive entry '", 15) != 0) {
			fuzz_fail(POL, "refusal does not name the entry: %s",
			    e.msg);
			goto out;
		}
		for (m = (const unsigned char *)e.msg; *m != '\0' &&
		    !fuzz_lax_messages(); m++)
			if (*m < 0x20 || *m == 0x7f) {
				fuzz_fail(POL, "control character 0x%02x in "
				    "the refusal", *m);
				goto out;
			}
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

#ifndef FUZZ_NO_MAIN
FUZZ_MAIN(fuzz_unpack_policy_one)
#endif
