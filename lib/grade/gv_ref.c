/* gv_ref.c: the assignment's layers: the catalogue's (gv_layers.h) behind the
 * grader's interface, and the grader's own draws. */
#include "gv_ref.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "gv_layers.h"

#define GET gsl_matrix_get
#define SET gsl_matrix_set

size_t gv_ref_ngrad(const gv_ref_layer *l)
{
  size_t n = 0;
  for (size_t k = 0; k < l->nin; k++)
    n += l->diff[k] != 0;
  return n;
}

/* ---- draws ---- */

static size_t draw_size(const gsl_rng *r, size_t lo, size_t hi)
{
  return lo + gsl_rng_uniform_int(r, hi - lo + 1);
}

/* Entries from N(0, scale^2), none closer than 0.05 to 0: each entry lies
 * many steps of the finite differences away from ReLU's kink. */
static void fill_normal(const gsl_rng *r, gsl_matrix *m, double scale)
{
  for (size_t i = 0; i < m->size1; i++)
    for (size_t j = 0; j < m->size2; j++) {
      double x;
      do
        x = gsl_ran_gaussian(r, scale);
      while (fabs(x) < 0.05);
      SET(m, i, j, x);
    }
}

static void fill_onehot(const gsl_rng *r, gsl_matrix *Y)
{
  gsl_matrix_set_zero(Y);
  for (size_t i = 0; i < Y->size1; i++)
    SET(Y, i, gsl_rng_uniform_int(r, Y->size2), 1.0);
}

static int alloc_all(gsl_matrix **in, size_t n, const size_t shape[][2])
{
  for (size_t k = 0; k < n; k++)
    in[k] = NULL;
  for (size_t k = 0; k < n; k++)
    if (!(in[k] = gsl_matrix_alloc(shape[k][0], shape[k][1]))) {
      for (size_t j = 0; j < k; j++)
        gsl_matrix_free(in[j]);
      return GSL_ENOMEM;
    }
  return GSL_SUCCESS;
}

/* W is square (D = M) so that a forgotten transpose still runs and can be
 * named; N differs from D so that a transposed dX cannot fit. */
static int sample_affine(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols)
{
  size_t d = draw_size(r, 3, 5), n = d + draw_size(r, 1, 3);
  const size_t shape[3][2] = {{n, d}, {d, d}, {d, 1}};
  if (alloc_all(in, 3, shape))
    return GSL_ENOMEM;
  for (size_t k = 0; k < 3; k++)
    fill_normal(r, in[k], 1.0);
  *rows = n;
  *cols = d;
  return GSL_SUCCESS;
}

static int sample_elementwise(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols)
{
  const size_t shape[1][2] = {{draw_size(r, 4, 6), draw_size(r, 3, 5)}};
  if (alloc_all(in, 1, shape))
    return GSL_ENOMEM;
  fill_normal(r, in[0], 1.5);
  *rows = shape[0][0];
  *cols = shape[0][1];
  return GSL_SUCCESS;
}

/* A loss over a batch: predictions and targets, one-hot when onehot. */
static int sample_loss(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols, int onehot)
{
  size_t n = draw_size(r, 4, 6), c = n - draw_size(r, 1, 2);
  const size_t shape[2][2] = {{n, c}, {n, c}};
  if (alloc_all(in, 2, shape))
    return GSL_ENOMEM;
  fill_normal(r, in[0], 2.0);
  if (onehot)
    fill_onehot(r, in[1]);
  else
    fill_normal(r, in[1], 1.0);
  *rows = *cols = 1;
  return GSL_SUCCESS;
}

static int sample_softmax_ce(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols)
{
  return sample_loss(r, in, rows, cols, 1);
}

/* Scores with every margin S(i,j) - S(i,y_i) + 1 at least 0.05 from the
 * hinge's kink, so that no central difference straddles it. */
static int sample_svm(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols)
{
  int status = sample_loss(r, in, rows, cols, 1);
  for (size_t i = 0; !status && i < in[0]->size1; i++) {
    size_t y = 0;
    while (gsl_matrix_get(in[1], i, y) == 0.0)
      y++;
    for (size_t j = 0; j < in[0]->size2; j++) {
      double m = gsl_matrix_get(in[0], i, j) - gsl_matrix_get(in[0], i, y) + 1.0;
      if (j != y && fabs(m) < 0.05)
        SET(in[0], i, j, GET(in[0], i, j) + (m < 0 ? -0.1 : 0.1));
    }
  }
  return status;
}

/* X with columns of a spread well away from 0 (the steep regime of a tiny
 * variance is the catalogue's to check, not a student's); eps 1e-5. */
