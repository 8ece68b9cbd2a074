/* check_api_paths.c: paths of gv_check.c that the broader API suites never
 * took (found by scripts/mutate): the GV_STEP_RELATIVE step rule, a
 * one-variable Jacobian, an f that is NaN at x alone, the noise pooled
 * over a Jacobian row, and f's statuses at the finer estimate's steps. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>

#include "check_main.h"
#include "gradverify.h"

/* ---- GV_STEP_RELATIVE: h_j = c |x_j|, c where x_j = 0 ---- */

/* f(x) = sum_j sin(x_j) + x_j^2 / 2; wrong_entry (if not (size_t)-1) off by 1e-4. */
typedef struct {
  size_t wrong_entry;
  int nan_at_x; /* f(x) is NaN at x = xnan exactly, finite everywhere else;
                   -1: the other way round */
  const gsl_vector *xnan;
} sparams;

static double s_f(const gsl_vector *x, void *params)
{
  const sparams *p = params;
  if (p->nan_at_x) {
    int same = 1;
    for (size_t j = 0; j < x->size; j++)
      same &= gsl_vector_get(x, j) == gsl_vector_get(p->xnan, j);
    if (same == (p->nan_at_x > 0))
      return NAN;
  }
  double f = 0.0;
  for (size_t j = 0; j < x->size; j++)
    f += sin(gsl_vector_get(x, j)) + 0.5 * gsl_pow_2(gsl_vector_get(x, j));
  return f;
}

static void s_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const sparams *p = params;
  for (size_t j = 0; j < x->size; j++) {
    double xj = gsl_vector_get(x, j);
    gsl_vector_set(g, j, (cos(xj) + xj) * (j == p->wrong_entry ? 1.0 + 1e-4 : 1.0));
  }
}

static void s_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
  *f = s_f(x, params);
  s_df(x, params, g);
}

static gsl_multimin_function_fdf s_problem(sparams *p, size_t n)
{
  return (gsl_multimin_function_fdf){.f = s_f, .df = s_df, .fdf = s_fdf, .n = n, .params = p};
}

static const double XS[4] = {0.25, 3.0, 0.0, -1e-3};

/* Each entry's step is c |x_j| (c at 0) with GV_STEP_RELATIVE, c max(1, |x_j|)
 * with GV_STEP_SCALED; both pass a right gradient and fail one entry off by
 * 1e-4. c = cbrt(DBL_EPSILON); the step reported is the one stored, within
 * an ulp of x_j of the ideal. */
START_TEST(test_step_relative)
{
  sparams sp = {.wrong_entry = (size_t)-1};
  gsl_multimin_function_fdf fdf = s_problem(&sp, 4);
  gsl_vector_const_view xv = gsl_vector_const_view_array(XS, 4);
  gv_outcome *out = gv_outcome_alloc();
  const double c = cbrt(DBL_EPSILON);
  for (int rule = 0; rule < 2; rule++) {
    gv_options o;
    gv_options_central(&o);
    o.step_rule = rule ? GV_STEP_RELATIVE : GV_STEP_SCALED;
    sp.wrong_entry = (size_t)-1;
    ck_assert_int_eq(gv_check_gradient(&fdf, &xv.vector, &o, out), GSL_SUCCESS);
    ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
    for (size_t j = 0; j < 4; j++) {
      gv_entry e;
      gv_outcome_entry(out, j, &e);
      double ax = fabs(XS[j]);
      double want = c * (rule ? (ax > 0.0 ? ax : 1.0) : fmax(1.0, ax));
      ck_assert_msg(fabs(e.step - want) <= 1e-9 * want + 4.0 * DBL_EPSILON * ax,
                    "rule %d entry %zu: step %.17g, want %.17g", rule, j, e.step, want);
    }
    for (size_t bad = 0; bad < 4; bad++) {
      sp.wrong_entry = bad;
      ck_assert_int_eq(gv_check_gradient(&fdf, &xv.vector, &o, out), GSL_SUCCESS);
      ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
      ck_assert_uint_eq(gv_outcome_nfail(out), 1);
      gv_entry w;
      gv_outcome_worst(out, &w);
      ck_assert_uint_eq(w.col, bad);
    }
  }
  gv_outcome_free(out);
}
END_TEST

