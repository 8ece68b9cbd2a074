/* gv_check_threads.h: the checks' parallel loop over columns (opts.threads),
 * for gv_check.c. Not installed.
 *
 * gv_par_for runs body(ctx, worker, item) for every item < nitems on up to
 * nthreads workers: worker 0 is the calling thread, workers 1 .. T - 1 are
 * pthreads created for the call and joined before it returns (none for
 * nthreads <= 1 or nitems <= 1). Items are handed out one at a time in
 * increasing order from an atomic counter: no lock, no per-item
 * synchronisation, so the loop scales with the workers as long as an item
 * costs far more than an atomic increment (an item here is 4 to 70
 * evaluations of the user's f). A body must touch only its item's part of
 * shared data and its worker's own scratch.
 *
 * Determinism: which worker does an item, and in which order, must not
 * change what the item computes; the loop adds nothing that depends on it.
 * Errors: the status returned is that of the lowest item whose body failed
 * (so that of the first failure a serial loop would meet): once an item
 * fails, higher items not yet started are skipped, lower ones all run. A
 * thread that cannot be created is not an error: the remaining workers do
 * its share. */
#ifndef GV_CHECK_THREADS_H
#define GV_CHECK_THREADS_H

#include <stddef.h>

typedef int (*gv_par_body)(void *ctx, size_t worker, size_t item);

int gv_par_for(size_t nthreads, size_t nitems, gv_par_body body, void *ctx);

#endif
