/* gv_ref.c: the assignment's layers, written plainly: reference, draws,
 * planted mistakes. */
#include "gv_ref.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

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
  const size_t shape[3][2] = {{n, d}, {d, d}, {1, d}};
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

static int sample_mse(const gsl_rng *r, gsl_matrix **in, size_t *rows, size_t *cols)
{
  return sample_loss(r, in, rows, cols, 0);
}

/* ---- affine ---- */

static int affine_forward(gsl_matrix *const *in, gsl_matrix *out)
{
  for (size_t i = 0; i < out->size1; i++) {
    gsl_vector_view row = gsl_matrix_row(out, i);
    gsl_vector_const_view b = gsl_matrix_const_row(in[2], 0);
    gsl_vector_memcpy(&row.vector, &b.vector);
  }
  return gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, in[0], in[1], 1.0, out);
}

static void column_sums(const gsl_matrix *m, gsl_matrix *row)
{
  for (size_t j = 0; j < m->size2; j++) {
    double s = 0.0;
    for (size_t i = 0; i < m->size1; i++)
      s += GET(m, i, j);
    SET(row, 0, j, s);
  }
}

static int affine_backward(gsl_matrix *const *in, const gsl_matrix *dout, gsl_matrix *const *g)
{
  column_sums(dout, g[2]);
  int status = gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, dout, in[1], 0.0, g[0]);
  return status ? status : gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, in[0], dout, 0.0, g[1]);
}

static int affine_db_first_row(gsl_matrix *const *in, const gsl_matrix *dout, gsl_matrix *const *g)
{
  int status = affine_backward(in, dout, g);
  for (size_t j = 0; j < dout->size2; j++)
    SET(g[2], 0, j, GET(dout, 0, j));
  return status;
}

static int affine_dx_no_transpose(gsl_matrix *const *in, const gsl_matrix *dout,
                                  gsl_matrix *const *g)
{
  int status = affine_backward(in, dout, g);
  return status ? status : gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, dout, in[1], 0.0, g[0]);
}

static const gv_ref_mistake affine_mistakes[] = {
    {.id = "affine.db_first_example",
     .words = "db is the first example's row of dout, not the sum over the batch",
     .backward = affine_db_first_row},
    {.id = "affine.dX_transpose_forgotten",
     .words = "dX = dout W: the transpose of W is forgotten (dX = dout W^T)",
     .backward = affine_dx_no_transpose},
};

/* ---- entrywise activations: out = f(X), dX = dout f'(X) ---- */

typedef double (*scalar_fn)(double);

static int map(const gsl_matrix *X, gsl_matrix *out, scalar_fn f)
{
  if (X->size1 != out->size1 || X->size2 != out->size2)
    return GSL_EBADLEN;
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      SET(out, i, j, f(GET(X, i, j)));
  return GSL_SUCCESS;
}

/* dX = dout .* d(X, dout), entrywise. */
static int map_back(const gsl_matrix *X, const gsl_matrix *dout, gsl_matrix *dX,
                    double (*d)(double x, double dout))
{
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++)
      SET(dX, i, j, GET(dout, i, j) * d(GET(X, i, j), GET(dout, i, j)));
  return GSL_SUCCESS;
}

static double relu(double x) { return x > 0 ? x : 0.0; }
static double relu_d(double x, double g) { (void)g; return x > 0 ? 1.0 : 0.0; }
static double relu_d_none(double x, double g) { (void)x, (void)g; return 1.0; }
static double relu_d_dout(double x, double g) { (void)x; return g > 0 ? 1.0 : 0.0; }
static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }
static double sigm_d(double x, double g) { (void)g; return sigm(x) * (1.0 - sigm(x)); }
static double sigm_d_input(double x, double g) { (void)g; return x * (1.0 - x); }
static double tanh_d(double x, double g) { (void)g; return 1.0 - tanh(x) * tanh(x); }
static double tanh_d_input(double x, double g) { (void)g; return 1.0 - x * x; }

