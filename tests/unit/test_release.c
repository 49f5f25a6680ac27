/* test_release.c - an app's releases on a real file system: publishing by
 * rename, hard links and copies, listing with corrupt releases, pruning,
 * rollback, and a full tmpfs half-way through a release. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appstate.h"
#include "digest.h"
#include "fsutil.h"
#include "release.h"
#include "testhelp.h"
#include "testmount.h"
#include "testtmp.h"

static void
cleanup(void)
{
	testmount_cleanup();
	tmp_done();
}

static void
use_state(const char *rel)
{
	setenv("XDG_STATE_HOME", at(tmpdir, rel), 1);
}

static struct appstate *
open_app(const char *name)
{
	struct appstate *st;
	struct errbuf e;

	if (appstate_open(name, true, &st, &e) == -1) {
		fprintf(stderr, "appstate_open %s: %s\n", name, e.msg);
		abort();
	}
	return st;
}

static void
set1(struct appstate *st, const char *name, const char *value)
{
	struct envdir *v = envdir_new();
	struct errbuf e;

	if (v == NULL || envdir_set(v, name, value, &e) == -1 ||
	    appstate_config_set(st, v, &e) == -1)
		abort();
	envdir_free(v);
}

/* A release of the slug at rel (in the scratch dir), "Deploy C". */
static int
deploy(struct appstate *st, const char *slug, const char *commit, unsigned *v,
    struct errbuf *e)
{
	struct release_new in = {0};
	char desc[64];

	snprintf(desc, sizeof desc, "Deploy %s", commit);
	in.slug = slug;
	in.release_yml = at(tmpdir, "release.yml");
	in.commit = commit;
	in.description = desc;
	return release_create(st, &in, v, e);
}

/* The number of names starting with prefix in dir. */
static int
count_prefix(const char *dir, const char *prefix)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL)
		if (strncmp(d->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(dp);
	return n;
}

static char *
rel_file(struct appstate *st, unsigned v, const char *file)
{
	static char buf[4][4096];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, sizeof buf[0], "%s/releases/v%u/%s", st->dir, v, file);
	return b;
}

static void
test_keep(void)
{
	struct errbuf e;
	unsigned k;

	unsetenv(RELEASE_SLUGS_ENV);
	TEST("keep: default",
	    release_keep_slugs(&k, &e) == 0 && k == RELEASE_SLUGS_DEFAULT);
	setenv(RELEASE_SLUGS_ENV, "3", 1);
	TEST("keep: from the environment",
	    release_keep_slugs(&k, &e) == 0 && k == 3);
	setenv(RELEASE_SLUGS_ENV, "0", 1);
	TEST("keep: 0 refused",
	    release_keep_slugs(&k, &e) == -1 &&
		strstr(e.msg, RELEASE_SLUGS_ENV) != NULL);
	setenv(RELEASE_SLUGS_ENV, "3x", 1);
	TEST("keep: junk refused", release_keep_slugs(&k, &e) == -1);
	setenv(RELEASE_SLUGS_ENV, "-1", 1);
	TEST("keep: negative refused", release_keep_slugs(&k, &e) == -1);
	unsetenv(RELEASE_SLUGS_ENV);
}

