/* fuzz_procfile.c - procfile_parse on arbitrary bytes.
 *
 * Invariants: parsing never fails (only out of memory may); every type has
 * a valid, unique name and a non-empty one-line command that does not start
 * with a blank; warnings are single lines naming the file; procfile_format
 * refuses exactly the lists holding a carriage return in a command, and
 * otherwise formatting then parsing again gives the same names, commands
 * and order; procfile_dup gives the same list. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "procfile.h"

#define PF "fuzz_procfile"

struct pf_warnings {
	size_t	n;
	bool	bad;	/* a warning that is not one "Procfile:" line */
};

static void
pf_warn(void *arg, const char *msg)
{
	struct pf_warnings *w = arg;

	w->n++;
	if (strncmp(msg, "Procfile:", 9) != 0 || fuzz_multiline(msg))
		w->bad = true;
}

/* 0 if a and b hold the same types in the same order. */
static int
pf_same(const char *what, const struct procfile *a, const struct procfile *b)
{
	size_t i;

	if (a->ntypes != b->ntypes)
		return fuzz_fail(PF, "%s: %zu types, then %zu", what,
		    a->ntypes, b->ntypes);
	for (i = 0; i < a->ntypes; i++) {
		if (strcmp(a->types[i].name, b->types[i].name) != 0)
			return fuzz_fail(PF, "%s: type #%zu named '%s', then "
			    "'%s'", what, i + 1, a->types[i].name,
			    b->types[i].name);
		if (strcmp(a->types[i].command, b->types[i].command) != 0)
			return fuzz_fail(PF, "%s: type %s: command '%s', then "
			    "'%s'", what, a->types[i].name,
			    a->types[i].command, b->types[i].command);
	}
	return 0;
}

static int
pf_check_list(const struct procfile *p, size_t lines)
{
	const struct procfile_type *t;
	size_t i, j;

	if (p->ntypes > lines)
		return fuzz_fail(PF, "%zu types from %zu lines", p->ntypes,
		    lines);
	for (i = 0; i < p->ntypes; i++) {
		t = &p->types[i];
		if (t->name == NULL || !procfile_name_ok(t->name))
			return fuzz_fail(PF, "type #%zu has an invalid name",
			    i + 1);
		if (t->command == NULL || t->command[0] == '\0')
			return fuzz_fail(PF, "type %s has no command", t->name);
		if (strchr(t->command, '\n') != NULL)
			return fuzz_fail(PF, "type %s: newline in the command",
			    t->name);
		if (t->command[0] == ' ' || t->command[0] == '\t')
			return fuzz_fail(PF, "type %s: command starts with a "
			    "blank", t->name);
		if (procfile_get(p, t->name) != t->command)
			return fuzz_fail(PF, "procfile_get(%s) is not its "
			    "command", t->name);
		for (j = 0; j < i; j++)
			if (strcmp(p->types[j].name, t->name) == 0)
				return fuzz_fail(PF, "type %s listed twice",
				    t->name);
	}
	return 0;
}

static bool
pf_has_cr(const struct procfile *p)
{
	size_t i;

	for (i = 0; i < p->ntypes; i++)
		if (strchr(p->types[i].command, '\r') != NULL)
			return true;
	return false;
}

int
fuzz_procfile_one(const uint8_t *data, size_t size)
{
	struct pf_warnings w = { 0, false };
	struct procfile *p = NULL, *q = NULL, *d = NULL;
	struct errbuf e;
	char *text = NULL;
	size_t len, lines = 1, i;
	int rc = -1;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (procfile_parse((const char *)data, size, "Procfile", &p, pf_warn,
	    &w, &e) == -1 || p == NULL) {
		fuzz_fail(PF, "procfile_parse failed: %s", e.msg);
		goto out;
	}
	if (w.bad) {
		fuzz_fail(PF, "a warning is not one 'Procfile:' line");
		goto out;
	}
	if (pf_check_list(p, lines) == -1)
		goto out;

	if ((d = procfile_dup(p, &e)) == NULL) {
		fuzz_fail(PF, "procfile_dup failed: %s", e.msg);
		goto out;
	}
	if (pf_same("dup", p, d) == -1)
		goto out;

	text = procfile_format(p, &len, &e);
	if (text == NULL) {
		if (!pf_has_cr(p))
			fuzz_fail(PF, "procfile_format refused: %s", e.msg);
		else
			rc = 0;
		goto out;
	}
	if (pf_has_cr(p)) {
		fuzz_fail(PF, "procfile_format took a carriage return");
		goto out;
	}
	if (strlen(text) != len) {
		fuzz_fail(PF, "procfile_format: length %zu for %zu bytes", len,
		    strlen(text));
		goto out;
	}
	w.n = 0;
	if (procfile_parse(text, len, "Procfile", &q, pf_warn, &w, &e) == -1) {
		fuzz_fail(PF, "re-parse failed: %s", e.msg);
		goto out;
	}
	if (w.n != 0) {
		fuzz_fail(PF, "re-parse of formatted text warned");
		goto out;
	}
	if (pf_same("format+parse", p, q) == -1)
		goto out;
	rc = 0;
out:
	free(text);
	procfile_free(p);
	procfile_free(q);
	procfile_free(d);
	return rc;
}

#ifndef FUZZ_NO_MAIN
FUZZ_MAIN(fuzz_procfile_one)
#endif
