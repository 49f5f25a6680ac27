/* manifest.c - emit and parse a buildpack's release YAML with libyaml. */
#include "manifest.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yamldoc.h"

struct manifest *
manifest_new(void)
{
	struct manifest *m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	if ((m->types = procfile_new()) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
manifest_free(struct manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	procfile_free(m->types);
	for (i = 0; i < m->nvars; i++) {
		free(m->vars[i].name);
		free(m->vars[i].value);
	}
	free(m->vars);
	for (i = 0; i < m->naddons; i++)
		free(m->addons[i]);
	free(m->addons);
	free(m);
}

const char *
manifest_get_var(const struct manifest *m, const char *name)
{
	size_t i;

	for (i = 0; m != NULL && name != NULL && i < m->nvars; i++)
		if (strcmp(m->vars[i].name, name) == 0)
			return m->vars[i].value;
	return NULL;
}

int
manifest_set_var(struct manifest *m, const char *name, const char *value,
    struct errbuf *e)
{
	struct manifest_var *nv;
	char *v;
	size_t i, ncap;

	if (name == NULL || *name == '\0' || value == NULL)
		return errf(e, "config var: empty name or no value");
	if ((v = strdup(value)) == NULL)
		return errf(e, "config var: out of memory");
	for (i = 0; i < m->nvars; i++) {
		if (strcmp(m->vars[i].name, name) == 0) {
			free(m->vars[i].value);
			m->vars[i].value = v;
			return 0;
		}
	}
	if (m->nvars == m->capvars) {
		ncap = m->capvars ? m->capvars * 2 : 8;
		if ((nv = reallocarray(m->vars, ncap, sizeof *nv)) == NULL)
			goto nomem;
		m->vars = nv;
		m->capvars = ncap;
	}
	if ((m->vars[m->nvars].name = strdup(name)) == NULL)
		goto nomem;
	m->vars[m->nvars++].value = v;
	return 0;
nomem:
	free(v);
	return errf(e, "config var %s: out of memory", name);
}

int
manifest_add_addon(struct manifest *m, const char *addon, struct errbuf *e)
{
	char **na;
	size_t i, ncap;

	if (addon == NULL)
		return errf(e, "addons: no name");
	for (i = 0; i < m->naddons; i++)
		if (strcmp(m->addons[i], addon) == 0)
			return 0;
	if (m->naddons == m->capaddons) {
		ncap = m->capaddons ? m->capaddons * 2 : 4;
		if ((na = reallocarray(m->addons, ncap, sizeof *na)) == NULL)
			return errf(e, "addons: out of memory");
		m->addons = na;
		m->capaddons = ncap;
	}
	if ((m->addons[m->naddons] = strdup(addon)) == NULL)
		return errf(e, "addons: out of memory");
	m->naddons++;
	return 0;
}

int
manifest_merge(struct manifest *dst, const struct manifest *src,
    struct errbuf *e)
{
	size_t i;

	for (i = 0; i < src->nvars; i++)
		if (manifest_set_var(dst, src->vars[i].name, src->vars[i].value,
			e) == -1)
			return -1;
	for (i = 0; i < src->naddons; i++)
		if (manifest_add_addon(dst, src->addons[i], e) == -1)
			return -1;
	return procfile_merge(dst->types, src->types, e);
}

/*
 * Emitting.
 */

/* The same rules as libyaml's own check (no overlong forms, no surrogates,
 * nothing past U+10FFFF), so that we can name the bad entry instead of
 * getting libyaml's anonymous "invalid UTF-8". */
static bool
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t n, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 2;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 3;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 4;
			cp = *p & 0x07;
		} else
			return false;
		/* Stops at the terminating NUL, which is no continuation. */
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n;
	}
	return true;
}

static int
check_strings(const struct manifest *m, struct errbuf *e)
{
	const struct procfile_type *t;
	size_t i;

	for (i = 0; i < m->naddons; i++)
		if (!utf8_ok(m->addons[i]))
			return errf(e, "release: addon #%zu is not valid UTF-8",
			    i + 1);
	for (i = 0; i < m->nvars; i++) {
		if (!utf8_ok(m->vars[i].name))
			return errf(e,
			    "release: config var #%zu: name is not "
			    "valid UTF-8",
			    i + 1);
		if (!utf8_ok(m->vars[i].value))
			return errf(e,
			    "release: config var %s: value is not "
			    "valid UTF-8",
			    m->vars[i].name);
	}
	for (i = 0; i < m->types->ntypes; i++) {
		t = &m->types->types[i];
		if (!utf8_ok(t->name))
			return errf(e,
			    "release: process type #%zu: name is "
			    "not valid UTF-8",
			    i + 1);
		if (!utf8_ok(t->command))
			return errf(e,
			    "release: process type %s: command is "
			    "not valid UTF-8",
			    t->name);
	}
	return 0;
}

