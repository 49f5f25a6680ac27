/* test_gitexport.c - taking an app from real git repositories and plain
 * directories in a temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "gitexport.h"
#include "testhelp.h"
#include "testtmp.h"

static mode_t
mode_of(const char *rel)
{
	struct stat st;

	return lstat(at(tmpdir, rel), &st) == 0 ? st.st_mode : 0;
}

/* gitexport_take from the scratch directory's app to its dst. */
static int
take(const char *app, const char *dst, int flags, struct gitexport *g,
    struct errbuf *e)
{
	return gitexport_take(at(tmpdir, app), at(tmpdir, dst), flags, NULL,
	    NULL, g, e);
}

#define GIT(cwd, ...)                                                          \
	run(cwd, (const char *[]){"git", __VA_ARGS__, NULL}, NULL, 0)

static void
test_plain_dir(void)
{
	struct gitexport g;
	struct errbuf e;
	int rc;

	put("plain/Procfile", "web: ./run.sh\n", 0644);
	put("plain/run.sh", "#!/bin/sh\n", 0755);
	put_link("plain/link", "run.sh");
	rc = take("plain", "plain-out", 0, &g, &e);
	TEST("plain: succeeds", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("plain: not git, taken from the directory",
	    !g.is_git && g.from_worktree && g.commit[0] == '\0' &&
		g.changes == 0);
	TEST("plain: files copied",
	    has("plain-out/Procfile", "web: ./run.sh\n"));
	TEST("plain: exec bit kept",
	    (mode_of("plain-out/run.sh") & 0777) == 0755);
	TEST("plain: symlink kept", S_ISLNK(mode_of("plain-out/link")));
	rc = take("plain", "plain-out", 0, &g, &e);
	TEST("plain: an existing destination is refused", rc == -1);
}

static void
make_repo(void)
{
	put("repo/Procfile", "web: mono app.exe\n", 0644);
	put("repo/app.cs", "committed\n", 0644);
	put("repo/run.sh", "#!/bin/sh\n", 0755);
	put("repo/secret.txt", "deployed anyway\n", 0644);
	put("repo/.gitattributes", "secret.txt export-ignore\n", 0644);
	put("repo/sub/app/Procfile", "web: sub\n", 0644);
	put_link("repo/link", "run.sh");
	GIT("repo", "init", "-q");
	GIT("repo", "add", "-A");
	GIT("repo", "commit", "-q", "-m", "first");
	/* Uncommitted: a modification and an untracked file. */
	put("repo/app.cs", "modified\n", 0644);
	put("repo/new.txt", "untracked\n", 0644);
}

static void
test_git_head(void)
{
	struct gitexport g;
	struct errbuf e;
	struct stat before, after;
	char head[128], st1[1024], st2[1024];
	int rc;

	make_repo();
	run("repo", (const char *[]){"git", "rev-parse", "HEAD", NULL}, head,
	    sizeof head);
	run("repo", (const char *[]){"git", "status", "--porcelain", NULL}, st1,
	    sizeof st1);
	stat(at(tmpdir, "repo/.git/index"), &before);
	rc = take("repo", "repo-out", 0, &g, &e);
	TEST("git: succeeds", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("git: is_git, from HEAD", g.is_git && !g.from_worktree);
	TEST("git: commit is HEAD", strcmp(g.commit, head) == 0);
	TEST("git: commit time is the committer date",
	    g.commit_time == 1700000000);
	TEST("git: two uncommitted changes counted", g.changes == 2);
	TEST("git: the changes are named",
	    strstr(g.sample, "app.cs") != NULL &&
		strstr(g.sample, "new.txt") != NULL);
	TEST("git: committed content taken",
	    has("repo-out/app.cs", "committed\n"));
	TEST("git: untracked file left out", !exists("repo-out/new.txt"));
	TEST("git: no .git in the copy", !exists("repo-out/.git"));
	TEST("git: exec bit kept", (mode_of("repo-out/run.sh") & 0777) == 0755);
	TEST("git: plain file mode 0644",
	    (mode_of("repo-out/Procfile") & 0777) == 0644);
	TEST("git: symlink kept", S_ISLNK(mode_of("repo-out/link")));
	TEST("git: export-ignore not honoured (a push deploys it)",
	    has("repo-out/secret.txt", "deployed anyway\n"));
	TEST("git: subdirectories taken",
	    has("repo-out/sub/app/Procfile", "web: sub\n"));
	TEST("git: temporary index removed", !exists("repo-out.index"));
	/* The user's tree and index are untouched. */
	stat(at(tmpdir, "repo/.git/index"), &after);
	run("repo", (const char *[]){"git", "status", "--porcelain", NULL}, st2,
	    sizeof st2);
	TEST("git: user's work tree untouched",
	    has("repo/app.cs", "modified\n") && strcmp(st1, st2) == 0);
	TEST("git: user's index not rewritten",
	    before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
		before.st_mtim.tv_nsec == after.st_mtim.tv_nsec &&
		before.st_size == after.st_size);
}

static void
test_git_subdir(void)
{
	struct gitexport g;
	struct errbuf e;
	int rc;

	put("repo/sub/app/extra.txt", "untracked in sub\n", 0644);
	rc = take("repo/sub/app", "sub-out", 0, &g, &e);
	TEST("subdir: succeeds", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("subdir: the subdirectory's tree at the root",
	    has("sub-out/Procfile", "web: sub\n") &&
		!exists("sub-out/app.cs") && !exists("sub-out/sub"));
	TEST("subdir: only the subdirectory's changes counted",
	    g.is_git && g.changes == 1 && strstr(g.sample, "extra.txt"));
}

static void
test_git_worktree_flag(void)
{
	struct gitexport g;
	struct errbuf e;
	int rc;

	rc = take("repo", "wt-out", GITEXPORT_WORKTREE, &g, &e);
	TEST("worktree: succeeds", rc == 0);
	TEST("worktree: commit still known",
	    g.is_git && g.commit[0] != '\0' && g.from_worktree);
	TEST("worktree: takes uncommitted files",
	    has("wt-out/app.cs", "modified\n") && exists("wt-out/new.txt"));
	TEST("worktree: no .git", !exists("wt-out/.git"));
}

static void
test_git_env_and_empty(void)
{
	struct gitexport g;
	struct errbuf e;
	int rc;

	setenv("GIT_DIR", "/nonexistent/.git", 1);
	setenv("GIT_WORK_TREE", "/nonexistent", 1);
	rc = take("repo", "env-out", 0, &g, &e);
	TEST("env: GIT_DIR and GIT_WORK_TREE from a hook do not interfere",
	    rc == 0 && has("env-out/app.cs", "committed\n"));
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");

	put("empty/Procfile", "web: x\n", 0644);
	GIT("empty", "init", "-q");
	rc = take("empty", "empty-out", 0, &g, &e);
	TEST("empty repo: refused", rc == -1 && strstr(e.msg, "no commit"));
	TEST("empty repo: no destination left", !exists("empty-out"));
	rc = take("empty", "empty-out", GITEXPORT_WORKTREE, &g, &e);
	TEST("empty repo: --worktree takes the files",
	    rc == 0 && has("empty-out/Procfile", "web: x\n") && !g.is_git);
	rc = gitexport_take("/nonexistent-app", at(tmpdir, "empty-out"), 0,
	    NULL, NULL, &g, &e);
	TEST("missing app dir: fails naming it",
	    rc == -1 && strstr(e.msg, "/nonexistent-app"));
}

/* gitexport_take_rev of rev from the scratch directory's dir to dst. */
static int
take_rev(const char *dir, const char *rev, const char *dst, struct gitexport *g,
    struct errbuf *e)
{
	return gitexport_take_rev(at(tmpdir, dir), rev, at(tmpdir, dst), g, e);
}

/* A second commit on repo (the first tagged v1), then a bare clone of it:
 * what a push's remote holds. */
static void
test_rev(void)
{
	struct gitexport g;
	struct errbuf e;
	char first[128], second[128], st1[1024], st2[1024];
	int rc;

	GIT("repo", "tag", "v1");
	run("repo", (const char *[]){"git", "rev-parse", "HEAD", NULL}, first,
	    sizeof first);
	put("repo/later.txt", "second commit\n", 0644);
	GIT("repo", "add", "later.txt");
	GIT("repo", "commit", "-q", "-m", "second");
	run("repo", (const char *[]){"git", "rev-parse", "HEAD", NULL}, second,
	    sizeof second);
	run("repo", (const char *[]){"git", "status", "--porcelain", NULL}, st1,
	    sizeof st1);

	rc = take_rev("repo", "v1", "rev-out", &g, &e);
	TEST("rev: a tag in a work tree", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("rev: its commit, not HEAD",
	    g.is_git && !g.from_worktree && strcmp(g.commit, first) == 0 &&
		g.commit_time == 1700000000);
	TEST("rev: its files only",
	    has("rev-out/app.cs", "committed\n") &&
		!exists("rev-out/later.txt"));
	TEST("rev: the work tree's changes neither taken nor counted",
	    g.changes == 0 && !exists("rev-out/new.txt"));
	TEST("rev: exec bit and symlink kept",
	    (mode_of("rev-out/run.sh") & 0777) == 0755 &&
		S_ISLNK(mode_of("rev-out/link")));
	TEST("rev: temporary index removed", !exists("rev-out.index"));
	run("repo", (const char *[]){"git", "status", "--porcelain", NULL}, st2,
	    sizeof st2);
	TEST("rev: user's work tree and index untouched",
	    strcmp(st1, st2) == 0 && has("repo/app.cs", "modified\n"));

	rc = take_rev("repo/sub/app", "HEAD~1", "rev-sub", &g, &e);
	TEST("rev: in a subdirectory, its tree at the root",
	    rc == 0 && has("rev-sub/Procfile", "web: sub\n") &&
		!exists("rev-sub/app.cs"));

	if (run(NULL,
		(const char *[]){"git", "clone", "-q", "--bare",
		    at(tmpdir, "repo"), at(tmpdir, "bare.git"), NULL},
		NULL, 0) != 0)
		abort();
	/* As in a hook: variables pointing git elsewhere are ignored. */
	setenv("GIT_DIR", "/nonexistent", 1);
	setenv("GIT_INDEX_FILE", "/nonexistent/index", 1);
	rc = take_rev("bare.git", second, "bare-out", &g, &e);
	unsetenv("GIT_DIR");
	unsetenv("GIT_INDEX_FILE");
	TEST("rev: a commit of a bare repository", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("rev: its whole tree",
	    strcmp(g.commit, second) == 0 &&
		has("bare-out/later.txt", "second commit\n") &&
		has("bare-out/sub/app/Procfile", "web: sub\n") &&
		!exists("bare-out/HEAD"));

	rc = take_rev("bare.git", "no-such-branch", "bad-out", &g, &e);
	TEST("rev: an unknown revision names it and the repository",
	    rc == -1 && strstr(e.msg, "bare.git: no commit no-such-branch"));
	TEST("rev: and leaves no destination", !exists("bad-out"));
	rc = take_rev("bare.git", "HEAD^{tree}", "bad-out", &g, &e);
	TEST("rev: a tree is not a commit", rc == -1 && !exists("bad-out"));
	rc = take_rev("bare.git", "--output=x", "bad-out", &g, &e);
	TEST("rev: one that git could take for an option is refused",
	    rc == -1 && strstr(e.msg, "not a revision") && !exists("bad-out") &&
		!exists("bare.git/x"));
	rc = take_rev("plain", "HEAD", "bad-out", &g, &e);
	TEST("rev: outside git, names the directory",
	    rc == -1 && strstr(e.msg, "not a git repository") &&
		strstr(e.msg, "plain") && !exists("bad-out"));
}

int
main(void)
{
	if (tmp_init("test_gitexport") == -1)
		return 1;
	/* A git of our own: no user or system config, fixed identity and
	 * dates. */
	setenv("HOME", tmpdir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_AUTHOR_NAME", "Test", 1);
	setenv("GIT_AUTHOR_EMAIL", "test@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "Test", 1);
	setenv("GIT_COMMITTER_EMAIL", "test@example.com", 1);
	setenv("GIT_AUTHOR_DATE", "1700000000 +0000", 1);
	setenv("GIT_COMMITTER_DATE", "1700000000 +0000", 1);
	test_plain_dir();
	test_git_head();
	test_git_subdir();
	test_git_worktree_flag();
	test_git_env_and_empty();
	test_rev();
	tmp_done();
	return test_report();
}
