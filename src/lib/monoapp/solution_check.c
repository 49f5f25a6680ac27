/* solution_check.c - checking a solution before xbuild is given it (see
 * solution.h: apart from solution.c so that detect does not link
 * beneath.c). */
#include "monoapp/solution.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "beneath.h"

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls > lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int
solution_check_name(const char *dir, const char *name, struct errbuf *e)
{
	struct stat st;
	const char *p;

	if (name[0] == '\0' || name[0] == '/')
		return errf(e,
		    "SOLUTION '%s' must be a path relative to the app's root",
		    name);
	for (p = name; p != NULL; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return errf(e,
			    "SOLUTION '%s' must not leave the app's root",
			    name);
	}
	if (!has_suffix(name, ".sln") && !has_suffix(name, ".csproj") &&
	    !has_suffix(name, ".fsproj") && !has_suffix(name, ".vbproj"))
		return errf(e,
		    "SOLUTION '%s' is not a .sln, .csproj, .fsproj "
		    "or .vbproj file",
		    name);
	/* The text stays inside; its symlinks must too. */
	if (beneath_stat(dir, name, &st, NULL) == -1) {
		if (errno == EXDEV)
			return errf(e,
			    "SOLUTION '%s' leads through a symlink "
			    "out of the app's directory, refused",
			    name);
		if (errno == ENOENT || errno == ENOTDIR)
			return errf(e,
			    "SOLUTION '%s' not found in the app:", name);
		return errf(e, "SOLUTION '%s':", name);
	}
	if (!S_ISREG(st.st_mode))
		return errf(e, "SOLUTION '%s' is not a regular file", name);
	return 0;
}

int
solution_check_file(const char *dir, const char *name, struct errbuf *e)
{
	struct stat st;

	if (beneath_stat(dir, name, &st, e) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return errf(e, "%s: not a regular file", name);
	}
	return 0;
}
