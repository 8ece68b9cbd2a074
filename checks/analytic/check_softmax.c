/* check_softmax.c: softmax, log-sum-exp and the softmax Jacobian.
 *
 * Expected values were computed independently at 30 digits (mpmath); the
 * randomized rows compare against the textbook formulas where those are safe. */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "fixtures.h"
#include "gv_softmax.h"

#define SEED 20240611UL
#define NRANDOM 24

/* A random logit vector for row _i: its own generator, so rows are independent. */
static gsl_vector *random_logits(int row, double scale)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + (unsigned long)row);
  size_t n = 1 + gsl_rng_uniform_int(r, 9);
  gsl_vector *a = gsl_vector_alloc(n);
  for (size_t i = 0; i < n; i++)
    gsl_vector_set(a, i, scale * (2.0 * gsl_rng_uniform(r) - 1.0));
  gsl_rng_free(r);
  return a;
}

/* ---- Core ---- */

static const double A3[3] = {0.385, -1.27, 2.113};
static const double P3[3] = {0.146617334368954979802976935259762,
                             0.0280174078266190807016745304710039,
                             0.825365257804425939495348534269354};
static const double LSE3 = 2.30492925389380757998309902491;

START_TEST(test_softmax_values)
{
  gsl_vector *a = fx_vector(A3, 3), *p = gsl_vector_alloc(3);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq_tol(gsl_vector_get(p, i), P3[i], 4e-16);
  /* The input is left alone. */
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq(gsl_vector_get(a, i), A3[i]);
  gsl_vector_free(a);
  gsl_vector_free(p);
}
END_TEST

START_TEST(test_softmax_alias)
{
  gsl_vector *a = fx_vector(A3, 3);
  ck_assert_int_eq(gv_softmax(a, a), GSL_SUCCESS);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_eq_tol(gsl_vector_get(a, i), P3[i], 4e-16);
  gsl_vector_free(a);
}
END_TEST

START_TEST(test_softmax_single)
{
  const double v = -3.7182;
  gsl_vector *a = fx_vector(&v, 1), *p = gsl_vector_alloc(1);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  ck_assert_double_eq(gsl_vector_get(p, 0), 1.0);
  gsl_vector_free(a);
  gsl_vector_free(p);
}
END_TEST

START_TEST(test_logsumexp_value)
{
  gsl_vector *a = fx_vector(A3, 3);
  double lse = 0.0;
  ck_assert_int_eq(gv_logsumexp(a, &lse), GSL_SUCCESS);
  ck_assert_double_eq_tol(lse, LSE3, 1e-15);
  gsl_vector_free(a);
}
END_TEST

/* Randomized: sums to 1, entries in [0, 1], and p_i / p_j = exp(a_i - a_j). */
START_TEST(test_softmax_random)
{
  gsl_vector *a = random_logits(_i, 30.0);
  size_t n = a->size;
  gsl_vector *p = gsl_vector_alloc(n);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  size_t imax = gsl_vector_max_index(a);
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    double pi = gsl_vector_get(p, i);
    ck_assert(pi >= 0.0 && pi <= 1.0);
    sum += pi;
    /* Ratios to the largest entry: exp of a difference in [-60, 0], no underflow. */
    double ratio = exp(gsl_vector_get(a, i) - gsl_vector_get(a, imax));
    ck_assert_double_eq_tol(pi / gsl_vector_get(p, imax), ratio, 1e-13 * ratio);
  }
  ck_assert_double_eq_tol(sum, 1.0, 2e-15 * (double)n);
  gsl_vector_free(a);
  gsl_vector_free(p);
}
END_TEST

/* Randomized: log-sum-exp against log(sum(exp)) for logits where that is safe. */
START_TEST(test_logsumexp_random)
{
  gsl_vector *a = random_logits(_i, 20.0);
  double naive = 0.0, lse = 0.0;
  for (size_t i = 0; i < a->size; i++)
    naive += exp(gsl_vector_get(a, i));
  naive = log(naive);
  ck_assert_int_eq(gv_logsumexp(a, &lse), GSL_SUCCESS);
  ck_assert_double_eq_tol(lse, naive, 1e-13 * fmax(1.0, fabs(naive)));
  /* Never below the largest logit, never above it by more than log n. */
  double amax = gsl_vector_max(a);
  ck_assert(lse >= amax);
  ck_assert(lse <= amax + log((double)a->size) + 1e-13);
  gsl_vector_free(a);
}
END_TEST

