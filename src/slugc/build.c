/* build.c - `slugc build`: what a platform does with a push, locally.
 *
 * Per app, a state directory under the cache home holds a lock, the
 * persistent buildpack caches, the build directory and the default slug.
 * The build directory's path is the same for every build of an app, so
 * tools that write absolute paths into their output (xbuild does) produce
 * the same bytes each time and two builds of one commit give one slug. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appcmd.h"
#include "beneath.h"
#include "digest.h"
#include "envv.h"
#include "fsutil.h"
#include "log.h"
#include "monotime.h"
#include "pack.h"
#include "slugc.h"
#include "spawn.h"

extern char **environ;

/* The buildpacks' PATH: a platform's, not the user's. */
#define BUILD_PATH                                                             \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"                   \
	"/sbin:/bin"

/* Passed through from our environment when set: locale, terminal and the
 * network settings a download needs.  Nothing else of the user's
 * environment reaches a buildpack (config vars go through ENV_DIR). */
static const char *const build_env_keep[] = {"TERM", "LANG", "LC_ALL",
    "LC_CTYPE", "TZ", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE",
    "SSL_CERT_DIR", "CURL_CA_BUNDLE", NULL};

/* Sources the earlier buildpacks' export files, in order, then runs the
 * compile: "bash -c SCRIPT bash N EXPORT... COMPILE BUILD CACHE ENV".  The
 * paths are positional parameters, never part of the script's text. */
static const char export_script[] =
    "__slugc_exports=(\"${@:2:$1}\"); shift $(($1 + 1))\n"
    "for __slugc_f in \"${__slugc_exports[@]}\"; do . \"$__slugc_f\"; done\n"
    "unset __slugc_f __slugc_exports\n"
    "exec \"$@\"\n";

struct bp {
	char *src;   /* as given or found */
	char *dir;   /* our copy, where it runs */
	char *cache; /* its CACHE_DIR */
	char *name;  /* what detect printed */
	bool used;
};

struct ctx {
	const struct opts *o;
	struct build *b;
	struct bp *bps;
	size_t nbps;
	bool explicit; /* -b given */
	char *app;     /* realpath of the app */
	char *env_dir, *home, *tmp;
	struct envv env; /* the buildpacks' environment */
};

char *
release_path_for(const char *slug)
{
	size_t n = strlen(slug);
	char *p;

	if (n > 4 && strcmp(slug + n - 4, ".tgz") == 0)
		n -= 4;
	else if (n > 7 && strcmp(slug + n - 7, ".tar.gz") == 0)
		n -= 7;
	if (asprintf(&p, "%.*s.release.yml", (int)n, slug) == -1)
		return NULL;
	return p;
}

void
build_free(struct build *b)
{
	struct errbuf ignored;

	if (b->trash_started)
		pthread_join(b->trash_th, NULL);
	if (b->tmp_dir != NULL)
		fs_rm_rf(b->tmp_dir, &ignored);
	if (b->build_dir != NULL && !b->keep_build_dir)
		fs_rm_rf(b->build_dir, &ignored);
	if (b->tree_fd >= 0)
		close(b->tree_fd);
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	free(b->state_dir);
	free(b->build_dir);
	free(b->tmp_dir);
	free(b->slug_path);
	free(b->release_path);
	manifest_free(b->release);
	memset(b, 0, sizeof *b);
	b->lock_fd = b->tree_fd = -1;
}

static void
log_warn_cb(void *arg, const char *msg)
{
	(void)arg;
	log_warn(stdout, "%s", msg);
}

/* "hello-1a2b3c4d": the app directory's name and a hash of its path. */
static int
app_key(const char *app, char *key, size_t size, char *name, size_t nsize,
    struct errbuf *e)
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
	snprintf(key, size, "%s-%.8s", base, hex);
	app_label(s, name, nsize);
	return 0;
}

void
app_label(const char *s, char *name, size_t nsize)
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

static int
state_dir(struct ctx *c, struct errbuf *e)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char key[128], *root = NULL;
	int rc = -1;

	if (app_key(c->app, key, sizeof key, c->b->app_name,
		sizeof c->b->app_name, e) == -1)
		return -1;
	if (c->o->app != NULL)
		snprintf(c->b->app_name, sizeof c->b->app_name, "%s",
		    c->o->app);
	/* With --cache DIR everything the app keeps goes there (CI points
	 * it at a directory it throws away), not into the cache home too. */
	if (c->o->cache_dir != NULL && !c->o->no_cache)
		rc = asprintf(&root, "%s/apps/%s", c->o->cache_dir, key);
	else if (xdg != NULL && *xdg == '/')
		rc = asprintf(&root, "%s/slugc/%s", xdg, key);
	else if (home != NULL && *home == '/')
		rc = asprintf(&root, "%s/.cache/slugc/%s", home, key);
	else
		return errf(e, "neither XDG_CACHE_HOME nor HOME is set");
	if (rc == -1)
		return errf(e, "state directory:");
	c->b->state_dir = root;
	return fs_mkdir_p(root, 0700, e);
}

