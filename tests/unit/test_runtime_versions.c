/* Unit tests for runtime/versions.c: good and bad buildpack.yml files,
 * every error naming the file and line; real files in a temporary directory. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "runtime/versions.h"
#include "testhelp.h"

#define SHA_A "64c1b4e2c55d1c6b1c6b5f0e1d7a9a3f2b8e4d6c0a1b2c3d4e5f60718293a4b5"
#define SHA_B "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff"

static const char good[] =
    "# The Mono runtimes.\n"	   /* 1 */
    "default_version: \"6.8.0\"\n" /* 2 */
    "versions:\n"		   /* 3 */
    "  \"6.8.0\":\n"		   /* 4 */
    "    url: \"https://example-bucket.s3.amazonaws.com/mono/"
    "mono-6.8.0.tar.gz\"\n"			 /* 5 */
    "    sha256: \"" SHA_A "\"\n"		 /* 6 */
    "  6.12.0:   # plain scalar keys are fine\n" /* 7 */
    "    url: file:///srv/mono-6.12.0.tar.zst\n" /* 8 */
    "    sha256: " SHA_B "\n"			 /* 9 */
    "    notes: ignored\n"			 /* 10 */
    "future: ignored too\n";			 /* 11 */

static struct runtime_versions *
parse(const char *text, struct errbuf *e)
{
	struct runtime_versions *cfg = NULL;

	e->msg[0] = '\0';
	if (runtime_versions_parse(text, strlen(text), "buildpack.yml", &cfg,
		e) == -1)
		return cfg; /* NULL, checked by the callers */
	return cfg;
}

static void
test_good(void)
{
	struct errbuf e = {""};
	const struct runtime_version *v;
	struct runtime_versions *cfg;

	cfg = parse(good, &e);
	TEST("good file parses", cfg != NULL);
	if (cfg == NULL) {
		printf("# %s\n", e.msg);
		return;
	}
	TEST("two versions in file order",
	    cfg->nversions == 2 &&
		strcmp(cfg->versions[0].version, "6.8.0") == 0 &&
		strcmp(cfg->versions[1].version, "6.12.0") == 0);
	TEST("default version",
	    strcmp(runtime_versions_default(cfg), "6.8.0") == 0);
	v = runtime_versions_lookup(cfg, "Mono", NULL, &e);
	TEST("lookup of NULL gives the default", v == &cfg->versions[0]);
	TEST("url as written",
	    v != NULL &&
		strcmp(v->url,
		    "https://example-bucket.s3.amazonaws.com/mono/"
		    "mono-6.8.0.tar.gz") == 0);
	TEST("sha256 as written", v != NULL && strcmp(v->sha256, SHA_A) == 0);
	TEST("line of the version", v != NULL && v->line == 4);
	v = runtime_versions_lookup(cfg, "Mono", "6.12.0", &e);
	TEST("lookup by version",
	    v != NULL &&
		strcmp(v->url, "file:///srv/mono-6.12.0.tar.zst") == 0 &&
		v->line == 7);
	TEST("sha256 lowercased",
	    v != NULL &&
		strcmp(v->sha256,
		    "00112233445566778899aabbccddeeff00112233445566778899aabbcc"
		    "ddeeff") == 0);
	v = runtime_versions_lookup(cfg, "Mono", "6.9.9", &e);
	TEST("unknown version: NULL", v == NULL);
	TEST("unknown version: the message lists the known ones",
	    strcmp(e.msg,
		"buildpack.yml: no Mono version 6.9.9 (known: "
		"6.8.0, 6.12.0)") == 0);
	v = runtime_versions_lookup(cfg, "Node.js", "6.9.9", &e);
	TEST("unknown version: the runtime's name is the caller's",
	    v == NULL &&
		strcmp(e.msg,
		    "buildpack.yml: no Node.js version 6.9.9 (known: "
		    "6.8.0, 6.12.0)") == 0);
	v = runtime_versions_lookup(cfg, NULL, "6.9.9", &e);
	TEST("unknown version: no name at all",
	    v == NULL &&
		strcmp(e.msg,
		    "buildpack.yml: no version 6.9.9 (known: 6.8.0, "
		    "6.12.0)") == 0);
	{
		char known[16];

		runtime_versions_known(cfg, known, sizeof known);
		TEST("known: cut with ', ...' when it does not fit",
		    strcmp(known, "6.8.0, ...") == 0);
	}
	runtime_versions_free(cfg);
	runtime_versions_free(NULL);

	cfg = parse("{default_version: 6.8, versions: {6.8: {url: u, "
		    "sha256: " SHA_A "}}}",
	    &e);
	TEST("flow style, a float-looking version taken as written",
	    cfg != NULL && strcmp(cfg->default_version, "6.8") == 0 &&
		runtime_versions_lookup(cfg, "Mono", "6.8", &e) != NULL);
	runtime_versions_free(cfg);

	/* An editor or a template may leave a "---" at the end. */
	cfg =
	    parse("default_version: a\nversions:\n  a: {url: u, sha256: " SHA_A
		  "}\n---\n",
		&e);
	TEST("a stray trailing --- is accepted",
	    cfg != NULL && strcmp(cfg->default_version, "a") == 0);
	runtime_versions_free(cfg);
}

