/* runtime/versions.c - read a buildpack's buildpack.yml with libyaml. */
#include "runtime/versions.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "fsutil.h"
#include "yamldoc.h"

struct ctx {
	const char *name;
	yaml_document_t *doc;
	struct errbuf *e;
};

static int lerr(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "NAME:LINE: message", the line of node n. */
static int
lerr(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[ERRBUF_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return errf(c->e, "%s:%zu: %s", c->name, n->start_mark.line + 1, msg);
}

/* A scalar's text (owned by the document), or NULL if n is not a scalar,
 * is empty, or holds a NUL byte. */
static const char *
text(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.length == 0 ||
	    memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static bool
version_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && strchr("._+-", *v) == NULL)
			return false;
	return true;
}

static bool
sha256_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return i == 64;
}

/* Looks key up in mapping map; NULL if absent.  *keynode gets the key. */
static yaml_node_t *
get(struct ctx *c, yaml_node_t *map, const char *key, yaml_node_t **keynode)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;
	const char *s;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(c->doc, pair->key);
		if ((s = text(k)) != NULL && strcmp(s, key) == 0) {
			if (keynode != NULL)
				*keynode = k;
			return yaml_document_get_node(c->doc, pair->value);
		}
	}
	return NULL;
}

static int
add_version(struct ctx *c, struct runtime_versions *cfg, yaml_node_t *k,
    yaml_node_t *v)
{
	struct runtime_version *bv;
	yaml_node_t *url, *sum;
	const char *ver, *s;
	size_t i;

	if ((ver = text(k)) == NULL)
		return lerr(c, k, "a version must be a non-empty string");
	if (!version_ok(ver)) {
		char shown[104];

		err_printable_name(shown, sizeof shown, ver);
		return lerr(c, k,
		    "version '%s' may only hold letters, "
		    "digits, '.', '_', '+' and '-'",
		    shown);
	}
	for (i = 0; i < cfg->nversions; i++)
		if (strcmp(cfg->versions[i].version, ver) == 0)
			return lerr(c, k,
			    "version %s is declared twice "
			    "(first at line %zu)",
			    ver, cfg->versions[i].line);
	if (v->type != YAML_MAPPING_NODE)
		return lerr(c, k,
		    "version %s must be a mapping with url and "
		    "sha256",
		    ver);
	url = get(c, v, "url", NULL);
	sum = get(c, v, "sha256", NULL);
	if (text(url) == NULL)
		return lerr(c, url ? url : k, "version %s has no url", ver);
	if (sum == NULL || sum->type != YAML_SCALAR_NODE ||
	    sum->data.scalar.length == 0)
		return lerr(c, sum ? sum : k, "version %s has no sha256", ver);
	if ((s = text(sum)) == NULL || !sha256_ok(s))
		return lerr(c, sum,
		    "version %s: sha256 must be 64 hex "
		    "digits",
		    ver);

	bv = &cfg->versions[cfg->nversions];
	bv->line = k->start_mark.line + 1;
	bv->version = strdup(ver);
	bv->url = strdup(text(url));
	bv->sha256 = strdup(s);
	cfg->nversions++; /* so that runtime_versions_free() sees it */
	if (bv->version == NULL || bv->url == NULL || bv->sha256 == NULL)
		return errf(c->e, "%s: out of memory", c->name);
	for (i = 0; i < 64; i++)
		bv->sha256[i] = (char)tolower((unsigned char)bv->sha256[i]);
	return 0;
}

static int
parse_root(struct ctx *c, struct runtime_versions *cfg, yaml_node_t *root)
{
	yaml_node_t *dv, *vers, *dvk = NULL, *vk = NULL;
	yaml_node_pair_t *pair;
	char known[ERRBUF_MAX / 2];
	size_t n;

	if (root == NULL)
		return errf(c->e,
		    "%s: empty, expected default_version and "
		    "versions",
		    c->name);
	if (root->type != YAML_MAPPING_NODE)
		return lerr(c, root,
		    "expected a mapping with default_version "
		    "and versions");
	dv = get(c, root, "default_version", &dvk);
	vers = get(c, root, "versions", &vk);
	if (vers == NULL)
		return errf(c->e, "%s: no versions", c->name);
	if (vers->type != YAML_MAPPING_NODE)
		return lerr(c, vk,
		    "versions must be a mapping of version to "
		    "url and sha256");
	n = (size_t)(vers->data.mapping.pairs.top -
	    vers->data.mapping.pairs.start);
	if (n == 0)
		return lerr(c, vk, "no versions listed");
	if ((cfg->versions = calloc(n, sizeof *cfg->versions)) == NULL)
		return errf(c->e, "%s: out of memory", c->name);
	for (pair = vers->data.mapping.pairs.start;
	     pair < vers->data.mapping.pairs.top; pair++)
		if (add_version(c, cfg,
			yaml_document_get_node(c->doc, pair->key),
			yaml_document_get_node(c->doc, pair->value)) == -1)
			return -1;

	if (dv == NULL)
		return errf(c->e, "%s: no default_version", c->name);
	if (text(dv) == NULL)
		return lerr(c, dvk,
		    "default_version must be a non-empty "
		    "string");
	if ((cfg->default_version = strdup(text(dv))) == NULL)
		return errf(c->e, "%s: out of memory", c->name);
	if (runtime_versions_lookup(cfg, NULL, cfg->default_version, NULL) ==
	    NULL) {
		char shown[104];

		err_printable_name(shown, sizeof shown, cfg->default_version);
		runtime_versions_known(cfg, known, sizeof known);
		return lerr(c, dv,
		    "default_version %s is not among the "
		    "versions (known: %s)",
		    shown, known);
	}
	return 0;
}

