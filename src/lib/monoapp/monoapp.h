/* monoapp/monoapp.h - what the Mono buildpack's compile leaves for its release.
 *
 * release only gets BUILD_DIR, yet the default web process depends on what
 * compile's build produced, so compile records the executables it built in
 * BUILD_DIR/.mono/executables (one path relative to BUILD_DIR per line) and
 * release reads them back. */
#ifndef SLUGC_MONOAPP_MONOAPP_H
#define SLUGC_MONOAPP_MONOAPP_H

#include "err.h"
#include "monoapp/solution.h"

#define MONOAPP_EXECUTABLES ".mono/executables"

/* Writes the list (atomically) into build_dir. */
int monoapp_write_executables(const char *build_dir, const struct strlist *l,
    struct errbuf *e);

/* Reads the list back; a missing file gives an empty list.  Read beneath
 * build_dir (beneath.h): a symlink out of it is refused (-1, EXDEV). */
int monoapp_read_executables(const char *build_dir, struct strlist *out,
    struct errbuf *e);

/* The default web command for executable path exe: "mono PATH" with PATH
 * quoted for the shell.  malloc'd; NULL when out of memory. */
char *monoapp_web_command(const char *exe);

#endif
