/* addon.c - add-ons of an app: provisioning, their config vars, and their
 * servers' lives (start detached, recognise, stop), under the app's lock.
 * What is Redis-specific is in addon_redis.c. */
#include "addon_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "monotime.h"

/* A server that lost the race for its port is started again on a new one
 * at most this many times. */
#define PORT_RETRIES 3

/* Services with a local equivalent: the config var prefix each sets and
 * the ACL user its URL names. */
static const struct service {
	const char *name;
	const char *prefix;
	const char *user;
	const char *alias; /* a second var, when free */
} services[] = {
    {"redis", "REDIS", "default", NULL},
    {"heroku-redis", "REDIS", "default", NULL},
    {"redistogo", "REDISTOGO", "redistogo", "REDIS_URL"},
};

static const struct addon_opts noopts;

static int
find_server(const struct addon_opts *o, char **server, struct errbuf *e)
{
	return addon_find_prog(o->redis_server, "redis-server", "redis-server",
	    server, e);
}

static const struct service *
service_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof services / sizeof services[0]; i++)
		if (strcmp(services[i].name, name) == 0)
			return &services[i];
	return NULL;
}

bool
addon_service_known(const char *service)
{
	return service != NULL && service_of(service) != NULL;
}

static void event(const struct addon_opts *o, enum addon_event ev,
    const struct addon *a, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
event(const struct addon_opts *o, enum addon_event ev, const struct addon *a,
    const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	if (o->on_event == NULL)
		return;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
	}
	o->on_event(o->arg, ev, a, fmt != NULL ? detail : NULL);
}

