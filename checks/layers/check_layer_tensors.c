/* check_layer_tensors.c: what the generic catalogue check (check_layers.c)
 * cannot see for the normalisation, pooling, convolution and recurrent
 * layers. It checks backward against forward; here the forwards are checked
 * against their definitions (normalised statistics, the cells' values at
 * zero weights), the samplers' promises (no max-pool near tie, the sizes a
 * real convolution has), where the convolution's mistakes must be caught,
 * and the refusal of inputs that do not fit. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "check_main.h"
#include "gradverify.h"
#include "gv_layers.h"

#define DRAWS 400

typedef struct {
  gsl_matrix *in[GV_LAYER_MAX_INPUTS];
  gv_layer_draw d;
} point;

/* Draw t of layer name, from a generator seeded by t alone. */
static const gv_layers_entry *draw(const char *name, size_t t, point *p)
{
  const gv_layers_entry *e = gv_layers_find(name);
  ck_assert_ptr_nonnull(e);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 7817 + t);
  *p = (point){0};
  ck_assert_int_eq(e->layer.sample(r, e->layer.params, p->in, &p->d), GSL_SUCCESS);
  gsl_rng_free(r);
  return e;
}

/* A new matrix holding the layer's output at p. */
static gsl_matrix *run_forward(const gv_layer *l, const point *p)
{
  const gsl_matrix *const *in = (const gsl_matrix *const *)p->in;
  size_t rows = p->in[0]->size1, cols = p->in[0]->size2;
  if (l->output_shape)
    ck_assert_int_eq(l->output_shape(in, l->params, &rows, &cols), GSL_SUCCESS);
  gsl_matrix *out = gsl_matrix_alloc(rows, cols);
  ck_assert_int_eq(l->forward(in, l->params, out), GSL_SUCCESS);
  return out;
}

/* ---- Normalisation ---- */

/* With eps = 0, (out − β)/γ has mean 0 and biased variance 1 over each
 * column (batchnorm) or row (layernorm). */
START_TEST(test_norm_statistics)
{
  static const char *const names[] = {"batchnorm", "layernorm"};
  int by_column = _i == 0;
  for (size_t t = 0; t < 50; t++) {
    point p;
    const gv_layers_entry *e = draw(names[_i], t, &p);
    gsl_matrix_set(p.in[3], 0, 0, 0.0);
    if ((by_column ? p.in[0]->size1 : p.in[0]->size2) < 2) {
      gv_layers_inputs_free(&e->layer, p.in);
      continue;
    }
    gsl_matrix *out = run_forward(&e->layer, &p);
    for (size_t i = 0; i < out->size1; i++)
      for (size_t j = 0; j < out->size2; j++) {
        double *o = gsl_matrix_ptr(out, i, j);
        *o = (*o - gsl_matrix_get(p.in[2], j, 0)) / gsl_matrix_get(p.in[1], j, 0);
      }
    size_t groups = by_column ? out->size2 : out->size1;
    for (size_t g = 0; g < groups; g++) {
      gsl_vector_view v = by_column ? gsl_matrix_column(out, g) : gsl_matrix_row(out, g);
      const double *d = v.vector.data;
      double mean = gsl_stats_mean(d, v.vector.stride, v.vector.size);
      double var = gsl_stats_variance_with_fixed_mean(d, v.vector.stride, v.vector.size, 0.0);
      ck_assert_double_eq_tol(mean, 0.0, 1e-9);
      ck_assert_double_eq_tol(var, 1.0, 1e-9);
    }
    gsl_matrix_free(out);
    gv_layers_inputs_free(&e->layer, p.in);
  }
}
END_TEST

/* Both samplers draw the small-variance regime, where σ² is at most about
 * eps, in a good share of the draws. */
START_TEST(test_norm_small_variance_drawn)
{
  static const char *const names[] = {"batchnorm", "layernorm"};
  size_t small = 0;
  for (size_t t = 0; t < DRAWS; t++) {
    point p;
    const gv_layers_entry *e = draw(names[_i], t, &p);
    small += p.d.regime && strcmp(p.d.regime, "small variance") == 0;
    gv_layers_inputs_free(&e->layer, p.in);
  }
  ck_assert_uint_gt(small, DRAWS / 5);
}
END_TEST

/* ---- Pooling ---- */

/* No window's two largest entries within the kink margin of each other;
 * the margin is exercised (some draws were redrawn). */
