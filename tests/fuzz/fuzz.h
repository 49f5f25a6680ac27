/* fuzz.h - the entry points of the libFuzzer targets in tests/fuzz.
 *
 * Each fuzz_NAME.c defines fuzz_NAME_one(), which runs one input through
 * the library and checks the target's invariants, and (unless FUZZ_NO_MAIN
 * is defined) LLVMFuzzerTestOneInput(), which aborts when an invariant
 * breaks so that libFuzzer saves the input.  tests/unit/
 * test_fuzz_regressions.c defines FUZZ_NO_MAIN and includes every
 * fuzz_*.c, so the same checks replay the seed corpus and every saved crash
 * under the normal unit-test build.  Static helpers therefore carry a
 * per-target prefix (pf_, mf_, bp_, pol_, ua_, pu_) to share one translation
 * unit. */
#ifndef SLUGC_FUZZ_H
#define SLUGC_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each returns 0 when every invariant held for the input, or -1 after
 * printing to stderr which one broke. */
int fuzz_procfile_one(const uint8_t *data, size_t size);
int fuzz_manifest_one(const uint8_t *data, size_t size);
int fuzz_runtime_versions_one(const uint8_t *data, size_t size);
int fuzz_unpack_policy_one(const uint8_t *data, size_t size);
int fuzz_unpack_one(const uint8_t *data, size_t size);
int fuzz_pack_unpack_one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz_TARGET: invariant broken: ..." and returns -1. */
static inline int __attribute__((format(printf, 2, 3)))
fuzz_fail(const char *target, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: invariant broken: ", target);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Library messages must be one line (err.h).  A target that finds one that
 * is not fails like on any broken invariant, unless FUZZ_LAX_MESSAGES is set
 * to something other than 0: that lets the fuzzer go deeper while a known
 * message bug waits for its fix.  test_fuzz_regressions never sets it. */
static inline bool
fuzz_lax_messages(void)
{
	const char *s = getenv("FUZZ_LAX_MESSAGES");

	return s != NULL && *s != '\0' && strcmp(s, "0") != 0;
}

/* true if s breaks the one-line rule (and that is not being ignored). */
static inline bool
fuzz_multiline(const char *s)
{
	return strpbrk(s, "\r\n") != NULL && !fuzz_lax_messages();
}

/* The libFuzzer entry point of a target whose checker is fn: a broken
 * invariant aborts, which libFuzzer reports as a crash with the input. */
#define FUZZ_MAIN(fn)                                                       \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)        \
	{                                                                   \
		if (fn(data, size) == -1)                                   \
			abort();                                            \
		return 0;                                                   \
	}

#endif
