/* check_nomem.c: every allocation of a check failing in turn.
 *
 * This executable compiles the library's own sources (lib/meson.build's
 * gv_api_sources, over the static numeric and compare modules) and is linked
 * with -Wl,--wrap=malloc,--wrap=calloc: the linker sends their calls, and this
 * file's, to __wrap_malloc and __wrap_calloc below (the installed shared
 * library could not be wrapped so). Armed with k, the k-th allocation returns
 * NULL. For k = 1 .. the number of allocations an unfailed call makes, each
 * call must return GSL_ENOMEM and leave the outcome empty, or (a worker's
 * copies given up: fewer threads, the same numbers) GSL_SUCCESS with the
 * outcome of the unfailed call; and every block it allocated must be freed.
 * Blocks are tracked from allocation to free(), gsl_vector_free,
 * gsl_matrix_free or gsl_rng_free (also wrapped: GSL's own frees inside
 * libgsl are not). GSL's error handler must stay silent (check_main.c). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "fixtures.h"
#include "gradverify.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void __real_free(void *p);
void __real_gsl_vector_free(gsl_vector *v);
void __real_gsl_matrix_free(gsl_matrix *m);
void __real_gsl_rng_free(gsl_rng *r);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void __wrap_free(void *p);
void __wrap_gsl_vector_free(gsl_vector *v);
void __wrap_gsl_matrix_free(gsl_matrix *m);
void __wrap_gsl_rng_free(gsl_rng *r);

/* ---- The allocator under test's control ---- */

#define MAX_LIVE 4096

static struct {
  pthread_mutex_t lock;
  int tracking;   /* count and track allocations */
  size_t count;   /* allocations since arm() */
  size_t fail_at; /* the allocation that fails (1-based); 0: none */
  size_t nlive;   /* tracked blocks not yet freed */
  void *live[MAX_LIVE];
} heap = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void arm(size_t fail_at)
{
  pthread_mutex_lock(&heap.lock);
  heap.tracking = 1;
  heap.count = 0;
  heap.fail_at = fail_at;
  heap.nlive = 0;
  pthread_mutex_unlock(&heap.lock);
}

/* Stops counting; returns the allocations made since arm(). */
static size_t disarm(void)
{
  pthread_mutex_lock(&heap.lock);
  heap.tracking = 0;
  size_t n = heap.count;
  pthread_mutex_unlock(&heap.lock);
  return n;
}

/* Whether this allocation is to fail; otherwise records p once allocated. */
static int next_fails(void)
{
  pthread_mutex_lock(&heap.lock);
  int fail = heap.tracking && ++heap.count == heap.fail_at;
  pthread_mutex_unlock(&heap.lock);
  return fail;
}

static void *track(void *p)
{
  pthread_mutex_lock(&heap.lock);
  if (p && heap.tracking && heap.nlive < MAX_LIVE)
    heap.live[heap.nlive++] = p;
  pthread_mutex_unlock(&heap.lock);
  return p;
}

static void forget(void *p)
{
  pthread_mutex_lock(&heap.lock);
  for (size_t i = 0; p && i < heap.nlive; i++)
    if (heap.live[i] == p) {
      heap.live[i] = heap.live[--heap.nlive];
      break;
    }
  pthread_mutex_unlock(&heap.lock);
}

void *__wrap_malloc(size_t n)
{
  return next_fails() ? NULL : track(__real_malloc(n));
}

void *__wrap_calloc(size_t n, size_t size)
{
  return next_fails() ? NULL : track(__real_calloc(n, size));
}

void __wrap_free(void *p)
{
  forget(p);
  __real_free(p);
}

void __wrap_gsl_vector_free(gsl_vector *v)
{
  if (v) {
    if (v->owner) {
      forget(v->block->data);
      forget(v->block);
    }
    forget(v);
  }
  __real_gsl_vector_free(v);
}

void __wrap_gsl_matrix_free(gsl_matrix *m)
{
  if (m) {
    if (m->owner) {
      forget(m->block->data);
      forget(m->block);
    }
    forget(m);
  }
  __real_gsl_matrix_free(m);
}

void __wrap_gsl_rng_free(gsl_rng *r)
{
  if (r) {
    forget(r->state);
    forget(r);
  }
  __real_gsl_rng_free(r);
}

/* ---- The problems: a gradient on R^4, a Jacobian R^3 -> R^2 ---- */

static double g_f(const gsl_vector *x, void *params)
{
  (void)params;
  return fx_smooth4(x->data);
}