START_TEST(test_maxpool_off_ties)
{
  size_t redraws = 0;
  for (size_t t = 0; t < DRAWS; t++) {
    point p;
    const gv_layers_entry *e = draw("maxpool", t, &p);
    const gsl_matrix *X = p.in[0], *h = p.in[1];
    size_t C = (size_t)h->data[0], H = (size_t)h->data[1], W = (size_t)h->data[2];
    size_t K = (size_t)h->data[3], S = (size_t)h->data[4];
    for (size_t n = 0; n < X->size1; n++)
      for (size_t c = 0; c < C; c++)
        for (size_t y = 0; y + K <= H; y += S)
          for (size_t x = 0; x + K <= W; x += S) {
            double top = -INFINITY, second = -INFINITY;
            for (size_t k = 0; k < K * K; k++) {
              double v = gsl_matrix_get(X, n, (c * H + y + k / K) * W + x + k % K);
              second = v > top ? top : fmax(second, v);
              top = fmax(top, v);
            }
            ck_assert_double_ge(top - second, GV_LAYER_KINK_MARGIN * fmax(1.0, fabs(top)));
          }
    redraws += p.d.redraws;
    gv_layers_inputs_free(&e->layer, p.in);
  }
  ck_assert_uint_gt(redraws, 0);
}
END_TEST

/* A constant image pools to that constant (avgpool and maxpool alike). */
START_TEST(test_pool_constant)
{
  static const char *const names[] = {"avgpool", "maxpool"};
  point p;
  const gv_layers_entry *e = draw(names[_i], 3, &p);
  gsl_matrix_set_all(p.in[0], 2.375);
  gsl_matrix *out = run_forward(&e->layer, &p);
  for (size_t i = 0; i < out->size1 * out->size2; i++)
    ck_assert_double_eq(out->data[i], 2.375);
  gsl_matrix_free(out);
  gv_layers_inputs_free(&e->layer, p.in);
}
END_TEST

/* ---- Convolution ---- */

enum { HC, HH, HW, HKH, HKW, HS, HP };

/* The draws include real sizes (C, F >= 3, H, W >= 7, stride 2, padding 1)
 * and also stride 1, padding 0 and 2, 1-by-1 kernels. */
START_TEST(test_conv_regimes)
{
  size_t real = 0, stride1 = 0, pad0 = 0, pad2 = 0, one = 0;
  for (size_t t = 0; t < 64; t++) {
    point p;
    const gv_layers_entry *e = draw("conv2d", t, &p);
    const double *h = p.in[3]->data;
    real +=
        h[HC] >= 3 && p.in[1]->size1 >= 3 && h[HH] >= 7 && h[HW] >= 7 && h[HS] == 2 && h[HP] == 1;
    stride1 += h[HS] == 1;
    pad0 += h[HP] == 0;
    pad2 += h[HP] == 2;
    one += h[HKH] * h[HKW] == 1;
    gv_layers_inputs_free(&e->layer, p.in);
  }
  ck_assert_uint_ge(real, 8);
  ck_assert_uint_gt(stride1, 0);
  ck_assert_uint_gt(pad0, 0);
  ck_assert_uint_gt(pad2, 0);
  ck_assert_uint_gt(one, 0);
}
END_TEST

/* Each mistake fails at every draw where it changes dX: the unflipped kernel
 * wherever the kernel is larger than 1-by-1, the uncropped padding wherever
 * there is padding; and passes where it changes nothing (the catch rates
 * below 100% in the reports are those draws). */
START_TEST(test_conv_mistakes_where_they_differ)
{
  const gv_layers_entry *e = gv_layers_find("conv2d");
  ck_assert_uint_eq(e->n_mistakes, 2);
  gv_options o;
  gv_options_init(&o);
  o.method = GV_METHOD_CENTRAL;
  gv_outcome *out = gv_outcome_alloc();
  for (size_t t = 0; t < 24; t++) {
    point p;
    draw("conv2d", t, &p);
    const double *h = p.in[3]->data;
    for (size_t m = 0; m < 2; m++) {
      gv_layer wrong = e->layer;
      wrong.backward = e->mistakes[m].backward;
      int differs = m == 0 ? h[HKH] * h[HKW] > 1 : h[HP] > 0;
      ck_assert_int_eq(gv_check_layer(&wrong, (const gsl_matrix *const *)p.in, 0, NULL, &o, out),
                       GSL_SUCCESS);
      ck_assert_msg((gv_outcome_verdict(out) == GV_FAIL) == differs, "%s at draw %zu",
                    e->mistakes[m].id, t);
    }
    gv_layers_inputs_free(&e->layer, p.in);
  }
  gv_outcome_free(out);
}
END_TEST

/* ---- Recurrent cells at zero weights ---- */

/* At Wx = Wh = 0: rnn_step's h' = tanh(b); lstm_step's gates, with b_i = b_f
 * = b_o = 0 too, are 1/2 and g = tanh(b_g),
 * so c' = C/2 + tanh(b_g)/2 and h' = tanh(c')/2. */
