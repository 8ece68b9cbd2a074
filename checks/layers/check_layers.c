/* check_layers.c: every layer of the catalogue (gv_layers.h) through the
 * public API: its backward passes gv_check_layer at points its sampler draws
 * (and the full Jacobian where it is small), its complex forward agrees with
 * the real one, and each of its planted mistakes fails at some of the same
 * points. Table-driven over the catalogue: a new layer is tested by its row. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "check_main.h"
#include "gradverify.h"
#include "gv_driver.h"
#include "gv_layers.h"
#include "gv_suite.h"

#define SEED 20261128UL
#define DRAWS 8
/* The full Jacobian is checked when output size times input size is at most this. */
#define JACOBIAN_MAX 400

/* Draws point t of layer e (from a generator seeded by the layer's position
 * and t, so that every test sees the same points). */
static void draw(const gv_layers_entry *e, size_t t, gsl_matrix *in[])
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  ck_assert_ptr_nonnull(r);
  gsl_rng_set(r, SEED + 7919 * t + (unsigned long)e->layer.n_inputs);
  gv_layer_draw d;
  for (size_t k = 0; k < GV_LAYER_MAX_INPUTS; k++)
    in[k] = NULL;
  ck_assert_int_eq(e->layer.sample(r, e->layer.params, in, &d), GSL_SUCCESS);
  gsl_rng_free(r);
}

static size_t output_size(const gv_layer *l, const gsl_matrix *const in[])
{
  size_t rows = in[0]->size1, cols = in[0]->size2;
  if (l->output_shape)
    ck_assert_int_eq(l->output_shape(in, l->params, &rows, &cols), GSL_SUCCESS);
  return rows * cols;
}

static void check_point(const gv_layer *l, const gsl_matrix *const in[], size_t t)
{
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_ptr_nonnull(out);
  for (size_t k = 0; k < l->n_inputs; k++) {
    if (!l->inputs[k].differentiable)
      continue;
    ck_assert_int_eq(gv_check_layer(l, in, k, NULL, NULL, out), GSL_SUCCESS);
    if (gv_outcome_verdict(out) != GV_PASS)
      gv_outcome_fprintf(stderr, out);
    ck_assert_msg(gv_outcome_verdict(out) == GV_PASS, "%s.d%s fails at draw %zu", l->name,
                  l->inputs[k].name, t);
    ck_assert_uint_eq(gv_outcome_rows(out), in[k]->size1);
    ck_assert_uint_eq(gv_outcome_cols(out), in[k]->size2);
    if (output_size(l, in) * in[k]->size1 * in[k]->size2 > JACOBIAN_MAX)
      continue;
    ck_assert_int_eq(gv_check_layer_jacobian(l, in, k, NULL, out), GSL_SUCCESS);
    ck_assert_msg(gv_outcome_verdict(out) == GV_PASS, "%s.d%s: Jacobian fails at draw %zu", l->name,
                  l->inputs[k].name, t);
    ck_assert_uint_eq(gv_outcome_rows(out), output_size(l, in));
  }
  gv_outcome_free(out);
}

START_TEST(test_layer_passes)
{
  size_t n;
  const gv_layers_entry *e = gv_layers_list(&n)[_i];
  for (size_t t = 0; t < DRAWS; t++) {
    gsl_matrix *in[GV_LAYER_MAX_INPUTS];
    draw(e, t, in);
    check_point(&e->layer, (const gsl_matrix *const *)in, t);
    gv_layers_inputs_free(&e->layer, in);
  }
}
END_TEST

