/* gitexport.c - HEAD's tree through a temporary index, or a plain copy. */
#include "gitexport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envv.h"
#include "fsutil.h"
#include "spawn.h"

extern char **environ;

/* Variables that would point git at another repository, index or work tree
 * than the app's (set, for instance, when slugc runs from a git hook: a
 * pre-receive hook's git also has the push's quarantine, in which no ref
 * may be updated). */
static const char *const git_location_vars[] = {"GIT_DIR", "GIT_WORK_TREE",
    "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX",
    "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_QUARANTINE_PATH", NULL};

int
gitexport_clean_env(struct envv *env, struct errbuf *e)
{
	const char *const *v;

	if (envv_from(env, environ, e) == -1)
		return -1;
	for (v = git_location_vars; *v != NULL; v++)
		envv_unset(env, *v);
	return 0;
}

void
gitexport_keep_last(void *arg, int fd, const char *line, size_t len,
    bool complete)
{
	struct gitexport_lastline *l = arg;

	(void)fd;
	(void)complete;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return;
	if (len >= sizeof l->text)
		len = sizeof l->text - 1;
	memcpy(l->text, line, len);
	l->text[len] = '\0';
}

/* Runs git with argv; *out (may be NULL) gets its stdout (the caller frees
 * it).  Returns git's exit status, or -1 when it could not run. */
static int
git(struct envv *env, const char *const *argv, char **out, size_t max,
    struct gitexport_lastline *err, struct errbuf *e)
{
	struct spawn s = SPAWN_INIT;
	char *buf = NULL;
	size_t len;
	int st;

	err->text[0] = '\0';
	s.argv = argv;
	s.envp = envv_array(env);
	s.on_line = gitexport_keep_last;
	s.arg = err;
	st = spawn_capture(&s, max, &buf, &len, e);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	if (st < 0 && s.status == 127)
		return 127;
	return st;
}

