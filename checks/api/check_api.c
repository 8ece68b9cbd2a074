/* check_api.c: the public API of gradverify.h, as a GSL user calls it.
 *
 * Every gradient case below computes its right gradient and can corrupt one
 * entry on request (g_k <- g_k (1 + rel) + add), so that each case is run
 * right, wrong by a relative 1e-4, and the smallest planted error that still
 * fails is measured. With GV_API_MEASURE set in the environment the
 * measurement test prints its numbers to stderr.
 *
 * The done-when of the error-bar tolerance (test_detection): over random
 * points of five smooth families at six scales (api_trials.h), the default
 * check never fails a right gradient and catches one entry off by 1e-6 of
 * the largest |g| in at least 99% of trials; checks/bench/bench_api.c runs the
 * same with ten thousand trials. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>

#include "api_trials.h"
#include "check_main.h"
#include "fixtures.h"
#include "gradverify.h"
#include "gv_ridders.h"
#include "gv_net.h"
#include "gv_softmax.h"

#define SEED 20240613UL

/* ------------------------------------------------------------------ */
/* Gradient cases: f(x) over a params struct shared by all of them.   */

typedef struct {
  size_t n;
  double c, s; /* value scale and input scale of the scaled case */
  size_t bad;  /* entry to corrupt, if corrupt */
  int corrupt; /* apply g_bad <- g_bad (1 + rel) + add */
  double rel, add;
  int no_mask; /* network: forget the ReLU mask in backprop */
  gv_net *net; /* network case */
  gv_net_state *state;
  gv_net_grad *grad;
  gsl_vector *in, *target;
} fparams;

static void corrupt(const fparams *p, gsl_vector *g)
{
  if (p->corrupt)
    gsl_vector_set(g, p->bad, gsl_vector_get(g, p->bad) * (1.0 + p->rel) + p->add);
}

/* Rosenbrock: 100 (x1 - x0^2)^2 + (1 - x0)^2. */
static double rosen_f(const gsl_vector *x, void *params)
{
  (void)params;
  double x0 = gsl_vector_get(x, 0), x1 = gsl_vector_get(x, 1);
  return 100.0 * gsl_pow_2(x1 - x0 * x0) + gsl_pow_2(1.0 - x0);
}

static void rosen_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  double x0 = gsl_vector_get(x, 0), x1 = gsl_vector_get(x, 1);
  gsl_vector_set(g, 0, -400.0 * x0 * (x1 - x0 * x0) - 2.0 * (1.0 - x0));
  gsl_vector_set(g, 1, 200.0 * (x1 - x0 * x0));
  corrupt(params, g);
}

/* 0.5 x^T A x + b^T x with A not symmetric: the gradient is (A + A^T) x / 2 + b. */
static const double QA[4][4] = {
    {2.5, 1.25, -0.75, 0.3}, {-0.4, 3.1, 0.9, 1.7}, {1.1, 0.2, 1.9, -0.6}, {0.35, -1.3, 0.45, 2.2}};
static const double QB[4] = {0.37, -1.21, 0.83, 2.05};

static double quad_f(const gsl_vector *x, void *params)
{
  (void)params;
  double f = 0.0;
  for (size_t i = 0; i < 4; i++) {
    f += QB[i] * gsl_vector_get(x, i);
    for (size_t j = 0; j < 4; j++)
      f += 0.5 * gsl_vector_get(x, i) * QA[i][j] * gsl_vector_get(x, j);
  }
  return f;
}

static void quad_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  for (size_t i = 0; i < 4; i++) {
    double gi = QB[i];
    for (size_t j = 0; j < 4; j++)
      gi += 0.5 * (QA[i][j] + QA[j][i]) * gsl_vector_get(x, j);
    gsl_vector_set(g, i, gi);
  }
  corrupt(params, g);
}

/* The classic mistake: A x + b, as if A were symmetric. */
static void quad_df_unsym(const gsl_vector *x, void *params, gsl_vector *g)
{
  (void)params;
  for (size_t i = 0; i < 4; i++) {
    double gi = QB[i];
    for (size_t j = 0; j < 4; j++)
      gi += QA[i][j] * gsl_vector_get(x, j);
    gsl_vector_set(g, i, gi);
  }
}

/* c phi(x / s), phi(y) = sum_i y_i^2 / 2 + sin(y_i) y_{i+1} + log(1 + y_i^2):
 * a smooth function of length scale s and value scale c. */
static double scaled_f(const gsl_vector *x, void *params)
{
  const fparams *p = params;
  double f = 0.0;
  for (size_t i = 0; i < p->n; i++) {
    double y = gsl_vector_get(x, i) / p->s, y1 = gsl_vector_get(x, (i + 1) % p->n) / p->s;
    f += 0.5 * y * y + sin(y) * y1 + log1p(y * y);
  }
  return p->c * f;
}

static void scaled_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const fparams *p = params;
  for (size_t i = 0; i < p->n; i++) {
    double y = gsl_vector_get(x, i) / p->s;
    double yn = gsl_vector_get(x, (i + 1) % p->n) / p->s;
    double yp = gsl_vector_get(x, (i + p->n - 1) % p->n) / p->s;
    gsl_vector_set(g, i, p->c / p->s * (y + cos(y) * yn + sin(yp) + 2.0 * y / (1.0 + y * y)));
  }
  corrupt(p, g);
}

/* Exact zeros: x1 sits at a stationary point of cos, x3 is not used at all. */
static double zeros_f(const gsl_vector *x, void *params)
{
  (void)params;
  return 1.7 * gsl_pow_2(gsl_vector_get(x, 0)) + cos(gsl_vector_get(x, 1)) +
         exp(0.4 * gsl_vector_get(x, 2));
}

static void zeros_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  gsl_vector_set(g, 0, 3.4 * gsl_vector_get(x, 0));
  gsl_vector_set(g, 1, -sin(gsl_vector_get(x, 1)));
  gsl_vector_set(g, 2, 0.4 * exp(0.4 * gsl_vector_get(x, 2)));
  gsl_vector_set(g, 3, 0.0);
  corrupt(params, g);
}

/* Wide: sum_i log(1 + x_i^2) + x_i x_{i+1} / 2, any n. */
static double wide_f(const gsl_vector *x, void *params)
{
  const fparams *p = params;
  double f = 0.0;
  for (size_t i = 0; i < p->n; i++) {
    double xi = gsl_vector_get(x, i);
    f += log1p(xi * xi) + 0.5 * xi * gsl_vector_get(x, (i + 1) % p->n);
  }
  return f;
}

static void wide_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const fparams *p = params;
  for (size_t i = 0; i < p->n; i++) {
    double xi = gsl_vector_get(x, i);
    gsl_vector_set(g, i,
                   2.0 * xi / (1.0 + xi * xi) + 0.5 * (gsl_vector_get(x, (i + 1) % p->n) +
                                                       gsl_vector_get(x, (i + p->n - 1) % p->n)));
  }
  corrupt(p, g);
}

/* Softmax cross-entropy with logits in the hundreds: lse(a) - a_0, gradient p - e_0. */
static double softmax_f(const gsl_vector *a, void *params)
{
  (void)params;
  double lse;
  gv_logsumexp(a, &lse);
  return lse - gsl_vector_get(a, 0);
}

static void softmax_df(const gsl_vector *a, void *params, gsl_vector *g)
{
  gv_softmax(a, g);
  gsl_vector_set(g, 0, gsl_vector_get(g, 0) - 1.0);
  corrupt(params, g);
}

/* The seed's network over its packed parameters (W, b1, V, b2). */
static void net_unpack(gv_net *net, const gsl_vector *theta)
{
  size_t H = net->n_hidden, D = net->n_in, K = net->n_out, o = 0;
  gsl_vector_const_view w = gsl_vector_const_subvector(theta, o, H * D);
  gsl_matrix_const_view W = gsl_matrix_const_view_vector(&w.vector, H, D);
  gsl_matrix_memcpy(net->W, &W.matrix);
  o += H * D;
  gsl_vector_const_view b1 = gsl_vector_const_subvector(theta, o, H);
  gsl_vector_memcpy(net->b1, &b1.vector);
  o += H;
  gsl_vector_const_view v = gsl_vector_const_subvector(theta, o, K * H);
  gsl_matrix_const_view V = gsl_matrix_const_view_vector(&v.vector, K, H);
  gsl_matrix_memcpy(net->V, &V.matrix);
  o += K * H;
  gsl_vector_const_view b2 = gsl_vector_const_subvector(theta, o, K);
  gsl_vector_memcpy(net->b2, &b2.vector);
}

static double net_f(const gsl_vector *theta, void *params)
{
  const fparams *p = params;
  net_unpack(p->net, theta);
  if (gv_net_forward(p->net, p->in, p->target, p->state))
    return NAN;
  return p->state->loss;
}

