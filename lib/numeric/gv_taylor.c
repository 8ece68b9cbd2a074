/* gv_taylor.c: the Taylor test's steps, remainders, rounding floor and fit. */
#include "gv_taylor.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "gv_alloc.h"

int gv_taylor_direction(gsl_rng *rng, gsl_vector *v)
{
  if (v->size == 0)
    return GSL_EINVAL;
  double norm;
  do { /* a draw of all zeros has probability 0, but cost nothing to refuse */
    for (size_t i = 0; i < v->size; i++)
      gsl_vector_set(v, i, gsl_ran_gaussian(rng, 1.0));
    norm = gsl_blas_dnrm2(v);
  } while (norm == 0.0);
  gsl_vector_scale(v, 1.0 / norm);
  return GSL_SUCCESS;
}

/* The options' steps and first step (0: the default), GSL_EINVAL if invalid. */
static int options_steps(const gv_taylor_options *opt, size_t *npoints, double *eps0)
{
  *npoints = opt && opt->npoints ? opt->npoints : GV_TAYLOR_POINTS;
  *eps0 = opt ? opt->eps0 : 0.0;
  if (*npoints < 3 || *npoints > GV_TAYLOR_MAX_POINTS || !isfinite(*eps0) || *eps0 < 0.0)
    return GSL_EINVAL;
  if (opt && (!isfinite(opt->fscale) || opt->fscale < 0.0))
    return GSL_EINVAL;
  return GSL_SUCCESS;
}

/* Checks the options and fills res->eps; x0 and v have been size-checked. */
static int setup(const gsl_vector *x, const gsl_vector *v, const gv_taylor_options *opt,
                 gv_taylor_result *res)
{
  if (x->size == 0)
    return GSL_EINVAL;
  /* fmax's result without its out-of-line call per entry (10^5 entries of
   * W in the harness at --size 784,128,10): a NaN is skipped as fmax skips
   * it, the maxima start at 0 and stay numbers. */
  double xmax = 0.0, vmax = 0.0;
  for (size_t i = 0; i < x->size; i++) {
    double ax = fabs(gsl_vector_get(x, i)), av = fabs(gsl_vector_get(v, i));
    xmax = ax > xmax ? ax : xmax;
    vmax = av > vmax ? av : vmax;
  }
  size_t npoints;
  double eps0;
  if (!(vmax > 0.0) || !isfinite(vmax) || options_steps(opt, &npoints, &eps0))
    return GSL_EINVAL;
  if (eps0 == 0.0)
    eps0 = GV_TAYLOR_EPS0 * fmax(1.0, xmax) / vmax;
  res->npoints = npoints;
  for (size_t k = 0; k < npoints; k++)
    res->eps[k] = ldexp(eps0, -(int)k);
  return GSL_SUCCESS;
}

/* x = x0 + eps v; d = x - x0 as stored. */
static void step_to(gsl_vector *x, const gsl_vector *x0, const gsl_vector *v, double eps,
                    gsl_vector *d)
{
  for (size_t i = 0; i < x->size; i++) {
    double xi0 = gsl_vector_get(x0, i), xi = xi0 + eps * gsl_vector_get(v, i);
    gsl_vector_set(x, i, xi);
    gsl_vector_set(d, i, xi - xi0);
  }
}

/* The level at which the remainders stop falling: the median of the last
 * GV_TAYLOR_TAIL, when those do not fall and stay within GV_TAYLOR_NOISE
 * times the rounding floor (a plateau above that is no rounding: f jumps, or
 * f(x) is not what f returns near x); 0 otherwise. */
static double plateau(const gv_taylor_result *res)
{
  const size_t m = GV_TAYLOR_TAIL, n = res->npoints;
  if (n < m)
    return 0.0;
  const double *r = res->rem + (n - m);
  /* Over m - 1 halvings a first-order term falls 2^(m-1)-fold: a quarter of
   * that between the two ends is no fall at all. */
  if (4.0 * (r[m - 1] + r[m - 2]) < r[0] + r[1])
    return 0.0;
  double t[GV_TAYLOR_TAIL];
  for (size_t j = 0; j < m; j++) { /* insertion sort of a handful */
    size_t i = j;
    for (; i > 0 && t[i - 1] > r[j]; i--)
      t[i] = t[i - 1];
    t[i] = r[j];
  }
  const double med = t[m / 2];
  return med <= GV_TAYLOR_NOISE * res->floor[n - 1] ? med : 0.0;
}

