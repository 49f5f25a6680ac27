/* formation.h - how many processes of each type an app runs
 * (`slugc ps:scale web=2 worker=1`), kept in the app's formation.yml as
 * "type: count" lines.  A type not listed runs web's default, 1, or
 * else 0, as on Heroku where a new app runs one web dyno. */
#ifndef SLUGC_FORMATION_H
#define SLUGC_FORMATION_H

#include <stddef.h>

#include "err.h"

#define FORMATION_FILE "formation.yml"
#define FORMATION_MAX 100 /* processes of one type */
#define FORMATION_TYPE_MAX 63

struct formation_entry {
	char type[FORMATION_TYPE_MAX + 1];
	unsigned count;
};

struct formation {
	struct formation_entry *v;
	size_t n;
};

/* Reads path into f (empty when it does not exist).  Returns 0 or -1
 * with e filled, naming the file and line.  formation_free it. */
int formation_read(const char *path, struct formation *f, struct errbuf *e);

/* Writes f to path atomically (0600).  Returns 0 or -1 with e filled. */
int formation_write(const char *path, const struct formation *f,
    struct errbuf *e);

/* The count for type: its entry's, or the default (web 1, others 0). */
unsigned formation_get(const struct formation *f, const char *type);

/* Sets type's count (a new entry at the end).  Returns 0 or -1. */
int formation_set(struct formation *f, const char *type, unsigned count,
    struct errbuf *e);

/* Parses "web=2 worker=1" (spaces between, one or more) into f, whose
 * entries it sets.  Types as Procfile names; counts 0..FORMATION_MAX.
 * Returns 0 or -1 with e naming the bad word. */
int formation_parse(const char *spec, struct formation *f, struct errbuf *e);

/* "web=2 worker=1" (the entries in order) into buf; "" when none. */
void formation_format(const struct formation *f, char *buf, size_t n);

void formation_free(struct formation *f);

#endif
