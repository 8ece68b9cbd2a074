/* check_saturation.c: functions flat to the last bit (gv_flat.h, wired into
 * the checks by gv_check_flat).
 *
 * The two targets of the issue, as tests:
 * - NIST's BoxBOD at (b1, b2) = (1000, 7.5): row 4's derivative in b2 is
 *   ~1e-19 and the residual ~787, flat to the bit at the usual steps. The
 *   right Jacobian passes, one with J(4, 1) off by 1e-6 of max|J(4, :)| fails,
 *   and the resolution reached on that entry (its error bar) is below 1e-11
 *   (1.8e-7 at the first step, 4.5e-5, before the step grew).
 * - Softmax cross-entropy at logits U(-500, 500) (bench_detect's large-logit
 *   regime), one-hot labels: no right gradient fails under the defaults, no
 *   opts.atol; and where the loss is not saturated (max|g| >= 1e-3) one entry
 *   off by 1e-6 max|g| is caught every time. */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "check_main.h"
#include "gradverify.h"
#include "gv_softmax.h"
#include "gv_xent.h"

#define SEED 20241128UL
#define LOGIT_TRIALS 300

static const double boxbod_t[6] = {1.0, 2.0, 3.0, 5.0, 7.0, 10.0};
static const double boxbod_y[6] = {109.0, 149.0, 149.0, 191.0, 213.0, 224.0};

static int boxbod_f(const gsl_vector *x, void *params, gsl_vector *r)
{
  (void)params;
  for (size_t i = 0; i < 6; i++)
    gsl_vector_set(r, i,
                   gsl_vector_get(x, 0) * (1.0 - exp(-gsl_vector_get(x, 1) * boxbod_t[i])) -
                       boxbod_y[i]);
  return GSL_SUCCESS;
}

/* params: the corruption of J(4, 1), relative to max|J(4, :)|. */
static int boxbod_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  for (size_t i = 0; i < 6; i++) {
    double e = exp(-gsl_vector_get(x, 1) * boxbod_t[i]);
    gsl_matrix_set(J, i, 0, 1.0 - e);
    gsl_matrix_set(J, i, 1, gsl_vector_get(x, 0) * boxbod_t[i] * e);
  }
  double row = fmax(fabs(gsl_matrix_get(J, 4, 0)), fabs(gsl_matrix_get(J, 4, 1)));
  *gsl_matrix_ptr(J, 4, 1) += *(const double *)params * row;
  return GSL_SUCCESS;
}

START_TEST(test_boxbod)
{
  double xs[2] = {1000.0, 7.5};
  gsl_vector_view x = gsl_vector_view_array(xs, 2);
  gv_outcome *out = gv_outcome_alloc();
  const double bumps[2] = {0.0, 1e-6};
  for (int k = 0; k < 2; k++) {
    gsl_multifit_nlinear_fdf fdf = {
        .f = boxbod_f, .df = boxbod_df, .n = 6, .p = 2, .params = (void *)&bumps[k]};
    ck_assert_int_eq(gv_check_jacobian(&fdf, &x.vector, NULL, out), GSL_SUCCESS);
    gv_entry e;
    ck_assert_int_eq(gv_outcome_entry(out, 4 * 2 + 1, &e), GSL_SUCCESS);
    if (k == 0 && gv_outcome_verdict(out) != GV_PASS)
      gv_outcome_fprintf(stderr, out);
    ck_assert_int_eq(gv_outcome_verdict(out), k ? GV_FAIL : GV_PASS);
    ck_assert_int_eq(e.passed, !k);
    ck_assert_double_eq(e.numeric, 0.0);
    ck_assert_double_lt(e.error_bar, 1e-11);
    ck_assert_double_gt(e.error_bar, 0.0);
    ck_assert_double_gt(e.step, 1e4 * 4.5e-5); /* the step grew */
    ck_assert_uint_eq(gv_outcome_nfail(out), (size_t)k);
  }
  gv_outcome_free(out);
}
END_TEST

typedef struct {
  gsl_vector *y, *p;
  size_t bad;
  double add; /* added to g_bad */
} xent;

static double xent_f(const gsl_vector *a, void *params)
{
  const xent *c = params;
  double L = NAN;
  gv_xent_loss_logits(c->y, a, &L);
  return L;
}