static void net_df(const gsl_vector *theta, void *params, gsl_vector *g)
{
  const fparams *p = params;
  gv_net *net = p->net;
  gv_net_grad *gr = p->grad;
  size_t H = net->n_hidden, D = net->n_in, K = net->n_out, o = 0;
  net_unpack(net, theta);
  gv_net_forward(net, p->in, p->target, p->state);
  gv_net_backward(net, p->in, p->target, p->state, gr);
  if (p->no_mask) { /* the planted mistake: ReLU's mask forgotten */
    gsl_blas_dgemv(CblasTrans, 1.0, net->V, gr->delta1, 0.0, gr->db1);
    gsl_matrix_set_zero(gr->dW);
    gsl_blas_dger(1.0, gr->db1, p->in, gr->dW);
  }
  for (size_t i = 0; i < H; i++)
    for (size_t j = 0; j < D; j++)
      gsl_vector_set(g, o++, gsl_matrix_get(gr->dW, i, j));
  for (size_t i = 0; i < H; i++)
    gsl_vector_set(g, o++, gsl_vector_get(gr->db1, i));
  for (size_t i = 0; i < K; i++)
    for (size_t j = 0; j < H; j++)
      gsl_vector_set(g, o++, gsl_matrix_get(gr->dV, i, j));
  for (size_t i = 0; i < K; i++)
    gsl_vector_set(g, o++, gsl_vector_get(gr->db2, i));
  corrupt(p, g);
}

#define NET_D 4
#define NET_H 6
#define NET_K 3
#define NET_P (NET_H * NET_D + NET_H + NET_K * NET_H + NET_K)

/* A case: the function, its size and how to fill x. */
typedef struct {
  const char *name;
  double (*f)(const gsl_vector *, void *);
  void (*df)(const gsl_vector *, void *, gsl_vector *);
  size_t n;
  double c, s;  /* scaled_f's scales */
  double x_off; /* x_i = s (x_off + high-entropy offsets) */
} gcase;

static const gcase GCASES[] = {
    {"rosenbrock", rosen_f, rosen_df, 2, 1, 1, 0},
    {"quadratic", quad_f, quad_df, 4, 1, 1, 0},
    {"network", net_f, net_df, NET_P, 1, 1, 0},
    {"values 1e8", scaled_f, scaled_df, 6, 1e8, 1, 0},
    {"values 1e-8", scaled_f, scaled_df, 6, 1e-8, 1, 0},
    {"inputs 1e6", scaled_f, scaled_df, 6, 1, 1e6, 0},
    {"inputs 1e-6", scaled_f, scaled_df, 6, 1, 1e-6, 0},
    {"values 1e8, inputs 1e-6", scaled_f, scaled_df, 6, 1e8, 1e-6, 0},
    {"values 1e-8, inputs 1e6", scaled_f, scaled_df, 6, 1e-8, 1e6, 0},
    {"inputs near 1e6, length 1", scaled_f, scaled_df, 6, 1, 1, 1e6},
    {"exact zeros", zeros_f, zeros_df, 4, 1, 1, 0},
    {"wide n = 1000", wide_f, wide_df, 1000, 1, 1, 0},
    {"softmax, logits ~ 300", softmax_f, softmax_df, 10, 1, 1, 300},
};
#define NGCASES (sizeof GCASES / sizeof GCASES[0])
/* Cases some tests use by name. */
enum { CASE_ROSENBROCK = 0, CASE_QUADRATIC = 1, CASE_NETWORK = 2, CASE_ZEROS = 10, CASE_WIDE = 11 };

/* A high-entropy coordinate in [-1.5, 1.5], away from 0. */
static double coordinate(gsl_rng *r)
{
  double u = 0.25 + 1.25 * gsl_rng_uniform(r);
  return gsl_rng_uniform_int(r, 2) ? u : -u;
}

static int any_negative(const gsl_vector *v)
{
  for (size_t i = 0; i < v->size; i++)
    if (gsl_vector_get(v, i) < 0.0)
      return 1;
  return 0;
}

/* Everything one gradient case needs. */
typedef struct {
  fparams p;
  gsl_multimin_function_fdf fdf;
  gsl_vector *x;
} gsetup;

static void gsetup_init(gsetup *g, const gcase *c)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED);
  g->p = (fparams){.n = c->n, .c = c->c, .s = c->s};
  g->fdf = (gsl_multimin_function_fdf){.f = c->f, .df = c->df, .n = c->n, .params = &g->p};
  g->x = gsl_vector_alloc(c->n);
  for (size_t i = 0; i < c->n; i++)
    gsl_vector_set(g->x, i, c->s * (c->x_off + coordinate(r)));
  if (c->f == rosen_f) {
    gsl_vector_set(g->x, 0, -1.2);
    gsl_vector_set(g->x, 1, 1.0);
  } else if (c->f == zeros_f) {
    gsl_vector_set(g->x, 1, 0.0);
  } else if (c->f == net_f) {
    g->p.net = gv_net_alloc(NET_D, NET_H, NET_K);
    g->p.state = gv_net_state_alloc(g->p.net);
    g->p.grad = gv_net_grad_alloc(g->p.net);
    g->p.in = gsl_vector_alloc(NET_D);
    g->p.target = gsl_vector_calloc(NET_K);
    for (size_t i = 0; i < NET_D; i++)
      gsl_vector_set(g->p.in, i, 2.0 * gsl_rng_uniform(r) - 1.0);
    gsl_vector_set(g->p.target, 1, 1.0);
  }
  gsl_rng_free(r);
}

static void gsetup_free(gsetup *g)
{
  gv_net_free(g->p.net);
  gv_net_state_free(g->p.state);
  gv_net_grad_free(g->p.grad);
  gsl_vector_free(g->p.in);
  gsl_vector_free(g->p.target);
  gsl_vector_free(g->x);
}

/* The index of the largest |g_i|, where a planted error is planted. */
static size_t argmax_abs(gsl_multimin_function_fdf *fdf, const gsl_vector *x)
{
  gsl_vector *g = gsl_vector_alloc(x->size);
  fdf->df(x, fdf->params, g);
  size_t k = 0;
  for (size_t i = 1; i < g->size; i++)
    if (fabs(gsl_vector_get(g, i)) > fabs(gsl_vector_get(g, k)))
      k = i;
  gsl_vector_free(g);
  return k;
}

/* Runs a gradient check that must run; returns the verdict. */
static gv_verdict check_grad(gsetup *g, const gv_options *o, gv_outcome *out)
{
  int status = gv_check_gradient(&g->fdf, g->x, o, out);
  ck_assert_int_eq(status, GSL_SUCCESS);
  return gv_outcome_verdict(out);
}

/* The worst relative error allowed on right derivatives here. A 1e-4 error
 * must fail, so the checks' accuracy needs to be well below it. */
#define RIGHT_REL_MAX 1e-5
/* Evaluations per variable at most, by default: the central stencil and its
 * re-estimates (4 + 16), and Ridders (gradverify.h). */
#define MAX_EVALS_PER_VAR (20 + GV_RIDDERS_MAX_EVALS)

START_TEST(test_gradient_right)
{
  gsetup g;
  gsetup_init(&g, &GCASES[_i]);
  gsl_vector *x0 = gsl_vector_alloc(g.x->size);
  gsl_vector_memcpy(x0, g.x);
  gv_outcome *out = gv_outcome_alloc();
  gv_verdict v = check_grad(&g, NULL, out);
  if (v != GV_PASS)
    gv_outcome_fprintf(stderr, out);
  ck_assert_msg(v == GV_PASS, "%s: right gradient failed", GCASES[_i].name);
  ck_assert_uint_eq(gv_outcome_size(out), g.x->size);
  ck_assert_uint_eq(gv_outcome_nfail(out), 0);
  ck_assert_uint_eq(gv_outcome_nnonsmooth(out), 0);
  ck_assert_double_le(gv_outcome_max_rel_err(out), RIGHT_REL_MAX);
  /* 3 evaluations per entry and f(x), plus re-estimates and Ridders. */
  ck_assert_uint_ge(gv_outcome_nevals(out), 3 * g.x->size + 1);
  ck_assert_uint_le(gv_outcome_nevals(out), MAX_EVALS_PER_VAR * g.x->size + 1);
  gv_entry e;
  for (size_t k = 0; k < g.x->size; k++) {
    gv_outcome_entry(out, k, &e);
    ck_assert(e.decided == GV_DECIDED_ERROR_BAR || e.decided == GV_DECIDED_ATOL);
  }
  /* The previous mode still passes it, at 4 to 20 evaluations per entry. */
  gv_options o;
  gv_options_central(&o);
  ck_assert(check_grad(&g, &o, out) == GV_PASS);
  ck_assert_uint_le(gv_outcome_nevals(out), 20 * g.x->size + 1);
  ck_assert_int_eq(memcmp(x0->data, g.x->data, g.x->size * sizeof(double)), 0);
  gv_outcome_free(out);
  gsl_vector_free(x0);
  gsetup_free(&g);
}
END_TEST

/* opts.threads = 0 creates no thread, as 1 does (gradverify.h), with the
 * same outcome, bit for bit. (One worker's slot is allocated for 0 too: a
 * zero-size block written through is an overflow ASan reports.) */
