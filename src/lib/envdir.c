/* envdir.c - read and write Heroku ENV_DIRs. */
#include "envdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* What Heroku's export_env_dir refuses to import (its default
 * blacklist in heroku-buildpack-nodejs, lib/environment.sh): the one list
 * every buildpack here uses, through envdir_read and envdir_name_denied. */
static const char *const denied[] = {
    "PATH",
    "GIT_DIR",
    "CPATH",
    "CPPATH",
    "LD_PRELOAD",
    "LIBRARY_PATH",
    "LANG",
    "BUILD_DIR",
};

bool
envdir_name_ok(const char *name)
{
	const char *s;

	if (name == NULL ||
	    !((*name >= 'A' && *name <= 'Z') ||
		(*name >= 'a' && *name <= 'z') || *name == '_'))
		return false;
	for (s = name + 1; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			(*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

bool
envdir_name_denied(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof denied / sizeof denied[0]; i++)
		if (strcmp(name, denied[i]) == 0)
			return true;
	return false;
}

struct envdir *
envdir_new(void)
{
	return calloc(1, sizeof(struct envdir));
}

static void
wipe_free(char *s, size_t len)
{
	if (s == NULL)
		return;
	explicit_bzero(s, len);
	free(s);
}

void
envdir_free(struct envdir *env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < env->nvars; i++) {
		free(env->vars[i].name);
		wipe_free(env->vars[i].value, env->vars[i].len);
	}
	free(env->vars);
	free(env);
}

/* Index of name in env, or where it would go (*found false). */
static size_t
search(const struct envdir *env, const char *name, bool *found)
{
	size_t lo = 0, hi = env->nvars, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(env->vars[mid].name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *
envdir_get(const struct envdir *env, const char *name)
{
	bool found;
	size_t i;

	if (env == NULL || name == NULL)
		return NULL;
	i = search(env, name, &found);
	return found ? env->vars[i].value : NULL;
}

/* Takes ownership of value (len bytes, NUL-terminated) in all cases. */
static int
set_owned(struct envdir *env, const char *name, char *value, size_t len,
    struct errbuf *e)
{
	struct envdir_var *nv;
	bool found;
	size_t i, ncap;
	char *n;

	i = search(env, name, &found);
	if (found) {
		wipe_free(env->vars[i].value, env->vars[i].len);
		env->vars[i].value = value;
		env->vars[i].len = len;
		return 0;
	}
	if (env->nvars == env->cap) {
		ncap = env->cap ? env->cap * 2 : 16;
		if ((nv = reallocarray(env->vars, ncap, sizeof *nv)) == NULL)
			goto nomem;
		env->vars = nv;
		env->cap = ncap;
	}
	if ((n = strdup(name)) == NULL)
		goto nomem;
	memmove(&env->vars[i + 1], &env->vars[i],
	    (env->nvars - i) * sizeof *env->vars);
	env->vars[i] = (struct envdir_var){n, value, len};
	env->nvars++;
	return 0;
nomem:
	wipe_free(value, len);
	return errf(e, "config var %s: out of memory", name);
}

int
envdir_set(struct envdir *env, const char *name, const char *value,
    struct errbuf *e)
{
	char *v;

	if (!envdir_name_ok(name)) {
		char shown[104];

		err_printable_name(shown, sizeof shown, name ? name : "");
		return errf(e,
		    "'%s' is not a config var name (letters, "
		    "digits and '_', not starting with a digit)",
		    shown);
	}
	if (value == NULL)
		return errf(e, "config var %s: no value", name);
	if ((v = strdup(value)) == NULL)
		return errf(e, "config var %s: out of memory", name);
	return set_owned(env, name, v, strlen(v), e);
}

/* Reads at most ENVDIR_MAX_VALUE + 1 bytes of fd into *out (malloc'd,
 * NUL-terminated).  Returns 0, or -1 with errno set. */
static int
read_value(int fd, size_t hint, char **out, size_t *len)
{
	size_t cap, n = 0;
	char *buf, *nb;
	ssize_t r;

	cap = (hint < ENVDIR_MAX_VALUE ? hint : ENVDIR_MAX_VALUE) + 2;
	if ((buf = malloc(cap)) == NULL)
		return -1;
	for (;;) {
		if (n + 1 == cap) {
			if (cap > ENVDIR_MAX_VALUE + 1)
				break; /* ENVDIR_MAX_VALUE + 1 read: too big */
			if ((nb = malloc(cap * 2)) == NULL)
				goto fail;
			/* Not realloc: the old copy of a secret is wiped. */
			memcpy(nb, buf, n);
			wipe_free(buf, n);
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
fail:
	wipe_free(buf, n);
	return -1;
}

/* Imports one entry of the directory open as dfd.  Returns -1 only for
 * errors that must stop the build; skipped entries return 0. */
static int
read_entry(int dfd, const char *dir, const char *name, struct envdir *env,
    envdir_warn_fn *warn, void *arg, struct errbuf *e)
{
	/* The name as messages show it: escaped so that a hostile file
	 * name cannot drive the terminal, cut at about 100 bytes. */
	char pname[104];
	struct stat st;
	char *value = NULL;
	size_t len = 0;
	int fd = -1, rc = -1;

	err_printable_name(pname, sizeof pname, name);
	if (!envdir_name_ok(name)) {
		err_warnf(warn, arg, "%s/%s: not a config var name, skipped",
		    dir, pname);
		return 0;
	}
	if (envdir_name_denied(name)) {
		err_warnf(warn, arg,
		    "%s/%s: never imported into a build, "
		    "skipped",
		    dir, pname);
		return 0;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0; /* removed while we were reading */
		return errf(e, "%s/%s:", dir, pname);
	}
	if (S_ISLNK(st.st_mode)) {
		err_warnf(warn, arg, "%s/%s: a symlink, not followed, skipped",
		    dir, pname);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		err_warnf(warn, arg, "%s/%s: a directory, skipped", dir, pname);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		err_warnf(warn, arg, "%s/%s: not a regular file, skipped", dir,
		    pname);
		return 0;
	}
	if (st.st_size > ENVDIR_MAX_VALUE)
		goto toobig;
	/* O_NOFOLLOW and O_NONBLOCK: whatever was swapped in after the
	 * fstatat(), a symlink is not followed and a FIFO does not hang. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP) {
			err_warnf(warn, arg,
			    "%s/%s: a symlink, not followed, "
			    "skipped",
			    dir, pname);
			return 0;
		}
		return errf(e, "open %s/%s:", dir, pname);
	}
	if (fstat(fd, &st) == -1) {
		errf(e, "fstat %s/%s:", dir, pname);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_warnf(warn, arg, "%s/%s: not a regular file, skipped", dir,
		    pname);
		rc = 0;
		goto out;
	}
	if (read_value(fd, (size_t)st.st_size, &value, &len) == -1) {
		errf(e, "read %s/%s:", dir, pname);
		goto out;
	}
	if (len > ENVDIR_MAX_VALUE)
		goto toobig;
	if (memchr(value, '\0', len) != NULL) {
		err_warnf(warn, arg,
		    "%s/%s: holds a NUL byte, which no "
		    "environment variable can, skipped",
		    dir, pname);
		rc = 0;
		goto out;
	}
	/* What `$(cat FILE)` in a shell buildpack gives (see envdir.h). */
	while (len > 0 && value[len - 1] == '\n')
		value[--len] = '\0';
	rc = set_owned(env, name, value, len, e);
	value = NULL;
	goto out;
toobig:
	err_warnf(warn, arg, "%s/%s: larger than %d bytes, skipped", dir, pname,
	    ENVDIR_MAX_VALUE);
	rc = 0;
out:
	wipe_free(value, len);
	if (fd != -1)
		close(fd);
	return rc;
}

int
envdir_read(const char *dir, struct envdir **out, envdir_warn_fn *warn,
    void *arg, struct errbuf *e)
{
	struct envdir *env;
	struct dirent *de;
	DIR *d = NULL;
	int dfd, rc = -1;

	*out = NULL;
	if ((env = envdir_new()) == NULL)
		return errf(e, "ENV_DIR: out of memory");
	if (dir == NULL || *dir == '\0')
		goto done;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			goto done;
		errf(e, "ENV_DIR %s:", dir);
		goto out;
	}
	if ((d = fdopendir(dfd)) == NULL) {
		errf(e, "ENV_DIR %s:", dir);
		close(dfd);
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				errf(e, "ENV_DIR %s:", dir);
				goto out;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (read_entry(dfd, dir, de->d_name, env, warn, arg, e) == -1)
			goto out;
	}
done:
	*out = env;
	env = NULL;
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	envdir_free(env);
	return rc;
}

int
envdir_write(const char *dir, const struct envdir *env, struct errbuf *e)
{
	const struct envdir_var *v;
	struct stat st;
	size_t i;
	int dfd = -1, fd = -1, rc = -1;

	if (fs_mkdir_p(dir, 0700, e) == -1)
		return -1;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errf(e, "ENV_DIR %s:", dir);
	for (i = 0; env != NULL && i < env->nvars; i++) {
		v = &env->vars[i];
		if (!envdir_name_ok(v->name)) {
			char shown[104];

			err_printable_name(shown, sizeof shown, v->name);
			errf(e, "ENV_DIR %s: '%s' is not a config var name",
			    dir, shown);
			goto out;
		}
		fd = openat(dfd, v->name,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK |
			O_CLOEXEC,
		    0600);
		if (fd == -1) {
			errf(e, "create %s/%s:", dir, v->name);
			goto out;
		}
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			errf(e, "%s/%s: not a regular file", dir, v->name);
			goto out;
		}
		/* An existing file keeps its mode through O_CREAT. */
		if (fchmod(fd, 0600) == -1 ||
		    fs_write_all(fd, v->value, v->len) == -1) {
			errf(e, "write %s/%s:", dir, v->name);
			goto out;
		}
		if (close(fd) == -1) {
			fd = -1;
			errf(e, "write %s/%s:", dir, v->name);
			goto out;
		}
		fd = -1;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	close(dfd);
	return rc;
}