/* ---- Limits: logits where exp overflows or underflows ---- */

START_TEST(test_softmax_huge)
{
  const double v[3] = {1000.0, 999.0, -1000.0};
  gsl_vector *a = fx_vector(v, 3), *p = gsl_vector_alloc(3);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  for (size_t i = 0; i < 3; i++)
    ck_assert_double_finite(gsl_vector_get(p, i));
  /* lse is near 1000 where an ulp is 1.1e-13: p inherits that absolute error. */
  ck_assert_double_eq_tol(gsl_vector_get(p, 0), 0.731058578630004879251159241822, 3e-13);
  ck_assert_double_eq_tol(gsl_vector_get(p, 1), 0.268941421369995120748840758178, 3e-13);
  /* exp(-2000) underflows: exactly 0, not NaN. */
  ck_assert_double_eq(gsl_vector_get(p, 2), 0.0);
  gsl_vector_free(a);
  gsl_vector_free(p);
}
END_TEST

START_TEST(test_softmax_tiny)
{
  const double v[2] = {-800.0, -801.0};
  gsl_vector *a = fx_vector(v, 2), *p = gsl_vector_alloc(2);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  /* Naively both exp underflow to 0 and p = 0/0. */
  /* lse is near 1000 where an ulp is 1.1e-13: p inherits that absolute error. */
  ck_assert_double_eq_tol(gsl_vector_get(p, 0), 0.731058578630004879251159241822, 3e-13);
  ck_assert_double_eq_tol(gsl_vector_get(p, 1), 0.268941421369995120748840758178, 3e-13);
  gsl_vector_free(a);
  gsl_vector_free(p);
}
END_TEST

START_TEST(test_softmax_minus_inf)
{
  /* A logit of -inf is a class with probability exactly 0. */
  const double v[3] = {-INFINITY, 0.37, 0.37};
  gsl_vector *a = fx_vector(v, 3), *p = gsl_vector_alloc(3);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  ck_assert_double_eq(gsl_vector_get(p, 0), 0.0);
  ck_assert_double_eq_tol(gsl_vector_get(p, 1), 0.5, 2e-16);
  ck_assert_double_eq_tol(gsl_vector_get(p, 2), 0.5, 2e-16);
  gsl_vector_free(a);
  gsl_vector_free(p);
}
END_TEST

/* Table: logits whose exp overflows or underflows, with log-sum-exp at 30 digits. */
static const struct {
  size_t n;
  double a[3];
  double lse;
} huge_rows[] = {
    {3, {1000.0, 999.0, -1000.0}, 1000.31326168751822283404899549},
    {2, {-800.0, -801.0, 0.0}, -799.686738312481777165951004505},
    {3, {710.5, 710.5, 710.5}, 711.598612288668109691395245237},
    {1, {-1234.5678, 0.0, 0.0}, -1234.5678},
};

START_TEST(test_logsumexp_huge)
{
  gsl_vector *a = fx_vector(huge_rows[_i].a, huge_rows[_i].n);
  double lse = 0.0;
  ck_assert_int_eq(gv_logsumexp(a, &lse), GSL_SUCCESS);
  ck_assert_double_finite(lse);
  ck_assert_double_eq_tol(lse, huge_rows[_i].lse, 4e-16 * fabs(huge_rows[_i].lse));
  /* And the textbook max + log(sum(exp(a - max))), written out here. */
  double amax = gsl_vector_max(a), sum = 0.0;
  for (size_t i = 0; i < a->size; i++)
    sum += exp(gsl_vector_get(a, i) - amax);
  ck_assert_double_eq_tol(lse, amax + log(sum), 4e-16 * fabs(lse));
  gsl_vector_free(a);
}
END_TEST

