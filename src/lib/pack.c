/* pack.c - slugs: the tar walk's entries (packwalk.c) written by libarchive
 * in GNU tar's format into the parallel deflater (pgzip.c), into a
 * temporary file renamed into place when whole. */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "monotime.h"
#include "packlayer.h"
#include "packwalk.h"
#include "pgzip.h"

/* What libarchive pads the tar stream to, as `tar` does: the slug's tar
 * ends on a multiple of it. */
#define TAR_RECORD 10240

struct packer {
	const struct pack_opts *o;
	struct packwalk w;
	struct archive *a;
	struct archive_entry_linkresolver *lr;
	struct pgzip *z;
	unsigned char *buf;
	size_t bufsize;
	uint64_t done;
	uint64_t tar_off; /* bytes of tar written */
	size_t entries;
	struct packlayer *layers;
	size_t nlayers;
	size_t reused, stored, damaged;
	double ms_walk, ms_layers, ms_splice, t0;
};

static la_ssize_t
pack_la_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct packer *p = arg;
	struct errbuf e;

	if (pgzip_write(p->z, buf, len, &e) == -1) {
		archive_set_error(a, EIO, "%s", e.msg);
		return -1;
	}
	p->tar_off += len;
	return (la_ssize_t)len;
}

/* The message for a libarchive failure: the compressor's own error when
 * it caused it, libarchive's otherwise. */
static int
la_fail(struct packer *p, const char *what, const char *name, struct errbuf *e)
{
	const char *zerr = p->z != NULL ? pgzip_error(p->z) : NULL;

	if (zerr != NULL)
		return errf(e, "%s", zerr);
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

/* The tar entry of en, as pack_entry writes it, named into name and
 * linked by the link resolver (a later name of a file already packed
 * becomes a hard link to the first).  *spare gets what the resolver hands
 * back, for the caller to free with the entry. */
static struct archive_entry *
make_entry(struct packer *p, const struct packwalk_ent *en, time_t mtime,
    const char *full, struct archive_entry **spare, struct errbuf *e)
{
	const struct stat *st = &en->st;
	struct archive_entry *ae;
	char name[PATH_MAX];

	*spare = NULL;
	if (packwalk_tar_name(name, sizeof name, p->w.prefix, en->rel, false) ==
	    -1) {
		errf(e, "path too long: %s", full);
		return NULL;
	}
	if ((ae = archive_entry_new()) == NULL) {
		errf(e, "pack %s:", full);
		return NULL;
	}
	archive_entry_copy_pathname(ae, name);
	archive_entry_set_filetype(ae, st->st_mode & S_IFMT);
	archive_entry_set_perm(ae, st->st_mode & 07777);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, mtime, 0);
	if (S_ISREG(st->st_mode)) {
		archive_entry_set_size(ae, st->st_size);
		archive_entry_set_dev(ae, st->st_dev);
		archive_entry_set_ino64(ae, (la_int64_t)st->st_ino);
		archive_entry_set_nlink(ae, (unsigned)st->st_nlink);
		if (st->st_nlink > 1)
			archive_entry_linkify(p->lr, &ae, spare);
	} else if (S_ISLNK(st->st_mode))
		archive_entry_copy_symlink(ae, en->target);
	return ae;
}

static int
pack_entry(struct packer *p, const struct packwalk_ent *en, time_t mtime,
    struct errbuf *e)
{
	char full[PATH_MAX];
	struct archive_entry *ae, *spare = NULL;
	const struct stat *st = &en->st;
	int rc = -1;

	if (packwalk_join(full, sizeof full, p->w.root, en->rel, e) == -1 ||
	    (ae = make_entry(p, en, mtime, full, &spare, e)) == NULL)
		return -1;
	if (archive_write_header(p->a, ae) != ARCHIVE_OK) {
		la_fail(p, "pack", full, e);
		goto out;
	}
	p->entries++;
	/* A later link to a file already packed has size 0 and no body. */
	if (S_ISREG(st->st_mode) && archive_entry_hardlink(ae) == NULL &&
	    pack_file_data(p, full, st, e) == -1)
		goto out;
	/* The entry's padding now, not with the next header: a layer's
	 * cut must fall between entries. */
	if (archive_write_finish_entry(p->a) != ARCHIVE_OK) {
		la_fail(p, "pack", full, e);
		goto out;
	}
	rc = 0;
out:
	archive_entry_free(ae);
	archive_entry_free(spare);
	return rc;
}

/* A layer spliced from its segment: its entries go through the link
 * resolver as if written, so a later link to one of its files is written
 * as a link, exactly as when the layer is compressed. */
