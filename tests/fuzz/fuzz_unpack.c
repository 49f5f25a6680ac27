/* fuzz_unpack.c - unpack_cb on arbitrary bytes, for real, on disk.
 *
 * Each input is extracted into BASE/d1/d2/root, BASE a fresh directory
 * under /dev/shm (or $TMPDIR, or /tmp), with small limits.  d1 and d2 each
 * hold a file "keep".  Invariants:
 * - if an entry that pathcheck.h calls unsafe (absolute, '..', escaping
 *   symlink, hard link out, device, FIFO, socket) comes before anything
 *   libarchive itself cannot read, unpack_cb fails;
 * - on failure the message is one line and root is gone; on success root
 *   is a directory;
 * - either way BASE, d1 and d2 list exactly what they held (plus root on
 *   success) and both "keep" files are intact;
 * - on success the tree holds only directories (with owner rwx), regular
 *   files without setuid/setgid, and symlinks that stay inside root when
 *   resolved on disk (following the symlinks in the tree); every hard link
 *   count is accounted for by names inside the tree; the files hold at
 *   most the byte limit.
 * The whole BASE is removed after each input. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fsutil.h"
#include "fuzz.h"
#include "pathcheck.h"
#include "unpack.h"

#define UA "fuzz_unpack"
#define UA_MAX_BYTES (1 << 20)
#define UA_MAX_ENTRIES 256
#define UA_KEEP "keep\n"
#define UA_PATH 8192

struct ua_input {
	const uint8_t	*data;
	size_t		 size;
	size_t		 off;
};

/* Odd-sized reads, so that headers and blocks straddle read boundaries. */
static ssize_t
ua_read(void *arg, void *buf, size_t len)
{
	struct ua_input *in = arg;
	size_t n = in->size - in->off;

	if (n > len)
		n = len;
	if (n > 1021)
		n = 1021;
	memcpy(buf, in->data + in->off, n);
	in->off += n;
	return (ssize_t)n;
}

/* Reads the archive's headers the way unpack_cb does (tar, gzip, xz,
 * zstd) and returns true if an unsafe entry comes before the first read
 * error. */
static bool
ua_has_unsafe(const uint8_t *data, size_t size)
{
	struct archive *a;
	struct archive_entry *ent;
	const char *hl;
	mode_t type;
	bool unsafe = false;
	int r;

	if ((a = archive_read_new()) == NULL)
		return false;
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	if (archive_read_open_memory(a, data, size) != ARCHIVE_OK)
		goto out;
	while (!unsafe) {
		r = archive_read_next_header(a, &ent);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			break;
		if (archive_entry_pathname(ent) == NULL)
			break;	/* unpack_cb refuses it anyway */
		type = archive_entry_filetype(ent);
		hl = archive_entry_hardlink(ent);
		unsafe = !pc_entry_safe(archive_entry_pathname(ent), type,
		    type == AE_IFLNK ? archive_entry_symlink(ent) : NULL, hl);
	}
out:
	archive_read_free(a);
	return unsafe;
}

/* The names in dir, sorted, joined by '/', into out. */
static int
ua_listing(const char *dir, char *out, size_t size)
{
	struct dirent **names;
	size_t o = 0;
	int n, i, rc = 0;

	out[0] = '\0';
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0)
		return fuzz_fail(UA, "scandir %s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 &&
		    strcmp(names[i]->d_name, "..") != 0 && rc == 0) {
			if (o + strlen(names[i]->d_name) + 2 > size)
				rc = fuzz_fail(UA, "listing of %s too long",
				    dir);
			else
				o += (size_t)snprintf(out + o, size - o,
				    "%s%s", o ? "/" : "", names[i]->d_name);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
ua_expect_listing(const char *dir, const char *want)
{
	char got[1024];

	if (ua_listing(dir, got, sizeof got) == -1)
		return -1;
	if (strcmp(got, want) != 0)
		return fuzz_fail(UA, "%s holds '%s', expected '%s'", dir, got,
		    want);
	return 0;
}

static int
ua_expect_keep(const char *dir)
{
	char path[UA_PATH], got[64];
	struct stat st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/keep", dir);
	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || (st.st_mode & 07777) != 0644)
		return fuzz_fail(UA, "%s was replaced or linked", path);
	if ((f = fopen(path, "r")) == NULL)
		return fuzz_fail(UA, "open %s: %s", path, strerror(errno));
	n = fread(got, 1, sizeof got, f);
	fclose(f);
	if (n != strlen(UA_KEEP) || memcmp(got, UA_KEEP, n) != 0)
		return fuzz_fail(UA, "%s was overwritten", path);
	return 0;
}

/* Whether a symlink in directory dir (relative to root, "" for root itself)
 * pointing at target stays inside root, following every symlink met on the
 * way as the kernel would.  Components that do not exist are taken
 * lexically.  A chain too long for the kernel to follow cannot escape. */
