/* test_nuget.c - NuGet restore: the parsers (packages.config, nuget.config,
 * .nuspec, .sln, versions, ids) and restores from real v3 feeds on
 * 127.0.0.1: faultd (built in ../servers/faultd) serving a static feed that
 * holds Debian's Newtonsoft.Json 6.0.8 .nupkg and packages made here with
 * libarchive's zip writer, and a small server of our own that checks HTTP
 * basic auth. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "fetch.h"
#include "fsutil.h"
#include "nuget.h"
#include "testhelp.h"
#include "testlisten.h"

#define NEWTONSOFT "/usr/share/nupkg/Newtonsoft.Json.6.0.8.nupkg"
#define NEWTONSOFT_DLL_SIZE 520704

/* --- helpers ------------------------------------------------------------ */

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		abort();
	return s;
}

static int
write_file(const char *path, const char *text)
{
	struct errbuf e;
	char *dir = strdup(path);
	int rc;

	rc = fs_mkdir_p(dirname(dir), 0755, &e) == -1
	    ? -1
	    : fs_write_file_atomic(path, text, strlen(text), 0644, &e);
	if (rc == -1)
		printf("# %s\n", e.msg);
	free(dir);
	return rc;
}

static bool
exists(const char *base, const char *rel)
{
	char *p = xasprintf("%s/%s", base, rel);
	bool yes = fs_exists(p);

	free(p);
	return yes;
}

static off_t
size_of(const char *base, const char *rel)
{
	char *p = xasprintf("%s/%s", base, rel);
	struct stat st;
	off_t n = stat(p, &st) == 0 ? st.st_size : -1;

	free(p);
	return n;
}

/* Number of entries in dir whose name starts with prefix (-1: no dir). */
static int
count_prefixed(const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* count_prefixed for base/rel. */
static int
count_in(const char *base, const char *rel, const char *prefix)
{
	char *p = xasprintf("%s/%s", base, rel);
	int n = count_prefixed(p, prefix);

	free(p);
	return n;
}

struct zentry {
	const char *name;
	const char *data; /* NULL: a directory */
	size_t len;	  /* 0: strlen(data) */
	mode_t type;	  /* 0: file or directory by data */
};

/* A zip made with libarchive, as NuGet's packer would make it. */
static int
make_zip(const char *path, const struct zentry *ents)
{
	struct archive *a = archive_write_new();
	struct archive_entry *en = archive_entry_new();
	int rc = -1;

	if (a == NULL || en == NULL ||
	    archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, path) != ARCHIVE_OK)
		goto out;
	for (; ents->name != NULL; ents++) {
		size_t len = ents->data == NULL ? 0
		    : ents->len			? ents->len
						: strlen(ents->data);
		mode_t type = ents->type ? ents->type
		    : ents->data == NULL ? AE_IFDIR
					 : AE_IFREG;

		archive_entry_clear(en);
		archive_entry_set_pathname(en, ents->name);
		archive_entry_set_filetype(en, type);
		archive_entry_set_perm(en, 0644);
		archive_entry_set_mtime(en, 1600000000, 0);
		if (type == AE_IFLNK)
			archive_entry_set_symlink(en, ents->data);
		else
			archive_entry_set_size(en, (la_int64_t)len);
		if (archive_write_header(a, en) != ARCHIVE_OK)
			goto out;
		if (type == AE_IFREG && len > 0 &&
		    archive_write_data(a, ents->data, len) != (la_ssize_t)len)
			goto out;
	}
	rc = archive_write_close(a) == ARCHIVE_OK ? 0 : -1;
out:
	archive_entry_free(en);
	archive_write_free(a);
	return rc;
}

static char *
nuspec(const char *id, const char *version)
{
	return xasprintf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			 "<package "
			 "xmlns=\"http://schemas.microsoft.com/packaging/2013/"
			 "05/"
			 "nuspec.xsd\">\n  <metadata>\n    <id>%s</id>\n"
			 "    <version>%s</version>\n    "
			 "<authors>slugc</authors>\n"
			 "  </metadata>\n</package>\n",
	    id, version);
}

/* A package with one library, in the feed's flat container as id/version
 * (spec_id/spec_version in its nuspec). */
