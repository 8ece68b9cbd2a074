/* gv_trials_net.c: trials for the seed's network, one per backpropagated
 * quantity. Each draws a network, an input and a one-hot target, runs the
 * forward and backward passes, and differentiates the loss numerically with
 * respect to one parameter (or to z for delta2) from the forward pass, O(K)
 * per evaluation (gv_net_shortcut.h); the Taylor test evaluates the full
 * forward pass, perturbing the parameter in place. --size fixes D, H, K.
 *
 * ReLU kinks: a central difference whose step moves some z_i across 0
 * straddles the kink and measures neither one-sided slope. Such draws are
 * redrawn, and counted. One trial in ten plants a unit exactly at its kink
 * (z_i = 0, as after a zero initialisation) so that the redraw is exercised. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "gv_fd.h"
#include "gv_mistakes.h"
#include "gv_net.h"
#include "gv_net_shortcut.h"
#include "gv_random.h"
#include "gv_trial.h"
#include "gv_trial_memo.h"

#define MAX_REDRAWS 1000

typedef struct {
  gv_net *net;
  gsl_vector *x, *y;
  gv_net_state *s;    /* forward state for the analytic side */
  gv_net_state *work; /* forward state for finite-difference evaluations */
  gv_net_grad *g;
} net_case;

static void net_case_free(net_case *c)
{
  gv_net_free(c->net);
  gsl_vector_free(c->x);
  gsl_vector_free(c->y);
  gv_net_state_free(c->s);
  gv_net_state_free(c->work);
  gv_net_grad_free(c->g);
}

/* How far any finite-difference step used by these trials can move z_i:
 * a step on b1_i or z_i itself, or on W(i, j) times |x_j|. The loop runs
 * over every entry of W in every draw (10^5 at --size 784,128,10): '>'
 * where fmax was an out-of-line call per entry. reach is never NaN (a step
 * is at least cbrt(eps)), and a NaN product is skipped, as fmax skips it. */
static double kink_reach(const net_case *c, size_t i)
{
  double reach =
      fmax(gv_fd_step(gsl_vector_get(c->net->b1, i)), gv_fd_step(gsl_vector_get(c->s->z, i)));
  for (size_t j = 0; j < c->net->n_in; j++) {
    double r = gv_fd_step(gsl_matrix_get(c->net->W, i, j)) * fabs(gsl_vector_get(c->x, j));
    reach = r > reach ? r : reach;
  }
  return reach;
}

static int near_kink(const net_case *c)
{
  for (size_t i = 0; i < c->net->n_hidden; i++)
    /* A factor 2 of margin: x + h and x - h are rounded, and so is z. */
    if (fabs(gsl_vector_get(c->s->z, i)) <= 2.0 * kink_reach(c, i))
      return 1;
  return 0;
}

static void draw_params(gsl_rng *r, net_case *c)
{
  const gv_net *net = c->net;
  double sx = gv_random_scale(r, 0.1, 10.0);
  gv_random_vector(r, c->x, sx);
  /* Weights scaled like a standard initialisation, so that z is O(1). */
  gv_random_matrix(r, net->W, sqrt(3.0 / (double)net->n_in) / sx);
  gv_random_vector(r, net->b1, 0.5);
  gv_random_matrix(r, net->V, 2.0 * sqrt(3.0 / (double)net->n_hidden));
  gv_random_vector(r, net->b2, 0.5);
  gv_random_onehot(r, c->y);
  if (gsl_rng_uniform(r) < 0.1) {
    /* Plant a kink: choose b1_i so that z_i = (W x)_i + b1_i is 0. */
    size_t i = gsl_rng_uniform_int(r, net->n_hidden);
    gsl_vector_const_view Wi = gsl_matrix_const_row(net->W, i);
    double wx = 0.0;
    for (size_t j = 0; j < net->n_in; j++)
      wx += gsl_vector_get(&Wi.vector, j) * gsl_vector_get(c->x, j);
    gsl_vector_set(net->b1, i, -wx);
  }
}

/* Draws the parameters, input and target until no unit is near its kink
 * (info->redraws: how many draws were refused), with the forward pass of
 * the draw kept in c->s. */
static int draw_loop(gsl_rng *r, net_case *c, gv_trial_info *info)
{
  info->redraws = 0;
  for (;;) {
    draw_params(r, c);
    int status = gv_net_forward(c->net, c->x, c->y, c->s);
    if (status)
      return status;
    if (!near_kink(c))
      return GSL_SUCCESS;
    if (++info->redraws >= MAX_REDRAWS)
      return GSL_EMAXITER;
  }
}

/* draw_loop, or its outcome kept in info->memo by the trial a control
 * repeats (gv_trial_memo.h: the same generator state, the same draw): the
 * values, the redraw count and r's state after them are copied, and the
 * forward pass computed again from them. */
