/* test_applog.c - the app log's line format, tail, rotation and follow;
 * and formation.yml's counts. */
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applog.h"
#include "formation.h"
#include "fsutil.h"
#include "testhelp.h"
#include "testtmp.h"

/* applog_tail's output for path, n, malloc'd. */
static char *
tail_of(const char *path, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	struct errbuf e;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	if (applog_tail(path, n, f, &e) == -1)
		fprintf(f, "ERROR %s", e.msg);
	fclose(f);
	return buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_format(void)
{
	char *path = tpath("fmt.log"), *out;
	struct applog l;
	struct errbuf e;
	regex_t re;
	int rc;

	rc = applog_open(&l, path, 0, &e);
	TEST("applog: opens, creating", rc == 0);
	if (rc != 0) {
		free(path);
		return;
	}
	applog_write(&l, "web.1", "listening\nsecond line", 21, &e);
	applog_printf(&l, "slugc", "web.%d: up", 1);
	applog_close(&l);
	out = tail_of(path, 10);
	regcomp(&re,
	    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}"
	    "\\+00:00 app\\[web\\.1\\]: listening\n"
	    "[-0-9T:.+]{32} app\\[slugc\\]: web\\.1: up\n$",
	    REG_EXTENDED);
	TEST("applog: heroku's line: time, app[source], text",
	    regexec(&re, out, 0, NULL, 0) == 0);
	TEST("applog: a newline in the text ends the line",
	    strstr(out, "second line") == NULL);
	regfree(&re);
	free(out);
	free(path);
}

static void
test_rotate_tail(void)
{
	char *path = tpath("rot.log"), *old = tpath("rot.log.1"), *out;
	char text[32];
	struct applog l;
	struct errbuf e;
	size_t sz;
	int i;

	if (applog_open(&l, path, 1000, &e) == -1) {
		TEST("applog: opens", 0);
		goto out;
	}
	for (i = 0; i < 60; i++) {
		snprintf(text, sizeof text, "line %02d", i);
		applog_write(&l, "w", text, strlen(text), &e);
	}
	applog_close(&l);
	free(fs_read_file(path, 1 << 20, &sz, &e));
	TEST("applog: rotated at its size", fs_exists(old) && sz <= 1000);
	out = tail_of(path, 3);
	TEST("applog: tail -n 3 gives the last three",
	    count_lines(out) == 3 && strstr(out, "line 57") != NULL &&
		strstr(out, "line 59\n") != NULL);
	free(out);
	out = tail_of(path, 25);
	TEST("applog: tail reaches into the rotated part, in order",
	    count_lines(out) == 25 && strstr(out, "line 35") != NULL &&
		strstr(out, "line 35") < strstr(out, "line 59"));
	free(out);
	out = tail_of(path, 0);
	TEST("applog: tail 0 gives all that is kept",
	    count_lines(out) > 25 && strstr(out, "line 59") != NULL);
	free(out);
	out = tail_of("/nonexistent/log", 5);
	TEST("applog: no log yet is nothing", strcmp(out, "") == 0);
	free(out);
out:
	free(old);
	free(path);
}

struct follow {
	char *path;
	stopflag stop;
	char *buf;
	size_t len;
	int rc;
};

static void *
follow_main(void *arg)
{
	struct follow *f = arg;
	struct errbuf e;
	FILE *out = open_memstream(&f->buf, &f->len);

	f->rc = applog_follow(f->path, 1, out, &f->stop, &e);
	fclose(out);
	return NULL;
}

static void
test_follow(void)
{
	struct follow f = {.path = tpath("follow.log")};
	struct applog l;
	struct errbuf e;
	pthread_t th;
	int i;

	if (applog_open(&l, f.path, 300, &e) == -1) {
		TEST("applog: opens", 0);
		free(f.path);
		return;
	}
	applog_write(&l, "a", "old one", 7, &e);
	applog_write(&l, "a", "last old", 8, &e);
	atomic_init(&f.stop, 0);
	pthread_create(&th, NULL, follow_main, &f);
	usleep(200 * 1000);
	/* Enough to rotate (300 bytes) while followed. */
	for (i = 0; i < 8; i++)
		applog_printf(&l, "b", "new %d", i);
	usleep(400 * 1000);
	stopflag_set(&f.stop, 1);
	pthread_join(th, NULL);
	applog_close(&l);
	TEST("applog: follow returns once stopped", f.rc == 0);
	TEST("applog: follow starts with the last n lines",
	    f.buf != NULL && strstr(f.buf, "last old") != NULL &&
		strstr(f.buf, "old one") == NULL);
	TEST("applog: follow sees every new line, across a rotation",
	    f.buf != NULL && strstr(f.buf, "new 0\n") != NULL &&
		strstr(f.buf, "new 7\n") != NULL && count_lines(f.buf) == 9);
	free(f.buf);
	free(f.path);
}

static void
test_formation(void)
{
	struct formation f = {0}, g = {0};
	struct errbuf e;
	char *path = tpath("formation.yml"), text[128];

	TEST("formation: none: web 1, others 0",
	    formation_read(path, &f, &e) == 0 &&
		formation_get(&f, "web") == 1 &&
		formation_get(&f, "worker") == 0);
	TEST("formation: parses web=2 worker=1",
	    formation_parse(" web=2  worker=1", &f, &e) == 0 &&
		formation_get(&f, "web") == 2 &&
		formation_get(&f, "worker") == 1);
	formation_format(&f, text, sizeof text);
	TEST("formation: formats", strcmp(text, "web=2 worker=1") == 0);
	TEST("formation: round trip through the file",
	    formation_write(path, &f, &e) == 0 &&
		formation_read(path, &g, &e) == 0 && g.n == 2 &&
		formation_get(&g, "web") == 2 &&
		formation_get(&g, "worker") == 1);
	formation_free(&g);
	TEST("formation: web=0 stays 0",
	    formation_parse("web=0", &f, &e) == 0 &&
		formation_get(&f, "web") == 0);
	TEST("formation: a count over the limit is refused, named",
	    formation_parse("web=101", &f, &e) == -1 &&
		strstr(e.msg, "web=101") != NULL);
	TEST("formation: no count is refused",
	    formation_parse("web=", &f, &e) == -1 &&
		formation_parse("web", &f, &e) == -1 &&
		formation_parse("web=-1", &f, &e) == -1 &&
		formation_parse("  ", &f, &e) == -1);
	TEST("formation: a bad type name is refused",
	    formation_parse("we/b=1", &f, &e) == -1);
	put("bad.yml", "web: 1\nworker: many\n", 0600);
	free(path);
	path = tpath("bad.yml");
	TEST("formation: a bad file names its line",
	    formation_read(path, &g, &e) == -1 &&
		strstr(e.msg, "bad.yml:2") != NULL);
	formation_free(&f);
	formation_free(&g);
	free(path);
}

int
main(void)
{
	if (tmp_init("test_applog") == -1)
		return 1;
	test_format();
	test_rotate_tail();
	test_follow();
	test_formation();
	tmp_done();
	return test_report();
}
