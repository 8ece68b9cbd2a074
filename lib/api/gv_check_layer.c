/* gv_check_layer.c: a layer's backward pass checked as the gradient of
 * L = <G, forward(inputs)>, and its full Jacobian, through gv_check_gradient
 * and gv_check_jacobian: the same methods, error bars, tolerances and
 * outcome as any GSL user's function. Input k becomes the flat variable x
 * (row-major); the other inputs stay fixed. */
#include "gv_check_impl.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "gv_alloc.h"

/* Input k moved to x, the others fixed, with the buffers forward and
 * backward write into. */
typedef struct {
  const gv_layer *layer;
  size_t k;
  const gsl_matrix *in[GV_LAYER_MAX_INPUTS];
  gsl_matrix *var; /* the copy of input k that x is written into */
  gsl_matrix *grad[GV_LAYER_MAX_INPUTS];
  const gsl_matrix *G; /* the upstream gradient (gradient check) */
  gsl_matrix *dout;    /* unit upstream gradients (Jacobian check) */
  gsl_matrix *out;
  int status; /* the first non-zero status of a callback */
} layer_ctx;

static void *alloc_quiet(size_t n1, size_t n2)
{
  gsl_matrix *m = gv_matrix_alloc(n1, n2);
  if (m)
    gsl_matrix_set_zero(m);
  return m;
}

static void ctx_free(layer_ctx *c)
{
  gsl_matrix_free(c->var);
  gsl_matrix_free(c->dout);
  gsl_matrix_free(c->out);
  for (size_t j = 0; j < GV_LAYER_MAX_INPUTS; j++)
    gsl_matrix_free(c->grad[j]);
}

static int layer_valid(const gv_layer *layer, const gsl_matrix *const in[], size_t k)
{
  if (!layer->forward || !layer->backward || !layer->inputs || layer->n_inputs == 0 ||
      layer->n_inputs > GV_LAYER_MAX_INPUTS || k >= layer->n_inputs ||
      !layer->inputs[k].differentiable)
    return GSL_EINVAL;
  for (size_t j = 0; j < layer->n_inputs; j++)
    if (!in[j])
      return GSL_EFAULT;
  return GSL_SUCCESS;
}

/* Validates, copies input k, and allocates the output and the gradients. */
static int ctx_init(layer_ctx *c, const gv_layer *layer, const gsl_matrix *const in[], size_t k)
{
  *c = (layer_ctx){.layer = layer, .k = k};
  int status = layer_valid(layer, in, k);
  if (status)
    return status;
  for (size_t j = 0; j < layer->n_inputs; j++)
    c->in[j] = in[j];
  size_t rows = in[0]->size1, cols = in[0]->size2;
  if (layer->output_shape && (status = layer->output_shape(in, layer->params, &rows, &cols)))
    return status;
  if (rows == 0 || cols == 0)
    return GSL_EBADLEN;
  c->var = alloc_quiet(in[k]->size1, in[k]->size2);
  c->out = alloc_quiet(rows, cols);
  if (!c->var || !c->out)
    return GSL_ENOMEM;
  gsl_matrix_memcpy(c->var, in[k]);
  c->in[k] = c->var;
  for (size_t j = 0; j < layer->n_inputs; j++)
    if (layer->inputs[j].differentiable && !(c->grad[j] = alloc_quiet(in[j]->size1, in[j]->size2)))
      return GSL_ENOMEM;
  return GSL_SUCCESS;
}

/* var = x, row-major. */
static void set_var(layer_ctx *c, const gsl_vector *x)
{
  size_t cols = c->var->size2;
  for (size_t i = 0; i < x->size; i++)
    gsl_matrix_set(c->var, i / cols, i % cols, gsl_vector_get(x, i));
}

static int forward(layer_ctx *c, const gsl_vector *x)
{
  set_var(c, x);
  int status = c->layer->forward(c->in, c->layer->params, c->out);
  if (status && !c->status)
    c->status = status;
  return status;
}

/* row = the gradient of input k for upstream gradient dout, row-major. The
 * gradients start as NaN, so that an entry backward forgets to set fails. */
static void backward(layer_ctx *c, const gsl_matrix *dout, gsl_vector *row)
{
  for (size_t j = 0; j < c->layer->n_inputs; j++)
    if (c->grad[j])
      gsl_matrix_set_all(c->grad[j], NAN);
  int status = c->layer->backward(c->in, dout, c->layer->params, c->grad);
  if (status && !c->status)
    c->status = status;
  const gsl_matrix *g = c->grad[c->k];
  for (size_t i = 0; i < row->size; i++)
    gsl_vector_set(row, i, status ? NAN : gsl_matrix_get(g, i / g->size2, i % g->size2));
}

static double loss_f(const gsl_vector *x, void *params)
{
  layer_ctx *c = params;
  if (forward(c, x))
    return NAN;
  double L = 0.0;
  for (size_t i = 0; i < c->out->size1; i++)
    for (size_t j = 0; j < c->out->size2; j++)
      L += gsl_matrix_get(c->G, i, j) * gsl_matrix_get(c->out, i, j);
  return L;
}

static void loss_df(const gsl_vector *x, void *params, gsl_vector *df)
{
  layer_ctx *c = params;
  set_var(c, x);
  backward(c, c->G, df);
}

/* The outcome of a flat check shown in input k's shape: entry (0, i) of a
 * gradient becomes (i / cols, i % cols). */
static void reshape(gv_outcome *out, size_t rows, size_t cols)
{
  out->rows = rows;
  out->cols = cols;
  for (size_t i = 0; i < rows * cols; i++) {
    out->entry[i].row = i / cols;
    out->entry[i].col = i % cols;
  }
}

