/* testwarn.h - collects what a parser reports through its warning callback
 * (procfile, manifest, envdir), so a test can count the warnings and look
 * for one. */
#ifndef SLUGC_TESTWARN_H
#define SLUGC_TESTWARN_H

#include <stdio.h>
#include <string.h>

/* The warnings so far, one a line; zero it (memset) before a run. */
struct warns {
	char buf[16384];
	int n;
};

/* The warning callback: arg is a struct warns.  A warning that no longer
 * fits is cut, but still counted. */
static inline void
collect(void *arg, const char *msg)
{
	struct warns *w = arg;
	size_t k = strlen(w->buf);

	snprintf(w->buf + k, sizeof w->buf - k, "%s\n", msg);
	w->n++;
}

#endif
