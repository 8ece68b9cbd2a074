/* bench_catalogue.c: the catalogue over many seeds, as Markdown tables.
 *
 *   bench_catalogue [--seeds N] [--first S] [--trials T] [--only IDS] [--method M]
 *
 * For seeds S .. S + N - 1 (default 1 .. 20) and each method (central,
 * ridders, cstep), runs the driver over every formula and control at the
 * default tolerance of the method and prints, per formula, the largest
 * relative error over resolved entries (over all seeds), the resolved
 * entries of all compared (gv_compare.h) and the seeds on which it passed;
 * per control, the trials that caught it out of all and the seeds whose run
 * caught it (in its "seeds passed" column), for every method run; and
 * the CPU time of each layer (its formulas and controls, all seeds and
 * methods), the slowest first. Asserts nothing: `meson test --benchmark
 * catalogue -v`, or run it from the build tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "gv_driver.h"
#include "gv_suite.h"
#include "bench_guard.h"

#define N_METHODS 3
static const gv_method methods[N_METHODS] = {GV_METHOD_CENTRAL, GV_METHOD_RIDDERS, GV_METHOD_CSTEP};

typedef struct {
  double max_rel[N_METHODS];
  size_t passed[N_METHODS];
  size_t resolved[N_METHODS], entries[N_METHODS]; /* gv_compare.h's rule */
  double cpu;                                     /* seconds, all seeds and methods */
} formula_stats;

typedef struct {
  size_t caught[N_METHODS], trials[N_METHODS];
  size_t seeds[N_METHODS]; /* seeds whose run caught it (in at least one trial) */
} control_stats;

static double cpu_now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One formula (and its controls) at one seed and method. */
static int run_one(const gv_suite *s, size_t i, unsigned long seed, size_t m, size_t trials,
                   formula_stats *fs, control_stats *cs)
{
  const char *only[] = {s->formulas[i].id};
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.suite = s;
  o.seed = seed;
  o.trials = trials;
  o.method = methods[m];
  gv_driver_default_tol(o.method, &o.tol);
  o.only = only;
  o.n_only = 1;
  gv_run run;
  double t0 = cpu_now();
  int status = gv_driver_run(&o, &run);
  fs[i].cpu += cpu_now() - t0;
  if (status)
    return status;
  const gv_formula_result *fr = &run.formulas[0];
  if (fr->cmp.max_rel > fs[i].max_rel[m])
    fs[i].max_rel[m] = fr->cmp.max_rel;
  fs[i].passed[m] += fr->pass != 0;
  fs[i].resolved[m] += fr->cmp.count - fr->cmp.nonfinite - fr->cmp.unresolved;
  fs[i].entries[m] += fr->cmp.count;
  for (size_t k = 0; k < run.n_controls; k++) {
    size_t c = (size_t)(run.controls[k].control - s->controls);
    cs[c].caught[m] += run.controls[k].caught_trials;
    cs[c].seeds[m] += run.controls[k].caught != 0;
    cs[c].trials[m] += run.controls[k].trials;
  }
  gv_run_free(&run);
  return GSL_SUCCESS;
}

static int selected(const char *only, const gv_formula *f)
{
  if (!only)
    return 1;
  char *copy = strdup(only), *save = NULL;
  int hit = 0;
  for (char *t = strtok_r(copy, ",", &save); t && !hit; t = strtok_r(NULL, ",", &save))
    hit = gv_suite_selects(f, t);
  free(copy);
  return hit;
}

/* Formula i's row, then a row per control of it, as soon as they are known
 * (a long run shows its progress); a column per method run. */
static void print_rows(const gv_suite *s, size_t i, const formula_stats *fs,
                       const control_stats *cs, size_t nseeds, const int use[N_METHODS])
{
  printf("| `%s` |", s->formulas[i].id);
  for (size_t m = 0; m < N_METHODS; m++)
    if (use[m])
      printf(" %.1e | %zu of %zu | %zu/%zu |", fs[i].max_rel[m], fs[i].resolved[m],
             fs[i].entries[m], fs[i].passed[m], nseeds);
  printf("\n");
  for (size_t c = 0; c < s->n_controls; c++) {
    if (!(cs[c].trials[0] + cs[c].trials[1] + cs[c].trials[2]) ||
        strcmp(s->controls[c].formula_id, s->formulas[i].id) != 0)
      continue;
    printf("| control `%s` |", s->controls[c].id);
    for (size_t m = 0; m < N_METHODS; m++)
      if (use[m])
        printf(" caught %zu/%zu (%.1f%%) | | %zu/%zu |", cs[c].caught[m], cs[c].trials[m],
               cs[c].trials[m] ? 100.0 * (double)cs[c].caught[m] / (double)cs[c].trials[m] : 0.0,
               cs[c].seeds[m], nseeds);
    printf("\n");
  }
  fflush(stdout);
}

