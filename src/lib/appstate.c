/* appstate.c - per-app state under $XDG_STATE_HOME/slugc/apps/APP. */
#include "appstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yaml.h>

#include "fsutil.h"
#include "yamldoc.h"

#define BINARY_TAG "tag:yaml.org,2002:binary"

bool
appstate_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || name[0] == '-')
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		if (i == APPSTATE_NAME_MAX)
			return false;
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
			(name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			return false;
	}
	return true;
}

int
appstate_name_from(const char *text, char out[APPSTATE_NAME_MAX + 1],
    struct errbuf *e)
{
	size_t o = 0;
	bool dash = false;
	char c;

	for (; *text != '\0' && o < APPSTATE_NAME_MAX; text++) {
		c = *text;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && o > 0) {
				if (o + 2 > APPSTATE_NAME_MAX)
					break; /* no room for "-x" */
				out[o++] = '-';
			}
			dash = false;
			out[o++] = c;
		} else
			dash = true;
	}
	out[o] = '\0';
	if (o == 0)
		return errf(e,
		    "no app name can be made from that directory "
		    "name: give one with --app");
	return 0;
}

/* An absolute path from the environment variable name, or NULL.  The XDG
 * spec says relative values are to be ignored. */
static const char *
abs_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] == '/' ? v : NULL;
}

char *
appstate_root(struct errbuf *e)
{
	const char *base, *home;
	struct passwd *pw;
	char *p = NULL;

	if ((base = abs_env("XDG_STATE_HOME")) != NULL) {
		if (asprintf(&p, "%s/slugc/apps", base) < 0)
			p = NULL;
	} else {
		if ((home = abs_env("HOME")) == NULL &&
		    (pw = getpwuid(geteuid())) != NULL && pw->pw_dir != NULL &&
		    pw->pw_dir[0] == '/')
			home = pw->pw_dir;
		if (home == NULL) {
			errf(e,
			    "no state directory: neither XDG_STATE_HOME "
			    "nor HOME is an absolute path");
			return NULL;
		}
		if (asprintf(&p, "%s/.local/state/slugc/apps", home) < 0)
			p = NULL;
	}
	if (p == NULL)
		errf(e, "state directory: out of memory");
	return p;
}

/* Refuses a state directory we should not trust: a symlink, not a
 * directory, or someone else's. */
static int
check_dir(const char *dir, struct errbuf *e)
{
	struct stat st;

	if (lstat(dir, &st) == -1)
		return errf(e, "%s:", dir);
	/* errno says which, so that a caller can tell these from ENOENT
	 * (no state yet). */
	if (S_ISLNK(st.st_mode)) {
		errf(e, "%s: is a symlink; refusing to use it as state", dir);
		errno = ELOOP;
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		errf(e, "%s: not a directory", dir);
		errno = ENOTDIR;
		return -1;
	}
	if (st.st_uid != geteuid()) {
		errf(e,
		    "%s: owned by uid %u, not by us; refusing to "
		    "use it",
		    dir, (unsigned)st.st_uid);
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
appstate_open(const char *name, bool create, struct appstate **out,
    struct errbuf *e)
{
	struct appstate *st = NULL;
	char shown[64], *root = NULL, *lock = NULL;
	int rc = -1;

	*out = NULL;
	if (!appstate_name_ok(name)) {
		err_printable_name(shown, sizeof shown, name ? name : "");
		return errf(e,
		    "'%s' is not an app name (lower-case letters, "
		    "digits and '-', at most %d)",
		    shown, APPSTATE_NAME_MAX);
	}
	if ((root = appstate_root(e)) == NULL)
		return -1;
	if ((st = calloc(1, sizeof *st)) == NULL ||
	    (st->name = strdup(name)) == NULL ||
	    (st->dir = fs_join(root, name)) == NULL) {
		errf(e, "app %s: out of memory", name);
		goto out;
	}
	st->lockfd_ = -1;
	if (create) {
		if (fs_mkdir_p(root, 0700, e) == -1)
			goto out;
		if (mkdir(st->dir, 0700) == -1 && errno != EEXIST) {
			errf(e, "mkdir %s:", st->dir);
			goto out;
		}
	} else if (!fs_exists(st->dir)) {
		errno = ENOENT;
		errf(e, "app %s has no state (no %s)", name, st->dir);
		goto out;
	}
	if (check_dir(st->dir, e) == -1)
		goto out;
	if ((lock = fs_join(st->dir, "lock")) == NULL) {
		errf(e, "app %s: out of memory", name);
		goto out;
	}
	st->lockfd_ =
	    open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->lockfd_ == -1) {
		errf(e, "open %s:", lock);
		goto out;
	}
	*out = st;
	st = NULL;
	rc = 0;
out:
	appstate_close(st);
	free(root);
	free(lock);
	return rc;
}

void
appstate_close(struct appstate *st)
{
	if (st == NULL)
		return;
	if (st->lockfd_ >= 0)
		close(st->lockfd_); /* drops the flock */
	free(st->name);
	free(st->dir);
	free(st);
}

void
appstate_names_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
appstate_list(char ***names, size_t *n, struct errbuf *e)
{
	char *root, **v = NULL, **nv;
	size_t len = 0, cap = 0;
	struct dirent *d;
	DIR *dp;
	int rc = -1;

	*names = NULL;
	*n = 0;
	if ((root = appstate_root(e)) == NULL)
		return -1;
	if ((dp = opendir(root)) == NULL) {
		rc = errno == ENOENT ? 0 : errf(e, "open %s:", root);
		free(root);
		return rc;
	}
	for (;;) {
		errno = 0;
		if ((d = readdir(dp)) == NULL) {
			if (errno != 0) {
				errf(e, "read %s:", root);
				goto out;
			}
			break;
		}
		if (!appstate_name_ok(d->d_name) ||
		    (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN))
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof *v)) == NULL) {
				errf(e, "%s: out of memory", root);
				goto out;
			}
			v = nv;
		}
		if ((v[len] = strdup(d->d_name)) == NULL) {
			errf(e, "%s: out of memory", root);
			goto out;
		}
		len++;
	}
	if (len > 0)
		qsort(v, len, sizeof *v, cmp_str);
	*names = v;
	*n = len;
	v = NULL;
	rc = 0;