int
gitexport_git_fail(const char *what, int st,
    const struct gitexport_lastline *err, struct errbuf *e)
{
	if (err->text[0] != '\0')
		return errf(e, "git %s: %s", what, err->text);
	return errf(e, "git %s exited with status %d", what, st);
}

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Counts `git status --porcelain` lines and keeps the first paths. */
static void
note_changes(struct gitexport *g, const char *porcelain)
{
	const char *p = porcelain, *nl;
	size_t used = 0, len;
	int n;

	g->changes = 0;
	g->sample[0] = '\0';
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 3) {
			g->changes++;
			/* "XY path": the path starts at column 3. */
			if (used < sizeof g->sample - 1) {
				n = snprintf(g->sample + used,
				    sizeof g->sample - used, "%s%.*s",
				    used > 0 ? ", " : "", (int)(len - 3),
				    p + 3);
				if (n > 0)
					used += (size_t)n;
				if (used >= sizeof g->sample - 1) {
					/* Truncated: end it visibly. */
					strcpy(g->sample + sizeof g->sample - 4,
					    "...");
					used = sizeof g->sample - 1;
				}
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* Plain copy of the directory, then .git removed from the copy. */
static int
copy_plain(const char *app_dir, const char *dst, err_warn_fn *warn, void *arg,
    struct errbuf *e)
{
	char *dotgit = NULL;
	int rc = -1;

	if (fs_copy_app(app_dir, dst, false, warn, arg, e) == -1)
		return -1;
	if ((dotgit = fs_join(dst, ".git")) == NULL) {
		errf(e, "%s:", dst);
		goto out;
	}
	if (fs_rm_rf(dotgit, e) == -1)
		goto out;
	rc = 0;
out:
	free(dotgit);
	return rc;
}

int
gitexport_git_env(struct envv *env, struct errbuf *e)
{
	if (gitexport_clean_env(env, e) == -1)
		return -1;
	if (envv_set(env, "GIT_OPTIONAL_LOCKS", "0", e) == -1 ||
	    envv_set(env, "LC_ALL", "C", e) == -1) {
		envv_free(env);
		return -1;
	}
	return 0;
}

bool
gitexport_rev_ok(const char *rev)
{
	return rev[0] != '\0' && rev[0] != '-' &&
	    strlen(rev) < GITEXPORT_REV_MAX;
}

/* Checks treeish out into dst (which must not exist) through a temporary
 * index beside it, git run in dir with dst as its work tree: a fresh
 * checkout, as a platform's clone makes it (symlinks, exec bits,
 * .gitattributes), in a work tree or a bare repository, whose own index
 * and work tree are never touched.  On failure dst is removed. */
static int
checkout_tree(struct envv *env, const char *dir, const char *treeish,
    const char *dst, struct errbuf *e)
{
	struct gitexport_lastline err;
	char *absdst = NULL, *index = NULL, *wt = NULL;
	int rc = -1, s;

	if (mkdir(dst, 0755) == -1)
		return errf(e, "create %s:", dst);
	/* git runs in dir: paths handed to it must be absolute. */
	if ((absdst = realpath(dst, NULL)) == NULL) {
		errf(e, "%s:", dst);
		goto out;
	}
	if (asprintf(&index, "%s.index", absdst) == -1 ||
	    asprintf(&wt, "--work-tree=%s", absdst) == -1) {
		index = wt = NULL;
		errf(e, "%s: out of memory", dst);
		goto out;
	}
	if (envv_set(env, "GIT_INDEX_FILE", index, e) == -1)
		goto out;
	{
		const char *argv[] = {"git", "-C", dir, wt, "read-tree",
		    "--end-of-options", treeish, NULL};

		if ((s = git(env, argv, NULL, 1 << 16, &err, e)) != 0) {
			if (s > 0)
				gitexport_git_fail("read-tree", s, &err, e);
			goto out;
		}
	}
	{
		const char *argv[] = {"git", "-C", dir, wt, "checkout-index",
		    "--all", "--force", NULL};

		if ((s = git(env, argv, NULL, 1 << 16, &err, e)) != 0) {
			if (s > 0)
				gitexport_git_fail("checkout-index", s, &err,
				    e);
			goto out;
		}
	}
	rc = 0;
out:
	envv_unset(env, "GIT_INDEX_FILE");
	if (index != NULL)
		unlink(index);
	if (rc == -1) {
		struct errbuf ignored;

		fs_rm_rf(dst, &ignored);
	}
	free(absdst);
	free(index);
	free(wt);
	return rc;
}

int
gitexport_take(const char *app_dir, const char *dst, int flags,
    err_warn_fn *warn, void *arg, struct gitexport *g, struct errbuf *e)
{
	struct envv env = ENVV_INIT;
	struct gitexport_lastline err;
	char *out = NULL, *prefix = NULL, *treeish = NULL, *dotgit = NULL, *nl;
	struct stat st;
	int rc = -1, s;
	long long t;

	memset(g, 0, sizeof *g);
	if (!fs_is_dir(app_dir))
		return errf(e, "%s: not a directory", app_dir);
	if (gitexport_git_env(&env, e) == -1)
		return -1;

	{
		const char *argv[] = {"git", "-C", app_dir, "rev-parse",
		    "--show-toplevel", "--show-prefix", NULL};

		s = git(&env, argv, &out, 1 << 16, &err, e);
	}
	if (s < 0 && s != 127)
		goto out;
	if (s != 0) {
		/* Not a work tree (or no git at all).  A .git that git will
		 * not read (say, "dubious ownership") must not silently turn
		 * into a copy of uncommitted files. */
		if ((dotgit = fs_join(app_dir, ".git")) == NULL) {
			errf(e, "%s:", app_dir);
			goto out;
		}
		if (lstat(dotgit, &st) == 0) {
			if (s == 127)
				errf(e,
				    "%s is a git repository, but git is "
				    "not installed",
				    app_dir);
			else
				gitexport_git_fail("rev-parse", s, &err, e);
			goto out;
		}
		rc = copy_plain(app_dir, dst, warn, arg, e);
		g->from_worktree = true;
		goto out;
	}
	/* Two lines: the top level, then the prefix ("" at the top). */
	if ((nl = strchr(out, '\n')) == NULL) {
		errf(e, "git rev-parse: unexpected output");
		goto out;
	}
	if ((prefix = strdup(nl + 1)) == NULL) {
		errf(e, "%s:", app_dir);
		goto out;
	}
	chomp(prefix);
	free(out);
	out = NULL;

	{
		const char *argv[] = {"git", "-C", app_dir, "show", "-s",
		    "--format=%H %ct", "HEAD", "--", NULL};

		s = git(&env, argv, &out, 1 << 16, &err, e);
	}
	if (s == 0 && sscanf(out, "%64s %lld", g->commit, &t) == 2) {
		g->is_git = true;
		g->commit_time = t;
	} else if (!(flags & GITEXPORT_WORKTREE)) {
		errf(e,
		    "%s: the git repository has no commit to deploy "
		    "(commit first, or build the directory as it is with "
		    "--worktree)",
		    app_dir);
		goto out;
	}
	free(out);
	out = NULL;

	if (g->is_git) {
		const char *argv[] = {"git", "-C", app_dir, "status",
		    "--porcelain", "--untracked-files=normal", "--", ".", NULL};

		if ((s = git(&env, argv, &out, 16 << 20, &err, e)) != 0) {
			if (s > 0)
				gitexport_git_fail("status", s, &err, e);
			goto out;
		}
		note_changes(g, out);
		free(out);
		out = NULL;
	}

	if (flags & GITEXPORT_WORKTREE) {
		rc = copy_plain(app_dir, dst, warn, arg, e);
		g->from_worktree = true;
		goto out;
	}

	/* HEAD's tree (the app's subtree when the app is a subdirectory) is
	 * read into a temporary index and checked out under dst: a fresh
	 * checkout, as a platform's clone would make, and the user's index
	 * and work tree are never touched. */
	if (asprintf(&treeish, "HEAD:%s", prefix) == -1) {
		treeish = NULL;
		errf(e, "%s:", app_dir);
		goto out;
	}
	if (checkout_tree(&env, app_dir, treeish, dst, e) == -1)
		goto out;
	rc = 0;
out:
	envv_free(&env);
	free(out);
	free(prefix);
	free(treeish);
	free(dotgit);
	return rc;
}

int
gitexport_take_rev(const char *repo_dir, const char *rev, const char *dst,
    struct gitexport *g, struct errbuf *e)
{
	struct envv env = ENVV_INIT;
	struct gitexport_lastline err;
	char *out = NULL, *treeish = NULL, commitish[GITEXPORT_REV_MAX + 16];
	int rc = -1, s;
	long long t;

	memset(g, 0, sizeof *g);
	if (!gitexport_rev_ok(rev))
		return errf(e, "%s: not a revision", rev);
	if (!fs_is_dir(repo_dir))
		return errf(e, "%s: not a directory", repo_dir);
	if (gitexport_git_env(&env, e) == -1)
		return -1;
	{
		/* The app's place in a work tree ("" in a bare repository). */
		const char *argv[] = {"git", "-C", repo_dir, "rev-parse",
		    "--show-prefix", NULL};

		if ((s = git(&env, argv, &out, 1 << 16, &err, e)) != 0) {
			if (s == 127)
				errf(e, "%s: git is not installed", repo_dir);
			else if (s > 0)
				errf(e, "%s: not a git repository: %s",
				    repo_dir, err.text);
			goto out;
		}
	}
	chomp(out);
	snprintf(commitish, sizeof commitish, "%s^{commit}", rev);
	{
		const char *argv[] = {"git", "-C", repo_dir, "show", "-s",
		    "--format=%H %ct", "--end-of-options", commitish, "--",
		    NULL};
		char *line = NULL;

		if ((s = git(&env, argv, &line, 1 << 16, &err, e)) != 0 ||
		    sscanf(line, "%64s %lld", g->commit, &t) != 2) {
			free(line);
			if (s >= 0)
				errf(e, "%s: no commit %s in this repository",
				    repo_dir, rev);
			goto out;
		}
		free(line);
	}
	g->is_git = true;
	g->commit_time = t;
	if (asprintf(&treeish, "%s:%s", g->commit, out) == -1) {
		treeish = NULL;
		errf(e, "%s:", repo_dir);
		goto out;
	}
	rc = checkout_tree(&env, repo_dir, treeish, dst, e);
out:
	envv_free(&env);
	free(out);
	free(treeish);
	return rc;
}
