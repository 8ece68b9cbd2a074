/* check_sample.c: the sampled check (gradverify.h, Sampled mode:
 * opts.entries, opts.named, gv_outcome_miss_probability). The sample comes
 * from the seed (same seed, same variables; another seed, others), holds
 * every named variable, costs evaluations for the checked variables alone
 * (counted by f itself, the same at n = 1,000 and n = 100,000), and catches a
 * planted error at the rate the hypergeometric formula predicts over 1,000
 * seeds; what the outcome prints says so. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "check_main.h"
#include "fixtures.h"
#include "gradverify.h"

/* f(x) = sum_j c_j (x_j - 0.3)^2 / 2 + sin(x_j), c_j = 1 + (j mod 7) / 10,
 * with the gradient wrong (by 1e-3 relative) at the bad entries; f counts its
 * calls (one thread). */
typedef struct {
  const size_t *bad;
  size_t nbad;
  size_t calls;
} fparams;

static double coef(size_t j)
{
  return 1.0 + 0.1 * (double)(j % 7);
}

static double f(const gsl_vector *x, void *params)
{
  fparams *p = params;
  p->calls++;
  double s = 0.0;
  for (size_t j = 0; j < x->size; j++) {
    const double d = gsl_vector_get(x, j) - 0.3;
    s += 0.5 * coef(j) * d * d + sin(gsl_vector_get(x, j));
  }
  return s;
}

static void df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const fparams *p = params;
  for (size_t j = 0; j < x->size; j++)
    gsl_vector_set(g, j, coef(j) * (gsl_vector_get(x, j) - 0.3) + cos(gsl_vector_get(x, j)));
  for (size_t k = 0; k < p->nbad; k++)
    *gsl_vector_ptr(g, p->bad[k]) *= 1.0 + 1e-3;
}

static gsl_vector *point(size_t n)
{
  gsl_vector *x = gsl_vector_alloc(n);
  ck_assert_ptr_nonnull(x);
  for (size_t j = 0; j < n; j++)
    gsl_vector_set(x, j, 1.3 * sin(0.77 * (double)j + 0.21));
  return x;
}

/* The variables an outcome checked, in column order (the caller frees). */
static size_t *checked(const gv_outcome *out, size_t *count)
{
  const size_t c = gv_outcome_cols(out);
  size_t *v = malloc((c ? c : 1) * sizeof *v);
  ck_assert_ptr_nonnull(v);
  gv_entry e;
  for (size_t k = 0; k < c; k++) {
    ck_assert_int_eq(gv_outcome_entry(out, k, &e), GSL_SUCCESS);
    v[k] = e.col;
  }
  *count = c;
  return v;
}

static int holds(const size_t *v, size_t c, size_t j)
{
  for (size_t k = 0; k < c; k++)
    if (v[k] == j)
      return 1;
  return 0;
}

/* One sampled check of n variables, m drawn with seed, named ones given. */
static void sampled(gv_outcome *out, fparams *p, size_t n, size_t m, unsigned long seed,
                    const size_t *named, size_t nnamed, int central)
{
  gsl_vector *x = point(n);
  gsl_multimin_function_fdf fdf = {.f = f, .df = df, .n = n, .params = p};
  gv_options o;
  if (central)
    gv_options_central(&o);
  else
    gv_options_init(&o);
  o.entries = m;
  o.named = named;
  o.nnamed = nnamed;
  o.seed = seed;
  ck_assert_int_eq(gv_check_gradient(&fdf, x, &o, out), GSL_SUCCESS);
  gsl_vector_free(x);
}

START_TEST(test_same_seed_same_sample)
{
  gv_outcome *a = gv_outcome_alloc(), *b = gv_outcome_alloc();
  fparams p = {0};
  sampled(a, &p, 1000, 25, 77, NULL, 0, 0);
  sampled(b, &p, 1000, 25, 77, NULL, 0, 0);
  size_t ca, cb;
  size_t *va = checked(a, &ca), *vb = checked(b, &cb);
  ck_assert_uint_eq(ca, 25);
  ck_assert_uint_eq(cb, 25);
  ck_assert_mem_eq(va, vb, ca * sizeof *va);
  for (size_t k = 1; k < ca; k++)
    ck_assert_msg(va[k - 1] < va[k], "columns not increasing at %zu", k);
  ck_assert_int_eq(gv_outcome_verdict(a), GV_PASS);
  free(vb);
  sampled(b, &p, 1000, 25, 78, NULL, 0, 0);
  vb = checked(b, &cb);
  ck_assert_msg(memcmp(va, vb, ca * sizeof *va) != 0, "seeds 77 and 78 drew the same sample");
  free(va);
  free(vb);
  gv_outcome_free(a);
  gv_outcome_free(b);
}
END_TEST