struct bad {
	const char *descr;
	const char *text;
	const char *msg;
};

static const struct bad bads[] = {
    {"missing sha256",
	"default_version: \"6.8.0\"\n"
	"versions:\n"
	"  \"6.8.0\":\n"
	"    url: \"https://x/y.tar.gz\"\n",
	"buildpack.yml:3: version 6.8.0 has no sha256"},
    {"empty sha256",
	"default_version: \"6.8.0\"\n"
	"versions:\n"
	"  \"6.8.0\":\n"
	"    url: \"https://x/y.tar.gz\"\n"
	"    sha256: \"\"\n",
	"buildpack.yml:5: version 6.8.0 has no sha256"},
    {"short sha256",
	"default_version: a\nversions:\n  a:\n    url: u\n"
	"    sha256: \"" SHA_A "\"\n  b:\n    url: u\n"
	"    sha256: abc\n",
	"buildpack.yml:8: version b: sha256 must be 64 hex digits"},
    {"sha256 with a non-hex digit",
	"default_version: a\nversions:\n  a:\n    url: u\n"
	"    sha256: g" SHA_A "\n",
	"buildpack.yml:5: version a: sha256 must be 64 hex digits"},
    {"sha256 of 65 digits",
	"default_version: a\nversions:\n  a:\n    url: u\n"
	"    sha256: 0" SHA_A "\n",
	"buildpack.yml:5: version a: sha256 must be 64 hex digits"},
    {"missing url",
	"default_version: a\nversions:\n  a:\n    sha256: " SHA_A "\n",
	"buildpack.yml:3: version a has no url"},
    {"url as a list",
	"default_version: a\nversions:\n  a:\n    url: [u]\n"
	"    sha256: " SHA_A "\n",
	"buildpack.yml:4: version a has no url"},
    {"version is not a mapping",
	"default_version: a\nversions:\n  a: https://x\n",
	"buildpack.yml:3: version a must be a mapping with url and sha256"},
    {"default_version not among the versions",
	"default_version: \"6.9\"\nversions:\n  a:\n    url: u\n"
	"    sha256: " SHA_A "\n  b:\n    url: u\n    sha256: " SHA_A "\n",
	"buildpack.yml:1: default_version 6.9 is not among the versions "
	"(known: a, b)"},
    {"no default_version",
	"versions:\n  a:\n    url: u\n    sha256: " SHA_A "\n",
	"buildpack.yml: no default_version"},
    {"default_version as a list",
	"default_version: [a]\nversions:\n  a:\n    url: u\n"
	"    sha256: " SHA_A "\n",
	"buildpack.yml:1: default_version must be a non-empty string"},
    {"no versions", "default_version: a\n", "buildpack.yml: no versions"},
    {"versions empty", "default_version: a\nversions: {}\n",
	"buildpack.yml:2: no versions listed"},
    {"versions as a list", "default_version: a\nversions:\n  - a\n",
	"buildpack.yml:2: versions must be a mapping of version to url and "
	"sha256"},
    {"version declared twice",
	"default_version: a\nversions:\n  a:\n    url: u\n"
	"    sha256: " SHA_A "\n  a:\n    url: v\n    sha256: " SHA_A "\n",
	"buildpack.yml:6: version a is declared twice (first at line 3)"},
    {"version with a path in it",
	"default_version: a\nversions:\n  ../../x:\n    url: u\n"
	"    sha256: " SHA_A "\n",
	"buildpack.yml:3: version '../../x' may only hold letters, digits, "
	"'.', '_', '+' and '-'"},
    {"empty file", "",
	"buildpack.yml: empty, expected default_version and versions"},
    {"comments only", "# nothing\n",
	"buildpack.yml: empty, expected default_version and versions"},
    {"a list at the top", "\n- a\n",
	"buildpack.yml:2: expected a mapping with default_version and "
	"versions"},
    {"syntax error",
	"default_version: a\nversions:\n  a:\n    url: \"unclosed\n",
	"buildpack.yml:5:1: found unexpected end of stream (while scanning "
	"a quoted scalar at line 4, column 10)"},
    {"tab indentation", "default_version: a\nversions:\n\ta: {}\n",
	"buildpack.yml:3:1: found character that cannot start any token "
	"(while scanning for the next token at line 3, column 1)"},
    {"a second document",
	"default_version: a\nversions:\n  a:\n    url: u\n"
	"    sha256: " SHA_A "\n---\ndefault_version: b\n",
	"buildpack.yml:7:1: a second YAML document (the file holds one)"},
    {"garbage after the document",
	"default_version: a\nversions:\n  a:\n    url: u\n"
	"    sha256: " SHA_A "\n---\n[open\n",
	"buildpack.yml:8:1: did not find expected ',' or ']' (while parsing "
	"a flow sequence at line 7, column 1)"},
};

