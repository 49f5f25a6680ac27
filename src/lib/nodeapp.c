/* nodeapp.c - see nodeapp.h. */
#include "nodeapp.h"

#include <sys/stat.h>

#include "beneath.h"

const char *
nodeapp_web_command(const struct pkgjson *pj, const char *build_dir)
{
	struct errbuf ignored;
	struct stat st;

	if (pj != NULL && pj->start != NULL)
		return "npm start";
	if (beneath_stat(build_dir, "server.js", &st, &ignored) == 0 &&
	    S_ISREG(st.st_mode))
		return "node server.js";
	return NULL;
}
