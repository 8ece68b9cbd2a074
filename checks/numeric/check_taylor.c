/* check_taylor.c: the Taylor test (gv_taylor).
 *
 * A right gradient gives slope 2 and passes; a gradient with one entry off by
 * a relative 1e-3 gives slope 1 and fails; a function linear along v gives
 * remainders at rounding level (EXACT), a quadratic one slope 2 exactly. The
 * variable is restored bit for bit, also after a failed evaluation, and every
 * error condition is provoked. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "fixtures.h"
#include "gv_mistakes.h"
#include "gv_net.h"
#include "gv_net_pack.h"
#include "gv_softmax.h"
#include "gv_taylor.h"
#include "gv_xent.h"

#define SEED 20240717UL
#define NDIR 8

enum kind { K_SMOOTH, K_LINEAR, K_QUADRATIC, K_NET, K_KINK };

typedef struct {
  enum kind kind;
  const gsl_vector *x;
  int calls, bad_call, bad_status;
  double bad_value;
  /* K_NET: the network whose parameters x packs, with its input and target */
  gv_net *net;
  gv_net_state *s;
  const gsl_vector *in, *y;
} fparams;

static const double X4[4] = {0.6931, -1.385, 2.213, 0.4142};
static const double C4[4] = {1.25, -0.375, 2.5, 0.8125};
#define KINK_AT 1.9476 /* sum_i X4_i + 0.0123 */

static int scalar_f(void *params, double *fx)
{
  fparams *p = params;
  const double *x = p->x->data; /* contiguous in these tests */
  p->calls++;
  if (p->bad_call && p->calls == p->bad_call) {
    if (p->bad_status)
      return p->bad_status;
    *fx = p->bad_value;
    return GSL_SUCCESS;
  }
  switch (p->kind) {
  case K_SMOOTH:
    *fx = fx_smooth4(x);
    break;
  case K_LINEAR:
    *fx = 3.0 + C4[0] * x[0] + C4[1] * x[1] + C4[2] * x[2] + C4[3] * x[3];
    break;
  case K_QUADRATIC: /* sum_i c_i x_i^2 + x_0 x_3 - x_1 */
    *fx = x[0] * x[3] - x[1];
    for (size_t i = 0; i < 4; i++)
      *fx += C4[i] * x[i] * x[i];
    break;
  case K_KINK: /* a ReLU of sum_i x_i, off at X4 by 0.0123 */
    *fx = fmax(0.0, x[0] + x[1] + x[2] + x[3] - KINK_AT);
    break;
  case K_NET: {
    int status = gv_net_unpack(p->x, p->net);
    if (!status)
      status = gv_net_forward(p->net, p->in, p->y, p->s);
    *fx = p->s->loss;
    return status;
  }
  }
  return GSL_SUCCESS;
}

static void true_gradient(enum kind kind, const double *x, gsl_vector *g)
{
  switch (kind) {
  case K_SMOOTH:
    fx_smooth4_gradient(x, g->data); /* g is contiguous here */
    break;
  case K_LINEAR:
    for (size_t i = 0; i < 4; i++)
      gsl_vector_set(g, i, C4[i]);
    break;
  case K_QUADRATIC:
    for (size_t i = 0; i < 4; i++)
      gsl_vector_set(g, i, 2.0 * C4[i] * x[i]);
    *gsl_vector_ptr(g, 0) += x[3];
    *gsl_vector_ptr(g, 1) -= 1.0;
    *gsl_vector_ptr(g, 3) += x[0];
    break;
  case K_KINK:
    gsl_vector_set_zero(g);
    break;
  case K_NET:
    break;
  }
}

/* Runs the test on kind at X4 along the dir-th random direction with the
 * gradient g, checking what every run must hold: a unit direction, x
 * restored, one evaluation per point and one at x. */
static gv_taylor_result run_with(enum kind kind, int dir, const gsl_vector *g)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + (unsigned long)dir);
  gsl_vector *x = fx_vector(X4, 4), *v = gsl_vector_alloc(4);
  ck_assert_int_eq(gv_taylor_direction(r, v), GSL_SUCCESS);
  ck_assert_double_eq_tol(gsl_blas_dnrm2(v), 1.0, 1e-15);
  fparams p = {.kind = kind, .x = x};
  gv_fd_scalar fn = {scalar_f, &p};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, NULL, &res), GSL_SUCCESS);
  ck_assert_mem_eq(x->data, X4, sizeof X4);
  ck_assert_int_eq(p.calls, (int)res.npoints + 1);
  gsl_vector_free(x);
  gsl_vector_free(v);
  gsl_rng_free(r);
  return res;
}

/* run_with the true gradient, its entry `wrong` (or none if negative)
 * scaled by 1 + 1e-3. */
static gv_taylor_result run(enum kind kind, int dir, int wrong)
{
  gsl_vector *g = gsl_vector_alloc(4);
  true_gradient(kind, X4, g);
  if (wrong >= 0)
    *gsl_vector_ptr(g, (size_t)wrong) *= 1.0 + 1e-3;
  gv_taylor_result res = run_with(kind, dir, g);
  gsl_vector_free(g);
  return res;
}

START_TEST(test_right)
{
  gv_taylor_result res = run(K_SMOOTH, _i, -1);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_PASS);
  ck_assert_msg(fabs(res.slope - 2.0) < 0.1, "slope %g", res.slope);
  ck_assert_uint_eq(res.nused, GV_TAYLOR_FIT_POINTS);
  ck_assert_uint_eq(res.npoints, GV_TAYLOR_POINTS);
  ck_assert_double_le(res.window_lo, res.window_hi);
}
END_TEST

