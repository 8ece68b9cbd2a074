/* check_driver.c: the randomized driver, end to end. Every formula of the seed
 * must pass over its random trials, every planted mistake must be caught, and
 * a seed must reproduce its numbers. Breaking any formula in lib/ fails the
 * row of that formula here. */
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "gv_driver.h"

/* One formula alone (--only), with its controls: the given method with its
 * default tolerance, trials (0 for the default) and corruption (0 for none). */
static gv_run run_formula(const char *id, gv_method method, size_t trials, double corrupt)
{
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.only = &id;
  o.n_only = 1;
  o.method = method;
  gv_driver_default_tol(method, &o.tol);
  o.trials = gv_check_trials(trials ? trials : o.trials);
  o.corrupt = corrupt;
  gv_run run;
  int status = gv_driver_run(&o, &run);
  ck_assert_int_eq(status, GSL_SUCCESS);
  return run;
}

/* The result of control id in run; the test fails if it is not there. */
static const gv_control_result *find_control(const gv_run *run, const char *id)
{
  for (size_t k = 0; k < run->n_controls; k++)
    if (strcmp(run->controls[k].control->id, id) == 0)
      return &run->controls[k];
  ck_abort_msg("control %s did not run", id);
  return NULL;
}

static gv_run run_one(const char *id)
{
  return run_formula(id, GV_METHOD_CENTRAL, 0, 0.0);
}

START_TEST(formula_passes)
{
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  ck_assert_uint_lt(_i, n);
  gv_run run = run_one(f[_i].id);
  ck_assert_uint_eq(run.n_formulas, 1);
  const gv_formula_result *fr = &run.formulas[0];
  ck_assert_str_eq(fr->formula->id, f[_i].id);
  ck_assert_uint_eq(fr->trials, gv_check_trials(GV_DRIVER_DEFAULT_TRIALS));
  ck_assert_uint_gt(fr->cmp.count, 0);
  ck_assert_msg(fr->pass,
                "%s failed: %zu entries, worst trial %zu entry (%zu, %zu) analytic %.17g numeric "
                "%.17g (%.3g x tolerance)",
                fr->formula->id, fr->cmp.nfail, fr->cmp.worst_trial, fr->cmp.worst_row,
                fr->cmp.worst_col, fr->cmp.worst_analytic, fr->cmp.worst_numeric,
                fr->cmp.worst_ratio);
  /* Every resolved entry agrees to 1e-7 (gv_compare.h), and there are some
   * (exact zeros, a ReLU's masked entries, are not resolved). */
  size_t resolved = fr->cmp.count - fr->cmp.nonfinite - fr->cmp.unresolved;
  ck_assert_msg(fr->cmp.max_rel <= GV_CMP_RESOLVED_REL, "%s: max rel error %.2e over %zu resolved",
                fr->formula->id, fr->cmp.max_rel, resolved);
  ck_assert_msg(resolved > 0, "%s: %zu of %zu entries resolved", fr->formula->id, resolved,
                fr->cmp.count);
  /* A margin, not just a pass: the worst entry stays within half its tolerance. */
  ck_assert_double_lt(fr->cmp.worst_ratio, 0.5);
  ck_assert_uint_eq(fr->cmp.nonfinite, 0);
  /* The Taylor test, on the same run, never fails a right gradient. */
  const gv_taylor_stats *t = &fr->taylor;
  ck_assert_uint_eq(t->pass + t->exact + t->fail, fr->trials);
  ck_assert_msg(t->fail == 0, "%s: Taylor FAIL in %zu trials (slopes %g .. %g)", f[_i].id, t->fail,
                t->min_slope, t->max_slope);
  gv_run_free(&run);
}
END_TEST

START_TEST(control_caught)
{
  size_t n;
  const gv_control *c = gv_control_list(&n);
  ck_assert_uint_lt(_i, n);
  gv_run run = run_one(c[_i].formula_id);
  const gv_control_result *cr = find_control(&run, c[_i].id);
  ck_assert_msg(cr->caught, "control %s was not caught", c[_i].id);
  /* Caught in most trials, not by luck in one. */
  ck_assert_uint_ge(cr->caught_trials * 4, cr->trials * 3);
  ck_assert(cr->cmp.has_worst);
  ck_assert_double_gt(cr->cmp.worst_ratio, 1.0);
  /* The right formula passes and its controls are caught: the run passes. */
  ck_assert_int_eq(run.pass, 1);
  gv_run_free(&run);
}
END_TEST

