/* check_shortcut.c: the network's O(K) numeric gradient (gv_net_shortcut.h)
 * against the full forward pass, and the driver at fixed sizes (--size).
 * A shortcut that moved the wrong unit or logit, or dropped the ReLU, gives
 * values off by O(1) from the full recompute and fails here; an error bar
 * that did not cover the shortcut's rounding fails the coverage test. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "check_main.h"
#include "gv_driver.h"
#include "gv_fd.h"
#include "gv_net.h"
#include "gv_net_shortcut.h"
#include "gv_ridders.h"
#include "gv_trial.h"
#include "gv_trial_memo.h"

typedef struct {
  gv_net *net;
  gsl_vector *x, *y;
  gv_net_state *s, *work;
} fixture;

static int near_kink(const gsl_vector *z)
{
  for (size_t i = 0; i < z->size; i++)
    if (fabs(gsl_vector_get(z, i)) < 0.05)
      return 1;
  return 0;
}

/* A network at the harness's scales, away from its kinks (no |z_i| < 0.05). */
static void fixture_draw(fixture *fx, size_t D, size_t H, size_t K, unsigned long seed)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  fx->net = gv_net_alloc(D, H, K);
  fx->x = gsl_vector_alloc(D);
  fx->y = gsl_vector_calloc(K);
  fx->s = gv_net_state_alloc(fx->net);
  fx->work = gv_net_state_alloc(fx->net);
  ck_assert(r && fx->s && fx->work && fx->x && fx->y);
  gsl_vector_set(fx->y, gsl_rng_uniform_int(r, K), 1.0);
  do {
    for (size_t j = 0; j < D; j++)
      gsl_vector_set(fx->x, j, 2.0 * gsl_rng_uniform(r) - 1.0);
    for (size_t i = 0; i < H; i++) {
      for (size_t j = 0; j < D; j++)
        gsl_matrix_set(fx->net->W, i, j, sqrt(3.0 / (double)D) * (2.0 * gsl_rng_uniform(r) - 1.0));
      gsl_vector_set(fx->net->b1, i, gsl_rng_uniform(r) - 0.5);
    }
    for (size_t k = 0; k < K; k++) {
      for (size_t i = 0; i < H; i++)
        gsl_matrix_set(fx->net->V, k, i, 3.0 * (2.0 * gsl_rng_uniform(r) - 1.0));
      gsl_vector_set(fx->net->b2, k, gsl_rng_uniform(r) - 0.5);
    }
    ck_assert_int_eq(gv_net_forward(fx->net, fx->x, fx->y, fx->s), GSL_SUCCESS);
  } while (near_kink(fx->s->z));
  gsl_rng_free(r);
}

static void fixture_free(fixture *fx)
{
  gv_net_free(fx->net);
  gsl_vector_free(fx->x);
  gsl_vector_free(fx->y);
  gv_net_state_free(fx->s);
  gv_net_state_free(fx->work);
}

static int full_loss(void *params, double *L)
{
  fixture *fx = params;
  int status = gv_net_forward(fx->net, fx->x, fx->y, fx->work);
  *L = fx->work->loss;
  return status;
}

static const char parts[] = {'W', 'b', 'V', 'c'};

/* The part's storage, the variable a full-recompute difference perturbs. */
static gsl_matrix_view part_matrix(fixture *fx, char what)
{
  switch (what) {
  case 'W':
    return gsl_matrix_submatrix(fx->net->W, 0, 0, fx->net->n_hidden, fx->net->n_in);
  case 'V':
    return gsl_matrix_submatrix(fx->net->V, 0, 0, fx->net->n_out, fx->net->n_hidden);
  case 'b':
    return gsl_matrix_view_vector(fx->net->b1, fx->net->n_hidden, 1);
  default:
    return gsl_matrix_view_vector(fx->net->b2, fx->net->n_out, 1);
  }
}

/* Every method's shortcut agrees with Ridders over the full forward pass,
 * within the shortcut's error bar plus Ridders' (the complex step: 1e-12 of
 * the largest entry). */
