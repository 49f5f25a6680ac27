/* semver.h - versions and npm's version ranges (node-semver's rules).
 *
 * What `engines.node` in a package.json means: a range such as "^20",
 * ">=18 <21" or "18.x || 20.x" is resolved against the versions a buildpack
 * knows, the highest match winning, as npm and Heroku resolve it.
 *
 * Versions are SemVer 2.0.0: MAJOR.MINOR.PATCH, numbers without leading
 * zeros and at most 2^53-1 (JavaScript's safe integers, as node-semver),
 * then an optional -PRERELEASE (dot-separated identifiers: numbers without
 * leading zeros, or [0-9A-Za-z-]+ holding a non-digit) and an optional
 * +BUILD (ignored).  A version string is at most SEMVER_MAX - 1 bytes.
 *
 * Ranges (strict mode, without includePrerelease):
 *   set || set ...     a version matches if it matches one set; an empty set
 *                      matches every version ("1 ||" is "*")
 *   set                comparators separated by blanks, all of which must hold
 *   A - B              hyphen range: >=A <=B, a partial A filled with zeros,
 *                      a partial B meaning "anything that starts with B"
 *   <, <=, >, >=, =    comparators; no operator is =
 *   ~P, ~>P            tilde: patch changes if a minor is given, else minor
 *   ^P                 caret: changes that keep the left-most non-zero part
 *   1, 1.2, 1.x, 1.2.*, *, x, ""  partial versions and x-ranges
 * Blanks may follow an operator (">= 1.2", "~> 1", "^ 2"), a version may
 * start with 'v', '=' or "=v", and build metadata after any partial is
 * ignored.  A prerelease version matches a set only if some comparator of
 * that set names a prerelease of the same MAJOR.MINOR.PATCH: "^1.2.3-beta.2"
 * admits 1.2.3-beta.4, not 1.2.4-beta.1.
 *
 * It agrees with node-semver 7.8 on the canonical form and the matches of
 * every range in its test fixtures and of 300 000 random strings (35 000
 * of them valid ranges), except
 * where node-semver accepts text only through its regular-expression
 * rewrites, which this refuses: glued terms ("1.2.3>=*", where the star is
 * deleted), a lone "+build", blanks inside a prefix ("^ = 1") and "< =1"
 * (read there as "<=1"). */
#ifndef SLUGC_SEMVER_H
#define SLUGC_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Longest version string plus its NUL (node-semver's MAX_LENGTH is 256). */
#define SEMVER_MAX 257

/* Largest version number: 2^53-1, node-semver's MAX_SAFE_INTEGER. */
#define SEMVER_NUM_MAX UINT64_C(9007199254740991)

/* Longest range text semver_range_parse() accepts: far more than any
 * engines.node, and it bounds the work (duplicates are found pairwise). */
#define SEMVER_RANGE_MAX 65536

/* semver_max_satisfying's result when no version satisfies the range. */
#define SEMVER_NOMATCH (-2)

struct semver {
	uint64_t major, minor, patch;
	char pre[SEMVER_MAX]; /* "" for a release */
};

struct semver_range;

/* Parses the version s: surrounding blanks and one leading 'v' are allowed,
 * build metadata is dropped.  Returns 0, or -1 with e quoting s. */
int semver_parse(const char *s, struct semver *v, struct errbuf *e);

/* Compares two versions by SemVer precedence: the numbers, then a release
 * above its prereleases, then the prerelease identifiers one by one
 * (numbers numerically and below words, words in ASCII order, a shorter
 * list first when one is a prefix of the other).  Returns <0, 0 or >0. */
int semver_compare(const struct semver *a, const struct semver *b);

/* Writes v as "MAJOR.MINOR.PATCH[-PRE]" into buf of size bytes.  Returns
 * the length, as snprintf (a result >= size means it was cut). */
int semver_format(const struct semver *v, char *buf, size_t size);

/* Parses the range text r (at most SEMVER_RANGE_MAX bytes).  On success *out is a new range the caller frees
 * with semver_range_free() and 0 is returned; -1 leaves *out NULL and fills
 * e with "invalid range 'R': ..." (R quoted with err_printable).  No I/O,
 * no global state. */
int semver_range_parse(const char *r, struct semver_range **out,
    struct errbuf *e);

/* Frees a range.  NULL is fine. */
void semver_range_free(struct semver_range *r);

/* Whether v satisfies r (see the prerelease rule above). */
bool semver_satisfies(const struct semver_range *r, const struct semver *v);

/* Writes r in node-semver's canonical form ("1.2.x || 2" gives
 * ">=1.2.0 <1.3.0-0||>=2.0.0 <3.0.0-0"; a range that matches anything
 * gives "*", one that matches nothing "<0.0.0-0") into buf of size bytes.
 * Returns the length, as snprintf. */
int semver_range_format(const struct semver_range *r, char *buf, size_t size);

/* Returns the index in versions[0..n) of the highest version that
 * satisfies the range text range; entries that are not valid versions are
 * skipped, and of equal versions the first wins.  Returns -1 when range is
 * not a valid range, SEMVER_NOMATCH when no version satisfies it; both
 * fill e ("range '>=99' matches none of 18.20.4, 20.20.2"). */
long semver_max_satisfying(const char *range, const char *const *versions,
    size_t n, struct errbuf *e);

#endif
