/* stopflag.h - "stop now": set by a signal handler or by another thread,
 * read by every thread doing long work (a download, an extraction, a wait
 * for the cache's lock).
 *
 * A volatile sig_atomic_t is only safe between a handler and the thread it
 * interrupted; read from other threads it is a data race.  A lock-free
 * atomic_int is safe for both: C11 lets a signal handler store to one. */
#ifndef SLUGC_STOPFLAG_H
#define SLUGC_STOPFLAG_H

#include <stdatomic.h>
#include <stdbool.h>

_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
    "a stop flag must be lock-free to be set from a signal handler");

typedef atomic_int stopflag;

/* True when f is set; a NULL f is never set. */
static inline bool
stopflag_is_set(const stopflag *f)
{
	return f != NULL && atomic_load_explicit(f, memory_order_relaxed) != 0;
}

/* Sets f (async-signal-safe). */
static inline void
stopflag_set(stopflag *f, int v)
{
	atomic_store_explicit(f, v, memory_order_relaxed);
}

#endif