/* 50 seeds, each with 1 to 12 named variables drawn by the test (repeats
 * included): every named one is checked, the drawn ones are m others. */
START_TEST(test_named_always_checked)
{
  const size_t n = 300, m = 10;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gv_outcome *out = gv_outcome_alloc();
  fparams p = {0};
  gsl_rng_set(r, 4242);
  for (unsigned long seed = 1; seed <= 50; seed++) {
    size_t named[12], nn = 1 + gsl_rng_uniform_int(r, 12), distinct = 0;
    for (size_t k = 0; k < nn; k++) {
      named[k] = k && gsl_rng_uniform_int(r, 4) == 0 ? named[k - 1] : gsl_rng_uniform_int(r, n);
      distinct += !holds(named, k, named[k]);
    }
    sampled(out, &p, n, m, seed, named, nn, 1);
    size_t c;
    size_t *v = checked(out, &c);
    ck_assert_uint_eq(c, m + distinct);
    for (size_t k = 0; k < nn; k++)
      ck_assert_msg(holds(v, c, named[k]), "seed %lu: named %zu not checked", seed, named[k]);
    for (size_t k = 1; k < c; k++)
      ck_assert_msg(v[k - 1] < v[k], "seed %lu: columns not increasing", seed);
    free(v);
  }
  gv_outcome_free(out);
  gsl_rng_free(r);
}
END_TEST

/* The exact miss probability, as a product: C(N - w, m) / C(N, m) =
 * prod_{i < w} (N - m - i) / (N - i). */
static double miss_product(size_t N, size_t m, size_t w)
{
  double p = 1.0;
  for (size_t i = 0; i < w; i++)
    p *= i + m >= N ? 0.0 : (double)(N - m - i) / (double)(N - i);
  return p;
}

/* Errors planted in w unnamed variables (and one named variable right) over
 * 1,000 seeds: the check fails exactly when the sample holds a wrong
 * variable, and the number of catches lies within 5 standard deviations of
 * what gv_outcome_miss_probability predicts, which is the product formula.
 * Loop index: w = 1 (a single wrong entry, placed last) or 10. */
START_TEST(test_catch_rate_as_predicted)
{
  const size_t n = 200, m = 20, seeds = 1000;
  static const size_t bad10[] = {3, 19, 44, 80, 81, 120, 150, 151, 176, 199};
  static const size_t bad1[] = {199}, named[] = {7};
  fparams p = {.bad = _i ? bad10 : bad1, .nbad = _i ? 10 : 1};
  gv_outcome *out = gv_outcome_alloc();
  size_t caught = 0;
  double predicted = -1.0;
  for (unsigned long seed = 1; seed <= seeds; seed++) {
    sampled(out, &p, n, m, seed, named, 1, 1);
    size_t c, hit = 0;
    size_t *v = checked(out, &c);
    for (size_t k = 0; k < p.nbad; k++)
      hit |= holds(v, c, p.bad[k]);
    free(v);
    const int failed = gv_outcome_verdict(out) == GV_FAIL;
    ck_assert_msg(failed == (int)hit, "seed %lu: verdict %d, wrong variable drawn %zu", seed,
                  failed, hit);
    caught += failed;
    const double q = (double)p.nbad / (double)n; /* ceil(q n) = nbad */
    predicted = 1.0 - gv_outcome_miss_probability(out, q);
  }
  const double exact = 1.0 - miss_product(n - 1, m, p.nbad);
  ck_assert_double_eq_tol(predicted, exact, 1e-12);
  const double mean = exact * (double)seeds, sd = sqrt(mean * (1.0 - exact));
  ck_assert_msg(fabs((double)caught - mean) <= 5.0 * sd,
                "%zu wrong: caught in %zu of %zu seeds, predicted %.1f +- %.1f", p.nbad, caught,
                seeds, mean, sd);
  gv_outcome_free(out);
}
END_TEST