static void
test_create(void)
{
	struct appstate *st;
	struct release r, *v;
	struct errbuf e;
	char sha[DIGEST_HEX_SIZE];
	unsigned n1 = 0, n2 = 0;
	size_t n;

	use_state("c");
	st = open_app("web");
	TEST("get: no releases",
	    release_get(st, 0, &r, &e) == RELEASE_NONE &&
		strstr(e.msg, "no releases") != NULL);
	TEST("list: no releases is empty",
	    release_list(st, &v, &n, &e) == 0 && n == 0 && v == NULL);
	set1(st, "FOO", "bar");
	TEST("create: v1",
	    deploy(st, at(tmpdir, "slug-a.tgz"), "abc1234", &n1, &e) == 0 &&
		n1 == 1);
	TEST("create: the slug is hard-linked",
	    same_inode(at(tmpdir, "slug-a.tgz"), rel_file(st, 1, "slug.tgz")));
	TEST("create: release.yml copied",
	    same_file(at(tmpdir, "release.yml"),
		rel_file(st, 1, "release.yml")) &&
		!same_inode(at(tmpdir, "release.yml"),
		    rel_file(st, 1, "release.yml")));
	TEST("create: no .new-* left",
	    count_prefix(at(st->dir, "releases"), ".new-") == 0);
	TEST("get: current is v1",
	    release_get(st, 0, &r, &e) == 0 && r.version == 1 &&
		r.corrupt == NULL && !r.pruned &&
		strcmp(r.commit, "abc1234") == 0 &&
		strcmp(r.description, "Deploy abc1234") == 0 &&
		r.slug_size == 3000 && strlen(r.created) == 20 &&
		digest_file_hex(at(tmpdir, "slug-a.tgz"), sha, &e) == 0 &&
		strcmp(sha, r.sha256) == 0);
	release_clear(&r);
	TEST("create: config snapshot", release_get(st, 1, &r, &e) == 0);
	{
		struct envdir *cfg;

		TEST("config: read back",
		    release_config(&r, &cfg, &e) == 0 &&
			strcmp(envdir_get(cfg, "FOO"), "bar") == 0);
		envdir_free(cfg);
	}
	release_clear(&r);
	/* A leftover of a killed run is swept by the next create. */
	TEST("create: leftover made",
	    mkdir(at(st->dir, "releases/.new-dead01"), 0700) == 0 &&
		put_file(at(st->dir, "releases/.new-dead01/slug.tgz"), "x", 1,
		    0600) == 0);
	set1(st, "FOO", "baz");
	{
		struct release_new in = {0};

		in.config = NULL;
		in.description = "Set FOO config vars";
		TEST("create: from the current slug",
		    release_create(st, &in, &n2, &e) == 0 && n2 == 2);
	}
	TEST("create: leftover swept",
	    count_prefix(at(st->dir, "releases"), ".new-") == 0);
	TEST("create: v2 shares v1's slug",
	    same_inode(rel_file(st, 1, "slug.tgz"),
		rel_file(st, 2, "slug.tgz")));
	TEST("list: newest first",
	    release_list(st, &v, &n, &e) == 0 && n == 2 && v[0].version == 2 &&
		v[1].version == 1 &&
		strcmp(v[0].description, "Set FOO config vars") == 0 &&
		strcmp(v[0].sha256, v[1].sha256) == 0);
	release_list_free(v, n);
	TEST("get: unknown version",
	    release_get(st, 9, &r, &e) == RELEASE_UNKNOWN &&
		strstr(e.msg, "v9") != NULL);
	{
		struct release_new in = {0};

		in.slug_of = 7;
		TEST("create: from an unknown version",
		    release_create(st, &in, NULL, &e) == RELEASE_UNKNOWN);
		in.slug = at(tmpdir, "slug-a.tgz");
		TEST("create: slug and version both refused",
		    release_create(st, &in, NULL, &e) == -1);
		in.slug_of = 0;
		in.slug = at(tmpdir, "nope.tgz");
		TEST("create: a missing slug is an error, nothing made",
		    release_create(st, &in, NULL, &e) == -1 &&
			strstr(e.msg, "nope.tgz") != NULL &&
			!fs_exists(at(st->dir, "releases/v3")) &&
			count_prefix(at(st->dir, "releases"), ".new-") == 0);
		in.slug = at(tmpdir, "slug-a.tgz");
		in.release_yml = at(tmpdir, "bad.yml");
		TEST("create: a bad release.yml is refused",
		    release_create(st, &in, NULL, &e) == -1 &&
			strstr(e.msg, "bad.yml") != NULL &&
			!fs_exists(at(st->dir, "releases/v3")));
	}
	appstate_close(st);
}

