/* check_flat.c: gv_flat_probe, the step that grows until f moves.
 *
 * Functions with a known flat region: f0(x) = 1000 + exp(x - 40) (moves where
 * exp(h - 40) reaches an ulp of 1000), f1(x) = 1000 + 1e-30 x (flat at every
 * step up to 1e5), f2(x) = lse(x, -300) - x, 0 to the bit at x = 200 and a
 * difference of two numbers near 200 (its quantum is ulp(200), not ulp(0)),
 * f3 = log of the same 1000 + exp(x - 40) below x = 1 where f is undefined
 * (NaN), a constant 0, and 1000 + 3 max(0, x - 0.3) (a kink at 0.3). Two outputs: output 1 is
 * always 5 x, which moves at once. The variable is restored bit for bit after every probe. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "gv_flat.h"

enum kind { SAT_EXP, LINEAR_TINY, SOFTMAX_FLAT, DOMAIN, ZERO, KINK };

typedef struct {
  enum kind kind;
  const double *x;
  int status; /* returned by every call when non-zero */
} fparams;

static int fn_eval(void *params, gsl_vector *fx)
{
  const fparams *p = params;
  const double x = *p->x;
  double v = 0.0;
  switch (p->kind) {
  case SAT_EXP:
    v = 1000.0 + exp(x - 40.0);
    break;
  case LINEAR_TINY:
    v = 1000.0 + 1e-30 * x;
    break;
  case SOFTMAX_FLAT: {
    double m = fmax(x, -300.0);
    v = m + log(exp(x - m) + exp(-300.0 - m)) - x;
    break;
  }
  case DOMAIN:
    v = x < 1.0 ? NAN : log(1000.0 + exp(x - 40.0));
    break;
  case ZERO:
    break;
  case KINK: /* a dead ReLU unit: flat up to 0.3, slope 3 past it */
    v = 1000.0 + 3.0 * fmax(0.0, x - 0.3);
    break;
  }
  gsl_vector_set(fx, 0, v);
  gsl_vector_set(fx, 1, 5.0 * x);
  return p->status;
}

typedef struct {
  double x;
  fparams p;
  gv_fd_vector fn;
  gsl_vector *f0, *fp, *fm;
} setup;

static void setup_init(setup *s, enum kind k, double x)
{
  *s = (setup){.x = x};
  s->p = (fparams){.kind = k, .x = &s->x};
  s->fn = (gv_fd_vector){.f = fn_eval, .params = &s->p, .m = 2};
  s->f0 = gsl_vector_alloc(2);
  s->fp = gsl_vector_alloc(2);
  s->fm = gsl_vector_alloc(2);
  ck_assert(s->f0 && s->fp && s->fm);
  ck_assert_int_eq(fn_eval(&s->p, s->f0), GSL_SUCCESS);
}

static void setup_free(setup *s)
{
  gsl_vector_free(s->f0);
  gsl_vector_free(s->fp);
  gsl_vector_free(s->fm);
}

static int probe(setup *s, size_t i, double h0, double hmax, gv_flat_result *r)
{
  const double before = s->x;
  int status = gv_flat_probe(&s->fn, &s->x, i, h0, hmax, s->f0, s->fp, s->fm, r);
  ck_assert_int_eq(memcmp(&before, &s->x, sizeof before), 0);
  return status;
}

/* exp(h - 40) reaches ulp(1000) / 2 ~ 5.7e-14 at h ~ 9.5: the bisection
 * must find that step to 1e-3, with a quantum of an ulp or two of 1000 and
 * the resolution their ratio. */
START_TEST(test_moves_where_expected)
{
  setup s;
  setup_init(&s, SAT_EXP, 0.0);
  gv_flat_result r;
  ck_assert_int_eq(probe(&s, 0, 1e-5, 40.0, &r), GSL_SUCCESS);
  const double ulp = nextafter(1000.0, 2000.0) - 1000.0;
  const double first = 40.0 + log(0.5 * ulp);
  ck_assert(r.moved);
  ck_assert_double_le(r.step, first * 1.001);
  ck_assert_double_ge(r.step, first * 0.999);
  ck_assert_double_le(r.quantum, 2.0 * ulp);
  ck_assert_double_ge(r.quantum, 0.5 * ulp);
  ck_assert_double_eq_tol(r.resolution, r.quantum / r.step, 1e-30);
  ck_assert_uint_le(r.nevals, 2 * (7 + GV_FLAT_BISECT));
  setup_free(&s);
}
END_TEST

/* Past a kink f moves by the slope times what is left of the edge's
 * uncertainty: the bisections must take it to a few ulps of the step, so that
 * the quantum is an ulp or two of 1000 and not 3 x 2e-9 x 0.3 (30 bisections,
 * a resolution of 6e-9 where 1e-12 is reachable). */
