/* packwalk.h - the tar walk: what goes into a slug, and in which order.
 *
 * A walk lists the tree under a root depth first, leaves out what the
 * caller's skip predicate names (.slugignore) and what the slug policy
 * refuses (slugpolicy_check, the rule unpack applies, under each entry's
 * name in the slug), and sorts the rest by tar name in byte order, so a
 * slug's bytes do not depend on the order readdir gives. */
#ifndef SLUGC_PACKWALK_H
#define SLUGC_PACKWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "err.h"
#include "strlist.h"

/* rel is the path below the root, with a trailing '/' for a directory so
 * that sorting on it sorts the tar names ("a-b" < "a/" < "a/x"); "" is the
 * root.  target is a symlink's target, read once so that the one the
 * policy judged is the one packed. */
struct packwalk_ent {
	char *rel;
	char *target;
	struct stat st;
};

/* Whether rel (relative to the root, no trailing '/') is left out. */
typedef bool packwalk_skip_fn(void *arg, const char *rel, bool is_dir);

struct packwalk {
	/* In. */
	const char *root;
	const char *prefix;	/* tar names are PREFIX/rel; never NULL
				   nor "" */
	packwalk_skip_fn *skip; /* may be NULL */
	void *skip_arg;
	int (*cancel)(void); /* polled between entries; may be NULL */
	err_warn_fn *warn;   /* a line per entry the policy leaves out */
	void *warn_arg;
	/* Out. */
	struct packwalk_ent *v; /* sorted; v[0] is the root */
	size_t n, cap;
	uint64_t total; /* bytes of the regular files */
	size_t ignored; /* paths skip left out */
	size_t skipped; /* entries the policy left out */
	bool cancelled; /* the walk stopped because cancel() said so */
};

/* Walks w->root, a directory, into w->v.  The root's own entry (named
 * PREFIX/) must pass the policy: a prefix it refuses fails.  Returns 0, or
 * -1 with e filled (then w->cancelled tells an interrupted walk). */
int packwalk_run(struct packwalk *w, struct errbuf *e);

/* Frees the entries; w's inputs are left alone. */
void packwalk_free(struct packwalk *w);

/* The tar name of rel (packwalk_ent's form) into buf: PREFIX/rel, a
 * directory's with its trailing '/' when dir is true.  -1 when too long. */
int packwalk_tar_name(char *buf, size_t size, const char *prefix,
    const char *rel, bool dir);

/* Lists the names in dir (without "." and ".."), sorted in byte order,
 * into out.  Returns 0 or -1. */
int packwalk_list_dir(const char *dir, struct strlist *out, struct errbuf *e);

/* Joins "a/b" into buf ("" on either side: the other alone), failing on
 * truncation.  Returns 0 or -1. */
int packwalk_join(char *buf, size_t size, const char *a, const char *b,
    struct errbuf *e);

#endif
