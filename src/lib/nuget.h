/* nuget.h - restoring an app's NuGet packages before xbuild, as `nuget
 * restore` did for Mono-era apps: every package listed in the packages.config
 * of the solution's projects is put in the solution's packages/Id.Version/
 * folder, where the projects' HintPaths look for it.
 *
 * Packages come from NuGet v3 feeds: the service index, then the package
 * from its PackageBaseAddress/3.0.0 (flat container) resource.  The feed is
 * the NUGET_SOURCE config var, else the packageSources of the app's
 * nuget.config files, else nuget.org.  Each .nupkg is checked (a readable zip
 * whose .nuspec names the id and version asked for) before it is cached in
 * CACHE_DIR/nuget/<id>/<version>.nupkg and unpacked; a package already cached
 * costs no request, one already committed in packages/ is used as it is.
 *
 * The module comes in two halves.  nuget_find.c finds the packages.config
 * files with libc alone: compile links it, to learn whether there is
 * anything to restore.  nuget.c restores (libxml2, libcurl, libarchive) and
 * lives in slugc-install.so, which compile loads only then
 * (runtime/downloader.h), so that apps without NuGet packages start no faster
 * or slower than before. */
#ifndef SLUGC_NUGET_H
#define SLUGC_NUGET_H

#include <stdbool.h>
#include <stddef.h>

#include "envdir.h"
#include "err.h"
#include "stopflag.h"
#include "strlist.h"

#define NUGET_DEFAULT_SOURCE "https://api.nuget.org/v3/index.json"

/* --- nuget_find.c: libc only ------------------------------------------ */

/* Fills out (sorted, no duplicates) with the paths, relative to build_dir,
 * of the packages.config files of the projects that solution (a .sln, or a
 * project file, relative to build_dir) names: for each project,
 * packages.<ProjectName>.config when present (NuGet's precedence), else
 * packages.config, beside the project file; and the solution-level
 * .nuget/packages.config.  Projects outside build_dir and missing files are
 * skipped.  Returns 0 (out may be empty), or -1 with e naming the file that
 * could not be read. */
int nuget_find_configs(const char *build_dir, const char *solution,
    struct strlist *out, struct errbuf *e);

/* The project files a .sln names (the Project(...) lines whose path ends in
 * .csproj, .vbproj or .fsproj), as written but with '\' made '/', in
 * their order.  Returns -1 only when out of memory. */
int nuget_sln_projects(const char *buf, size_t len, struct strlist *out,
    struct errbuf *e);

/* dir (a clean path relative to the app's root; "" for the root itself)
 * joined with rel, '\' read as '/', '.' and '..' resolved without looking
 * at the file system: a malloc'd clean relative path ("" for the root), or
 * NULL with errno EINVAL when rel is absolute or climbs above the root, or
 * ENOMEM. */
char *nuget_path_join(const char *dir, const char *rel);

/* --- nuget.c: the restore ---------------------------------------------- */

/* One package of a packages.config. */
struct nuget_pkg {
	char *id;      /* as written: the folder is packages/ID.VERSION */
	char *version; /* as written */
	long line;     /* in its packages.config, for messages */
};

struct nuget_pkglist {
	struct nuget_pkg *v;
	size_t n, cap;
};

void nuget_pkglist_free(struct nuget_pkglist *l);

/* Parses a packages.config (its len bytes at buf; name is what messages
 * call it) and appends its packages to out.  Every <package> must have a
 * valid id and version.  Returns -1 with e holding "NAME:LINE: why". */
int nuget_parse_packages(const char *buf, size_t len, const char *name,
    struct nuget_pkglist *out, struct errbuf *e);

/* What one nuget.config says that a restore uses. */
struct nuget_config {
	char *repository_path;	 /* config/repositoryPath as written, or NULL */
	bool clear;		 /* packageSources has <clear/> */
	struct strlist keys;	 /* packageSources' <add key>, in order */
	struct strlist values;	 /* ... and their value */
	struct strlist disabled; /* disabledPackageSources set to true */
};

void nuget_config_free(struct nuget_config *c);