/* How often a build waiting for the app's locks looks again (and sees a
 * Ctrl-C: flock(2) restarts after our SA_RESTART handlers, so a blocking
 * one would never return). */
#define LOCK_POLL_MS 50

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
		sleep_ms(LOCK_POLL_MS);
	}
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
	char dir[64], fdpath[64 + 256], target[PATH_MAX];
	struct dirent *d, *f;
	DIR *proc, *fds;
	pid_t self = getpid(), pg;
	size_t n = 0, plen = strlen(path);
	ssize_t len;
	long pid;
	char *end;
	bool holds;

	if ((proc = opendir("/proc")) == NULL)
		return 0;
	while ((d = readdir(proc)) != NULL) {
		pid = strtol(d->d_name, &end, 10);
		if (pid <= 1 || *end != '\0' || pid == (long)self)
			continue;
		snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
		if ((fds = opendir(dir)) == NULL)
			continue; /* gone, or not ours to see */
		holds = false;
		while (!holds && (f = readdir(fds)) != NULL) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(fdpath, sizeof fdpath, "%s/%s", dir,
			    f->d_name);
			len = readlink(fdpath, target, sizeof target);
			holds = len == (ssize_t)plen &&
			    memcmp(target, path, plen) == 0;
		}
		closedir(fds);
		if (!holds)
			continue;
		n++;
		if ((pg = getpgid((pid_t)pid)) > 1 && pg != getpgrp())
			killpg(pg, sig);
		kill((pid_t)pid, sig);
	}
	closedir(proc);
	return n;
}

struct leftovers {
	const char *path; /* build.lock, as /proc shows it */
	unsigned kill_round;
};

/* lock_poll's on_wait for build.lock: TERM to what holds it at once, KILL
 * from the end of the grace period on (what ignores TERM, or forks). */
static void
stop_leftovers(void *arg, unsigned round)
{
	struct leftovers *l = arg;

	if (round == 0)
		signal_holders(l->path, SIGTERM);
	else if (round >= l->kill_round)
		signal_holders(l->path, SIGKILL);
}

static void
say_waiting(void *arg, unsigned round)
{
	(void)arg;
	if (round == 0)
		log_topic(stdout,
		    "Waiting for another build of this app to "
		    "finish");
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
static int
lock_state(struct ctx *c, struct errbuf *e)
{
	struct build *b = c->b;
	struct leftovers l = {NULL, SPAWN_GRACE_MS / LOCK_POLL_MS};
	char *path = fs_join(b->state_dir, "lock");
	char *tpath = fs_join(b->state_dir, "build.lock"), *real = NULL;
	int fd = -1, tfd = -1, rc = -1;

	if (path == NULL || tpath == NULL) {
		errf(e, "lock:");
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		errf(e, "%s:", path);
		goto out;
	}
	if (lock_poll(fd, path, say_waiting, NULL, e) == -1)
		goto out;
	tfd = open(tpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (tfd == -1) {
		errf(e, "%s:", tpath);
		goto out;
	}
	if (flock(tfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			errf(e, "lock %s:", tpath);
			goto out;
		}
		if ((real = realpath(tpath, NULL)) == NULL) {
			errf(e, "%s:", tpath);
			goto out;
		}
		log_topic(stdout,
		    "Stopping what an earlier build of this app left "
		    "running");
		l.path = real;
		if (lock_poll(tfd, tpath, stop_leftovers, &l, e) == -1)
			goto out;
	}
	b->lock_fd = fd;
	b->tree_fd = tfd;
	fd = tfd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tfd >= 0)
		close(tfd);
	free(path);
	free(tpath);
	free(real);
	return rc;
}

/* What a build killed before its end left in the state directory: its
 * temporary directory, with the config vars in ENV_DIR.  The ENV_DIR goes
 * at once, the rest into the trash, which sweep_build_dir's thread
 * empties.  Called with the locks held, before making our own. */
static int
sweep_stale_tmp(struct build *b, struct errbuf *e)
{
	struct dirent *d;
	char *p = NULL, *env = NULL, *trash = NULL, *dst = NULL;
	DIR *dp;
	int rc = 0;

	if ((dp = opendir(b->state_dir)) == NULL)
		return errf(e, "%s:", b->state_dir);
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, "tmp.", 4) != 0)
			continue;
		rc = -1;
		if ((p = fs_join(b->state_dir, d->d_name)) == NULL ||
		    (env = fs_join(p, "env")) == NULL) {
			errf(e, "%s:", b->state_dir);
			break;
		}
		if (fs_rm_rf(env, e) == -1 ||
		    (trash = fs_mkdtemp(b->state_dir, "trash.", e)) == NULL)
			break;
		if ((dst = fs_join(trash, "tmp")) == NULL) {
			errf(e, "%s:", trash);
			break;
		}
		if (rename(p, dst) == -1) {
			errf(e, "rename %s:", p);
			break;
		}
		free(p);
		free(env);
		free(trash);
		free(dst);
		p = env = trash = dst = NULL;
		rc = 0;
	}
	closedir(dp);
	free(p);
	free(env);
	free(trash);
	free(dst);
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