static bool
ua_resolves_inside(const char *root, const char *dir, const char *target)
{
	char cur[UA_PATH], rest[UA_PATH], full[2 * UA_PATH + 2];
	char link[UA_PATH], tmp[UA_PATH];
	const char *p, *c;
	struct stat st;
	size_t n, cl;
	ssize_t ll;
	int hops = 0;

	if (target[0] == '/')
		return false;
	if (strlen(dir) >= sizeof cur || strlen(target) >= sizeof rest)
		return true;	/* ENAMETOOLONG */
	strcpy(cur, dir);
	strcpy(rest, target);
	p = rest;
	while ((p = pc_next(p, &c, &n)) != NULL) {
		if (pc_dotdot(c, n)) {
			if (cur[0] == '\0')
				return false;
			*(strrchr(cur, '/') ? strrchr(cur, '/') : cur) = '\0';
			continue;
		}
		cl = strlen(cur);
		if (cl + n + 2 > sizeof cur)
			return true;
		snprintf(cur + cl, sizeof cur - cl, "%s%.*s", cl ? "/" : "",
		    (int)n, c);
		snprintf(full, sizeof full, "%s/%s", root, cur);
		if (lstat(full, &st) == -1 || !S_ISLNK(st.st_mode))
			continue;
		if (++hops > 40)
			return true;	/* ELOOP */
		if ((ll = readlink(full, link, sizeof link - 1)) < 0)
			return true;
		link[ll] = '\0';
		if (link[0] == '/')
			return false;
		cur[cl] = '\0';
		/* Go on with the link's target, then what followed it. */
		if ((size_t)snprintf(tmp, sizeof tmp, "%s/%s", link, p) >=
		    sizeof tmp)
			return true;
		strcpy(rest, tmp);
		p = rest;
	}
	return true;
}

struct ua_inode {
	dev_t	dev;
	ino_t	ino;
	nlink_t	nlink;
	off_t	size;
};

struct ua_walk {
	const char		*root;
	struct ua_inode		*inodes;
	size_t			 ninodes;
	size_t			 cap;
};

/* Checks the tree under root/rel, depth first. */
static int
ua_walk(struct ua_walk *w, const char *rel, int depth)
{
	char full[2 * UA_PATH + 2], child[UA_PATH], target[UA_PATH];
	struct dirent *de;
	struct stat st;
	struct ua_inode *ni;
	const char *slash;
	ssize_t n;
	DIR *d;
	int rc = 0;

	if (depth > 300)
		return fuzz_fail(UA, "tree deeper than 300");
	snprintf(full, sizeof full, "%s%s%s", w->root, *rel ? "/" : "", rel);
	if ((d = opendir(full)) == NULL)
		return fuzz_fail(UA, "opendir %s: %s", full, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(child, sizeof child, "%s%s%s", rel,
		    *rel ? "/" : "", de->d_name) >= sizeof child) {
			rc = fuzz_fail(UA, "path too long under %s", rel);
			break;
		}
		snprintf(full, sizeof full, "%s/%s", w->root, child);
		if (lstat(full, &st) == -1) {
			rc = fuzz_fail(UA, "lstat %s: %s", full,
			    strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if ((st.st_mode & S_IRWXU) != S_IRWXU ||
			    (st.st_mode & (S_ISUID | S_ISGID)) != 0)
				rc = fuzz_fail(UA, "directory %s has mode "
				    "%o", child, (unsigned)st.st_mode);
			else
				rc = ua_walk(w, child, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			if ((st.st_mode & (S_ISUID | S_ISGID)) != 0) {
				rc = fuzz_fail(UA, "file %s has mode %o",
				    child, (unsigned)st.st_mode);
				break;
			}
			if (w->ninodes == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 64;
				if ((ni = realloc(w->inodes, w->cap *
				    sizeof *ni)) == NULL) {
					rc = fuzz_fail(UA, "out of memory");
					break;
				}
				w->inodes = ni;
			}
			w->inodes[w->ninodes++] = (struct ua_inode){
				st.st_dev, st.st_ino, st.st_nlink, st.st_size };
		} else if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(full, target, sizeof target - 1)) <
			    0) {
				rc = fuzz_fail(UA, "readlink %s: %s", full,
				    strerror(errno));
				break;
			}
			target[n] = '\0';
			/* The link's directory, relative to root. */
			slash = strrchr(child, '/');
			child[slash ? (size_t)(slash - child) : 0] = '\0';
			if (!ua_resolves_inside(w->root, child, target))
				rc = fuzz_fail(UA, "symlink in '%s' to '%s' "
				    "leaves the root", child, target);
		} else
			rc = fuzz_fail(UA, "%s has type %o", child,
			    (unsigned)(st.st_mode & S_IFMT));
	}
	closedir(d);
	return rc;
}

/* Every hard link count is made of names inside the tree, and the files,
 * each inode counted once, hold at most the byte limit. */
