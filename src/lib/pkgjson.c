/* pkgjson.c - reading package.json with json-c; see pkgjson.h. */
#include "pkgjson.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "beneath.h"
#include "fsutil.h"

/* Deeper than any package.json, and json-c's default (32) is not. */
#define PKGJSON_DEPTH 256

void
pkgjson_position(const char *buf, size_t len, size_t off, unsigned long *line,
    unsigned long *col)
{
	size_t i;

	*line = *col = 1;
	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* Fills e with "NAME:LINE:COL: what[, at 'C']" for offset off of buf and
 * returns -1.  The character shown is the byte at off, as \xNN unless it
 * is printable ASCII. */
static int
bad_at(struct errbuf *e, const char *name, const char *buf, size_t len,
    size_t off, const char *what)
{
	unsigned long line, col;
	unsigned char c;
	char at[8];

	pkgjson_position(buf, len, off, &line, &col);
	if (off >= len)
		return errf(e, "%s:%lu:%lu: %s", name, line, col, what);
	c = (unsigned char)buf[off];
	if (c >= 0x20 && c < 0x7f && c != '\\')
		snprintf(at, sizeof at, "%c", c);
	else
		snprintf(at, sizeof at, "\\x%02x", c);
	return errf(e, "%s:%lu:%lu: %s, at '%s'", name, line, col, what, at);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The length of the JSON number at s (n bytes), or 0 if what is there is
 * not one: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? not followed by
 * a digit or a '.'. */
static size_t
number_len(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && is_digit(s[i]))
		while (i < n && is_digit(s[i]))
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && is_digit(s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && is_digit(s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i < n && (is_digit(s[i]) || s[i] == '.') ? 0 : i;
}

/* json-c accepts, even with JSON_TOKENER_STRICT, a few things JSON.parse
 * refuses.  Given text json-c parsed, finds the first of them: a raw
 * control character inside a string, a single-quoted string, NaN or
 * Infinity, numbers such as "1.", "-.5", "00" or "-01", whitespace JSON
 * does not have.  Only valid JSON plus those can be here, so a scan that
 * knows strings and numbers is enough.
 * Returns true with *off and *why set if it found one. */
static bool
find_extension(const char *buf, size_t len, size_t *off, const char **why)
{
	size_t i, n;
	bool in_string = false;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)buf[i];
		if (in_string) {
			if (c == '\\')
				i++; /* json-c checked the escape */
			else if (c == '"')
				in_string = false;
			else if (c < 0x20) {
				*why = "a control character inside a string "
				       "(write it as \\n, \\t or \\u00XX)";
				goto found;
			}
			continue;
		}
		switch (c) {
		case '"':
			in_string = true;
			break;
		case '\'':
			*why = "a single-quoted string; JSON has only \"";
			goto found;
		case 'N':
		case 'I':
			*why = "NaN or Infinity, which JSON does not have";
			goto found;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			if (c == '-' && i + 1 < len && buf[i + 1] == 'I')
				break; /* -Infinity: said at the 'I' */
			if ((n = number_len(buf + i, len - i)) == 0) {
				*why = "a number JSON does not allow";
				goto found;
			}
			i += n - 1;
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				*why = "a character JSON does not allow here";
				goto found;
			}
		}
	}
	return false;
found:
	*off = i;
	return true;
}

static bool
all_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static const char *
type_name(json_type t)
{
	switch (t) {
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	default:
		return "null";
	}
}

/* Sets *dst to a copy of obj's string member key (NULL when absent or
 * null).  what names it in messages ("engines.node"). */
static int
get_string(struct json_object *obj, const char *key, const char *what,
    char **dst, const char *name, struct errbuf *e)
{
	struct json_object *v;
	const char *s;

	*dst = NULL;
	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return errf(e, "%s: %s is %s, not a string", name, what,
		    type_name(json_object_get_type(v)));
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return errf(e, "%s: %s holds a NUL character", name, what);
	if ((*dst = strdup(s)) == NULL)
		return errf(e, "%s: out of memory:", name);
	return 0;
}

/* Sets *dst to obj's object member key, NULL when absent or null. */
static int
get_object(struct json_object *obj, const char *key, struct json_object **dst,
    const char *name, struct errbuf *e)
{
	struct json_object *v;

	*dst = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return errf(e, "%s: \"%s\" is %s, not an object", name, key,
		    type_name(json_object_get_type(v)));
	*dst = v;
	return 0;
}