/* GV_STEP_RELATIVE at subnormal x_j (1e-320, the smallest 5e-324): c |x_j|
 * underflows to 0 (or to a step whose half is 0), which moved nothing and
 * gave numeric NaN, error bar NaN and a failure for a right gradient. There
 * the step is c, as at 0 (GSL's own rule where c |x_j| is 0); at 1e-300
 * it stays c |x_j|. Both methods, full and directional: a right gradient
 * passes, every entry finite. */
START_TEST(test_step_relative_subnormal)
{
  static const double xs[4] = {1e-320, 5e-324, 0.0, 1e-300};
  sparams sp = {.wrong_entry = (size_t)-1};
  gsl_multimin_function_fdf fdf = s_problem(&sp, 4);
  gsl_vector_const_view xv = gsl_vector_const_view_array(xs, 4);
  gv_outcome *out = gv_outcome_alloc();
  const double c = cbrt(DBL_EPSILON);
  for (int mode = 0; mode < 4; mode++) {
    gv_options o;
    if (mode & 1)
      gv_options_central(&o);
    else
      gv_options_init(&o);
    o.step_rule = GV_STEP_RELATIVE;
    o.directions = mode & 2 ? 3 : 0;
    ck_assert_int_eq(gv_check_gradient(&fdf, &xv.vector, &o, out), GSL_SUCCESS);
    for (size_t k = 0; k < gv_outcome_size(out); k++) {
      gv_entry e;
      gv_outcome_entry(out, k, &e);
      ck_assert_msg(isfinite(e.numeric) && isfinite(e.error_bar) && e.passed,
                    "mode %d entry %zu: numeric %g, error bar %g, passed %d", mode, k, e.numeric,
                    e.error_bar, e.passed);
      if (!(mode & 2) && k < 3) /* c, or re-estimated at most 10^4 times shorter */
        ck_assert_msg(e.step >= 1e-4 * c, "mode %d entry %zu: step %g", mode, k, e.step);
    }
    ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  }
  gv_outcome_free(out);
}
END_TEST

/* gv_options_central: the previous mode's defaults as gradverify.h states
 * them (central differences, rtol 1e-5, kerr 2, atol_scale 1e-8), every
 * other field as gv_options_init. */
START_TEST(test_options_central)
{
  gv_options c, d;
  gv_options_central(&c);
  gv_options_init(&d);
  ck_assert_int_eq(c.method, GV_METHOD_CENTRAL);
  ck_assert_double_eq(c.rtol, 1e-5);
  ck_assert_double_eq(c.kerr, 2.0);
  ck_assert_double_eq(c.atol_scale, 1e-8);
  ck_assert_double_eq(c.atol, d.atol);
  ck_assert_int_eq(c.step_rule, d.step_rule);
  ck_assert_double_eq(c.step, d.step);
  ck_assert_int_eq(c.refine, d.refine);
  ck_assert_uint_eq(c.directions, d.directions);
  ck_assert_uint_eq(c.seed, d.seed);
}
END_TEST

/* ---- f NaN at x alone: GSL_EBADFUNC (gradverify.h: "f returned one at x"),
 * the outcome left empty ---- */