static int usable(const gv_taylor_result *res, size_t k)
{
  return res->rem[k] > GV_TAYLOR_WINDOW * fmax(res->floor[k], res->noise);
}

/* Local slope between steps k and k + 1. */
static double local_slope(const gv_taylor_result *res, size_t k)
{
  return log2(res->rem[k] / res->rem[k + 1]);
}

/* The window [*a, *b] (see gv_taylor.h): *b the smallest step of the
 * smallest-step pair of usable points, *a up to GV_TAYLOR_FIT_POINTS - 1
 * usable steps above it. 0 when there is no such pair. */
static int find_window(const gv_taylor_result *res, size_t *a, size_t *b)
{
  size_t hi = res->npoints - 1;
  while (hi > 0 && !(usable(res, hi) && usable(res, hi - 1)))
    hi--;
  if (hi == 0)
    return 0;
  size_t lo = hi - 1;
  while (lo > 0 && hi - lo + 1 < GV_TAYLOR_FIT_POINTS && usable(res, lo - 1))
    lo--;
  *a = lo;
  *b = hi;
  return 1;
}

/* The least-squares slope of log r against log eps over steps a..b. */
static double window_slope(const gv_taylor_result *res, size_t a, size_t b)
{
  double sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0;
  for (size_t k = a; k <= b; k++) {
    double lx = log(res->eps[k]), ly = log(res->rem[k]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
  }
  const double dn = (double)(b - a + 1);
  return (dn * sxy - sx * sy) / (dn * sxx - sx * sx);
}

/* The verdict of the window a..b whose slope is res->slope. */
static gv_taylor_verdict window_verdict(const gv_taylor_result *res, size_t a, size_t b)
{
  const size_t n = res->npoints;
  /* Below the window the remainder collapses, faster than any smooth term
   * falls (a first-order term halves, a second-order one quarters): the
   * window lies beyond a kink or a saturation along v, and at the smaller
   * steps f is linear to rounding with g its slope. */
  if (b + 1 < n && GV_TAYLOR_JUMP * res->rem[b + 1] < res->rem[b])
    return GV_TAYLOR_EXACT;
  if (res->slope >= GV_TAYLOR_PASS_SLOPE)
    return GV_TAYLOR_PASS;
  /* A remainder that stays within GV_TAYLOR_NOISE times the rounding floor
   * at every step is rounding, of f and of g (a first-order remainder that
   * small is the rounding of g.v). */
  int above = 0;
  for (size_t k = 0; k < n; k++)
    above |= res->rem[k] > GV_TAYLOR_NOISE * res->floor[k];
  if (!above)
    return GV_TAYLOR_EXACT;
  /* A first-order term shows at the small end of the window: the local
   * slope there is near 1, or falls toward 1 as the steps shrink. Otherwise
   * the window is pre-asymptotic (f curves so little along v that its
   * second-order term sinks into rounding before the higher ones fade) and
   * the local slope holds or rises toward 2: no evidence either way. */
  const double s_small = local_slope(res, b - 1), s_large = local_slope(res, a);
  if (s_small > GV_TAYLOR_FIRST_ORDER && s_small >= s_large - GV_TAYLOR_RISE)
    return GV_TAYLOR_EXACT;
  return GV_TAYLOR_FAIL;
}

/* The window, its slope and the verdict; res->floor holds the rounding
 * floors. */
static void fit(gv_taylor_result *res)
{
  size_t a, b;
  res->noise = plateau(res);
  res->nused = 0;
  res->slope = res->window_lo = res->window_hi = NAN;
  if (!isfinite(res->slope_gv)) {
    res->verdict = GV_TAYLOR_FAIL; /* a NaN or infinite derivative along v */
    return;
  }
  if (!find_window(res, &a, &b)) {
    res->verdict = GV_TAYLOR_EXACT; /* the remainder is rounding at (nearly) every step */
    return;
  }
  res->nused = b - a + 1;
  res->window_lo = res->eps[b];
  res->window_hi = res->eps[a];
  res->slope = window_slope(res, a, b);
  res->verdict = window_verdict(res, a, b);
}

int gv_taylor_test(const gv_fd_scalar *fn, gsl_vector *x, const gsl_vector *g, const gsl_vector *v,
                   const gv_taylor_options *opt, gv_taylor_result *res)
{
  if (g->size != x->size || v->size != x->size)
    return GSL_EBADLEN;
  int status = setup(x, v, opt, res);
  if (status)
    return status;
  gsl_vector *x0 = gv_vector_alloc(x->size), *d = gv_vector_alloc(x->size);
  if (!x0 || !d) {
    status = GSL_ENOMEM;
    goto cleanup;
  }
  gsl_vector_memcpy(x0, x);
  const double fscale = opt ? opt->fscale : 0.0;
  double f0, xg = 0.0, gv;
  for (size_t i = 0; i < x->size; i++)
    xg += fabs(gsl_vector_get(x, i) * gsl_vector_get(g, i));
  gsl_blas_ddot(g, v, &gv);
  res->slope_gv = gv;
  if ((status = gv_fd_eval(fn, &f0)))
    goto restore;
  res->f0 = f0;
  for (size_t k = 0; k < res->npoints; k++) {
    double fk, gd;
    step_to(x, x0, v, res->eps[k], d);
    if ((status = gv_fd_eval(fn, &fk)))
      goto restore;
    gsl_blas_ddot(g, d, &gd);
    res->rem[k] = fabs(fk - f0 - gd);
    res->floor[k] = DBL_EPSILON * (fabs(f0) + fabs(fk) + fabs(gd) + xg + fscale);
  }
  fit(res);
restore:
  gsl_vector_memcpy(x, x0); /* bit for bit, whatever happened */
cleanup:
  gsl_vector_free(x0);
  gsl_vector_free(d);
  return status;
}

/* ||(sum_i |x_i D(i, j)|)_j||_2: the rounding of x passed on through F. */
static double passed_on(const gsl_vector *x, const gsl_matrix *D)
{
  double xg = 0.0;
  for (size_t j = 0; j < D->size2; j++) {
    double s = 0.0;
    for (size_t i = 0; i < x->size; i++)
      s += fabs(gsl_vector_get(x, i) * gsl_matrix_get(D, i, j));
    xg = hypot(xg, s);
  }
  return xg;
}

int gv_taylor_test_vector(const gv_fd_vector *fn, gsl_vector *x, const gsl_matrix *D,
                          const gsl_vector *v, const gv_taylor_options *opt, gv_taylor_result *res)
{
  const size_t n = x->size, m = fn->m;
  if (m == 0 || D->size1 != n || D->size2 != m || v->size != n)
    return GSL_EBADLEN;
  int status = setup(x, v, opt, res);
  if (status)
    return status;
  gsl_vector *x0 = gv_vector_alloc(n), *d = gv_vector_alloc(n);
  gsl_vector *F0 = gv_vector_alloc(m), *Fk = gv_vector_alloc(m), *Dd = gv_vector_alloc(m);
  if (!x0 || !d || !F0 || !Fk || !Dd) {
    status = GSL_ENOMEM;
    goto cleanup;
  }
  gsl_vector_memcpy(x0, x);
  const double fscale = opt ? opt->fscale : 0.0;
  const double xg = passed_on(x, D);
  gsl_blas_dgemv(CblasTrans, 1.0, D, v, 0.0, Dd);
  res->slope_gv = gsl_blas_dnrm2(Dd);
  if ((status = gv_fd_eval_vector(fn, F0)))
    goto restore;
  const double nf0 = gsl_blas_dnrm2(F0);
  res->f0 = nf0;
  for (size_t k = 0; k < res->npoints; k++) {
    step_to(x, x0, v, res->eps[k], d);
    if ((status = gv_fd_eval_vector(fn, Fk)))
      goto restore;
    gsl_blas_dgemv(CblasTrans, 1.0, D, d, 0.0, Dd);
    const double nfk = gsl_blas_dnrm2(Fk), ndd = gsl_blas_dnrm2(Dd);
    gsl_vector_sub(Fk, F0);
    gsl_vector_sub(Fk, Dd);
    res->rem[k] = gsl_blas_dnrm2(Fk);
    res->floor[k] = DBL_EPSILON * (nf0 + nfk + ndd + xg + fscale);
  }
  fit(res);
restore:
  gsl_vector_memcpy(x, x0);
cleanup:
  gsl_vector_free(x0);
  gsl_vector_free(d);
  gsl_vector_free(F0);
  gsl_vector_free(Fk);
  gsl_vector_free(Dd);
  return status;
}
