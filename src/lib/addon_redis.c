/* addon_redis.c - the Redis half of add-ons: its config file, talking to
 * it with hiredis (Debian's libhiredis, not hand-written RESP), and its
 * dump format. */
#include "addon_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "appstate.h"
#include "monotime.h"
#include "spawn.h"

/* How long one connection attempt, and one command, may take while we
 * wait for a server to come up. */
#define CONNECT_MS 250
#define COMMAND_MS 5000
#define RETRY_MS 10

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Writes s to the config text f as one double-quoted argument, the
 * way Redis's config reader (sdssplitargs) reads it back: '"' and '\' and
 * every byte outside printable ASCII as escapes. */
static int
conf_quoted(FILE *f, const char *s)
{
	const unsigned char *p;

	if (fputc('"', f) == EOF)
		return -1;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			if (fprintf(f, "\\%c", *p) < 0)
				return -1;
		} else if (*p < 0x20 || *p >= 0x7f) {
			if (fprintf(f, "\\x%02x", *p) < 0)
				return -1;
		} else if (fputc(*p, f) == EOF)
			return -1;
	}
	return fputc('"', f) == EOF ? -1 : 0;
}

int
redis_write_conf(const struct addon *a, const char *conf, int port,
    const char *datadir, const char *pidfile, const char *logfile, bool aof,
    struct errbuf *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc = -1, bad;

	if ((f = open_memstream(&text, &len)) == NULL)
		return errf(e, "%s:", conf);
	/* Every path in double quotes: the state directory may hold
	 * spaces.  daemonize no: we detach it ourselves and know its pid.
	 * The process title names this file, so that /proc/PID/cmdline
	 * tells our server from any other. */
	bad = fprintf(f,
		  "# %s: written by slugc at each start; edits are "
		  "lost\nbind 127.0.0.1\nprotected-mode yes\nport %d\n"
		  "daemonize no\nsupervised no\n",
		  a->name, port) < 0;
	bad |= fputs("dir ", f) == EOF || conf_quoted(f, datadir) == -1;
	bad |= fputs("\npidfile ", f) == EOF || conf_quoted(f, pidfile) == -1;
	bad |= fputs("\nlogfile ", f) == EOF || conf_quoted(f, logfile) == -1;
	/* appendfsync always: a session written just before a crash (kill
	 * -9) must be there after the restart; everysec may hold a write
	 * back for up to two seconds while an fsync runs. */
	bad |= fprintf(f,
		   "\nappendonly %s\nappendfsync always\n"
		   "proc-title-template \"{title} {listen-addr} {server-mode} "
		   "{config-file}\"\n",
		   aof ? "yes" : "no") < 0;
	/* ACL users instead of requirepass: a client that sends AUTH
	 * redistogo PW (what the redistogo URL makes today's clients do)
	 * needs a user of that name, or it gets WRONGPASS forever.  The
	 * password is hex, so it needs no quoting. */
	bad |= fprintf(f,
		   "user default on resetpass >%s ~* &* +@all\n"
		   "user redistogo on resetpass >%s ~* &* +@all\n",
		   a->secret_, a->secret_) < 0;
	if (fclose(f) == EOF || bad) {
		errf(e, "%s: out of memory", conf);
		goto out;
	}
	rc = appstate_write_file(conf, text, len, 0600, e);
out:
	if (text != NULL)
		explicit_bzero(text, len);
	free(text);
	return rc;
}

void
redis_redact(const struct addon *a, char *msg)
{
	size_t n;
	char *p;

	if (a->secret_ == NULL || (n = strlen(a->secret_)) < 5)
		return;
	while ((p = strstr(msg, a->secret_)) != NULL) {
		memcpy(p, "*****", 5);
		memmove(p + 5, p + n, strlen(p + n) + 1);
	}
}

/* Connects to 127.0.0.1:port and authenticates as default.  Returns the
 * context, or NULL with e saying why and *loading set when the server
 * said it is still loading its data (worth waiting for). */