/* [a-z0-9][a-z0-9-]*, at most max bytes. */
static bool
slug_ok(const char *s, size_t max)
{
	size_t i;

	if (s == NULL ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (i == max ||
		    !((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* A plan: letters, digits, '-', '_' and '.'. */
static bool
plan_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (i == 64 ||
		    !((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

void
addon_free(struct addon *a)
{
	size_t i;

	if (a == NULL)
		return;
	free(a->name);
	free(a->service);
	free(a->plan);
	free(a->as);
	for (i = 0; i < a->nvars; i++)
		free(a->vars[i]);
	free(a->vars);
	free(a->created);
	free(a->dir);
	if (a->secret_ != NULL)
		explicit_bzero(a->secret_, strlen(a->secret_));
	free(a->secret_);
	free(a);
}

void
addon_list_free(struct addon **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		addon_free(v[i]);
	free(v);
}

char *
addon_url(const struct addon *a)
{
	const struct service *s = service_of(a->service);
	char *url;

	if (asprintf(&url, "redis://%s:%s@127.0.0.1:%d/",
		s != NULL ? s->user : "default", a->secret_, a->port) < 0)
		return NULL;
	return url;
}

/* "a->dir/rel", malloc'd, or NULL with e set. */
static char *
apath(const struct addon *a, const char *rel, struct errbuf *e)
{
	char *p = fs_join(a->dir, rel);

	if (p == NULL)
		errf(e, "%s: out of memory", a->name);
	return p;
}

static void
paths_free(struct addon_paths *p)
{
	free(p->conf);
	free(p->pid);
	free(p->log);
	free(p->data);
	memset(p, 0, sizeof *p);
}

/* The running server's files, or with import the side server's. */
static int
paths_get(const struct addon *a, bool import, struct addon_paths *p,
    struct errbuf *e)
{
	memset(p, 0, sizeof *p);
	if ((p->conf = apath(a, import ? "import.conf" : "redis.conf", e)) ==
		NULL ||
	    (p->pid = apath(a, import ? "import.pid" : "redis.pid", e)) ==
		NULL ||
	    (p->log = apath(a, "redis.log", e)) == NULL ||
	    (p->data = apath(a, import ? "data.import" : "data", e)) == NULL) {
		paths_free(p);
		return -1;
	}
	return 0;
}

/* --- Metadata: addon.yml ------------------------------------------------ */

static int
meta_save(const struct addon *a, struct errbuf *e)
{
	struct envdir *m;
	char port[16], *vars = NULL, *path = NULL, *p;
	size_t i, len = 1;
	int rc = -1;

	if ((m = envdir_new()) == NULL)
		return errf(e, "%s: out of memory", a->name);
	for (i = 0; i < a->nvars; i++)
		len += strlen(a->vars[i]) + 1;
	if ((vars = calloc(1, len)) == NULL) {
		errf(e, "%s: out of memory", a->name);
		goto out;
	}
	for (p = vars, i = 0; i < a->nvars; i++)
		p += sprintf(p, "%s%s", i > 0 ? " " : "", a->vars[i]);
	snprintf(port, sizeof port, "%d", a->port);
	if (envdir_set(m, "name", a->name, e) == -1 ||
	    envdir_set(m, "service", a->service, e) == -1 ||
	    (a->plan != NULL && envdir_set(m, "plan", a->plan, e) == -1) ||
	    envdir_set(m, "as", a->as, e) == -1 ||
	    envdir_set(m, "vars", vars, e) == -1 ||
	    envdir_set(m, "port", port, e) == -1 ||
	    envdir_set(m, "password", a->secret_, e) == -1 ||
	    envdir_set(m, "created", a->created, e) == -1)
		goto out;
	if ((path = apath(a, "addon.yml", e)) == NULL)
		goto out;
	rc = appstate_write_map(path, m, e);
out:
	free(path);
	free(vars);
	envdir_free(m);
	return rc;
}

static int
dup_field(const struct envdir *m, const char *key, bool need, char **out,
    const char *path, struct errbuf *e)
{
	const char *v = envdir_get(m, key);

	*out = NULL;
	if (v == NULL)
		return need ? errf(e, "%s: no %s", path, key) : 0;
	if ((*out = strdup(v)) == NULL)
		return errf(e, "%s: out of memory", path);
	return 0;
}

static bool
secret_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 2 * SECRET_BYTES;
}

/* Loads the add-on in directory addons/name of st.  ADDON_ERR_NOTFOUND
 * when there is none. */
static int
meta_load(struct appstate *st, const char *name, struct addon **out,
    struct errbuf *e)
{
	struct addon *a = NULL;
	struct envdir *m = NULL;
	char *rel = NULL, *path = NULL, *vars = NULL, *tok, *save, *port;
	char **nv;
	long pn;
	int r, rc = ADDON_ERR;

	*out = NULL;
	if (asprintf(&rel, "addons/%s", name) < 0)
		return errf(e, "%s: out of memory", name);
	if ((a = calloc(1, sizeof *a)) == NULL ||
	    (a->dir = appstate_path(st, rel, e)) == NULL ||
	    (path = fs_join(a->dir, "addon.yml")) == NULL) {
		errf(e, "%s: out of memory", name);
		goto out;
	}
	if ((r = appstate_read_map(path, &m, e)) == -1)
		goto out;
	if (r == 1) {
		errf(e, "no add-on %s for app %s", name, st->name);
		rc = ADDON_ERR_NOTFOUND;
		goto out;
	}
	if (dup_field(m, "name", true, &a->name, path, e) == -1 ||
	    dup_field(m, "service", true, &a->service, path, e) == -1 ||
	    dup_field(m, "plan", false, &a->plan, path, e) == -1 ||
	    dup_field(m, "as", true, &a->as, path, e) == -1 ||
	    dup_field(m, "vars", true, &vars, path, e) == -1 ||
	    dup_field(m, "password", true, &a->secret_, path, e) == -1 ||
	    dup_field(m, "created", true, &a->created, path, e) == -1 ||
	    dup_field(m, "port", true, &port, path, e) == -1)
		goto out;
	errno = 0;
	pn = strtol(port, &tok, 10);
	if (errno != 0 || *tok != '\0' || pn < 1 || pn > 65535) {
		free(port);
		errf(e, "%s: port is not a port number", path);
		goto out;
	}
	free(port);
	a->port = (int)pn;
	if (strcmp(a->name, name) != 0) {
		errf(e, "%s: its name is not %s", path, name);
		goto out;
	}
	if (service_of(a->service) == NULL) {
		errf(e, "%s: unknown service", path);
		goto out;
	}
	if (!secret_ok(a->secret_)) {
		errf(e, "%s: the password is not %d hex digits", path,
		    2 * SECRET_BYTES);
		goto out;
	}
	for (tok = strtok_r(vars, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!envdir_name_ok(tok)) {
			errf(e, "%s: vars: bad config var name", path);
			goto out;
		}
		nv = reallocarray(a->vars, a->nvars + 1, sizeof *nv);
		if (nv == NULL || (nv[a->nvars] = strdup(tok)) == NULL) {
			if (nv != NULL)
				a->vars = nv;
			errf(e, "%s: out of memory", path);
			goto out;
		}
		a->vars = nv;
		a->nvars++;
	}
	*out = a;
	a = NULL;
	rc = ADDON_OK;
out:
	addon_free(a);
	envdir_free(m);
	free(vars);
	free(path);
	free(rel);
	return rc;
}

/* --- Listing ------------------------------------------------------------ */

static int
cmp_addon(const void *x, const void *y)
{
	return strcmp((*(struct addon *const *)x)->name,
	    (*(struct addon *const *)y)->name);
}

/* The running server's pid, or 0 (no pidfile, or a stale one). */
static pid_t
running_pid(const struct addon *a)
{
	struct addon_paths p;
	pid_t pid;

	if (paths_get(a, false, &p, NULL) == -1)
		return 0;
	pid = addon_pid_read(p.pid);
	if (pid > 0 && !addon_proc_ours(pid, &p))
		pid = 0;
	paths_free(&p);
	return pid > 0 ? pid : 0;
}

/* Every add-on, without pids. */
static int
load_all(struct appstate *st, struct addon ***out, size_t *n, struct errbuf *e)
{
	struct addon **v = NULL, **nv, *a;
	size_t len = 0;
	struct dirent *d;
	char *dir;
	DIR *dp;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if ((dir = appstate_path(st, "addons", e)) == NULL)
		return -1;
	if ((dp = opendir(dir)) == NULL) {
		rc = errno == ENOENT ? 0 : errf(e, "open %s:", dir);
		free(dir);
		return rc;
	}
	for (;;) {
		errno = 0;
		if ((d = readdir(dp)) == NULL) {
			if (errno != 0) {
				errf(e, "read %s:", dir);
				goto out;
			}
			break;
		}
		/* Names starting with '.' are ours in passing (.new-,
		 * .trash-), not add-ons. */
		if (!slug_ok(d->d_name, ADDON_NAME_MAX))
			continue;
		if (meta_load(st, d->d_name, &a, e) != ADDON_OK)
			goto out;
		if ((nv = reallocarray(v, len + 1, sizeof *v)) == NULL) {
			addon_free(a);
			errf(e, "%s: out of memory", dir);
			goto out;
		}
		v = nv;
		v[len++] = a;
	}
	if (len > 1)
		qsort(v, len, sizeof *v, cmp_addon);
	*out = v;
	*n = len;
	v = NULL;
	rc = 0;
out:
	addon_list_free(v, len);
	closedir(dp);
	free(dir);
	return rc;
}

int
addon_list(struct appstate *st, struct addon ***out, size_t *n,
    struct errbuf *e)
{
	size_t i;

	if (load_all(st, out, n, e) == -1)
		return ADDON_ERR;
	for (i = 0; i < *n; i++)
		(*out)[i]->pid = running_pid((*out)[i]);
	return ADDON_OK;
}

/* Finds by name, attachment name or config var, without the pid. */
static int
find(struct appstate *st, const char *name, struct addon **out,
    struct errbuf *e)
{
	struct addon **v = NULL;
	char shown[80];
	size_t n = 0, i, j;
	int rc;

	*out = NULL;
	if (slug_ok(name, ADDON_NAME_MAX)) {
		rc = meta_load(st, name, out, e);
		if (rc != ADDON_ERR_NOTFOUND)
			return rc;
	}
	if (load_all(st, &v, &n, e) == -1)
		return ADDON_ERR;
	for (i = 0; i < n && *out == NULL; i++) {
		if (strcmp(v[i]->as, name) == 0)
			*out = v[i];
		for (j = 0; j < v[i]->nvars && *out == NULL; j++)
			if (strcmp(v[i]->vars[j], name) == 0)
				*out = v[i];
		if (*out != NULL)
			v[i] = NULL;
	}
	addon_list_free(v, n);
	if (*out != NULL)
		return ADDON_OK;
	err_printable_name(shown, sizeof shown, name);
	errf(e, "no add-on %s for app %s", shown, st->name);
	return ADDON_ERR_NOTFOUND;
}

int
addon_find(struct appstate *st, const char *name, struct addon **out,
    struct errbuf *e)
{
	int rc = find(st, name, out, e);

	if (rc == ADDON_OK)
		(*out)->pid = running_pid(*out);
	return rc;
}

/* Sets every config var of a to its URL (under the lock). */
static int
set_vars(struct appstate *st, const struct addon *a, struct errbuf *e)
{
	struct envdir *env = NULL;
	char *url;
	size_t i;
	int rc = -1;

	if ((url = addon_url(a)) == NULL)
		return errf(e, "%s: out of memory", a->name);
	if (appstate_config_read(st, &env, e) == -1)
		goto out;
	for (i = 0; i < a->nvars; i++)
		if (envdir_set(env, a->vars[i], url, e) == -1)
			goto out;
	rc = appstate_config_write(st, env, e);
out:
	explicit_bzero(url, strlen(url));
	free(url);
	envdir_free(env);
	return rc;
}

/* --- Servers ------------------------------------------------------------ */

static int
start_ms(const struct addon_opts *o)
{
	return o->start_timeout_ms > 0 ? o->start_timeout_ms
				       : ADDON_START_TIMEOUT_MS;
}

static int
stop_ms(const struct addon_opts *o)
{
	return o->stop_timeout_ms > 0 ? o->stop_timeout_ms
				      : ADDON_STOP_TIMEOUT_MS;
}

/* The last line of the server's log, for a message: without the pid and
 * time prefix, printable, the password (should it be there) masked. */
static void
log_tail(const struct addon *a, const char *log, char *out, size_t size)
{
	char buf[4096], *line, *end, *p;
	struct stat st;
	ssize_t n;
	int fd;

	out[0] = '\0';
	if ((fd = open(log, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &st) == -1 ||
	    (st.st_size > (off_t)sizeof buf - 1 &&
		lseek(fd, st.st_size - (off_t)sizeof buf + 1, SEEK_SET) ==
		    -1)) {
		close(fd);
		return;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (end = buf + n; end > buf &&
	     (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ');
	     end--)
		;
	*end = '\0';
	line = memrchr(buf, '\n', (size_t)(end - buf));
	line = line != NULL ? line + 1 : buf;
	/* "1234:M 05 Dec 2026 18:52:31.458 # text" */
	if ((p = strstr(line, " # ")) != NULL ||
	    (p = strstr(line, " * ")) != NULL)
		line = p + 3;
	redis_redact(a, line);
	err_printable(out, size, line, strlen(line));
}

/* Ends a side server an import left behind (it crashed), and its files:
 * the add-on's data are in data/, whatever happened. */
static int
sweep_import(const struct addon *a, const struct addon_opts *o,
    struct errbuf *e)
{
	struct addon_paths p;
	char *rdb;
	pid_t pid;
	int rc = -1;

	if (paths_get(a, true, &p, e) == -1)
		return -1;
	if ((rdb = apath(a, "import.rdb", e)) == NULL)
		goto out;
	pid = addon_pid_read(p.pid);
	if (pid > 0 && addon_proc_ours(pid, &p) &&
	    addon_proc_end(a, pid, stop_ms(o), e) == -1)
		goto out;
	if ((unlink(p.pid) == -1 && errno != ENOENT) ||
	    (unlink(p.conf) == -1 && errno != ENOENT) ||
	    (unlink(rdb) == -1 && errno != ENOENT)) {
		errf(e, "%s: removing what an import left:", a->name);
		goto out;
	}
	if (fs_rm_rf(p.data, e) == -1)
		goto out;
	rc = 0;
out:
	free(rdb);
	paths_free(&p);
	return rc;
}

/* The ports of st's other add-ons, so a new one does not take a stopped
 * one's port.  *ports is malloc'd (may be NULL when *n is 0). */
static int
other_ports(struct appstate *st, const struct addon *self, int **ports,
    size_t *n, struct errbuf *e)
{
	struct addon **v;
	size_t nv, i;

	*ports = NULL;
	*n = 0;
	if (load_all(st, &v, &nv, e) == -1)
		return -1;
	if (nv > 0 && (*ports = calloc(nv, sizeof **ports)) == NULL) {
		addon_list_free(v, nv);
		return errf(e, "out of memory");
	}
	for (i = 0; i < nv; i++)
		if (self == NULL || strcmp(v[i]->name, self->name) != 0)
			(*ports)[(*n)++] = v[i]->port;
	addon_list_free(v, nv);
	return 0;
}

/* Gives a a new free port, kept in addon.yml and its config vars. */
static int
move_port(struct appstate *st, struct addon *a, const struct addon_opts *o,
    struct errbuf *e)
{
	int *avoid, old = a->port, port = 0;
	size_t n;

	if (other_ports(st, a, &avoid, &n, e) == -1)
		return -1;
	if (addon_port_pick(avoid, n, &port, e) == -1) {
		free(avoid);
		return -1;
	}
	free(avoid);
	a->port = port;
	if (meta_save(a, e) == -1 || set_vars(st, a, e) == -1) {
		a->port = old;
		return errprefix(e, "%s: moving to port %d", a->name, port);
	}
	event(o, ADDON_EV_PORT_CHANGED, a, "port %d was taken; now %d", old,
	    port);
	return 0;
}

/* Starts a's server on its files (p: normal or import), with aof, and
 * waits for it.  The port must have been free just before.  *pid gets
 * the server's pid.  Returns 0, 1 when it died (the port may have been
 * taken meanwhile: the caller checks), -1. */
static int
launch(const struct addon *a, const char *server, const struct addon_paths *p,
    int port, bool aof, const struct addon_opts *o, pid_t *pid,
    struct errbuf *e)
{
	const char *argv[] = {server, p->conf, NULL};
	char tail[256];
	int r;

	*pid = 0;
	if (fs_mkdir_p(p->data, 0700, e) == -1)
		return -1;
	if (redis_write_conf(a, p->conf, port, p->data, p->pid, p->log, aof,
		e) == -1)
		return -1;
	if (addon_proc_start(a, argv, p->log, pid, e) == -1)
		return -1;
	/* Our pidfile at once (the server writes the same one when it has
	 * read its config): were we to die now, the next start must still
	 * find this server rather than start a second on the same data. */
	if (addon_pid_write(p->pid, *pid, e) == -1) {
		addon_proc_end(a, *pid, stop_ms(o), NULL);
		return -1;
	}
	if ((r = redis_wait_ready(a, port, *pid, start_ms(o), e)) == 0)
		return 0;
	addon_proc_end(a, *pid, stop_ms(o), NULL);
	unlink(p->pid);
	log_tail(a, p->log, tail, sizeof tail);
	if (tail[0] != '\0')
		errf(e, "%s: redis-server did not start: %s (log: %s)", a->name,
		    tail, p->log);
	return r == 1 ? 1 : -1;
}

/* addon_start's work; the lock is held.  sweep: first clear what a
 * crashed import left (not when an import itself starts the server, with
 * the old data set aside in data.import). */
static int
server_start(struct appstate *st, struct addon *a, const struct addon_opts *o,
    bool sweep, struct errbuf *e)
{
	struct addon_paths p;
	char *server = NULL;
	pid_t pid;
	int rc = ADDON_ERR, r, tries;
	bool died = false;

	if (paths_get(a, false, &p, e) == -1)
		return ADDON_ERR;
	if (sweep && sweep_import(a, o, e) == -1)
		goto out;
	pid = addon_pid_read(p.pid);
	if (pid > 0 && addon_proc_ours(pid, &p)) {
		r = redis_wait_ready(a, a->port, pid, start_ms(o), e);
		if (r == 0) {
			a->pid = pid;
			event(o, ADDON_EV_RUNNING, a, "pid %ld on port %d",
			    (long)pid, a->port);
			rc = ADDON_OK;
			goto out;
		}
		if (r != 1) {
			errprefix(e,
			    "%s: running as pid %ld but not "
			    "answering",
			    a->name, (long)pid);
			goto out;
		}
		/* It died while we looked: start it again. */
		died = true;
	} else if (pid != 0) {
		died = true;
		if (unlink(p.pid) == -1 && errno != ENOENT) {
			errf(e, "%s: remove %s:", a->name, p.pid);
			goto out;
		}
		event(o, ADDON_EV_STALE_PID, a, "%s named no server of it",
		    p.pid);
	}
	if ((rc = find_server(o, &server, e)) != 0)
		goto out;
	rc = ADDON_ERR;
	for (tries = 0;; tries++) {
		/* A server of ours that has just died (kill -9) can hold its
		 * port a moment longer, through a fork child of its own (a
		 * rewrite) or an exit not yet done: wait for it before
		 * taking the port for someone else's. */
		for (int w = 0; died && w < 60 && !addon_port_free(a->port);
		     w++)
			nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
		died = false;
		if (!addon_port_free(a->port) && move_port(st, a, o, e) == -1)
			goto out;
		r = launch(a, server, &p, a->port, true, o, &pid, e);
		if (r == 0)
			break;
		if (r == -1 || addon_port_free(a->port) ||
		    tries == PORT_RETRIES)
			goto out;
		/* Another program took the port between our check and the
		 * server's bind: again, on a new one. */
	}
	a->pid = pid;
	event(o, ADDON_EV_STARTED, a, "pid %ld on port %d", (long)pid, a->port);
	rc = ADDON_OK;
out:
	free(server);
	paths_free(&p);
	return rc;
}

/* addon_stop's work; the lock is held. */
static int
server_stop(const struct addon *a, const struct addon_opts *o, struct errbuf *e)
{
	struct addon_paths p;
	pid_t pid;
	int rc = -1;

	if (paths_get(a, false, &p, e) == -1)
		return -1;
	pid = addon_pid_read(p.pid);
	if (pid == 0) {
		rc = 0;
		goto out;
	}
	if (pid < 0 || !addon_proc_ours(pid, &p)) {
		if (unlink(p.pid) == -1 && errno != ENOENT) {
			errf(e, "%s: remove %s:", a->name, p.pid);
			goto out;
		}
		event(o, ADDON_EV_STALE_PID, a, "%s named no server of it",
		    p.pid);
		rc = 0;
		goto out;
	}
	if (addon_proc_end(a, pid, stop_ms(o), e) == -1)
		goto out;
	/* Redis removes it on a clean shutdown; not after SIGKILL. */
	if (unlink(p.pid) == -1 && errno != ENOENT) {
		errf(e, "%s: remove %s:", a->name, p.pid);
		goto out;
	}
	event(o, ADDON_EV_STOPPED, a, "pid %ld", (long)pid);
	rc = 0;
out:
	paths_free(&p);
	return rc;
}

int
addon_start(struct appstate *st, const char *name, const struct addon_opts *o,
    struct errbuf *e)
{
	struct addon *a;
	int rc;

	if (o == NULL)
		o = &noopts;
	if (appstate_lock(st, e) == -1)
		return ADDON_ERR;
	if ((rc = find(st, name, &a, e)) == ADDON_OK) {
		rc = server_start(st, a, o, true, e);
		addon_free(a);
	}
	appstate_unlock(st);
	return rc;
}

int
addon_start_all(struct appstate *st, const struct addon_opts *o,
    struct errbuf *e)
{
	struct addon **v;
	size_t n, i;
	int rc = ADDON_OK;

	if (o == NULL)
		o = &noopts;
	if (appstate_lock(st, e) == -1)
		return ADDON_ERR;
	if (load_all(st, &v, &n, e) == -1) {
		appstate_unlock(st);
		return ADDON_ERR;
	}
	for (i = 0; i < n && rc == ADDON_OK; i++)
		rc = server_start(st, v[i], o, true, e);
	addon_list_free(v, n);
	appstate_unlock(st);
	return rc;
}

int
addon_stop(struct appstate *st, const char *name, const struct addon_opts *o,
    struct errbuf *e)
{
	struct addon *a;
	int rc;

	if (o == NULL)
		o = &noopts;
	if (appstate_lock(st, e) == -1)
		return ADDON_ERR;
	if ((rc = find(st, name, &a, e)) == ADDON_OK) {
		if (server_stop(a, o, e) == -1)
			rc = ADDON_ERR;
		addon_free(a);
	}
	appstate_unlock(st);
	return rc;
}

int
addon_stop_all(struct appstate *st, const struct addon_opts *o,
    struct errbuf *e)
{
	struct addon **v;
	size_t n, i;
	int rc = ADDON_OK;

	if (o == NULL)
		o = &noopts;
	if (appstate_lock(st, e) == -1)
		return ADDON_ERR;
	if (load_all(st, &v, &n, e) == -1) {
		appstate_unlock(st);
		return ADDON_ERR;
	}
	for (i = 0; i < n && rc == ADDON_OK; i++)
		if (server_stop(v[i], o, e) == -1)
			rc = ADDON_ERR;
	addon_list_free(v, n);
	appstate_unlock(st);
	return rc;
}

/* --- Create, destroy ---------------------------------------------------- */

/* Removes what a crash left under addons/ (.new-* being made, .trash-*
 * being removed); the lock is held. */
static void
sweep_addons(const char *dir)
{
	struct dirent *d;
	char *p;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, ".new-", 5) != 0 &&
		    strncmp(d->d_name, ".trash-", 7) != 0)
			continue;
		if ((p = fs_join(dir, d->d_name)) != NULL)
			fs_rm_rf(p, NULL);
		free(p);
	}
	closedir(dp);
}

/* "REDIS-12345" -> "REDIS_12345": an add-on name as a config var
 * prefix. */
static char *
var_prefix(const char *name)
{
	char *s = strdup(name), *p;

	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++)
		*p = *p == '-'		     ? '_'
		    : *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A')
					     : *p;
	return s;
}

static int
add_var(struct addon *a, const char *prefix, const char *suffix,
    struct errbuf *e)
{
	char **nv;

	if ((nv = reallocarray(a->vars, a->nvars + 1, sizeof *nv)) == NULL)
		return errf(e, "out of memory");
	a->vars = nv;
	if (asprintf(&a->vars[a->nvars], "%s%s", prefix, suffix) < 0)
		return errf(e, "out of memory");
	a->nvars++;
	return 0;
}

/* Chooses a's attachment name and config vars (see addon_create); env
 * is the app's config. */
static int
choose_vars(struct addon *a, const struct service *s, const char *as,
    const struct envdir *env, struct errbuf *e)
{
	char want[80];

	if (as != NULL) {
		if ((a->as = strdup(as)) == NULL)
			return errf(e, "out of memory");
		if (add_var(a, as, "_URL", e) == -1)
			return -1;
		if (envdir_get(env, a->vars[0]) != NULL) {
			errf(e,
			    "%s is set already: choose another --as "
			    "name, or unset it first",
			    a->vars[0]);
			return ADDON_ERR_EXISTS;
		}
		return 0;
	}
	snprintf(want, sizeof want, "%s_URL", s->prefix);
	if (envdir_get(env, want) == NULL)
		a->as = strdup(s->prefix);
	else
		a->as = var_prefix(a->name);
	if (a->as == NULL)
		return errf(e, "out of memory");
	if (add_var(a, a->as, "_URL", e) == -1)
		return -1;
	if (envdir_get(env, a->vars[0]) != NULL) {
		errf(e, "%s is set already", a->vars[0]);
		return ADDON_ERR_EXISTS;
	}
	if (s->alias != NULL && envdir_get(env, s->alias) == NULL &&
	    strcmp(s->alias, a->vars[0]) != 0 &&
	    add_var(a, s->alias, "", e) == -1)
		return -1;
	return 0;
}

/* A new add-on name, "SERVICE-NNNNN", not yet in dir. */
static int
make_name(struct addon *a, const char *dir, struct errbuf *e)
{
	uint32_t r;
	char *p;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
			return errf(e, "getrandom:");
		free(a->name);
		if (asprintf(&a->name, "%s-%05u", a->service,
			(unsigned)(r % 100000)) < 0) {
			a->name = NULL;
			return errf(e, "out of memory");
		}
		if ((p = fs_join(dir, a->name)) == NULL)
			return errf(e, "out of memory");
		if (!fs_exists(p)) {
			free(p);
			return 0;
		}
		free(p);
	}
	return errf(e, "%s: no free add-on name", dir);
}

/* Parses "SERVICE[:PLAN]" into a's service and plan. */
static int
parse_spec(struct addon *a, const char *spec, struct errbuf *e)
{
	const char *colon = strchr(spec, ':');
	char shown[80];

	a->service = colon != NULL ? strndup(spec, (size_t)(colon - spec))
				   : strdup(spec);
	if (a->service == NULL ||
	    (colon != NULL && (a->plan = strdup(colon + 1)) == NULL))
		return errf(e, "out of memory");
	if (!slug_ok(a->service, ADDON_NAME_MAX) ||
	    (colon != NULL && !plan_ok(a->plan))) {
		err_printable_name(shown, sizeof shown, spec);
		return errf(e, "'%s' is not an add-on (SERVICE[:PLAN])", shown);
	}
	return 0;
}

int
addon_create(struct appstate *st, const char *spec, const char *as,
    const char *name, const struct addon_opts *o, struct addon **out,
    struct errbuf *e)
{
	struct addon *a;
	const struct service *s;
	struct envdir *env = NULL;
	char *dir = NULL, *tmp = NULL, *path = NULL, *server = NULL;
	char asbuf[64], shown[80];
	int *avoid = NULL, rc = ADDON_ERR, r;
	size_t navoid, i;
	bool placed = false;

	if (o == NULL)
		o = &noopts;
	if (out != NULL)
		*out = NULL;
	if ((a = calloc(1, sizeof *a)) == NULL)
		return errf(e, "out of memory");
	if (parse_spec(a, spec, e) == -1)
		goto out;
	if ((s = service_of(a->service)) == NULL) {
		err_printable_name(shown, sizeof shown, spec);
		err_warnf(o->warn, o->arg,
		    "%s has no local equivalent: "
		    "not provisioned",
		    shown);
		rc = ADDON_SKIPPED;
		goto out;
	}
	if (as != NULL) {
		for (i = 0; as[i] != '\0' && i < sizeof asbuf - 5; i++)
			asbuf[i] = as[i] >= 'a' && as[i] <= 'z'
			    ? (char)(as[i] - 'a' + 'A')
			    : as[i];
		asbuf[i] = '\0';
		if (as[i] != '\0' || !envdir_name_ok(asbuf) ||
		    asbuf[0] == '_') {
			err_printable_name(shown, sizeof shown, as);
			errf(e,
			    "'%s' is not an attachment name (a letter, "
			    "then letters, digits and '_')",
			    shown);
			goto out;
		}
		as = asbuf;
	}
	if (name != NULL && !slug_ok(name, ADDON_NAME_MAX)) {
		err_printable_name(shown, sizeof shown, name);
		errf(e,
		    "'%s' is not an add-on name (lower-case letters, "
		    "digits and '-')",
		    shown);
		goto out;
	}
	if ((rc = find_server(o, &server, e)) != 0)
		goto out;
	rc = ADDON_ERR;

	if (appstate_lock(st, e) == -1)
		goto out;
	if ((dir = appstate_path(st, "addons", e)) == NULL)
		goto unlock;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		errf(e, "mkdir %s:", dir);
		goto unlock;
	}
	sweep_addons(dir);
	if (name != NULL) {
		if ((a->name = strdup(name)) == NULL ||
		    (path = fs_join(dir, name)) == NULL) {
			errf(e, "out of memory");
			goto unlock;
		}
		if (fs_exists(path)) {
			errf(e, "the app %s has an add-on %s already", st->name,
			    name);
			rc = ADDON_ERR_EXISTS;
			goto unlock;
		}
		free(path);
		path = NULL;
	} else if (make_name(a, dir, e) == -1)
		goto unlock;
	if (appstate_config_read(st, &env, e) == -1)
		goto unlock;
	if ((r = choose_vars(a, s, as, env, e)) != 0) {
		rc = r;
		goto unlock;
	}
	if (other_ports(st, NULL, &avoid, &navoid, e) == -1 ||
	    addon_port_pick(avoid, navoid, &a->port, e) == -1 ||
	    (a->secret_ = addon_secret_new(e)) == NULL)
		goto unlock;
	{
		char when[32];
		struct tm tm;
		time_t now = time(NULL);

		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) ==
			0 ||
		    (a->created = strdup(when)) == NULL) {
			errf(e, "%s: the time:", a->name);
			goto unlock;
		}
	}
	/* Made aside and renamed into place: a crash leaves a .new- that
	 * the next create sweeps, never a half add-on. */
	if ((tmp = fs_mkdtemp(dir, ".new-", e)) == NULL)
		goto unlock;
	a->dir = tmp;
	if (meta_save(a, e) == -1)
		goto unlock;
	if ((path = fs_join(dir, a->name)) == NULL) {
		errf(e, "out of memory");
		goto unlock;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == -1) {
		rc = errno == EEXIST ? ADDON_ERR_EXISTS : ADDON_ERR;
		errf(e, "rename %s to %s:", tmp, path);
		goto unlock;
	}
	placed = true;
	a->dir = path;
	path = NULL;
	if (set_vars(st, a, e) == -1)
		goto unlock;
	event(o, ADDON_EV_CREATED, a, "port %d", a->port);
	rc = ADDON_OK;
unlock:
	if (rc != ADDON_OK) {
		if (placed)
			fs_rm_rf(a->dir, NULL);
		else if (tmp != NULL)
			fs_rm_rf(tmp, NULL);
	}
	appstate_unlock(st);
out:
	if (a->dir == tmp)
		tmp = NULL; /* owned by a */
	free(tmp);
	free(path);
	free(avoid);
	free(dir);
	free(server);
	envdir_free(env);
	if (rc == ADDON_OK && out != NULL)
		*out = a;
	else
		addon_free(a);
	return rc;
}

int
addon_destroy(struct appstate *st, const char *name, const struct addon_opts *o,
    struct errbuf *e)
{
	struct addon *a = NULL;
	struct envdir *env = NULL, *keep = NULL;
	struct errbuf rmerr;
	char *trash = NULL, *url = NULL, *dir = NULL, *gone;
	const char *v;
	size_t i, j;
	bool mine;
	int rc;

	if (o == NULL)
		o = &noopts;
	if (appstate_lock(st, e) == -1)
		return ADDON_ERR;
	if ((rc = find(st, name, &a, e)) != ADDON_OK)
		goto out;
	rc = ADDON_ERR;
	if (server_stop(a, o, e) == -1 || sweep_import(a, o, e) == -1)
		goto out;
	if ((url = addon_url(a)) == NULL ||
	    (dir = appstate_path(st, "addons", e)) == NULL ||
	    asprintf(&trash, "%s/.trash-%s", dir, a->name) < 0) {
		trash = NULL;
		errf(e, "%s: out of memory", a->name);
		goto out;
	}
	fs_rm_rf(trash, NULL);
	if (rename(a->dir, trash) == -1) {
		errf(e, "%s: rename %s:", a->name, a->dir);
		goto out;
	}
	/* Its vars go, unless someone has set them to something else
	 * since. */
	if (appstate_config_read(st, &env, e) == -1 ||
	    (keep = envdir_new()) == NULL) {
		if (keep == NULL && env != NULL)
			errf(e, "out of memory");
		goto restore;
	}
	for (i = 0; i < env->nvars; i++) {
		for (mine = false, j = 0; j < a->nvars && !mine; j++)
			mine = strcmp(env->vars[i].name, a->vars[j]) == 0;
		v = env->vars[i].value;
		if (mine && strcmp(v, url) != 0)
			err_warnf(o->warn, o->arg,
			    "%s: %s no longer points "
			    "at it: left as it is",
			    a->name, env->vars[i].name);
		if ((!mine || strcmp(v, url) != 0) &&
		    envdir_set(keep, env->vars[i].name, v, e) == -1)
			goto restore;
	}
	if (appstate_config_write(st, keep, e) == -1)
		goto restore;
	if (fs_rm_rf(trash, &rmerr) == -1)
		/* Gone from the app already; the next create sweeps it. */
		err_warnf(o->warn, o->arg, "%s", rmerr.msg);
	event(o, ADDON_EV_DESTROYED, a, NULL);
	rc = ADDON_OK;
	goto out;
restore:
	gone = a->dir;
	if (rename(trash, gone) == -1)
		err_warnf(o->warn, o->arg, "%s: could not put %s back", a->name,
		    gone);
out:
	if (url != NULL)
		explicit_bzero(url, strlen(url));
	free(url);
	free(trash);
	free(dir);
	envdir_free(env);
	envdir_free(keep);
	addon_free(a);
	appstate_unlock(st);
	return rc;
}

/* --- Export, import ----------------------------------------------------- */

/* Copies the file at path to fd. */
static int
copy_out(const char *path, int fd, struct errbuf *e)
{
	char buf[1 << 16];
	ssize_t n;
	int in;

	if ((in = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errf(e, "open %s:", path);
	for (;;) {
		n = read(in, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errf(e, "read %s:", path);
			break;
		}
		if (n == 0) {
			close(in);
			return 0;
		}
		if (fs_write_all(fd, buf, (size_t)n) == -1) {
			errf(e, "write output:");
			break;
		}
	}
	close(in);
	return -1;
}

int
addon_export(struct appstate *st, const char *name, int fd,
    const struct addon_opts *o, struct errbuf *e)
{
	struct addon *a = NULL;
	char *dump = NULL;
	int rc;

	if (o == NULL)
		o = &noopts;
	if (appstate_lock(st, e) == -1)
		return ADDON_ERR;
	if ((rc = find(st, name, &a, e)) != ADDON_OK ||
	    (rc = server_start(st, a, o, true, e)) != ADDON_OK)
		goto out;
	rc = ADDON_ERR;
	/* SAVE writes data/dump.rdb in full before it answers; we hold the
	 * lock, and a later save renames a new file over it, which leaves
	 * the one we opened whole. */
	if (redis_save(a, a->port, e) == -1 ||
	    (dump = apath(a, "data/dump.rdb", e)) == NULL ||
	    copy_out(dump, fd, e) == -1)
		goto out;
	rc = ADDON_OK;
out:
	free(dump);
	addon_free(a);
	appstate_unlock(st);
	return rc;
}

/* Copies fd into a new file path (0600), fsync'd. */
static int
copy_in(int fd, const char *path, struct errbuf *e)
{
	char buf[1 << 16];
	ssize_t n;
	int out;

	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (out == -1)
		return errf(e, "create %s:", path);
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errf(e, "read input:");
			goto fail;
		}
		if (n == 0)
			break;
		if (fs_write_all(out, buf, (size_t)n) == -1) {
			errf(e, "write %s:", path);
			goto fail;
		}
	}
	if (fsync(out) == -1) {
		errf(e, "write %s:", path);
		goto fail;
	}
	if (close(out) == -1) {
		out = -1;
		errf(e, "write %s:", path);
		goto fail;
	}
	return 0;
fail:
	if (out >= 0)
		close(out);
	unlink(path);
	return -1;
}

static int
fsync_dir(const char *dir, struct errbuf *e)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errf(e, "open %s:", dir);
	if (fsync(fd) == -1) {
		errf(e, "fsync %s:", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The dump at ip->data/dump.rdb, loaded by a server on a side port and
 * written out as append-only data there.  The add-on's own server is
 * stopped. */
static int
convert_dump(struct appstate *st, const struct addon *a, const char *server,
    const struct addon_paths *ip, const struct addon_opts *o, struct errbuf *e)
{
	int *avoid = NULL, port, r, rc = -1;
	size_t n;
	pid_t pid = 0;

	/* A side port, so the app's clients do not reach the half-made
	 * data. */
	if (other_ports(st, NULL, &avoid, &n, e) == -1 ||
	    addon_port_pick(avoid, n, &port, e) == -1)
		goto out;
	if ((r = launch(a, server, ip, port, false, o, &pid, e)) != 0) {
		if (r == 1)
			errprefix(e, "the dump does not load");
		goto out;
	}
	if (redis_enable_aof(a, port, 10 * start_ms(o), e) == -1)
		goto out;
	/* SIGTERM: Redis syncs the append-only file before it exits. */
	if (addon_proc_end(a, pid, stop_ms(o), e) == -1)
		goto out;
	pid = 0;
	rc = 0;
out:
	if (pid > 0)
		addon_proc_end(a, pid, stop_ms(o), NULL);
	unlink(ip->pid);
	free(avoid);
	return rc;
}

int
addon_import(struct appstate *st, const char *name, int fd,
    const struct addon_opts *o, struct errbuf *e)
{
	struct addon *a = NULL;
	struct addon_paths p = {0}, ip = {0};
	struct errbuf e2;
	char *server = NULL, *checker = NULL, *rdb = NULL, *dst = NULL;
	bool was_running, swapped = false;
	int rc;

	if (o == NULL)
		o = &noopts;
	if ((rc = find_server(o, &server, e)) != 0 ||
	    (rc = addon_find_prog(o->redis_check_rdb, "redis-check-rdb",
		 "redis-tools", &checker, e)) != 0)
		goto nolock;
	if (appstate_lock(st, e) == -1) {
		rc = ADDON_ERR;
		goto nolock;
	}
	if ((rc = find(st, name, &a, e)) != ADDON_OK)
		goto out;
	rc = ADDON_ERR;
	if (sweep_import(a, o, e) == -1 || paths_get(a, false, &p, e) == -1 ||
	    paths_get(a, true, &ip, e) == -1 ||
	    (rdb = apath(a, "import.rdb", e)) == NULL ||
	    (dst = fs_join(ip.data, "dump.rdb")) == NULL)
		goto out;
	/* Checked before anything of the add-on is touched. */
	if (copy_in(fd, rdb, e) == -1)
		goto out;
	if (redis_check_dump(rdb, checker, e) == -1) {
		errprefix(e, "%s: import refused, its data are unchanged",
		    a->name);
		rc = ADDON_ERR_REFUSED;
		goto out;
	}
	if (fs_mkdir_p(ip.data, 0700, e) == -1)
		goto out;
	if (rename(rdb, dst) == -1) {
		errf(e, "rename %s to %s:", rdb, dst);
		goto out;
	}
	was_running = running_pid(a) > 0;
	if (server_stop(a, o, e) == -1)
		goto out;
	if (convert_dump(st, a, server, &ip, o, e) == -1) {
		errprefix(e, "%s: import failed, its data are unchanged",
		    a->name);
		goto restart;
	}
	/* The one step that changes the data: both directories exist, and
	 * the exchange is atomic, so a crash leaves either. */
	if (renameat2(AT_FDCWD, ip.data, AT_FDCWD, p.data, RENAME_EXCHANGE) ==
	    -1) {
		errf(e, "%s: exchange %s and %s:", a->name, ip.data, p.data);
		goto restart;
	}
	swapped = true;
	if (fsync_dir(a->dir, e) == -1)
		goto undo;
	if (server_start(st, a, o, false, e) != ADDON_OK)
		goto undo;
	/* The old data, the side server's config and pidfile. */
	if (sweep_import(a, o, &e2) == -1)
		err_warnf(o->warn, o->arg, "%s", e2.msg);
	event(o, ADDON_EV_IMPORTED, a, NULL);
	rc = ADDON_OK;
	goto out;
undo:
	errprefix(e, "%s: import failed, its old data are back", a->name);
	server_stop(a, o, NULL);
	if (renameat2(AT_FDCWD, ip.data, AT_FDCWD, p.data, RENAME_EXCHANGE) ==
	    -1) {
		err_warnf(o->warn, o->arg,
		    "%s: could not put the old data "
		    "back: they are in %s",
		    a->name, ip.data);
		goto out;
	}
	swapped = false;
restart:
	if (!swapped)
		fs_rm_rf(ip.data, NULL);
	if (was_running && server_start(st, a, o, true, &e2) != ADDON_OK)
		err_warnf(o->warn, o->arg, "%s", e2.msg);
out:
	if (rdb != NULL)
		unlink(rdb);
	paths_free(&p);
	paths_free(&ip);
	free(rdb);
	free(dst);
	addon_free(a);
	appstate_unlock(st);
nolock:
	free(server);
	free(checker);
	return rc;
}
