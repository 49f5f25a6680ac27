/* Unit tests for pkgjson: the fields the Node.js buildpack reads, the
 * positions of JSON errors, json-c's extensions refused as JSON.parse
 * refuses them, fields of the wrong type, and reading real files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pkgjson.h"
#include "testhelp.h"
#include "testtmp.h"

/* Parses text as "package.json"; on failure NULL with the message in e. */
static struct pkgjson *
parse(const char *text, struct errbuf *e)
{
	struct pkgjson *p = NULL;

	e->msg[0] = '\0';
	if (pkgjson_parse(text, strlen(text), "package.json", &p, e) == -1)
		return NULL;
	return p;
}

static bool
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool
parse_ok(const char *text)
{
	struct errbuf e;
	struct pkgjson *p = parse(text, &e);

	if (p == NULL)
		printf("# %s\n", e.msg);
	pkgjson_free(p);
	return p != NULL;
}

/* Whether text fails with exactly msg. */
static bool
fails_with(const char *text, const char *msg)
{
	struct errbuf e;
	struct pkgjson *p = parse(text, &e);

	if (p != NULL) {
		pkgjson_free(p);
		return false;
	}
	if (strcmp(e.msg, msg) != 0) {
		printf("# got:  %s\n# want: %s\n", e.msg, msg);
		return false;
	}
	return true;
}

static void
test_fields(void)
{
	struct errbuf e;
	struct pkgjson *p;

	p = parse("{\n"
		  "  \"name\": \"app\",\n"
		  "  \"engines\": { \"node\": \"20.x\", \"npm\": \">=10\" },\n"
		  "  \"scripts\": {\n"
		  "    \"start\": \"node server.js\",\n"
		  "    \"build\": \"tsc -p .\",\n"
		  "    \"heroku-prebuild\": \"echo pre\",\n"
		  "    \"heroku-postbuild\": \"echo post\",\n"
		  "    \"heroku-cleanup\": \"rm -rf .cache\",\n"
		  "    \"test\": \"jest\"\n"
		  "  },\n"
		  "  \"dependencies\": { \"express\": \"^4.19.2\",\n"
		  "    \"connect-redis\": \"^7.1.1\", \"redis\": \"^4.6.13\" "
		  "},\n"
		  "  \"devDependencies\": { \"typescript\": \"^5.4.0\" }\n"
		  "}\n",
	    &e);
	TEST("a full package.json parses", p != NULL);
	if (p == NULL) {
		printf("# %s\n", e.msg);
		return;
	}
	TEST("engines.node", streq(p->engines_node, "20.x"));
	TEST("engines.npm", streq(p->engines_npm, ">=10"));
	TEST("scripts.start", streq(p->start, "node server.js"));
	TEST("scripts.build", streq(p->build, "tsc -p ."));
	TEST("scripts.heroku-prebuild", streq(p->heroku_prebuild, "echo pre"));
	TEST("scripts.heroku-postbuild",
	    streq(p->heroku_postbuild, "echo post"));
	TEST("scripts.heroku-cleanup",
	    streq(p->heroku_cleanup, "rm -rf .cache"));
	TEST("dependencies: 3", p->has_deps && p->ndeps == 3);
	TEST("devDependencies: 1", p->has_dev_deps && p->ndev_deps == 1);
	pkgjson_free(p);

	p = parse("{}", &e);
	TEST("{}: everything absent",
	    p != NULL && p->engines_node == NULL && p->engines_npm == NULL &&
		p->start == NULL && p->build == NULL &&
		p->heroku_prebuild == NULL && p->heroku_postbuild == NULL &&
		p->heroku_cleanup == NULL && !p->has_deps && !p->has_dev_deps &&
		p->ndeps == 0 && p->ndev_deps == 0);
	pkgjson_free(p);

	p = parse("{\"engines\": null, \"scripts\": {\"start\": null},"
		  " \"dependencies\": null}",
	    &e);
	TEST("null is absent",
	    p != NULL && p->engines_node == NULL && p->start == NULL &&
		!p->has_deps);
	pkgjson_free(p);

	p = parse("{\"engines\": {}, \"scripts\": {\"build\": \"\"},"
		  " \"dependencies\": {}, \"devDependencies\": {}}",
	    &e);
	TEST("empty objects: present, no entries",
	    p != NULL && p->engines_node == NULL && p->has_deps &&
		p->ndeps == 0 && p->has_dev_deps && p->ndev_deps == 0);
	TEST("an empty script is kept as \"\"",
	    p != NULL && streq(p->build, ""));
	pkgjson_free(p);

	p = parse("{\"engines\": {\"node\": \"18.x\"},"
		  " \"engines\": {\"node\": \"20.x\"}}",
	    &e);
	TEST("of a name given twice the last counts, as JSON.parse",
	    p != NULL && streq(p->engines_node, "20.x"));
	pkgjson_free(p);

	p = parse("\xef\xbb\xbf{\"engines\": {\"node\": \"^20\"}}", &e);
	TEST("a byte order mark is skipped",
	    p != NULL && streq(p->engines_node, "^20"));
	pkgjson_free(p);

	p = parse("{\"scripts\": {\"start\": \"echo \\\"h\\u00e9\\\"\\n\\t"
		  "\\ud83d\\ude80\"}, \"x\": [1, -2.5e3, true, false, null,"
		  " {\"deep\": [[[[]]]]}]}",
	    &e);
	TEST("escapes decoded, other values allowed",
	    p != NULL &&
		streq(p->start, "echo \"h\xc3\xa9\"\n\t\xf0\x9f\x9a\x80"));
	pkgjson_free(p);

	p = parse("{\"scripts\":{\"start\":\"node\"}}", &e);
	TEST("compact JSON", p != NULL && streq(p->start, "node"));
	pkgjson_free(p);

	p = parse(" \r\n\t{\"engines\":{\"node\":\"v20.20.2\"}} \r\n\t", &e);
	TEST("blanks around the value",
	    p != NULL && streq(p->engines_node, "v20.20.2"));
	pkgjson_free(p);
}