START_TEST(test_wrong_entry)
{
  /* Entry _i % 4 off by 1e-3 relative: the remainder's eps term takes over. */
  gv_taylor_result res = run(K_SMOOTH, _i, _i % 4);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_FAIL);
  ck_assert_msg(fabs(res.slope - 1.0) < 0.2, "slope %g", res.slope);
}
END_TEST

START_TEST(test_linear)
{
  gv_taylor_result res = run(K_LINEAR, _i, -1);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_EXACT);
  ck_assert(isnan(res.slope));
  ck_assert_uint_lt(res.nused, 2);
  /* A wrong gradient of a linear function: slope 1 exactly, up to the
   * rounding of a window that starts GV_TAYLOR_WINDOW floors up. */
  res = run(K_LINEAR, _i, _i % 4);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_FAIL);
  ck_assert_double_eq_tol(res.slope, 1.0, 1e-2);
}
END_TEST

START_TEST(test_quadratic)
{
  /* r(eps) = eps^2 |v^T A v| / 2 exactly: slope 2 up to rounding. */
  gv_taylor_result res = run(K_QUADRATIC, _i, -1);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_PASS);
  ck_assert_double_eq_tol(res.slope, 2.0, 1e-2);
}
END_TEST

START_TEST(test_kink)
{
  /* f = ReLU(sum_i x_i - c), off at x and 0.0123 / sum_i v_i from its kink
   * along v: the steps beyond the kink see slope 1, the steps before it a
   * remainder of exactly 0. The right gradient, 0, is EXACT; a gradient off
   * by 1e-3 in one entry shows before the kink and fails. */
  gv_taylor_result res = run(K_KINK, _i, -1);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_EXACT);
  gsl_vector *g = gsl_vector_calloc(4);
  gsl_vector_set(g, (size_t)_i % 4, 1e-3);
  res = run_with(K_KINK, _i, g);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_FAIL);
  ck_assert_msg(fabs(res.slope - 1.0) < 0.1, "slope %g", res.slope);
  gsl_vector_free(g);
}
END_TEST

START_TEST(test_network)
{
  /* The seed's network over its packed parameters, the gradient from
   * gv_net_backward: right passes; one entry off by 1e-3 fails. */
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + 100 + (unsigned long)_i);
  const size_t D = 5, H = 7, K = 4;
  gv_net *net = gv_net_alloc(D, H, K), *work = gv_net_alloc(D, H, K);
  gv_net_state *s = gv_net_state_alloc(net);
  gv_net_grad *gr = gv_net_grad_alloc(net);
  gsl_vector *in = gsl_vector_alloc(D), *y = gsl_vector_calloc(K);
  for (size_t i = 0; i < H * D; i++)
    net->W->data[i] = 2.0 * gsl_rng_uniform(r) - 1.0;
  for (size_t i = 0; i < K * H; i++)
    net->V->data[i] = 2.0 * gsl_rng_uniform(r) - 1.0;
  for (size_t i = 0; i < H; i++)
    gsl_vector_set(net->b1, i, 0.5 + gsl_rng_uniform(r)); /* no kink near */
  for (size_t i = 0; i < D; i++)
    gsl_vector_set(in, i, 0.2 * gsl_rng_uniform(r));
  gsl_vector_set(y, 1, 1.0);
  gv_net_forward(net, in, y, s);
  gv_net_backward(net, in, y, s, gr);
  const size_t n = gv_net_pack_size(net);
  gsl_vector *theta = gsl_vector_alloc(n), *g = gsl_vector_alloc(n), *v = gsl_vector_alloc(n);
  gv_net_pack(net, theta);
  gv_net_grad_pack(net, gr, g);
  gv_taylor_direction(r, v);
  fparams p = {.kind = K_NET, .x = theta, .net = work, .s = s, .in = in, .y = y};
  gv_fd_scalar fn = {scalar_f, &p};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, theta, g, v, NULL, &res), GSL_SUCCESS);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_PASS);
  ck_assert_msg(fabs(res.slope - 2.0) < 0.1, "slope %g", res.slope);
  /* The largest entry off by 1e-3 relative. */
  size_t imax = gsl_blas_idamax(g);
  *gsl_vector_ptr(g, imax) *= 1.0 + 1e-3;
  ck_assert_int_eq(gv_taylor_test(&fn, theta, g, v, NULL, &res), GSL_SUCCESS);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_FAIL);
  ck_assert_msg(fabs(res.slope - 1.0) < 0.2, "slope %g", res.slope);
  gsl_vector_free(theta);
  gsl_vector_free(g);
  gsl_vector_free(v);
  gsl_vector_free(in);
  gsl_vector_free(y);
  gv_net_grad_free(gr);
  gv_net_state_free(s);
  gv_net_free(net);
  gv_net_free(work);
  gsl_rng_free(r);
}
END_TEST

/* ---- The seed's network over z: delta2 without the ReLU mask ---- */

typedef struct {
  const gv_net *net;
  const gsl_vector *z, *y;
  gv_net_state *s;
} zparams;

static int loss_of_z(void *params, double *L)
{
  zparams *zp = params;
  int status = gv_net_forward_from_z(zp->net, zp->z, zp->y, zp->s);
  *L = zp->s->loss;
  return status;
}

