/* bench_small_kink.c: false failures of right gradients with a small kink
 * near x. Run with `meson test --benchmark small_kink -v` (or the executable
 * alone); 2000 trials a row.
 * Prints a Markdown table and asserts nothing.
 *
 * f(x) = sum_j sin(a x_j) + J max(0, x_j - c_j) over 4 variables, each kink
 * c_j at a distance drawn log-uniform in [1e-7, 1e-1] on either side of x_j;
 * a = 2.17, so |f'| ~ 1. A row fixes the decade of |J| (either sign). The
 * gradient handed to gv_check_gradient (default options) is right: every
 * failing check is a false failure. Where the kink lies inside the steps the
 * engines take but J is too small for their kink tests (below ~1e-3 of the
 * slope beside the curvature f shows over the step), the numeric derivative
 * is the blend of the two slopes, off by up to |J| / 2, and its error
 * estimate may not say so (gv_ridders.h, "Small jumps"). */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_rng.h>

#include "gradverify.h"
#include "bench_guard.h"

#define SEED 20261129UL
#define N 4
#define TRIALS 2000 /* a row */
#define SLOPE_A 2.17

typedef struct {
  double jump, kink[N];
} small_kink;

static double sk_f(const gsl_vector *x, void *params)
{
  const small_kink *p = params;
  double s = 0.0;
  for (size_t j = 0; j < x->size; j++) {
    const double t = gsl_vector_get(x, j);
    s += sin(SLOPE_A * t) + p->jump * fmax(0.0, t - p->kink[j]);
  }
  return s;
}

static void sk_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const small_kink *p = params;
  for (size_t j = 0; j < x->size; j++) {
    const double t = gsl_vector_get(x, j);
    gsl_vector_set(g, j, SLOPE_A * cos(SLOPE_A * t) + (t > p->kink[j] ? p->jump : 0.0));
  }
}

static void sk_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
  *f = sk_f(x, params);
  sk_df(x, params, g);
}

int main(int argc, char **argv)
{
  (void)argv;
  bench_guard_install();
  if (argc > 1) {
    fprintf(stderr, "usage: bench_small_kink\n");
    return 2;
  }
  const long trials = TRIALS;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_vector *x = gsl_vector_alloc(N);
  gv_outcome *out = gv_outcome_alloc();
  if (!r || !x || !out)
    return 2;
  gsl_rng_set(r, SEED);
  small_kink p;
  gsl_multimin_function_fdf fdf = {sk_f, sk_df, sk_fdf, N, &p};
  printf("| abs(J) | trials | false failures | kink distance of the failed entries |\n"
         "|---|---:|---:|---|\n");
  for (int decade = -8; decade <= 0; decade++) {
    long failed = 0;
    double dmin = INFINITY, dmax = 0.0;
    for (long t = 0; t < trials; t++) {
      p.jump = (gsl_rng_uniform(r) < 0.5 ? -1.0 : 1.0) * pow(10.0, decade + gsl_rng_uniform(r));
      for (size_t j = 0; j < N; j++) {
        const double x0 = 4.0 * gsl_rng_uniform(r) - 2.0;
        const double dist = pow(10.0, -7.0 + 6.0 * gsl_rng_uniform(r));
        gsl_vector_set(x, j, x0);
        p.kink[j] = x0 + (gsl_rng_uniform(r) < 0.5 ? -dist : dist);
      }
      int status = gv_check_gradient(&fdf, x, NULL, out);
      if (status) {
        fprintf(stderr, "bench_small_kink: %s\n", gsl_strerror(status));
        return 2;
      }
      if (gv_outcome_verdict(out) != GV_FAIL)
        continue;
      failed++;
      gv_entry e;
      gv_outcome_worst(out, &e);
      const double dist = fabs(p.kink[e.col] - gsl_vector_get(x, e.col));
      dmin = fmin(dmin, dist);
      dmax = fmax(dmax, dist);
    }
    printf("| 1e%d..1e%d | %ld | %ld |", decade, decade + 1, trials, failed);
    if (failed)
      printf(" %.1e .. %.1e |\n", dmin, dmax);
    else
      printf(" - |\n");
  }
  gv_outcome_free(out);
  gsl_vector_free(x);
  gsl_rng_free(r);
  return 0;
}
