/* gv_explain_layer.c: the worked example of a layer's gradient: one draw of
 * the layer's sampler, backward's gradient beside the central difference of
 * L = <G, forward>, entry by entry, against the default tolerance. */
#include "gv_explain.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gv_compare.h"
#include "gv_trial.h"

/* Entries printed at most; the worst ones when there are more. */
#define SHOWN 24

static void print_entry(FILE *out, const gv_trial_pair *t, size_t i, size_t j, const gv_tol *tol)
{
  double an = gsl_matrix_get(t->analytic, i, j), nu = gsl_matrix_get(t->numeric, i, j),
         er = gsl_matrix_get(t->err, i, j), q;
  int ok = gv_cmp_entry_passes(an, nu, er, tol, &q);
  fprintf(out, "  (%zu, %zu)  %15.8g  %15.8g  %9.2e  %9.2e  %9.2e  %8.3g  %s\n", i, j, an, nu, er,
          fabs(an - nu), gv_cmp_bound(an, nu, er, tol), q, ok ? "ok" : "FAIL");
}

/* The ratio error / bound of entry k (row-major). */
static double ratio(const gv_trial_pair *t, size_t k, const gv_tol *tol)
{
  size_t c = t->analytic->size2;
  double q;
  gv_cmp_entry_passes(gsl_matrix_get(t->analytic, k / c, k % c),
                      gsl_matrix_get(t->numeric, k / c, k % c),
                      gsl_matrix_get(t->err, k / c, k % c), tol, &q);
  return q;
}

/* Prints every entry, or the SHOWN worst (by error / bound) in row-major order. */
static void print_entries(FILE *out, const gv_trial_pair *t, const gv_tol *tol, size_t *passed)
{
  size_t n = t->analytic->size1 * t->analytic->size2, c = t->analytic->size2;
  double cut = -1.0; /* entries with a ratio above cut are shown */
  if (n > SHOWN) {
    /* The SHOWN-th largest ratio, by repeated selection (n is small). */
    double prev = INFINITY;
    for (size_t s = 0; s < SHOWN; s++) {
      double best = -1.0;
      for (size_t k = 0; k < n; k++) {
        double q = ratio(t, k, tol);
        if (q < prev && q > best)
          best = q;
      }
      prev = best;
    }
    cut = prev;
    fprintf(out, "the %d worst of %zu entries (error / bound at least %.3g):\n", SHOWN, n, cut);
  }
  fprintf(out, "  entry        analytic          numeric    error bar  |a − n|    bound      "
               "ratio\n");
  *passed = 0;
  for (size_t k = 0; k < n; k++) {
    double q = ratio(t, k, tol);
    *passed += q <= 1.0;
    if (q >= cut)
      print_entry(out, t, k / c, k % c, tol);
  }
}

int gv_explain_layer(FILE *out, const gv_formula *f, unsigned long seed)
{
  if (!f || !f->layer)
    return GSL_EINVAL;
  const gv_tol tol = {GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!r)
    return GSL_ENOMEM;
  gsl_rng_set(r, seed);
  gv_trial_info info = {.method = GV_METHOD_CENTRAL};
  gv_trial_pair t;
  char shapes[256] = "";
  int status = gv_trial_layer_pair(r, f, f->layer->backward, &info, &t, shapes, sizeof shapes);
  gsl_rng_free(r);
  if (status)
    return status;
  if (info.not_drawn) {
    fprintf(out,
            "%s: not drawn with seed %lu: %s is a placeholder in this draw (%s); another "
            "seed draws it\n",
            f->id, seed, f->layer->inputs[f->input].name, shapes);
    return GSL_SUCCESS;
  }
  size_t passed, n = t.analytic->size1 * t.analytic->size2;
  fprintf(out, "%s: %s\n", f->id, f->formula);
  fprintf(out, "why: %s\n", f->reason);
  fprintf(out, "example: %s, drawn with seed %lu by the layer's sampler (%zu redraws)\n", shapes,
          seed, info.redraws);
  fprintf(out, "numeric: central differences of L = ⟨G, out⟩, G uniform in [−1, 1]\n");
  fprintf(out,
          "tolerance: an entry passes iff |analytic − numeric| ≤ atol + rtol·max(|analytic|, "
          "|numeric|) + kerr·e,\n  with atol = %g, rtol = %g, kerr = %g and e the error bar\n\n",
          tol.atol, tol.rtol, tol.kerr);
  print_entries(out, &t, &tol, &passed);
  fprintf(out, "\n%s: %zu of %zu entries within tolerance\n", passed == n ? "PASS" : "FAIL", passed,
          n);
  gv_trial_pair_free(&t);
  return ferror(out) ? GSL_EFAILED : GSL_SUCCESS;
}