/* Moves the last build directory aside (a rename) and removes it, with any
 * left by interrupted builds, in a thread while this build runs. */
static int
sweep_build_dir(struct build *b, struct errbuf *e)
{
	char *trash = NULL, *dst = NULL, *arg;
	int rc = -1;

	if (fs_exists(b->build_dir)) {
		if ((trash = fs_mkdtemp(b->state_dir, "trash.", e)) == NULL)
			return -1;
		if ((dst = fs_join(trash, "build")) == NULL) {
			errf(e, "%s:", trash);
			goto out;
		}
		if (rename(b->build_dir, dst) == -1) {
			errf(e, "rename %s:", b->build_dir);
			goto out;
		}
	}
	if ((arg = strdup(b->state_dir)) == NULL) {
		errf(e, "%s:", b->state_dir);
		goto out;
	}
	if ((errno = pthread_create(&b->trash_th, NULL, trash_main, arg)) !=
	    0) {
		free(arg);
		errf(e, "thread:");
		goto out;
	}
	b->trash_started = true;
	rc = 0;
out:
	free(trash);
	free(dst);
	return rc;
}

static bool
is_buildpack(const char *dir)
{
	char *detect = fs_join(dir, "bin/detect");
	bool ok = detect != NULL && access(detect, X_OK) == 0;

	free(detect);
	return ok;
}

static int
add_bp(struct ctx *c, const char *src, struct errbuf *e)
{
	struct bp *v;

	if ((v = realloc(c->bps, (c->nbps + 1) * sizeof *v)) == NULL)
		return errf(e, "buildpacks:");
	c->bps = v;
	memset(&v[c->nbps], 0, sizeof *v);
	if ((v[c->nbps].src = strdup(src)) == NULL)
		return errf(e, "buildpacks:");
	c->nbps++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The buildpacks directory: $SLUGC_BUILDPACKS, else beside our executable
 * (bin/../buildpacks in the repository, bin/../lib/slugc/buildpacks when
 * installed). */
static char *
buildpacks_root(void)
{
	const char *env = getenv("SLUGC_BUILDPACKS");
	static const char *const rel[] = {"../buildpacks",
	    "../lib/slugc/buildpacks", NULL};
	char *exe, *dir, *p;
	size_t i;

	if (env != NULL && *env != '\0')
		return strdup(env);
	if ((exe = realpath("/proc/self/exe", NULL)) == NULL)
		return NULL;
	dir = dirname(exe);
	for (i = 0; rel[i] != NULL; i++) {
		if ((p = fs_join(dir, rel[i])) != NULL && fs_is_dir(p)) {
			free(exe);
			return p;
		}
		free(p);
	}
	free(exe);
	return NULL;
}

static int
find_buildpacks(struct ctx *c, struct errbuf *e)
{
	struct dirent *d;
	char *root, **names = NULL, *p;
	size_t n = 0, i;
	DIR *dp;
	int rc = -1;

	if (c->o->nbuildpacks > 0) {
		c->explicit = true;
		for (i = 0; i < c->o->nbuildpacks; i++) {
			if (!is_buildpack(c->o->buildpacks[i]))
				return errf(e,
				    "%s: not a buildpack (no "
				    "executable bin/detect)",
				    c->o->buildpacks[i]);
			if (add_bp(c, c->o->buildpacks[i], e) == -1)
				return -1;
		}
		return 0;
	}
	if ((root = buildpacks_root()) == NULL)
		return errf(e,
		    "no buildpacks directory: set SLUGC_BUILDPACKS "
		    "or use -b DIR");
	if ((dp = opendir(root)) == NULL) {
		errf(e, "%s:", root);
		free(root);
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		char **v;

		if (d->d_name[0] == '.')
			continue;
		if ((p = fs_join(root, d->d_name)) == NULL)
			goto out;
		if (!is_buildpack(p)) {
			free(p);
			continue;
		}
		if ((v = realloc(names, (n + 1) * sizeof *v)) == NULL) {
			free(p);
			goto out;
		}
		names = v;
		names[n++] = p;
	}
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++)
		if (add_bp(c, names[i], e) == -1)
			goto out;
	if (n == 0) {
		errf(e, "no buildpacks in %s", root);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1 && e->msg[0] == '\0')
		errf(e, "%s:", root);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dp);
	free(root);
	return rc;
}

