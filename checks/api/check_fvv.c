/* check_fvv.c: gv_check_fvv on GSL's own nonlinear least-squares test problems
 * that ship an fvv (GSL 2.7, multifit_nlinear/test_*.c: Rosenbrock, Powell's
 * singular function, Box's 3D function, Beale, Bard, NIST's BoxBOD, Wood),
 * written here from their formulas, with their second directional
 * derivatives derived by hand.
 *
 * Each problem runs at GSL's starting point and at a random point near it,
 * with its residuals scaled by 1e-6, 1 and 1e6, along three random directions
 * and along one given direction: the right fvv must pass, and each planted
 * mistake the problem admits (a flipped sign, a missing factor 2, a dropped
 * cross term v_j v_k) must fail. */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "check_main.h"
#include "gradverify.h"

#define SEED 20241128UL

enum { RIGHT = 0, SIGN, FACTOR2, CROSS, NMISTAKES };
static const char *const mistake_name[NMISTAKES] = {"right", "sign", "factor 2", "cross term"};

typedef struct {
  int mistake;
  double c; /* every residual is multiplied by c */
} fparams;

#define X(j) gsl_vector_get(x, j)
#define D(j) gsl_vector_get(d, j)
#define P ((const fparams *)params)
#define SET_F(i, val) gsl_vector_set(f, i, P->c *(val))
#define SET_J(i, j, val) gsl_matrix_set(J, i, j, P->c *(val))
#define IS(m) (P->mistake == (m))

/* Rosenbrock: r0 = 10 (x1 - x0^2), r1 = 1 - x0. */
static int rosen_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  SET_F(0, 10.0 * (X(1) - X(0) * X(0)));
  SET_F(1, 1.0 - X(0));
  return GSL_SUCCESS;
}
static int rosen_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  SET_J(0, 0, -20.0 * X(0));
  SET_J(0, 1, 10.0);
  SET_J(1, 0, -1.0);
  SET_J(1, 1, 0.0);
  return GSL_SUCCESS;
}
static int rosen_fvv(const gsl_vector *x, const gsl_vector *d, void *params, gsl_vector *f)
{
  (void)x;
  SET_F(0, (IS(SIGN) ? 20.0 : IS(FACTOR2) ? -10.0 : -20.0) * D(0) * D(0));
  SET_F(1, 0.0);
  return GSL_SUCCESS;
}

/* Powell's singular function: r0 = x0 + 10 x1, r1 = sqrt5 (x2 - x3),
 * r2 = (x1 - 2 x2)^2, r3 = sqrt10 (x0 - x3)^2. */
static int powell_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  SET_F(0, X(0) + 10.0 * X(1));
  SET_F(1, sqrt(5.0) * (X(2) - X(3)));
  SET_F(2, gsl_pow_2(X(1) - 2.0 * X(2)));
  SET_F(3, sqrt(10.0) * gsl_pow_2(X(0) - X(3)));
  return GSL_SUCCESS;
}
static int powell_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  const double a = X(1) - 2.0 * X(2), b = X(0) - X(3);
  const double rows[4][4] = {{1.0, 10.0, 0.0, 0.0},
                             {0.0, 0.0, sqrt(5.0), -sqrt(5.0)},
                             {0.0, 2.0 * a, -4.0 * a, 0.0},
                             {2.0 * sqrt(10.0) * b, 0.0, 0.0, -2.0 * sqrt(10.0) * b}};
  for (size_t i = 0; i < 4; i++)
    for (size_t j = 0; j < 4; j++)
      SET_J(i, j, rows[i][j]);
  return GSL_SUCCESS;
}
static int powell_fvv(const gsl_vector *x, const gsl_vector *d, void *params, gsl_vector *f)
{
  (void)x;
  const double a = D(1) - 2.0 * D(2);
  SET_F(0, 0.0);
  SET_F(1, 0.0);
  SET_F(2, IS(CROSS) ? 2.0 * (D(1) * D(1) + 4.0 * D(2) * D(2)) : IS(FACTOR2) ? a * a : 2.0 * a * a);
  SET_F(3, (IS(SIGN) ? -2.0 : 2.0) * sqrt(10.0) * gsl_pow_2(D(0) - D(3)));
  return GSL_SUCCESS;
}

