/* check_explain.c: the worked examples. Every formula of the catalogue must
 * have one that passes, prints only finite numbers, reproduces from its seed
 * and is a run of the formula's own trial; the ReLU example must show its
 * mask. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "gv_explain.h"
#include "gv_formula.h"
#include "gv_suite.h"
#include "gv_trial.h"

#define SEED 20240515UL

/* The text printed by gv_explain_print (list when id is NULL); *status
 * receives its return value. The caller frees the text. */
static char *capture(const char *id, unsigned long seed, int *status)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  *status = id ? gv_explain_print(f, id, seed) : gv_explain_list(f);
  ck_assert_int_eq(fclose(f), 0);
  ck_assert_ptr_nonnull(buf);
  /* A copy: returning buf itself, whose address the stream held, makes gcc's
   * -Wdangling-pointer (release builds) warn where the text is read. */
  char *text = strdup(buf);
  free(buf);
  ck_assert_ptr_nonnull(text);
  return text;
}

/* The example of catalogue entry i at SEED, which must print; *f receives
 * the catalogue. The caller frees the text. */
static char *example_of(int i, const gv_formula **f)
{
  size_t n;
  *f = gv_formula_list(&n);
  ck_assert_uint_lt(i, n);
  int status;
  char *text = capture((*f)[i].id, SEED, &status);
  ck_assert_int_eq(status, GSL_SUCCESS);
  return text;
}

START_TEST(list_names_every_formula)
{
  int status;
  char *text = capture(NULL, 0, &status);
  ck_assert_int_eq(status, GSL_SUCCESS);
  size_t n, lines = 0;
  const gv_formula *f = gv_formula_list(&n);
  ck_assert_uint_eq(n, 15);
  for (const char *s = text; *s; s++)
    lines += *s == '\n';
  ck_assert_uint_eq(lines, n);
  for (size_t i = 0; i < n; i++) {
    ck_assert_msg(strstr(text, f[i].id) != NULL, "%s missing from the list", f[i].id);
    ck_assert_msg(strstr(text, f[i].formula) != NULL, "formula of %s missing", f[i].id);
  }
  free(text);
}
END_TEST

START_TEST(example_passes)
{
  const gv_formula *f;
  char *text = example_of(_i, &f);
  ck_assert_msg(strstr(text, "\nPASS: ") != NULL, "%s: no PASS line in\n%s", f[_i].id, text);
  ck_assert_ptr_null(strstr(text, "FAIL"));
  ck_assert_ptr_nonnull(strstr(text, f[_i].id));
  ck_assert_ptr_nonnull(strstr(text, f[_i].formula));
  ck_assert_ptr_nonnull(strstr(text, f[_i].reason));
  ck_assert_msg(strstr(text, "nan") == NULL && strstr(text, "inf") == NULL,
                "%s: non-finite value in\n%s", f[_i].id, text);
  free(text);
}
END_TEST

/* Other seeds too: the draw must always find a network away from its kinks. */
START_TEST(example_passes_many_seeds)
{
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  for (unsigned long seed = 1; seed <= 40; seed++)
    for (size_t i = 0; i < n; i++) {
      int status;
      char *text = capture(f[i].id, seed * 7919UL, &status);
      ck_assert_int_eq(status, GSL_SUCCESS);
      ck_assert_msg(strstr(text, "\nPASS: ") != NULL, "%s seed %lu:\n%s", f[i].id, seed * 7919UL,
                    text);
      free(text);
    }
}
END_TEST

START_TEST(unknown_id)
{
  const char *bad[] = {"no_such_formula", "", "softmax_jacobian_sign", "SOFTMAX_JACOBIAN"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int status;
    char *text = capture(bad[i], SEED, &status);
    ck_assert_int_eq(status, GSL_EINVAL);
    ck_assert_str_eq(text, "");
    free(text);
  }
  ck_assert_int_eq(gv_explain_print(stdout, NULL, SEED), GSL_EINVAL);
}
END_TEST

/* An mlp layer deeper than the network drawn is a placeholder: explain says
 * so instead of showing a 1x1 zero (it crashed on the empty pair before). */
START_TEST(not_drawn_said)
{
  gv_suite *suite = gv_suite_alloc_default();
  ck_assert_ptr_nonnull(suite);
  const gv_formula *f = gv_suite_find(suite, "mlp.dW7");
  ck_assert_ptr_nonnull(f);
  for (unsigned long seed = 1; seed <= 2; seed++) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(gv_explain_layer(out, f, seed), GSL_SUCCESS);
    ck_assert_int_eq(fclose(out), 0);
    /* seed 2 draws three hidden layers, seed 1 six */
    ck_assert_msg((strstr(buf, "not drawn with seed") != NULL) == (seed == 2), "%s", buf);
    free(buf);
  }
  gv_suite_free(suite);
}
END_TEST

START_TEST(same_seed_same_text)
{
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  ck_assert_uint_lt(_i, n);
  int s1, s2, s3;
  char *t1 = capture(f[_i].id, 7, &s1), *t2 = capture(f[_i].id, 7, &s2),
       *t3 = capture(f[_i].id, 8, &s3);
  ck_assert_int_eq(s1, GSL_SUCCESS);
  ck_assert_int_eq(s2, GSL_SUCCESS);
  ck_assert_int_eq(s3, GSL_SUCCESS);
  ck_assert_str_eq(t1, t2);
  ck_assert_str_ne(t1, t3);
  free(t1);
  free(t2);
  free(t3);
}
END_TEST