static int
build_env(struct ctx *c, struct errbuf *e)
{
	const char *const *k;
	const char *v;

	for (k = build_env_keep; *k != NULL; k++)
		if ((v = getenv(*k)) != NULL &&
		    envv_set(&c->env, *k, v, e) == -1)
			return -1;
	if (envv_set(&c->env, "PATH", BUILD_PATH, e) == -1 ||
	    envv_set(&c->env, "HOME", c->home, e) == -1 ||
	    envv_set(&c->env, "TMPDIR", c->tmp, e) == -1 ||
	    envv_set(&c->env, "STACK", c->o->stack, e) == -1)
		return -1;
	if (c->b->git.commit[0] != '\0' &&
	    envv_set(&c->env, "SOURCE_VERSION", c->b->git.commit, e) == -1)
		return -1;
	return 0;
}

/* Takes the app into BUILD_DIR and removes what .slugignore names. */
static int
take_app(struct ctx *c)
{
	struct build *b = c->b;
	struct gitexport *g = &b->git;
	struct pack_ignore *ig = NULL;
	struct errbuf e;
	size_t removed;
	int rc = SX_FAIL;

	if (sweep_build_dir(b, &e) == -1 ||
	    gitexport_take(c->app, b->build_dir,
		c->o->worktree ? GITEXPORT_WORKTREE : 0, log_warn_cb, NULL, g,
		&e) == -1) {
		log_error(stdout, "%s", e.msg);
		return SX_FAIL;
	}
	if (g->is_git && !g->from_worktree)
		log_topic(stdout, "Building commit %.7s of %s", g->commit,
		    c->app);
	else if (g->is_git)
		log_topic(stdout,
		    "Building %s as it is (--worktree, HEAD "
		    "%.7s)",
		    c->app, g->commit);
	else
		log_topic(stdout, "Building %s", c->app);
	if (g->changes > 0 && !g->from_worktree) {
		log_warn(stdout,
		    "%zu uncommitted change%s left out of this "
		    "build: %s",
		    g->changes, g->changes == 1 ? " is" : "s are", g->sample);
		log_warn(stdout,
		    "Commit them, or build the directory as it "
		    "is with --worktree.");
	}
	/* Heroku removes what .slugignore names before the buildpacks run. */
	if ((ig = pack_ignore_load(b->build_dir, &e)) == NULL ||
	    pack_ignore_prune(ig, b->build_dir, &removed, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	if (pack_ignore_negated(ig) > 0)
		log_warn(stdout,
		    ".slugignore: %zu negated pattern%s ('!') "
		    "ignored: not supported, as on Heroku",
		    pack_ignore_negated(ig),
		    pack_ignore_negated(ig) == 1 ? "" : "s");
	if (removed > 0)
		log_info(stdout, "Removed %zu path%s matching .slugignore",
		    removed, removed == 1 ? "" : "s");
	rc = SX_OK;
out:
	pack_ignore_free(ig);
	return rc;
}

/* Copies the buildpack into the state directory, so that its export file
 * and anything else it writes belong to this build only. */
static int
place_bp(struct ctx *c, struct bp *bp, size_t i, struct errbuf *e)
{
	char *abs = realpath(bp->src, NULL), *base, name[300];
	char *root = NULL, *cachebase = NULL;
	size_t j;
	int rc = -1;

	if (abs == NULL)
		return errf(e, "%s:", bp->src);
	base = strrchr(abs, '/');
	base = base != NULL && base[1] != '\0' ? base + 1 : "buildpack";
	snprintf(name, sizeof name, "%s", base);
	/* Two buildpacks of the same name get their own directories. */
	for (j = 0; j < i; j++)
		if (c->bps[j].dir != NULL &&
		    strcmp(strrchr(c->bps[j].dir, '/') + 1, name) == 0)
			snprintf(name, sizeof name, "%s-%zu", base, i + 1);
	if ((root = fs_join(c->b->state_dir, "buildpacks")) == NULL ||
	    (bp->dir = fs_join(root, name)) == NULL)
		goto nomem;
	if (fs_mkdir_p(root, 0700, e) == -1 || fs_rm_rf(bp->dir, e) == -1 ||
	    fs_copy_tree(abs, bp->dir, false, e) == -1)
		goto out;
	if (c->o->no_cache)
		cachebase = fs_join(c->b->tmp_dir, "cache");
	else if (c->o->cache_dir != NULL)
		cachebase = strdup(c->o->cache_dir);
	else
		cachebase = fs_join(c->b->state_dir, "cache");
	if (cachebase == NULL || (bp->cache = fs_join(cachebase, name)) == NULL)
		goto nomem;
	if (fs_mkdir_p(bp->cache, 0700, e) == -1)
		goto out;
	rc = 0;
	goto out;
nomem:
	errf(e, "%s:", bp->src);
out:
	free(abs);
	free(root);
	free(cachebase);
	return rc;
}

/* Runs detect; returns 0 (detected, bp->name set), 1 (not detected) or
 * -1 (could not run it). */
static int
detect(struct ctx *c, struct bp *bp, struct errbuf *e)
{
	struct spawn s = SPAWN_INIT;
	char *detect = fs_join(bp->dir, "bin/detect"), *out = NULL, *nl;
	const char *argv[] = {detect, c->b->build_dir, NULL};
	size_t len;
	int st;

	if (detect == NULL)
		return errf(e, "detect:");
	s.argv = argv;
	s.envp = envv_array(&c->env);
	s.cwd = c->b->build_dir;
	s.keep_fd = c->b->tree_fd;
	st = spawn_capture(&s, 64 * 1024, &out, &len, e);
	free(detect);
	if (st < 0 || s.interrupted) {
		free(out);
		return -1;
	}
	if (st != 0) {
		free(out);
		return 1;
	}
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\r'))
		out[--len] = '\0';
	if (*out == '\0') {
		const char *slash = strrchr(bp->dir, '/');

		free(out);
		out = strdup(slash + 1);
	}
	bp->name = out;
	snprintf(c->b->bp_name, sizeof c->b->bp_name, "%s", out ? out : "");
	return out != NULL ? 0 : errf(e, "detect:");
}

static int
exit_for_status(const struct spawn *s, int st)
{
	if (s->interrupted)
		return SX_SIGNAL + s->interrupted;
	return st;
}

static int
compile(struct ctx *c, size_t k)
{
	struct bp *bp = &c->bps[k];
	struct spawn s = SPAWN_INIT;
	struct errbuf e;
	const char **argv = NULL;
	char *compile = fs_join(bp->dir, "bin/compile"), *exp, nbuf[24];
	size_t i, n = 0, nexp = 0;
	int st, code = SX_FAIL;

	if (compile == NULL ||
	    (argv = calloc(c->nbps + 12, sizeof *argv)) == NULL) {
		log_error(stdout, "compile: out of memory");
		goto out;
	}
	/* The export files of the buildpacks that ran before this one. */
	for (i = 0; i < k; i++) {
		if (!c->bps[i].used)
			continue;
		if ((exp = fs_join(c->bps[i].dir, "export")) == NULL)
			goto out;
		if (fs_exists(exp))
			nexp++;
		free(exp);
	}
	if (nexp > 0) {
		snprintf(nbuf, sizeof nbuf, "%zu", nexp);
		argv[n++] = "bash";
		argv[n++] = "-c";
		argv[n++] = export_script;
		argv[n++] = "bash";
		argv[n++] = nbuf;
		for (i = 0; i < k; i++) {
			if (!c->bps[i].used ||
			    (exp = fs_join(c->bps[i].dir, "export")) == NULL)
				continue;
			if (fs_exists(exp))
				argv[n++] = exp; /* freed below */
			else
				free(exp);
		}
	}
	argv[n++] = compile;
	argv[n++] = c->b->build_dir;
	argv[n++] = bp->cache;
	argv[n++] = c->env_dir;
	argv[n] = NULL;
	s.argv = argv;
	s.envp = envv_array(&c->env);
	s.cwd = c->b->build_dir;
	s.keep_fd = c->b->tree_fd;
	fflush(stdout);
	st = spawn_run(&s, &e);
	if (st < 0) {
		if (s.interrupted) {
			code = SX_SIGNAL + s.interrupted;
			goto out;
		}
		log_error(stdout, "%s", e.msg);
		code = s.status > 0 ? s.status : SX_FAIL;
		goto out;
	}
	if (st != 0) {
		spawn_errstatus(&s, st, &e);
		log_error(stdout, "Push rejected, failed to compile %s app: %s",
		    bp->name, e.msg);
		code = exit_for_status(&s, st);
		goto out;
	}
	bp->used = true;
	code = SX_OK;
out:
	if (argv != NULL && nexp > 0)
		for (i = 5; i < 5 + nexp; i++)
			free((char *)argv[i]);
	free(argv);
	free(compile);
	return code;
}

/* Runs every used buildpack's bin/release and merges them in order: later
 * config vars and process types win, addons accumulate. */
static int
release(struct ctx *c)
{
	struct build *b = c->b;
	struct errbuf e;
	struct manifest *m;
	char *rel, *out;
	size_t k, len;
	int st;

	if ((b->release = manifest_new()) == NULL) {
		log_error(stdout, "release: out of memory");
		return SX_FAIL;
	}
	for (k = 0; k < c->nbps; k++) {
		struct bp *bp = &c->bps[k];
		struct spawn s = SPAWN_INIT;
		const char *argv[3];

		if (!bp->used)
			continue;
		if ((rel = fs_join(bp->dir, "bin/release")) == NULL)
			return SX_FAIL;
		if (access(rel, X_OK) != 0) {
			free(rel); /* optional in a multi-buildpack build */
			continue;
		}
		argv[0] = rel;
		argv[1] = b->build_dir;
		argv[2] = NULL;
		s.argv = argv;
		s.envp = envv_array(&c->env);
		s.cwd = b->build_dir;
		s.keep_fd = b->tree_fd;
		st = spawn_capture(&s, MANIFEST_MAX, &out, &len, &e);
		free(rel);
		if (st != 0) {
			if (st > 0)
				spawn_errstatus(&s, st, &e);
			log_error(stdout,
			    "Push rejected, %s release failed: %s", bp->name,
			    e.msg);
			free(out);
			return st > 0	    ? exit_for_status(&s, st)
			    : s.interrupted ? SX_SIGNAL + s.interrupted
					    : SX_FAIL;
		}
		st = manifest_parse(out, len, "release output", &m, log_warn_cb,
		    NULL, &e);
		free(out);
		if (st == -1) {
			log_error(stdout, "%s release: %s", bp->name, e.msg);
			return SX_FAIL;
		}
		/* Later buildpacks win, addons accumulate. */
		st = manifest_merge(b->release, m, &e);
		manifest_free(m);
		if (st == -1) {
			log_error(stdout, "release: %s", e.msg);
			return SX_FAIL;
		}
	}
	return SX_OK;
}

/* "web, worker" into buf. */
static void
type_list(char *buf, size_t size, const struct procfile *p,
    const struct procfile *except)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < p->ntypes && used < size; i++) {
		if (except != NULL &&
		    procfile_get(except, p->types[i].name) != NULL)
			continue;
		n = snprintf(buf + used, size - used, "%s%s",
		    used > 0 ? ", " : "", p->types[i].name);
		if (n > 0)
			used += (size_t)n;
	}
}

