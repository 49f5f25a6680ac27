/* test_gitrepo.c - an app's bare repository made with real git, the hook's
 * input, the pushed commit checked out (from the repository and from a
 * push's quarantine), and the push lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gitrepo.h"
#include "testhelp.h"
#include "testtmp.h"

#define GIT(cwd, ...)                                                          \
	run(cwd, (const char *[]){"git", __VA_ARGS__, NULL}, NULL, 0)
#define GIT_OUT(cwd, out, ...)                                                 \
	run(cwd, (const char *[]){"git", __VA_ARGS__, NULL}, out, sizeof out)

#define OID1 "1111111111111111111111111111111111111111"
#define OID0 "0000000000000000000000000000000000000000"
#define OID64 "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"

static void
test_parse(void)
{
	static const char in[] =
	    OID0 " " OID1 " refs/heads/main\n" OID1 " " OID0
		 " refs/heads/a b\n" OID64 " " OID64 " refs/tags/v1";
	struct gitrepo_update *u;
	struct errbuf e;
	size_t n;
	int rc;

	rc = gitrepo_parse_updates(in, strlen(in), &u, &n, &e);
	TEST("parse: three lines, the last without a newline",
	    rc == 0 && n == 3);
	if (rc == 0 && n == 3) {
		TEST("parse: old, new and ref",
		    strcmp(u[0].old_oid, OID0) == 0 &&
			strcmp(u[0].new_oid, OID1) == 0 &&
			strcmp(u[0].ref, "refs/heads/main") == 0);
		TEST("parse: a ref holding a space is kept whole",
		    strcmp(u[1].ref, "refs/heads/a b") == 0);
		TEST("parse: sha256 object names",
		    strcmp(u[2].new_oid, OID64) == 0);
		gitrepo_updates_free(u, n);
	}
	rc = gitrepo_parse_updates("", 0, &u, &n, &e);
	TEST("parse: no input is no update", rc == 0 && n == 0);
	gitrepo_updates_free(u, n);

	rc = gitrepo_parse_updates(OID1 " " OID1 "\n",
	    strlen(OID1 " " OID1 "\n"), &u, &n, &e);
	TEST("parse: a line without a ref is refused",
	    rc == -1 && strstr(e.msg, "line 1") != NULL);
	rc = gitrepo_parse_updates(OID1 " 123 refs/heads/main\n",
	    strlen(OID1 " 123 refs/heads/main\n"), &u, &n, &e);
	TEST("parse: a short object name is refused", rc == -1);
	{
		char bad[] = OID1 " " OID1 " refs/heads/main\n" OID1 " " OID1
				  " refs/heads/x\n";

		bad[41 + 40 + 1 + 15 + 1 + 3] = 'G';
		rc = gitrepo_parse_updates(bad, strlen(bad), &u, &n, &e);
		TEST("parse: a non-hex digit is refused, naming the line",
		    rc == -1 && strstr(e.msg, "line 2") != NULL);
	}
	rc = gitrepo_parse_updates(OID1 " " OID64 " refs/heads/main",
	    strlen(OID1 " " OID64 " refs/heads/main"), &u, &n, &e);
	TEST("parse: object names of two lengths are refused", rc == -1);
}

static void
test_refs(void)
{
	TEST("zero: all zeros", gitrepo_oid_zero(OID0));
	TEST("zero: not a commit's", !gitrepo_oid_zero(OID1));
	TEST("zero: empty is not zero", !gitrepo_oid_zero(""));
	TEST("ref: main deploys",
	    gitrepo_ref_kind("refs/heads/main") == GITREPO_REF_DEPLOY);
	TEST("ref: master deploys",
	    gitrepo_ref_kind("refs/heads/master") == GITREPO_REF_DEPLOY);
	TEST("ref: another branch does not",
	    gitrepo_ref_kind("refs/heads/main2") == GITREPO_REF_BRANCH);
	TEST("ref: a tag is neither",
	    gitrepo_ref_kind("refs/tags/main") == GITREPO_REF_OTHER);
	TEST("ref: short name",
	    strcmp(gitrepo_ref_short("refs/heads/feature/x"), "feature/x") ==
		0);
	TEST("ref: short name of a tag is the ref",
	    strcmp(gitrepo_ref_short("refs/tags/v1"), "refs/tags/v1") == 0);
}

static void
test_init(void)
{
	struct errbuf e;
	struct stat st;
	char out[256], target[256];
	ssize_t n;
	int rc;

	rc = gitrepo_init(at(tmpdir, "app/repo.git"), "/bin/true", &e);
	TEST("init: without its parent fails", rc == -1);
	TEST("init: nothing left beside it", !exists("app"));
	if (mkdir(at(tmpdir, "app"), 0700) == -1)
		abort();
	rc = gitrepo_init(at(tmpdir, "app/repo.git"), "/bin/true", &e);
	TEST("init: succeeds", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("init: a bare repository",
	    GIT_OUT("app/repo.git", out, "rev-parse", "--is-bare-repository") ==
		    0 &&
		strcmp(out, "true") == 0);
	TEST("init: its default branch is main",
	    GIT_OUT("app/repo.git", out, "symbolic-ref", "HEAD") == 0 &&
		strcmp(out, "refs/heads/main") == 0);
	n = readlink(at(tmpdir, "app/repo.git/hooks/pre-receive"), target,
	    sizeof target - 1);
	TEST("init: pre-receive is a symlink to the hook",
	    n == 9 && memcmp(target, "/bin/true", 9) == 0);
	TEST("init: no sample hooks",
	    count_dir(at(tmpdir, "app/repo.git/hooks")) == 1);
	TEST("init: no temporary directory left",
	    count_dir(at(tmpdir, "app")) == 1);
	rc = gitrepo_init(at(tmpdir, "app/repo.git"), "/bin/true", &e);
	TEST("init: an existing repository is refused",
	    rc == -1 && strstr(e.msg, "File exists") != NULL);
	TEST("init: and kept", stat(at(tmpdir, "app/repo.git/HEAD"), &st) == 0);
}

/* A work repository "work" with one commit pushed to app/repo.git, whose
 * hook is /bin/true.  Its commit into oid. */
