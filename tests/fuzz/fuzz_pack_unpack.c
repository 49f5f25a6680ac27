/* fuzz_pack_unpack.c - pack_dir and then unpack_fd on real trees built from
 * the input: whatever pack writes, unpack (so `slugc run`) accepts.
 *
 * The input is a prefix byte (bits 0-1 pick the entry prefix: "./app", ".",
 * "" or "a/b/c") and then records, each a type byte, a path, NUL, a second
 * field, NUL.  Type bits 0-2: 0 empty file, 1 directory, 2 symlink to the
 * second field, 3 FIFO, 4 hard link to the file the second field names, 5
 * socket, 6 character device (skipped where mknod is not allowed), 7 file
 * holding the second field (its first 2048 bytes); bit 3 makes a file mode 0755 (else 0644).
 * Paths are '/'-separated; empty, '.' and '..' components are dropped and
 * each is cut at 255 bytes; missing parents are made as directories.  A
 * record whose parent is not a directory made here, whose name is taken,
 * or that the system will not make (an empty symlink target) is skipped.
 *
 * Invariants:
 * - pack_dir succeeds, with one warning per entry left out, each one line
 *   "'NAME' left out of the slug: why", as many as r.skipped;
 * - unpack_fd accepts the slug;
 * - below the prefix the extracted tree holds exactly: every directory,
 *   every file with its bytes and mode (hard links sharing one inode), and
 *   every symlink the contract in unpack.h promises to accept, judged by an
 *   independent model under its name in the slug (relative, all '..'
 *   first, not above the slug's root), with its target; nothing else.
 * The whole tree is removed after each input. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsutil.h"
#include "fuzz.h"
#include "pack.h"
#include "pathcheck.h"
#include "unpack.h"

#define PU "fuzz_pack_unpack"
#define PU_MAX_NODES 64
#define PU_MAX_PATH 1024
#define PU_MAX_DATA 2048
#define PU_BUF 4096

enum { PU_DIR, PU_FILE, PU_LINK, PU_SPECIAL };

struct pu_node {
	char	*path;		/* relative to the app root */
	int	 kind;
	char	*data;		/* a file's bytes, a symlink's target */
	size_t	 len;
	mode_t	 mode;		/* a file's permission bits */
	int	 link_of;	/* a hard link: the node it links to, or -1 */
};

struct pu_tree {
	char		*src;	/* the app directory */
	struct pu_node	 v[PU_MAX_NODES];
	size_t		 n;
};

struct pu_warns {
	size_t	 n;
	char	 bad[ERRBUF_MAX];	/* the first malformed one */
};

static const char *const pu_prefixes[4] = { "./app", ".", "", "a/b/c" };

/* Reads a NUL-terminated field at *off (the end of data ends it too). */
static const char *
pu_field(const uint8_t *data, size_t size, size_t *off, size_t *len)
{
	const char *s = (const char *)data + *off;
	const void *nul = memchr(s, '\0', size - *off);

	*len = nul != NULL ? (size_t)((const char *)nul - s) : size - *off;
	*off += *len + (nul != NULL);
	return s;
}

/* The cleaned path of the len bytes at s into out: false if empty or too
 * long. */
static bool
pu_clean(const char *s, size_t len, char *out)
{
	size_t o = 0, i = 0, n;

	while (i < len) {
		for (n = 0; i + n < len && s[i + n] != '/'; n++)
			;
		if (n > 0 && !(n == 1 && s[i] == '.') &&
		    !(n == 2 && s[i] == '.' && s[i + 1] == '.')) {
			size_t keep = n > 255 ? 255 : n;

			if (o + keep + 2 > PU_MAX_PATH)
				return false;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, s + i, keep);
			o += keep;
		}
		i += n + 1;
	}
	out[o] = '\0';
	return o > 0;
}

static struct pu_node *
pu_find(struct pu_tree *t, const char *path)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].path, path) == 0)
			return &t->v[i];
	return NULL;
}

