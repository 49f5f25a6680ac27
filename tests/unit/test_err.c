/* Unit tests for the error buffer: formatting, strerror, context, and
 * messages kept to one line whatever names they quote. */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "testhelp.h"

static char warned[ERRBUF_MAX];

static void
keep(void *arg, const char *msg)
{
	(void)arg;
	snprintf(warned, sizeof warned, "%s", msg);
}

int
main(void)
{
	struct errbuf e = { "" };
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
	    strcmp(e.msg, "compile: open /nope: No such file or directory") == 0);
	TEST("a NULL errbuf is fine", errf(NULL, "x") == -1 &&
	    errprefix(NULL, "y") == -1);

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
	TEST("err_warnf passes one line", strcmp(warned, "Procfile:3: bad 'x\\ny'") == 0);
	err_warnf(NULL, NULL, "ignored %d", 1);
	TEST("err_warnf without a receiver does nothing",
	    strcmp(warned, "Procfile:3: bad 'x\\ny'") == 0);
	return test_report();
}
