/* bench_guard.h: the benchmarks' GSL error handler.
 *
 * A benchmark reports measurements; a GSL error inside one (an index out of
 * range, a BLAS call with mismatched sizes) would corrupt them silently with
 * the handler switched off, and GSL's default handler would abort it. This
 * handler prints each call on stderr (file, line, reason) and counts it; a
 * benchmark that saw any ends with exit status 3 whatever main returned, so
 * `meson test --benchmark` reports it as failed. Call once, first in main. */
#ifndef BENCH_GUARD_H
#define BENCH_GUARD_H

void bench_guard_install(void);

#endif