START_TEST(test_threads_zero)
{
  gsetup g;
  gsetup_init(&g, &GCASES[_i]);
  gv_outcome *one = gv_outcome_alloc(), *zero = gv_outcome_alloc();
  gv_options o;
  gv_options_init(&o);
  check_grad(&g, &o, one);
  o.threads = 0;
  check_grad(&g, &o, zero);
  ck_assert_int_eq(gv_outcome_verdict(zero), gv_outcome_verdict(one));
  ck_assert_uint_eq(gv_outcome_nevals(zero), gv_outcome_nevals(one));
  for (size_t k = 0; k < g.x->size; k++) {
    gv_entry a, b;
    gv_outcome_entry(one, k, &a);
    gv_outcome_entry(zero, k, &b);
    ck_assert_msg(a.numeric == b.numeric && a.error_bar == b.error_bar, "%s entry %zu",
                  GCASES[_i].name, k);
  }
  gv_outcome_free(one);
  gv_outcome_free(zero);
  gsetup_free(&g);
}
END_TEST

START_TEST(test_gradient_wrong_1e4)
{
  gsetup g;
  gsetup_init(&g, &GCASES[_i]);
  g.p.bad = argmax_abs(&g.fdf, g.x);
  g.p.corrupt = 1;
  g.p.rel = 1e-4;
  gv_outcome *out = gv_outcome_alloc();
  gv_verdict v = check_grad(&g, NULL, out);
  ck_assert_msg(v == GV_FAIL, "%s: entry %zu off by 1e-4 passed", GCASES[_i].name, g.p.bad);
  ck_assert_uint_eq(gv_outcome_nfail(out), 1);
  gv_entry e;
  ck_assert_int_eq(gv_outcome_worst(out, &e), GSL_SUCCESS);
  ck_assert_uint_eq(e.row, 0);
  ck_assert_uint_eq(e.col, g.p.bad);
  ck_assert(!e.passed);
  ck_assert_double_eq_tol(e.rel_err, 1e-4, 2e-5);
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

/* Directional mode on every case: the right gradient passes, 5% off fails. */
START_TEST(test_gradient_directional)
{
  gsetup g;
  gsetup_init(&g, &GCASES[_i]);
  gv_options o;
  gv_options_init(&o);
  o.directions = 3;
  gv_outcome *out = gv_outcome_alloc();
  gv_verdict v = check_grad(&g, &o, out);
  if (v != GV_PASS)
    gv_outcome_fprintf(stderr, out);
  ck_assert_msg(v == GV_PASS, "%s: right gradient failed", GCASES[_i].name);
  ck_assert_uint_eq(gv_outcome_size(out), 3);
  ck_assert_uint_le(gv_outcome_nevals(out), MAX_EVALS_PER_VAR * 3 + 1);
  g.p.bad = argmax_abs(&g.fdf, g.x);
  g.p.corrupt = 1;
  g.p.rel = 0.05;
  ck_assert_msg(check_grad(&g, &o, out) == GV_FAIL, "%s: 5%% error passed", GCASES[_i].name);
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

START_TEST(test_quadratic_unsymmetrized)
{
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_QUADRATIC]);
  g.fdf.df = quad_df_unsym;
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(check_grad(&g, NULL, out) == GV_FAIL);
  ck_assert_uint_eq(gv_outcome_nfail(out), 4);
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

START_TEST(test_network_no_mask)
{
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_NETWORK]);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(check_grad(&g, NULL, out) == GV_PASS);
  g.p.no_mask = 1;
  net_f(g.x, &g.p);
  ck_assert_msg(any_negative(g.p.state->z), "no inactive unit: the test is void");
  ck_assert(check_grad(&g, NULL, out) == GV_FAIL);
  ck_assert_uint_ge(gv_outcome_nfail(out), NET_D + 1); /* a whole unit: its W row and b1 */
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

START_TEST(test_zero_entry_reported)
{
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_ZEROS]);
  g.p.corrupt = 1;
  gv_outcome *out = gv_outcome_alloc();
  for (size_t k = 1; k <= 3; k += 2) { /* the stationary and the unused entry */
    g.p.bad = k;
    g.p.add = 1e-3;
    ck_assert(check_grad(&g, NULL, out) == GV_FAIL);
    ck_assert_uint_eq(gv_outcome_nfail(out), 1);
    gv_entry e;
    gv_outcome_worst(out, &e);
    ck_assert_uint_eq(e.col, k);
    ck_assert_double_eq(e.numeric, 0.0); /* exact: f(x + h) = f(x - h) bit for bit */
  }
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Kinks.                                                              */

/* f = |x0| + relu(x1) 2.3 + max(x2, x3) + x4^2, analytic values from kinkp. */
typedef struct {
  double g[5];
} kinkp;

static double kink_f(const gsl_vector *x, void *params)
{
  (void)params;
  double x1 = gsl_vector_get(x, 1);
  return fabs(gsl_vector_get(x, 0)) + 2.3 * (x1 > 0.0 ? x1 : 0.0) +
         fmax(gsl_vector_get(x, 2), gsl_vector_get(x, 3)) + gsl_pow_2(gsl_vector_get(x, 4));
}

static void kink_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const kinkp *k = params;
  for (size_t i = 0; i < 4; i++)
    gsl_vector_set(g, i, k->g[i]);
  gsl_vector_set(g, 4, 2.0 * gsl_vector_get(x, 4));
}

/* Rows: analytic values for entries 0..3 at x = (0, 0, 0.7, 0.7, 1.3), and
 * whether each is inside [left, right]: |x| in [-1, 1], 2.3 relu in [0, 2.3],
 * max(x2, x3) in [0, 1] for both. */
static const struct {
  double g[4];
  int pass[4];
} KINK_ROWS[] = {
    {{1.0, 2.3, 1.0, 0.0}, {1, 1, 1, 1}},  /* the usual conventions */
    {{-1.0, 0.0, 0.0, 1.0}, {1, 1, 1, 1}}, /* the other side */
    {{0.0, 1.15, 0.5, 0.5}, {1, 1, 1, 1}}, /* midpoints */
    {{1.5, 2.3, 1.0, 0.0}, {0, 1, 1, 1}},  /* |x|: outside */
    {{1.0, -0.5, 1.0, 0.0}, {1, 0, 1, 1}}, /* relu: below */
    {{1.0, 2.9, 1.0, 0.0}, {1, 0, 1, 1}},  /* relu: above */
    {{1.0, 2.3, 1.0, -0.2}, {1, 1, 1, 0}}, /* max: below */
    {{1.0, 2.3, 2.0, 0.0}, {1, 1, 0, 1}},  /* max: above */
};

START_TEST(test_kinks)
{
  kinkp k;
  memcpy(k.g, KINK_ROWS[_i].g, sizeof KINK_ROWS[_i].g);
  gsl_multimin_function_fdf fdf = {.f = kink_f, .df = kink_df, .n = 5, .params = &k};
  gsl_vector *x = gsl_vector_calloc(5);
  gsl_vector_set(x, 2, 0.7);
  gsl_vector_set(x, 3, 0.7);
  gsl_vector_set(x, 4, 1.3);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_nnonsmooth(out), 4);
  size_t nfail = 0;
  for (size_t i = 0; i < 5; i++) {
    gv_entry e;
    ck_assert_int_eq(gv_outcome_entry(out, i, &e), GSL_SUCCESS);
    ck_assert_int_eq(e.smooth, i == 4);
    int want = i < 4 ? KINK_ROWS[_i].pass[i] : 1;
    ck_assert_msg(e.passed == want, "row %d entry %zu: passed %d", _i, i, e.passed);
    nfail += !want;
  }
  ck_assert_uint_eq(gv_outcome_nfail(out), nfail);
  gv_entry e;
  gv_outcome_entry(out, 1, &e); /* relu at 0: slopes 0 and 2.3 */
  ck_assert_double_eq_tol(e.left, 0.0, 1e-12);
  ck_assert_double_eq_tol(e.right, 2.3, 1e-9);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* Smoothness is the function's, not the tolerance's: with kerr = 0 (the
 * verdict allows the error bar nothing) and rtol = 0, the one-sided slopes
 * of a smooth entry still differ by their truncation, within their error
 * bars, and that is no kink. kink_f's x4^2 and Rosenbrock at (-1.2, 1) are
 * smooth, its four kinks are kinks, under either method; the four
 * conventional subgradients pass. */
