/* check_threads.c: opts.threads (gradverify.h, Threads). For reentrant
 * functions, gradients and Jacobians, passing and failing, with kinks, noise
 * (pooled per row), flat entries, directional and sampled modes and both
 * methods: the outcome at T = 2, 3, 8 and SIZE_MAX (as many as columns)
 * threads must equal the one at T = 1 field by field, bit for bit (every
 * entry's every field, the counts, the evaluations, the tolerances, the
 * worst entry, the contract and the printout), and the evaluations must
 * really be spread over threads. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "fixtures.h"
#include "gradverify.h"

/* The test functions: params are read only, scratch lives on the stack. The
 * shared writes are atomic: whether f ran off the main thread, and the main
 * thread's calls, for the rendezvous below. */
typedef struct {
  int kind;
  size_t n;
  size_t bad;            /* entry whose gradient is wrong; n for none */
  pthread_t main;        /* the thread that starts the check */
  int rendezvous;        /* wait for another thread (below) */
  atomic_int others;     /* f ran on another thread */
  atomic_int main_calls; /* f's calls on the main thread */
} fn_params;

enum { SMOOTH, KINKS, NOISY, FLAT, NET, NKINDS };
static const char *const KIND_NAME[NKINDS] = {"smooth", "kinks", "noisy", "flat", "net"};

/* The network of NET: 6 inputs, 7 hidden ReLU units, 3 classes, packed as
 * [W (7x6), b1, V (3x7), b2]; n = 42 + 7 + 21 + 3 = 73. */
#define ND 6
#define NH 7
#define NK 3
#define NET_N (NH * ND + NH + NK * NH + NK)

static const double net_in[ND] = {0.31, -0.72, 0.55, 0.18, -0.43, 0.9};

/* With threads, the main thread is worker 0 and may take every column of a
 * cheap f before another thread starts. So that the test sees the work
 * shared, the main thread's third call of f (the first of the parallel
 * part: the contract's f and f(x) come before it) waits up to 5 s for a call
 * on another thread; without threads it waits the 5 s and the test fails. */
static void note_thread(fn_params *p)
{
  if (!pthread_equal(pthread_self(), p->main)) {
    atomic_store(&p->others, 1);
    return;
  }
  if (atomic_fetch_add(&p->main_calls, 1) != 2 || !p->rendezvous)
    return;
  const struct timespec ms = {0, 1000000};
  for (int k = 0; k < 5000 && !atomic_load(&p->others); k++)
    nanosleep(&ms, NULL);
}

/* Loss of NET with z and a on the stack; z, a out when not NULL. */
static double net_loss(const double *th, double *zout, double *aout)
{
  const double *W = th, *b1 = th + NH * ND, *V = b1 + NH, *b2 = V + NK * NH;
  double z[NH], a[NK], amax = -INFINITY, sum = 0.0;
  for (size_t i = 0; i < NH; i++) {
    z[i] = b1[i];
    for (size_t j = 0; j < ND; j++)
      z[i] += W[i * ND + j] * net_in[j];
  }
  for (size_t k = 0; k < NK; k++) {
    a[k] = b2[k];
    for (size_t i = 0; i < NH; i++)
      a[k] += z[i] > 0.0 ? V[k * NH + i] * z[i] : 0.0;
    amax = fmax(amax, a[k]);
  }
  for (size_t k = 0; k < NK; k++)
    sum += exp(a[k] - amax);
  if (zout)
    memcpy(zout, z, sizeof z);
  if (aout)
    memcpy(aout, a, sizeof a);
  return amax + log(sum) - a[1];
}

static void net_grad(const double *th, double *g)
{
  const double *V = th + NH * ND + NH;
  double z[NH], a[NK];
  double L = net_loss(th, z, a), lse = L + a[1];
  double *gW = g, *gb1 = gW + NH * ND, *gV = gb1 + NH, *gb2 = gV + NK * NH;
  for (size_t k = 0; k < NK; k++)
    gb2[k] = exp(a[k] - lse) - (k == 1 ? 1.0 : 0.0);
  for (size_t i = 0; i < NH; i++) {
    double h = z[i] > 0.0 ? z[i] : 0.0, d = 0.0;
    for (size_t k = 0; k < NK; k++) {
      gV[k * NH + i] = gb2[k] * h;
      d += V[k * NH + i] * gb2[k];
    }
    gb1[i] = z[i] > 0.0 ? d : 0.0;
    for (size_t j = 0; j < ND; j++)
      gW[i * ND + j] = gb1[i] * net_in[j];
  }
}

