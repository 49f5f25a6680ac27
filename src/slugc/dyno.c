/* dyno.c - running an app's processes as a dyno would: the slug unpacked
 * as $HOME, .profile.d sourced, the command run with bash, $PORT watched
 * for Heroku's R10, every process stopped together. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon_supervise.h"
#include "appstate.h"
#include "configvars.h"
#include "dynoenv.h"
#include "envv.h"
#include "fsutil.h"
#include "log.h"
#include "monotime.h"
#include "slugc.h"
#include "spawn.h"
#include "supervise.h"
#include "unpack.h"

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

/* Process p's environment and argv (dynoenv.h), checked against the
 * kernel's limits here, naming the variable, rather than as "Argument list
 * too long" from the child's exec.  Returns SX_OK or the exit status,
 * said. */
static int
proc_build(struct dyno *d, struct proc *p, const char *cmd)
{
	const struct dyno_plan *pl = d->pl;
	struct dynoenv de = {.home = pl->home,
	    .dyno = p->name,
	    .port = p->port,
	    .release = pl->release,
	    .vars = d->vars,
	    .app_name = pl->app_name,
	    .commit = pl->commit,
	    .created = pl->created};
	struct envv_limits lim;
	struct errbuf e;

	if (dynoenv_build(&p->env, &de, &e) == -1 ||
	    (p->argv = dynoenv_argv(cmd, pl->command, &e)) == NULL) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	envv_exec_limits(&lim);
	if (envv_fit_exec(&p->env, (const char *const *)p->argv, &lim, NULL,
		NULL, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s: %s\n", p->name, e.msg);
		return SX_USAGE;
	}
	return SX_OK;
}

/* Hands process p to the supervisor: how it runs, where its lines go,
 * and, for web, the R10 watch and the plan's ready. */
static int
proc_supervise(struct dyno *d, struct proc *p, struct supervise *sv)
{
	const struct dyno_plan *pl = d->pl;
	struct errbuf e;

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

/* Prepares process i: its name, port and command, then its environment
 * and argv, then its place in the supervisor.  Returns SX_OK or the exit
 * status, said. */
static int
proc_prepare(struct dyno *d, size_t i, struct supervise *sv)
{
	const struct dyno_plan *pl = d->pl;
	struct proc *p = &d->procs[i];
	const char *type = d->oneoff ? "run" : pl->types[i];
	const char *cmd = pl->command_line;
	int code;

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
	if ((code = proc_build(d, p, cmd)) != SX_OK)
		return code;
	/* A one-off binds no $PORT: a busy one is no reason to refuse it. */
	if (!d->oneoff && supervise_port_bound(p->port)) {
		fprintf(stderr,
		    PROGNAME ": port %d is already in use (choose another "
			     "with -p)\n",
		    p->port);
		return SX_USAGE;
	}
	return proc_supervise(d, p, sv);
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
