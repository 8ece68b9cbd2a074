/* bench_norm_variance.c: what the checker resolves for batchnorm's dX as the
 * batch variance goes to 0. Columns of X spread by s around means in
 * [−3, 3], s from 1e-1 to 1e-8, eps 1e-5 (the frameworks' default) and 0;
 * per cell, 20 draws (N 2 to 7, D 3): how many pass under Ridders and
 * central differences (gv_check_layer, default tolerances), the largest
 * relative error over entries, and the complex step's largest relative
 * error (forward_complex, h = 1e-20). Prints a Markdown table:
 * `meson test --benchmark norm_variance -v`. Asserts nothing. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gradverify.h"
#include "gv_layers.h"
#include "gv_layers_parts.h"
#include "bench_guard.h"

#define DRAWS 20

typedef struct {
  size_t pass;
  double max_rel;
} tally;

static void api_check(const gv_layer *l, gsl_matrix *in[], gv_method m, gv_outcome *out, tally *t)
{
  gv_options o;
  if (m == GV_METHOD_CENTRAL)
    gv_options_central(&o); /* central's own tolerances: rtol 1e-5, kerr 2 */
  else
    gv_options_init(&o);
  if (gv_check_layer(l, (const gsl_matrix *const *)in, 0, NULL, &o, out))
    return;
  t->pass += gv_outcome_verdict(out) == GV_PASS;
  for (size_t i = 0; i < gv_outcome_size(out); i++) {
    gv_entry e;
    gv_outcome_entry(out, i, &e);
    if (isfinite(e.rel_err) && fabs(e.analytic) > 1e-8 * gv_outcome_size(out))
      t->max_rel = fmax(t->max_rel, e.rel_err);
    else if (!isfinite(e.numeric))
      t->max_rel = INFINITY;
  }
}

/* The complex step of L = <G, forward> along each entry of X, against
 * backward with dout = G. */
static double cstep_max_rel(const gv_layer *l, gsl_matrix *in[], const gsl_matrix *G)
{
  size_t N = in[0]->size1, D = in[0]->size2, n = N * D;
  gv_layer_complex *z[4], *out = malloc(n * sizeof *out);
  for (size_t k = 0; k < 4; k++) {
    z[k] = malloc(in[k]->size1 * in[k]->size2 * sizeof *z[k]);
    for (size_t i = 0; i < in[k]->size1 * in[k]->size2; i++)
      z[k][i] = in[k]->data[i];
  }
  gsl_matrix *dX = gsl_matrix_alloc(N, D);
  gsl_matrix *grad[GV_LAYER_MAX_INPUTS] = {dX};
  l->backward((const gsl_matrix *const *)in, G, NULL, grad);
  double worst = 0.0;
  for (size_t i = 0; i < n; i++) {
    z[0][i] += 1e-20 * I;
    l->forward_complex((const gsl_matrix *const *)in, (const gv_layer_complex *const *)z, NULL,
                       out);
    z[0][i] = creal(z[0][i]);
    double L = 0.0;
    for (size_t j = 0; j < n; j++)
      L += G->data[j] * cimag(out[j]) / 1e-20;
    if (fabs(dX->data[i]) > 1e-8 * (double)n)
      worst = fmax(worst, fabs(L - dX->data[i]) / fmax(fabs(L), fabs(dX->data[i])));
  }
  for (size_t k = 0; k < 4; k++)
    free(z[k]);
  free(out);
  gsl_matrix_free(dX);
  return worst;
}

int main(void)
{
  bench_guard_install();
  const gv_layers_entry *e = gv_layers_find("batchnorm");
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gv_outcome *out = gv_outcome_alloc();
  static const double eps[] = {1e-5, 0.0};
  printf("| eps | spread s | Ridders pass | max rel | central pass | max rel | cstep max rel |\n"
         "|---|---|---|---|---|---|---|\n");
  for (size_t ie = 0; ie < 2; ie++)
    for (double s = 1e-1; s > 5e-9; s /= 10.0) {
      tally rid = {0}, cen = {0};
      double cs = 0.0;
      for (size_t t = 0; t < DRAWS; t++) {
        gsl_matrix *in[4] = {gsl_matrix_alloc(2 + t % 6, 3), gv_layers_draw_matrix(r, 3, 1, 2.0),
                             gv_layers_draw_matrix(r, 3, 1, 2.0), gsl_matrix_alloc(1, 1)};
        gv_layers_draw_groups(r, in[0], GV_NORM_COLUMNS, s, s);
        gsl_matrix_set(in[3], 0, 0, eps[ie]);
        gsl_matrix *G = gv_layers_draw_matrix(r, in[0]->size1, 3, 1.0);
        api_check(&e->layer, in, GV_METHOD_RIDDERS, out, &rid);
        api_check(&e->layer, in, GV_METHOD_CENTRAL, out, &cen);
        cs = fmax(cs, cstep_max_rel(&e->layer, in, G));
        gsl_matrix_free(G);
        for (size_t k = 0; k < 4; k++)
          gsl_matrix_free(in[k]);
      }
      printf("| %g | %.0e | %zu/%d | %.1e | %zu/%d | %.1e | %.1e |\n", eps[ie], s, rid.pass, DRAWS,
             rid.max_rel, cen.pass, DRAWS, cen.max_rel, cs);
    }
  gv_outcome_free(out);
  gsl_rng_free(r);
  return 0;
}