/* Term j of the separable kinds: SMOOTH c_j exp(x_j / 3) + x_j x_{j+1} / 2
 * (the coupling in f below), KINKS adds 0.7 |x_j| (x_j = 0 at every fifth),
 * NOISY adds 1e3 (j mod 5) to every term, and every fourth term is the
 * constant 1e3 (f a difference of large sums, noisy to 1e-12, and flat in
 * every fourth variable: its noise pooled from the row's), FLAT scales every third term by 1e-30 (f
 * cannot see it). */
static double term(int kind, size_t j, double xj)
{
  const double c = 1.0 + 0.1 * (double)(j % 7);
  double t = c * exp(xj / 3.0);
  if (kind == KINKS)
    t += 0.7 * fabs(xj);
  if (kind == NOISY)
    t = j % 4 == 1 ? 1e3 : t + 1e3 * (double)(j % 5);
  if (kind == FLAT && j % 3 == 0)
    t *= 1e-30;
  return t;
}

static double term_grad(int kind, size_t j, double xj)
{
  const double c = 1.0 + 0.1 * (double)(j % 7);
  double g = c * exp(xj / 3.0) / 3.0;
  if (kind == KINKS)
    g += xj > 0.0 ? 0.7 : xj < 0.0 ? -0.7 : 0.3; /* 0.3: a subgradient at the kink */
  if (kind == FLAT && j % 3 == 0)
    g *= 1e-30;
  if (kind == NOISY && j % 4 == 1)
    g = 0.0;
  return g;
}

static double f(const gsl_vector *x, void *params)
{
  fn_params *p = params;
  note_thread(p);
  if (p->kind == NET)
    return net_loss(x->data, NULL, NULL);
  double s = 0.0;
  for (size_t j = 0; j < p->n; j++) {
    const double xj = gsl_vector_get(x, j);
    s += term(p->kind, j, xj);
    if (j + 1 < p->n && p->kind != FLAT)
      s += 0.5 * xj * gsl_vector_get(x, j + 1);
  }
  if (p->kind == NOISY) /* the constant terms' sum */
    for (size_t j = 0; j < p->n; j++)
      s -= j % 4 == 1 ? 1e3 : 1e3 * (double)(j % 5);
  return s;
}

static void df(const gsl_vector *x, void *params, gsl_vector *g)
{
  fn_params *p = params;
  if (p->kind == NET)
    net_grad(x->data, g->data);
  else
    for (size_t j = 0; j < p->n; j++) {
      double gj = term_grad(p->kind, j, gsl_vector_get(x, j));
      if (p->kind != FLAT) {
        gj += j + 1 < p->n ? 0.5 * gsl_vector_get(x, j + 1) : 0.0;
        gj += j > 0 ? 0.5 * gsl_vector_get(x, j - 1) : 0.0;
      }
      gsl_vector_set(g, j, gj);
    }
  if (p->bad < p->n)
    *gsl_vector_ptr(g, p->bad) *= 1.0 + 1e-4;
}

/* A point with high-entropy entries; KINKS puts every fifth at 0, NET draws
 * weights so that some hidden units are active and some not. */
static void fill_point(gsl_vector *x, int kind)
{
  for (size_t j = 0; j < x->size; j++) {
    double v = sin(1.7 * (double)j + 0.37) * (kind == NET ? 0.8 : 1.9);
    gsl_vector_set(x, j, kind == KINKS && j % 5 == 0 ? 0.0 : v);
  }
}

/* Jacobian: r_i(x) = sum_j sin(a_ij x_j) + |x_i| (x_i = 0 at i = 2: a
 * kink), n = 9 residuals of p = 23 parameters; df's (4, 11) is off by 1e-4
 * when bad. */
