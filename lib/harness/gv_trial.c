/* gv_trial.c: the analytic/numeric pair shared by all trials. */
#include "gv_trial.h"

#include <math.h>

#include <float.h>

#include <gsl/gsl_errno.h>

#include "gv_ridders.h"
#include "gv_taylor.h"
#include "gv_trial_memo.h"

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

/* The rounding of the analytic side's arithmetic, absolute: its entries are
 * sums and products of values up to the derivative's largest entry S (a
 * small entry is what their cancellation leaves), or of values whose
 * rounding the trial states (info->round_scale eps): GV_FD_ROUNDOFF_ULPS
 * units of the larger. */
static double analytic_rounding(const gv_trial_pair *t, const gv_trial_info *info)
{
  double S = 0.0;
  for (size_t i = 0; i < t->analytic->size1; i++)
    for (size_t j = 0; j < t->analytic->size2; j++)
      S = gv_cmp_max(S, gv_cmp_max(fabs(gsl_matrix_get(t->analytic, i, j)),
                                   fabs(gsl_matrix_get(t->numeric, i, j))));
  return GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * fmax(S, info->round_scale);
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
  gv_cmp_set_resolution(cmp, analytic_rounding(t, info));
  int status = gv_cmp_matrix(cmp, t->analytic, t->numeric, t->err, tol);
  gv_cmp_set_resolution(cmp, 0.0);
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
 * is smooth (its one-sided derivatives agree), so it never spans a kink.
 *
 * The round-off is measured, not only assumed: the engine's term counts
 * GV_FD_ROUNDOFF_ULPS of |f| alone, while a function computed by cancelling
 * larger terms (a batch norm of nearly constant columns, <G, out> over many
 * outputs) rounds at eps of those terms. The fourth difference of the five
 * values of a stencil, f(x+h) - 4f(x+h/2) + 6f(x) - 4f(x-h/2) + f(x-h), is
 * (h/2)^4 f'''' plus noise of variance 70 sigma^2 where f rounds with
 * standard deviation sigma: its largest magnitude over the steps no longer
 * than the chosen one (where the h^4 term is below the truncation already
 * counted), over sqrt(70), stands for sigma. So does the third difference
 * f(x+h) - 2f(x+h/2) + 2f(x-h/2) - f(x-h) (variance 10 sigma^2) of each step
 * shorter than the chosen one, whose h^3 f''' term is below the chosen
 * step's truncation already counted: the fourth difference sees only the
 * even part of the noise, and where f's rounding takes a few discrete
 * values (a layer norm of nearly constant rows: x - mean rounds on the grid
 * of x, 4.4e-16 at 2.6, against deviations of 3e-4), one stencil's even and
 * odd differences can both vanish while f(x+h) - f(x-h) is off by two
 * quanta: layernorm.dX at seed 5, trial 133, entry (4, 4), bar 1.3e-8 for an
 * error of 2.4e-7, while the step ten times shorter showed the noise plainly.
 * NOISE_SIGMAS standard deviations of the difference's noise,
 * sqrt(2) sigma / ((x+h) - (x-h)), join the error bar. Then the chosen
 * estimate is checked against those of
 * the steps ten times longer and shorter (evaluated anyway): the smallest of
 * a few error estimates is biased low, and where two estimates disagree
 * beyond both bars, their gap is the error bar.
 *
 * Measured (checks/harness/check_trial.c): sin(x) + 1e3 - 1e3, rounded at
 * 1.1e-13, x uniform in [-10, 10], 2000 entries: the error exceeds its bar in
 * 26 (1017 without the noise term, 257 without the neighbours' steps). */
#define STEP_UP 1
#define STEP_DOWN 4
#define N_STEPS (STEP_UP + STEP_DOWN + 1)
#define NOISE_SIGMAS 4.0

/* The values of one stencil: f(x0 + h), f(x0 - h), f(x0 + h/2), f(x0 - h/2). */
typedef struct {
  double h, fv[4];
} level;

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

static int level_longer(size_t l)
{
  return l > 0 && l <= STEP_UP;
}

static double fourth_difference(const level *v, double f0)
{
  return v->fv[0] - 4.0 * v->fv[2] + 6.0 * f0 - 4.0 * v->fv[3] + v->fv[1];
}

static double third_difference(const level *v)
{
  return v->fv[0] - 2.0 * v->fv[2] + 2.0 * v->fv[3] - v->fv[1];
}

/* Whether f takes five different values on the stencil: where two coincide,
 * f moved by less than its own rounding there (a function flat to the last
 * bit at that step, or quantized by the rounding of larger terms), and the
 * step shows nothing of its derivative but a zero. */
static int level_moves(const level *v, double f0)
{
  const double w[5] = {v->fv[1], v->fv[3], f0, v->fv[2], v->fv[0]};
  for (size_t a = 0; a < 5; a++)
    for (size_t b = a + 1; b < 5; b++)
      if (w[a] == w[b])
        return 0;
  return 1;
}

/* The candidate level whose estimate is used: levels whose values move (f
 * changes over the stencil) before those that do not, among them the smallest
 * error bar, a longer level only where its one-sided slopes agree; s[0 .. n)
 * receive the levels' estimates. */
static size_t choose_level(double x0, double f0, const level *v, size_t n, gv_fd_sided *s)
{
  size_t best = 0;
  int best_moves = 0;
  for (size_t l = 0; l < n; l++) {
    gv_fd_sided_from_values(x0, v[l].h, f0, v[l].fv, &s[l]);
    int smooth = fabs(s[l].left - s[l].right) <= s[l].left_err + s[l].right_err;
    int moves = level_moves(&v[l], f0);
    if ((moves && !best_moves) || (moves >= best_moves && s[l].central_err < s[best].central_err &&
                                   (!level_longer(l) || smooth)))
      best = l, best_moves = moves;
  }
  return best;
}

/* The error bar of level best's estimate: its own, the noise the fourth
 * differences of the levels not longer than it show (and the third
 * differences of the shorter ones), and its gap to the estimates at steps
 * 10 times longer and shorter. */
static double choose_errbar(double x0, double f0, const level *v, size_t n_eval,
                            const gv_fd_sided *s, size_t best)
{
  double d4max = 0.0, d3max = 0.0;
  for (size_t l = 0; l < n_eval; l++) {
    if (v[l].h <= v[best].h)
      d4max = fmax(d4max, fabs(fourth_difference(&v[l], f0)));
    if (v[l].h < v[best].h)
      d3max = fmax(d3max, fabs(third_difference(&v[l])));
  }
  double sigma = fmax(d4max / sqrt(70.0), d3max / sqrt(10.0));
  double xp = x0 + v[best].h, xm = x0 - v[best].h;
  double err = s[best].central_err + NOISE_SIGMAS * sqrt(2.0) * sigma / (xp - xm);
  for (size_t l = 0; l < n_eval; l++) {
    double ratio = v[l].h / v[best].h, gap = fabs(s[l].central - s[best].central);
    if ((ratio > 5.0 && ratio < 20.0) || (ratio > 0.05 && ratio < 0.2))
      if (gap > err + s[l].central_err)
        err = gap;
  }
  return err;
}

/* Picks the estimate of levels v[0 .. n) (level_factor's order) for an entry
 * at x0 with f(x0) = f0, as described above; levels n .. n_eval, evaluated
 * but not candidates, count in the noise and the neighbours' check. */
static void choose(double x0, double f0, const level *v, size_t n, size_t n_eval,
                   gv_trial_estimate *est)
{
  gv_fd_sided s[N_STEPS];
  for (size_t l = n; l < n_eval; l++)
    gv_fd_sided_from_values(x0, v[l].h, f0, v[l].fv, &s[l]);
  size_t best = choose_level(x0, f0, v, n, s);
  est->d = s[best].central;
  est->err = choose_errbar(x0, f0, v, n_eval, s, best);
  est->rel_step = v[best].h / fmax(1.0, fabs(x0));
}

/* The four values of the stencil of step h about *xi, restored after. */
static int stencil_values(const gv_fd_scalar *fn, double *xi, double h, double fv[4])
{
  double x0 = *xi;
  const double at[4] = {x0 + h, x0 - h, x0 + 0.5 * h, x0 - 0.5 * h};
  int status = GSL_SUCCESS;
  for (int k = 0; k < 4 && !status; k++) {
    *xi = at[k];
    status = gv_fd_eval(fn, &fv[k]);
  }
  *xi = x0;
  return status;
}

int gv_trial_central_entry(const gv_fd_scalar *fn, double *xi, double f0, gv_trial_estimate *est)
{
  double x0 = *xi, h0 = gv_fd_step(x0), best_err = INFINITY, best_h = h0;
  level v[N_STEPS];
  size_t n = 0, n_eval = 0;
  for (size_t l = 0; l < N_STEPS; l++, n++) {
    n_eval = l + 1;
    v[l].h = h0 * level_factor(l);
    int status = stencil_values(fn, xi, v[l].h, v[l].fv);
    if (status)
      return status;
    gv_fd_sided s;
    gv_fd_sided_from_values(x0, v[l].h, f0, v[l].fv, &s);
    /* Shorter steps only while the error bar falls: it rises again once
     * round-off dominates, and a longer step chosen means shorter ones lose. */
    if (l > STEP_UP && (s.central_err >= best_err || best_h > h0))
      break;
    int smooth = fabs(s.left - s.right) <= s.left_err + s.right_err;
    if (l == 0 || (s.central_err < best_err && (!level_longer(l) || smooth)))
      best_err = s.central_err, best_h = v[l].h;
  }
  choose(x0, f0, v, n, n_eval, est);
  return GSL_SUCCESS;
}

/* The chosen central estimate of entry *xi into *d, *err. */
static int central_entry(gv_trial_info *info, const gv_fd_scalar *fn, double *xi, double f0,
                         double *d, double *err)
{
  gv_trial_estimate est;
  int status = gv_trial_central_entry(fn, xi, f0, &est);
  if (status)
    return status;
  *d = est.d;
  if (err)
    *err = est.err;
  note_step(info, est.rel_step);
  return GSL_SUCCESS;
}

/* The method a trial uses: the complex step only where cf exists. */
static gv_method method_used(const gv_trial_info *info, const gv_cstep_fn *cf)
{
  if (info->method == GV_METHOD_CSTEP)
    return cf ? GV_METHOD_CSTEP : GV_METHOD_RIDDERS;
  return info->method;
}

static void cstep_errbar_vector(const gsl_vector *g, gsl_vector *e)
{
  double scale = 0.0;
  for (size_t i = 0; i < g->size; i++)
    scale = gv_cmp_max(scale, fabs(gsl_vector_get(g, i)));
  gsl_vector_set_all(e, GV_TRIAL_CSTEP_ULPS * DBL_EPSILON * scale);
}

int gv_trial_gradient(gv_trial_info *info, const gv_fd_scalar *fn, const gv_cstep_fn *cf,
                      gsl_vector *x, gsl_vector *g, gsl_vector *e)
{
  info->used = method_used(info, cf);
  if (info->used == GV_METHOD_CSTEP) {
    int status = gv_cstep_gradient(cf, x, g, 0.0);
    if (e)
      cstep_errbar_vector(g, e);
    return status;
  }
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

/* The complex step over X in its memory order (G receives that order). */
static int cstep_matrix(const gv_cstep_fn *cf, gsl_matrix *X, gsl_matrix *G, gsl_matrix *E)
{
  if (X->tda != X->size2 || G->tda != G->size2 || G->size1 != X->size1 || G->size2 != X->size2)
    return GSL_EINVAL;
  gsl_vector_view x = gsl_vector_view_array(X->data, X->size1 * X->size2);
  gsl_vector_view g = gsl_vector_view_array(G->data, G->size1 * G->size2);
  int status = gv_cstep_gradient(cf, &x.vector, &g.vector, 0.0);
  if (E)
    gv_trial_cstep_errbar(G, E);
  return status;
}

/* Central differences entry by entry, each with its own step (central_entry). */
static int central_matrix(gv_trial_info *info, const gv_fd_scalar *fn, gsl_matrix *X, gsl_matrix *G,
                          gsl_matrix *E)
{
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

int gv_trial_gradient_matrix(gv_trial_info *info, const gv_fd_scalar *fn, const gv_cstep_fn *cf,
                             gsl_matrix *X, gsl_matrix *G, gsl_matrix *E)
{
  info->used = method_used(info, cf);
  if (info->used == GV_METHOD_CSTEP)
    return cstep_matrix(cf, X, G, E);
  if (info->used != GV_METHOD_CENTRAL)
    return gv_ridders_gradient_matrix(fn, X, G, E);
  return central_matrix(info, fn, X, G, E);
}

/* Row i of the Jacobian (variable x_i), each output's step chosen as above
 * from the stencils of every level, fv[l][k] the outputs at stencil point k. */
static int central_jacobian_row(gv_trial_info *info, const gv_fd_vector *fn, gsl_vector *x,
                                size_t i, const gsl_vector *f0, gsl_vector *fv[][4], gsl_matrix *D,
                                gsl_matrix *E)
{
  double *xi = gsl_vector_ptr(x, i), x0 = *xi, h0 = gv_fd_step(x0);
  for (size_t l = 0; l < N_STEPS; l++) {
    int status = gv_fd_vector_stencil(fn, xi, h0 * level_factor(l), fv[l]);
    if (status)
      return status;
  }
  for (size_t j = 0; j < fn->m; j++) {
    level v[N_STEPS];
    for (size_t l = 0; l < N_STEPS; l++) {
      v[l].h = h0 * level_factor(l);
      for (size_t k = 0; k < 4; k++)
        v[l].fv[k] = gsl_vector_get(fv[l][k], j);
    }
    gv_trial_estimate est;
    choose(x0, gsl_vector_get(f0, j), v, N_STEPS, N_STEPS, &est);
    gsl_matrix_set(D, i, j, est.d);
    gsl_matrix_set(E, i, j, est.err);
    note_step(info, est.rel_step);
  }
  return GSL_SUCCESS;
}

static int central_jacobian(gv_trial_info *info, const gv_fd_vector *fn, gsl_vector *x,
                            gsl_matrix *D, gsl_matrix *E)
{
  gsl_vector *f0 = gsl_vector_alloc(fn->m), *fv[N_STEPS][4] = {{NULL}};
  int status = f0 ? GSL_SUCCESS : GSL_ENOMEM;
  for (size_t l = 0; l < N_STEPS; l++)
    for (size_t k = 0; k < 4; k++)
      if (!(fv[l][k] = gsl_vector_alloc(fn->m)))
        status = GSL_ENOMEM;
  if (!status)
    status = gv_fd_eval_vector(fn, f0);
  for (size_t i = 0; !status && i < x->size; i++)
    status = central_jacobian_row(info, fn, x, i, f0, fv, D, E);
  gsl_vector_free(f0);
  for (size_t l = 0; l < N_STEPS; l++)
    for (size_t k = 0; k < 4; k++)
      gsl_vector_free(fv[l][k]);
  return status;
}

int gv_trial_jacobian(gv_trial_info *info, const gv_fd_vector *fn, const gv_cstep_fn *cf,
                      gsl_vector *x, gsl_matrix *D, gsl_matrix *E)
{
  info->used = method_used(info, cf);
  if (info->used == GV_METHOD_CSTEP) {
    int status = gv_cstep_jacobian(cf, x, D, 0.0);
    if (E)
      gv_trial_cstep_errbar(D, E);
    return status;
  }
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
      scale = gv_cmp_max(scale, fabs(gsl_matrix_get(N, i, j)));
  gsl_matrix_set_all(E, GV_TRIAL_CSTEP_ULPS * DBL_EPSILON * scale);
}

/* The Taylor test's direction from info->taylor, or the one a control's
 * formula drew from the same state (info->memo, gv_trial_memo.h). */
static int taylor_direction(gv_trial_info *info, gsl_vector *v)
{
  if (!info->memo)
    return gv_taylor_direction(info->taylor, v);
  gsl_vector *const kept[] = {v};
  gv_trial_memo_key key;
  int status = gv_trial_memo_key_init(&key, info->taylor, 'T');
  if (!status && !gv_trial_memo_get_draw(info->memo, &key, info->taylor, kept, 1)) {
    status = gv_taylor_direction(info->taylor, v);
    if (!status)
      status = gv_trial_memo_put_draw(info->memo, &key, info->taylor,
                                      (const gsl_vector *const *)kept, 1);
  }
  gv_trial_memo_key_free(&key);
  return status;
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
  int status = taylor_direction(info, v);
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