static int relu_forward(gsl_matrix *const *in, gsl_matrix *out) { return map(in[0], out, relu); }
static int sigmoid_forward(gsl_matrix *const *in, gsl_matrix *out) { return map(in[0], out, sigm); }
static int tanh_forward(gsl_matrix *const *in, gsl_matrix *out) { return map(in[0], out, tanh); }

#define ENTRYWISE_BACKWARD(name, d)                                                            \
  static int name(gsl_matrix *const *in, const gsl_matrix *dout, gsl_matrix *const *g)         \
  {                                                                                            \
    return map_back(in[0], dout, g[0], d);                                                     \
  }
ENTRYWISE_BACKWARD(relu_backward, relu_d)
ENTRYWISE_BACKWARD(relu_no_mask, relu_d_none)
ENTRYWISE_BACKWARD(relu_mask_dout, relu_d_dout)
ENTRYWISE_BACKWARD(sigmoid_backward, sigm_d)
ENTRYWISE_BACKWARD(sigmoid_input, sigm_d_input)
ENTRYWISE_BACKWARD(tanh_backward, tanh_d)
ENTRYWISE_BACKWARD(tanh_input, tanh_d_input)

static const gv_ref_mistake relu_mistakes[] = {
    {.id = "relu.mask_forgotten",
     .words = "the mask is forgotten: dout is passed through where x <= 0 too",
     .backward = relu_no_mask},
    {.id = "relu.mask_from_dout",
     .words = "the mask is taken from dout's sign instead of from x",
     .backward = relu_mask_dout},
};

static const gv_ref_mistake sigmoid_mistakes[] = {
    {.id = "sigmoid.derivative_of_input",
     .words = "the derivative is computed as x (1 - x) from the input x, instead of "
              "s (1 - s) from the output s = sigmoid(x)",
     .backward = sigmoid_input},
};

static const gv_ref_mistake tanh_mistakes[] = {
    {.id = "tanh.derivative_of_input",
     .words = "the derivative is computed as 1 - x^2 from the input x, instead of "
              "1 - tanh(x)^2 from the output",
     .backward = tanh_input},
};

/* ---- losses over a batch, mean over the N rows ---- */

static int softmax_ce_forward(gsl_matrix *const *in, gsl_matrix *out)
{
  const gsl_matrix *A = in[0], *Y = in[1];
  double loss = 0.0;
  for (size_t i = 0; i < A->size1; i++) {
    double mx = -INFINITY, s = 0.0;
    for (size_t j = 0; j < A->size2; j++)
      mx = fmax(mx, GET(A, i, j));
    for (size_t j = 0; j < A->size2; j++)
      s += exp(GET(A, i, j) - mx);
    for (size_t j = 0; j < A->size2; j++)
      loss -= GET(Y, i, j) * (GET(A, i, j) - mx - log(s));
  }
  SET(out, 0, 0, loss / (double)A->size1);
  return GSL_SUCCESS;
}

/* dA = dout (P - Y) / scale; the reference divides by N. */
static int softmax_ce_grad(gsl_matrix *const *in, const gsl_matrix *dout, gsl_matrix *dA,
                           double scale)
{
  const gsl_matrix *A = in[0], *Y = in[1];
  double g = GET(dout, 0, 0);
  for (size_t i = 0; i < A->size1; i++) {
    double mx = -INFINITY, s = 0.0;
    for (size_t j = 0; j < A->size2; j++)
      mx = fmax(mx, GET(A, i, j));
    for (size_t j = 0; j < A->size2; j++)
      s += exp(GET(A, i, j) - mx);
    for (size_t j = 0; j < A->size2; j++)
      SET(dA, i, j, g * (exp(GET(A, i, j) - mx) / s - GET(Y, i, j)) / scale);
  }
  return GSL_SUCCESS;
}

static int softmax_ce_backward(gsl_matrix *const *in, const gsl_matrix *dout, gsl_matrix *const *g)
{
  return softmax_ce_grad(in, dout, g[0], (double)in[0]->size1);
}

