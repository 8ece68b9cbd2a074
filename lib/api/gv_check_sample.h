/* gv_check_sample.h: the sampled check (opts.entries, opts.named), for
 * gv_check.c and gv_outcome.c. Not installed.
 *
 * A sampled check compares the named variables and m more drawn from the
 * others, without replacement, with gsl_ran_choose from a gsl_rng (mt19937)
 * seeded with opts.seed: the same seed and sizes give the same variables.
 * The outcome then has one column per checked variable, in increasing order,
 * and each entry's col is that variable's index in x. */
#ifndef GV_CHECK_SAMPLE_H
#define GV_CHECK_SAMPLE_H

#include <stdio.h>

#include "gv_check_impl.h"

/* The variables to check among n: the named ones (duplicates counted once)
 * and min(m, the others) drawn from the others, into *vars (malloc'd,
 * increasing, *nvars of them; the caller frees it), the distinct named count
 * in *nnamed. O(n) time and memory (a flag per variable and gsl_ran_choose's
 * source array), no evaluation. GSL_EINVAL for a named index >= n,
 * GSL_ENOMEM. */
int gv_sample_choose(size_t n, size_t m, const size_t *named, size_t nnamed, unsigned long seed,
                     size_t **vars, size_t *nvars, size_t *nnamed_distinct);

/* The probability that a sample of ndrawn of the N = nvars - nnamed unnamed
 * variables misses every one of nwrong of them (the hypergeometric
 * C(N - nwrong, ndrawn) / C(N, ndrawn), 0 when nwrong > N - ndrawn). */
double gv_sample_miss(size_t nvars, size_t nnamed, size_t ndrawn, size_t nwrong);

/* The printout's lines on what a sampled outcome does and does not
 * guarantee; -1 when a write fails. */
int gv_sample_fprintf(FILE *stream, const gv_outcome *out);

#endif
