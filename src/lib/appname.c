/* appname.c - the app a command is about. */
#include "appname.h"

#include <stdlib.h>
#include <string.h>

int
appname_for(const char *given, const char *dir, char out[APPSTATE_NAME_MAX + 1],
    struct errbuf *e)
{
	char shown[64], *real;
	const char *base;
	int rc;

	if (given != NULL) {
		if (!appstate_name_ok(given)) {
			err_printable_name(shown, sizeof shown, given);
			return errf(e,
			    "'%s' is not an app name: 1 to %d of "
			    "[a-z0-9-], starting with a letter or digit",
			    shown, APPSTATE_NAME_MAX);
		}
		memcpy(out, given, strlen(given) + 1);
		return 0;
	}
	if ((real = realpath(dir, NULL)) == NULL)
		return errf(e, "%s:", dir);
	base = strrchr(real, '/');
	base = base != NULL ? base + 1 : real;
	rc = appstate_name_from(base, out, e);
	free(real);
	return rc;
}