static int sample_batchnorm(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols)
{
  size_t d = draw_size(r, 3, 5), n = d + draw_size(r, 1, 3);
  const size_t shape[4][2] = {{n, d}, {d, 1}, {d, 1}, {1, 1}};
  if (alloc_all(in, 4, shape))
    return GSL_ENOMEM;
  for (size_t k = 0; k < 3; k++)
    fill_normal(r, in[k], 1.5);
  gsl_matrix_set(in[3], 0, 0, 1e-5);
  *rows = n;
  *cols = d;
  return GSL_SUCCESS;
}

static int sample_mse(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols)
{
  return sample_loss(r, in, rows, cols, 0);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* in_names and diff must be the catalogue's: gv_ref_find checks. */
static const gv_ref_layer layers[] = {
    {.name = "affine",
     .nin = 3,
     .in_names = {"X", "W", "b"},
     .diff = {1, 1, 1},
     .sample = sample_affine,
     .entry = &gv_layers_affine},
    {.name = "relu",
     .nin = 1,
     .in_names = {"X"},
     .diff = {1},
     .sample = sample_elementwise,
     .entry = &gv_layers_relu},
    {.name = "sigmoid",
     .nin = 1,
     .in_names = {"X"},
     .diff = {1},
     .sample = sample_elementwise,
     .entry = &gv_layers_sigmoid},
    {.name = "tanh",
     .nin = 1,
     .in_names = {"X"},
     .diff = {1},
     .sample = sample_elementwise,
     .entry = &gv_layers_tanh},
    {.name = "softmax_ce",
     .nin = 2,
     .in_names = {"A", "Y"},
     .diff = {1, 0},
     .sample = sample_softmax_ce,
     .entry = &gv_layers_softmax_ce},
    {.name = "mse",
     .nin = 2,
     .in_names = {"Yhat", "Y"},
     .diff = {1, 0},
     .sample = sample_mse,
     .entry = &gv_layers_mse},
    {.name = "svm_hinge",
     .nin = 2,
     .in_names = {"S", "Y"},
     .diff = {1, 0},
     .sample = sample_svm,
     .entry = &gv_layers_svm_hinge},
    {.name = "batchnorm",
     .nin = 4,
     .in_names = {"X", "gamma", "beta", "eps"},
     .diff = {1, 1, 1, 0},
     .sample = sample_batchnorm,
     .entry = &gv_layers_batchnorm},
};

static int matches_catalogue(const gv_ref_layer *l)
{
  const gv_layers_entry *e = l->entry;
  if (e->layer.n_inputs != l->nin)
    return 0;
  for (size_t k = 0; k < l->nin; k++)
    if (strcmp(e->layer.inputs[k].name, l->in_names[k]) != 0 ||
        !e->layer.inputs[k].differentiable != !l->diff[k])
      return 0;
  return 1;
}

const gv_ref_layer *gv_ref_find(const char *name)
{
  for (size_t k = 0; k < COUNT(layers); k++)
    if (strcmp(layers[k].name, name) == 0)
      return matches_catalogue(&layers[k]) ? &layers[k] : NULL;
  return NULL;
}

int gv_ref_forward(const gv_ref_layer *l, gsl_matrix *const *in, gsl_matrix *out)
{
  const gv_layers_entry *e = l->entry;
  return e->layer.forward((const gsl_matrix *const *)in, e->layer.params, out);
}

/* The catalogue's grad[] has an entry per input, NULL where not differentiable. */
static int catalogue_backward(const gv_ref_layer *l, gv_layer_backward_fn backward,
                              gsl_matrix *const *in, const gsl_matrix *dout,
                              gsl_matrix *const *grad)
{
  const gv_layers_entry *e = l->entry;
  gsl_matrix *full[GV_REF_MAX_IN] = {NULL};
  for (size_t k = 0, g = 0; k < l->nin; k++)
    if (l->diff[k])
      full[k] = grad[g++];
  return backward((const gsl_matrix *const *)in, dout, e->layer.params, full);
}

int gv_ref_backward(const gv_ref_layer *l, gsl_matrix *const *in, const gsl_matrix *dout,
                    gsl_matrix *const *grad)
{
  const gv_layers_entry *e = l->entry;
  return catalogue_backward(l, e->layer.backward, in, dout, grad);
}

size_t gv_ref_nmistakes(const gv_ref_layer *l)
{
  const gv_layers_entry *e = l->entry;
  return e->n_mistakes;
}

const char *gv_ref_mistake_id(const gv_ref_layer *l, size_t m)
{
  const gv_layers_entry *e = l->entry;
  return e->mistakes[m].id;
}

const char *gv_ref_mistake_words(const gv_ref_layer *l, size_t m)
{
  const gv_layers_entry *e = l->entry;
  return e->mistakes[m].description;
}

int gv_ref_mistake(const gv_ref_layer *l, size_t m, gsl_matrix *const *in, const gsl_matrix *dout,
                   gsl_matrix *const *grad)
{
  const gv_layers_entry *e = l->entry;
  return catalogue_backward(l, e->mistakes[m].backward, in, dout, grad);
}
