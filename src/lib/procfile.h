/* procfile.h - Heroku Procfiles and ordered lists of process types.
 *
 * A Procfile holds one `name: command` per line; names match
 * [A-Za-z0-9_-]+ and the command is every byte after the colon and the
 * blanks that follow it.  The same list type carries a release's
 * default_process_types (see manifest.h), so "the Procfile wins over the
 * defaults type by type" is procfile_merge(). */
#ifndef SLUGC_PROCFILE_H
#define SLUGC_PROCFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Largest Procfile procfile_read() accepts. */
#define PROCFILE_MAX (1024 * 1024)

/* Receives one warning line, without a trailing newline ("Procfile:3: not
 * 'name: command'"); the caller decides where it goes (stderr, the build
 * log).  msg is only valid during the call. */
typedef err_warn_fn procfile_warn_fn;

struct procfile_type {
	char *name;    /* [A-Za-z0-9_-]+ */
	char *command; /* byte-exact, NUL-terminated */
};

/* An ordered list of process types with unique names.  Read the fields
 * freely; change them only through the functions below. */
struct procfile {
	struct procfile_type *types;
	size_t ntypes;
	size_t cap;
};

/* Returns an empty list, or NULL when out of memory.  procfile_free() it. */
struct procfile *procfile_new(void);

/* Frees the list and every string in it.  NULL is fine. */
void procfile_free(struct procfile *p);

/* Parses a Procfile held in buf (len bytes, need not be NUL-terminated).
 * name is the file's name used in warnings ("Procfile").  No I/O, no global
 * state: safe to fuzz.  Blank lines and lines whose first non-blank is '#'
 * are skipped; CRLF endings and a leading UTF-8 BOM are tolerated.  A line
 * that is not `name: command` is reported through warn (may be NULL) as
 * "NAME:LINE: ..." and skipped; a name given twice keeps its first position
 * and the last command, with a warning.  On success *out is a new list the
 * caller frees with procfile_free() and 0 is returned; -1 (out of memory
 * only) leaves *out NULL and fills e. */
int procfile_parse(const char *buf, size_t len, const char *name,
    struct procfile **out, procfile_warn_fn *warn, void *arg, struct errbuf *e);

/* Reads and parses the Procfile at path (at most PROCFILE_MAX bytes).  name
 * is used in the parser's warnings (NULL: path), so that a build log can say
 * "Procfile:3" for /tmp/build.x/Procfile.  A missing file is not an error:
 * *out is an empty list and *absent (if not NULL) is set to true; otherwise
 * *absent is false.  Returns 0, or -1 with e naming path (unreadable, too
 * big, not a regular file).  The caller frees *out. */
int procfile_read(const char *path, const char *name, struct procfile **out,
    bool *absent, procfile_warn_fn *warn, void *arg, struct errbuf *e);

/* As procfile_read for the app's own Procfile, rel (usually "Procfile")
 * beneath the app's root: read with beneath_read_file, so a symlink that
 * stays inside the app is followed and one leading out is refused (-1,
 * errno EXDEV, "Procfile: a symlink out of the app's directory,
 * refused").  rel names the file in warnings and errors.  Every reader of
 * an app's Procfile (release, slugc build and run) should use this. */
int procfile_load_beneath(const char *root, const char *rel,
    struct procfile **out, bool *absent, procfile_warn_fn *warn, void *arg,
    struct errbuf *e);

/* true if name is a valid process type name ([A-Za-z0-9_-]+). */
bool procfile_name_ok(const char *name);

/* Returns the command of type name, or NULL if p has no such type.  The
 * string belongs to p. */
const char *procfile_get(const struct procfile *p, const char *name);

/* Sets type name to command (both copied): replaces the command in place if
 * the type exists, else appends it.  An invalid name is refused.  Returns 0
 * or -1 with e filled. */
int procfile_set(struct procfile *p, const char *name, const char *command,
    struct errbuf *e);

/* Sets every type of src into dst, in src's order: src wins type by type,
 * types only dst has are kept.  For "the Procfile wins over
 * default_process_types": dst = a copy of the defaults, src = the Procfile.
 * Returns 0 or -1 (out of memory; dst may then hold part of src). */
int procfile_merge(struct procfile *dst, const struct procfile *src,
    struct errbuf *e);

/* Returns a deep copy of p (NULL p gives an empty list), or NULL with e
 * filled.  The caller frees it. */
struct procfile *procfile_dup(const struct procfile *p, struct errbuf *e);

/* Formats p as Procfile text ("name: command\n" per type, in order) into a
 * malloc'd NUL-terminated buffer the caller frees; *len (if not NULL) gets
 * its length.  A command that cannot be written on one line (it holds a
 * newline, a carriage return or is empty) is refused with e naming the
 * type.  Leading blanks of a command do not survive a re-parse (harmless
 * for `bash -c`); every other byte does. */
char *procfile_format(const struct procfile *p, size_t *len, struct errbuf *e);

/* The names of p's types that except (may be NULL) does not have, in
 * order, as "web, worker" into buf (size > 0; cut when it does not fit):
 * for a build log's "Procfile declares types -> web, worker". */
void procfile_names(const struct procfile *p, const struct procfile *except,
    char *buf, size_t size);

/* Completes the app's Procfile (rel beneath root, usually "Procfile") so
 * that the slug carries every process type and runs under foreman or any
 * Procfile runner: appends the types of all that declared (the app's own
 * Procfile, as read) does not have, creating the file when it is absent
 * and leaving the app's own lines byte-for-byte.  Nothing to add writes
 * nothing.  A type that cannot be written on a line (procfile_format) is
 * not an error: warn gets "Procfile not completed: ..." and the file is
 * left alone.  Written atomically (a temporary file renamed over it).
 * Returns 0 or -1 with e filled. */
int procfile_complete(const char *root, const char *rel,
    const struct procfile *declared, const struct procfile *all,
    procfile_warn_fn *warn, void *arg, struct errbuf *e);

#endif