out:
	appstate_names_free(v, len);
	closedir(dp);
	free(root);
	return rc;
}

int
appstate_lock(struct appstate *st, struct errbuf *e)
{
	int r;

	if (st->lockdepth_ > 0) {
		st->lockdepth_++;
		return 0;
	}
	do
		r = flock(st->lockfd_, LOCK_EX);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return errf(e, "lock %s/lock:", st->dir);
	st->lockdepth_ = 1;
	return 0;
}

void
appstate_unlock(struct appstate *st)
{
	if (st->lockdepth_ == 0)
		return;
	if (--st->lockdepth_ == 0)
		flock(st->lockfd_, LOCK_UN);
}

char *
appstate_path(const struct appstate *st, const char *rel, struct errbuf *e)
{
	char *p = fs_join(st->dir, rel);

	if (p == NULL)
		errf(e, "%s/%s: out of memory", st->dir, rel);
	return p;
}

/* The directory part of path, into dir (PATH_MAX bytes). */
static void
dir_of(const char *path, char dir[PATH_MAX])
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, PATH_MAX, ".");
	else if (slash == path)
		snprintf(dir, PATH_MAX, "/");
	else
		snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
}

int
appstate_write_file(const char *path, const void *buf, size_t len,
    unsigned mode, struct errbuf *e)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	unsigned char rnd[6];
	int fd = -1, dfd, tries;

	/* Our own temporary name: mkostemp takes no O_NOFOLLOW. */
	for (tries = 0; tries < 16; tries++) {
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
			return errf(e, "write %s: getrandom:", path);
		if (snprintf(tmp, sizeof tmp, "%s.tmp%02x%02x%02x%02x%02x%02x",
			path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
			rnd[5]) >= (int)sizeof tmp)
			return errf(e, "%s: path too long", path);
		fd = open(tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    mode & 07777);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd == -1)
		return errf(e, "create %s:", tmp);
	if (fchmod(fd, mode & 07777) == -1 ||
	    fs_write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
		errf(e, "write %s:", path);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		errf(e, "write %s:", path);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		errf(e, "write %s: rename:", path);
		unlink(tmp);
		return -1;
	}
	/* The rename itself is durable only once the directory is synced. */
	dir_of(path, dir);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errf(e, "open %s:", dir);
	if (fsync(dfd) == -1) {
		errf(e, "fsync %s:", dir);
		close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

/* Reads the regular file path (never through a symlink) into a malloc'd,
 * NUL-terminated buffer.  Returns 0, 1 when it does not exist, -1. */
static int
read_small(const char *path, char **out, size_t *outlen, struct errbuf *e)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) ==
	    -1) {
		if (errno == ENOENT)
			return 1;
		return errf(e, "open %s:", path);
	}
	if (fstat(fd, &st) == -1) {
		errf(e, "stat %s:", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(e, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > APPSTATE_FILE_MAX) {
		errf(e, "%s: larger than %d bytes", path, APPSTATE_FILE_MAX);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		errf(e, "read %s: out of memory", path);
		goto fail;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errf(e, "read %s:", path);
			goto fail;
		}
		if (r == 0)
			break; /* shrank while we read: take what is there */
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
fail:
	if (buf != NULL)
		explicit_bzero(buf, (size_t)st.st_size);
	free(buf);
	close(fd);
	return -1;
}

/* Whether the len bytes at s are well-formed UTF-8 (no overlongs, no
 * surrogates, nothing past U+10FFFF), which libyaml can emit as text. */
static bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, k, n;
	uint32_t c;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, c &= 0x07;
		else
			return false;
		if (n >= len - i)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

struct obuf {
	char *buf;
	size_t len, cap;
};

static int
obuf_write(void *data, unsigned char *bytes, size_t size)
{
	struct obuf *o = data;
	size_t ncap;
	char *nb;

	if (o->len + size + 1 > o->cap) {
		ncap = o->cap ? o->cap : 1024;
		while (ncap < o->len + size + 1)
			ncap *= 2;
		/* Not realloc: the old buffer holds values, wiped first. */
		if ((nb = malloc(ncap)) == NULL)
			return 0;
		if (o->buf != NULL) {
			memcpy(nb, o->buf, o->len);
			explicit_bzero(o->buf, o->cap);
			free(o->buf);
		}
		o->buf = nb;
		o->cap = ncap;
	}
	memcpy(o->buf + o->len, bytes, size);
	o->len += size;
	o->buf[o->len] = '\0';
	return 1;
}

/* Emits one double-quoted scalar; a value that is not UTF-8 as base64
 * tagged !!binary.  Returns libyaml's 1/0. */
static int
emit_value(yaml_emitter_t *em, const char *s, size_t n)
{
	yaml_event_t ev;
	unsigned char *b64;
	int ok;

	if (n > INT_MAX / 2)
		return 0;
	if (utf8_valid((const unsigned char *)s, n)) {
		if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
			(yaml_char_t *)(uintptr_t)s, (int)n, 1, 1,
			YAML_DOUBLE_QUOTED_SCALAR_STYLE))
			return 0;
		return yaml_emitter_emit(em, &ev);
	}
	if ((b64 = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		return 0;
	ok = EVP_EncodeBlock(b64, (const unsigned char *)s, (int)n);
	ok = yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)BINARY_TAG,
		 b64, ok, 0, 0, YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
	    yaml_emitter_emit(em, &ev);
	free(b64);
	return ok;
}