START_TEST(test_nan_at_x_only)
{
  gsl_vector_const_view xv = gsl_vector_const_view_array(XS, 4);
  sparams sp = {.wrong_entry = (size_t)-1, .nan_at_x = 1, .xnan = &xv.vector};
  gsl_multimin_function_fdf fdf = s_problem(&sp, 4);
  gv_outcome *out = gv_outcome_alloc();
  gv_options o;
  gv_options_init(&o);
  double y[4] = {0.25, 3.0, 0.0, -2e-3};
  gsl_vector_view yv = gsl_vector_view_array(y, 4);
  for (int central = 0; central < 2; central++) {
    if (central)
      gv_options_central(&o);
    /* An outcome that held a check is left empty by the failed one. */
    ck_assert_int_eq(gv_check_gradient(&fdf, &yv.vector, &o, out), GSL_SUCCESS);
    ck_assert_uint_eq(gv_outcome_size(out), 4);
    ck_assert_int_eq(gv_check_gradient(&fdf, &xv.vector, &o, out), GSL_EBADFUNC);
    ck_assert_uint_eq(gv_outcome_size(out), 0);
    ck_assert_uint_eq(gv_outcome_rows(out), 0);
    ck_assert_uint_eq(gv_outcome_cols(out), 0);
    o.directions = 3;
    ck_assert_int_eq(gv_check_gradient(&fdf, &xv.vector, &o, out), GSL_EBADFUNC);
    o.directions = 0;
  }
  /* The other way round, NaN at every perturbed point: GSL_EBADFUNC from
   * the evaluations, the outcome sized for the check emptied again. */
  sp.nan_at_x = -1;
  for (int central = 0; central < 2; central++) {
    if (central)
      gv_options_central(&o);
    else
      gv_options_init(&o);
    ck_assert_int_eq(gv_check_gradient(&fdf, &xv.vector, &o, out), GSL_EBADFUNC);
    ck_assert_uint_eq(gv_outcome_size(out), 0);
    ck_assert_uint_eq(gv_outcome_rows(out), 0);
    ck_assert_uint_eq(gv_outcome_cols(out), 0);
  }
  sp.nan_at_x = 1;
  /* Anywhere else it is finite: the same check passes at a point nearby. */
  ck_assert_int_eq(gv_check_gradient(&fdf, &yv.vector, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  gv_outcome_free(out);
}
END_TEST

/* ---- Directions: v_i = +-s_i, the signs a gsl_rng's bits ---- */

/* f(x) = sum_i 2^(i - 20) x_i for 40 variables: g.v for a sign vector v is
 * a sum of distinct powers of two, exact, from which v's signs read back. */
#define DIR_N 40

static double pow2_f(const gsl_vector *x, void *params)
{
  (void)params;
  double f = 0.0;
  for (size_t i = 0; i < x->size; i++)
    f += ldexp(gsl_vector_get(x, i), (int)i - 20);
  return f;
}

static void pow2_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  (void)params;
  for (size_t i = 0; i < x->size; i++)
    gsl_vector_set(g, i, ldexp(1.0, (int)i - 20));
}

static void pow2_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
  *f = pow2_f(x, params);
  pow2_df(x, params, g);
}

/* The signs of direction k, read back from the analytic g.v_k at x = 0
 * (step scale 1): bit i of (g.v + sum_i 2^(i-20)) / 2 scaled by 2^20. */
static unsigned long long signs_of(double gv)
{
  const double all = ldexp(1.0, DIR_N - 20) - ldexp(1.0, -20);
  return (unsigned long long)ldexp(0.5 * (gv + all), 20);
}

/* Four directions over 40 variables (two blocks of a generator's 32 bits):
 * each mixes the signs within the first 32 variables and within the last 8,
 * and no two are the same, as random signs do (all but with probability
 * below 2^-7 per block); the check passes the right gradient. */
