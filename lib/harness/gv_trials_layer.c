/* gv_trials_layer.c: one trial of a layer's gradient. The layer's sampler
 * draws the inputs, an upstream gradient G is drawn uniform in [-1, 1], and
 * backward(inputs, G) for input k (the layer's backward or a planted
 * mistake's) is compared with the numeric gradient of
 * L = <G, forward(inputs)> with respect to input k, perturbed in place. */
#include "gv_trial.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "gv_cstep.h"

typedef struct {
  const gv_layer *layer;
  size_t k;
  gsl_matrix *in[GV_LAYER_MAX_INPUTS];
  gsl_matrix *grad[GV_LAYER_MAX_INPUTS];
  gsl_matrix *G, *out;
  double complex *z[GV_LAYER_MAX_INPUTS]; /* the complex step's inputs */
  double complex *zout;
} layer_case;

static void layer_case_free(layer_case *c)
{
  for (size_t j = 0; j < GV_LAYER_MAX_INPUTS; j++) {
    gsl_matrix_free(c->in[j]);
    gsl_matrix_free(c->grad[j]);
    free(c->z[j]);
  }
  gsl_matrix_free(c->G);
  gsl_matrix_free(c->out);
  free(c->zout);
}

static const gsl_matrix *const *inputs(const layer_case *c)
{
  return (const gsl_matrix *const *)c->in;
}

/* The sampler's inputs: each allocated, with rows contiguous (tda == size2). */
static int sample_inputs(gsl_rng *r, layer_case *c, gv_trial_info *info)
{
  const gv_layer *l = c->layer;
  gv_layer_draw d = {0};
  int status = l->sample(r, l->params, c->in, &d);
  info->redraws = d.redraws;
  info->regime = d.regime;
  info->not_drawn = c->k < 8 * sizeof d.absent && ((d.absent >> c->k) & 1UL);
  for (size_t j = 0; !status && j < l->n_inputs; j++)
    if (!c->in[j] || c->in[j]->tda != c->in[j]->size2)
      status = c->in[j] ? GSL_EINVAL : GSL_ENOMEM;
  return status;
}

/* Draws the inputs and G, and allocates the output and the gradients. */
static int layer_case_draw(gsl_rng *r, layer_case *c, gv_trial_info *info)
{
  const gv_layer *l = c->layer;
  int status = sample_inputs(r, c, info);
  if (status)
    return status;
  size_t rows = c->in[0]->size1, cols = c->in[0]->size2;
  if (l->output_shape && (status = l->output_shape(inputs(c), l->params, &rows, &cols)))
    return status;
  c->G = gsl_matrix_alloc(rows, cols);
  c->out = gsl_matrix_alloc(rows, cols);
  if (!c->G || !c->out)
    return GSL_ENOMEM;
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < cols; j++)
      gsl_matrix_set(c->G, i, j, 2.0 * gsl_rng_uniform(r) - 1.0);
  for (size_t j = 0; j < l->n_inputs; j++)
    if (l->inputs[j].differentiable &&
        !(c->grad[j] = gsl_matrix_alloc(c->in[j]->size1, c->in[j]->size2)))
      return GSL_ENOMEM;
  return GSL_SUCCESS;
}

static double dot(const gsl_matrix *G, const gsl_matrix *out)
{
  double L = 0.0;
  for (size_t i = 0; i < G->size1; i++)
    for (size_t j = 0; j < G->size2; j++)
      L += gsl_matrix_get(G, i, j) * gsl_matrix_get(out, i, j);
  return L;
}

static int loss(void *params, double *L)
{
  layer_case *c = params;
  int status = c->layer->forward(inputs(c), c->layer->params, c->out);
  *L = status ? NAN : dot(c->G, c->out);
  return status;
}

/* L in complex arithmetic with input k = x (the other inputs real). */
static int closs(void *params, const double complex *x, size_t n, double complex *L)
{
  layer_case *c = params;
  const double complex *z[GV_LAYER_MAX_INPUTS];
  for (size_t j = 0; j < c->layer->n_inputs; j++)
    z[j] = j == c->k ? x : c->z[j];
  (void)n;
  int status = c->layer->forward_complex(inputs(c), z, c->layer->params, c->zout);
  double complex s = 0.0;
  for (size_t i = 0; !status && i < c->G->size1 * c->G->size2; i++)
    s += c->G->data[i] * c->zout[i];
  *L = s;
  return status;
}