static int softmax_ce_no_mean(gsl_matrix *const *in, const gsl_matrix *dout, gsl_matrix *const *g)
{
  return softmax_ce_grad(in, dout, g[0], 1.0);
}

static const gv_ref_mistake softmax_ce_mistakes[] = {
    {.id = "softmax_ce.mean_forgotten",
     .words = "the 1/N of the batch mean is forgotten: dA = P - Y instead of (P - Y) / N",
     .backward = softmax_ce_no_mean},
};

static int mse_forward(gsl_matrix *const *in, gsl_matrix *out)
{
  double s = 0.0;
  for (size_t i = 0; i < in[0]->size1; i++)
    for (size_t j = 0; j < in[0]->size2; j++) {
      double e = GET(in[0], i, j) - GET(in[1], i, j);
      s += e * e;
    }
  SET(out, 0, 0, s / (double)in[0]->size1);
  return GSL_SUCCESS;
}

static int mse_grad(gsl_matrix *const *in, const gsl_matrix *dout, gsl_matrix *dY, double factor)
{
  double g = GET(dout, 0, 0) * factor / (double)in[0]->size1;
  for (size_t i = 0; i < in[0]->size1; i++)
    for (size_t j = 0; j < in[0]->size2; j++)
      SET(dY, i, j, g * (GET(in[0], i, j) - GET(in[1], i, j)));
  return GSL_SUCCESS;
}

static int mse_backward(gsl_matrix *const *in, const gsl_matrix *dout, gsl_matrix *const *g)
{
  return mse_grad(in, dout, g[0], 2.0);
}

static int mse_no_two(gsl_matrix *const *in, const gsl_matrix *dout, gsl_matrix *const *g)
{
  return mse_grad(in, dout, g[0], 1.0);
}

static const gv_ref_mistake mse_mistakes[] = {
    {.id = "mse.factor_2_forgotten",
     .words = "the factor 2 from the derivative of the square is forgotten",
     .backward = mse_no_two},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const gv_ref_layer layers[] = {
    {.name = "affine", .nin = 3, .in_names = {"X", "W", "b"}, .diff = {1, 1, 1},
     .forward = affine_forward, .backward = affine_backward, .sample = sample_affine,
     .mistakes = affine_mistakes, .nmistakes = COUNT(affine_mistakes)},
    {.name = "relu", .nin = 1, .in_names = {"X"}, .diff = {1}, .forward = relu_forward,
     .backward = relu_backward, .sample = sample_elementwise, .mistakes = relu_mistakes,
     .nmistakes = COUNT(relu_mistakes)},
    {.name = "sigmoid", .nin = 1, .in_names = {"X"}, .diff = {1}, .forward = sigmoid_forward,
     .backward = sigmoid_backward, .sample = sample_elementwise, .mistakes = sigmoid_mistakes,
     .nmistakes = COUNT(sigmoid_mistakes)},
    {.name = "tanh", .nin = 1, .in_names = {"X"}, .diff = {1}, .forward = tanh_forward,
     .backward = tanh_backward, .sample = sample_elementwise, .mistakes = tanh_mistakes,
     .nmistakes = COUNT(tanh_mistakes)},
    {.name = "softmax_ce", .nin = 2, .in_names = {"A", "Y"}, .diff = {1, 0},
     .forward = softmax_ce_forward, .backward = softmax_ce_backward, .sample = sample_softmax_ce,
     .mistakes = softmax_ce_mistakes, .nmistakes = COUNT(softmax_ce_mistakes)},
    {.name = "mse", .nin = 2, .in_names = {"Yhat", "Y"}, .diff = {1, 0}, .forward = mse_forward,
     .backward = mse_backward, .sample = sample_mse, .mistakes = mse_mistakes,
     .nmistakes = COUNT(mse_mistakes)},
};

const gv_ref_layer *gv_ref_find(const char *name)
{
  for (size_t k = 0; k < COUNT(layers); k++)
    if (strcmp(layers[k].name, name) == 0)
      return &layers[k];
  return NULL;
}