/* Box's 3D function, t_i = 0.1 (i + 1), i < 10:
 * r_i = exp(-t x0) - exp(-t x1) - x2 (exp(-t) - exp(-10 t)). */
static int box_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  for (size_t i = 0; i < 10; i++) {
    double t = 0.1 * (double)(i + 1);
    SET_F(i, exp(-t * X(0)) - exp(-t * X(1)) - X(2) * (exp(-t) - exp(-10.0 * t)));
  }
  return GSL_SUCCESS;
}
static int box_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  for (size_t i = 0; i < 10; i++) {
    double t = 0.1 * (double)(i + 1);
    SET_J(i, 0, -t * exp(-t * X(0)));
    SET_J(i, 1, t * exp(-t * X(1)));
    SET_J(i, 2, -(exp(-t) - exp(-10.0 * t)));
  }
  return GSL_SUCCESS;
}
static int box_fvv(const gsl_vector *x, const gsl_vector *d, void *params, gsl_vector *f)
{
  for (size_t i = 0; i < 10; i++) {
    double t = 0.1 * (double)(i + 1);
    double second = t * t * exp(-t * X(1)) * D(1) * D(1);
    SET_F(i, t * t * exp(-t * X(0)) * D(0) * D(0) + (IS(SIGN) ? second : -second));
  }
  return GSL_SUCCESS;
}

/* Beale: r_i = y_i - x0 (1 - x1^m), m = i + 1, y = 1.5, 2.25, 2.625. */
static const double beale_y[3] = {1.5, 2.25, 2.625};
static int beale_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  for (size_t i = 0; i < 3; i++)
    SET_F(i, beale_y[i] - X(0) * (1.0 - gsl_pow_int(X(1), (int)i + 1)));
  return GSL_SUCCESS;
}
static int beale_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  for (size_t i = 0; i < 3; i++) {
    int m = (int)i + 1;
    SET_J(i, 0, -(1.0 - gsl_pow_int(X(1), m)));
    SET_J(i, 1, m * X(0) * gsl_pow_int(X(1), m - 1));
  }
  return GSL_SUCCESS;
}
static int beale_fvv(const gsl_vector *x, const gsl_vector *d, void *params, gsl_vector *f)
{
  for (size_t i = 0; i < 3; i++) {
    int m = (int)i + 1;
    double cross = (IS(FACTOR2) ? 1.0 : 2.0) * m * gsl_pow_int(X(1), m - 1) * D(0) * D(1);
    double pure = m > 1 ? m * (m - 1) * X(0) * gsl_pow_int(X(1), m - 2) * D(1) * D(1) : 0.0;
    SET_F(i, (IS(CROSS) ? 0.0 : cross) + pure);
  }
  return GSL_SUCCESS;
}

/* Bard: r_i = y_i - (x0 + u / (v x1 + w x2)), u = i + 1, v = 16 - u, w = min(u, v). */
static const double bard_y[15] = {0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39,
                                  0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39};
static void bard_uvw(size_t i, double *u, double *v, double *w)
{
  *u = (double)(i + 1);
  *v = 16.0 - *u;
  *w = fmin(*u, *v);
}
static int bard_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  for (size_t i = 0; i < 15; i++) {
    double u, v, w;
    bard_uvw(i, &u, &v, &w);
    SET_F(i, bard_y[i] - (X(0) + u / (v * X(1) + w * X(2))));
  }
  return GSL_SUCCESS;
}
static int bard_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  for (size_t i = 0; i < 15; i++) {
    double u, v, w;
    bard_uvw(i, &u, &v, &w);
    double q = v * X(1) + w * X(2);
    SET_J(i, 0, -1.0);
    SET_J(i, 1, u * v / (q * q));
    SET_J(i, 2, u * w / (q * q));
  }
  return GSL_SUCCESS;
}
static int bard_fvv(const gsl_vector *x, const gsl_vector *d, void *params, gsl_vector *f)
{
  for (size_t i = 0; i < 15; i++) {
    double u, v, w;
    bard_uvw(i, &u, &v, &w);
    double q = v * X(1) + w * X(2);
    double dq2 =
        IS(CROSS) ? gsl_pow_2(v * D(1)) + gsl_pow_2(w * D(2)) : gsl_pow_2(v * D(1) + w * D(2));
    double k = IS(FACTOR2) ? -1.0 : IS(SIGN) ? 2.0 : -2.0;
    SET_F(i, k * u * dq2 / (q * q * q));
  }
  return GSL_SUCCESS;
}

