/* treesum.c - see treesum.h.
 *
 * The content hash has four independent 64-bit lanes, each taking every
 * fourth 8-byte word with a multiply and a rotate (the shape of xxHash64's
 * round): the lanes run in parallel in the CPU, so the hash keeps up with
 * memory.  Bytes that do not fill a 32-byte stripe wait in tail, which is
 * what makes the result independent of how the input was cut. */
#include "treesum.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define P1 0x9e3779b185ebca87ULL
#define P2 0xc2b2ae3d27d4eb4fULL
#define P3 0x165667b19e3779f9ULL
#define P4 0x85ebca77c2b2ae63ULL

#define READ_BLOCK (1 << 20)

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t
word(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof w);
	return w;
}

static uint64_t
round64(uint64_t acc, uint64_t w)
{
	return rotl(acc + w * P2, 31) * P1;
}

/* Spreads every input bit over the whole result (a finaliser). */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= P2;
	x ^= x >> 29;
	x *= P3;
	x ^= x >> 32;
	return x;
}

void
treesum_hash_init(struct treesum_hash *h)
{
	h->v[0] = P1 + P2;
	h->v[1] = P2;
	h->v[2] = 0;
	h->v[3] = -P1;
	h->len = 0;
	h->ntail = 0;
}

static void
stripe(uint64_t v[4], const unsigned char *p)
{
	v[0] = round64(v[0], word(p));
	v[1] = round64(v[1], word(p + 8));
	v[2] = round64(v[2], word(p + 16));
	v[3] = round64(v[3], word(p + 24));
}

void
treesum_hash_update(struct treesum_hash *h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t v[4];
	size_t n;

	h->len += len;
	if (h->ntail > 0) {
		n = sizeof h->tail - h->ntail < len ? sizeof h->tail - h->ntail
						    : len;
		memcpy(h->tail + h->ntail, p, n);
		h->ntail += n;
		p += n;
		len -= n;
		if (h->ntail < sizeof h->tail)
			return;
		stripe(h->v, h->tail);
		h->ntail = 0;
	}
	memcpy(v, h->v, sizeof v);
	for (; len >= 32; p += 32, len -= 32)
		stripe(v, p);
	memcpy(h->v, v, sizeof v);
	memcpy(h->tail, p, len);
	h->ntail = len;
}

uint64_t
treesum_hash_final(const struct treesum_hash *h)
{
	uint64_t r = rotl(h->v[0], 1) + rotl(h->v[1], 7) + rotl(h->v[2], 12) +
	    rotl(h->v[3], 18);
	size_t i = 0;

	r = (r ^ round64(0, h->v[0])) * P1 + P4;
	r = (r ^ round64(0, h->v[1])) * P1 + P4;
	r = (r ^ round64(0, h->v[2])) * P1 + P4;
	r = (r ^ round64(0, h->v[3])) * P1 + P4;
	r += h->len;
	for (; i + 8 <= h->ntail; i += 8)
		r = rotl(r ^ round64(0, word(h->tail + i)), 27) * P1 + P4;
	for (; i < h->ntail; i++)
		r = rotl(r ^ (h->tail[i] * P3), 11) * P1;
	return mix(r);
}

static uint64_t
name_hash(const char *name, size_t len)
{
	struct treesum_hash h;

	treesum_hash_init(&h);
	treesum_hash_update(&h, name, len);
	return treesum_hash_final(&h);
}

uint64_t
treesum_size_term(const char *name, size_t namelen, uint64_t size)
{
	return mix(name_hash(name, namelen) ^ mix(size + P3));
}

uint64_t
treesum_content_term(const char *name, size_t namelen, uint64_t size,
    uint64_t chash)
{
	return mix(name_hash(name, namelen) + mix(size ^ P4) * P1 + chash);
}

void
treesum_add(struct treesum *t, const char *name, size_t namelen, uint64_t size,
    uint64_t chash)
{
	t->files++;
	t->bytes += size;
	t->sizes += treesum_size_term(name, namelen, size);
	t->content += treesum_content_term(name, namelen, size, chash);
}

void
treesum_remove(struct treesum *t, const char *name, size_t namelen,
    uint64_t size, uint64_t chash)
{
	t->files--;
	t->bytes -= size;
	t->sizes -= treesum_size_term(name, namelen, size);
	t->content -= treesum_content_term(name, namelen, size, chash);
}

int
treesum_hash_fd(int fd, uint64_t *chash, uint64_t *size)
{
	struct treesum_hash h;
	unsigned char *buf;
	ssize_t n;

	if ((buf = malloc(READ_BLOCK)) == NULL)
		return -1;
	treesum_hash_init(&h);
	while ((n = read(fd, buf, READ_BLOCK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int saved = errno;
			free(buf);
			errno = saved;
			return -1;
		}
		treesum_hash_update(&h, buf, (size_t)n);
	}
	free(buf);
	*chash = treesum_hash_final(&h);
	*size = h.len;
	return 0;
}

int
treesum_tree(const char *root, struct treesum *t, struct errbuf *e)
{
	char *const roots[] = {(char *)root, NULL};
	size_t rootlen = strlen(root);
	uint64_t chash, size;
	FTSENT *ent;
	FTS *fts;
	int fd, rc = 0;

	memset(t, 0, sizeof *t);
	if ((fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL)) == NULL)
		return errf(e, "read %s:", root);
	while (rc == 0 && (errno = 0, ent = fts_read(fts)) != NULL) {
		switch (ent->fts_info) {
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			errno = ent->fts_errno;
			rc = errf(e, "read %s:", ent->fts_path);
			break;
		case FTS_F:
			fd = open(ent->fts_accpath,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1 ||
			    treesum_hash_fd(fd, &chash, &size) == -1)
				rc = errf(e, "read %s:", ent->fts_path);
			if (fd != -1)
				close(fd);
			if (rc == 0)
				treesum_add(t, ent->fts_path + rootlen + 1,
				    ent->fts_pathlen - rootlen - 1, size,
				    chash);
			break;
		default:
			break;
		}
	}
	if (rc == 0 && ent == NULL && errno != 0)
		rc = errf(e, "read %s:", root);
	fts_close(fts);
	return rc;
}
