/* semver.c - versions and npm's version ranges; see semver.h.
 *
 * A range is parsed in one pass into sets of primitive comparators (<, <=,
 * >, >=, =, or "any"), as node-semver desugars it, and then simplified the
 * way node-semver does (">=0.0.0" is "any", a set holding "<0.0.0-0"
 * matches nothing, duplicates go), so that the canonical form and every
 * match agree with npm's. */
#include "semver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum semver_op { OP_ANY, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ };

struct comparator {
	enum semver_op op;
	struct semver v;
};

struct cset {
	struct comparator *c;
	size_t n, cap;
};

struct semver_range {
	struct cset *sets;
	size_t n, cap;
};

/* A version as written in a range: nums is how many of MAJOR.MINOR.PATCH
 * are numbers before the first x (0 for "*", 3 for a full version); the
 * prerelease counts only when nums is 3. */
struct partial {
	int nums;
	uint64_t n[3];
	size_t prefix;	 /* how many 'v's and '='s led it */
	bool x_then_num; /* a number after an x: "1.x.5" */
	char pre[SEMVER_MAX];
};

/* The parser's state: the whole range (for messages) and the cursor. */
struct rparser {
	const char *range;
	const char *p;
	const char *end; /* end of the current || part */
	struct errbuf *e;
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	    c == '\r';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_idchar(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '-';
}

/* Reads a number without leading zeros and at most SEMVER_NUM_MAX at *sp,
 * stopping at the first non-digit.  Returns 0, or -1 with *why set. */
static int
read_num(const char **sp, const char *end, uint64_t *out, const char **why)
{
	const char *s = *sp;
	uint64_t n = 0;

	if (s >= end || !is_digit(*s)) {
		*why = "expected a number";
		return -1;
	}
	if (*s == '0' && s + 1 < end && is_digit(s[1])) {
		*why = "a number with a leading zero";
		return -1;
	}
	for (; s < end && is_digit(*s); s++) {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > SEMVER_NUM_MAX) {
			*why = "a number above 2^53-1";
			return -1;
		}
	}
	*sp = s;
	*out = n;
	return 0;
}

/* Reads dot-separated identifiers at *sp ([0-9A-Za-z-]+ each), stopping at
 * the first other byte.  For a prerelease (pre), a numeric identifier may
 * not have a leading zero; a build's may.  Copies them into out (of outsz
 * bytes) when out is not NULL. */
static int
read_ids(const char **sp, const char *end, bool pre, char *out, size_t outsz,
    const char **why)
{
	const char *s = *sp, *id;
	bool digits;

	for (;;) {
		id = s;
		digits = true;
		while (s < end && is_idchar(*s)) {
			if (!is_digit(*s))
				digits = false;
			s++;
		}
		if (s == id) {
			*why = pre ? "an empty prerelease identifier"
				   : "an empty build identifier";
			return -1;
		}
		if (pre && digits && *id == '0' && s - id > 1) {
			*why = "a prerelease number with a leading zero";
			return -1;
		}
		if (s < end && *s == '.' && s + 1 <= end) {
			s++;
			continue;
		}
		break;
	}
	if (out != NULL) {
		if ((size_t)(s - *sp) >= outsz) {
			*why = "a version longer than 256 bytes";
			return -1;
		}
		memcpy(out, *sp, (size_t)(s - *sp));
		out[s - *sp] = '\0';
	}
	*sp = s;
	return 0;
}