START_TEST(test_direction_signs)
{
  gsl_multimin_function_fdf fdf = {.f = pow2_f, .df = pow2_df, .fdf = pow2_fdf, .n = DIR_N};
  gsl_vector *x = gsl_vector_calloc(DIR_N);
  gv_outcome *out = gv_outcome_alloc();
  gv_options o;
  gv_options_init(&o);
  o.directions = 4;
  ck_assert_int_eq(gv_check_gradient(&fdf, x, &o, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  unsigned long long seen[4];
  for (size_t k = 0; k < 4; k++) {
    gv_entry e;
    gv_outcome_entry(out, k, &e);
    unsigned long long bits = signs_of(e.analytic), low = bits & 0xffffffffULL, high = bits >> 32;
    ck_assert_msg(low != 0 && low != 0xffffffffULL, "direction %zu: x_0..x_31 one sign", k);
    ck_assert_msg(high != 0 && high != 0xffULL, "direction %zu: x_32..x_39 one sign", k);
    for (size_t l = 0; l < k; l++)
      ck_assert_msg(seen[l] != bits, "directions %zu and %zu alike", l, k);
    seen[k] = bits;
  }
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* Every point f is evaluated at in directional mode is x0 + t v to the
 * last bit: entry i is x0_i + (+-(a s_i)) rounded once, a = |t| read from
 * entry 0 (x0_0 = 0, s_0 = 1: the point holds +-t exactly), s_i = max(1,
 * |x0_i|) (GV_STEP_SCALED), the sign that of the direction; the error model
 * assumes that point (an in-place update or a fused multiply-add would move
 * it by an ulp). Sizes with and without a partial word of 32 signs, scales 1
 * and not, x0 contiguous and strided; the check also passes, so the signs
 * are those of J v. */
#define POINTS_MAX 4096

typedef struct {
  sparams s;
  size_t n, np;
  double *pt; /* POINTS_MAX points of n */
} recorder;

static double rec_f(const gsl_vector *x, void *params)
{
  recorder *r = params;
  if (r->np < POINTS_MAX)
    for (size_t i = 0; i < r->n; i++)
      r->pt[r->np * r->n + i] = gsl_vector_get(x, i);
  r->np++;
  return s_f(x, &r->s);
}

static void rec_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  s_df(x, &((recorder *)params)->s, g);
}

/* How many of p's entries are not x0 + t v (see above); 0 when p is x0. */
static size_t off_point(const double *p, const gsl_vector *x0)
{
  const double a = fabs(p[0]);
  size_t off = 0;
  for (size_t i = 0; i < x0->size && a > 0.0; i++) {
    const double xi = gsl_vector_get(x0, i), as = a * fmax(1.0, fabs(xi));
    off += p[i] != xi + as && p[i] != xi + -as;
  }
  return off;
}

START_TEST(test_direction_points_exact)
{
  const size_t sizes[3] = {37, 64, 101}, n = sizes[_i % 3];
  const int wide = _i / 3 % 2, stride = 1 + _i / 6;
  recorder r = {
      .s = {.wrong_entry = (size_t)-1}, .n = n, .pt = malloc(POINTS_MAX * n * sizeof(double))};
  gsl_vector *buf = gsl_vector_alloc(stride * n);
  ck_assert(r.pt && buf);
  gsl_vector_view x0 = gsl_vector_subvector_with_stride(buf, 0, stride, n);
  for (size_t i = 0; i < stride * n; i++) /* high-entropy, |x| < 0.97 or up to 6.3 */
    gsl_vector_set(buf, i, (wide ? 6.3 : 0.97) * sin(1.7 * (double)i + 0.3));
  gsl_vector_set(&x0.vector, 0, 0.0);
  gsl_multimin_function_fdf fdf = {.f = rec_f, .df = rec_df, .n = n, .params = &r};
  gv_outcome *out = gv_outcome_alloc();
  gv_options o;
  gv_options_init(&o);
  ck_assert_int_eq(o.step_rule, GV_STEP_SCALED);
  o.directions = 5;
  ck_assert_int_eq(gv_check_gradient(&fdf, &x0.vector, &o, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  ck_assert_uint_le(r.np, POINTS_MAX);
  size_t moved = 0;
  for (size_t k = 0; k < r.np; k++) {
    const double *p = r.pt + k * n;
    moved += p[0] != 0.0;
    ck_assert_msg(off_point(p, &x0.vector) == 0, "point %zu: %zu entries not x0 + t v", k,
                  off_point(p, &x0.vector));
  }
  ck_assert_uint_ge(moved, 3 * o.directions); /* the first estimate: 3 a direction */
  gv_outcome_free(out);
  gsl_vector_free(buf);
  free(r.pt);
}
END_TEST

/* ---- Jacobians: one variable; NaN at x; a row's noise pooled ---- */

/* Residuals f_i(x) = exp(-t_i x_0) - y_i, t_i = i / 2, with p = 1; or (pool)
 * f_0 = (BIG + x_0 + SMALL x_1) - BIG, f_1 = x_0 x_1, p = 2. */
typedef struct {
  int pool, wrong, nan_at_x;
  double xnan;
} jparams;

#define J_N 5
#define BIG 1e4
#define SMALL 1e-8

static int j_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  const jparams *p = params;
  double x0 = gsl_vector_get(x, 0);
  if (p->pool) {
    double x1 = gsl_vector_get(x, 1);
    volatile double big = BIG + x0 + SMALL * x1; /* rounded to an ulp of BIG */
    gsl_vector_set(f, 0, big - BIG);
    gsl_vector_set(f, 1, x0 * x1);
    return GSL_SUCCESS;
  }
  for (size_t i = 0; i < J_N; i++)
    gsl_vector_set(f, i, p->nan_at_x && x0 == p->xnan ? NAN : exp(-0.5 * i * x0) - 0.1 * i);
  return GSL_SUCCESS;
}

static int j_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  const jparams *p = params;
  double x0 = gsl_vector_get(x, 0);
  if (p->pool) {
    double x1 = gsl_vector_get(x, 1);
    gsl_matrix_set(J, 0, 0, p->wrong ? 1.0 + 1e-4 : 1.0);
    gsl_matrix_set(J, 0, 1, SMALL);
    gsl_matrix_set(J, 1, 0, x1);
    gsl_matrix_set(J, 1, 1, x0);
    return GSL_SUCCESS;
  }
  for (size_t i = 0; i < J_N; i++)
    gsl_matrix_set(J, i, 0,
                   -0.5 * i * exp(-0.5 * i * x0) * (p->wrong && i == 3 ? 1.0 + 1e-4 : 1.0));
  return GSL_SUCCESS;
}

static gsl_multifit_nlinear_fdf j_problem(jparams *p)
{
  gsl_multifit_nlinear_fdf fdf = {0};
  fdf.f = j_f;
  fdf.df = j_df;
  fdf.n = p->pool ? 2 : J_N;
  fdf.p = p->pool ? 2 : 1;
  fdf.params = p;
  return fdf;
}

/* p = 1: an n-by-1 Jacobian, every method and mode; one wrong entry is the
 * only failure, at its row. */
START_TEST(test_jacobian_one_variable)
{
  jparams jp = {0};
  gsl_multifit_nlinear_fdf fdf = j_problem(&jp);
  double x0 = 0.7;
  gsl_vector_view xv = gsl_vector_view_array(&x0, 1);
  gv_outcome *out = gv_outcome_alloc();
  gv_options o;
  for (int mode = 0; mode < 3; mode++) {
    if (mode == 1)
      gv_options_central(&o);
    else
      gv_options_init(&o);
    o.directions = mode == 2 ? 2 : 0;
    jp.wrong = 0;
    ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, &o, out), GSL_SUCCESS);
    ck_assert_msg(gv_outcome_verdict(out) == GV_PASS, "mode %d", mode);
    ck_assert_uint_eq(gv_outcome_rows(out), mode == 2 ? J_N + 1 : J_N);
    ck_assert_uint_eq(gv_outcome_cols(out), mode == 2 ? 2 : 1);
    jp.wrong = 1;
    ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, &o, out), GSL_SUCCESS);
    ck_assert_msg(gv_outcome_verdict(out) == GV_FAIL, "mode %d", mode);
    gv_entry w;
    gv_outcome_worst(out, &w);
    ck_assert_uint_eq(w.row, 3);
    if (mode < 2) {
      ck_assert_uint_eq(gv_outcome_nfail(out), 1);
      ck_assert_uint_eq(w.col, 0);
      gv_entry e;
      gv_outcome_entry(out, 2, &e);
      ck_assert_double_eq_tol(e.numeric, -exp(-0.7), 1e-9);
    }
  }
  /* Residuals NaN at x alone: GSL_EBADFUNC, in both methods. */
  jp.wrong = 0;
  jp.nan_at_x = 1;
  jp.xnan = x0;
  ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, NULL, out), GSL_EBADFUNC);
  gv_options_central(&o);
  ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, &o, out), GSL_EBADFUNC);
  gv_outcome_free(out);
}
END_TEST

