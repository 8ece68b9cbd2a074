/* gv_check_fvv.c: gv_check_fvv, the second directional derivative of a
 * gsl_multifit_nlinear_fdf.
 *
 * fvv(x, v) is the derivative at tau = 0 of tau -> J(x + tau v) v, so its check
 * is a Jacobian check of that function of one variable: the numeric side is
 * the engine's (Ridders' extrapolation, started from central differences,
 * with its error bar) applied to the user's J v, and the analytic side is the
 * user's fvv. That is why the numeric value is a first derivative of J v and
 * not a second difference of f: J v is computed to rounding, so its first
 * derivative keeps Ridders' ~1e-13 relative accuracy and honest error bar,
 * while a second difference of f divides f's rounding by h^2 and resolves no
 * better than ~1e-8 even extrapolated. The price: a wrong J makes the
 * numeric side wrong too, which is why the header asks for J to be checked
 * first.
 *
 * Scaling. Steps in tau are made on the variable's own scale: with v scaled
 * to vs = v / alpha (alpha a power of two, so exactly), the checked function
 * is F(tau) = alpha J(x + tau vs) v, whose derivative at 0 is exactly
 * J'[v] v = fvv(x, v), the user's value untouched. */
#include "gv_check_impl.h"

#include <math.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gv_alloc.h"

/* Random directions checked when v is NULL and opts->directions is 0. */
#define FVV_DIRECTIONS 3

typedef struct {
  const gsl_multifit_nlinear_fdf *user;
  const gsl_vector *x, *v; /* the point and the user's direction */
  gsl_vector *vs;          /* v / alpha */
  double alpha;
  gsl_vector *work; /* x + tau vs */
  gsl_matrix *J;    /* the user's Jacobian at work */
} fvv_line;

static void line_point(fvv_line *l, const gsl_vector *tau)
{
  gsl_vector_memcpy(l->work, l->x);
  gsl_blas_daxpy(gsl_vector_get(tau, 0), l->vs, l->work);
}

/* F(tau) = alpha J(x + tau vs) v. */
static int line_f(const gsl_vector *tau, void *params, gsl_vector *F)
{
  fvv_line *l = params;
  line_point(l, tau);
  gsl_matrix_set_all(l->J, NAN);
  int status = l->user->df(l->work, l->user->params, l->J);
  if (status)
    return status;
  return gsl_blas_dgemv(CblasNoTrans, l->alpha, l->J, l->v, 0.0, F);
}

/* dF/dtau = the user's fvv(x + tau vs, v), as an n-by-1 Jacobian. */
static int line_df(const gsl_vector *tau, void *params, gsl_matrix *D)
{
  fvv_line *l = params;
  line_point(l, tau);
  gsl_vector_view d = gsl_matrix_column(D, 0);
  return l->user->fvv(l->work, l->v, l->user->params, &d.vector);
}

/* alpha: the power of two nearest max_j |v_j| / max(1, |x_j|), so that a
 * step in tau moves each x_j on its own scale. 0 when v is 0 (no scaling). */
static double line_alpha(const gsl_vector *x, const gsl_vector *v)
{
  double r = 0.0;
  for (size_t j = 0; j < x->size; j++)
    r = fmax(r, fabs(gsl_vector_get(v, j)) / fmax(1.0, fabs(gsl_vector_get(x, j))));
  if (!(r > 0.0) || !isfinite(r))
    return 1.0;
  int e;
  frexp(r, &e);
  return ldexp(1.0, e - 1);
}

/* Checks direction v as column c of out (n rows, out's storage ready), with
 * inner as scratch. */