static void xent_df(const gsl_vector *a, void *params, gsl_vector *g)
{
  const xent *c = params;
  gv_softmax(a, c->p);
  gv_xent_grad_logits(c->y, c->p, g);
  *gsl_vector_ptr(g, c->bad) += c->add;
}

START_TEST(test_large_logits)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED);
  gv_outcome *out = gv_outcome_alloc();
  size_t false_fail = 0, corrupted = 0, caught = 0, saturated = 0;
  for (int t = 0; t < LOGIT_TRIALS; t++) {
    const size_t n = 2 + gsl_rng_uniform_int(r, 9);
    gsl_vector *a = gsl_vector_alloc(n), *g = gsl_vector_alloc(n);
    xent c = {.y = gsl_vector_calloc(n), .p = gsl_vector_alloc(n)};
    for (size_t i = 0; i < n; i++)
      gsl_vector_set(a, i, -500.0 + 1000.0 * gsl_rng_uniform(r));
    gsl_vector_set(c.y, gsl_rng_uniform_int(r, n), 1.0);
    gsl_multimin_function_fdf fdf = {.f = xent_f, .df = xent_df, .n = n, .params = &c};
    ck_assert_int_eq(gv_check_gradient(&fdf, a, NULL, out), GSL_SUCCESS);
    if (gv_outcome_verdict(out) != GV_PASS) {
      false_fail++;
      gv_outcome_fprintf(stderr, out);
    }
    xent_df(a, &c, g);
    double gmax = fmax(gsl_vector_max(g), -gsl_vector_min(g));
    if (gmax >= 1e-3) {
      c.bad = gsl_rng_uniform_int(r, n);
      c.add = (gsl_rng_uniform_int(r, 2) ? 1e-6 : -1e-6) * gmax;
      ck_assert_int_eq(gv_check_gradient(&fdf, a, NULL, out), GSL_SUCCESS);
      corrupted++;
      caught += gv_outcome_verdict(out) == GV_FAIL;
    } else
      saturated++;
    gsl_vector_free(a);
    gsl_vector_free(g);
    gsl_vector_free(c.y);
    gsl_vector_free(c.p);
  }
  ck_assert_msg(false_fail == 0, "%zu of %d right gradients failed", false_fail, LOGIT_TRIALS);
  ck_assert_uint_gt(saturated, LOGIT_TRIALS / 10); /* the regime does saturate */
  ck_assert_uint_gt(corrupted, LOGIT_TRIALS / 2);
  ck_assert_msg(caught == corrupted, "1e-6 max|g| caught in %zu of %zu", caught, corrupted);
  gv_outcome_free(out);
  gsl_rng_free(r);
}
END_TEST

/* A staircase that Ridders' noise probe cannot see: bench_detect's
 * large-logit trial 406 (seed 20240801 + 3), label 8 the largest logit. The
 * loss lse - a_8 is computed as (a_8 + log(1 + s)) - a_8, so it moves in
 * steps of ulp(454.7) = 5.7e-14 while its derivative in a_5 is 5.4e-7;
 * Ridders' noise probe there advances f by about 9.08 of those steps per
 * point, its rounding error grows linearly over the ten points, its fourth
 * differences vanish, and Ridders took its estimate (8e-16) for its error,
 * 3e4 times below the true one (2.6e-11, the staircase seen over Ridders'
 * step). The central estimate, off by 1e-11 within its bar 2.8e-11, agreed
 * within twice the sum of the two and the right gradient failed. Where
 * Ridders saw no noise, its error is now at least the central error bar
 * carried to its step (as noise, e_central h_central / h_ridders, 1e-11
 * here); the
 * entry still fails when off by 1e-3 of itself. */
