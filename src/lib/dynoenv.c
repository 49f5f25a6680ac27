/* dynoenv.c - a dyno's process environment, metadata and argv. */
#include "dynoenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "digest.h"

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

int
dynoenv_app_id(const char *app_name, char out[37], struct errbuf *e)
{
	char hex[DIGEST_HEX_SIZE];
	unsigned char b[16];
	struct digest *d;
	size_t i;

	if ((d = digest_new(e)) == NULL)
		return -1;
	if (digest_update(d, "slugc app ", 10, e) == -1 ||
	    digest_update(d, app_name, strlen(app_name), e) == -1 ||
	    digest_final_hex(d, hex, e) == -1) {
		digest_free(d);
		return -1;
	}
	digest_free(d);
	for (i = 0; i < 16; i++)
		sscanf(hex + 2 * i, "%2hhx", &b[i]);
	format_uuid(b, 5, out);
	return 0;
}

/* The release's metadata: its commit and when it was made. */
static int
slug_metadata(struct envv *env, const struct dynoenv *de, struct errbuf *e)
{
	char when[32], desc[32];
	struct tm tm;

	if (de->commit != NULL && de->commit[0] != '\0') {
		snprintf(desc, sizeof desc, "Deploy %.7s", de->commit);
		if (envv_set(env, "HEROKU_SLUG_COMMIT", de->commit, e) == -1 ||
		    envv_set(env, "HEROKU_SLUG_DESCRIPTION", desc, e) == -1)
			return -1;
	}
	if (de->created > 0 && gmtime_r(&de->created, &tm) != NULL &&
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0 &&
	    envv_set(env, "HEROKU_RELEASE_CREATED_AT", when, e) == -1)
		return -1;
	return 0;
}

int
dynoenv_metadata(struct envv *env, const struct dynoenv *de, struct errbuf *e)
{
	char uuid[37], domain[128];
	unsigned char b[16];

	if (de->app_name == NULL || de->app_name[0] == '\0')
		return 0;
	if (dynoenv_app_id(de->app_name, uuid, e) == -1)
		return -1;
	snprintf(domain, sizeof domain, "%s.localhost", de->app_name);
	if (envv_set(env, "HEROKU_APP_NAME", de->app_name, e) == -1 ||
	    envv_set(env, "HEROKU_APP_ID", uuid, e) == -1 ||
	    envv_set(env, "HEROKU_APP_DEFAULT_DOMAIN_NAME", domain, e) == -1)
		return -1;
	/* The dyno's id: a random one per process start. */
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return errf(e, "%s: getrandom:", de->dyno);
	format_uuid(b, 4, uuid);
	if (envv_set(env, "HEROKU_DYNO_ID", uuid, e) == -1)
		return -1;
	return slug_metadata(env, de, e);
}

int
dynoenv_build(struct envv *env, const struct dynoenv *de, struct errbuf *e)
{
	const struct manifest *rel = de->release;
	const struct envdir *vars = de->vars;
	char port[16];
	size_t i;

	snprintf(port, sizeof port, "%d", de->port);
	if (envv_set(env, "PATH", DYNOENV_PATH, e) == -1)
		return -1;
	for (i = 0; rel != NULL && i < rel->nvars; i++)
		if (envv_set(env, rel->vars[i].name, rel->vars[i].value, e) ==
		    -1)
			return -1;
	if (dynoenv_metadata(env, de, e) == -1)
		return -1;
	for (i = 0; vars != NULL && i < vars->nvars; i++)
		if (envv_set(env, vars->vars[i].name, vars->vars[i].value, e) ==
		    -1)
			return -1;
	if (envv_set(env, "HOME", de->home, e) == -1 ||
	    envv_set(env, "PORT", port, e) == -1 ||
	    envv_set(env, "DYNO", de->dyno, e) == -1)
		return -1;
	return 0;
}

const char **
dynoenv_argv(const char *command_line, char *const *argv, struct errbuf *e)
{
	const char **v;
	size_t n = 0, i = 0;

	while (argv != NULL && argv[n] != NULL)
		n++;
	/* bash -c SCRIPT $0, then -c LINE or -- ARGV..., then NULL. */
	if ((v = calloc(n + 7, sizeof *v)) == NULL) {
		errf(e, "dyno argv: out of memory");
		return NULL;
	}
	v[i++] = "bash";
	v[i++] = "-c";
	v[i++] = dyno_script;
	v[i++] = "bash"; /* $0 */
	if (command_line != NULL) {
		v[i++] = "-c";
		v[i++] = command_line;
	} else {
		v[i++] = "--";
		memcpy(v + i, argv, n * sizeof *argv);
	}
	return v;
}