/* f_0 = (1e4 + x_0 + 1e-8 x_1) - 1e4 is a staircase of ulp(1e4) ~ 1.8e-12,
 * which one entry's own noise probe sees too little of (its error bar
 * alone, 4.8e-13, is below its true error, 1.9e-10): the largest noise of
 * the row (gv_check.c, pool_noise) must cover it, and a right Jacobian
 * passes. An entry off by 1e-4, far beyond the staircase, still fails. */
START_TEST(test_jacobian_pooled_noise)
{
  jparams jp = {.pool = 1};
  gsl_multifit_nlinear_fdf fdf = j_problem(&jp);
  double x[2] = {0.75, 1.25};
  gsl_vector_view xv = gsl_vector_view_array(x, 2);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, NULL, out), GSL_SUCCESS);
  if (gv_outcome_verdict(out) != GV_PASS)
    gv_outcome_fprintf(stderr, out);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  jp.wrong = 1;
  ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  gv_entry w;
  gv_outcome_worst(out, &w);
  ck_assert_uint_eq(w.row, 0);
  ck_assert_uint_eq(w.col, 0);
  gv_outcome_free(out);
}
END_TEST

/* Rows are independent outputs: a Jacobian's rows in any order give the
 * same entries, value for value. Row 1 (sin 1500 x_0, whose first
 * central estimates do not settle it: its columns go on to re-estimation and
 * Ridders, which start from the shortest length scale any row shows) beside
 * gentle rows, in three orders; every entry passes and is within kerr error
 * bars of the exact derivative (within one it is not: sin 1500 x_0's
 * Ridders error bar is 1.2e-9 against an error of 3.7e-9). */
