/* dotenv.c - foreman's .env files: KEY=VALUE per line; a value in single
 * quotes is taken literally, one in double quotes gets "\n" turned into a
 * newline and other backslash escapes removed; anything else is taken as
 * it stands (no trimming).  Lines that do not have that shape are skipped,
 * as foreman does, with a warning unless blank or a '#' comment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "slugc.h"

#define DOTENV_MAX (1024 * 1024)

static bool
key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Unescapes a double-quoted value in place. */
static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else if (s[0] == '\\' && s[1] != '\0') {
			*w++ = *++s;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

static int
add_line(const char *path, size_t lineno, char *line, struct envdir *vars,
    struct errbuf *e)
{
	char *eq, *val;
	size_t n, vlen;

	for (n = 0; key_char(line[n]); n++)
		;
	if (n == 0 || line[n] != '=') {
		const char *s = line + strspn(line, " \t");

		if (*s != '\0' && *s != '#')
			fprintf(stderr,
			    PROGNAME ": warning: %s:%zu: not "
				     "KEY=VALUE, ignored\n",
			    path, lineno);
		return 0;
	}
	eq = line + n;
	*eq = '\0';
	val = eq + 1;
	vlen = strlen(val);
	if (vlen >= 2 && val[0] == '\'' && val[vlen - 1] == '\'') {
		val[vlen - 1] = '\0';
		val++;
	} else if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
		val[vlen - 1] = '\0';
		val++;
		unescape(val);
	}
	if (!envdir_name_ok(line)) {
		fprintf(stderr,
		    PROGNAME ": warning: %s:%zu: %s is not a "
			     "variable name, ignored\n",
		    path, lineno, line);
		return 0;
	}
	if (envdir_set(vars, line, val, e) == -1)
		return errprefix(e, "%s:%zu", path, lineno);
	return 0;
}

int
dotenv_load(const char *path, struct envdir *vars, struct errbuf *e)
{
	char *text, *line, *nl;
	size_t len, lineno = 0;
	int rc = 0;

	if ((text = fs_read_file(path, DOTENV_MAX, &len, e)) == NULL)
		return -1;
	if (memchr(text, '\0', len) != NULL) {
		free(text);
		return errf(e, "%s: holds a NUL byte", path);
	}
	for (line = text; rc == 0 && line < text + len; line = nl + 1) {
		lineno++;
		if ((nl = strchr(line, '\n')) == NULL)
			nl = text + len;
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		rc = add_line(path, lineno, line, vars, e);
	}
	free(text);
	return rc;
}
