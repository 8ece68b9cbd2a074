/* gv_trials_softmax.c: trials for softmax and cross-entropy.
 *
 * Logits are drawn at every scale up to |a| = 500, where exp(a) overflows a
 * double: the stable softmax and log-sum-exp must hold there too. */
#include <complex.h>
#include <math.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include "gv_complex.h"
#include "gv_cstep.h"
#include "gv_fd.h"
#include "gv_mistakes.h"
#include "gv_random.h"
#include "gv_softmax.h"
#include "gv_trial.h"
#include "gv_xent.h"

static void draw_logits(gsl_rng *r, gsl_vector *a)
{
  gv_random_vector(r, a, gv_random_scale(r, 0.1, 500.0));
}

/* Labels that sum to one: one-hot as in the seed, or soft. */
static void draw_labels(gsl_rng *r, gsl_vector *y)
{
  if (gsl_rng_uniform(r) < 0.5)
    gv_random_onehot(r, y);
  else
    gv_random_simplex(r, y);
}

typedef struct {
  gsl_vector *a; /* the variable */
  const gsl_vector *y;
  /* The numeric side's base point (logits functions): a0, a copy of a as
   * drawn, and p0 = softmax(a0), written by base_init. */
  gsl_vector *a0, *p0;
} ce_ctx;

/* Softmax and the loss from the logits, evaluated about the base point:
 * with d = a - a0 (exact: a differs from a0 by a step the engine took),
 * softmax(a)_j = p0_j e^(d_j) / sum_k p0_k e^(d_k) and
 * L(a) - L(a0) = (sum_k y_k) log(sum_k p0_k e^(d_k) / sum_k p0_k) - y.d. The same
 * functions as gv_softmax and gv_xent_loss_logits, but their values round at
 * eps of themselves instead of at eps max |a| (the rounding of a - max a at
 * logits in the hundreds), which is noise in a difference of two values. */
static int base_init(ce_ctx *c)
{
  c->a0 = gsl_vector_alloc(c->a->size);
  c->p0 = gsl_vector_alloc(c->a->size);
  if (!c->a0 || !c->p0)
    return GSL_ENOMEM;
  gsl_vector_memcpy(c->a0, c->a);
  return gv_softmax(c->a0, c->p0);
}

static void base_free(ce_ctx *c)
{
  gsl_vector_free(c->a0);
  gsl_vector_free(c->p0);
}

/* sum_k p0_k expm1(d_k), the relative change of the softmax denominator, into *u and
 * sum_k p0_k into *s0. */
static void base_sum(const ce_ctx *c, double *u, double *s0)
{
  *u = 0.0;
  *s0 = 0.0;
  for (size_t k = 0; k < c->a->size; k++) {
    double p = gsl_vector_get(c->p0, k);
    *u += p * expm1(gsl_vector_get(c->a, k) - gsl_vector_get(c->a0, k));
    *s0 += p;
  }
}

static int softmax_of_a(void *params, gsl_vector *p)
{
  ce_ctx *c = params;
  double u, s0;
  base_sum(c, &u, &s0);
  for (size_t j = 0; j < p->size; j++)
    gsl_vector_set(p, j,
                   gsl_vector_get(c->p0, j) *
                       exp(gsl_vector_get(c->a, j) - gsl_vector_get(c->a0, j)) / (s0 + u));
  return GSL_SUCCESS;
}

static int loss_of_logits(void *params, double *L)
{
  ce_ctx *c = params;
  double u, s0, yd = 0.0, ysum = 0.0;
  base_sum(c, &u, &s0);
  for (size_t k = 0; k < c->a->size; k++) {
    yd += gsl_vector_get(c->y, k) * (gsl_vector_get(c->a, k) - gsl_vector_get(c->a0, k));
    ysum += gsl_vector_get(c->y, k);
  }
  *L = ysum * log1p(u / s0) - yd;
  return GSL_SUCCESS;
}

static int loss_of_p(void *params, double *L)
{
  ce_ctx *c = params; /* here the variable a holds p */
  return gv_xent_loss(c->y, c->a, L);
}

/* The complex implementations, for the complex step. */
static int closs_of_logits(void *params, const double complex *a, size_t n, double complex *L)
{
  ce_ctx *c = params;
  return gv_complex_xent_loss_logits(c->y->data, a, n, L);
}

static int closs_of_p(void *params, const double complex *p, size_t n, double complex *L)
{
  ce_ctx *c = params;
  double complex sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    double yi = gsl_vector_get(c->y, i);
    if (yi != 0.0)
      sum -= yi * clog(p[i]);
  }
  *L = sum;
  return GSL_SUCCESS;
}

int gv_trial_softmax_jacobian(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                              gv_trial_info *info)
{
  size_t n = gv_trial_size(r, info, 1, 50);
  gv_trial_pair t = {0};
  gsl_vector *a = gsl_vector_alloc(n), *p = gsl_vector_alloc(n);
  int status = GSL_ENOMEM;
  if (!a || !p || gv_trial_pair_alloc(&t, n, n))
    goto out;
  draw_logits(r, a);
  status = gv_softmax(a, p);
  if (status)
    goto out;
  gv_trial_show_vector(info, "a", a);
  gv_trial_show_vector(info, "p = softmax(a)", p);
  if (v == GV_MISTAKE_SOFTMAX_SIGN)
    status = gv_mistake_softmax_sign(p, t.analytic);
  else if (v == GV_MISTAKE_SOFTMAX_DIAG)
    status = gv_mistake_softmax_diag(p, t.analytic);
  else
    status = gv_softmax_jacobian(p, t.analytic);
  if (status)
    goto out;
  ce_ctx c = {a, NULL, NULL, NULL};
  gv_fd_vector fn = {softmax_of_a, &c, n};
  if ((status = base_init(&c)))
    goto out_base;
  gv_cstep_fn cf = {gv_complex_softmax_fn, NULL, n};
  status = gv_trial_jacobian(info, &fn, &cf, a, t.numeric, t.err);
  /* softmax rounds a_i - max a: its values carry the rounding of max |a|. */
  info->taylor_fscale = fmax(gsl_vector_max(a), -gsl_vector_min(a));
  info->round_scale = info->taylor_fscale; /* p = softmax(a) rounds a - max a */
  if (!status)
    status = gv_trial_taylor(info, NULL, &fn, a, t.analytic);
  if (!status)
    status = gv_trial_pair_compare(&t, tol, cmp, info);
out_base:
  base_free(&c);
out:
  gv_trial_pair_free(&t);
  gsl_vector_free(a);
  gsl_vector_free(p);
  return status;
}