START_TEST(shortcut_matches_full)
{
  static const gv_method methods[] = {GV_METHOD_CENTRAL, GV_METHOD_RIDDERS, GV_METHOD_CSTEP};
  char what = parts[_i % 4];
  gv_method method = methods[_i / 4];
  fixture fx;
  fixture_draw(&fx, 6, 5, 4, 11 + (unsigned long)_i);
  gsl_matrix_view P = part_matrix(&fx, what);
  size_t rows = P.matrix.size1, cols = P.matrix.size2;
  gsl_matrix *N = gsl_matrix_alloc(rows, cols), *E = gsl_matrix_alloc(rows, cols);
  gsl_matrix *R = gsl_matrix_alloc(rows, cols), *RE = gsl_matrix_alloc(rows, cols);
  ck_assert(N && E && R && RE);
  gv_net_base base = {.net = fx.net, .x = fx.x, .y = fx.y, .s = fx.s};
  ck_assert_int_eq(gv_net_shortcut_gradient(&base, what, method, N, E), GSL_SUCCESS);
  gv_fd_scalar fn = {full_loss, &fx};
  ck_assert_int_eq(gv_ridders_gradient_matrix(&fn, &P.matrix, R, RE), GSL_SUCCESS);
  double scale = fmax(gsl_matrix_max(R), -gsl_matrix_min(R));
  ck_assert(scale > 0.0);
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++) {
      double n = gsl_matrix_get(N, r, c), full = gsl_matrix_get(R, r, c);
      double bound = gsl_matrix_get(E, r, c) + gsl_matrix_get(RE, r, c) + 1e-12 * scale;
      ck_assert_msg(fabs(n - full) <= bound, "%c (%zu, %zu) by %d: shortcut %.17g, full %.17g",
                    what, r, c, (int)method, n, full);
    }
  gsl_matrix_free(N);
  gsl_matrix_free(E);
  gsl_matrix_free(R);
  gsl_matrix_free(RE);
  fixture_free(&fx);
}
END_TEST

/* The central error bar covers the true error (the backward pass's value)
 * on every entry, at logits in the tens where the loss is small and the
 * shortcut's rounding of the logits is the largest term. */
START_TEST(central_bar_covers)
{
  fixture fx;
  fixture_draw(&fx, 8, 6, 5, 99);
  gsl_matrix_scale(fx.net->V, 20.0);
  ck_assert_int_eq(gv_net_forward(fx.net, fx.x, fx.y, fx.s), GSL_SUCCESS);
  gv_net_grad *g = gv_net_grad_alloc(fx.net);
  ck_assert(g);
  ck_assert_int_eq(gv_net_backward(fx.net, fx.x, fx.y, fx.s, g), GSL_SUCCESS);
  gsl_matrix *N = gsl_matrix_alloc(6, 8), *E = gsl_matrix_alloc(6, 8);
  ck_assert(N && E);
  gv_net_base base = {.net = fx.net, .x = fx.x, .y = fx.y, .s = fx.s};
  ck_assert_int_eq(gv_net_shortcut_gradient(&base, 'W', GV_METHOD_CENTRAL, N, E), GSL_SUCCESS);
  for (size_t r = 0; r < 6; r++)
    for (size_t c = 0; c < 8; c++) {
      double err = fabs(gsl_matrix_get(N, r, c) - gsl_matrix_get(g->dW, r, c));
      ck_assert_msg(err <= gsl_matrix_get(E, r, c) + 1e-14, "(%zu, %zu): error %g, bar %g", r, c,
                    err, gsl_matrix_get(E, r, c));
    }
  gsl_matrix_free(N);
  gsl_matrix_free(E);
  gv_net_grad_free(g);
  fixture_free(&fx);
}
END_TEST

