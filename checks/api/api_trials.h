/* api_trials.h: the smooth test functions of the public API's detection
 * trials, shared by checks/api/check_api.c (a few hundred trials per family)
 * and checks/bench/bench_api.c (ten thousand). Header-only, static.
 *
 * A family is one of five functions of y = (x - off) / s, times c: Rosenbrock
 * in n = 6 dimensions, a quadratic y^T A y / 2 + b^T y with A not symmetric
 * (n = 5), sum_i w_i exp(k_i y_i) with weights 1e-3 .. 1e3 (n = 6), the
 * exponential-decay least-squares model of the GSL manual as a gradient of
 * (1/2) |r|^2 (n = 3), and the seed's network loss over its packed parameters
 * (4-5-3, n = 43). Each comes at value scales c = 1, 1e-8, 1e8, input scales
 * s = 1e-6, 1e6, and at inputs near 1e6 with length scale 1 (off = 1e6).
 * A trial draws a random point (and, for the exponentials and the network,
 * random coefficients and data), computes the right gradient, and can add
 * delta max|g| to one entry chosen at random. */
#ifndef API_TRIALS_H
#define API_TRIALS_H

#include <math.h>

#include <gsl/gsl_math.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_rng.h>

#include "gv_net.h"
#include "gv_net_pack.h"

enum { AT_ROSEN, AT_QUAD, AT_EXPSUM, AT_DECAY, AT_NET, AT_NKINDS };
static const char *const AT_KIND_NAME[AT_NKINDS] = {"rosenbrock", "quadratic", "exp sum",
                                                    "decay fit", "network"};
static const size_t AT_N[AT_NKINDS] = {6, 5, 6, 3, 43};

/* Value scale, input scale and offset of each variant. */
static const struct {
  const char *name;
  double c, s, off;
} AT_VARIANTS[] = {
    {"", 1.0, 1.0, 0.0},           {"values 1e-8", 1e-8, 1.0, 0.0},
    {"values 1e8", 1e8, 1.0, 0.0}, {"inputs 1e-6", 1.0, 1e-6, 0.0},
    {"inputs 1e6", 1.0, 1e6, 0.0}, {"inputs near 1e6", 1.0, 1.0, 1e6},
};
#define AT_NVARIANTS (sizeof AT_VARIANTS / sizeof AT_VARIANTS[0])

#define AT_DECAY_N 20
#define AT_MAXN 43

typedef struct {
  int kind;
  size_t n;
  double c, s, off;
  double A[5][5], b[5];                /* quadratic */
  double w[6], k[6];                   /* exp sum */
  double t[AT_DECAY_N], y[AT_DECAY_N]; /* decay fit */
  gv_net *net;                         /* network */
  gv_net_state *state;
  gv_net_grad *grad;
  gsl_vector *in, *target, *theta, *g;
  size_t bad; /* entry to corrupt */
  double add; /* added to it */
} at_params;

/* y_i = (x_i - off) / s. */
static double at_y(const at_params *p, const gsl_vector *x, size_t i)
{
  return (gsl_vector_get(x, i) - p->off) / p->s;
}

static double at_f(const gsl_vector *x, void *params)
{
  at_params *p = params;
  double f = 0.0;
  switch (p->kind) {
  case AT_ROSEN:
    for (size_t i = 0; i + 1 < p->n; i++) {
      double yi = at_y(p, x, i), yn = at_y(p, x, i + 1);
      f += 100.0 * gsl_pow_2(yn - yi * yi) + gsl_pow_2(1.0 - yi);
    }
    break;
  case AT_QUAD:
    for (size_t i = 0; i < p->n; i++) {
      f += p->b[i] * at_y(p, x, i);
      for (size_t j = 0; j < p->n; j++)
        f += 0.5 * at_y(p, x, i) * p->A[i][j] * at_y(p, x, j);
    }
    break;
  case AT_EXPSUM:
    for (size_t i = 0; i < p->n; i++)
      f += p->w[i] * exp(p->k[i] * at_y(p, x, i));
    break;
  case AT_DECAY: {
    double A = at_y(p, x, 0), lambda = at_y(p, x, 1), b = at_y(p, x, 2);
    for (size_t i = 0; i < AT_DECAY_N; i++)
      f += 0.5 * gsl_pow_2(A * exp(-lambda * p->t[i]) + b - p->y[i]);
    break;
  }
  default:
    for (size_t i = 0; i < p->n; i++)
      gsl_vector_set(p->theta, i, at_y(p, x, i));
    if (gv_net_unpack(p->theta, p->net) || gv_net_forward(p->net, p->in, p->target, p->state))
      return NAN;
    f = p->state->loss;
  }
  return p->c * f;
}