START_TEST(test_staircase_noise)
{
  static const double logits[9] = {46.451893867924809, 424.73304527811706,  431.84578022919595,
                                   366.43627262674272, 90.06544342264533,   440.2454390656203,
                                   434.87285450100899, -356.86356644146144, 454.67545092105865};
  gsl_vector_const_view a = gsl_vector_const_view_array(logits, 9);
  xent c = {.y = gsl_vector_calloc(9), .p = gsl_vector_alloc(9), .bad = 5};
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(c.y && c.p && out);
  gsl_vector_set(c.y, 8, 1.0);
  gsl_multimin_function_fdf fdf = {.f = xent_f, .df = xent_df, .n = 9, .params = &c};
  ck_assert_int_eq(gv_check_gradient(&fdf, &a.vector, NULL, out), GSL_SUCCESS);
  if (gv_outcome_verdict(out) != GV_PASS)
    gv_outcome_fprintf(stderr, out);
  ck_assert(gv_outcome_verdict(out) == GV_PASS);
  gv_entry e;
  ck_assert_int_eq(gv_outcome_entry(out, 5, &e), GSL_SUCCESS);
  c.add = 1e-3 * e.analytic;
  ck_assert_int_eq(gv_check_gradient(&fdf, &a.vector, NULL, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_nfail(out), 1);
  ck_assert_int_eq(gv_outcome_worst(out, &e), GSL_SUCCESS);
  ck_assert_uint_eq(e.col, 5);
  gv_outcome_free(out);
  gsl_vector_free(c.y);
  gsl_vector_free(c.p);
}
END_TEST

/* f = (B + sum_j x_j^2) - B, summed in that order: a staircase in steps of
 * ulp(B) under a smooth f, as any difference of large terms is. Ridders'
 * noise probe (ten points a power of two apart) can see its rounding grow
 * linearly and measure no noise, in some entries, while the tableau's steps
 * see it whole: its last rows extrapolated it, 2.5e-9 off against a bar of
 * 7.4e-11 (B = 8192; 2, 7, 9 of these 300 right gradients failed at B =
 * 1024, 8192, 65536). None may fail. One entry off by 1e-2 of itself is
 * caught in 95% of the trials at least (300, 299, 295; before the fix 297,
 * 288, 292): where it is missed the numeric estimate's error bar is as
 * large as the entry, honest but weak. */
typedef struct {
  double big, add;
  size_t bad;
} stair;

static double stair_f(const gsl_vector *x, void *params)
{
  volatile double s = ((const stair *)params)->big;
  for (size_t j = 0; j < x->size; j++)
    s += gsl_vector_get(x, j) * gsl_vector_get(x, j);
  return s - ((const stair *)params)->big;
}

static void stair_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const stair *c = params;
  for (size_t j = 0; j < x->size; j++)
    gsl_vector_set(g, j, 2.0 * gsl_vector_get(x, j) + (j == c->bad ? c->add : 0.0));
}

static void stair_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
  *f = stair_f(x, params);
  stair_df(x, params, g);
}

#define STAIR_TRIALS 300
#define STAIR_N 10

START_TEST(test_staircase_sum)
{
  static const double bigs[3] = {1024.0, 8192.0, 65536.0};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_vector *x = gsl_vector_alloc(STAIR_N);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(r && x && out);
  stair c = {.big = bigs[_i], .bad = STAIR_N};
  gsl_multimin_function_fdf fdf = {
      .f = stair_f, .df = stair_df, .fdf = stair_fdf, .n = STAIR_N, .params = &c};
  size_t false_fail = 0, caught = 0;
  for (int t = 0; t < STAIR_TRIALS; t++) {
    for (size_t j = 0; j < STAIR_N; j++)
      gsl_vector_set(x, j, 0.3 + 0.7 * gsl_rng_uniform(r));
    c.bad = STAIR_N;
    ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
    false_fail += gv_outcome_verdict(out) != GV_PASS;
    c.bad = (size_t)t % STAIR_N;
    c.add = 2e-2 * gsl_vector_get(x, c.bad);
    ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
    caught += gv_outcome_verdict(out) == GV_FAIL;
  }
  ck_assert_msg(false_fail == 0, "B = %g: %zu of %d right gradients failed", c.big, false_fail,
                STAIR_TRIALS);
  ck_assert_msg(caught >= STAIR_TRIALS - STAIR_TRIALS / 20, "B = %g: 1e-2 caught in %zu of %d",
                c.big, caught, STAIR_TRIALS);
  gv_outcome_free(out);
  gsl_vector_free(x);
  gsl_rng_free(r);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("saturation");
  TCase *tc = tcase_create("Core");
  tcase_add_test(tc, test_boxbod);
  tcase_add_test(tc, test_large_logits);
  tcase_add_test(tc, test_staircase_noise);
  tcase_add_loop_test(tc, test_staircase_sum, 0, 3);
  suite_add_tcase(s, tc);
  return s;
}