START_TEST(shortcut_bad_args)
{
  fixture fx;
  fixture_draw(&fx, 3, 2, 2, 5);
  gv_net_base base = {.net = fx.net, .x = fx.x, .y = fx.y, .s = fx.s};
  gsl_matrix *N = gsl_matrix_alloc(2, 2), *E = gsl_matrix_alloc(2, 2);
  ck_assert(N && E);
  ck_assert_int_eq(gv_net_shortcut_gradient(&base, 'W', GV_METHOD_CENTRAL, N, E), GSL_EBADLEN);
  ck_assert_int_eq(gv_net_shortcut_gradient(&base, 'q', GV_METHOD_CENTRAL, N, E), GSL_EINVAL);
  ck_assert_int_eq(gv_net_shortcut_gradient(&base, 'V', GV_METHOD_CENTRAL, N, E), GSL_SUCCESS);
  gsl_matrix_free(N);
  gsl_matrix_free(E);
  fixture_free(&fx);
}
END_TEST

/* The network formulas at fixed sizes: each passes with the sizes asked,
 * and each of their controls is caught. */
START_TEST(driver_at_size)
{
  static const char *ids[] = {"relu_delta", "grad_V", "grad_b2", "grad_W", "grad_b1"};
  static const gv_method methods[] = {GV_METHOD_CENTRAL, GV_METHOD_RIDDERS, GV_METHOD_CSTEP};
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.only = ids;
  o.n_only = 5;
  o.trials = 3;
  o.method = methods[_i];
  gv_driver_default_tol(o.method, &o.tol);
  o.net_size[0] = 40, o.net_size[1] = 30, o.net_size[2] = 7;
  gv_run run;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_SUCCESS);
  ck_assert_uint_eq(run.n_formulas, 5);
  static const size_t entries[] = {30, 7 * 30, 7, 30 * 40, 30};
  for (size_t k = 0; k < 5; k++) {
    const gv_formula_result *fr = &run.formulas[k];
    ck_assert_str_eq(fr->formula->id, ids[k]);
    ck_assert_msg(fr->pass, "%s failed at 40,30,7", ids[k]);
    ck_assert_uint_eq(fr->min_entries, entries[k]);
    ck_assert_uint_eq(fr->max_entries, entries[k]);
  }
  ck_assert_uint_gt(run.n_controls, 0);
  for (size_t k = 0; k < run.n_controls; k++)
    ck_assert_msg(run.controls[k].caught, "%s missed", run.controls[k].control->id);
  gv_run_free(&run);
}
END_TEST

START_TEST(driver_bad_sizes)
{
  static const size_t bad[][3] = {{5, 0, 3}, {0, 4, 3}, {5, 4, 1}, {0, 0, 3}};
  gv_driver_options o;
  gv_driver_options_init(&o);
  memcpy(o.net_size, bad[_i], sizeof o.net_size);
  gv_run run;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_EINVAL);
  gv_run_free(&run);
}
END_TEST

/* The memo finds what was put under the same tag and generator state, and
 * nothing once the generator moved, under another tag or over the budget. */
START_TEST(memo_keys)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gv_trial_memo *m = gv_trial_memo_alloc(1 << 20), *none = gv_trial_memo_alloc(0);
  gsl_matrix *N = gsl_matrix_alloc(3, 2), *E = gsl_matrix_alloc(3, 2);
  gsl_matrix *N2 = gsl_matrix_calloc(3, 2), *E2 = gsl_matrix_calloc(3, 2);
  ck_assert(r && m && none && N && E && N2 && E2);
  gsl_rng_set(r, 17);
  for (size_t i = 0; i < 6; i++) {
    N->data[i] = gsl_rng_uniform(r);
    E->data[i] = gsl_rng_uniform(r);
  }
  gv_trial_memo_key k, k2, other;
  ck_assert_int_eq(gv_trial_memo_key_init(&k, r, 7), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_key_init(&k2, r, 7), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_key_init(&other, r, 8), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_put(m, &k, N, E), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_put(none, &k2, N, E), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_get(none, &k2, N2, E2), 0); /* over the budget: not kept */
  ck_assert_int_eq(gv_trial_memo_get(m, &other, N2, E2), 0); /* another tag */
  ck_assert_int_eq(gv_trial_memo_get(m, &k2, N2, E2), 1);
  ck_assert(gsl_matrix_equal(N, N2) && gsl_matrix_equal(E, E2));
  gv_trial_memo_key_free(&k2);
  gsl_rng_uniform(r); /* one draw later: another state */
  ck_assert_int_eq(gv_trial_memo_key_init(&k2, r, 7), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_get(m, &k2, N2, E2), 0);
  gv_trial_memo_key_free(&k);
  gv_trial_memo_key_free(&k2);
  gv_trial_memo_key_free(&other);
  gv_trial_memo_free(m);
  gv_trial_memo_free(none);
  gsl_matrix_free(N), gsl_matrix_free(E), gsl_matrix_free(N2), gsl_matrix_free(E2);
  gsl_rng_free(r);
}
END_TEST

