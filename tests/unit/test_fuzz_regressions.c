/* test_fuzz_regressions.c - replays the fuzzers' inputs as unit tests.
 *
 * Every file in tests/fuzz/crashes/NAME/ (inputs a fuzzer once crashed on)
 * and in tests/fuzz/corpus/NAME/ (the seeds) goes through the same checker
 * the libFuzzer target fuzz_NAME runs, included here from tests/fuzz, so a
 * crash found by `make fuzz` stays fixed, and the normal and SAN builds
 * check the fuzz invariants on every seed.  The checkers' own models are
 * tested too, on cases where the answer is known, so that a checker that
 * silently accepts everything would be caught.  Run from the repository
 * root (as tests/run does), or set SLUGC_FUZZ_DIR. */
#define FUZZ_NO_MAIN
#include "../fuzz/fuzz_manifest.c"
#include "../fuzz/fuzz_pack_unpack.c"
#include "../fuzz/fuzz_procfile.c"
#include "../fuzz/fuzz_runtime_versions.c"
#include "../fuzz/fuzz_unpack.c"
#include "../fuzz/fuzz_unpack_policy.c"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "testhelp.h"

struct target {
	const char *name;
	int (*one)(const uint8_t *, size_t);
	size_t min_seeds;
};

static const struct target targets[] = {
    {"procfile", fuzz_procfile_one, 5},
    {"manifest", fuzz_manifest_one, 10},
    {"runtime_versions", fuzz_runtime_versions_one, 8},
    {"unpack_policy", fuzz_unpack_policy_one, 15},
    {"unpack", fuzz_unpack_one, 30},
    {"pack_unpack", fuzz_pack_unpack_one, 15},
};

static int
only_files(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* Reads path into an exactly-sized buffer (so that ASan sees any read past
 * the input's end, as under libFuzzer).  NULL on failure. */
static uint8_t *
load(const char *path, size_t *len)
{
	struct errbuf e;
	char *text;
	uint8_t *buf;

	if ((text = fs_read_file(path, 16 << 20, len, &e)) == NULL) {
		fprintf(stderr, "%s\n", e.msg);
		return NULL;
	}
	if ((buf = malloc(*len ? *len : 1)) != NULL)
		memcpy(buf, text, *len);
	free(text);
	return buf;
}

/* Replays every file of dir through t; returns how many there were.  A
 * missing dir holds none. */
static size_t
replay(const struct target *t, const char *dir, const char *kind)
{
	struct dirent **names;
	char path[4096], descr[4500];
	uint8_t *buf;
	size_t len, count = 0;
	int n, i;

	if ((n = scandir(dir, &names, only_files, alphasort)) < 0)
		return 0;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		snprintf(descr, sizeof descr,
		    "fuzz_%s: %s %s keeps every "
		    "invariant",
		    t->name, kind, names[i]->d_name);
		buf = load(path, &len);
		TEST(descr, buf != NULL && t->one(buf, len) == 0);
		free(buf);
		free(names[i]);
		count++;
	}
	free(names);
	return count;
}

/* The lexical model of pathcheck.h and the policy's promises, on cases
 * decided by hand. */
static void
test_models(void)
{
	TEST("model: a file below the root is safe",
	    pc_entry_safe("a/b", S_IFREG, NULL, NULL));
	TEST("model: '..' is unsafe",
	    !pc_entry_safe("a/../../b", S_IFREG, NULL, NULL));
	TEST("model: an absolute path is unsafe",
	    !pc_entry_safe("/etc/passwd", S_IFREG, NULL, NULL));
	TEST("model: a file replacing the root is unsafe",
	    !pc_entry_safe("./", S_IFREG, NULL, NULL));
	TEST("model: a device is unsafe",
	    !pc_entry_safe("dev", S_IFCHR, NULL, NULL));
	TEST("model: a symlink to its sibling is safe",
	    pc_entry_safe("a/l", S_IFLNK, "b", NULL));
	TEST("model: a symlink up to the root is safe",
	    pc_entry_safe("a/b/l", S_IFLNK, "../../c", NULL));
	TEST("model: a symlink above the root is unsafe",
	    !pc_entry_safe("a/l", S_IFLNK, "../../c", NULL));
	TEST("model: a symlink climbing after names is unsafe",
	    !pc_entry_safe("l", S_IFLNK, "a/b/../../..", NULL));
	TEST("model: an absolute symlink is unsafe",
	    !pc_entry_safe("l", S_IFLNK, "/tmp", NULL));
	TEST("model: a hard link inside is safe",
	    pc_entry_safe("h", S_IFREG, NULL, "a/f"));
	TEST("model: a hard link out is unsafe",
	    !pc_entry_safe("h", S_IFREG, NULL, "../f"));
	TEST("model: a hard link to the root is unsafe",
	    !pc_entry_safe("h", S_IFREG, NULL, "."));
	TEST("promise: leading '..' within depth",
	    pol_promised("a/b/l", S_IFLNK, "../x/y", NULL));
	TEST("promise: none for '..' after a name",
	    !pol_promised("a/b/l", S_IFLNK, "x/../y", NULL));
	TEST("promise: none for a FIFO",
	    !pol_promised("p", S_IFIFO, NULL, NULL));
	TEST("pack model: a link up to the slug's root is kept",
	    pu_link_kept("./app/l", "../x"));
	TEST("pack model: a link above the slug's root is not",
	    !pu_link_kept("./app/l", "../../x"));
	TEST("pack model: with the prefix '.', the app is the root",
	    !pu_link_kept("./l", "../x"));
	TEST("pack model: '..' after a name is not kept",
	    !pu_link_kept("./app/a/l", "b/../c"));
	TEST("pack model: an absolute link is not kept",
	    !pu_link_kept("./app/l", "/etc/passwd"));
	TEST("pack model: a link to '.' is kept", pu_link_kept("./l", "."));
}

static bool
mk(const char *root, const char *rel, const char *link)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	if (link != NULL)
		return symlink(link, path) == 0;
	if (rel[strlen(rel) - 1] == '/')
		return mkdir(path, 0755) == 0;
	if ((f = fopen(path, "w")) == NULL)
		return false;
	return fclose(f) == 0;
}