START_TEST(test_kink_kerr_zero)
{
  kinkp k = {{1.0, 2.3, 1.0, 0.0}};
  gsl_multimin_function_fdf kinks = {.f = kink_f, .df = kink_df, .n = 5, .params = &k};
  fparams rp = {.n = 2};
  gsl_multimin_function_fdf rosen = {.f = rosen_f, .df = rosen_df, .n = 2, .params = &rp};
  const double xk[5] = {0.0, 0.0, 0.7, 0.7, 1.3}, xr[2] = {-1.2, 1.0};
  gsl_vector_const_view vk = gsl_vector_const_view_array(xk, 5),
                        vr = gsl_vector_const_view_array(xr, 2);
  gv_options o;
  if (_i)
    gv_options_central(&o);
  else
    gv_options_init(&o);
  o.kerr = 0.0;
  o.rtol = 0.0;
  o.atol_scale = 1e-13;
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_gradient(&kinks, &vk.vector, &o, out), GSL_SUCCESS);
  for (size_t i = 0; i < 5; i++) {
    gv_entry e;
    ck_assert_int_eq(gv_outcome_entry(out, i, &e), GSL_SUCCESS);
    ck_assert_msg(e.smooth == (i == 4),
                  "method %d, kink_f entry %zu: smooth %d, left %.17g, right %.17g", _i, i,
                  e.smooth, e.left, e.right);
    if (i < 4)
      ck_assert_msg(e.passed, "method %d: the subgradient of kink %zu fails", _i, i);
  }
  ck_assert_int_eq(gv_check_gradient(&rosen, &vr.vector, &o, out), GSL_SUCCESS);
  ck_assert_msg(gv_outcome_nnonsmooth(out) == 0, "method %d: Rosenbrock has %zu kinks", _i,
                gv_outcome_nnonsmooth(out));
  gv_outcome_free(out);
}
END_TEST

/* A kink within a step of x (relu at x = 1e-7 < h = 6e-6) is no kink at a
 * smaller step: the derivative there is 2.3 and 0 must fail. */
START_TEST(test_kink_near)
{
  kinkp k = {{1.0, 2.3, 0.0, 1.0}}; /* max(0.2, 0.9): x3's slope */
  gsl_multimin_function_fdf fdf = {.f = kink_f, .df = kink_df, .n = 5, .params = &k};
  gsl_vector *x = gsl_vector_alloc(5);
  const double x0[5] = {0.4, 1e-7, 0.2, 0.9, 1.3};
  memcpy(x->data, x0, sizeof x0);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
  if (gv_outcome_verdict(out) != GV_PASS)
    gv_outcome_fprintf(stderr, out);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  ck_assert_uint_eq(gv_outcome_nnonsmooth(out), 0);
  k.g[1] = 0.0;
  ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Jacobians.                                                          */

#define DECAY_N 40

/* y = A exp(-lambda t) + b, the GSL manual's example; residual weights w_i
 * (all 1, or from 1e8 down to 1e-8 to test per-row scales). */
typedef struct {
  double t[DECAY_N], y[DECAY_N], w[DECAY_N];
  int wrong; /* 1: d/dlambda with the wrong sign; 2: one entry off by 1e-4 */
  size_t bad_row;
} decayp;

static int decay_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  const decayp *d = params;
  double A = gsl_vector_get(x, 0), lambda = gsl_vector_get(x, 1), b = gsl_vector_get(x, 2);
  for (size_t i = 0; i < DECAY_N; i++)
    gsl_vector_set(f, i, d->w[i] * (A * exp(-lambda * d->t[i]) + b - d->y[i]));
  return GSL_SUCCESS;
}

static int decay_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  const decayp *d = params;
  double A = gsl_vector_get(x, 0), lambda = gsl_vector_get(x, 1);
  for (size_t i = 0; i < DECAY_N; i++) {
    double e = exp(-lambda * d->t[i]);
    gsl_matrix_set(J, i, 0, d->w[i] * e);
    gsl_matrix_set(J, i, 1, d->w[i] * (d->wrong == 1 ? 1.0 : -1.0) * d->t[i] * A * e);
    gsl_matrix_set(J, i, 2, d->w[i]);
  }
  if (d->wrong == 2)
    gsl_matrix_set(J, d->bad_row, 1, gsl_matrix_get(J, d->bad_row, 1) * (1.0 + 1e-4));
  return GSL_SUCCESS;
}

static void decay_init(decayp *d, int weighted)
{
  for (size_t i = 0; i < DECAY_N; i++) {
    d->t[i] = i * 3.0 / (DECAY_N - 1.0);
    d->y[i] = 5.0 * exp(-1.5 * d->t[i]) + 1.0 + 0.1 * sin(7.3 * i);
    d->w[i] = weighted ? pow(10.0, 8.0 - 16.0 * i / (DECAY_N - 1.0)) : 1.0;
  }
  d->wrong = 0;
  d->bad_row = 0;
}

static gsl_multifit_nlinear_fdf decay_fdf(decayp *d)
{
  gsl_multifit_nlinear_fdf fdf = {.f = decay_f, .df = decay_df, .n = DECAY_N, .p = 3, .params = d};
  return fdf;
}

static gsl_vector *decay_x(void)
{
  gsl_vector *x = gsl_vector_alloc(3);
  gsl_vector_set(x, 0, 4.7);
  gsl_vector_set(x, 1, 1.3);
  gsl_vector_set(x, 2, 0.9);
  return x;
}

START_TEST(test_jacobian_decay)
{
  decayp d;
  decay_init(&d, _i);
  gsl_multifit_nlinear_fdf fdf = decay_fdf(&d);
  gsl_vector *x = decay_x();
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
  if (gv_outcome_verdict(out) != GV_PASS)
    gv_outcome_fprintf(stderr, out);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  ck_assert_uint_eq(gv_outcome_rows(out), DECAY_N);
  ck_assert_uint_eq(gv_outcome_cols(out), 3);
  ck_assert_uint_le(gv_outcome_nevals(out), MAX_EVALS_PER_VAR * 3 + 1);
  ck_assert_double_le(gv_outcome_max_rel_err(out), RIGHT_REL_MAX);
  gv_options central;
  gv_options_central(&central); /* 4 per column and f(x): no entry in doubt */
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, &central, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  ck_assert_uint_eq(gv_outcome_nevals(out), 4 * 3 + 1);

  d.wrong = 1;
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  ck_assert_uint_eq(gv_outcome_nfail(out), DECAY_N - 1); /* t_0 = 0: that entry is 0 */

  /* One entry off by 1e-4, in the first, middle and last row (1e8 to 1e-8 when weighted). */
  const size_t rows[3] = {1, DECAY_N / 2, DECAY_N - 1};
  for (size_t r = 0; r < 3; r++) {
    d.wrong = 2;
    d.bad_row = rows[r];
    ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
    ck_assert_uint_eq(gv_outcome_nfail(out), 1);
    gv_entry e;
    gv_outcome_worst(out, &e);
    ck_assert_uint_eq(e.row, rows[r]);
    ck_assert_uint_eq(e.col, 1);
  }
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

START_TEST(test_jacobian_directional)
{
  decayp d;
  decay_init(&d, 0);
  gsl_multifit_nlinear_fdf fdf = decay_fdf(&d);
  gsl_vector *x = decay_x();
  gv_options o;
  gv_options_init(&o);
  o.directions = 2;
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, &o, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  ck_assert_uint_eq(gv_outcome_rows(out), DECAY_N + 1); /* J v and u^T J v */
  ck_assert_uint_eq(gv_outcome_cols(out), 2);
  ck_assert_uint_le(gv_outcome_nevals(out), MAX_EVALS_PER_VAR * 2 + 1);
  d.wrong = 1;
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, &o, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* Directional Jacobians with k != n and k = n directions, under a GSL error
 * handler that counts: the check must never reach it (the u^T J v step once
 * passed a length-k vector where n was needed, and in and out overlapped at
 * k = n). With kerr = rtol = 0 an entry's bound is its floor, atol_scale
 * |u|^T |J| |v|, at least atol_scale |u^T J v|. */
/* Counts calls of GSL's error handler: the library must never reach it. */
static int handler_calls;

static void counting_handler(const char *reason, const char *file, int line, int gsl_errno)
{
  (void)reason;
  (void)file;
  (void)line;
  (void)gsl_errno;
  handler_calls++;
}

START_TEST(test_jacobian_directional_sizes)
{
  decayp d;
  decay_init(&d, 0);
  gsl_multifit_nlinear_fdf fdf = decay_fdf(&d);
  gsl_vector *x = decay_x();
  gv_options o;
  gv_options_init(&o);
  o.kerr = 0.0;
  o.atol_scale = 1e-3;
  gv_outcome *out = gv_outcome_alloc();
  const size_t ks[3] = {2, DECAY_N, DECAY_N + 3};
  gsl_error_handler_t *old = gsl_set_error_handler(counting_handler);
  handler_calls = 0;
  for (size_t t = 0; t < 3; t++) {
    o.directions = ks[t];
    ck_assert_int_eq(gv_check_jacobian(&fdf, x, &o, out), GSL_SUCCESS);
    ck_assert_uint_eq(gv_outcome_cols(out), ks[t]);
    for (size_t c = 0; c < ks[t]; c++) {
      gv_entry e;
      ck_assert_int_eq(gv_outcome_entry(out, DECAY_N * ks[t] + c, &e), GSL_SUCCESS);
      ck_assert_uint_eq(e.row, DECAY_N);
      ck_assert_double_gt(e.bound, 0.0);
      ck_assert_double_ge(e.bound, 1e-3 * fabs(e.analytic));
    }
  }
  gsl_set_error_handler(old);
  ck_assert_int_eq(handler_calls, 0);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* Residuals (sum_i sin(x_i), 0), or the first alone (fdf.n = 1): the second
 * row is 0 for every x, its floor (S = 0, atol 0) and error bars 0.
 * *params: the analytic J[1][bad] is set to 1e-3 when bad is below p. */
static int zrow_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  (void)params;
  double s = 0.0;
  for (size_t i = 0; i < x->size; i++)
    s += sin(gsl_vector_get(x, i));
  gsl_vector_set(f, 0, s);
  if (f->size > 1)
    gsl_vector_set(f, 1, 0.0);
  return GSL_SUCCESS;
}

static int zrow_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  const size_t *bad = params;
  for (size_t i = 0; i < x->size; i++) {
    gsl_matrix_set(J, 0, i, cos(gsl_vector_get(x, i)));
    if (J->size1 > 1)
      gsl_matrix_set(J, 1, i, i == *bad ? 1e-3 : 0.0);
  }
  return GSL_SUCCESS;
}

/* A row that is exactly 0 settles on the first estimate (0 against 0 with a
 * bar of 0 resolves any error): the check costs what it costs without that
 * row, not a finer estimate and Ridders for every column (887 evaluations
 * instead of 181 when it did not). A nonzero analytic entry in it still
 * fails, alone. */
START_TEST(test_jacobian_zero_row)
{
  const size_t p = 20;
  size_t bad = p;
  gsl_multifit_nlinear_fdf fdf = {.f = zrow_f, .df = zrow_df, .n = 2, .p = p, .params = &bad};
  gsl_vector *x = gsl_vector_alloc(p);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(x && out);
  for (size_t i = 0; i < p; i++)
    gsl_vector_set(x, i, 0.3 + 0.1 * (double)i);
  fdf.n = 1;
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  const size_t alone = gv_outcome_nevals(out);
  fdf.n = 2;
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  ck_assert_uint_eq(gv_outcome_nevals(out), alone);
  bad = 7;
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_nfail(out), 1);
  gv_entry e;
  ck_assert_int_eq(gv_outcome_worst(out, &e), GSL_SUCCESS);
  ck_assert_uint_eq(e.row, 1);
  ck_assert_uint_eq(e.col, 7);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* Rosenbrock as GSL residuals (10 (x1 - x0^2), 1 - x0): J has an exact zero. */
static int rres_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  (void)params;
  double x0 = gsl_vector_get(x, 0), x1 = gsl_vector_get(x, 1);
  gsl_vector_set(f, 0, 10.0 * (x1 - x0 * x0));
  gsl_vector_set(f, 1, 1.0 - x0);
  return GSL_SUCCESS;
}