/* A draw kept comes back bit for bit with the generator's state after it,
 * for the same tag and state before it only, and not over the budget. */
START_TEST(memo_draws)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937), *r2 = gsl_rng_alloc(gsl_rng_mt19937);
  gv_trial_memo *m = gv_trial_memo_alloc(1 << 20), *none = gv_trial_memo_alloc(0);
  gsl_vector *a = gsl_vector_alloc(5), *b = gsl_vector_alloc(2);
  gsl_vector *a2 = gsl_vector_calloc(5), *b2 = gsl_vector_calloc(2), *c2 = gsl_vector_calloc(4);
  ck_assert(r && r2 && m && none && a && b && a2 && b2 && c2);
  gsl_rng_set(r, 23);
  gsl_rng_set(r2, 23);
  gv_trial_memo_key k, k2, other;
  ck_assert_int_eq(gv_trial_memo_key_init(&k, r, 'N'), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_key_init(&k2, r, 'N'), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_key_init(&other, r, 'T'), GSL_SUCCESS);
  for (size_t i = 0; i < 5; i++)
    gsl_vector_set(a, i, gsl_rng_uniform(r));
  for (size_t i = 0; i < 2; i++)
    gsl_vector_set(b, i, gsl_rng_uniform(r));
  const gsl_vector *const kept[] = {a, b};
  gsl_vector *const back[] = {a2, b2}, *const wrong[] = {a2, c2};
  ck_assert_int_eq(gv_trial_memo_put_draw(m, &k, r, kept, 2), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_put_draw(none, &k2, r, kept, 2), GSL_SUCCESS);
  ck_assert_int_eq(gv_trial_memo_get_draw(none, &k2, r2, back, 2), 0); /* over the budget */
  ck_assert_int_eq(gv_trial_memo_get_draw(m, &other, r2, back, 2), 0); /* another tag */
  ck_assert_int_eq(gv_trial_memo_get_draw(m, &k2, r2, wrong, 2), 0);   /* other lengths */
  ck_assert(gsl_vector_isnull(a2) && gsl_vector_isnull(b2));
  ck_assert_int_eq(gv_trial_memo_get_draw(m, &k2, r2, back, 2), 1);
  ck_assert(gsl_vector_equal(a, a2) && gsl_vector_equal(b, b2));
  /* r2 continues where r does: the next draws are the same */
  ck_assert_int_eq(memcmp(gsl_rng_state(r), gsl_rng_state(r2), gsl_rng_size(r)), 0);
  ck_assert(gsl_rng_uniform(r) == gsl_rng_uniform(r2));
  gv_trial_memo_key_free(&k2);
  ck_assert_int_eq(gv_trial_memo_key_init(&k2, r, 'N'), GSL_SUCCESS); /* r moved on */
  ck_assert_int_eq(gv_trial_memo_get_draw(m, &k2, r2, back, 2), 0);
  gv_trial_memo_key_free(&k);
  gv_trial_memo_key_free(&k2);
  gv_trial_memo_key_free(&other);
  gv_trial_memo_free(m);
  gv_trial_memo_free(none);
  gsl_vector_free(a), gsl_vector_free(b), gsl_vector_free(a2), gsl_vector_free(b2);
  gsl_vector_free(c2);
  gsl_rng_free(r);
  gsl_rng_free(r2);
}
END_TEST

