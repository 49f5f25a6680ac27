/* test_log.c - the build log's exact bytes: topics, indents, warnings, child
 * output streamed in chunks, byte counts and download progress (into real
 * files and a real pseudo-terminal). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "testhelp.h"

/* A FILE writing into memory, and what was written once closed. */
struct out {
	FILE *f;
	char *buf;
	size_t len;
};

static void
out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
}

/* Closes the stream and compares its bytes with want (exactly). */
static int
out_is(struct out *o, const char *want, size_t wantlen)
{
	int same;

	fclose(o->f);
	same = o->len == wantlen && memcmp(o->buf, want, wantlen) == 0;
	if (!same)
		printf("# got %zu bytes: [%.*s]\n", o->len, (int)o->len,
		    o->buf);
	free(o->buf);
	return same;
}

#define OUT_IS(o, lit) out_is((o), (lit), sizeof(lit) - 1)

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
test_messages(void)
{
	struct out o;
	char big[3000];

	out_open(&o);
	log_topic(o.f, "Fetching Mono %s", "6.8");
	TEST("topic line", OUT_IS(&o, "-----> Fetching Mono 6.8\n"));

	out_open(&o);
	log_info(o.f, "Using %s", "hello.sln");
	TEST("info line: 7 spaces", OUT_IS(&o, "       Using hello.sln\n"));

	out_open(&o);
	log_warn(o.f, "No Procfile");
	TEST("warn line", OUT_IS(&o, " !     No Procfile\n"));

	out_open(&o);
	log_error(o.f, "Build failed (exit %d)", 1);
	TEST("error line", OUT_IS(&o, " !     Build failed (exit 1)\n"));

	out_open(&o);
	log_info(o.f, "done\n");
	TEST("one trailing newline is not an extra line",
	    OUT_IS(&o, "       done\n"));

	out_open(&o);
	log_info(o.f, "%s", "");
	TEST("empty info is an indented empty line", OUT_IS(&o, "       \n"));

	out_open(&o);
	log_topic(o.f, "Several solutions\nchose a.sln");
	TEST("topic continuation lines are indented",
	    OUT_IS(&o, "-----> Several solutions\n       chose a.sln\n"));

	out_open(&o);
	log_info(o.f, "a\n\nb");
	TEST("info: every line indented, blank ones too",
	    OUT_IS(&o, "       a\n       \n       b\n"));

	out_open(&o);
	log_warn(o.f, "first\nsecond\n");
	TEST("warn: every line gets the bang",
	    OUT_IS(&o, " !     first\n !     second\n"));

	out_open(&o);
	log_error(o.f, "x\ny");
	TEST("error: every line gets the bang",
	    OUT_IS(&o, " !     x\n !     y\n"));

	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	out_open(&o);
	log_info(o.f, "%s!", big);
	fflush(o.f);
	TEST("a long message is printed whole",
	    o.len == 7 + sizeof big - 1 + 2 &&
		o.buf[7 + sizeof big - 1] == '!' &&
		memcmp(o.buf, LOG_INDENT "qqq", 10) == 0);
	fclose(o.f);
	free(o.buf);
}

/* The same bytes written in every possible split into two chunks must give
 * the same log. */
static int
splits_agree(const char *in, size_t inlen, const char *want, size_t wantlen)
{
	struct log_stream ls;
	struct out o;
	size_t cut;
	int ok = 1;

	for (cut = 0; cut <= inlen; cut++) {
		out_open(&o);
		ls = (struct log_stream)LOG_STREAM_INIT(o.f);
		log_stream_write(&ls, in, cut);
		log_stream_write(&ls, in + cut, inlen - cut);
		log_stream_finish(&ls);
		if (!out_is(&o, want, wantlen)) {
			printf("# split at %zu\n", cut);
			ok = 0;
		}
	}
	return ok;
}

#define SPLITS(in, want)                                                       \
	splits_agree((in), sizeof(in) - 1, (want), sizeof(want) - 1)

