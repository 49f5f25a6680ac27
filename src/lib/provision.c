/* provision.c - an app's add-ons from its release and app.json, made on
 * its first build. */
#include "provision.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "beneath.h"

#define APPJSON_MAX (1024 * 1024)
#define APPJSON_DEPTH 32

void
provision_wants_free(struct provision_want *w, size_t n)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(w[i].spec);
		free(w[i].as);
	}
	free(w);
}

/* A string member key of obj into *out (NULL when absent). */
static int
member(struct json_object *obj, const char *key, size_t idx, char **out,
    struct errbuf *e)
{
	struct json_object *v;
	const char *s;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return errf(e, "app.json: addons[%zu].%s is not a string", idx,
		    key);
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return errf(e, "app.json: addons[%zu].%s holds a NUL", idx,
		    key);
	if ((*out = strdup(s)) == NULL)
		return errf(e, "app.json: out of memory");
	return 0;
}

/* One entry of "addons" into w. */
static int
want_of(struct json_object *v, size_t idx, struct provision_want *w,
    err_warn_fn *warn, void *arg, struct errbuf *e)
{
	const char *s;

	memset(w, 0, sizeof *w);
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if ((size_t)json_object_get_string_len(v) != strlen(s))
			return errf(e, "app.json: addons[%zu] holds a NUL",
			    idx);
		if ((w->spec = strdup(s)) == NULL)
			return errf(e, "app.json: out of memory");
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return errf(e,
		    "app.json: addons[%zu] is neither a string nor an "
		    "object",
		    idx);
	if (member(v, "plan", idx, &w->spec, e) == -1 ||
	    member(v, "as", idx, &w->as, e) == -1)
		return -1;
	if (w->spec == NULL)
		return errf(e, "app.json: addons[%zu] has no \"plan\"", idx);
	if (json_object_object_get_ex(v, "options", NULL))
		err_warnf(warn, arg,
		    "app.json: addons[%zu]: options are ignored by local "
		    "add-ons",
		    idx);
	return 0;
}

int
provision_appjson(const char *root, struct provision_want **out, size_t *n,
    err_warn_fn *warn, void *arg, struct errbuf *e)
{
	struct json_tokener *tok = NULL;
	struct json_object *doc = NULL, *list;
	struct provision_want *w = NULL;
	char *buf;
	size_t len, i, count = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if ((buf = beneath_read_file(root, "app.json", APPJSON_MAX, &len, e)) ==
	    NULL)
		return errno == ENOENT ? 0 : -1;
	if ((tok = json_tokener_new_ex(APPJSON_DEPTH)) == NULL) {
		errf(e, "app.json: out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, buf, (int)len);
	if (doc == NULL ||
	    json_tokener_get_parse_end(tok) +
		    strspn(buf + json_tokener_get_parse_end(tok), " \t\r\n") !=
		len) {
		errf(e, "app.json: not valid JSON (%s)",
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		errf(e, "app.json: not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "addons", &list) || list == NULL) {
		rc = 0;
		goto out;
	}
	if (!json_object_is_type(list, json_type_array)) {
		errf(e, "app.json: \"addons\" is not an array");
		goto out;
	}
	len = json_object_array_length(list);
	if (len > 0 && (w = calloc(len, sizeof *w)) == NULL) {
		errf(e, "app.json: out of memory");
		goto out;
	}
	for (i = 0; i < len; i++, count++)
		if (want_of(json_object_array_get_idx(list, i), i, &w[i], warn,
			arg, e) == -1) {
			count++; /* its parts are freed too */
			goto out;
		}
	*out = w;
	*n = count;
	w = NULL;
	rc = 0;
out:
	provision_wants_free(w, count);
	json_object_put(doc);
	if (tok != NULL)
		json_tokener_free(tok);
	free(buf);
	return rc;
}

/* Whether the app has an add-on of spec's service already. */
static int
have_service(struct appstate *st, const char *spec, bool *have,
    struct errbuf *e)
{
	struct addon **v;
	size_t n, i, len = strcspn(spec, ":");

	*have = false;
	if (addon_list(st, &v, &n, e) != ADDON_OK)
		return -1;
	for (i = 0; i < n && !*have; i++)
		*have = strlen(v[i]->service) == len &&
		    memcmp(v[i]->service, spec, len) == 0;
	addon_list_free(v, n);
	return 0;
}

/* Provisions one want unless its service is there already. */
static int
provision_one(struct appstate *st, const char *spec, const char *as,
    const struct addon_opts *o, size_t *created, struct errbuf *e)
{
	char shown[80];
	bool have;
	int rc;

	if (have_service(st, spec, &have, e) == -1)
		return ADDON_ERR;
	if (have) {
		err_printable_name(shown, sizeof shown, spec);
		err_warnf(o->warn, o->arg,
		    "%s: the app has an add-on of this service already; "
		    "not provisioned again",
		    shown);
		return ADDON_OK;
	}
	rc = addon_create(st, spec, as, NULL, o, NULL, e);
	if (rc == ADDON_OK)
		(*created)++;
	return rc == ADDON_SKIPPED ? ADDON_OK : rc;
}

int
provision_wants(const struct manifest *release, const char *app_dir,
    struct provision_want **out, size_t *n, err_warn_fn *warn, void *arg,
    struct errbuf *e)
{
	struct provision_want *w = NULL, *aj = NULL;
	size_t nr = release != NULL ? release->naddons : 0, naj = 0, i;

	*out = NULL;
	*n = 0;
	if (app_dir != NULL &&
	    provision_appjson(app_dir, &aj, &naj, warn, arg, e) == -1)
		return -1;
	if (nr + naj == 0)
		return 0;
	if ((w = calloc(nr + naj, sizeof *w)) == NULL) {
		provision_wants_free(aj, naj);
		return errf(e, "add-ons: out of memory");
	}
	for (i = 0; i < nr; i++)
		if ((w[i].spec = strdup(release->addons[i])) == NULL) {
			provision_wants_free(w, nr);
			provision_wants_free(aj, naj);
			return errf(e, "add-ons: out of memory");
		}
	/* app.json's entries move over whole. */
	if (naj > 0)
		memcpy(w + nr, aj, naj * sizeof *aj);
	free(aj);
	*out = w;
	*n = nr + naj;
	return 0;
}

int
addon_provision(struct appstate *st, const struct provision_want *w, size_t n,
    const struct addon_opts *o, size_t *created, struct errbuf *e)
{
	static const struct addon_opts noopts;
	struct stat sb;
	char *mark = NULL, when[32];
	size_t i, made = 0;
	struct tm tm;
	time_t now;
	int rc = ADDON_ERR;

	if (o == NULL)
		o = &noopts;
	if (created != NULL)
		*created = 0;
	if (n == 0)
		return 1;
	if (appstate_lock(st, e) == -1)
		return ADDON_ERR;
	if ((mark = appstate_path(st, "first-build", e)) == NULL)
		goto out;
	if (lstat(mark, &sb) == 0) {
		rc = 1;
		goto out;
	}
	if (errno != ENOENT) {
		errf(e, "%s:", mark);
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((rc = provision_one(st, w[i].spec, w[i].as, o, &made, e)) !=
		    ADDON_OK)
			goto out;
	rc = ADDON_ERR;
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ\n", &tm) == 0) {
		errf(e, "%s: the time:", mark);
		goto out;
	}
	if (appstate_write_file(mark, when, strlen(when), 0600, e) == -1)
		goto out;
	rc = ADDON_OK;
out:
	if (created != NULL)
		*created = made;
	free(mark);
	appstate_unlock(st);
	return rc;
}