/* forward_complex at real inputs is forward. */
START_TEST(test_complex_forward)
{
  size_t n;
  const gv_layers_entry *e = gv_layers_list(&n)[_i];
  const gv_layer *l = &e->layer;
  if (!l->forward_complex)
    return;
  for (size_t t = 0; t < DRAWS; t++) {
    gsl_matrix *in[GV_LAYER_MAX_INPUTS];
    draw(e, t, in);
    const gsl_matrix *const *cin = (const gsl_matrix *const *)in;
    size_t rows = in[0]->size1, cols = in[0]->size2;
    if (l->output_shape)
      l->output_shape(cin, l->params, &rows, &cols);
    gsl_matrix *out = gsl_matrix_alloc(rows, cols);
    double complex *zout = malloc(rows * cols * sizeof *zout);
    double complex *z[GV_LAYER_MAX_INPUTS] = {0};
    for (size_t k = 0; k < l->n_inputs; k++) {
      z[k] = malloc(in[k]->size1 * in[k]->size2 * sizeof *z[k]);
      for (size_t i = 0; i < in[k]->size1 * in[k]->size2; i++)
        z[k][i] = gsl_matrix_get(in[k], i / in[k]->size2, i % in[k]->size2);
    }
    ck_assert_int_eq(l->forward(cin, l->params, out), GSL_SUCCESS);
    ck_assert_int_eq(l->forward_complex(cin, (const double complex *const *)z, l->params, zout),
                     GSL_SUCCESS);
    for (size_t i = 0; i < rows * cols; i++) {
      double v = gsl_matrix_get(out, i / cols, i % cols);
      ck_assert_double_eq_tol(creal(zout[i]), v, 1e-12 * fmax(1.0, fabs(v)));
      ck_assert_double_eq(cimag(zout[i]), 0.0);
    }
    for (size_t k = 0; k < l->n_inputs; k++)
      free(z[k]);
    free(zout);
    gsl_matrix_free(out);
    gv_layers_inputs_free(l, in);
  }
}
END_TEST

/* Mistake number i over the whole catalogue. */
static const gv_layers_entry *mistake_at(size_t i, const gv_layers_mistake **m)
{
  size_t n;
  const gv_layers_entry *const *list = gv_layers_list(&n);
  for (size_t j = 0; j < n; j++) {
    if (i < list[j]->n_mistakes) {
      *m = &list[j]->mistakes[i];
      return list[j];
    }
    i -= list[j]->n_mistakes;
  }
  return NULL;
}

static size_t mistake_count(void)
{
  size_t n, total = 0;
  const gv_layers_entry *const *list = gv_layers_list(&n);
  for (size_t j = 0; j < n; j++)
    total += list[j]->n_mistakes;
  return total;
}

/* Each mistake fails at some of the points the right backward passes at. */
START_TEST(test_mistake_caught)
{
  const gv_layers_mistake *m;
  const gv_layers_entry *e = mistake_at((size_t)_i, &m);
  ck_assert_ptr_nonnull(e);
  gv_layer wrong = e->layer;
  wrong.backward = m->backward;
  size_t k = gv_layers_input_index(&wrong, m->input), caught = 0;
  ck_assert_uint_lt(k, wrong.n_inputs);
  gv_outcome *out = gv_outcome_alloc();
  for (size_t t = 0; t < DRAWS; t++) {
    gsl_matrix *in[GV_LAYER_MAX_INPUTS];
    draw(e, t, in);
    ck_assert_int_eq(gv_check_layer(&wrong, (const gsl_matrix *const *)in, k, NULL, NULL, out),
                     GSL_SUCCESS);
    caught += gv_outcome_verdict(out) == GV_FAIL;
    gv_layers_inputs_free(&wrong, in);
  }
  gv_outcome_free(out);
  ck_assert_msg(caught > 0, "%s passes at all %d points", m->id, DRAWS);
}
END_TEST