/* The first number in each of the 3 rows under `header`, in block `column`
 * (0 for the first): the rows look like "[ %10.6f ]   [ %10.6f ] ...". */
static void read_column(const char *text, const char *header, int column, double v[3])
{
  const char *row = strstr(text, header);
  ck_assert_msg(row != NULL, "no \"%s\" in\n%s", header, text);
  for (int r = 0; r < 3; r++) {
    row = strchr(row, '\n');
    ck_assert_ptr_nonnull(row);
    const char *p = ++row;
    for (int c = 0; c <= column; c++) {
      p = strchr(p, '[');
      ck_assert_ptr_nonnull(p);
      p++;
    }
    v[r] = strtod(p, NULL);
  }
}

/* The ReLU example shows its mask 1(z > 0) beside z, and δ₂ is zero exactly
 * where the mask is: over seeds, some example must have both kinds of unit. */
START_TEST(relu_delta_shows_mask)
{
  int mixed = 0;
  for (unsigned long seed = 1; seed <= 20; seed++) {
    int status;
    char *text = capture("relu_delta", seed, &status);
    ck_assert_int_eq(status, GSL_SUCCESS);
    double z[3], mask[3], delta2[3];
    read_column(text, "z = Wx + b₁", 0, z);
    read_column(text, "z = Wx + b₁", 1, mask);
    read_column(text, "analytic δ₂", 0, delta2);
    size_t on = 0;
    for (int i = 0; i < 3; i++) {
      ck_assert_double_eq(mask[i], z[i] > 0.0);
      ck_assert_msg((mask[i] == 0.0) == (delta2[i] == 0.0), "seed %lu unit %d:\n%s", seed, i, text);
      on += mask[i] != 0.0;
    }
    mixed += on > 0 && on < 3;
    free(text);
  }
  ck_assert_int_gt(mixed, 0);
}
END_TEST

/* One right trial of f from SEED, central differences, every size `size`
 * (0: drawn), copies into *show when show is not NULL; *cmp and *info hold its
 * results. Returns the uniform draw that follows the trial. */
static double run_trial(const gv_formula *f, size_t size, gv_trial_show *show, gv_cmp *cmp,
                        gv_trial_info *info)
{
  const gv_tol tol = {GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  ck_assert_ptr_nonnull(r);
  gsl_rng_set(r, SEED);
  gv_cmp_init(cmp);
  *info = (gv_trial_info){
      .method = GV_METHOD_CENTRAL, .net_size = {size, size, size}, .size = size, .show = show};
  ck_assert_int_eq(f->trial(r, GV_RIGHT, &tol, cmp, info), GSL_SUCCESS);
  double next = gsl_rng_uniform(r);
  gsl_rng_free(r);
  return next;
}

/* The example is one run of the formula's own trial: the same run, with the
 * trial's copies taken directly, holds the numbers explain prints. */
START_TEST(example_is_the_trial)
{
  const gv_formula *f;
  char *text = example_of(_i, &f);
  gv_trial_show show = {0};
  gv_cmp cmp;
  gv_trial_info info;
  run_trial(&f[_i], 3, &show, &cmp, &info);
  ck_assert_int_eq(show.status, GSL_SUCCESS);
  ck_assert_ptr_nonnull(show.pair.analytic);
  ck_assert_uint_eq(info.entries, show.pair.analytic->size1 * show.pair.analytic->size2);
  ck_assert_uint_ge(show.n, 1);
  for (size_t k = 0; k < show.n; k++)
    ck_assert_msg(strstr(text, show.label[k]) != NULL, "%s: input %s not shown", f[_i].id,
                  show.label[k]);
  for (size_t i = 0; i < show.pair.analytic->size1; i++)
    for (size_t j = 0; j < show.pair.analytic->size2; j++) {
      char cell[32];
      snprintf(cell, sizeof cell, " %10.6f", gsl_matrix_get(show.pair.numeric, i, j));
      ck_assert_msg(strstr(text, cell) != NULL, "%s: numeric%s not in\n%s", f[_i].id, cell, text);
    }
  gv_trial_show_free(&show);
  free(text);
}
END_TEST

/* Asking a trial for its copies changes none of its draws or results. */
START_TEST(show_changes_nothing)
{
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  ck_assert_uint_lt(_i, n);
  gv_trial_show show = {0};
  gv_cmp plain, shown;
  gv_trial_info info;
  double next = run_trial(&f[_i], 0, NULL, &plain, &info);
  ck_assert_double_eq(run_trial(&f[_i], 0, &show, &shown, &info), next);
  ck_assert_uint_ge(show.n, 1);
  ck_assert_uint_eq(plain.count, shown.count);
  ck_assert_double_eq(plain.worst_ratio, shown.worst_ratio);
  gv_trial_show_free(&show);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("explain");
  size_t n;
  gv_formula_list(&n);
  TCase *core = tcase_create("Core");
  tcase_add_test(core, list_names_every_formula);
  tcase_add_test(core, not_drawn_said);
  tcase_add_loop_test(core, example_passes, 0, (int)n);
  tcase_add_loop_test(core, same_seed_same_text, 0, (int)n);
  tcase_add_test(core, relu_delta_shows_mask);
  tcase_add_loop_test(core, example_is_the_trial, 0, (int)n);
  tcase_add_loop_test(core, show_changes_nothing, 0, (int)n);
  suite_add_tcase(s, core);
  TCase *limits = tcase_create("Limits");
  tcase_add_test(limits, unknown_id);
  tcase_add_test(limits, example_passes_many_seeds);
  suite_add_tcase(s, limits);
  return s;
}
