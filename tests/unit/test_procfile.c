/* Unit tests for procfile: parsing edge cases, warnings with line numbers,
 * reading real files, and the list operations release and slugc use. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "procfile.h"
#include "testhelp.h"
#include "testwarn.h"

static struct procfile *
parse(const char *text, struct warns *w)
{
	struct errbuf e = {""};
	struct procfile *p = NULL;

	memset(w, 0, sizeof *w);
	if (procfile_parse(text, strlen(text), "Procfile", &p, collect, w,
		&e) == -1)
		return NULL;
	return p;
}

static bool
is(const struct procfile *p, size_t i, const char *name, const char *cmd)
{
	return p != NULL && i < p->ntypes &&
	    strcmp(p->types[i].name, name) == 0 &&
	    strcmp(p->types[i].command, cmd) == 0;
}

static void
test_basic(void)
{
	struct procfile *p;
	struct warns w;

	p = parse("web: bundle exec rackup -p $PORT\n"
		  "worker: rake jobs:work\n",
	    &w);
	TEST("two types parsed", p != NULL && p->ntypes == 2);
	TEST("first type in order",
	    is(p, 0, "web", "bundle exec rackup -p $PORT"));
	TEST("second type in order", is(p, 1, "worker", "rake jobs:work"));
	TEST("no warnings on a good file", w.n == 0);
	TEST("get finds a type",
	    strcmp(procfile_get(p, "worker"), "rake jobs:work") == 0);
	TEST("get of a missing type is NULL", procfile_get(p, "clock") == NULL);
	procfile_free(p);

	p = parse("", &w);
	TEST("empty file: no types, no warnings",
	    p != NULL && p->ntypes == 0 && w.n == 0);
	procfile_free(p);

	p = parse("# only\n\n   \n\t\n  # comments\r\n", &w);
	TEST("comments and blank lines only: no types, no warnings",
	    p != NULL && p->ntypes == 0 && w.n == 0);
	procfile_free(p);

	p = parse("web: no newline at end", &w);
	TEST("last line without a newline",
	    p != NULL && p->ntypes == 1 &&
		is(p, 0, "web", "no newline at end"));
	procfile_free(p);
}

static void
test_bytes_kept(void)
{
	struct procfile *p;
	struct warns w;

	p = parse("web: cmd --bind 0.0.0.0:$PORT a:b: c\n"
		  "hash: run # not a comment\n"
		  "quotes: sh -c \"echo 'hi' \\\"there\\\"\"\n"
		  "tabs:\t\tcmd\targ\n"
		  "tight:cmd\n"
		  "trail: cmd  \t\n"
		  "utf8: echo 日本語 ünïcödé ✓\n"
		  "Web-2_x: ok\n"
		  "dollar: exec $HOME/bin/x ${FOO:-bar} `date`\n",
	    &w);
	TEST("nine types", p != NULL && p->ntypes == 9);
	TEST("colons in the command kept",
	    is(p, 0, "web", "cmd --bind 0.0.0.0:$PORT a:b: c"));
	TEST("' #' is part of the command",
	    is(p, 1, "hash", "run # not a comment"));
	TEST("quotes and backslashes kept",
	    is(p, 2, "quotes", "sh -c \"echo 'hi' \\\"there\\\"\""));
	TEST("tabs after the colon skipped, inner tabs kept",
	    is(p, 3, "tabs", "cmd\targ"));
	TEST("no blank after the colon", is(p, 4, "tight", "cmd"));
	TEST("trailing blanks kept", is(p, 5, "trail", "cmd  \t"));
	TEST("UTF-8 kept byte for byte",
	    is(p, 6, "utf8", "echo 日本語 ünïcödé ✓"));
	TEST("names with '-', '_', digits, capitals",
	    is(p, 7, "Web-2_x", "ok"));
	TEST("shell syntax kept",
	    is(p, 8, "dollar", "exec $HOME/bin/x ${FOO:-bar} `date`"));
	TEST("no warnings", w.n == 0);
	procfile_free(p);
}

static void
test_crlf_bom(void)
{
	struct procfile *p;
	struct warns w;

	p = parse("\xef\xbb\xbfweb: a b\r\nworker: c\r\n\r\n# x\r\n", &w);
	TEST("BOM and CRLF: two types", p != NULL && p->ntypes == 2);
	TEST("BOM dropped, CR dropped", is(p, 0, "web", "a b"));
	TEST("CRLF on the second line", is(p, 1, "worker", "c"));
	TEST("CRLF: no warnings", w.n == 0);
	procfile_free(p);

	p = parse("web: a\rb\r\r\n", &w);
	TEST("only the CR of the line ending is dropped",
	    is(p, 0, "web", "a\rb\r"));
	procfile_free(p);
}

static void
test_bad_lines(void)
{
	struct procfile *p;
	struct warns w;

	p = parse("web: a\n"		   /* 1 */
		  "\n"			   /* 2 */
		  "this is not a type\n"   /* 3 */
		  " web2: leading blank\n" /* 4 */
		  "bad name: x\n"	   /* 5 */
		  "foo :bar\n"		   /* 6 */
		  "empty:\n"		   /* 7 */
		  "blank:   \t\n"	   /* 8 */
		  ": nameless\n"	   /* 9 */
		  "wéb: accent\n"	   /* 10 */
		  "worker: b\n",	   /* 11 */
	    &w);
	TEST("good lines kept around bad ones",
	    p != NULL && p->ntypes == 2 && is(p, 0, "web", "a") &&
		is(p, 1, "worker", "b"));
	TEST("one warning per bad line", w.n == 8);
	TEST("warnings name the file and line",
	    strcmp(w.buf,
		"Procfile:3: not 'name: command'\n"
		"Procfile:4: not 'name: command'\n"
		"Procfile:5: not 'name: command'\n"
		"Procfile:6: not 'name: command'\n"
		"Procfile:7: process type 'empty' has no command\n"
		"Procfile:8: process type 'blank' has no command\n"
		"Procfile:9: not 'name: command'\n"
		"Procfile:10: not 'name: command'\n") == 0);
	procfile_free(p);

	{
		/* The real length: strlen() would stop at the NUL. */
		static const char buf[] = "web: a\nnul: b\0c\nw: ok\n";
		struct errbuf e = {""};

		memset(&w, 0, sizeof w);
		TEST("NUL byte: parse succeeds",
		    procfile_parse(buf, sizeof buf - 1, "Procfile", &p, collect,
			&w, &e) == 0);
		TEST("NUL byte: that line skipped",
		    p->ntypes == 2 && is(p, 0, "web", "a") &&
			is(p, 1, "w", "ok"));
		TEST("NUL byte: warned with its line",
		    strcmp(w.buf, "Procfile:2: NUL byte in line, skipped\n") ==
			0);
		procfile_free(p);
	}

	{
		struct errbuf e = {""};

		TEST("warn callback may be NULL",
		    procfile_parse("x\nweb: a\n", 9, NULL, &p, NULL, NULL,
			&e) == 0 &&
			p->ntypes == 1);
		procfile_free(p);
	}
}