static void g_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  (void)params;
  double d[4];
  fx_smooth4_gradient(x->data, d);
  for (size_t j = 0; j < 4; j++)
    gsl_vector_set(g, j, d[j]);
}

static void g_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
  *f = g_f(x, params);
  g_df(x, params, g);
}

/* sin(1500 x_0) + x_1 x_2 + x_3^2: column 0 is escalated to re-estimation
 * and Ridders (the smooth problem's columns all settle at once). */
static double s_f(const gsl_vector *x, void *params)
{
  const double *a = x->data;
  (void)params;
  return sin(1500.0 * a[0]) + a[1] * a[2] + a[3] * a[3];
}

static void s_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const double *a = x->data;
  (void)params;
  gsl_vector_set(g, 0, 1500.0 * cos(1500.0 * a[0]));
  gsl_vector_set(g, 1, a[2]);
  gsl_vector_set(g, 2, a[1]);
  gsl_vector_set(g, 3, 2.0 * a[3]);
}

static void s_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
  *f = s_f(x, params);
  s_df(x, params, g);
}

static int j_f(const gsl_vector *x, void *params, gsl_vector *fx)
{
  fx_plant none = {0};
  (void)params;
  return fx_F32(&none, x, fx);
}

/* J(i, j) = dF_i / dx_j: fx_F32_jacobian's layout transposed. */
static int j_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  double d[3][2];
  (void)params;
  fx_F32_jacobian(x->data, d);
  for (size_t i = 0; i < 2; i++)
    for (size_t j = 0; j < 3; j++)
      gsl_matrix_set(J, i, j, d[j][i]);
  return GSL_SUCCESS;
}

/* fvv of F32 along v: F0'' = 2 v0 v1 - sin(x2) v2^2, F1'' = exp(x0) v0^2 - 2 v2^2. */
static int j_fvv(const gsl_vector *x, const gsl_vector *v, void *params, gsl_vector *fvv)
{
  const double *a = x->data, *d = v->data;
  (void)params;
  gsl_vector_set(fvv, 0, 2.0 * d[0] * d[1] - sin(a[2]) * d[2] * d[2]);
  gsl_vector_set(fvv, 1, exp(a[0]) * d[0] * d[0] - 2.0 * d[2] * d[2]);
  return GSL_SUCCESS;
}

static const double XG[4] = {0.4, -1.2, 0.7, 2.1}, XJ[3] = {0.3, -0.8, 1.1};

/* ---- The calls ---- */

typedef enum {
  GRADIENT,    /* Ridders, the default */
  CENTRAL,     /* gv_options_central */
  JACOBIAN,    /* Ridders */
  DIRECTIONAL, /* gradient, 3 directions */
  DIR_JAC,     /* Jacobian, 2 directions (u^T J v as a third output) */
  SAMPLED,     /* gradient, 2 of 4 variables drawn, variable 3 named */
  THREADS,     /* gradient, 3 workers */
  DIR_THREADS, /* gradient, 3 directions, 2 workers (their own direction) */
  FVV,         /* gv_check_fvv, 2 random directions */
  ESCALATED,   /* gradient, Ridders, a column escalated */
  ESC_THREADS, /* the same on 2 workers */
  NCALLS
} call_kind;

static const size_t NAMED[] = {3};

static int call(call_kind kind, gv_outcome *out)
{
  gsl_multimin_function_fdf g = {.f = g_f, .df = g_df, .fdf = g_fdf, .n = 4};
  gsl_multimin_function_fdf sharp = {.f = s_f, .df = s_df, .fdf = s_fdf, .n = 4};
  gsl_multifit_nlinear_fdf J = {.f = j_f, .df = j_df, .fvv = j_fvv, .n = 2, .p = 3};
  gsl_vector_const_view xg = gsl_vector_const_view_array(XG, 4);
  gsl_vector_const_view xj = gsl_vector_const_view_array(XJ, 3);
  gv_options o;
  gv_options_init(&o);
  switch (kind) {
  case CENTRAL:
    gv_options_central(&o);
    break;
  case JACOBIAN:
    return gv_check_jacobian(&J, &xj.vector, &o, out);
  case DIRECTIONAL:
    o.directions = 3;
    break;
  case DIR_JAC:
    o.directions = 2;
    return gv_check_jacobian(&J, &xj.vector, &o, out);
  case SAMPLED:
    o.entries = 2;
    o.named = NAMED;
    o.nnamed = 1;
    break;
  case THREADS:
    o.threads = 3;
    break;
  case DIR_THREADS:
    o.directions = 3;
    o.threads = 2;
    break;
  case FVV:
    o.directions = 2;
    return gv_check_fvv(&J, &xj.vector, NULL, &o, out);
  case ESC_THREADS:
    o.threads = 2;
    /* fall through */
  case ESCALATED:
    return gv_check_gradient(&sharp, &xg.vector, &o, out);
  default:
    break;
  }
  return gv_check_gradient(&g, &xg.vector, &o, out);
}