static void
test_stream(void)
{
	struct log_stream ls;
	struct out o;

	out_open(&o);
	ls = (struct log_stream)LOG_STREAM_INIT(o.f);
	log_stream_write(&ls, "hel", 3);
	log_stream_write(&ls, "lo\nwor", 6);
	log_stream_write(&ls, "ld\n", 3);
	log_stream_finish(&ls);
	TEST("chunks of lines are indented once per line",
	    OUT_IS(&o, "       hello\n       world\n"));

	out_open(&o);
	ls = (struct log_stream)LOG_STREAM_INIT(o.f);
	log_stream_write(&ls, "abc", 3);
	fflush(o.f);
	TEST("a partial line shows at once",
	    o.len == 10 && memcmp(o.buf, "       abc", 10) == 0);
	log_stream_finish(&ls);
	log_stream_finish(&ls);
	TEST("finish ends an open line, once", OUT_IS(&o, "       abc\n"));

	out_open(&o);
	ls = (struct log_stream)LOG_STREAM_INIT(o.f);
	log_stream_finish(&ls);
	TEST("finish on a finished line writes nothing", OUT_IS(&o, ""));

	TEST("multi-line chunk, any split",
	    SPLITS("one\ntwo\n\nfour\n",
		"       one\n       two\n       \n       four\n"));
	TEST("CRLF becomes LF, any split",
	    SPLITS("a\r\nb\r\n", "       a\n       b\n"));
	TEST("\\r progress redraws keep the indent, any split",
	    SPLITS("10%\r20%\r30%\ndone\n",
		"       10%\r       20%\r       30%\n       done\n"));
	TEST("\\r at the start of a line is dropped",
	    SPLITS("\rx\n", "       x\n"));
	TEST("a final \\r ends the line", SPLITS("50%\r", "       50%\n"));
	TEST("unterminated last line is ended by finish",
	    SPLITS("a\nb", "       a\n       b\n"));
	TEST("invalid UTF-8 and escapes pass through as they are",
	    SPLITS("\xff\xfe\xc3(\x1b[31mred\x1b[0m\n",
		"       \xff\xfe\xc3(\x1b[31mred\x1b[0m\n"));
	TEST("NUL bytes pass through", SPLITS("a\0b\n", "       a\0b\n"));
	TEST("UTF-8 text is untouched",
	    SPLITS("caf\xc3\xa9 \xe2\x9c\x93\n",
		"       caf\xc3\xa9 \xe2\x9c\x93\n"));
}

static void
test_on_line(void)
{
	struct log_stream ls;
	struct out o;

	out_open(&o);
	ls = (struct log_stream)LOG_STREAM_INIT(o.f);
	log_stream_on_line(&ls, 1, "Build started", 13, true);
	log_stream_on_line(&ls, 2, "warning CS0168", 14, true);
	log_stream_on_line(&ls, 1, "", 0, true);
	TEST("on_line: complete lines, both streams",
	    OUT_IS(&o,
		"       Build started\n       warning CS0168\n"
		"       \n"));

	out_open(&o);
	ls = (struct log_stream)LOG_STREAM_INIT(o.f);
	log_stream_on_line(&ls, 1, "ab", 2, false);
	log_stream_on_line(&ls, 1, "cd", 2, true);
	TEST("on_line: pieces of one line join", OUT_IS(&o, "       abcd\n"));

	out_open(&o);
	ls = (struct log_stream)LOG_STREAM_INIT(o.f);
	log_stream_on_line(&ls, 1, "abc", 3, false);
	log_stream_on_line(&ls, 2, "err", 3, true);
	log_stream_on_line(&ls, 1, "def", 3, true);
	TEST("on_line: the other stream does not share an open line",
	    OUT_IS(&o, "       abc\n       err\n       def\n"));

	out_open(&o);
	ls = (struct log_stream)LOG_STREAM_INIT(o.f);
	log_stream_on_line(&ls, 1, "1%\r", 3, false);
	log_stream_on_line(&ls, 1, "2%\r", 3, false);
	log_stream_on_line(&ls, 1, "", 0, true);
	TEST("on_line: a \\r piece then the line end",
	    OUT_IS(&o, "       1%\r       2%\n"));

	out_open(&o);
	ls = (struct log_stream)LOG_STREAM_INIT(o.f);
	log_stream_on_line(&ls, 1, "x\r", 2, true);
	TEST("on_line: a CRLF line", OUT_IS(&o, "       x\n"));
}

