/* slugstore.c - the slug store: an app's state directory, its locks, and
 * what interrupted builds leave there. */
#include "slugstore.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "spawn.h"

void
slugstore_app_label(const char *s, char *name, size_t nsize)
{
	size_t i, j;

	/* Lowercase letters, digits and '-', as a DNS label and a Heroku
	 * app name are. */
	for (i = 0, j = 0; s[i] != '\0' && j < nsize - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c))
			name[j++] = (char)tolower(c);
		else if (j > 0 && name[j - 1] != '-')
			name[j++] = '-';
	}
	while (j > 0 && name[j - 1] == '-')
		j--;
	name[j] = '\0';
	if (j == 0)
		snprintf(name, nsize, "app");
}

int
slugstore_app_key(const char *app, char *key, size_t size, struct errbuf *e)
{
	char hex[DIGEST_HEX_SIZE], base[64];
	struct digest *d;
	const char *slash = strrchr(app, '/');
	const char *s = slash != NULL && slash[1] != '\0' ? slash + 1 : "app";
	size_t i, j = 0;

	if ((d = digest_new(e)) == NULL)
		return -1;
	if (digest_update(d, app, strlen(app), e) == -1 ||
	    digest_final_hex(d, hex, e) == -1) {
		digest_free(d);
		return -1;
	}
	digest_free(d);
	for (i = 0; s[i] != '\0' && j < sizeof base - 1; i++)
		base[j++] = isalnum((unsigned char)s[i]) || s[i] == '.' ||
			s[i] == '_' || s[i] == '-'
		    ? s[i]
		    : '_';
	base[j] = '\0';
	if ((size_t)snprintf(key, size, "%s-%.8s", base, hex) >= size)
		return errf(e, "%s: app key too long", app);
	return 0;
}

int
slugstore_open(struct slugstore *s, const char *app, const char *cache_dir,
    struct errbuf *e)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char key[128], *root = NULL;
	int rc;

	if (slugstore_app_key(app, key, sizeof key, e) == -1)
		return -1;
	if (cache_dir != NULL)
		rc = asprintf(&root, "%s/apps/%s", cache_dir, key);
	else if (xdg != NULL && *xdg == '/')
		rc = asprintf(&root, "%s/slugc/%s", xdg, key);
	else if (home != NULL && *home == '/')
		rc = asprintf(&root, "%s/.cache/slugc/%s", home, key);
	else
		return errf(e, "neither XDG_CACHE_HOME nor HOME is set");
	if (rc == -1)
		return errf(e, "state directory:");
	s->dir = root;
	return fs_mkdir_p(root, 0700, e);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL); /* cut short by a signal: fine, we poll */
}

/* Takes fd's lock, polling so that a Ctrl-C ends the wait; each round
 * calls on_wait (may be NULL) with the rounds so far.  Returns 0, or -1
 * with e filled (e->msg empty when interrupted). */
static int
lock_poll(int fd, const char *path, void (*on_wait)(void *, unsigned),
    void *arg, struct errbuf *e)
{
	unsigned round;

	for (round = 0;; round++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return errf(e, "lock %s:", path);
		if (spawn_interrupted()) {
			e->msg[0] = '\0';
			return -1;
		}
		if (on_wait != NULL)
			on_wait(arg, round);
		sleep_ms(SLUGSTORE_POLL_MS);
	}
}

/* Whether the process whose descriptors are listed in dir has the file at
 * path (plen bytes) open. */
static bool
holds_file(const char *dir, const char *path, size_t plen)
{
	char fdpath[64 + 256], target[PATH_MAX];
	struct dirent *f;
	DIR *fds;
	ssize_t len;
	bool holds = false;

	if ((fds = opendir(dir)) == NULL)
		return false; /* gone, or not ours to see */
	while (!holds && (f = readdir(fds)) != NULL) {
		if (f->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof fdpath, "%s/%s", dir, f->d_name);
		len = readlink(fdpath, target, sizeof target);
		holds = len == (ssize_t)plen && memcmp(target, path, plen) == 0;
	}
	closedir(fds);
	return holds;
}

