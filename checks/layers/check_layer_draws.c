/* check_layer_draws.c: what the samplers of the catalogue's kinked and
 * indexed layers promise about their draws, over many draws: no input left
 * within the kink margin (and the redraws counted, so the margin is
 * exercised, not just never reached), a hinge draw with something to check,
 * a repeated index in every embedding draw, a dropout mask keeping a unit;
 * and embedding's refusal of an index that is not a row of W. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

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
  gsl_rng_set(r, 4099 + t);
  *p = (point){0};
  ck_assert_int_eq(e->layer.sample(r, e->layer.params, p->in, &p->d), GSL_SUCCESS);
  gsl_rng_free(r);
  return e;
}

static const char *const kinked_at_zero[] = {"leaky_relu", "elu"};

/* Every entry of X at least the margin away from 0; some draws needed redraws. */
START_TEST(test_pointwise_off_kink)
{
  size_t redraws = 0, zero_regime = 0;
  for (size_t t = 0; t < DRAWS; t++) {
    point p;
    const gv_layers_entry *e = draw(kinked_at_zero[_i], t, &p);
    for (size_t i = 0; i < p.in[0]->size1 * p.in[0]->size2; i++)
      ck_assert_double_ge(fabs(p.in[0]->data[i]), GV_LAYER_KINK_MARGIN);
    redraws += p.d.redraws;
    zero_regime += p.d.regime && strcmp(p.d.regime, "exact zeros") == 0;
    gv_layers_inputs_free(&e->layer, p.in);
  }
  ck_assert_uint_gt(zero_regime, DRAWS / 8);
  ck_assert_uint_gt(redraws, 0);
}
END_TEST

/* Margins S_ij − S_iy + 1 (j ≠ y) off 0 relative to their scores, at least
 * one positive per draw; the "ties" regime needed redraws. */
START_TEST(test_hinge_margins)
{
  size_t redraws = 0;
  for (size_t t = 0; t < DRAWS; t++) {
    point p;
    const gv_layers_entry *e = draw("svm_hinge", t, &p);
    const gsl_matrix *S = p.in[0], *Y = p.in[1];
    size_t positive = 0;
    for (size_t i = 0; i < S->size1; i++) {
      gsl_vector_const_view y = gsl_matrix_const_row(Y, i);
      size_t c = gsl_vector_max_index(&y.vector);
      double sy = gsl_matrix_get(S, i, c);
      for (size_t j = 0; j < S->size2; j++) {
        double sj = gsl_matrix_get(S, i, j), m = sj - sy + 1.0;
        if (j == c)
          continue;
        ck_assert_double_ge(fabs(m), GV_LAYER_KINK_MARGIN * fmax(1.0, fmax(fabs(sj), fabs(sy))));
        positive += m > 0.0;
      }
    }
    ck_assert_uint_gt(positive, 0);
    redraws += p.d.redraws;
    gv_layers_inputs_free(&e->layer, p.in);
  }
  ck_assert_uint_gt(redraws, 0);
}
END_TEST

/* Indices whole numbers in [0, V), one of them repeated, in every draw. */
START_TEST(test_embedding_repeats)
{
  for (size_t t = 0; t < DRAWS; t++) {
    point p;
    const gv_layers_entry *e = draw("embedding", t, &p);
    const gsl_matrix *idx = p.in[0];
    int repeated = 0;
    for (size_t i = 0; i < idx->size1; i++) {
      double v = gsl_matrix_get(idx, i, 0);
      ck_assert(v >= 0.0 && v < (double)p.in[1]->size1 && v == floor(v));
      for (size_t j = 0; j < i; j++)
        repeated |= v == gsl_matrix_get(idx, j, 0);
    }
    ck_assert_msg(repeated, "draw %zu repeats no index", t);
    gv_layers_inputs_free(&e->layer, p.in);
  }
}
END_TEST

/* A mask of 0s and 1s keeping at least one unit; 0 < p < 1. */
START_TEST(test_dropout_mask)
{
  for (size_t t = 0; t < DRAWS; t++) {
    point p;
    const gv_layers_entry *e = draw("dropout", t, &p);
    double kept = 0.0;
    for (size_t i = 0; i < p.in[1]->size1 * p.in[1]->size2; i++) {
      ck_assert(p.in[1]->data[i] == 0.0 || p.in[1]->data[i] == 1.0);
      kept += p.in[1]->data[i];
    }
    ck_assert_double_gt(kept, 0.0);
    ck_assert(p.in[2]->data[0] > 0.0 && p.in[2]->data[0] < 1.0);
    gv_layers_inputs_free(&e->layer, p.in);
  }
}
END_TEST

/* An index past W's rows, negative or fractional is GSL_EDOM, in forward,
 * backward, and so in the check. */
START_TEST(test_embedding_bad_index)
{
  static const double bad[] = {-1.0, 0.5, 1e300, NAN};
  point p;
  const gv_layers_entry *e = draw("embedding", 1, &p);
  const gv_layer *l = &e->layer;
  const gsl_matrix *const *in = (const gsl_matrix *const *)p.in;
  gsl_matrix *out = gsl_matrix_alloc(p.in[0]->size1, p.in[1]->size2);
  gsl_matrix *dW = gsl_matrix_alloc(p.in[1]->size1, p.in[1]->size2);
  gsl_matrix *grad[GV_LAYER_MAX_INPUTS] = {NULL, dW};
  gv_outcome *o = gv_outcome_alloc();
  ck_assert_int_eq(l->forward(in, l->params, out), GSL_SUCCESS);
  double keep = gsl_matrix_get(p.in[0], 0, 0);
  double rows = (double)p.in[1]->size1;
  for (size_t k = 0; k < 5; k++) {
    gsl_matrix_set(p.in[0], 0, 0, k < 4 ? bad[k] : rows);
    ck_assert_int_eq(l->forward(in, l->params, out), GSL_EDOM);
    ck_assert_int_eq(l->backward(in, out, l->params, grad), GSL_EDOM);
    ck_assert_int_eq(gv_check_layer(l, in, 1, NULL, NULL, o), GSL_EDOM);
  }
  gsl_matrix_set(p.in[0], 0, 0, keep);
  ck_assert_int_eq(gv_check_layer(l, in, 1, NULL, NULL, o), GSL_SUCCESS);
  gv_outcome_free(o);
  gsl_matrix_free(dW);
  gsl_matrix_free(out);
  gv_layers_inputs_free(l, p.in);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("layer_draws");
  TCase *tc = tcase_create("Draws");
  tcase_add_loop_test(tc, test_pointwise_off_kink, 0,
                      (int)(sizeof kinked_at_zero / sizeof kinked_at_zero[0]));
  tcase_add_test(tc, test_hinge_margins);
  tcase_add_test(tc, test_embedding_repeats);
  tcase_add_test(tc, test_dropout_mask);
  suite_add_tcase(s, tc);
  tc = tcase_create("Errors");
  tcase_add_test(tc, test_embedding_bad_index);
  suite_add_tcase(s, tc);
  return s;
}