static void
test_duplicates(void)
{
	struct procfile *p;
	struct warns w;

	p = parse("web: first\nworker: w\nweb: second\n", &w);
	TEST("duplicate: one entry", p != NULL && p->ntypes == 2);
	TEST("duplicate: last command wins, first position kept",
	    is(p, 0, "web", "second") && is(p, 1, "worker", "w"));
	TEST("duplicate: warned with the line",
	    strcmp(w.buf,
		"Procfile:3: process type 'web' is declared again, the last "
		"one "
		"wins\n") == 0);
	procfile_free(p);
}

static void
test_long_and_random(void)
{
	struct errbuf e = {""};
	struct procfile *p;
	struct warns w;
	char *buf;
	size_t i, n = 10 * 1024, round;
	uint32_t x = 12345;

	buf = malloc(n + 32);
	memcpy(buf, "web: ", 5);
	for (i = 5; i < n; i++)
		buf[i] = "abc :#\"'\\\t-x"[(i - 5) % 12];
	buf[n] = '\0';
	p = parse(buf, &w);
	TEST("10 KiB command kept whole",
	    p != NULL && p->ntypes == 1 &&
		strlen(p->types[0].command) == n - 5 &&
		memcmp(p->types[0].command, buf + 5, n - 5) == 0);
	procfile_free(p);

	/* Random bytes (a fixed seed): never a crash, every type valid. */
	for (round = 0; round < 2000; round++) {
		size_t len = 1 + round % 200;
		bool ok = true;

		for (i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = "web:x \n\r#\t\0\xc3\xa9-_:"[(x >> 16) % 16];
		}
		if (procfile_parse(buf, len, "Procfile", &p, NULL, NULL, &e) ==
		    -1) {
			TEST("random input parses", 0);
			break;
		}
		for (i = 0; i < p->ntypes; i++)
			ok = ok && procfile_name_ok(p->types[i].name) &&
			    p->types[i].command[0] != '\0' &&
			    p->types[i].command[0] != ' ' &&
			    strchr(p->types[i].command, '\n') == NULL;
		procfile_free(p);
		if (!ok) {
			TEST("random input gives only valid types", 0);
			break;
		}
	}
	TEST("2000 random inputs parsed without a crash", round == 2000);
	free(buf);
}