struct obuf {
	char *buf;
	size_t len;
	size_t cap;
};

/* libyaml's write handler: 1 on success, 0 on failure.  Keeps the buffer
 * NUL-terminated so that it can be handed out as a string. */
static int
obuf_write(void *data, unsigned char *bytes, size_t size)
{
	struct obuf *o = data;
	size_t ncap;
	char *nb;

	if (size >= SIZE_MAX / 2 - o->len)
		return 0;
	if (o->len + size + 1 > o->cap) {
		ncap = o->cap ? o->cap : 1024;
		while (ncap < o->len + size + 1)
			ncap *= 2;
		if ((nb = realloc(o->buf, ncap)) == NULL)
			return 0;
		o->buf = nb;
		o->cap = ncap;
	}
	memcpy(o->buf + o->len, bytes, size);
	o->len += size;
	o->buf[o->len] = '\0';
	return 1;
}

/* The emit helpers return libyaml's 1/0.  yaml_emitter_emit() owns the
 * event from the call on, whether it succeeds or not. */
static int
emit_scalar(yaml_emitter_t *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	size_t n = strlen(s);

	if (n > INT_MAX)
		return 0;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
		(yaml_char_t *)(uintptr_t)s, (int)n, 1, 1, style))
		return 0;
	return yaml_emitter_emit(em, &ev);
}

static int
emit_quoted(yaml_emitter_t *em, const char *s)
{
	return emit_scalar(em, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

/* An empty collection goes out in flow style ({} or []), as Heroku's own
 * output does; a non-empty one in block style. */
static int
emit_map_start(yaml_emitter_t *em, size_t n)
{
	yaml_event_t ev;

	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		n == 0 ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE))
		return 0;
	return yaml_emitter_emit(em, &ev);
}

static int
emit_map_end(yaml_emitter_t *em)
{
	yaml_event_t ev;

	if (!yaml_mapping_end_event_initialize(&ev))
		return 0;
	return yaml_emitter_emit(em, &ev);
}

