/* dyno.c - running an app's processes as a dyno would: the slug unpacked
 * as $HOME, .profile.d sourced, the command run with bash, $PORT watched
 * for Heroku's R10, every process stopped together. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "envv.h"
#include "fsutil.h"
#include "log.h"
#include "monotime.h"
#include "slugc.h"
#include "spawn.h"
#include "unpack.h"

/* What a dyno's bash does before the command: cd to the app, source the
 * .profile.d scripts then .profile, then run the command line (-c) or exec
 * an argv (--).  The command arrives as data in the positional parameters,
 * never spliced into this text.  The command line runs in a bash exec'd in
 * place of this one, which itself execs a simple command: the app is then
 * the process group's leader and gets SIGTERM first-hand, as on a dyno. */
static const char dyno_script[] =
    "__slugc=(\"$@\"); set --\n"
    "cd \"$HOME\" || exit 126\n"
    "for __f in .profile.d/*.sh; do [ -f \"$__f\" ] && . \"./$__f\"; done\n"
    "unset __f\n"
    "[ -f .profile ] && . ./.profile\n"
    "if [ \"${__slugc[0]}\" = -c ]; then\n"
    "\texec bash -c \"${__slugc[1]}\"\n"
    "else\n"
    "\texec \"${__slugc[@]:1}\"\n"
    "fi\n";

/* A dyno's PATH before .profile.d adds to it. */
#define DYNO_PATH "/usr/local/bin:/usr/bin:/bin"

int
dyno_unpack(const char *slug, char **dirp, char **homep, struct errbuf *e)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = NULL, *app = NULL;
	int fd = -1, rc = -1;

	*dirp = *homep = NULL;
	if ((fd = open(slug, O_RDONLY | O_CLOEXEC)) == -1)
		return errf(e, "%s:", slug);
	if ((dir = fs_mkdtemp(tmp && *tmp ? tmp : "/tmp", "slugc-run.", e)) ==
	    NULL)
		goto out;
	if (unpack_fd(fd, dir, NULL, e) == -1) {
		errprefix(e, "unpack %s", slug);
		goto out;
	}
	/* Heroku's slugs hold ./app; others (herokuish) the app at the root. */
	if ((app = fs_join(dir, "app")) == NULL) {
		errf(e, "%s:", dir);
		goto out;
	}
	if (!fs_is_dir(app)) {
		free(app);
		if ((app = strdup(dir)) == NULL) {
			errf(e, "%s:", dir);
			goto out;
		}
	}
	*dirp = dir;
	*homep = app;
	dir = app = NULL;
	rc = 0;
out:
	if (dir != NULL) {
		struct errbuf ignored;

		fs_rm_rf(dir, &ignored);
		free(dir);
	}
	free(app);
	close(fd);
	return rc;
}

static void
warn_stderr(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, PROGNAME ": warning: %s\n", msg);
}

int
dyno_load_release(const char *release_path, const char *home,
    struct manifest **out, struct errbuf *e)
{
	struct manifest *m = NULL;
	struct procfile *pf = NULL;
	char *text = NULL;
	size_t len;
	int rc = -1;

	*out = NULL;
	if (release_path != NULL && fs_exists(release_path)) {
		if ((text = fs_read_file(release_path, MANIFEST_MAX, &len,
			 e)) == NULL)
			goto out;
		if (manifest_parse(text, len, release_path, &m, warn_stderr,
			NULL, e) == -1)
			goto out;
	} else if ((m = manifest_new()) == NULL) {
		errf(e, "release:");
		goto out;
	}
	/* The slug's Procfile wins over the defaults, as at build time. */
	if (procfile_load_beneath(home, "Procfile", &pf, NULL, warn_stderr,
		NULL, e) == -1 ||
	    procfile_merge(m->types, pf, e) == -1)
		goto out;
	*out = m;
	m = NULL;
	rc = 0;
out:
	manifest_free(m);
	procfile_free(pf);
	free(text);
	return rc;
}

