/* cmd_releases.c - `slugc releases` and `slugc rollback [vN]`: an app's
 * releases (release.h), listed and rolled back to with the Heroku CLI's
 * verbs and lines.  A release made here is announced to the app's
 * supervisor, if one runs (psctl.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appcmd.h"
#include "log.h"
#include "psctl.h"
#include "release.h"
#include "slugc.h"

static const char usage_text[] =
    "usage: slugc releases [-n NUM] [-a APP]\n"
    "       slugc rollback [vN] [-a APP]   (or: slugc releases:rollback)\n"
    "\n"
    "  -a, --app NAME   the app (default: the current directory's name)\n"
    "  -n, --num NUM    show only the newest NUM releases\n"
    "\n"
    "`releases` lists each release, newest first: its version, what made\n"
    "it, when (UTC), the commit and the slug's size; a release whose slug\n"
    "was pruned (" RELEASE_SLUGS_ENV " keeps the newest slugs, default 10)\n"
    "or that is corrupt says so.  `rollback` makes a new release of vN's\n"
    "slug and config vars (default: the release before the current one)\n"
    "and sets the app's config vars to those.  It exits 2 when the app has\n"
    "no such release (or none, or its slug was pruned) and 4 when that\n"
    "release is corrupt or a file cannot be written.\n";

static const struct option longopts[] = {{"app", required_argument, NULL, 'a'},
    {"num", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

void
appcmd_announce(struct appstate *st, unsigned version)
{
	char req[32], reply[1024];
	struct errbuf e;
	int rc;

	snprintf(req, sizeof req, "release %u", version);
	/* 1: no supervisor runs, nothing to restart.  One that runs answers
	 * "ok" once the app is up on the release, else why not. */
	rc = psctl_request(st->dir, req, reply, sizeof reply,
	    APPCMD_ANNOUNCE_MS, &e);
	if (rc == -1)
		fprintf(stderr, PROGNAME ": warning: v%u is not running: %s\n",
		    version, e.msg);
	else if (rc == 0 && strncmp(reply, "ok", 2) != 0) {
		reply[strcspn(reply, "\n")] = '\0';
		err_oneline(reply, sizeof reply);
		fprintf(stderr, PROGNAME ": warning: v%u is not running: %s\n",
		    version, reply);
	}
}

/* "2026-12-06T01:53:27Z" as the Heroku CLI shows a time, "2026/12/06
 * 01:53:27 +0000", into buf (32 bytes); anything else as it is. */
static const char *
show_time(const char *iso, char buf[32])
{
	size_t i;

	if (strlen(iso) != 20 || iso[10] != 'T' || iso[19] != 'Z')
		return iso;
	for (i = 0; i < 19; i++)
		buf[i] = iso[i] == '-' ? '/' : iso[i] == 'T' ? ' ' : iso[i];
	snprintf(buf + 19, 32 - 19, " +0000");
	return buf;
}

/* The width of the widest description among the first n (at most 60),
 * so the columns line up. */
static int
desc_width(const struct release *v, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		if (strlen(v[i].description) > w)
			w = strlen(v[i].description);
	return w > 60 ? 60 : (int)w;
}

static void
print_row(const struct release *r, int dw)
{
	char vs[16], when[32], size[32], desc[64 * 4], commit[8];

	snprintf(vs, sizeof vs, "v%u", r->version);
	/* Descriptions and commits come from files: one line each. */
	err_printable(desc, sizeof desc, r->description,
	    strlen(r->description));
	err_printable(commit, sizeof commit, r->commit, strnlen(r->commit, 7));
	if (r->corrupt != NULL)
		snprintf(size, sizeof size, "corrupt");
	else if (r->pruned)
		snprintf(size, sizeof size, "pruned");
	else
		log_format_bytes(size, sizeof size, r->slug_size);
	printf("%-5s  %-*.*s  %s  %-7s  %s", vs, dw, dw, desc,
	    show_time(r->created, when), commit, size);
	if (r->corrupt != NULL)
		printf(": %s", r->corrupt);
	putchar('\n');
}

