/* testtar.h - archives written with libarchive from a table of entries, for
 * the tests that extract them (unpack, runtime download, downloader, install).
 * Static inline, so that including it costs a test nothing it does not
 * use. */
#ifndef SLUGC_TESTTAR_H
#define SLUGC_TESTTAR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"

/* One entry to write.  type is AE_IFREG, AE_IFDIR, AE_IFLNK, a device
 * (written as /dev/null's numbers), ...; type 0 with link set is a hard
 * link to link.  A regular file holds data (strlen(data) bytes), or size
 * bytes of filler: zeros when data is NULL, xorshift noise (which does not
 * compress) when data is tar_noise. */
struct tar_ent {
	const char *path;
	mode_t type;
	mode_t perm;
	const char *data;
	int64_t size;
	const char *link; /* a symlink's or a hard link's target */
};

static const char tar_noise[1];

/* Writes size bytes of filler, 1 MiB at a time; *x is the xorshift state,
 * which runs on from entry to entry. */
static inline int
tar_write_filler(struct archive *a, int64_t size, bool noise, uint64_t *x)
{
	static unsigned char zeros[1 << 20], bytes[1 << 20];

	for (int64_t left = size; left > 0;) {
		size_t k =
		    left > (int64_t)sizeof zeros ? sizeof zeros : (size_t)left;

		for (size_t i = 0; noise && i < k; i++) {
			*x ^= *x << 13;
			*x ^= *x >> 7;
			*x ^= *x << 17;
			bytes[i] = (unsigned char)(*x >> 24);
		}
		if (archive_write_data(a, noise ? bytes : zeros, k) !=
		    (la_ssize_t)k)
			return -1;
		left -= (int64_t)k;
	}
	return 0;
}

/* Writes the n entries to file as an archive of the given format and
 * filter (ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP, ...).
 * Entry i gets the mtime 1500000000 + i.  Returns 0, or -1 after saying
 * why on stderr. */
static inline int
tar_write(const char *file, int format, int filter, const struct tar_ent *ents,
    size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae = NULL;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int rc = -1;

	if (archive_write_set_format(a, format) != ARCHIVE_OK ||
	    archive_write_add_filter(a, filter) != ARCHIVE_OK ||
	    archive_write_open_filename(a, file) != ARCHIVE_OK) {
		fprintf(stderr, "tar_write %s: %s\n", file,
		    archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct tar_ent *t = &ents[i];
		bool reg = t->type == AE_IFREG;
		bool filler = t->data == NULL || t->data == tar_noise;
		int64_t size = !reg ? 0
		    : !filler	    ? (int64_t)strlen(t->data)
		    : t->size > 0   ? t->size
				    : 0;

		if ((ae = archive_entry_new()) == NULL)
			goto out;
		archive_entry_set_pathname(ae, t->path);
		archive_entry_set_mtime(ae, 1500000000 + (time_t)i, 0);
		if (t->type == 0) {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, t->link);
		} else {
			archive_entry_set_filetype(ae, t->type);
			if (t->type == AE_IFLNK)
				archive_entry_set_symlink(ae, t->link);
			if (t->type == AE_IFCHR || t->type == AE_IFBLK)
				archive_entry_set_rdev(ae, makedev(1, 3));
		}
		archive_entry_set_perm(ae, t->perm);
		archive_entry_set_size(ae, size);
		if (archive_write_header(a, ae) != ARCHIVE_OK ||
		    (reg && !filler &&
			archive_write_data(a, t->data, (size_t)size) != size) ||
		    (reg && filler &&
			tar_write_filler(a, size, t->data == tar_noise, &x) ==
			    -1)) {
			fprintf(stderr, "tar_write %s, entry %s: %s\n", file,
			    t->path, archive_error_string(a));
			goto out;
		}
		archive_entry_free(ae);
		ae = NULL;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		fprintf(stderr, "tar_write %s: %s\n", file,
		    archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	archive_entry_free(ae);
	archive_write_free(a);
	return rc;
}

/* The usual runtime tarball: ents as a pax .tar.gz in file, and its sha256
 * into sha.  Returns 0 or -1. */
static inline int
tgz_write(const char *file, const struct tar_ent *ents, size_t n,
    char sha[DIGEST_HEX_SIZE])
{
	if (tar_write(file, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
		ARCHIVE_FILTER_GZIP, ents, n) == -1)
		return -1;
	return digest_file_hex(file, sha, NULL);
}

#endif
