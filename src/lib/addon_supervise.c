/* addon_supervise.c - an app's add-ons as supervised services. */
#include "addon_supervise.h"

#include <stdlib.h>

#include "addon_int.h"

struct addon_service {
	struct supervise_service svc;
	struct appstate *st;
	const struct addon_opts *o;
	struct addon *a; /* as listed, then as found once started */
};

struct addon_services {
	struct addon_service *v;
	size_t n;
};

/* supervise_start_fn: addon_start, then the add-on as it runs now. */
static int
service_start(void *arg, pid_t *pid, struct errbuf *e)
{
	struct addon_service *as = arg;
	struct addon *a;

	if (addon_start(as->st, as->a->name, as->o, e) != ADDON_OK ||
	    addon_find(as->st, as->a->name, &a, e) != ADDON_OK)
		return -1;
	addon_free(as->a);
	as->a = a;
	as->svc.name = a->name;
	*pid = a->pid;
	return 0;
}

/* supervise_ready_fn: one authenticated PING. */
static int
service_ready(void *arg, struct errbuf *e)
{
	struct addon_service *as = arg;

	switch (redis_wait_ready(as->a, as->a->port, as->a->pid, 0, e)) {
	case 0:
		return 1;
	case 2:
		return 0; /* no answer yet: asked again */
	default:
		return -1;
	}
}

int
addon_services_add(struct supervise *sv, struct appstate *st,
    const struct addon_opts *o, struct addon_services **out, size_t *n,
    struct errbuf *e)
{
	struct addon_services *as;
	struct addon **list = NULL;
	size_t nlist = 0, i;

	*out = NULL;
	if (n != NULL)
		*n = 0;
	if ((as = calloc(1, sizeof *as)) == NULL)
		return errf(e, "%s: add-ons:", st->name);
	if (addon_list(st, &list, &nlist, e) != ADDON_OK)
		goto fail;
	if (nlist > 0 && (as->v = calloc(nlist, sizeof *as->v)) == NULL) {
		errf(e, "%s: add-ons:", st->name);
		goto fail;
	}
	for (i = 0; i < nlist; i++) {
		struct addon_service *s = &as->v[as->n++];

		s->st = st;
		s->o = o;
		s->a = list[i];
		list[i] = NULL;
		s->svc.name = s->a->name;
		s->svc.start = service_start;
		s->svc.ready = service_ready;
		s->svc.arg = s;
		if (supervise_add_service(sv, &s->svc, e) == -1)
			goto fail;
	}
	addon_list_free(list, nlist);
	*out = as;
	if (n != NULL)
		*n = as->n;
	return 0;
fail:
	addon_list_free(list, nlist);
	addon_services_free(as);
	return -1;
}

void
addon_services_free(struct addon_services *as)
{
	size_t i;

	if (as == NULL)
		return;
	for (i = 0; i < as->n; i++)
		addon_free(as->v[i].a);
	free(as->v);
	free(as);
}
