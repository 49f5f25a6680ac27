/* pack.c - slugs: .slugignore matching, a sorted directory walk that leaves
 * out what the slug policy refuses, libarchive writing the tar stream, and
 * zlib compressing it in parallel blocks. */
#include "pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "beneath.h"
#include "fsutil.h"
#include "slugpolicy.h"
#include "strlist.h"

/* ==== .slugignore ===================================================== */

struct ipat {
	char *pat;   /* unanchored: the whole pattern */
	char **segs; /* anchored: its '/'-separated segments */
	size_t nsegs;
	bool anchored;
	bool dir_only;
};

struct pack_ignore {
	struct ipat *v;
	size_t n, cap;
	size_t negated;
};

static void
ipat_clear(struct ipat *p)
{
	size_t i;

	free(p->pat);
	for (i = 0; i < p->nsegs; i++)
		free(p->segs[i]);
	free(p->segs);
}

void
pack_ignore_free(struct pack_ignore *ig)
{
	size_t i;

	if (ig == NULL)
		return;
	for (i = 0; i < ig->n; i++)
		ipat_clear(&ig->v[i]);
	free(ig->v);
	free(ig);
}

size_t
pack_ignore_count(const struct pack_ignore *ig)
{
	return ig == NULL ? 0 : ig->n;
}

size_t
pack_ignore_negated(const struct pack_ignore *ig)
{
	return ig == NULL ? 0 : ig->negated;
}

/* Splits an anchored pattern into segments, dropping empty ones ("a//b"). */
static int
ipat_split(struct ipat *p)
{
	const char *s = p->pat, *slash;
	size_t len;
	char **v;

	while (*s != '\0') {
		slash = strchr(s, '/');
		len = slash != NULL ? (size_t)(slash - s) : strlen(s);
		if (len > 0) {
			v = realloc(p->segs, (p->nsegs + 1) * sizeof *v);
			if (v == NULL)
				return -1;
			p->segs = v;
			if ((v[p->nsegs] = strndup(s, len)) == NULL)
				return -1;
			p->nsegs++;
		}
		s += len;
		if (*s == '/')
			s++;
	}
	return 0;
}

/* Adds one line (not NUL-terminated) of a .slugignore. */
static int
ignore_add_line(struct pack_ignore *ig, const char *line, size_t len)
{
	struct ipat p = {0};
	struct ipat *v;
	size_t start = 0;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* Trailing blanks go unless escaped with a backslash, as in git. */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t') &&
	    !(len > 1 && line[len - 2] == '\\'))
		len--;
	if (len == 0 || line[0] == '#')
		return 0;
	if (line[0] == '!') {
		ig->negated++;
		return 0;
	}
	while (len > 0 && line[len - 1] == '/') {
		p.dir_only = true;
		len--;
	}
	while (start < len && line[start] == '/') {
		p.anchored = true;
		start++;
	}
	if (start == len)
		return 0; /* "/" alone names the whole app: ignore it */
	if ((p.pat = strndup(line + start, len - start)) == NULL)
		return -1;
	if (strchr(p.pat, '/') != NULL)
		p.anchored = true;
	if (p.anchored && ipat_split(&p) == -1)
		goto fail;
	if (ig->n == ig->cap) {
		size_t ncap = ig->cap ? ig->cap * 2 : 16;

		if ((v = realloc(ig->v, ncap * sizeof *v)) == NULL)
			goto fail;
		ig->v = v;
		ig->cap = ncap;
	}
	ig->v[ig->n++] = p;
	return 0;
fail:
	ipat_clear(&p);
	return -1;
}

struct pack_ignore *
pack_ignore_parse(const char *text, size_t len, struct errbuf *e)
{
	struct pack_ignore *ig;
	const char *nl, *end = text + len;

	if ((ig = calloc(1, sizeof *ig)) == NULL) {
		errf(e, "parse .slugignore:");
		return NULL;
	}
	while (text < end) {
		nl = memchr(text, '\n', (size_t)(end - text));
		if (nl == NULL)
			nl = end;
		if (ignore_add_line(ig, text, (size_t)(nl - text)) == -1) {
			errf(e, "parse .slugignore:");
			pack_ignore_free(ig);
			return NULL;
		}
		text = nl + 1;
	}
	return ig;
}

