/* Unit tests for the error buffer: formatting, strerror, context,
 * messages kept to one line whatever names they quote, and err_printable
 * for quoting untrusted text. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "err.h"
#include "testhelp.h"

static char warned[ERRBUF_MAX];

/* err_printable of the first n bytes of src into a dsz-byte buffer is
 * want, and nothing past dsz was written. */
static bool
pr_is(const char *src, size_t n, size_t dsz, const char *want)
{
	char buf[64];

	memset(buf, '#', sizeof buf);
	err_printable(buf, dsz, src, n);
	return strcmp(buf, want) == 0 && buf[dsz] == '#';
}

static void
test_printable(void)
{
	char buf[512], buf2[512], one[2], name[300];
	const char unterminated[3] = {'x', 'y', 'z'};
	bool all = true;
	unsigned c;

	TEST("err_printable: plain text and spaces kept",
	    pr_is("404 Not Found", 99, 20, "404 Not Found"));
	TEST("err_printable: control bytes as \\xNN",
	    pr_is("a\nb\r\tc\x1b[2J\x7f", 99, 40,
		"a\\x0ab\\x0d\\x09c\\x1b[2J\\x7f"));
	TEST("err_printable: non-ASCII bytes as \\xNN",
	    pr_is("caf\xc3\xa9 \xff", 99, 40, "caf\\xc3\\xa9 \\xff"));
	TEST("err_printable: a backslash as \\x5c",
	    pr_is("C:\\x0a", 99, 20, "C:\\x5cx0a"));
	for (c = 1; c < 256; c++) {
		char want[5];

		one[0] = (char)c;
		one[1] = '\0';
		if (c >= 0x20 && c < 0x7f && c != '\\')
			snprintf(want, sizeof want, "%c", c);
		else
			snprintf(want, sizeof want, "\\x%02x", c);
		all = all && pr_is(one, 1, 8, want);
	}
	TEST("err_printable: every byte kept or \\xNN as documented", all);
	err_printable(buf, sizeof buf, "\n", 1);
	err_printable(buf2, sizeof buf2, "\\x0a", 4);
	TEST("err_printable: a newline and the text \\x0a read differently",
	    strcmp(buf, buf2) != 0);

	TEST("err_printable: n shorter than the string",
	    pr_is("abcdef", 3, 20, "abc"));
	TEST("err_printable: n of 0 gives an empty string",
	    pr_is("abc", 0, 20, ""));
	TEST("err_printable: stops at a NUL before n",
	    pr_is("ab\0cd", 5, 20, "ab"));
	TEST("err_printable: reads no more than n bytes",
	    pr_is(unterminated, sizeof unterminated, 20, "xyz"));

	TEST("err_printable: exact fit, no mark",
	    pr_is("abcde", 99, 6, "abcde"));
	TEST("err_printable: exact fit ending in an escape",
	    pr_is("ab\x01", 99, 7, "ab\\x01"));
	TEST("err_printable: one byte over is cut, with \"...\"",
	    pr_is("abcdef", 99, 6, "ab..."));
	TEST("err_printable: an escape is never split",
	    pr_is("ab\x01", 99, 6, "ab..."));
	TEST("err_printable: a cut after an escape keeps it whole",
	    pr_is("a\x01"
		  "bcdef",
		99, 9, "a\\x01..."));
	TEST("err_printable: dsz 4 has room for the mark only",
	    pr_is("abcd", 99, 4, "..."));
	TEST("err_printable: dsz 3 cuts without a mark",
	    pr_is("abcd", 99, 3, "ab"));
	TEST("err_printable: dsz 2 with an escape that cannot fit",
	    pr_is("\x01", 99, 2, ""));
	TEST("err_printable: dsz 1 gives an empty string",
	    pr_is("abc", 99, 1, ""));
	memset(buf, '#', sizeof buf);
	err_printable(buf, 0, "abc", 3);
	TEST("err_printable: dsz 0 writes nothing", buf[0] == '#');

	err_printable_name(buf, sizeof buf, "has space ");
	TEST("err_printable_name: spaces as \\x20",
	    strcmp(buf, "has\\x20space\\x20") == 0);
	err_printable_name(buf, sizeof buf, "new\nline\\caf\xc3\xa9");
	TEST("err_printable_name: otherwise as err_printable",
	    strcmp(buf, "new\\x0aline\\x5ccaf\\xc3\\xa9") == 0);
	memset(name, 'A', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	err_printable_name(buf, 104, name);
	TEST("err_printable_name: the caller's buffer caps a long name",
	    strlen(buf) == 103 && strspn(buf, "A") == 100 &&
		strcmp(buf + 100, "...") == 0);

	err_printable(buf, sizeof buf, "a\nb\\c\xc3\xa9", 99);
	snprintf(buf2, sizeof buf2, "%s", buf);
	err_oneline(buf2, sizeof buf2);
	TEST("err_oneline leaves err_printable's output as it is",
	    strcmp(buf, buf2) == 0);
}

static void
keep(void *arg, const char *msg)
{
	(void)arg;
	snprintf(warned, sizeof warned, "%s", msg);
}

int
main(void)
{
	struct errbuf e = {""};
	char buf[16];

	TEST("errf returns -1", errf(&e, "open %s", "x") == -1);
	TEST("errf formats", strcmp(e.msg, "open x") == 0);
	errno = ENOENT;
	errf(&e, "open %s:", "/nope");
	TEST("a trailing ':' appends strerror",
	    strcmp(e.msg, "open /nope: No such file or directory") == 0);
	TEST("errno survives errf", errno == ENOENT);
	TEST("errprefix returns -1", errprefix(&e, "compile") == -1);
	TEST("errprefix adds context",
	    strcmp(e.msg, "compile: open /nope: No such file or directory") ==
		0);
	TEST("a NULL errbuf is fine",
	    errf(NULL, "x") == -1 && errprefix(NULL, "y") == -1);

	errf(&e, "process type '%s' skipped", "web\n-----> fake");
	TEST("a newline in a quoted name cannot forge a log line",
	    strcmp(e.msg, "process type 'web\\n-----> fake' skipped") == 0);
	errf(&e, "entry '%s'", "a\rb\tc\x1b[31md\x7f");
	TEST("control characters are escaped",
	    strcmp(e.msg, "entry 'a\\rb\\tc\\x1b[31md\\x7f'") == 0);
	errf(&e, "%s", "日本語");
	TEST("UTF-8 is kept", strcmp(e.msg, "日本語") == 0);

	snprintf(buf, sizeof buf, "a\nb\nc\nd\ne\nf\ng");
	err_oneline(buf, sizeof buf);
	TEST("err_oneline cuts what no longer fits, at an escape boundary",
	    strcmp(buf, "a\\nb\\nc\\nd\\ne\\n") == 0);

	err_warnf(keep, NULL, "Procfile:%d: bad '%s'", 3, "x\ny");
	TEST("err_warnf passes one line",
	    strcmp(warned, "Procfile:3: bad 'x\\ny'") == 0);
	err_warnf(NULL, NULL, "ignored %d", 1);
	TEST("err_warnf without a receiver does nothing",
	    strcmp(warned, "Procfile:3: bad 'x\\ny'") == 0);

	buf[0] = 'k';
	err_oneline(buf, 0);
	TEST("err_oneline with size 0 writes nothing", buf[0] == 'k');
	snprintf(buf, sizeof buf, "abcdefghij\n");
	err_oneline(buf, 12);
	TEST("err_oneline: after a clean prefix, an escape that no longer "
	     "fits is dropped whole",
	    strcmp(buf, "abcdefghij") == 0);
	snprintf(buf, sizeof buf, "abcdefghi\n");
	err_oneline(buf, 12);
	TEST("err_oneline: after a clean prefix, an exact fit is kept",
	    strcmp(buf, "abcdefghi\\n") == 0);
	snprintf(buf, sizeof buf, "a\\x0a \\ b");
	err_oneline(buf, sizeof buf);
	TEST("err_oneline keeps backslashes", strcmp(buf, "a\\x0a \\ b") == 0);

	test_printable();
	return test_report();
}