static int
push_work(char *oid, size_t size)
{
	put("work/Procfile", "web: ./run.sh\n", 0644);
	put("work/run.sh", "#!/bin/sh\n", 0755);
	put_link("work/link", "run.sh");
	if (GIT("work", "init", "-q", "-b", "main") != 0 ||
	    GIT("work", "add", "-A") != 0 ||
	    GIT("work", "-c", "user.name=t", "-c", "user.email=t@t", "commit",
		"-q", "-m", "one") != 0 ||
	    GIT("work", "push", "-q", at(tmpdir, "app/repo.git"), "main") != 0)
		return -1;
	return run("work", (const char *[]){"git", "rev-parse", "HEAD", NULL},
	    oid, size);
}

/* The commit oid is in dst: git cat-file -e there. */
static bool
has_commit(const char *dst, const char *oid)
{
	char spec[160];

	snprintf(spec, sizeof spec, "%s^{commit}", oid);
	return GIT(dst, "cat-file", "-e", spec) == 0;
}

static void
test_borrow(void)
{
	struct errbuf e;
	char oid[128], out[256];
	int rc;

	TEST("borrow: setup", push_work(oid, sizeof oid) == 0);
	/* As in a hook: variables pointing git elsewhere are ignored. */
	setenv("GIT_DIR", "/nonexistent", 1);
	setenv("GIT_INDEX_FILE", "/nonexistent/index", 1);
	rc = gitrepo_borrow(at(tmpdir, "app/repo.git"), at(tmpdir, "src"), &e);
	unsetenv("GIT_DIR");
	unsetenv("GIT_INDEX_FILE");
	TEST("borrow: succeeds", rc == 0);
	if (rc != 0)
		printf("# %s\n", e.msg);
	TEST("borrow: a bare repository",
	    GIT_OUT("src", out, "rev-parse", "--is-bare-repository") == 0 &&
		strcmp(out, "true") == 0);
	TEST("borrow: the pushed commit is there", has_commit("src", oid));
	TEST("borrow: through alternates, no object copied",
	    count_dir(at(tmpdir, "src/objects")) == 2); /* info, pack */
	TEST("borrow: no hooks, no refs of its own",
	    GIT("src", "rev-parse", "-q", "--verify", "HEAD") != 0);
	rc = gitrepo_borrow(at(tmpdir, "app/repo.git"), at(tmpdir, "src"), &e);
	TEST("borrow: an existing destination is refused",
	    rc == -1 && strstr(e.msg, "File exists"));
	rc = gitrepo_borrow(at(tmpdir, "app/none.git"), at(tmpdir, "src2"), &e);
	TEST("borrow: a missing repository is named, nothing left",
	    rc == -1 && strstr(e.msg, "none.git") && !exists("src2"));
}