/* The Taylor test in every trial (gv_taylor.h): a right formula never FAILs
 * it, whatever the scale of its inputs (softmax and cross-entropy at logits
 * up to 500, ReLU kinks within reach of the steps). Right formulas may come
 * out EXACT, never FAIL. */
/* ... and it sees the planted mistakes: measured over seeds 1-50, every
 * control FAILs it in at least as many trials as the comparison catches.
 * Asserted here with a margin: in at least half of them. */
START_TEST(taylor_sees_controls)
{
  size_t n;
  const gv_control *c = gv_control_list(&n);
  ck_assert_uint_lt(_i, n);
  gv_run run = run_one(c[_i].formula_id);
  const gv_control_result *cr = find_control(&run, c[_i].id);
  ck_assert_uint_gt(cr->caught_trials, 0);
  ck_assert_msg(cr->taylor.fail * 2 >= cr->caught_trials,
                "%s: Taylor FAIL in %zu trials, caught in %zu", c[_i].id, cr->taylor.fail,
                cr->caught_trials);
  gv_run_free(&run);
}
END_TEST

/* The defaults' promise: a single entry off by a relative 1e-4 fails. The
 * corrupted entry is each trial's largest, wherever that is at least
 * GV_CORRUPT_MIN; every trial so corrupted must fail, on that entry alone. */
START_TEST(single_entry_1e4_caught)
{
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  ck_assert_uint_lt(_i, n);
  gv_run run = run_formula(f[_i].id, GV_METHOD_CENTRAL, 0, 1e-4);
  const gv_formula_result *fr = &run.formulas[0];
  ck_assert_msg(fr->corrupted_trials * 2 >= fr->trials, "%s: only %zu trials corrupted", f[_i].id,
                fr->corrupted_trials);
  ck_assert_msg(fr->failed_trials == fr->corrupted_trials,
                "%s: a 1e-4 corruption passed in %zu of %zu trials", f[_i].id,
                fr->corrupted_trials - fr->failed_trials, fr->corrupted_trials);
  ck_assert_uint_eq(fr->cmp.nfail, fr->corrupted_trials);
  gv_run_free(&run);
}
END_TEST

/* The other methods, each with its default tolerance, every formula, every
 * control: the complex step (exact to rounding, the error-bar tolerance with
 * rtol 0, 50 trials, with margin) and Ridders' extrapolation (all 200 trials:
 * its steps are long, so this also tests that it finds the ReLU kinks inside
 * its stencil instead of blending the two slopes, and its failures were rare:
 * trials 125-150 before 1b1247a). Row _i: formula _i % n, method _i / n. */
START_TEST(method_passes)
{
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  const char *id = f[(size_t)_i % n].id;
  gv_method m = (size_t)_i / n == 0 ? GV_METHOD_CSTEP : GV_METHOD_RIDDERS;
  gv_run run = run_formula(id, m, m == GV_METHOD_CSTEP ? 50 : 0, 0.0);
  const gv_formula_result *fr = &run.formulas[0];
  ck_assert_msg(fr->pass,
                "%s fails with %s: trial %zu entry (%zu, %zu) analytic %.17g numeric %.17g", id,
                gv_method_name(m), fr->cmp.worst_trial, fr->cmp.worst_row, fr->cmp.worst_col,
                fr->cmp.worst_analytic, fr->cmp.worst_numeric);
  ck_assert_int_eq(fr->method, m);
  if (m == GV_METHOD_CSTEP)
    ck_assert_double_lt(fr->cmp.worst_ratio, 0.5);
  for (size_t k = 0; k < run.n_controls; k++)
    ck_assert_msg(run.controls[k].caught, "%s not caught", run.controls[k].control->id);
  gv_run_free(&run);
}
END_TEST

/* What the error-bar tolerance buys: with the complex step a single entry
 * off by a relative 1e-5 fails in every trial that corrupts one (an entry of
 * at least GV_CORRUPT_MIN, so 1e-9 at least, ten times the floor atol);
 * central differences need 1e-4. Finer corruptions of the largest entries are
 * the benchmark's business (scripts/bench: 1e-10 of max|g| on the network). */
START_TEST(cstep_catches_1e5)
{
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  ck_assert_uint_lt(_i, n);
  gv_run run = run_formula(f[_i].id, GV_METHOD_CSTEP, 50, 1e-5);
  const gv_formula_result *fr = &run.formulas[0];
  ck_assert_uint_gt(fr->corrupted_trials, 0);
  ck_assert_msg(fr->failed_trials == fr->corrupted_trials,
                "%s: a 1e-5 corruption caught in %zu of %zu trials", f[_i].id, fr->failed_trials,
                fr->corrupted_trials);
  gv_run_free(&run);
}
END_TEST