#define JN 9
#define JP 23

static double jac_a(size_t i, size_t j)
{
  return 0.3 + 0.1 * (double)((i * 7 + j * 3) % 11);
}

static int jf(const gsl_vector *x, void *params, gsl_vector *r)
{
  note_thread(params);
  for (size_t i = 0; i < JN; i++) {
    double s = fabs(gsl_vector_get(x, i));
    for (size_t j = 0; j < JP; j++)
      s += sin(jac_a(i, j) * gsl_vector_get(x, j));
    gsl_vector_set(r, i, s);
  }
  return GSL_SUCCESS;
}

static int jdf(const gsl_vector *x, void *params, gsl_matrix *J)
{
  const fn_params *p = params;
  for (size_t i = 0; i < JN; i++)
    for (size_t j = 0; j < JP; j++) {
      double xj = gsl_vector_get(x, j), a = jac_a(i, j);
      double d = a * cos(a * xj) + (i == j ? (xj > 0.0 ? 1.0 : xj < 0.0 ? -1.0 : 0.0) : 0.0);
      gsl_matrix_set(J, i, j, p->bad < p->n && i == 4 && j == 11 ? d * (1.0 + 1e-4) : d);
    }
  return GSL_SUCCESS;
}

/* Bitwise equality of doubles: NaNs and signed zeros included. */
static int same(double a, double b)
{
  return memcmp(&a, &b, sizeof a) == 0;
}

static void assert_entries_equal(const gv_entry *a, const gv_entry *b, const char *what, size_t k)
{
  ck_assert_msg(a->row == b->row && a->col == b->col, "%s: entry %zu position", what, k);
  const double da[] = {a->analytic, a->numeric, a->error_bar, a->abs_err, a->rel_err,
                       a->bound,    a->left,    a->right,     a->step};
  const double db[] = {b->analytic, b->numeric, b->error_bar, b->abs_err, b->rel_err,
                       b->bound,    b->left,    b->right,     b->step};
  for (size_t i = 0; i < sizeof da / sizeof da[0]; i++)
    ck_assert_msg(same(da[i], db[i]), "%s: entry %zu (%zu, %zu) field %zu: %.17g vs %.17g", what, k,
                  a->row, a->col, i, da[i], db[i]);
  ck_assert_msg(a->decided == b->decided && a->smooth == b->smooth && a->passed == b->passed,
                "%s: entry %zu verdict", what, k);
}

/* Every observable of two outcomes, bit for bit. */
static void assert_outcomes_equal(const gv_outcome *a, const gv_outcome *b, const char *what)
{
  ck_assert_msg(gv_outcome_rows(a) == gv_outcome_rows(b) &&
                    gv_outcome_cols(a) == gv_outcome_cols(b),
                "%s: shape", what);
  ck_assert_msg(gv_outcome_verdict(a) == gv_outcome_verdict(b), "%s: verdict", what);
  ck_assert_msg(gv_outcome_nfail(a) == gv_outcome_nfail(b), "%s: nfail %zu vs %zu", what,
                gv_outcome_nfail(a), gv_outcome_nfail(b));
  ck_assert_msg(gv_outcome_nnonsmooth(a) == gv_outcome_nnonsmooth(b), "%s: nnonsmooth", what);
  ck_assert_msg(gv_outcome_nevals(a) == gv_outcome_nevals(b), "%s: nevals %zu vs %zu", what,
                gv_outcome_nevals(a), gv_outcome_nevals(b));
  ck_assert_msg(same(gv_outcome_max_rel_err(a), gv_outcome_max_rel_err(b)), "%s: max rel", what);
  ck_assert_msg(same(gv_outcome_miss_probability(a, 0.01), gv_outcome_miss_probability(b, 0.01)),
                "%s: miss probability", what);
  double ta[3], tb[3];
  gv_outcome_tolerances(a, &ta[0], &ta[1], &ta[2]);
  gv_outcome_tolerances(b, &tb[0], &tb[1], &tb[2]);
  for (int i = 0; i < 3; i++)
    ck_assert_msg(same(ta[i], tb[i]), "%s: tolerance %d", what, i);
  gv_contract ca, cb;
  if (gv_outcome_contract(a, &ca) == GSL_SUCCESS) {
    ck_assert_int_eq(gv_outcome_contract(b, &cb), GSL_SUCCESS);
    ck_assert_msg(ca.passed == cb.passed && same(ca.fdf_g_err, cb.fdf_g_err) &&
                      ca.df_ndiffer == cb.df_ndiffer && ca.x_written == cb.x_written,
                  "%s: contract", what);
  }
  gv_entry ea, eb;
  for (size_t k = 0; k < gv_outcome_size(a); k++) {
    ck_assert_int_eq(gv_outcome_entry(a, k, &ea), GSL_SUCCESS);
    ck_assert_int_eq(gv_outcome_entry(b, k, &eb), GSL_SUCCESS);
    assert_entries_equal(&ea, &eb, what, k);
  }
  ck_assert_int_eq(gv_outcome_worst(a, &ea), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_worst(b, &eb), GSL_SUCCESS);
  assert_entries_equal(&ea, &eb, what, (size_t)-1);
  char *pa = fx_printout(a), *pb = fx_printout(b);
  ck_assert_str_eq(pa, pb);
  free(pa);
  free(pb);
}

