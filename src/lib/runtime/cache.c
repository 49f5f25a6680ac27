#include "runtime/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "treesum.h"

/* Keys come from config vars: anything outside a safe set is %-escaped so a
 * version like "../x" can never name another path. */
static int
append_escaped(char *buf, size_t size, size_t *len, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool safe = (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '_' || ch == '-' || ch == '+';
		if (*len + 4 >= size)
			return -1;
		if (safe && !(ch == '.' && *len == 0)) {
			buf[(*len)++] = (char)ch;
		} else {
			buf[(*len)++] = '%';
			buf[(*len)++] = hex[ch >> 4];
			buf[(*len)++] = hex[ch & 15];
		}
	}
	buf[*len] = '\0';
	return 0;
}

int
runtime_cache_open(struct runtime_cache_entry *c, const char *cache_dir,
    const char *ns, const char *stack, const char *version, const char *sha256,
    const struct runtime_cache_wait *w, struct errbuf *e)
{
	char key[512];
	size_t len = 0;
	bool told = false;

	c->ns = c->path = c->seal = NULL;
	c->lockfd = -1;
	if (append_escaped(key, sizeof key, &len, version) == -1 ||
	    append_escaped(key, sizeof key, &len, "-") == -1 ||
	    append_escaped(key, sizeof key, &len, stack) == -1 ||
	    append_escaped(key, sizeof key, &len, "-") == -1 ||
	    append_escaped(key, sizeof key, &len, sha256) == -1)
		return errf(e, "cache key for version %s is too long", version);
	if (fs_mkdir_p(cache_dir, 0755, e) == -1)
		return -1;
	if ((c->ns = fs_join(cache_dir, ns)) == NULL ||
	    (c->path = fs_join(c->ns, key)) == NULL ||
	    asprintf(&c->seal, "%s.ok", c->path) < 0) {
		c->seal = NULL;
		errf(e, "cache:");
		goto fail;
	}
	/* The lock is the cache directory itself (flock works on
	 * directories), so locking leaves no file behind: a failed build
	 * leaves the cache exactly as it found it. */
	c->lockfd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->lockfd == -1) {
		errf(e, "cache %s:", cache_dir);
		goto fail;
	}
	/* Poll rather than block: a build waiting for another one's download
	 * must still stop at once on SIGINT/SIGTERM. */
	while (flock(c->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			errf(e, "cache lock %s:", cache_dir);
			goto fail;
		}
		if (w != NULL && w->waiting != NULL && !told) {
			w->waiting(w->arg);
			told = true;
		}
		if (w != NULL && stopflag_is_set(w->stop)) {
			errf(e, "interrupted while waiting for the cache");
			goto fail;
		}
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	/* A cache we can lock but not write to is no cache: find out now
	 * rather than after a download. */
	if (access(cache_dir, W_OK) == -1 ||
	    (fs_is_dir(c->ns) && access(c->ns, W_OK) == -1)) {
		errf(e, "cache %s:", cache_dir);
		goto fail;
	}
	return 0;
fail:
	runtime_cache_close(c);
	return -1;
}

/* What the seal records of a tree.  The entry is hard-linked into every
 * app, so a build that rewrites a runtime file in place rewrites the cache's
 * too: the sum of the regular files' modification times catches that even
 * when the size stays the same (for free: the placing pass stats them
 * already).  sizes (treesum's, over each file's name and size) catches a
 * file that shrank while another grew, again for free.
 *
 * content (over each file's name, size and bytes) is what makes the seal
 * vouch for the bytes on disk: it is computed by reading the tree back when
 * the seal is written, once in the entry's life, and must equal what unpack
 * handed to the file system (the caller's expectation), or nothing is
 * sealed.  Reading ~100 MB back costs ~35 ms on a cold install; on every
 * warm build it would double the placing (~45 ms), so a warm placement
 * checks the rest and leaves content alone.  runtime_cache_check, whose caller
 * is about to copy every byte anyway, reads and checks it too. */
