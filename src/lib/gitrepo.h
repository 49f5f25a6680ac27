/* gitrepo.h - an app's git remote: the bare repository `git push` sends
 * to, what its pre-receive hook is told, and the pushed commit checked out.
 *
 * The repository is APP/repo.git in the app's state (appstate.h), its
 * default branch main, and its hooks/pre-receive a symlink to slugc's own
 * binary, which runs the hook when started under that name: no script is
 * ever written from data.  Every git here runs without the variables that
 * point git elsewhere (gitexport_clean_env). */
#ifndef SLUGC_GITREPO_H
#define SLUGC_GITREPO_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "gitexport.h"

#define GITREPO_DIR "repo.git"		  /* in the app's state directory */
#define GITREPO_BRANCH "main"		  /* the default branch */
#define GITREPO_HOOK "pre-receive"	  /* the hook's name, argv[0]'s base */
#define GITREPO_UPDATES_MAX (1024 * 1024) /* bytes of hook input read */

/* Makes dir (which must not exist; its parent must) a bare repository
 * whose default branch is GITREPO_BRANCH, with no sample hooks, and
 * hooks/pre-receive a symlink to hook (an absolute path).  It is made
 * beside dir under a temporary name and renamed into place, so dir is
 * either complete or absent.  Returns 0 or -1 (git's last line of stderr
 * in e when git failed). */
int gitrepo_init(const char *dir, const char *hook, struct errbuf *e);

/* One line of a pre-receive hook's input: "OLD NEW REF". */
struct gitrepo_update {
	char old_oid[GITEXPORT_OID_MAX + 1];
	char new_oid[GITEXPORT_OID_MAX + 1];
	char *ref; /* "refs/heads/main" */
};

/* Parses len bytes of hook input into *v (a malloc'd array of *n; free
 * with gitrepo_updates_free).  Object names are 40 or 64 hex digits.  A
 * malformed line is an error naming its number.  Returns 0 or -1. */
int gitrepo_parse_updates(const char *text, size_t len,
    struct gitrepo_update **v, size_t *n, struct errbuf *e);
void gitrepo_updates_free(struct gitrepo_update *v, size_t n);

/* true if oid is all zeros: the ref is created (old) or deleted (new). */
bool gitrepo_oid_zero(const char *oid);

enum gitrepo_ref {
	GITREPO_REF_DEPLOY, /* refs/heads/main or refs/heads/master: a
			       push there deploys, as on Heroku */
	GITREPO_REF_BRANCH, /* another branch: kept, not built */
	GITREPO_REF_OTHER   /* tags, notes, anything else: kept */
};

enum gitrepo_ref gitrepo_ref_kind(const char *ref);

/* The short branch name of ref ("main" of "refs/heads/main"), or ref
 * itself when it is not a branch. */
const char *gitrepo_ref_short(const char *ref);

/* Makes dst (which must not exist) a bare repository that has repo's
 * objects (repo is a bare repository) through alternates, and nothing
 * else: what a build takes a pushed commit from (gitexport_take_rev),
 * with no checkout of its own.  Run from a pre-receive hook, the push's
 * objects are still in its quarantine (GIT_QUARANTINE_PATH, or
 * GIT_OBJECT_DIRECTORY): that is an alternate too, so dst must be used
 * before the hook returns.  On failure dst is removed.  Returns 0 or -1
 * (git's last line of stderr in e). */
int gitrepo_borrow(const char *repo, const char *dst, struct errbuf *e);

/* What gitrepo_lock calls once when it has to wait. */
typedef void gitrepo_wait_fn(void *arg);

/* Takes an exclusive flock on path (made 0600 if missing, never through a
 * symlink), waiting for it; on_wait (may be NULL) is called once when
 * another process holds it.  The wait polls every 50 ms and ends when
 * stop (may be NULL) returns nonzero: then -1 with e->msg "".  Returns
 * the open descriptor (close it to unlock), or -1. */
int gitrepo_lock(const char *path, gitrepo_wait_fn *on_wait, void *arg,
    int (*stop)(void), struct errbuf *e);

#endif
