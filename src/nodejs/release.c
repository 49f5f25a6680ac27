/* release BUILD_DIR [CACHE_DIR] - prints the release manifest as YAML.
 *
 * default_process_types: `web: npm start` when package.json has a start
 * script, else `web: node server.js` when server.js exists (Heroku's rule,
 * nodeapp.h), else no default web (compile warned); the app's Procfile, when
 * there is one, wins type by type.  Problems are reported on stderr; stdout
 * holds the YAML and nothing else.  A package.json that is not valid JSON,
 * or a package.json or Procfile that is a symlink out of BUILD_DIR, is
 * refused: exit 2 (EXIT_USAGE, bad input).  A missing package.json is not
 * an error here (compile refused the app already): no default web. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "bpmain.h"
#include "err.h"
#include "manifest.h"
#include "nodeapp.h"
#include "pkgjson.h"
#include "procfile.h"

static int
process_types(const char *build_dir, struct manifest *m, struct errbuf *e)
{
	struct procfile *pf = NULL;
	struct pkgjson *pj = NULL;
	const char *web;
	bool absent;
	int rc = -1;

	if (pkgjson_read(build_dir, "package.json", &pj, e) == -1 &&
	    errno != ENOENT)
		goto out;
	if ((web = nodeapp_web_command(pj, build_dir)) != NULL &&
	    procfile_set(m->types, "web", web, e) == -1)
		goto out;
	/* As in the Mono buildpack: a Procfile out of the app is refused, and
	 * its warnings are the platform's to give. */
	if (procfile_load_beneath(build_dir, "Procfile", &pf, &absent, NULL,
		NULL, e) == -1)
		goto out;
	rc = absent ? 0 : procfile_merge(m->types, pf, e);
out:
	procfile_free(pf);
	pkgjson_free(pj);
	return rc;
}

int
main(int argc, char **argv)
{
	return bpmain_release(argc, argv, process_types);
}