/* SIZE_MAX: one thread per column, no more. */
static const size_t THREADS[] = {2, 3, 8, SIZE_MAX};
#define NTHREADS (sizeof THREADS / sizeof THREADS[0])

/* The cases: kind x {right, wrong} x {defaults, central, directional,
 * sampled}. */
enum { M_DEFAULTS, M_CENTRAL, M_DIRECTIONAL, M_SAMPLED, NMODES };
static const char *const MODE_NAME[NMODES] = {"defaults", "central", "directional", "sampled"};

static void mode_options(gv_options *o, int mode)
{
  if (mode == M_CENTRAL)
    gv_options_central(o);
  else
    gv_options_init(o);
  if (mode == M_DIRECTIONAL)
    o->directions = 11;
  if (mode == M_SAMPLED) {
    static const size_t named[] = {6, 2};
    o->entries = 17;
    o->named = named;
    o->nnamed = 2;
    o->seed = 20261129;
  }
}

/* Checks case i at 1 thread and at each of THREADS; returns the outcome at
 * one thread (the caller frees it) after comparing. */
static gv_outcome *compare_threads(int jacobian, fn_params *p, int mode, const char *what)
{
  gsl_multimin_function_fdf g = {.f = f, .df = df, .n = p->n, .params = p};
  gsl_multifit_nlinear_fdf J = {.f = jf, .df = jdf, .n = JN, .p = JP, .params = p};
  gsl_vector *x = gsl_vector_alloc(jacobian ? JP : p->n);
  gv_outcome *ref = gv_outcome_alloc(), *out = gv_outcome_alloc();
  ck_assert(x && ref && out);
  fill_point(x, jacobian ? KINKS : p->kind);
  if (jacobian)
    gsl_vector_set(x, 2, 0.0);
  gv_options o;
  mode_options(&o, mode);
  p->main = pthread_self();
  int s = jacobian ? gv_check_jacobian(&J, x, &o, ref) : gv_check_gradient(&g, x, &o, ref);
  ck_assert_msg(s == GSL_SUCCESS, "%s: status %d", what, s);
  ck_assert_msg(!atomic_load(&p->others), "%s: one thread used others", what);
  for (size_t t = 0; t < NTHREADS; t++) {
    o.threads = THREADS[t];
    atomic_store(&p->others, 0);
    atomic_store(&p->main_calls, 0);
    p->rendezvous = 1;
    s = jacobian ? gv_check_jacobian(&J, x, &o, out) : gv_check_gradient(&g, x, &o, out);
    ck_assert_msg(s == GSL_SUCCESS, "%s, %zu threads: status %d", what, THREADS[t], s);
    ck_assert_msg(atomic_load(&p->others), "%s, %zu threads: f never ran off the main thread", what,
                  THREADS[t]);
    char label[160];
    snprintf(label, sizeof label, "%s, %zu threads", what, THREADS[t]);
    assert_outcomes_equal(ref, out, label);
  }
  gv_outcome_free(out);
  gsl_vector_free(x);
  return ref;
}