int
runtime_versions_parse(const char *buf, size_t len, const char *name,
    struct runtime_versions **out, struct errbuf *e)
{
	yaml_document_t doc;
	yaml_mark_t second;
	struct runtime_versions *cfg = NULL;
	struct ctx c;
	int rc;

	*out = NULL;
	if (name == NULL)
		name = "buildpack.yml";
	if ((rc = yamldoc_parse(buf, len, name, &doc, &second, e)) == -1)
		return -1;
	if (rc == 1) {
		/* Ours to write: a second document is a mistake. */
		rc = errf(e,
		    "%s:%zu:%zu: a second YAML document (the file "
		    "holds one)",
		    name, second.line + 1, second.column + 1);
		goto out;
	}
	rc = -1;
	if ((cfg = calloc(1, sizeof *cfg)) == NULL ||
	    (cfg->name = strdup(name)) == NULL) {
		errf(e, "%s: out of memory", name);
		goto out;
	}
	c = (struct ctx){name, &doc, e};
	if (parse_root(&c, cfg, yaml_document_get_root_node(&doc)) == -1)
		goto out;
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	runtime_versions_free(cfg);
	yaml_document_delete(&doc);
	return rc;
}

int
runtime_versions_read(const char *path, struct runtime_versions **out,
    struct errbuf *e)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if ((buf = fs_read_file(path, RUNTIME_VERSIONS_MAX, &len, e)) == NULL)
		return -1;
	rc = runtime_versions_parse(buf, len, path, out, e);
	free(buf);
	return rc;
}

void
runtime_versions_known(const struct runtime_versions *cfg, char *buf,
    size_t size)
{
	size_t i, k = 0, room = size - 8;
	int n;

	buf[0] = '\0';
	for (i = 0; i < cfg->nversions; i++) {
		n = snprintf(buf + k, room - k, "%s%s", i > 0 ? ", " : "",
		    cfg->versions[i].version);
		if (n < 0 || (size_t)n >= room - k) {
			snprintf(buf + k, size - k, ", ...");
			break;
		}
		k += (size_t)n;
	}
}

const struct runtime_version *
runtime_versions_lookup(const struct runtime_versions *cfg, const char *runtime,
    const char *version, struct errbuf *e)
{
	char known[ERRBUF_MAX / 2], shown[104];
	size_t i;

	if (version == NULL)
		version = cfg->default_version;
	for (i = 0; i < cfg->nversions; i++)
		if (strcmp(cfg->versions[i].version, version) == 0)
			return &cfg->versions[i];
	runtime_versions_known(cfg, known, sizeof known);
	err_printable_name(shown, sizeof shown, version);
	errf(e, "%s: no %s%sversion %s (known: %s)", cfg->name,
	    runtime != NULL ? runtime : "", runtime != NULL ? " " : "", shown,
	    known);
	return NULL;
}

const char *
runtime_versions_default(const struct runtime_versions *cfg)
{
	return cfg->default_version;
}

void
runtime_versions_free(struct runtime_versions *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nversions; i++) {
		free(cfg->versions[i].version);
		free(cfg->versions[i].url);
		free(cfg->versions[i].sha256);
	}
	free(cfg->versions);
	free(cfg->default_version);
	free(cfg->name);
	free(cfg);
}

char *
runtime_buildpack_dir(struct errbuf *e)
{
	char exe[PATH_MAX], *slash, *dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n == -1) {
		errf(e, "locate the buildpack: /proc/self/exe:");
		return NULL;
	}
	exe[n] = '\0';
	/* exe is BUILDPACK/bin/NAME: strip two components. */
	for (int i = 0; i < 2; i++) {
		if ((slash = strrchr(exe, '/')) == NULL) {
			errf(e, "locate the buildpack from %s", exe);
			return NULL;
		}
		*slash = '\0';
	}
	if ((dir = strdup(exe[0] ? exe : "/")) == NULL)
		errf(e, "locate the buildpack:");
	return dir;
}