static int
ua_check_links(struct ua_walk *w)
{
	unsigned long long bytes = 0;
	size_t i, j, seen;
	bool first;

	for (i = 0; i < w->ninodes; i++) {
		for (j = 0, seen = 0, first = true; j < w->ninodes; j++)
			if (w->inodes[j].dev == w->inodes[i].dev &&
			    w->inodes[j].ino == w->inodes[i].ino) {
				seen++;
				if (j < i)
					first = false;
			}
		if (seen != w->inodes[i].nlink)
			return fuzz_fail(UA, "a file has %lu links, %zu of "
			    "them in the tree", (unsigned long)
			    w->inodes[i].nlink, seen);
		if (first)
			bytes += (unsigned long long)w->inodes[i].size;
	}
	if (bytes > UA_MAX_BYTES)
		return fuzz_fail(UA, "%llu bytes extracted, limit %d", bytes,
		    UA_MAX_BYTES);
	return 0;
}

static int
ua_check_tree(const char *root)
{
	struct ua_walk w = { root, NULL, 0, 0 };
	int rc;

	if ((rc = ua_walk(&w, "", 0)) == 0)
		rc = ua_check_links(&w);
	free(w.inodes);
	return rc;
}

static const char *
ua_tmpdir(void)
{
	const char *t;

	if (access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	t = getenv("TMPDIR");
	return t != NULL && *t != '\0' ? t : "/tmp";
}

static int
ua_make_keep(const char *dir)
{
	char path[UA_PATH];
	FILE *f;

	snprintf(path, sizeof path, "%s/keep", dir);
	if ((f = fopen(path, "w")) == NULL)
		return fuzz_fail(UA, "create %s: %s", path, strerror(errno));
	fputs(UA_KEEP, f);
	if (fclose(f) != 0 || chmod(path, 0644) == -1)
		return fuzz_fail(UA, "write %s: %s", path, strerror(errno));
	return 0;
}

int
fuzz_unpack_one(const uint8_t *data, size_t size)
{
	struct unpack_limits lim = { UA_MAX_BYTES, UA_MAX_ENTRIES, 50,
	    64 << 10 };
	struct ua_input in = { data, size, 0 };
	char d1[UA_PATH], d2[UA_PATH], root[UA_PATH];
	struct errbuf e;
	struct stat st;
	char *base;
	bool unsafe, ok;
	int rc = -1;

	if ((base = fs_mkdtemp(ua_tmpdir(), "slugc-fuzz-unpack.", &e)) ==
	    NULL)
		return fuzz_fail(UA, "%s", e.msg);
	if ((size_t)snprintf(d1, sizeof d1, "%s/d1", base) >= sizeof d1 ||
	    (size_t)snprintf(d2, sizeof d2, "%s/d2", d1) >= sizeof d2 ||
	    (size_t)snprintf(root, sizeof root, "%s/root", d2) >= sizeof root) {
		fuzz_fail(UA, "temporary directory name too long");
		goto out;
	}
	if (mkdir(d1, 0755) == -1 || mkdir(d2, 0755) == -1) {
		fuzz_fail(UA, "mkdir %s: %s", d2, strerror(errno));
		goto out;
	}
	if (ua_make_keep(d1) == -1 || ua_make_keep(d2) == -1)
		goto out;

	unsafe = ua_has_unsafe(data, size);
	e.msg[0] = '\0';
	ok = unpack_cb(ua_read, &in, root, &lim, &e) == 0;

	if (ok && unsafe) {
		fuzz_fail(UA, "extracted an archive with an unsafe entry");
		goto out;
	}
	if (ok) {
		if (lstat(root, &st) == -1 || !S_ISDIR(st.st_mode)) {
			fuzz_fail(UA, "succeeded without a root directory");
			goto out;
		}
	} else {
		if (lstat(root, &st) == 0) {
			fuzz_fail(UA, "failed (%s) and left the root behind",
			    e.msg);
			goto out;
		}
		if (e.msg[0] == '\0') {
			fuzz_fail(UA, "failed without a message");
			goto out;
		}
		if (fuzz_multiline(e.msg)) {
			fuzz_fail(UA, "message spans lines: %s", e.msg);
			goto out;
		}
	}
	if (ua_expect_listing(base, "d1") == -1 ||
	    ua_expect_listing(d1, "d2/keep") == -1 ||
	    ua_expect_listing(d2, ok ? "keep/root" : "keep") == -1 ||
	    ua_expect_keep(d1) == -1 || ua_expect_keep(d2) == -1)
		goto out;
	if (ok && ua_check_tree(root) == -1)
		goto out;
	rc = 0;
out:
	if (fs_rm_rf(base, &e) == -1 && rc == 0)
		rc = fuzz_fail(UA, "cannot remove the extracted tree: %s",
		    e.msg);
	free(base);
	return rc;
}

#ifndef FUZZ_NO_MAIN
FUZZ_MAIN(fuzz_unpack_one)
#endif
