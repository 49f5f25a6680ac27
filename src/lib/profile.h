/* profile.h - the .NET Framework profiles an app's projects target and the
 * ones a Mono runtime can build for.
 *
 * xbuild compiles a project against the reference assemblies of its
 * TargetFrameworkVersion, which a runtime keeps in lib/mono/X.Y-api
 * (xbuild-frameworks/.NETFramework/vX.Y points there; v3.0 uses 2.0-api,
 * v3.5 both 3.5-api and 2.0-api).  A profile the runtime lacks fails deep in
 * the build with some 31 CS0518 "predefined type 'System.Object' is not
 * defined" errors, so compile checks first and says which profile is
 * missing, in one line.  The check stays out of the way when it cannot
 * tell: a project it cannot read or whose version depends on properties is
 * left for xbuild to judge. */
#ifndef SLUGC_PROFILE_H
#define SLUGC_PROFILE_H

#include <stdbool.h>

#include "err.h"
#include "monoapp/solution.h"

/* What xbuild targets when a project sets no TargetFrameworkVersion
 * (xbuild 14.0's Microsoft.Common.targets). */
#define PROFILE_DEFAULT "v4.0"

/* Reads the project file at path (a .csproj, .fsproj or .vbproj) with
 * libxml2 (no network, no entity substitution, no DTD loading) and sets
 * *version to a malloc'd copy of its TargetFrameworkVersion ("v4.5.1"),
 * which the caller frees.  A project that sets none gets PROFILE_DEFAULT
 * with *implicit set.  *version is NULL when it cannot be told: values that
 * name properties ("$(Fx)"), differ from one another or are no vN.N; an
 * SDK-style project; a TargetFrameworkIdentifier other than .NETFramework;
 * none set but a project of the app's own imported (which may set it).
 * Returns -1 with e naming the file (and line) when it cannot be read or
 * is not well-formed XML. */
int profile_required(const char *path, char **version, bool *implicit,
    struct errbuf *e);

/* Fills out with the profiles runtime_dir can build for: "X.Y" for each
 * directory runtime_dir/lib/mono/X.Y-api, in version order ("4.5" <
 * "4.5.1" < "4.6").  Empty when there is none (or no lib/mono). */
int profile_available(const char *runtime_dir, struct strlist *out,
    struct errbuf *e);

/* true when the profiles in available (profile_available's) hold the
 * reference assemblies version ("v4.0") needs. */
bool profile_has(const struct strlist *available, const char *version);

/* Fills out with the project files (.csproj, .fsproj, .vbproj) the solution
 * at sln_path lists, as written there with '\' turned into '/' (relative
 * to the solution's directory), in the solution's order.  When the solution
 * maps projects to configuration with ".Build.0" lines, only those projects
 * are listed: xbuild builds no other; the others go to skipped (when not
 * NULL), for a warning. */
int profile_solution_projects(const char *sln_path, const char *configuration,
    struct strlist *out, struct strlist *skipped, struct errbuf *e);

/* The check compile runs before xbuild: the projects that build (a .sln's,
 * or the project file itself) against the runtime's profiles.  solution is
 * relative to build_dir; projects outside build_dir are not read.
 * Returns 0 when every project can be built or it cannot tell (a runtime
 * with no lib/mono/ *-api at all is an unknown layout; a solution or project
 * that cannot be read is xbuild's to report), 1 with e saying which project
 * targets which missing profile and what the runtime has, or -1 with e
 * filled when the runtime's lib/mono cannot be read or memory runs out. */
int profile_check(const char *build_dir, const char *solution,
    const char *configuration, const char *runtime_dir, struct errbuf *e);

#endif
