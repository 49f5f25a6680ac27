/* Unit tests for shquote, checked against a real shell: each quoted word is
 * given to `sh -c 'printf %s WORD'` and must come back byte for byte. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shquote.h"
#include "testhelp.h"

static int
roundtrip(const char *s)
{
	char *q = shquote(s), *script = NULL, buf[512];
	int fds[2], status, ok = 0;
	ssize_t n, total = 0;
	pid_t pid;

	if (q == NULL || asprintf(&script, "printf %%s %s", q) < 0 ||
	    pipe(fds) == -1)
		goto out;
	if ((pid = fork()) == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (
	    (n = read(fds[0], buf + total, sizeof buf - 1 - (size_t)total)) > 0)
		total += n;
	close(fds[0]);
	waitpid(pid, &status, 0);
	buf[total] = '\0';
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    strcmp(buf, s) == 0;
out:
	free(q);
	free(script);
	return ok;
}

int
main(void)
{
	char *q;

	q = shquote("Hello/bin/Release/Hello.exe");
	TEST("a plain path stays as it is",
	    strcmp(q, "Hello/bin/Release/Hello.exe") == 0);
	free(q);
	q = shquote("it's");
	TEST("a quote is escaped", strcmp(q, "'it'\\''s'") == 0);
	free(q);
	q = shquote("");
	TEST("the empty word is ''", strcmp(q, "''") == 0);
	free(q);
	TEST("spaces survive sh", roundtrip("My App/bin/Release/My App.exe"));
	TEST("$(...) and ; survive sh",
	    roundtrip("a; $(echo pwned) `id` $HOME"));
	TEST("quotes survive sh", roundtrip("it's \"quoted\" \\ back"));
	TEST("globs survive sh", roundtrip("*.exe ?[a]"));
	TEST("non-ASCII survives sh", roundtrip("日本語 app.exe"));
	return test_report();
}
