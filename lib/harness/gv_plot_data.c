/* gv_plot_data.c: the step-size curve and the Taylor test, on a small network. */
#include "gv_plot_data.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "gv_fd.h"
#include "gv_net.h"
#include "gv_random.h"

#define N GV_PLOT_NET_SIZE
#define MAX_DRAWS 10000

/* One network at one input, with its forward and backward passes. */
typedef struct {
  gsl_rng *r;
  gv_net *net;
  gsl_vector *x, *y;
  gv_net_state *s;
  gv_net_grad *g;
} problem;

static void problem_free(problem *p)
{
  gsl_rng_free(p->r);
  gv_net_free(p->net);
  gsl_vector_free(p->x);
  gsl_vector_free(p->y);
  gv_net_state_free(p->s);
  gv_net_grad_free(p->g);
}

static int problem_alloc(problem *p, unsigned long seed)
{
  *p = (problem){0};
  p->r = gsl_rng_alloc(gsl_rng_mt19937);
  p->net = gv_net_alloc(N, N, N);
  p->x = gsl_vector_alloc(N);
  p->y = gsl_vector_alloc(N);
  if (p->net) {
    p->s = gv_net_state_alloc(p->net);
    p->g = gv_net_grad_alloc(p->net);
  }
  if (!p->r || !p->net || !p->x || !p->y || !p->s || !p->g) {
    problem_free(p);
    return GSL_ENOMEM;
  }
  gsl_rng_set(p->r, seed);
  return GSL_SUCCESS;
}

/* Draws weights, input and a one-hot target until every |z_i| >= margin,
 * some unit is active and, with need_inactive, some inactive unit has
 * (V^T delta1)_i away from 0, so that a forgotten mask shows. Leaves the
 * forward and backward passes of the accepted draw in p->s and p->g. */
static int draw(problem *p, double margin, int need_inactive)
{
  for (int k = 0; k < MAX_DRAWS; k++) {
    gv_random_matrix(p->r, p->net->W, 1.5);
    gv_random_vector(p->r, p->net->b1, 0.5);
    gv_random_matrix(p->r, p->net->V, 1.5);
    gv_random_vector(p->r, p->net->b2, 0.5);
    gv_random_vector(p->r, p->x, 1.0);
    gv_random_onehot(p->r, p->y);
    int status = gv_net_forward(p->net, p->x, p->y, p->s);
    if (status == GSL_SUCCESS)
      status = gv_net_backward(p->net, p->x, p->y, p->s, p->g);
    if (status != GSL_SUCCESS)
      return status;
    int ok = 1, active = 0, shows = !need_inactive;
    for (size_t i = 0; i < N; i++) {
      double z = gsl_vector_get(p->s->z, i);
      ok &= fabs(z) >= margin;
      active |= z > 0;
      if (z < 0) {
        gsl_vector_const_view col = gsl_matrix_const_column(p->net->V, i);
        double u;
        gsl_blas_ddot(&col.vector, p->g->delta1, &u);
        shows |= fabs(u) > 0.05;
      }
    }
    if (ok && active && shows)
      return GSL_SUCCESS;
  }
  return GSL_EMAXITER;
}

/* The loss as a function of one entry of W: the engine's view of it. */
typedef struct {
  problem *p;
  gv_net_state *work;
} loss_ctx;

static int loss_fn(void *params, double *fx)
{
  loss_ctx *c = params;
  int status = gv_net_forward(c->p->net, c->p->x, c->p->y, c->work);
  *fx = c->work->loss;
  return status;
}

/* The entry of dW with the largest magnitude: its curve has the most room
 * between round-off and truncation. */
static void largest_entry(const gsl_matrix *dW, size_t *bi, size_t *bj)
{
  *bi = *bj = 0;
  for (size_t i = 0; i < dW->size1; i++)
    for (size_t j = 0; j < dW->size2; j++)
      if (fabs(gsl_matrix_get(dW, i, j)) > fabs(gsl_matrix_get(dW, *bi, *bj))) {
        *bi = i;
        *bj = j;
      }
}

/* The central difference at each step of the curve, and at the engine's own
 * step, of fn in *w; c->x, c->loss and c->analytic are set. */