/* Appends to the slug's Procfile the default types it does not declare
 * (creating it if absent), so the slug carries every process type and runs
 * under foreman or any Procfile runner; the app's own lines stay
 * byte-for-byte. */
static int
complete_procfile(const char *build_dir, const char *path,
    const struct procfile *pf, const struct procfile *all, struct errbuf *e)
{
	struct procfile *extra;
	char *old = NULL, *text = NULL, *buf = NULL;
	size_t i, olen = 0, tlen;
	int rc = -1;

	if ((extra = procfile_new()) == NULL)
		return errf(e, "Procfile:");
	for (i = 0; i < all->ntypes; i++)
		if (procfile_get(pf, all->types[i].name) == NULL &&
		    procfile_set(extra, all->types[i].name,
			all->types[i].command, e) == -1)
			goto out;
	if (extra->ntypes == 0) {
		rc = 0;
		goto out;
	}
	if ((text = procfile_format(extra, &tlen, e)) == NULL) {
		log_warn(stdout, "Procfile not completed: %s", e->msg);
		rc = 0;
		goto out;
	}
	if ((old = beneath_read_file(build_dir, "Procfile", PROCFILE_MAX, &olen,
		 e)) == NULL) {
		if (errno != ENOENT)
			goto out;
		olen = 0;
	}
	if ((buf = malloc(olen + tlen + 1)) == NULL) {
		errf(e, "Procfile:");
		goto out;
	}
	if (olen > 0)
		memcpy(buf, old, olen);
	if (olen > 0 && old[olen - 1] != '\n')
		buf[olen++] = '\n';
	memcpy(buf + olen, text, tlen);
	rc = fs_write_file_atomic(path, buf, olen + tlen, 0644, e);
out:
	procfile_free(extra);
	free(old);
	free(text);
	free(buf);
	return rc;
}