START_TEST(test_network_nomask)
{
  /* Half the hidden units off, every z_i at least 0.3 from the kink: the
   * right delta2 passes; V^T delta1, the mask forgotten, fails. */
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + 700 + (unsigned long)_i);
  const size_t D = 3, H = 8, K = 5;
  gv_net *net = gv_net_alloc(D, H, K);
  gv_net_state *s = gv_net_state_alloc(net), *work = gv_net_state_alloc(net);
  gv_net_grad *gr = gv_net_grad_alloc(net);
  gsl_vector *in = gsl_vector_calloc(D), *y = gsl_vector_calloc(K), *z = gsl_vector_alloc(H);
  gsl_vector *g = gsl_vector_alloc(H), *v = gsl_vector_alloc(H);
  for (size_t i = 0; i < K * H; i++)
    net->V->data[i] = 2.0 * gsl_rng_uniform(r) - 1.0;
  for (size_t i = 0; i < H; i++) /* x = 0: z = b1, alternately on and off */
    gsl_vector_set(net->b1, i, (i % 2 ? -1.0 : 1.0) * (0.3 + gsl_rng_uniform(r)));
  gsl_vector_set(y, 2, 1.0);
  ck_assert_int_eq(gv_net_forward(net, in, y, s), GSL_SUCCESS);
  ck_assert_int_eq(gv_net_backward(net, in, y, s, gr), GSL_SUCCESS);
  gsl_vector_memcpy(z, s->z);
  gv_taylor_direction(r, v);
  zparams zp = {net, z, y, work};
  gv_fd_scalar fn = {loss_of_z, &zp};
  /* Steps of at most 0.25: |v_i| <= 1 keeps every z_i on its side of 0. */
  gv_taylor_options opt = {.eps0 = 0.25};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, z, gr->delta2, v, &opt, &res), GSL_SUCCESS);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_PASS);
  ck_assert_msg(fabs(res.slope - 2.0) < 0.1, "slope %g", res.slope);
  ck_assert_int_eq(gv_mistake_relu_nomask(net->V, gr->delta1, g), GSL_SUCCESS);
  ck_assert_int_eq(gv_taylor_test(&fn, z, g, v, &opt, &res), GSL_SUCCESS);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_FAIL);
  ck_assert_msg(fabs(res.slope - 1.0) < 0.2, "slope %g", res.slope);
  gsl_vector_free(in);
  gsl_vector_free(y);
  gsl_vector_free(z);
  gsl_vector_free(g);
  gsl_vector_free(v);
  gv_net_grad_free(gr);
  gv_net_state_free(s);
  gv_net_state_free(work);
  gv_net_free(net);
  gsl_rng_free(r);
}
END_TEST

/* ---- Cross-entropy from logits at large |a| ---- */

/* L(a) = sum_i y_i (lse(a) - a_i): terms of size max |a| cancel down to a
 * loss that may round to 0, while its gradient p - y carries the rounding
 * of p. The default steps start near max |a| / 16, far beyond softmax's
 * length scale of 1. */
typedef struct {
  const gsl_vector *a, *y;
} xparams;

static int xent_f(void *params, double *L)
{
  const xparams *xp = params;
  return gv_xent_loss_logits(xp->y, xp->a, L);
}

#define XN 12

/* Logits of scale `scale` with the target class 3 ahead of class 7 by `gap`
 * and of the rest by more; y one-hot at 3. Returns L(a) in *L. */
static void xent_case(double scale, double gap, gsl_vector *a, gsl_vector *y, gsl_vector *g,
                      double *L)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + 300);
  for (size_t i = 0; i < XN; i++)
    gsl_vector_set(a, i, scale * (2.0 * gsl_rng_uniform(r) - 1.0) - gap);
  gsl_vector_set(a, 3, scale);
  gsl_vector_set(a, 7, scale - gap);
  gsl_vector_set_basis(y, 3);
  gsl_vector *p = gsl_vector_alloc(XN);
  ck_assert_int_eq(gv_softmax(a, p), GSL_SUCCESS);
  ck_assert_int_eq(gv_xent_grad_logits(y, p, g), GSL_SUCCESS);
  ck_assert_int_eq(gv_xent_loss_logits(y, a, L), GSL_SUCCESS);
  gsl_vector_free(p);
  gsl_rng_free(r);
}

/* Scales and gaps: near-saturated softmax (curvature along v down to 1e-11
 * against terms of size 500), where the remainder rises above rounding only
 * at pre-asymptotic steps. */
static const struct {
  double scale, gap;
} XCASES[] = {{79.31, 20.13}, {79.31, 24.57}, {301.7, 24.57},  {498.3, 24.57},
              {301.7, 28.09}, {498.3, 31.88}, {79.31, 0.7183}, {498.3, 2.385}};
#define NXCASES (sizeof XCASES / sizeof XCASES[0])
#define XDIRS 16