static int draw_G(gsl_matrix *G, const gv_options *opts)
{
  gsl_rng *r = gv_rng_alloc(gsl_rng_mt19937, 0);
  if (!r)
    return GSL_ENOMEM;
  gv_options o;
  if (!opts)
    gv_options_init(&o);
  gsl_rng_set(r, opts ? opts->seed : o.seed);
  for (size_t i = 0; i < G->size1; i++)
    for (size_t j = 0; j < G->size2; j++)
      gsl_matrix_set(G, i, j, gsl_ran_gaussian(r, 1.0));
  gsl_rng_free(r);
  return GSL_SUCCESS;
}

/* opts (NULL: the defaults) on one thread: the loss writes the layer's
 * input and output matrices, shared by every evaluation. */
static void serial_options(const gv_options *opts, gv_options *o)
{
  if (opts)
    *o = *opts;
  else
    gv_options_init(o);
  o->threads = 1;
}

/* Flattens input k into a new vector x. */
static gsl_vector *flat_input(const gsl_matrix *m)
{
  gsl_vector *x = gv_vector_alloc(m->size1 * m->size2);
  for (size_t i = 0; x && i < x->size; i++)
    gsl_vector_set(x, i, gsl_matrix_get(m, i / m->size2, i % m->size2));
  return x;
}

/* The upstream gradient into c->G: G when given (shaped like the layer's
 * output, or GSL_EBADLEN), else one drawn from opts' seed into *drawn, which
 * the caller frees. */
static int upstream(layer_ctx *c, const gsl_matrix *G, const gv_options *opts, gsl_matrix **drawn)
{
  *drawn = NULL;
  c->G = G;
  if (G)
    return G->size1 != c->out->size1 || G->size2 != c->out->size2 ? GSL_EBADLEN : GSL_SUCCESS;
  if (!(*drawn = alloc_quiet(c->out->size1, c->out->size2)))
    return GSL_ENOMEM;
  c->G = *drawn;
  return draw_G(*drawn, opts);
}

/* gv_check_gradient of L = <G, forward> in input k, flattened to x. */
static int check_loss(layer_ctx *c, gsl_vector *x, const gv_options *opts, gv_outcome *out)
{
  gsl_multimin_function_fdf fdf = {.f = loss_f, .df = loss_df, .n = x->size, .params = c};
  gv_options o;
  serial_options(opts, &o);
  int status = gv_check_gradient(&fdf, x, &o, out);
  return c->status ? c->status : status;
}

int gv_check_layer(const gv_layer *layer, const gsl_matrix *const in[], size_t k,
                   const gsl_matrix *G, const gv_options *opts, gv_outcome *out)
{
  if (!layer || !in || !out)
    return GSL_EFAULT;
  gv_outcome_reset(out, 0, 0);
  layer_ctx c;
  gsl_matrix *drawn = NULL;
  gsl_vector *x = NULL;
  int status = ctx_init(&c, layer, in, k);
  if (!status)
    status = upstream(&c, G, opts, &drawn);
  if (!status && !(x = flat_input(in[k])))
    status = GSL_ENOMEM;
  if (!status)
    status = check_loss(&c, x, opts, out);
  if (!status && out->sample.kind == GV_SAMPLE_FULL)
    reshape(out, in[k]->size1, in[k]->size2);
  if (status)
    gv_outcome_reset(out, 0, 0);
  gsl_vector_free(x);
  gsl_matrix_free(drawn);
  ctx_free(&c);
  return status;
}

static int jac_f(const gsl_vector *x, void *params, gsl_vector *f)
{
  layer_ctx *c = params;
  int status = forward(c, x);
  for (size_t i = 0; !status && i < f->size; i++)
    gsl_vector_set(f, i, gsl_matrix_get(c->out, i / c->out->size2, i % c->out->size2));
  return status;
}

/* Row i of J is backward with dout = e_i. */
static int jac_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
  layer_ctx *c = params;
  set_var(c, x);
  size_t cols = c->dout->size2;
  for (size_t i = 0; i < J->size1; i++) {
    gsl_matrix_set_zero(c->dout);
    gsl_matrix_set(c->dout, i / cols, i % cols, 1.0);
    gsl_vector_view row = gsl_matrix_row(J, i);
    backward(c, c->dout, &row.vector);
  }
  return c->status;
}

int gv_check_layer_jacobian(const gv_layer *layer, const gsl_matrix *const in[], size_t k,
                            const gv_options *opts, gv_outcome *out)
{
  if (!layer || !in || !out)
    return GSL_EFAULT;
  gv_outcome_reset(out, 0, 0);
  layer_ctx c;
  gsl_vector *x = NULL;
  int status = ctx_init(&c, layer, in, k);
  if (status)
    goto cleanup;
  c.dout = alloc_quiet(c.out->size1, c.out->size2);
  x = flat_input(in[k]);
  if (!c.dout || !x) {
    status = GSL_ENOMEM;
    goto cleanup;
  }
  gsl_multifit_nlinear_fdf fdf = {
      .f = jac_f, .df = jac_df, .n = c.out->size1 * c.out->size2, .p = x->size, .params = &c};
  gv_options o;
  serial_options(opts, &o);
  status = gv_check_jacobian(&fdf, x, &o, out);
  if (c.status)
    status = c.status;
cleanup:
  if (status)
    gv_outcome_reset(out, 0, 0);
  gsl_vector_free(x);
  ctx_free(&c);
  return status;
}