static void
test_bad(void)
{
	struct errbuf e = {""};
	struct runtime_versions *cfg;
	char descr[160];
	size_t i;

	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		cfg = (struct runtime_versions *)(uintptr_t)1;
		e.msg[0] = '\0';
		snprintf(descr, sizeof descr, "%s: refused with \"%s\"",
		    bads[i].descr, bads[i].msg);
		TEST(descr,
		    runtime_versions_parse(bads[i].text, strlen(bads[i].text),
			"buildpack.yml", &cfg, &e) == -1 &&
			cfg == NULL && strcmp(e.msg, bads[i].msg) == 0);
		if (strcmp(e.msg, bads[i].msg) != 0)
			printf("# got: %s\n", e.msg);
	}
}

static void
test_files(void)
{
	struct errbuf e = {""};
	struct runtime_versions *cfg;
	char *dir, path[PATH_MAX];

	dir = fs_mkdtemp("/tmp", "test_runtime_versions.", &e);
	TEST("temp dir", dir != NULL);
	if (dir == NULL)
		return;
	snprintf(path, sizeof path, "%s/buildpack.yml", dir);
	TEST("missing file: error naming it",
	    runtime_versions_read(path, &cfg, &e) == -1 && cfg == NULL &&
		strstr(e.msg, path) != NULL);

	fs_write_file_atomic(path, good, strlen(good), 0644, &e);
	TEST("read from a file",
	    runtime_versions_read(path, &cfg, &e) == 0 && cfg->nversions == 2);
	runtime_versions_free(cfg);

	fs_write_file_atomic(path, bads[0].text, strlen(bads[0].text), 0644,
	    &e);
	TEST("errors from a file name its path and line",
	    runtime_versions_read(path, &cfg, &e) == -1 &&
		strncmp(e.msg, path, strlen(path)) == 0 &&
		strcmp(e.msg + strlen(path),
		    ":3: version 6.8.0 has no sha256") == 0);

	/* The buildpack's own file (tests run from the repository root). */
	cfg = NULL;
	TEST("buildpacks/mono/buildpack.yml is valid",
	    runtime_versions_read("buildpacks/mono/buildpack.yml", &cfg, &e) ==
		    0 &&
		runtime_versions_lookup(cfg, "Mono", NULL, &e) != NULL);
	if (cfg == NULL)
		printf("# %s\n", e.msg);
	runtime_versions_free(cfg);

	fs_rm_rf(dir, &e);
	free(dir);
}

static void
test_random(void)
{
	struct errbuf e = {""};
	struct runtime_versions *cfg;
	static const char *const parts[] = {
	    "default_version: ",
	    "versions:\n",
	    "  a:\n",
	    "    url: u\n",
	    "    sha256: " SHA_A "\n",
	    "a",
	    "\n",
	    " ",
	    "- ",
	    "{",
	    "}",
	    "[",
	    "]",
	    ":",
	    "&x ",
	    "*x",
	    "\"",
	    "'",
	    "#",
	    "\t",
	    "\xff",
	    "~",
	};
	char buf[1024];
	size_t round, k, ok = 0;
	uint32_t x = 42;

	/* Fragments glued at random (a fixed seed): never a crash, and any
	 * success has a usable default. */
	for (round = 0; round < 5000; round++) {
		k = 0;
		while (k < 300) {
			x = x * 1103515245 + 12345;
			const char *p =
			    parts[(x >> 16) % (sizeof parts / sizeof parts[0])];
			memcpy(buf + k, p, strlen(p));
			k += strlen(p);
			if ((x >> 8) % 7 == 0)
				break;
		}
		if (runtime_versions_parse(buf, k, NULL, &cfg, &e) == 0) {
			if (runtime_versions_lookup(cfg, "Mono", NULL, &e) ==
			    NULL)
				break;
			ok++;
			runtime_versions_free(cfg);
		}
	}
	TEST("5000 random files parsed without a crash", round == 5000);

	/* The good file with a few bytes changed. */
	for (round = 0; round < 5000; round++) {
		memcpy(buf, good, sizeof good);
		for (k = 0; k < 1 + round % 3; k++) {
			x = x * 1103515245 + 12345;
			buf[(x >> 8) % (sizeof good - 1)] = (char)(x >> 24);
		}
		if (runtime_versions_parse(buf, sizeof good - 1, NULL, &cfg,
			&e) == 0) {
			if (runtime_versions_lookup(cfg, "Mono", NULL, &e) ==
				NULL ||
			    strlen(cfg->versions[0].sha256) != 64)
				break;
			ok++;
			runtime_versions_free(cfg);
		}
	}
	TEST("5000 mutated files parsed without a crash", round == 5000);
	printf("# %zu of them were valid\n", ok);
}

int
main(void)
{
	test_good();
	test_bad();
	test_files();
	test_random();
	return test_report();
}