START_TEST(test_xent_large_logits)
{
  /* The right gradient over XDIRS directions: PASS or EXACT, never FAIL. */
  gsl_vector *a = gsl_vector_alloc(XN), *y = gsl_vector_alloc(XN), *g = gsl_vector_alloc(XN);
  gsl_vector *v = gsl_vector_alloc(XN), *a0 = gsl_vector_alloc(XN);
  double L;
  xent_case(XCASES[_i].scale, XCASES[_i].gap, a, y, g, &L);
  gsl_vector_memcpy(a0, a);
  xparams xp = {a, y};
  gv_fd_scalar fn = {xent_f, &xp};
  gv_taylor_options opt = {.fscale = XCASES[_i].scale}; /* max |a| sum_i y_i */
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  size_t pass = 0;
  for (unsigned long d = 0; d < XDIRS; d++) {
    gsl_rng_set(r, SEED + 400 + d);
    gv_taylor_direction(r, v);
    gv_taylor_result res;
    ck_assert_int_eq(gv_taylor_test(&fn, a, g, v, &opt, &res), GSL_SUCCESS);
    ck_assert_msg(res.verdict != GV_TAYLOR_FAIL,
                  "scale %g gap %g direction %lu: FAIL, slope %g over [%g, %g]", XCASES[_i].scale,
                  XCASES[_i].gap, d, res.slope, res.window_lo, res.window_hi);
    ck_assert(gsl_vector_equal(a, a0));
    pass += res.verdict == GV_TAYLOR_PASS;
  }
  /* Unsaturated (small gap): the curvature shows, and every direction passes. */
  if (XCASES[_i].gap < 5.0)
    ck_assert_uint_eq(pass, XDIRS);
  gsl_vector_free(a);
  gsl_vector_free(y);
  gsl_vector_free(g);
  gsl_vector_free(v);
  gsl_vector_free(a0);
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_xent_wrong_entry)
{
  /* Unsaturated logits at scale 79 and 500: the largest gradient entry off by
   * a relative 1e-3 fails along every direction. */
  const size_t c = _i % 2 ? 7 : 6; /* XCASES rows with a small gap */
  gsl_vector *a = gsl_vector_alloc(XN), *y = gsl_vector_alloc(XN), *g = gsl_vector_alloc(XN);
  gsl_vector *v = gsl_vector_alloc(XN);
  double L;
  xent_case(XCASES[c].scale, XCASES[c].gap, a, y, g, &L);
  *gsl_vector_ptr(g, gsl_blas_idamax(g)) *= 1.0 + 1e-3;
  xparams xp = {a, y};
  gv_fd_scalar fn = {xent_f, &xp};
  gv_taylor_options opt = {.fscale = XCASES[c].scale};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + 500 + (unsigned long)_i);
  gv_taylor_direction(r, v);
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, a, g, v, &opt, &res), GSL_SUCCESS);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_FAIL);
  ck_assert_msg(fabs(res.slope - 1.0) < 0.2, "slope %g", res.slope);
  gsl_vector_free(a);
  gsl_vector_free(y);
  gsl_vector_free(g);
  gsl_vector_free(v);
  gsl_rng_free(r);
}
END_TEST

START_TEST(test_xent_flat)
{
  /* The target ahead by 180: lse(a) - a_3 rounds to 0 all along v, so L is 0
   * at every step, while g = p - y is p's rounding and g.v is not 0. The
   * remainder |eps g.v| has slope 1, at the rounding level of terms of size
   * 180: EXACT given fscale; without it nothing tells that rounding from an
   * error, and the test fails. */
  gsl_vector *a = gsl_vector_alloc(XN), *y = gsl_vector_alloc(XN), *g = gsl_vector_alloc(XN);
  gsl_vector *v = gsl_vector_alloc(XN);
  double L;
  xent_case(180.0, 180.0, a, y, g, &L);
  gsl_vector_set(a, 7, 0.0); /* the runner-up 180 behind: exp(-180) vanishes next to 1 */
  gsl_vector *p = gsl_vector_alloc(XN);
  gv_softmax(a, p);
  gv_xent_grad_logits(y, p, g);
  gv_xent_loss_logits(y, a, &L);
  ck_assert_double_eq(L, 0.0);
  /* Plant the rounding of p_3 as the brief measured it: p_3 one ulp below 1. */
  gsl_vector_set(g, 3, nextafter(1.0, 0.0) - 1.0);
  xparams xp = {a, y};
  gv_fd_scalar fn = {xent_f, &xp};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + 600 + (unsigned long)_i);
  gv_taylor_direction(r, v);
  double gv;
  gsl_blas_ddot(g, v, &gv);
  ck_assert_double_ne(gv, 0.0);
  gv_taylor_options opt = {.fscale = 180.0};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, a, g, v, &opt, &res), GSL_SUCCESS);
  ck_assert_double_eq(res.f0, 0.0);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_EXACT);
  ck_assert_int_eq(gv_taylor_test(&fn, a, g, v, NULL, &res), GSL_SUCCESS);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_FAIL);
  ck_assert_double_eq_tol(res.slope, 1.0, 1e-2);
  gsl_vector_free(a);
  gsl_vector_free(y);
  gsl_vector_free(g);
  gsl_vector_free(v);
  gsl_vector_free(p);
  gsl_rng_free(r);
}
END_TEST

/* ---- The vector form: softmax at logits near 300 ---- */

typedef struct {
  const gsl_vector *a;
} sparams;

static int softmax_f(void *params, gsl_vector *p)
{
  const sparams *sp = params;
  return gv_softmax(sp->a, p);
}

