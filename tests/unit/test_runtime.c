/* Unit tests for runtime: which runtime the config vars and buildpack.yml
 * pick, and runtime_install's paths through the cache (cold, warm, damaged,
 * unsealed, unusable, a bad download) on file:// tarballs, with the linked
 * downloader; and that a cache hit never needs the downloader's shared
 * object, while a miss without one fails naming it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "envdir.h"
#include "fsutil.h"
#include "runtime/downloader.h"
#include "runtime/runtime.h"
#include "testfs.h"
#include "testhelp.h"
#include "testmount.h"
#include "testtar.h"

static char *tmp;

/* A .tar.gz of a small runtime: directories, two files, a symlink. */
static int
mk_tarball(const char *file, char sha[DIGEST_HEX_SIZE])
{
	static const struct tar_ent ents[] = {
	    {"bin", AE_IFDIR, 0755, NULL, 0, NULL},
	    {"bin/mono", AE_IFREG, 0755, "#!mono\n", 0, NULL},
	    {"bin/mono-sgen", AE_IFLNK, 0777, NULL, 0, "mono"},
	    {"lib", AE_IFDIR, 0755, NULL, 0, NULL},
	    {"lib/mono", AE_IFDIR, 0755, NULL, 0, NULL},
	    {"lib/mono/mscorlib.dll", AE_IFREG, 0644, "MZ mscorlib", 0, NULL},
	};

	return tgz_write(file, ents, sizeof ents / sizeof ents[0], sha);
}

/* What runtime_install told us, in order. */
struct seen {
	char log[4096];
	int progress;
};

static void
on_event(void *arg, enum runtime_event ev, const char *detail)
{
	static const char *const names[] = {"wait", "hit", "unusable",
	    "damaged", "download"};
	struct seen *s = arg;
	size_t len = strlen(s->log);

	snprintf(s->log + len, sizeof s->log - len, "%s%s%s;", names[ev],
	    detail ? ":" : "", detail ? detail : "");
}

static void
on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct seen *s = arg;

	(void)done;
	(void)total;
	s->progress++;
}

/* Entries in dir, "." and ".." aside; -1 when it cannot be read. */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static bool
has_runtime(const char *dir)
{
	char target[16];
	ssize_t n = readlink(at(dir, "bin/mono-sgen"), target, sizeof target);
	size_t len;
	char *p =
	    fs_read_file(at(dir, "lib/mono/mscorlib.dll"), 64, &len, NULL);
	bool ok = p != NULL && len == 11 && memcmp(p, "MZ mscorlib", 11) == 0 &&
	    n == 4 && memcmp(target, "mono", 4) == 0 &&
	    access(at(dir, "bin/mono"), X_OK) == 0;

	free(p);
	return ok;
}

/* runtime_resolve for Mono, as the Mono buildpack asks. */
static int
resolve(const struct envdir *vars, const char *yml, const char *local,
    struct runtime_spec *rs, struct errbuf *e)
{
	struct runtime_want w = {
	    .kind = &runtime_mono,
	    .vars = vars,
	    .versions_path = yml,
	    .local_path = local,
	};

	return runtime_resolve(&w, rs, e);
}

