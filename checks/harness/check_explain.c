/* check_explain.c: the worked examples. Every formula of the catalogue must
 * have one that passes, prints only finite numbers and reproduces from its
 * seed; the ReLU example must show its mask. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"
#include "gv_explain.h"
#include "gv_formula.h"

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
  return buf;
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
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  ck_assert_uint_lt(_i, n);
  int status;
  char *text = capture(f[_i].id, SEED, &status);
  ck_assert_int_eq(status, GSL_SUCCESS);
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

/* The first row under the side-by-side header "analytic δ₂ = ∂L/∂z" holds
 * the masked entries: some must be exactly zero, as must the mask's. */
START_TEST(relu_delta_shows_mask)
{
  int status;
  char *text = capture("relu_delta", SEED, &status);
  ck_assert_int_eq(status, GSL_SUCCESS);
  ck_assert_ptr_nonnull(strstr(text, "1(z > 0)"));
  const char *head = strstr(text, "analytic δ₂");
  ck_assert_ptr_nonnull(head);
  const char *row = strchr(head, '\n');
  size_t zeros = 0;
  for (int r = 0; r < 3; r++) {
    ck_assert_ptr_nonnull(row);
    row++;
    /* "[ %10.6f ]": the value is in bytes 1..11 of the row. */
    double v = strtod(row + 1, NULL);
    zeros += v == 0.0;
    row = strchr(row, '\n');
  }
  ck_assert_uint_ge(zeros, 1);
  ck_assert_uint_le(zeros, 2); /* and some unit active, or the example shows nothing */
  free(text);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("explain");
  size_t n;
  gv_formula_list(&n);
  TCase *core = tcase_create("Core");
  tcase_add_test(core, list_names_every_formula);
  tcase_add_loop_test(core, example_passes, 0, (int)n);
  tcase_add_loop_test(core, same_seed_same_text, 0, (int)n);
  tcase_add_test(core, relu_delta_shows_mask);
  suite_add_tcase(s, core);
  TCase *limits = tcase_create("Limits");
  tcase_add_test(limits, unknown_id);
  tcase_add_test(limits, example_passes_many_seeds);
  suite_add_tcase(s, limits);
  return s;
}