/* The complex step's copies of the inputs. */
static int layer_complex_inputs(layer_case *c)
{
  const gv_layer *l = c->layer;
  c->zout = malloc(c->G->size1 * c->G->size2 * sizeof *c->zout);
  if (!c->zout)
    return GSL_ENOMEM;
  for (size_t j = 0; j < l->n_inputs; j++) {
    size_t n = c->in[j]->size1 * c->in[j]->size2;
    if (!(c->z[j] = malloc(n * sizeof *c->z[j])))
      return GSL_ENOMEM;
    for (size_t i = 0; i < n; i++)
      c->z[j][i] = c->in[j]->data[i];
  }
  return GSL_SUCCESS;
}

static int layer_numeric(layer_case *c, gv_trial_pair *t, gv_trial_info *info)
{
  gv_fd_scalar fn = {loss, c};
  gv_cstep_fn cf = {closs, c, 1};
  int use_cstep = info->method == GV_METHOD_CSTEP && c->layer->forward_complex;
  int status = use_cstep ? layer_complex_inputs(c) : GSL_SUCCESS;
  if (!status)
    status = gv_trial_gradient_matrix(info, &fn, use_cstep ? &cf : NULL, c->in[c->k], t->numeric,
                                      t->err);
  return status;
}

/* The scale of the values backward computes from, for the analytic side's
 * rounding (gv_formula.h, round_scale): max |G| times the largest magnitude
 * of a differentiable input. A backward that cancels terms of that size (the
 * softmax of logits in the hundreds, P - Y with P rounded at eps max |A|)
 * leaves entries no better than its eps. */
static double input_scale(const layer_case *c)
{
  double in = 1.0, g = 0.0;
  for (size_t j = 0; j < c->layer->n_inputs; j++)
    if (c->layer->inputs[j].differentiable)
      in = fmax(in, fmax(gsl_matrix_max(c->in[j]), -gsl_matrix_min(c->in[j])));
  for (size_t i = 0; i < c->G->size1 * c->G->size2; i++)
    g = fmax(g, fabs(c->G->data[i]));
  return g * in;
}

/* "X 3×4, W 4×2, b 2×1; G 3×2" into buf. */
static void describe(const layer_case *c, char *buf, size_t size)
{
  size_t n = 0;
  for (size_t j = 0; j < c->layer->n_inputs && n < size; j++)
    n += (size_t)snprintf(buf + n, size - n, "%s%s %zu×%zu", j ? ", " : "",
                          c->layer->inputs[j].name, c->in[j]->size1, c->in[j]->size2);
  if (n < size)
    snprintf(buf + n, size - n, "; G %zu×%zu", c->G->size1, c->G->size2);
}

int gv_trial_layer_pair(gsl_rng *r, const gv_formula *f, gv_layer_backward_fn backward,
                        gv_trial_info *info, gv_trial_pair *t, char *shapes, size_t size)
{
  layer_case c = {.layer = f->layer, .k = f->input};
  *t = (gv_trial_pair){0};
  int status = layer_case_draw(r, &c, info);
  if (!status && info->not_drawn) { /* a placeholder: nothing to compare */
    if (shapes)
      describe(&c, shapes, size);
    layer_case_free(&c);
    return GSL_SUCCESS;
  }
  gsl_matrix *X = c.in[c.k];
  if (!status)
    status = gv_trial_pair_alloc(t, X->size1, X->size2);
  for (size_t j = 0; !status && j < c.layer->n_inputs; j++)
    if (c.grad[j])
      gsl_matrix_set_all(c.grad[j], NAN); /* an entry backward forgets fails */
  if (!status)
    status = backward(inputs(&c), c.G, c.layer->params, c.grad);
  if (!status)
    status = gsl_matrix_memcpy(t->analytic, c.grad[c.k]);
  if (!status)
    status = layer_numeric(&c, t, info);
  if (!status) {
    gv_fd_scalar fn = {loss, &c};
    gsl_vector_view x = gsl_vector_view_array(X->data, X->size1 * X->size2);
    status = gv_trial_taylor(info, &fn, NULL, &x.vector, t->analytic);
  }
  if (!status)
    info->round_scale = input_scale(&c);
  if (!status && shapes)
    describe(&c, shapes, size);
  if (status)
    gv_trial_pair_free(t);
  layer_case_free(&c);
  return status;
}

int gv_trial_layer(gsl_rng *r, const gv_formula *f, gv_layer_backward_fn backward,
                   const gv_tol *tol, gv_cmp *cmp, gv_trial_info *info)
{
  gv_trial_pair t;
  int status = gv_trial_layer_pair(r, f, backward, info, &t, NULL, 0);
  if (!status && !info->not_drawn)
    status = gv_trial_pair_compare(&t, tol, cmp, info);
  gv_trial_pair_free(&t);
  return status;
}