static int
make_pkg(const char *feed, const char *id, const char *version,
    const char *spec_id, const char *spec_version, const char *extra_name)
{
	char *lid = strdup(id), *dir, *path, *spec, *specname;
	int rc;

	for (char *c = lid; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	dir = xasprintf("%s/flat/%s/%s", feed, lid, version);
	path = xasprintf("%s/%s.%s.nupkg", dir, lid, version);
	spec = nuspec(spec_id, spec_version);
	specname = xasprintf("%s.nuspec", spec_id);
	{
		struct zentry ents[] = {
		    {"_rels/.rels", "<Relationships/>", 0, 0},
		    {specname, spec, 0, 0},
		    {"lib/", NULL, 0, 0},
		    {"lib/net45/", NULL, 0, 0},
		    {"lib/net45/Tiny%2BLib.dll", "MZ not really a dll", 0, 0},
		    {"content/a%20b.txt", "spaced", 0, 0},
		    {"[Content_Types].xml", "<Types/>", 0, 0},
		    {"package/services/metadata/core-properties/x.psmdcp",
			"<x/>", 0, 0},
		    {extra_name, "extra", 0, 0},
		    {NULL, NULL, 0, 0},
		};
		struct errbuf e;

		rc =
		    fs_mkdir_p(dir, 0755, &e) == -1 ? -1 : make_zip(path, ents);
	}
	free(lid);
	free(dir);
	free(path);
	free(spec);
	free(specname);
	return rc;
}

static int
copy_into(const char *src, const char *dst)
{
	struct errbuf e;
	size_t len;
	char *buf = fs_read_file(src, 64 << 20, &len, &e), *d = strdup(dst);
	int rc = buf == NULL || fs_mkdir_p(dirname(d), 0755, &e) == -1
	    ? -1
	    : fs_write_file_atomic(dst, buf, len, 0644, &e);

	free(buf);
	free(d);
	return rc;
}

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static pid_t
start_faultd(const char *bin, const char *root, const char *dir, int *port,
    char **log)
{
	char *portfile = xasprintf("%s/faultd.port", dir);
	char *errfile = xasprintf("%s/faultd.err", dir);
	long long deadline = ms_now() + 10000;
	pid_t pid;
	int st;

	*log = xasprintf("%s/faultd.log", dir);
	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int err = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (in == -1 || err == -1 || dup2(in, 0) == -1 ||
		    dup2(err, 1) == -1 || dup2(err, 2) == -1)
			_exit(126);
		execl(bin, bin, "-d", root, "-P", portfile, "-l", *log,
		    (char *)NULL);
		_exit(127);
	}
	while (ms_now() < deadline) {
		FILE *f = fopen(portfile, "r");

		if (f != NULL) {
			int ok = fscanf(f, "%d", port) == 1;

			fclose(f);
			if (ok && *port > 0)
				goto out;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			pid = -1;
			goto out;
		}
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
fail:
	pid = -1;
out:
	free(portfile);
	free(errfile);
	return pid;
}

static int
stop_server(pid_t pid)
{
	int st;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Lines in faultd's log (requests served). */
static int
log_lines(const char *log, const char *needle)
{
	FILE *f = fopen(log, "r");
	char line[4096];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		n += needle == NULL || strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* An HTTP server for the credential tests: files under root, one request
 * per connection.  With want set, a request must carry exactly
 * "Authorization: want" (else 401); with want NULL, a request carrying any
 * Authorization header is refused (403): credentials leaked to a second
 * origin show as a failed restore. */
static pid_t
auth_server(const char *root, const char *want, int *port)
{
	pid_t pid;
	int fd, cfd;

	if ((pid = loopback_fork(8, port, &fd)) != 0)
		return pid;
	alarm(60);
	while ((cfd = accept(fd, NULL, NULL)) != -1) {
		char req[8192], path[PATH_MAX], hdr[256], target[1024], *auth;
		char *body = NULL;
		size_t got = 0, blen = 0;
		const char *status = "200 OK";
		struct errbuf e;
		ssize_t r;

		while (got < sizeof req - 1 &&
		    (r = read(cfd, req + got, sizeof req - 1 - got)) > 0) {
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[got] = '\0';
		auth = strcasestr(req, "\r\nAuthorization: ");
		if (auth != NULL) {
			auth += 17;
			auth[strcspn(auth, "\r")] = '\0';
		}
		if (want != NULL && (auth == NULL || strcmp(auth, want) != 0))
			status = "401 Unauthorized";
		else if (want == NULL && auth != NULL)
			status = "403 Forbidden";
		else if (sscanf(req, "GET %1000s", target) != 1 ||
		    snprintf(path, sizeof path, "%s%s", root, target) < 0 ||
		    (body = fs_read_file(path, 64 << 20, &blen, &e)) == NULL)
			status = "404 Not Found";
		snprintf(hdr, sizeof hdr,
		    "HTTP/1.1 %s\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n",
		    status, body ? blen : 0);
		if (fs_write_all(cfd, hdr, strlen(hdr)) == 0 && body != NULL)
			fs_write_all(cfd, body, blen);
		free(body);
		shutdown(cfd, SHUT_WR);
		while (read(cfd, req, sizeof req) > 0)
			;
		close(cfd);
	}
	_exit(0);
}

/* Every event, one line each, for checking what the log would say. */
struct events {
	char text[16384];
	int n[NUGET_SOURCE_SKIPPED + 1];
};

static void
on_event(void *arg, enum nuget_event ev, const char *id, const char *version,
    const char *detail)
{
	struct events *evs = arg;
	size_t len = strlen(evs->text);

	evs->n[ev]++;
	snprintf(evs->text + len, sizeof evs->text - len, "%d %s %s %s\n",
	    (int)ev, id ? id : "-", version ? version : "-",
	    detail ? detail : "-");
}

struct ctx {
	char *dir;  /* everything of this test */
	char *feed; /* what faultd serves */
	char *cache;
	char *log;
	char base[64];
	pid_t faultd;
	int port;
	int apps; /* app directories made so far */
};

/* A fresh app: App.sln at the root and App/packages.config holding
 * packages (the <package> lines); returns its directory. */
static char *
new_app(struct ctx *c, const char *packages)
{
	char *app = xasprintf("%s/app%d", c->dir, ++c->apps);
	char *cfg = xasprintf("%s/App/packages.config", app);
	char *text = xasprintf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			       "<packages>\n%s</packages>\n",
	    packages);

	if (write_file(cfg, text) == -1)
		abort();
	free(cfg);
	cfg = xasprintf("%s/App.sln", app);
	if (write_file(cfg,
		"Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}"
		"\") = \"App\", \"App\\App.csproj\", \"{1}\"\nEndProject\n") ==
	    -1)
		abort();
	free(cfg);
	free(text);
	return app;
}

/* Restores app with config vars name=value pairs (NULL-terminated). */
static int
restore(struct ctx *c, const char *app, const char *cache,
    struct nuget_result *r, struct events *evs, struct errbuf *e, ...)
{
	struct strlist configs = {0};
	struct envdir *vars = envdir_new();
	struct nuget_opts o = {0};
	const char *name, *value;
	va_list ap;
	int rc;

	(void)c;
	memset(evs, 0, sizeof *evs);
	e->msg[0] = '\0';
	if (vars == NULL ||
	    nuget_find_configs(app, "App.sln", &configs, e) == -1)
		abort();
	va_start(ap, e);
	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		if (envdir_set(vars, name, value, e) == -1)
			abort();
	}
	va_end(ap);
	o.size = sizeof o;
	o.build_dir = app;
	o.solution = "App.sln";
	o.configs = &configs;
	o.cache_dir = cache;
	o.vars = vars;
	o.retry_base_ms = 20;
	o.event = on_event;
	o.arg = evs;
	rc = nuget_restore(&o, r, e);
	strlist_free(&configs);
	envdir_free(vars);
	return rc;
}

#define SLN_TEXT                                                               \
	"\xef\xbb\xbf\r\nMicrosoft Visual Studio Solution File, Format "       \
	"Version 12.00\r\n"                                                    \
	"Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"App\", "      \
	"\"App\\App.csproj\", \"{11111111-1111-1111-1111-111111111111}\"\r\n"  \
	"EndProject\r\n"                                                       \
	"Project(\"{2150E333-8FDC-42A3-9474-1A3956D46DE8}\") = \"Docs\", "     \
	"\"Docs\", \"{22222222-2222-2222-2222-222222222222}\"\r\n"             \
	"EndProject\r\n"                                                       \
	"Project(\"{F2A71F9B-5D33-465A-A702-920D77279786}\") = \"Lib\", "      \
	"\"src\\Lib\\Lib.fsproj\", "                                           \
	"\"{33333333-3333-3333-3333-333333333333}\"\r\n"                       \
	"EndProject\r\n"                                                       \
	"Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"Out\", "      \
	"\"..\\..\\Out\\Out.csproj\", "                                        \
	"\"{44444444-4444-4444-4444-444444444444}\"\r\n"                       \
	"EndProject\r\n"                                                       \
	"Global\r\nEndGlobal\r\n"

static void
test_parsers(void)
{
	static const struct {
		const char *in, *out;
	} versions[] = {
	    {"6.0.8", "6.0.8"},
	    {"1.0", "1.0.0"},
	    {"1", "1.0.0"},
	    {"1.00.2.0", "1.0.2"},
	    {"1.2.3.4", "1.2.3.4"},
	    {"2.0.0-Beta.1", "2.0.0-Beta.1"},
	    {"1.2.3-rc+git.abc", "1.2.3-rc"},
	    {"1.2.3+meta", "1.2.3"},
	    {"", NULL},
	    {"1.", NULL},
	    {"1..2", NULL},
	    {"1.2.3.4.5", NULL},
	    {"v1.0", NULL},
	    {"1.0-", NULL},
	    {"1.0-a..b", NULL},
	    {"1.0-a_b", NULL},
	    {"1.0/../x", NULL},
	    {"99999999999.0", NULL},
	    {" 1.0", NULL},
	};
	static const struct {
		const char *id;
		bool ok;
	} ids[] = {
	    {"Newtonsoft.Json", true},
	    {"a", true},
	    {"x-y_z.1", true},
	    {"", false},
	    {".x", false},
	    {"x.", false},
	    {"a..b", false},
	    {"a/b", false},
	    {"../x", false},
	    {"a b", false},
	    {"\xc3\xa9t\xc3\xa9", false},
	};
	static const struct {
		const char *dir, *rel, *out;
	} joins[] = {
	    {"", "packages", "packages"},
	    {"a/b", "..\\c", "a/c"},
	    {"a", "./x/./y/", "a/x/y"},
	    {"a", "..", ""},
	    {"a", "../..", NULL},
	    {"", "/etc", NULL},
	    {"", "C:\\packages", NULL},
	    {"", "x/../../y", NULL},
	};
	struct nuget_pkglist pl = {0};
	struct nuget_config c;
	struct strlist sl = {0};
	struct errbuf e;
	char out[64], *id, *ver, *s;
	bool ok;
	int rc;

	ok = true;
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		rc = nuget_version_normalize(versions[i].in, out, sizeof out);
		if (versions[i].out == NULL
			? rc != -1
			: rc != 0 || strcmp(out, versions[i].out) != 0) {
			printf("# version '%s' -> %d '%s'\n", versions[i].in,
			    rc, rc == 0 ? out : "");
			ok = false;
		}
	}
	TEST("versions normalize as the flat container spells them", ok);
	TEST("a version that does not fit is refused",
	    nuget_version_normalize("1.2.3-abcdefghij", out, 10) == -1);

	ok = true;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (nuget_id_valid(ids[i].id) != ids[i].ok) {
			printf("# id '%s'\n", ids[i].id);
			ok = false;
		}
	TEST("package ids: NuGet's rules, nothing that could name a path", ok);
	memset(out, 'a', 40);
	s = xasprintf("%.40s%.40s%.21s", out, out, out);
	TEST("an id of 101 characters is refused", !nuget_id_valid(s));
	s[100] = '\0';
	TEST("an id of 100 characters is fine", nuget_id_valid(s));
	free(s);

	ok = true;
	for (size_t i = 0; i < sizeof joins / sizeof joins[0]; i++) {
		s = nuget_path_join(joins[i].dir, joins[i].rel);
		if (joins[i].out == NULL
			? s != NULL || errno != EINVAL
			: s == NULL || strcmp(s, joins[i].out) != 0) {
			printf("# join '%s' '%s' -> '%s'\n", joins[i].dir,
			    joins[i].rel, s ? s : "(null)");
			ok = false;
		}
		free(s);
	}
	TEST("paths join lexically and never climb out of the app", ok);

	rc = nuget_sln_projects(SLN_TEXT, strlen(SLN_TEXT), &sl, &e);
	TEST(".sln: the project files, not the solution folders",
	    rc == 0 && sl.n == 3 && strcmp(sl.v[0], "App/App.csproj") == 0 &&
		strcmp(sl.v[1], "src/Lib/Lib.fsproj") == 0 &&
		strcmp(sl.v[2], "../../Out/Out.csproj") == 0);
	strlist_free(&sl);

	s = "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
	    "<packages>\r\n  <!-- a comment -->\r\n"
	    "  <package id=\"Newtonsoft.Json\" version=\"6.0.8\" "
	    "targetFramework=\"net45\" />\r\n"
	    "  <package id=\"NUnit\" version=\"2.6.4\" "
	    "developmentDependency=\"true\" />\r\n</packages>\r\n";
	rc = nuget_parse_packages(s, strlen(s), "App/packages.config", &pl, &e);
	TEST("packages.config: ids, versions and lines, BOM and CRLF",
	    rc == 0 && pl.n == 2 &&
		strcmp(pl.v[0].id, "Newtonsoft.Json") == 0 &&
		strcmp(pl.v[0].version, "6.0.8") == 0 && pl.v[0].line == 4 &&
		strcmp(pl.v[1].id, "NUnit") == 0 && pl.v[1].line == 5);
	nuget_pkglist_free(&pl);

	s = "<?xml version=\"1.0\"?>\n<packages>\n"
	    "  <package id=\"A\" version=\"1.0\">\n</packages>\n";
	rc = nuget_parse_packages(s, strlen(s), "App/packages.config", &pl, &e);
	TEST("packages.config: bad XML names the file and the line",
	    rc == -1 && strncmp(e.msg, "App/packages.config:4: ", 23) == 0 &&
		strstr(e.msg, "mismatch") != NULL &&
		strchr(e.msg, '\n') == NULL);
	printf("# %s\n", e.msg);
	nuget_pkglist_free(&pl);

	s = "<packages>\n  <package id=\"A\" />\n</packages>\n";
	rc = nuget_parse_packages(s, strlen(s), "p.config", &pl, &e);
	TEST("packages.config: a package without a version",
	    rc == -1 &&
		strcmp(e.msg,
		    "p.config:2: <package> without "
		    "version=") == 0);
	nuget_pkglist_free(&pl);

	s = "<packages>\n\n  <package id=\"../../etc\" version=\"1.0\" />\n"
	    "</packages>\n";
	rc = nuget_parse_packages(s, strlen(s), "p.config", &pl, &e);
	TEST("packages.config: an id that is a path is refused",
	    rc == -1 &&
		strcmp(e.msg,
		    "p.config:3: '../../etc' is not a "
		    "NuGet package id") == 0);
	nuget_pkglist_free(&pl);

	s = "<packages><package id=\"A\" version=\"1.0/x\" /></packages>";
	rc = nuget_parse_packages(s, strlen(s), "p.config", &pl, &e);
	TEST("packages.config: a bad version is refused",
	    rc == -1 &&
		strcmp(e.msg,
		    "p.config:1: A: '1.0/x' is not a NuGet "
		    "version") == 0);
	nuget_pkglist_free(&pl);

	s = "<?xml version=\"1.0\"?>\n<!DOCTYPE packages [\n"
	    "  <!ENTITY x SYSTEM \"file:///etc/passwd\">\n]>\n"
	    "<packages><package id=\"&x;\" version=\"1.0\" /></packages>\n";
	rc = nuget_parse_packages(s, strlen(s), "p.config", &pl, &e);
	TEST("packages.config: a DOCTYPE (external entity) is refused",
	    rc == -1 && strcmp(e.msg, "p.config:2: DOCTYPE not allowed") == 0);
	nuget_pkglist_free(&pl);

	s = "<config><add key=\"a\" value=\"b\"/></config>";
	rc = nuget_parse_packages(s, strlen(s), "p.config", &pl, &e);
	TEST("packages.config: another root element is refused",
	    rc == -1 &&
		strcmp(e.msg,
		    "p.config:1: the root element is not "
		    "<packages>") == 0);
	nuget_pkglist_free(&pl);

	rc = nuget_parse_packages("", 0, "p.config", &pl, &e);
	TEST("packages.config: an empty file is an error",
	    rc == -1 && strncmp(e.msg, "p.config:", 9) == 0);
	printf("# %s\n", e.msg);

	s = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n"
	    "  <config>\n    <add key=\"RepositoryPath\" value=\"..\\lib\" />\n"
	    "  </config>\n  <packageSources>\n"
	    "    <add key=\"old\" value=\"https://old/index.json\" />\n"
	    "    <clear />\n"
	    "    <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/"
	    "index.json\" protocolVersion=\"3\" />\n"
	    "    <add key=\"mine\" "
	    "value=\"https://feed.example/v3/index.json\" />\n"
	    "  </packageSources>\n  <disabledPackageSources>\n"
	    "    <add key=\"nuget.org\" value=\"true\" />\n"
	    "    <add key=\"mine\" value=\"false\" />\n"
	    "  </disabledPackageSources>\n</configuration>\n";
	rc = nuget_parse_config(s, strlen(s), "nuget.config", &c, &e);
	TEST("nuget.config: sources after <clear/>, disabled ones, "
	     "repositoryPath",
	    rc == 0 && c.clear && c.keys.n == 2 && c.values.n == 2 &&
		strcmp(c.keys.v[1], "mine") == 0 &&
		strcmp(c.values.v[1], "https://feed.example/v3/index.json") ==
		    0 &&
		c.disabled.n == 1 &&
		strcmp(c.disabled.v[0], "nuget.org") == 0 &&
		c.repository_path && strcmp(c.repository_path, "..\\lib") == 0);
	nuget_config_free(&c);

	s = "<configuration>\n<packageSources>\n<add key=\"x\" />\n"
	    "</packageSources>\n</configuration>\n";
	rc = nuget_parse_config(s, strlen(s), "nuget.config", &c, &e);
	TEST("nuget.config: a source without a value",
	    rc == -1 &&
		strcmp(e.msg,
		    "nuget.config:3: <add> without "
		    "value=") == 0);
	nuget_config_free(&c);

	s = "<configuration>\n<packageSources>\n<add key=\"x\" value=\"y\">\n"
	    "</packageSources>\n</configuration>\n";
	rc = nuget_parse_config(s, strlen(s), "a/NuGet.Config", &c, &e);
	TEST("nuget.config: bad XML names the file and the line",
	    rc == -1 && strncmp(e.msg, "a/NuGet.Config:4: ", 18) == 0);
	nuget_config_free(&c);

	s = nuspec("Newtonsoft.Json", "6.0.8");
	rc = nuget_parse_nuspec(s, strlen(s), "x.nuspec", &id, &ver, &e);
	TEST("nuspec: id and version, in nuspec's namespace",
	    rc == 0 && strcmp(id, "Newtonsoft.Json") == 0 &&
		strcmp(ver, "6.0.8") == 0);
	free(s);
	free(id);
	free(ver);
	s = "<package><metadata>\n<id> A </id>\n</metadata></package>";
	rc = nuget_parse_nuspec(s, strlen(s), "x.nuspec", &id, &ver, &e);
	TEST("nuspec: no version",
	    rc == -1 &&
		strcmp(e.msg, "x.nuspec:1: <metadata> without <version>") == 0);
	free(id);
	free(ver);
}

static void
test_find(struct ctx *c)
{
	char *app = xasprintf("%s/find", c->dir), *p;
	struct strlist l = {0};
	struct errbuf e;
	int rc;

	p = xasprintf("%s/App.sln", app);
	write_file(p, SLN_TEXT);
	free(p);
	p = xasprintf("%s/App/packages.config", app);
	write_file(p, "<packages/>");
	free(p);
	p = xasprintf("%s/src/Lib/packages.config", app);
	write_file(p, "<packages/>");
	free(p);
	p = xasprintf("%s/src/Lib/packages.Lib.config", app);
	write_file(p, "<packages/>");
	free(p);
	p = xasprintf("%s/.nuget/packages.config", app);
	write_file(p, "<packages/>");
	free(p);
	rc = nuget_find_configs(app, "App.sln", &l, &e);
	TEST("find: each project's packages.config, packages.<Project>.config "
	     "first, and the solution's .nuget one",
	    rc == 0 && l.n == 3 &&
		strcmp(l.v[0], ".nuget/packages.config") == 0 &&
		strcmp(l.v[1], "App/packages.config") == 0 &&
		strcmp(l.v[2], "src/Lib/packages.Lib.config") == 0);
	strlist_free(&l);

	rc = nuget_find_configs(app, "App/App.csproj", &l, &e);
	TEST("find: SOLUTION naming a project file",
	    rc == 0 && l.n == 1 && strcmp(l.v[0], "App/packages.config") == 0);
	strlist_free(&l);

	p = xasprintf("%s/Out/packages.config", c->dir);
	write_file(p, "<packages/>");
	free(p);
	p = xasprintf("%s/App/packages.config", app);
	unlink(p);
	rc = symlink("../../Out/packages.config", p);
	free(p);
	rc = rc == -1 ? -1 : nuget_find_configs(app, "App.sln", &l, &e);
	TEST("find: a packages.config leading out of the app is refused",
	    rc == -1 &&
		strcmp(e.msg,
		    "App/packages.config: a symlink out of "
		    "the app's directory, refused") == 0);
	if (rc == 0 || strstr(e.msg, "refused") == NULL)
		printf("# %s\n", e.msg);
	strlist_free(&l);

	rc = nuget_find_configs(app, "Missing.sln", &l, &e);
	TEST("find: an unreadable solution names it",
	    rc == -1 && strstr(e.msg, "Missing.sln") != NULL);
	strlist_free(&l);
	free(app);
}

/* The feed: Newtonsoft.Json from Debian, packages made here, and service
 * indexes pointing at faultd, plainly and with faults. */
static int
setup(struct ctx *c)
{
	char exe[PATH_MAX], *bin, *p;
	ssize_t n;
	struct errbuf e;
	int rc;
	const char *tmp =
	    getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	memset(c, 0, sizeof *c);
	if ((c->dir = fs_mkdtemp(tmp, "test_nuget.", &e)) == NULL) {
		printf("# %s\n", e.msg);
		return -1;
	}
	c->feed = xasprintf("%s/feed", c->dir);
	c->cache = xasprintf("%s/cache", c->dir);
	if (!fs_exists(NEWTONSOFT)) {
		printf("# %s is missing: apt-get install "
		       "nupkg-newtonsoft.json.6.0.8\n",
		    NEWTONSOFT);
		return -1;
	}
	p = xasprintf("%s/flat/newtonsoft.json/6.0.8/"
		      "newtonsoft.json.6.0.8.nupkg",
	    c->feed);
	if (copy_into(NEWTONSOFT, p) == -1 ||
	    make_pkg(c->feed, "Tiny.Pkg", "1.0.0", "Tiny.Pkg", "1.0", NULL) ==
		-1 ||
	    make_pkg(c->feed, "Other.Case", "2.0.0-beta", "other.CASE",
		"2.0.0-BETA", NULL) == -1 ||
	    make_pkg(c->feed, "Mismatch.Pkg", "1.0.0", "Other.Pkg", "1.0.0",
		NULL) == -1 ||
	    make_pkg(c->feed, "Wrong.Version", "1.0.0", "Wrong.Version",
		"1.0.1", NULL) == -1 ||
	    make_pkg(c->feed, "Evil.Pkg", "1.0.0", "Evil.Pkg", "1.0.0",
		"lib/%2E%2E/%2E%2E/%2E%2E/evil.txt") == -1) {
		free(p);
		printf("# cannot write the feed\n");
		return -1;
	}
	free(p);
	p = xasprintf("%s/notv3.json", c->feed);
	write_file(p, "{\"versions\": [\"1.0.0\"]}\n");
	free(p);
	p = xasprintf("%s/v2.xml", c->feed);
	write_file(p,
	    "<?xml version=\"1.0\"?>\n<service xmlns=\"http://www.w3.org/"
	    "2007/app\"><workspace/></service>\n");
	free(p);
	p = xasprintf("%s/cut.json", c->feed);
	write_file(p, "{\"version\": \"3.0.0\", \"resources\": [");
	free(p);
	p = xasprintf("%s/flat/corrupt.pkg/1.0.0/corrupt.pkg.1.0.0.nupkg",
	    c->feed);
	write_file(p, "PK\x03\x04 this is not a zip at all, only its magic");
	free(p);

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	bin = xasprintf("%s/../servers/faultd", dirname(exe));
	c->faultd = start_faultd(bin, c->feed, c->dir, &c->port, &c->log);
	if (c->faultd == -1) {
		printf("# cannot start %s (make build/servers/faultd)\n", bin);
		free(bin);
		return -1;
	}
	free(bin);
	snprintf(c->base, sizeof c->base, "http://127.0.0.1:%d", c->port);
	{
		static const struct {
			const char *name, *base;
		} idx[] = {
		    {"index.json", "flat/"},
		    {"flaky.json", "_fault/status=503,fail-first=1/flat/"},
		    {"down.json", "_fault/status=500/flat/"},
		    {"empty.json", "nothing/"},
		    {NULL, NULL},
		};
		for (int i = 0; idx[i].name != NULL; i++) {
			char *text =
			    xasprintf("{\n  \"version\": \"3.0.0\",\n"
				      "  \"resources\": [\n    {\"@id\": "
				      "\"%s/query\", "
				      "\"@type\": \"SearchQueryService\"},\n"
				      "    {\"@id\": \"%s/%s\",\n\t\"@type\": "
				      "[\"PackageBaseAddress/3.0.0\"]}\n  "
				      "]\n}\n",
				c->base, c->base, idx[i].base);

			p = xasprintf("%s/%s", c->feed, idx[i].name);
			rc = write_file(p, text);
			free(p);
			free(text);
			if (rc == -1)
				return -1;
		}
	}
	return 0;
}

static void
teardown(struct ctx *c)
{
	struct errbuf e;

	TEST("faultd exits cleanly on SIGTERM", stop_server(c->faultd) == 0);
	if (c->dir != NULL && fs_rm_rf(c->dir, &e) == -1)
		printf("# %s\n", e.msg);
	free(c->dir);
	free(c->feed);
	free(c->cache);
	free(c->log);
}

static void
test_restore(struct ctx *c)
{
	struct nuget_result r;
	struct events evs;
	struct errbuf e;
	char *app, *src, *dead, *p, want[512];
	int before, rc;

	src = xasprintf("%s/index.json", c->base);
	dead = xasprintf("http://127.0.0.1:1/index.json");

	/* Cold: the service index once, then each package. */
	app = new_app(c,
	    "  <package id=\"Newtonsoft.Json\" version=\"6.0.8\" />\n"
	    "  <package id=\"Tiny.Pkg\" version=\"1.0\" />\n"
	    "  <package id=\"Other.Case\" version=\"2.0.0-beta\" />\n");
	before = log_lines(c->log, NULL);
	rc = restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	if (rc == -1)
		printf("# %s\n", e.msg);
	TEST("cold restore: three packages downloaded, four requests",
	    rc == 0 && r.downloaded == 3 && r.cached == 0 && r.committed == 0 &&
		r.requests == 4 && log_lines(c->log, NULL) - before == 4 &&
		evs.n[NUGET_DOWNLOAD] == 3);
	snprintf(want, sizeof want,
	    "%d Newtonsoft.Json 6.0.8 %s/flat/"
	    "newtonsoft.json/6.0.8/newtonsoft.json.6.0.8.nupkg\n",
	    NUGET_DOWNLOAD, c->base);
	TEST("cold restore: the download event names the package URL",
	    strstr(evs.text, want) != NULL);
	TEST("the library is where the HintPath looks",
	    size_of(app,
		"packages/Newtonsoft.Json.6.0.8/lib/net45/"
		"Newtonsoft.Json.dll") == NEWTONSOFT_DLL_SIZE);
	p = xasprintf("cmp -s '%s' '%s/packages/Newtonsoft.Json.6.0.8/"
		      "Newtonsoft.Json.6.0.8.nupkg'",
	    NEWTONSOFT, app);
	TEST("the .nupkg is kept in its folder, as NuGet does", system(p) == 0);
	free(p);
	TEST("the package's OPC parts and manifest are left out",
	    !exists(app, "packages/Newtonsoft.Json.6.0.8/_rels") &&
		!exists(app, "packages/Newtonsoft.Json.6.0.8/package") &&
		!exists(app,
		    "packages/Newtonsoft.Json.6.0.8/[Content_Types].xml") &&
		!exists(app,
		    "packages/Newtonsoft.Json.6.0.8/"
		    "Newtonsoft.Json.nuspec") &&
		exists(app, "packages/Newtonsoft.Json.6.0.8/LICENSE.md"));
	TEST("folders are named as packages.config writes id and version",
	    exists(app, "packages/Tiny.Pkg.1.0/lib/net45/Tiny+Lib.dll") &&
		exists(app, "packages/Tiny.Pkg.1.0/content/a b.txt") &&
		exists(app, "packages/Other.Case.2.0.0-beta/lib/net45"));
	TEST("nothing left behind in packages/",
	    count_in(app, "packages", ".") == 0);
	TEST("the cache holds the verified packages, lowercased",
	    size_of(c->cache, "nuget/newtonsoft.json/6.0.8.nupkg") ==
		    size_of("/", NEWTONSOFT) &&
		exists(c->cache, "nuget/tiny.pkg/1.0.0.nupkg") &&
		exists(c->cache, "nuget/other.case/2.0.0-beta.nupkg") &&
		count_in(c->cache, "nuget/tiny.pkg", ".") == 0);
	free(app);

	/* Warm: a fresh app, the same cache, and no feed at all. */
	app = new_app(c,
	    "  <package id=\"Newtonsoft.Json\" version=\"6.0.8\" />\n"
	    "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	before = log_lines(c->log, NULL);
	rc = restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	TEST("warm restore: from the cache, no request at all",
	    rc == 0 && r.cached == 2 && r.downloaded == 0 && r.requests == 0 &&
		log_lines(c->log, NULL) == before && evs.n[NUGET_CACHED] == 2 &&
		size_of(app,
		    "packages/Newtonsoft.Json.6.0.8/lib/net45/"
		    "Newtonsoft.Json.dll") == NEWTONSOFT_DLL_SIZE);
	free(app);
	app = new_app(c,
	    "  <package id=\"Newtonsoft.Json\" version=\"6.0.8\" />\n");
	rc =
	    restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", dead, NULL);
	TEST("warm restore with the feed unreachable: from the cache",
	    rc == 0 && r.cached == 1 && r.requests == 0);

	/* Restored already (a second compile of the same build dir). */
	rc =
	    restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", dead, NULL);
	TEST("a folder in place already is used as it is",
	    rc == 0 && r.committed == 1 && r.requests == 0 &&
		evs.n[NUGET_COMMITTED] == 1);
	free(app);

	/* Committed packages: no cache, no network. */
	app =
	    new_app(c, "  <package id=\"Committed.Pkg\" version=\"3.1\" />\n");
	p = xasprintf("%s/packages/Committed.Pkg.3.1/lib/net45/C.dll", app);
	write_file(p, "ours");
	free(p);
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", dead, NULL);
	TEST("committed packages/: used as they are, no request",
	    rc == 0 && r.committed == 1 && r.requests == 0 &&
		size_of(app, "packages/Committed.Pkg.3.1/lib/net45/C.dll") ==
		    4 &&
		!exists(app,
		    "packages/Committed.Pkg.3.1/Committed.Pkg.3.1.nupkg"));
	free(app);

	/* No cache: downloaded into the staging directory. */
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	TEST("without a cache: downloaded, placed, nothing left behind",
	    rc == 0 && r.downloaded == 1 &&
		exists(app, "packages/Tiny.Pkg.1.0.0/Tiny.Pkg.1.0.0.nupkg") &&
		count_in(app, "packages", ".") == 0);
	free(app);

	/* A cache that cannot be used. */
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/cache-file", c->dir);
	write_file(p, "not a directory");
	rc = restore(c, app, p, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	TEST("an unusable cache: said once, restored without it",
	    rc == 0 && r.downloaded == 1 && evs.n[NUGET_CACHE_UNUSABLE] == 1);
	free(p);
	free(app);

	free(src);
	free(dead);
}

static void
test_faults(struct ctx *c)
{
	struct nuget_result r;
	struct events evs;
	struct errbuf e;
	char *app, *src, *p, want[512];
	int before, rc;

	src = xasprintf("%s/index.json", c->base);

	app = new_app(c, "  <package id=\"Missing.Pkg\" version=\"1.0\" />\n");
	rc = restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	snprintf(want, sizeof want,
	    "Missing.Pkg 1.0: no such package on the "
	    "feed %s",
	    src);
	TEST("404: one line naming id, version and feed",
	    rc == -1 && r.failure == NUGET_FAIL_FETCH &&
		strcmp(e.msg, want) == 0);
	if (strcmp(e.msg, want) != 0)
		printf("# %s\n", e.msg);
	TEST("404: no folder, no cache entry, no temporary file",
	    !exists(app, "packages/Missing.Pkg.1.0") &&
		count_in(app, "packages", ".") == 0 &&
		count_in(c->cache, "nuget/missing.pkg", "") == 0);
	free(app);

	/* 5xx, then the package: fetch's retry. */
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/flaky.json", c->base);
	before = log_lines(c->log, " 503");
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", p, NULL);
	TEST("5xx then success: retried, restored",
	    rc == 0 && r.downloaded == 1 && r.requests == 3 &&
		log_lines(c->log, " 503") - before == 1 &&
		exists(app, "packages/Tiny.Pkg.1.0.0/lib/net45/Tiny+Lib.dll"));
	if (rc == -1)
		printf("# %s\n", e.msg);
	free(p);
	free(app);

	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/down.json", c->base);
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", p, NULL);
	TEST("5xx every time: fails naming the package URL",
	    rc == -1 && r.failure == NUGET_FAIL_FETCH &&
		strncmp(e.msg, "Tiny.Pkg 1.0.0: fetch http://", 29) == 0 &&
		strstr(e.msg,
		    "/tiny.pkg/1.0.0/tiny.pkg.1.0.0.nupkg: HTTP 500") != NULL &&
		!exists(app, "packages/Tiny.Pkg.1.0.0"));
	printf("# %s\n", e.msg);
	free(p);
	free(app);

	app =
	    new_app(c, "  <package id=\"Corrupt.Pkg\" version=\"1.0.0\" />\n");
	rc = restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	snprintf(want, sizeof want,
	    "Corrupt.Pkg 1.0.0 from %s/flat/corrupt.pkg/"
	    "1.0.0/corrupt.pkg.1.0.0.nupkg: not a readable package (zip): ",
	    c->base);
	TEST("a corrupt nupkg is refused, and not cached",
	    rc == -1 && r.failure == NUGET_FAIL_FETCH &&
		strncmp(e.msg, want, strlen(want)) == 0 &&
		!exists(c->cache, "nuget/corrupt.pkg/1.0.0.nupkg") &&
		count_in(c->cache, "nuget/corrupt.pkg", ".") == 0 &&
		!exists(app, "packages/Corrupt.Pkg.1.0.0"));
	printf("# %s\n", e.msg);
	free(app);

	app = new_app(c, "  <package id=\"Mismatch.Pkg\" version=\"1.0\" />\n");
	rc = restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	snprintf(want, sizeof want,
	    "Mismatch.Pkg 1.0 from %s/flat/mismatch.pkg/"
	    "1.0.0/mismatch.pkg.1.0.0.nupkg: the package is Other.Pkg 1.0.0, "
	    "not Mismatch.Pkg 1.0",
	    c->base);
	TEST("an id mismatch is refused, and not cached",
	    rc == -1 && r.failure == NUGET_FAIL_FETCH &&
		strcmp(e.msg, want) == 0 &&
		!exists(c->cache, "nuget/mismatch.pkg/1.0.0.nupkg"));
	if (strcmp(e.msg, want) != 0)
		printf("# %s\n", e.msg);
	free(app);

	app = new_app(c,
	    "  <package id=\"Wrong.Version\" version=\"1.0.0\" />\n");
	rc = restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	TEST("a version mismatch is refused",
	    rc == -1 && r.failure == NUGET_FAIL_FETCH &&
		strstr(e.msg,
		    "the package is Wrong.Version 1.0.1, not "
		    "Wrong.Version 1.0.0") != NULL);
	free(app);

	app = new_app(c, "  <package id=\"Evil.Pkg\" version=\"1.0.0\" />\n");
	rc = restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	snprintf(want, sizeof want,
	    "Evil.Pkg 1.0.0 from %s/flat/evil.pkg/"
	    "1.0.0/evil.pkg.1.0.0.nupkg: archive entry "
	    "'lib/../../../evil.txt': path escapes the root",
	    c->base);
	TEST("an entry climbing out (percent-encoded ..) is refused, "
	     "before the cache",
	    rc == -1 && r.failure == NUGET_FAIL_FETCH &&
		strcmp(e.msg, want) == 0 &&
		!exists(c->cache, "nuget/evil.pkg/1.0.0.nupkg") &&
		!exists(app, "evil.txt") && !exists(app, "packages/evil.txt") &&
		!exists(app, "packages/Evil.Pkg.1.0.0") &&
		count_in(app, "packages", ".") == 0);
	printf("# %s\n", e.msg);
	free(app);

	/* A cached copy that went bad is replaced. */
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/nuget/tiny.pkg/1.0.0.nupkg", c->cache);
	rc = truncate(p, 100);
	free(p);
	rc = rc == -1 ? -1
		      : restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE",
			    src, NULL);
	TEST("a damaged cache entry: said, downloaded again",
	    rc == 0 && r.downloaded == 1 && evs.n[NUGET_CACHE_DAMAGED] == 1 &&
		size_of(c->cache, "nuget/tiny.pkg/1.0.0.nupkg") > 100);
	free(app);

	/* packages.config that is not XML. */
	app = new_app(c, "  <package id=\"A\" version=\"1.0\">\n");
	rc = restore(c, app, c->cache, &r, &evs, &e, "NUGET_SOURCE", src, NULL);
	TEST("bad packages.config: an input failure naming file and line",
	    rc == -1 && r.failure == NUGET_FAIL_INPUT &&
		strncmp(e.msg, "App/packages.config:4: ", 23) == 0);
	free(app);

	/* A feed that is not a v3 feed. */
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/notv3.json", c->base);
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", p, NULL);
	TEST("a source without PackageBaseAddress: says it is not a v3 feed",
	    rc == -1 && r.failure == NUGET_FAIL_FETCH &&
		strstr(e.msg, "not a NuGet v3 feed") != NULL);
	free(p);
	p = xasprintf("%s/v2.xml", c->base);
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", p, NULL);
	snprintf(want, sizeof want, "%s: not a NuGet v3 service index: ", p);
	TEST("a v2 feed (XML): not a v3 service index, named",
	    rc == -1 && r.failure == NUGET_FAIL_FETCH &&
		strncmp(e.msg, want, strlen(want)) == 0);
	printf("# %s\n", e.msg);
	free(p);
	p = xasprintf("%s/cut.json", c->base);
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", p, NULL);
	TEST("a service index cut short",
	    rc == -1 &&
		strstr(e.msg,
		    ": not a NuGet v3 service index: "
		    "unexpected end of data") != NULL);
	free(p);
	free(app);

	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE",
	    "http://exa mple/index.json", NULL);
	TEST("a source that is not a URL: an input error naming it",
	    rc == -1 && r.failure == NUGET_FAIL_INPUT &&
		strncmp(e.msg, "NuGet source http://exa", 23) == 0 &&
		strstr(e.msg, ": not a valid URL") != NULL);
	printf("# %s\n", e.msg);
	free(app);

	/* packages/ as a symlink out of the app. */
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/packages", app);
	{
		char *outside = xasprintf("%s/outside", c->dir);
		struct errbuf ee;

		rc = fs_mkdir_p(outside, 0755, &ee) == -1 ||
			symlink(outside, p) == -1
		    ? -1
		    : restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", src,
			  NULL);
		TEST("a packages/ symlink is never written through",
		    rc == -1 && strstr(e.msg, "symlink") != NULL &&
			count_prefixed(outside, "") == 0);
		printf("# %s\n", e.msg);
		free(outside);
	}
	free(p);
	free(app);
	free(src);
}

