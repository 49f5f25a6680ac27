/* beneath.c - opening an app's files without leaving the app. */
#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fsutil.h"

/* As the kernel's path walk (MAXSYMLINKS). */
#define WALK_MAXLINKS 40

/* Whether rel leads out of the root by its text alone (absolute, or more
 * ".." than names before them), so the message can tell a bad path from
 * a bad symlink. */
static bool
escapes_lexically(const char *rel)
{
	long depth = 0;
	const char *p = rel, *end;
	size_t n;

	if (rel[0] == '/')
		return true;
	while (*p != '\0') {
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p = *end == '/' ? end + 1 : end;
	}
	return false;
}

/* Closes the directories of the walk's stack from the top down. */
static void
close_stack(int *stack, size_t depth)
{
	for (size_t i = depth + 1; i-- > 0;)
		close(stack[i]);
	free(stack);
}

int
beneath_open_walk(int rootfd, const char *rel, int flags)
{
	char name[NAME_MAX + 1], target[PATH_MAX], *rest, *pos, *end, *next;
	int *stack, *ns, fd = -1, saved;
	size_t depth = 0, cap = 16, n, links = 0;
	ssize_t tn;
	bool last;

	if (rel[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (rel[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	if ((rest = strdup(rel)) == NULL)
		return -1;
	if ((stack = malloc(cap * sizeof *stack)) == NULL) {
		free(rest);
		return -1;
	}
	/* Our own handle on the root, so the stack can close everything. */
	stack[0] = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (stack[0] == -1) {
		saved = errno;
		free(stack);
		free(rest);
		errno = saved;
		return -1;
	}
	pos = rest;
	for (;;) {
		while (*pos == '/')
			pos++;
		if (*pos == '\0') {
			/* The path ended in "." or "..": open where we are. */
			fd = openat(stack[depth], ".", flags | O_CLOEXEC);
			break;
		}
		end = strchrnul(pos, '/');
		n = (size_t)(end - pos);
		for (next = end; *next == '/'; next++)
			;
		last = *next == '\0';
		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			break;
		}
		memcpy(name, pos, n);
		name[n] = '\0';
		if (strcmp(name, ".") == 0) {
			pos = next;
			continue;
		}
		if (strcmp(name, "..") == 0) {
			if (depth == 0) {
				errno = EXDEV;
				break;
			}
			close(stack[depth--]);
			pos = next;
			continue;
		}
		tn = readlinkat(stack[depth], name, target, sizeof target);
		if (tn >= 0) {
			/* A symlink: go on with its target, then the rest. */
			if (last && (flags & O_NOFOLLOW)) {
				errno = ELOOP;
				break;
			}
			if (++links > WALK_MAXLINKS) {
				errno = ELOOP;
				break;
			}
			if ((size_t)tn == sizeof target) {
				errno = ENAMETOOLONG;
				break;
			}
			if (tn == 0) {
				errno = ENOENT;
				break;
			}
			if (target[0] == '/') {
				errno = EXDEV;
				break;
			}
			char *nr;
			if (asprintf(&nr, "%.*s/%s", (int)tn, target, next) < 0)
				break;
			free(rest);
			rest = pos = nr;
			continue;
		}
		if (errno != EINVAL)
			break; /* ENOENT, EACCES, ENOTDIR... */
		/* Not a symlink.  O_NOFOLLOW: if one is swapped in meanwhile,
		 * the open fails instead of following it. */
		if (last) {
			fd = openat(stack[depth], name,
			    flags | O_NOFOLLOW | O_CLOEXEC);
			break;
		}
		if (depth + 1 == cap) {
			if ((ns = reallocarray(stack, cap * 2, sizeof *ns)) ==
			    NULL)
				break;
			stack = ns;
			cap *= 2;
		}
		stack[depth + 1] = openat(stack[depth], name,
		    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (stack[depth + 1] == -1)
			break;
		depth++;
		pos = next;
	}
	saved = errno;
	close_stack(stack, depth);
	free(rest);
	errno = saved;
	return fd;
}

/* openat2 with RESOLVE_BENEATH, or the walk where the kernel lacks it
 * (ENOSYS) or a seccomp filter refuses it (EPERM: Docker's older default
 * profile).  RESOLVE_NO_MAGICLINKS: /proc/PID/fd/N and friends are no
 * way out either. */
static int
open_beneath_fd(int rootfd, const char *rel, int flags)
{
	struct open_how how = {
	    .flags = (unsigned long long)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd, tries = 0;

	do {
		fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
		/* EAGAIN: a rename raced with a ".." lookup; try again. */
	} while (fd == -1 && errno == EAGAIN && ++tries < 16);
	if (fd == -1 && (errno == ENOSYS || errno == EPERM))
		fd = beneath_open_walk(rootfd, rel, flags);
	return fd;
}

int
beneath_open(const char *root, const char *rel, int flags, struct errbuf *e)
{
	int rootfd, fd, saved;

	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errf(e, "%s:", root);
	fd = open_beneath_fd(rootfd, rel, flags);
	saved = errno;
	close(rootfd);
	errno = saved;
	if (fd != -1)
		return fd;
	if (errno == EXDEV)
		errf(e, "%s: a %s out of the app's directory, refused", rel,
		    escapes_lexically(rel) ? "path" : "symlink");
	else
		errf(e, "%s:", rel);
	errno = saved;
	return -1;
}

char *
beneath_read_file(const char *root, const char *rel, size_t max, size_t *len,
    struct errbuf *e)
{
	int fd;

	/* O_NONBLOCK: opening a FIFO would wait for a writer forever. */
	if ((fd = beneath_open(root, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY,
		 e)) == -1)
		return NULL;
	return fs_read_fd(fd, rel, max, len, e);
}

int
beneath_stat(const char *root, const char *rel, struct stat *st,
    struct errbuf *e)
{
	int fd, rc = 0, saved;

	if ((fd = beneath_open(root, rel, O_PATH, e)) == -1)
		return -1;
	if (fstat(fd, st) == -1)
		rc = errf(e, "%s:", rel);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
