/* push.c - the pre-receive hook of an app's repository (gitrepo.h).
 *
 * git runs hooks/pre-receive, a symlink to slugc, in the bare repository
 * (APP/repo.git) with "OLD NEW REF" lines on stdin, before it moves any
 * ref; a non-zero exit refuses the whole push and leaves every ref where
 * it was.  A push to main or master is built: `slugc build --app APP
 * --commit NEW` runs as a child on a repository that borrows the push's
 * objects (gitrepo_borrow), its log relayed line by line as it comes (git
 * prints it as "remote: ..."), then the slug becomes a release.  Pushes
 * to one app are serialized by APP/push.lock, held for the whole push.
 *
 * On Ctrl-C the pusher's process group, this hook included, gets SIGINT:
 * the build is stopped (spawn), nothing is released, and git, killed too,
 * moves no ref. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appcmd.h"
#include "envv.h"
#include "fsutil.h"
#include "gitrepo.h"
#include "log.h"
#include "psctl.h"
#include "release.h"
#include "slugc.h"
#include "spawn.h"

#define PUSH_LOCK "push.lock"
/* How long the supervisor may take to answer "release N": it stops the
 * old processes (30 s of grace at most) and waits for web to bind (60 s
 * at most) first. */
#define PUSH_PSCTL_MS 120000

struct push {
	struct appstate *st;
	char *repo; /* the bare repository (our cwd), absolute */
	char *work; /* APP/push */
	char self[PATH_MAX];
	int lockfd;	  /* push.lock, once a deploy needs it */
	char reason[512]; /* the build's last " !     " line, its text */
};

/* The app whose repository we run in: cwd must be STATE/slugc/apps/APP/
 * repo.git.  XDG_STATE_HOME is set from that path, so the state we open
 * (and the build's, a child) is the repository's, whatever the pusher's
 * environment says. */
static int
hook_open(struct push *p)
{
	static const char tail[] = "/slugc/apps";
	char *dir = NULL, *name, *root;
	struct errbuf e;
	size_t n;
	int code = SX_FAIL;

	if ((p->repo = realpath(".", NULL)) == NULL ||
	    (dir = strdup(p->repo)) == NULL) {
		log_error(stdout, "%s: %s", GITREPO_HOOK, strerror(errno));
		return SX_FAIL;
	}
	n = strlen(dir);
	if (n < sizeof GITREPO_DIR ||
	    strcmp(dir + n - strlen(GITREPO_DIR), GITREPO_DIR) != 0 ||
	    dir[n - strlen(GITREPO_DIR) - 1] != '/')
		goto bad;
	dir[n - strlen(GITREPO_DIR) - 1] = '\0';
	name = strrchr(dir, '/') + 1;
	name[-1] = '\0';
	root = dir;
	n = strlen(root);
	if (n < sizeof tail || strcmp(root + n - strlen(tail), tail) != 0)
		goto bad;
	root[n - strlen(tail)] = '\0';
	if (setenv("XDG_STATE_HOME", root[0] != '\0' ? root : "/", 1) == -1 ||
	    appstate_open(name, false, &p->st, &e) == -1) {
		log_error(stdout, "%s: %s", name, e.msg);
		goto out;
	}
	if ((p->work = appstate_path(p->st, PUSH_WORK_DIR, &e)) == NULL) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	code = SX_OK;
	goto out;
bad:
	log_error(stdout, "%s: not an app's repository (%s/APP/%s)", p->repo,
	    tail + 1, GITREPO_DIR);
out:
	free(dir);
	return code;
}

/* The hook's whole input into *v. */
static int
read_updates(struct gitrepo_update **v, size_t *n)
{
	struct errbuf e;
	char *buf;
	size_t len = 0;
	ssize_t r;
	int code = SX_FAIL;

	if ((buf = malloc(GITREPO_UPDATES_MAX)) == NULL)
		goto fail;
	while (len < GITREPO_UPDATES_MAX) {
		r = read(STDIN_FILENO, buf + len, GITREPO_UPDATES_MAX - len);
		if (r == 0)
			break;
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		len += (size_t)r;
	}
	if (gitrepo_parse_updates(buf, len, v, n, &e) == -1)
		log_error(stdout, "%s", e.msg);
	else
		code = SX_OK;
	free(buf);
	return code;
fail:
	log_error(stdout, "%s: reading its input: %s", GITREPO_HOOK,
	    strerror(errno));
	free(buf);
	return SX_FAIL;
}

static void
say_waiting(void *arg)
{
	const struct push *p = arg;

	log_topic(stdout, "Waiting for another push to %s", p->st->name);
}

/* push.lock for the rest of the hook; the work directory emptied of what
 * an earlier, killed push left. */