static void
test_list_ops(void)
{
	struct errbuf e = {""};
	struct procfile *defaults, *pf, *m, *back;
	struct warns w;
	char *text;
	size_t len;

	defaults = procfile_new();
	TEST("set appends",
	    procfile_set(defaults, "web", "mono app.exe", &e) == 0 &&
		procfile_set(defaults, "console", "csharp", &e) == 0);
	TEST("set refuses a bad name",
	    procfile_set(defaults, "we b", "x", &e) == -1 &&
		strcmp(e.msg,
		    "invalid process type name 'we\\x20b' (allowed: "
		    "letters, digits, '_' and '-')") == 0);
	TEST("set refuses an empty name",
	    procfile_set(defaults, "", "x", &e) == -1);
	pf = parse("worker: w\nweb: custom\n", &w);

	m = procfile_dup(defaults, &e);
	TEST("dup copies",
	    m != NULL && m->ntypes == 2 && is(m, 0, "web", "mono app.exe") &&
		m->types[0].name != defaults->types[0].name);
	TEST("merge: Procfile wins type by type",
	    procfile_merge(m, pf, &e) == 0 && m->ntypes == 3 &&
		is(m, 0, "web", "custom") && is(m, 1, "console", "csharp") &&
		is(m, 2, "worker", "w"));
	TEST("merge left the defaults alone",
	    is(defaults, 0, "web", "mono app.exe"));
	TEST("merge of NULL is a no-op",
	    procfile_merge(m, NULL, &e) == 0 && m->ntypes == 3);

	text = procfile_format(m, &len, &e);
	TEST("format",
	    text != NULL &&
		strcmp(text, "web: custom\nconsole: csharp\nworker: w\n") ==
		    0 &&
		len == strlen(text));
	back = text ? parse(text, &w) : NULL;
	TEST("format then parse gives the same list",
	    back != NULL && back->ntypes == 3 && is(back, 0, "web", "custom") &&
		is(back, 1, "console", "csharp") && is(back, 2, "worker", "w"));
	free(text);
	procfile_free(back);

	procfile_set(m, "multi", "a\nb", &e);
	text = procfile_format(m, NULL, &e);
	TEST("format refuses a command spanning lines",
	    text == NULL && strstr(e.msg, "multi") != NULL);
	free(text);
	text = procfile_format(NULL, &len, &e);
	TEST("format of NULL is empty",
	    text != NULL && *text == '\0' && len == 0);
	free(text);

	TEST("name_ok",
	    procfile_name_ok("a-B_9") && !procfile_name_ok("a.b") &&
		!procfile_name_ok("") && !procfile_name_ok(NULL));
	procfile_free(m);
	procfile_free(pf);
	procfile_free(defaults);
	procfile_free(NULL);
}