static int rres_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  const int *wrong = params;
  double x0 = gsl_vector_get(x, 0);
  gsl_matrix_set(J, 0, 0, (*wrong ? -10.0 : -20.0) * x0);
  gsl_matrix_set(J, 0, 1, 10.0);
  gsl_matrix_set(J, 1, 0, -1.0);
  gsl_matrix_set(J, 1, 1, 0.0);
  return GSL_SUCCESS;
}

START_TEST(test_jacobian_rosenbrock)
{
  int wrong = 0;
  gsl_multifit_nlinear_fdf fdf = {.f = rres_f, .df = rres_df, .n = 2, .p = 2, .params = &wrong};
  gsl_vector *x = fx_vector((const double[]){-1.2, 1.0}, 2);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  wrong = 1;
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  gv_entry e;
  gv_outcome_worst(out, &e);
  ck_assert_uint_eq(e.row, 0);
  ck_assert_uint_eq(e.col, 0);
  ck_assert_double_eq_tol(e.numeric, 24.0, 1e-8);
  ck_assert_double_eq_tol(e.analytic, 12.0, 1e-12);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* Kinks in residuals: (|x0|, relu(x1), max(x0, x1)) at x = 0. */
static int kres_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  (void)params;
  double x0 = gsl_vector_get(x, 0), x1 = gsl_vector_get(x, 1);
  gsl_vector_set(f, 0, fabs(x0));
  gsl_vector_set(f, 1, x1 > 0.0 ? x1 : 0.0);
  gsl_vector_set(f, 2, fmax(x0, x1));
  return GSL_SUCCESS;
}

static int kres_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  (void)x;
  const double *j00 = params;
  gsl_matrix_set_zero(J);
  gsl_matrix_set(J, 0, 0, *j00);
  gsl_matrix_set(J, 1, 1, 1.0);
  gsl_matrix_set(J, 2, 0, 1.0);
  return GSL_SUCCESS;
}

START_TEST(test_jacobian_kinks)
{
  double j00 = 1.0;
  gsl_multifit_nlinear_fdf fdf = {.f = kres_f, .df = kres_df, .n = 3, .p = 2, .params = &j00};
  gsl_vector *x = gsl_vector_calloc(2);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  ck_assert_uint_eq(gv_outcome_nnonsmooth(out), 4); /* (0,0), (1,1), (2,0), (2,1) */
  j00 = -1.25;
  ck_assert_int_eq(gv_check_jacobian(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  ck_assert_uint_eq(gv_outcome_nfail(out), 1);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Directional mode costs O(k) evaluations whatever n.                 */

START_TEST(test_directional_cost)
{
  const size_t k = 4, sizes[2] = {10, 1000};
  size_t nevals[2];
  gv_options o;
  gv_options_central(&o); /* exactly 4k + 1; Ridders' count depends on f along v */
  o.directions = k;
  gv_outcome *out = gv_outcome_alloc();
  for (size_t s = 0; s < 2; s++) {
    gcase c = GCASES[CASE_WIDE];
    c.n = sizes[s];
    gsetup g;
    gsetup_init(&g, &c);
    ck_assert(check_grad(&g, &o, out) == GV_PASS);
    nevals[s] = gv_outcome_nevals(out);
    ck_assert_uint_le(nevals[s], 20 * k + 1);
    /* A single entry off by 1% among 1000 still shows in every direction. */
    g.p.bad = c.n / 3;
    g.p.corrupt = 1;
    g.p.rel = 0.01;
    ck_assert(check_grad(&g, &o, out) == GV_FAIL);
    ck_assert_uint_eq(gv_outcome_nfail(out), k);
    gsetup_free(&g);
  }
  ck_assert_uint_eq(nevals[0], nevals[1]);
  ck_assert_uint_eq(nevals[1], 4 * k + 1);
  /* By default, at most MAX_EVALS_PER_VAR k + 1, whatever n. */
  gv_options_init(&o);
  o.directions = k;
  gcase c = GCASES[CASE_WIDE];
  c.n = 1000;
  gsetup g;
  gsetup_init(&g, &c);
  ck_assert(check_grad(&g, &o, out) == GV_PASS);
  ck_assert_uint_le(gv_outcome_nevals(out), MAX_EVALS_PER_VAR * k + 1);
  gsetup_free(&g);
  gv_outcome_free(out);
}
END_TEST

/* x_i = start + step i, i < n (NULL without memory). */
static gsl_vector *ramp_alloc(size_t n, double start, double step)
{
  gsl_vector *x = gsl_vector_alloc(n);
  for (size_t i = 0; x && i < n; i++)
    gsl_vector_set(x, i, start + step * (double)i);
  return x;
}

/* f = sum x_i^2, its gradient 2x with entry bad off by delta. */
static double sq_f(const gsl_vector *x, void *params)
{
  (void)params;
  double s = 0.0;
  gsl_blas_ddot(x, x, &s);
  return s;
}

static void sq_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const double *delta = params;
  gsl_vector_memcpy(g, x);
  gsl_vector_scale(g, 2.0);
  *gsl_vector_ptr(g, 1) += *delta;
}

/* A variable settles on its first estimate only if it agrees within one
 * error bar, not the verdict's ten: entry 1 off by 3e-9, about 7 times the
 * first estimate's round-off bar (~4.5e-10) and well within 10 of them and
 * 1e-7 S, escalates and fails on Ridders' value; the right gradient settles
 * at 3 evaluations per variable. */
START_TEST(test_settle_within_one_bar)
{
  double delta = 0.0;
  gsl_multimin_function_fdf fdf = {sq_f, sq_df, NULL, 3, &delta};
  gsl_vector *x = ramp_alloc(3, 0.5, 0.2);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(x && out);
  ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert(gv_outcome_verdict(out) == GV_PASS);
  ck_assert_uint_eq(gv_outcome_nevals(out), 3 * 3 + 1);
  delta = 3e-9;
  ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_nfail(out), 1);
  gv_entry e;
  ck_assert_int_eq(gv_outcome_worst(out, &e), GSL_SUCCESS);
  ck_assert_uint_eq(e.col, 1);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* f = 10 + sum x_i^2, its gradient 2x with entry bad off by delta: the
 * offset makes f's round-off, not its curvature, set the first estimate's
 * error bar. */
typedef struct {
  size_t bad;
  double delta;
} offset_sq;

static double offset_sq_f(const gsl_vector *x, void *params)
{
  return 10.0 + sq_f(x, params);
}

static void offset_sq_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  const offset_sq *q = params;
  gsl_vector_memcpy(g, x);
  gsl_vector_scale(g, 2.0);
  *gsl_vector_ptr(g, q->bad) += q->delta;
}

/* The resolution the defaults promise, 10 floors (1e-9 S): at x = (0.5,
 * 0.7, 0.9), S = 1.8, the first estimates' bars (round-off 8 eps 2 f / 2h,
 * ~3.4e-9, 1.9e-9 S) cannot tell an error of 1e-9 S from none, so no
 * variable settles there; the finer estimate (6 more evaluations, a tenth
 * of the round-off) settles the right gradient, and each entry off by
 * +-1e-9 S in turn escalates and fails alone on Ridders' value. */
START_TEST(test_resolution_floor)
{
  const size_t n = 3;
  offset_sq q = {0, 0.0};
  gsl_multimin_function_fdf fdf = {offset_sq_f, offset_sq_df, NULL, n, &q};
  gsl_vector *x = ramp_alloc(n, 0.5, 0.2);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(x && out);
  const double S = 2.0 * gsl_vector_get(x, n - 1);
  for (size_t bad = 0; bad < n; bad++)
    for (int sign = -1; sign <= 1; sign += 2) {
      q = (offset_sq){bad, sign * 1e-9 * S};
      ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
      ck_assert_uint_eq(gv_outcome_nfail(out), 1);
      gv_entry e;
      ck_assert_int_eq(gv_outcome_worst(out, &e), GSL_SUCCESS);
      ck_assert_uint_eq(e.col, bad);
    }
  q.delta = 0.0;
  ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert(gv_outcome_verdict(out) == GV_PASS);
  ck_assert_uint_eq(gv_outcome_nevals(out), (3 + 6) * n + 1);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* Adaptive escalation: a smooth function whose length scale the step rule
 * fits is decided by its first central estimate (3 evaluations per variable,
 * one f(x)); one whose length scale is 1e-6 (the step 6 times too long) is
 * escalated to Ridders; a wrong entry escalates its own variable alone. */
START_TEST(test_escalation)
{
  const size_t n = 6;
  fparams p = {.n = n, .c = 1.0, .s = 1.0};
  gsl_multimin_function_fdf fdf = {scaled_f, scaled_df, NULL, n, &p};
  gsl_vector *x = ramp_alloc(n, 0.3, 0.1);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(x && out);
  ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert(gv_outcome_verdict(out) == GV_PASS);
  ck_assert_uint_eq(gv_outcome_nevals(out), 3 * n + 1);
  p.corrupt = 1;
  p.bad = 2;
  p.rel = 1e-4;
  ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert_uint_eq(gv_outcome_nfail(out), 1);
  gv_entry e;
  ck_assert_int_eq(gv_outcome_worst(out, &e), GSL_SUCCESS);
  ck_assert_uint_eq(e.col, 2);
  ck_assert_uint_gt(gv_outcome_nevals(out), 3 * n + 1 + 10);
  ck_assert_uint_le(gv_outcome_nevals(out), 3 * n + 1 + MAX_EVALS_PER_VAR);
  p.corrupt = 0;
  p.s = 1e-6;
  gsl_vector_scale(x, 1e-6);
  ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
  ck_assert(gv_outcome_verdict(out) == GV_PASS);
  ck_assert_uint_gt(gv_outcome_nevals(out), 10 * n);
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Errors.                                                             */

static double nan_f(const gsl_vector *x, void *params)
{
  (void)params;
  return gsl_vector_get(x, 0) > 0.0 ? NAN : 1.0;
}

static void nan_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  (void)x;
  (void)params;
  gsl_vector_set_all(g, 0.0);
}

/* NaN only below x0 = 1e-6: at x0 = 1e-7 only the left stencil points see it. */
static double log_f(const gsl_vector *x, void *params)
{
  (void)params;
  return log(gsl_vector_get(x, 0) - 1e-6);
}

static void log_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  (void)params;
  gsl_vector_set(g, 0, 1.0 / (gsl_vector_get(x, 0) - 1e-6));
}

static int failing_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  (void)x;
  (void)params;
  gsl_vector_set_all(f, 0.0);
  return GSL_EDOM;
}