/* The ids are unique and name an input of their layer. */
START_TEST(test_ids)
{
  size_t n;
  const gv_layers_entry *const *list = gv_layers_list(&n);
  ck_assert_uint_gt(n, 0);
  for (size_t j = 0; j < n; j++) {
    ck_assert_ptr_eq(gv_layers_find(list[j]->layer.name), list[j]);
    ck_assert_uint_ge(list[j]->n_mistakes, 1);
    for (size_t i = 0; i < list[j]->n_mistakes; i++) {
      size_t k = gv_layers_input_index(&list[j]->layer, list[j]->mistakes[i].input);
      ck_assert_uint_lt(k, list[j]->layer.n_inputs);
      ck_assert(list[j]->layer.inputs[k].differentiable);
    }
  }
  ck_assert_ptr_null(gv_layers_find("no such layer"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* gv_check_layer's contract, on the affine layer.                    */

static int failing_forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)in, (void)params, (void)out;
  return GSL_EDOM;
}

START_TEST(test_errors)
{
  const gv_layers_entry *e = gv_layers_find("affine");
  ck_assert_ptr_nonnull(e);
  gsl_matrix *in[GV_LAYER_MAX_INPUTS];
  draw(e, 0, in);
  const gsl_matrix *const *cin = (const gsl_matrix *const *)in;
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_layer(NULL, cin, 0, NULL, NULL, out), GSL_EFAULT);
  ck_assert_int_eq(gv_check_layer(&e->layer, NULL, 0, NULL, NULL, out), GSL_EFAULT);
  ck_assert_int_eq(gv_check_layer(&e->layer, cin, 0, NULL, NULL, NULL), GSL_EFAULT);
  ck_assert_int_eq(gv_check_layer(&e->layer, cin, 3, NULL, NULL, out), GSL_EINVAL);
  ck_assert_int_eq(gv_check_layer_jacobian(&e->layer, cin, 3, NULL, out), GSL_EINVAL);
  gsl_matrix *G = gsl_matrix_alloc(in[0]->size1 + 1, in[1]->size2);
  ck_assert_int_eq(gv_check_layer(&e->layer, cin, 0, G, NULL, out), GSL_EBADLEN);
  ck_assert_uint_eq(gv_outcome_size(out), 0);
  gv_layer broken = e->layer;
  broken.forward = failing_forward;
  ck_assert_int_eq(gv_check_layer(&broken, cin, 1, NULL, NULL, out), GSL_EDOM);
  ck_assert_int_eq(gv_check_layer_jacobian(&broken, cin, 1, NULL, out), GSL_EDOM);
  broken.forward = NULL;
  ck_assert_int_eq(gv_check_layer(&broken, cin, 1, NULL, NULL, out), GSL_EINVAL);
  gsl_matrix *keep = in[2];
  in[2] = NULL;
  ck_assert_int_eq(gv_check_layer(&e->layer, cin, 0, NULL, NULL, out), GSL_EFAULT);
  in[2] = keep;
  gsl_matrix_free(G);
  gv_outcome_free(out);
  gv_layers_inputs_free(&e->layer, in);
}
END_TEST

/* A given G is used as given: with G = 0 every gradient is 0, so a backward
 * that ignores dout's scale shows; the inputs are not modified. */