START_TEST(test_logsumexp_nonfinite)
{
  const double plus[2] = {INFINITY, 1.5};
  const double minus[2] = {-INFINITY, -INFINITY};
  gsl_vector *a = fx_vector(plus, 2), *b = fx_vector(minus, 2);
  double lse = 0.0;
  ck_assert_int_eq(gv_logsumexp(a, &lse), GSL_SUCCESS);
  ck_assert(isinf(lse) && lse > 0.0);
  ck_assert_int_eq(gv_logsumexp(b, &lse), GSL_SUCCESS);
  ck_assert(isinf(lse) && lse < 0.0);
  gsl_vector_free(a);
  gsl_vector_free(b);
}
END_TEST

/* ---- Jacobian ---- */

START_TEST(test_jacobian_literal)
{
  /* p = (0.2, 0.3, 0.5): diag(p) - p p^T worked out on paper. */
  const double pv[3] = {0.2, 0.3, 0.5};
  const double Jv[3][3] = {{0.16, -0.06, -0.10}, {-0.06, 0.21, -0.15}, {-0.10, -0.15, 0.25}};
  gsl_vector *p = fx_vector(pv, 3);
  gsl_matrix *J = gsl_matrix_alloc(3, 3);
  gsl_matrix_set_all(J, 123.456); /* whatever was there is overwritten */
  ck_assert_int_eq(gv_softmax_jacobian(p, J), GSL_SUCCESS);
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 3; j++)
      ck_assert_double_eq_tol(gsl_matrix_get(J, i, j), Jv[i][j], 1e-16);
  gsl_vector_free(p);
  gsl_matrix_free(J);
}
END_TEST

START_TEST(test_jacobian_n3)
{
  gsl_vector *a = fx_vector(A3, 3), *p = gsl_vector_alloc(3);
  gsl_matrix *J = gsl_matrix_alloc(3, 3);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  ck_assert_int_eq(gv_softmax_jacobian(p, J), GSL_SUCCESS);
  /* By hand: J(i, i) = p_i (1 - p_i), J(i, j) = -p_i p_j. */
  const double p0 = P3[0], p1 = P3[1], p2 = P3[2];
  const double want[3][3] = {{p0 * (1.0 - p0), -p0 * p1, -p0 * p2},
                             {-p1 * p0, p1 * (1.0 - p1), -p1 * p2},
                             {-p2 * p0, -p2 * p1, p2 * (1.0 - p2)}};
  for (size_t i = 0; i < 3; i++) {
    double rowsum = 0.0;
    for (size_t j = 0; j < 3; j++) {
      ck_assert_double_eq_tol(gsl_matrix_get(J, i, j), want[i][j], 1e-15);
      ck_assert_double_eq(gsl_matrix_get(J, i, j), gsl_matrix_get(J, j, i));
      rowsum += gsl_matrix_get(J, i, j);
    }
    /* J 1 = p - p (1^T p) = 0: shifting every logit changes nothing. */
    ck_assert_double_eq_tol(rowsum, 0.0, 1e-16);
  }
  gsl_vector_free(a);
  gsl_vector_free(p);
  gsl_matrix_free(J);
}
END_TEST

/* Randomized: the Jacobian against the derivative of softmax by central differences. */
START_TEST(test_jacobian_random)
{
  gsl_vector *a = random_logits(_i, 4.0);
  size_t n = a->size;
  gsl_vector *p = gsl_vector_alloc(n), *pp = gsl_vector_alloc(n), *pm = gsl_vector_alloc(n);
  gsl_matrix *J = gsl_matrix_alloc(n, n);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  ck_assert_int_eq(gv_softmax_jacobian(p, J), GSL_SUCCESS);
  const double h = 1e-5;
  for (size_t i = 0; i < n; i++) {
    double ai = gsl_vector_get(a, i);
    gsl_vector_set(a, i, ai + h);
    gv_softmax(a, pp);
    gsl_vector_set(a, i, ai - h);
    gv_softmax(a, pm);
    gsl_vector_set(a, i, ai);
    /* Denominator layout: row i holds dp_j/da_i (J is symmetric anyway). */
    for (size_t j = 0; j < n; j++) {
      double fd = (gsl_vector_get(pp, j) - gsl_vector_get(pm, j)) / (2.0 * h);
      ck_assert_double_eq_tol(gsl_matrix_get(J, i, j), fd, 1e-9);
    }
  }
  gsl_vector_free(a);
  gsl_vector_free(p);
  gsl_vector_free(pp);
  gsl_vector_free(pm);
  gsl_matrix_free(J);
}
END_TEST

