/* packlayer.c - finding pack's layers and keeping their segments. */
#include "packlayer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <zlib.h>

#include "runtime/cache.h"
#include "treesum.h"

/* A segment file: this header, the key (keylen bytes), the deflate bytes
 * (clen).  Numbers little-endian; hcrc is the CRC-32 of the header's first
 * 36 bytes and the key, so a damaged header or key is never trusted. */
#define SEG_MAGIC "SLUGSEG1"
#define SEG_HEAD 40
#define SEG_KEY_MAX 65536

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void
packlayer_free(struct packlayer *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].seg_path);
		free(v[i].key);
	}
	free(v);
}

/* The index of the walk's entry named rel, or -1. */
static long
find_rel(const struct packwalk *w, const char *rel)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(w->v[mid].rel, rel);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

struct devino {
	dev_t dev;
	ino_t ino;
};

static int
cmp_devino(const void *a, const void *b)
{
	const struct devino *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* Whether a file packed before the layer is a hard link to one of its
 * files: the tar would then hold that one as a link to a name outside the
 * layer, and the layer's bytes would depend on what came before.  Returns
 * 1, 0 or -1 (memory). */
static int
linked_from_before(const struct packwalk *w, size_t start, size_t end)
{
	struct devino *v, key;
	size_t n = 0, i;
	int rc = 0;

	if ((v = malloc((end - start) * sizeof *v)) == NULL)
		return -1;
	for (i = start; i < end; i++)
		if (S_ISREG(w->v[i].st.st_mode) && w->v[i].st.st_nlink > 1) {
			v[n].dev = w->v[i].st.st_dev;
			v[n].ino = w->v[i].st.st_ino;
			n++;
		}
	qsort(v, n, sizeof *v, cmp_devino);
	for (i = 0; i < start && rc == 0 && n > 0; i++) {
		const struct stat *st = &w->v[i].st;

		if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
			continue;
		key.dev = st->st_dev;
		key.ino = st->st_ino;
		if (bsearch(&key, v, n, sizeof *v, cmp_devino) != NULL)
			rc = 1;
	}
	free(v);
	return rc;
}

/* Which entry in ns_dir holds the very inode the walk has at
 * w->v[first] (a file or symlink of the layer, firstrel below its root):
 * its name (malloc'd), or NULL. */
static char *
entry_of(const char *ns_dir, const struct stat *first, const char *firstrel)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	char *found = NULL;
	DIR *d;
	int n;

	if ((d = opendir(ns_dir)) == NULL)
		return NULL;
	while (found == NULL && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		size_t len = strlen(name);

		/* Not the seals, segments or temporary directories. */
		if (name[0] == '.' || strstr(name, ".seg-") != NULL ||
		    (len > 3 && strcmp(name + len - 3, ".ok") == 0))
			continue;
		n = snprintf(path, sizeof path, "%s/%s", name, firstrel);
		if (n < 0 || (size_t)n >= sizeof path ||
		    fstatat(dirfd(d), path, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (st.st_dev == first->st_dev && st.st_ino == first->st_ino)
			found = strdup(name);
	}
	closedir(d);
	return found;
}

/* Hashes what the tar holds of an entry, and a file's mtime (what
 * changes when it is written): a chmod of a hard-linked file changes the
 * cache's file too, and the seal knows nothing of modes.  rel is relative
 * to the layer's root. */
static void
hash_ent(struct treesum_hash *h, const char *rel, const struct packwalk_ent *a)
{
	const struct stat *st = &a->st;
	uint64_t v[5] = {st->st_mode, strlen(rel), 0, 0, 0};

	if (S_ISREG(st->st_mode)) {
		v[2] = (uint64_t)st->st_size;
		v[3] = (uint64_t)st->st_mtim.tv_sec;
		v[4] = (uint64_t)st->st_mtim.tv_nsec;
	}
	treesum_hash_update(h, v, sizeof v);
	treesum_hash_update(h, rel, strlen(rel) + 1);
	if (a->target != NULL)
		treesum_hash_update(h, a->target, strlen(a->target) + 1);
}

/* Whether each of the walk's entries [start, end) (the subtree at rel,
 * rlen bytes) is the entry's own, open at dfd: its file or symlink (the
 * same inode), its directory (the same mode).  Sums them into sum and h as
 * it goes.  One fstatat each: the walk read the names already. */
static bool
same_tree(const struct packwalk *w, size_t start, size_t end, size_t rlen,
    int dfd, struct runtime_cache_statsum *sum, struct treesum_hash *h)
{
	char rel[PATH_MAX];
	struct stat st;
	size_t k, n;

	for (k = start; k < end; k++) {
		const struct packwalk_ent *a = &w->v[k];

		if (k == start)
			rel[0] = '\0';
		else {
			n = strlen(a->rel + rlen + 1);
			if (n >= sizeof rel)
				return false;
			memcpy(rel, a->rel + rlen + 1, n + 1);
			if (n > 0 && rel[n - 1] == '/')
				rel[n - 1] = '\0';
		}
		if (fstatat(dfd, k == start ? "." : rel, &st,
			AT_SYMLINK_NOFOLLOW) == -1 ||
		    st.st_mode != a->st.st_mode)
			return false;
		if (!S_ISDIR(st.st_mode) &&
		    (st.st_dev != a->st.st_dev || st.st_ino != a->st.st_ino))
			return false;
		runtime_cache_statsum_add(sum, rel, &a->st);
		hash_ent(h, rel, a);
	}
	return true;
}

/* The key and segment path of the layer found at rel, made of entry in
 * ns_dir; NULL fields when memory runs out. */
static int
make_key(struct packlayer *l, const struct packwalk *w, const char *rel,
    const char *ns_dir, const char *entry, const char *seal, uint64_t stats,
    const struct packlayer_settings *set)
{
	struct treesum_hash h;
	char name[PATH_MAX];

	if (packwalk_tar_name(name, sizeof name, w->prefix, rel, true) == -1)
		return -1;
	if (asprintf(&l->key,
		"slugc segment 1\nzlib %s\nlibarchive %d\nformat gnutar\n"
		"level %d\nblock %zu\nmtime %lld\nname %s\nentry %s\n"
		"stat %016llx\nseal %s",
		zlibVersion(), archive_version_number(), set->level,
		set->block_size, (long long)set->mtime, name, entry,
		(unsigned long long)stats, seal) == -1) {
		l->key = NULL;
		return -1;
	}
	treesum_hash_init(&h);
	treesum_hash_update(&h, l->key, strlen(l->key));
	if (asprintf(&l->seg_path, "%s/%s.seg-%016llx", ns_dir, entry,
		(unsigned long long)treesum_hash_final(&h)) == -1) {
		l->seg_path = NULL;
		return -1;
	}
	return 0;
}

/* Checks the subtree at want->rel.  Returns 1 with *l filled when it is a
 * layer, 0 when it is not, -1 when memory runs out. */
static int
check_one(const struct packwalk *w, const struct pack_layer *want,
    const struct packlayer_settings *set, struct packlayer *l)
{
	char rel[PATH_MAX], path[PATH_MAX];
	struct runtime_cache_statsum sum = {0};
	struct treesum_hash h;
	struct errbuf ignored;
	char *entry = NULL, *seal = NULL;
	size_t rlen = strlen(want->rel), start, end, first;
	long at;
	int n, rc = 0, linked, dfd = -1;

	while (rlen > 0 && want->rel[rlen - 1] == '/')
		rlen--;
	n = snprintf(rel, sizeof rel, "%.*s/", (int)rlen, want->rel);
	if (rlen == 0 || n < 0 || (size_t)n >= sizeof rel ||
	    (at = find_rel(w, rel)) == -1)
		return 0;
	start = (size_t)at;
	for (end = start + 1; end < w->n; end++)
		if (strncmp(w->v[end].rel, rel, rlen + 1) != 0)
			break;
	for (first = start + 1; first < end; first++)
		if (!S_ISDIR(w->v[first].st.st_mode))
			break;
	if (first == end)
		return 0; /* nothing worth keeping */
	if ((linked = linked_from_before(w, start, end)) != 0)
		return linked == 1 ? 0 : -1;
	/* (Out of memory here only means packing it as any other tree.) */
	if ((entry = entry_of(want->ns_dir, &w->v[first].st,
		 w->v[first].rel + rlen + 1)) == NULL)
		return 0;
	if (packwalk_join(path, sizeof path, want->ns_dir, entry, &ignored) ==
		-1 ||
	    (dfd = open(path,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		goto out;
	treesum_hash_init(&h);
	if (!same_tree(w, start, end, rlen, dfd, &sum, &h))
		goto out;
	n = snprintf(path, sizeof path, "%s/%s.ok", want->ns_dir, entry);
	if (n < 0 || (size_t)n >= sizeof path ||
	    runtime_cache_statsum_check(path, &sum, &seal, &ignored) == -1)
		goto out;
	l->start = start;
	l->end = end;
	rc = make_key(l, w, rel, want->ns_dir, entry, seal,
		 treesum_hash_final(&h), set) == -1
	    ? -1
	    : 1;
out:
	if (dfd != -1)
		close(dfd);
	free(entry);
	free(seal);
	return rc;
}

static int
cmp_layer(const void *a, const void *b)
{
	const struct packlayer *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int
packlayer_find(const struct packwalk *w, const struct pack_layer *want,
    size_t n, const struct packlayer_settings *set, struct packlayer **out,
    size_t *nout, struct errbuf *e)
{
	struct packlayer *v;
	size_t i, k = 0, m;
	int r;

	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	if ((v = calloc(n, sizeof *v)) == NULL)
		return errf(e, "pack layers:");
	for (i = 0; i < n; i++) {
		if ((r = check_one(w, &want[i], set, &v[k])) == -1) {
			packlayer_free(v, k + 1);
			return errf(e, "pack layers:");
		}
		k += (size_t)r;
	}
	qsort(v, k, sizeof *v, cmp_layer);
	/* Nested or repeated subtrees: the first one alone. */
	for (i = m = 0; i < k; i++) {
		if (m > 0 && v[i].start < v[m - 1].end) {
			free(v[i].seg_path);
			free(v[i].key);
			continue;
		}
		v[m++] = v[i];
	}
	if (m == 0) {
		free(v);
		return 0;
	}
	*out = v;
	*nout = m;
	return 0;
}

static int
read_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
packlayer_seg_open(const struct packlayer *l, struct pgzip_seg *s,
    bool *damaged, struct errbuf *why)
{
	unsigned char h[SEG_HEAD];
	size_t klen = strlen(l->key);
	char *key = NULL;
	struct stat st;
	uLong crc;
	int fd;

	*damaged = false;
	fd = open(l->seg_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		*damaged = errno != ENOENT;
		return errf(why, "open %s:", l->seg_path);
	}
	*damaged = true;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    read_all(fd, h, sizeof h) == -1 || memcmp(h, SEG_MAGIC, 8) != 0 ||
	    get_le(h + 32, 4) != klen || klen > SEG_KEY_MAX ||
	    (key = malloc(klen + 1)) == NULL || read_all(fd, key, klen) == -1) {
		errf(why, "%s: not a segment header", l->seg_path);
		goto fail;
	}
	crc = crc32(crc32(0L, Z_NULL, 0), h, 36);
	crc = crc32(crc, (const unsigned char *)key, (uInt)klen);
	if ((uint32_t)crc != get_le(h + 36, 4)) {
		errf(why, "%s: its header does not match its checksum",
		    l->seg_path);
		goto fail;
	}
	if (memcmp(key, l->key, klen) != 0) {
		errf(why, "%s: holds another key", l->seg_path);
		goto fail;
	}
	s->ulen = get_le(h + 8, 8);
	s->clen = get_le(h + 16, 8);
	s->ucrc = (uint32_t)get_le(h + 24, 4);
	s->ccrc = (uint32_t)get_le(h + 28, 4);
	if ((uint64_t)st.st_size != SEG_HEAD + klen + s->clen) {
		errf(why, "%s: %lld bytes, its header says %llu", l->seg_path,
		    (long long)st.st_size,
		    (unsigned long long)(SEG_HEAD + klen + s->clen));
		goto fail;
	}
	free(key);
	return fd;
fail:
	free(key);
	close(fd);
	return -1;
}

int
packlayer_seg_create(const struct packlayer *l, char **tmp, struct errbuf *e)
{
	const char *slash = strrchr(l->seg_path, '/'), *dot;
	int fd;

	/* ".<entry>.seg-XXXXXX": runtime_cache_discard removes these too. */
	dot = strrchr(slash + 1, '.');
	if (asprintf(tmp, "%.*s.%.*s.seg-XXXXXX",
		(int)(slash + 1 - l->seg_path), l->seg_path,
		(int)(dot - slash - 1), slash + 1) == -1) {
		*tmp = NULL;
		return errf(e, "segment %s:", l->seg_path);
	}
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) == -1) {
		errf(e, "create %s:", *tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (lseek(fd, (off_t)(SEG_HEAD + strlen(l->key)), SEEK_SET) == -1) {
		errf(e, "seek %s:", *tmp);
		packlayer_seg_drop(fd, *tmp);
		*tmp = NULL;
		return -1;
	}
	return fd;
}

void
packlayer_seg_drop(int fd, char *tmp)
{
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
}

int
packlayer_seg_commit(const struct packlayer *l, int fd, char *tmp,
    const struct pgzip_seg *s, struct errbuf *e)
{
	unsigned char h[SEG_HEAD];
	size_t klen = strlen(l->key);
	uLong crc;
	int rc;

	memcpy(h, SEG_MAGIC, 8);
	put_le(h + 8, s->ulen, 8);
	put_le(h + 16, s->clen, 8);
	put_le(h + 24, s->ucrc, 4);
	put_le(h + 28, s->ccrc, 4);
	put_le(h + 32, klen, 4);
	crc = crc32(crc32(0L, Z_NULL, 0), h, 36);
	crc = crc32(crc, (const unsigned char *)l->key, (uInt)klen);
	put_le(h + 36, crc, 4);
	if (pwrite(fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
	    pwrite(fd, l->key, klen, SEG_HEAD) != (ssize_t)klen) {
		errf(e, "write %s:", tmp);
		packlayer_seg_drop(fd, tmp);
		return -1;
	}
	rc = close(fd);
	if (rc == -1)
		errf(e, "write %s:", tmp);
	else if ((rc = rename(tmp, l->seg_path)) == -1)
		errf(e, "rename %s to %s:", tmp, l->seg_path);
	if (rc == -1)
		unlink(tmp);
	free(tmp);
	return rc;
}