#define NROWS 3
#define GV_KERR 10.0

static void rows_value(const double *x, double F[NROWS], double J[NROWS][2])
{
  F[0] = x[0] * x[0] * x[1];
  J[0][0] = 2.0 * x[0] * x[1];
  J[0][1] = x[0] * x[0];
  F[1] = sin(1500.0 * x[0]) + x[1] * x[1] * x[1];
  J[1][0] = 1500.0 * cos(1500.0 * x[0]);
  J[1][1] = 3.0 * x[1] * x[1];
  F[2] = exp(0.5 * x[0] * x[1]);
  J[2][0] = 0.5 * x[1] * F[2];
  J[2][1] = 0.5 * x[0] * F[2];
}

static int rows_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  const size_t *order = params;
  double F[NROWS], J[NROWS][2];
  rows_value(x->data, F, J);
  for (size_t i = 0; i < NROWS; i++)
    gsl_vector_set(f, i, F[order[i]]);
  return GSL_SUCCESS;
}

static int rows_df(const gsl_vector *x, void *params, gsl_matrix *Jm)
{
  const size_t *order = params;
  double F[NROWS], J[NROWS][2];
  rows_value(x->data, F, J);
  for (size_t i = 0; i < NROWS; i++)
    for (size_t j = 0; j < 2; j++)
      gsl_matrix_set(Jm, i, j, J[order[i]][j]);
  return GSL_SUCCESS;
}

START_TEST(test_jacobian_rows_independent)
{
  static const size_t orders[3][NROWS] = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}};
  const double x[2] = {0.31, -0.77};
  double F[NROWS], J[NROWS][2];
  rows_value(x, F, J);
  gsl_vector_const_view xv = gsl_vector_const_view_array(x, 2);
  gv_outcome *out[3];
  for (int t = 0; t < 3; t++) {
    gsl_multifit_nlinear_fdf fdf = {
        .f = rows_f, .df = rows_df, .n = NROWS, .p = 2, .params = (void *)orders[t]};
    out[t] = gv_outcome_alloc();
    ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, NULL, out[t]), GSL_SUCCESS);
    ck_assert_int_eq(gv_outcome_verdict(out[t]), GV_PASS);
    for (size_t i = 0; i < NROWS; i++)
      for (size_t j = 0; j < 2; j++) {
        gv_entry e, e0;
        gv_outcome_entry(out[t], i * 2 + j, &e);
        gv_outcome_entry(out[0], orders[t][i] * 2 + j, &e0);
        const double exact = J[orders[t][i]][j];
        ck_assert_msg(fabs(e.numeric - exact) <= GV_KERR * e.error_bar,
                      "order %d, row %zu col %zu: numeric %.17g, exact %.17g, error bar %.3g", t, i,
                      j, e.numeric, exact, e.error_bar);
        ck_assert_msg(e.numeric == e0.numeric && e.error_bar == e0.error_bar &&
                          e.bound == e0.bound && e.step == e0.step,
                      "order %d, row %zu col %zu: numeric %.17g, error bar %.17g against %.17g, "
                      "%.17g in the first order",
                      t, i, j, e.numeric, e.error_bar, e0.numeric, e0.error_bar);
      }
  }
  for (int t = 0; t < 3; t++)
    gv_outcome_free(out[t]);
}
END_TEST