START_TEST(test_given_G)
{
  const gv_layers_entry *e = gv_layers_find("affine");
  gsl_matrix *in[GV_LAYER_MAX_INPUTS];
  draw(e, 3, in);
  gsl_matrix *W0 = gsl_matrix_alloc(in[1]->size1, in[1]->size2);
  gsl_matrix_memcpy(W0, in[1]);
  gsl_matrix *G = gsl_matrix_calloc(in[0]->size1, in[1]->size2);
  gsl_matrix_set(G, 0, 0, 2.5);
  gv_outcome *out = gv_outcome_alloc();
  ck_assert_int_eq(gv_check_layer(&e->layer, (const gsl_matrix *const *)in, 1, G, NULL, out),
                   GSL_SUCCESS);
  ck_assert_int_eq(gv_outcome_verdict(out), GV_PASS);
  /* dL/dW(d, 0) = 2.5 X(0, d); the other columns are 0. */
  gv_entry ent;
  ck_assert_int_eq(gv_outcome_entry(out, 0, &ent), GSL_SUCCESS);
  ck_assert_double_eq_tol(ent.analytic, 2.5 * gsl_matrix_get(in[0], 0, 0), 1e-14);
  ck_assert_double_eq_tol(ent.numeric, ent.analytic, 1e-8 * fmax(1.0, fabs(ent.analytic)));
  ck_assert_int_eq(gsl_matrix_equal(W0, in[1]), 1);
  gv_outcome_free(out);
  gsl_matrix_free(G);
  gsl_matrix_free(W0);
  gv_layers_inputs_free(&e->layer, in);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The driver: each layer alone, under each method (loop index: layer  */
/* times 3 plus method), every formula passes, every control caught.  */

#define DRIVER_TRIALS 40

START_TEST(test_driver_layer)
{
  size_t n;
  const gv_layers_entry *e = gv_layers_list(&n)[_i / 3];
  const char *only[] = {e->layer.name};
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.method = (gv_method)(_i % 3);
  gv_driver_default_tol(o.method, &o.tol);
  o.trials = gv_check_trials(DRIVER_TRIALS);
  o.only = only;
  o.n_only = 1;
  gv_run run;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_SUCCESS);
  size_t diff = 0;
  for (size_t k = 0; k < e->layer.n_inputs; k++)
    diff += e->layer.inputs[k].differentiable != 0;
  ck_assert_uint_eq(run.n_formulas, diff);
  ck_assert_uint_eq(run.n_controls, e->n_mistakes);
  for (size_t i = 0; i < run.n_formulas; i++) {
    const gv_formula_result *fr = &run.formulas[i];
    ck_assert_str_eq(fr->formula->group, e->layer.name);
    ck_assert_msg(fr->pass, "%s fails under %s: trial %zu entry (%zu, %zu) analytic %g numeric %g",
                  fr->formula->id, gv_method_name(o.method), fr->cmp.worst_trial, fr->cmp.worst_row,
                  fr->cmp.worst_col, fr->cmp.worst_analytic, fr->cmp.worst_numeric);
    /* Central differences resolve most entries, to 1e-7 (gv_compare.h). */
    size_t resolved = fr->cmp.count - fr->cmp.nonfinite - fr->cmp.unresolved;
    ck_assert_msg(o.method != GV_METHOD_CENTRAL || fr->cmp.max_rel <= GV_CMP_RESOLVED_REL,
                  "%s: max rel error %.2e over %zu resolved entries", fr->formula->id,
                  fr->cmp.max_rel, resolved);
    ck_assert_msg(o.method != GV_METHOD_CENTRAL || resolved > 0, "%s: %zu of %zu entries resolved",
                  fr->formula->id, resolved, fr->cmp.count);
  }
  for (size_t i = 0; i < run.n_controls; i++)
    ck_assert_msg(run.controls[i].caught, "%s missed under %s", run.controls[i].control->id,
                  gv_method_name(o.method));
  gv_run_free(&run);
}
END_TEST

/* The mlp's inputs for layers deeper than the one drawn are placeholders:
 * those trials are "not drawn", compare nothing, and a formula drawn in no
 * trial neither passes (no vacuous pass) nor fails the run: its verdict is
 * "not drawn", counted apart. */
START_TEST(test_mlp_not_drawn)
{
  const char *only[] = {"mlp.dW7"};
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.only = only;
  o.n_only = 1;
  gv_run run;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_SUCCESS);
  const gv_formula_result *fr = &run.formulas[0];
  /* W7 exists at depth 6 only: about one trial in six is drawn. */
  ck_assert_uint_gt(fr->not_drawn, fr->trials / 2);
  ck_assert_uint_lt(fr->not_drawn, fr->trials);
  ck_assert(fr->pass);
  ck_assert_uint_ge(fr->min_entries, 2); /* a real W7, never the 1x1 placeholder */
  gv_run_free(&run);
  size_t vacuous = 0;
  o.trials = 1;
  for (unsigned long seed = 1; seed <= 12; seed++) {
    o.seed = seed;
    ck_assert_int_eq(gv_driver_run(&o, &run), GSL_SUCCESS);
    fr = &run.formulas[0];
    gv_run_totals n = gv_run_count(&run);
    if (fr->not_drawn == 1) {
      vacuous++;
      ck_assert_msg(!fr->pass, "seed %lu: mlp.dW7 not drawn, yet passes", seed);
      ck_assert_int_eq(gv_formula_verdict(fr), GV_FORMULA_NOT_DRAWN);
      ck_assert_int_eq(fr->method, o.method); /* the method asked for, not method 0 */
      /* ... and a run that drew nothing at all checked nothing: no pass. */
      ck_assert_msg(!run.pass, "seed %lu: a run that checked nothing passes", seed);
      ck_assert_uint_eq(fr->cmp.count, 0);
      ck_assert_uint_eq(n.not_drawn, 1);
      ck_assert_uint_eq(n.passed, 0);
    } else {
      ck_assert_int_eq(gv_formula_verdict(fr), fr->pass ? GV_FORMULA_PASS : GV_FORMULA_FAIL);
      ck_assert_uint_eq(n.not_drawn, 0);
    }
    gv_run_free(&run);
  }
  ck_assert_uint_gt(vacuous, 0);
  /* Beside a formula that is drawn, a formula not drawn does not fail the run. */
  const char *two[] = {"mlp.dW7", "ce_grad_p"}; /* ce_grad_p: no control */
  o.only = two;
  o.n_only = 2;
  size_t apart = 0;
  for (unsigned long seed = 1; seed <= 12; seed++) {
    o.seed = seed;
    ck_assert_int_eq(gv_driver_run(&o, &run), GSL_SUCCESS);
    if (gv_formula_verdict(&run.formulas[1]) == GV_FORMULA_NOT_DRAWN ||
        gv_formula_verdict(&run.formulas[0]) == GV_FORMULA_NOT_DRAWN) {
      apart++;
      ck_assert_msg(run.pass, "seed %lu: a formula not drawn fails the run", seed);
    }
    gv_run_free(&run);
  }
  ck_assert_uint_gt(apart, 0);
}
END_TEST