struct pack_ignore *
pack_ignore_load(const char *dir, struct errbuf *e)
{
	struct pack_ignore *ig;
	char *text;
	size_t len;

	text = beneath_read_file(dir, ".slugignore", 1 << 20, &len, e);
	if (text == NULL) {
		if (errno == ENOENT)
			return pack_ignore_parse("", 0, e);
		return NULL;
	}
	ig = pack_ignore_parse(text, len, e);
	free(text);
	if (ig == NULL)
		errprefix(e, "%s/.slugignore", dir);
	return ig;
}

/* Matches pattern segments against a '/'-separated path.  A "**" segment
 * matches zero or more segments, except at the end where it needs at least
 * one (a pattern ending in "/" "**" means what is inside, not the dir). */
static bool
segs_match(char *const *segs, size_t n, const char *path)
{
	char seg[NAME_MAX + 1];
	const char *slash;
	size_t len;

	if (n == 0)
		return *path == '\0';
	if (strcmp(segs[0], "**") == 0) {
		if (n == 1)
			return *path != '\0';
		for (;;) {
			if (segs_match(segs + 1, n - 1, path))
				return true;
			if ((slash = strchr(path, '/')) == NULL)
				return false;
			path = slash + 1;
		}
	}
	if (*path == '\0')
		return false;
	slash = strchr(path, '/');
	len = slash != NULL ? (size_t)(slash - path) : strlen(path);
	if (len > NAME_MAX)
		return false;
	memcpy(seg, path, len);
	seg[len] = '\0';
	if (fnmatch(segs[0], seg, 0) != 0)
		return false;
	return segs_match(segs + 1, n - 1, path + len + (slash != NULL));
}

bool
pack_ignore_match(const struct pack_ignore *ig, const char *relpath,
    bool is_dir)
{
	const char *base;
	size_t i;

	if (ig == NULL || *relpath == '\0')
		return false;
	base = strrchr(relpath, '/');
	base = base != NULL ? base + 1 : relpath;
	for (i = 0; i < ig->n; i++) {
		const struct ipat *p = &ig->v[i];

		if (p->dir_only && !is_dir)
			continue;
		if (p->anchored) {
			if (segs_match(p->segs, p->nsegs, relpath))
				return true;
		} else if (fnmatch(p->pat, base, 0) == 0)
			return true;
	}
	return false;
}

/* ==== directory walk ================================================== */

/* Lists the names in dir (without "." and ".."), sorted in byte order. */
static int
list_dir(const char *dir, struct strlist *out, struct errbuf *e)
{
	struct dirent *d;
	DIR *dp;
	char *s;

	if ((dp = opendir(dir)) == NULL)
		return errf(e, "open directory %s:", dir);
	for (;;) {
		errno = 0;
		if ((d = readdir(dp)) == NULL)
			break;
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if ((s = strdup(d->d_name)) == NULL ||
		    strlist_push_owned(out, s) == -1) {
			free(s);
			closedir(dp);
			return errf(e, "list %s:", dir);
		}
	}
	if (errno != 0) {
		errf(e, "read directory %s:", dir);
		closedir(dp);
		return -1;
	}
	closedir(dp);
	if (out->n > 1)
		strlist_sort(out);
	return 0;
}

/* Joins "a/b" into buf, failing on truncation. */
static int
path_join(char *buf, size_t size, const char *a, const char *b,
    struct errbuf *e)
{
	int n;

	if (*a == '\0')
		n = snprintf(buf, size, "%s", b);
	else if (*b == '\0')
		n = snprintf(buf, size, "%s", a);
	else
		n = snprintf(buf, size, "%s/%s", a, b);
	if (n < 0 || (size_t)n >= size)
		return errf(e, "path too long: %s/%s", a, b);
	return 0;
}

static int
prune_walk(const struct pack_ignore *ig, const char *root, const char *rel,
    size_t *removed, struct errbuf *e)
{
	char full[PATH_MAX], sub[PATH_MAX];
	struct strlist names = {0};
	struct stat st;
	size_t i;
	int rc = -1;

	if (path_join(full, sizeof full, root, rel, e) == -1 ||
	    list_dir(full, &names, e) == -1)
		goto out;
	for (i = 0; i < names.n; i++) {
		if (path_join(sub, sizeof sub, rel, names.v[i], e) == -1 ||
		    path_join(full, sizeof full, root, sub, e) == -1)
			goto out;
		if (lstat(full, &st) == -1) {
			errf(e, "stat %s:", full);
			goto out;
		}
		if (pack_ignore_match(ig, sub, S_ISDIR(st.st_mode))) {
			if (fs_rm_rf(full, e) == -1)
				goto out;
			(*removed)++;
		} else if (S_ISDIR(st.st_mode) &&
		    prune_walk(ig, root, sub, removed, e) == -1)
			goto out;
	}
	rc = 0;
out:
	strlist_free(&names);
	return rc;
}

