/* log.h - the Heroku build log: "-----> " topics, 7-space indented body
 * lines, " !     " warnings and errors, child output indented as it streams,
 * and download progress.
 *
 * Everything prints to a FILE * the caller gives (compile's main passes
 * stdout) and flushes at once, because the log must stream.  Write errors
 * are left in the FILE's error flag for main to find with ferror()/fclose(). */
#ifndef SLUGC_LOG_H
#define SLUGC_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LOG_INDENT "       "
#define LOG_TOPIC "-----> "
#define LOG_BANG " !     "

/* One message, formatted like printf.  Each line of it gets the prefix
 * ("-----> " for the first line of a topic and 7 spaces for the rest;
 * 7 spaces for info; " !     " for every line of a warning or error).  One
 * trailing '\n' in the message is ignored. */
void log_topic(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_info(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_warn(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_error(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes a child's output into the log the way `sed -u 's/^/       /'`
 * would, but without waiting for whole lines: bytes are passed through as
 * they are (invalid UTF-8 and escape sequences included), each line gets 7
 * spaces in front, "\r\n" becomes "\n", and a lone '\r' (a progress line
 * redrawn in place) is followed by the indent again so the redrawn text stays
 * indented.  Initialise with LOG_STREAM_INIT(f); no resources are held. */
struct log_stream {
	FILE *f;
	bool midline; /* the current line's indent is written */
	bool cr;      /* a '\r' waits to see whether '\n' follows */
	int owner;    /* fd whose piece left the line open (0: none) */
};

#define LOG_STREAM_INIT(file)                                                  \
	{                                                                      \
		.f = (file)                                                    \
	}

/* Writes len bytes of output (any number of lines or parts of lines). */
void log_stream_write(struct log_stream *ls, const char *buf, size_t len);

/* spawn_line_fn for spawn.h's on_line, with arg a struct log_stream *:
 * writes the line (then '\n' when complete).  When a piece of one stream left
 * a line open and the other stream sends a line, the open line is ended
 * first, so stdout and stderr text never share a log line. */
void log_stream_on_line(void *arg, int fd, const char *line, size_t len,
    bool complete);

/* Ends an unfinished last line with '\n'.  Call after the child is done. */
void log_stream_finish(struct log_stream *ls);

/* Formats a byte count for people: "512 B", "1.5 KB", "12.0 MB", "3.2 GB"
 * (units of 1024, as Heroku's slug sizes).  Returns buf. */
char *log_format_bytes(char *buf, size_t size, uint64_t n);

/* "Downloaded 12.0 MB of 33.1 MB (36%)", or "Downloaded 12.0 MB" when the
 * total is unknown (0).  verb is the first word.  Returns buf. */
char *log_format_progress(char *buf, size_t size, const char *verb,
    uint64_t done, uint64_t total);

#define LOG_PROGRESS_INTERVAL_MS 5000
#define LOG_PROGRESS_TTY_MS 100

/* Progress of a long transfer.  When f is not a terminal, a plain indented
 * line at most every interval_ms (the first one interval_ms after the start,
 * so short transfers print nothing); on a terminal, one line redrawn in place
 * with '\r' at most every LOG_PROGRESS_TTY_MS.  No resources are held. */
struct log_progress {
	FILE *f;
	const char *verb;
	bool tty;	 /* set by log_progress_start from isatty() */
	int interval_ms; /* LOG_PROGRESS_INTERVAL_MS unless changed */
	int64_t next_ms; /* monotonic time of the next allowed line */
	bool shown;	 /* something was printed */
	size_t width;	 /* length of the last line drawn on a terminal */
	uint64_t done, total;
};

/* verb must outlive p ("Downloaded"). */
void log_progress_start(struct log_progress *p, FILE *f, const char *verb);

/* Reports done bytes of total (0 = unknown); prints if it is time. */
void log_progress_update(struct log_progress *p, uint64_t done, uint64_t total);

/* Prints the final figures if any progress was shown (and ends the terminal
 * line), so short transfers stay silent. */
void log_progress_end(struct log_progress *p);

#endif
