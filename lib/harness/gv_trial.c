/* gv_trial.c: the analytic/numeric pair shared by all trials. */
#include "gv_trial.h"

#include <math.h>

#include <float.h>

#include <gsl/gsl_errno.h>

#include "gv_ridders.h"
#include "gv_taylor.h"

int gv_trial_pair_alloc(gv_trial_pair *t, size_t rows, size_t cols)
{
  t->analytic = gsl_matrix_calloc(rows, cols);
  t->numeric = gsl_matrix_calloc(rows, cols);
  t->err = gsl_matrix_calloc(rows, cols);
  if (!t->analytic || !t->numeric || !t->err) {
    gv_trial_pair_free(t);
    return GSL_ENOMEM;
  }
  return GSL_SUCCESS;
}

void gv_trial_pair_free(gv_trial_pair *t)
{
  if (t->analytic)
    gsl_matrix_free(t->analytic);
  if (t->numeric)
    gsl_matrix_free(t->numeric);
  if (t->err)
    gsl_matrix_free(t->err);
  t->analytic = t->numeric = t->err = NULL;
}

gsl_vector_view gv_trial_col(gsl_matrix *m)
{
  return gsl_matrix_column(m, 0);
}

int gv_trial_pair_compare(const gv_trial_pair *t, const gv_tol *tol, gv_cmp *cmp,
                          gv_trial_info *info)
{
  info->entries = t->analytic->size1 * t->analytic->size2;
  gv_trial_show_pair(info, t);
  if (info->corrupt != 0.0) {
    size_t imax = 0, jmax = 0;
    for (size_t i = 0; i < t->analytic->size1; i++)
      for (size_t j = 0; j < t->analytic->size2; j++)
        if (fabs(gsl_matrix_get(t->analytic, i, j)) > fabs(gsl_matrix_get(t->analytic, imax, jmax)))
          imax = i, jmax = j;
    double *v = gsl_matrix_ptr(t->analytic, imax, jmax);
    info->corrupted = fabs(*v) >= GV_CORRUPT_MIN;
    if (info->corrupted)
      *v *= 1.0 + info->corrupt;
  }
  size_t failed_before = cmp->nfail;
  int status = gv_cmp_matrix(cmp, t->analytic, t->numeric, t->err, tol);
  if (status || !info->want_heat || cmp->nfail == failed_before)
    return status;
  info->heat = gsl_matrix_alloc(t->analytic->size1, t->analytic->size2);
  if (!info->heat)
    return GSL_ENOMEM;
  for (size_t i = 0; i < t->analytic->size1; i++)
    for (size_t j = 0; j < t->analytic->size2; j++) {
      double ratio;
      gv_cmp_entry_passes(gsl_matrix_get(t->analytic, i, j), gsl_matrix_get(t->numeric, i, j),
                          gsl_matrix_get(t->err, i, j), tol, &ratio);
      gsl_matrix_set(info->heat, i, j, ratio);
    }
  return GSL_SUCCESS;
}

/* The central difference's step per entry, from the function's own scale:
 * among h0 10^k, h0 = gv_fd_step(x) and k = STEP_UP .. -STEP_DOWN, the step
 * whose estimate has the smallest error bar (truncation measured at h/2, plus
 * round-off): a longer step where f is nearly linear and round-off dominates,
 * a shorter one where f varies on a scale below max(1, |x|) (softmax at
 * logits in the hundreds). The longer step is taken only where its stencil
 * is smooth (its one-sided derivatives agree), so it never spans a kink. */
#define STEP_UP 1
#define STEP_DOWN 4
#define N_STEPS (STEP_UP + STEP_DOWN + 1)

static int sided_smooth(const gv_fd_sided *d)
{
  return fabs(d->left - d->right) <= d->left_err + d->right_err;
}

/* Keeps estimate d at relative step rel if it beats *best. */
static void keep_better(const gv_fd_sided *d, int up, double rel, gv_fd_sided *best, double *brel,
                        int first)
{
  if (first || (d->central_err < best->central_err && (!up || sided_smooth(d)))) {
    *best = *d;
    *brel = rel;
  }
}

static void note_step(gv_trial_info *info, double rel)
{
  if (!(rel >= info->step_min))
    info->step_min = rel;
  if (!(rel <= info->step_max))
    info->step_max = rel;
}

