/* gitrepo.c - the bare repository, the hook's input, the pushed commit. */
#include "gitrepo.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envv.h"
#include "fsutil.h"
#include "spawn.h"

#define LOCK_POLL_MS 50

/* Runs git with argv, whose argv[1] is the verb (stdout dropped), in
 * gitexport's environment for git.  Returns 0, or -1 with e naming the
 * verb ("git init: <git's message>"). */
static int
git(const char *const *argv, struct errbuf *e)
{
	struct envv env = ENVV_INIT;
	struct spawn s = SPAWN_INIT;
	struct gitexport_lastline err = {""};
	int st;

	if (gitexport_git_env(&env, e) == -1)
		return -1;
	s.argv = argv;
	s.envp = envv_array(&env);
	s.on_line = gitexport_keep_last;
	s.arg = &err;
	st = spawn_run(&s, e);
	envv_free(&env);
	if (st == 0)
		return 0;
	if (st < 0)
		return -1;
	return gitexport_git_fail(argv[1], st, &err, e);
}

int
gitrepo_init(const char *dir, const char *hook, struct errbuf *e)
{
	char *tmp = NULL, *hooks = NULL, *link = NULL;
	int rc = -1;

	if (asprintf(&tmp, "%s.new-%ld", dir, (long)getpid()) == -1) {
		tmp = NULL;
		return errf(e, "%s:", dir);
	}
	if (fs_exists(dir)) {
		errno = EEXIST;
		errf(e, "%s:", dir);
		goto out;
	}
	{
		/* --template= : no sample hooks; ours is the only one. */
		const char *argv[] = {"git", "init", "-q", "--bare",
		    "--template=", "--initial-branch=" GITREPO_BRANCH, tmp,
		    NULL};

		/* Made here, not by git: a missing parent is an error. */
		if (fs_rm_rf(tmp, e) == -1)
			goto out;
		if (mkdir(tmp, 0755) == -1) {
			errf(e, "create %s:", tmp);
			goto out;
		}
		if (git(argv, e) == -1)
			goto out;
	}
	if ((hooks = fs_join(tmp, "hooks")) == NULL ||
	    (link = fs_join(hooks, GITREPO_HOOK)) == NULL) {
		errf(e, "%s:", dir);
		goto out;
	}
	if (fs_mkdir_p(hooks, 0755, e) == -1)
		goto out;
	if (symlink(hook, link) == -1) {
		errf(e, "symlink %s:", link);
		goto out;
	}
	if (rename(tmp, dir) == -1) {
		errf(e, "rename %s to %s:", tmp, dir);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		struct errbuf ignored;

		fs_rm_rf(tmp, &ignored);
	}
	free(tmp);
	free(hooks);
	free(link);
	return rc;
}

static bool
oid_ok(const char *s, size_t n)
{
	size_t i;

	if (n != 40 && n != 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* One "OLD NEW REF" line (without its '\n') into u. */
static int
parse_line(const char *p, size_t len, size_t lineno, struct gitrepo_update *u,
    struct errbuf *e)
{
	const char *sp1 = memchr(p, ' ', len), *sp2;
	size_t rest;

	if (sp1 == NULL)
		goto bad;
	rest = len - (size_t)(sp1 + 1 - p);
	if ((sp2 = memchr(sp1 + 1, ' ', rest)) == NULL)
		goto bad;
	if (!oid_ok(p, (size_t)(sp1 - p)) ||
	    !oid_ok(sp1 + 1, (size_t)(sp2 - sp1 - 1)) ||
	    (size_t)(sp1 - p) != (size_t)(sp2 - sp1 - 1))
		goto bad;
	rest = len - (size_t)(sp2 + 1 - p);
	if (rest == 0 || memchr(sp2 + 1, '\0', rest) != NULL)
		goto bad;
	memcpy(u->old_oid, p, (size_t)(sp1 - p));
	u->old_oid[sp1 - p] = '\0';
	memcpy(u->new_oid, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	u->new_oid[sp2 - sp1 - 1] = '\0';
	if ((u->ref = strndup(sp2 + 1, rest)) == NULL)
		return errf(e, "hook input:");
	return 0;
bad:
	return errf(e, "hook input line %zu: not \"OLD NEW REF\"", lineno);
}

int
gitrepo_parse_updates(const char *text, size_t len, struct gitrepo_update **v,
    size_t *n, struct errbuf *e)
{
	struct gitrepo_update *u = NULL, *nu;
	const char *p = text, *end = text + len, *nl;
	size_t k = 0, lineno = 0, l;

	*v = NULL;
	*n = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if ((nu = realloc(u, (k + 1) * sizeof *u)) == NULL) {
			errf(e, "hook input:");
			goto fail;
		}
		u = nu;
		memset(&u[k], 0, sizeof u[k]);
		if (parse_line(p, l, lineno, &u[k], e) == -1)
			goto fail;
		k++;
		p += l + (nl != NULL);
	}
	*v = u;
	*n = k;
	return 0;
fail:
	gitrepo_updates_free(u, k);
	return -1;
}

void
gitrepo_updates_free(struct gitrepo_update *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].ref);
	free(v);
}