static void
test_deep(void)
{
	struct errbuf e;
	struct pkgjson *p;
	char buf[3000];
	int i, n = 0;

	/* 200 levels: json-c's default limit is 32, npm has none. */
	n += snprintf(buf + n, sizeof buf - (size_t)n, "{\"config\": ");
	for (i = 0; i < 200; i++)
		buf[n++] = '[';
	for (i = 0; i < 200; i++)
		buf[n++] = ']';
	snprintf(buf + n, sizeof buf - (size_t)n,
	    ", \"scripts\": "
	    "{\"start\": \"deep\"}}");
	p = parse(buf, &e);
	TEST("200 levels of nesting", p != NULL && streq(p->start, "deep"));
	pkgjson_free(p);

	n = snprintf(buf, sizeof buf, "{\"config\": ");
	for (i = 0; i < 300; i++)
		buf[n++] = '[';
	buf[n] = '\0';
	p = parse(buf, &e);
	TEST("300 levels: refused with a position",
	    p == NULL &&
		strcmp(e.msg, "package.json:1:267: nesting too deep, at '['") ==
		    0);
	if (p == NULL && strstr(e.msg, "nesting") == NULL)
		printf("# %s\n", e.msg);
}

static void
test_bad_json(void)
{
	/* json-c's own errors, at the line and column of the culprit */
	TEST("a trailing comma",
	    fails_with("{\n  \"name\": \"app\",\n}\n",
		"package.json:3:1: unexpected character, at '}'"));
	TEST("a missing comma",
	    fails_with("{\n  \"a\": 1\n  \"b\": 2\n}",
		"package.json:3:3: object value separator ',' expected, "
		"at '\"'"));
	TEST("an unquoted name",
	    fails_with("{ engines: {} }",
		"package.json:1:3: quoted object property name expected, "
		"at 'e'"));
	TEST("a comment",
	    fails_with("{\n  // the app\n  \"a\": 1\n}",
		"package.json:2:3: quoted object property name expected, "
		"at '/'"));
	TEST("a bad literal",
	    fails_with("{\"a\": tru}",
		"package.json:1:10: boolean expected, at '}'"));
	TEST("a bad escape",
	    fails_with("{\"a\": \"\\q\"}",
		"package.json:1:9: invalid string sequence, at 'q'"));
	TEST("a leading zero",
	    fails_with("{\"a\": 01}",
		"package.json:1:9: number expected, at '}'"));
	TEST("trailing text",
	    fails_with("{\"a\": 1}\n{\"b\": 2}\n",
		"package.json:2:1: unexpected character, at '{'"));
	TEST("a column counts characters, not bytes",
	    fails_with("{\"caf\xc3\xa9\xe2\x82\xac\": 1 \"x\"}",
		"package.json:1:13: object value separator ',' expected, "
		"at '\"'"));
	TEST("CRLF lines",
	    fails_with("{\r\n\"a\": 1,\r\n}\r\n",
		"package.json:3:1: unexpected character, at '}'"));
	TEST("cut short",
	    fails_with("{\n  \"scripts\": {\n    \"start\": \"n",
		"package.json:3:16: unexpected end of file"));
	TEST("cut short after a value",
	    fails_with("{\"a\": [1, 2]\n",
		"package.json:2:1: unexpected end of file"));
	TEST("an empty file",
	    fails_with("",
		"package.json:1:1: no JSON value (the file is empty)"));
	TEST("a blank file",
	    fails_with("\n\n  ",
		"package.json:3:3: no JSON value (the file is empty)"));

	/* json-c's extensions, which JSON.parse (npm) refuses */
	TEST("a single-quoted name",
	    fails_with("{\n  'name': \"app\"\n}",
		"package.json:2:3: a single-quoted string; JSON has only \", "
		"at '''"));
	TEST("NaN",
	    fails_with("{\"a\": NaN}",
		"package.json:1:7: NaN or Infinity, which JSON does not have, "
		"at 'N'"));
	TEST("-Infinity",
	    fails_with("{\"a\": [1, -Infinity]}",
		"package.json:1:12: NaN or Infinity, which JSON does not have, "
		"at 'I'"));
	TEST("1.",
	    fails_with("{\"a\": 1.}",
		"package.json:1:7: a number JSON does not allow, at '1'"));
	TEST("1.e5",
	    fails_with("{\"a\": [0, 1.e5]}",
		"package.json:1:11: a number JSON does not allow, at '1'"));
	TEST("-.5",
	    fails_with("{\"a\": -.5}",
		"package.json:1:7: a number JSON does not allow, at '-'"));
	TEST("00",
	    fails_with("{\"a\": 00}",
		"package.json:1:7: a number JSON does not allow, at '0'"));
	TEST("-01",
	    fails_with("{\"a\": -01}",
		"package.json:1:7: a number JSON does not allow, at '-'"));
	TEST("numbers JSON allows",
	    parse_ok("{\"a\": [0, -0, 10, -0.0e-0, "
		     "1E5, 2.50, 3e+10, -99.125E-2]}"));
	TEST("a raw newline in a string",
	    fails_with("{\"start\": \"node\n"
		       "server.js\"}",
		"package.json:1:16: a control character inside a "
		"string (write it as \\n, \\t or \\u00XX), at '\\x0a'"));
	TEST("a raw tab in a string",
	    fails_with("{\"a\": \"x\ty\"}",
		"package.json:1:9: a control character inside a string (write "
		"it "
		"as \\n, \\t or \\u00XX), at '\\x09'"));
	TEST("a form feed between values",
	    fails_with("{\"a\":\f1}",
		"package.json:1:6: unexpected character, at '\\x0c'"));
	TEST("quotes and escapes inside strings are not extensions",
	    fails_with("{\"a\": \"it's \\\"NaN\\\" 1. Infinity\", \"b\": 'x'}",
		"package.json:1:40: unexpected character, at '''"));
}

