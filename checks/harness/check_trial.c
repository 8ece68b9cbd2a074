/* check_trial.c: the harness's central difference per entry
 * (gv_trial_central_entry): its error bar covers the error of a function
 * that rounds far above its own eps, and its step follows the function's
 * scale. */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "check_main.h"
#include "gv_trial.h"

/* sin(x) rounded at ulp(1e3) = 1.1e-13: the engine's round-off term (eps |f|)
 * does not see that noise; the measured one must. */
static int noisy_sin(void *params, double *fx)
{
  double x = *(const double *)params;
  volatile double big = 1e3; /* kept: the cancellation is the point */
  *fx = (sin(x) + big) - big;
  return GSL_SUCCESS;
}

START_TEST(noise_covered)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  size_t missed = 0, n = 2000;
  double worst_bar = 0.0;
  for (size_t k = 0; k < n; k++) {
    double x = 10.0 * (2.0 * gsl_rng_uniform(r) - 1.0), x0 = x, f0;
    gv_fd_scalar fn = {noisy_sin, &x};
    noisy_sin(&x, &f0);
    gv_trial_estimate e;
    ck_assert_int_eq(gv_trial_central_entry(&fn, &x, f0, &e), GSL_SUCCESS);
    ck_assert(x == x0); /* restored bit for bit */
    missed += fabs(e.d - cos(x)) > e.err;
    worst_bar = fmax(worst_bar, e.err);
  }
  gsl_rng_free(r);
  /* 26 of 2000 measured; 1017 without the noise term. */
  ck_assert_msg(missed <= n / 20, "error above its bar in %zu of %zu entries", missed, n);
  /* Honest, not vacuous: the noise over the step is ~1e-8, the bars stay near it. */
  ck_assert_double_lt(worst_bar, 1e-5);
}
END_TEST

/* A function varying on a scale far below |x| (exp((x - 500) 50) about
 * x = 500): the step chosen is shorter than cbrt(eps) |x|, and the estimate
 * resolves the derivative to 1e-7. */
static int steep(void *params, double *fx)
{
  double x = *(const double *)params;
  *fx = exp(50.0 * (x - 500.0));
  return GSL_SUCCESS;
}

START_TEST(step_follows_scale)
{
  double x = 500.0, f0;
  gv_fd_scalar fn = {steep, &x};
  steep(&x, &f0);
  gv_trial_estimate e;
  ck_assert_int_eq(gv_trial_central_entry(&fn, &x, f0, &e), GSL_SUCCESS);
  ck_assert_double_lt(e.rel_step, 6e-6);
  ck_assert_double_lt(fabs(e.d - 50.0), 1e-7 * 50.0);
  ck_assert_double_ge(e.err, fabs(e.d - 50.0));
  ck_assert_double_lt(e.err, 1e-7 * 50.0);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("trial");
  TCase *c = tcase_create("Central");
  tcase_add_test(c, noise_covered);
  tcase_add_test(c, step_follows_scale);
  suite_add_tcase(s, c);
  return s;
}