/* nuget.config: sources, <clear/>, disabled sources, repositoryPath. */
static void
test_config(struct ctx *c)
{
	struct nuget_result r;
	struct events evs;
	struct errbuf e;
	char *app, *p, *text;
	int rc;

	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/NuGet.Config", app);
	text = xasprintf("<?xml version=\"1.0\"?>\n<configuration>\n"
			 "  <config><add key=\"repositoryPath\" "
			 "value=\"lib\\pkgs\" />"
			 "</config>\n  <packageSources>\n    <clear />\n"
			 "    <add key=\"off\" "
			 "value=\"http://127.0.0.1:1/index.json\" />\n"
			 "    <add key=\"local\" value=\"./my-feed\" />\n"
			 "    <add key=\"here\" value=\"%s/index.json\" />\n"
			 "  </packageSources>\n  <disabledPackageSources>\n"
			 "    <add key=\"off\" value=\"true\" />\n"
			 "  </disabledPackageSources>\n</configuration>\n",
	    c->base);
	write_file(p, text);
	free(p);
	free(text);
	rc = restore(c, app, NULL, &r, &evs, &e, NULL);
	TEST("nuget.config: its source, its repositoryPath, the disabled "
	     "source unused, a local folder source skipped with a warning",
	    rc == 0 && r.downloaded == 1 && r.requests == 2 &&
		exists(app, "lib/pkgs/Tiny.Pkg.1.0.0/lib/net45/Tiny+Lib.dll") &&
		!exists(app, "packages") && evs.n[NUGET_SOURCE_SKIPPED] == 1 &&
		strstr(evs.text, "./my-feed: not an http(s) feed") != NULL);
	if (rc == -1)
		printf("# %s\n", e.msg);
	free(app);

	/* Two feeds: the first lacks the package, the second has it; a
	 * .nuget/NuGet.Config nearer than the root's overrides its source
	 * "empty" and its repositoryPath. */
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/NuGet.Config", app);
	text = xasprintf("<configuration><config><add key=\"repositoryPath\" "
			 "value=\"far\" /></config><packageSources><clear/>"
			 "<add key=\"empty\" "
			 "value=\"%s/_fault/status=404/index.json\"/>"
			 "</packageSources></configuration>",
	    c->base);
	write_file(p, text);
	free(p);
	free(text);
	p = xasprintf("%s/.nuget/NuGet.Config", app);
	text = xasprintf("<configuration><config><add key=\"repositoryPath\" "
			 "value=\"../near\" /></config><packageSources>"
			 "<add key=\"empty\" value=\"%s/empty.json\"/>"
			 "<add key=\"second\" value=\"%s/index.json\"/>"
			 "</packageSources></configuration>",
	    c->base, c->base);
	write_file(p, text);
	free(p);
	free(text);
	rc = restore(c, app, NULL, &r, &evs, &e, NULL);
	TEST("nuget.config: nearer files override farther ones by key; a "
	     "404 on one feed asks the next",
	    rc == 0 && r.requests == 4 &&
		exists(app, "near/Tiny.Pkg.1.0.0/lib") && !exists(app, "far"));
	if (rc == -1)
		printf("# %s\n", e.msg);
	free(app);

	/* A nuget.config leading out of the app; a committed package
	 * folder that is a symlink inside it. */
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/nuget.config", app);
	rc = symlink("/etc/hostname", p);
	free(p);
	rc = rc == -1 ? -1 : restore(c, app, NULL, &r, &evs, &e, NULL);
	TEST("a nuget.config leading out of the app: an input error",
	    rc == -1 && r.failure == NUGET_FAIL_INPUT &&
		strcmp(e.msg,
		    "nuget.config: a symlink out of the app's "
		    "directory, refused") == 0);
	free(app);
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/vendored/Tiny/lib/x.dll", app);
	write_file(p, "x");
	free(p);
	p = xasprintf("%s/packages", app);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/packages/Tiny.Pkg.1.0.0", app);
	rc = symlink("../vendored/Tiny", p);
	free(p);
	rc = rc == -1 ? -1
		      : restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE",
			    "http://127.0.0.1:1/index.json", NULL);
	TEST("a committed package folder linked inside the app is used",
	    rc == 0 && r.committed == 1 && r.requests == 0);
	free(app);

	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	p = xasprintf("%s/App/nuget.config", app);
	write_file(p,
	    "<configuration><config><add key=\"repositoryPath\" "
	    "value=\"..\\..\\..\\elsewhere\" /></config></configuration>");
	free(p);
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", c->base, NULL);
	p = xasprintf("%s/index.json", c->base);
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", p, NULL);
	free(p);
	TEST("a nuget.config beside a project is not the solution's",
	    rc == 0 && exists(app, "packages/Tiny.Pkg.1.0.0"));
	p = xasprintf("%s/nuget.config", app);
	write_file(p,
	    "<configuration><config><add key=\"repositoryPath\" "
	    "value=\"..\\elsewhere\" /></config></configuration>");
	free(p);
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", "http://x/",
	    NULL);
	TEST("a repositoryPath outside the app is an input error",
	    rc == -1 && r.failure == NUGET_FAIL_INPUT &&
		strcmp(e.msg,
		    "nuget.config: repositoryPath ..\\elsewhere is "
		    "outside the app") == 0);
	if (rc == 0 || r.failure != NUGET_FAIL_INPUT)
		printf("# %s\n", e.msg);
	free(app);
}

