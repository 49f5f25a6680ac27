/* addon_int.h - private to addon.c and addon_redis.c: addon.c manages
 * processes and state, addon_redis.c speaks Redis (its config file, its
 * protocol through hiredis, its dump format). */
#ifndef SLUGC_ADDON_INT_H
#define SLUGC_ADDON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "addon.h"
#include "err.h"

/* The password: this many bytes from getrandom, as twice as many hex
 * digits (URL-safe, and no quoting in a config file). */
#define SECRET_BYTES 32

/* The files of one server of an add-on (malloc'd, absolute). */
struct addon_paths {
	char *conf, *pid, *log, *data;
};

/* --- addon_proc.c: processes, ports, passwords --- */

/* Whether pid is a live process (not a zombie). */
bool addon_proc_alive(pid_t pid);

/* Whether pid is a live server on p's files: its command line names
 * p->conf as a word, or it is a redis-server whose working directory is
 * p->data. */
bool addon_proc_ours(pid_t pid, const struct addon_paths *p);

/* The pid in a pidfile: > 0, 0 when there is none, -1 when it holds no
 * pid (stale). */
pid_t addon_pid_read(const char *path);
int addon_pid_write(const char *path, pid_t pid, struct errbuf *e);

/* Starts argv (argv[0] a path) detached: its own session and process
 * group, not our child, stdin /dev/null, stdout and stderr appended to
 * logpath, umask 077, cwd a->dir, PATH alone in its environment, none of
 * our descriptors.  *pid gets its pid; exec failures are reported. */
int addon_proc_start(const struct addon *a, const char *const argv[],
    const char *logpath, pid_t *pid, struct errbuf *e);

/* Ends pid: SIGTERM, then SIGKILL to its process group after ms. */
int addon_proc_end(const struct addon *a, pid_t pid, int ms, struct errbuf *e);

/* Finds the program prog (given, or in PATH, /usr/bin, /usr/sbin) into
 * *out (malloc'd).  ADDON_ERR_NOTINSTALLED, naming the Debian package pkg,
 * when it is not there. */
int addon_find_prog(const char *given, const char *prog, const char *pkg,
    char **out, struct errbuf *e);

/* Whether 127.0.0.1:port can be bound now. */
bool addon_port_free(int port);

/* A free port on 127.0.0.1, none of avoid[navoid], into *out. */
int addon_port_pick(const int *avoid, size_t navoid, int *out,
    struct errbuf *e);

/* A new password (SECRET_BYTES from getrandom, in hex), malloc'd. */
char *addon_secret_new(struct errbuf *e);

/* --- addon_redis.c: speaking Redis --- */

/* Writes the add-on's Redis config file conf (0600): 127.0.0.1:port, the
 * data directory datadir, pidfile, logfile, the ACL users with the
 * password, append-only persistence when aof. */
int redis_write_conf(const struct addon *a, const char *conf, int port,
    const char *datadir, const char *pidfile, const char *logfile, bool aof,
    struct errbuf *e);

/* Waits until 127.0.0.1:port answers AUTH default PASSWORD and PING, for
 * at most timeout_ms.  Returns 0 when it does; 1 when pid (if > 0) died
 * first; 2 on timeout; -1 on other errors.  e says what it saw last. */
int redis_wait_ready(const struct addon *a, int port, pid_t pid, int timeout_ms,
    struct errbuf *e);

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