static void
test_copy(void)
{
	struct appstate *st;
	struct release r;
	struct errbuf e;
	char sha[DIGEST_HEX_SIZE];
	unsigned n = 0;

	/* The state on a tmpfs, the slug on the scratch directory's file
	 * system: the slug is copied, and hashed on the way. */
	if (tmpfs_mount(at(tmpdir, "cp"), 4 << 20) == -1) {
		TEST("copy: tmpfs mounted", 0);
		return;
	}
	use_state("cp");
	st = open_app("copied");
	TEST("copy: create",
	    deploy(st, at(tmpdir, "slug-a.tgz"), "c0ffee0", &n, &e) == 0 &&
		n == 1);
	TEST("copy: a copy, not a link",
	    !same_inode(at(tmpdir, "slug-a.tgz"),
		rel_file(st, 1, "slug.tgz")) &&
		same_file(at(tmpdir, "slug-a.tgz"),
		    rel_file(st, 1, "slug.tgz")));
	TEST("copy: its sha256",
	    release_get(st, 1, &r, &e) == 0 &&
		digest_file_hex(at(tmpdir, "slug-a.tgz"), sha, &e) == 0 &&
		strcmp(r.sha256, sha) == 0 && r.corrupt == NULL);
	release_clear(&r);
	appstate_close(st);
	tmpfs_umount(at(tmpdir, "cp"));
}

static void
test_full_disk(void)
{
	struct appstate *st;
	struct release *v;
	struct errbuf e;
	size_t n;
	char *big;
	unsigned ver = 0;

	if (tmpfs_mount(at(tmpdir, "full"), 1 << 20) == -1) {
		TEST("full: tmpfs mounted", 0);
		return;
	}
	use_state("full");
	st = open_app("full");
	/* A 2 MiB slug copied onto a 1 MiB file system. */
	big = calloc(1, 2 << 20);
	TEST("full: big slug made",
	    big != NULL &&
		put_file(at(tmpdir, "big.tgz"), big, 2 << 20, 0644) == 0);
	free(big);
	TEST("full: the copy fails with ENOSPC",
	    deploy(st, at(tmpdir, "big.tgz"), "f00", &ver, &e) == -1 &&
		strstr(e.msg, "No space left") != NULL);
	TEST("full: no v1, no .new-*",
	    !fs_exists(at(st->dir, "releases/v1")) &&
		count_prefix(at(st->dir, "releases"), ".new-") == 0);
	/* A slug on the same file system is linked; then the disk fills
	 * up and release.yml or meta.yml cannot be written. */
	TEST("full: small slug in the state's fs",
	    put_file(at(tmpdir, "full/small.tgz"), "sss", 3, 0644) == 0 &&
		fill_fs(at(tmpdir, "full/filler"), 0) == 0);
	TEST("full: a write fails with ENOSPC",
	    deploy(st, at(tmpdir, "full/small.tgz"), "f01", &ver, &e) == -1 &&
		strstr(e.msg, "No space left") != NULL);
	TEST("full: still no v1, no .new-*",
	    !fs_exists(at(st->dir, "releases/v1")) &&
		count_prefix(at(st->dir, "releases"), ".new-") == 0 &&
		release_list(st, &v, &n, &e) == 0 && n == 0);
	TEST("full: space back", unlink(at(tmpdir, "full/filler")) == 0);
	TEST("full: now it works",
	    deploy(st, at(tmpdir, "full/small.tgz"), "f02", &ver, &e) == 0 &&
		ver == 1);
	appstate_close(st);
	tmpfs_umount(at(tmpdir, "full"));
}

/* Three releases, each made corrupt another way: listed with a reason,
 * refused by rollback and by release_usable. */