struct tally {
	unsigned long long entries, bytes;
	unsigned long long mtimes; /* sum of st_mtim in ns, modulo 2^64 */
	unsigned long long sizes, content;
};

static void
tally_file(struct tally *t, const struct stat *st, const char *rel, size_t rlen)
{
	t->bytes += (unsigned long long)st->st_size;
	t->mtimes += (unsigned long long)st->st_mtim.tv_sec * 1000000000ULL +
	    (unsigned long long)st->st_mtim.tv_nsec;
	t->sizes += treesum_size_term(rel, rlen, (uint64_t)st->st_size);
}

/* Reads the file name in the directory dfd and adds its content term. */
static int
tally_content(struct tally *t, int dfd, const char *name, const char *rel,
    size_t rlen)
{
	uint64_t chash, size;
	int fd, rc;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = treesum_hash_fd(fd, &chash, &size);
	close(fd);
	if (rc == 0)
		t->content += treesum_content_term(rel, rlen, size, chash);
	return rc;
}

/* Counts the entries, regular-file bytes, modification times, sizes and
 * contents under path, never following symlinks. */
static int
tally_tree(const char *path, struct tally *t)
{
	char *const roots[] = {(char *)path, NULL};
	size_t plen = strlen(path);
	FTSENT *ent;
	FTS *fts;
	int rc = 0;

	memset(t, 0, sizeof *t);
	if ((fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL)) == NULL)
		return -1;
	while ((ent = fts_read(fts)) != NULL) {
		switch (ent->fts_info) {
		case FTS_DP:
			break; /* a directory seen again on the way out */
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			rc = -1;
			break;
		default:
			t->entries++;
			if (ent->fts_info != FTS_F)
				break;
			tally_file(t, ent->fts_statp, ent->fts_path + plen + 1,
			    ent->fts_pathlen - plen - 1);
			if (tally_content(t, AT_FDCWD, ent->fts_accpath,
				ent->fts_path + plen + 1,
				ent->fts_pathlen - plen - 1) == -1)
				rc = -1;
		}
	}
	if (errno != 0 && ent == NULL && rc == 0)
		rc = -1;
	fts_close(fts);
	return rc;
}

/* The seal's verdict before looking at the tree: RUNTIME_CACHE_OK when it
 * exists and names sha256, with the counts it recorded. */
static enum runtime_cache_state
read_seal(const struct runtime_cache_entry *c, const char *sha256,
    struct tally *want, struct errbuf *why)
{
	char want_sha[128];
	size_t len;
	char *seal;
	int n;

	if (!fs_is_dir(c->path)) {
		errf(why, "not cached");
		return RUNTIME_CACHE_MISSING;
	}
	if ((seal = fs_read_file(c->seal, 4096, &len, NULL)) == NULL) {
		errf(why, "an earlier install did not finish");
		return RUNTIME_CACHE_UNSEALED;
	}
	/* A seal of the older format (four fields, no sizes nor content) is
	 * not trusted: an unpack then could seal a file with zeros for the
	 * bytes a full disk lost. */
	n = sscanf(seal, "%127s %llu %llu %llu %llx %llx", want_sha,
	    &want->entries, &want->bytes, &want->mtimes, &want->sizes,
	    &want->content);
	free(seal);
	if (n != 6 || strcmp(want_sha, sha256) != 0) {
		errf(why, "its seal does not match");
		return RUNTIME_CACHE_DAMAGED;
	}
	return RUNTIME_CACHE_OK;
}