/* CPU time per group (a layer, or the seed's formulas), the slowest first. */
static void print_times(const gv_suite *s, const formula_stats *fs, size_t runs)
{
  size_t n = s->n_formulas, ng = 0;
  const char **name = calloc(n, sizeof *name);
  double *t = calloc(n, sizeof *t);
  for (size_t i = 0; name && t && i < n; i++) {
    const char *g = s->formulas[i].group ? s->formulas[i].group : "seed";
    size_t k = 0;
    while (k < ng && strcmp(name[k], g) != 0)
      k++;
    if (k == ng)
      name[ng++] = g;
    t[k] += fs[i].cpu;
  }
  printf("\n| layer | CPU s per run (all its formulas and controls, one seed and method) |\n"
         "|---|---:|\n");
  for (size_t done = 0; t && done < ng; done++) {
    size_t best = 0;
    for (size_t k = 1; k < ng; k++)
      if (t[k] > t[best])
        best = k;
    if (t[best] <= 0.0)
      break;
    printf("| %s | %.3f |\n", name[best], t[best] / (double)runs);
    t[best] = -1.0;
  }
  free(name);
  free(t);
}

int main(int argc, char **argv)
{
  bench_guard_install();
  size_t nseeds = 20, trials = GV_DRIVER_DEFAULT_TRIALS;
  unsigned long first = 1;
  const char *only = NULL;
  int use[N_METHODS] = {1, 1, 1};
  for (int i = 1; i + 1 < argc; i += 2) {
    gv_method m;
    if (strcmp(argv[i], "--method") == 0 && gv_method_parse(argv[i + 1], &m) == GSL_SUCCESS)
      for (size_t k = 0; k < N_METHODS; k++)
        use[k] = methods[k] == m;
    else if (strcmp(argv[i], "--seeds") == 0)
      nseeds = strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--first") == 0)
      first = strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--trials") == 0)
      trials = strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--only") == 0)
      only = argv[i + 1];
  }
  gv_suite *s = gv_suite_alloc_default();
  formula_stats *fs = s ? calloc(s->n_formulas, sizeof *fs) : NULL;
  control_stats *cs = s ? calloc(s->n_controls, sizeof *cs) : NULL;
  if (!fs || !cs || nseeds == 0 || trials == 0) {
    fprintf(stderr, "usage: bench_catalogue [--seeds N] [--first S] [--trials T] [--only IDS] "
                    "[--method M]\n");
    return 2;
  }
  printf("Seeds %lu-%lu, %zu trials, each method at its default tolerance: per formula the "
         "largest relative error over resolved entries (gv_compare.h), the resolved entries of "
         "all compared, and the seeds it passed on; per control the trials that caught it.\n\n"
         "| formula / control |",
         first, first + nseeds - 1, trials);
  for (size_t m = 0; m < N_METHODS; m++)
    if (use[m])
      printf(" %s max rel | resolved | seeds passed |", gv_method_name(methods[m]));
  printf("\n|---|");
  for (size_t m = 0; m < N_METHODS; m++)
    if (use[m])
      printf("---:|---:|---:|");
  printf("\n");
  for (size_t i = 0; i < s->n_formulas; i++) {
    if (!selected(only, &s->formulas[i]))
      continue;
    for (size_t m = 0; m < N_METHODS; m++)
      for (size_t k = 0; use[m] && k < nseeds; k++) {
        int status = run_one(s, i, first + k, m, trials, fs, cs);
        if (status)
          fprintf(stderr, "%s seed %lu %s: %s\n", s->formulas[i].id, first + k,
                  gv_method_name(methods[m]), gsl_strerror(status));
      }
    print_rows(s, i, fs, cs, nseeds, use);
  }
  size_t nm = (size_t)use[0] + (size_t)use[1] + (size_t)use[2];
  print_times(s, fs, nseeds * nm);
  free(fs);
  free(cs);
  gv_suite_free(s);
  return 0;
}