/* Loop index: kind (NKINDS) x mode (NMODES) x wrong (2). */
START_TEST(test_gradient_same_for_any_threads)
{
  const int kind = _i / (2 * NMODES), mode = (_i / 2) % NMODES, wrong = _i % 2;
  fn_params p = {.kind = kind, .n = kind == NET ? NET_N : 60};
  p.bad = wrong ? 23 : p.n;
  char what[96];
  snprintf(what, sizeof what, "gradient %s %s%s", KIND_NAME[kind], MODE_NAME[mode],
           wrong ? " wrong" : "");
  gv_outcome *ref = compare_threads(0, &p, mode, what);
  /* The cases exercise what they claim: the wrong entry 23 fails the full
   * checks (a sample may not hold it; a direction may not resolve 1e-4). */
  if (wrong && (mode == M_DEFAULTS || mode == M_CENTRAL))
    ck_assert_msg(gv_outcome_verdict(ref) == GV_FAIL, "%s passed", what);
  /* (Central differences' round-off bound sees f's value, not the 1e5 its
   * sums held: noisy f fails there, as gradverify.h says of cancelling sums.) */
  if (!wrong && mode != M_DIRECTIONAL && !(kind == NOISY && mode == M_CENTRAL))
    ck_assert_msg(gv_outcome_verdict(ref) == GV_PASS, "%s failed", what);
  if (kind == KINKS && mode != M_DIRECTIONAL)
    ck_assert_msg(gv_outcome_nnonsmooth(ref) > 0, "%s: no kink found", what);
  gv_outcome_free(ref);
}
END_TEST

/* Loop index: mode (NMODES) x wrong (2). */
START_TEST(test_jacobian_same_for_any_threads)
{
  const int mode = _i / 2, wrong = _i % 2;
  fn_params p = {.kind = SMOOTH, .n = JP, .bad = wrong ? 0 : JP};
  char what[96];
  snprintf(what, sizeof what, "jacobian %s%s", MODE_NAME[mode], wrong ? " wrong" : "");
  gv_outcome *ref = compare_threads(1, &p, mode, what);
  if (wrong && mode != M_SAMPLED)
    ck_assert_msg(gv_outcome_verdict(ref) == GV_FAIL, "%s passed", what);
  if (mode == M_DEFAULTS || mode == M_CENTRAL)
    ck_assert_msg(gv_outcome_nnonsmooth(ref) > 0, "%s: no kink found", what);
  gv_outcome_free(ref);
}
END_TEST

/* f fails (a non-finite value) at columns 13 and 40: whatever the threads,
 * the status is GSL_EBADFUNC and the outcome empty, as with one thread. */
static double f_nan(const gsl_vector *x, void *params)
{
  const size_t n = x->size;
  if (gsl_vector_get(x, 13) != gsl_vector_get((const gsl_vector *)params, 13) ||
      gsl_vector_get(x, 40) != gsl_vector_get((const gsl_vector *)params, 40))
    return NAN;
  double s = 0.0;
  for (size_t j = 0; j < n; j++)
    s += gsl_vector_get(x, j) * gsl_vector_get(x, j);
  return s;
}

static void df_nan(const gsl_vector *x, void *params, gsl_vector *g)
{
  (void)params;
  gsl_vector_memcpy(g, x);
  gsl_vector_scale(g, 2.0);
}

START_TEST(test_error_same_for_any_threads)
{
  gsl_vector *x = gsl_vector_alloc(50);
  gv_outcome *out = gv_outcome_alloc();
  fill_point(x, SMOOTH);
  gsl_multimin_function_fdf g = {.f = f_nan, .df = df_nan, .n = 50, .params = x};
  gv_options o;
  gv_options_init(&o);
  for (size_t T = 1; T <= 8; T++) {
    o.threads = T;
    ck_assert_int_eq(gv_check_gradient(&g, x, &o, out), GSL_EBADFUNC);
    ck_assert_uint_eq(gv_outcome_size(out), 0);
  }
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* A layer, out = X ⊙ tanh(X): gv_check_layer's loss writes the layer's
 * shared input and output, so it runs on one thread whatever opts.threads
 * (else its evaluations would race and its numbers differ); a sampled layer
 * check names its entries by their row-major index in X. */
static int tanh_forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  fn_params *p = params;
  if (!pthread_equal(pthread_self(), p->main))
    atomic_store(&p->others, 1);
  for (size_t i = 0; i < out->size1; i++)
    for (size_t j = 0; j < out->size2; j++) {
      const double x = gsl_matrix_get(in[0], i, j);
      gsl_matrix_set(out, i, j, x * tanh(x));
    }
  return GSL_SUCCESS;
}

