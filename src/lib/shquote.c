#include "shquote.h"

#include <stdlib.h>
#include <string.h>

static int
plain(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ"
			    "0123456789_./:@%+=,-",
			*s))
			return 0;
	}
	return 1;
}

char *
shquote(const char *s)
{
	size_t n = 3;
	char *out, *p;

	if (plain(s))
		return strdup(s);
	for (const char *q = s; *q; q++)
		n += *q == '\'' ? 4 : 1;
	if ((out = malloc(n)) == NULL)
		return NULL;
	p = out;
	*p++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *s;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return out;
}