static int check_direction(gv_outcome *out, gv_outcome *inner, fvv_line *l, const gsl_vector *v,
                           size_t c, const gv_options *o)
{
  l->v = v;
  l->alpha = line_alpha(l->x, v);
  gsl_vector_memcpy(l->vs, v);
  gsl_vector_scale(l->vs, 1.0 / l->alpha);
  const gsl_multifit_nlinear_fdf line = {
      .f = line_f, .df = line_df, .n = l->user->n, .p = 1, .params = l};
  double zero = 0.0;
  gsl_vector_const_view tau = gsl_vector_const_view_array(&zero, 1);
  int status = gv_check_jacobian(&line, &tau.vector, o, inner);
  if (status)
    return status;
  for (size_t i = 0; i < out->rows; i++) {
    const size_t k = i * out->cols + c;
    out->entry[k] = inner->entry[i];
    out->entry[k].row = i;
    out->entry[k].col = c;
    out->floor[k] = inner->floor[i];
    out->scale[k] = inner->scale[i];
  }
  out->nevals += inner->nevals;
  return GSL_SUCCESS;
}

/* Direction k of the random ones: entries +-(1 + U(0, 1)) max(1, |x_j|). */
static void draw_direction(gsl_vector *v, const gsl_vector *x, gsl_rng *r)
{
  for (size_t j = 0; j < v->size; j++) {
    double s = fmax(1.0, fabs(gsl_vector_get(x, j))) * (1.0 + gsl_rng_uniform(r));
    gsl_vector_set(v, j, gsl_rng_uniform_int(r, 2) ? s : -s);
  }
}

static int check_all(gv_outcome *out, fvv_line *l, const gsl_vector *v, size_t k,
                     const gv_options *o, unsigned long seed)
{
  gv_outcome *inner = gv_outcome_alloc();
  gsl_vector *vr = v ? NULL : gv_vector_alloc(l->x->size);
  gsl_rng *r = v ? NULL : gv_rng_alloc(gsl_rng_mt19937, 0);
  int status = inner && (v || (vr && r)) ? gv_outcome_reset(out, l->user->n, k) : GSL_ENOMEM;
  if (r)
    gsl_rng_set(r, seed);
  for (size_t c = 0; c < k && !status; c++) {
    if (!v)
      draw_direction(vr, l->x, r);
    status = check_direction(out, inner, l, v ? v : vr, c, o);
  }
  if (!status)
    gv_outcome_finish(out, o);
  else
    gv_outcome_reset(out, 0, 0);
  gv_outcome_free(inner);
  gsl_vector_free(vr);
  gsl_rng_free(r);
  return status;
}

/* The options each direction's check runs with (opts, NULL for the
 * defaults), and how many directions: 1 for a given v. */
static size_t fvv_options(const gv_options *opts, const gsl_vector *v, gv_options *o)
{
  if (opts)
    *o = *opts;
  else
    gv_options_init(o);
  const size_t k = v ? 1 : (o->directions ? o->directions : FVV_DIRECTIONS);
  o->directions = 0; /* each direction is a full check of one variable, tau */
  o->entries = o->nnamed = 0;
  o->threads = 1; /* line_f works in l's buffers */
  return k;
}

static int fvv_valid(const gsl_multifit_nlinear_fdf *fdf, const gsl_vector *x, const gsl_vector *v)
{
  if (!fdf->f || !fdf->df || !fdf->fvv)
    return GSL_EINVAL;
  if (x->size == 0 || x->size != fdf->p || fdf->n == 0 || (v && v->size != x->size))
    return GSL_EBADLEN;
  return GSL_SUCCESS;
}

int gv_check_fvv(const gsl_multifit_nlinear_fdf *fdf, const gsl_vector *x, const gsl_vector *v,
                 const gv_options *opts, gv_outcome *out)
{
  if (!fdf || !x || !out)
    return GSL_EFAULT;
  gv_outcome_reset(out, 0, 0);
  gv_options o;
  const size_t k = fvv_options(opts, v, &o);
  int status = fvv_valid(fdf, x, v);
  if (status)
    return status;
  fvv_line l = {.user = fdf,
                .x = x,
                .vs = gv_vector_alloc(x->size),
                .work = gv_vector_alloc(x->size),
                .J = gv_matrix_alloc(fdf->n, fdf->p)};
  status = l.vs && l.work && l.J ? check_all(out, &l, v, k, &o, o.seed) : GSL_ENOMEM;
  gsl_vector_free(l.vs);
  gsl_vector_free(l.work);
  gsl_matrix_free(l.J);
  return status;
}