/* Whether a and b hold the same entries, value for value. */
static int same_outcome(const gv_outcome *a, const gv_outcome *b)
{
  if (gv_outcome_size(a) != gv_outcome_size(b) || gv_outcome_nevals(a) != gv_outcome_nevals(b))
    return 0;
  for (size_t k = 0; k < gv_outcome_size(a); k++) {
    gv_entry ea, eb;
    gv_outcome_entry(a, k, &ea);
    gv_outcome_entry(b, k, &eb);
    if (ea.row != eb.row || ea.col != eb.col || ea.numeric != eb.numeric ||
        ea.error_bar != eb.error_bar || ea.passed != eb.passed || ea.smooth != eb.smooth)
      return 0;
  }
  return 1;
}

/* Loop index: a call_kind. Nothing is asserted while armed: Check itself
 * allocates (its messages to the parent process), and is linked statically. */
START_TEST(test_each_allocation_fails)
{
  const call_kind kind = (call_kind)_i;
  gv_outcome *ref = gv_outcome_alloc(), *out = NULL;
  ck_assert_ptr_nonnull(ref);
  arm(0);
  int status = call(kind, ref);
  const size_t nalloc = disarm();
  ck_assert_int_eq(status, GSL_SUCCESS);
  ck_assert_uint_gt(gv_outcome_size(ref), 0);
  ck_assert_uint_gt(nalloc, 0);
  size_t nomem = 0;
  for (size_t k = 1; k <= nalloc; k++) {
    ck_assert_ptr_nonnull(out = gv_outcome_alloc());
    arm(k);
    status = call(kind, out);
    const size_t size = gv_outcome_size(out);
    const int same = status == GSL_SUCCESS && same_outcome(out, ref);
    /* The outcome's own blocks are the caller's: freed here, still tracked. */
    gv_outcome_free(out);
    disarm();
    ck_assert_msg(status == GSL_ENOMEM || same,
                  "call %d, allocation %zu of %zu failing: status %d (%s), %s", (int)kind, k,
                  nalloc, status, gsl_strerror(status),
                  status ? "not GSL_ENOMEM" : "outcome differs from the unfailed call's");
    ck_assert_msg(status != GSL_ENOMEM || size == 0, "call %d, allocation %zu: outcome not empty",
                  (int)kind, k);
    ck_assert_msg(heap.nlive == 0, "call %d, allocation %zu of %zu failing: %zu blocks leaked",
                  (int)kind, k, nalloc, heap.nlive);
    nomem += status == GSL_ENOMEM;
  }
  /* The first allocation of a check is never one it can do without. */
  ck_assert_uint_gt(nomem, 0);
  gv_outcome_free(ref);
}
END_TEST

/* The same for gv_check_taylor, whose result is a plain struct. */
START_TEST(test_taylor_allocation_fails)
{
  gsl_multimin_function_fdf g = {.f = g_f, .df = g_df, .fdf = g_fdf, .n = 4};
  gsl_vector_const_view x = gsl_vector_const_view_array(XG, 4);
  gv_taylor_result ref, res;
  arm(0);
  int status = gv_check_taylor(&g, &x.vector, NULL, 0.0, &ref);
  const size_t nalloc = disarm();
  ck_assert_int_eq(status, GSL_SUCCESS);
  ck_assert_uint_gt(nalloc, 0);
  ck_assert_int_eq(ref.verdict, GV_TAYLOR_PASS);
  for (size_t k = 1; k <= nalloc; k++) {
    arm(k);
    status = gv_check_taylor(&g, &x.vector, NULL, 0.0, &res);
    disarm();
    ck_assert_msg(status == GSL_ENOMEM, "allocation %zu of %zu failing: status %d", k, nalloc,
                  status);
    ck_assert_msg(heap.nlive == 0, "allocation %zu of %zu failing: %zu blocks leaked", k, nalloc,
                  heap.nlive);
  }
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("nomem");
  TCase *tc = tcase_create("Allocations");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, test_each_allocation_fails, 0, NCALLS);
  tcase_add_test(tc, test_taylor_allocation_fails);
  suite_add_tcase(s, tc);
  return s;
}