static void
test_resolve(void)
{
	struct envdir *v = envdir_new();
	struct runtime_spec rs = {NULL, NULL, NULL, false, NULL};
	struct errbuf e = {""};
	char *yml = fs_join(tmp, "buildpack.yml");
	static const char text[] =
	    "default_version: \"6.8\"\n"
	    "versions:\n"
	    "  \"6.8\":\n"
	    "    url: \"https://example.com/mono-6.8.tar.zst\"\n"
	    "    sha256: \""
	    "ABCDEF0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789"
	    "\"\n"
	    "  \"6.12\":\n"
	    "    url: \"https://example.com/mono-6.12.tar.zst\"\n"
	    "    sha256: \""
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "\"\n";

	fs_write_file_atomic(yml, text, sizeof text - 1, 0644, NULL);
	TEST("resolve: the default version from buildpack.yml",
	    resolve(v, yml, NULL, &rs, &e) == 0 &&
		strcmp(rs.version, "6.8") == 0 &&
		strcmp(rs.url, "https://example.com/mono-6.8.tar.zst") == 0 &&
		strcmp(rs.sha256,
		    "abcdef0123456789abcdef0123456789"
		    "abcdef0123456789abcdef0123456789") == 0);
	runtime_spec_free(&rs);
	envdir_set(v, "MONO_VERSION", "6.12", &e);
	TEST("resolve: MONO_VERSION picks another",
	    resolve(v, yml, NULL, &rs, &e) == 0 &&
		strcmp(rs.url, "https://example.com/mono-6.12.tar.zst") == 0);
	runtime_spec_free(&rs);
	{
		char *local = fs_join(tmp, "buildpack.local.yml");
		static const char ltext[] =
		    "default_version: \"6.8\"\n"
		    "versions:\n"
		    "  \"6.8\":\n"
		    "    url: \"file:///var/lib/mono-6.8.tar.zst\"\n"
		    "    sha256: \""
		    "1111111111111111111111111111111111111111111111111111111111"
		    "111111"
		    "\"\n";

		struct envdir *none = envdir_new();

		fs_write_file_atomic(local, ltext, sizeof ltext - 1, 0644,
		    NULL);
		TEST("resolve: buildpack.local.yml's version wins",
		    resolve(none, yml, local, &rs, &e) == 0 && rs.local &&
			strcmp(rs.url, "file:///var/lib/mono-6.8.tar.zst") ==
			    0 &&
			rs.sha256[0] == '1');
		runtime_spec_free(&rs);
		envdir_set(v, "MONO_VERSION", "6.12", &e);
		TEST("resolve: a version only buildpack.yml has comes from it",
		    resolve(v, yml, local, &rs, &e) == 0 && !rs.local &&
			strcmp(rs.url,
			    "https://example.com/mono-6.12.tar.zst") == 0);
		runtime_spec_free(&rs);
		fs_write_file_atomic(local, "versions: [", 11, 0644, NULL);
		TEST("resolve: a broken buildpack.local.yml is named",
		    resolve(v, yml, local, &rs, &e) == -1 &&
			strstr(e.msg, "buildpack.local.yml") != NULL);
		runtime_spec_free(&rs);
		unlink(local);
		free(local);
		envdir_free(none);
	}
	envdir_set(v, "MONO_VERSION", "../6.8", &e);
	TEST("resolve: a MONO_VERSION outside the label set is refused",
	    resolve(v, yml, NULL, &rs, &e) == -1 &&
		strstr(e.msg, "MONO_VERSION") != NULL);
	runtime_spec_free(&rs);
	envdir_set(v, "MONO_VERSION", "7.0", &e);
	TEST("resolve: an unknown MONO_VERSION fails",
	    resolve(v, yml, NULL, &rs, &e) == -1 && strstr(e.msg, "7.0"));
	runtime_spec_free(&rs);

	envdir_free(v);
	v = envdir_new();
	envdir_set(v, "MONO_URL", "file:///x.tar.gz", &e);
	TEST("resolve: MONO_URL without MONO_SHA256 is refused",
	    resolve(v, "/nonexistent.yml", NULL, &rs, &e) == -1 &&
		strstr(e.msg, "MONO_SHA256") != NULL);
	runtime_spec_free(&rs);
	envdir_set(v, "MONO_SHA256", "abc", &e);
	TEST("resolve: a short MONO_SHA256 is refused",
	    resolve(v, "/nonexistent.yml", NULL, &rs, &e) == -1 &&
		strstr(e.msg, "64 hexadecimal") != NULL);
	runtime_spec_free(&rs);
	envdir_set(v, "MONO_SHA256",
	    "g123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef",
	    &e);
	TEST("resolve: a MONO_SHA256 with a non-hex digit is refused",
	    resolve(v, "/nonexistent.yml", NULL, &rs, &e) == -1);
	runtime_spec_free(&rs);
	envdir_set(v, "MONO_SHA256",
	    "F123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0",
	    &e);
	TEST("resolve: a MONO_SHA256 of 65 digits is refused",
	    resolve(v, "/nonexistent.yml", NULL, &rs, &e) == -1);
	runtime_spec_free(&rs);
	envdir_set(v, "MONO_SHA256",
	    "F123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdef",
	    &e);
	TEST("resolve: MONO_URL + MONO_SHA256 need no buildpack.yml, "
	     "the sha256 lower-cased, the version custom",
	    resolve(v, "/nonexistent.yml", NULL, &rs, &e) == 0 &&
		strcmp(rs.url, "file:///x.tar.gz") == 0 &&
		strcmp(rs.sha256,
		    "f123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef") == 0 &&
		strcmp(rs.version, "custom") == 0);
	runtime_spec_free(&rs);
	runtime_spec_free(NULL);
	envdir_free(v);
	v = envdir_new();
	envdir_set(v, "MONO_SHA256",
	    "f123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef",
	    &e);
	TEST("resolve: MONO_SHA256 without MONO_URL is refused",
	    resolve(v, yml, NULL, &rs, &e) == -1 &&
		strstr(e.msg, "MONO_URL") != NULL);
	runtime_spec_free(&rs);
	envdir_free(v);
	free(yml);
}