/* ---- The finer estimate at f's domain edge ---- */

/* r_0 = sqrt(x_0 - c) + x_1^2 + x_2^2 with c = x_0 - 40 h (h the rule's
 * step at x): the first estimates resolve f but their error bars are too
 * coarse, so column 0 takes the finer estimate (gv_check.c, fine_column),
 * whose points at 32 h and 64 h below x_0 lie beyond c. There f returns
 * status (edge_status non-zero) or NaN (0). edge_moved counts evaluations
 * at a point that differs from x in more than one variable (an x not
 * restored after an estimate bailed out). */
#define EDGE_STEPS 40.0
typedef struct {
  const double *x; /* the point checked, 3 */
  double c;
  int edge_status;
  double bad; /* added to J(0, 0) */
  int edge_moved;
} edge;

static int edge_f(const gsl_vector *x, void *params, gsl_vector *r)
{
  edge *e = params;
  int moved = 0;
  for (size_t j = 0; j < 3; j++)
    moved += gsl_vector_get(x, j) != e->x[j];
  e->edge_moved += moved > 1;
  const double u = gsl_vector_get(x, 0) - e->c;
  if (u < 0.0 && e->edge_status)
    return e->edge_status;
  gsl_vector_set(r, 0, sqrt(u) + gsl_pow_2(gsl_vector_get(x, 1)) + gsl_pow_2(gsl_vector_get(x, 2)));
  return GSL_SUCCESS;
}

static int edge_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  const edge *e = params;
  gsl_matrix_set(J, 0, 0, 0.5 / sqrt(gsl_vector_get(x, 0) - e->c) + e->bad);
  for (size_t j = 1; j < 3; j++)
    gsl_matrix_set(J, 0, j, 2.0 * gsl_vector_get(x, j));
  return GSL_SUCCESS;
}

/* A status f returns is the check's, unchanged (gradverify.h, Errors),
 * also where the finer estimate meets it, on one thread or two, and the
 * outcome is left empty; a non-finite value there means f's domain ends
 * within the finer estimate's reach: column 0 keeps its first estimate
 * and escalates (its entry's step the rule's, not 16 times it), the right
 * Jacobian passes and J(0, 0) off by 1e-6 of itself fails alone. */
START_TEST(test_finer_estimate_domain)
{
  static const double x[3] = {0.5, 0.7, 0.9};
  const double h = cbrt(DBL_EPSILON) * 1.0;
  edge e = {.x = x, .c = x[0] - EDGE_STEPS * h, .edge_status = GSL_EDOM};
  gsl_multifit_nlinear_fdf fdf = {.f = edge_f, .df = edge_df, .n = 1, .p = 3, .params = &e};
  gsl_vector_const_view xv = gsl_vector_const_view_array(x, 3);
  gv_outcome *out = gv_outcome_alloc();
  gv_options o;
  gv_options_init(&o);
  for (o.threads = 1; o.threads <= 2; o.threads++) {
    ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, &o, out), GSL_EDOM);
    ck_assert_uint_eq(gv_outcome_size(out), 0);
  }
  e.edge_status = 0;
  ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, NULL, out), GSL_SUCCESS);
  if (gv_outcome_verdict(out) != GV_PASS)
    gv_outcome_fprintf(stderr, out);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  ck_assert_int_eq(e.edge_moved, 0);
  gv_entry en;
  ck_assert_int_eq(gv_outcome_entry(out, 0, &en), GSL_SUCCESS);
  ck_assert_double_eq(en.step, h);
  e.bad = 1e-6 * en.analytic;
  ck_assert_int_eq(gv_check_jacobian(&fdf, &xv.vector, NULL, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_nfail(out), 1);
  ck_assert_int_eq(gv_outcome_worst(out, &en), GSL_SUCCESS);
  ck_assert_uint_eq(en.col, 0);
  ck_assert_int_eq(e.edge_moved, 0);
  gv_outcome_free(out);
}
END_TEST