START_TEST(test_vector_softmax)
{
  const double av[5] = {300.2, 301.7, 299.4, 297.3, 300.9};
  gsl_vector *a = gsl_vector_alloc(5), *p = gsl_vector_alloc(5), *v = gsl_vector_alloc(5);
  memcpy(a->data, av, sizeof av);
  gsl_matrix *J = gsl_matrix_alloc(5, 5);
  gv_softmax(a, p);
  gv_softmax_jacobian(p, J);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, SEED + 200 + (unsigned long)_i);
  gv_taylor_direction(r, v);
  sparams sp = {a};
  gv_fd_vector fn = {softmax_f, &sp, 5};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test_vector(&fn, a, J, v, NULL, &res), GSL_SUCCESS);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_PASS);
  ck_assert_msg(fabs(res.slope - 2.0) < 0.1, "slope %g", res.slope);
  /* slope_gv is ||J^T v||_2 (gradverify_vocab.h). */
  double jv2 = 0.0;
  for (size_t j = 0; j < 5; j++) {
    double s = 0.0;
    for (size_t i = 0; i < 5; i++)
      s += gsl_matrix_get(J, i, j) * gsl_vector_get(v, i);
    jv2 += s * s;
  }
  ck_assert_double_eq_tol(res.slope_gv, sqrt(jv2), 1e-14 * sqrt(jv2));
  ck_assert_mem_eq(a->data, av, sizeof av);
  /* The classic mistake: diag(p) alone. */
  gsl_matrix_set_zero(J);
  for (size_t i = 0; i < 5; i++)
    gsl_matrix_set(J, i, i, gsl_vector_get(p, i));
  ck_assert_int_eq(gv_taylor_test_vector(&fn, a, J, v, NULL, &res), GSL_SUCCESS);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_FAIL);
  ck_assert_msg(fabs(res.slope - 1.0) < 0.2, "slope %g", res.slope);
  gsl_vector_free(a);
  gsl_vector_free(p);
  gsl_vector_free(v);
  gsl_matrix_free(J);
  gsl_rng_free(r);
}
END_TEST

/* ---- Options, restoration and errors ---- */

START_TEST(test_options)
{
  gsl_vector *x = fx_vector(X4, 4), *g = gsl_vector_alloc(4), *v = gsl_vector_alloc(4);
  true_gradient(K_SMOOTH, X4, g);
  gsl_vector_set_all(v, 0.5);
  fparams p = {.kind = K_SMOOTH, .x = x};
  gv_fd_scalar fn = {scalar_f, &p};
  gv_taylor_options opt = {.eps0 = 0.01, .npoints = 12};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, &opt, &res), GSL_SUCCESS);
  ck_assert_uint_eq(res.npoints, 12);
  ck_assert_double_eq(res.eps[0], 0.01);
  ck_assert_double_eq(res.eps[11], 0.01 / 2048.0);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_PASS);
  /* Every remainder is recorded with its floor. */
  for (size_t k = 0; k < res.npoints; k++)
    ck_assert(res.rem[k] >= 0.0 && res.floor[k] > 0.0);
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(v);
}
END_TEST

/* f(x) = sum_i sin(x_i) + x_i^2 / 2 of the vector at params. */
static int sum_sin_f(void *params, double *fx)
{
  const gsl_vector *x = params;
  *fx = 0.0;
  for (size_t i = 0; i < x->size; i++)
    *fx += sin(gsl_vector_get(x, i)) + 0.5 * gsl_pow_2(gsl_vector_get(x, i));
  return GSL_SUCCESS;
}

static void sum_sin_g(const gsl_vector *x, gsl_vector *g)
{
  for (size_t i = 0; i < x->size; i++)
    gsl_vector_set(g, i, cos(gsl_vector_get(x, i)) + gsl_vector_get(x, i));
}

/* The default steps: eps_0 = GV_TAYLOR_EPS0 max(1, max_i |x_i|) / max_i |v_i|
 * (gv_taylor.h), halving; the largest |x_i| and |v_i| wherever they are, and
 * x of one variable works as any other (right passes, 1e-3 off fails). */
START_TEST(test_default_steps)
{
  const double xs[3] = {0.5, -8.0, 2.0}, vs[3] = {0.25, 0.125, -0.5};
  const double want[2] = {GV_TAYLOR_EPS0 * 8.0 / 0.5, GV_TAYLOR_EPS0 / 0.25};
  for (int c = 0; c < 2; c++) {
    const size_t n = c ? 1 : 3;
    gsl_vector *x = gsl_vector_alloc(n), *g = gsl_vector_alloc(n), *v = gsl_vector_alloc(n);
    for (size_t i = 0; i < n; i++) {
      gsl_vector_set(x, i, xs[i]);
      gsl_vector_set(v, i, vs[i]);
    }
    sum_sin_g(x, g);
    gv_fd_scalar fn = {sum_sin_f, x};
    gv_taylor_result res;
    ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, NULL, &res), GSL_SUCCESS);
    ck_assert_int_eq(res.verdict, GV_TAYLOR_PASS);
    ck_assert_uint_eq(res.npoints, GV_TAYLOR_POINTS);
    for (size_t k = 0; k < res.npoints; k++)
      ck_assert_double_eq(res.eps[k], ldexp(want[c], -(int)k));
    *gsl_vector_ptr(g, n - 1) *= 1.0 + 1e-3;
    ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, NULL, &res), GSL_SUCCESS);
    ck_assert_int_eq(res.verdict, GV_TAYLOR_FAIL);
    gsl_vector_free(x);
    gsl_vector_free(g);
    gsl_vector_free(v);
  }
}
END_TEST

/* f = 1e6 + a.x: linear, its remainders the rounding of f near 1e6 at
 * every step, which do not fall: the tail of the last GV_TAYLOR_TAIL steps is
 * a plateau (gv_taylor.h), measured as res.noise, also when the run has no
 * more steps than the tail itself; a right gradient is EXACT. */
static int offset_linear_f(void *params, double *fx)
{
  const gsl_vector *x = params;
  *fx = 1e6 + 0.1 * gsl_vector_get(x, 0) + 0.3 * gsl_vector_get(x, 1);
  return GSL_SUCCESS;
}

