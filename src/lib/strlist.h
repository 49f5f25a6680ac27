/* strlist.h - a growable array of malloc'd strings: names listed from a
 * directory, executables a build made. */
#ifndef SLUGC_STRLIST_H
#define SLUGC_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v;
	size_t n, cap;
};

#define STRLIST_INIT                                                           \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

/* Appends a copy of s.  Returns -1 when out of memory. */
int strlist_push(struct strlist *l, const char *s);

/* Appends s itself, which the list then owns (and frees).  Returns -1 when
 * out of memory; s is then still the caller's. */
int strlist_push_owned(struct strlist *l, char *s);

/* Sorts in byte order (strcmp), as `ls` does in the C locale. */
void strlist_sort(struct strlist *l);

/* Frees the strings and the array; the struct may be reused after.  NULL
 * is fine. */
void strlist_free(struct strlist *l);

#endif