/* got against the seal; content too when got read it. */
static enum runtime_cache_state
compare(const struct tally *got, const struct tally *want, bool content,
    struct errbuf *why)
{
	if (got->entries == want->entries && got->bytes == want->bytes &&
	    got->mtimes == want->mtimes && got->sizes == want->sizes &&
	    (!content || got->content == want->content))
		return RUNTIME_CACHE_OK;
	if (got->entries == want->entries && got->bytes == want->bytes &&
	    got->sizes == want->sizes && got->mtimes == want->mtimes)
		errf(why,
		    "its files' contents changed (same entries, sizes "
		    "and modification times)");
	else if (got->entries == want->entries && got->bytes == want->bytes &&
	    got->sizes == want->sizes)
		errf(why,
		    "its files were modified in place (same entries and "
		    "sizes, other modification times)");
	else
		errf(why,
		    "its files changed (%llu entries, %llu bytes; sealed "
		    "with %llu, %llu)",
		    got->entries, got->bytes, want->entries, want->bytes);
	return RUNTIME_CACHE_DAMAGED;
}

void
runtime_cache_statsum_add(struct runtime_cache_statsum *s, const char *rel,
    const struct stat *st)
{
	struct tally t = {0};

	s->entries++;
	if (!S_ISREG(st->st_mode))
		return;
	tally_file(&t, st, rel, strlen(rel));
	s->bytes += t.bytes;
	s->mtimes += t.mtimes;
	s->sizes += t.sizes;
}

int
runtime_cache_statsum_check(const char *seal_path,
    const struct runtime_cache_statsum *s, char **text, struct errbuf *why)
{
	struct tally want;
	char sha[128];
	size_t len;
	char *seal;

	*text = NULL;
	if ((seal = fs_read_file(seal_path, 4096, &len, NULL)) == NULL)
		return errf(why, "%s: no seal", seal_path);
	if (sscanf(seal, "%127s %llu %llu %llu %llx %llx", sha, &want.entries,
		&want.bytes, &want.mtimes, &want.sizes, &want.content) != 6) {
		free(seal);
		return errf(why, "%s: not a seal", seal_path);
	}
	if (want.entries != s->entries || want.bytes != s->bytes ||
	    want.mtimes != s->mtimes || want.sizes != s->sizes) {
		free(seal);
		return errf(why, "%s: the tree does not match its seal",
		    seal_path);
	}
	*text = seal;
	return 0;
}

enum runtime_cache_state
runtime_cache_check(const struct runtime_cache_entry *c, const char *sha256,
    struct errbuf *why)
{
	struct tally want, got;
	enum runtime_cache_state st;

	if ((st = read_seal(c, sha256, &want, why)) != RUNTIME_CACHE_OK)
		return st;
	if (tally_tree(c->path, &got) == -1) {
		errf(why, "it cannot be read");
		return RUNTIME_CACHE_DAMAGED;
	}
	return compare(&got, &want, true, why);
}

/* How placing one directory ended. */
enum place_rc {
	PLACE_OK,
	PLACE_FAILED,	  /* dest could not be written: e says why */
	PLACE_UNREADABLE, /* the entry could not be read: damaged */
	PLACE_NOLINK,	  /* a hard link was refused: copy instead */
};

#define PLACE_MAX_DEPTH 128

struct place {
	struct tally t; /* what was placed so far */
	const char *dest;
	char rel[PATH_MAX]; /* the current path below dest, for messages */
	size_t rlen;
	int depth;
	bool created; /* dest itself was made: ours to remove */
	bool content; /* read every file for t.content */
	struct errbuf *e;
};

static enum place_rc
place_failed(struct place *p, const char *what)
{
	errf(p->e, "%s %s%s%s:", what, p->dest, p->rlen > 0 ? "/" : "", p->rel);
	return PLACE_FAILED;
}

/* Appends /name to p->rel; the caller truncates it back. */
static int
rel_push(struct place *p, const char *name)
{
	size_t n = strlen(name), sep = p->rlen > 0;

	if (p->rlen + sep + n >= sizeof p->rel)
		return -1;
	if (sep)
		p->rel[p->rlen] = '/';
	memcpy(p->rel + p->rlen + sep, name, n + 1);
	p->rlen += sep + n;
	return 0;
}