static void at_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  at_params *p = params;
  const double sc = p->c / p->s;
  switch (p->kind) {
  case AT_ROSEN:
    gsl_vector_set_zero(g);
    for (size_t i = 0; i + 1 < p->n; i++) {
      double yi = at_y(p, x, i), yn = at_y(p, x, i + 1);
      *gsl_vector_ptr(g, i) += sc * (-400.0 * yi * (yn - yi * yi) - 2.0 * (1.0 - yi));
      *gsl_vector_ptr(g, i + 1) += sc * 200.0 * (yn - yi * yi);
    }
    break;
  case AT_QUAD:
    for (size_t i = 0; i < p->n; i++) {
      double gi = p->b[i];
      for (size_t j = 0; j < p->n; j++)
        gi += 0.5 * (p->A[i][j] + p->A[j][i]) * at_y(p, x, j);
      gsl_vector_set(g, i, sc * gi);
    }
    break;
  case AT_EXPSUM:
    for (size_t i = 0; i < p->n; i++)
      gsl_vector_set(g, i, sc * p->w[i] * p->k[i] * exp(p->k[i] * at_y(p, x, i)));
    break;
  case AT_DECAY: {
    double A = at_y(p, x, 0), lambda = at_y(p, x, 1), b = at_y(p, x, 2), gA = 0, gl = 0, gb = 0;
    for (size_t i = 0; i < AT_DECAY_N; i++) {
      double e = exp(-lambda * p->t[i]), r = A * e + b - p->y[i];
      gA += r * e;
      gl += r * (-p->t[i] * A * e);
      gb += r;
    }
    gsl_vector_set(g, 0, sc * gA);
    gsl_vector_set(g, 1, sc * gl);
    gsl_vector_set(g, 2, sc * gb);
    break;
  }
  default:
    for (size_t i = 0; i < p->n; i++)
      gsl_vector_set(p->theta, i, at_y(p, x, i));
    gv_net_unpack(p->theta, p->net);
    gv_net_forward(p->net, p->in, p->target, p->state);
    gv_net_backward(p->net, p->in, p->target, p->state, p->grad);
    gv_net_grad_pack(p->net, p->grad, p->g);
    for (size_t i = 0; i < p->n; i++)
      gsl_vector_set(g, i, sc * gsl_vector_get(p->g, i));
  }
  if (p->add != 0.0)
    *gsl_vector_ptr(g, p->bad) += p->add;
}

/* Allocates the network's buffers (all kinds share the struct). 0 on success. */
static int at_init(at_params *p, int kind, size_t variant)
{
  *p = (at_params){.kind = kind, .n = AT_N[kind]};
  p->c = AT_VARIANTS[variant].c;
  p->s = AT_VARIANTS[variant].s;
  p->off = AT_VARIANTS[variant].off;
  if (kind != AT_NET)
    return 0;
  p->net = gv_net_alloc(4, 5, 3);
  p->state = gv_net_state_alloc(p->net);
  p->grad = gv_net_grad_alloc(p->net);
  p->in = gsl_vector_alloc(4);
  p->target = gsl_vector_calloc(3);
  p->theta = gsl_vector_alloc(p->n);
  p->g = gsl_vector_alloc(p->n);
  return !p->net || !p->state || !p->grad || !p->in || !p->target || !p->theta || !p->g;
}

static void at_free(at_params *p)
{
  gv_net_free(p->net);
  gv_net_state_free(p->state);
  gv_net_grad_free(p->grad);
  gsl_vector_free(p->in);
  gsl_vector_free(p->target);
  gsl_vector_free(p->theta);
  gsl_vector_free(p->g);
}