static void
test_nul(void)
{
	static const char text[] = "{\"a\": 1}\0";
	static const char esc[] = "{\"scripts\": {\"start\": \"a\\u0000b\"}}";
	struct pkgjson *p = NULL;
	struct errbuf e;

	TEST("a NUL after the value",
	    pkgjson_parse(text, sizeof text - 1, "package.json", &p, &e) ==
		    -1 &&
		p == NULL &&
		strcmp(e.msg,
		    "package.json:1:9: a character JSON does not "
		    "allow here, at '\\x00'") == 0);
	TEST("\\u0000 in a field is refused",
	    pkgjson_parse(esc, sizeof esc - 1, "package.json", &p, &e) == -1 &&
		strcmp(e.msg,
		    "package.json: scripts.start holds a NUL "
		    "character") == 0);
	/* Not NUL-terminated: the parser must stop at len. */
	TEST("a buffer without a NUL",
	    pkgjson_parse("{}xxxx", 2, "p", &p, &e) == 0 && p != NULL);
	pkgjson_free(p);
	p = NULL;
	TEST("a blank buffer without a NUL",
	    pkgjson_parse("   xxxx", 3, "p", &p, &e) == -1 &&
		strcmp(e.msg,
		    "p:1:4: no JSON value (the file is "
		    "empty)") == 0);
}

