/* dyno.c - running an app's processes as a dyno would: the slug unpacked
 * as $HOME, .profile.d sourced, the command run with bash, $PORT watched
 * for Heroku's R10, every process stopped together. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addon_supervise.h"
#include "appstate.h"
#include "configvars.h"
#include "digest.h"
#include "envv.h"
#include "fsutil.h"
#include "log.h"
#include "monotime.h"
#include "slugc.h"
#include "spawn.h"
#include "supervise.h"
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

/* ---- supervision ---------------------------------------------------- */

struct dyno;

struct proc {
	struct dyno *d;
	size_t idx;
	char name[80];
	int port;
	struct envv env;
	const char **argv;
	struct supervise_proc sp;
	bool midline[3];
};

/* One dyno_run: the plan, its processes, and what the supervisor's events
 * told us. */
struct dyno {
	const struct dyno_plan *pl;
	struct dyno_result *r;
	struct proc *procs;
	size_t n;
	struct proc *web;
	bool tty, oneoff;
	size_t width;
	struct appstate *state; /* the app's, when it has any */
	struct addon_opts ao;	/* for its add-ons */
	struct addon_services *addons;
	struct envdir *config; /* the app's config vars, or NULL */
	struct envdir *vars;   /* config, then --env's, then -e's */
	int ready_code;	       /* pl->ready's, once its task is done */
};

static const char *const colors[] = {"\033[36m", "\033[33m", "\033[32m",
    "\033[35m", "\033[31m", "\033[34m"};

/* Writes a process's line as "web.1  | line", foreman style; both of its
 * streams go to our stdout.  Called from the supervisor's loop only. */
static void
prefix_line(void *arg, int fd, const char *line, size_t len, bool complete)
{
	struct proc *p = arg;
	struct dyno *d = p->d;

	if (fd < 1 || fd > 2)
		fd = 1;
	if (!p->midline[fd]) {
		if (d->tty)
			printf("%s%-*s |\033[0m ", colors[p->idx % 6],
			    (int)d->width, p->name);
		else
			printf("%-*s | ", (int)d->width, p->name);
	}
	fwrite(line, 1, len, stdout);
	if (complete)
		putchar('\n');
	p->midline[fd] = !complete;
	fflush(stdout);
}

/* What the supervisor reports, said as a dyno manager says it. */
static void
on_event(void *arg, const struct supervise_event *ev)
{
	struct dyno *d = arg;

	switch (ev->type) {
	case SV_EV_EXITED:
		/* One of several ended by itself: foreman's line. */
		if (ev->first && d->n > 1 && !ev->stopping &&
		    spawn_interrupted() == 0) {
			printf("%-*s | %s exited with status %d, stopping all "
			       "processes\n",
			    (int)d->width, "slugc", ev->name, ev->status);
			fflush(stdout);
		}
		break;
	case SV_EV_BOOT_TIMEOUT:
		fprintf(stderr,
		    "Error R10 (Boot timeout) -> Web process failed to bind "
		    "to $PORT within %d seconds of launch\n",
		    d->pl->boot_timeout);
		break;
	case SV_EV_SERVICE_EXITED:
		fprintf(stderr,
		    PROGNAME ": warning: add-on %s (pid %ld) exited\n",
		    ev->name, (long)ev->pid);
		break;
	default:
		break;
	}
}

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

/* The environment of one process: a dyno's PATH, the release's config
 * vars, the platform's metadata, the app's config vars with the user's
 * over them (d->vars), then what the platform itself sets and no config
 * var can change: HOME, PORT, DYNO. */