/* Sends sig to every process but us that has the file at path open, and to
 * its process group unless that is ours.  Found by their descriptors in
 * /proc (readlink, which never touches the file system the target is on),
 * so a pid is never taken from a file that could name a process that has
 * since been replaced by another with the same number.  Returns how many
 * were found. */
static size_t
signal_holders(const char *path, int sig)
{
	char dir[64];
	struct dirent *d;
	DIR *proc;
	pid_t self = getpid(), pg;
	size_t n = 0, plen = strlen(path);
	long pid;
	char *end;

	if ((proc = opendir("/proc")) == NULL)
		return 0;
	while ((d = readdir(proc)) != NULL) {
		pid = strtol(d->d_name, &end, 10);
		if (pid <= 1 || *end != '\0' || pid == (long)self)
			continue;
		snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
		if (!holds_file(dir, path, plen))
			continue;
		n++;
		if ((pg = getpgid((pid_t)pid)) > 1 && pg != getpgrp())
			killpg(pg, sig);
		kill((pid_t)pid, sig);
	}
	closedir(proc);
	return n;
}

struct waiting {
	slugstore_event_fn *on;
	void *arg;
	const char *path; /* build.lock, as /proc shows it */
	unsigned kill_round;
};

/* lock_poll's on_wait for "lock": says once that we wait. */
static void
on_wait_build(void *arg, unsigned round)
{
	struct waiting *w = arg;

	if (round == 0 && w->on != NULL)
		w->on(w->arg, SLUGSTORE_WAITING);
}

/* lock_poll's on_wait for build.lock: TERM to what holds it at once, KILL
 * from the end of the grace period on (what ignores TERM, or forks). */
static void
on_wait_leftovers(void *arg, unsigned round)
{
	struct waiting *w = arg;

	if (round == 0)
		signal_holders(w->path, SIGTERM);
	else if (round >= w->kill_round)
		signal_holders(w->path, SIGKILL);
}