static redisContext *
connect_auth(const struct addon *a, int port, int connect_ms, bool *loading,
    struct errbuf *e)
{
	struct timeval tv = {connect_ms / 1000, (connect_ms % 1000) * 1000};
	struct timeval cmd = {COMMAND_MS / 1000, 0};
	redisContext *c;
	redisReply *r;

	*loading = false;
	if ((c = redisConnectWithTimeout("127.0.0.1", port, tv)) == NULL) {
		errf(e, "%s: connect 127.0.0.1:%d: out of memory", a->name,
		    port);
		return NULL;
	}
	if (c->err != 0) {
		errf(e, "%s: connect 127.0.0.1:%d: %s", a->name, port,
		    c->errstr);
		goto fail;
	}
	if (redisSetTimeout(c, cmd) != REDIS_OK) {
		errf(e, "%s: 127.0.0.1:%d: setting a timeout: %s", a->name,
		    port, c->errstr);
		goto fail;
	}
	/* hiredis sends each %s as one bulk string: no quoting, and the
	 * password goes nowhere but the socket. */
	r = redisCommand(c, "AUTH %s %s", "default", a->secret_);
	if (r == NULL) {
		errf(e, "%s: 127.0.0.1:%d: AUTH: %s", a->name, port, c->errstr);
		goto fail;
	}
	if (r->type != REDIS_REPLY_STATUS) {
		*loading = r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "LOADING", 7) == 0;
		errf(e, "%s: 127.0.0.1:%d: AUTH: %s", a->name, port,
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
		goto fail;
	}
	freeReplyObject(r);
	return c;
fail:
	redisFree(c);
	return NULL;
}

/* Runs one command without arguments on c; status replies must be want
 * (NULL: any status or bulk string).  The reply is returned when out is
 * not NULL.  -1 with e set otherwise. */
static int
command(const struct addon *a, redisContext *c, const char *cmd,
    const char *want, redisReply **out, struct errbuf *e)
{
	redisReply *r;

	if (out != NULL)
		*out = NULL;
	if ((r = redisCommand(c, cmd)) == NULL)
		return errf(e, "%s: %s: %s", a->name, cmd, c->errstr);
	if (r->type == REDIS_REPLY_ERROR) {
		errf(e, "%s: %s: %s", a->name, cmd, r->str);
		freeReplyObject(r);
		return -1;
	}
	if ((r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_STRING) ||
	    (want != NULL && strcmp(r->str, want) != 0)) {
		errf(e, "%s: %s: unexpected reply", a->name, cmd);
		freeReplyObject(r);
		return -1;
	}
	if (out != NULL)
		*out = r;
	else
		freeReplyObject(r);
	return 0;
}

int
redis_wait_ready(const struct addon *a, int port, pid_t pid, int timeout_ms,
    struct errbuf *e)
{
	int64_t deadline = monotime_ms() + timeout_ms;
	redisContext *c;
	struct errbuf last = {""};
	bool loading;
	int rc;

	for (;;) {
		if (pid > 0 && !addon_proc_alive(pid)) {
			errf(e, "%s: redis-server (pid %ld) exited", a->name,
			    (long)pid);
			return 1;
		}
		if ((c = connect_auth(a, port, CONNECT_MS, &loading, &last)) !=
		    NULL) {
			rc = command(a, c, "PING", "PONG", NULL, &last);
			redisFree(c);
			if (rc == 0)
				return 0;
		}
		if (monotime_ms() >= deadline) {
			errf(e,
			    "%s: no answer to an authenticated PING on "
			    "127.0.0.1:%d within %d ms (%s)",
			    a->name, port, timeout_ms, last.msg);
			return 2;
		}
		sleep_ms(RETRY_MS);
	}
}

int
redis_save(const struct addon *a, int port, struct errbuf *e)
{
	redisContext *c;
	bool loading;
	int rc;

	if ((c = connect_auth(a, port, COMMAND_MS, &loading, e)) == NULL)
		return -1;
	rc = command(a, c, "SAVE", "OK", NULL, e);
	redisFree(c);
	return rc;
}

