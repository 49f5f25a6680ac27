/* pathcheck.h - an independent, lexical model of what an archive entry may
 * do, to cross-check unpack_check_entry() and unpack_cb().  Written from
 * the contract in unpack.h, not from unpack.c.
 *
 * Static inline so that fuzz_unpack_policy.c and fuzz_unpack.c can both
 * include it into test_fuzz_regressions.c without unused-function
 * warnings. */
#ifndef SLUGC_FUZZ_PATHCHECK_H
#define SLUGC_FUZZ_PATHCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

/* Iterates over the components of a path, skipping empty ones and '.':
 * sets *comp and *len to the next component after p and returns where the
 * search goes on, or returns NULL when there is none left. */
static inline const char *
pc_next(const char *p, const char **comp, size_t *len)
{
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			return NULL;
		*comp = p;
		while (*p != '\0' && *p != '/')
			p++;
		*len = (size_t)(p - *comp);
		if (!(*len == 1 && (*comp)[0] == '.'))
			return p;
	}
}

static inline bool
pc_dotdot(const char *comp, size_t len)
{
	return len == 2 && comp[0] == '.' && comp[1] == '.';
}

/* Number of name components of a relative path, or -1 if it holds a '..'
 * component. */
static inline long
pc_depth(const char *path)
{
	const char *p = path, *c;
	size_t n;
	long depth = 0;

	while ((p = pc_next(p, &c, &n)) != NULL) {
		if (pc_dotdot(c, n))
			return -1;
		depth++;
	}
	return depth;
}

/* A relative, '..'-free path with at least one name: something an entry
 * may create or a hard link may point at. */
static inline bool
pc_inside_name(const char *path)
{
	return path != NULL && path[0] != '/' && pc_depth(path) > 0;
}

/* Whether a symlink at linkpath (relative, '..'-free) pointing at target
 * stays inside the root when resolved lexically from the link's directory:
 * '..' pops a component, a name pushes one, and popping the root escapes. */
static inline bool
pc_symlink_inside(const char *linkpath, const char *target)
{
	const char *p, *c;
	size_t n;
	long depth = pc_depth(linkpath) - 1;	/* the link's directory */

	if (depth < 0 || target == NULL || target[0] == '/')
		return false;
	for (p = target; (p = pc_next(p, &c, &n)) != NULL;) {
		if (!pc_dotdot(c, n))
			depth++;
		else if (--depth < 0)
			return false;
	}
	return true;
}

/* How a model judges a symlink at path pointing at target. */
typedef bool pc_symlink_rule(const char *path, const char *target);

/* The shape of a model of entries: an entry whose own path is empty,
 * absolute or climbs with '..' is out; a hard link must point at a name
 * inside the root and not replace the root; a directory is in, a regular
 * file if it is below the root, a symlink as symlink_ok says; anything else
 * is out. */
static inline bool
pc_entry_by(const char *path, mode_t type, const char *symlink,
    const char *hardlink, pc_symlink_rule *symlink_ok)
{
	if (path == NULL || path[0] == '\0' || path[0] == '/' ||
	    pc_depth(path) < 0)
		return false;
	if (hardlink != NULL)
		return pc_inside_name(hardlink) && pc_depth(path) > 0;
	switch (type & S_IFMT) {
	case S_IFDIR:
		return true;
	case S_IFREG:
		return pc_depth(path) > 0;
	case S_IFLNK:
		return symlink_ok(path, symlink);
	default:
		return false;
	}
}

/* A symlink is safe when its target is not empty and stays inside the
 * root lexically. */
static inline bool
pc_symlink_safe(const char *path, const char *target)
{
	return target != NULL && target[0] != '\0' &&
	    pc_symlink_inside(path, target);
}

/* What must never be extracted, whatever unpack_check_entry says: an entry
 * whose own path is empty, absolute or climbs with '..'; a hard link whose
 * target is not a name inside the root; a symlink that escapes the root
 * lexically; anything but a directory, a regular file or a symlink. */
static inline bool
pc_entry_safe(const char *path, mode_t type, const char *symlink,
    const char *hardlink)
{
	return pc_entry_by(path, type, symlink, hardlink, pc_symlink_safe);
}

#endif