/* The step h0 10^k of level l (l = 0 is h0, then the longer, then shorter ones). */
static double level_factor(size_t l)
{
  return l == 0 ? 1.0 : l <= STEP_UP ? pow(10.0, (double)l) : pow(10.0, -(double)(l - STEP_UP));
}

/* The chosen central estimate of entry *xi into *d, *err. */
static int central_entry(gv_trial_info *info, const gv_fd_scalar *fn, double *xi, double f0,
                         double *d, double *err)
{
  double h0 = gv_fd_step(*xi), scale = fmax(1.0, fabs(*xi)), brel = 0.0;
  gv_fd_sided best = {0}, cur;
  for (size_t l = 0; l < N_STEPS; l++) {
    double h = h0 * level_factor(l);
    int status = gv_fd_derivative_sided(fn, xi, h, f0, &cur);
    if (status)
      return status;
    /* Shorter steps only while the error bar falls: it rises again once
     * round-off dominates, and a longer step chosen means shorter ones lose. */
    if (l > STEP_UP && (cur.central_err >= best.central_err || brel > h0 / scale))
      break;
    keep_better(&cur, l > 0 && l <= STEP_UP, h / scale, &best, &brel, l == 0);
  }
  *d = best.central;
  if (err)
    *err = best.central_err;
  note_step(info, brel);
  return GSL_SUCCESS;
}

int gv_trial_gradient(gv_trial_info *info, const gv_fd_scalar *fn, gsl_vector *x, gsl_vector *g,
                      gsl_vector *e)
{
  info->used = info->method == GV_METHOD_CENTRAL ? GV_METHOD_CENTRAL : GV_METHOD_RIDDERS;
  if (info->used != GV_METHOD_CENTRAL)
    return gv_ridders_gradient(fn, x, g, e);
  if (g->size != x->size || (e && e->size != x->size))
    return GSL_EBADLEN;
  double f0;
  int status = fn->f(fn->params, &f0);
  if (!status && !isfinite(f0))
    status = GSL_EBADFUNC;
  for (size_t i = 0; !status && i < x->size; i++)
    status = central_entry(info, fn, gsl_vector_ptr(x, i), f0, gsl_vector_ptr(g, i),
                           e ? gsl_vector_ptr(e, i) : NULL);
  return status;
}

int gv_trial_gradient_matrix(gv_trial_info *info, const gv_fd_scalar *fn, gsl_matrix *X,
                             gsl_matrix *G, gsl_matrix *E)
{
  info->used = info->method == GV_METHOD_CENTRAL ? GV_METHOD_CENTRAL : GV_METHOD_RIDDERS;
  if (info->used != GV_METHOD_CENTRAL)
    return gv_ridders_gradient_matrix(fn, X, G, E);
  if (G->size1 != X->size1 || G->size2 != X->size2 ||
      (E && (E->size1 != X->size1 || E->size2 != X->size2)))
    return GSL_EBADLEN;
  double f0;
  int status = fn->f(fn->params, &f0);
  if (!status && !isfinite(f0))
    status = GSL_EBADFUNC;
  for (size_t i = 0; !status && i < X->size1; i++)
    for (size_t j = 0; !status && j < X->size2; j++)
      status = central_entry(info, fn, gsl_matrix_ptr(X, i, j), f0, gsl_matrix_ptr(G, i, j),
                             E ? gsl_matrix_ptr(E, i, j) : NULL);
  return status;
}

/* Column i of the Jacobian (variable x_i), each output's step chosen as above. */
static int central_jacobian_row(gv_trial_info *info, const gv_fd_vector *fn, gsl_vector *x,
                                size_t i, const gsl_vector *f0, gsl_vector *const fv[4],
                                gsl_matrix *D, gsl_matrix *E, gsl_matrix *R)
{
  double *xi = gsl_vector_ptr(x, i), x0 = *xi, h0 = gv_fd_step(x0), scale = fmax(1.0, fabs(x0));
  for (size_t l = 0; l < N_STEPS; l++) {
    double h = h0 * level_factor(l);
    int status = gv_fd_vector_stencil(fn, xi, h, fv);
    if (status)
      return status;
    for (size_t j = 0; j < fn->m; j++) {
      double v[4] = {gsl_vector_get(fv[0], j), gsl_vector_get(fv[1], j), gsl_vector_get(fv[2], j),
                     gsl_vector_get(fv[3], j)};
      gv_fd_sided cur,
          best = {.central = gsl_matrix_get(D, i, j), .central_err = gsl_matrix_get(E, i, j)};
      double rel = gsl_matrix_get(R, i, j);
      gv_fd_sided_from_values(x0, h, gsl_vector_get(f0, j), v, &cur);
      keep_better(&cur, l > 0 && l <= STEP_UP, h / scale, &best, &rel, l == 0);
      gsl_matrix_set(D, i, j, best.central);
      gsl_matrix_set(E, i, j, best.central_err);
      gsl_matrix_set(R, i, j, rel);
    }
  }
  for (size_t j = 0; j < fn->m; j++)
    note_step(info, gsl_matrix_get(R, i, j));
  return GSL_SUCCESS;
}

