/* nuget.c - restoring packages.config packages from NuGet v3 feeds (see
 * nuget.h).  Built into slugc-install.so with fetch and libarchive: it runs
 * only in a build that has packages to restore.
 *
 * The v3 protocol as far as a restore needs it: GET the service index (JSON,
 * read with json-c), take the @id of the resource whose @type is
 * PackageBaseAddress/3.0.0, then GET {base}{id}/{version}/{id}.{version}.nupkg
 * with id and normalized version lowercased.  A 404 there means this feed
 * does not have the package: the next source is asked.
 *
 * A .nupkg is a zip (OPC): libarchive reads it, entry names are
 * percent-decoded as NuGet does, and every entry goes through unpack's
 * policy (unpack_check_entry) plus our own: regular files and directories
 * only. */
#include "nuget.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "beneath.h"
#include "fetch.h"
#include "fsutil.h"
#include "unpack.h"
#include "xmldoc.h"

#define CONFIG_MAX (4 << 20) /* packages.config, nuget.config */
#define NUSPEC_MAX (4 << 20)
#define INDEX_MAX ((curl_off_t)8 << 20)
#define INDEX_DEPTH 32
#define NUPKG_MAX ((curl_off_t)2 << 30)
#define ZIP_ENTRIES_MAX 100000
#define ZIP_BLOCK (64 * 1024)
#define VERSION_MAX 128
#define ID_MAX 100

#define BASE_TYPE "PackageBaseAddress/3.0.0"

/* --- parsing ---------------------------------------------------------- */

bool
nuget_id_valid(const char *id)
{
	size_t n = strlen(id);
	bool sep = true; /* a separator may not start the id */

	if (n == 0 || n > ID_MAX)
		return false;
	for (const char *p = id; *p != '\0'; p++) {
		if (isalnum((unsigned char)*p) || *p == '_') {
			sep = false;
		} else if (*p == '.' || *p == '-') {
			if (sep)
				return false;
			sep = true;
		} else {
			return false;
		}
	}
	return !sep;
}

/* A run of dot-separated labels of [0-9A-Za-z-], none empty, from p to a
 * character outside that set; returns where it stopped or NULL. */
static const char *
labels(const char *p)
{
	bool empty = true;

	for (;; p++) {
		if (isalnum((unsigned char)*p) || *p == '-') {
			empty = false;
		} else if (*p == '.') {
			if (empty)
				return NULL;
			empty = true;
		} else {
			return empty ? NULL : p;
		}
	}
}

int
nuget_version_normalize(const char *version, char *out, size_t size)
{
	unsigned long part[4] = {0};
	const char *p = version, *pre = NULL, *end;
	int nparts = 0, n;

	for (;;) {
		unsigned long x = 0;

		if (!isdigit((unsigned char)*p) || nparts == 4)
			return -1;
		for (; isdigit((unsigned char)*p); p++)
			if ((x = x * 10 + (unsigned long)(*p - '0')) > INT_MAX)
				return -1;
		part[nparts++] = x;
		if (*p != '.')
			break;
		p++;
	}
	end = p;
	if (*p == '-') {
		pre = p + 1;
		if ((p = labels(pre)) == NULL)
			return -1;
		end = p;
	}
	if (*p == '+' && (p = labels(p + 1)) == NULL)
		return -1;
	if (*p != '\0')
		return -1;
	n = snprintf(out, size, "%lu.%lu.%lu", part[0], part[1], part[2]);
	if (n >= 0 && (size_t)n < size && part[3] > 0)
		n += snprintf(out + n, size - (size_t)n, ".%lu", part[3]);
	if (n >= 0 && (size_t)n < size && pre != NULL)
		n += snprintf(out + n, size - (size_t)n, "-%.*s",
		    (int)(end - pre), pre);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

void
nuget_pkglist_free(struct nuget_pkglist *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].version);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int
pkglist_add(struct nuget_pkglist *l, char *id, char *version, long line)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct nuget_pkg *v = realloc(l->v, cap * sizeof *v);

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct nuget_pkg){id, version, line};
	return 0;
}

/* An attribute that must be there, into *out. */
static int
need_attr(const xmlNode *n, const char *attr, const char *name, char **out,
    struct errbuf *e)
{
	bool oom;

	if ((*out = xmldoc_attr(n, attr, &oom)) != NULL)
		return 0;
	if (oom)
		return errf(e, "%s:", name);
	return errf(e, "%s:%ld: <%s> without %s=", name, xmldoc_line(n),
	    (const char *)n->name, attr);
}

int
nuget_parse_packages(const char *buf, size_t len, const char *name,
    struct nuget_pkglist *out, struct errbuf *e)
{
	xmlDoc *doc = xmldoc_parse(buf, len, name, e);
	xmlNode *root;
	char *id = NULL, *version = NULL, shown[128], norm[VERSION_MAX];
	int rc = -1;

	if (doc == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (!xmldoc_is(root, "packages")) {
		errf(e, "%s:%ld: the root element is not <packages>", name,
		    root != NULL ? xmldoc_line(root) : 0L);
		goto out;
	}
	for (xmlNode *n = root->children; n != NULL; n = n->next) {
		if (!xmldoc_is(n, "package"))
			continue;
		if (need_attr(n, "id", name, &id, e) == -1 ||
		    need_attr(n, "version", name, &version, e) == -1)
			goto out;
		if (!nuget_id_valid(id)) {
			err_printable(shown, sizeof shown, id, strlen(id));
			errf(e, "%s:%ld: '%s' is not a NuGet package id", name,
			    xmldoc_line(n), shown);
			goto out;
		}
		if (nuget_version_normalize(version, norm, sizeof norm) == -1) {
			err_printable(shown, sizeof shown, version,
			    strlen(version));
			errf(e, "%s:%ld: %s: '%s' is not a NuGet version", name,
			    xmldoc_line(n), id, shown);
			goto out;
		}
		if (pkglist_add(out, id, version, xmldoc_line(n)) == -1) {
			errf(e, "%s:", name);
			goto out;
		}
		id = version = NULL;
	}
	rc = 0;
out:
	free(id);
	free(version);
	xmlFreeDoc(doc);
	return rc;
}

void
nuget_config_free(struct nuget_config *c)
{
	if (c == NULL)
		return;
	free(c->repository_path);
	c->repository_path = NULL;
	strlist_free(&c->keys);
	strlist_free(&c->values);
	strlist_free(&c->disabled);
}

/* The <add key= value=/> children of section, each passed to fn. */
static int
each_add(const xmlNode *section, const char *name,
    int (*fn)(struct nuget_config *, const char *, const char *),
    struct nuget_config *c, struct errbuf *e)
{
	char *key = NULL, *value = NULL;
	int rc = 0;