static int failing_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  (void)x;
  (void)params;
  gsl_matrix_set_zero(J);
  return GSL_ERANGE;
}

START_TEST(test_errors)
{
  gsl_error_handler_t *old = gsl_set_error_handler(counting_handler);
  handler_calls = 0;
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_ROSENBROCK]);
  gv_outcome *out = gv_outcome_alloc();
  gsl_vector *x3 = gsl_vector_calloc(3);

  ck_assert_int_eq(gv_check_gradient(NULL, g.x, NULL, out), GSL_EFAULT);
  ck_assert_int_eq(gv_check_gradient(&g.fdf, NULL, NULL, out), GSL_EFAULT);
  ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, NULL, NULL), GSL_EFAULT);
  ck_assert_int_eq(gv_check_gradient(&g.fdf, x3, NULL, out), GSL_EBADLEN);
  gsl_multimin_function_fdf bad = g.fdf;
  bad.df = NULL;
  ck_assert_int_eq(gv_check_gradient(&bad, g.x, NULL, out), GSL_EINVAL);
  bad = g.fdf;
  bad.f = NULL;
  ck_assert_int_eq(gv_check_gradient(&bad, g.x, NULL, out), GSL_EINVAL);
  bad = g.fdf;
  bad.n = 0;
  gsl_vector_view empty = gsl_vector_subvector(g.x, 0, 1); /* n = 0 never matches */
  ck_assert_int_eq(gv_check_gradient(&bad, &empty.vector, NULL, out), GSL_EBADLEN);

  gv_options o;
  gv_options_init(&o);
  o.rtol = -1.0;
  ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, &o, out), GSL_EINVAL);
  gv_options_init(&o);
  o.kerr = NAN;
  ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, &o, out), GSL_EINVAL);
  gv_options_init(&o);
  o.step_rule = GV_STEP_FIXED;
  o.step = 0.0;
  ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, &o, out), GSL_EINVAL);
  o.step_rule = (gv_step_rule)7;
  ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, &o, out), GSL_EINVAL);

  /* Non-finite values from f: at x, and only at a perturbed point. */
  gsl_multimin_function_fdf nanfdf = {.f = nan_f, .df = nan_df, .n = 1};
  gsl_vector *x1 = gsl_vector_alloc(1);
  gsl_vector_set(x1, 0, 0.5);
  ck_assert_int_eq(gv_check_gradient(&nanfdf, x1, NULL, out), GSL_EBADFUNC);
  gsl_vector_set(x1, 0, -1e-7);
  ck_assert_int_eq(gv_check_gradient(&nanfdf, x1, NULL, out), GSL_EBADFUNC);
  ck_assert_double_eq(gsl_vector_get(x1, 0), -1e-7); /* x untouched */
  gsl_multimin_function_fdf logfdf = {.f = log_f, .df = log_df, .n = 1};
  gsl_vector_set(x1, 0, 1.5e-6);
  ck_assert_int_eq(gv_check_gradient(&logfdf, x1, NULL, out), GSL_EBADFUNC);
  ck_assert_uint_eq(gv_outcome_size(out), 0); /* left empty */
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);

  /* Jacobians. */
  decayp d;
  decay_init(&d, 0);
  gsl_multifit_nlinear_fdf jf = decay_fdf(&d);
  gsl_vector *xd = decay_x();
  ck_assert_int_eq(gv_check_jacobian(NULL, xd, NULL, out), GSL_EFAULT);
  ck_assert_int_eq(gv_check_jacobian(&jf, NULL, NULL, out), GSL_EFAULT);
  ck_assert_int_eq(gv_check_jacobian(&jf, xd, NULL, NULL), GSL_EFAULT);
  ck_assert_int_eq(gv_check_jacobian(&jf, g.x, NULL, out), GSL_EBADLEN); /* size 2, p = 3 */
  gsl_multifit_nlinear_fdf jbad = jf;
  jbad.df = NULL; /* GSL's "use finite differences": meaningless to a checker */
  ck_assert_int_eq(gv_check_jacobian(&jbad, xd, NULL, out), GSL_EINVAL);
  jbad = jf;
  jbad.f = NULL;
  ck_assert_int_eq(gv_check_jacobian(&jbad, xd, NULL, out), GSL_EINVAL);
  jbad = jf;
  jbad.n = 0;
  ck_assert_int_eq(gv_check_jacobian(&jbad, xd, NULL, out), GSL_EBADLEN);
  jbad = jf;
  jbad.f = failing_f;
  ck_assert_int_eq(gv_check_jacobian(&jbad, xd, NULL, out), GSL_EDOM);
  jbad = jf;
  jbad.df = failing_df;
  ck_assert_int_eq(gv_check_jacobian(&jbad, xd, NULL, out), GSL_ERANGE);
  o.step_rule = GV_STEP_SCALED;
  o.atol_scale = -1.0;
  ck_assert_int_eq(gv_check_jacobian(&jf, xd, &o, out), GSL_EINVAL);

  /* Accessors. */
  gv_entry e;
  ck_assert_int_eq(gv_outcome_entry(out, 0, &e), GSL_EDOM);
  ck_assert_int_eq(gv_outcome_worst(out, &e), GSL_EDOM);
  ck_assert_int_eq(gv_outcome_entry(NULL, 0, &e), GSL_EFAULT);
  ck_assert_int_eq(gv_outcome_entry(out, 0, NULL), GSL_EFAULT);
  ck_assert_uint_eq(gv_outcome_size(NULL), 0);
  ck_assert_int_eq(gv_outcome_verdict(NULL), GV_PASS);
  ck_assert_int_eq(gv_outcome_fprintf(NULL, out), GSL_EFAULT);
  ck_assert_int_eq(gv_outcome_fprintf(stderr, NULL), GSL_EFAULT);
  gv_outcome_free(NULL);

  /* The handler saw nothing and is still the caller's. */
  ck_assert_int_eq(handler_calls, 0);
  ck_assert(gsl_set_error_handler(old) == counting_handler);

  gv_outcome_free(out);
  gsl_vector_free(x1);
  gsl_vector_free(x3);
  gsl_vector_free(xd);
  gsetup_free(&g);
}
END_TEST

