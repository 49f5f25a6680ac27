#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* Keys come from config vars: anything outside a safe set is %-escaped so a
 * version like "../x" can never name another path. */
static int
append_escaped(char *buf, size_t size, size_t *len, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-' || ch == '+';
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
cache_open(struct cache_entry *c, const char *cache_dir, const char *ns,
    const char *stack, const char *version, const char *sha256,
    const struct cache_wait *w, struct errbuf *e)
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
		if (w != NULL && w->stop != NULL && *w->stop) {
			errf(e, "interrupted while waiting for the cache");
			goto fail;
		}
		struct timespec ts = { 0, 100 * 1000 * 1000 };
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
	cache_close(c);
	return -1;
}

struct tally {
	unsigned long long entries, bytes;
};

/* Counts the entries and regular-file bytes under path, never following
 * symlinks. */
static int
tally_tree(const char *path, struct tally *t)
{
	char *const roots[] = { (char *)path, NULL };
	FTSENT *ent;
	FTS *fts;
	int rc = 0;

	t->entries = t->bytes = 0;
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
			if (ent->fts_info == FTS_F)
				t->bytes += (unsigned long long)ent->fts_statp->st_size;
		}
	}
	if (errno != 0 && ent == NULL && rc == 0)
		rc = -1;
	fts_close(fts);
	return rc;
}

bool
cache_valid(const struct cache_entry *c, const char *sha256,
    struct errbuf *why)
{
	char want_sha[128];
	unsigned long long want_entries, want_bytes;
	struct tally t;
	size_t len;
	char *seal;

	if (!fs_is_dir(c->path)) {
		errf(why, "not cached");
		return false;
	}
	if ((seal = fs_read_file(c->seal, 4096, &len, NULL)) == NULL) {
		errf(why, "an earlier install did not finish");
		return false;
	}
	int n = sscanf(seal, "%127s %llu %llu", want_sha, &want_entries,
	    &want_bytes);
	free(seal);
	if (n != 3 || strcmp(want_sha, sha256) != 0) {
		errf(why, "its seal does not match");
		return false;
	}
	if (tally_tree(c->path, &t) == -1) {
		errf(why, "it cannot be read");
		return false;
	}
	if (t.entries != want_entries || t.bytes != want_bytes) {
		errf(why, "its files changed (%llu entries, %llu bytes; sealed "
		    "with %llu, %llu)", t.entries, t.bytes, want_entries,
		    want_bytes);
		return false;
	}
	return true;
}

int
cache_discard(const struct cache_entry *c, struct errbuf *e)
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
	/* install_from_url's temporary siblings are ".<key>.part-XXXXXX". */
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
		if (de->d_name[0] != '.' ||
		    strncmp(de->d_name + 1, base, blen) != 0 ||
		    strncmp(de->d_name + 1 + blen, ".part-", 6) != 0)
			continue;
		char *p = fs_join(dir, de->d_name);
		rc = p == NULL ? errf(e, "cache:") : fs_rm_rf(p, e);
		free(p);
	}
	closedir(d);
	free(dir);
	return rc;
}

int
cache_seal(const struct cache_entry *c, const char *sha256, struct errbuf *e)
{
	struct tally t;
	char buf[256];
	int n;

	if (tally_tree(c->path, &t) == -1)
		return errf(e, "cache %s:", c->path);
	n = snprintf(buf, sizeof buf, "%s %llu %llu\n", sha256, t.entries,
	    t.bytes);
	if (n < 0 || (size_t)n >= sizeof buf)
		return errf(e, "cache seal: sha256 too long");
	return fs_write_file_atomic(c->seal, buf, (size_t)n, 0644, e);
}

void
cache_close(struct cache_entry *c)
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