static void
test_corrupt(void)
{
	struct appstate *st;
	struct release *v, r;
	struct errbuf e;
	unsigned i, ver;
	char d[3000];
	size_t n;

	use_state("bad");
	st = open_app("bad");
	/* Its own slug: one of these is truncated through a hard link. */
	memset(d, 'd', sizeof d);
	if (put_file(at(tmpdir, "slug-d.tgz"), d, sizeof d, 0644) == -1)
		abort();
	for (i = 0; i < 5; i++)
		if (deploy(st, at(tmpdir, "slug-d.tgz"), "b", &ver, &e) == -1) {
			fprintf(stderr, "%s\n", e.msg);
			abort();
		}
	TEST("corrupt: slug removed", unlink(rel_file(st, 1, "slug.tgz")) == 0);
	put(rel_file(st, 2, "meta.yml") + strlen(tmpdir) + 1, "version: [1\n",
	    0600);
	put(rel_file(st, 3, "release.yml") + strlen(tmpdir) + 1, "- a\n- b\n",
	    0600);
	TEST("corrupt: v4's config removed",
	    unlink(rel_file(st, 4, "config.yml")) == 0);
	TEST("corrupt: list is no error",
	    release_list(st, &v, &n, &e) == 0 && n == 5);
	if (n == 5) {
		TEST("corrupt: v5 fine", v[0].corrupt == NULL);
		TEST("corrupt: v4 no config",
		    v[1].corrupt != NULL &&
			strcmp(v[1].corrupt, "config.yml missing") == 0);
		TEST("corrupt: v3 release.yml not a mapping",
		    v[2].corrupt != NULL &&
			strncmp(v[2].corrupt, "release.yml:1:", 14) == 0);
		TEST("corrupt: v2 meta.yml",
		    v[3].corrupt != NULL &&
			strncmp(v[3].corrupt, "meta.yml:", 9) == 0 &&
			strchr(v[3].corrupt, '\n') == NULL);
		TEST("corrupt: v1 slug missing",
		    v[4].corrupt != NULL &&
			strstr(v[4].corrupt, "slug.tgz: No such file") != NULL);
	}
	release_list_free(v, n);
	TEST("corrupt: usable says why",
	    release_get(st, 1, &r, &e) == 0 &&
		release_usable(&r, &e) == RELEASE_CORRUPT &&
		strstr(e.msg, "v1 is corrupt: slug.tgz") != NULL);
	release_clear(&r);
	TEST("corrupt: rollback refuses",
	    release_rollback(st, 2, NULL, NULL, &e) == RELEASE_CORRUPT &&
		strstr(e.msg, "v2 is corrupt") != NULL &&
		!fs_exists(rel_file(st, 6, "")));
	TEST("corrupt: default rollback (v4) refuses",
	    release_rollback(st, 0, NULL, NULL, &e) == RELEASE_CORRUPT);
	TEST("corrupt: a slug of the wrong size",
	    truncate(rel_file(st, 5, "slug.tgz"), 10) == 0 &&
		release_get(st, 5, &r, &e) == 0 && r.corrupt != NULL &&
		strstr(r.corrupt, "meta.yml says 3000") != NULL);
	release_clear(&r);
	TEST("corrupt: creating from a corrupt current refused",
	    release_create(st, &(struct release_new){.description = "x"}, NULL,
		&e) == RELEASE_CORRUPT &&
		!fs_exists(rel_file(st, 6, "")));
	appstate_close(st);
}

static void
test_prune(void)
{
	struct appstate *st;
	struct release *v, r;
	struct errbuf e;
	const char *slugs[] = {"slug-a.tgz", "slug-b.tgz", "slug-c.tgz",
	    "slug-b.tgz"};
	unsigned i, ver;
	size_t n, removed;

	use_state("pr");
	st = open_app("pruned");
	setenv(RELEASE_SLUGS_ENV, "2", 1);
	/* v1 a, v2 b, v3 c, v4 b (a copy in another file, same sha256) */
	for (i = 0; i < 4; i++)
		if (deploy(st, at(tmpdir, slugs[i]), "p", &ver, &e) == -1) {
			fprintf(stderr, "%s\n", e.msg);
			abort();
		}
	unsetenv(RELEASE_SLUGS_ENV);
	TEST("prune: create pruned beyond 2 distinct slugs",
	    !fs_exists(rel_file(st, 1, "slug.tgz")) &&
		fs_exists(rel_file(st, 2, "slug.tgz")) &&
		fs_exists(rel_file(st, 3, "slug.tgz")) &&
		fs_exists(rel_file(st, 4, "slug.tgz")));
	TEST("prune: metadata stays, marked",
	    release_list(st, &v, &n, &e) == 0 && n == 4 && v[3].pruned &&
		v[3].corrupt == NULL && !v[0].pruned && !v[2].pruned &&
		strcmp(v[3].description, "Deploy p") == 0);
	release_list_free(v, n);
	TEST("prune: meta.yml says pruned",
	    release_get(st, 1, &r, &e) == 0 && r.pruned);
	TEST("prune: usable refuses a pruned one",
	    release_usable(&r, &e) == RELEASE_PRUNED &&
		strstr(e.msg, "v1's slug was pruned") != NULL);
	release_clear(&r);
	TEST("prune: rollback refuses it",
	    release_rollback(st, 1, NULL, NULL, &e) == RELEASE_PRUNED &&
		!fs_exists(rel_file(st, 5, "")));
	/* v2 and v4 share one slug: keeping it keeps both. */
	TEST("prune: keep 1",
	    release_prune(st, 1, &removed, &e) == 0 && removed == 1 &&
		fs_exists(rel_file(st, 4, "slug.tgz")) &&
		!fs_exists(rel_file(st, 3, "slug.tgz")) &&
		fs_exists(rel_file(st, 2, "slug.tgz")));
	TEST("prune: again removes nothing",
	    release_prune(st, 1, &removed, &e) == 0 && removed == 0);
	TEST("prune: keep 0 refused", release_prune(st, 0, NULL, &e) == -1);
	appstate_close(st);
}