static void
test_types(void)
{
	TEST("an array",
	    fails_with("[1, 2]",
		"package.json: the JSON value is an array, not an object"));
	TEST("a string",
	    fails_with("\"app\"",
		"package.json: the JSON value is a string, not an object"));
	TEST("a number at the end of the file",
	    fails_with("123",
		"package.json: the JSON value is a number, not an object"));
	TEST("null",
	    fails_with("null",
		"package.json: the JSON value is null, not an object"));
	TEST("engines.node a number",
	    fails_with("{\"engines\": {\"node\": 20}}",
		"package.json: engines.node is a number, not a string"));
	TEST("engines.node an array",
	    fails_with("{\"engines\": {\"node\": [\"20\"]}}",
		"package.json: engines.node is an array, not a string"));
	TEST("engines a string",
	    fails_with("{\"engines\": \"node 20\"}",
		"package.json: \"engines\" is a string, not an object"));
	TEST("scripts an array",
	    fails_with("{\"scripts\": []}",
		"package.json: \"scripts\" is an array, not an object"));
	TEST("a script a boolean",
	    fails_with("{\"scripts\": {\"heroku-postbuild\": true}}",
		"package.json: scripts.heroku-postbuild is a boolean, not a "
		"string"));
	TEST("dependencies an array",
	    fails_with("{\"dependencies\": []}",
		"package.json: \"dependencies\" is an array, not an object"));
	TEST("devDependencies a number",
	    fails_with("{\"devDependencies\": 1}",
		"package.json: \"devDependencies\" is a number, not an "
		"object"));
}

static void
test_position(void)
{
	unsigned long line, col;
	const char *s = "ab\ncd\xc3\xa9"
			"e\n\nf";

	pkgjson_position(s, strlen(s), 0, &line, &col);
	TEST("offset 0 is 1:1", line == 1 && col == 1);
	pkgjson_position(s, strlen(s), 2, &line, &col);
	TEST("the newline itself ends line 1", line == 1 && col == 3);
	pkgjson_position(s, strlen(s), 3, &line, &col);
	TEST("after a newline: 2:1", line == 2 && col == 1);
	pkgjson_position(s, strlen(s), 7, &line, &col);
	TEST("a two-byte character is one column", line == 2 && col == 4);
	pkgjson_position(s, strlen(s), 9, &line, &col);
	TEST("an empty line", line == 3 && col == 1);
	pkgjson_position(s, strlen(s), 1000, &line, &col);
	TEST("past the end is the end", line == 4 && col == 2);
}

static void
test_read(void)
{
	struct pkgjson *p = NULL;
	struct errbuf e;
	char *root = tpath("."), *path, *big;
	size_t n = PKGJSON_MAX + 10;

	put("package.json", "{\"engines\": {\"node\": \"20.x\"}}\n", 0644);
	TEST("read a file",
	    pkgjson_read(root, "package.json", &p, &e) == 0 && p != NULL &&
		streq(p->engines_node, "20.x"));
	pkgjson_free(p);

	put("bad.json", "{\n\"engines\": {\"node\": \"20.x\"\n}\n", 0644);
	errno = ENOENT;
	TEST("a bad file: the message names it, errno EINVAL (not a stale "
	     "ENOENT: the caller would call it missing)",
	    pkgjson_read(root, "bad.json", &p, &e) == -1 && p == NULL &&
		errno == EINVAL &&
		strcmp(e.msg, "bad.json:4:1: unexpected end of file") == 0);

	errno = 0;
	TEST("a missing file: ENOENT, named",
	    pkgjson_read(root, "missing.json", &p, &e) == -1 &&
		errno == ENOENT && strstr(e.msg, "missing.json") != NULL);

	path = tpath("dir.json");
	TEST("mkdir", mkdir(path, 0755) == 0);
	TEST("a directory is refused",
	    pkgjson_read(root, "dir.json", &p, &e) == -1 && p == NULL);
	free(path);

	path = tpath("out.json");
	TEST("a link out of the app made", symlink("/etc/passwd", path) == 0);
	errno = 0;
	TEST("a package.json linked out of the app is refused (EXDEV)",
	    pkgjson_read(root, "out.json", &p, &e) == -1 && p == NULL &&
		errno == EXDEV && strstr(e.msg, "out.json") != NULL);
	free(path);

	big = malloc(n + 1);
	TEST("malloc", big != NULL);
	if (big == NULL)
		return;
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	put("big.json", big, 0644);
	path = tpath("big.json");
	TEST("a file over PKGJSON_MAX is refused",
	    pkgjson_read(root, "big.json", &p, &e) == -1 && p == NULL);
	TEST("pkgjson_parse refuses it too",
	    pkgjson_parse(big, n, "big", &p, &e) == -1 &&
		strstr(e.msg, "larger than") != NULL);
	free(path);
	free(big);
	free(root);
	pkgjson_free(NULL);
}

int
main(void)
{
	if (tmp_init("test_pkgjson") == -1)
		return 1;
	test_fields();
	test_deep();
	test_bad_json();
	test_nul();
	test_types();
	test_position();
	test_read();
	tmp_done();
	return test_report();
}