static int
emit_body(yaml_emitter_t *em, const struct manifest *m)
{
	yaml_event_t ev;
	size_t i;

	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	/* Not implicit: Heroku's output starts with "---". */
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	if (!emit_map_start(em, 3))
		return 0;

	/* Our own keys are safe as plain scalars; everything that comes from
	 * the user is double-quoted, keys included: a process type named
	 * "on" or a config var named "NO" is a boolean to a YAML 1.1
	 * loader otherwise. */
	if (!emit_scalar(em, "addons", YAML_PLAIN_SCALAR_STYLE))
		return 0;
	if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		m->naddons == 0 ? YAML_FLOW_SEQUENCE_STYLE
				: YAML_BLOCK_SEQUENCE_STYLE) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	for (i = 0; i < m->naddons; i++)
		if (!emit_quoted(em, m->addons[i]))
			return 0;
	if (!yaml_sequence_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;

	if (!emit_scalar(em, "config_vars", YAML_PLAIN_SCALAR_STYLE) ||
	    !emit_map_start(em, m->nvars))
		return 0;
	for (i = 0; i < m->nvars; i++)
		if (!emit_quoted(em, m->vars[i].name) ||
		    !emit_quoted(em, m->vars[i].value))
			return 0;
	if (!emit_map_end(em))
		return 0;

	if (!emit_scalar(em, "default_process_types",
		YAML_PLAIN_SCALAR_STYLE) ||
	    !emit_map_start(em, m->types->ntypes))
		return 0;
	for (i = 0; i < m->types->ntypes; i++)
		if (!emit_quoted(em, m->types->types[i].name) ||
		    !emit_quoted(em, m->types->types[i].command))
			return 0;
	if (!emit_map_end(em) || !emit_map_end(em))
		return 0;

	if (!yaml_document_end_event_initialize(&ev, 1) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	if (!yaml_stream_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	return yaml_emitter_flush(em);
}

int
manifest_emit(const struct manifest *m, char **out, size_t *len,
    struct errbuf *e)
{
	yaml_emitter_t em;
	struct obuf o = {NULL, 0, 0};
	int rc = -1;

	*out = NULL;
	if (check_strings(m, e) == -1)
		return -1;
	if (!yaml_emitter_initialize(&em))
		return errf(e, "release: out of memory");
	yaml_emitter_set_output(&em, obuf_write, &o);
	yaml_emitter_set_unicode(&em, 1);
	/* No folding of long commands onto several lines. */
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_break(&em, YAML_LN_BREAK);
	if (!emit_body(&em, m)) {
		errf(e, "release: emitting YAML: %s",
		    em.problem != NULL ? em.problem : "out of memory");
		goto out;
	}
	*out = o.buf;
	o.buf = NULL;
	if (len != NULL)
		*len = o.len;
	rc = 0;
out:
	yaml_emitter_delete(&em);
	free(o.buf);
	return rc;
}

/*
 * Parsing.
 */

struct pctx {
	const char *name;
	yaml_document_t *doc;
	struct manifest *m;
	procfile_warn_fn *warn;
	void *arg;
	struct errbuf *e;
};

static void pwarn_at(struct pctx *c, const yaml_mark_t *at, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Warns about what starts at `at` ("NAME:LINE:COL: ..."). */
static void
pwarn_at(struct pctx *c, const yaml_mark_t *at, const char *fmt, ...)
{
	char line[ERRBUF_MAX];
	va_list ap;
	int k;

	if (c->warn == NULL)
		return;
	k = snprintf(line, sizeof line, "%s:%zu:%zu: ", c->name, at->line + 1,
	    at->column + 1);
	if (k < 0 || (size_t)k >= sizeof line)
		k = 0;
	va_start(ap, fmt);
	vsnprintf(line + k, sizeof line - (size_t)k, fmt, ap);
	va_end(ap);
	err_oneline(line, sizeof line);
	c->warn(c->arg, line);
}

static int perr(struct pctx *c, yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct pctx *c, yaml_node_t *n, const char *fmt, ...)
{
	char msg[ERRBUF_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return errf(c->e, "%s:%zu:%zu: %s", c->name, n->start_mark.line + 1,
	    n->start_mark.column + 1, msg);
}

static bool
is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->tag != NULL && strcmp((const char *)n->tag, YAML_NULL_TAG) == 0)
		return true;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return n->data.scalar.length == 0 || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0;
}

/* A scalar's text as a C string (owned by the document), or NULL if it is
 * not a scalar or holds a NUL byte (a "\0" escape), which no command, name
 * or value can carry. */
static const char *
scalar_text(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static const char *
kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int
parse_types(struct pctx *c, yaml_node_t *map)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k, *v;
	const char *name, *cmd;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(c->doc, pair->key);
		v = yaml_document_get_node(c->doc, pair->value);
		if ((name = scalar_text(k)) == NULL)
			return perr(c, k,
			    "default_process_types: a process "
			    "type name must be a string, not %s",
			    kind(k));
		if (!procfile_name_ok(name)) {
			char shown[104];

			err_printable_name(shown, sizeof shown, name);
			pwarn_at(c, &k->start_mark,
			    "process type '%s' "
			    "skipped: names are letters, digits, '_' and '-'",
			    shown);
			continue;
		}
		if (v->type != YAML_SCALAR_NODE)
			return perr(c, v,
			    "process type %s: the command must "
			    "be a string, not %s",
			    name, kind(v));
		if (is_null(v) || v->data.scalar.length == 0) {
			pwarn_at(c, &v->start_mark,
			    "process type %s has no "
			    "command, skipped",
			    name);
			continue;
		}
		if ((cmd = scalar_text(v)) == NULL) {
			pwarn_at(c, &v->start_mark,
			    "process type %s: command "
			    "holds a NUL byte, skipped",
			    name);
			continue;
		}
		if (procfile_set(c->m->types, name, cmd, c->e) == -1)
			return -1;
	}
	return 0;
}

static int
parse_vars(struct pctx *c, yaml_node_t *map)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k, *v;
	const char *name, *val;
	char shown[104]; /* the name, quoted for messages */

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(c->doc, pair->key);
		v = yaml_document_get_node(c->doc, pair->value);
		if ((name = scalar_text(k)) == NULL || *name == '\0')
			return perr(c, k,
			    "config_vars: a config var name "
			    "must be a non-empty string");
		err_printable_name(shown, sizeof shown, name);
		if (v->type != YAML_SCALAR_NODE)
			return perr(c, v,
			    "config var %s: the value must "
			    "be a string, not %s",
			    shown, kind(v));
		if (is_null(v)) {
			pwarn_at(c, &v->start_mark,
			    "config var %s is "
			    "null, skipped",
			    shown);
			continue;
		}
		if ((val = scalar_text(v)) == NULL) {
			pwarn_at(c, &v->start_mark,
			    "config var %s: value "
			    "holds a NUL byte, skipped",
			    shown);
			continue;
		}
		if (manifest_set_var(c->m, name, val, c->e) == -1)
			return -1;
	}
	return 0;
}

