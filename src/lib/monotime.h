/* monotime.h - the monotonic clock in milliseconds, for deadlines and
 * retry budgets that must not jump when the wall clock is set. */
#ifndef SLUGC_MONOTIME_H
#define SLUGC_MONOTIME_H

#include <stdint.h>

/* Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
int64_t monotime_ms(void);

/* The same clock with its fraction of a millisecond, for timing phases
 * that take less than one. */
double monotime_msf(void);

#endif
