#include "unpack.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fsutil.h"
#include "slugpolicy.h"
#include "treesum.h"

/* Big reads: fewer callbacks and bigger inflate runs; measured faster than
 * libarchive's 10 KiB default on runtime tarballs. */
#define UNPACK_BLOCK (1 << 20)

/* Names in messages (err_printable): control and non-ASCII bytes escaped, so
 * the message stays one line and cannot drive a terminal; long names cut. */
#define NAME_MAX_SHOWN 300

void
unpack_limits_init(struct unpack_limits *l)
{
	l->max_bytes = UNPACK_DEFAULT_MAX_BYTES;
	l->max_entries = UNPACK_DEFAULT_MAX_ENTRIES;
	l->max_ratio = UNPACK_DEFAULT_MAX_RATIO;
	l->ratio_floor = UNPACK_DEFAULT_RATIO_FLOOR;
}

/* An entry name as a message quotes it, cut at NAME_MAX_SHOWN bytes. */
static void
show_name(char *out, size_t size, const char *name)
{
	err_printable(out, size, name, strlen(name));
}

/* "archive entry 'NAME': " + the formatted reason, into e. */
static int __attribute__((format(printf, 3, 4)))
entry_err(struct errbuf *e, const char *name, const char *fmt, ...)
{
	char shown[NAME_MAX_SHOWN + 4], why[ERRBUF_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	show_name(shown, sizeof shown, name);
	return errf(e, "archive entry '%s': %s", shown, why);
}

int
unpack_check_entry(const char *path, mode_t type, const char *symlink,
    const char *hardlink, struct errbuf *e)
{
	struct errbuf why;

	/* The rule pack applies too, so that slugs slugc writes unpack. */
	if (slugpolicy_check(path, type, symlink, hardlink, &why) == 0)
		return 0;
	return entry_err(e, path != NULL ? path : "", "%s", why.msg);
}

/* root + "/" + rel with '.' and empty components dropped; rel has no '..'
 * (checked before).  NULL when out of memory. */
static char *
join_clean(const char *root, const char *rel)
{
	size_t rl = strlen(root), o, n;
	const char *p;
	char *s;

	if ((s = malloc(rl + strlen(rel) + 2)) == NULL)
		return NULL;
	memcpy(s, root, rl);
	o = rl;
	for (p = rel; *p != '\0';) {
		n = strcspn(p, "/");
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			s[o++] = '/';
			memcpy(s + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	s[o] = '\0';
	return s;
}

/* A set of paths below the root (as join_clean writes them, without the
 * root) known to be real directories: see check_dirs. */
struct dirset {
	char **slot; /* open addressing, NULL = free */
	size_t cap;  /* a power of two, or 0 */
	size_t n;
};

static size_t
dirset_hash(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	while (len-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return (size_t)h;
}

/* The slot holding p[0..len), or the free slot where it would go. */
static char **
dirset_find(const struct dirset *s, const char *p, size_t len)
{
	size_t i = dirset_hash(p, len) & (s->cap - 1);

	while (s->slot[i] != NULL &&
	    (strncmp(s->slot[i], p, len) != 0 || s->slot[i][len] != '\0'))
		i = (i + 1) & (s->cap - 1);
	return &s->slot[i];
}

static bool
dirset_has(const struct dirset *s, const char *p, size_t len)
{
	return s->n > 0 && *dirset_find(s, p, len) != NULL;
}

static int
dirset_add(struct dirset *s, const char *p, size_t len)
{
	char **slot, **old = s->slot;
	size_t oldcap = s->cap;

	if (2 * (s->n + 1) > s->cap) {
		s->cap = oldcap == 0 ? 64 : oldcap * 2;
		if ((s->slot = calloc(s->cap, sizeof *s->slot)) == NULL) {
			s->slot = old;
			s->cap = oldcap;
			return -1;
		}
		for (size_t i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				*dirset_find(s, old[i], strlen(old[i])) =
				    old[i];
		free(old);
	}
	slot = dirset_find(s, p, len);
	if (*slot != NULL)
		return 0;
	if ((*slot = strndup(p, len)) == NULL)
		return -1;
	s->n++;
	return 0;
}

static void
dirset_clear(struct dirset *s)
{
	for (size_t i = 0; i < s->cap && s->n > 0; i++)
		if (s->slot[i] != NULL) {
			free(s->slot[i]);
			s->slot[i] = NULL;
			s->n--;
		}
}

static void
dirset_free(struct dirset *s)
{
	dirset_clear(s);
	free(s->slot);
}

/* Creates dest, or accepts it when it is an empty directory.  Failing to
 * make it is the file system's failure whatever the errno (a read-only or
 * missing parent): *local gets it. */
static int
prepare_dest(const char *dest, int *local, struct errbuf *e)
{
	struct dirent *de;
	DIR *d;

	if (mkdir(dest, 0755) == 0)
		return 0;
	if (errno != EEXIST) {
		*local = errno;
		return errf(e, "mkdir %s:", dest);
	}
	if ((d = opendir(dest)) == NULL) {
		*local = errno;
		return errf(e, "open %s:", dest);
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			closedir(d);
			return errf(e, "%s: exists and is not empty", dest);
		}
	}
	closedir(d);
	return 0;
}

struct reader {
	const struct unpack_source *src;
	struct errbuf e; /* the source's message */
	bool failed;	 /* the read itself failed, not the archive */
};

static la_ssize_t
read_cb(struct archive *a, void *p, const void **out)
{
	struct reader *r = p;
	ssize_t n;

	if ((n = r->src->read(r->src->arg, out, &r->e)) < 0) {
		r->failed = true;
		/* The tar reader keeps this message rather than its own
		 * "truncated" when the read callback failed. */
		archive_set_error(a, EIO, "%s", r->e.msg);
		return -1;
	}
	return n;
}

/* unpack_cb's source: the caller's read function into our buffer. */
struct cb_source {
	unpack_read_fn fn;
	void *arg;
	void *buf;
};

static ssize_t
cb_read(void *arg, const void **out, struct errbuf *e)
{
	struct cb_source *c = arg;
	ssize_t n;

	if (c->buf == NULL && (c->buf = malloc(UNPACK_BLOCK)) == NULL)
		return errf(e, "read:");
	if ((n = c->fn(c->arg, c->buf, UNPACK_BLOCK)) < 0)
		return errf(e, "read:");
	*out = c->buf;
	return n;
}

static ssize_t
read_fd(void *arg, void *buf, size_t len)
{
	int fd = *(int *)arg;
	ssize_t n;

	while ((n = read(fd, buf, len)) == -1 && errno == EINTR)
		;
	return n;
}

/* OK or WARN, for the reader only.  RETRY too is a failure here: from the
 * tar reader it means a damaged header was skipped, and an untrusted archive
 * that is damaged is refused, not repaired.  The writer's WARN is another
 * matter: see extract_entry. */
static bool
ok(int r)
{
	return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

/* An error of the file system written to, not of the archive: the disk or
 * a quota is full, the device failed, the tree cannot be written. */
static bool
local_errno(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
	case EIO:
	case EROFS:
	case EFBIG:
	case EMFILE:
	case ENFILE:
	case EACCES:
	case EPERM:
		return true;
	default:
		return false;
	}
}

/* The regular files extracted so far, for unpack_sum: name (as join_clean
 * writes it, without the root) -> size and content hash.  A name replaced
 * by a later entry, or by a directory one of its path, is marked gone and
 * taken out of the sum; entries are never deleted. */
struct fileent {
	char *name;
	uint64_t size, chash;
	bool present;
};

struct filemap {
	struct fileent *slot; /* open addressing, name NULL = free */
	size_t cap;	      /* a power of two, or 0 */
	size_t n;
};

static struct fileent *
filemap_find(const struct filemap *m, const char *p, size_t len)
{
	size_t i = dirset_hash(p, len) & (m->cap - 1);

	while (m->slot[i].name != NULL &&
	    (strncmp(m->slot[i].name, p, len) != 0 ||
		m->slot[i].name[len] != '\0'))
		i = (i + 1) & (m->cap - 1);
	return &m->slot[i];
}

/* The entry for p[0..len), or NULL. */
static struct fileent *
filemap_get(const struct filemap *m, const char *p, size_t len)
{
	struct fileent *f;

	if (m->n == 0)
		return NULL;
	f = filemap_find(m, p, len);
	return f->name != NULL ? f : NULL;
}

/* The entry for p[0..len), made (not present) if missing; NULL when out of
 * memory. */
static struct fileent *
filemap_put(struct filemap *m, const char *p, size_t len)
{
	struct fileent *f, *old = m->slot;
	size_t oldcap = m->cap;

	if (2 * (m->n + 1) > m->cap) {
		m->cap = oldcap == 0 ? 256 : oldcap * 2;
		if ((m->slot = calloc(m->cap, sizeof *m->slot)) == NULL) {
			m->slot = old;
			m->cap = oldcap;
			return NULL;
		}
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].name != NULL)
				*filemap_find(m, old[i].name,
				    strlen(old[i].name)) = old[i];
		free(old);
	}
	f = filemap_find(m, p, len);
	if (f->name == NULL) {
		if ((f->name = strndup(p, len)) == NULL)
			return NULL;
		f->present = false;
		m->n++;
	}
	return f;
}

static void
filemap_free(struct filemap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slot[i].name);
	free(m->slot);
}

struct progress {
	const struct unpack_limits *lim;
	const struct unpack_source *src;
	uint64_t entries;
	uint64_t declared;  /* sum of declared file sizes */
	uint64_t written;   /* file data bytes written */
	size_t rootlen;	    /* of the realpath'd root names are joined to */
	uint64_t symlinks;  /* symlinks extracted so far */
	struct dirset dirs; /* see check_dirs */
	int local_errno;    /* the file system's error that failed us, or 0 */
	/* The entry being written: its data bytes and their hash. */
	uint64_t entry_written;
	struct treesum_hash fh;
	struct unpack_sum *sum; /* NULL: not wanted */
	struct filemap files;	/* for sum */
};

/* write_disk failed on an entry: its message, with the errno's text when
 * there is a real one (libarchive's messages do not carry it).  A local
 * file-system error is remembered: unpack_from reports it in errno. */
static int
disk_err(struct progress *pr, struct archive *w, const char *name,
    struct errbuf *e)
{
	int err = archive_errno(w);
	const char *msg = archive_error_string(w);

	if (msg == NULL)
		msg = "failed";
	if (local_errno(err))
		pr->local_errno = err;
	/* EILSEQ and EINVAL are what libarchive uses on Linux for its own
	 * "bad format" and "misuse" (ARCHIVE_ERRNO_FILE_FORMAT, _PROGRAMMER):
	 * their text would mislead. */
	if (err > 0 && err != EILSEQ && err != EINVAL)
		return entry_err(e, name, "%s: %s", msg, strerror(err));
	return entry_err(e, name, "%s", msg);
}

/* The expansion check, after every header and every data block. */
static int
check_ratio(struct archive *a, const struct progress *pr, const char *name,
    struct errbuf *e)
{
	int64_t in = archive_filter_bytes(a, -1),
		out = archive_filter_bytes(a, 0);
	uint64_t stored;
	uint64_t expanded = out > 0 && (uint64_t)out > pr->written
	    ? (uint64_t)out
	    : pr->written;

	if (pr->lim->max_ratio == 0 || expanded <= pr->lim->ratio_floor)
		return 0;
	/* The smaller count is right: a decompressing source's when it
	 * decompressed, libarchive's when the source passed the stream
	 * through (the source may have run ahead of what was read). */
	if (pr->src->stored != NULL &&
	    (stored = pr->src->stored(pr->src->arg)) < (uint64_t)in)
		in = (int64_t)stored;
	if (in <= 0)
		return 0;
	if (expanded / (uint64_t)in >= pr->lim->max_ratio)
		return entry_err(e, name,
		    "archive expands more than %llu "
		    "times (%llu bytes from %lld): refused as a decompression "
		    "bomb",
		    (unsigned long long)pr->lim->max_ratio,
		    (unsigned long long)expanded, (long long)in);
	return 0;
}

/* The content hash sees the file as it will read back: zeros where a
 * sparse entry has a hole. */
static void
hash_zeros(struct treesum_hash *h, uint64_t n)
{
	static const unsigned char zeros[4096];

	for (; n > 0; n -= n < sizeof zeros ? n : sizeof zeros)
		treesum_hash_update(h, zeros,
		    n < sizeof zeros ? n : sizeof zeros);
}

/* Every block must be written whole.  write_disk reports a failed write(2)
 * (ENOSPC, EIO) as ARCHIVE_WARN, not as a failure, and then, when the entry
 * is finished, truncates or extends the file to its declared size: the
 * bytes lost would read back as zeros.  So anything but ARCHIVE_OK fails the
 * entry (the WARN for "too much data" too: a tar entry never has more). */
static int
copy_data(struct archive *a, struct archive *w, struct progress *pr,
    const char *name, const char *full, struct errbuf *e)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r, err;

	for (;;) {
		r = archive_read_data_block(a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (!ok(r))
			return entry_err(e, name, "%s",
			    archive_error_string(a));
		if (archive_write_data_block(w, buf, size, off) != ARCHIVE_OK) {
			err = archive_errno(w);
			if (local_errno(err))
				pr->local_errno = err;
			if (err > 0)
				return entry_err(e, name, "write %s: %s", full,
				    strerror(err));
			return entry_err(e, name, "write %s: %s", full,
			    archive_error_string(w));
		}
		if (pr->sum != NULL && off >= 0) {
			if ((uint64_t)off < pr->fh.len)
				pr->sum->exact = false; /* blocks overlap */
			else
				hash_zeros(&pr->fh, (uint64_t)off - pr->fh.len);
			treesum_hash_update(&pr->fh, buf, size);
		}
		pr->written += size;
		pr->entry_written += size;
		if (check_ratio(a, pr, name, e) == -1)
			return -1;
	}
}

/* write_disk finished the entry with ARCHIVE_WARN: what it could not do is
 * told by its message only, and a later failure overwrites an earlier one's
 * message.  So look: when the file on disk has the entry's type, size and
 * permissions, what is missing is only a time, and the entry stands.  Hard
 * links, directories (whose modes are set at the end) and symlinks are
 * checked for their type. */
static bool
entry_stands(const char *full, mode_t type, mode_t perm, int64_t size,
    bool hardlink)
{
	struct stat st;

	if (lstat(full, &st) == -1)
		return false;
	if (hardlink)
		return S_ISREG(st.st_mode);
	if ((st.st_mode & S_IFMT) != type)
		return false;
	if (type == AE_IFREG)
		return st.st_size == size &&
		    (st.st_mode & 07777) == (perm & 07777);
	return true;
}

/* The sum follows the tree: whatever was at full's name, or at a directory
 * on its path (write_disk replaces a file in the way of a directory), is
 * gone; a regular file or a hard link to one takes its place. */
static int
sum_entry(struct progress *pr, const char *rel, mode_t type, const char *hrel,
    int64_t size, uint64_t chash)
{
	struct treesum *t = &pr->sum->t;
	struct fileent *f, *target;
	size_t len = strlen(rel);

	/* A hard link to itself: write_disk skipped it, nothing changed. */
	if (hrel != NULL && strcmp(hrel, rel) == 0)
		return 0;
	for (const char *p = rel; (p = strchr(p, '/')) != NULL; p++)
		if ((f = filemap_get(&pr->files, rel, (size_t)(p - rel))) !=
			NULL &&
		    f->present) {
			treesum_remove(t, f->name, strlen(f->name), f->size,
			    f->chash);
			f->present = false;
		}
	if ((f = filemap_get(&pr->files, rel, len)) != NULL && f->present) {
		treesum_remove(t, rel, len, f->size, f->chash);
		f->present = false;
	}
	if (hrel != NULL) {
		target = filemap_get(&pr->files, hrel, strlen(hrel));
		/* Data in a hard link entry rewrites every name of the file;
		 * a target we do not know cannot be summed. */
		if (size > 0 || target == NULL || !target->present) {
			pr->sum->exact = false;
			return 0;
		}
		size = (int64_t)target->size;
		chash = target->chash;
	} else if (type != AE_IFREG)
		return 0;
	if ((f = filemap_put(&pr->files, rel, len)) == NULL)
		return -1;
	f->size = (uint64_t)size;
	f->chash = chash;
	f->present = true;
	treesum_add(t, rel, len, f->size, chash);
	return 0;
}

/* A hard link may only name a regular file already extracted.  write_disk
 * calls linkat() without AT_SYMLINK_FOLLOW, so a link to a symlink copies
 * the symlink itself to the new name, where its relative target is resolved
 * from another directory: a/b/l -> ../../x stays inside, h linked to it
 * would not.  lstat is enough: check_dirs has seen that the directories
 * leading to hfull are real ones, and the last component is not followed. */
static int
check_hardlink_target(const char *name, const char *hl, const char *hfull,
    struct errbuf *e)
{
	char shown[NAME_MAX_SHOWN + 4];
	struct stat st;

	show_name(shown, sizeof shown, hl);
	if (lstat(hfull, &st) == -1)
		return entry_err(e, name, "hard link target '%s': %s", shown,
		    strerror(errno));
	if (S_ISLNK(st.st_mode))
		return entry_err(e, name,
		    "hard link to a symlink ('%s') "
		    "refused",
		    shown);
	if (!S_ISREG(st.st_mode))
		return entry_err(e, name,
		    "hard link to '%s', not a regular "
		    "file, refused",
		    shown);
	return 0;
}

/* Symlinks, without libarchive's SECURE_SYMLINKS: that flag makes write_disk
 * open and lstat every component of the absolute path, from '/', for every
 * entry (some 30 system calls an entry on a runtime tree, a fifth of the
 * extraction time).  The same guarantee, cheaper: the tree starts empty and
 * the only symlinks in it are the ones extracted (a hard link to a symlink is
 * refused), so before the first one there is nothing to check.  After it,
 * each directory leading to an entry, or to a hard link's target, is
 * lstat()ed once and remembered as a real directory until the next symlink is
 * extracted, which forgets them all.  Names are never compared with the
 * symlinks' names, so a case-insensitive file system cannot fool the check.
 *
 * Fails when a directory on the way to full (root + "/" + the cleaned name,
 * NUL-terminated) is a symlink.  full is modified during the call only. */
static int
check_dirs(struct progress *pr, char *full, const char *name, struct errbuf *e)
{
	char shown[NAME_MAX_SHOWN + 4];
	char *rel = full + pr->rootlen + 1, *slash;
	struct stat st;
	int r;

	if (pr->symlinks == 0 || full[pr->rootlen] == '\0')
		return 0;
	for (slash = rel; (slash = strchr(slash, '/')) != NULL; slash++) {
		if (dirset_has(&pr->dirs, rel, (size_t)(slash - rel)))
			continue;
		*slash = '\0';
		r = lstat(full, &st);
		*slash = '/';
		if (r == -1) {
			/* Missing: write_disk creates it, a real directory
			 * (so is everything below).  Not a directory: the
			 * entry fails there. */
			if (errno == ENOENT || errno == ENOTDIR)
				return 0;
			return entry_err(e, name, "lstat: %s", strerror(errno));
		}
		if (S_ISLNK(st.st_mode)) {
			*slash = '\0';
			show_name(shown, sizeof shown, rel);
			*slash = '/';
			return entry_err(e, name,
			    "'%s' is a symlink: not "
			    "followed",
			    shown);
		}
		if (!S_ISDIR(st.st_mode))
			return 0;
		if (dirset_add(&pr->dirs, rel, (size_t)(slash - rel)) == -1)
			return errf(e, "archive entry:");
	}
	return 0;
}

/* An entry named like a symlink already extracted replaces it (as tar does,
 * and as SECURE_SYMLINKS did): removed here so that write_disk, which would
 * follow it, never writes or sets a mode through it. */
static int
replace_symlink(const struct progress *pr, const char *full, const char *name,
    struct errbuf *e)
{
	struct stat st;

	if (pr->symlinks == 0 || full[pr->rootlen] == '\0')
		return 0;
	if (lstat(full, &st) == -1)
		return errno == ENOENT || errno == ENOTDIR
		    ? 0
		    : entry_err(e, name, "lstat: %s", strerror(errno));
	if (S_ISLNK(st.st_mode) && unlink(full) == -1)
		return entry_err(e, name, "cannot replace the symlink: %s",
		    strerror(errno));
	return 0;
}

/* One entry: policy, caps, rewrite onto the root, write. */
static int
extract_entry(struct archive *a, struct archive *w, struct archive_entry *ent,
    const char *name, const char *root, struct progress *pr, struct errbuf *e)
{
	const char *hl = archive_entry_hardlink(ent);
	mode_t type = archive_entry_filetype(ent), perm;
	char *full = NULL, *hfull = NULL;
	int64_t size;
	int r, rc = -1;

	if (++pr->entries > pr->lim->max_entries && pr->lim->max_entries != 0) {
		entry_err(e, name, "archive has more than %llu entries",
		    (unsigned long long)pr->lim->max_entries);
		goto out;
	}
	if (unpack_check_entry(name, type,
		type == AE_IFLNK ? archive_entry_symlink(ent) : NULL, hl,
		e) == -1)
		goto out;

	size = archive_entry_size_is_set(ent) ? archive_entry_size(ent) : 0;
	if (size < 0 ||
	    (pr->lim->max_bytes != 0 &&
		(uint64_t)size > pr->lim->max_bytes - pr->declared)) {
		entry_err(e, name, "archive is larger than %llu bytes",
		    (unsigned long long)pr->lim->max_bytes);
		goto out;
	}
	pr->declared += (uint64_t)size;

	/* Without ARCHIVE_EXTRACT_OWNER files belong to us, so setuid and
	 * setgid would grant our identity: drop them.  Directories keep owner
	 * rwx so extraction can descend and a failed tree can be removed. */
	perm = archive_entry_perm(ent) & ~(mode_t)(S_ISUID | S_ISGID);
	if (type == AE_IFDIR)
		perm |= S_IRWXU;
	archive_entry_set_perm(ent, perm);

	if ((full = join_clean(root, name)) == NULL ||
	    (hl != NULL && (hfull = join_clean(root, hl)) == NULL)) {
		errf(e, "archive entry:");
		goto out;
	}
	if (hfull != NULL &&
	    (check_dirs(pr, hfull, name, e) == -1 ||
		check_hardlink_target(name, hl, hfull, e) == -1))
		goto out;
	if (check_dirs(pr, full, name, e) == -1 ||
	    replace_symlink(pr, full, name, e) == -1)
		goto out;
	/* From here on a directory seen real may be a symlink. */
	if (type == AE_IFLNK) {
		pr->symlinks++;
		dirset_clear(&pr->dirs);
	}
	archive_entry_set_pathname(ent, full);
	if (hfull != NULL)
		archive_entry_set_hardlink(ent, hfull);

	/* write_disk's only ARCHIVE_WARN for a header (with our flags) is a
	 * hard link to itself, which it skips: the file is there already. */
	r = archive_write_header(w, ent);
	if (r != ARCHIVE_OK &&
	    !(r == ARCHIVE_WARN && hfull != NULL && strcmp(full, hfull) == 0)) {
		disk_err(pr, w, name, e);
		goto out;
	}
	pr->entry_written = 0;
	treesum_hash_init(&pr->fh);
	if (archive_entry_size(ent) > 0 &&
	    copy_data(a, w, pr, name, full, e) == -1)
		goto out;
	/* Every byte the archive declares must have been written: a data
	 * block missing would read back as zeros.  (Sparse entries have
	 * holes instead of some blocks.) */
	if (archive_entry_size(ent) > 0 &&
	    archive_entry_sparse_count(ent) == 0 &&
	    pr->entry_written != (uint64_t)archive_entry_size(ent)) {
		entry_err(e, name, "write %s: %llu of %lld bytes written", full,
		    (unsigned long long)pr->entry_written,
		    (long long)archive_entry_size(ent));
		goto out;
	}
	/* finish_entry restores the mode and times; its ARCHIVE_WARN may hide
	 * a mode it could not set as well as a time: see entry_stands. */
	r = archive_write_finish_entry(w);
	if (r != ARCHIVE_OK &&
	    !(r == ARCHIVE_WARN &&
		entry_stands(full, type, perm, archive_entry_size(ent),
		    hfull != NULL))) {
		disk_err(pr, w, name, e);
		goto out;
	}
	if (check_ratio(a, pr, name, e) == -1)
		goto out;
	if (pr->sum != NULL) {
		/* A sparse file's last hole. */
		if (hfull == NULL &&
		    (uint64_t)archive_entry_size(ent) > pr->fh.len)
			hash_zeros(&pr->fh,
			    (uint64_t)archive_entry_size(ent) - pr->fh.len);
		if (sum_entry(pr,
			full + pr->rootlen + (full[pr->rootlen] == '/'), type,
			hfull != NULL ? hfull + pr->rootlen + 1 : NULL,
			archive_entry_size(ent),
			treesum_hash_final(&pr->fh)) == -1) {
			errf(e, "archive entry:");
			goto out;
		}
	}
	rc = 0;
out:
	free(full);
	free(hfull);
	return rc;
}

/* The reader failed: the input (rd), the format (nothing read yet) or a
 * later header (after entry last). */
static void
read_err(struct archive *a, const struct reader *rd, const char *last,
    struct errbuf *e)
{
	if (rd->failed && last == NULL)
		errf(e, "archive: %s", archive_error_string(a));
	else if (last == NULL)
		errf(e,
		    "archive: not a tar archive (plain, gzip, xz or zstd): "
		    "%s",
		    archive_error_string(a));
	else
		entry_err(e, last, "after this entry: %s",
		    archive_error_string(a));
}

/* Why write_disk gets an absolute path and not SECURE_NOABSOLUTEPATHS:
 * write_disk has no notion of a root directory, it resolves names against
 * the current directory; chdir() would move every thread of the process (the
 * install pipeline runs a download thread).  So each name is checked by
 * unpack_check_entry first (which refuses absolute names and '..' just as
 * NOABSOLUTEPATHS and NODOTDOT would), then prefixed with the root, resolved
 * with realpath() so the prefix holds no symlink; NODOTDOT still guards every
 * full path, including hard-link targets.  SECURE_SYMLINKS is replaced by
 * check_dirs and replace_symlink, which do its work at a fraction of the
 * cost. */
static const int disk_flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
    ARCHIVE_EXTRACT_SECURE_NODOTDOT;

int
unpack_from(const struct unpack_source *src, const char *dest,
    const struct unpack_limits *lim, struct errbuf *e)
{
	return unpack_from_sum(src, dest, lim, NULL, e);
}

int
unpack_from_sum(const struct unpack_source *src, const char *dest,
    const struct unpack_limits *lim, struct unpack_sum *sum, struct errbuf *e)
{
	struct unpack_limits deflim;
	struct reader rd = {src, {""}, false};
	struct progress pr = {0};
	struct archive *a = NULL, *w = NULL;
	struct archive_entry *ent;
	char *root = NULL, *last = NULL, *name = NULL;
	const char *path;
	int r, rc = -1;

	if (lim == NULL) {
		unpack_limits_init(&deflim);
		lim = &deflim;
	}
	pr.lim = lim;
	pr.src = src;
	if ((pr.sum = sum) != NULL) {
		memset(sum, 0, sizeof *sum);
		sum->exact = true;
	}
	if (prepare_dest(dest, &pr.local_errno, e) == -1) {
		errno = pr.local_errno;
		return -1;
	}
	if ((root = realpath(dest, NULL)) == NULL) {
		errf(e, "realpath %s:", dest);
		pr.local_errno = errno;
		goto out;
	}
	pr.rootlen = strlen(root);
	if ((a = archive_read_new()) == NULL ||
	    (w = archive_write_disk_new()) == NULL) {
		errf(e, "unpack:");
		goto out;
	}
	/* Only tar, and only these filters: no external programs, no other
	 * formats whose semantics (zip's, cpio's devices) we did not vet. */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_format_gnutar(a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
	    archive_write_disk_set_options(w, disk_flags) != ARCHIVE_OK) {
		errf(e,
		    "unpack: libarchive lacks tar, gzip, xz or zstd "
		    "support: %s",
		    archive_error_string(a));
		goto out;
	}
	/* Opening already reads the first block and picks the filter and
	 * format, so a stream that is not tar fails here or at the first
	 * header. */
	if (archive_read_open(a, &rd, NULL, read_cb, NULL) != ARCHIVE_OK) {
		read_err(a, &rd, NULL, e);
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(a, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (!ok(r)) {
			read_err(a, &rd, last, e);
			goto out;
		}
		if ((path = archive_entry_pathname(ent)) == NULL) {
			errf(e, "archive entry %llu: unreadable name",
			    (unsigned long long)pr.entries + 1);
			goto out;
		}
		if ((name = strdup(path)) == NULL) {
			errf(e, "unpack:");
			goto out;
		}
		if (extract_entry(a, w, ent, name, root, &pr, e) == -1)
			goto out;
		free(last);
		last = name;
		name = NULL;
	}
	/* Directory modes and times are applied here, deepest first (their
	 * failures are not reported: write_disk ignores them); every entry
	 * was finished already, so anything but OK is unexpected. */
	if (archive_write_close(w) != ARCHIVE_OK) {
		if (local_errno(archive_errno(w)))
			pr.local_errno = archive_errno(w);
		errf(e, "unpack %s: %s", dest, archive_error_string(w));
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	archive_write_free(w);
	dirset_free(&pr.dirs);
	filemap_free(&pr.files);
	free(root);
	free(last);
	free(name);
	if (rc == -1) {
		fs_rm_rf(dest, NULL); /* errf made e one line */
		errno = pr.local_errno;
	}
	return rc;
}

int
unpack_cb(unpack_read_fn fn, void *arg, const char *dest,
    const struct unpack_limits *lim, struct errbuf *e)
{
	struct cb_source c = {fn, arg, NULL};
	struct unpack_source src = {cb_read, NULL, &c};
	int rc;

	rc = unpack_from(&src, dest, lim, e);
	free(c.buf);
	return rc;
}

int
unpack_fd(int fd, const char *dest, const struct unpack_limits *lim,
    struct errbuf *e)
{
	return unpack_cb(read_fd, &fd, dest, lim, e);
}