/* Places the directory open at sfd (which it closes) as name in the
 * directory dparent: every call works relative to directory descriptors,
 * so no path is resolved twice and nothing follows a symlink. */
static enum place_rc
place_dir(struct place *p, int sfd, int dparent, const char *name)
{
	enum place_rc rc = PLACE_OK;
	struct dirent *de;
	struct stat st, est;
	int dfd = -1;
	DIR *d;

	if (fstat(sfd, &st) == -1 || (d = fdopendir(sfd)) == NULL) {
		close(sfd);
		return PLACE_UNREADABLE;
	}
	if (++p->depth > PLACE_MAX_DEPTH) {
		errf(p->e, "place %s: more than %d directories deep", p->dest,
		    PLACE_MAX_DEPTH);
		rc = PLACE_FAILED;
		goto out;
	}
	/* 0700 while it fills, as the tree it copies may be read-only. */
	if (mkdirat(dparent, name, 0700) == -1) {
		rc = place_failed(p, "mkdir");
		goto out;
	}
	p->created = true;
	dfd = openat(dparent, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1) {
		rc = place_failed(p, "open");
		goto out;
	}
	p->t.entries++;
	while (rc == PLACE_OK && (errno = 0, de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		size_t saved = p->rlen;
		unsigned char type = de->d_type;

		if (n[0] == '.' &&
		    (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
			continue;
		if (rel_push(p, n) == -1) {
			errno = ENAMETOOLONG;
			rc = place_failed(p, "place");
			break;
		}
		/* Only a regular file's size is needed (and the type, where
		 * the file system does not give it). */
		if (type == DT_REG || type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), n, &est, AT_SYMLINK_NOFOLLOW) ==
			    -1) {
				rc = PLACE_UNREADABLE;
				break;
			}
			type = S_ISDIR(est.st_mode) ? DT_DIR
			    : S_ISREG(est.st_mode)  ? DT_REG
						    : DT_LNK;
		}
		if (type == DT_DIR) {
			int cfd = openat(dirfd(d), n,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = cfd == -1 ? PLACE_UNREADABLE
				       : place_dir(p, cfd, dfd, n);
		} else if (linkat(dirfd(d), n, dfd, n, 0) == 0) {
			/* Without AT_SYMLINK_FOLLOW a symlink is linked as
			 * itself, like anything else that is not a
			 * directory. */
			p->t.entries++;
			if (type == DT_REG)
				tally_file(&p->t, &est, p->rel, p->rlen);
			if (type == DT_REG && p->content &&
			    tally_content(&p->t, dirfd(d), n, p->rel,
				p->rlen) == -1)
				rc = PLACE_UNREADABLE;
		} else if (errno == EXDEV || errno == EPERM ||
		    errno == EMLINK) {
			rc = PLACE_NOLINK;
		} else if (errno == ENOENT) {
			rc = PLACE_UNREADABLE; /* gone from the entry */
		} else {
			rc = place_failed(p, "link");
		}
		p->rlen = saved;
		p->rel[saved] = '\0';
	}
	if (rc == PLACE_OK && errno != 0)
		rc = PLACE_UNREADABLE;
	/* The modes and times last: filling the directory changed its
	 * mtime, and its mode may forbid filling it. */
	if (rc == PLACE_OK) {
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		if (fchmod(dfd, st.st_mode & 07777) == -1)
			rc = place_failed(p, "chmod");
		else if (futimens(dfd, ts) == -1)
			rc = place_failed(p, "utimens");
	}
out:
	p->depth--;
	if (dfd != -1)
		close(dfd);
	closedir(d);
	return rc;
}

/* Places c's tree at dest in one pass, counting it in p->t.  Anything but
 * PLACE_OK leaves no dest behind (unless dest existed before: mkdir failed
 * then), or is PLACE_FAILED with e saying why it could not be removed. */
static enum place_rc
place_tree(const struct runtime_cache_entry *c, const char *dest,
    struct place *p)
{
	enum place_rc rc;
	char *parent = NULL;
	const char *base;
	int sfd, pfd = -1;

	if ((base = strrchr(dest, '/')) == NULL) {
		parent = strdup(".");
		base = dest;
	} else {
		parent = base == dest ? strdup("/")
				      : strndup(dest, (size_t)(base - dest));
		base++;
	}
	if (parent == NULL) {
		errf(p->e, "place %s:", dest);
		return PLACE_FAILED;
	}
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		free(parent);
		errf(p->e, "place %s: not a directory name", dest);
		return PLACE_FAILED;
	}
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd == -1) {
		errf(p->e, "place %s: %s:", dest, parent);
		free(parent);
		return PLACE_FAILED;
	}
	free(parent);
	sfd = open(c->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	rc = sfd == -1 ? PLACE_UNREADABLE : place_dir(p, sfd, pfd, base);
	close(pfd);
	if (rc != PLACE_OK && p->created && fs_rm_rf(dest, NULL) == -1) {
		errf(p->e, "place %s: cannot remove what was placed", dest);
		return PLACE_FAILED;
	}
	return rc;
}