static int draw_away_from_kinks(gsl_rng *r, net_case *c, gv_trial_info *info)
{
  if (!info->memo)
    return draw_loop(r, c, info);
  gv_net *net = c->net;
  gsl_vector_view W = gsl_vector_view_array(net->W->data, net->W->size1 * net->W->size2);
  gsl_vector_view V = gsl_vector_view_array(net->V->data, net->V->size1 * net->V->size2);
  double redraws = 0.0;
  gsl_vector_view n = gsl_vector_view_array(&redraws, 1);
  gsl_vector *const v[] = {&n.vector, c->x, c->y, &W.vector, net->b1, &V.vector, net->b2};
  gv_trial_memo_key key;
  int status = gv_trial_memo_key_init(&key, r, 'N');
  if (!status && gv_trial_memo_get_draw(info->memo, &key, r, v, 7)) {
    info->redraws = (size_t)redraws;
    status = gv_net_forward(net, c->x, c->y, c->s);
  } else if (!status) {
    status = draw_loop(r, c, info);
    redraws = (double)info->redraws;
    if (!status)
      status = gv_trial_memo_put_draw(info->memo, &key, r, (const gsl_vector *const *)v, 7);
  }
  gv_trial_memo_key_free(&key);
  return status;
}

/* Draws a network away from its kinks and runs forward and backward passes. */
static int net_case_draw(gsl_rng *r, net_case *c, gv_trial_info *info)
{
  size_t D = gv_random_size(r, 1, 20), H = gv_random_size(r, 1, 20), K = gv_random_size(r, 2, 10);
  if (info->net_size[0]) { /* --size: fixed sizes, the draws above kept for the stream */
    D = info->net_size[0];
    H = info->net_size[1];
    K = info->net_size[2];
  }
  *c = (net_case){0};
  c->net = gv_net_alloc(D, H, K);
  c->x = gsl_vector_alloc(D);
  c->y = gsl_vector_alloc(K);
  if (!c->net || !c->x || !c->y)
    return GSL_ENOMEM;
  c->s = gv_net_state_alloc(c->net);
  c->work = gv_net_state_alloc(c->net);
  c->g = gv_net_grad_alloc(c->net);
  if (!c->s || !c->work || !c->g)
    return GSL_ENOMEM;
  int status = draw_away_from_kinks(r, c, info);
  if (!status)
    status = gv_net_backward(c->net, c->x, c->y, c->s, c->g);
  return status;
}

static int loss_of_params(void *params, double *L)
{
  net_case *c = params;
  int status = gv_net_forward(c->net, c->x, c->y, c->work);
  *L = c->work->loss;
  return status;
}

typedef struct {
  net_case *c;
  gsl_vector *z;
} z_ctx;

static int loss_of_z(void *params, double *L)
{
  z_ctx *zc = params;
  int status = gv_net_forward_from_z(zc->c->net, zc->z, zc->c->y, zc->c->work);
  *L = zc->c->work->loss;
  return status;
}

/* The analytic side of each trial, right or planted. */
static int analytic_side(const net_case *c, char what, gv_variant v, gsl_matrix *out)
{
  gsl_vector_view col = gsl_matrix_column(out, 0);
  const gv_net_grad *g = c->g;
  switch (what) {
  case 'z': /* delta2 */
    if (v == GV_MISTAKE_DELTA2_NOMASK)
      return gv_mistake_relu_nomask(c->net->V, g->delta1, &col.vector);
    return gsl_vector_memcpy(&col.vector, g->delta2);
  case 'V':
    if (v == GV_MISTAKE_V_ORDER)
      return gv_mistake_outer_order(g->delta1, c->s->h, out);
    return gsl_matrix_memcpy(out, g->dV);
  case 'c': /* b2 */
    return gsl_vector_memcpy(&col.vector, g->db2);
  case 'W':
    if (v == GV_MISTAKE_W_NOMASK)
      return gv_mistake_grad_W_nomask(c->net->V, g->delta1, c->x, out);
    return gsl_matrix_memcpy(out, g->dW);
  case 'b': /* b1 */
    if (v == GV_MISTAKE_B1_NOMASK)
      return gv_mistake_relu_nomask(c->net->V, g->delta1, &col.vector);
    return gsl_vector_memcpy(&col.vector, g->db1);
  }
  return GSL_EINVAL;
}

/* The variable of part `what`, as one vector over its memory, and the loss
 * as a function of it; for 'z' a copy of z (*z, the caller frees it). V
 * and b2 leave z = Wx + b1 as the forward pass computed it, so their loss
 * starts from that z (gv_net_forward is gv_net_forward_from_z after z: the
 * same values, without the H x D product per evaluation of the Taylor test). */
static int net_variable(net_case *c, char what, z_ctx *zc, gsl_vector **z, gv_fd_scalar *fn,
                        gsl_vector_view *var)
{
  gv_net *net = c->net;
  *fn = (gv_fd_scalar){loss_of_params, c};
  switch (what) {
  case 'z':
    if (!(*z = gsl_vector_alloc(net->n_hidden)))
      return GSL_ENOMEM;
    gsl_vector_memcpy(*z, c->s->z);
    *zc = (z_ctx){c, *z};
    *fn = (gv_fd_scalar){loss_of_z, zc};
    *var = gsl_vector_subvector(*z, 0, (*z)->size);
    break;
  case 'V':
  case 'c':
    *zc = (z_ctx){c, c->s->z};
    *fn = (gv_fd_scalar){loss_of_z, zc};
    if (what == 'V')
      *var = gsl_vector_view_array(net->V->data, net->V->size1 * net->V->size2);
    else
      *var = gsl_vector_subvector(net->b2, 0, net->b2->size);
    break;
  case 'W':
    *var = gsl_vector_view_array(net->W->data, net->W->size1 * net->W->size2);
    break;
  default:
    *var = gsl_vector_subvector(net->b1, 0, net->b1->size);
  }
  return GSL_SUCCESS;
}