int
semver_parse(const char *s, struct semver *v, struct errbuf *e)
{
	const char *p = s, *end = s + strlen(s), *start, *why = NULL;
	char q[128];

	memset(v, 0, sizeof *v);
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (p < end && *p == 'v')
		p++;
	start = p;
	if (read_num(&p, end, &v->major, &why) == -1)
		goto bad;
	if (p >= end || *p++ != '.') {
		why = "not MAJOR.MINOR.PATCH";
		goto bad;
	}
	if (read_num(&p, end, &v->minor, &why) == -1)
		goto bad;
	if (p >= end || *p++ != '.') {
		why = "not MAJOR.MINOR.PATCH";
		goto bad;
	}
	if (read_num(&p, end, &v->patch, &why) == -1)
		goto bad;
	if (p < end && *p == '-') {
		p++;
		if (read_ids(&p, end, true, v->pre, sizeof v->pre, &why) == -1)
			goto bad;
	}
	if (p - start >= SEMVER_MAX) {
		why = "a version longer than 256 bytes";
		goto bad;
	}
	if (p < end && *p == '+') {
		p++;
		if (read_ids(&p, end, false, NULL, 0, &why) == -1)
			goto bad;
	}
	if (p != end) {
		why = "unexpected characters after the version";
		goto bad;
	}
	return 0;
bad:
	err_printable(q, sizeof q, s, strlen(s));
	memset(v, 0, sizeof *v);
	return errf(e, "invalid version '%s': %s", q, why);
}

/* Compares two prerelease strings, "" (a release) above any other. */
static int
pre_compare(const char *a, const char *b)
{
	size_t la, lb;
	bool na, nb;
	const char *p;
	int c;

	if (*a == '\0' || *b == '\0')
		return (*a == '\0') - (*b == '\0');
	for (;;) {
		la = strcspn(a, ".");
		lb = strcspn(b, ".");
		na = nb = true;
		for (p = a; p < a + la; p++)
			na = na && is_digit(*p);
		for (p = b; p < b + lb; p++)
			nb = nb && is_digit(*p);
		if (na && nb) {
			/* No leading zeros: the longer number is larger. */
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(a, b, la);
		} else if (na != nb) {
			c = na ? -1 : 1;
		} else {
			c = memcmp(a, b, la < lb ? la : lb);
			if (c == 0 && la != lb)
				c = la < lb ? -1 : 1;
		}
		if (c != 0)
			return c < 0 ? -1 : 1;
		a += la;
		b += lb;
		if (*a == '\0' || *b == '\0')
			return (*a != '\0') - (*b != '\0');
		a++;
		b++;
	}
}