/* Trial counts adapt by work (GV_DRIVER_ENTRY_BUDGET): maxpool.dX (~150
 * entries per trial) stops once it has compared 50 per trial asked for,
 * after at least GV_DRIVER_MIN_TRIALS; its control runs the same draws and
 * stops at the same trial, still caught; relu.dX (~25 per trial) and the
 * seed's softmax_jacobian (~850, but a seed formula) run every trial. */
START_TEST(test_driver_budget)
{
  const char *only[] = {"maxpool.dX", "relu.dX", "softmax_jacobian"};
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.only = only;
  o.n_only = 3;
  o.trials = 120;
  gv_run run;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_SUCCESS);
  ck_assert_uint_eq(run.n_formulas, 3);
  for (size_t i = 0; i < run.n_formulas; i++) {
    const gv_formula_result *fr = &run.formulas[i];
    ck_assert_msg(fr->pass, "%s", fr->formula->id);
    if (strcmp(fr->formula->id, "maxpool.dX") == 0) {
      ck_assert_uint_ge(fr->trials, GV_DRIVER_MIN_TRIALS);
      ck_assert_uint_lt(fr->trials, o.trials);
      ck_assert_uint_ge(fr->cmp.count, o.trials * GV_DRIVER_ENTRY_BUDGET);
      for (size_t k = 0; k < run.n_controls; k++)
        if (strcmp(run.controls[k].control->formula_id, "maxpool.dX") == 0) {
          ck_assert_uint_eq(run.controls[k].trials, fr->trials);
          ck_assert(run.controls[k].caught);
        }
    } else {
      ck_assert_msg(fr->trials == o.trials, "%s ran %zu trials", fr->formula->id, fr->trials);
    }
  }
  ck_assert(run.pass);
  gv_run_free(&run);
}
END_TEST

/* --only takes a layer's name (all its formulas) or one id; the same id
 * gives the same numbers alone or with its layer; unknown names fail. */
START_TEST(test_driver_only)
{
  const char *by_name[] = {"affine"}, *by_id[] = {"affine.dW"}, *unknown[] = {"affine.dQ"};
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.trials = 5;
  o.only = by_name;
  o.n_only = 1;
  gv_run a, b;
  ck_assert_int_eq(gv_driver_run(&o, &a), GSL_SUCCESS);
  ck_assert_uint_eq(a.n_formulas, 3);
  o.only = by_id;
  ck_assert_int_eq(gv_driver_run(&o, &b), GSL_SUCCESS);
  ck_assert_uint_eq(b.n_formulas, 1);
  ck_assert_uint_eq(b.n_controls, 0);
  ck_assert_str_eq(a.formulas[1].formula->id, "affine.dW");
  ck_assert_double_eq(a.formulas[1].cmp.max_abs, b.formulas[0].cmp.max_abs);
  gv_run_free(&a);
  gv_run_free(&b);
  o.only = unknown;
  ck_assert_int_eq(gv_driver_run(&o, &a), GSL_EINVAL);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("layers");
  size_t n;
  gv_layers_list(&n);
  TCase *tc = tcase_create("Catalogue");
  tcase_add_test(tc, test_ids);
  tcase_add_loop_test(tc, test_layer_passes, 0, (int)n);
  tcase_add_loop_test(tc, test_complex_forward, 0, (int)n);
  tcase_add_loop_test(tc, test_mistake_caught, 0, (int)mistake_count());
  suite_add_tcase(s, tc);
  tc = tcase_create("Contract");
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_given_G);
  suite_add_tcase(s, tc);
  tc = tcase_create("Driver");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, test_driver_layer, 0, 3 * (int)n);
  tcase_add_test(tc, test_mlp_not_drawn);
  tcase_add_test(tc, test_driver_only);
  tcase_add_test(tc, test_driver_budget);
  suite_add_tcase(s, tc);
  return s;
}