START_TEST(test_cells_zero_weights)
{
  static const char *const names[] = {"rnn_step", "lstm_step"};
  int lstm = _i == 1;
  point p;
  const gv_layers_entry *e = draw(names[_i], 5, &p);
  size_t b = lstm ? 5 : 4, Hd = p.in[1]->size2;
  gsl_matrix_set_zero(p.in[b - 2]); /* Wx */
  gsl_matrix_set_zero(p.in[b - 1]); /* Wh */
  for (size_t k = 0; lstm && k < 3 * Hd; k++)
    gsl_matrix_set(p.in[b], k, 0, 0.0); /* b_i, b_f, b_o */
  gsl_matrix *out = run_forward(&e->layer, &p);
  for (size_t n = 0; n < out->size1; n++)
    for (size_t k = 0; k < Hd; k++) {
      if (!lstm) {
        ck_assert_double_eq_tol(gsl_matrix_get(out, n, k), tanh(gsl_matrix_get(p.in[b], k, 0)),
                                1e-15);
        continue;
      }
      double g = tanh(gsl_matrix_get(p.in[b], 3 * Hd + k, 0));
      double c = 0.5 * gsl_matrix_get(p.in[2], n, k) + 0.5 * g;
      ck_assert_double_eq_tol(gsl_matrix_get(out, n, Hd + k), c, 1e-15);
      ck_assert_double_eq_tol(gsl_matrix_get(out, n, k), 0.5 * tanh(c), 1e-15);
    }
  gsl_matrix_free(out);
  gv_layers_inputs_free(&e->layer, p.in);
}
END_TEST

/* ---- Inputs that do not fit ---- */

/* Status of checking layer name's input 0 at draw 2 after edit(p). */
static int check_edited(const char *name, void (*edit)(point *))
{
  point p;
  const gv_layers_entry *e = draw(name, 2, &p);
  edit(&p);
  gv_outcome *out = gv_outcome_alloc();
  int status = gv_check_layer(&e->layer, (const gsl_matrix *const *)p.in, 0, NULL, NULL, out);
  gv_outcome_free(out);
  gv_layers_inputs_free(&e->layer, p.in);
  return status;
}

static void stride_half(point *p)
{
  gsl_matrix_set(p->in[3], 0, HS, 1.5);
}
static void stride_zero(point *p)
{
  gsl_matrix_set(p->in[3], 0, HS, 0.0);
}
static void channels_off(point *p)
{
  gsl_matrix_set(p->in[3], 0, HC, gsl_matrix_get(p->in[3], 0, HC) + 1.0);
}
static void window_too_big(point *p)
{
  gsl_matrix_set(p->in[1], 0, 3, 100.0);
}
static void eps_negative(point *p)
{
  gsl_matrix_set(p->in[3], 0, 0, -1e-5);
}
static void gate_blocks_off(point *p)
{
  gsl_matrix *b = gsl_matrix_alloc(p->in[5]->size1 + 1, 1);
  gsl_matrix_set_zero(b);
  gsl_matrix_free(p->in[5]);
  p->in[5] = b;
}

START_TEST(test_bad_inputs)
{
  ck_assert_int_eq(check_edited("conv2d", stride_half), GSL_EINVAL);
  ck_assert_int_eq(check_edited("conv2d", stride_zero), GSL_EINVAL);
  ck_assert_int_eq(check_edited("conv2d", channels_off), GSL_EBADLEN);
  ck_assert_int_eq(check_edited("maxpool", window_too_big), GSL_EBADLEN);
  ck_assert_int_eq(check_edited("avgpool", window_too_big), GSL_EBADLEN);
  ck_assert_int_eq(check_edited("batchnorm", eps_negative), GSL_EDOM);
  ck_assert_int_eq(check_edited("layernorm", eps_negative), GSL_EDOM);
  ck_assert_int_eq(check_edited("lstm_step", gate_blocks_off), GSL_EBADLEN);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("layer_tensors");
  TCase *tc = tcase_create("Forward");
  tcase_add_loop_test(tc, test_norm_statistics, 0, 2);
  tcase_add_loop_test(tc, test_pool_constant, 0, 2);
  tcase_add_loop_test(tc, test_cells_zero_weights, 0, 2);
  suite_add_tcase(s, tc);
  tc = tcase_create("Draws");
  tcase_add_loop_test(tc, test_norm_small_variance_drawn, 0, 2);
  tcase_add_test(tc, test_maxpool_off_ties);
  tcase_add_test(tc, test_conv_regimes);
  suite_add_tcase(s, tc);
  tc = tcase_create("Mistakes");
  tcase_add_test(tc, test_conv_mistakes_where_they_differ);
  suite_add_tcase(s, tc);
  tc = tcase_create("Errors");
  tcase_add_test(tc, test_bad_inputs);
  suite_add_tcase(s, tc);
  return s;
}