/* A commit whose objects are only in another object directory, as a
 * push's are in its quarantine while pre-receive runs. */
static void
test_quarantine(void)
{
	struct errbuf e;
	char oid[128];
	int rc;

	put("other/app.txt", "quarantined\n", 0644);
	if (GIT("other", "init", "-q") != 0 || GIT("other", "add", "-A") != 0 ||
	    GIT("other", "-c", "user.name=t", "-c", "user.email=t@t", "commit",
		"-q", "-m", "q") != 0 ||
	    run("other", (const char *[]){"git", "rev-parse", "HEAD", NULL},
		oid, sizeof oid) != 0)
		abort();
	rc = gitrepo_borrow(at(tmpdir, "app/repo.git"), at(tmpdir, "q1"), &e);
	TEST("quarantine: not in the repository: not seen",
	    rc == 0 && !has_commit("q1", oid));
	setenv("GIT_QUARANTINE_PATH", at(tmpdir, "other/.git/objects"), 1);
	rc = gitrepo_borrow(at(tmpdir, "app/repo.git"), at(tmpdir, "q2"), &e);
	unsetenv("GIT_QUARANTINE_PATH");
	TEST("quarantine: found there", rc == 0 && has_commit("q2", oid));
	if (rc != 0)
		printf("# %s\n", e.msg);
}

static int calls, stop_after;

static void
count_wait(void *arg)
{
	(void)arg;
	calls++;
}

static int
stop_soon(void)
{
	return --stop_after <= 0;
}

static void
test_lock(void)
{
	struct errbuf e;
	int fd, fd2;

	fd = gitrepo_lock(at(tmpdir, "push.lock"), count_wait, NULL, NULL, &e);
	TEST("lock: taken", fd >= 0 && calls == 0);
	stop_after = 3;
	fd2 = gitrepo_lock(at(tmpdir, "push.lock"), count_wait, NULL, stop_soon,
	    &e);
	TEST("lock: held: waits, says so once, stops when told",
	    fd2 == -1 && calls == 1 && e.msg[0] == '\0');
	close(fd);
	fd2 = gitrepo_lock(at(tmpdir, "push.lock"), count_wait, NULL, NULL, &e);
	TEST("lock: free again", fd2 >= 0 && calls == 1);
	close(fd2);
	put_link("link.lock", "push.lock");
	fd2 = gitrepo_lock(at(tmpdir, "link.lock"), NULL, NULL, NULL, &e);
	TEST("lock: never through a symlink",
	    fd2 == -1 && strstr(e.msg, "link.lock") != NULL);
}

int
main(void)
{
	if (tmp_init("test_gitrepo") == -1)
		return 1;
	/* Commits need a name; the user's config must not matter. */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", tmpdir, 1);
	test_parse();
	test_refs();
	test_init();
	test_borrow();
	test_quarantine();
	test_lock();
	tmp_done();
	return test_report();
}