static int by_value(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of the remainders at the last GV_TAYLOR_TAIL steps of res. */
static double tail_median(const gv_taylor_result *res)
{
  double t[GV_TAYLOR_TAIL];
  memcpy(t, res->rem + res->npoints - GV_TAYLOR_TAIL, sizeof t);
  qsort(t, GV_TAYLOR_TAIL, sizeof t[0], by_value);
  return t[GV_TAYLOR_TAIL / 2];
}

/* The plateau is the median of the tail's remainders (gv_taylor.h). */
START_TEST(test_plateau_short_run)
{
  gsl_vector *x = gsl_vector_alloc(2), *g = gsl_vector_alloc(2), *v = gsl_vector_alloc(2);
  gsl_vector_set(x, 0, 0.3);
  gsl_vector_set(x, 1, 0.7);
  gsl_vector_set(g, 0, 0.1);
  gsl_vector_set(g, 1, 0.3);
  gsl_vector_set(v, 0, 0.6);
  gsl_vector_set(v, 1, -0.8);
  gv_fd_scalar fn = {offset_linear_f, x};
  gv_taylor_options opt = {.eps0 = 1e-6, .npoints = GV_TAYLOR_TAIL};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, &opt, &res), GSL_SUCCESS);
  ck_assert_uint_eq(res.npoints, opt.npoints);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_EXACT);
  ck_assert_msg(res.noise > 0.0, "no plateau measured over %zu steps", res.npoints);
  ck_assert_double_le(res.noise, GV_TAYLOR_NOISE * res.floor[res.npoints - 1]);
  ck_assert_double_eq(res.noise, tail_median(&res));
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(v);
}
END_TEST

/* f(x) = x / 2 + 1e-14 C_k at x = 1/2 + 2^-4 2^-k: a plateau of
 * rounding-sized values in no order (the tail 3, 9, 1, 8, 4 e-14), far below
 * any usable remainder: EXACT, its plateau their median (4e-14). */
static const double PLATEAU_C[8] = {7.0, 2.0, 6.0, 3.0, 9.0, 1.0, 8.0, 4.0};

/* plateau_f's x and its C_k (PLATEAU_C unless given). */
typedef struct {
  const gsl_vector *x;
  const double *c;
} plateau_params;

static int plateau_f(void *params, double *fx)
{
  const plateau_params *p = params;
  const double x = gsl_vector_get(p->x, 0), d = x - 0.5;
  *fx = 0.5 * x;
  if (d > 0.0)
    *fx += 1e-14 * (p->c ? p->c : PLATEAU_C)[lround(log2(0.0625 / d))];
  return GSL_SUCCESS;
}

/* The same plateau in other orders, the largest value first or second
 * (C_3 .. C_7, none falling fourfold from end to end): the median is 4e-14
 * whatever the order. A sort that left the first value in place, or never
 * placed it, gave 3e-14 (seed-44 mutants of gv_taylor.c:88 and :90). */
static const double *const PLATEAU_TAILS[] = {
    NULL,
    (const double[8]){7.0, 2.0, 6.0, 9.0, 3.0, 1.0, 8.0, 4.0},
    (const double[8]){7.0, 2.0, 6.0, 8.0, 4.0, 9.0, 1.0, 3.0},
    (const double[8]){7.0, 2.0, 6.0, 9.0, 8.0, 1.0, 4.0, 3.0},
};

START_TEST(test_plateau_median)
{
  gsl_vector *x = gsl_vector_alloc(1), *g = gsl_vector_alloc(1), *v = gsl_vector_alloc(1);
  gsl_vector_set(x, 0, 0.5);
  gsl_vector_set(g, 0, 0.5);
  gsl_vector_set(v, 0, 1.0);
  plateau_params pp = {x, PLATEAU_TAILS[_i]};
  gv_fd_scalar fn = {plateau_f, &pp};
  gv_taylor_options opt = {.eps0 = 0.0625, .npoints = 8};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, &opt, &res), GSL_SUCCESS);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_EXACT);
  ck_assert_double_eq_tol(res.noise, 4e-14, 1e-16);
  ck_assert_double_eq(res.noise, tail_median(&res));
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(v);
}
END_TEST

/* f(t) = t + t^2 - c t^3 with g = 1: its remainder t^2 (1 - c t) vanishes
 * at t = 1/c, one of the steps 1, 1/2, ..., 1/16: the second (c = 2) or the
 * fourth (c = 8, loop index 1). The window holds usable steps only
 * (gv_taylor.h): the three below 1/2, or the three above 1/8 (the smallest
 * usable step, 1/16, has no usable neighbour); not 1/c itself. */
static int cubic_f(void *params, double *fx)
{
  const double *p = params, t = p[0], c = p[1];
  *fx = t + t * t - c * t * t * t;
  return GSL_SUCCESS;
}