/* A high-entropy value in +-[lo, hi]. */
static double at_signed(gsl_rng *r, double lo, double hi)
{
  double u = lo + (hi - lo) * gsl_rng_uniform(r);
  return gsl_rng_uniform_int(r, 2) ? u : -u;
}

/* Draws a point x (size p->n) and the trial's coefficients; no corruption. */
static void at_draw(at_params *p, gsl_rng *r, gsl_vector *x)
{
  p->add = 0.0;
  double y[AT_MAXN];
  switch (p->kind) {
  case AT_ROSEN:
    for (size_t i = 0; i < p->n; i++)
      y[i] = at_signed(r, 0.1, 1.5);
    break;
  case AT_QUAD:
    for (size_t i = 0; i < p->n; i++) {
      y[i] = at_signed(r, 0.1, 2.0);
      p->b[i] = at_signed(r, 0.1, 2.0);
      for (size_t j = 0; j < p->n; j++)
        p->A[i][j] = (i == j ? 3.0 : 0.0) + at_signed(r, 0.0, 1.0);
    }
    break;
  case AT_EXPSUM:
    for (size_t i = 0; i < p->n; i++) {
      y[i] = at_signed(r, 0.0, 2.0);
      p->w[i] = pow(10.0, -3.0 + 6.0 * gsl_rng_uniform(r));
      p->k[i] = at_signed(r, 0.1, 3.0);
    }
    break;
  case AT_DECAY:
    for (size_t i = 0; i < AT_DECAY_N; i++) {
      p->t[i] = 3.0 * (double)i / (AT_DECAY_N - 1.0);
      p->y[i] = 5.0 * exp(-1.5 * p->t[i]) + 1.0 + 0.1 * at_signed(r, 0.0, 1.0);
    }
    y[0] = 2.0 + 6.0 * gsl_rng_uniform(r);
    y[1] = 0.3 + 2.5 * gsl_rng_uniform(r);
    y[2] = at_signed(r, 0.0, 2.0);
    break;
  default: {
    /* Random weights and data; no hidden unit within 0.5 of its kink, so
     * that the loss is smooth over every step the check takes (Ridders'
     * steps reach ~0.1 of a parameter, which moves z by up to ~0.4). */
    int kinkfree = 0;
    while (!kinkfree) {
      for (size_t i = 0; i < p->n; i++)
        y[i] = at_signed(r, 0.05, 1.5);
      for (size_t i = 0; i < 4; i++)
        gsl_vector_set(p->in, i, at_signed(r, 0.1, 2.0));
      gsl_vector_set_zero(p->target);
      gsl_vector_set(p->target, gsl_rng_uniform_int(r, 3), 1.0);
      gsl_vector_view th = gsl_vector_view_array(y, p->n);
      gv_net_unpack(&th.vector, p->net);
      gv_net_forward(p->net, p->in, p->target, p->state);
      /* Nor a saturated softmax: there the loss is computed as a difference
       * of logits that cancels to the bit, the computed f is flat and no
       * difference can resolve the gradient (~1e-8) it still has. */
      kinkfree = p->state->loss > 1e-3;
      for (size_t i = 0; i < 5; i++)
        if (fabs(gsl_vector_get(p->state->z, i)) < 0.5)
          kinkfree = 0;
    }
  }
  }
  for (size_t i = 0; i < p->n; i++)
    gsl_vector_set(x, i, p->off + p->s * y[i]);
}

/* Corrupts one random entry of the gradient at x by delta max|g|. */
static void at_corrupt(at_params *p, gsl_rng *r, const gsl_vector *x, double delta)
{
  double g[AT_MAXN];
  gsl_vector_view gv = gsl_vector_view_array(g, p->n);
  p->add = 0.0;
  at_df(x, p, &gv.vector);
  double gmax = 0.0;
  for (size_t i = 0; i < p->n; i++)
    gmax = fmax(gmax, fabs(g[i]));
  p->bad = gsl_rng_uniform_int(r, p->n);
  p->add = (gsl_rng_uniform_int(r, 2) ? delta : -delta) * gmax;
}

#endif