/* Private feeds: credentials from config vars or the URL, sent as basic
 * auth to the feed's origin only, and never in a message or an event. */
static void
test_credentials(struct ctx *c)
{
	struct nuget_result r;
	struct events evs;
	struct errbuf e;
	char *app, *root, *p, *text, *url;
	int port, port2, rc;
	pid_t pid, pid2;

	root = xasprintf("%s/private", c->dir);
	p = xasprintf("%s/flat/tiny.pkg/1.0.0/tiny.pkg.1.0.0.nupkg", root);
	text =
	    xasprintf("%s/flat/tiny.pkg/1.0.0/tiny.pkg.1.0.0.nupkg", c->feed);
	copy_into(text, p);
	free(p);
	free(text);
	/* "Basic " + base64("deploy:s3cr:et p@ss") */
	pid = auth_server(root, "Basic ZGVwbG95OnMzY3I6ZXQgcEBzcw==", &port);
	pid2 = auth_server(root, NULL, &port2);
	if (pid == -1 || pid2 == -1) {
		TEST("start the credential servers", false);
		return;
	}
	p = xasprintf("%s/index.json", root);
	text = xasprintf("{\"version\":\"3.0.0\",\"resources\":[{\"@id\":"
			 "\"http://127.0.0.1:%d/"
			 "flat\",\"@type\":\"PackageBaseAddress/3.0.0\"}]}",
	    port);
	write_file(p, text);
	free(p);
	free(text);
	p = xasprintf("%s/other.json", root);
	text = xasprintf("{\"version\":\"3.0.0\",\"resources\":[{\"@id\":"
			 "\"http://127.0.0.1:%d/flat/"
			 "\",\"@type\":\"PackageBaseAddress/3.0.0\"}]}",
	    port2);
	write_file(p, text);
	free(p);
	free(text);

	url = xasprintf("http://127.0.0.1:%d/index.json", port);
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", url, NULL);
	TEST("a private feed without credentials: 401, named",
	    rc == -1 && r.failure == NUGET_FAIL_FETCH &&
		strstr(e.msg, "HTTP 401") != NULL);
	printf("# %s\n", e.msg);
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", url,
	    "NUGET_USERNAME", "deploy", "NUGET_PASSWORD", "s3cr:et p@ss", NULL);
	TEST("NUGET_USERNAME/NUGET_PASSWORD: basic auth on index and package",
	    rc == 0 && r.downloaded == 1 && r.requests == 2 &&
		exists(app, "packages/Tiny.Pkg.1.0.0/lib/net45/Tiny+Lib.dll"));
	TEST("... and the password is in no event",
	    strstr(evs.text, "s3cr") == NULL &&
		strstr(evs.text, "deploy") == NULL &&
		strstr(evs.text, "127.0.0.1") != NULL);
	free(url);
	free(app);

	url = xasprintf("http://deploy:s3cr%%3Aet%%20p%%40ss@127.0.0.1:%d/"
			"index.json",
	    port);
	app = new_app(c,
	    "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n"
	    "  <package id=\"Nope.Pkg\" version=\"1.0.0\" />\n");
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", url, NULL);
	p = xasprintf("Nope.Pkg 1.0.0: no such package on the feed "
		      "http://127.0.0.1:%d/index.json",
	    port);
	TEST("user:password in NUGET_SOURCE: used, and never shown",
	    rc == -1 && r.downloaded == 1 && strcmp(e.msg, p) == 0 &&
		strstr(evs.text, "s3cr") == NULL &&
		strstr(evs.text, "deploy") == NULL);
	if (strcmp(e.msg, p) != 0)
		printf("# %s\n", e.msg);
	free(p);
	free(url);
	free(app);

	/* The index on one origin, the packages on another: the
	 * credentials stay with the first (the second refuses any). */
	url = xasprintf("http://127.0.0.1:%d/other.json", port);
	app = new_app(c, "  <package id=\"Tiny.Pkg\" version=\"1.0.0\" />\n");
	rc = restore(c, app, NULL, &r, &evs, &e, "NUGET_SOURCE", url,
	    "NUGET_USERNAME", "deploy", "NUGET_PASSWORD", "s3cr:et p@ss", NULL);
	TEST("credentials are not sent to another origin",
	    rc == 0 && r.downloaded == 1);
	if (rc == -1)
		printf("# %s\n", e.msg);
	free(url);
	free(app);

	TEST("the credential servers were still up",
	    kill(pid, 0) == 0 && kill(pid2, 0) == 0);
	stop_server(pid);
	stop_server(pid2);
	free(root);
}

int
main(void)
{
	struct ctx c;
	struct errbuf e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_parsers();
	if (fetch_global_init(&e) == -1) {
		printf("# %s\n", e.msg);
		return 1;
	}
	if (setup(&c) == -1) {
		TEST("set up the feed", false);
	} else {
		test_find(&c);
		test_restore(&c);
		test_faults(&c);
		test_config(&c);
		test_credentials(&c);
	}
	teardown(&c);
	fetch_global_cleanup();
	return test_report();
}
