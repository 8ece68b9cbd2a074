/* check_api_taylor.c: gv_check_taylor, the public Taylor test, on right and
 * wrong gradients of a GSL user's function, and its error paths. */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "gradverify.h"

/* Rosenbrock in n dimensions; params points to the relative error planted in
 * df's first entry (0 for the right gradient). */
static double rosen_f(const gsl_vector *v, void *params)
{
  (void)params;
  double s = 0.0;
  for (size_t i = 0; i + 1 < v->size; i++) {
    double a = gsl_vector_get(v, i), b = gsl_vector_get(v, i + 1);
    s += 100.0 * (b - a * a) * (b - a * a) + (1.0 - a) * (1.0 - a);
  }
  return s;
}

static void rosen_df(const gsl_vector *v, void *params, gsl_vector *g)
{
  const double *wrong = params;
  size_t n = v->size;
  gsl_vector_set_zero(g);
  for (size_t i = 0; i + 1 < n; i++) {
    double a = gsl_vector_get(v, i), b = gsl_vector_get(v, i + 1);
    *gsl_vector_ptr(g, i) += -400.0 * a * (b - a * a) - 2.0 * (1.0 - a);
    *gsl_vector_ptr(g, i + 1) += 200.0 * (b - a * a);
  }
  *gsl_vector_ptr(g, 0) *= 1.0 + *wrong;
}

static double linear_f(const gsl_vector *v, void *params)
{
  (void)params;
  return 2.5 * gsl_vector_get(v, 0) - 1.25 * gsl_vector_get(v, 1);
}

static void linear_df(const gsl_vector *v, void *params, gsl_vector *g)
{
  (void)v;
  (void)params;
  gsl_vector_set(g, 0, 2.5);
  gsl_vector_set(g, 1, -1.25);
}

static gsl_vector *point(size_t n)
{
  gsl_vector *x = gsl_vector_alloc(n);
  for (size_t i = 0; i < n; i++)
    gsl_vector_set(x, i, 0.3 + 0.617 * (double)i - 0.0385 * (double)(i * i));
  return x;
}

/* Rows: the planted relative error, the verdict it must get and the slope,
 * within tol. A small error shows as a slope between 1 and 2: the eps^2 term
 * still competes with it above rounding (1e-5 can pass: below what the test sees). */
static const struct {
  double wrong;
  gv_taylor_verdict verdict;
  double slope, tol;
} rows[] = {{0.0, GV_TAYLOR_PASS, 2.0, 0.1},
            {1e-3, GV_TAYLOR_FAIL, 1.0, 0.2},
            {1e-4, GV_TAYLOR_FAIL, 1.3, 0.45},
            {-0.5, GV_TAYLOR_FAIL, 1.0, 0.2}};

START_TEST(rosenbrock)
{
  double wrong = rows[_i].wrong;
  gsl_multimin_function_fdf fdf = {rosen_f, rosen_df, NULL, 6, &wrong};
  gsl_vector *x = point(6), *x0 = point(6);
  for (unsigned long seed = 1; seed <= 5; seed++) {
    gv_options o;
    gv_options_init(&o);
    o.seed = seed;
    gv_taylor_result t;
    ck_assert_int_eq(gv_check_taylor(&fdf, x, &o, 0.0, &t), GSL_SUCCESS);
    ck_assert_msg(t.verdict == rows[_i].verdict, "error %g, seed %lu: verdict %d, slope %g", wrong,
                  seed, t.verdict, t.slope);
    ck_assert_double_eq_tol(t.slope, rows[_i].slope, rows[_i].tol);
    ck_assert_uint_eq(t.npoints, GV_TAYLOR_POINTS);
    ck_assert(gsl_vector_equal(x, x0)); /* x untouched */
  }
  gsl_vector_free(x);
  gsl_vector_free(x0);
}
END_TEST

START_TEST(linear_is_exact)
{
  gsl_multimin_function_fdf fdf = {linear_f, linear_df, NULL, 2, NULL};
  gsl_vector *x = point(2);
  gv_taylor_result t;
  ck_assert_int_eq(gv_check_taylor(&fdf, x, NULL, 0.0, &t), GSL_SUCCESS);
  ck_assert_int_eq(t.verdict, GV_TAYLOR_EXACT);
  ck_assert(isnan(t.slope));
  gsl_vector_free(x);
}
END_TEST

static double nan_f(const gsl_vector *v, void *params)
{
  (void)v;
  (void)params;
  return NAN;
}

START_TEST(errors)
{
  double wrong = 0.0;
  gsl_multimin_function_fdf fdf = {rosen_f, rosen_df, NULL, 3, &wrong};
  gsl_vector *x = point(3), *x2 = point(2);
  gv_taylor_result t;
  ck_assert_int_eq(gv_check_taylor(NULL, x, NULL, 0.0, &t), GSL_EFAULT);
  ck_assert_int_eq(gv_check_taylor(&fdf, NULL, NULL, 0.0, &t), GSL_EFAULT);
  ck_assert_int_eq(gv_check_taylor(&fdf, x, NULL, 0.0, NULL), GSL_EFAULT);
  ck_assert_int_eq(gv_check_taylor(&fdf, x2, NULL, 0.0, &t), GSL_EBADLEN);
  ck_assert_int_eq(gv_check_taylor(&fdf, x, NULL, -1.0, &t), GSL_EINVAL);
  ck_assert_int_eq(gv_check_taylor(&fdf, x, NULL, INFINITY, &t), GSL_EINVAL);
  gsl_multimin_function_fdf no_df = {rosen_f, NULL, NULL, 3, &wrong};
  ck_assert_int_eq(gv_check_taylor(&no_df, x, NULL, 0.0, &t), GSL_EINVAL);
  gsl_multimin_function_fdf bad = {nan_f, rosen_df, NULL, 3, &wrong};
  ck_assert_int_eq(gv_check_taylor(&bad, x, NULL, 0.0, &t), GSL_EBADFUNC);
  gsl_vector_free(x);
  gsl_vector_free(x2);
}
END_TEST

/* A gradient with a NaN (or an infinity) is wrong: FAIL, never EXACT (the
 * remainder is NaN at every step, which once read as "no usable step"). */
static void nonfinite_df(const gsl_vector *v, void *params, gsl_vector *g)
{
  double wrong = 0.0;
  rosen_df(v, &wrong, g);
  gsl_vector_set(g, 1, *(const double *)params);
}

START_TEST(nonfinite_gradient_fails)
{
  const double bad[3] = {NAN, INFINITY, -INFINITY};
  gsl_vector *x = point(3);
  for (int k = 0; k < 3; k++) {
    double b = bad[k];
    gsl_multimin_function_fdf fdf = {rosen_f, nonfinite_df, NULL, 3, &b};
    gv_taylor_result t;
    ck_assert_int_eq(gv_check_taylor(&fdf, x, NULL, 0.0, &t), GSL_SUCCESS);
    ck_assert_msg(t.verdict == GV_TAYLOR_FAIL, "g_1 = %g: verdict %d", b, t.verdict);
  }
  gsl_vector_free(x);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("api_taylor");
  TCase *tc = tcase_create("Taylor");
  tcase_add_loop_test(tc, rosenbrock, 0, (int)(sizeof rows / sizeof rows[0]));
  tcase_add_test(tc, linear_is_exact);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, nonfinite_gradient_fails);
  suite_add_tcase(s, tc);
  return s;
}