static int
parse_addons(struct pctx *c, yaml_node_t *seq)
{
	yaml_node_item_t *item;
	yaml_node_t *v;
	const char *s;

	for (item = seq->data.sequence.items.start;
	     item < seq->data.sequence.items.top; item++) {
		v = yaml_document_get_node(c->doc, *item);
		if (v->type != YAML_SCALAR_NODE)
			return perr(c, v,
			    "addons: an addon must be a string, "
			    "not %s",
			    kind(v));
		if (is_null(v) || (s = scalar_text(v)) == NULL || *s == '\0') {
			pwarn_at(c, &v->start_mark,
			    "addons: empty entry "
			    "skipped");
			continue;
		}
		if (manifest_add_addon(c->m, s, c->e) == -1)
			return -1;
	}
	return 0;
}

static int
parse_root(struct pctx *c, yaml_node_t *root)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k, *v;
	const char *key;
	int rc;

	if (is_null(root))
		return 0; /* a bare "---" */
	if (root->type != YAML_MAPPING_NODE)
		return perr(c, root,
		    "expected a mapping with addons, "
		    "config_vars and default_process_types, found %s",
		    kind(root));
	for (pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(c->doc, pair->key);
		v = yaml_document_get_node(c->doc, pair->value);
		if ((key = scalar_text(k)) == NULL)
			continue;
		if (strcmp(key, "default_process_types") == 0) {
			if (is_null(v))
				continue;
			if (v->type != YAML_MAPPING_NODE)
				return perr(c, v,
				    "default_process_types "
				    "must be a mapping, not %s",
				    kind(v));
			rc = parse_types(c, v);
		} else if (strcmp(key, "config_vars") == 0) {
			if (is_null(v))
				continue;
			if (v->type != YAML_MAPPING_NODE)
				return perr(c, v,
				    "config_vars must be a "
				    "mapping, not %s",
				    kind(v));
			rc = parse_vars(c, v);
		} else if (strcmp(key, "addons") == 0) {
			if (is_null(v))
				continue;
			if (v->type != YAML_SEQUENCE_NODE)
				return perr(c, v,
				    "addons must be a list, "
				    "not %s",
				    kind(v));
			rc = parse_addons(c, v);
		} else
			continue;
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
manifest_parse(const char *buf, size_t len, const char *name,
    struct manifest **out, procfile_warn_fn *warn, void *arg, struct errbuf *e)
{
	yaml_document_t doc;
	yaml_mark_t second;
	yaml_node_t *root;
	struct manifest *m = NULL;
	struct pctx c;
	int more, rc = -1;

	*out = NULL;
	if (name == NULL)
		name = "release output";
	/* The loader keeps aliases as references to one node rather than
	 * copies, and we walk a fixed depth, so "billion laughs" input
	 * costs nothing. */
	if ((more = yamldoc_parse(buf, len, name, &doc, &second, e)) == -1)
		return -1;
	if ((m = manifest_new()) == NULL) {
		errf(e, "%s: out of memory", name);
		goto out;
	}
	c = (struct pctx){name, &doc, m, warn, arg, e};
	if ((root = yaml_document_get_root_node(&doc)) != NULL &&
	    parse_root(&c, root) == -1)
		goto out;
	if (more == 1)
		pwarn_at(&c, &second, "only the first YAML document is used");
	*out = m;
	m = NULL;
	rc = 0;
out:
	manifest_free(m);
	yaml_document_delete(&doc);
	return rc;
}