static void
test_read(void)
{
	struct errbuf e = {""};
	struct procfile *p;
	struct warns w;
	char *dir, path[PATH_MAX], *big;
	bool absent;

	dir = fs_mkdtemp("/tmp", "test_procfile.", &e);
	TEST("temp dir", dir != NULL);
	if (dir == NULL)
		return;

	snprintf(path, sizeof path, "%s/Procfile", dir);
	absent = false;
	TEST("missing Procfile is not an error",
	    procfile_read(path, "Procfile", &p, &absent, collect, &w, &e) == 0);
	TEST("missing Procfile: flagged absent, empty list",
	    absent && p != NULL && p->ntypes == 0);
	procfile_free(p);

	fs_write_file_atomic(path, "web: a\nbad\n", 11, 0644, &e);
	memset(&w, 0, sizeof w);
	TEST("existing Procfile read",
	    procfile_read(path, "Procfile", &p, &absent, collect, &w, &e) ==
		    0 &&
		!absent && is(p, 0, "web", "a"));
	TEST("warnings use the display name",
	    strcmp(w.buf, "Procfile:2: not 'name: command'\n") == 0);
	procfile_free(p);

	memset(&w, 0, sizeof w);
	TEST("NULL name: warnings use the path",
	    procfile_read(path, NULL, &p, NULL, collect, &w, &e) == 0 &&
		strncmp(w.buf, path, strlen(path)) == 0 &&
		strstr(w.buf, "Procfile:2: not") != NULL);
	procfile_free(p);

	unlink(path);
	mkdir(path, 0755);
	TEST("a directory named Procfile is an error",
	    procfile_read(path, "Procfile", &p, &absent, NULL, NULL, &e) ==
		    -1 &&
		p == NULL && strstr(e.msg, path) != NULL);
	rmdir(path);

	big = calloc(1, PROCFILE_MAX + 2);
	memset(big, '#', PROCFILE_MAX + 1);
	fs_write_file_atomic(path, big, PROCFILE_MAX + 1, 0644, &e);
	TEST("a Procfile over the size cap is an error",
	    procfile_read(path, "Procfile", &p, NULL, NULL, NULL, &e) == -1 &&
		strstr(e.msg, path) != NULL);
	free(big);

	fs_rm_rf(dir, &e);
	free(dir);
}

/* The app's own Procfile: links inside are followed, links out refused,
 * and what is outside never parsed (no warning quotes its lines). */
static void
test_load_beneath(void)
{
	struct errbuf e = {""};
	struct procfile *p;
	struct warns w;
	char *dir, app[PATH_MAX / 2], path[PATH_MAX];
	bool absent;

	dir = fs_mkdtemp("/tmp", "test_procfile.", &e);
	TEST("temp dir", dir != NULL);
	if (dir == NULL)
		return;
	snprintf(app, sizeof app, "%s/app", dir);
	snprintf(path, sizeof path, "%s/config", app);
	TEST("app dirs", fs_mkdir_p(path, 0755, &e) == 0);
	snprintf(path, sizeof path, "%s/secret", dir);
	fs_write_file_atomic(path, "root:SECRETHASH:1\n", 18, 0600, &e);
	snprintf(path, sizeof path, "%s/config/Procfile", app);
	fs_write_file_atomic(path, "web: inside\n", 12, 0644, &e);

	absent = false;
	memset(&w, 0, sizeof w);
	TEST("no Procfile: absent, empty, no error",
	    procfile_load_beneath(app, "Procfile", &p, &absent, collect, &w,
		&e) == 0 &&
		absent && p != NULL && p->ntypes == 0);
	procfile_free(p);

	snprintf(path, sizeof path, "%s/Procfile", app);
	TEST("link inside", symlink("config/Procfile", path) == 0);
	memset(&w, 0, sizeof w);
	TEST("a Procfile linked inside the app is read",
	    procfile_load_beneath(app, "Procfile", &p, &absent, collect, &w,
		&e) == 0 &&
		!absent && is(p, 0, "web", "inside") && w.n == 0);
	procfile_free(p);

	unlink(path);
	TEST("link out", symlink("../secret", path) == 0);
	memset(&w, 0, sizeof w);
	TEST("a Procfile linked out of the app is refused, one line",
	    procfile_load_beneath(app, "Procfile", &p, &absent, collect, &w,
		&e) == -1 &&
		p == NULL && errno == EXDEV &&
		strcmp(e.msg,
		    "Procfile: a symlink out of the app's directory, "
		    "refused") == 0);
	TEST("nothing of the file outside is parsed or quoted", w.n == 0);

	fs_rm_rf(dir, &e);
	free(dir);
}

/* procfile_names: the build log's "web, worker" lists. */
static void
test_names(void)
{
	struct procfile *p, *except;
	struct warns w;
	char buf[64], tiny[8];

	p = parse("web: a\nworker: b\nclock: c\n", &w);
	except = parse("worker: x\n", &w);
	procfile_names(p, NULL, buf, sizeof buf);
	TEST("names: all, in order", strcmp(buf, "web, worker, clock") == 0);
	procfile_names(p, except, buf, sizeof buf);
	TEST("names: except's types left out", strcmp(buf, "web, clock") == 0);
	procfile_names(except, p, buf, sizeof buf);
	TEST("names: none left is empty", buf[0] == '\0');
	procfile_names(p, NULL, tiny, sizeof tiny);
	TEST("names: cut to the buffer, terminated",
	    strcmp(tiny, "web, wo") == 0);
	procfile_free(p);
	procfile_free(except);
}