static void
test_bytes(void)
{
	char b[64];

	TEST("0 B", strcmp(log_format_bytes(b, sizeof b, 0), "0 B") == 0);
	TEST("1023 B",
	    strcmp(log_format_bytes(b, sizeof b, 1023), "1023 B") == 0);
	TEST("1.0 KB",
	    strcmp(log_format_bytes(b, sizeof b, 1024), "1.0 KB") == 0);
	TEST("1.5 KB",
	    strcmp(log_format_bytes(b, sizeof b, 1536), "1.5 KB") == 0);
	TEST("12.0 MB",
	    strcmp(log_format_bytes(b, sizeof b, 12ULL << 20), "12.0 MB") == 0);
	TEST("33.1 MB",
	    strcmp(log_format_bytes(b, sizeof b, 34707046), "33.1 MB") == 0);
	TEST("just under 1 MB rounds up to 1.0 MB, not 1024.0 KB",
	    strcmp(log_format_bytes(b, sizeof b, (1 << 20) - 1), "1.0 MB") ==
		0);
	TEST("1023.9 KB stays in KB",
	    strcmp(log_format_bytes(b, sizeof b, 1023 * 1024 + 900),
		"1023.9 KB") == 0);
	TEST("GB",
	    strcmp(log_format_bytes(b, sizeof b, 3ULL << 30), "3.0 GB") == 0);
	TEST("the largest count",
	    strcmp(log_format_bytes(b, sizeof b, UINT64_MAX), "16.0 EB") == 0);
	TEST("small buffer truncates safely",
	    strcmp(log_format_bytes(b, 4, 12ULL << 20), "12.") == 0);

	TEST("progress with total",
	    strcmp(log_format_progress(b, sizeof b, "Downloaded", 12ULL << 20,
		       34707046),
		"Downloaded 12.0 MB of 33.1 MB (36%)") == 0);
	TEST("progress without total",
	    strcmp(log_format_progress(b, sizeof b, "Downloaded", 12ULL << 20,
		       0),
		"Downloaded 12.0 MB") == 0);
	TEST("progress over total is 100%",
	    strcmp(log_format_progress(b, sizeof b, "Got", 2048, 1024),
		"Got 2.0 KB of 1.0 KB (100%)") == 0);
	TEST("progress of huge counts does not overflow",
	    strcmp(log_format_progress(b, sizeof b, "Got", UINT64_MAX / 2,
		       UINT64_MAX),
		"Got 8.0 EB of 16.0 EB (49%)") == 0);
}

/* Counts lines of the form "       Downloaded X of Y (P%)" in s. */
static int
progress_lines(const char *s, int *bad)
{
	const char *nl;
	char num[32], unit[8], num2[32], unit2[8];
	int n = 0, pct;

	*bad = 0;
	for (; *s != '\0'; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL) {
			(*bad)++;
			break;
		}
		n++;
		if (strncmp(s, LOG_INDENT "Downloaded ", 18) != 0 ||
		    sscanf(s + 18, "%31s %7s of %31s %7s (%d%%)", num, unit,
			num2, unit2, &pct) != 5)
			(*bad)++;
	}
	return n;
}

