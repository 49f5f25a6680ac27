/* Unit tests for runtime/install_log: the lines a runtime install writes to the
 * build log (topic, cache verdicts, download), on a real cache and a real
 * failed download. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "runtime/cache.h"
#include "runtime/downloader.h"
#include "runtime/install_log.h"
#include "testfs.h"
#include "testhelp.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define STACK "heroku-22"

/* runtime_install_logged into a memory stream; returns what it wrote. */
static char *
logged_note(const struct runtime_spec *rs, const char *cache_dir,
    const char *dest, const char *note, int *rc, struct errbuf *e)
{
	struct runtime_install ri = {
	    .cache_dir = cache_dir,
	    .stack = STACK,
	    .dest = dest,
	    .note = note,
	    .downloader = &runtime_downloader_linked,
	};
	struct envdir *vars = envdir_new();
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ri.vars = vars;
	*rc = out == NULL || vars == NULL
	    ? -2
	    : runtime_install_logged(rs, &ri, out, e);
	if (out != NULL)
		fclose(out);
	envdir_free(vars);
	return text != NULL ? text : strdup("");
}

static char *
logged(const struct runtime_spec *rs, const char *cache_dir, const char *dest,
    int *rc, struct errbuf *e)
{
	return logged_note(rs, cache_dir, dest, NULL, rc, e);
}

int
main(void)
{
	struct errbuf e = {""};
	struct runtime_cache_entry c = RUNTIME_CACHE_ENTRY_INIT;
	char *root = fs_mkdtemp("/tmp", "test_runtime_install_log.", &e);
	char *cache_dir, *dest, *url, *text;
	int rc;

	if (root == NULL) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	TEST("global init", runtime_downloader_linked.global_init(&e) == 0);
	cache_dir = fs_join(root, "cache");
	dest = fs_join(root, "app/vendor/mono");
	if (asprintf(&url, "file://%s/missing.tar.gz", root) < 0)
		return 1;
	struct runtime_spec rs = {"6.8.0", url, SHA, false, &runtime_mono};

	/* A sealed entry, as an earlier build leaves it. */
	TEST("a cache entry",
	    runtime_cache_open(&c, cache_dir, "mono", STACK, rs.version, SHA,
		NULL, &e) == 0 &&
		fs_mkdir_p(at(c.path, "bin"), 0755, &e) == 0 &&
		fs_write_file_atomic(at(c.path, "bin/mono"), "ELF", 3, 0755,
		    &e) == 0 &&
		runtime_cache_seal(&c, SHA, &e) == 0);
	runtime_cache_close(&c);

	text = logged(&rs, cache_dir, dest, &rc, &e);
	TEST("hit: installs", rc == 0 && fs_exists(at(dest, "bin/mono")));
	TEST("hit: a topic, then one indented line",
	    strcmp(text,
		"-----> Installing Mono 6.8.0\n"
		"       Using the cached runtime\n") == 0);
	free(text);

	/* The entry loses a file: damaged, fetched again, and the fetch
	 * fails. */
	TEST("damage the entry",
	    runtime_cache_open(&c, cache_dir, "mono", STACK, rs.version, SHA,
		NULL, &e) == 0 &&
		unlink(at(c.path, "bin/mono")) == 0);
	runtime_cache_close(&c);
	text = logged(&rs, cache_dir, dest, &rc, &e);
	TEST("damaged: the install fails",
	    rc == -1 && !fs_exists(dest) &&
		strstr(e.msg, "missing.tar.gz") != NULL);
	TEST("damaged: says so with why, then names the download",
	    strncmp(text,
		"-----> Installing Mono 6.8.0\n"
		"       The cached runtime is damaged (",
		67) == 0 &&
		strstr(text, "); fetching it again\n") != NULL &&
		strstr(text, "\n       Downloading file://") != NULL &&
		strstr(text, "/missing.tar.gz\n") != NULL);
	free(text);

	/* A cache dir that is a file: no cache, a warning line. */
	TEST("a cache that is a file",
	    fs_write_file_atomic(at(root, "file"), "x", 1, 0644, &e) == 0);
	text = logged(&rs, at(root, "file"), dest, &rc, &e);
	TEST("unusable: a warning, then the download",
	    rc == -1 &&
		strstr(text, "\n !     Cannot use the build cache (") != NULL &&
		strstr(text, "); building without it.\n       Downloading ") !=
		    NULL);
	free(text);

	/* Node.js: its name in the topic, the caller's note under it, and
	 * what made this machine's runtime. */
	{
		struct runtime_spec ns = {"20.20.2", url, SHA, true,
		    &runtime_node};
		char *ndest = fs_join(root, "app/.heroku/node");

		TEST("node: a cache entry in its namespace",
		    runtime_cache_open(&c, cache_dir, "node", STACK, ns.version,
			SHA, NULL, &e) == 0 &&
			fs_mkdir_p(at(c.path, "bin"), 0755, &e) == 0 &&
			fs_write_file_atomic(at(c.path, "bin/node"), "ELF", 3,
			    0755, &e) == 0 &&
			runtime_cache_seal(&c, SHA, &e) == 0);
		runtime_cache_close(&c);
		text = logged_note(&ns, cache_dir, ndest,
		    "engines.node (package.json): ^20", &rc, &e);
		TEST("node: the topic names Node.js, then the note",
		    rc == 0 && fs_exists(at(ndest, "bin/node")) &&
			strcmp(text,
			    "-----> Installing Node.js 20.20.2\n"
			    "       engines.node (package.json): ^20\n"
			    "       This machine's runtime "
			    "(buildpack.local.yml, from make node-runtime)\n"
			    "       Using the cached runtime\n") == 0);
		free(text);
		free(ndest);
	}

	{
		struct errbuf h = {"GET x: 404"};

		runtime_hint_append(&runtime_mono, &h);
		TEST("hint: how to get a Mono runtime",
		    strcmp(h.msg,
			"GET x: 404 (no Mono runtime there: pack one with "
			"`make runtime` for local builds, or set MONO_URL and "
			"MONO_SHA256, or publish one and put its URL in "
			"buildpack.yml)") == 0);
		snprintf(h.msg, sizeof h.msg, "GET y: 404");
		runtime_hint_append(&runtime_node, &h);
		TEST("hint: how to get a Node.js runtime",
		    strcmp(h.msg,
			"GET y: 404 (no Node.js runtime there: pack one with "
			"`make node-runtime` for local builds, or set NODE_URL "
			"and NODE_SHA256, or publish one and put its URL in "
			"buildpack.yml)") == 0);
	}

	fs_rm_rf(root, NULL);
	free(url);
	free(dest);
	free(cache_dir);
	free(root);
	return test_report();
}