static int
lock_and_clean(struct push *p)
{
	struct errbuf e;
	char *lock;

	if (p->lockfd >= 0)
		return SX_OK;
	if ((lock = appstate_path(p->st, PUSH_LOCK, &e)) == NULL ||
	    (p->lockfd = gitrepo_lock(lock, say_waiting, p, spawn_interrupted,
		 &e)) == -1) {
		free(lock);
		if (spawn_interrupted())
			return SX_SIGNAL + spawn_interrupted();
		log_error(stdout, "%s", e.msg);
		return SX_FAIL;
	}
	free(lock);
	if (fs_rm_rf(p->work, &e) == -1 ||
	    fs_mkdir_p(p->work, 0700, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		return SX_FAIL;
	}
	return SX_OK;
}

static bool
has_prefix(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(line, prefix, n) == 0;
}

/* The build's output, relayed as it comes; its last " !     " line of its
 * own (not the build's closing "Push rejected") is kept as the reason. */
static void
relay(void *arg, int fd, const char *line, size_t len, bool complete)
{
	static const char own[] = LOG_BANG "Push rejected";
	struct push *p = arg;
	size_t bang = strlen(LOG_BANG);

	(void)fd;
	/* Where build wrote the slug: a temporary file, soon a release. */
	if (complete &&
	    (has_prefix(line, len, LOG_INDENT "Slug: ") ||
		has_prefix(line, len, LOG_INDENT "Release: ")))
		return;
	fwrite(line, 1, len, stdout);
	if (complete)
		putchar('\n');
	fflush(stdout);
	if (complete && len > bang && has_prefix(line, len, LOG_BANG) &&
	    !has_prefix(line, len, own))
		err_printable(p->reason, sizeof p->reason, line + bang,
		    len - bang);
}

/* `slugc build --app APP --commit COMMIT -o SLUG SRC`, relayed.  Returns its status, or
 * SX_SIGNAL + N when we were stopped by signal N. */
static int
run_build(struct push *p, const char *src, const char *commit, const char *slug)
{
	struct envv env = ENVV_INIT;
	struct spawn s = SPAWN_INIT;
	struct errbuf e;
	const char *argv[] = {p->self, "build", "--app", p->st->name,
	    "--commit", commit, "-o", slug, src, NULL};
	int st;

	if (gitexport_clean_env(&env, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		return SX_FAIL;
	}
	p->reason[0] = '\0';
	s.argv = argv;
	s.envp = envv_array(&env);
	s.on_line = relay;
	s.arg = p;
	st = spawn_run(&s, &e);
	envv_free(&env);
	if (s.interrupted != 0 || spawn_interrupted())
		return SX_SIGNAL + spawn_interrupted();
	if (st < 0) {
		log_error(stdout, "%s", e.msg);
		return SX_FAIL;
	}
	return st;
}

/* The end of a refused push, as Heroku's. */
static void
say_rejected(const struct push *p, int code)
{
	if (code == SX_NO_BUILDPACK) {
		log_error(stdout,
		    "No default language could be detected for this app.");
		printf("\t\t\tHINT: This occurs when slugc cannot detect the "
		       "buildpack to use for this application automatically.\n"
		       "\t\t\tSee https://devcenter.heroku.com/articles/"
		       "buildpacks\n");
	}
	putchar('\n');
	if (p->reason[0] != '\0' && code != SX_NO_BUILDPACK)
		log_error(stdout, "Push failed: %s", p->reason);
	else
		log_error(stdout, "Push failed");
	log_error(stdout, "Push rejected to %s.", p->st->name);
	putchar('\n');
	fflush(stdout);
}

static void
warn_log(void *arg, const char *msg)
{
	(void)arg;
	log_warn(stdout, "%s", msg);
}

/* The slug and its release YAML as the app's next release, with the
 * app's config vars as they are now. */
static int
release_new(struct push *p, const struct gitrepo_update *u, const char *slug,
    unsigned *v, struct errbuf *e)
{
	struct release_new in = {0};
	char desc[64], *yml;
	int rc;

	if ((yml = release_path_for(slug)) == NULL)
		return errf(e, "out of memory");
	snprintf(desc, sizeof desc, "Deploy %.7s", u->new_oid);
	in.slug = slug;
	in.release_yml = yml;
	in.commit = u->new_oid;
	in.description = desc;
	in.warn = warn_log;
	rc = release_create(p->st, &in, v, e);
	free(yml);
	return rc;
}

/* The built slug as the app's next release, the supervisor told. */
static int
launch(struct push *p, const struct gitrepo_update *u, const char *slug)
{
	struct errbuf e;
	char req[64], reply[1024];
	unsigned v = 0;
	int rc;

	printf(LOG_TOPIC "Launching...");
	fflush(stdout);
	if (release_new(p, u, slug, &v, &e) != 0) {
		putchar('\n');
		log_error(stdout, "%s", e.msg);
		err_printable(p->reason, sizeof p->reason, e.msg,
		    strlen(e.msg));
		return SX_FAIL;
	}
	printf(" done, v%u\n", v);
	fflush(stdout);
	/* A supervisor that runs restarts on it, and answers once web is
	 * up again; none running is fine. */
	snprintf(req, sizeof req, "release %u", v);
	rc = psctl_request(p->st->dir, req, reply, sizeof reply, PUSH_PSCTL_MS,
	    &e);
	if (rc == -1)
		log_warn(stdout, "v%u is not running: %s", v, e.msg);
	else if (rc == 0 && strncmp(reply, "ok", 2) != 0)
		log_warn(stdout, "v%u is not running: %.*s", v,
		    (int)strcspn(reply, "\n"), reply);
	else if (rc == 0)
		log_info(stdout, "Restarted on v%u", v);
	return SX_OK;
}

/* A push to main or master: built, released or refused. */
static int
deploy(struct push *p, const struct gitrepo_update *u)
{
	struct errbuf e;
	char *src = NULL, *tmp = NULL, *slug = NULL;
	int code;

	if ((code = lock_and_clean(p)) != SX_OK)
		return code;
	code = SX_FAIL;
	if ((src = fs_join(p->work, p->st->name)) == NULL ||
	    (tmp = fs_mkdtemp(p->work, "tmp.", &e)) == NULL ||
	    (slug = fs_join(tmp, "slug.tgz")) == NULL) {
		log_error(stdout, "%s", src && tmp ? "out of memory" : e.msg);
		goto out;
	}
	/* The build takes the commit from a repository that borrows the
	 * push's objects: one checkout, the build's own. */
	if (fs_rm_rf(src, &e) == -1 || gitrepo_borrow(p->repo, src, &e) == -1) {
		log_error(stdout, "%s", e.msg);
		goto out;
	}
	code = run_build(p, src, u->new_oid, slug);
	if (code == SX_OK && spawn_interrupted())
		code = SX_SIGNAL + spawn_interrupted();
	if (code == SX_OK)
		code = launch(p, u, slug);
	if (code != SX_OK && code < SX_SIGNAL)
		say_rejected(p, code);
out:
	if (tmp != NULL) {
		struct errbuf ignored;

		fs_rm_rf(tmp, &ignored);
	}
	free(src);
	free(tmp);
	free(slug);
	return code;
}

/* One ref: main and master deploy; deleting them is refused, as on
 * Heroku; other branches and tags are kept without a build. */
static int
one_update(struct push *p, const struct gitrepo_update *u)
{
	enum gitrepo_ref k = gitrepo_ref_kind(u->ref);

	if (k == GITREPO_REF_DEPLOY && gitrepo_oid_zero(u->new_oid)) {
		log_error(stdout, "Push rejected, cannot delete %s branch",
		    gitrepo_ref_short(u->ref));
		fflush(stdout);
		return SX_USAGE;
	}
	if (k == GITREPO_REF_DEPLOY)
		return deploy(p, u);
	if (k == GITREPO_REF_BRANCH && !gitrepo_oid_zero(u->new_oid)) {
		printf("Pushed to non-deploy branch, skipping build.\n");
		fflush(stdout);
	}
	return SX_OK;
}

int
push_hook(void)
{
	struct push p = {.lockfd = -1};
	struct gitrepo_update *u = NULL;
	struct errbuf e;
	ssize_t l;
	size_t n = 0, i;
	int code;

	/* The pusher may be gone (Ctrl-C): what is left to clean up must
	 * still be done, not cut short by a write to a closed pipe. */
	signal(SIGPIPE, SIG_IGN);
	if (spawn_install_signal_handlers(&e) == -1) {
		log_error(stdout, "%s", e.msg);
		return SX_FAIL;
	}
	if ((l = readlink("/proc/self/exe", p.self, sizeof p.self - 1)) <= 0) {
		log_error(stdout, "/proc/self/exe: %s", strerror(errno));
		return SX_FAIL;
	}
	p.self[l] = '\0';
	if ((code = hook_open(&p)) == SX_OK &&
	    (code = read_updates(&u, &n)) == SX_OK)
		for (i = 0; i < n && code == SX_OK; i++)
			code = one_update(&p, &u[i]);
	gitrepo_updates_free(u, n);
	if (p.lockfd >= 0)
		close(p.lockfd);
	appstate_close(p.st);
	free(p.repo);
	free(p.work);
	return code;
}