int
pack_ignore_prune(const struct pack_ignore *ig, const char *dir,
    size_t *removed, struct errbuf *e)
{
	size_t n = 0;
	int rc = 0;

	if (pack_ignore_count(ig) > 0)
		rc = prune_walk(ig, dir, "", &n, e);
	if (removed != NULL)
		*removed = n;
	return rc;
}

/* rel is the path below the root, with a trailing '/' for a directory so
 * that sorting on it sorts the tar names ("a-b" < "a/" < "a/x"); "" is the
 * root.  target is a symlink's target, read once so that the one the
 * policy judged is the one packed. */
struct ent {
	char *rel;
	char *target;
	struct stat st;
};

struct entv {
	struct ent *v;
	size_t n, cap;
};

static void
entv_free(struct entv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].rel);
		free(s->v[i].target);
	}
	free(s->v);
}

/* Appends an entry; target (may be NULL) becomes the entry's. */
static int
entv_push(struct entv *s, const char *rel, const struct stat *st, char *target)
{
	struct ent *v;
	bool slash = S_ISDIR(st->st_mode) && *rel != '\0';

	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;

		if ((v = realloc(s->v, ncap * sizeof *v)) == NULL)
			return -1;
		s->v = v;
		s->cap = ncap;
	}
	if (asprintf(&s->v[s->n].rel, "%s%s", rel, slash ? "/" : "") == -1)
		return -1;
	s->v[s->n].target = target;
	s->v[s->n].st = *st;
	s->n++;
	return 0;
}

static int
cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->rel,
	    ((const struct ent *)b)->rel);
}

struct walk {
	const char *root;
	const char *prefix; /* never NULL nor "" */
	const struct pack_ignore *ig;
	struct entv ents;
	uint64_t total;
	size_t ignored, skipped;
	int (*cancel)(void);
	err_warn_fn *warn;
	void *warn_arg;
};

/* The entry name in the tar stream of rel (see struct ent), a directory's
 * given without its trailing '/' when dir is true. */