	for (xmlNode *n = section->children; n != NULL && rc == 0;
	     n = n->next) {
		if (!xmldoc_is(n, "add"))
			continue;
		if (need_attr(n, "key", name, &key, e) == -1 ||
		    need_attr(n, "value", name, &value, e) == -1)
			rc = -1;
		else if (fn(c, key, value) == -1)
			rc = errf(e, "%s:", name);
		free(key);
		free(value);
		key = value = NULL;
	}
	return rc;
}

static int
add_source(struct nuget_config *c, const char *key, const char *value)
{
	return strlist_push(&c->keys, key) == -1 ||
		strlist_push(&c->values, value) == -1
	    ? -1
	    : 0;
}

static int
add_disabled(struct nuget_config *c, const char *key, const char *value)
{
	return strcasecmp(value, "true") == 0 ? strlist_push(&c->disabled, key)
					      : 0;
}

static int
add_setting(struct nuget_config *c, const char *key, const char *value)
{
	if (strcasecmp(key, "repositoryPath") != 0)
		return 0;
	free(c->repository_path);
	return (c->repository_path = strdup(value)) == NULL ? -1 : 0;
}

int
nuget_parse_config(const char *buf, size_t len, const char *name,
    struct nuget_config *c, struct errbuf *e)
{
	xmlDoc *doc;
	xmlNode *root, *s;
	int rc = -1;

	memset(c, 0, sizeof *c);
	if ((doc = xmldoc_parse(buf, len, name, e)) == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (!xmldoc_is(root, "configuration")) {
		errf(e, "%s:%ld: the root element is not <configuration>", name,
		    root != NULL ? xmldoc_line(root) : 0L);
		goto out;
	}
	if ((s = xmldoc_child(root, "packageSources")) != NULL) {
		/* A <clear/> forgets what came before it, here and in the
		 * configs farther away. */
		for (xmlNode *n = s->children; n != NULL; n = n->next)
			if (xmldoc_is(n, "clear")) {
				c->clear = true;
				strlist_free(&c->keys);
				strlist_free(&c->values);
			} else if (xmldoc_is(n, "add")) {
				char *key = NULL, *value = NULL;
				int r =
				    need_attr(n, "key", name, &key, e) == -1 ||
					need_attr(n, "value", name, &value,
					    e) == -1
				    ? -1
				    : add_source(c, key, value);

				if (r == -1 && key != NULL && value != NULL)
					errf(e, "%s:", name);
				free(key);
				free(value);
				if (r == -1)
					goto out;
			}
	}
	if ((s = xmldoc_child(root, "disabledPackageSources")) != NULL &&
	    each_add(s, name, add_disabled, c, e) == -1)
		goto out;
	if ((s = xmldoc_child(root, "config")) != NULL &&
	    each_add(s, name, add_setting, c, e) == -1)
		goto out;
	rc = 0;
out:
	xmlFreeDoc(doc);
	return rc;
}

int
nuget_parse_nuspec(const char *buf, size_t len, const char *name, char **id,
    char **version, struct errbuf *e)
{
	xmlDoc *doc = xmldoc_parse(buf, len, name, e);
	xmlNode *root, *meta, *n;
	int rc = -1;

	*id = *version = NULL;
	if (doc == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (!xmldoc_is(root, "package") ||
	    (meta = xmldoc_child(root, "metadata")) == NULL) {
		errf(e, "%s:%ld: not a nuspec: no <package><metadata>", name,
		    root != NULL ? xmldoc_line(root) : 0L);
		goto out;
	}
	if ((n = xmldoc_child(meta, "id")) == NULL) {
		errf(e, "%s:%ld: <metadata> without <id>", name,
		    xmldoc_line(meta));
		goto out;
	}
	if ((*id = xmldoc_text(n)) == NULL) {
		errf(e, "%s:", name);
		goto out;
	}
	if ((n = xmldoc_child(meta, "version")) == NULL) {
		errf(e, "%s:%ld: <metadata> without <version>", name,
		    xmldoc_line(meta));
		goto out;
	}
	if ((*version = xmldoc_text(n)) == NULL) {
		errf(e, "%s:", name);
		goto out;
	}
	rc = 0;
out:
	xmlFreeDoc(doc);
	return rc;
}

/* --- feeds ------------------------------------------------------------ */

struct source {
	char *url;   /* the service index, credentials included */
	char *shown; /* the same without them */
	char *base;  /* PackageBaseAddress, ending in '/', credentials
	                included when on the index's origin; NULL until
	                resolved */
};

struct restore {
	const struct nuget_opts *o;
	struct nuget_result *r;
	struct source *src;
	size_t nsrc;
	char *pkgdir_rel; /* the packages folder, relative to build_dir */
	char *pkgdir;	  /* ... and absolute */
	char *cache;	  /* CACHE_DIR/nuget, or NULL */
};

static bool
is_nuget_org(const char *url)
{
	static const char *const hosts[] = {"api.nuget.org", "www.nuget.org",
	    "nuget.org", "packages.nuget.org", NULL};
	CURLU *u = curl_url();
	char *host = NULL;
	bool yes = false;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		for (int i = 0; hosts[i] != NULL; i++)
			yes |= strcasecmp(host, hosts[i]) == 0;
	curl_free(host);
	curl_url_cleanup(u);
	return yes;
}

/* nuget.org's v2 URLs, which Mono-era nuget.config files name: the same
 * packages are on its v3 feed. */
static bool
is_nuget_org_v2(const char *url)
{
	static const char *const v2[] = {"://www.nuget.org/api/v2",
	    "://nuget.org/api/v2", "://packages.nuget.org/api/v2", NULL};
	const char *p = strstr(url, "://");
	size_t n;

	if (p == NULL || strncasecmp(url, "http", 4) != 0)
		return false;
	for (int i = 0; v2[i] != NULL; i++) {
		n = strlen(v2[i]);
		if (strncasecmp(p, v2[i], n) == 0 &&
		    (p[n] == '\0' || strcmp(p + n, "/") == 0))
			return true;
	}
	return false;
}

/* Frees a string that may hold a password, wiping it first. */
static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* url with user and password set (both URL-decoded; NULL user: url as it
 * is), malloc'd, or NULL. */
static char *
with_userinfo(const char *url, const char *user, const char *pass)
{
	CURLU *u = curl_url();
	char *s = NULL, *out = NULL;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    (user == NULL ||
		(curl_url_set(u, CURLUPART_USER, user, CURLU_URLENCODE) ==
			CURLUE_OK &&
		    curl_url_set(u, CURLUPART_PASSWORD,
			pass != NULL ? pass : "",
			CURLU_URLENCODE) == CURLUE_OK)) &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		out = strdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

/* The URL-decoded user and password of url, malloc'd (NULL: none). */
static void
userinfo(const char *url, char **user, char **pass)
{
	CURLU *u = curl_url();
	char *a = NULL, *b = NULL;

	*user = *pass = NULL;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_USER, &a, CURLU_URLDECODE) == CURLUE_OK)
		*user = strdup(a);
	if (curl_url_get(u, CURLUPART_PASSWORD, &b, CURLU_URLDECODE) ==
	    CURLUE_OK)
		*pass = strdup(b);
out:
	curl_free(a);
	curl_free(b);
	curl_url_cleanup(u);
}

/* true when a and b have the same scheme, host and port: credentials
 * given for a feed go nowhere else. */
static bool
same_origin(const char *a, const char *b)
{
	static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_HOST,
	    CURLUPART_PORT};
	CURLU *ua = curl_url(), *ub = curl_url();
	bool same = ua != NULL && ub != NULL &&
	    curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
	    curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;