static int
do_list(const char *app, struct appstate *st, size_t num)
{
	struct release *v = NULL;
	struct errbuf e;
	size_t i, n = 0;
	int dw;

	if (st != NULL && release_list(st, &v, &n, &e) == -1) {
		fprintf(stderr, PROGNAME ": %s\n", e.msg);
		return SX_FAIL;
	}
	if (n == 0) {
		printf("=== %s Releases\n%s has no releases yet.\n", app, app);
		return SX_OK;
	}
	printf("=== %s Releases - Current: v%u\n", app, v[0].version);
	if (num == 0 || num > n)
		num = n;
	dw = desc_width(v, num);
	for (i = 0; i < num; i++)
		print_row(&v[i], dw);
	release_list_free(v, n);
	return SX_OK;
}

/* The exit status for a release_rc, after printing e's line. */
static int
release_fail(int rc, const char *msg)
{
	fprintf(stderr, PROGNAME ": %s\n", msg);
	switch (rc) {
	case RELEASE_NONE:
	case RELEASE_UNKNOWN:
	case RELEASE_PRUNED:
		return SX_USAGE;
	default:
		return SX_FAIL;
	}
}

static int
do_rollback(const char *app, struct appstate *st, unsigned version)
{
	unsigned from = 0, newv = 0;
	struct errbuf e;
	int rc;

	if (st == NULL) {
		fprintf(stderr, PROGNAME ": %s has no releases yet\n", app);
		return SX_USAGE;
	}
	if ((rc = release_rollback(st, version, &from, &newv, &e)) != 0)
		return release_fail(rc, e.msg);
	fprintf(stderr, "Rolling back %s to v%u... done, v%u\n", app, from,
	    newv);
	fprintf(stderr,
	    " !     Rollback affects code and config vars; it doesn't "
	    "add or remove addons.\n"
	    " !     To undo, run: " PROGNAME " rollback v%u\n",
	    newv - 1);
	appcmd_announce(st, newv);
	return SX_OK;
}

/* "vN" or "N" into *v (N >= 1). */
static bool
parse_version(const char *s, unsigned *v)
{
	unsigned long n;
	char *end;

	if (*s == 'v' || *s == 'V')
		s++;
	if (*s < '1' || *s > '9')
		return false;
	n = strtoul(s, &end, 10);
	if (*end != '\0' || n > 1000000000UL)
		return false;
	*v = (unsigned)n;
	return true;
}

/* A value that means "go on" where the rest are exit statuses. */
#define GO_ON (-1)

static int
parse_opts(const char *verb, bool list, int argc, char **argv,
    const char **given, size_t *num)
{
	unsigned n;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return SX_OK;
		case 'a':
			*given = optarg;
			break;
		case 'n':
			if (!list || optarg[0] == 'v' || optarg[0] == 'V' ||
			    !parse_version(optarg, &n))
				return appcmd_usage(verb,
				    list ? "-n wants a number from 1"
					 : "does not take -n");
			*num = n;
			break;
		default:
			return appcmd_opt_error(verb, c, argv);
		}
	}
	return GO_ON;
}

int
cmd_releases(const char *verb, int argc, char **argv)
{
	char app[APPSTATE_NAME_MAX + 1], why[160];
	const char *given = NULL;
	struct appstate *st = NULL;
	bool list = strcmp(verb, "releases") == 0;
	unsigned version = 0;
	size_t num = 0;
	int code;

	if (!list && strcmp(verb, "rollback") != 0 &&
	    strcmp(verb, "releases:rollback") != 0)
		return appcmd_usage("releases", "unknown command");
	if ((code = parse_opts(verb, list, argc, argv, &given, &num)) != GO_ON)
		return code;
	if (argc - optind > (list ? 0 : 1))
		return appcmd_usage(verb, "too many arguments");
	if (!list && argc - optind == 1 &&
	    !parse_version(argv[optind], &version)) {
		err_printable(app, sizeof app, argv[optind],
		    strlen(argv[optind]));
		snprintf(why, sizeof why, "'%s' is not a release (vN)", app);
		return appcmd_usage(verb, why);
	}
	if ((code = appcmd_app(given, app)) != SX_OK)
		return code;
	code = appcmd_open(app, false, &st);
	if (code != SX_OK && code != 1)
		return code;
	code = list ? do_list(app, st, num) : do_rollback(app, st, version);
	appstate_close(st);
	return code;
}