/* A control's trial that takes its numeric side, its network and its Taylor
 * direction from the memo (its formula's trial having put them there)
 * compares exactly as one that computes and draws them: the same counts,
 * errors, Taylor slope and redraws, and both generators left in the same
 * state (a next trial draws the same). */
START_TEST(memo_same_outcome)
{
  static const gv_trial_fn fns[] = {gv_trial_grad_W, gv_trial_grad_V, gv_trial_grad_b1};
  static const gv_variant wrong[] = {GV_MISTAKE_W_NOMASK, GV_MISTAKE_V_ORDER, GV_MISTAKE_B1_NOMASK};
  gv_tol tol;
  gv_driver_default_tol(GV_METHOD_CSTEP, &tol);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937), *rt = gsl_rng_alloc(gsl_rng_mt19937);
  gv_trial_memo *m = gv_trial_memo_alloc(16 << 20);
  ck_assert(r && rt && m);
  size_t caught = 0;
  for (unsigned long seed = 1; seed <= 8; seed++) {
    gv_cmp plain, memo, right;
    gv_trial_info info = {.method = GV_METHOD_CSTEP, .taylor = rt};
    gv_cmp_init(&plain), gv_cmp_init(&memo), gv_cmp_init(&right);
    gsl_rng_set(r, seed);
    gsl_rng_set(rt, seed + 100);
    ck_assert_int_eq(fns[_i](r, wrong[_i], &tol, &plain, &info), GSL_SUCCESS);
    const double plain_slope = info.taylor_slope, plain_next = gsl_rng_uniform(r),
                 plain_next_t = gsl_rng_uniform(rt);
    const size_t plain_redraws = info.redraws;
    info = (gv_trial_info){.method = GV_METHOD_CSTEP, .memo = m, .taylor = rt};
    gsl_rng_set(r, seed);
    gsl_rng_set(rt, seed + 100);
    ck_assert_int_eq(fns[_i](r, GV_RIGHT, &tol, &right, &info), GSL_SUCCESS);
    info = (gv_trial_info){.method = GV_METHOD_CSTEP, .memo = m, .taylor = rt};
    gsl_rng_set(r, seed);
    gsl_rng_set(rt, seed + 100);
    ck_assert_int_eq(fns[_i](r, wrong[_i], &tol, &memo, &info), GSL_SUCCESS);
    ck_assert(plain_slope == info.taylor_slope || (isnan(plain_slope) && isnan(info.taylor_slope)));
    ck_assert_uint_eq(plain_redraws, info.redraws);
    ck_assert(plain_next == gsl_rng_uniform(r) && plain_next_t == gsl_rng_uniform(rt));
    ck_assert_uint_eq(plain.count, memo.count);
    ck_assert_uint_eq(plain.nfail, memo.nfail);
    caught += memo.nfail > 0;
    ck_assert(plain.max_abs == memo.max_abs && plain.max_rel == memo.max_rel);
    ck_assert(plain.worst_ratio == memo.worst_ratio && plain.worst_errbar == memo.worst_errbar);
    ck_assert_int_eq(memcmp(plain.hist_rel, memo.hist_rel, sizeof plain.hist_rel), 0);
    ck_assert_uint_eq(right.nfail, 0);
  }
  ck_assert_uint_gt(caught, 0); /* the mistake shows in some of them */
  gv_trial_memo_free(m);
  gsl_rng_free(r);
  gsl_rng_free(rt);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("shortcut");
  TCase *t = tcase_create("shortcut");
  tcase_add_loop_test(t, shortcut_matches_full, 0, 12);
  tcase_add_test(t, central_bar_covers);
  tcase_add_test(t, shortcut_bad_args);
  tcase_add_test(t, memo_keys);
  tcase_add_test(t, memo_draws);
  tcase_add_loop_test(t, memo_same_outcome, 0, 3);
  suite_add_tcase(s, t);
  TCase *d = tcase_create("size");
  tcase_add_loop_test(d, driver_at_size, 0, 3);
  tcase_add_loop_test(d, driver_bad_sizes, 0, 4);
  suite_add_tcase(s, d);
  return s;
}
