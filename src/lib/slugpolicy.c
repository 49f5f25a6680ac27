#include "slugpolicy.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

/* Link targets in reasons: escaped (one line, cannot drive a terminal) and
 * cut, as unpack.c shows entry names. */
#define TARGET_MAX_SHOWN 300

static void
show(char *out, size_t size, const char *name)
{
	err_printable(out, size, name, strlen(name));
}

/* Number of name components in a relative path ('.' and empty ones
 * skipped), or -1 if it has a '..' component. */
static int
path_depth(const char *p)
{
	int depth = 0;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (n > 0 && !(n == 1 && p[0] == '.'))
			depth = depth < INT_MAX ? depth + 1 : depth;
		p += n;
		if (*p == '/')
			p++;
	}
	return depth;
}

/* A symlink in directory depth dirdepth (0 = the root) pointing at
 * target. */
static int
check_symlink(int dirdepth, const char *target, struct errbuf *why)
{
	char shown[TARGET_MAX_SHOWN + 4];
	bool named = false;
	int ups = 0;
	const char *p;
	size_t n;

	if (target == NULL || *target == '\0')
		return errf(why, "symlink with an empty target");
	show(shown, sizeof shown, target);
	if (target[0] == '/')
		return errf(why, "symlink to absolute path '%s' refused",
		    shown);
	for (p = target; *p != '\0';) {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (named)
				return errf(why,
				    "symlink target '%s' has "
				    "'..' after a name",
				    shown);
			if (++ups > dirdepth)
				return errf(why,
				    "symlink target '%s' escapes "
				    "the root",
				    shown);
		} else if (n > 0 && !(n == 1 && p[0] == '.'))
			named = true;
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

static int
check_hardlink(int depth, const char *hardlink, struct errbuf *why)
{
	char shown[TARGET_MAX_SHOWN + 4];
	int hdepth;

	if (*hardlink == '\0')
		return errf(why, "hardlink with an empty target");
	show(shown, sizeof shown, hardlink);
	if (hardlink[0] == '/')
		return errf(why, "hardlink to absolute path '%s' refused",
		    shown);
	if ((hdepth = path_depth(hardlink)) < 0)
		return errf(why, "hardlink target '%s' escapes the root",
		    shown);
	if (hdepth == 0)
		return errf(why, "hardlink to the root");
	if (depth == 0)
		return errf(why, "would replace the root");
	return 0;
}

int
slugpolicy_check(const char *path, mode_t type, const char *symlink,
    const char *hardlink, struct errbuf *why)
{
	int depth;

	if (path == NULL || *path == '\0')
		return errf(why, "empty path");
	if (path[0] == '/')
		return errf(why, "absolute path refused");
	if ((depth = path_depth(path)) < 0)
		return errf(why, "path escapes the root");
	if (hardlink != NULL)
		return check_hardlink(depth, hardlink, why);
	switch (type & S_IFMT) {
	case S_IFDIR:
		return 0;
	case S_IFREG:
		if (depth == 0)
			return errf(why, "would replace the root");
		return 0;
	case S_IFLNK:
		if (depth == 0)
			return errf(why, "would replace the root");
		return check_symlink(depth - 1, symlink, why);
	case S_IFCHR:
	case S_IFBLK:
		return errf(why, "device node refused");
	case S_IFIFO:
		return errf(why, "FIFO refused");
	case S_IFSOCK:
		return errf(why, "socket refused");
	default:
		return errf(why, "unsupported entry type 0%o",
		    (unsigned)(type & S_IFMT));
	}
}