/* f = (128 + e^(x_0 - c) + x_1^2) - 128 with c = 1e6 + 0.3 rounds to
 * ulp(128) = 2.8e-14: noise of sigma = ulp / sqrt(12) in a value near 1.3
 * (f computed as a difference of larger terms). At x = (c + 0.02, 0.526)
 * x_0's rule step (6.06) is far beyond e^(x_0 - c)'s length scale 1: its
 * first estimate, 37 times too large, sets the row's scale S and escalates
 * to Ridders, which measures the noise; x_1's first estimate settles
 * against that S. Ridders' value then rescales S to ~1, x_1's bar no longer
 * tells 10 floors from none, and x_1 takes the finer estimate in a round of
 * its own. Its error must still honour the pooled noise (gradverify.h: no
 * entry's error below 2.1 sigma_row / h, sigma_row measured): at least
 * sigma / h here, where Ridders measures sigma_row near sigma. */
#define STAIR_BASE 128.0
#define STAIR_C (1e6 + 0.3)

static double stair_f(const gsl_vector *x, void *params)
{
  (void)params;
  volatile double s = STAIR_BASE + exp(gsl_vector_get(x, 0) - STAIR_C) +
                      gsl_pow_2(gsl_vector_get(x, 1)); /* rounded to ulp(128) */
  return s - STAIR_BASE;
}

static void stair_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  (void)params;
  gsl_vector_set(g, 0, exp(gsl_vector_get(x, 0) - STAIR_C));
  gsl_vector_set(g, 1, 2.0 * gsl_vector_get(x, 1));
}

START_TEST(test_finer_estimate_pooled_noise)
{
  const double x[2] = {STAIR_C + 0.02, 0.526};
  const double sigma = (nextafter(STAIR_BASE, INFINITY) - STAIR_BASE) / sqrt(12.0);
  gsl_vector_const_view xv = gsl_vector_const_view_array(x, 2);
  gsl_multimin_function_fdf fdf = {.f = stair_f, .df = stair_df, .n = 2};
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_gradient(&fdf, &xv.vector, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  gv_entry e;
  ck_assert_int_eq(gv_outcome_entry(out, 1, &e), GSL_SUCCESS);
  ck_assert_double_eq(e.step, 16.0 * cbrt(DBL_EPSILON)); /* the finer estimate decided */
  ck_assert_msg(e.error_bar >= sigma / e.step, "error bar %.3g, sigma / step %.3g", e.error_bar,
                sigma / e.step);
  gv_outcome_free(out);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("api_paths");
  TCase *tc = tcase_create("Paths");
  tcase_add_test(tc, test_step_relative);
  tcase_add_test(tc, test_step_relative_subnormal);
  tcase_add_test(tc, test_options_central);
  tcase_add_test(tc, test_nan_at_x_only);
  tcase_add_test(tc, test_direction_signs);
  tcase_add_loop_test(tc, test_direction_points_exact, 0, 12);
  tcase_add_test(tc, test_jacobian_one_variable);
  tcase_add_test(tc, test_jacobian_pooled_noise);
  tcase_add_test(tc, test_jacobian_rows_independent);
  tcase_add_test(tc, test_finer_estimate_domain);
  tcase_add_test(tc, test_finer_estimate_pooled_noise);
  suite_add_tcase(s, tc);
  return s;
}