/* Parses a nuget.config into c (zeroed first; freed by the caller even on
 * failure).  Returns -1 with e holding "NAME:LINE: why". */
int nuget_parse_config(const char *buf, size_t len, const char *name,
    struct nuget_config *c, struct errbuf *e);

/* Parses a .nuspec and returns its metadata/id and metadata/version in
 * malloc'd *id and *version (the caller frees them, even on failure). */
int nuget_parse_nuspec(const char *buf, size_t len, const char *name, char **id,
    char **version, struct errbuf *e);

/* true when id is a package id NuGet accepts: at most 100 characters,
 * [A-Za-z0-9_] runs joined by single '.' or '-'. */
bool nuget_id_valid(const char *id);

/* Writes the normalized form of version into out (size bytes), as the flat
 * container's URLs spell it: "1.0" -> "1.0.0", "1.00.2.0" -> "1.0.2",
 * "1.2.3.4-Beta+meta" -> "1.2.3.4-Beta" (metadata dropped, letters kept as
 * they are).  Returns 0, or -1 when version is not a NuGet version. */
int nuget_version_normalize(const char *version, char *out, size_t size);

/* What nuget_restore tells its caller, for the log.  id and version are the
 * package's as written in packages.config (NULL for NUGET_SOURCE_SKIPPED and
 * NUGET_CACHE_UNUSABLE); detail is described per event.  URLs never hold
 * credentials. */
enum nuget_event {
	NUGET_COMMITTED,      /* in packages/ already: used as it is */
	NUGET_CACHED,	      /* unpacked from the cache */
	NUGET_DOWNLOAD,	      /* detail: the package's URL */
	NUGET_CACHE_DAMAGED,  /* detail: what is wrong; downloading again */
	NUGET_CACHE_UNUSABLE, /* detail: why; restoring without a cache */
	NUGET_SOURCE_SKIPPED, /* detail: why (the source and what it is) */
};

/* Why nuget_restore failed, for the caller's exit code. */
enum nuget_failure {
	NUGET_FAIL_NONE,
	NUGET_FAIL_INPUT, /* the app's packages.config or nuget.config */
	NUGET_FAIL_FETCH, /* a feed: unreachable, missing or bad package */
	NUGET_FAIL_IO,	  /* the local file system */
};

struct nuget_opts {
	/* sizeof (struct nuget_opts), set by the caller: the restore runs
	 * from a shared object, which refuses a struct of another layout. */
	size_t size;
	const char *build_dir;	       /* nothing is written outside it */
	const char *solution;	       /* relative to build_dir */
	const struct strlist *configs; /* nuget_find_configs' list */
	const char *cache_dir;	       /* CACHE_DIR; NULL: no cache */
	/* NUGET_SOURCE (the one feed, instead of nuget.config's), and
	 * NUGET_USERNAME + NUGET_PASSWORD: HTTP basic auth for every feed
	 * but nuget.org, only ever sent to the feed's own scheme, host and
	 * port.  User and password in a source URL work too. */
	const struct envdir *vars;
	const stopflag *stop; /* interrupts a download */
	/* Tests shorten fetch's retry delays with this (ms; 0: default). */
	long retry_base_ms;
	void (*event)(void *arg, enum nuget_event ev, const char *id,
	    const char *version, const char *detail);
	void *arg;
};

struct nuget_result {
	enum nuget_failure failure;
	int committed, cached, downloaded; /* packages, by where from */
	int requests;			   /* HTTP requests made */
};

/* Restores every package of o->configs into the packages folder: the
 * repositoryPath of the nearest nuget.config (relative to it), else
 * packages/ beside the solution; it must lie inside build_dir, and no
 * symlink of the app's is ever followed to write.  A package folder is
 * placed whole (unpacked beside it, then renamed) or not at all.  A package
 * no feed has fails with e naming its id, version and the feeds asked.
 * Returns 0, or -1 with e holding one line (URLs without credentials) and
 * r->failure saying what kind of failure it was; r is filled either way. */
int nuget_restore(const struct nuget_opts *o, struct nuget_result *r,
    struct errbuf *e);

#endif