static int
tar_name(char *buf, size_t size, const char *prefix, const char *rel, bool dir)
{
	int n = snprintf(buf, size, "%s/%s%s", prefix, rel,
	    dir && *rel != '\0' ? "/" : "");

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* The target of the symlink full, malloc'd into *out. */
static int
read_target(const char *full, char **out, struct errbuf *e)
{
	char target[PATH_MAX];
	ssize_t n;

	if ((n = readlink(full, target, sizeof target)) == -1)
		return errf(e, "readlink %s:", full);
	if ((size_t)n == sizeof target)
		return errf(e, "readlink %s: target too long", full);
	target[n] = '\0';
	if ((*out = strdup(target)) == NULL)
		return errf(e, "readlink %s:", full);
	return 0;
}

/* Whether the slug policy lets rel (struct ent's form) into the slug under
 * its tar name: the very check unpack makes, so that whatever is packed
 * unpacks.  What it refuses (FIFOs, sockets, devices, symlinks that are
 * absolute or leave the slug's root) is left out, each with a warning.
 * Returns 1 (in), 0 (left out) or -1. */
static int
slug_admits(struct walk *w, const char *rel, mode_t type, const char *target,
    struct errbuf *e)
{
	char name[PATH_MAX], shown[304];
	struct errbuf why;

	if (tar_name(name, sizeof name, w->prefix, rel, type == S_IFDIR) == -1)
		return errf(e, "path too long: %s/%s", w->root, rel);
	if (slugpolicy_check(name, type, target, NULL, &why) == 0)
		return 1;
	err_printable(shown, sizeof shown, rel, strlen(rel));
	err_warnf(w->warn, w->warn_arg, "'%s' left out of the slug: %s", shown,
	    why.msg);
	return 0;
}

static int
walk_dir(struct walk *w, const char *rel, struct errbuf *e)
{
	char full[PATH_MAX], sub[PATH_MAX];
	struct strlist names = {0};
	struct stat st;
	char *target = NULL;
	size_t i;
	int rc = -1, in;

	if (path_join(full, sizeof full, w->root, rel, e) == -1 ||
	    list_dir(full, &names, e) == -1)
		goto out;
	for (i = 0; i < names.n; i++) {
		free(target);
		target = NULL;
		if (w->cancel != NULL && w->cancel()) {
			errf(e, "packing interrupted");
			goto out;
		}
		if (path_join(sub, sizeof sub, rel, names.v[i], e) == -1 ||
		    path_join(full, sizeof full, w->root, sub, e) == -1)
			goto out;
		if (lstat(full, &st) == -1) {
			errf(e, "stat %s:", full);
			goto out;
		}
		if (pack_ignore_match(w->ig, sub, S_ISDIR(st.st_mode))) {
			w->ignored++;
			continue;
		}
		if (S_ISLNK(st.st_mode) && read_target(full, &target, e) == -1)
			goto out;
		if ((in = slug_admits(w, sub, st.st_mode & S_IFMT, target,
			 e)) == -1)
			goto out;
		if (in == 0) {
			w->skipped++;
			continue;
		}
		if (entv_push(&w->ents, sub, &st, target) == -1) {
			errf(e, "walk %s:", full);
			goto out;
		}
		target = NULL;
		if (S_ISREG(st.st_mode))
			w->total += (uint64_t)st.st_size;
		if (S_ISDIR(st.st_mode) && walk_dir(w, sub, e) == -1)
			goto out;
	}
	rc = 0;
out:
	free(target);
	strlist_free(&names);
	return rc;
}

/* ==== parallel gzip =================================================== */

/* The tar stream is cut into blocks of block_size bytes.  Each block is
 * deflated on its own (raw deflate) with the previous block's last 32 KiB
 * as a preset dictionary, so matches reach across the cut as they would in
 * one stream, and ends with Z_SYNC_FLUSH (byte-aligned, not final); the
 * last ends with Z_FINISH.  Concatenated in order they form one deflate
 * stream inside one gzip member; the member's CRC is combined from the
 * blocks' CRCs.  A block's output depends only on its input and its
 * dictionary, so the slug is the same whatever the threads do. */

#define PZ_DICT 32768

enum { PZ_FREE, PZ_QUEUED, PZ_BUSY, PZ_DONE };

struct pz_blk {
	unsigned char *in;
	size_t inlen;
	unsigned char dict[PZ_DICT];
	size_t dictlen;
	unsigned char *out;
	size_t outlen, outcap;
	uLong crc;
	uint64_t seq;
	bool last;
	int state;
	int zerr; /* zlib error, or 0 */
};

struct pz {
	int fd;
	const char *path; /* the slug, for messages */
	int level;
	size_t bsize;
	uint64_t max_bytes;
	int (*cancel)(void);

	pthread_mutex_t mu;
	pthread_cond_t work; /* a block was queued, or quit */
	pthread_cond_t done; /* a block was compressed */
	pthread_t *th;
	size_t nth; /* threads started */
	bool quit;

	struct pz_blk *ring;
	size_t nring;
	uint64_t next_seq;   /* sequence number of the next block */
	uint64_t next_take;  /* next block a worker takes */
	uint64_t next_write; /* next block to write out */
	struct pz_blk *cur;  /* the block being filled */

	z_stream zs; /* for compressing inline (one thread) */
	bool zs_ok;

	unsigned char tail[PZ_DICT]; /* last input bytes so far */
	size_t taillen;
	uLong crc;
	uint64_t isize;
	uint64_t written;
	bool too_big, cancelled;
	bool aborted; /* refuse further input */
	struct errbuf err;
};

static int
pz_deflate_init(z_stream *zs, int level)
{
	memset(zs, 0, sizeof *zs);
	return deflateInit2(zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

/* Compresses one block with zs; returns a zlib error code or 0. */
static int
pz_compress(z_stream *zs, struct pz_blk *b)
{
	size_t need;
	unsigned char *p;
	int rc, flush = b->last ? Z_FINISH : Z_SYNC_FLUSH;

	b->crc = crc32(0L, b->in, (uInt)b->inlen);
	if ((rc = deflateReset(zs)) != Z_OK)
		return rc;
	if (b->dictlen > 0 &&
	    (rc = deflateSetDictionary(zs, b->dict, (uInt)b->dictlen)) != Z_OK)
		return rc;
	need = deflateBound(zs, (uLong)b->inlen) + 64;
	if (b->outcap < need) {
		if ((p = realloc(b->out, need)) == NULL)
			return Z_MEM_ERROR;
		b->out = p;
		b->outcap = need;
	}
	zs->next_in = b->in;
	zs->avail_in = (uInt)b->inlen;
	zs->next_out = b->out;
	zs->avail_out = (uInt)b->outcap;
	for (;;) {
		rc = deflate(zs, flush);
		if (rc == Z_STREAM_ERROR)
			return rc;
		if (b->last ? rc == Z_STREAM_END
			    : (zs->avail_in == 0 && zs->avail_out > 0))
			break;
		/* Out of room (deflateBound should prevent it): grow. */
		need = b->outcap * 2;
		if ((p = realloc(b->out, need)) == NULL)
			return Z_MEM_ERROR;
		b->out = p;
		zs->next_out = p + b->outcap - zs->avail_out;
		zs->avail_out += (uInt)(need - b->outcap);
		b->outcap = need;
	}
	b->outlen = b->outcap - zs->avail_out;
	return 0;
}

static void *
pz_worker(void *arg)
{
	struct pz *z = arg;
	struct pz_blk *b;
	z_stream zs;
	bool ok;

	ok = pz_deflate_init(&zs, z->level) == Z_OK;
	pthread_mutex_lock(&z->mu);
	for (;;) {
		while (!z->quit && z->next_take == z->next_seq)
			pthread_cond_wait(&z->work, &z->mu);
		if (z->next_take == z->next_seq)
			break; /* quit, and nothing left queued */
		b = &z->ring[z->next_take % z->nring];
		z->next_take++;
		b->state = PZ_BUSY;
		pthread_mutex_unlock(&z->mu);
		b->zerr = ok ? pz_compress(&zs, b) : Z_MEM_ERROR;
		pthread_mutex_lock(&z->mu);
		b->state = PZ_DONE;
		pthread_cond_broadcast(&z->done);
	}
	pthread_mutex_unlock(&z->mu);
	if (ok)
		deflateEnd(&zs);
	return NULL;
}

static int
pz_write_all(struct pz *z, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(z->fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return errf(&z->err, "write %s:", z->path);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes out compressed blocks in order; with wait, until block `until`
 * (exclusive) has been written, otherwise only those already done. */
static int
pz_flush(struct pz *z, bool wait, uint64_t until)
{
	struct pz_blk *b;

	for (;;) {
		pthread_mutex_lock(&z->mu);
		if (z->next_write >= until || z->next_write == z->next_seq) {
			pthread_mutex_unlock(&z->mu);
			return 0;
		}
		b = &z->ring[z->next_write % z->nring];
		while (wait && b->state != PZ_DONE)
			pthread_cond_wait(&z->done, &z->mu);
		if (b->state != PZ_DONE) {
			pthread_mutex_unlock(&z->mu);
			return 0;
		}
		pthread_mutex_unlock(&z->mu);
		if (b->zerr != 0)
			return errf(&z->err, "compress slug: zlib error %d",
			    b->zerr);
		z->written += b->outlen;
		if (z->max_bytes > 0 && z->written + 18 > z->max_bytes) {
			z->too_big = true;
			return errf(&z->err,
			    "slug exceeds the limit of %llu "
			    "bytes",
			    (unsigned long long)z->max_bytes);
		}
		if (pz_write_all(z, b->out, b->outlen) == -1)
			return -1;
		z->crc = crc32_combine(z->crc, b->crc, (z_off_t)b->inlen);
		z->isize += b->inlen;
		pthread_mutex_lock(&z->mu);
		b->state = PZ_FREE;
		b->inlen = 0;
		z->next_write++;
		pthread_mutex_unlock(&z->mu);
	}
}

/* Queues the current block (compressing it right away without threads)
 * and sets its successor's dictionary up. */
static int
pz_submit(struct pz *z, bool last)
{
	struct pz_blk *b = z->cur;
	size_t keep;

	memcpy(b->dict, z->tail, z->taillen);
	b->dictlen = z->taillen;
	/* The next dictionary: the last 32 KiB of everything so far. */
	if (b->inlen >= PZ_DICT) {
		memcpy(z->tail, b->in + b->inlen - PZ_DICT, PZ_DICT);
		z->taillen = PZ_DICT;
	} else {
		keep = z->taillen + b->inlen > PZ_DICT ? PZ_DICT - b->inlen
						       : z->taillen;
		memmove(z->tail, z->tail + z->taillen - keep, keep);
		memcpy(z->tail + keep, b->in, b->inlen);
		z->taillen = keep + b->inlen;
	}
	b->last = last;
	z->cur = NULL;
	pthread_mutex_lock(&z->mu);
	b->seq = z->next_seq++;
	b->state = PZ_QUEUED;
	if (z->nth > 0)
		pthread_cond_signal(&z->work);
	pthread_mutex_unlock(&z->mu);
	if (z->nth == 0) {
		z->next_take++;
		b->zerr = pz_compress(&z->zs, b);
		b->state = PZ_DONE;
	}
	return pz_flush(z, false, UINT64_MAX);
}

/* Makes the next ring slot the current block, writing out older blocks
 * when the ring is full. */
static int
pz_acquire(struct pz *z)
{
	struct pz_blk *b = &z->ring[z->next_seq % z->nring];

	if (z->next_seq >= z->nring &&
	    pz_flush(z, true, z->next_seq - z->nring + 1) == -1)
		return -1;
	b->inlen = 0;
	z->cur = b;
	return 0;
}

static int
pz_write(struct pz *z, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t n;

	if (z->aborted)
		return z->err.msg[0] ? -1 : errf(&z->err, "packing aborted");
	while (len > 0) {
		if (z->cur->inlen == z->bsize) {
			if (z->cancel != NULL && z->cancel()) {
				z->cancelled = true;
				return errf(&z->err, "packing interrupted");
			}
			if (pz_submit(z, false) == -1 || pz_acquire(z) == -1)
				return -1;
		}
		n = z->bsize - z->cur->inlen;
		if (n > len)
			n = len;
		memcpy(z->cur->in + z->cur->inlen, p, n);
		z->cur->inlen += n;
		p += n;
		len -= n;
	}
	return 0;
}

static void
pz_stop(struct pz *z)
{
	size_t i;

	pthread_mutex_lock(&z->mu);
	z->quit = true;
	/* Drop what is queued and not started: nobody will write it. */
	z->next_take = z->next_seq;
	pthread_cond_broadcast(&z->work);
	pthread_mutex_unlock(&z->mu);
	for (i = 0; i < z->nth; i++)
		pthread_join(z->th[i], NULL);
	z->nth = 0;
}

static void
pz_free(struct pz *z)
{
	size_t i;

	pz_stop(z);
	for (i = 0; i < z->nring; i++) {
		free(z->ring[i].in);
		free(z->ring[i].out);
	}
	free(z->ring);
	free(z->th);
	if (z->zs_ok)
		deflateEnd(&z->zs);
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->work);
	pthread_cond_destroy(&z->done);
}

/* The gzip header: deflate, no name, mtime 0 (reproducible), OS Unix. */
static const unsigned char gz_head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

static int
pz_init(struct pz *z, int fd, const char *path, int level, int threads,
    size_t bsize)
{
	size_t i;

	memset(z, 0, sizeof *z);
	z->fd = fd;
	z->path = path;
	z->level = level;
	z->bsize = bsize;
	z->crc = crc32(0L, Z_NULL, 0);
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->work, NULL);
	pthread_cond_init(&z->done, NULL);
	/* Four blocks per thread in flight keep the workers busy through the
	 * reader's and the writer's pauses (a few MiB in all). */
	z->nring = threads > 1 ? (size_t)threads * 4 + 2 : 1;
	if ((z->ring = calloc(z->nring, sizeof *z->ring)) == NULL)
		return errf(&z->err, "compress slug:");
	for (i = 0; i < z->nring; i++)
		if ((z->ring[i].in = malloc(bsize)) == NULL)
			return errf(&z->err, "compress slug:");
	if (threads <= 1) {
		if (pz_deflate_init(&z->zs, level) != Z_OK)
			return errf(&z->err, "compress slug: deflateInit2");
		z->zs_ok = true;
	} else {
		if ((z->th = calloc((size_t)threads, sizeof *z->th)) == NULL)
			return errf(&z->err, "compress slug:");
		for (i = 0; i < (size_t)threads; i++) {
			errno = pthread_create(&z->th[i], NULL, pz_worker, z);
			if (errno != 0)
				return errf(&z->err, "start thread:");
			z->nth++;
		}
	}
	z->cur = &z->ring[0];
	return pz_write_all(z, gz_head, sizeof gz_head);
}

static int
pz_finish(struct pz *z)
{
	unsigned char trailer[8];
	int i;

	if (pz_submit(z, true) == -1 || pz_flush(z, true, UINT64_MAX) == -1)
		return -1;
	for (i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(z->crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(z->isize >> (8 * i));
	}
	if (pz_write_all(z, trailer, sizeof trailer) == -1)
		return -1;
	z->written += sizeof gz_head + sizeof trailer;
	return 0;
}

/* ==== libarchive glue ================================================= */

static la_ssize_t
pack_la_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct pz *z = arg;

	if (pz_write(z, buf, len) == -1) {
		archive_set_error(a, EIO, "%s", z->err.msg);
		return -1;
	}
	return (la_ssize_t)len;
}

struct packer {
	const struct pack_opts *o;
	struct walk w;
	struct archive *a;
	struct archive_entry_linkresolver *lr;
	struct pz z;
	unsigned char *buf;
	size_t bufsize;
	uint64_t done;
	size_t entries;
};

/* The message for a libarchive failure: the compressor's own error when
 * it caused it, libarchive's otherwise. */
static int
la_fail(struct packer *p, const char *what, const char *name, struct errbuf *e)
{
	if (p->z.err.msg[0] != '\0')
		return errf(e, "%s", p->z.err.msg);
	return errf(e, "%s %s: %s", what, name, archive_error_string(p->a));
}

static int
pack_file_data(struct packer *p, const char *full, const struct stat *st,
    struct errbuf *e)
{
	uint64_t left = (uint64_t)st->st_size;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errf(e, "open %s:", full);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (left > 0) {
		n = read(fd, p->buf, left < p->bufsize ? left : p->bufsize);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			errf(e, "read %s:", full);
			goto out;
		}
		if (n == 0) {
			errf(e, "%s: file shrank while packing", full);
			goto out;
		}
		if (archive_write_data(p->a, p->buf, (size_t)n) != n) {
			la_fail(p, "write", full, e);
			goto out;
		}
		left -= (uint64_t)n;
		p->done += (uint64_t)n;
		if (p->o->progress != NULL)
			p->o->progress(p->o->progress_arg, p->done, p->w.total);
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
pack_entry(struct packer *p, const struct ent *en, struct errbuf *e)
{
	char full[PATH_MAX], name[PATH_MAX];
	struct archive_entry *ae, *spare = NULL;
	const struct stat *st = &en->st;
	int rc = -1;

	if (path_join(full, sizeof full, p->w.root, en->rel, e) == -1)
		return -1;
	if (tar_name(name, sizeof name, p->w.prefix, en->rel, false) == -1)
		return errf(e, "path too long: %s", full);
	if ((ae = archive_entry_new()) == NULL)
		return errf(e, "pack %s:", full);
	archive_entry_copy_pathname(ae, name);
	archive_entry_set_filetype(ae, st->st_mode & S_IFMT);
	archive_entry_set_perm(ae, st->st_mode & 07777);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, p->o->mtime, 0);
	if (S_ISREG(st->st_mode)) {
		archive_entry_set_size(ae, st->st_size);
		archive_entry_set_dev(ae, st->st_dev);
		archive_entry_set_ino64(ae, (la_int64_t)st->st_ino);
		archive_entry_set_nlink(ae, (unsigned)st->st_nlink);
		if (st->st_nlink > 1)
			archive_entry_linkify(p->lr, &ae, &spare);
	} else if (S_ISLNK(st->st_mode))
		archive_entry_copy_symlink(ae, en->target);
	if (archive_write_header(p->a, ae) != ARCHIVE_OK) {
		la_fail(p, "pack", full, e);
		goto out;
	}
	p->entries++;
	/* A later link to a file already packed has size 0 and no body. */
	if (S_ISREG(st->st_mode) && archive_entry_hardlink(ae) == NULL &&
	    pack_file_data(p, full, st, e) == -1)
		goto out;
	rc = 0;
out:
	archive_entry_free(ae);
	archive_entry_free(spare);
	return rc;
}

static int
online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int
pack_dir(const char *dir, const char *out, const struct pack_opts *o,
    struct pack_result *r, struct errbuf *e)
{
	static const struct pack_opts defaults = PACK_OPTS_INIT;
	struct pack_result res = {0};
	struct packer p = {0};
	struct errbuf why;
	struct stat st;
	char *tmp = NULL, name[PATH_MAX];
	const char *slash;
	bool z_ok = false;
	int fd = -1, rc = -1, threads, level;
	size_t i, bsize;

	if (o == NULL)
		o = &defaults;
	p.o = o;
	p.w.root = dir;
	p.w.ig = o->ignore;
	p.w.cancel = o->cancel;
	p.w.warn = o->warn;
	p.w.warn_arg = o->warn_arg;
	p.w.prefix = o->prefix != NULL && *o->prefix != '\0' ? o->prefix : ".";
	level = o->level > 0 && o->level <= 9 ? o->level : 6;
	threads = o->threads > 0 ? o->threads : online_cpus();
	bsize = o->block_size >= PZ_DICT ? o->block_size : 256 * 1024;

	if (stat(dir, &st) == -1) {
		errf(e, "%s:", dir);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		errf(e, "%s: not a directory", dir);
		goto out;
	}
	/* Every other entry is named below the root's entry. */
	if ((tar_name(name, sizeof name, p.w.prefix, "", true) == -1
		    ? errf(&why, "too long")
		    : slugpolicy_check(name, S_IFDIR, NULL, NULL, &why)) ==
	    -1) {
		errf(e, "pack %s: entry prefix '%s' refused: %s", dir,
		    p.w.prefix, why.msg);
		goto out;
	}
	if (entv_push(&p.w.ents, "", &st, NULL) == -1) {
		errf(e, "pack %s:", dir);
		goto out;
	}
	if (walk_dir(&p.w, "", e) == -1) {
		res.cancelled = o->cancel != NULL && o->cancel();
		goto out;
	}
	qsort(p.w.ents.v, p.w.ents.n, sizeof *p.w.ents.v, cmp_ent);

	/* The slug goes to a temporary file beside out, renamed when whole.
	 * The rename would replace whatever out is: only a regular file (or
	 * nothing) may be there, never a device, a directory or a symlink. */
	if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
		errf(e, "%s: exists and is not a regular file", out);
		goto out;
	}
	slash = strrchr(out, '/');
	if (asprintf(&tmp, "%.*s.%s.XXXXXX", slash ? (int)(slash - out + 1) : 0,
		out, slash ? slash + 1 : out) == -1) {
		tmp = NULL;
		errf(e, "pack %s:", out);
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		errf(e, "create %s:", tmp);
		goto out;
	}
	if (fchmod(fd, 0644) == -1) {
		errf(e, "chmod %s:", tmp);
		goto out;
	}
	z_ok = true;
	if (pz_init(&p.z, fd, out, level, threads, bsize) == -1) {
		errf(e, "%s", p.z.err.msg);
		goto out;
	}
	p.z.max_bytes = o->max_bytes;
	p.z.cancel = o->cancel;
	p.bufsize = 1 << 20;
	if ((p.buf = malloc(p.bufsize)) == NULL ||
	    (p.lr = archive_entry_linkresolver_new()) == NULL ||
	    (p.a = archive_write_new()) == NULL) {
		errf(e, "pack %s:", dir);
		goto out;
	}
	/* GNU tar's format, as `tar czf` writes Heroku's slugs: ustar-like
	 * headers, ././@LongLink entries for long names and link targets,
	 * and names stored as the bytes they are.  (pax would convert names
	 * through the locale, so a slug would depend on LANG and a name not
	 * valid in it would fail, or warn with hdrcharset=BINARY in GNU
	 * tar.) */
	if (archive_write_set_format_gnutar(p.a) != ARCHIVE_OK ||
	    archive_write_open(p.a, &p.z, NULL, pack_la_write, NULL) !=
		ARCHIVE_OK) {
		errf(e, "pack %s: %s", dir, archive_error_string(p.a));
		goto out;
	}
	archive_entry_linkresolver_set_strategy(p.lr,
	    ARCHIVE_FORMAT_TAR_GNUTAR);
	for (i = 0; i < p.w.ents.n; i++)
		if (pack_entry(&p, &p.w.ents.v[i], e) == -1)
			goto out;
	if (archive_write_close(p.a) != ARCHIVE_OK) {
		la_fail(&p, "pack", dir, e);
		goto out;
	}
	if (pz_finish(&p.z) == -1) {
		errf(e, "%s", p.z.err.msg);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		errf(e, "write %s:", out);
		goto out;
	}
	fd = -1;
	if (rename(tmp, out) == -1) {
		errf(e, "rename %s to %s:", tmp, out);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	/* The archive goes first: freeing an archive that was not closed
	 * flushes its last block into the compressor, which refuses it once
	 * aborted.  (archive_write_fail would leak libarchive's buffer.) */
	p.z.aborted = true;
	if (p.a != NULL)
		archive_write_free(p.a);
	if (z_ok) {
		res.too_big = p.z.too_big;
		res.cancelled = res.cancelled || p.z.cancelled;
		res.tar = p.z.isize + (p.z.cur ? p.z.cur->inlen : 0);
		res.compressed = p.z.written;
		pz_free(&p.z);
	}
	archive_entry_linkresolver_free(p.lr);
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	res.raw = p.done;
	res.entries = p.entries;
	res.ignored = p.w.ignored;
	res.skipped = p.w.skipped;
	if (r != NULL)
		*r = res;
	free(p.buf);
	entv_free(&p.w.ents);
	return rc;
}