static int
num_compare(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

int
semver_compare(const struct semver *a, const struct semver *b)
{
	int c;

	if ((c = num_compare(a->major, b->major)) != 0 ||
	    (c = num_compare(a->minor, b->minor)) != 0 ||
	    (c = num_compare(a->patch, b->patch)) != 0)
		return c;
	return pre_compare(a->pre, b->pre);
}

int
semver_format(const struct semver *v, char *buf, size_t size)
{
	return snprintf(buf, size, "%llu.%llu.%llu%s%s",
	    (unsigned long long)v->major, (unsigned long long)v->minor,
	    (unsigned long long)v->patch, v->pre[0] != '\0' ? "-" : "", v->pre);
}

/* Fills e with "invalid range 'R': at 'REST': why" and returns -1. */
static int
rbad(struct rparser *rp, const char *at, const char *why)
{
	char q[128], w[64];
	const char *stop = at;

	err_printable(q, sizeof q, rp->range, strlen(rp->range));
	while (stop < rp->end && !is_blank(*stop))
		stop++;
	if (at >= rp->end || stop == at)
		return errf(rp->e, "invalid range '%s': %s", q, why);
	err_printable(w, sizeof w, at, (size_t)(stop - at));
	return errf(rp->e, "invalid range '%s': at '%s': %s", q, w, why);
}

static bool
is_x(char c)
{
	return c == 'x' || c == 'X' || c == '*';
}

/* Reads a partial version at the cursor: [v=]*xr[.xr[.xr[-pre]]][+build],
 * each xr a number or x, X or *.  It must end at a blank or at the end of
 * the part.  A number after an x ("1.x.5") is only noted in x_then_num:
 * node-semver ignores it in hyphen, tilde and caret ranges (">=1.0.0" for
 * "1.x.5 - 2", "~1.x.5", "^1.x.5") and refuses it elsewhere.  The prefix is node-semver's too: any 'v's and '='s
 * ("=v1.2", "vv1"), though a comparator with a full version takes only a
 * 'v' (see parse_set). */
static int
read_partial(struct rparser *rp, struct partial *pv, const char *term)
{
	const char *s = rp->p, *start, *why = NULL;
	bool seen_x = false;
	uint64_t n;
	int i;

	memset(pv, 0, sizeof *pv);
	while (s < rp->end && (*s == 'v' || *s == '='))
		s++;
	pv->prefix = (size_t)(s - rp->p);
	start = s;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (s >= rp->end || *s != '.')
				break;
			s++;
		}
		if (s < rp->end && is_x(*s)) {
			seen_x = true;
			s++;
			continue;
		}
		if (s >= rp->end || !is_digit(*s))
			return rbad(rp, term,
			    i == 0 ? "expected a version"
				   : "expected a number or x");
		if (seen_x) { /* ignored: any size, no leading zero */
			pv->x_then_num = true;
			if (*s == '0' && s + 1 < rp->end && is_digit(s[1]))
				return rbad(rp, term,
				    "a number with a leading zero");
			while (s < rp->end && is_digit(*s))
				s++;
			continue;
		}
		if (read_num(&s, rp->end, &n, &why) == -1)
			return rbad(rp, term, why);
		pv->n[pv->nums++] = n;
	}
	if (i == 3 && s < rp->end && *s == '-') {
		s++;
		if (read_ids(&s, rp->end, true, pv->pre, sizeof pv->pre,
			&why) == -1)
			return rbad(rp, term, why);
		if (pv->nums < 3)
			pv->pre[0] = '\0'; /* "1.x.x-beta" is "1.x" */
	}
	if (s - start >= SEMVER_MAX)
		return rbad(rp, term, "a version longer than 256 bytes");
	if (s < rp->end && *s == '+') {
		s++;
		if (read_ids(&s, rp->end, false, NULL, 0, &why) == -1)
			return rbad(rp, term, why);
	}
	if (s < rp->end && !is_blank(*s))
		return rbad(rp, term,
		    i < 3 && *s == '-' ? "a prerelease needs MAJOR.MINOR.PATCH"
				       : "not a version or comparator");
	rp->p = s;
	return 0;
}

static int
set_add(struct rparser *rp, struct cset *set, enum semver_op op, uint64_t ma,
    uint64_t mi, uint64_t pa, const char *pre)
{
	struct comparator *c;
	size_t cap;

	if (ma > SEMVER_NUM_MAX || mi > SEMVER_NUM_MAX || pa > SEMVER_NUM_MAX)
		return rbad(rp, rp->end, "a bound above 2^53-1");
	if (set->n == set->cap) {
		cap = set->cap ? set->cap * 2 : 4;
		c = realloc(set->c, cap * sizeof *c);
		if (c == NULL)
			return errf(rp->e, "semver: out of memory:");
		set->c = c;
		set->cap = cap;
	}
	c = &set->c[set->n++];
	memset(c, 0, sizeof *c);
	c->op = op;
	c->v.major = ma;
	c->v.minor = mi;
	c->v.patch = pa;
	/* pre is at most SEMVER_MAX - 1 bytes: read_ids checked it. */
	snprintf(c->v.pre, sizeof c->v.pre, "%s", pre);
	return 0;
}

/* The null set's comparator, "<0.0.0-0": no version is below it. */
static int
add_none(struct rparser *rp, struct cset *set)
{
	return set_add(rp, set, OP_LT, 0, 0, 0, "0");
}

static int
add_any(struct rparser *rp, struct cset *set)
{
	return set_add(rp, set, OP_ANY, 0, 0, 0, "");
}

/* The comparators of one simple term: op (OP_ANY for none) then a partial;
 * tilde and caret are given as '~' and '^'.  Returns 0, or non-zero with
 * rp->e filled (add_simple makes it -1). */
