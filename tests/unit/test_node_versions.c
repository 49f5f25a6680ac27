/* Unit tests for buildpacks/nodejs/buildpack.yml: it loads as a buildpack
 * config, every version in it is a version npm's ranges can pick, and
 * engines.node ranges resolve against it as npm resolves them (the highest
 * match), so a range that names a line (18, ~20.19, ^22) gets that line's
 * version and not the default.  Run from the repository root (as tests/run
 * does), or set SLUGC_NODE_BUILDPACK_YML. */
#include <stdlib.h>
#include <string.h>

#include "runtime/versions.h"
#include "semver.h"
#include "testhelp.h"

/* The version range picks from cfg, or "none" / "bad". */
static const char *
pick(const struct runtime_versions *cfg, const char **versions,
    const char *range)
{
	long i = semver_max_satisfying(range, versions, cfg->nversions, NULL);

	if (i == SEMVER_NOMATCH)
		return "none";
	if (i < 0)
		return "bad";
	return versions[i];
}

int
main(void)
{
	static const struct {
		const char *range, *want;
	} cases[] = {
	    {"", "22.23.5"},
	    {"*", "22.23.5"},
	    {"18", "18.20.8"},
	    {"18.x", "18.20.8"},
	    {"20.x", "20.20.2"},
	    {"~20.19", "20.19.5"},
	    {"20.19.x || 18", "20.19.5"},
	    {"^20.11.0", "20.20.2"},
	    {">=18 <22", "20.20.2"},
	    {"18 - 20", "20.20.2"},
	    {"^22", "22.23.5"},
	    {">=20", "22.23.5"},
	    {"20.20.2", "20.20.2"},
	    {"v20.19.5", "20.19.5"},
	    {">=24", "none"},
	    {"16.x", "none"},
	    {"lts/*", "bad"},
	};
	const char *path = getenv("SLUGC_NODE_BUILDPACK_YML");
	const char **versions;
	struct runtime_versions *cfg = NULL;
	struct errbuf e;
	struct semver v;
	char msg[200];
	size_t i;
	bool all_ok = true;

	if (path == NULL)
		path = "buildpacks/nodejs/buildpack.yml";
	TEST("buildpack.yml loads", runtime_versions_read(path, &cfg, &e) == 0);
	if (cfg == NULL) {
		printf("# %s\n", e.msg);
		return test_report();
	}
	TEST("the default is 20.20.2, the tests' runtime",
	    strcmp(runtime_versions_default(cfg), "20.20.2") == 0);
	TEST("several versions, so that ranges matter", cfg->nversions >= 3);
	versions = calloc(cfg->nversions, sizeof *versions);
	TEST("calloc", versions != NULL);
	if (versions == NULL)
		goto out;
	for (i = 0; i < cfg->nversions; i++) {
		versions[i] = cfg->versions[i].version;
		if (semver_parse(versions[i], &v, &e) == -1 ||
		    v.pre[0] != '\0') {
			printf("# %s\n", e.msg);
			all_ok = false;
		}
		if (strstr(cfg->versions[i].url, versions[i]) == NULL)
			all_ok = false;
	}
	TEST("every version is a release, named in its url", all_ok);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(msg, sizeof msg, "engines.node '%s' gets %s",
		    cases[i].range, cases[i].want);
		TEST(msg,
		    strcmp(pick(cfg, versions, cases[i].range),
			cases[i].want) == 0);
	}
	free(versions);
out:
	runtime_versions_free(cfg);
	return test_report();
}