/* NIST BoxBOD: r_i = b0 (1 - exp(-b1 t_i)) - y_i. */
static const double boxbod_t[6] = {1.0, 2.0, 3.0, 5.0, 7.0, 10.0};
static const double boxbod_y[6] = {109.0, 149.0, 149.0, 191.0, 213.0, 224.0};
static int boxbod_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  for (size_t i = 0; i < 6; i++)
    SET_F(i, X(0) * (1.0 - exp(-X(1) * boxbod_t[i])) - boxbod_y[i]);
  return GSL_SUCCESS;
}
static int boxbod_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  for (size_t i = 0; i < 6; i++) {
    double t = boxbod_t[i], e = exp(-X(1) * t);
    SET_J(i, 0, 1.0 - e);
    SET_J(i, 1, X(0) * t * e);
  }
  return GSL_SUCCESS;
}
static int boxbod_fvv(const gsl_vector *x, const gsl_vector *d, void *params, gsl_vector *f)
{
  for (size_t i = 0; i < 6; i++) {
    double t = boxbod_t[i], e = exp(-X(1) * t);
    double cross = (IS(FACTOR2) ? 1.0 : 2.0) * t * e * D(0) * D(1);
    double pure = X(0) * t * t * e * D(1) * D(1);
    SET_F(i, (IS(CROSS) ? 0.0 : cross) + (IS(SIGN) ? pure : -pure));
  }
  return GSL_SUCCESS;
}

/* Wood: r0 = 10 (x1 - x0^2), r1 = 1 - x0, r2 = sqrt90 (x3 - x2^2), r3 = 1 - x2,
 * r4 = sqrt10 (x1 + x3 - 2), r5 = (x1 - x3) / sqrt10. */
static int wood_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  SET_F(0, 10.0 * (X(1) - X(0) * X(0)));
  SET_F(1, 1.0 - X(0));
  SET_F(2, sqrt(90.0) * (X(3) - X(2) * X(2)));
  SET_F(3, 1.0 - X(2));
  SET_F(4, sqrt(10.0) * (X(1) + X(3) - 2.0));
  SET_F(5, (X(1) - X(3)) / sqrt(10.0));
  return GSL_SUCCESS;
}
static int wood_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  const double s10 = sqrt(10.0), s90 = sqrt(90.0);
  const double rows[6][4] = {
      {-20.0 * X(0), 10.0, 0.0, 0.0}, {-1.0, 0.0, 0.0, 0.0}, {0.0, 0.0, -2.0 * s90 * X(2), s90},
      {0.0, 0.0, -1.0, 0.0},          {0.0, s10, 0.0, s10},  {0.0, 1.0 / s10, 0.0, -1.0 / s10}};
  for (size_t i = 0; i < 6; i++)
    for (size_t j = 0; j < 4; j++)
      SET_J(i, j, rows[i][j]);
  return GSL_SUCCESS;
}
static int wood_fvv(const gsl_vector *x, const gsl_vector *d, void *params, gsl_vector *f)
{
  (void)x;
  gsl_vector_set_zero(f);
  SET_F(0, (IS(SIGN) ? 20.0 : -20.0) * D(0) * D(0));
  SET_F(2, (IS(FACTOR2) ? -1.0 : -2.0) * sqrt(90.0) * D(2) * D(2));
  return GSL_SUCCESS;
}

typedef struct {
  const char *name;
  gsl_multifit_nlinear_fdf fdf; /* params set per case */
  double x0[4];                 /* GSL's starting point */
  unsigned mistakes;            /* the planted mistakes that apply: 1 << SIGN ... */
} problem;

#define FDF(pre, n_, p_)                                                                           \
  {                                                                                                \
    .f = pre##_f, .df = pre##_df, .fvv = pre##_fvv, .n = n_, .p = p_                               \
  }