static int
simple_terms(struct rparser *rp, struct cset *set, int op,
    const struct partial *pv)
{
	uint64_t M = pv->n[0], m = pv->n[1], p = pv->n[2];
	const char *pre = pv->pre;

	if (pv->nums == 0) /* *, x, ~*, ^x, >=x, <=x: any; >x, <x: none */
		return op == OP_GT || op == OP_LT ? add_none(rp, set)
						  : add_any(rp, set);
	switch (op) {
	case '~':
		if (pv->nums == 1)
			return set_add(rp, set, OP_GE, M, 0, 0, "") ||
			    set_add(rp, set, OP_LT, M + 1, 0, 0, "0");
		return set_add(rp, set, OP_GE, M, m, pv->nums == 3 ? p : 0,
			   pre) ||
		    set_add(rp, set, OP_LT, M, m + 1, 0, "0");
	case '^':
		if (pv->nums == 1)
			return set_add(rp, set, OP_GE, M, 0, 0, "") ||
			    set_add(rp, set, OP_LT, M + 1, 0, 0, "0");
		if (pv->nums == 2)
			return set_add(rp, set, OP_GE, M, m, 0, "") ||
			    (M == 0 ? set_add(rp, set, OP_LT, 0, m + 1, 0, "0")
				    : set_add(rp, set, OP_LT, M + 1, 0, 0,
					  "0"));
		if (set_add(rp, set, OP_GE, M, m, p, pre) == -1)
			return -1;
		if (M != 0)
			return set_add(rp, set, OP_LT, M + 1, 0, 0, "0");
		if (m != 0)
			return set_add(rp, set, OP_LT, 0, m + 1, 0, "0");
		return set_add(rp, set, OP_LT, 0, 0, p + 1, "0");
	}
	if (pv->nums == 3)
		return set_add(rp, set,
		    op == OP_ANY ? OP_EQ : (enum semver_op)op, M, m, p, pre);
	/* An x-range: 1 is 1.x.x, 1.2 is 1.2.x. */
	switch (op) {
	case OP_ANY:
	case OP_EQ:
		if (pv->nums == 1)
			return set_add(rp, set, OP_GE, M, 0, 0, "") ||
			    set_add(rp, set, OP_LT, M + 1, 0, 0, "0");
		return set_add(rp, set, OP_GE, M, m, 0, "") ||
		    set_add(rp, set, OP_LT, M, m + 1, 0, "0");
	case OP_GT: /* >1 is >=2.0.0, >1.2 is >=1.3.0 */
		return pv->nums == 1 ? set_add(rp, set, OP_GE, M + 1, 0, 0, "")
				     : set_add(rp, set, OP_GE, M, m + 1, 0, "");
	case OP_GE:
		return set_add(rp, set, OP_GE, M, pv->nums == 1 ? 0 : m, 0, "");
	case OP_LT:
		return set_add(rp, set, OP_LT, M, pv->nums == 1 ? 0 : m, 0,
		    "0");
	default: /* OP_LE: <=1 is <2.0.0-0, <=1.2 is <1.3.0-0 */
		return pv->nums == 1
		    ? set_add(rp, set, OP_LT, M + 1, 0, 0, "0")
		    : set_add(rp, set, OP_LT, M, m + 1, 0, "0");
	}
}

static int
add_simple(struct rparser *rp, struct cset *set, int op,
    const struct partial *pv)
{
	return simple_terms(rp, set, op, pv) != 0 ? -1 : 0;
}

