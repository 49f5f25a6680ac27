/* release BUILD_DIR [CACHE_DIR] - prints the release manifest as YAML.
 *
 * default_process_types is the app's Procfile, every type as written; with
 * no Procfile, `web` runs the one executable compile built with mono (and
 * there is no web when it built none or several: compile warned).  Procfile
 * problems are reported on stderr with their line numbers; stdout holds the
 * YAML and nothing else.  A Procfile (or .mono/executables) that is a
 * symlink out of BUILD_DIR is refused: exit 2 (EXIT_USAGE, bad input). */
#include <stdbool.h>
#include <stdlib.h>

#include "bpmain.h"
#include "err.h"
#include "manifest.h"
#include "monoapp/monoapp.h"
#include "procfile.h"

/* Fills m's process types from the Procfile or, without one, from what
 * compile recorded. */
static int
process_types(const char *build_dir, struct manifest *m, struct errbuf *e)
{
	struct procfile *pf = NULL;
	struct strlist exes = {0};
	char *cmd;
	bool absent;
	int rc = -1;

	/* The app's Procfile may be a symlink inside the app, never one out
	 * of it: `Procfile -> /etc/shadow` would print shadow's lines.  Its
	 * warnings are the platform's to give (it reads the Procfile too):
	 * given here as well, they reached the build log twice. */
	if (procfile_load_beneath(build_dir, "Procfile", &pf, &absent, NULL,
		NULL, e) == -1)
		goto out;
	if (!absent) {
		rc = procfile_merge(m->types, pf, e);
		goto out;
	}
	if (monoapp_read_executables(build_dir, &exes, e) == -1)
		goto out;
	rc = 0;
	if (exes.n == 1) {
		if ((cmd = monoapp_web_command(exes.v[0])) == NULL)
			rc = errf(e, "release:");
		else
			rc = procfile_set(m->types, "web", cmd, e);
		free(cmd);
	}
out:
	strlist_free(&exes);
	procfile_free(pf);
	return rc;
}

int
main(int argc, char **argv)
{
	return bpmain_release(argc, argv, process_types);
}