static void
test_rollback(void)
{
	struct appstate *st;
	struct release r;
	struct envdir *cfg;
	struct errbuf e;
	unsigned ver, from = 0, nv = 0;
	char *val;

	use_state("rb");
	st = open_app("rolled");
	TEST("rollback: no releases",
	    release_rollback(st, 0, NULL, NULL, &e) == RELEASE_NONE);
	set1(st, "MODE", "one");
	TEST("rollback: v1",
	    deploy(st, at(tmpdir, "slug-a.tgz"), "aaa", &ver, &e) == 0);
	TEST("rollback: only v1",
	    release_rollback(st, 0, NULL, NULL, &e) == RELEASE_NONE &&
		strstr(e.msg, "only v1") != NULL);
	set1(st, "MODE", "two");
	TEST("rollback: v2",
	    deploy(st, at(tmpdir, "slug-b.tgz"), "bbb", &ver, &e) == 0 &&
		ver == 2);
	TEST("rollback: unknown",
	    release_rollback(st, 8, NULL, NULL, &e) == RELEASE_UNKNOWN);
	TEST("rollback: to the one before",
	    release_rollback(st, 0, &from, &nv, &e) == 0 && from == 1 &&
		nv == 3);
	TEST("rollback: v3 has v1's slug and commit",
	    release_get(st, 3, &r, &e) == 0 &&
		same_inode(rel_file(st, 1, "slug.tgz"),
		    rel_file(st, 3, "slug.tgz")) &&
		strcmp(r.description, "Rollback to v1") == 0 &&
		strcmp(r.commit, "aaa") == 0);
	TEST("rollback: its config is v1's",
	    release_config(&r, &cfg, &e) == 0 &&
		strcmp(envdir_get(cfg, "MODE"), "one") == 0);
	envdir_free(cfg);
	release_clear(&r);
	TEST("rollback: the app's config follows",
	    appstate_config_get(st, "MODE", &val, &e) == 0 &&
		strcmp(val, "one") == 0);
	free(val);
	TEST("rollback: to v2 by number",
	    release_rollback(st, 2, &from, &nv, &e) == 0 && from == 2 &&
		nv == 4 && appstate_config_get(st, "MODE", &val, &e) == 0 &&
		strcmp(val, "two") == 0);
	free(val);
	appstate_close(st);
}

int
main(void)
{
	char a[3000], b[3000];

	if (tmp_init("test_release") == -1)
		return 1;
	atexit(cleanup);
	memset(a, 'a', sizeof a);
	memset(b, 'b', sizeof b);
	if (put_file(at(tmpdir, "slug-a.tgz"), a, sizeof a, 0644) == -1 ||
	    put_file(at(tmpdir, "slug-b.tgz"), b, sizeof b, 0644) == -1 ||
	    put_file(at(tmpdir, "slug-c.tgz"), "ccc", 3, 0644) == -1)
		abort();
	put("release.yml", "---\ndefault_process_types:\n  web: node x.js\n",
	    0644);
	put("bad.yml", "web: [unclosed\n", 0644);
	test_keep();
	test_create();
	test_copy();
	test_full_disk();
	test_corrupt();
	test_prune();
	test_rollback();
	return test_report();
}