/* The comparators of the hyphen range "a - b". */
static int
add_hyphen(struct rparser *rp, struct cset *set, const struct partial *a,
    const struct partial *b)
{
	int r = 0;

	if (a->nums > 0)
		r = set_add(rp, set, OP_GE, a->n[0], a->n[1], a->n[2],
		    a->nums == 3 ? a->pre : "");
	if (r == 0 && b->nums == 1)
		r = set_add(rp, set, OP_LT, b->n[0] + 1, 0, 0, "0");
	else if (r == 0 && b->nums == 2)
		r = set_add(rp, set, OP_LT, b->n[0], b->n[1] + 1, 0, "0");
	else if (r == 0 && b->nums == 3)
		r = set_add(rp, set, OP_LE, b->n[0], b->n[1], b->n[2], b->pre);
	if (r == 0 && set->n == 0)
		r = add_any(rp, set);
	return r != 0 ? -1 : 0;
}

static void
skip_blanks(struct rparser *rp)
{
	while (rp->p < rp->end && is_blank(*rp->p))
		rp->p++;
}

/* Reads an operator at the cursor; returns OP_ANY when there is none. */
static int
read_op(struct rparser *rp)
{
	const char *s = rp->p;
	int op = OP_ANY;

	if (s >= rp->end)
		return op;
	switch (*s) {
	case '<':
		op = s + 1 < rp->end && s[1] == '=' ? OP_LE : OP_LT;
		break;
	case '>':
		op = s + 1 < rp->end && s[1] == '=' ? OP_GE : OP_GT;
		break;
	case '=':
		op = OP_EQ;
		break;
	case '~':
		op = '~';
		if (s + 1 < rp->end && s[1] == '>')
			rp->p++; /* ~> is ~ */
		break;
	case '^':
		op = '^';
		break;
	default:
		return op;
	}
	rp->p += op == OP_LE || op == OP_GE ? 2 : 1;
	return op;
}

/* Whether two comparators are the same ("=1.2.3" is "1.2.3"). */
static bool
cmp_same(const struct comparator *a, const struct comparator *b)
{
	return a->op == b->op &&
	    (a->op == OP_ANY || semver_compare(&a->v, &b->v) == 0);
}

static bool
is_none(const struct comparator *c)
{
	return c->op == OP_LT && c->v.major == 0 && c->v.minor == 0 &&
	    c->v.patch == 0 && strcmp(c->v.pre, "0") == 0;
}

/* Simplifies a set as node-semver does: >=0.0.0 is any, a set holding the
 * null comparator is just it, duplicates go, and "any" goes when there is
 * something else. */
static void
set_simplify(struct cset *set)
{
	size_t i, j, k = 0;

	for (i = 0; i < set->n; i++) {
		struct comparator *c = &set->c[i];

		if (c->op == OP_GE && c->v.major == 0 && c->v.minor == 0 &&
		    c->v.patch == 0 && c->v.pre[0] == '\0')
			c->op = OP_ANY;
	}
	for (i = 0; i < set->n; i++) {
		if (is_none(&set->c[i])) {
			set->c[0] = set->c[i];
			set->n = 1;
			return;
		}
	}
	for (i = 0; i < set->n; i++) {
		for (j = 0; j < k; j++)
			if (cmp_same(&set->c[j], &set->c[i]))
				break;
		if (j == k)
			set->c[k++] = set->c[i];
	}
	set->n = k;
	if (set->n > 1) {
		for (i = k = 0; i < set->n; i++)
			if (set->c[i].op != OP_ANY)
				set->c[k++] = set->c[i];
		set->n = k;
	}
}