/* The Procfile wins over the defaults, type by type. */
static int
discover_types(struct ctx *c)
{
	struct build *b = c->b;
	struct procfile *pf = NULL;
	struct errbuf e;
	char *path, list[1024];
	bool absent;
	int rc = SX_FAIL;

	if ((path = fs_join(b->build_dir, "Procfile")) == NULL)
		return SX_FAIL;
	/* Beneath the build dir: `Procfile -> /etc/shadow` is refused. */
	if (procfile_load_beneath(b->build_dir, "Procfile", &pf, &absent,
		log_warn_cb, NULL, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	log_topic(stdout, "Discovering process types");
	type_list(list, sizeof list, pf, NULL);
	log_info(stdout, "Procfile declares types -> %s",
	    pf->ntypes > 0 ? list : "(none)");
	type_list(list, sizeof list, b->release->types, pf);
	if (list[0] != '\0')
		log_info(stdout, "Default types for %s -> %s", b->bp_name,
		    list);
	if (procfile_merge(b->release->types, pf, &e) == -1 ||
	    complete_procfile(b->build_dir, path, pf, b->release->types, &e) ==
		-1) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	rc = SX_OK;
out:
	procfile_free(pf);
	free(path);
	return rc;
}

struct progress {
	struct log_progress lp;
};

static void
on_pack_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;

	log_progress_update(&p->lp, done, total);
}

/* Packs dir into slug with the build log's lines and the size limits.
 * ig (may be NULL) leaves paths out.  Returns SX_OK, SX_TOO_BIG, SX_FAIL or
 * SX_SIGNAL + N; *bytes gets the slug's size. */
static int
pack_log(const struct opts *o, const char *dir, const char *slug, time_t mtime,
    const struct pack_ignore *ig, uint64_t *bytes)
{
	struct pack_opts po = PACK_OPTS_INIT;
	struct pack_result r;
	struct progress pr;
	struct errbuf e;
	char size[32], limit[32];

	po.mtime = mtime;
	po.prefix = "./app";
	po.ignore = ig;
	/* zlib's level 5 takes ~45% less CPU than 6 for ~1% more bytes (the
	 * hello app with its runtime: 33.8 MB against 33.5 MB, and 33.6 MB
	 * from `tar czf`, which is gzip -6). */
	po.level = 5;
	po.max_bytes = o->slug_max;
	po.cancel = spawn_interrupted;
	po.progress = on_pack_progress;
	po.progress_arg = &pr;
	po.warn = log_warn_cb;
	log_topic(stdout, "Compressing...");
	log_progress_start(&pr.lp, stdout, "Compressed");
	if (pack_dir(dir, slug, &po, &r, &e) == -1) {
		log_progress_end(&pr.lp);
		if (r.cancelled)
			return SX_SIGNAL + spawn_interrupted();
		if (r.too_big) {
			log_format_bytes(limit, sizeof limit, o->slug_max);
			log_error(stdout,
			    "Compiled slug size is too large (max "
			    "is %s).",
			    limit);
			return SX_TOO_BIG;
		}
		log_error(stdout, "%s", e.msg);
		return SX_FAIL;
	}
	log_progress_end(&pr.lp);
	*bytes = r.compressed;
	log_format_bytes(size, sizeof size, r.compressed);
	log_topic(stdout, "Compiled slug size is %s", size);
	if (o->slug_warn > 0 && r.compressed > o->slug_warn) {
		log_format_bytes(limit, sizeof limit, o->slug_warn);
		log_warn(stdout,
		    "Warning: Your slug size (%s) exceeds our soft "
		    "limit (%s) which may affect boot time.",
		    size, limit);
	}
	return SX_OK;
}

/* One time for every entry: SOURCE_DATE_EPOCH, else the commit's (0
 * outside git). */
static time_t
slug_time(long long commit_time)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	if (sde != NULL && *sde != '\0')
		return (time_t)strtoll(sde, NULL, 10);
	return (time_t)commit_time;
}