int
dyno_free_port(void)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof sa;
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* true if something accepts connections on 127.0.0.1:port: the way a
 * router sees that web has bound $PORT (0.0.0.0 or 127.0.0.1). */
static bool
port_bound(int port)
{
	struct sockaddr_in sa = {0};
	struct pollfd pfd;
	socklen_t len;
	int fd, err = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return false;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		err = 0;
	else if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		len = sizeof err;
		if (poll(&pfd, 1, 200) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = -1;
	}
	close(fd);
	return err == 0;
}

/* ---- supervision ---------------------------------------------------- */

struct sv;

struct proc {
	struct sv *sv;
	size_t idx;
	char name[80];
	int port;
	struct envv env;
	const char **argv;
	struct spawn s;
	pthread_t th;
	bool started;
	bool done;
	int status;
	struct errbuf err;
	bool midline[3];
};

struct sv {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t out_mu;
	struct proc *procs;
	size_t n;
	long first; /* index of the first process to end, or -1 */
	size_t ndone;
	bool stopping; /* we asked everything to stop */
	bool prefix, tty;
	size_t width;
};

static const char *const colors[] = {"\033[36m", "\033[33m", "\033[32m",
    "\033[35m", "\033[31m", "\033[34m"};

/* Writes a process's line as "web.1  | line", foreman style; both of its
 * streams go to our stdout. */
static void
prefix_line(void *arg, int fd, const char *line, size_t len, bool complete)
{
	struct proc *p = arg;
	struct sv *sv = p->sv;

	if (fd < 1 || fd > 2)
		fd = 1;
	pthread_mutex_lock(&sv->out_mu);
	if (!p->midline[fd]) {
		if (sv->tty)
			printf("%s%-*s |\033[0m ", colors[p->idx % 6],
			    (int)sv->width, p->name);
		else
			printf("%-*s | ", (int)sv->width, p->name);
	}
	fwrite(line, 1, len, stdout);
	if (complete)
		putchar('\n');
	p->midline[fd] = !complete;
	fflush(stdout);
	pthread_mutex_unlock(&sv->out_mu);
}

static void *
proc_main(void *arg)
{
	struct proc *p = arg;
	struct sv *sv = p->sv;
	int st;

	st = spawn_run(&p->s, &p->err);
	if (st < 0)
		st = p->s.status > 0 ? p->s.status : 1;
	pthread_mutex_lock(&sv->mu);
	p->status = st;
	p->done = true;
	sv->ndone++;
	if (sv->first < 0)
		sv->first = (long)p->idx;
	pthread_cond_broadcast(&sv->cv);
	pthread_mutex_unlock(&sv->mu);
	return NULL;
}

/* Stops every process: spawn ends each process group with SIGTERM, then
 * SIGKILL after its grace period, as on a Ctrl-C.  A process whose thread
 * has not reached spawn_run yet is not started; one that has ended
 * ignores it. */
static void
stop_all(struct sv *sv)
{
	size_t i;

	pthread_mutex_lock(&sv->mu);
	sv->stopping = true;
	pthread_mutex_unlock(&sv->mu);
	for (i = 0; i < sv->n; i++)
		spawn_stop(&sv->procs[i].s);
}

/* The environment of one process: a dyno's PATH, the release's config
 * vars, the user's (which win over those), then what the platform itself
 * sets and no config var can change: HOME, PORT, DYNO. */