/* Parses the comparator set in [rp->p, rp->end) into set. */
static int
parse_set(struct rparser *rp, struct cset *set)
{
	struct partial a, b;
	const char *at, *ver, *term;
	int op;
	bool first = true, blanks;

	for (;;) {
		skip_blanks(rp);
		if (rp->p >= rp->end)
			break;
		at = rp->p;
		op = read_op(rp);
		ver = rp->p;
		skip_blanks(rp);
		blanks = rp->p > ver;
		if (rp->p >= rp->end)
			return rbad(rp, at, "an operator without a version");
		/* node-semver reads "< =1" as "<=1": too subtle to copy. */
		if ((op == OP_LT || op == OP_GT) && blanks && *rp->p == '=')
			return rbad(rp, at, "a blank inside an operator");
		if (*rp->p == '-' && op == OP_ANY)
			return rbad(rp, rp->p,
			    first ? "a hyphen range "
				    "needs a version before the '-'"
				  : "a hyphen range must be the whole set");
		ver = rp->p;
		if (read_partial(rp, &a, at) == -1)
			return -1;
		term = at;
		at = rp->p;
		skip_blanks(rp);
		/* "A - B": the dash stands alone, between blanks. */
		if ((op == OP_ANY || op == OP_EQ) && rp->p > at &&
		    rp->p < rp->end && *rp->p == '-' &&
		    (rp->p + 1 == rp->end || is_blank(rp->p[1]))) {
			if (!first)
				return rbad(rp, rp->p,
				    "a hyphen range must "
				    "be the whole set");
			rp->p++;
			skip_blanks(rp);
			if (rp->p >= rp->end)
				return rbad(rp, rp->end,
				    "a hyphen range "
				    "needs a version after the '-'");
			if (read_partial(rp, &b, rp->p) == -1)
				return -1;
			skip_blanks(rp);
			if (rp->p < rp->end)
				return rbad(rp, rp->p,
				    "a hyphen range must "
				    "be the whole set");
			return add_hyphen(rp, set, &a, &b);
		}
		if (a.x_then_num && op != '~' && op != '^')
			return rbad(rp, term, "a number after an x");
		/* A full version in a comparator: "1.2.3", "=1.2.3",
		 * ">=v1.2.3", but not "==1.2.3" or "vv1.2.3". */
		if (a.nums == 3 && op != '~' && op != '^' &&
		    !(a.prefix == 0 || (a.prefix == 1 && *ver == 'v')))
			return rbad(rp, term, "not a version");
		if (add_simple(rp, set, op, &a) == -1)
			return -1;
		first = false;
	}
	return set->n == 0 ? add_any(rp, set) : 0;
}

void
semver_range_free(struct semver_range *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->sets[i].c);
	free(r->sets);
	free(r);
}

int
semver_range_parse(const char *range, struct semver_range **out,
    struct errbuf *e)
{
	struct rparser rp = {range, range, NULL, e};
	struct semver_range *r;
	struct cset *sets;
	const char *bar, *stop = range + strlen(range);
	size_t i, k, cap;

	*out = NULL;
	if (stop - range > SEMVER_RANGE_MAX) {
		char q[64];

		err_printable(q, sizeof q, range, strlen(range));
		return errf(e, "invalid range '%s': longer than %d bytes", q,
		    SEMVER_RANGE_MAX);
	}
	if ((r = calloc(1, sizeof *r)) == NULL)
		return errf(e, "semver: out of memory:");
	for (;;) {
		bar = strstr(rp.p, "||");
		rp.end = bar != NULL ? bar : stop;
		if (r->n == r->cap) {
			cap = r->cap ? r->cap * 2 : 2;
			sets = realloc(r->sets, cap * sizeof *sets);
			if (sets == NULL) {
				errf(e, "semver: out of memory:");
				goto fail;
			}
			r->sets = sets;
			r->cap = cap;
		}
		memset(&r->sets[r->n], 0, sizeof r->sets[r->n]);
		r->n++;
		if (parse_set(&rp, &r->sets[r->n - 1]) == -1)
			goto fail;
		set_simplify(&r->sets[r->n - 1]);
		if (bar == NULL)
			break;
		rp.p = bar + 2;
	}
	/* Sets that match nothing go, unless all do; a set that matches
	 * anything makes the range "any". */
	if (r->n > 1) {
		for (i = k = 0; i < r->n; i++) {
			if (is_none(&r->sets[i].c[0]) &&
			    !(k == 0 && i == r->n - 1))
				free(r->sets[i].c);
			else
				r->sets[k++] = r->sets[i];
		}
		r->n = k;
		for (i = 0; i < r->n && r->n > 1; i++) {
			if (r->sets[i].n == 1 && r->sets[i].c[0].op == OP_ANY) {
				struct cset any = r->sets[i];

				for (k = 0; k < r->n; k++)
					if (k != i)
						free(r->sets[k].c);
				r->sets[0] = any;
				r->n = 1;
			}
		}
	}
	*out = r;
	return 0;
fail:
	semver_range_free(r);
	return -1;
}