static int sweep_steps(const gv_fd_scalar *fn, double *w, gv_step_curve *c)
{
  gv_fd_sided d;
  for (size_t k = 0; k < GV_STEP_CURVE_POINTS; k++) {
    c->h[k] = pow(10.0, -1.0 - 0.5 * (double)k);
    int status = gv_fd_derivative_sided(fn, w, c->h[k], c->loss, &d);
    if (status != GSL_SUCCESS)
      return status;
    c->numeric[k] = d.central;
    c->err[k] = fabs(d.central - c->analytic);
    c->errbar[k] = d.central_err;
  }
  c->h_chosen = gv_fd_step(c->x);
  double numeric;
  int status = gv_fd_derivative(fn, w, &numeric, &c->errbar_chosen);
  if (status != GSL_SUCCESS)
    return status;
  c->err_chosen = fabs(numeric - c->analytic);
  /* Truncation is (h^2/6) L''' + O(h^4): the ratio err/h^2 at the largest
   * steps, where round-off is negligible, measures its coefficient. */
  double s = 0.0;
  for (size_t k = 0; k < 3; k++)
    s += c->err[k] / (c->h[k] * c->h[k]);
  c->c2 = s / 3.0;
  c->c1 = DBL_EPSILON * fabs(c->loss);
  return GSL_SUCCESS;
}

int gv_plot_data_step_curve(unsigned long seed, gv_step_curve *c)
{
  problem p;
  int status = problem_alloc(&p, seed);
  if (status != GSL_SUCCESS)
    return status;
  loss_ctx ctx = {&p, gv_net_state_alloc(p.net)};
  if (!ctx.work) {
    status = GSL_ENOMEM;
    goto done;
  }
  /* |x_j| <= 1 and h <= 0.1 move z_i by at most 0.1: the margin keeps every
   * difference on one side of the kink. */
  status = draw(&p, 0.5, 0);
  if (status != GSL_SUCCESS)
    goto done;
  size_t bi, bj;
  largest_entry(p.g->dW, &bi, &bj);
  double *w = gsl_matrix_ptr(p.net->W, bi, bj);
  c->row = bi;
  c->col = bj;
  c->x = *w;
  c->loss = p.s->loss;
  c->analytic = gsl_matrix_get(p.g->dW, bi, bj);
  gv_fd_scalar fn = {loss_fn, &ctx};
  status = sweep_steps(&fn, w, c);
done:
  gv_net_state_free(ctx.work);
  problem_free(&p);
  return status;
}

/* sum of the entrywise products of a gradient and a direction stored as a net */
static double dot(const gsl_matrix *dW, const gsl_vector *db1, const gsl_matrix *dV,
                  const gsl_vector *db2, const gv_net *v)
{
  double s = 0.0;
  for (size_t i = 0; i < dW->size1; i++)
    for (size_t j = 0; j < dW->size2; j++)
      s += gsl_matrix_get(dW, i, j) * gsl_matrix_get(v->W, i, j);
  for (size_t i = 0; i < dV->size1; i++)
    for (size_t j = 0; j < dV->size2; j++)
      s += gsl_matrix_get(dV, i, j) * gsl_matrix_get(v->V, i, j);
  double t;
  gsl_blas_ddot(db1, v->b1, &t);
  s += t;
  gsl_blas_ddot(db2, v->b2, &t);
  return s + t;
}

/* out = a + eps b, parameter by parameter */
static void axpy(const gv_net *a, double eps, const gv_net *b, gv_net *out)
{
  for (size_t i = 0; i < N; i++) {
    for (size_t j = 0; j < N; j++) {
      gsl_matrix_set(out->W, i, j, gsl_matrix_get(a->W, i, j) + eps * gsl_matrix_get(b->W, i, j));
      gsl_matrix_set(out->V, i, j, gsl_matrix_get(a->V, i, j) + eps * gsl_matrix_get(b->V, i, j));
    }
    gsl_vector_set(out->b1, i, gsl_vector_get(a->b1, i) + eps * gsl_vector_get(b->b1, i));
    gsl_vector_set(out->b2, i, gsl_vector_get(a->b2, i) + eps * gsl_vector_get(b->b2, i));
  }
}