static struct pu_node *
pu_add(struct pu_tree *t, const char *path, int kind, const char *data,
    size_t len)
{
	struct pu_node *nd = &t->v[t->n];

	memset(nd, 0, sizeof *nd);
	nd->link_of = -1;
	nd->kind = kind;
	if ((nd->path = strdup(path)) == NULL ||
	    (nd->data = malloc(len + 1)) == NULL) {
		free(nd->path);
		return NULL;
	}
	memcpy(nd->data, data, len);
	nd->data[len] = '\0';
	nd->len = len;
	t->n++;
	return nd;
}

/* Makes the directories leading to path; false if one is taken by
 * something else (or there is no room for more nodes). */
static bool
pu_parents(struct pu_tree *t, char *path)
{
	char full[PU_BUF];
	struct pu_node *nd;
	char *slash;

	for (slash = strchr(path, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		nd = pu_find(t, path);
		if (nd == NULL && t->n < PU_MAX_NODES) {
			snprintf(full, sizeof full, "%s/%s", t->src, path);
			if (mkdir(full, 0755) == 0)
				nd = pu_add(t, path, PU_DIR, "", 0);
		}
		*slash = '/';
		if (nd == NULL || nd->kind != PU_DIR)
			return false;
	}
	return true;
}

/* One record; a record that cannot be made is skipped. */
static void
pu_record(struct pu_tree *t, unsigned type, const char *name, size_t nlen,
    const char *arg, size_t alen)
{
	char path[PU_MAX_PATH], other[PU_MAX_PATH], full[PU_BUF], ofull[PU_BUF];
	struct pu_node *nd, *to;
	char *text;
	int fd, kind, made = -1;
	mode_t mode = type & 8 ? 0755 : 0644;

	if (t->n >= PU_MAX_NODES || !pu_clean(name, nlen, path) ||
	    !pu_parents(t, path) || t->n >= PU_MAX_NODES ||
	    pu_find(t, path) != NULL)
		return;
	snprintf(full, sizeof full, "%s/%s", t->src, path);
	switch (type & 7) {
	case 1:
		kind = PU_DIR;
		made = mkdir(full, 0755);
		alen = 0;
		break;
	case 2:
		kind = PU_LINK;
		if ((text = strndup(arg, alen)) == NULL)
			return;
		made = symlink(text, full);
		free(text);
		break;
	case 3:
		kind = PU_SPECIAL;
		made = mkfifo(full, 0644);
		break;
	case 4:
		if (!pu_clean(arg, alen, other) ||
		    (to = pu_find(t, other)) == NULL || to->kind != PU_FILE)
			return;
		snprintf(ofull, sizeof ofull, "%s/%s", t->src, other);
		if (link(ofull, full) == -1)
			return;
		nd = pu_add(t, path, PU_FILE, to->data, to->len);
		if (nd != NULL) {
			nd->mode = to->mode;
			nd->link_of = to->link_of >= 0 ? to->link_of :
			    (int)(to - t->v);
		}
		return;
	case 5:
		kind = PU_SPECIAL;
		made = mknod(full, S_IFSOCK | 0644, 0);
		break;
	case 6:
		kind = PU_SPECIAL;
		made = mknod(full, S_IFCHR | 0644, makedev(1, 3));
		break;
	default:
		kind = PU_FILE;
		if ((type & 7) == 0)
			alen = 0;
		if (alen > PU_MAX_DATA)
			alen = PU_MAX_DATA;
		if ((fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600)) == -1)
			return;
		made = write(fd, arg, alen) == (ssize_t)alen &&
		    fchmod(fd, mode) == 0 ? 0 : -1;
		if (close(fd) == -1)
			made = -1;
		break;
	}
	if (made == -1)
		return;
	if ((nd = pu_add(t, path, kind, arg, alen)) != NULL)
		nd->mode = mode;
}

/* The contract's promise for a symlink named name in the slug: a target
 * that is relative, not empty, with every '..' before the first name and
 * no more of them than the link's directory is deep. */