#define ALL ((1u << SIGN) | (1u << FACTOR2) | (1u << CROSS))
static const problem problems[] = {
    {"rosenbrock", FDF(rosen, 2, 2), {-1.2, 1.0}, (1u << SIGN) | (1u << FACTOR2)},
    {"powell1", FDF(powell, 4, 4), {3.0, -1.0, 0.0, 1.0}, ALL},
    {"box3d", FDF(box, 10, 3), {0.0, 10.0, 20.0}, 1u << SIGN},
    {"beale", FDF(beale, 3, 2), {1.0, 1.0}, (1u << FACTOR2) | (1u << CROSS)},
    {"bard", FDF(bard, 15, 3), {1.0, 1.0, 1.0}, ALL},
    {"boxbod", FDF(boxbod, 6, 2), {100.0, 0.75}, ALL},
    {"wood", FDF(wood, 6, 4), {-3.0, -1.0, -3.0, -1.0}, (1u << SIGN) | (1u << FACTOR2)},
};
#define NPROBLEMS (sizeof problems / sizeof problems[0])
static const double scales[] = {1e-6, 1.0, 1e6};
#define NSCALES (sizeof scales / sizeof scales[0])
#define NPOINTS 2

/* Point k of problem pr: 0 GSL's start, 1 a random point near it. */
static void point(const problem *pr, size_t k, gsl_rng *r, gsl_vector *x)
{
  for (size_t j = 0; j < pr->fdf.p; j++) {
    double s = pr->x0[j];
    if (k == 1)
      s = s * (1.0 + 0.3 * (2.0 * gsl_rng_uniform(r) - 1.0)) +
          0.1 * (2.0 * gsl_rng_uniform(r) - 1.0);
    gsl_vector_set(x, j, s);
  }
}

/* Runs problem _i / NSCALES at scale _i % NSCALES, at every point, with every
 * mistake that applies (and right), along random directions and along a given
 * one. Returns the number of checks run. */
static size_t run_problem(const problem *pr, double c, size_t *wrong_verdicts)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED);
  gsl_vector *x = gsl_vector_alloc(pr->fdf.p), *v = gsl_vector_alloc(pr->fdf.p);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(r && x && v && out);
  size_t runs = 0;
  for (size_t k = 0; k < NPOINTS; k++) {
    point(pr, k, r, x);
    for (size_t j = 0; j < v->size; j++)
      gsl_vector_set(v, j, 2.0 * gsl_rng_uniform(r) - 1.0);
    for (int m = RIGHT; m < NMISTAKES; m++) {
      if (m != RIGHT && !(pr->mistakes & (1u << m)))
        continue;
      fparams fp = {.mistake = m, .c = c};
      gsl_multifit_nlinear_fdf fdf = pr->fdf;
      fdf.params = &fp;
      for (int given = 0; given < 2; given++) {
        ck_assert_int_eq(gv_check_fvv(&fdf, x, given ? v : NULL, NULL, out), GSL_SUCCESS);
        ck_assert_uint_eq(gv_outcome_cols(out), given ? 1 : 3);
        int failed = gv_outcome_verdict(out) == GV_FAIL;
        runs++;
        if (failed != (m != RIGHT)) {
          (*wrong_verdicts)++;
          fprintf(stderr, "%s at scale %g, point %zu, %s, %s: wrongly %s\n", pr->name, c, k,
                  mistake_name[m], given ? "given v" : "random v", failed ? "failed" : "passed");
          gv_outcome_fprintf(stderr, out);
        }
      }
    }
  }
  gv_outcome_free(out);
  gsl_vector_free(x);
  gsl_vector_free(v);
  gsl_rng_free(r);
  return runs;
}

START_TEST(test_gsl_problems)
{
  const problem *pr = &problems[_i / NSCALES];
  size_t wrong = 0;
  size_t runs = run_problem(pr, scales[_i % NSCALES], &wrong);
  ck_assert_uint_gt(runs, 2 * NPOINTS);
  ck_assert_msg(wrong == 0, "%s: %zu of %zu verdicts wrong", pr->name, wrong, runs);
}
END_TEST

/* Direction c of the outcome is column c: each entry's analytic value is
 * component i of the user's fvv along the given v, untouched by the scaling. */