/* procfile_complete on real files in a temporary app directory. */
static void
test_complete(void)
{
	struct errbuf e = {""};
	struct procfile *pf, *all;
	struct warns w;
	char *dir, app[PATH_MAX / 2], path[PATH_MAX], *text;
	struct stat st0, st1;
	size_t len;
	bool absent;
	int rc;

	dir = fs_mkdtemp("/tmp", "test_procfile.", &e);
	TEST("complete: temp dir", dir != NULL);
	if (dir == NULL)
		return;
	snprintf(app, sizeof app, "%s/app", dir);
	TEST("complete: app dir", fs_mkdir_p(app, 0755, &e) == 0);
	snprintf(path, sizeof path, "%s/Procfile", app);
	/* The app's own line without a final newline, a comment kept. */
	fs_write_file_atomic(path, "# mine\nweb:  ./run", 18, 0644, &e);
	all = parse("web: default-web\nworker: default-worker\n", &w);
	TEST("complete: read the app's Procfile",
	    procfile_load_beneath(app, "Procfile", &pf, &absent, NULL, NULL,
		&e) == 0);
	memset(&w, 0, sizeof w);
	rc = procfile_complete(app, "Procfile", pf, all, collect, &w, &e);
	text = fs_read_file(path, 4096, &len, &e);
	TEST("complete: missing types appended, the app's bytes kept",
	    rc == 0 && text != NULL &&
		strcmp(text, "# mine\nweb:  ./run\nworker: default-worker\n") ==
		    0);
	TEST("complete: no warning", w.n == 0);
	free(text);
	procfile_free(pf);

	/* Complete already: the file is not written again. */
	TEST("complete: reread",
	    procfile_load_beneath(app, "Procfile", &pf, &absent, NULL, NULL,
		&e) == 0);
	TEST("complete: stat before", stat(path, &st0) == 0);
	rc = procfile_complete(app, "Procfile", pf, all, collect, &w, &e);
	/* An atomic write would have put a new inode there. */
	TEST("complete: nothing to add writes nothing",
	    rc == 0 && stat(path, &st1) == 0 && st1.st_ino == st0.st_ino);
	procfile_free(pf);

	/* No Procfile: made of the defaults. */
	unlink(path);
	pf = procfile_new();
	rc = procfile_complete(app, "Procfile", pf, all, collect, &w, &e);
	text = fs_read_file(path, 4096, &len, &e);
	TEST("complete: an absent Procfile is created",
	    rc == 0 && text != NULL &&
		strcmp(text, "web: default-web\nworker: default-worker\n") ==
		    0);
	free(text);

	/* A default that spans lines cannot go in: a warning, no file. */
	unlink(path);
	TEST("complete: multi-line default",
	    procfile_set(all, "clock", "a\nb", &e) == 0);
	memset(&w, 0, sizeof w);
	rc = procfile_complete(app, "Procfile", pf, all, collect, &w, &e);
	TEST("complete: an unwritable type warns, not fails",
	    rc == 0 && w.n == 1 &&
		strstr(w.buf, "Procfile not completed: process type clock") ==
		    w.buf);
	TEST("complete: and leaves the file alone", !fs_exists(path));
	procfile_free(pf);

	/* An unreadable Procfile (a directory) is an error naming it. */
	TEST("complete: Procfile a directory", mkdir(path, 0755) == 0);
	procfile_free(all);
	all = parse("web: w\n", &w);
	pf = procfile_new();
	errno = 0;
	rc = procfile_complete(app, "Procfile", pf, all, collect, &w, &e);
	TEST("complete: an unreadable Procfile fails",
	    rc == -1 && strstr(e.msg, "Procfile") != NULL);
	procfile_free(pf);
	procfile_free(all);
	fs_rm_rf(dir, &e);
	free(dir);
}

int
main(void)
{
	test_basic();
	test_bytes_kept();
	test_crlf_bom();
	test_bad_lines();
	test_duplicates();
	test_long_and_random();
	test_list_ops();
	test_read();
	test_load_beneath();
	test_names();
	test_complete();
	return test_report();
}
