/* testtmp.h - a test's scratch directory: made by tmp_init() under $TMPDIR
 * (or /tmp) and removed by tmp_done(); tpath() names a file in it, put()
 * and put_link() make fixtures there and run() runs a command there.
 * Paths given to these are relative to the scratch directory.  A fixture
 * that cannot be made aborts the test: what it would check means nothing.
 * Static inline, so a test that uses only some of them compiles without
 * unused-function warnings. */
#ifndef SLUGC_TESTTMP_H
#define SLUGC_TESTTMP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "spawn.h"
#include "testfs.h"

static char *tmpdir; /* the scratch directory, once tmp_init succeeded */

/* Makes the scratch directory, named after the test ("test_pack").
 * Returns 0, or -1 after saying why on stderr. */
static inline int
tmp_init(const char *test)
{
	const char *base = getenv("TMPDIR");
	char prefix[64];
	struct errbuf e;

	snprintf(prefix, sizeof prefix, "%s.", test);
	tmpdir = fs_mkdtemp(base != NULL && *base != '\0' ? base : "/tmp",
	    prefix, &e);
	if (tmpdir == NULL) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	return 0;
}

/* Removes the scratch directory and all in it. */
static inline void
tmp_done(void)
{
	struct errbuf e;

	if (tmpdir != NULL && fs_rm_rf(tmpdir, &e) == -1)
		fprintf(stderr, "%s\n", e.msg);
	free(tmpdir);
	tmpdir = NULL;
}

/* "tmpdir/rel", malloc'd: the caller frees it. */
static inline char *
tpath(const char *rel)
{
	char *p = fs_join(tmpdir, rel);

	if (p == NULL)
		abort();
	return p;
}

/* Writes text to rel with exactly mode, making the parents. */
static inline void
put(const char *rel, const char *text, mode_t mode)
{
	if (put_file(at(tmpdir, rel), text, strlen(text), mode) == -1) {
		perror(rel);
		abort();
	}
}

/* Makes rel a symlink to target (taken as it is). */
static inline void
put_link(const char *rel, const char *target)
{
	if (symlink(target, at(tmpdir, rel)) == -1) {
		perror(rel);
		abort();
	}
}

/* Whether rel exists (a dangling symlink does not). */
static inline bool
exists(const char *rel)
{
	return fs_exists(at(tmpdir, rel));
}

/* Whether the file rel holds exactly text. */
static inline bool
has(const char *rel, const char *text)
{
	return file_is(at(tmpdir, rel), text);
}

/* Drops a child's output. */
static inline void
run_drop(void *arg, int fd, const char *line, size_t len, bool complete)
{
	(void)arg;
	(void)fd;
	(void)line;
	(void)len;
	(void)complete;
}

/* Runs argv in the directory cwd (relative; NULL: the scratch directory
 * itself) with stderr dropped.  Its stdout goes into out (size bytes, NUL
 * terminated, trailing newlines removed) when out is not NULL, else is
 * dropped.  Returns its exit status (128+N for signal N), or -1 if it
 * could not be run or wrote more than out holds. */
static inline int
run(const char *cwd, const char *const *argv, char *out, size_t size)
{
	struct spawn s = SPAWN_INIT;
	struct errbuf e;
	char *text = NULL;
	size_t len = 0;
	int rc;

	s.argv = argv;
	s.cwd = cwd != NULL ? at(tmpdir, cwd) : tmpdir;
	s.on_line = run_drop;
	if (out == NULL)
		return spawn_run(&s, &e);
	out[0] = '\0';
	if ((rc = spawn_capture(&s, size - 1, &text, &len, &e)) == -1)
		return -1;
	while (len > 0 && text[len - 1] == '\n')
		len--;
	memcpy(out, text, len);
	out[len] = '\0';
	free(text);
	return rc;
}

#endif
