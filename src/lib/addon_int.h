/* addon_int.h - private to addon.c and addon_redis.c: addon.c manages
 * processes and state, addon_redis.c speaks Redis (its config file, its
 * protocol through hiredis, its dump format). */
#ifndef SLUGC_ADDON_INT_H
#define SLUGC_ADDON_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "addon.h"
#include "err.h"

/* Whether pid is a live process (not a zombie). */
bool addon_proc_alive(pid_t pid);

/* Writes the add-on's Redis config file conf (0600): 127.0.0.1:port, the
 * data directory datadir, pidfile, logfile, the ACL users with the
 * password, append-only persistence when aof. */
int redis_write_conf(const struct addon *a, const char *conf, int port,
    const char *datadir, const char *pidfile, const char *logfile, bool aof,
    struct errbuf *e);

/* Waits until 127.0.0.1:port answers AUTH default PASSWORD and PING, for
 * at most timeout_ms.  Returns 0 when it does; 1 when pid (if > 0) died
 * first; 2 on timeout; -1 on other errors.  e says what it saw last. */
int redis_wait_ready(const struct addon *a, int port, pid_t pid,
    int timeout_ms, struct errbuf *e);

/* SAVE on the server at port: the dump file is then complete. */
int redis_save(const struct addon *a, int port, struct errbuf *e);

/* CONFIG SET appendonly yes on the server at port, then waits (at most
 * timeout_ms) until the rewrite that makes the append-only files is
 * done. */
int redis_enable_aof(const struct addon *a, int port, int timeout_ms,
    struct errbuf *e);

/* Refuses path unless it starts as an RDB dump does: "REDIS" and four
 * digits of version, at least 1.  Then runs the checker (redis-check-rdb)
 * on it, which must exit 0. */
int redis_check_dump(const char *path, const char *checker, struct errbuf *e);

/* Replaces every occurrence of the add-on's password in the message with
 * "*****", for text that came from the server (its log). */
void redis_redact(const struct addon *a, char *msg);

#endif
