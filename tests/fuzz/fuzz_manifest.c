/* fuzz_manifest.c - manifest_parse on arbitrary bytes.
 *
 * Invariants: a failure leaves *out NULL and a one-line message; warnings
 * are one line each; a parsed manifest holds only valid process type names,
 * non-empty commands, non-empty unique config var names and non-empty
 * unique addons; manifest_emit refuses only strings that are not valid
 * UTF-8, and otherwise its output starts with "---" and parses again,
 * without a warning, into the same types, config vars and addons in the
 * same order. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "manifest.h"

#define MF "fuzz_manifest"

struct mf_warnings {
	size_t	n;
	bool	multiline;
	char	bad[ERRBUF_MAX];	/* the first multi-line warning */
};

static void
mf_warn(void *arg, const char *msg)
{
	struct mf_warnings *w = arg;

	w->n++;
	if (fuzz_multiline(msg) && !w->multiline) {
		w->multiline = true;
		snprintf(w->bad, sizeof w->bad, "%s", msg);
	}
}

/* UTF-8 as YAML allows it: no overlong forms, no surrogates, nothing past
 * U+10FFFF.  Written here independently of manifest.c's own check. */
static bool
mf_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp, min;
	int n, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1;
			cp = *p & 0x1f;
			min = 0x80;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
			min = 0x800;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3;
			cp = *p & 0x07;
			min = 0x10000;
		} else
			return false;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

static bool
mf_all_utf8(const struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->naddons; i++)
		if (!mf_utf8(m->addons[i]))
			return false;
	for (i = 0; i < m->nvars; i++)
		if (!mf_utf8(m->vars[i].name) || !mf_utf8(m->vars[i].value))
			return false;
	for (i = 0; i < m->types->ntypes; i++)
		if (!mf_utf8(m->types->types[i].name) ||
		    !mf_utf8(m->types->types[i].command))
			return false;
	return true;
}

static int
mf_check(const struct manifest *m)
{
	size_t i, j;

	if (m->types == NULL)
		return fuzz_fail(MF, "types list is NULL");
	for (i = 0; i < m->types->ntypes; i++) {
		if (!procfile_name_ok(m->types->types[i].name))
			return fuzz_fail(MF, "process type #%zu has an "
			    "invalid name", i + 1);
		if (m->types->types[i].command[0] == '\0')
			return fuzz_fail(MF, "process type %s: empty command",
			    m->types->types[i].name);
		for (j = 0; j < i; j++)
			if (strcmp(m->types->types[j].name,
			    m->types->types[i].name) == 0)
				return fuzz_fail(MF, "process type %s twice",
				    m->types->types[i].name);
	}
	for (i = 0; i < m->nvars; i++) {
		if (m->vars[i].name[0] == '\0' || m->vars[i].value == NULL)
			return fuzz_fail(MF, "config var #%zu: empty name or "
			    "no value", i + 1);
		if (manifest_get_var(m, m->vars[i].name) != m->vars[i].value)
			return fuzz_fail(MF, "config var #%zu listed twice",
			    i + 1);
	}
	for (i = 0; i < m->naddons; i++) {
		if (m->addons[i][0] == '\0')
			return fuzz_fail(MF, "addon #%zu is empty", i + 1);
		for (j = 0; j < i; j++)
			if (strcmp(m->addons[j], m->addons[i]) == 0)
				return fuzz_fail(MF, "addon #%zu twice", i + 1);
	}
	return 0;
}

static int
mf_same(const struct manifest *a, const struct manifest *b)
{
	size_t i;

	if (a->types->ntypes != b->types->ntypes || a->nvars != b->nvars ||
	    a->naddons != b->naddons)
		return fuzz_fail(MF, "round trip: %zu/%zu/%zu types/vars/"
		    "addons, then %zu/%zu/%zu", a->types->ntypes, a->nvars,
		    a->naddons, b->types->ntypes, b->nvars, b->naddons);
	for (i = 0; i < a->types->ntypes; i++)
		if (strcmp(a->types->types[i].name,
		    b->types->types[i].name) != 0 ||
		    strcmp(a->types->types[i].command,
		    b->types->types[i].command) != 0)
			return fuzz_fail(MF, "round trip: process type #%zu "
			    "differs", i + 1);
	for (i = 0; i < a->nvars; i++)
		if (strcmp(a->vars[i].name, b->vars[i].name) != 0 ||
		    strcmp(a->vars[i].value, b->vars[i].value) != 0)
			return fuzz_fail(MF, "round trip: config var #%zu "
			    "differs", i + 1);
	for (i = 0; i < a->naddons; i++)
		if (strcmp(a->addons[i], b->addons[i]) != 0)
			return fuzz_fail(MF, "round trip: addon #%zu differs",
			    i + 1);
	return 0;
}

int
fuzz_manifest_one(const uint8_t *data, size_t size)
{
	struct mf_warnings w = { 0, false, "" };
	struct manifest *m = NULL, *m2 = NULL;
	struct errbuf e;
	char *yaml = NULL;
	size_t len;
	int rc = -1;

	e.msg[0] = '\0';
	if (manifest_parse((const char *)data, size, "release", &m, mf_warn,
	    &w, &e) == -1) {
		if (m != NULL)
			fuzz_fail(MF, "failed but *out is set");
		else if (strncmp(e.msg, "release", 7) != 0 ||
		    fuzz_multiline(e.msg))
			fuzz_fail(MF, "error message is not one 'release' "
			    "line: %s", e.msg);
		else
			rc = 0;
		goto out;
	}
	if (m == NULL) {
		fuzz_fail(MF, "succeeded with *out NULL");
		goto out;
	}
	if (w.multiline) {
		fuzz_fail(MF, "a warning spans lines: %s", w.bad);
		goto out;
	}
	if (mf_check(m) == -1)
		goto out;

	if (manifest_emit(m, &yaml, &len, &e) == -1) {
		if (mf_all_utf8(m))
			fuzz_fail(MF, "manifest_emit refused valid UTF-8: %s",
			    e.msg);
		else if (yaml != NULL)
			fuzz_fail(MF, "manifest_emit failed but set *out");
		else
			rc = 0;
		goto out;
	}
	if (!mf_all_utf8(m)) {
		fuzz_fail(MF, "manifest_emit took invalid UTF-8");
		goto out;
	}
	if (len < 3 || memcmp(yaml, "---", 3) != 0 || strlen(yaml) != len) {
		fuzz_fail(MF, "emitted text does not start with '---' or has "
		    "the wrong length");
		goto out;
	}
	w.n = 0;
	if (manifest_parse(yaml, len, "release", &m2, mf_warn, &w, &e) == -1) {
		fuzz_fail(MF, "emitted YAML does not parse: %s\n%s", e.msg,
		    yaml);
		goto out;
	}
	if (w.n != 0) {
		fuzz_fail(MF, "emitted YAML parses with a warning");
		goto out;
	}
	if (mf_same(m, m2) == -1)
		goto out;
	rc = 0;
out:
	free(yaml);
	manifest_free(m);
	manifest_free(m2);
	return rc;
}

#ifndef FUZZ_NO_MAIN
FUZZ_MAIN(fuzz_manifest_one)
#endif
