/* addon_bench - the add-on figures of `make bench` (issue 17).
 *
 *	addon_bench answer URL TIMEOUT_S -- COMMAND...
 *	addon_bench redis APP NAME ROUNDS
 *
 * answer: starts COMMAND in a process group of its own and asks URL with
 * libcurl every 2 ms (a new connection each time) until it answers 2xx;
 * prints the seconds from the spawn to that answer, then ends the group
 * with SIGTERM (slugc start stops web, and leaves the add-on running) and
 * reaps COMMAND.  Exit 1 when no answer came within TIMEOUT_S or COMMAND
 * ended first.
 *
 * redis: add-on NAME of app APP ($XDG_STATE_HOME), ROUNDS alternating
 * rounds, the server stopped before each: (a) addon_start, what `slugc
 * start`/`run`/`smoke` call for a cold add-on: config file written, the
 * server started detached, waited for until an authenticated PING answers;
 * (b) the same redis-server with the config file (a) wrote, started by
 * hand (argv: redis-server CONF) and asked AUTH + PING through hiredis
 * every 1 ms, which is as soon as anyone can know it answers.  Prints
 * "MED MIN MAX HMED HMIN HMAX" in seconds, (a)'s then (b)'s.  The add-on
 * is left running (a's server), as slugc leaves it. */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>

#include "addon.h"
#include "appstate.h"
#include "err.h"

#define ROUNDS_MAX 1000

extern char **environ;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* "median min max" of v (sorted in place). */
static void
print_stats(double *v, int n)
{
	double m;

	qsort(v, (size_t)n, sizeof *v, cmp_double);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%.6f %.6f %.6f", m, v[0], v[n - 1]);
}

static size_t
discard(char *p, size_t size, size_t nmemb, void *arg)
{
	(void)p;
	(void)arg;
	return size * nmemb;
}

/* Starts argv in a new process group; its pid, or -1. */
static pid_t
start_group(char **argv, const char *out)
{
	posix_spawnattr_t at;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out,
	    O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		fprintf(stderr, "addon_bench: %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	return pid;
}

static int
answer(const char *url, double timeout, char **argv)
{
	double t0, t = -1;
	long status = 0;
	pid_t pid;
	int st, rc = 1;
	CURL *c;

	if ((c = curl_easy_init()) == NULL)
		return 1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	t0 = now();
	if ((pid = start_group(argv, "/dev/null")) == -1)
		goto out;
	while (now() - t0 < timeout) {
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) ==
			CURLE_OK &&
		    status >= 200 && status < 300) {
			t = now() - t0;
			break;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "addon_bench: %s ended first\n",
			    argv[0]);
			pid = -1;
			break;
		}
		nap_ms(2);
	}
	if (pid > 0) {
		kill(-pid, SIGTERM);
		while (waitpid(pid, &st, 0) == -1)
			;
	}
	if (t >= 0) {
		printf("%.6f\n", t);
		rc = 0;
	} else if (pid > 0) {
		fprintf(stderr, "addon_bench: no answer from %s in %.0f s\n",
		    url, timeout);
	}
out:
	curl_easy_cleanup(c);
	return rc;
}

/* From the add-on's URL redis://USER:PW@127.0.0.1:PORT/: user and
 * password (both at most 127 bytes). */
static int
url_auth(const char *url, char user[128], char pw[128])
{
	const char *u = strstr(url, "//"), *colon, *at;

	if (u == NULL || (colon = strchr(u + 2, ':')) == NULL ||
	    (at = strchr(colon, '@')) == NULL || colon - (u + 2) >= 128 ||
	    at - (colon + 1) >= 128)
		return -1;
	snprintf(user, 128, "%.*s", (int)(colon - (u + 2)), u + 2);
	snprintf(pw, 128, "%.*s", (int)(at - (colon + 1)), colon + 1);
	return 0;
}