/* Cost: f's own count of calls is the outcome's evaluations plus the
 * contract's one call, and within the bound of m + 2 variables (defaults at
 * most 70 each + 1, central 20 + 1) at n = 1,000 and at n = 100,000, where
 * the full check would cost 4n + 1 = 400,001 at least. Loop index: central. */
START_TEST(test_cost_is_o_of_m)
{
  const size_t m = 30, per = _i ? 20 : 70;
  static const size_t named[] = {5, 999};
  const size_t ns[2] = {1000, 100000};
  gv_outcome *out = gv_outcome_alloc();
  for (int k = 0; k < 2; k++) {
    fparams p = {0};
    sampled(out, &p, ns[k], m, 3, named, 2, _i);
    const size_t nevals = gv_outcome_nevals(out);
    ck_assert_uint_eq(p.calls, nevals + 1);
    ck_assert_uint_eq(gv_outcome_cols(out), m + 2);
    ck_assert_uint_ge(nevals, 4 * (m + 2) + 1);
    ck_assert_uint_le(nevals, per * (m + 2) + 1);
  }
  gv_outcome_free(out);
}
END_TEST

START_TEST(test_printout_and_probabilities)
{
  gv_outcome *out = gv_outcome_alloc();
  fparams p = {0};
  static const size_t named[] = {1, 2};
  sampled(out, &p, 1000, 40, 9, named, 2, 1);
  const size_t N = 998;
  ck_assert_double_eq_tol(gv_outcome_miss_probability(out, 0.0), 1.0 - 40.0 / (double)N, 1e-12);
  ck_assert_double_eq_tol(gv_outcome_miss_probability(out, 0.01), miss_product(N, 40, 10), 1e-12);
  ck_assert(gv_outcome_miss_probability(out, 0.01) <= pow(0.99, 40));
  ck_assert(isnan(gv_outcome_miss_probability(out, 1.5)));
  ck_assert(isnan(gv_outcome_miss_probability(out, -0.1)));
  char *buf = fx_printout(out);
  ck_assert_msg(strstr(buf, "sampled: 42 of 1000 variables checked (40 drawn without replacement "
                            "with seed 9, 2 named); the other 958 were not") != NULL,
                "%s", buf);
  char line[160];
  snprintf(line, sizeof line,
           "  10 wrong (q = 0.01 of the variables): %.4g (at most (1 - q)^m = %.4g)",
           miss_product(N, 40, 10), pow(0.99, 40));
  ck_assert_msg(strstr(buf, line) != NULL, "no '%s' in\n%s", line, buf);
  free(buf);
  gv_outcome_free(out);
}
END_TEST

/* A full check guarantees every variable (0); directions are not variables
 * (NaN); entries + named covering x, exactly or more, is a full check. */
START_TEST(test_full_and_directional)
{
  gv_outcome *out = gv_outcome_alloc();
  fparams p = {0};
  sampled(out, &p, 50, 0, 1, NULL, 0, 1);
  ck_assert_double_eq(gv_outcome_miss_probability(out, 0.0), 0.0);
  char *full = fx_printout(out);
  sampled(out, &p, 50, 50, 1, NULL, 0, 1);
  ck_assert_uint_eq(gv_outcome_cols(out), 50);
  ck_assert_double_eq(gv_outcome_miss_probability(out, 0.0), 0.0);
  /* Exactly covered, 48 drawn and 2 named: the full check, printed as one. */
  static const size_t two[] = {3, 7};
  sampled(out, &p, 50, 48, 1, two, 2, 1);
  char *covered = fx_printout(out);
  ck_assert_msg(strcmp(covered, full) == 0, "48 drawn + 2 named of 50:\n%s\nfull:\n%s", covered,
                full);
  free(full);
  free(covered);
  gsl_vector *x = point(50);
  gsl_multimin_function_fdf fdf = {.f = f, .df = df, .n = 50, .params = &p};
  gv_options o;
  gv_options_init(&o);
  o.directions = 4;
  ck_assert_int_eq(gv_check_gradient(&fdf, x, &o, out), GSL_SUCCESS);
  ck_assert(isnan(gv_outcome_miss_probability(out, 0.0)));
  ck_assert(isnan(gv_outcome_miss_probability(NULL, 0.0)));
  gsl_vector_free(x);
  gv_outcome_free(out);
}
END_TEST

