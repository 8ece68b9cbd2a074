/* bench_api.c: the public API's detection rate and false failures, at scale.
 * Run with `meson test --benchmark api_detection -v` (or the executable
 * alone, with an optional trial count per family and scale, default 10000,
 * and an optional first family, 0 to 4).
 * Prints a Markdown table and asserts nothing.
 *
 * Families and scales are those of checks/api/api_trials.h. Each trial draws a
 * random point, checks the right gradient with default options (a false
 * failure if it fails), then adds 1e-6 max|g| to one random entry and checks
 * again (caught iff exactly that entry fails). */
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "api_trials.h"
#include "gradverify.h"
#include "bench_guard.h"

#define SEED 20240719UL
#define DELTA 1e-6

/* A count in decimal digits, or -1. */
static long parse_count(const char *s, long max)
{
  char *end;
  long v = strtol(s, &end, 10);
  return s[0] >= '0' && s[0] <= '9' && !*end && v <= max ? v : -1;
}

int main(int argc, char **argv)
{
  bench_guard_install();
  long want = argc > 1 ? parse_count(argv[1], 100000000L) : 10000;
  long first = argc > 2 ? parse_count(argv[2], AT_NKINDS - 1) : 0;
  if (argc > 3 || want <= 0 || first < 0) {
    fprintf(stderr, "usage: bench_api [TRIALS [FIRST_FAMILY 0-%d]]\n", AT_NKINDS - 1);
    return 2;
  }
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gv_outcome *out = gv_outcome_alloc();
  size_t all_trials = 0, all_false = 0, all_caught = 0;
  printf("| family | scale | trials | false failures | caught at 1e-6 max|g| | evals/variable |\n");
  printf("|---|---|---|---|---|---|\n");
  for (int kind = (int)first; kind < AT_NKINDS; kind++) {
    const size_t trials = (size_t)want;
    for (size_t v = 0; v < AT_NVARIANTS; v++) {
      at_params p;
      if (at_init(&p, kind, v))
        return EXIT_FAILURE;
      gsl_rng_set(r, SEED + 100 * (unsigned long)kind + v);
      gsl_multimin_function_fdf fdf = {at_f, at_df, NULL, p.n, &p};
      gsl_vector *x = gsl_vector_alloc(p.n);
      size_t nfalse = 0, caught = 0, nevals = 0;
      for (size_t t = 0; t < trials; t++) {
        at_draw(&p, r, x);
        if (gv_check_gradient(&fdf, x, NULL, out))
          return EXIT_FAILURE;
        nfalse += gv_outcome_verdict(out) != GV_PASS;
        nevals += gv_outcome_nevals(out);
        at_corrupt(&p, r, x, DELTA);
        if (gv_check_gradient(&fdf, x, NULL, out))
          return EXIT_FAILURE;
        gv_entry e;
        gv_outcome_worst(out, &e);
        caught += gv_outcome_nfail(out) == 1 && e.col == p.bad;
      }
      printf("| %s | %s | %zu | %zu | %.2f%% | %.1f |\n", AT_KIND_NAME[kind],
             *AT_VARIANTS[v].name ? AT_VARIANTS[v].name : "1", trials, nfalse,
             100.0 * (double)caught / (double)trials, (double)nevals / (double)(trials * p.n));
      fflush(stdout);
      all_trials += trials;
      all_false += nfalse;
      all_caught += caught;
      gsl_vector_free(x);
      at_free(&p);
    }
  }
  printf("| all | | %zu | %zu | %.2f%% | |\n", all_trials, all_false,
         100.0 * (double)all_caught / (double)all_trials);
  gv_outcome_free(out);
  gsl_rng_free(r);
  return EXIT_SUCCESS;
}