static int
open_lock(const char *dir, const char *name, char **path, struct errbuf *e)
{
	int fd;

	if ((*path = fs_join(dir, name)) == NULL)
		return errf(e, "lock:");
	fd = open(*path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return errf(e, "%s:", *path);
	return fd;
}

/* Takes build.lock (open at tfd), stopping what holds it. */
static int
take_tree_lock(int tfd, const char *tpath, struct waiting *w, struct errbuf *e)
{
	char *real;
	int rc;

	if (flock(tfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return errf(e, "lock %s:", tpath);
	if ((real = realpath(tpath, NULL)) == NULL)
		return errf(e, "%s:", tpath);
	if (w->on != NULL)
		w->on(w->arg, SLUGSTORE_STOPPING);
	w->path = real;
	rc = lock_poll(tfd, tpath, on_wait_leftovers, w, e);
	free(real);
	return rc;
}

/* One build per app at a time, and nothing of an earlier build still
 * running while this one does: the build directory and the cache are
 * shared by its builds.
 *
 * Two locks in the state directory.  "lock" is slugc's alone (close-on-
 * exec): it orders the builds of the app, and is released when the slugc
 * holding it ends, however it ends.  "build.lock" is held by slugc and by
 * every buildpack process (spawn's keep_fd), whose children inherit it: it
 * stays held until the last process of a build that kept its descriptors
 * is gone.  A buildpack gets SIGTERM when slugc dies, even by SIGKILL
 * (spawn's PR_SET_PDEATHSIG), but its own children (xbuild, a `sleep &`)
 * do not, and could go on writing the build directory the next build
 * starts from.  So once a build holds "lock", no other slugc builds the
 * app, and a busy "build.lock" can only be held by what an earlier build
 * left: those processes and their groups get SIGTERM, then SIGKILL after
 * the grace period, and the build waits until the lock is free.  (A
 * process that closed its inherited descriptors and left its group, a
 * daemon, is not found; it no longer holds the build up either.) */
int
slugstore_lock(struct slugstore *s, slugstore_event_fn *on, void *arg,
    struct errbuf *e)
{
	struct waiting w = {on, arg, NULL, SPAWN_GRACE_MS / SLUGSTORE_POLL_MS};
	char *path = NULL, *tpath = NULL;
	int fd, tfd = -1, rc = -1;

	if ((fd = open_lock(s->dir, "lock", &path, e)) == -1 ||
	    lock_poll(fd, path, on_wait_build, &w, e) == -1 ||
	    (tfd = open_lock(s->dir, "build.lock", &tpath, e)) == -1 ||
	    take_tree_lock(tfd, tpath, &w, e) == -1)
		goto out;
	s->lock_fd = fd;
	s->tree_fd = tfd;
	fd = tfd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tfd >= 0)
		close(tfd);
	free(path);
	free(tpath);
	return rc;
}

/* Moves path into a fresh "trash.*" directory of the state directory,
 * under the name as. */
static int
to_trash(struct slugstore *s, const char *path, const char *as,
    struct errbuf *e)
{
	char *trash, *dst = NULL;
	int rc = -1;

	if ((trash = fs_mkdtemp(s->dir, "trash.", e)) == NULL)
		return -1;
	if ((dst = fs_join(trash, as)) == NULL)
		errf(e, "%s:", trash);
	else if (rename(path, dst) == -1)
		errf(e, "rename %s:", path);
	else
		rc = 0;
	free(trash);
	free(dst);
	return rc;
}

int
slugstore_sweep_tmp(struct slugstore *s, struct errbuf *e)
{
	struct dirent *d;
	char *p, *env;
	DIR *dp;
	int rc = 0;

	if ((dp = opendir(s->dir)) == NULL)
		return errf(e, "%s:", s->dir);
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, "tmp.", 4) != 0)
			continue;
		p = fs_join(s->dir, d->d_name);
		env = p != NULL ? fs_join(p, "env") : NULL;
		if (env == NULL)
			rc = errf(e, "%s:", s->dir);
		else if (fs_rm_rf(env, e) == -1 ||
		    to_trash(s, p, "tmp", e) == -1)
			rc = -1;
		free(p);
		free(env);
	}
	closedir(dp);
	return rc;
}

static void *
trash_main(void *arg)
{
	char *state = arg, *p;
	struct errbuf ignored;
	struct dirent *d;
	DIR *dp;

	if ((dp = opendir(state)) != NULL) {
		while ((d = readdir(dp)) != NULL) {
			if (strncmp(d->d_name, "trash.", 6) != 0)
				continue;
			if ((p = fs_join(state, d->d_name)) != NULL)
				fs_rm_rf(p, &ignored);
			free(p);
		}
		closedir(dp);
	}
	free(state);
	return NULL;
}

int
slugstore_sweep_dir(struct slugstore *s, const char *dir, struct errbuf *e)
{
	char *arg;

	if (s->trash_started)
		return errf(e, "%s: already being swept", s->dir);
	if (fs_exists(dir) && to_trash(s, dir, "build", e) == -1)
		return -1;
	if ((arg = strdup(s->dir)) == NULL)
		return errf(e, "%s:", s->dir);
	if ((errno = pthread_create(&s->trash_th, NULL, trash_main, arg)) !=
	    0) {
		free(arg);
		return errf(e, "thread:");
	}
	s->trash_started = true;
	return 0;
}

void
slugstore_close(struct slugstore *s)
{
	if (s->trash_started)
		pthread_join(s->trash_th, NULL);
	if (s->tree_fd >= 0)
		close(s->tree_fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	memset(s, 0, sizeof *s);
	s->lock_fd = s->tree_fd = -1;
}