static int
skip_layer(struct packer *p, const struct packlayer *l, struct errbuf *e)
{
	struct archive_entry *ae, *spare;
	char full[PATH_MAX];
	size_t i;

	for (i = l->start; i < l->end; i++) {
		const struct packwalk_ent *en = &p->w.v[i];

		if (packwalk_join(full, sizeof full, p->w.root, en->rel, e) ==
			-1 ||
		    (ae = make_entry(p, en, p->o->layer_mtime, full, &spare,
			 e)) == NULL)
			return -1;
		if (S_ISREG(en->st.st_mode) &&
		    archive_entry_hardlink(ae) == NULL)
			p->done += (uint64_t)en->st.st_size;
		p->entries++;
		archive_entry_free(ae);
		archive_entry_free(spare);
	}
	if (p->o->progress != NULL)
		p->o->progress(p->o->progress_arg, p->done, p->w.total);
	return 0;
}

/* Compresses a layer between two cuts, keeping what it compresses to as
 * its segment unless told not to (or the segment cannot be written: the
 * slug does not depend on it). */
static int
compress_layer(struct packer *p, const struct packlayer *l, struct errbuf *e)
{
	struct pgzip_seg s;
	struct errbuf why;
	char *tmp = NULL;
	int fd = -1, r;
	size_t i;

	if (p->o->segments != PACK_SEG_COLD)
		fd = packlayer_seg_create(l, &tmp, &why);
	if ((fd == -1 ? pgzip_cut(p->z, e)
		      : pgzip_capture_begin(p->z, fd, e)) == -1)
		goto fail;
	for (i = l->start; i < l->end; i++)
		if (pack_entry(p, &p->w.v[i], p->o->layer_mtime, e) == -1)
			goto fail;
	if (fd == -1)
		return pgzip_cut(p->z, e);
	if ((r = pgzip_capture_end(p->z, &s, e)) == -1)
		goto fail;
	if (r == 1)
		packlayer_seg_drop(fd, tmp);
	else if (packlayer_seg_commit(l, fd, tmp, &s, &why) == 0)
		p->stored++;
	return 0;
fail:
	packlayer_seg_drop(fd, tmp);
	return -1;
}

/* Packs a layer: its kept segment spliced in when there is a good one,
 * compressed otherwise. */
static int
pack_layer(struct packer *p, const struct packlayer *l, struct errbuf *e)
{
	struct pgzip_seg s;
	struct errbuf why;
	bool damaged;
	int fd, r;

	if (p->o->segments != PACK_SEG_REUSE)
		return compress_layer(p, l, e);
	if ((fd = packlayer_seg_open(l, &s, &damaged, &why)) != -1) {
		double t = monotime_msf();

		r = pgzip_splice(p->z, fd, &s, e);
		close(fd);
		p->ms_splice += monotime_msf() - t;
		if (r == -1)
			return -1;
		if (r == 0) {
			p->reused++;
			p->tar_off += s.ulen;
			return skip_layer(p, l, e);
		}
		damaged = true;
	}
	if (damaged)
		p->damaged++;
	return compress_layer(p, l, e);
}

static bool
skip_ignored(void *arg, const char *rel, bool is_dir)
{
	return pack_ignore_match(arg, rel, is_dir);
}

static int
online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* The slug goes to a temporary file beside out (*tmp, malloc'd even on
 * failure, for the caller to remove), renamed when whole.  The rename would
 * replace whatever out is: only a regular file (or nothing) may be there,
 * never a device, a directory or a symlink.  Returns the open file or -1. */
