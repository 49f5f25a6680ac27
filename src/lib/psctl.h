/* psctl.h - talking to an app's process supervisor (`slugc ps:start`).
 *
 * A running supervisor listens on a Unix stream socket, ps.sock, in the
 * app's state directory.  A client sends one request line ("restart",
 * "release 7", "scale web=2") and reads the reply until the supervisor
 * closes the connection.  This is how a push, a rollback or a config
 * change tells it about a new release: never by guessing pids.
 *
 * The socket is reached through /proc/self/fd/N of the state directory, so
 * a long $XDG_STATE_HOME never runs into sun_path's 108 bytes. */
#ifndef SLUGC_PSCTL_H
#define SLUGC_PSCTL_H

#include <stddef.h>

#include "err.h"

#define PSCTL_SOCKET "ps.sock"
#define PSCTL_REPLY_MAX (64 * 1024)

/* Sends request (one line, no newline) to the supervisor of the app whose
 * state directory is app_dir, and reads its reply into reply (n bytes,
 * NUL-terminated, cut to fit).  Waits at most timeout_ms for the reply
 * (0: no limit).  Returns 0 when it replied, 1 when no supervisor is
 * running (no socket, or nobody listening: reply is ""), -1 on error with
 * e filled. */
int psctl_request(const char *app_dir, const char *request, char *reply,
    size_t n, int timeout_ms, struct errbuf *e);

/* Fills addr with the sockaddr_un reaching name in the directory open as
 * dirfd, and returns its length, or -1 (e filled) when it cannot fit.  The
 * supervisor binds its socket with it too. */
struct sockaddr_un;
int psctl_addr(int dirfd, const char *name, struct sockaddr_un *addr,
    struct errbuf *e);

#endif