/* One outcome reused across sizes and kinds. */
START_TEST(test_outcome_reuse)
{
  gv_outcome *out = gv_outcome_alloc();
  for (size_t c = 0; c < NGCASES; c++) {
    gsetup g;
    gsetup_init(&g, &GCASES[c]);
    ck_assert(check_grad(&g, NULL, out) == GV_PASS);
    ck_assert_uint_eq(gv_outcome_size(out), GCASES[c].n);
    gsetup_free(&g);
    decayp d;
    decay_init(&d, 0);
    gsl_multifit_nlinear_fdf jf = decay_fdf(&d);
    gsl_vector *xd = decay_x();
    ck_assert_int_eq(gv_check_jacobian(&jf, xd, NULL, out), GSL_SUCCESS);
    ck_assert_uint_eq(gv_outcome_size(out), DECAY_N * 3);
    gsl_vector_free(xd);
  }
  gv_outcome_free(out);
}
END_TEST

/* The summary names the failing entry first. */
START_TEST(test_fprintf)
{
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_QUADRATIC]);
  g.p.corrupt = 1;
  g.p.bad = 2;
  g.p.rel = 1e-3;
  gv_outcome *out = gv_outcome_alloc();
  /* Empty (as a check that returned an error leaves it): no verdict of
   * nothing printed, no method, no tolerances. */
  char *buf = fx_printout(out);
  ck_assert_msg(strncmp(buf, "no check: the outcome is empty", 30) == 0, "%s", buf);
  ck_assert_msg(!strstr(buf, "PASS") && !strstr(buf, "method"), "%s", buf);
  free(buf);
  ck_assert(check_grad(&g, NULL, out) == GV_FAIL);
  buf = fx_printout(out);
  ck_assert_msg(strncmp(buf, "FAIL: 1 of 4 entries failed", 27) == 0, "%s", buf);
  char *list = strstr(buf, "failing entries (row, column):\n  (0, 2):");
  ck_assert_msg(list != NULL, "%s", buf);
  ck_assert(list < strstr(buf, "worst entry:"));
  free(buf);
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Contracts under stress (issue 9).                                   */

/* A jump, f = x + [x >= 0.5], at its step x = 0.5. */
static double jump_f(const gsl_vector *x, void *params)
{
  (void)params;
  const double t = gsl_vector_get(x, 0);
  return t + (t >= 0.5 ? 1.0 : 0.0);
}

static void jump_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  (void)x;
  gsl_vector_set(g, 0, *(const double *)params);
}

/* A discontinuity comes out non-smooth with finite values under both
 * methods: 1 (the slope on both sides) lies in [right, left] and passes, -1
 * does not. Ridders' step once shrank until x +- h rounded to x: NaN. */
START_TEST(test_jump_nonsmooth)
{
  double slope = 1.0;
  gsl_multimin_function_fdf fdf = {.f = jump_f, .df = jump_df, .n = 1, .params = &slope};
  gsl_vector *x = gsl_vector_alloc(1);
  gsl_vector_set(x, 0, 0.5);
  gv_outcome *out = gv_outcome_alloc();
  for (int central = 0; central < 2; central++) {
    gv_options o;
    if (central)
      gv_options_central(&o);
    else
      gv_options_init(&o);
    slope = 1.0;
    ck_assert_int_eq(gv_check_gradient(&fdf, x, &o, out), GSL_SUCCESS);
    gv_entry e;
    ck_assert_int_eq(gv_outcome_entry(out, 0, &e), GSL_SUCCESS);
    ck_assert_msg(!e.smooth, "method %d: a jump marked smooth", central);
    ck_assert(isfinite(e.numeric) && isfinite(e.error_bar) && isfinite(e.bound));
    ck_assert(isfinite(e.left) && isfinite(e.right));
    ck_assert_double_eq_tol(e.right, 1.0, 1e-6);
    ck_assert_double_gt(e.left, 1e3);
    ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
    slope = -1.0;
    ck_assert_int_eq(gv_check_gradient(&fdf, x, &o, out), GSL_SUCCESS);
    ck_assert_int_eq(gv_outcome_verdict(out), GV_FAIL);
  }
  gv_outcome_free(out);
  gsl_vector_free(x);
}
END_TEST

/* x = +-Inf or NaN: GSL_EBADFUNC from every check, as the header says. */
START_TEST(test_nonfinite_x)
{
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_ROSENBROCK]);
  gv_outcome *out = gv_outcome_alloc();
  const double bad[3] = {INFINITY, -INFINITY, NAN};
  for (int k = 0; k < 3; k++) {
    gsl_vector_set(g.x, 1, bad[k]);
    ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, NULL, out), GSL_EBADFUNC);
    gv_taylor_result tr;
    ck_assert_int_eq(gv_check_taylor(&g.fdf, g.x, NULL, 0.0, &tr), GSL_EBADFUNC);
  }
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

/* GV_STEP_FIXED with a step that cannot move x (1e-300 next to 1.2) is
 * rejected; once it was accepted and failed right gradients. A step that
 * moves x is honest: the right gradient passes. */
START_TEST(test_fixed_step_tiny)
{
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_ROSENBROCK]);
  gv_outcome *out = gv_outcome_alloc();
  gv_options o;
  gv_options_central(&o);
  o.step_rule = GV_STEP_FIXED;
  o.step = 1e-300;
  ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, &o, out), GSL_EINVAL);
  ck_assert_uint_eq(gv_outcome_size(out), 0);
  /* A step of 0 or less is an invalid option whatever x holds: options
   * are checked before x (a NaN x alone is GSL_EBADFUNC). */
  const double x0 = gsl_vector_get(g.x, 0);
  gsl_vector_set(g.x, 0, NAN);
  ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, &o, out), GSL_EBADFUNC);
  static const double bad[] = {0.0, -1e-6, NAN};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    o.step = bad[k];
    ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, &o, out), GSL_EINVAL);
  }
  gsl_vector_set(g.x, 0, x0);
  o.step = 1e-6;
  ck_assert(check_grad(&g, &o, out) == GV_PASS);
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

/* 2^40 directions: GSL_ENOMEM, nothing leaked (the sanitizer build's leak
 * check sees it; GSL's gsl_matrix_alloc leaked its struct here), the
 * handler never called. So too for counts whose k * sizeof(double) wraps
 * size_t (2^61 + 1 gave a buffer of 8 bytes and k seeds written into it:
 * a crash) and for SIZE_MAX. */
START_TEST(test_directions_enomem)
{
  static const size_t ks[] = {(size_t)1 << 40, SIZE_MAX / 8 + 1, SIZE_MAX / 8 + 2, SIZE_MAX};
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_ROSENBROCK]);
  gv_outcome *out = gv_outcome_alloc();
  gv_options o;
  gv_options_init(&o);
  o.directions = ks[_i];
  gsl_error_handler_t *old = gsl_set_error_handler(counting_handler);
  handler_calls = 0;
  ck_assert_int_eq(gv_check_gradient(&g.fdf, g.x, &o, out), GSL_ENOMEM);
  gsl_set_error_handler(old);
  ck_assert_int_eq(handler_calls, 0);
  ck_assert_uint_eq(gv_outcome_size(out), 0);
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

/* gv_outcome_fprintf reports a write that fails: at the flush (/dev/full),
 * or on a stream whose error flag is set (one opened for reading). */
START_TEST(test_fprintf_stream_errors)
{
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_QUADRATIC]);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert(check_grad(&g, NULL, out) == GV_PASS);
  FILE *full = fopen("/dev/full", "w");
  ck_assert_ptr_nonnull(full);
  ck_assert_int_eq(gv_outcome_fprintf(full, out), GSL_EFAILED);
  fclose(full);
  FILE *ro = fopen("/dev/null", "r");
  ck_assert_ptr_nonnull(ro);
  ck_assert_int_eq(gv_outcome_fprintf(ro, out), GSL_EFAILED);
  fclose(ro);
  FILE *ok = fopen("/dev/null", "w");
  ck_assert_int_eq(gv_outcome_fprintf(ok, out), GSL_SUCCESS);
  fclose(ok);
  gv_outcome_free(out);
  gsetup_free(&g);
}
END_TEST