static int
pack_slug(struct ctx *c)
{
	const struct opts *o = c->o;
	struct build *b = c->b;
	struct errbuf e;
	char *yaml = NULL;
	size_t ylen;
	int code;

	b->slug_path = o->output != NULL ? strdup(o->output)
					 : fs_join(b->state_dir, "slug.tgz");
	if (b->slug_path == NULL ||
	    (b->release_path = release_path_for(b->slug_path)) == NULL) {
		log_error(stdout, "pack: out of memory");
		return SX_FAIL;
	}
	code = pack_log(o, b->build_dir, b->slug_path,
	    slug_time(b->git.commit_time), NULL, &b->slug_bytes);
	if (code != SX_OK)
		return code;
	if (manifest_emit(b->release, &yaml, &ylen, &e) == -1 ||
	    fs_write_file_atomic(b->release_path, yaml, ylen, 0644, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		free(yaml);
		return SX_FAIL;
	}
	free(yaml);
	log_info(stdout, "Slug:    %s", b->slug_path);
	log_info(stdout, "Release: %s", b->release_path);
	return SX_OK;
}

int
pack_app(const struct opts *o)
{
	struct pack_ignore *ig = NULL;
	struct errbuf e;
	const char *slug = o->output != NULL ? o->output : "slug.tgz";
	uint64_t bytes;
	int code = SX_FAIL;

	if (!fs_is_dir(o->app_dir)) {
		fprintf(stderr, PROGNAME ": %s: not a directory\n", o->app_dir);
		return SX_USAGE;
	}
	if ((ig = pack_ignore_load(o->app_dir, &e)) == NULL) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	code = pack_log(o, o->app_dir, slug, slug_time(0), ig, &bytes);
	if (code == SX_OK)
		log_info(stdout, "Slug:    %s", slug);
out:
	pack_ignore_free(ig);
	return code;
}

static void
ctx_free(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nbps; i++) {
		free(c->bps[i].src);
		free(c->bps[i].dir);
		free(c->bps[i].cache);
		free(c->bps[i].name);
	}
	free(c->bps);
	free(c->app);
	free(c->env_dir);
	free(c->home);
	free(c->tmp);
	envv_free(&c->env);
}