int
runtime_cache_place(const struct runtime_cache_entry *c, const char *sha256,
    const char *dest, enum runtime_cache_state *state, struct errbuf *e)
{
	struct place p = {.dest = dest, .e = e};
	struct tally want;

	if ((*state = read_seal(c, sha256, &want, e)) != RUNTIME_CACHE_OK)
		return 0;
	switch (place_tree(c, dest, &p)) {
	case PLACE_OK:
		if ((*state = compare(&p.t, &want, false, e)) ==
		    RUNTIME_CACHE_OK)
			return 0;
		return fs_rm_rf(dest, NULL) == -1
		    ? errf(e,
			  "place %s: "
			  "cannot remove what was placed",
			  dest)
		    : 0;
	case PLACE_UNREADABLE:
		errf(e, "it cannot be read");
		*state = RUNTIME_CACHE_DAMAGED;
		return 0;
	case PLACE_NOLINK:
		/* Another file system, someone else's files, or a link
		 * count used up: check, then copy (fs_copy_tree links
		 * whatever it still can). */
		if ((*state = runtime_cache_check(c, sha256, e)) !=
		    RUNTIME_CACHE_OK)
			return 0;
		return fs_copy_tree(c->path, dest, true, e);
	default:
		return -1;
	}
}

/* Whether n is one of the files an entry named base keeps beside it,
 * other than its seal. */
static bool
entry_sibling(const char *n, const char *base, size_t blen)
{
	if (n[0] == '.' && strncmp(n + 1, base, blen) == 0)
		return strncmp(n + 1 + blen, ".part-", 6) == 0 ||
		    strncmp(n + 1 + blen, ".seg-", 5) == 0;
	return strncmp(n, base, blen) == 0 &&
	    strncmp(n + blen, ".seg-", 5) == 0;
}

int
runtime_cache_discard(const struct runtime_cache_entry *c, struct errbuf *e)
{
	char *dir, *base;
	struct dirent *de;
	size_t blen;
	DIR *d;
	int rc = 0;

	if (unlink(c->seal) == -1 && errno != ENOENT)
		return errf(e, "remove %s:", c->seal);
	if (fs_rm_rf(c->path, e) == -1)
		return -1;
	/* runtime_download's temporary siblings are ".<key>.part-XXXXXX";
	 * the entry's slug segments "<key>.seg-HASH", and while they are
	 * written ".<key>.seg-XXXXXX". */
	if ((dir = strdup(c->path)) == NULL)
		return errf(e, "cache:");
	base = strrchr(dir, '/');
	*base++ = '\0';
	blen = strlen(base);
	if ((d = opendir(dir)) == NULL) {
		rc = errno == ENOENT ? 0 : errf(e, "open %s:", dir);
		free(dir);
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!entry_sibling(de->d_name, base, blen))
			continue;
		char *p = fs_join(dir, de->d_name);
		rc = p == NULL ? errf(e, "cache:") : fs_rm_rf(p, e);
		free(p);
	}
	closedir(d);
	free(dir);
	return rc;
}

