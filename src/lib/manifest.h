/* manifest.h - the YAML a buildpack's bin/release prints:
 *
 *	---
 *	addons: []
 *	config_vars: {}
 *	default_process_types:
 *	  "web": "mono Hello/bin/Release/Hello.exe"
 *
 * Emitted with libyaml's emitter, every string double-quoted so that any
 * YAML 1.1 loader (PyYAML, Ruby's Psych) reads back exactly the same bytes
 * whatever they are (yes, on, null, ~, *, #, ": ", quotes, tabs, non-ASCII).
 * Parsed with libyaml's loader, accepting what real buildpacks print. */
#ifndef SLUGC_MANIFEST_H
#define SLUGC_MANIFEST_H

#include <stddef.h>

#include "err.h"
#include "procfile.h"

/* Largest release output manifest_parse() accepts, for callers reading a
 * child's stdout. */
#define MANIFEST_MAX (4 * 1024 * 1024)

struct manifest_var {
	char *name;
	char *value;
};

/* Read the fields freely; change them through the functions below (types
 * through procfile_set()/procfile_merge()). */
struct manifest {
	struct procfile *types;	   /* default_process_types, never NULL */
	struct manifest_var *vars; /* config_vars, in order, unique */
	size_t nvars;
	size_t capvars;
	char **addons; /* in order, unique */
	size_t naddons;
	size_t capaddons;
};

/* Returns an empty manifest (its types list allocated and empty), or NULL
 * when out of memory.  manifest_free() it. */
struct manifest *manifest_new(void);

/* Frees m and everything in it.  NULL is fine. */
void manifest_free(struct manifest *m);

/* Sets config var name to value (both copied), replacing an existing value
 * in place or appending.  An empty name is refused.  Returns 0 or -1. */
int manifest_set_var(struct manifest *m, const char *name, const char *value,
    struct errbuf *e);

/* Returns the value of config var name, or NULL.  It belongs to m. */
const char *manifest_get_var(const struct manifest *m, const char *name);

/* Appends addon (copied) unless m already lists it.  Returns 0 or -1. */
int manifest_add_addon(struct manifest *m, const char *addon, struct errbuf *e);

/* Merges src into dst as a multi-buildpack release is merged: src's config
 * vars replace dst's of the same name (others appended in src's order),
 * src's addons are appended unless dst lists them, and src's process types
 * replace dst's type by type (procfile_merge).  Returns 0, or -1 with e
 * filled; dst may then hold part of src. */
int manifest_merge(struct manifest *dst, const struct manifest *src,
    struct errbuf *e);

/* Emits m as release YAML into a malloc'd, NUL-terminated buffer stored in
 * *out (the caller frees it), its length in *len (if not NULL).  Keys appear
 * as addons, config_vars, default_process_types; empty collections as [] and
 * {}; strings double-quoted, non-ASCII left readable (UTF-8), control
 * characters escaped, no line folding.  Every string must be valid UTF-8
 * (YAML cannot carry other bytes in a string): otherwise -1 with e naming
 * the offending entry (never its value). */
int manifest_emit(const struct manifest *m, char **out, size_t *len,
    struct errbuf *e);

/* Parses release YAML (len bytes of buf, need not be NUL-terminated), as
 * printed by any buildpack: block or flow style, any scalar style, anchors
 * and aliases, missing keys, an empty document (an empty manifest) and null
 * values (`default_process_types: ~`).  Unknown keys are ignored.  Scalars
 * are taken as written: `WEB_CONCURRENCY: 2` gives "2", `FLAG: yes` gives
 * "yes".  Entries that cannot be used (a process type name outside
 * [A-Za-z0-9_-]+, a null or empty command, a null config var) are skipped
 * with a warning through warn (may be NULL).  name prefixes messages
 * ("release output").  Syntax errors and wrongly shaped known keys fail
 * with "NAME:LINE:COLUMN: problem".  On success *out is a new manifest the
 * caller frees; on failure *out is NULL.  No I/O, no global state. */
int manifest_parse(const char *buf, size_t len, const char *name,
    struct manifest **out, procfile_warn_fn *warn, void *arg, struct errbuf *e);

#endif
