/* appname.h - which app a command is about: the name given with --app, or
 * the one made from the app directory's name, as `slugc build` makes it. */
#ifndef SLUGC_APPNAME_H
#define SLUGC_APPNAME_H

#include "appstate.h"
#include "err.h"

/* Writes the app's name to out: given when not NULL (it must pass
 * appstate_name_ok), else appstate_name_from the last component of dir's
 * real path ("/src/My App" gives "my-app").  Returns 0, or -1 with e
 * filled: a bad name, a dir that cannot be resolved (named, with errno),
 * or one whose name leaves nothing usable (e says to give --app). */
int appname_for(const char *given, const char *dir,
    char out[APPSTATE_NAME_MAX + 1], struct errbuf *e);

#endif