static int central_jacobian(gv_trial_info *info, const gv_fd_vector *fn, gsl_vector *x,
                            gsl_matrix *D, gsl_matrix *E)
{
  gsl_vector *f0 = gsl_vector_alloc(fn->m), *fv[4] = {NULL};
  for (size_t k = 0; k < 4; k++)
    fv[k] = gsl_vector_alloc(fn->m);
  gsl_matrix *R = gsl_matrix_alloc(x->size, fn->m); /* each entry's relative step */
  int status = f0 && fv[0] && fv[1] && fv[2] && fv[3] && R ? GSL_SUCCESS : GSL_ENOMEM;
  if (!status)
    status = fn->f(fn->params, f0);
  for (size_t i = 0; !status && i < x->size; i++)
    status = central_jacobian_row(info, fn, x, i, f0, fv, D, E, R);
  gsl_vector_free(f0);
  for (size_t k = 0; k < 4; k++)
    gsl_vector_free(fv[k]);
  gsl_matrix_free(R);
  return status;
}

int gv_trial_jacobian(gv_trial_info *info, const gv_fd_vector *fn, gsl_vector *x, gsl_matrix *D,
                      gsl_matrix *E)
{
  info->used = info->method == GV_METHOD_CENTRAL ? GV_METHOD_CENTRAL : GV_METHOD_RIDDERS;
  if (info->used != GV_METHOD_CENTRAL)
    return gv_ridders_jacobian(fn, x, D, E);
  if (D->size1 != x->size || D->size2 != fn->m || !E || E->size1 != x->size || E->size2 != fn->m)
    return E ? GSL_EBADLEN : gv_fd_jacobian(fn, x, D, E);
  return central_jacobian(info, fn, x, D, E);
}

void gv_trial_cstep_errbar(const gsl_matrix *N, gsl_matrix *E)
{
  double scale = 0.0;
  for (size_t i = 0; i < N->size1; i++)
    for (size_t j = 0; j < N->size2; j++)
      scale = fmax(scale, fabs(gsl_matrix_get(N, i, j)));
  gsl_matrix_set_all(E, GV_TRIAL_CSTEP_ULPS * DBL_EPSILON * scale);
}

int gv_trial_taylor(gv_trial_info *info, const gv_fd_scalar *fn, const gv_fd_vector *vector_fn,
                    gsl_vector *x, const gsl_matrix *analytic)
{
  if (!info->taylor)
    return GSL_SUCCESS;
  gsl_vector *v = gsl_vector_alloc(x->size);
  if (!v)
    return GSL_ENOMEM;
  gv_taylor_result res;
  gv_taylor_options opt = {.eps0 = info->taylor_eps0, .fscale = info->taylor_fscale};
  int status = gv_taylor_direction(info->taylor, v);
  if (!status && fn) {
    if (analytic->tda != analytic->size2 || analytic->size1 * analytic->size2 != x->size)
      status = GSL_EBADLEN;
    else {
      gsl_vector_const_view g =
          gsl_vector_const_view_array(analytic->data, analytic->size1 * analytic->size2);
      status = gv_taylor_test(fn, x, &g.vector, v, &opt, &res);
    }
  } else if (!status) {
    status = gv_taylor_test_vector(vector_fn, x, analytic, v, &opt, &res);
  }
  gsl_vector_free(v);
  if (status)
    return status;
  info->taylor_verdict = res.verdict;
  info->taylor_slope = res.slope;
  return GSL_SUCCESS;
}