void
pkgjson_free(struct pkgjson *p)
{
	if (p == NULL)
		return;
	free(p->engines_node);
	free(p->engines_npm);
	free(p->start);
	free(p->build);
	free(p->heroku_prebuild);
	free(p->heroku_postbuild);
	free(p->heroku_cleanup);
	free(p);
}

int
pkgjson_parse(const char *buf, size_t len, const char *name,
    struct pkgjson **out, struct errbuf *e)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *engines, *scripts, *deps;
	struct pkgjson *p = NULL;
	enum json_tokener_error jerr;
	const char *why;
	size_t skip = 0, off;
	int rc = -1;

	*out = NULL;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		skip = 3; /* a UTF-8 byte order mark */
	/* json-c takes an int length. */
	if (len - skip > (size_t)PKGJSON_MAX)
		return errf(e, "%s: larger than %d bytes", name, PKGJSON_MAX);
	if ((tok = json_tokener_new_ex(PKGJSON_DEPTH)) == NULL)
		return errf(e, "%s: out of memory:", name);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf + skip, (int)(len - skip));
	jerr = json_tokener_get_error(tok);
	if (root == NULL && jerr == json_tokener_continue) {
		/* The text ended inside a value: a NUL ends a number ("123")
		 * and anything else is cut short. */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (root == NULL && jerr != json_tokener_success) {
			bad_at(e, name, buf, len, len,
			    all_blank(buf + skip, len - skip)
				? "no JSON value (the file is empty)"
				: "unexpected end of file");
			goto out;
		}
	}
	if (root == NULL) {
		if (jerr == json_tokener_success) /* the text is null */
			errf(e, "%s: the JSON value is null, not an object",
			    name);
		else
			bad_at(e, name, buf, len,
			    skip + json_tokener_get_parse_end(tok),
			    json_tokener_error_desc(jerr));
		goto out;
	}
	if (find_extension(buf + skip, len - skip, &off, &why)) {
		bad_at(e, name, buf, len, skip + off, why);
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		errf(e, "%s: the JSON value is %s, not an object", name,
		    type_name(json_object_get_type(root)));
		goto out;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		errf(e, "%s: out of memory:", name);
		goto out;
	}
	if (get_object(root, "engines", &engines, name, e) == -1 ||
	    get_string(engines, "node", "engines.node", &p->engines_node, name,
		e) == -1 ||
	    get_string(engines, "npm", "engines.npm", &p->engines_npm, name,
		e) == -1 ||
	    get_object(root, "scripts", &scripts, name, e) == -1 ||
	    get_string(scripts, "start", "scripts.start", &p->start, name, e) ==
		-1 ||
	    get_string(scripts, "build", "scripts.build", &p->build, name, e) ==
		-1 ||
	    get_string(scripts, "heroku-prebuild", "scripts.heroku-prebuild",
		&p->heroku_prebuild, name, e) == -1 ||
	    get_string(scripts, "heroku-postbuild", "scripts.heroku-postbuild",
		&p->heroku_postbuild, name, e) == -1 ||
	    get_string(scripts, "heroku-cleanup", "scripts.heroku-cleanup",
		&p->heroku_cleanup, name, e) == -1)
		goto out;
	if (get_object(root, "dependencies", &deps, name, e) == -1)
		goto out;
	if (deps != NULL) {
		p->has_deps = true;
		p->ndeps = (size_t)json_object_object_length(deps);
	}
	if (get_object(root, "devDependencies", &deps, name, e) == -1)
		goto out;
	if (deps != NULL) {
		p->has_dev_deps = true;
		p->ndev_deps = (size_t)json_object_object_length(deps);
	}
	*out = p;
	p = NULL;
	rc = 0;
out:
	pkgjson_free(p);
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

int
pkgjson_read(const char *root, const char *rel, struct pkgjson **out,
    struct errbuf *e)
{
	char *buf;
	size_t len;
	int rc, saved;

	*out = NULL;
	if ((buf = beneath_read_file(root, rel, PKGJSON_MAX, &len, e)) == NULL)
		return -1;
	/* The file was read: what failed is its content, whatever errno a
	 * library call left behind (callers tell ENOENT, a missing file,
	 * from the rest). */
	rc = pkgjson_parse(buf, len, rel, out, e);
	saved = rc == -1 ? EINVAL : errno;
	free(buf);
	errno = saved;
	return rc;
}