static void
test_install(void)
{
	struct envdir *vars = envdir_new();
	struct errbuf e = {""};
	struct seen seen;
	char sha[DIGEST_HEX_SIZE], *url = NULL;
	char *tarball = fs_join(tmp, "mono.tar.gz");
	char *cache = fs_join(tmp, "cache"), *app = fs_join(tmp, "app");
	char *dest = fs_join(app, "vendor/mono");
	char *entry = NULL, *seal = NULL;
	struct runtime_spec rs = {NULL, NULL, NULL, false, NULL};
	struct runtime_install ri = {
	    .cache_dir = cache,
	    .stack = "heroku-22",
	    .dest = dest,
	    .vars = vars,
	    .event = on_event,
	    .progress = on_progress,
	    .arg = &seen,
	    .downloader = &runtime_downloader_linked,
	};

	TEST("install: make a tarball", mk_tarball(tarball, sha) == 0);
	if (asprintf(&url, "file://%s", tarball) < 0)
		url = NULL;
	envdir_set(vars, "MONO_URL", url, &e);
	envdir_set(vars, "MONO_SHA256", sha, &e);
	TEST("install: resolve",
	    resolve(vars, "/nonexistent.yml", NULL, &rs, &e) == 0);
	if (asprintf(&entry, "%s/mono/custom-heroku-22-%s", cache, sha) < 0)
		entry = NULL;
	if (asprintf(&seal, "%s.ok", entry) < 0)
		seal = NULL;

	memset(&seen, 0, sizeof seen);
	TEST("cold: installs", runtime_install(&rs, &ri, &e) == 0);
	{
		char want[4200];
		snprintf(want, sizeof want, "download:%s;", url);
		TEST("cold: downloads once, naming the URL",
		    strcmp(seen.log, want) == 0);
	}
	TEST("cold: reports progress", seen.progress > 0);
	TEST("cold: the cache holds the entry, sealed",
	    has_runtime(entry) && fs_exists(seal));
	TEST("cold: dest holds the runtime, linked to the cache",
	    has_runtime(dest) &&
		same_inode(at(dest, "bin/mono"), at(entry, "bin/mono")));

	/* Warm: whatever dest held is replaced by the cached runtime. */
	fs_write_file_atomic(at(dest, "stale"), "x", 1, 0644, NULL);
	memset(&seen, 0, sizeof seen);
	TEST("warm: installs", runtime_install(&rs, &ri, &e) == 0);
	TEST("warm: a cache hit, nothing downloaded",
	    strcmp(seen.log, "hit;") == 0 && seen.progress == 0);
	TEST("warm: dest is the runtime alone",
	    has_runtime(dest) && !fs_exists(at(dest, "stale")));

	/* A cache hit never loads the downloader: the test binaries have no
	 * slugc-install.so beside them. */
	ri.downloader = NULL;
	memset(&seen, 0, sizeof seen);
	TEST("warm without a downloader: still a hit",
	    runtime_install(&rs, &ri, &e) == 0 &&
		strcmp(seen.log, "hit;") == 0 && has_runtime(dest));
	unlink(seal);
	memset(&seen, 0, sizeof seen);
	TEST("a miss without the downloader's shared object fails, naming it",
	    runtime_install(&rs, &ri, &e) == -1 &&
		strstr(e.msg, RUNTIME_DOWNLOADER_SO) != NULL);
	TEST("... leaving no dest and nothing in the cache",
	    !fs_exists(dest) && !fs_exists(entry) && !fs_exists(seal));
	ri.downloader = &runtime_downloader_linked;

	/* An interrupted install (no seal) is replaced. */
	TEST("reinstall", runtime_install(&rs, &ri, &e) == 0);
	unlink(seal);
	memset(&seen, 0, sizeof seen);
	TEST("unsealed: installed again",
	    runtime_install(&rs, &ri, &e) == 0 && has_runtime(dest) &&
		fs_exists(seal));
	TEST("unsealed: said so, then downloaded",
	    strncmp(seen.log,
		"damaged:an earlier install did not finish;"
		"download:",
		51) == 0);

	/* A damaged entry is found while placing, and replaced. */
	unlink(at(entry, "lib/mono/mscorlib.dll"));
	memset(&seen, 0, sizeof seen);
	TEST("damaged: installed again",
	    runtime_install(&rs, &ri, &e) == 0 && has_runtime(dest) &&
		has_runtime(entry));
	TEST("damaged: said what changed, then downloaded",
	    strncmp(seen.log, "damaged:its files changed (", 27) == 0 &&
		strstr(seen.log, ";download:") != NULL);
	memset(&seen, 0, sizeof seen);
	TEST("damaged: and the next one is a hit",
	    runtime_install(&rs, &ri, &e) == 0 &&
		strcmp(seen.log, "hit;") == 0);

	/* A download that does not verify leaves nothing. */
	{
		struct runtime_spec bad = rs;
		char badsha[DIGEST_HEX_SIZE], *badentry = NULL;

		memcpy(badsha, sha, sizeof badsha);
		badsha[0] = badsha[0] == '0' ? '1' : '0';
		bad.sha256 = badsha;
		if (asprintf(&badentry, "%s/mono/custom-heroku-22-%s", cache,
			badsha) < 0)
			badentry = NULL;
		memset(&seen, 0, sizeof seen);
		TEST("bad sha256: fails naming the URL",
		    runtime_install(&bad, &ri, &e) == -1 &&
			strstr(e.msg, url) != NULL);
		TEST("bad sha256: no dest, no entry, the good one kept",
		    !fs_exists(dest) && !fs_exists(badentry) &&
			has_runtime(entry));
		free(badentry);
	}

	/* A cache that cannot be used: straight into dest. */
	{
		struct runtime_install nocache = ri;
		char *f = fs_join(tmp, "not-a-dir");

		fs_write_file_atomic(f, "", 0, 0644, NULL);
		nocache.cache_dir = f;
		memset(&seen, 0, sizeof seen);
		TEST("no cache: installs",
		    runtime_install(&rs, &nocache, &e) == 0 &&
			has_runtime(dest));
		TEST("no cache: says why, then downloads",
		    strncmp(seen.log, "unusable:", 9) == 0 &&
			strstr(seen.log, f) != NULL &&
			strstr(seen.log, ";download:") != NULL);
		free(f);
	}

	runtime_spec_free(&rs);
	envdir_free(vars);
	free(url);
	free(tarball);
	free(cache);
	free(app);
	free(dest);
	free(entry);
	free(seal);
}