static void
test_progress_file(const char *dir)
{
	struct log_progress p;
	const char *last = LOG_INDENT "Downloaded 40.0 MB of 40.0 MB (100%)\n";
	char *path = fs_join(dir, "progress.log"), *text;
	struct errbuf e;
	size_t len;
	FILE *f;
	int i, n, bad = 1;

	/* A fast transfer prints nothing at all. */
	f = fopen(path, "w");
	log_progress_start(&p, f, "Downloaded");
	TEST("a file is not a terminal", !p.tty);
	TEST("default interval is 5 s", p.interval_ms == 5000);
	for (i = 0; i <= 10; i++)
		log_progress_update(&p, (uint64_t)i << 20, 10 << 20);
	log_progress_end(&p);
	fclose(f);
	text = fs_read_file(path, 1 << 20, &len, &e);
	TEST("short transfer: silent", text != NULL && len == 0);
	free(text);

	/* A slow one: a line at most every interval, then the final one. */
	f = fopen(path, "w");
	log_progress_start(&p, f, "Downloaded");
	p.interval_ms = 60;
	for (i = 0; i <= 40; i++) {
		log_progress_update(&p, (uint64_t)i << 20, 40 << 20);
		sleep_ms(10);
	}
	log_progress_end(&p);
	fclose(f);
	text = fs_read_file(path, 1 << 20, &len, &e);
	n = text != NULL ? progress_lines(text, &bad) : 0;
	printf("# %d progress lines in ~410 ms at 60 ms\n", n);
	TEST("slow transfer: throttled plain lines", n >= 3 && n <= 8);
	TEST("slow transfer: every line well formed", text != NULL && bad == 0);
	TEST("slow transfer: ends with the final figures",
	    text != NULL && len > strlen(last) &&
		strcmp(text + len - strlen(last), last) == 0);
	TEST("no carriage returns in a file",
	    text != NULL && strchr(text, '\r') == NULL);
	free(text);
	fs_rm_rf(path, &e);
	free(path);
}

static void
test_progress_tty(void)
{
	struct log_progress p;
	struct termios t;
	char buf[8192], *name;
	size_t len = 0, nl = 0, cr = 0, i;
	ssize_t n;
	int m, s;
	FILE *f;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) < 0 || grantpt(m) < 0 ||
	    unlockpt(m) < 0 || (name = ptsname(m)) == NULL ||
	    (s = open(name, O_RDWR | O_NOCTTY)) < 0) {
		TEST("pseudo-terminal available", 0);
		return;
	}
	/* Raw, so the bytes read back are exactly those written. */
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	f = fdopen(s, "w");
	log_progress_start(&p, f, "Downloaded");
	TEST("a pty is a terminal", p.tty);
	for (i = 0; i <= 30; i++) {
		log_progress_update(&p, i * 1000, 30000);
		sleep_ms(10);
	}
	log_progress_end(&p);
	fclose(f);
	fcntl(m, F_SETFL, O_NONBLOCK);
	while (len < sizeof buf - 1 &&
	    (n = read(m, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(m);
	for (i = 0; i < len; i++) {
		nl += buf[i] == '\n';
		cr += buf[i] == '\r';
	}
	printf("# %zu redraws on the terminal\n", cr);
	TEST("terminal: one line redrawn with \\r", cr >= 2 && nl == 1);
	TEST("terminal: ends with the final figures and a newline",
	    len > 0 &&
		strstr(buf,
		    "\r" LOG_INDENT
		    "Downloaded 29.3 KB of 29.3 KB (100%)\n") != NULL &&
		buf[len - 1] == '\n');
}

int
main(void)
{
	struct errbuf e;
	char *dir;

	if ((dir = fs_mkdtemp("/tmp", "test_log.", &e)) == NULL) {
		printf("# %s\n", e.msg);
		TEST("temp dir", 0);
		return test_report();
	}
	test_messages();
	test_stream();
	test_on_line();
	test_bytes();
	test_progress_file(dir);
	test_progress_tty();
	TEST("temp dir removed", fs_rm_rf(dir, &e) == 0 && !fs_exists(dir));
	free(dir);
	return test_report();
}