START_TEST(test_window_usable_only)
{
  double xc[2] = {0.0, _i ? 8.0 : 2.0};
  gsl_vector_view x = gsl_vector_view_array(xc, 1);
  gsl_vector *g = gsl_vector_alloc(1), *v = gsl_vector_alloc(1);
  gsl_vector_set(g, 0, 1.0);
  gsl_vector_set(v, 0, 1.0);
  gv_fd_scalar fn = {cubic_f, xc};
  gv_taylor_options opt = {.eps0 = 1.0, .npoints = 5};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, &x.vector, g, v, &opt, &res), GSL_SUCCESS);
  ck_assert_double_eq(res.rem[_i ? 3 : 1], 0.0);
  ck_assert_uint_eq(res.nused, 3);
  for (size_t k = 0; k < res.npoints; k++)
    if (res.eps[k] >= res.window_lo && res.eps[k] <= res.window_hi)
      ck_assert_msg(res.rem[k] > GV_TAYLOR_WINDOW * fmax(res.floor[k], res.noise),
                    "step %zu (eps %g, remainder %g) in the window [%g, %g]", k, res.eps[k],
                    res.rem[k], res.window_lo, res.window_hi);
  gsl_vector_free(g);
  gsl_vector_free(v);
}
END_TEST

/* scalar_f as a vector function of one output. */
static int one_output_f(void *params, gsl_vector *fx)
{
  return scalar_f(params, gsl_vector_ptr(fx, 0));
}

/* The rounding floor as gv_taylor.h states it, recomputed here at every
 * step: DBL_EPSILON (|f(x)| + |f(x + d)| + |g.d| + sum_i |x_i g_i| + fscale),
 * d = (x + eps v) - x as stored. */
START_TEST(test_floor_as_documented)
{
  const double vv[4] = {0.5, -0.5, 0.5, 0.5}, fscale = 3.0;
  gsl_vector *x = fx_vector(X4, 4), *g = gsl_vector_alloc(4), *v = fx_vector(vv, 4);
  true_gradient(K_SMOOTH, X4, g);
  fparams p = {.kind = K_SMOOTH, .x = x};
  gv_fd_scalar fn = {scalar_f, &p};
  gv_taylor_options opt = {.fscale = fscale};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, &opt, &res), GSL_SUCCESS);
  double xg = 0.0;
  for (size_t i = 0; i < 4; i++)
    xg += fabs(X4[i] * gsl_vector_get(g, i));
  const double f0 = fx_smooth4(X4);
  for (size_t k = 0; k < res.npoints; k++) {
    double xk[4], gd = 0.0;
    for (size_t i = 0; i < 4; i++) {
      xk[i] = X4[i] + res.eps[k] * vv[i];
      gd += gsl_vector_get(g, i) * (xk[i] - X4[i]);
    }
    const double want = DBL_EPSILON * (fabs(f0) + fabs(fx_smooth4(xk)) + fabs(gd) + xg + fscale);
    ck_assert_msg(fabs(res.floor[k] - want) <= 1e-12 * want, "step %zu: floor %.17g, stated %.17g",
                  k, res.floor[k], want);
  }
  /* One output through the vector form (D = g as a column): the same
   * remainders, floors and fit, bit for bit. */
  gsl_matrix_view D = gsl_matrix_view_vector(g, 4, 1);
  gv_fd_vector vfn = {one_output_f, &p, 1};
  gv_taylor_result vres;
  p.calls = 0;
  ck_assert_int_eq(gv_taylor_test_vector(&vfn, x, &D.matrix, v, &opt, &vres), GSL_SUCCESS);
  ck_assert_int_eq(p.calls, (int)vres.npoints + 1); /* f(x), then one per step */
  ck_assert_mem_eq(vres.rem, res.rem, res.npoints * sizeof res.rem[0]);
  ck_assert_mem_eq(vres.floor, res.floor, res.npoints * sizeof res.floor[0]);
  ck_assert_int_eq(vres.verdict, res.verdict);
  ck_assert_double_eq(vres.slope, res.slope);
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(v);
}
END_TEST

/* The Taylor test of f: R -> R at t = 0 with g = 1 along v = 1 (opt may be
 * NULL); the test's status. */
static int taylor_at_zero(int (*f)(void *, double *), const gv_taylor_options *opt,
                          gv_taylor_result *res)
{
  gsl_vector *x = gsl_vector_calloc(1), *g = gsl_vector_alloc(1), *v = gsl_vector_alloc(1);
  gsl_vector_set(g, 0, 1.0);
  gsl_vector_set(v, 0, 1.0);
  gv_fd_scalar fn = {f, x};
  int status = gv_taylor_test(&fn, x, g, v, opt, res);
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(v);
  return status;
}

/* f(t) = t + 1e-13 t^2 with g = 1: remainders near rounding that fall by
 * 4 per step to the last: no plateau (noise 0), whatever res held before. */
static int tiny_quadratic_f(void *params, double *fx)
{
  const double t = gsl_vector_get(params, 0);
  *fx = t + 1e-13 * t * t;
  return GSL_SUCCESS;
}

START_TEST(test_falling_tail_no_plateau)
{
  gv_taylor_options opt = {.eps0 = 1.0, .npoints = 8};
  gv_taylor_result res;
  memset(&res, 0xff, sizeof res); /* NaN in every double */
  ck_assert_int_eq(taylor_at_zero(tiny_quadratic_f, &opt, &res), GSL_SUCCESS);
  ck_assert(res.rem[7] < res.rem[3] / 64.0);
  ck_assert_double_eq(res.noise, 0.0);
}
END_TEST

/* f(t) = t + t^1.5 (t >= 0) with g = 1: the remainder t^1.5 holds a slope
 * of 1.5 at every step, neither near 1 nor falling toward it nor reaching
 * 1.8: no evidence either way (gv_taylor.h), EXACT. */
static int power15_f(void *params, double *fx)
{
  const double t = gsl_vector_get(params, 0);
  *fx = t + t * sqrt(t);
  return GSL_SUCCESS;
}