/* Loop index: a named index out of range (the second, or the first with x
 * not finite as well: GSL_EINVAL comes first in the header's list of
 * errors), named NULL with nnamed 1, sampled with directions: GSL_EINVAL and
 * an empty outcome. */
START_TEST(test_invalid_options)
{
  gv_outcome *out = gv_outcome_alloc();
  fparams p = {0};
  gsl_vector *x = point(20);
  gsl_multimin_function_fdf fdf = {.f = f, .df = df, .n = 20, .params = &p};
  static const size_t far[] = {3, 20}, far_first[] = {20, 3};
  gv_options o;
  gv_options_init(&o);
  o.entries = 5;
  if (_i == 0 || _i == 3) {
    o.named = _i ? far_first : far;
    o.nnamed = 2;
    if (_i == 3)
      gsl_vector_set(x, 7, INFINITY);
  } else if (_i == 1)
    o.nnamed = 1;
  else
    o.directions = 3;
  ck_assert_int_eq(gv_check_gradient(&fdf, x, &o, out), GSL_EINVAL);
  ck_assert_uint_eq(gv_outcome_size(out), 0);
  gsl_vector_free(x);
  gv_outcome_free(out);
}
END_TEST

/* A Jacobian sample: residuals r_i = sum_j (i + 1) sin(x_j) x_i; the sampled
 * columns' analytic values and numeric ones agree with the full check's. */
static double sum_sin(const gsl_vector *x)
{
  double s = 0.0;
  for (size_t j = 0; j < x->size; j++)
    s += sin(gsl_vector_get(x, j));
  return s;
}

static int jf(const gsl_vector *x, void *params, gsl_vector *r)
{
  (void)params;
  const double s = sum_sin(x);
  for (size_t i = 0; i < r->size; i++)
    gsl_vector_set(r, i, (double)(i + 1) * s * gsl_vector_get(x, i));
  return GSL_SUCCESS;
}

static int jdf(const gsl_vector *x, void *params, gsl_matrix *J)
{
  (void)params;
  const double s = sum_sin(x);
  for (size_t i = 0; i < J->size1; i++)
    for (size_t j = 0; j < J->size2; j++)
      gsl_matrix_set(J, i, j,
                     (double)(i + 1) *
                         (cos(gsl_vector_get(x, j)) * gsl_vector_get(x, i) + (i == j ? s : 0.0)));
  return GSL_SUCCESS;
}

START_TEST(test_jacobian_sample)
{
  gsl_vector *x = point(40);
  gsl_multifit_nlinear_fdf fdf = {.f = jf, .df = jdf, .n = 6, .p = 40};
  gv_outcome *full = gv_outcome_alloc(), *out = gv_outcome_alloc();
  gv_options o;
  gv_options_central(&o);
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, &o, full), GSL_SUCCESS);
  static const size_t named[] = {3};
  o.entries = 7;
  o.named = named;
  o.nnamed = 1;
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, &o, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_rows(out), 6);
  ck_assert_uint_eq(gv_outcome_cols(out), 8);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  gv_entry e, ef;
  for (size_t k = 0; k < gv_outcome_size(out); k++) {
    ck_assert_int_eq(gv_outcome_entry(out, k, &e), GSL_SUCCESS);
    ck_assert_int_eq(gv_outcome_entry(full, e.row * 40 + e.col, &ef), GSL_SUCCESS);
    ck_assert(ef.row == e.row && ef.col == e.col);
    ck_assert_double_eq(e.analytic, ef.analytic);
    ck_assert_double_eq_tol(e.numeric, ef.numeric, e.error_bar + ef.error_bar);
  }
  gv_outcome_free(full);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("sample");
  TCase *tc = tcase_create("Core");
  tcase_add_test(tc, test_same_seed_same_sample);
  tcase_add_test(tc, test_named_always_checked);
  tcase_add_loop_test(tc, test_catch_rate_as_predicted, 0, 2);
  tcase_add_loop_test(tc, test_cost_is_o_of_m, 0, 2);
  tcase_add_test(tc, test_printout_and_probabilities);
  tcase_add_test(tc, test_full_and_directional);
  tcase_add_loop_test(tc, test_invalid_options, 0, 4);
  tcase_add_test(tc, test_jacobian_sample);
  suite_add_tcase(s, tc);
  return s;
}