static bool
cmp_test(const struct comparator *c, const struct semver *v)
{
	int d;

	if (c->op == OP_ANY)
		return true;
	d = semver_compare(v, &c->v);
	switch (c->op) {
	case OP_LT:
		return d < 0;
	case OP_LE:
		return d <= 0;
	case OP_GT:
		return d > 0;
	case OP_GE:
		return d >= 0;
	default:
		return d == 0;
	}
}

static bool
set_test(const struct cset *set, const struct semver *v)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!cmp_test(&set->c[i], v))
			return false;
	if (v->pre[0] == '\0')
		return true;
	/* A prerelease only where the set names one of the same tuple. */
	for (i = 0; i < set->n; i++) {
		const struct semver *cv = &set->c[i].v;

		if (set->c[i].op != OP_ANY && cv->pre[0] != '\0' &&
		    cv->major == v->major && cv->minor == v->minor &&
		    cv->patch == v->patch)
			return true;
	}
	return false;
}

bool
semver_satisfies(const struct semver_range *r, const struct semver *v)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (set_test(&r->sets[i], v))
			return true;
	return false;
}

int
semver_range_format(const struct semver_range *r, char *buf, size_t size)
{
	static const char *const ops[] = {[OP_ANY] = "",
	    [OP_LT] = "<",
	    [OP_LE] = "<=",
	    [OP_GT] = ">",
	    [OP_GE] = ">=",
	    [OP_EQ] = ""};
	char v[SEMVER_MAX + 64];
	size_t i, j, len = 0;
	int n;

	if (size > 0)
		buf[0] = '\0';
	if (r->n == 1 && r->sets[0].n == 1 && r->sets[0].c[0].op == OP_ANY)
		return snprintf(buf, size, "*");
	for (i = 0; i < r->n; i++) {
		for (j = 0; j < r->sets[i].n; j++) {
			const struct comparator *c = &r->sets[i].c[j];

			if (c->op == OP_ANY)
				v[0] = '\0';
			else
				semver_format(&c->v, v, sizeof v);
			n = snprintf(len < size ? buf + len : NULL,
			    len < size ? size - len : 0, "%s%s%s",
			    i > 0 && j == 0 ? "||"
				: j > 0	    ? " "
					    : "",
			    ops[c->op], v);
			if (n < 0)
				return n;
			len += (size_t)n;
		}
	}
	return (int)len;
}

long
semver_max_satisfying(const char *range, const char *const *versions, size_t n,
    struct errbuf *e)
{
	struct semver_range *r;
	struct semver v, best;
	char q[128], list[ERRBUF_MAX / 2], one[64];
	size_t i, len = 0;
	long found = SEMVER_NOMATCH;

	memset(&best, 0, sizeof best);
	if (semver_range_parse(range, &r, e) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (semver_parse(versions[i], &v, NULL) == -1)
			continue;
		if (!semver_satisfies(r, &v))
			continue;
		if (found < 0 || semver_compare(&v, &best) > 0) {
			best = v;
			found = (long)i;
		}
	}
	semver_range_free(r);
	if (found >= 0)
		return found;
	list[0] = '\0';
	for (i = 0; i < n && len < sizeof list; i++) {
		err_printable(one, sizeof one, versions[i],
		    strlen(versions[i]));
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
		    i > 0 ? ", " : "", one);
	}
	err_printable(q, sizeof q, range, strlen(range));
	errf(e, "range '%s' matches none of %s", q,
	    n > 0 ? list : "no versions (the list is empty)");
	return SEMVER_NOMATCH;
}
