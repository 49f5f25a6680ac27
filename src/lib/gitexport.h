/* gitexport.h - taking what a `git push` would deploy from an app directory.
 *
 * In a git work tree that is HEAD's committed tree, checked out the way a
 * platform's fresh clone does it (symlinks, exec bits, .gitattributes
 * filters; unlike `git archive`, export-ignore is not honoured); for an app
 * in a subdirectory of a repository, that subdirectory's tree.  Anything not
 * committed is left out and counted so the caller can say so.  Outside git,
 * the directory itself without `.git`.  The app directory is never written
 * to: git runs with GIT_OPTIONAL_LOCKS=0 and a temporary index. */
#ifndef SLUGC_GITEXPORT_H
#define SLUGC_GITEXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define GITEXPORT_OID_MAX 64 /* sha256 repositories */

struct gitexport {
	bool is_git;	    /* app_dir is in a git work tree with a HEAD */
	bool from_worktree; /* the files came from the directory itself */
	char commit[GITEXPORT_OID_MAX + 1]; /* HEAD (SOURCE_VERSION), or "" */
	long long commit_time;		    /* HEAD's committer time, or 0 */
	size_t changes;	  /* uncommitted changes left out (one per
			     `git status --porcelain` line) */
	char sample[256]; /* the first of them, "a.cs, b.cs, ..." */
};

/* Flags. */
#define GITEXPORT_WORKTREE                                                     \
	0x1 /* take the directory as it is (minus                              \
	       .git) even in a git work tree; commit and                       \
	       changes are still filled when available */

/* Puts the app's deployable files into dst, which must not exist (its
 * parent must), and describes where they came from in *g.  A git work tree
 * whose HEAD has no commit is an error (there is nothing to push) unless
 * GITEXPORT_WORKTREE.  Uses `git` from PATH only when app_dir is in a work
 * tree.  On failure dst is removed.  Returns 0 or -1 with e filled (git's
 * own last line of stderr included when git failed).  A directory copied
 * as it is may hold FIFOs, sockets or devices: they are left out, each
 * named through warn (fs_copy_app). */
int gitexport_take(const char *app_dir, const char *dst, int flags,
    err_warn_fn *warn, void *arg, struct gitexport *g, struct errbuf *e);

/* Puts the tree of commit rev of the git repository at repo_dir into dst
 * (which must not exist): rev's whole tree in a bare repository or at the
 * top of a work tree, the subdirectory's in a subdirectory.  Neither the
 * work tree nor what is uncommitted in it matters: g says rev's commit,
 * never from_worktree or changes.  rev is a revision git knows (a commit,
 * a branch, a tag, "HEAD~1"), never one that begins with '-'.  On failure
 * dst is removed.  Returns 0 or -1 with e filled. */
#define GITEXPORT_REV_MAX 256
int gitexport_take_rev(const char *repo_dir, const char *rev, const char *dst,
    struct gitexport *g, struct errbuf *e);

/* Whether rev may be handed to gitexport_take_rev: not empty, shorter than
 * GITEXPORT_REV_MAX, and not beginning with '-' (git would take it for an
 * option). */
bool gitexport_rev_ok(const char *rev);

/* Fills env (ENVV_INIT; the caller frees it) with our environment minus
 * the variables that would point git at another repository, index, object
 * directory or work tree than the one it is run in (those a git hook gets:
 * GIT_DIR, GIT_OBJECT_DIRECTORY, GIT_QUARANTINE_PATH...).  Returns 0 or
 * -1. */
struct envv;
int gitexport_clean_env(struct envv *env, struct errbuf *e);

/* gitexport_clean_env, and what every git run of ours gets besides: no
 * optional lock taken (status would refresh a user's index otherwise) and
 * the C locale, for messages we can quote.  On failure env is freed and -1
 * returned. */
int gitexport_git_env(struct envv *env, struct errbuf *e);

/* The last line git wrote to stderr, for messages: gitexport_keep_last is
 * a spawn on_line callback whose arg is this struct (text "" to start). */
struct gitexport_lastline {
	char text[512];
};
void gitexport_keep_last(void *arg, int fd, const char *line, size_t len,
    bool complete);

/* Fills e with "git WHAT: <git's last line>", or "git WHAT exited with
 * status ST" when git said nothing, and returns -1. */
int gitexport_git_fail(const char *what, int st,
    const struct gitexport_lastline *err, struct errbuf *e);

#endif