static int
proc_env(struct proc *p, const struct dyno *d, struct errbuf *e)
{
	const struct dyno_plan *pl = d->pl;
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
	for (i = 0; i < d->vars->nvars; i++)
		if (envv_set(&p->env, d->vars->vars[i].name,
			d->vars->vars[i].value, e) == -1)
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

/* supervise_task_fn: the plan's ready (smoke's request), once web is
 * bound.  Runs on the supervisor's task thread; d->ready_code and
 * r->ms_request are read after it is joined. */
static int
ready_task(void *arg, int port)
{
	struct dyno *d = arg;
	double t1 = monotime_msf();

	d->ready_code = d->pl->ready(d->pl->ready_arg, port);
	d->r->ms_request = monotime_msf() - t1;
	return d->ready_code != SX_OK || d->pl->stop_when_ready;
}

static void
addon_event(void *arg, enum addon_event ev, const struct addon *a,
    const char *detail)
{
	(void)arg;
	if (ev == ADDON_EV_STARTED || ev == ADDON_EV_PORT_CHANGED ||
	    ev == ADDON_EV_STALE_PID)
		fprintf(stderr, PROGNAME ": add-on %s: %s\n", a->name,
		    detail != NULL ? detail : "");
}

/* The app's state, when it has any: NULL otherwise, and then no add-ons
 * and no config vars of its own. */
static int
open_state(const char *name, struct appstate **out, struct errbuf *e)
{
	struct errbuf ignored;
	char *root, *dir;
	bool have;

	*out = NULL;
	if (name == NULL || !appstate_name_ok(name) ||
	    (root = appstate_root(&ignored)) == NULL)
		return 0;
	dir = fs_join(root, name);
	have = dir != NULL && fs_exists(dir);
	free(dir);
	free(root);
	return have ? appstate_open(name, false, out, e) : 0;
}

/* The app's add-ons, started (or found running) before its processes and
 * left running after them, then its config vars, which name the add-ons'
 * ports. */
static int
start_addons(struct dyno *d, struct supervise *sv)
{
	struct errbuf e;
	size_t n;
	int rc;

	if (open_state(d->pl->app_name, &d->state, &e) == -1)
		goto fail;
	if (d->state == NULL)
		return SX_OK;
	d->ao.on_event = addon_event;
	d->ao.warn = warn_stderr;
	if (addon_services_add(sv, d->state, &d->ao, &d->addons, &n, &e) == -1)
		goto fail;
	if (n > 0 && (rc = supervise_start_services(sv, &e)) != 0) {
		if (rc == 1)
			return SX_SIGNAL + spawn_interrupted();
		goto fail;
	}
	if (appstate_config_read(d->state, &d->config, &e) == -1)
		goto fail;
	return SX_OK;
fail:
	fprintf(stderr, PROGNAME ": %s\n", e.msg);
	return SX_FAIL;
}

/* The config vars over the release's: the app's, then --env's, then -e's,
 * whatever their order on the command line. */
static int
merge_config(struct dyno *d)
{
	struct errbuf e;

	if (configvars_merge(NULL, d->config, d->pl->envfile_vars,
		d->pl->cli_vars, &d->vars, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	return SX_OK;
}

/* Prepares process i: its name, port, environment and argv, checked, and
 * its supervise_proc.  Returns SX_OK or the exit status, said. */
static int
proc_prepare(struct dyno *d, size_t i, struct supervise *sv)
{
	const struct dyno_plan *pl = d->pl;
	struct proc *p = &d->procs[i];
	const char *type = d->oneoff ? "run" : pl->types[i];
	const char *cmd = pl->command_line;
	struct envv_limits lim;
	struct errbuf e;

	p->d = d;
	p->idx = i;
	p->port = pl->port + 100 * (int)i; /* as foreman does */
	snprintf(p->name, sizeof p->name, "%s.1", type);
	if (!d->oneoff &&
	    (cmd = procfile_get(pl->release->types, type)) == NULL) {
		fprintf(stderr, PROGNAME ": no process type %s\n", type);
		return SX_USAGE;
	}
	if (strcmp(type, "web") == 0)
		d->web = p;
	if (proc_env(p, d, &e) == -1 ||
	    proc_argv(p, cmd, pl->command, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	/* Here, naming the variable, rather than "Argument list too long"
	 * from the child's exec. */
	envv_exec_limits(&lim);
	if (envv_fit_exec(&p->env, (const char *const *)p->argv, &lim, NULL,
		NULL, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s: %s\n", p->name, e.msg);
		return SX_USAGE;
	}
	if (supervise_port_bound(p->port)) {
		fprintf(stderr,
		    PROGNAME ": port %d is already in use (choose another "
			     "with -p)\n",
		    p->port);
		return SX_USAGE;
	}
	p->sp = (struct supervise_proc)SUPERVISE_PROC_INIT;
	p->sp.name = p->name;
	p->sp.s.argv = p->argv;
	p->sp.s.envp = envv_array(&p->env);
	p->sp.s.cwd = pl->home;
	if (pl->prefix) {
		p->sp.s.on_line = prefix_line;
		p->sp.s.arg = p;
	}
	p->sp.s.inherit_stdin =
	    d->n == 1 && !pl->prefix && !isatty(STDIN_FILENO);
	/* R10 is web's: $PORT bound within the boot timeout. */
	if (p == d->web && pl->boot_timeout > 0) {
		p->sp.port = p->port;
		p->sp.boot_timeout_ms = pl->boot_timeout * 1000;
		if (pl->ready != NULL) {
			p->sp.on_bound = ready_task;
			p->sp.on_bound_arg = d;
		}
	}
	if (supervise_add(sv, &p->sp, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	return SX_OK;
}

static int
procs_prepare(struct dyno *d, struct supervise *sv)
{
	const struct dyno_plan *pl = d->pl;
	size_t i;
	int code;

	d->n = 0;
	if (d->oneoff)
		d->n = 1;
	else
		while (pl->types[d->n] != NULL)
			d->n++;
	if ((d->procs = calloc(d->n, sizeof *d->procs)) == NULL) {
		fprintf(stderr, PROGNAME ": out of memory\n");
		return SX_FAIL;
	}
	for (i = 0; i < d->n; i++) {
		const char *type = d->oneoff ? "run" : pl->types[i];

		if (strlen(type) + 2 > d->width)
			d->width = strlen(type) + 2;
	}
	if (d->n > 1 && d->width < strlen("slugc"))
		d->width = strlen("slugc");
	for (i = 0; i < d->n; i++)
		if ((code = proc_prepare(d, i, sv)) != SX_OK)
			return code;
	return SX_OK;
}

/* The exit status the run comes to, and the line that says why when it
 * is not a clean one. */
static int
outcome(struct dyno *d, const struct supervise_result *sr)
{
	const struct dyno_plan *pl = d->pl;
	struct dyno_result *r = d->r;
	const struct proc *p;
	int code = SX_OK, sig = spawn_interrupted();

	r->ms_stop = sr->ms_stop;
	r->r10 = sr->boot_timeout >= 0;
	if (d->web != NULL && d->web->sp.bound)
		r->ms_boot = d->web->sp.ms_bound;
	if (r->r10)
		code = SX_BOOT_TIMEOUT;
	else if (sr->task_done)
		code = d->ready_code;
	if (sr->first >= 0) {
		p = &d->procs[sr->first];
		r->status = p->sp.status;
		snprintf(r->first, sizeof r->first, "%s", p->name);
		if (p == d->web && !p->sp.bound && !r->r10 && !sr->task_done)
			r->crashed = true;
		if (p->sp.err.msg[0] != '\0' && sig == 0)
			fprintf(stderr, PROGNAME ": %s: %s\n", p->name,
			    p->sp.err.msg);
	}
	if (code == SX_OK && !(sr->task_done && pl->stop_when_ready)) {
		/* Pass the first process's status on, and say why when it
		 * is not a clean exit.  A web that ends before binding $PORT
		 * crashed, even with status 0: that is 124 (it never bound),
		 * as 0 would say all went well. */
		code = r->status;
		if (r->crashed && r->status == 0 && sig == 0 &&
		    pl->boot_timeout > 0)
			code = SX_BOOT_TIMEOUT;
		if (sr->first >= 0 && code != 0 && !d->oneoff && sig == 0) {
			if (r->status > 128)
				fprintf(stderr,
				    PROGNAME ": %s was killed by %s\n",
				    r->first,
				    spawn_signal_name(r->status - 128));
			else
				fprintf(stderr,
				    PROGNAME ": %s exited with status %d%s\n",
				    r->first, r->status,
				    r->crashed ? " before binding $PORT" : "");
		}
	}
	/* Stopped by a signal: main says so, with 128 + N. */
	if (sig != 0)
		code = SX_SIGNAL + sig;
	return code;
}

int
dyno_run(const struct dyno_plan *pl, struct dyno_result *r)
{
	struct dyno d = {0};
	struct supervise_opts so = {0};
	struct supervise_result sr;
	struct supervise *sv;
	struct errbuf e;
	size_t i;
	int code;

	memset(r, 0, sizeof *r);
	r->ms_boot = r->ms_request = -1;
	d.pl = pl;
	d.r = r;
	d.tty = isatty(STDOUT_FILENO);
	d.oneoff = pl->command != NULL || pl->command_line != NULL;
	so.on_event = on_event;
	so.arg = &d;
	if ((sv = supervise_new(&so, &e)) == NULL) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	if ((code = start_addons(&d, sv)) != SX_OK ||
	    (code = merge_config(&d)) != SX_OK ||
	    (code = procs_prepare(&d, sv)) != SX_OK)
		goto out;
	fflush(stdout);
	if (supervise_run(sv, &sr, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		code = spawn_interrupted() ? SX_SIGNAL + spawn_interrupted()
					   : SX_FAIL;
		goto out;
	}
	code = outcome(&d, &sr);
out:
	supervise_free(sv);
	for (i = 0; i < d.n; i++) {
		envv_free(&d.procs[i].env);
		free(d.procs[i].argv);
	}
	free(d.procs);
	addon_services_free(d.addons);
	envdir_free(d.config);
	envdir_free(d.vars);
	appstate_close(d.state);
	return code;
}