/* Least-squares slope of log r against log eps over the points well above
 * round-off. */
static double fit_slope(const double *eps, const double *r, double floor)
{
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  size_t n = 0;
  for (size_t k = 0; k < GV_PLOT_TAYLOR_POINTS; k++) {
    if (eps[k] > 0.25 || !(r[k] > floor))
      continue;
    double lx = log(eps[k]), ly = log(r[k]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
    n++;
  }
  if (n < 3)
    return NAN;
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

/* A Gaussian direction over every parameter, scaled to the fixed norm. The
 * draws interleave, row i giving (W_ij, V_ij) pairs then (b1_i, b2_i): keep
 * that order, or a seed's Taylor picture changes. */
static void draw_direction(gsl_rng *r, gv_net *v)
{
  double norm2 = 0.0;
  for (size_t i = 0; i < N; i++) {
    for (size_t j = 0; j < N; j++) {
      double a = gsl_ran_ugaussian(r), b = gsl_ran_ugaussian(r);
      gsl_matrix_set(v->W, i, j, a);
      gsl_matrix_set(v->V, i, j, b);
      norm2 += a * a + b * b;
    }
    double a = gsl_ran_ugaussian(r), b = gsl_ran_ugaussian(r);
    gsl_vector_set(v->b1, i, a);
    gsl_vector_set(v->b2, i, b);
    norm2 += a * a + b * b;
  }
  double scale = GV_TAYLOR_DIRECTION_NORM / sqrt(norm2);
  gsl_matrix_scale(v->W, scale);
  gsl_matrix_scale(v->V, scale);
  gsl_vector_scale(v->b1, scale);
  gsl_vector_scale(v->b2, scale);
}

int gv_plot_data_taylor(unsigned long seed, gv_taylor_curve *c)
{
  problem p;
  int status = problem_alloc(&p, seed);
  if (status != GSL_SUCCESS)
    return status;
  gv_net *v = gv_net_alloc(N, N, N), *moved = gv_net_alloc(N, N, N);
  gv_net_state *work = gv_net_state_alloc(p.net);
  gsl_vector *d2 = gsl_vector_alloc(N);
  gsl_matrix *dW = gsl_matrix_alloc(N, N);
  if (!v || !moved || !work || !d2 || !dW) {
    status = GSL_ENOMEM;
    goto done;
  }
  /* With |x_j| <= 1 and |v| = 0.4, a step eps <= 1 moves each z_i by at most
   * 0.4 sqrt(N + 1) < 1: the margin keeps the loss smooth along the line. */
  status = draw(&p, 1.0, 1);
  if (status != GSL_SUCCESS)
    goto done;
  c->loss = p.s->loss;

  draw_direction(p.r, v);

  c->gv_right = dot(p.g->dW, p.g->db1, p.g->dV, p.g->db2, v);
  /* The mistake: delta2 = V^T delta1, the mask forgotten, in dW and db1. */
  gsl_blas_dgemv(CblasTrans, 1.0, p.net->V, p.g->delta1, 0.0, d2);
  gsl_matrix_set_zero(dW);
  gsl_blas_dger(1.0, d2, p.x, dW);
  c->gv_wrong = dot(dW, d2, p.g->dV, p.g->db2, v);

  for (size_t k = 0; k < GV_PLOT_TAYLOR_POINTS; k++) {
    double eps = ldexp(1.0, -(int)k);
    axpy(p.net, eps, v, moved);
    status = gv_net_forward(moved, p.x, p.y, work);
    if (status != GSL_SUCCESS)
      goto done;
    double dl = work->loss - c->loss;
    c->eps[k] = eps;
    c->right[k] = fabs(dl - eps * c->gv_right);
    c->wrong[k] = fabs(dl - eps * c->gv_wrong);
  }
  double floor = 1e4 * DBL_EPSILON * fabs(c->loss);
  c->slope_right = fit_slope(c->eps, c->right, floor);
  c->slope_wrong = fit_slope(c->eps, c->wrong, floor);
done:
  gsl_matrix_free(dW);
  gsl_vector_free(d2);
  gv_net_state_free(work);
  gv_net_free(moved);
  gv_net_free(v);
  problem_free(&p);
  return status;
}