/* ---- Errors ---- */

START_TEST(test_softmax_badlen)
{
  gsl_vector *a = fx_vector(A3, 3), *p = gsl_vector_alloc(2);
  ck_assert_int_eq(gv_softmax(a, p), GSL_EBADLEN);
  gsl_vector_free(p);
  p = gsl_vector_alloc(4);
  ck_assert_int_eq(gv_softmax(a, p), GSL_EBADLEN);
  gsl_vector_free(a);
  gsl_vector_free(p);
}
END_TEST

START_TEST(test_empty)
{
  /* A zero-length vector, made by hand (gsl_vector_alloc(0) is not portable). */
  gsl_vector empty = {0, 1, NULL, NULL, 0};
  double lse = 42.0;
  ck_assert_int_eq(gv_logsumexp(&empty, &lse), GSL_EINVAL);
  ck_assert_int_eq(gv_softmax(&empty, &empty), GSL_EINVAL);
}
END_TEST

START_TEST(test_jacobian_badlen)
{
  gsl_vector *p = fx_vector(P3, 3);
  gsl_matrix *J32 = gsl_matrix_alloc(3, 2), *J23 = gsl_matrix_alloc(2, 3);
  gsl_matrix *J22 = gsl_matrix_alloc(2, 2), *J44 = gsl_matrix_alloc(4, 4);
  ck_assert_int_eq(gv_softmax_jacobian(p, J32), GSL_EBADLEN);
  ck_assert_int_eq(gv_softmax_jacobian(p, J23), GSL_EBADLEN);
  ck_assert_int_eq(gv_softmax_jacobian(p, J22), GSL_EBADLEN);
  ck_assert_int_eq(gv_softmax_jacobian(p, J44), GSL_EBADLEN);
  gsl_vector_free(p);
  gsl_matrix_free(J32);
  gsl_matrix_free(J23);
  gsl_matrix_free(J22);
  gsl_matrix_free(J44);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("softmax");

  TCase *core = tcase_create("Core");
  tcase_add_test(core, test_softmax_values);
  tcase_add_test(core, test_softmax_alias);
  tcase_add_test(core, test_softmax_single);
  tcase_add_test(core, test_logsumexp_value);
  tcase_add_loop_test(core, test_softmax_random, 0, NRANDOM);
  tcase_add_loop_test(core, test_logsumexp_random, 0, NRANDOM);
  suite_add_tcase(s, core);

  TCase *limits = tcase_create("Limits");
  tcase_add_test(limits, test_softmax_huge);
  tcase_add_test(limits, test_softmax_tiny);
  tcase_add_test(limits, test_softmax_minus_inf);
  tcase_add_loop_test(limits, test_logsumexp_huge, 0,
                      (int)(sizeof huge_rows / sizeof huge_rows[0]));
  tcase_add_test(limits, test_logsumexp_nonfinite);
  suite_add_tcase(s, limits);

  TCase *jac = tcase_create("Jacobian");
  tcase_add_test(jac, test_jacobian_literal);
  tcase_add_test(jac, test_jacobian_n3);
  tcase_add_loop_test(jac, test_jacobian_random, 0, NRANDOM);
  suite_add_tcase(s, jac);

  TCase *errors = tcase_create("Errors");
  tcase_add_test(errors, test_softmax_badlen);
  tcase_add_test(errors, test_empty);
  tcase_add_test(errors, test_jacobian_badlen);
  suite_add_tcase(s, errors);

  return s;
}