/* Independent checks in parallel: 8 threads x 300 checks (gradient, central
 * and Ridders, and the Taylor test) while a custom handler is installed. The
 * library never calls nor replaces it; when each allocation switched the
 * handler off and back, the caller's handler was lost in 4 of 5 runs. */
#define NTHREADS 8
#define NCHECKS 300

static void *thread_checks(void *arg)
{
  int *failures = arg;
  gsetup g;
  gsetup_init(&g, &GCASES[CASE_ROSENBROCK]);
  gv_outcome *out = gv_outcome_alloc();
  gv_options quick; /* cheap checks, so that allocations are many */
  gv_options_central(&quick);
  quick.refine = 0;
  for (int k = 0; k < NCHECKS; k++) {
    gv_taylor_result tr;
    quick.directions = (size_t)(k % 2);
    int status = k % 3 == 2 ? gv_check_taylor(&g.fdf, g.x, NULL, 0.0, &tr)
                            : gv_check_gradient(&g.fdf, g.x, k % 5 ? &quick : NULL, out);
    *failures += status != GSL_SUCCESS || (k % 3 != 2 && gv_outcome_verdict(out) != GV_PASS);
  }
  gv_outcome_free(out);
  gsetup_free(&g);
  return NULL;
}

START_TEST(test_threads)
{
  gsl_error_handler_t *old = gsl_set_error_handler(counting_handler);
  handler_calls = 0;
  pthread_t t[NTHREADS];
  int failures[NTHREADS] = {0};
  for (int i = 0; i < NTHREADS; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, thread_checks, &failures[i]), 0);
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(t[i], NULL);
    ck_assert_int_eq(failures[i], 0);
  }
  gsl_error_handler_t *now = gsl_set_error_handler(old);
  ck_assert_msg(now == counting_handler, "the caller's error handler was replaced");
  ck_assert_int_eq(handler_calls, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The done-when: no false failure, and 1e-6 max|g| caught in >= 99%.  */

#define AT_TRIALS 200
#define AT_TRIALS_NET 40 /* 43 parameters: the costliest family */
#define AT_DELTA 1e-6

/* Loop index _i: the family, over every scale variant; the rate is over
 * all of them, each variant's own count printed when it misses. */
START_TEST(test_detection)
{
  const int kind = _i;
  const size_t trials = kind == AT_NET ? AT_TRIALS_NET : AT_TRIALS;
  size_t total_caught = 0, total = 0;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gv_outcome *out = gv_outcome_alloc();
  for (size_t variant = 0; variant < AT_NVARIANTS; variant++) {
    at_params p;
    ck_assert_int_eq(at_init(&p, kind, variant), 0);
    gsl_rng_set(r, SEED + 100 * (unsigned long)_i + variant);
    gsl_multimin_function_fdf fdf = {at_f, at_df, NULL, p.n, &p};
    gsl_vector *x = gsl_vector_alloc(p.n);
    size_t false_fail = 0, caught = 0;
    for (size_t t = 0; t < trials; t++) {
      at_draw(&p, r, x);
      ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
      if (gv_outcome_verdict(out) != GV_PASS) {
        false_fail++;
        gv_outcome_fprintf(stderr, out);
      }
      at_corrupt(&p, r, x, AT_DELTA);
      ck_assert_int_eq(gv_check_gradient(&fdf, x, NULL, out), GSL_SUCCESS);
      gv_entry e;
      ck_assert_int_eq(gv_outcome_worst(out, &e), GSL_SUCCESS);
      caught += gv_outcome_nfail(out) == 1 && e.col == p.bad;
    }
    ck_assert_msg(false_fail == 0, "%s %s: %zu of %zu right gradients failed", AT_KIND_NAME[kind],
                  AT_VARIANTS[variant].name, false_fail, trials);
    if (caught < trials)
      fprintf(stderr, "# %s %s: %zu of %zu corruptions of 1e-6 max|g| caught\n", AT_KIND_NAME[kind],
              AT_VARIANTS[variant].name, caught, trials);
    total_caught += caught;
    total += trials;
    gsl_vector_free(x);
    at_free(&p);
  }
  ck_assert_msg(total_caught * 100 >= total * 99,
                "%s: %zu of %zu corruptions of 1e-6 max|g| caught", AT_KIND_NAME[kind],
                total_caught, total);
  gv_outcome_free(out);
  gsl_rng_free(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Measurements: the worst relative error on right derivatives, and the */
/* smallest planted relative error on the largest entry that still fails. */

START_TEST(test_measure)
{
  int print = getenv("GV_API_MEASURE") != NULL;
  double worst_right = 0.0, worst_smallest = 0.0;
  gv_outcome *out = gv_outcome_alloc();
  for (size_t c = 0; c < NGCASES; c++) {
    if (c == CASE_WIDE) /* n = 1000: 17 checks of it would take seconds */
      continue;
    gsetup g;
    gsetup_init(&g, &GCASES[c]);
    check_grad(&g, NULL, out);
    double right = gv_outcome_max_rel_err(out);
    size_t nevals = gv_outcome_nevals(out);
    g.p.bad = argmax_abs(&g.fdf, g.x);
    g.p.corrupt = 1;
    double smallest = INFINITY;
    for (int k = 0; k <= 16; k++) { /* 1e-3 down to 1e-11, half decades */
      g.p.rel = pow(10.0, -3.0 - 0.5 * k);
      if (check_grad(&g, NULL, out) != GV_FAIL)
        break;
      smallest = g.p.rel;
    }
    if (print)
      fprintf(stderr,
              "%-28s n=%4zu  worst rel err (right) %.2e  smallest failing %.1e  evals %zu\n",
              GCASES[c].name, GCASES[c].n, right, smallest, nevals);
    worst_right = fmax(worst_right, right);
    worst_smallest = fmax(worst_smallest, smallest);
    gsetup_free(&g);
  }
  if (print)
    fprintf(stderr, "overall: worst rel err on right gradients %.2e, every case fails at %.1e\n",
            worst_right, worst_smallest);
  ck_assert_double_le(worst_right, RIGHT_REL_MAX);
  /* Measured: 3.2e-10 on most cases, 1e-9 on the softmax at logits near
   * 300, 1e-6 at inputs near 1e6 with length scale 1 (x + h rounds to
   * ulp(1e6) ~ 1e-10, and kerr 10 e follows); the old mode's worst was 3.2e-5. */
  ck_assert_double_le(worst_smallest, 1e-6);
  gv_outcome_free(out);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("api");
  TCase *tc = tcase_create("Gradient");
  tcase_add_loop_test(tc, test_gradient_right, 0, NGCASES);
  tcase_add_loop_test(tc, test_threads_zero, 0, NGCASES);
  tcase_add_loop_test(tc, test_gradient_wrong_1e4, 0, NGCASES);
  tcase_add_loop_test(tc, test_gradient_directional, 0, NGCASES);
  tcase_add_test(tc, test_quadratic_unsymmetrized);
  tcase_add_test(tc, test_escalation);
  tcase_add_test(tc, test_settle_within_one_bar);
  tcase_add_test(tc, test_resolution_floor);
  tcase_add_test(tc, test_network_no_mask);
  tcase_add_test(tc, test_zero_entry_reported);
  tcase_add_test(tc, test_directional_cost);
  suite_add_tcase(s, tc);

  tc = tcase_create("Kinks");
  tcase_add_loop_test(tc, test_kinks, 0, sizeof KINK_ROWS / sizeof KINK_ROWS[0]);
  tcase_add_test(tc, test_kink_near);
  tcase_add_loop_test(tc, test_kink_kerr_zero, 0, 2);
  tcase_add_test(tc, test_jacobian_kinks);
  suite_add_tcase(s, tc);

  tc = tcase_create("Jacobian");
  tcase_add_loop_test(tc, test_jacobian_decay, 0, 2);
  tcase_add_test(tc, test_jacobian_directional);
  tcase_add_test(tc, test_jacobian_directional_sizes);
  tcase_add_test(tc, test_jacobian_rosenbrock);
  tcase_add_test(tc, test_jacobian_zero_row);
  suite_add_tcase(s, tc);

  tc = tcase_create("Detection");
  tcase_add_loop_test(tc, test_detection, 0, AT_NKINDS);
  suite_add_tcase(s, tc);

  tc = tcase_create("Limits");
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_outcome_reuse);
  tcase_add_test(tc, test_fprintf);
  tcase_add_test(tc, test_measure);
  tcase_add_test(tc, test_jump_nonsmooth);
  tcase_add_test(tc, test_nonfinite_x);
  tcase_add_test(tc, test_fixed_step_tiny);
  tcase_add_loop_test(tc, test_directions_enomem, 0, 4);
  tcase_add_test(tc, test_fprintf_stream_errors);
  tcase_add_test(tc, test_threads);
  suite_add_tcase(s, tc);
  return s;
}