int gv_trial_ce_grad_p(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                       gv_trial_info *info)
{
  (void)v;
  size_t n = gv_trial_size(r, info, 1, 50);
  gv_trial_pair t = {0};
  gsl_vector *p = gsl_vector_alloc(n), *y = gsl_vector_alloc(n);
  int status = GSL_ENOMEM;
  if (!p || !y || gv_trial_pair_alloc(&t, n, 1))
    goto out;
  /* p away from 0 so that p - h stays positive: -log p has its own kink-like
   * singularity at 0 that no central difference should straddle. */
  gv_random_vector_range(r, p, 0.05, 1.0);
  draw_labels(r, y);
  gv_trial_show_vector(info, "p", p);
  gv_trial_show_vector(info, "y", y);
  gsl_vector_view ga = gv_trial_col(t.analytic), gn = gv_trial_col(t.numeric),
                  ge = gv_trial_col(t.err);
  status = gv_xent_grad_p(y, p, &ga.vector);
  if (status)
    goto out;
  ce_ctx c = {p, y, NULL, NULL};
  gv_fd_scalar fn = {loss_of_p, &c};
  gv_cstep_fn cf = {closs_of_p, &c, 1};
  status = gv_trial_gradient(info, &fn, &cf, p, &gn.vector, &ge.vector);
  /* -log p lives on p > 0: a unit direction times half the smallest p stays there. */
  info->taylor_eps0 = 0.5 * gsl_vector_min(p);
  if (!status)
    status = gv_trial_taylor(info, &fn, NULL, p, t.analytic);
  if (!status)
    status = gv_trial_pair_compare(&t, tol, cmp, info);
out:
  gv_trial_pair_free(&t);
  gsl_vector_free(p);
  gsl_vector_free(y);
  return status;
}

/* dL/da against the finite difference of the loss from the logits. */
static int logits_trial(gsl_rng *r, gv_variant v, int general, const gv_tol *tol, gv_cmp *cmp,
                        gv_trial_info *info)
{
  size_t n = gv_trial_size(r, info, 2, 50);
  gv_trial_pair t = {0};
  gsl_vector *a = gsl_vector_alloc(n), *p = gsl_vector_alloc(n), *y = gsl_vector_alloc(n);
  int status = GSL_ENOMEM;
  if (!a || !p || !y || gv_trial_pair_alloc(&t, n, 1))
    goto out;
  draw_logits(r, a);
  if (general) /* soft labels whose sum is off, anywhere in [0.5, 2] */
    gv_random_vector_range(r, y, 0.0, gv_random_scale(r, 1.0, 4.0) / (double)n);
  else
    draw_labels(r, y);
  status = gv_softmax(a, p);
  if (status)
    goto out;
  gv_trial_show_vector(info, "a", a);
  gv_trial_show_vector(info, "y", y);
  gv_trial_show_vector(info, "p = softmax(a)", p);
  gv_trial_show_value(info, "1ᵀy", gsl_blas_dasum(y));
  gsl_vector_view ga = gv_trial_col(t.analytic), gn = gv_trial_col(t.numeric),
                  ge = gv_trial_col(t.err);
  if (v == GV_MISTAKE_SOFT_LABELS)
    status = gv_mistake_soft_labels(y, p, &ga.vector);
  else if (general)
    status = gv_xent_grad_logits_general(y, p, &ga.vector);
  else
    status = gv_xent_grad_logits(y, p, &ga.vector);
  if (status)
    goto out;
  ce_ctx c = {a, y, NULL, NULL};
  gv_fd_scalar fn = {loss_of_logits, &c};
  if ((status = base_init(&c)))
    goto out_base;
  gv_cstep_fn cf = {closs_of_logits, &c, 1};
  status = gv_trial_gradient(info, &fn, &cf, a, &gn.vector, &ge.vector);
  /* L = sum_i y_i (lse(a) - a_i) cancels terms of size max |a| down to
   * what may be 0: its rounding is that of max |a| sum_i y_i. */
  info->taylor_fscale = fmax(gsl_vector_max(a), -gsl_vector_min(a)) * gsl_blas_dasum(y);
  info->round_scale = fmax(gsl_vector_max(a), -gsl_vector_min(a)); /* p rounds a - max a */
  if (!status)
    status = gv_trial_taylor(info, &fn, NULL, a, t.analytic);
  if (!status)
    status = gv_trial_pair_compare(&t, tol, cmp, info);
out_base:
  base_free(&c);
out:
  gv_trial_pair_free(&t);
  gsl_vector_free(a);
  gsl_vector_free(p);
  gsl_vector_free(y);
  return status;
}

int gv_trial_ce_grad_logits(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                            gv_trial_info *info)
{
  return logits_trial(r, v, 0, tol, cmp, info);
}

int gv_trial_ce_grad_logits_general(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                                    gv_trial_info *info)
{
  return logits_trial(r, v, 1, tol, cmp, info);
}