/* The on-disk checks of fuzz_unpack, on trees built by hand. */
static void
test_tree_checks(void)
{
	struct errbuf e;
	char *base, root[4096], path[4200], out[4200];

	base =
	    fs_mkdtemp(getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR")
							     : "/tmp",
		"test_fuzz_regressions.", &e);
	TEST("temp dir", base != NULL);
	if (base == NULL)
		return;
	snprintf(root, sizeof root, "%s/root", base);
	TEST("a sane tree is built",
	    mkdir(root, 0755) == 0 && mk(root, "a/", NULL) &&
		mk(root, "a/f", NULL) && mk(root, "a/up", "..") &&
		mk(root, "a/sib", "f") && mk(root, "top", "a/up/a/f"));
	TEST("a sane tree passes", ua_check_tree(root) == 0);

	/* a/up is the root, so a/up/.. is the root's parent: lexically
	 * "a/up/.." stays inside, on disk it does not. */
	TEST("on disk, a/up/.. leaves the root",
	    !ua_resolves_inside(root, "a", "up/.."));
	TEST("lexically, a/up/.. looks inside",
	    pc_symlink_inside("a/l", "up/.."));
	TEST("on disk, a/up/a/f is inside",
	    ua_resolves_inside(root, "a", "up/a/f"));
	TEST("a symlink loop is not an escape",
	    mk(root, "loop", "loop") && ua_resolves_inside(root, "", "loop/x"));

	TEST("an escaping symlink is built", mk(root, "a/out", "up/.."));
	fprintf(stderr, "(the next three invariant reports are expected)\n");
	TEST("an escaping symlink is caught", ua_check_tree(root) == -1);
	snprintf(path, sizeof path, "%s/a/out", root);
	unlink(path);

	snprintf(path, sizeof path, "%s/a/f", root);
	TEST("a setuid file is caught",
	    chmod(path, 04755) == 0 && ua_check_tree(root) == -1);
	chmod(path, 0644);

	snprintf(out, sizeof out, "%s/linked-out", base);
	snprintf(path, sizeof path, "%s/a/in", root);
	TEST("a hard link out of the tree is caught",
	    mk(base, "linked-out", NULL) && link(out, path) == 0 &&
		ua_check_tree(root) == -1);
	unlink(path);
	TEST("a hard link inside the tree passes",
	    link(out, path) == 0 && unlink(out) == 0 &&
		ua_check_tree(root) == 0);
	TEST("removed", fs_rm_rf(base, &e) == 0);
	free(base);
}

/* The archive pre-scan of fuzz_unpack on seeds whose verdict is known. */
static void
test_prescan(const char *fuzzdir)
{
	static const struct {
		const char *file;
		bool unsafe;
	} cases[] = {
	    {"good.tar", false},
	    {"good.tar.gz", false},
	    {"good.tar.xz", false},
	    {"good.tar.zst", false},
	    {"good-pax.tar.gz", false},
	    {"gnu-longname.tar.gz", false},
	    {"dotdot.tar", true},
	    {"dotdot.tar.gz", true},
	    {"absolute.tar", true},
	    {"symlink-up.tar", true},
	    {"symlink-abs.tar", true},
	    {"hardlink-out.tar", true},
	    {"chardev.tar", true},
	    {"fifo.tar", true},
	    {"symlink-write-through.tar.xz", true},
	    {"not-tar.zip", false},
	};
	char path[4096], descr[256];
	uint8_t *buf;
	size_t i, len;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(path, sizeof path, "%s/corpus/unpack/%s", fuzzdir,
		    cases[i].file);
		snprintf(descr, sizeof descr, "pre-scan calls %s %s",
		    cases[i].file, cases[i].unsafe ? "unsafe" : "safe");
		buf = load(path, &len);
		TEST(descr,
		    buf != NULL && ua_has_unsafe(buf, len) == cases[i].unsafe);
		free(buf);
	}
}

int
main(void)
{
	const char *fuzzdir = getenv("SLUGC_FUZZ_DIR");
	char dir[4096], descr[256];
	size_t i, seeds;

	/* The replay is always strict about one-line messages. */
	unsetenv("FUZZ_LAX_MESSAGES");
	if (fuzzdir == NULL || *fuzzdir == '\0')
		fuzzdir = "tests/fuzz";
	TEST("the fuzz directory is there", fs_is_dir(fuzzdir));

	test_models();
	test_tree_checks();
	test_prescan(fuzzdir);

	for (i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		snprintf(dir, sizeof dir, "%s/corpus/%s", fuzzdir,
		    targets[i].name);
		seeds = replay(&targets[i], dir, "seed");
		snprintf(descr, sizeof descr, "fuzz_%s has at least %zu seeds",
		    targets[i].name, targets[i].min_seeds);
		TEST(descr, seeds >= targets[i].min_seeds);
		snprintf(dir, sizeof dir, "%s/crashes/%s", fuzzdir,
		    targets[i].name);
		replay(&targets[i], dir, "crash");
	}
	return test_report();
}
