/* nodeapp.h - what the Node.js buildpack's compile and release both decide
 * about an app: its default web process. */
#ifndef SLUGC_NODEAPP_H
#define SLUGC_NODEAPP_H

#include "pkgjson.h"

/* Heroku's rule for the default web process: "npm start" when package.json
 * (pj, NULL when the app has none) has a start script, else "node
 * server.js" when a regular file server.js sits at build_dir's root (a
 * symlink to one inside the app counts, one out of it does not), else NULL:
 * no default.  The string is static. */
const char *nodeapp_web_command(const struct pkgjson *pj,
    const char *build_dir);

#endif