static int
open_tmp(const char *out, char **tmp, struct errbuf *e)
{
	const char *slash = strrchr(out, '/');
	struct stat st;
	int fd;

	*tmp = NULL;
	if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode))
		return errf(e, "%s: exists and is not a regular file", out);
	if (asprintf(tmp, "%.*s.%s.XXXXXX", slash ? (int)(slash - out + 1) : 0,
		out, slash ? slash + 1 : out) == -1) {
		*tmp = NULL;
		return errf(e, "pack %s:", out);
	}
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) == -1)
		return errf(e, "create %s:", *tmp);
	if (fchmod(fd, 0644) == -1) {
		errf(e, "chmod %s:", *tmp);
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes the walk's entries through libarchive into the compressor. */
static int
write_tar(struct packer *p, const char *dir, struct errbuf *e)
{
	static const unsigned char zeros[TAR_RECORD];
	size_t i, k = 0;

	p->bufsize = 1 << 20;
	if ((p->buf = malloc(p->bufsize)) == NULL ||
	    (p->lr = archive_entry_linkresolver_new()) == NULL ||
	    (p->a = archive_write_new()) == NULL)
		return errf(e, "pack %s:", dir);
	/* GNU tar's format, as `tar czf` writes Heroku's slugs: ustar-like
	 * headers, ././@LongLink entries for long names and link targets,
	 * and names stored as the bytes they are.  (pax would convert names
	 * through the locale, so a slug would depend on LANG and a name not
	 * valid in it would fail, or warn with hdrcharset=BINARY in GNU
	 * tar.) */
	/* Unblocked: every byte reaches the compressor as the entry is
	 * written, so a layer's cut falls where its first entry starts.  (The
	 * last record's padding is ours, below.) */
	if (archive_write_set_format_gnutar(p->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(p->a, 0) != ARCHIVE_OK ||
	    archive_write_open(p->a, p, NULL, pack_la_write, NULL) !=
		ARCHIVE_OK)
		return errf(e, "pack %s: %s", dir, archive_error_string(p->a));
	archive_entry_linkresolver_set_strategy(p->lr,
	    ARCHIVE_FORMAT_TAR_GNUTAR);
	for (i = 0; i < p->w.n;) {
		if (k < p->nlayers && i == p->layers[k].start) {
			if (pack_layer(p, &p->layers[k], e) == -1)
				return -1;
			i = p->layers[k++].end;
		} else if (pack_entry(p, &p->w.v[i++], p->o->mtime, e) == -1)
			return -1;
	}
	if (archive_write_close(p->a) != ARCHIVE_OK)
		return la_fail(p, "pack", dir, e);
	if (p->tar_off % TAR_RECORD != 0 &&
	    pgzip_write(p->z, zeros, TAR_RECORD - p->tar_off % TAR_RECORD, e) ==
		-1)
		return -1;
	return 0;
}

/* Frees what p holds, its figures into r (may be NULL) first. */
static void
packer_done(struct packer *p, struct pack_result *r)
{
	struct pack_result res = {0};
	struct pgzip_stats zs;

	/* The archive goes first: freeing an archive that was not closed
	 * flushes its last block into the compressor, which refuses it once
	 * aborted.  (archive_write_fail would leak libarchive's buffer.) */
	if (p->z != NULL)
		pgzip_abort(p->z);
	if (p->a != NULL)
		archive_write_free(p->a);
	res.cancelled = p->w.cancelled;
	if (p->z != NULL) {
		pgzip_stats(p->z, &zs);
		res.too_big = zs.too_big;
		res.cancelled = res.cancelled || zs.cancelled;
		res.tar = zs.in;
		res.compressed = zs.written;
		pgzip_free(p->z);
	}
	archive_entry_linkresolver_free(p->lr);
	res.raw = p->done;
	res.entries = p->entries;
	res.layers = p->nlayers;
	res.reused = p->reused;
	res.stored = p->stored;
	res.damaged = p->damaged;
	res.ms_walk = p->ms_walk;
	res.ms_layers = p->ms_layers;
	res.ms_splice = p->ms_splice;
	if (p->t0 > 0)
		res.ms_rest = monotime_msf() - p->t0 - p->ms_walk -
		    p->ms_layers - p->ms_splice;
	packlayer_free(p->layers, p->nlayers);
	res.ignored = p->w.ignored;
	res.skipped = p->w.skipped;
	if (r != NULL)
		*r = res;
	free(p->buf);
	packwalk_free(&p->w);
}

/* Which of the subtrees the options name are layers. */
static int
find_layers(struct packer *p, const struct pgzip_opts *zo, struct errbuf *e)
{
	struct packlayer_settings set = {zo->level, zo->block_size,
	    p->o->layer_mtime};
	double t = monotime_msf();
	int rc;

	p->ms_walk = t - p->t0;
	rc = packlayer_find(&p->w, p->o->layers, p->o->nlayers, &set,
	    &p->layers, &p->nlayers, e);
	p->ms_layers = monotime_msf() - t;
	return rc;
}

int
pack_dir(const char *dir, const char *out, const struct pack_opts *o,
    struct pack_result *r, struct errbuf *e)
{
	static const struct pack_opts defaults = PACK_OPTS_INIT;
	struct packer p = {0};
	struct pgzip_opts zo = {0};
	char *tmp = NULL;
	int fd = -1, rc = -1;

	if (o == NULL)
		o = &defaults;
	p.o = o;
	p.t0 = monotime_msf();
	p.w.root = dir;
	p.w.prefix = o->prefix != NULL && *o->prefix != '\0' ? o->prefix : ".";
	p.w.skip = o->ignore != NULL ? skip_ignored : NULL;
	p.w.skip_arg = (void *)o->ignore;
	p.w.cancel = o->cancel;
	p.w.warn = o->warn;
	p.w.warn_arg = o->warn_arg;
	zo.level = o->level > 0 && o->level <= 9 ? o->level : 6;
	zo.threads = o->threads > 0 ? o->threads : online_cpus();
	zo.block_size =
	    o->block_size >= PGZIP_DICT ? o->block_size : 256 * 1024;
	zo.max_bytes = o->max_bytes;
	zo.cancel = o->cancel;
	if (packwalk_run(&p.w, e) == -1 || find_layers(&p, &zo, e) == -1 ||
	    (fd = open_tmp(out, &tmp, e)) == -1 ||
	    (p.z = pgzip_new(fd, out, &zo, e)) == NULL ||
	    write_tar(&p, dir, e) == -1 || pgzip_finish(p.z, e) == -1)
		goto out;
	rc = close(fd);
	fd = -1;
	if (rc == -1)
		errf(e, "write %s:", out);
	else if ((rc = rename(tmp, out)) == -1)
		errf(e, "rename %s to %s:", tmp, out);
	else {
		free(tmp);
		tmp = NULL;
	}
out:
	packer_done(&p, r);
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return rc;
}