	for (size_t i = 0; same && i < sizeof parts / sizeof parts[0]; i++) {
		char *pa = NULL, *pb = NULL;

		curl_url_get(ua, parts[i], &pa, CURLU_DEFAULT_PORT);
		curl_url_get(ub, parts[i], &pb, CURLU_DEFAULT_PORT);
		same = pa != NULL && pb != NULL && strcasecmp(pa, pb) == 0;
		curl_free(pa);
		curl_free(pb);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

static bool
is_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0 ||
	    strncasecmp(s, "file://", 7) == 0;
}

static void
event(struct restore *rs, enum nuget_event ev, const struct nuget_pkg *p,
    const char *detail)
{
	if (rs->o->event != NULL)
		rs->o->event(rs->o->arg, ev, p != NULL ? p->id : NULL,
		    p != NULL ? p->version : NULL, detail);
}

/* Appends a source, with the config vars' credentials for any feed but
 * nuget.org when its URL has none of its own.  A source that is not a URL
 * (a local folder) is skipped with an event; one that does not parse as a
 * URL is the app's error. */
static int
push_source(struct restore *rs, const char *value, struct errbuf *e)
{
	const char *user = envdir_get(rs->o->vars, "NUGET_USERNAME");
	const char *pass = envdir_get(rs->o->vars, "NUGET_PASSWORD");
	char *u = NULL, *p = NULL, *why = NULL, *shown, quoted[256];
	struct source *s;

	if (is_nuget_org_v2(value))
		value = NUGET_DEFAULT_SOURCE;
	if (!is_url(value)) {
		err_printable(quoted, sizeof quoted, value, strlen(value));
		if (asprintf(&why,
			"%s: not an http(s) feed (local folder "
			"sources are not supported): skipped",
			quoted) < 0)
			return errf(e, "nuget:");
		event(rs, NUGET_SOURCE_SKIPPED, NULL, why);
		free(why);
		return 0;
	}
	if ((shown = fetch_redact_url(value)) == NULL)
		return errf(e, "nuget:");
	for (size_t i = 0; i < rs->nsrc; i++)
		if (strcmp(rs->src[i].shown, shown) == 0) {
			free(shown);
			return 0;
		}
	if ((s = realloc(rs->src, (rs->nsrc + 1) * sizeof *s)) == NULL) {
		free(shown);
		return errf(e, "nuget:");
	}
	rs->src = s;
	s = &rs->src[rs->nsrc];
	memset(s, 0, sizeof *s);
	s->shown = shown;
	userinfo(value, &u, &p);
	if (u == NULL && user != NULL && *user != '\0' && !is_nuget_org(value))
		s->url = with_userinfo(value, user, pass);
	else
		s->url = with_userinfo(value, NULL, NULL);
	wipe_free(u);
	wipe_free(p);
	if (s->url == NULL) {
		rs->r->failure = NUGET_FAIL_INPUT;
		errf(e, "NuGet source %s: not a valid URL", shown);
		free(shown);
		return -1;
	}
	rs->nsrc++;
	return 0;
}

static void
fetch_setup(struct restore *rs, struct fetch_opts *fo, const char *url,
    curl_off_t max)
{
	fetch_opts_init(fo);
	fo->url = url;
	fo->max_bytes = max;
	fo->stop = rs->o->stop;
	if (rs->o->retry_base_ms > 0) {
		fo->retry_base_ms = rs->o->retry_base_ms;
		fo->retry_delay_max_ms = rs->o->retry_base_ms * 4;
		fo->retry_after_max_seconds = 1;
	}
}

struct membuf {
	char *buf;
	size_t len, cap;
};

static int
mem_sink(void *arg, const void *buf, size_t len)
{
	struct membuf *m = arg;

	if (m->len + len + 1 > m->cap) {
		size_t cap = (m->len + len + 1) * 2;
		char *b = realloc(m->buf, cap);

		if (b == NULL)
			return -1;
		m->buf = b;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	m->buf[m->len] = '\0';
	return 0;
}

/* @type is a string, or in some feeds a list of them. */
static bool
has_type(struct json_object *t, const char *want)
{
	if (json_object_is_type(t, json_type_string))
		return strcmp(json_object_get_string(t), want) == 0;
	if (!json_object_is_type(t, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(t); i++)
		if (has_type(json_object_array_get_idx(t, i), want))
			return true;
	return false;
}

/* The PackageBaseAddress of the service index in json (len bytes),
 * malloc'd. */
static char *
base_address(const char *json, size_t len, const char *shown, struct errbuf *e)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *res, *r, *t, *id = NULL;
	const char *s;
	char *base = NULL;
	size_t n;

	if (len > INT_MAX || (tok = json_tokener_new_ex(INDEX_DEPTH)) == NULL) {
		errf(e, "%s: service index too large", shown);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (root == NULL) {
		enum json_tokener_error err = json_tokener_get_error(tok);

		errf(e, "%s: not a NuGet v3 service index: %s", shown,
		    err == json_tokener_continue
			? "unexpected end of data"
			: json_tokener_error_desc(err));
		goto out;
	}
	if (json_object_object_get_ex(root, "resources", &res) &&
	    json_object_is_type(res, json_type_array))
		for (size_t i = 0;
		     i < json_object_array_length(res) && id == NULL; i++) {
			r = json_object_array_get_idx(res, i);
			if (json_object_object_get_ex(r, "@type", &t) &&
			    has_type(t, BASE_TYPE) &&
			    !json_object_object_get_ex(r, "@id", &id))
				id = NULL;
		}
	if (id == NULL || !json_object_is_type(id, json_type_string) ||
	    !is_url(s = json_object_get_string(id))) {
		errf(e,
		    "%s: not a NuGet v3 feed: its service index has no "
		    "%s resource with an http(s) @id",
		    shown, BASE_TYPE);
		goto out;
	}
	n = strlen(s);
	if (asprintf(&base, "%s%s", s, n > 0 && s[n - 1] == '/' ? "" : "/") <
	    0) {
		base = NULL;
		errf(e, "nuget:");
	}
out:
	json_object_put(root);
	json_tokener_free(tok);
	return base;
}

/* Fetches s's service index once and sets s->base. */
static int
resolve(struct restore *rs, struct source *s, struct errbuf *e)
{
	struct membuf m = {0};
	struct fetch_opts fo;
	struct fetch_result fr = {0};
	char *base = NULL, *user = NULL, *pass = NULL;
	int rc = -1;

	if (s->base != NULL)
		return 0;
	fetch_setup(rs, &fo, s->url, INDEX_MAX);
	rc = fetch_stream(&fo, mem_sink, &m, &fr, e);
	rs->r->requests += fr.requests;
	if (rc == -1) {
		if (fr.sink_failed)
			errf(e, "%s: out of memory", s->shown);
		goto out;
	}
	rc = -1;
	if ((base = base_address(m.buf != NULL ? m.buf : "", m.len, s->shown,
		 e)) == NULL)
		goto out;
	/* The feed's credentials go along only to its own origin (Azure
	 * Artifacts, GitHub Packages and MyGet all serve both from one). */
	userinfo(s->url, &user, &pass);
	if (user != NULL && same_origin(base, s->url))
		s->base = with_userinfo(base, user, pass);
	else
		s->base = with_userinfo(base, NULL, NULL);
	if (s->base == NULL) {
		errf(e, "%s: bad %s URL in the service index", s->shown,
		    BASE_TYPE);
		goto out;
	}
	rc = 0;
out:
	wipe_free(user);
	wipe_free(pass);
	free(base);
	free(m.buf);
	return rc;
}

/* --- packages: zip checks and unpacking ------------------------------- */

/* A zip entry's name as NuGet reads it: percent-decoded (OPC part names),
 * '\' as '/'.  NULL when out of memory or when it decodes to a NUL. */
static char *
entry_name(const char *raw)
{
	char *s = malloc(strlen(raw) + 1), *o = s;

	if (s == NULL)
		return NULL;
	for (const char *p = raw; *p != '\0'; p++) {
		if (p[0] == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = {p[1], p[2], '\0'};

			*o = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			*o = *p;
		}
		if (*o == '\0') {
			free(s);
			return NULL;
		}
		if (*o == '\\')
			*o = '/';
		o++;
	}
	*o = '\0';
	return s;
}

static bool
is_root_nuspec(const char *name)
{
	size_t n = strlen(name);

	return strchr(name, '/') == NULL && n > 7 &&
	    strcasecmp(name + n - 7, ".nuspec") == 0;
}

/* unpack's policy for the entry named name, and ours: regular files and
 * directories only (NuGet packs nothing else). */
static int
entry_ok(struct archive_entry *ent, const char *name, const char *shown,
    struct errbuf *e)
{
	mode_t type = archive_entry_filetype(ent);
	char quoted[300];

	if (unpack_check_entry(name, type, NULL, NULL, e) == -1)
		return errprefix(e, "%s", shown);
	if (type != AE_IFREG && type != AE_IFDIR) {
		err_printable(quoted, sizeof quoted, name, strlen(name));
		return errf(e,
		    "%s: archive entry '%s': only files and "
		    "directories may be in a package",
		    shown, quoted);
	}
	return 0;
}

static struct archive *
zip_open(const char *path, const char *shown, struct errbuf *e)
{
	struct archive *a = archive_read_new();

	if (a == NULL) {
		errf(e, "%s:", shown);
		return NULL;
	}
	/* Only zip, read through its central directory. */
	if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
	    archive_read_open_filename(a, path, ZIP_BLOCK) != ARCHIVE_OK) {
		errf(e, "%s: not a readable package (zip): %s", shown,
		    archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Checks that the .nupkg at path is a readable zip (every entry's data is
 * read, so CRCs are checked) whose one root .nuspec names id and version
 * (id case-insensitively, versions normalized).  shown names the package
 * in messages. */
static int
verify(const struct nuget_pkg *p, const char *path, const char *shown,
    struct errbuf *e)
{
	struct archive *a = zip_open(path, shown, e);
	struct archive_entry *ent;
	struct membuf spec = {0};
	char *name = NULL, *id = NULL, *ver = NULL, buf[ZIP_BLOCK];
	char want[VERSION_MAX], got[VERSION_MAX], sid[128], sver[128];
	int r, nspecs = 0, rc = -1;
	la_ssize_t n;

	if (a == NULL)
		return -1;
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		bool spec_entry;

		free(name);
		if ((name = entry_name(archive_entry_pathname(ent)
			     ? archive_entry_pathname(ent)
			     : "")) == NULL) {
			errf(e, "%s: an entry has a bad name", shown);
			goto out;
		}
		/* The policy extract applies, checked before the package
		 * may enter the cache. */
		if (entry_ok(ent, name, shown, e) == -1)
			goto out;
		if ((spec_entry = is_root_nuspec(name)))
			nspecs++;
		while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
			if (spec_entry && nspecs == 1 &&
			    (spec.len + (size_t)n > NUSPEC_MAX ||
				mem_sink(&spec, buf, (size_t)n) == -1)) {
				errf(e, "%s: %s: too large", shown, name);
				goto out;
			}
		if (n < 0) {
			errf(e, "%s: not a readable package (zip): %s: %s",
			    shown, name, archive_error_string(a));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		errf(e, "%s: not a readable package (zip): %s", shown,
		    archive_error_string(a));
		goto out;
	}
	if (nspecs != 1) {
		errf(e, "%s: not a NuGet package: %s .nuspec at its root",
		    shown, nspecs == 0 ? "no" : "more than one");
		goto out;
	}
	if (nuget_parse_nuspec(spec.buf ? spec.buf : "", spec.len, shown, &id,
		&ver, e) == -1)
		goto out;
	if (nuget_version_normalize(p->version, want, sizeof want) == -1 ||
	    nuget_version_normalize(ver, got, sizeof got) == -1 ||
	    strcasecmp(id, p->id) != 0 || strcasecmp(want, got) != 0) {
		err_printable(sid, sizeof sid, id, strlen(id));
		err_printable(sver, sizeof sver, ver, strlen(ver));
		errf(e, "%s: the package is %s %s, not %s %s", shown, sid, sver,
		    p->id, p->version);
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	free(name);
	free(id);
	free(ver);
	free(spec.buf);
	return rc;
}

/* The package's own files: not the OPC parts (NuGet leaves them out) and
 * not the manifest, which a packages.config restore does not unpack. */
static bool
is_package_file(const char *clean)
{
	static const char *const dirs[] = {"_rels/", "package/", NULL};

	if (strcasecmp(clean, "[Content_Types].xml") == 0 ||
	    strcasecmp(clean, ".signature.p7s") == 0 || is_root_nuspec(clean))
		return false;
	for (int i = 0; dirs[i] != NULL; i++)
		if (strncasecmp(clean, dirs[i], strlen(dirs[i])) == 0 ||
		    (strncasecmp(clean, dirs[i], strlen(dirs[i]) - 1) == 0 &&
			clean[strlen(dirs[i]) - 1] == '\0'))
			return false;
	return true;
}

/* write_disk is given absolute names under the realpath'd root (as unpack
 * does: it has no notion of a root directory), after unpack_check_entry
 * has refused absolute names and '..'; NODOTDOT guards again, and
 * SECURE_SYMLINKS refuses to write through any symlink (we extract none). */
static const int zip_disk_flags = ARCHIVE_EXTRACT_TIME |
    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS;

/* Unpacks the package files of the .nupkg at path into dest (created).
 * On failure dest is removed. */
static int
extract(const char *path, const char *dest, const char *shown, struct errbuf *e)
{
	struct archive *a = NULL, *w = NULL;
	struct archive_entry *ent;
	struct stat st;
	char *name = NULL, *clean = NULL, *full = NULL, *root = NULL;
	char buf[ZIP_BLOCK];
	uint64_t entries = 0, written = 0, cap;
	la_ssize_t n;
	int r, rc = -1;

	if (stat(path, &st) == -1)
		return errf(e, "stat %s:", path);
	/* A zip bomb: at most 200 times the package, past a 64 MiB floor. */
	cap = (uint64_t)st.st_size * UNPACK_DEFAULT_MAX_RATIO +
	    UNPACK_DEFAULT_RATIO_FLOOR;
	if (mkdir(dest, 0755) == -1)
		return errf(e, "mkdir %s:", dest);
	if ((root = realpath(dest, NULL)) == NULL) {
		errf(e, "realpath %s:", dest);
		goto out;
	}
	if ((a = zip_open(path, shown, e)) == NULL)
		goto out;
	if ((w = archive_write_disk_new()) == NULL ||
	    archive_write_disk_set_options(w, zip_disk_flags) != ARCHIVE_OK) {
		errf(e, "%s: unpack:", shown);
		goto out;
	}
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		mode_t type = archive_entry_filetype(ent);

		free(name);
		free(clean);
		free(full);
		clean = full = NULL;
		if ((name = entry_name(archive_entry_pathname(ent)
			     ? archive_entry_pathname(ent)
			     : "")) == NULL) {
			errf(e, "%s: an entry has a bad name", shown);
			goto out;
		}
		if (++entries > ZIP_ENTRIES_MAX) {
			errf(e, "%s: more than %d entries", shown,
			    ZIP_ENTRIES_MAX);
			goto out;
		}
		if (entry_ok(ent, name, shown, e) == -1)
			goto out;
		if ((clean = nuget_path_join("", name)) == NULL) {
			errf(e, "%s: entry '%s':", shown, name);
			goto out;
		}
		if (*clean == '\0' || !is_package_file(clean))
			continue;
		if ((full = fs_join(root, clean)) == NULL) {
			errf(e, "%s: unpack:", shown);
			goto out;
		}
		archive_entry_set_pathname(ent, full);
		archive_entry_set_perm(ent, type == AE_IFDIR ? 0755 : 0644);
		if (archive_write_header(w, ent) < ARCHIVE_WARN) {
			errf(e, "%s: entry '%s': %s", shown, clean,
			    archive_error_string(w));
			goto out;
		}
		while (type == AE_IFREG &&
		    (n = archive_read_data(a, buf, sizeof buf)) != 0) {
			if (n < 0) {
				errf(e, "%s: entry '%s': %s", shown, clean,
				    archive_error_string(a));
				goto out;
			}
			if ((written += (uint64_t)n) > cap) {
				errf(e,
				    "%s: expands to more than %llu bytes: "
				    "refused",
				    shown, (unsigned long long)cap);
				goto out;
			}
			if (archive_write_data(w, buf, (size_t)n) != n) {
				errf(e, "%s: entry '%s': %s", shown, clean,
				    archive_error_string(w));
				goto out;
			}
		}
		if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
			errf(e, "%s: entry '%s': %s", shown, clean,
			    archive_error_string(w));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		errf(e, "%s: not a readable package (zip): %s", shown,
		    archive_error_string(a));
		goto out;
	}
	if (archive_write_close(w) < ARCHIVE_WARN) {
		errf(e, "%s: unpack: %s", shown, archive_error_string(w));
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	archive_write_free(w);
	free(name);
	free(clean);
	free(full);
	free(root);
	if (rc == -1)
		fs_rm_rf(dest, NULL);
	return rc;
}

static int
copy_file(const char *src, const char *dst, struct errbuf *e)
{
	char buf[ZIP_BLOCK];
	ssize_t n;
	int in, out, rc = -1;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return errf(e, "open %s:", src);
	if ((out = open(dst,
		 O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)) ==
	    -1) {
		errf(e, "create %s:", dst);
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errf(e, "read %s:", src);
			goto out;
		}
		if (fs_write_all(out, buf, (size_t)n) == -1) {
			errf(e, "write %s:", dst);
			goto out;
		}
	}
	rc = 0;
out:
	close(in);
	if (close(out) == -1 && rc == 0)
		rc = errf(e, "write %s:", dst);
	return rc;
}

/* --- one package ------------------------------------------------------ */

struct file_sink {
	int fd;
	const char *path;
	struct errbuf *e;
};

static int
file_sink(void *arg, const void *buf, size_t len)
{
	struct file_sink *f = arg;

	if (fs_write_all(f->fd, buf, len) == -1)
		return errf(f->e, "write %s:", f->path);
	return 0;
}

/* Downloads the package into the new file tmp from the first source that
 * has it, whose URL (without credentials) goes into *from (malloc'd).
 * *kind says what a failure was. */
static int
download(struct restore *rs, const struct nuget_pkg *p, const char *lid,
    const char *lver, const char *tmp, char **from, enum nuget_failure *kind,
    struct errbuf *e)
{
	struct errbuf se = {""};
	struct file_sink fs = {-1, tmp, &se};
	char *url = NULL, *shown = NULL, *tried = NULL;
	int rc = -1;

	*kind = NUGET_FAIL_FETCH;
	for (size_t i = 0; i < rs->nsrc; i++) {
		struct source *s = &rs->src[i];
		struct fetch_opts fo;
		struct fetch_result fr = {0};
		char *t;
		int got;

		if (resolve(rs, s, e) == -1)
			goto out;
		wipe_free(url);
		free(shown);
		shown = NULL;
		if (asprintf(&url, "%s%s/%s/%s.%s.nupkg", s->base, lid, lver,
			lid, lver) < 0 ||
		    (shown = fetch_redact_url(url)) == NULL) {
			url = NULL;
			errf(e, "nuget:");
			goto out;
		}
		event(rs, NUGET_DOWNLOAD, p, shown);
		if ((fs.fd = open(tmp,
			 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			 0644)) == -1) {
			*kind = NUGET_FAIL_IO;
			errf(e, "create %s:", tmp);
			goto out;
		}
		fetch_setup(rs, &fo, url, NUPKG_MAX);
		got = fetch_stream(&fo, file_sink, &fs, &fr, e);
		rs->r->requests += fr.requests;
		if (close(fs.fd) == -1 && got == 0) {
			*kind = NUGET_FAIL_IO;
			errf(e, "write %s:", tmp);
			goto out;
		}
		fs.fd = -1;
		if (got == 0) {
			*from = shown;
			shown = NULL;
			rc = 0;
			goto out;
		}
		if (fr.sink_failed) {
			*kind = NUGET_FAIL_IO;
			errf(e, "%s", se.msg);
			goto out;
		}
		if (fr.http_status != 404) {
			errprefix(e, "%s %s", p->id, p->version);
			goto out;
		}
		/* Not on this feed: the next one may have it. */
		if (asprintf(&t, "%s%s%s", tried ? tried : "",
			tried ? ", " : "", s->shown) < 0) {
			errf(e, "nuget:");
			goto out;
		}
		free(tried);
		tried = t;
	}
	errf(e, "%s %s: no such package on %s%s", p->id, p->version,
	    rs->nsrc > 1 ? "the feeds " : "the feed ",
	    tried ? tried : "(none)");
out:
	wipe_free(url);
	free(shown);
	free(tried);
	return rc;
}

/* Makes sure the packages folder exists. */
static int
packages_folder(struct restore *rs, struct errbuf *e)
{
	if (fs_check_beneath(rs->o->build_dir, rs->pkgdir_rel, e) == -1)
		return -1;
	return fs_mkdir_p(rs->pkgdir, 0755, e);
}

/* Restores one package whose folder (packages/ID.VERSION) is missing:
 * from the cache or a feed, into a staging directory beside the folder,
 * renamed into place only when whole. */
static int
restore_one(struct restore *rs, const struct nuget_pkg *p, const char *folder,
    struct errbuf *e)
{
	char lid[ID_MAX + 1], lver[VERSION_MAX], *stage = NULL, *tree = NULL;
	char *dir = NULL, *nupkg = NULL, *tmp = NULL, *dest = NULL;
	char *inside = NULL, *named = NULL, *shown = NULL, *from = NULL;
	struct errbuf why = {""};
	enum nuget_failure kind = NUGET_FAIL_IO;
	bool from_cache = false;
	int fd, rc = -1;

	for (size_t i = 0; i <= strlen(p->id); i++)
		lid[i] = (char)tolower((unsigned char)p->id[i]);
	if (nuget_version_normalize(p->version, lver, sizeof lver) == -1) {
		rs->r->failure = NUGET_FAIL_INPUT;
		return errf(e, "%s %s: not a NuGet version", p->id, p->version);
	}
	for (char *c = lver; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (asprintf(&shown, "%s %s", p->id, p->version) < 0) {
		shown = NULL;
		errf(e, "nuget:");
		goto out;
	}
	if (packages_folder(rs, e) == -1 ||
	    (stage = fs_mkdtemp(rs->pkgdir, ".restore-", e)) == NULL)
		goto out;
	if ((tree = fs_join(stage, "tree")) == NULL ||
	    (dest = fs_join(rs->pkgdir, folder)) == NULL ||
	    asprintf(&named, "%s.nupkg", folder) < 0 ||
	    (inside = fs_join(tree, named)) == NULL) {
		errf(e, "nuget:");
		goto out;
	}

	/* The cache, made when first needed (a build of committed packages
	 * leaves no trace there), and used when it has a sound copy. */
	if (rs->cache != NULL && fs_mkdir_p(rs->cache, 0755, &why) == -1) {
		event(rs, NUGET_CACHE_UNUSABLE, NULL, why.msg);
		free(rs->cache);
		rs->cache = NULL;
	}
	if (rs->cache != NULL) {
		if (asprintf(&dir, "%s/%s", rs->cache, lid) < 0 ||
		    asprintf(&nupkg, "%s/%s.nupkg", dir, lver) < 0) {
			dir = nupkg = NULL;
			errf(e, "nuget:");
			goto out;
		}
		if (fs_exists(nupkg)) {
			if (verify(p, nupkg, nupkg, &why) == 0) {
				from_cache = true;
			} else {
				event(rs, NUGET_CACHE_DAMAGED, p, why.msg);
				if (unlink(nupkg) == -1) {
					errf(e, "unlink %s:", nupkg);
					goto out;
				}
			}
		}
		if (!from_cache && fs_mkdir_p(dir, 0755, e) == -1)
			goto out;
	}
	if (!from_cache) {
		/* Downloaded to a temporary name, renamed into the cache
		 * only once checked, so the cache never holds a bad one. */
		if (asprintf(&tmp, "%s/.%s.XXXXXX", dir ? dir : stage, lver) <
		    0) {
			tmp = NULL;
			errf(e, "nuget:");
			goto out;
		}
		if ((fd = mkstemp(tmp)) == -1) {
			errf(e, "create %s:", tmp);
			free(tmp);
			tmp = NULL;
			goto out;
		}
		close(fd);
		if (download(rs, p, lid, lver, tmp, &from, &kind, e) == -1) {
			rs->r->failure = kind;
			goto out;
		}
		free(shown);
		if (asprintf(&shown, "%s %s from %s", p->id, p->version, from) <
		    0) {
			shown = NULL;
			errf(e, "nuget:");
			goto out;
		}
		if (verify(p, tmp, shown, e) == -1) {
			rs->r->failure = NUGET_FAIL_FETCH;
			goto out;
		}
		if (nupkg != NULL) {
			if (rename(tmp, nupkg) == -1) {
				errf(e, "rename %s:", nupkg);
				goto out;
			}
			free(tmp);
			tmp = NULL;
		}
		rs->r->downloaded++;
	} else {
		event(rs, NUGET_CACHED, p, NULL);
		rs->r->cached++;
	}

	/* NuGet keeps the .nupkg in the folder: nuget.exe (an old app's
	 * NuGet.targets runs it during the build) sees the package there and
	 * leaves it be. */
	if (extract(nupkg != NULL ? nupkg : tmp, tree, shown, e) == -1)
		goto out;
	if (copy_file(nupkg != NULL ? nupkg : tmp, inside, e) == -1)
		goto out;
	if (rename(tree, dest) == -1) {
		errf(e, "rename %s:", dest);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1 && rs->r->failure == NUGET_FAIL_NONE)
		rs->r->failure = NUGET_FAIL_IO;
	if (tmp != NULL)
		unlink(tmp);
	if (stage != NULL)
		fs_rm_rf(stage, NULL);
	free(stage);
	free(tree);
	free(dir);
	free(nupkg);
	free(tmp);
	free(dest);
	free(inside);
	free(named);
	free(shown);
	free(from);
	return rc;
}

/* --- the app's configuration ------------------------------------------ */

/* Reads the file at rel, beneath build_dir, into *buf; 1 when it does not
 * exist. */
static int
read_rel(const struct nuget_opts *o, const char *rel, char **buf, size_t *len,
    struct errbuf *e)
{
	*buf = beneath_read_file(o->build_dir, rel, CONFIG_MAX, len, e);
	if (*buf == NULL && errno == ENOENT)
		return 1;
	return *buf == NULL ? -1 : 0;
}

/* Appends dir's nuget.config (relative to build_dir) to out, if it has
 * one, under the first of NuGet's spellings found.  One that leads out of
 * the app is an error. */
static int
first_config(const struct nuget_opts *o, const char *dir, struct strlist *out,
    struct errbuf *e)
{
	static const char *const names[] = {"NuGet.Config", "NuGet.config",
	    "nuget.config", NULL};
	struct stat st;
	char *rel;
	int rc = 0;

	for (int i = 0; names[i] != NULL; i++) {
		if ((rel = nuget_path_join(dir, names[i])) == NULL)
			return errf(e, "nuget.config:");
		if (beneath_stat(o->build_dir, rel, &st, e) == 0) {
			if (S_ISREG(st.st_mode)) {
				if (strlist_push(out, rel) == -1)
					rc = errf(e, "nuget.config:");
				free(rel);
				return rc;
			}
		} else if (errno != ENOENT && errno != ENOTDIR) {
			free(rel);
			return -1;
		}
		free(rel);
	}
	return 0;
}

/* The nuget.config files that apply, nearest first: the solution's
 * .nuget/NuGet.Config (NuGet 2's place for it), then one per directory from
 * the solution's up to the app's root. */
static int
find_nuget_configs(const struct nuget_opts *o, const char *sln_dir,
    struct strlist *out, struct errbuf *e)
{
	char *dir = nuget_path_join(sln_dir, ".nuget"), *slash;
	int rc = -1;

	if (dir == NULL) {
		errf(e, "nuget.config:");
		goto out;
	}
	if (first_config(o, dir, out, e) == -1)
		goto out;
	free(dir);
	if ((dir = strdup(sln_dir)) == NULL) {
		errf(e, "nuget.config:");
		goto out;
	}
	for (;;) {
		if (first_config(o, dir, out, e) == -1)
			goto out;
		if (*dir == '\0')
			break;
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		else
			*dir = '\0';
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

/* Sets rs's sources and packages folder from the config vars and the
 * app's nuget.config files. */
static int
configure(struct restore *rs, const char *sln_dir, struct errbuf *e)
{
	const struct nuget_opts *o = rs->o;
	const char *only = envdir_get(o->vars, "NUGET_SOURCE");
	struct strlist files = {0}, keys = {0}, values = {0};
	struct strlist disabled = {0};
	struct nuget_config c;
	bool cleared = false;
	char *buf, *cfgdir, *slash;
	size_t len;
	int rc = -1;

	if (find_nuget_configs(o, sln_dir, &files, e) == -1)
		goto fail_input;
	/* Farthest first: nearer files add to and override farther ones. */
	for (size_t i = files.n; i-- > 0;) {
		if (read_rel(o, files.v[i], &buf, &len, e) != 0)
			goto fail_io;
		rc = nuget_parse_config(buf, len, files.v[i], &c, e);
		free(buf);
		if (rc == -1) {
			nuget_config_free(&c);
			goto fail_input;
		}
		rc = -1;
		if (c.clear) {
			cleared = true;
			strlist_free(&keys);
			strlist_free(&values);
		}
		for (size_t k = 0; k < c.keys.n; k++) {
			size_t j;

			for (j = 0; j < keys.n; j++)
				if (strcasecmp(keys.v[j], c.keys.v[k]) == 0)
					break;
			if (j < keys.n) {
				char *v = strdup(c.values.v[k]);

				if (v == NULL)
					goto oom_config;
				free(values.v[j]);
				values.v[j] = v;
			} else if (strlist_push(&keys, c.keys.v[k]) == -1 ||
			    strlist_push(&values, c.values.v[k]) == -1) {
				goto oom_config;
			}
		}
		for (size_t k = 0; k < c.disabled.n; k++)
			if (strlist_push(&disabled, c.disabled.v[k]) == -1)
				goto oom_config;
		/* The nearest repositoryPath wins, relative to its file. */
		if (c.repository_path != NULL) {
			free(rs->pkgdir_rel);
			if ((cfgdir = strdup(files.v[i])) == NULL)
				goto oom_config;
			if ((slash = strrchr(cfgdir, '/')) != NULL)
				*slash = '\0';
			else
				*cfgdir = '\0';
			rs->pkgdir_rel =
			    nuget_path_join(cfgdir, c.repository_path);
			free(cfgdir);
			if (rs->pkgdir_rel == NULL) {
				if (errno != EINVAL)
					goto oom_config;
				errf(e,
				    "%s: repositoryPath %s is outside the "
				    "app",
				    files.v[i], c.repository_path);
				nuget_config_free(&c);
				goto fail_input;
			}
		}
		nuget_config_free(&c);
	}
	if (rs->pkgdir_rel == NULL &&
	    (rs->pkgdir_rel = nuget_path_join(sln_dir, "packages")) == NULL)
		goto oom;
	if ((rs->pkgdir = fs_join(o->build_dir, rs->pkgdir_rel)) == NULL)
		goto oom;

	if (only != NULL && *only != '\0') {
		if (push_source(rs, only, e) == -1)
			goto fail_io;
	} else {
		for (size_t k = 0; k < keys.n; k++) {
			bool off = false;

			for (size_t j = 0; j < disabled.n; j++)
				off |=
				    strcasecmp(disabled.v[j], keys.v[k]) == 0;
			if (!off && push_source(rs, values.v[k], e) == -1)
				goto fail_io;
		}
		/* nuget.org comes with every NuGet install's own config,
		 * unless the app's says <clear/>. */
		if (!cleared && push_source(rs, NUGET_DEFAULT_SOURCE, e) == -1)
			goto fail_io;
	}
	rc = 0;
	goto out;
oom_config:
	nuget_config_free(&c);
oom:
	errf(e, "nuget.config:");
fail_io:
	if (rs->r->failure == NUGET_FAIL_NONE)
		rs->r->failure = NUGET_FAIL_IO;
	goto out;
fail_input:
	rs->r->failure = NUGET_FAIL_INPUT;
out:
	strlist_free(&files);
	strlist_free(&keys);
	strlist_free(&values);
	strlist_free(&disabled);
	return rc;
}

/* --- the restore ------------------------------------------------------ */

/* The packages of every packages.config, each folder once. */
static int
gather(struct restore *rs, struct nuget_pkglist *pkgs, struct errbuf *e)
{
	const struct strlist *cf = rs->o->configs;
	char *buf;
	size_t len;

	for (size_t i = 0; cf != NULL && i < cf->n; i++) {
		int r = read_rel(rs->o, cf->v[i], &buf, &len, e);

		if (r != 0) {
			if (r == 1)
				errf(e, "%s: vanished", cf->v[i]);
			rs->r->failure = NUGET_FAIL_IO;
			return -1;
		}
		r = nuget_parse_packages(buf, len, cf->v[i], pkgs, e);
		free(buf);
		if (r == -1) {
			rs->r->failure = NUGET_FAIL_INPUT;
			return -1;
		}
	}
	return 0;
}

int
nuget_restore(const struct nuget_opts *o, struct nuget_result *r,
    struct errbuf *e)
{
	struct restore rs = {o, r, NULL, 0, NULL, NULL, NULL};
	struct nuget_pkglist pkgs = {0};
	struct strlist done = {0};
	const char *slash;
	char *sln_dir = NULL, *folder = NULL, *path = NULL;
	struct stat st;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (o->size != sizeof *o) {
		r->failure = NUGET_FAIL_IO;
		return errf(e,
		    "nuget: built from other sources than this "
		    "program: reinstall the buildpack");
	}
	slash = strrchr(o->solution, '/');
	if ((sln_dir = strndup(o->solution,
		 slash != NULL ? (size_t)(slash - o->solution) : 0)) == NULL) {
		r->failure = NUGET_FAIL_IO;
		return errf(e, "nuget:");
	}
	if (configure(&rs, sln_dir, e) == -1 || gather(&rs, &pkgs, e) == -1)
		goto out;
	if (o->cache_dir != NULL &&
	    (rs.cache = fs_join(o->cache_dir, "nuget")) == NULL) {
		errf(e, "nuget:");
		goto out;
	}
	for (size_t i = 0; i < pkgs.n; i++) {
		const struct nuget_pkg *p = &pkgs.v[i];
		bool seen = false;

		if (stopflag_is_set(o->stop)) {
			errf(e, "interrupted");
			goto out;
		}
		free(folder);
		free(path);
		path = NULL;
		if (asprintf(&folder, "%s.%s", p->id, p->version) < 0) {
			folder = NULL;
			errf(e, "nuget:");
			goto out;
		}
		for (size_t j = 0; j < done.n && !seen; j++)
			seen = strcasecmp(done.v[j], folder) == 0;
		if (seen)
			continue;
		if (strlist_push(&done, folder) == -1 ||
		    (path = nuget_path_join(rs.pkgdir_rel, folder)) == NULL) {
			errf(e, "nuget:");
			goto out;
		}
		/* Committed (or restored by an earlier build): the app's,
		 * used as it is, if it stays inside the app. */
		if (beneath_stat(o->build_dir, path, &st, e) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				r->failure = NUGET_FAIL_INPUT;
				errf(e, "%s: not a directory", path);
				goto out;
			}
			event(&rs, NUGET_COMMITTED, p, NULL);
			r->committed++;
			continue;
		}
		if (errno != ENOENT && errno != ENOTDIR) {
			r->failure = NUGET_FAIL_INPUT;
			goto out;
		}
		if (restore_one(&rs, p, folder, e) == -1)
			goto out;
	}
	rc = 0;
out:
	if (rc == -1 && r->failure == NUGET_FAIL_NONE)
		r->failure = NUGET_FAIL_IO;
	for (size_t i = 0; i < rs.nsrc; i++) {
		wipe_free(rs.src[i].url);
		free(rs.src[i].shown);
		wipe_free(rs.src[i].base);
	}
	free(rs.src);
	free(rs.pkgdir_rel);
	free(rs.pkgdir);
	free(rs.cache);
	nuget_pkglist_free(&pkgs);
	strlist_free(&done);
	free(sln_dir);
	free(folder);
	free(path);
	return rc;
}