START_TEST(test_steady_slope_no_verdict)
{
  gv_taylor_result res;
  ck_assert_int_eq(taylor_at_zero(power15_f, NULL, &res), GSL_SUCCESS);
  ck_assert_double_eq_tol(res.slope, 1.5, 1e-6);
  ck_assert_int_eq(res.verdict, GV_TAYLOR_EXACT);
}
END_TEST

START_TEST(test_errors)
{
  gsl_vector *x = fx_vector(X4, 4), *g = gsl_vector_alloc(4), *v = gsl_vector_alloc(4);
  gsl_vector *bad = gsl_vector_alloc(3);
  true_gradient(K_SMOOTH, X4, g);
  gsl_vector_set_all(v, 0.5);
  fparams p = {.kind = K_SMOOTH, .x = x};
  gv_fd_scalar fn = {scalar_f, &p};
  gv_taylor_result res;
  ck_assert_int_eq(gv_taylor_test(&fn, x, bad, v, NULL, &res), GSL_EBADLEN);
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, bad, NULL, &res), GSL_EBADLEN);
  gv_taylor_options opt = {.npoints = 2};
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, &opt, &res), GSL_EINVAL);
  opt.npoints = GV_TAYLOR_MAX_POINTS + 1;
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, &opt, &res), GSL_EINVAL);
  opt = (gv_taylor_options){.eps0 = -1.0};
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, &opt, &res), GSL_EINVAL);
  opt.eps0 = NAN;
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, &opt, &res), GSL_EINVAL);
  /* fscale negative or not finite (gv_taylor.h): GSL_EINVAL, both forms. */
  const double bad_fscale[] = {-1.0, NAN, INFINITY};
  for (size_t k = 0; k < 3; k++) {
    opt = (gv_taylor_options){.fscale = bad_fscale[k]};
    ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, &opt, &res), GSL_EINVAL);
  }
  gsl_vector_set_zero(bad);
  gsl_vector *zero = gsl_vector_calloc(4);
  ck_assert_int_eq(gv_taylor_test(&fn, x, g, zero, NULL, &res), GSL_EINVAL);
  /* A planted status at f(x), then NaN and a status midway: x comes back bit for bit. */
  const struct {
    int call, status;
    double value;
  } planted[] = {{1, GSL_EDOM, 0.0}, {7, 0, NAN}, {9, GSL_ERANGE, 0.0}, {3, 0, -INFINITY}};
  for (size_t t = 0; t < 4; t++) {
    p = (fparams){.kind = K_SMOOTH,
                  .x = x,
                  .bad_call = planted[t].call,
                  .bad_status = planted[t].status,
                  .bad_value = planted[t].value};
    int want = planted[t].status ? planted[t].status : GSL_EBADFUNC;
    ck_assert_int_eq(gv_taylor_test(&fn, x, g, v, NULL, &res), want);
    ck_assert_mem_eq(x->data, X4, sizeof X4);
  }
  /* The vector form's sizes. */
  gsl_matrix *D = gsl_matrix_alloc(4, 2);
  gv_fd_vector vfn = {NULL, NULL, 3};
  ck_assert_int_eq(gv_taylor_test_vector(&vfn, x, D, v, NULL, &res), GSL_EBADLEN);
  vfn.m = 0;
  ck_assert_int_eq(gv_taylor_test_vector(&vfn, x, D, v, NULL, &res), GSL_EBADLEN);
  gsl_vector e0 = {0, 1, x->data, NULL, 0};
  ck_assert_int_eq(gv_taylor_direction(NULL, &e0), GSL_EINVAL);
  gsl_matrix_free(D);
  gsl_vector_free(zero);
  gsl_vector_free(bad);
  gsl_vector_free(x);
  gsl_vector_free(g);
  gsl_vector_free(v);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("taylor");
  TCase *verdicts = tcase_create("Verdicts");
  tcase_add_loop_test(verdicts, test_right, 0, NDIR);
  tcase_add_loop_test(verdicts, test_wrong_entry, 0, NDIR);
  tcase_add_loop_test(verdicts, test_linear, 0, NDIR);
  tcase_add_loop_test(verdicts, test_quadratic, 0, NDIR);
  tcase_add_loop_test(verdicts, test_kink, 0, NDIR);
  tcase_add_loop_test(verdicts, test_network, 0, NDIR);
  tcase_add_loop_test(verdicts, test_vector_softmax, 0, NDIR);
  tcase_add_loop_test(verdicts, test_xent_large_logits, 0, (int)NXCASES);
  tcase_add_loop_test(verdicts, test_xent_wrong_entry, 0, NDIR);
  tcase_add_loop_test(verdicts, test_xent_flat, 0, NDIR);
  tcase_add_loop_test(verdicts, test_network_nomask, 0, NDIR);
  suite_add_tcase(s, verdicts);
  TCase *errors = tcase_create("Errors");
  tcase_add_test(errors, test_options);
  tcase_add_test(errors, test_default_steps);
  tcase_add_test(errors, test_plateau_short_run);
  tcase_add_loop_test(errors, test_plateau_median, 0,
                      (int)(sizeof PLATEAU_TAILS / sizeof PLATEAU_TAILS[0]));
  tcase_add_loop_test(errors, test_window_usable_only, 0, 2);
  tcase_add_test(errors, test_floor_as_documented);
  tcase_add_test(errors, test_steady_slope_no_verdict);
  tcase_add_test(errors, test_falling_tail_no_plateau);
  tcase_add_test(errors, test_errors);
  suite_add_tcase(s, errors);
  return s;
}