/* 16 bytes as a UUID of the given version (RFC 9562's layout). */
static void
format_uuid(unsigned char b[16], int version, char out[37])
{
	b[6] = (unsigned char)((b[6] & 0x0f) | (version << 4));
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

/* Heroku's dyno metadata (labs:runtime-dyno-metadata), as far as slugc
 * knows it: the app's id is a name-based UUID (the same app, the same id),
 * the dyno's a random one per process start. */
static int
dyno_metadata(struct proc *p, const struct dyno_plan *pl, struct errbuf *e)
{
	char hex[DIGEST_HEX_SIZE], uuid[37], domain[128], when[32], desc[32];
	unsigned char b[16];
	struct digest *d;
	struct tm tm;
	size_t i;

	if (pl->app_name == NULL || pl->app_name[0] == '\0')
		return 0;
	if ((d = digest_new(e)) == NULL)
		return -1;
	if (digest_update(d, "slugc app ", 10, e) == -1 ||
	    digest_update(d, pl->app_name, strlen(pl->app_name), e) == -1 ||
	    digest_final_hex(d, hex, e) == -1) {
		digest_free(d);
		return -1;
	}
	digest_free(d);
	for (i = 0; i < 16; i++)
		sscanf(hex + 2 * i, "%2hhx", &b[i]);
	format_uuid(b, 5, uuid);
	snprintf(domain, sizeof domain, "%s.localhost", pl->app_name);
	if (envv_set(&p->env, "HEROKU_APP_NAME", pl->app_name, e) == -1 ||
	    envv_set(&p->env, "HEROKU_APP_ID", uuid, e) == -1 ||
	    envv_set(&p->env, "HEROKU_APP_DEFAULT_DOMAIN_NAME", domain, e) ==
		-1)
		return -1;
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return errf(e, "%s: getrandom:", p->name);
	format_uuid(b, 4, uuid);
	if (envv_set(&p->env, "HEROKU_DYNO_ID", uuid, e) == -1)
		return -1;
	if (pl->commit != NULL && pl->commit[0] != '\0') {
		snprintf(desc, sizeof desc, "Deploy %.7s", pl->commit);
		if (envv_set(&p->env, "HEROKU_SLUG_COMMIT", pl->commit, e) ==
			-1 ||
		    envv_set(&p->env, "HEROKU_SLUG_DESCRIPTION", desc, e) == -1)
			return -1;
	}
	if (pl->created > 0 && gmtime_r(&pl->created, &tm) != NULL &&
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0 &&
	    envv_set(&p->env, "HEROKU_RELEASE_CREATED_AT", when, e) == -1)
		return -1;
	return 0;
}

static int
proc_env(struct proc *p, const struct dyno_plan *pl, struct errbuf *e)
{
	char port[16];
	size_t i;

	snprintf(port, sizeof port, "%d", p->port);
	if (envv_set(&p->env, "PATH", DYNO_PATH, e) == -1)
		return -1;
	for (i = 0; pl->release != NULL && i < pl->release->nvars; i++)
		if (envv_set(&p->env, pl->release->vars[i].name,
			pl->release->vars[i].value, e) == -1)
			return -1;
	/* The platform's metadata, which the user's config vars may
	 * override, as on Heroku. */
	if (dyno_metadata(p, pl, e) == -1)
		return -1;
	for (i = 0; pl->vars != NULL && i < pl->vars->nvars; i++)
		if (envv_set(&p->env, pl->vars->vars[i].name,
			pl->vars->vars[i].value, e) == -1)
			return -1;
	if (envv_set(&p->env, "HOME", pl->home, e) == -1 ||
	    envv_set(&p->env, "PORT", port, e) == -1 ||
	    envv_set(&p->env, "DYNO", p->name, e) == -1)
		return -1;
	return 0;
}

static int
proc_argv(struct proc *p, const char *command, char **argv, struct errbuf *e)
{
	size_t n = 0, i;

	while (argv != NULL && argv[n] != NULL)
		n++;
	if ((p->argv = calloc(n + 7, sizeof *p->argv)) == NULL)
		return errf(e, "%s:", p->name);
	i = 0;
	p->argv[i++] = "bash";
	p->argv[i++] = "-c";
	p->argv[i++] = dyno_script;
	p->argv[i++] = "bash"; /* $0 */
	if (command != NULL) {
		p->argv[i++] = "-c";
		p->argv[i++] = command;
	} else {
		p->argv[i++] = "--";
		memcpy(p->argv + i, argv, n * sizeof *argv);
	}
	return 0;
}

int
dyno_run(const struct dyno_plan *pl, struct dyno_result *r)
{
	struct sv sv = {0};
	pthread_condattr_t ca;
	struct timespec ts;
	struct errbuf e;
	struct envv_limits lim;
	struct proc *web = NULL;
	double t0, now;
	size_t n = 0, i;
	int code = SX_OK, sig;
	bool bound = false, ready_done = false, stopping;
	long first;

	memset(r, 0, sizeof *r);
	r->ms_boot = r->ms_request = -1;
	pthread_mutex_init(&sv.mu, NULL);
	pthread_mutex_init(&sv.out_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sv.cv, &ca);
	pthread_condattr_destroy(&ca);
	sv.first = -1;
	sv.prefix = pl->prefix;
	sv.tty = isatty(STDOUT_FILENO);

	if (pl->command != NULL || pl->command_line != NULL)
		n = 1;
	else
		while (pl->types[n] != NULL)
			n++;
	if ((sv.procs = calloc(n, sizeof *sv.procs)) == NULL) {
		fprintf(stderr, PROGNAME ": out of memory\n");
		code = SX_FAIL;
		goto out;
	}
	sv.n = n;
	for (i = 0; i < n; i++) {
		struct proc *p = &sv.procs[i];
		bool oneoff = pl->command != NULL || pl->command_line != NULL;
		const char *type = oneoff ? "run" : pl->types[i];
		const char *cmd = pl->command_line;

		p->sv = &sv;
		p->idx = i;
		p->port = pl->port + 100 * (int)i; /* as foreman does */
		snprintf(p->name, sizeof p->name, "%s.1", type);
		if (strlen(p->name) > sv.width)
			sv.width = strlen(p->name);
		if (n > 1 && sv.width < strlen("slugc"))
			sv.width = strlen("slugc");
		if (!oneoff &&
		    (cmd = procfile_get(pl->release->types, type)) == NULL) {
			fprintf(stderr, PROGNAME ": no process type %s\n",
			    type);
			code = SX_USAGE;
			goto out;
		}
		if (strcmp(type, "web") == 0)
			web = p;
		if (proc_env(p, pl, &e) == -1 ||
		    proc_argv(p, cmd, pl->command, &e) == -1) {
			fprintf(stderr, PROGNAME ": %s\n", e.msg);
			code = SX_FAIL;
			goto out;
		}
		/* Here, naming the variable, rather than "Argument list too
		 * long" from the child's exec. */
		envv_exec_limits(&lim);
		if (envv_fit_exec(&p->env, (const char *const *)p->argv, &lim,
			NULL, NULL, &e) == -1) {
			fprintf(stderr, PROGNAME ": %s: %s\n", p->name, e.msg);
			code = SX_USAGE;
			goto out;
		}
		if (port_bound(p->port)) {
			fprintf(stderr,
			    PROGNAME ": port %d is already in use "
				     "(choose another with -p)\n",
			    p->port);
			code = SX_USAGE;
			goto out;
		}
		p->s = (struct spawn)SPAWN_INIT;
		p->s.argv = p->argv;
		p->s.envp = envv_array(&p->env);
		p->s.cwd = pl->home;
		if (pl->prefix) {
			p->s.on_line = prefix_line;
			p->s.arg = p;
		}
		p->s.inherit_stdin =
		    n == 1 && !pl->prefix && !isatty(STDIN_FILENO);
	}
	fflush(stdout);

	t0 = monotime_msf();
	for (i = 0; i < n; i++) {
		struct proc *p = &sv.procs[i];

		if ((errno = pthread_create(&p->th, NULL, proc_main, p)) != 0) {
			fprintf(stderr, PROGNAME ": start %s: %s\n", p->name,
			    strerror(errno));
			code = SX_FAIL;
			stop_all(&sv);
			break;
		}
		p->started = true;
	}

	/* Watch: a process ending, web binding its port, the boot timeout. */
	for (;;) {
		pthread_mutex_lock(&sv.mu);
		if (sv.first < 0) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += 50 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&sv.cv, &sv.mu, &ts);
		}
		first = sv.first;
		stopping = sv.stopping;
		pthread_mutex_unlock(&sv.mu);
		if (first >= 0) {
			if (n > 1 && !stopping && spawn_interrupted() == 0) {
				const struct proc *p = &sv.procs[first];

				pthread_mutex_lock(&sv.out_mu);
				printf("%-*s | %s exited with status %d, "
				       "stopping "
				       "all processes\n",
				    (int)sv.width, "slugc", p->name, p->status);
				fflush(stdout);
				pthread_mutex_unlock(&sv.out_mu);
			}
			break;
		}
		if (code != SX_OK)
			break;
		if (web == NULL || bound || pl->boot_timeout <= 0 || stopping ||
		    spawn_interrupted() != 0)
			continue;
		now = monotime_msf();
		if (port_bound(web->port)) {
			bound = true;
			r->ms_boot = now - t0;
			if (pl->ready != NULL) {
				double t1 = monotime_msf();

				code = pl->ready(pl->ready_arg, web->port);
				r->ms_request = monotime_msf() - t1;
				ready_done = true;
				if (code != SX_OK || pl->stop_when_ready)
					stop_all(&sv);
				if (code != SX_OK)
					break;
			}
		} else if (now - t0 > pl->boot_timeout * 1000.0) {
			fprintf(stderr,
			    "Error R10 (Boot timeout) -> Web process "
			    "failed to bind to $PORT within %d seconds of "
			    "launch\n",
			    pl->boot_timeout);
			r->r10 = true;
			code = SX_BOOT_TIMEOUT;
			stop_all(&sv);
			break;
		}
	}
	/* One ended (or we stop): the others go with it. */
	now = monotime_msf();
	stop_all(&sv);
	for (i = 0; i < n; i++)
		if (sv.procs[i].started)
			pthread_join(sv.procs[i].th, NULL);
	r->ms_stop = monotime_msf() - now;
	sig = spawn_interrupted();

	if (sv.first >= 0) {
		struct proc *p = &sv.procs[sv.first];

		r->status = p->status;
		snprintf(r->first, sizeof r->first, "%s", p->name);
		if (p == web && !bound && !r->r10 && !ready_done)
			r->crashed = true;
		if (p->err.msg[0] != '\0' && p->s.status != 0 &&
		    !(sv.stopping && (p->s.interrupted || p->s.stopped)))
			fprintf(stderr, PROGNAME ": %s: %s\n", p->name,
			    p->err.msg);
	}
	if (code == SX_OK && !(ready_done && pl->stop_when_ready)) {
		/* Pass the first process's status on, and say why when it
		 * is not a clean exit.  A web that ends before binding $PORT
		 * crashed, even with status 0: that is 124 (it never bound),
		 * as 0 would say all went well. */
		code = r->status;
		bool oneoff = pl->command != NULL || pl->command_line != NULL;

		if (r->crashed && r->status == 0 && sig == 0 &&
		    pl->boot_timeout > 0)
			code = SX_BOOT_TIMEOUT;
		if (sv.first >= 0 && code != 0 && !oneoff && sig == 0) {
			if (r->status > 128)
				fprintf(stderr,
				    PROGNAME ": %s was killed by "
					     "%s\n",
				    r->first,
				    spawn_signal_name(r->status - 128));
			else
				fprintf(stderr,
				    PROGNAME ": %s exited with "
					     "status %d%s\n",
				    r->first, r->status,
				    r->crashed ? " before binding $PORT" : "");
		}
	}
	/* Stopped by a signal: main says so, with 128 + N. */
	if (sig != 0)
		code = SX_SIGNAL + sig;
out:
	for (i = 0; i < sv.n; i++) {
		envv_free(&sv.procs[i].env);
		free(sv.procs[i].argv);
	}
	free(sv.procs);
	pthread_cond_destroy(&sv.cv);
	pthread_mutex_destroy(&sv.mu);
	pthread_mutex_destroy(&sv.out_mu);
	return code;
}