int
build_app(const struct opts *o, bool pack, struct build *b)
{
	struct ctx c = {0};
	struct errbuf e;
	struct envv_limits lim;
	double t;
	size_t k;
	int code = SX_FAIL, r;

	memset(b, 0, sizeof *b);
	b->lock_fd = b->tree_fd = -1;
	b->keep_build_dir = !pack;
	c.o = o;
	c.b = b;
	e.msg[0] = '\0';
	if ((c.app = realpath(o->app_dir, NULL)) == NULL) {
		fprintf(stderr, PROGNAME ": %s: %s\n", o->app_dir,
		    strerror(errno));
		code = SX_USAGE;
		goto out;
	}
	if (!fs_is_dir(c.app)) {
		fprintf(stderr, PROGNAME ": %s: not a directory\n", o->app_dir);
		code = SX_USAGE;
		goto out;
	}
	if (find_buildpacks(&c, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		code = SX_USAGE;
		goto out;
	}
	/* The temporary directory is under the state directory (0700), where
	 * the next build finds it should this one be killed. */
	if (state_dir(&c, &e) == -1 || lock_state(&c, &e) == -1 ||
	    sweep_stale_tmp(b, &e) == -1 ||
	    (b->tmp_dir = fs_mkdtemp(b->state_dir, "tmp.", &e)) == NULL ||
	    (b->build_dir = fs_join(b->state_dir, "build")) == NULL ||
	    (c.env_dir = fs_join(b->tmp_dir, "env")) == NULL ||
	    (c.home = fs_join(b->tmp_dir, "home")) == NULL ||
	    (c.tmp = fs_join(b->tmp_dir, "tmp")) == NULL ||
	    fs_mkdir_p(c.home, 0700, &e) == -1 ||
	    fs_mkdir_p(c.tmp, 0700, &e) == -1 ||
	    envdir_write(c.env_dir, o->vars, &e) == -1) {
		if (spawn_interrupted())
			code = SX_SIGNAL + spawn_interrupted();
		else
			log_error(stdout, "%s",
			    e.msg[0] ? e.msg : "out of memory");
		goto out;
	}

	t = monotime_msf();
	if ((code = take_app(&c)) != SX_OK)
		goto out;
	b->ms_take = monotime_msf() - t;
	/* ENV_DIR takes any size; an environment does not, and a buildpack
	 * that exports its config vars to its tools will fail on this one. */
	envv_exec_limits(&lim);
	for (k = 0; k < o->vars->nvars; k++)
		if (envv_check_var("config var", o->vars->vars[k].name,
			o->vars->vars[k].len, &lim, &e) == -1)
			log_warn(stdout,
			    "%s; buildpacks get it as a file in ENV_DIR, but "
			    "cannot pass it on in an environment",
			    e.msg);
	code = SX_FAIL;
	if (build_env(&c, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}

	t = monotime_msf();
	for (k = 0; k < c.nbps; k++) {
		struct bp *bp = &c.bps[k];

		if (place_bp(&c, bp, k, &e) == -1) {
			log_error(stdout, "%s", e.msg);
			goto out;
		}
		if ((r = detect(&c, bp, &e)) == -1) {
			if (spawn_interrupted()) {
				code = SX_SIGNAL + spawn_interrupted();
				goto out;
			}
			log_error(stdout, "%s", e.msg);
			goto out;
		}
		if (r == 1) {
			if (!c.explicit)
				continue;
			log_topic(stdout,
			    "App not compatible with buildpack: "
			    "%s",
			    bp->src);
			log_error(stdout,
			    "Push rejected, failed to detect the "
			    "app with %s",
			    bp->src);
			code = SX_NO_BUILDPACK;
			goto out;
		}
		if (c.explicit && c.nbps > 1)
			log_topic(stdout, "Using buildpack: %s", bp->src);
		log_topic(stdout, "%s app detected", bp->name);
		if ((code = compile(&c, k)) != SX_OK)
			goto out;
		code = SX_FAIL;
		if (!c.explicit)
			break; /* the first that detects the app */
	}
	if (k == c.nbps && !c.explicit) {
		log_topic(stdout, "Unable to select a buildpack");
		code = SX_NO_BUILDPACK;
		goto out;
	}
	b->ms_compile = monotime_msf() - t;

	t = monotime_msf();
	if ((code = release(&c)) != SX_OK ||
	    (code = discover_types(&c)) != SX_OK)
		goto out;
	b->ms_release = monotime_msf() - t;

	if (pack) {
		t = monotime_msf();
		if ((code = pack_slug(&c)) != SX_OK)
			goto out;
		b->ms_pack = monotime_msf() - t;
	}
	code = SX_OK;
	/* Heroku provisions the add-ons asked for on the first deploy. */
	build_provision(o, c.app, b->build_dir, b->release);
out:
	fflush(stdout);
	/* Config vars must not outlive the build on disk. */
	if (b->tmp_dir != NULL) {
		struct errbuf ignored;

		fs_rm_rf(b->tmp_dir, &ignored);
		free(b->tmp_dir);
		b->tmp_dir = NULL;
	}
	ctx_free(&c);
	return code;
}