static int
emit_map(yaml_emitter_t *em, const struct envdir *env)
{
	yaml_event_t ev;
	size_t i;

	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(em, &ev) ||
	    !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(em, &ev) ||
	    !yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		env->nvars == 0 ? YAML_FLOW_MAPPING_STYLE
				: YAML_BLOCK_MAPPING_STYLE) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	/* Names too are quoted: a var named NO is a boolean to YAML 1.1. */
	for (i = 0; i < env->nvars; i++)
		if (!emit_value(em, env->vars[i].name,
			strlen(env->vars[i].name)) ||
		    !emit_value(em, env->vars[i].value, env->vars[i].len))
			return 0;
	if (!yaml_mapping_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(em, &ev) ||
	    !yaml_document_end_event_initialize(&ev, 1) ||
	    !yaml_emitter_emit(em, &ev) ||
	    !yaml_stream_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	return yaml_emitter_flush(em);
}

int
appstate_write_map(const char *path, const struct envdir *env, struct errbuf *e)
{
	struct obuf o = {NULL, 0, 0};
	yaml_emitter_t em;
	size_t i;
	int rc = -1;

	for (i = 0; i < env->nvars; i++)
		if (memchr(env->vars[i].value, '\0', env->vars[i].len) != NULL)
			return errf(e, "config var %s: value holds a NUL byte",
			    env->vars[i].name);
	if (!yaml_emitter_initialize(&em))
		return errf(e, "write %s: out of memory", path);
	yaml_emitter_set_output(&em, obuf_write, &o);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_break(&em, YAML_LN_BREAK);
	if (!emit_map(&em, env)) {
		/* libyaml's problem texts never quote the value. */
		errf(e, "write %s: emitting YAML: %s", path,
		    em.problem != NULL ? em.problem : "out of memory");
		goto out;
	}
	rc = appstate_write_file(path, o.buf, o.len, 0600, e);
out:
	yaml_emitter_delete(&em);
	if (o.buf != NULL)
		explicit_bzero(o.buf, o.cap);
	free(o.buf);
	return rc;
}