/* The value of field in INFO's text ("aof_rewrite_in_progress"), or -1. */
static long
info_field(const char *text, const char *field)
{
	size_t n = strlen(field);
	const char *p;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, field, n) == 0 && p[n] == ':')
			return strtol(p + n + 1, NULL, 10);
	}
	return -1;
}

int
redis_enable_aof(const struct addon *a, int port, int timeout_ms,
    struct errbuf *e)
{
	int64_t deadline = monotime_ms() + timeout_ms;
	redisContext *c;
	redisReply *r;
	bool loading;
	long busy, sched, on;
	int rc = -1;

	if ((c = connect_auth(a, port, COMMAND_MS, &loading, e)) == NULL)
		return -1;
	if (command(a, c, "CONFIG SET appendonly yes", "OK", NULL, e) == -1)
		goto out;
	/* Turning AOF on at run time starts a rewrite that writes the
	 * whole data set as the AOF base; it is done when none is in
	 * progress or scheduled any more and AOF is on. */
	for (;;) {
		if (command(a, c, "INFO persistence", NULL, &r, e) == -1)
			goto out;
		busy = info_field(r->str, "aof_rewrite_in_progress");
		sched = info_field(r->str, "aof_rewrite_scheduled");
		on = info_field(r->str, "aof_enabled");
		if (strstr(r->str, "aof_last_bgrewrite_status:err") != NULL) {
			freeReplyObject(r);
			errf(e,
			    "%s: writing the append-only file failed "
			    "(see its log)",
			    a->name);
			goto out;
		}
		freeReplyObject(r);
		if (busy == 0 && sched == 0 && on == 1)
			break;
		if (monotime_ms() >= deadline) {
			errf(e,
			    "%s: the append-only file was not written "
			    "within %d ms",
			    a->name, timeout_ms);
			goto out;
		}
		sleep_ms(20);
	}
	rc = 0;
out:
	redisFree(c);
	return rc;
}

/* Keeps the line after "--- RDB ERROR DETECTED ---" (what the checker
 * says is wrong) in the errbuf at arg. */
struct checker_out {
	bool next;
	char why[256];
};

static void
checker_line(void *arg, int fd, const char *line, size_t len, bool complete)
{
	struct checker_out *co = arg;

	(void)fd;
	(void)complete;
	if (co->next && co->why[0] == '\0') {
		err_printable(co->why, sizeof co->why, line, len);
		co->next = false;
	}
	if (len >= 20 && memmem(line, len, "RDB ERROR DETECTED", 18) != NULL)
		co->next = true;
}

int
redis_check_dump(const char *path, const char *checker, struct errbuf *e)
{
	struct checker_out co = {false, ""};
	const char *argv[] = {checker, path, NULL};
	struct spawn s = SPAWN_INIT;
	unsigned char head[9];
	ssize_t n;
	size_t got = 0;
	int fd, i, st;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errf(e, "open %s:", path);
	while (got < sizeof head) {
		n = read(fd, head + got, sizeof head - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errf(e, "read %s:", path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got < sizeof head || memcmp(head, "REDIS", 5) != 0)
		return errf(e,
		    "not a Redis dump (an RDB file starts with "
		    "\"REDIS\" and a version)");
	for (i = 5; i < 9; i++)
		if (head[i] < '0' || head[i] > '9')
			return errf(e,
			    "not a Redis dump (no RDB version "
			    "after \"REDIS\")");
	if (memcmp(head + 5, "0000", 4) == 0)
		return errf(e, "not a Redis dump (RDB version 0)");

	s.argv = argv;
	s.on_line = checker_line;
	s.arg = &co;
	s.timeout_ms = 10 * 60 * 1000;
	if ((st = spawn_run(&s, e)) == -1) {
		if (s.status == 127)
			return errf(e,
			    "%s not found: install it with "
			    "`apt-get install redis-tools`",
			    checker);
		return -1;
	}
	if (st != 0) {
		if (co.why[0] != '\0')
			return errf(e, "the dump is damaged: %s", co.why);
		return spawn_errstatus(&s, st, e);
	}
	return 0;
}
