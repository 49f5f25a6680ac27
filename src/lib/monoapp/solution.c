#include "monoapp/solution.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls > lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

/* Whether the entry is a regular file, following a symlink.  d_type spares
 * a stat per entry on file systems that fill it in. */
static bool
is_file(int dirfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_REG)
		return true;
	if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
		return false;
	return fstatat(dirfd, de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/* Calls visit for each "*.sln" file at dir's root until it returns 1. */
static int
each_solution(const char *dir, int (*visit)(void *, const char *), void *arg,
    struct errbuf *e)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL)
		return errf(e, "%s:", dir);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!has_suffix(de->d_name, ".sln") || !is_file(dirfd(d), de))
			continue;
		if ((rc = visit(arg, de->d_name)) != 0)
			break;
	}
	if (rc == 0 && errno != 0)
		rc = errf(e, "read directory %s:", dir);
	if (rc == -1 && e != NULL && e->msg[0] == '\0')
		errf(e, "%s: out of memory", dir);
	closedir(d);
	return rc == -1 ? -1 : 0;
}

static int
found_one(void *arg, const char *name)
{
	(void)name;
	*(bool *)arg = true;
	return 1;
}

int
solution_any(const char *dir, bool *found, struct errbuf *e)
{
	*found = false;
	return each_solution(dir, found_one, found, e);
}

static int
push_name(void *arg, const char *name)
{
	return strlist_push(arg, name) == -1 ? -1 : 0;
}

int
solution_list(const char *dir, struct strlist *out, struct errbuf *e)
{
	if (e != NULL)
		e->msg[0] = '\0';
	if (each_solution(dir, push_name, out, e) == -1) {
		strlist_free(out);
		return -1;
	}
	strlist_sort(out);
	return 0;
}

static int
find_exes(int root, const char *rel, time_t since, struct strlist *out,
    struct errbuf *e)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	fd = openat(root, rel[0] ? rel : ".",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return errf(e, "open %s:", rel[0] ? rel : ".");
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return errf(e, "open %s:", rel);
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		char *path;

		if (n[0] == '.' || strcmp(n, "obj") == 0 ||
		    (rel[0] == '\0' && strcmp(n, "vendor") == 0))
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (asprintf(&path, "%s%s%s", rel, rel[0] ? "/" : "", n) < 0) {
			rc = errf(e, "find executables:");
			break;
		}
		if (S_ISDIR(st.st_mode))
			rc = find_exes(root, path, since, out, e);
		else if (S_ISREG(st.st_mode) && has_suffix(n, ".exe") &&
		    st.st_mtime >= since && strlist_push(out, path) == -1)
			rc = errf(e, "find executables:");
		free(path);
	}
	closedir(d);
	return rc;
}

int
solution_find_executables(const char *dir, time_t since, struct strlist *out,
    struct errbuf *e)
{
	int root, rc;

	if ((root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errf(e, "%s:", dir);
	rc = find_exes(root, "", since, out, e);
	close(root);
	if (rc == -1)
		strlist_free(out);
	else
		strlist_sort(out);
	return rc;
}