static bool
pu_link_kept(const char *name, const char *target)
{
	long depth = pc_depth(name) - 1, ups = 0;
	bool named = false;
	const char *p, *c;
	size_t n;

	if (depth < 0 || target[0] == '\0' || target[0] == '/')
		return false;
	for (p = target; (p = pc_next(p, &c, &n)) != NULL;) {
		if (!pc_dotdot(c, n))
			named = true;
		else if (named || ++ups > depth)
			return false;
	}
	return true;
}

static bool
pu_kept(const char *prefix, const struct pu_node *nd)
{
	char name[2 * PU_BUF];

	if (nd->kind == PU_DIR || nd->kind == PU_FILE)
		return true;
	if (nd->kind != PU_LINK)
		return false;
	snprintf(name, sizeof name, "%s/%s", *prefix ? prefix : ".",
	    nd->path);
	return pu_link_kept(name, nd->data) &&
	    pc_entry_safe(name, S_IFLNK, nd->data, NULL);
}

static void
pu_warn(void *arg, const char *msg)
{
	struct pu_warns *w = arg;

	w->n++;
	if (w->bad[0] == '\0' && (fuzz_multiline(msg) || msg[0] != '\'' ||
	    strstr(msg, "' left out of the slug: ") == NULL))
		snprintf(w->bad, sizeof w->bad, "%s", msg);
}

/* Entries below dir, not following symlinks; -1 if one cannot be read. */
static long
pu_count(const char *dir)
{
	char full[PU_BUF];
	struct dirent *de;
	struct stat st;
	long count = 0, sub;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while (count >= 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		count++;
		snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
		if (lstat(full, &st) == -1)
			count = -1;
		else if (S_ISDIR(st.st_mode))
			count = (sub = pu_count(full)) < 0 ? -1 : count + sub;
	}
	closedir(d);
	return count;
}

/* Checks one node in the extracted app at app. */
static int
pu_check_node(struct pu_tree *t, const char *app, const struct pu_node *nd,
    bool kept)
{
	char full[2 * PU_BUF], lfull[2 * PU_BUF], buf[PU_BUF];
	struct stat st, lst;
	ssize_t n;
	int fd;

	snprintf(full, sizeof full, "%s/%s", app, nd->path);
	if (!kept) {
		if (lstat(full, &st) == 0 || errno != ENOENT)
			return fuzz_fail(PU, "'%s', left out, was extracted",
			    nd->path);
		return 0;
	}
	if (lstat(full, &st) == -1)
		return fuzz_fail(PU, "'%s' is missing: %s", nd->path,
		    strerror(errno));
	switch (nd->kind) {
	case PU_DIR:
		if (!S_ISDIR(st.st_mode))
			return fuzz_fail(PU, "'%s' is not a directory",
			    nd->path);
		return 0;
	case PU_LINK:
		if (!S_ISLNK(st.st_mode) ||
		    (n = readlink(full, buf, sizeof buf - 1)) < 0)
			return fuzz_fail(PU, "'%s' is not a symlink",
			    nd->path);
		buf[n] = '\0';
		if (strcmp(buf, nd->data) != 0)
			return fuzz_fail(PU, "'%s' points at '%s', not '%s'",
			    nd->path, buf, nd->data);
		return 0;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != nd->mode ||
	    (size_t)st.st_size != nd->len)
		return fuzz_fail(PU, "'%s' is not a %zu-byte file of mode %o",
		    nd->path, nd->len, (unsigned)nd->mode);
	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) == -1)
		return fuzz_fail(PU, "open %s: %s", full, strerror(errno));
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n != (ssize_t)nd->len || memcmp(buf, nd->data, nd->len) != 0)
		return fuzz_fail(PU, "'%s' lost its bytes", nd->path);
	if (nd->link_of >= 0) {
		snprintf(lfull, sizeof lfull, "%s/%s", app,
		    t->v[nd->link_of].path);
		if (lstat(lfull, &lst) == -1 || lst.st_ino != st.st_ino)
			return fuzz_fail(PU, "'%s' is no longer a hard link "
			    "to '%s'", nd->path, t->v[nd->link_of].path);
	}
	return 0;
}