/* Writes the seal: after the tree, atomically, so a seal always describes
 * a finished tree. */
static int
write_seal(const struct runtime_cache_entry *c, const char *sha256,
    const struct tally *t, struct errbuf *e)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof buf, "%s %llu %llu %llu %016llx %016llx\n",
	    sha256, t->entries, t->bytes, t->mtimes, t->sizes, t->content);
	if (n < 0 || (size_t)n >= sizeof buf)
		return errf(e, "cache seal: sha256 too long");
	return fs_write_file_atomic(c->seal, buf, (size_t)n, 0644, e);
}

/* The tree read back must be what was unpacked into it: a file that lost
 * bytes on the way (a write that failed unnoticed, zeros in their place)
 * must never be sealed as good. */
static int
check_expected(const struct runtime_cache_entry *c, const struct tally *t,
    const struct treesum *expect, struct errbuf *e)
{
	if (expect == NULL)
		return 0;
	if (t->bytes == expect->bytes && t->sizes == expect->sizes &&
	    t->content == expect->content)
		return 0;
	errno = EIO;
	return errf(e,
	    "cache %s: the files do not read back as they were "
	    "unpacked (%s differ): not sealed",
	    c->path,
	    t->bytes != expect->bytes || t->sizes != expect->sizes
		? "sizes"
		: "contents");
}

static int
seal_walk(const struct runtime_cache_entry *c, const char *sha256,
    const struct treesum *expect, struct errbuf *e)
{
	struct tally t;

	if (tally_tree(c->path, &t) == -1)
		return errf(e, "cache %s:", c->path);
	if (check_expected(c, &t, expect, e) == -1)
		return -1;
	return write_seal(c, sha256, &t, e);
}

int
runtime_cache_seal(const struct runtime_cache_entry *c, const char *sha256,
    struct errbuf *e)
{
	return seal_walk(c, sha256, NULL, e);
}

int
runtime_cache_seal_place(const struct runtime_cache_entry *c,
    const char *sha256, const char *dest, const struct treesum *expect,
    struct errbuf *e)
{
	struct place p = {.dest = dest, .e = e, .content = true};

	switch (place_tree(c, dest, &p)) {
	case PLACE_OK:
		if (check_expected(c, &p.t, expect, e) == 0 &&
		    write_seal(c, sha256, &p.t, e) == 0)
			return 0;
		if (fs_rm_rf(dest, NULL) == -1) {
			errprefix(e, "place %s: cannot remove what was placed",
			    dest);
			return -1;
		}
		return RUNTIME_CACHE_UNSEALABLE;
	case PLACE_NOLINK:
		/* The copy fallback reads the tree anyway: seal first. */
		if (seal_walk(c, sha256, expect, e) == -1)
			return RUNTIME_CACHE_UNSEALABLE;
		return fs_copy_tree(c->path, dest, true, e);
	case PLACE_UNREADABLE:
		errf(e, "cache %s: the entry just installed cannot be read",
		    c->path);
		return RUNTIME_CACHE_UNSEALABLE;
	default:
		return -1;
	}
}

void
runtime_cache_close(struct runtime_cache_entry *c)
{
	if (c == NULL)
		return;
	if (c->lockfd != -1) {
		/* An install that failed on a cold cache leaves the namespace
		 * empty: remove it (rmdir refuses when it is not). */
		if (c->ns != NULL)
			(void)rmdir(c->ns);
		close(c->lockfd); /* closing drops the flock */
	}
	free(c->ns);
	free(c->path);
	free(c->seal);
	c->ns = c->path = c->seal = NULL;
	c->lockfd = -1;
}
