/* configvars.c - merging an app's config vars, masking, .env lines. */
#include "configvars.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "appstate.h"

/* Copies every var of src (may be NULL) into dst, replacing. */
static int
overlay(struct envdir *dst, const struct envdir *src, struct errbuf *e)
{
	size_t i;

	for (i = 0; src != NULL && i < src->nvars; i++)
		if (envdir_set(dst, src->vars[i].name, src->vars[i].value, e) ==
		    -1)
			return -1;
	return 0;
}

int
configvars_merge(const struct manifest *release, const struct envdir *app,
    const struct envdir *envfile, const struct envdir *cli, struct envdir **out,
    struct errbuf *e)
{
	struct envdir *m;
	char shown[104];
	size_t i;

	*out = NULL;
	if ((m = envdir_new()) == NULL)
		return errf(e, "config vars: out of memory");
	for (i = 0; release != NULL && i < release->nvars; i++) {
		if (!envdir_name_ok(release->vars[i].name)) {
			err_printable_name(shown, sizeof shown,
			    release->vars[i].name);
			envdir_free(m);
			return errf(e,
			    "the release's config var %s is not a "
			    "variable name",
			    shown);
		}
		if (envdir_set(m, release->vars[i].name, release->vars[i].value,
			e) == -1)
			goto fail;
	}
	if (overlay(m, app, e) == -1 || overlay(m, envfile, e) == -1 ||
	    overlay(m, cli, e) == -1)
		goto fail;
	*out = m;
	return 0;
fail:
	envdir_free(m);
	return -1;
}

int
configvars_for_app(const char *app, const struct manifest *release,
    const struct envdir *envfile, const struct envdir *cli, struct envdir **out,
    struct errbuf *e)
{
	struct appstate *st = NULL;
	struct envdir *cfg = NULL;
	int rc;

	*out = NULL;
	if (app != NULL) {
		/* Only "no state" (ENOENT) means no config of its own. */
		if (!appstate_name_ok(app))
			return appstate_open(app, false, &st, e);
		if (appstate_open(app, false, &st, e) == -1) {
			if (errno != ENOENT)
				return -1;
			st = NULL;
		}
		if (st != NULL && appstate_config_read(st, &cfg, e) == -1) {
			appstate_close(st);
			return -1;
		}
		appstate_close(st);
	}
	rc = configvars_merge(release, cfg, envfile, cli, out, e);
	envdir_free(cfg);
	return rc;
}

char *
configvars_mask(const char *value)
{
	CURLU *u;
	CURLUcode rc;
	char *pw = NULL, *url = NULL, *out;
	unsigned flags = CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS;

#ifdef CURLU_ALLOW_SPACE
	flags |= CURLU_ALLOW_SPACE;
#endif
	if ((u = curl_url()) == NULL)
		return NULL;
	rc = curl_url_set(u, CURLUPART_URL, value, flags);
	if (rc == CURLUE_OUT_OF_MEMORY) {
		curl_url_cleanup(u);
		return NULL;
	}
	if (rc != CURLUE_OK) {
		curl_url_cleanup(u);
		/* Something URL-like curl cannot read may still hold a
		 * password we cannot find: none of it is shown. */
		return strdup(strstr(value, "://") != NULL ? "*****" : value);
	}
	rc = curl_url_get(u, CURLUPART_PASSWORD, &pw, 0);
	if (rc == CURLUE_OK && pw[0] != '\0') {
		if (curl_url_set(u, CURLUPART_PASSWORD, "*****", 0) !=
			CURLUE_OK ||
		    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
			out = strdup("*****");
		else
			out = strdup(url);
	} else
		out = strdup(value);
	if (pw != NULL)
		explicit_bzero(pw, strlen(pw));
	curl_free(pw);
	curl_free(url);
	curl_url_cleanup(u);
	return out;
}

/* Characters that no .env reader (nor a shell) treats specially. */
static bool
bare_ok(const char *v)
{
	if (*v == '\0')
		return false;
	for (; *v != '\0'; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
			(*v >= '0' && *v <= '9') || strchr("_./:@%+,=-", *v)))
			return false;
	return true;
}

char *
configvars_dotenv_line(const char *name, const char *value)
{
	size_t n = strlen(name), i;
	char *out, *w;

	if (bare_ok(value)) {
		if (asprintf(&out, "%s=%s\n", name, value) < 0)
			return NULL;
		return out;
	}
	if (strchr(value, '\n') == NULL) {
		/* Both readers take what is between the first and the last
		 * quote literally: a ' inside needs nothing. */
		if (asprintf(&out, "%s='%s'\n", name, value) < 0)
			return NULL;
		return out;
	}
	/* Each byte at most two, plus NAME, =, two quotes, \n, NUL. */
	if ((out = malloc(n + 2 * strlen(value) + 5)) == NULL)
		return NULL;
	memcpy(out, name, n);
	w = out + n;
	*w++ = '=';
	*w++ = '"';
	for (i = 0; value[i] != '\0'; i++) {
		if (value[i] == '\n') {
			*w++ = '\\';
			*w++ = 'n';
		} else if (value[i] == '\\' || value[i] == '"') {
			*w++ = '\\';
			*w++ = value[i];
		} else
			*w++ = value[i];
	}
	*w++ = '"';
	*w++ = '\n';
	*w = '\0';
	return out;
}