int
fuzz_pack_unpack_one(const uint8_t *data, size_t size)
{
	struct pack_opts o = PACK_OPTS_INIT;
	struct pack_result r;
	struct pu_tree t = { 0 };
	struct pu_warns w = { 0, "" };
	char slug[PU_BUF], dest[PU_BUF], app[PU_BUF];
	const char *prefix, *name, *arg;
	struct errbuf e;
	size_t off = 1, nlen, alen, i, left_out = 0, kept = 0;
	unsigned type;
	long count;
	int fd, rc = -1;
	char *base;

	if (size == 0)
		return 0;
	prefix = pu_prefixes[data[0] & 3];
	if ((base = fs_mkdtemp(access("/dev/shm", W_OK | X_OK) == 0 ?
	    "/dev/shm" : "/tmp", "slugc-fuzz-pack.", &e)) == NULL)
		return fuzz_fail(PU, "%s", e.msg);
	snprintf(slug, sizeof slug, "%s/slug.tgz", base);
	snprintf(dest, sizeof dest, "%s/dest", base);
	if ((t.src = fs_join(base, "src")) == NULL || mkdir(t.src, 0755) == -1) {
		fuzz_fail(PU, "mkdir src: %s", strerror(errno));
		goto out;
	}
	while (off < size && t.n < PU_MAX_NODES) {
		type = data[off++];
		name = pu_field(data, size, &off, &nlen);
		arg = pu_field(data, size, &off, &alen);
		pu_record(&t, type, name, nlen, arg, alen);
	}

	o.prefix = prefix;
	o.threads = 1;
	o.level = 1;
	o.warn = pu_warn;
	o.warn_arg = &w;
	if (pack_dir(t.src, slug, &o, &r, &e) == -1) {
		fuzz_fail(PU, "pack_dir failed: %s", e.msg);
		goto out;
	}
	for (i = 0; i < t.n; i++)
		if (pu_kept(prefix, &t.v[i]))
			kept++;
		else
			left_out++;
	if (w.bad[0] != '\0') {
		fuzz_fail(PU, "malformed warning: %s", w.bad);
		goto out;
	}
	if (w.n != left_out || r.skipped != left_out) {
		fuzz_fail(PU, "%zu entries left out, expected %zu (%zu "
		    "warnings)", r.skipped, left_out, w.n);
		goto out;
	}

	if ((fd = open(slug, O_RDONLY | O_CLOEXEC)) == -1) {
		fuzz_fail(PU, "open %s: %s", slug, strerror(errno));
		goto out;
	}
	e.msg[0] = '\0';
	if (unpack_fd(fd, dest, NULL, &e) == -1) {
		close(fd);
		fuzz_fail(PU, "unpack refused what pack wrote: %s", e.msg);
		goto out;
	}
	close(fd);

	snprintf(app, sizeof app, "%s/dest/%s", base, prefix);
	for (i = 0; i < t.n; i++)
		if (pu_check_node(&t, app, &t.v[i],
		    pu_kept(prefix, &t.v[i])) == -1)
			goto out;
	if ((count = pu_count(app)) != (long)kept) {
		fuzz_fail(PU, "%ld entries extracted, expected %zu", count,
		    kept);
		goto out;
	}
	rc = 0;
out:
	if (fs_rm_rf(base, &e) == -1 && rc == 0)
		rc = fuzz_fail(PU, "cannot remove %s: %s", base, e.msg);
	for (i = 0; i < t.n; i++) {
		free(t.v[i].path);
		free(t.v[i].data);
	}
	free(t.src);
	free(base);
	return rc;
}

#ifndef FUZZ_NO_MAIN
FUZZ_MAIN(fuzz_pack_unpack_one)
#endif