/* The same install as Node.js: NODE_* config vars, a semver range, the
 * "node" cache namespace; Mono's vars mean nothing to it and the two
 * runtimes' entries never meet. */
static void
test_node(void)
{
	struct envdir *v = envdir_new();
	struct runtime_spec rs = {NULL, NULL, NULL, false, NULL};
	struct errbuf e = {""};
	char *yml = fs_join(tmp, "node.yml"),
	     *local = fs_join(tmp, "node.l.yml");
	static const char text[] =
	    "default_version: \"20.20.2\"\n"
	    "versions:\n"
	    "  \"18.20.8\":\n"
	    "    url: \"https://example.com/node-18.tar.zst\"\n"
	    "    sha256: \""
	    "1818181818181818181818181818181818181818181818181818181818181818"
	    "\"\n"
	    "  \"20.20.2\":\n"
	    "    url: \"https://example.com/node-20.tar.zst\"\n"
	    "    sha256: \""
	    "2020202020202020202020202020202020202020202020202020202020202020"
	    "\"\n"
	    "  \"22.23.5\":\n"
	    "    url: \"https://example.com/node-22.tar.zst\"\n"
	    "    sha256: \""
	    "2222222222222222222222222222222222222222222222222222222222222222"
	    "\"\n";
	static const char ltext[] =
	    "default_version: \"20.20.2\"\n"
	    "versions:\n"
	    "  \"20.20.2\":\n"
	    "    url: \"file:///here/node-20.tar.zst\"\n"
	    "    sha256: \""
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\"\n";
	struct runtime_want w = {
	    .kind = &runtime_node,
	    .vars = v,
	    .range_from = "package.json engines.node",
	    .versions_path = yml,
	};

	fs_write_file_atomic(yml, text, sizeof text - 1, 0644, NULL);
	fs_write_file_atomic(local, ltext, sizeof ltext - 1, 0644, NULL);
	TEST("node: no range gives the default, kind set",
	    runtime_resolve(&w, &rs, &e) == 0 &&
		strcmp(rs.version, "20.20.2") == 0 && rs.kind == &runtime_node);
	runtime_spec_free(&rs);
	w.range = "18.x || 20.x";
	TEST("node: a range picks the highest match",
	    runtime_resolve(&w, &rs, &e) == 0 &&
		strcmp(rs.version, "20.20.2") == 0);
	runtime_spec_free(&rs);
	w.range = ">=18 <20";
	TEST("node: ... not the default when the range excludes it",
	    runtime_resolve(&w, &rs, &e) == 0 &&
		strcmp(rs.version, "18.20.8") == 0 &&
		strcmp(rs.url, "https://example.com/node-18.tar.zst") == 0);
	runtime_spec_free(&rs);
	w.range = ">=24 <26";
	TEST("node: a range nothing satisfies is one line naming it and "
	     "the versions",
	    runtime_resolve(&w, &rs, &e) == -1 &&
		strstr(e.msg,
		    "package.json engines.node '>=24 <26' matches no "
		    "Node.js version known (") == e.msg &&
		strstr(e.msg, "node.yml: 18.20.8, 20.20.2, 22.23.5)") != NULL &&
		strchr(e.msg, '\n') == NULL);
	runtime_spec_free(&rs);
	w.range = "lts/*";
	TEST("node: an invalid range is named with where it came from",
	    runtime_resolve(&w, &rs, &e) == -1 &&
		strncmp(e.msg,
		    "package.json engines.node: invalid range 'lts/*'",
		    48) == 0);
	runtime_spec_free(&rs);
	w.range = "^20";
	w.local_path = local;
	TEST("node: buildpack.local.yml wins when it satisfies the range",
	    runtime_resolve(&w, &rs, &e) == 0 && rs.local &&
		strcmp(rs.url, "file:///here/node-20.tar.zst") == 0);
	runtime_spec_free(&rs);
	w.range = "^22";
	TEST("node: ... and buildpack.yml answers when it does not",
	    runtime_resolve(&w, &rs, &e) == 0 && !rs.local &&
		strcmp(rs.version, "22.23.5") == 0);
	runtime_spec_free(&rs);
	envdir_set(v, "NODE_VERSION", "18.20.8", &e);
	TEST("node: NODE_VERSION wins over the range",
	    runtime_resolve(&w, &rs, &e) == 0 &&
		strcmp(rs.version, "18.20.8") == 0);
	runtime_spec_free(&rs);
	envdir_set(v, "NODE_VERSION", "19.0.0", &e);
	TEST("node: an unknown NODE_VERSION names Node.js and the versions",
	    runtime_resolve(&w, &rs, &e) == -1 &&
		strstr(e.msg,
		    "node.yml: no Node.js version 19.0.0 (known: 18.20.8, "
		    "20.20.2, 22.23.5)") != NULL);
	runtime_spec_free(&rs);
	envdir_free(v);
	v = envdir_new();
	w.vars = v;
	envdir_set(v, "MONO_URL", "file:///mono.tar.gz", &e);
	envdir_set(v, "MONO_SHA256",
	    "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    &e);
	TEST("node: MONO_URL is not Node's",
	    runtime_resolve(&w, &rs, &e) == 0 &&
		strcmp(rs.version, "22.23.5") == 0);
	runtime_spec_free(&rs);
	envdir_set(v, "NODE_URL", "file:///node.tar.gz", &e);
	TEST("node: NODE_URL without NODE_SHA256 is refused, naming both",
	    runtime_resolve(&w, &rs, &e) == -1 &&
		strcmp(e.msg,
		    "NODE_URL is set but NODE_SHA256 is not: set it to the "
		    "tarball's sha256") == 0);
	runtime_spec_free(&rs);
	envdir_set(v, "NODE_SHA256",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF",
	    &e);
	TEST("node: NODE_URL + NODE_SHA256 win over the range",
	    runtime_resolve(&w, &rs, &e) == 0 &&
		strcmp(rs.url, "file:///node.tar.gz") == 0 &&
		strcmp(rs.version, "custom") == 0 &&
		strcmp(rs.sha256 + 56, "89abcdef") == 0);
	runtime_spec_free(&rs);
	envdir_free(v);
	v = envdir_new();
	envdir_set(v, "NODE_VERSION", "a b", &e);
	w.vars = v;
	TEST("node: NODE_VERSION outside the label set is named",
	    runtime_resolve(&w, &rs, &e) == -1 &&
		strncmp(e.msg, "NODE_VERSION must be", 20) == 0);
	runtime_spec_free(&rs);
	envdir_free(v);
	free(yml);
	free(local);
}

/* Two kinds share a CACHE_DIR without meeting: each in its namespace. */
static void
test_namespaces(void)
{
	struct envdir *vars = envdir_new();
	struct errbuf e = {""};
	struct seen seen;
	char sha[DIGEST_HEX_SIZE], *url = NULL, *mono_entry = NULL;
	char *node_entry = NULL;
	char *tarball = fs_join(tmp, "ns.tar.gz");
	char *cache = fs_join(tmp, "ns-cache");
	char *mdest = fs_join(tmp, "ns-app/vendor/mono");
	char *ndest = fs_join(tmp, "ns-app/.heroku/node");
	struct runtime_spec rs = {NULL, NULL, NULL, false, NULL};
	struct runtime_install ri = {
	    .cache_dir = cache,
	    .stack = "heroku-22",
	    .vars = vars,
	    .event = on_event,
	    .progress = on_progress,
	    .arg = &seen,
	    .downloader = &runtime_downloader_linked,
	};

	TEST("ns: make a tarball", mk_tarball(tarball, sha) == 0);
	if (asprintf(&url, "file://%s", tarball) < 0)
		url = NULL;
	if (asprintf(&mono_entry, "%s/mono/custom-heroku-22-%s", cache, sha) <
	    0)
		mono_entry = NULL;
	if (asprintf(&node_entry, "%s/node/custom-heroku-22-%s", cache, sha) <
	    0)
		node_entry = NULL;
	envdir_set(vars, "NODE_URL", url, &e);
	envdir_set(vars, "NODE_SHA256", sha, &e);
	{
		struct runtime_want w = {.kind = &runtime_node,
		    .vars = vars,
		    .versions_path = "/nonexistent.yml"};
		TEST("ns: resolve as Node.js",
		    runtime_resolve(&w, &rs, &e) == 0);
	}
	ri.dest = ndest;
	memset(&seen, 0, sizeof seen);
	TEST("ns: Node.js installs into CACHE_DIR/node, not mono",
	    runtime_install(&rs, &ri, &e) == 0 && has_runtime(ndest) &&
		has_runtime(node_entry) && !fs_exists(at(cache, "mono")) &&
		strncmp(seen.log, "download:", 9) == 0);
	runtime_spec_free(&rs);
	envdir_set(vars, "MONO_URL", url, &e);
	envdir_set(vars, "MONO_SHA256", sha, &e);
	TEST("ns: resolve as Mono",
	    resolve(vars, "/nonexistent.yml", NULL, &rs, &e) == 0);
	ri.dest = mdest;
	memset(&seen, 0, sizeof seen);
	TEST("ns: the same tarball as Mono misses Node's entry",
	    runtime_install(&rs, &ri, &e) == 0 && has_runtime(mdest) &&
		has_runtime(mono_entry) &&
		strncmp(seen.log, "download:", 9) == 0);
	memset(&seen, 0, sizeof seen);
	TEST("ns: and hits its own the next time",
	    runtime_install(&rs, &ri, &e) == 0 &&
		strcmp(seen.log, "hit;") == 0);
	runtime_spec_free(&rs);
	envdir_free(vars);
	free(url);
	free(mono_entry);
	free(node_entry);
	free(tarball);
	free(cache);
	free(mdest);
	free(ndest);
}

/* Full disks: a full cache is done without (the partial entry removed,
 * the runtime put straight into the app, the log told); a full app fails
 * with the file-system error for compile's exit code, naming the path. */
static void
test_full(void)
{
	struct envdir *vars = envdir_new();
	struct errbuf e = {""};
	struct seen seen;
	char sha[DIGEST_HEX_SIZE], *url = NULL;
	char *tarball = fs_join(tmp, "full.tar.gz");
	char *mnt = fs_join(tmp, "full-fs");
	char *cache = fs_join(mnt, "cache"), *filler = fs_join(mnt, "filler");
	char *dest = fs_join(tmp, "full-app/vendor/mono");
	char *ns = fs_join(cache, "mono");
	struct runtime_spec rs = {NULL, NULL, NULL, false, NULL};
	int local = -1;
	struct runtime_install ri = {
	    .cache_dir = cache,
	    .stack = "heroku-22",
	    .dest = dest,
	    .vars = vars,
	    .event = on_event,
	    .progress = on_progress,
	    .arg = &seen,
	    .downloader = &runtime_downloader_linked,
	    .local_errno = &local,
	};

	TEST("full: make a tarball", mk_tarball(tarball, sha) == 0);
	if (asprintf(&url, "file://%s", tarball) < 0)
		url = NULL;
	envdir_set(vars, "MONO_URL", url, &e);
	envdir_set(vars, "MONO_SHA256", sha, &e);
	TEST("full: resolve",
	    resolve(vars, "/nonexistent.yml", NULL, &rs, &e) == 0);
	TEST("full: a 1 MiB tmpfs for the cache (we run as root)",
	    tmpfs_mount(mnt, 1 << 20) == 0);
	TEST("full: the cache made, then the tmpfs filled",
	    fs_mkdir_p(cache, 0755, &e) == 0 && fill_fs(filler, 0) == 0 &&
		fs_free(mnt) == 0);

	memset(&seen, 0, sizeof seen);
	e.msg[0] = '\0';
	TEST("full cache: the install succeeds without it",
	    runtime_install(&rs, &ri, &e) == 0 && has_runtime(dest));
	printf("# %s\n", seen.log);
	TEST("full cache: the log says why, then downloads again",
	    strstr(seen.log, ";unusable:") != NULL &&
		strstr(seen.log, "No space left on device") != NULL &&
		strstr(seen.log, cache) != NULL &&
		strncmp(strstr(seen.log, ";unusable:") + 1, "unusable:", 9) ==
		    0 &&
		strstr(strstr(seen.log, ";unusable:"), ";download:") != NULL);
	TEST("full cache: no entry, no seal, no partial directory",
	    !fs_exists(ns) || count_entries(ns) == 0);

	/* The app's file system full (no cache to fall back on): fails with
	 * ENOSPC, naming the path, leaving no dest. */
	fs_rm_rf(dest, NULL);
	{
		char *appfs = fs_join(tmp, "full-app2");
		char *d2 = fs_join(appfs, "vendor/mono");
		char *f2 = fs_join(appfs, "filler");
		char *notdir = fs_join(tmp, "not-a-cache");
		struct runtime_install nocache = ri;

		fs_write_file_atomic(notdir, "", 0, 0644, NULL);
		nocache.cache_dir = notdir;
		nocache.dest = d2;
		TEST("full app: a 1 MiB tmpfs for the app",
		    tmpfs_mount(appfs, 1 << 20) == 0 &&
			fs_mkdir_p(at(appfs, "vendor"), 0755, &e) == 0 &&
			fill_fs(f2, 0) == 0);
		local = 0;
		e.msg[0] = '\0';
		TEST("full app: fails with the file system's error",
		    runtime_install(&rs, &nocache, &e) == -1 &&
			local == ENOSPC);
		printf("# %s\n", e.msg);
		TEST("full app: the message names the path and the error",
		    strstr(e.msg, appfs) != NULL &&
			strstr(e.msg, "No space left on device") != NULL);
		TEST("full app: nothing left",
		    !fs_exists(d2) && count_entries(at(appfs, "vendor")) == 0);

		/* A bad sha256 is no local error, full disk or not. */
		{
			struct runtime_spec bad = rs;
			char badsha[DIGEST_HEX_SIZE];

			memcpy(badsha, sha, sizeof badsha);
			badsha[0] = badsha[0] == '0' ? '1' : '0';
			bad.sha256 = badsha;
			unlink(f2);
			local = -1;
			TEST("bad sha256: not a local failure",
			    runtime_install(&bad, &nocache, &e) == -1 &&
				local == 0 && strstr(e.msg, "sha256") != NULL);
		}
		tmpfs_umount(appfs);
		free(appfs);
		free(d2);
		free(f2);
		free(notdir);
	}

	tmpfs_umount(mnt);
	runtime_spec_free(&rs);
	envdir_free(vars);
	free(url);
	free(tarball);
	free(mnt);
	free(cache);
	free(filler);
	free(dest);
	free(ns);
}

int
main(void)
{
	struct errbuf e = {""};

	if ((tmp = fs_mkdtemp("/tmp", "test_runtime.", &e)) == NULL ||
	    runtime_downloader_linked.global_init(&e) == -1) {
		printf("%s\n", e.msg);
		return 1;
	}
	test_resolve();
	test_node();
	test_install();
	test_namespaces();
	test_full();
	runtime_downloader_linked.global_cleanup();
	fs_rm_rf(tmp, NULL);
	free(tmp);
	return test_report();
}