static int tanh_backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                         gsl_matrix *const grad[])
{
  (void)params;
  for (size_t i = 0; i < dout->size1; i++)
    for (size_t j = 0; j < dout->size2; j++) {
      const double x = gsl_matrix_get(in[0], i, j), t = tanh(x);
      gsl_matrix_set(grad[0], i, j, gsl_matrix_get(dout, i, j) * (t + x * (1.0 - t * t)));
    }
  return GSL_SUCCESS;
}

START_TEST(test_layer_serial_whatever_threads)
{
  static const gv_layer_input inputs[] = {{"X", 1, "dX"}};
  fn_params p = {.main = pthread_self()};
  const gv_layer layer = {.name = "xtanh",
                          .params = &p,
                          .n_inputs = 1,
                          .inputs = inputs,
                          .forward = tanh_forward,
                          .backward = tanh_backward};
  gsl_matrix *X = gsl_matrix_alloc(9, 7);
  gsl_vector_view xv = gsl_vector_view_array(X->data, 63);
  fill_point(&xv.vector, SMOOTH);
  const gsl_matrix *in[] = {X};
  gv_outcome *ref = gv_outcome_alloc(), *out = gv_outcome_alloc();
  gv_options o;
  gv_options_init(&o);
  ck_assert_int_eq(gv_check_layer(&layer, in, 0, NULL, &o, ref), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(ref), GV_PASS);
  o.threads = 8;
  ck_assert_int_eq(gv_check_layer(&layer, in, 0, NULL, &o, out), GSL_SUCCESS);
  assert_outcomes_equal(ref, out, "layer, 8 threads");
  o.entries = 5;
  ck_assert_int_eq(gv_check_layer(&layer, in, 0, NULL, &o, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_rows(out), 1);
  ck_assert_uint_eq(gv_outcome_cols(out), 5);
  gv_entry e, ef;
  for (size_t k = 0; k < 5; k++) { /* entry k is X's entry e.col, (e.col / 7, e.col % 7) */
    ck_assert_int_eq(gv_outcome_entry(out, k, &e), GSL_SUCCESS);
    ck_assert_int_eq(gv_outcome_entry(ref, e.col, &ef), GSL_SUCCESS);
    ck_assert(ef.row == e.col / 7 && ef.col == e.col % 7);
    ck_assert_double_eq(e.analytic, ef.analytic);
    ck_assert_int_eq(e.passed, 1);
  }
  o.entries = 0;
  ck_assert_int_eq(gv_check_layer_jacobian(&layer, in, 0, NULL, ref), GSL_SUCCESS);
  ck_assert_int_eq(gv_check_layer_jacobian(&layer, in, 0, &o, out), GSL_SUCCESS);
  assert_outcomes_equal(ref, out, "layer Jacobian, 8 threads");
  ck_assert_msg(!atomic_load(&p.others), "the layer's forward ran off the calling thread");
  gv_outcome_free(ref);
  gv_outcome_free(out);
  gsl_matrix_free(X);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("threads");
  TCase *tc = tcase_create("Core");
  tcase_add_loop_test(tc, test_gradient_same_for_any_threads, 0, NKINDS * NMODES * 2);
  tcase_add_loop_test(tc, test_jacobian_same_for_any_threads, 0, NMODES * 2);
  tcase_add_test(tc, test_error_same_for_any_threads);
  tcase_add_test(tc, test_layer_serial_whatever_threads);
  suite_add_tcase(s, tc);
  return s;
}