bool
gitrepo_oid_zero(const char *oid)
{
	return oid[0] != '\0' && strspn(oid, "0") == strlen(oid);
}

enum gitrepo_ref
gitrepo_ref_kind(const char *ref)
{
	if (strcmp(ref, "refs/heads/main") == 0 ||
	    strcmp(ref, "refs/heads/master") == 0)
		return GITREPO_REF_DEPLOY;
	if (strncmp(ref, "refs/heads/", 11) == 0)
		return GITREPO_REF_BRANCH;
	return GITREPO_REF_OTHER;
}

const char *
gitrepo_ref_short(const char *ref)
{
	return strncmp(ref, "refs/heads/", 11) == 0 ? ref + 11 : ref;
}

/* The object directories dst's objects come from: repo's own, and the
 * push's quarantine when a hook runs (git gives it both ways). */
static int
write_alternates(const char *repo, const char *dst, struct errbuf *e)
{
	const char *q = getenv("GIT_QUARANTINE_PATH");
	char *objs = NULL, *file = NULL, *qabs = NULL, *text = NULL;
	int rc = -1;

	if (q == NULL || *q == '\0')
		q = getenv("GIT_OBJECT_DIRECTORY");
	if (q != NULL && *q != '\0' && (qabs = realpath(q, NULL)) == NULL) {
		errf(e, "%s:", q);
		goto out;
	}
	if ((objs = fs_join(repo, "objects")) == NULL ||
	    (file = fs_join(dst, "objects/info/alternates")) == NULL ||
	    asprintf(&text, "%s\n%s%s", objs, qabs != NULL ? qabs : "",
		qabs != NULL ? "\n" : "") == -1) {
		text = NULL;
		errf(e, "%s:", dst);
		goto out;
	}
	if (fs_write_file_atomic(file, text, strlen(text), 0644, e) == -1)
		goto out;
	rc = 0;
out:
	free(objs);
	free(file);
	free(qabs);
	free(text);
	return rc;
}

int
gitrepo_borrow(const char *repo, const char *dst, struct errbuf *e)
{
	char *abs = NULL, *info = NULL;
	bool made = false;
	int rc = -1;

	if ((abs = realpath(repo, NULL)) == NULL)
		return errf(e, "%s:", repo);
	if (fs_exists(dst)) {
		errno = EEXIST;
		errf(e, "%s:", dst);
		goto out;
	}
	{
		const char *argv[] = {"git", "init", "-q", "--bare",
		    "--template=", dst, NULL};

		made = true;
		if (git(argv, e) == -1)
			goto out;
	}
	if ((info = fs_join(dst, "objects/info")) == NULL) {
		errf(e, "%s:", dst);
		goto out;
	}
	if (fs_mkdir_p(info, 0755, e) == -1 ||
	    write_alternates(abs, dst, e) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1 && made) {
		struct errbuf ignored;

		fs_rm_rf(dst, &ignored);
	}
	free(abs);
	free(info);
	return rc;
}

int
gitrepo_lock(const char *path, gitrepo_wait_fn *on_wait, void *arg,
    int (*stop)(void), struct errbuf *e)
{
	bool told = false;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return errf(e, "open %s:", path);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			errf(e, "flock %s:", path);
			break;
		}
		if (!told && on_wait != NULL)
			on_wait(arg);
		told = true;
		if (stop != NULL && stop() != 0) {
			e->msg[0] = '\0';
			break;
		}
		/* flock(2) restarts after SA_RESTART handlers: a blocking
		 * one would never see a Ctrl-C. */
		poll(NULL, 0, LOCK_POLL_MS);
	}
	close(fd);
	return -1;
}