START_TEST(same_seed_same_numbers)
{
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.trials = gv_check_trials(20);
  gv_run a, b, c;
  ck_assert_int_eq(gv_driver_run(&o, &a), GSL_SUCCESS);
  ck_assert_int_eq(gv_driver_run(&o, &b), GSL_SUCCESS);
  o.seed += 1;
  ck_assert_int_eq(gv_driver_run(&o, &c), GSL_SUCCESS);
  ck_assert_uint_eq(a.n_formulas, b.n_formulas);
  size_t differ = 0;
  for (size_t i = 0; i < a.n_formulas; i++) {
    ck_assert(memcmp(&a.formulas[i].cmp, &b.formulas[i].cmp, sizeof a.formulas[i].cmp) == 0);
    differ += a.formulas[i].cmp.max_abs != c.formulas[i].cmp.max_abs;
    ck_assert_int_eq(a.formulas[i].pass, c.formulas[i].pass);
  }
  ck_assert_uint_gt(differ, a.n_formulas / 2);
  gv_run_free(&a);
  gv_run_free(&b);
  gv_run_free(&c);
}
END_TEST

START_TEST(alone_or_together)
{
  /* A formula's numbers do not depend on which other formulas run. */
  gv_driver_options o;
  gv_driver_options_init(&o);
  o.trials = gv_check_trials(10);
  gv_run all;
  ck_assert_int_eq(gv_driver_run(&o, &all), GSL_SUCCESS);
  for (size_t i = 0; i < all.n_formulas; i++) {
    const char *id = all.formulas[i].formula->id;
    o.only = &id;
    o.n_only = 1;
    gv_run one;
    ck_assert_int_eq(gv_driver_run(&o, &one), GSL_SUCCESS);
    ck_assert(memcmp(&one.formulas[0].cmp, &all.formulas[i].cmp, sizeof one.formulas[0].cmp) == 0);
    gv_run_free(&one);
  }
  gv_run_free(&all);
}
END_TEST

START_TEST(bad_options)
{
  gv_driver_options o;
  gv_run run;
  gv_driver_options_init(&o);
  o.trials = 0;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_EINVAL);
  ck_assert_ptr_null(run.formulas);
  gv_driver_options_init(&o);
  o.tol.rtol = -1.0;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_EINVAL);
  gv_driver_options_init(&o);
  const char *bad = "no_such_formula";
  o.only = &bad;
  o.n_only = 1;
  ck_assert_int_eq(gv_driver_run(&o, &run), GSL_EINVAL);
  gv_run_free(&run); /* safe on an empty run */
}
END_TEST

START_TEST(seeds_differ_by_id)
{
  ck_assert_uint_ne(gv_driver_formula_seed(7, "grad_W"), gv_driver_formula_seed(7, "grad_V"));
  ck_assert_uint_ne(gv_driver_formula_seed(7, "grad_W"), gv_driver_formula_seed(8, "grad_W"));
  ck_assert_uint_eq(gv_driver_formula_seed(7, "grad_W"), gv_driver_formula_seed(7, "grad_W"));
}
END_TEST

Suite *gv_test_suite(void)
{
  size_t nf, nc;
  gv_formula_list(&nf);
  gv_control_list(&nc);
  Suite *s = suite_create("driver");
  TCase *f = tcase_create("Formulas");
  tcase_add_loop_test(f, formula_passes, 0, (int)nf);
  suite_add_tcase(s, f);
  TCase *c = tcase_create("Controls");
  tcase_add_loop_test(c, control_caught, 0, (int)nc);
  tcase_add_loop_test(c, taylor_sees_controls, 0, (int)nc);
  tcase_add_loop_test(c, single_entry_1e4_caught, 0, (int)nf);
  TCase *m = tcase_create("Methods");
  tcase_add_loop_test(m, method_passes, 0, 2 * (int)nf);
  tcase_add_loop_test(m, cstep_catches_1e5, 0, (int)nf);
  suite_add_tcase(s, m);
  suite_add_tcase(s, c);
  TCase *r = tcase_create("Reproducibility");
  tcase_add_test(r, same_seed_same_numbers);
  tcase_add_test(r, alone_or_together);
  tcase_add_test(r, seeds_differ_by_id);
  tcase_add_test(r, bad_options);
  suite_add_tcase(s, r);
  return s;
}