/* AUTH + PING on 127.0.0.1:port answered PONG. */
static int
pong(int port, const char *user, const char *pw)
{
	struct timeval tv = {0, 250000};
	redisContext *c;
	redisReply *r;
	int ok = 0;

	if ((c = redisConnectWithTimeout("127.0.0.1", port, tv)) == NULL)
		return 0;
	if (c->err == 0 &&
	    (r = redisCommand(c, "AUTH %s %s", user, pw)) != NULL) {
		ok = r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
		if (ok && (r = redisCommand(c, "PING")) != NULL) {
			ok = r->type == REDIS_REPLY_STATUS &&
			    strcmp(r->str, "PONG") == 0;
			freeReplyObject(r);
		} else {
			ok = 0;
		}
	}
	redisFree(c);
	return ok;
}

/* One by-hand start of the add-on's redis-server with its config file:
 * seconds to the first PONG, or -1.  The server is stopped after. */
static double
by_hand(const struct addon *a, const char *user, const char *pw)
{
	char conf[4096], log[4096];
	char *argv[] = {"redis-server", conf, NULL};
	double t0, t = -1;
	pid_t pid;
	int st;

	snprintf(conf, sizeof conf, "%s/redis.conf", a->dir);
	snprintf(log, sizeof log, "%s/bench-by-hand.out", a->dir);
	t0 = now();
	if ((pid = start_group(argv, log)) == -1)
		return -1;
	while (now() - t0 < 10) {
		if (pong(a->port, user, pw)) {
			t = now() - t0;
			break;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "addon_bench: redis-server ended\n");
			return -1;
		}
		nap_ms(1);
	}
	kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) == -1)
		;
	return t;
}

static int
redis_rounds(const char *app, const char *name, int rounds)
{
	struct addon_opts o = {0};
	struct appstate *st = NULL;
	struct addon *a = NULL;
	struct errbuf e = {""};
	double *v = NULL, *h = NULL, t0;
	char user[128], pw[128], *url = NULL;
	int i, rc = 1;

	if ((v = calloc((size_t)rounds, sizeof *v)) == NULL ||
	    (h = calloc((size_t)rounds, sizeof *h)) == NULL ||
	    appstate_open(app, false, &st, &e) == -1 ||
	    addon_find(st, name, &a, &e) != ADDON_OK)
		goto out;
	if ((url = addon_url(a)) == NULL || url_auth(url, user, pw) == -1) {
		snprintf(e.msg, sizeof e.msg, "%s: no URL", name);
		goto out;
	}
	for (i = 0; i < rounds; i++) {
		if (addon_stop(st, name, &o, &e) != ADDON_OK)
			goto out;
		t0 = now();
		if (addon_start(st, name, &o, &e) != ADDON_OK)
			goto out;
		v[i] = now() - t0;
		if (addon_stop(st, name, &o, &e) != ADDON_OK)
			goto out;
		if ((h[i] = by_hand(a, user, pw)) < 0) {
			snprintf(e.msg, sizeof e.msg,
			    "%s: redis-server by hand gave no PONG", name);
			goto out;
		}
	}
	if (addon_start(st, name, &o, &e) != ADDON_OK)
		goto out;
	print_stats(v, rounds);
	putchar(' ');
	print_stats(h, rounds);
	putchar('\n');
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "addon_bench: %s\n", e.msg);
	explicit_bzero(pw, sizeof pw);
	if (url != NULL)
		explicit_bzero(url, strlen(url));
	free(url);
	addon_free(a);
	appstate_close(st);
	free(v);
	free(h);
	return rc;
}

int
main(int argc, char **argv)
{
	char *end;
	long n;

	if (argc >= 6 && strcmp(argv[1], "answer") == 0 &&
	    strcmp(argv[4], "--") == 0) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return 1;
		n = answer(argv[2], strtod(argv[3], NULL), argv + 5);
		curl_global_cleanup();
		return (int)n;
	}
	if (argc == 5 && strcmp(argv[1], "redis") == 0) {
		n = strtol(argv[4], &end, 10);
		if (*end == '\0' && n >= 1 && n <= ROUNDS_MAX)
			return redis_rounds(argv[2], argv[3], (int)n);
	}
	fprintf(stderr,
	    "usage: addon_bench answer URL TIMEOUT_S -- "
	    "COMMAND...\n"
	    "       addon_bench redis APP NAME ROUNDS\n");
	return 2;
}
