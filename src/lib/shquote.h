/* shquote.h - quoting a word for a POSIX shell.
 *
 * Procfile commands are shell command lines by definition (a dyno runs them
 * with `bash -c`), so when the buildpack writes one that names a file, the
 * file name must reach the shell as one word whatever it holds. */
#ifndef SLUGC_SHQUOTE_H
#define SLUGC_SHQUOTE_H

/* Returns a malloc'd copy of s that a POSIX shell reads back as exactly s:
 * unchanged when it holds only [A-Za-z0-9_./:@%+=,-] (and is not empty),
 * otherwise in single quotes with each ' written as '\''.  NULL when out of
 * memory. */
char *shquote(const char *s);

#endif