/* The network, its forward pass and delta1 for a reader (gv_trial_show). */
static void net_show(const net_case *c, gv_trial_info *info)
{
  gv_trial_show_vector(info, "x", c->x);
  gv_trial_show_vector(info, "y", c->y);
  gv_trial_show_matrix(info, "W", c->net->W);
  gv_trial_show_vector(info, "b₁", c->net->b1);
  gv_trial_show_vector(info, "z = Wx + b₁", c->s->z);
  gsl_matrix *mask = gv_trial_show_vector(info, "1(z > 0)", c->s->z);
  for (size_t i = 0; mask && i < mask->size1; i++)
    gsl_matrix_set(mask, i, 0, gsl_matrix_get(mask, i, 0) > 0.0);
  gv_trial_show_matrix(info, "V", c->net->V);
  gv_trial_show_vector(info, "b₂", c->net->b2);
  gv_trial_show_vector(info, "δ₁ = p − y", c->g->delta1);
}

/* The numeric side from the forward pass, O(K) per evaluation, or the copy
 * kept under key (the formula's own trial, for a control repeating it). */
static int numeric_side(const gv_net_base *b, char what, gv_trial_info *info,
                        gv_trial_memo_key *key, gv_trial_pair *t)
{
  if (info->memo && gv_trial_memo_get(info->memo, key, t->numeric, t->err))
    return GSL_SUCCESS;
  int status = gv_net_shortcut_gradient(b, what, info->method, t->numeric, t->err);
  if (!status && info->memo)
    status = gv_trial_memo_put(info->memo, key, t->numeric, t->err);
  return status;
}

/* One trial for the quantity named by `what`: 'z' (delta2), 'V', 'c' (b2),
 * 'W' or 'b' (b1). */
static int net_trial(gsl_rng *r, char what, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                     gv_trial_info *info)
{
  net_case c;
  gv_trial_pair t = {0};
  gsl_vector *z = NULL;
  gv_trial_memo_key key = {0};
  /* the key before the draw: the generator's state decides what is drawn */
  int status = info->memo ? gv_trial_memo_key_init(&key, r, (unsigned)what << 8 | info->method)
                          : GSL_SUCCESS;
  c = (net_case){0};
  if (!status)
    status = net_case_draw(r, &c, info);
  if (status)
    goto out;
  const gv_net *net = c.net;
  size_t rows = what == 'V' ? net->n_out : what == 'c' ? net->n_out : net->n_hidden;
  size_t cols = what == 'V' ? net->n_hidden : what == 'W' ? net->n_in : 1;
  status = gv_trial_pair_alloc(&t, rows, cols);
  if (!status)
    status = analytic_side(&c, what, v, t.analytic);
  gv_fd_scalar fn;
  z_ctx zc;
  gsl_vector_view var;
  if (!status)
    status = net_variable(&c, what, &zc, &z, &fn, &var);
  if (status)
    goto out;
  if (info->show)
    net_show(&c, info);
  /* The Taylor test below evaluates the full forward pass. */
  gv_net_base base = {.net = net, .x = c.x, .y = c.y, .s = c.s};
  status = numeric_side(&base, what, info, &key, &t);
  info->used = info->method;
  /* The loss lse(a) - a_k rounds logits of size max |a|. */
  info->taylor_fscale = fmax(gsl_vector_max(c.s->a), -gsl_vector_min(c.s->a));
  info->round_scale = info->taylor_fscale; /* p = softmax(a) rounds a - max a */
  if (!status)
    status = gv_trial_taylor(info, &fn, NULL, &var.vector, t.analytic);
  if (!status)
    status = gv_trial_pair_compare(&t, tol, cmp, info);
out:
  gv_trial_memo_key_free(&key);
  gsl_vector_free(z);
  gv_trial_pair_free(&t);
  net_case_free(&c);
  return status;
}

int gv_trial_relu_delta(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                        gv_trial_info *info)
{
  return net_trial(r, 'z', v, tol, cmp, info);
}

int gv_trial_grad_V(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp, gv_trial_info *info)
{
  return net_trial(r, 'V', v, tol, cmp, info);
}

int gv_trial_grad_b2(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp, gv_trial_info *info)
{
  return net_trial(r, 'c', v, tol, cmp, info);
}

int gv_trial_grad_W(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp, gv_trial_info *info)
{
  return net_trial(r, 'W', v, tol, cmp, info);
}

int gv_trial_grad_b1(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp, gv_trial_info *info)
{
  return net_trial(r, 'b', v, tol, cmp, info);
}
