/* loopport.h - a TCP port on 127.0.0.1 that is free now.
 *
 * The kernel chooses it (bind to port 0, getsockname), so it comes from the
 * ephemeral range and nobody listens on it at the time of the call; it is
 * not reserved afterwards.  slugc's processes (smoke's web, a supervised
 * app's processes) and add-ons take one when no port was given. */
#ifndef SLUGC_LOOPPORT_H
#define SLUGC_LOOPPORT_H

#include "err.h"

/* A free port on 127.0.0.1 (1..65535), or -1 with e filled (e may be
 * NULL). */
int loopport_free(struct errbuf *e);

#endif