/* Decodes a !!binary scalar (base64, whitespace allowed) into a malloc'd
 * NUL-terminated buffer.  NULL when it is not base64. */
static char *
unbase64(const unsigned char *s, size_t n, size_t *outlen)
{
	unsigned char *clean, *out;
	size_t i, m = 0, pad = 0;
	int r;

	if (n > INT_MAX || (clean = calloc(1, n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
			clean[m++] = s[i];
	if (m % 4 != 0 || (out = malloc(m / 4 * 3 + 1)) == NULL) {
		free(clean);
		return NULL;
	}
	r = EVP_DecodeBlock(out, clean, (int)m);
	if (m > 0 && clean[m - 1] == '=')
		pad++;
	if (m > 1 && clean[m - 2] == '=')
		pad++;
	free(clean);
	if (r < 0 || (size_t)r < pad) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)r - pad;
	out[*outlen] = '\0';
	return (char *)out;
}

/* One scalar's value as a malloc'd string (decoding !!binary), NULL with e
 * naming path and line when it is not a usable string. */
static char *
scalar_string(const char *path, yaml_node_t *n, size_t *len, struct errbuf *e)
{
	char *v;

	if (n->type != YAML_SCALAR_NODE) {
		errf(e, "%s:%zu: expected a string", path,
		    n->start_mark.line + 1);
		return NULL;
	}
	if (n->tag != NULL && strcmp((char *)n->tag, BINARY_TAG) == 0) {
		v = unbase64(n->data.scalar.value, n->data.scalar.length, len);
		if (v == NULL) {
			errf(e, "%s:%zu: bad !!binary value", path,
			    n->start_mark.line + 1);
			return NULL;
		}
	} else {
		v = malloc(n->data.scalar.length + 1);
		if (v == NULL) {
			errf(e, "%s: out of memory", path);
			return NULL;
		}
		memcpy(v, n->data.scalar.value, n->data.scalar.length);
		v[n->data.scalar.length] = '\0';
		*len = n->data.scalar.length;
	}
	if (strlen(v) != *len) {
		errf(e, "%s:%zu: a value holds a NUL byte", path,
		    n->start_mark.line + 1);
		explicit_bzero(v, *len);
		free(v);
		return NULL;
	}
	return v;
}

static int
parse_map(const char *path, yaml_document_t *doc, struct envdir *env,
    struct errbuf *e)
{
	yaml_node_t *root, *k, *v;
	yaml_node_pair_t *p;
	char *name = NULL, *value = NULL;
	size_t nlen, vlen = 0;
	int rc = -1;

	if ((root = yaml_document_get_root_node(doc)) == NULL)
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return errf(e, "%s:%zu: expected a mapping of names to strings",
		    path, root->start_mark.line + 1);
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(doc, p->key);
		v = yaml_document_get_node(doc, p->value);
		if (k == NULL || v == NULL)
			return errf(e, "%s: broken YAML document", path);
		if ((name = scalar_string(path, k, &nlen, e)) == NULL)
			return -1;
		if (!envdir_name_ok(name)) {
			char shown[104];

			err_printable_name(shown, sizeof shown, name);
			errf(e, "%s:%zu: '%s' is not a config var name", path,
			    k->start_mark.line + 1, shown);
			goto out;
		}
		if (envdir_get(env, name) != NULL) {
			errf(e, "%s:%zu: %s is there twice", path,
			    k->start_mark.line + 1, name);
			goto out;
		}
		if ((value = scalar_string(path, v, &vlen, e)) == NULL)
			goto out;
		if (envdir_set(env, name, value, e) == -1) {
			errprefix(e, "%s", path);
			goto out;
		}
		explicit_bzero(value, vlen);
		free(value);
		value = NULL;
		free(name);
		name = NULL;
	}
	rc = 0;
out:
	free(name);
	if (value != NULL)
		explicit_bzero(value, vlen);
	free(value);
	return rc;
}

int
appstate_read_map(const char *path, struct envdir **out, struct errbuf *e)
{
	yaml_document_t doc;
	struct envdir *env;
	char *buf = NULL;
	size_t len = 0;
	int r, more;

	*out = NULL;
	if ((env = envdir_new()) == NULL)
		return errf(e, "read %s: out of memory", path);
	if ((r = read_small(path, &buf, &len, e)) != 0) {
		if (r == 1)
			*out = env;
		else
			envdir_free(env);
		return r;
	}
	more = yamldoc_parse(buf, len, path, &doc, NULL, e);
	explicit_bzero(buf, len);
	free(buf);
	if (more == -1) {
		envdir_free(env);
		return -1;
	}
	if (more == 1) {
		errf(e, "%s: holds more than one YAML document", path);
		goto fail;
	}
	if (parse_map(path, &doc, env, e) == -1)
		goto fail;
	yaml_document_delete(&doc);
	*out = env;
	return 0;
fail:
	yaml_document_delete(&doc);
	envdir_free(env);
	return -1;
}

static char *
config_path(struct appstate *st, struct errbuf *e)
{
	return appstate_path(st, "config.yml", e);
}

int
appstate_config_read(struct appstate *st, struct envdir **out, struct errbuf *e)
{
	char *path;
	int rc;

	*out = NULL;
	if ((path = config_path(st, e)) == NULL)
		return -1;
	rc = appstate_read_map(path, out, e);
	free(path);
	return rc == -1 ? -1 : 0;
}

int
appstate_config_write(struct appstate *st, const struct envdir *env,
    struct errbuf *e)
{
	char *path;
	int rc;

	if ((path = config_path(st, e)) == NULL)
		return -1;
	rc = appstate_write_map(path, env, e);
	free(path);
	return rc;
}

int
appstate_config_get(struct appstate *st, const char *name, char **value,
    struct errbuf *e)
{
	struct envdir *env;
	const char *v;

	*value = NULL;
	if (appstate_config_read(st, &env, e) == -1)
		return -1;
	if ((v = envdir_get(env, name)) == NULL) {
		envdir_free(env);
		return 1;
	}
	if ((*value = strdup(v)) == NULL) {
		envdir_free(env);
		return errf(e, "config var %s: out of memory", name);
	}
	envdir_free(env);
	return 0;
}

int
appstate_config_set(struct appstate *st, const struct envdir *vars,
    struct errbuf *e)
{
	struct envdir *env = NULL;
	size_t i;
	int rc = -1;

	if (appstate_lock(st, e) == -1)
		return -1;
	if (appstate_config_read(st, &env, e) == -1)
		goto out;
	for (i = 0; i < vars->nvars; i++)
		if (envdir_set(env, vars->vars[i].name, vars->vars[i].value,
			e) == -1)
			goto out;
	rc = appstate_config_write(st, env, e);
out:
	envdir_free(env);
	appstate_unlock(st);
	return rc;
}

int
appstate_config_unset(struct appstate *st, const char *const *names, size_t n,
    size_t *removed, struct errbuf *e)
{
	struct envdir *env = NULL, *keep = NULL;
	size_t i, j, gone = 0;
	bool drop;
	int rc = -1;

	if (removed != NULL)
		*removed = 0;
	if (appstate_lock(st, e) == -1)
		return -1;
	if (appstate_config_read(st, &env, e) == -1)
		goto out;
	if ((keep = envdir_new()) == NULL) {
		errf(e, "config: out of memory");
		goto out;
	}
	for (i = 0; i < env->nvars; i++) {
		for (drop = false, j = 0; j < n && !drop; j++)
			drop = strcmp(env->vars[i].name, names[j]) == 0;
		if (drop)
			gone++;
		else if (envdir_set(keep, env->vars[i].name, env->vars[i].value,
			     e) == -1)
			goto out;
	}
	if (gone > 0 && appstate_config_write(st, keep, e) == -1)
		goto out;
	if (removed != NULL)
		*removed = gone;
	rc = 0;
out:
	envdir_free(env);
	envdir_free(keep);
	appstate_unlock(st);
	return rc;
}
