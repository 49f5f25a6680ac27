/* monoapp/solution.h - finding an app's Visual Studio solutions and the
 * executables a build produced. */
#ifndef SLUGC_MONOAPP_SOLUTION_H
#define SLUGC_MONOAPP_SOLUTION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"
#include "strlist.h"

/* true when dir holds at least one regular file (or a symlink to one) named
 * "*.sln" directly at its root.  Stops at the first match: detect must stay
 * fast on apps with many files. */
int solution_any(const char *dir, bool *found, struct errbuf *e);

/* Fills out with the names of every "*.sln" regular file at dir's root,
 * sorted in byte order. */
int solution_list(const char *dir, struct strlist *out, struct errbuf *e);

/* The next two are in solution_check.c: they open the app's files with
 * beneath.h (openat2), and detect, linked statically with only solution.c
 * of this module, does not need them. */

/* Checks that name (a SOLUTION config var) is a relative path inside dir,
 * without ".." components, naming an existing regular file ending in
 * ".sln" or in ".csproj", ".fsproj" or ".vbproj" (xbuild builds a project
 * alone), with every symlink on the way (directories included) resolved
 * beneath dir: xbuild reads the solution and writes next to its projects,
 * so a `src -> /elsewhere` must not take it out of the app.  A link out is
 * -1 with errno EXDEV. */
int solution_check_name(const char *dir, const char *name, struct errbuf *e);

/* Checks that the solution name found at dir's root (solution_list) is a
 * regular file beneath dir: `A.sln -> /etc/passwd` is refused (-1, errno
 * EXDEV, "A.sln: a symlink out of the app's directory, refused"). */
int solution_check_file(const char *dir, const char *name, struct errbuf *e);

/* Fills out with the paths, relative to dir and sorted, of "*.exe" files
 * under dir modified at or after since, skipping the top-level "vendor"
 * directory, dot-directories and "obj" directories (intermediate copies). */
int solution_find_executables(const char *dir, time_t since,
    struct strlist *out, struct errbuf *e);

#endif