START_TEST(test_entries_are_users_fvv)
{
  fparams fp = {.mistake = RIGHT, .c = 1.0};
  gsl_multifit_nlinear_fdf fdf = problems[5].fdf; /* boxbod */
  fdf.params = &fp;
  double xs[2] = {213.8, 0.547}, vs[2] = {37.0, -0.0123}, want[6];
  gsl_vector_view x = gsl_vector_view_array(xs, 2), v = gsl_vector_view_array(vs, 2);
  gsl_vector_view w = gsl_vector_view_array(want, 6);
  boxbod_fvv(&x.vector, &v.vector, &fp, &w.vector);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_fvv(&fdf, &x.vector, &v.vector, NULL, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_rows(out), 6);
  for (size_t i = 0; i < 6; i++) {
    gv_entry e;
    ck_assert_int_eq(gv_outcome_entry(out, i, &e), GSL_SUCCESS);
    ck_assert_uint_eq(e.row, i);
    ck_assert_uint_eq(e.col, 0);
    ck_assert_double_eq(e.analytic, want[i]);
    ck_assert_double_eq_tol(e.numeric, want[i], 1e-8 * fabs(want[i]));
    ck_assert(e.passed);
  }
  ck_assert_uint_gt(gv_outcome_nevals(out), 0);
  gv_outcome_free(out);
}
END_TEST

static int failing_fvv(const gsl_vector *x, const gsl_vector *d, void *params, gsl_vector *f)
{
  (void)x, (void)d, (void)params, (void)f;
  return GSL_EDOM;
}

START_TEST(test_errors)
{
  fparams fp = {.mistake = RIGHT, .c = 1.0};
  gsl_multifit_nlinear_fdf fdf = problems[0].fdf;
  fdf.params = &fp;
  double xs[2] = {-1.2, 1.0}, vs[3] = {1.0, 2.0, 3.0};
  gsl_vector_view x = gsl_vector_view_array(xs, 2), v3 = gsl_vector_view_array(vs, 3);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_fvv(NULL, &x.vector, NULL, NULL, out), GSL_EFAULT);
  ck_assert_int_eq(gv_check_fvv(&fdf, NULL, NULL, NULL, out), GSL_EFAULT);
  ck_assert_int_eq(gv_check_fvv(&fdf, &x.vector, NULL, NULL, NULL), GSL_EFAULT);
  ck_assert_int_eq(gv_check_fvv(&fdf, &x.vector, &v3.vector, NULL, out), GSL_EBADLEN);
  ck_assert_uint_eq(gv_outcome_size(out), 0);
  gv_options o;
  gv_options_init(&o);
  o.kerr = -1.0;
  ck_assert_int_eq(gv_check_fvv(&fdf, &x.vector, NULL, &o, out), GSL_EINVAL);
  fdf.fvv = failing_fvv;
  ck_assert_int_eq(gv_check_fvv(&fdf, &x.vector, NULL, NULL, out), GSL_EDOM);
  ck_assert_uint_eq(gv_outcome_size(out), 0);
  fdf.fvv = NULL;
  ck_assert_int_eq(gv_check_fvv(&fdf, &x.vector, NULL, NULL, out), GSL_EINVAL);
  gv_options_init(&o);
  o.directions = 5;
  fdf.fvv = rosen_fvv;
  ck_assert_int_eq(gv_check_fvv(&fdf, &x.vector, NULL, &o, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_cols(out), 5);
  /* 2 by 2^61 + 1 entries: their bytes wrap size_t (208 of them allocated
   * for 2^62 + 2 entries, then written past: heap corruption, an abort) */
  o.directions = ((size_t)1 << 61) + 1;
  ck_assert_int_eq(gv_check_fvv(&fdf, &x.vector, NULL, &o, out), GSL_ENOMEM);
  ck_assert_uint_eq(gv_outcome_size(out), 0);
  gv_outcome_free(out);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("fvv");
  TCase *tc = tcase_create("GSL problems");
  tcase_add_loop_test(tc, test_gsl_problems, 0, (int)(NPROBLEMS * NSCALES));
  tcase_add_test(tc, test_entries_are_users_fvv);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return s;
}