START_TEST(test_kink_edge)
{
  setup s;
  setup_init(&s, KINK, 0.0);
  gv_flat_result r;
  ck_assert_int_eq(probe(&s, 0, 1e-4, 10.0, &r), GSL_SUCCESS);
  const double ulp = nextafter(1000.0, 2000.0) - 1000.0;
  ck_assert(r.moved);
  ck_assert_double_eq_tol(r.step, 0.3, 0.3e-12);
  ck_assert_double_le(r.quantum, 4.0 * ulp);
  ck_assert_double_le(r.resolution, 1e-11);
  setup_free(&s);
}
END_TEST

/* Never moves up to hmax: the step is the last one tried, the quantum an ulp
 * of f0, and the resolution covers the true slope 1e-30. */
START_TEST(test_never_moves)
{
  setup s;
  setup_init(&s, LINEAR_TINY, 3.0);
  gv_flat_result r;
  ck_assert_int_eq(probe(&s, 0, 1e-4, 1e3, &r), GSL_SUCCESS);
  ck_assert(!r.moved);
  ck_assert_double_eq_tol(r.step, 1e3, 1e-9);
  ck_assert_double_eq(r.quantum, GV_FLAT_ULPS * 1000.0 * DBL_EPSILON);
  ck_assert_double_gt(r.resolution, 1e-30);
  ck_assert_double_lt(r.resolution, 1e-15);
  setup_free(&s);
}
END_TEST

/* f = 0 to the bit but computed as a difference of numbers near 200: the
 * quantum comes from the first move, not from ulp(0). */
START_TEST(test_quantum_of_a_difference)
{
  setup s;
  setup_init(&s, SOFTMAX_FLAT, 200.0);
  ck_assert_double_eq(gsl_vector_get(s.f0, 0), 0.0);
  gv_flat_result r;
  ck_assert_int_eq(probe(&s, 0, 1e-3, 1e4, &r), GSL_SUCCESS);
  ck_assert(r.moved);
  ck_assert_double_ge(r.quantum, 0.5 * 200.0 * DBL_EPSILON);
  ck_assert_double_gt(r.step, 400.0); /* f moves once x - h nears -300 */
  setup_free(&s);
}
END_TEST

/* Output 1 (5 x) moves at the first step: step 0, resolution infinite. */
START_TEST(test_moves_at_once)
{
  setup s;
  setup_init(&s, SAT_EXP, 0.0);
  gv_flat_result r;
  ck_assert_int_eq(probe(&s, 1, 1e-5, 40.0, &r), GSL_SUCCESS);
  ck_assert(r.moved);
  ck_assert_double_eq(r.step, 0.0);
  ck_assert(isinf(r.resolution));
  ck_assert_uint_eq(r.nevals, 2);
  setup_free(&s);
}
END_TEST

/* A step into f's undefined region ends the probe as hmax would. */
START_TEST(test_domain_end)
{
  setup s;
  setup_init(&s, DOMAIN, 2.0);
  gv_flat_result r;
  ck_assert_int_eq(probe(&s, 0, 1e-4, 1e3, &r), GSL_SUCCESS);
  ck_assert(!r.moved);
  ck_assert_double_eq_tol(r.step, 1.0, 1e-12); /* at 10, x - 10 < 1: NaN */
  setup_free(&s);
}
END_TEST

START_TEST(test_errors)
{
  setup s;
  setup_init(&s, ZERO, 1.0);
  gv_flat_result r;
  ck_assert_int_eq(probe(&s, 2, 1e-3, 1.0, &r), GSL_EBADLEN);
  ck_assert_int_eq(probe(&s, 0, 0.0, 1.0, &r), GSL_EINVAL);
  ck_assert_int_eq(probe(&s, 0, 2.0, 1.0, &r), GSL_EINVAL);
  gsl_vector *small = gsl_vector_alloc(1);
  ck_assert_int_eq(gv_flat_probe(&s.fn, &s.x, 0, 1e-3, 1.0, s.f0, small, s.fm, &r), GSL_EBADLEN);
  gsl_vector_free(small);
  s.p.status = GSL_EDOM;
  ck_assert_int_eq(probe(&s, 0, 1e-3, 1.0, &r), GSL_EDOM);
  s.p.status = GSL_SUCCESS;
  /* A constant 0: nothing moves and the quantum is 0, so the resolution is 0. */
  ck_assert_int_eq(probe(&s, 0, 1e-3, 1.0, &r), GSL_SUCCESS);
  ck_assert(!r.moved);
  ck_assert_double_eq(r.resolution, 0.0);
  setup_free(&s);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("flat");
  TCase *tc = tcase_create("Core");
  tcase_add_test(tc, test_moves_where_expected);
  tcase_add_test(tc, test_never_moves);
  tcase_add_test(tc, test_kink_edge);
  tcase_add_test(tc, test_quantum_of_a_difference);
  tcase_add_test(tc, test_moves_at_once);
  tcase_add_test(tc, test_domain_end);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return s;
}
