/* check_compare.c: the per-entry tolerance test and the error statistics.
 *
 * The boundary rows use dyadic values, so that error and bound are computed
 * exactly and "exactly at the bound" means exactly; "just above" is one small
 * power of two beyond it. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "check_main.h"
#include "gv_compare.h"

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const double TINY = 0x1p-45; /* far above an ulp of the values used, far below 1 */

/* ---- One entry at its boundaries ---- */

typedef struct {
  double analytic, numeric, e;
  gv_tol tol;
  int pass;
  double ratio; /* error / bound; negative: only check it is infinite */
} entry_row;

static const entry_row entry_rows[] = {
    /* atol alone: |1.5 - 1.25| = 0.25 */
    {1.5, 1.25, 0.0, {0.25, 0.0, 0.0}, 1, 1.0},
    {1.5, 1.25 - TINY, 0.0, {0.25, 0.0, 0.0}, 0, 1.0 + 4.0 * TINY},
    /* rtol alone: |-8 - (-7)| = 1 <= 0.125 * max(8, 7), whichever side is larger */
    {-8.0, -7.0, 0.0, {0.0, 0.125, 0.0}, 1, 1.0},
    {-7.0, -8.0, 0.0, {0.0, 0.125, 0.0}, 1, 1.0},
    {-8.0, -7.0 + TINY, 0.0, {0.0, 0.125, 0.0}, 0, 1.0 + TINY},
    /* kerr alone: |2.5 - 1.75| = 0.75 = 2 * 0.375 */
    {2.5, 1.75, 0.375, {0.0, 0.0, 2.0}, 1, 1.0},
    {2.5, 1.75, 0.375 - TINY, {0.0, 0.0, 2.0}, 0, 0.75 / (0.75 - 2.0 * TINY)},
    /* without kerr the error bar counts for nothing */
    {2.5, 1.75, 1000.0, {0.0, 0.0, 0.0}, 0, -1.0},
    /* all three: 0.25 + 0.125 * 4 + 2 * 0.125 = 1 = |4 - 3| */
    {4.0, 3.0, 0.125, {0.25, 0.125, 2.0}, 1, 1.0},
    {4.0, 3.0 - TINY, 0.125, {0.25, 0.125, 2.0}, 0, 1.0 + TINY},
    {4.0, 3.0, 0.125 - TINY, {0.25, 0.125, 2.0}, 0, 1.0 / (1.0 - 2.0 * TINY)},
    /* well inside */
    {4.0, 3.5, 0.125, {0.25, 0.125, 2.0}, 1, 0.5},
    /* zero tolerance: only equality passes */
    {1.7, 1.7, 0.0, {0.0, 0.0, 0.0}, 1, 0.0},
    {1.7, 1.7 + 0x1p-52, 0.0, {0.0, 0.0, 0.0}, 0, -1.0},
    /* non-finite values fail whatever the tolerance */
    {NAN, 1.0, 0.0, {1e300, 1.0, 1e300}, 0, -1.0},
    {1.0, NAN, 0.0, {1e300, 1.0, 1e300}, 0, -1.0},
    {INFINITY, INFINITY, 0.0, {1e300, 1.0, 1e300}, 0, -1.0},
    {-INFINITY, 2.0, 0.0, {1e300, 1.0, 1e300}, 0, -1.0},
    {2.0, -INFINITY, 1e300, {1e300, 1.0, 1e300}, 0, -1.0},
};

START_TEST(test_entry_passes)
{
  const entry_row *r = &entry_rows[_i];
  double ratio = -42.0;
  ck_assert_int_eq(gv_cmp_entry_passes(r->analytic, r->numeric, r->e, &r->tol, &ratio), r->pass);
  if (r->ratio < 0.0)
    ck_assert(isinf(ratio) && ratio > 0.0);
  else
    ck_assert_double_eq_tol(ratio, r->ratio, 1e-15);
  /* ratio may be NULL. */
  ck_assert_int_eq(gv_cmp_entry_passes(r->analytic, r->numeric, r->e, &r->tol, NULL), r->pass);
}
END_TEST

START_TEST(test_bound)
{
  const gv_tol tol = {0.25, 0.125, 2.0};
  ck_assert_double_eq(gv_cmp_bound(4.0, -3.0, 0.125, &tol), 1.0);
  ck_assert_double_eq(gv_cmp_bound(-3.0, 4.0, 0.125, &tol), 1.0);
  ck_assert_double_eq(gv_cmp_bound(0.0, 0.0, 0.0, &tol), 0.25);
  ck_assert_double_eq(gv_cmp_bound(-16.0, 0.5, 0.0, &tol), 2.25);
}
END_TEST

START_TEST(test_defaults)
{
  /* The documented defaults: a relative 1e-4 error fails on an entry of 0.385
   * with no error bar; a relative 1e-6 one passes. */
  const gv_tol tol = {GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR};
  ck_assert_int_eq(gv_cmp_entry_passes(0.385, 0.385 * (1.0 + 1e-4), 0.0, &tol, NULL), 0);
  ck_assert_int_eq(gv_cmp_entry_passes(0.385, 0.385 * (1.0 + 1e-6), 0.0, &tol, NULL), 1);
}
END_TEST

/* ---- Accumulation ---- */

START_TEST(test_init)
{
  gv_cmp c;
  memset(&c, 0xab, sizeof c);
  gv_cmp_init(&c);
  ck_assert_uint_eq(c.count, 0);
  ck_assert_uint_eq(c.nfail, 0);
  ck_assert_uint_eq(c.nonfinite, 0);
  ck_assert_double_eq(c.max_abs, 0.0);
  ck_assert_double_eq(c.max_rel, 0.0);
  ck_assert_int_eq(c.has_worst, 0);
  ck_assert_uint_eq(c.trial, 0);
}
END_TEST

START_TEST(test_relative_error)
{
  const gv_tol tol = {0.0, 0.0, 0.0};
  gv_cmp c;
  gv_cmp_init(&c);
  /* Both zero: relative error 0, not 0/0. */
  ck_assert_int_eq(gv_cmp_entry(&c, 0, 0, 0.0, 0.0, 0.0, &tol), 1);
  ck_assert_double_eq(c.max_abs, 0.0);
  ck_assert_double_eq(c.max_rel, 0.0);
  ck_assert_double_eq(c.worst_ratio, 0.0);
  /* |3 - 2.25| / 3 = 0.25 */
  ck_assert_int_eq(gv_cmp_entry(&c, 1, 0, 3.0, 2.25, 0.0, &tol), 0);
  ck_assert_double_eq(c.max_abs, 0.75);
  ck_assert_double_eq(c.max_rel, 0.25);
  /* relative to the larger side: |1 - 0.875| / 1 = 0.125, smaller; abs 0.125 */
  gv_cmp_entry(&c, 2, 0, 0.875, 1.0, 0.0, &tol);
  ck_assert_double_eq(c.max_abs, 0.75);
  ck_assert_double_eq(c.max_rel, 0.25);
  /* opposite signs: |-0.5 - 0.5| / 0.5 = 2 */
  gv_cmp_entry(&c, 3, 0, -0.5, 0.5, 0.0, &tol);
  ck_assert_double_eq(c.max_abs, 1.0);
  ck_assert_double_eq(c.max_rel, 2.0);
  /* one side zero: relative error 1 */
  gv_cmp_entry(&c, 4, 0, 0.0, -5.0, 0.0, &tol);
  ck_assert_double_eq(c.max_abs, 5.0);
  ck_assert_double_eq(c.max_rel, 2.0);
  ck_assert_uint_eq(c.count, 5);
  ck_assert_uint_eq(c.nfail, 4);
  ck_assert_uint_eq(c.nonfinite, 0);
}
END_TEST

START_TEST(test_relative_unresolved)
{
  /* max_rel is over resolved entries: those whose magnitude is a normal
   * double and at least GV_CMP_RESOLVED_MARGIN / GV_CMP_RESOLVED_REL (10^8)
   * times the error bar plus the analytic side's rounding. Elsewhere only
   * max_abs records the error, and `unresolved` counts the entry. */
  const gv_tol tol = {1e-9, 1e-5, 2.0};
  gv_cmp c;
  gv_cmp_init(&c);
  gv_cmp_entry(&c, 0, 0, 2.0, 1.5, 2.1e-8, &tol); /* rel 0.25, but e just above 1e-8 of 2 */
  ck_assert_double_eq(c.max_abs, 0.5);
  ck_assert_double_eq(c.max_rel, 0.0);
  ck_assert_uint_eq(c.unresolved, 1);
  gv_cmp_entry(&c, 1, 0, 2.0, 1.875, 1.9e-8, &tol); /* resolved: rel 1/16 */
  ck_assert_double_eq(c.max_rel, 0.0625);
  ck_assert_uint_eq(c.unresolved, 1);
  /* Below atol, but with no error bar: resolved (the tolerance does not decide it). */
  gv_cmp_entry(&c, 2, 0, 1e-12, 3e-12, 0.0, &tol);
  ck_assert_double_eq_tol(c.max_rel, 2.0 / 3.0, 1e-15);
  /* The analytic side's rounding counts like the error bar. */
  gv_cmp_init(&c);
  gv_cmp_set_resolution(&c, 2.1e-8);
  gv_cmp_entry(&c, 0, 0, 2.0, 1.5, 0.0, &tol);
  ck_assert_double_eq(c.max_rel, 0.0);
  ck_assert_uint_eq(c.unresolved, 1);
  gv_cmp_set_resolution(&c, 0.0);
  gv_cmp_entry(&c, 1, 0, 2.0, 1.5, 0.0, &tol);
  ck_assert_double_eq(c.max_rel, 0.25);
  /* A subnormal carries fewer than 53 bits: never resolved. */
  gv_cmp_entry(&c, 2, 0, 1e-310, 3e-310, 0.0, &tol);
  ck_assert_double_eq(c.max_rel, 0.25);
  ck_assert_uint_eq(c.unresolved, 2);
  /* The boundary as gv_compare.h states it: a magnitude >= DBL_MIN. */
  ck_assert_int_eq(gv_cmp_resolved(DBL_MIN, 0.0, 0.0, 0.0), 1);
  ck_assert_int_eq(gv_cmp_resolved(0.0, -DBL_MIN, 0.0, 0.0), 1);
  ck_assert_int_eq(gv_cmp_resolved(nextafter(DBL_MIN, 0.0), 0.0, 0.0, 0.0), 0);
}
END_TEST

START_TEST(test_nonfinite_counted)
{
  /* A tolerance that passes every finite entry (and resolves it: see below). */
  const gv_tol tol = {0.0, 1e300, 0.0};
  gv_cmp c;
  gv_cmp_init(&c);
  gv_cmp_entry(&c, 0, 0, 1.25, 1.5, 0.0, &tol);
  ck_assert_int_eq(gv_cmp_entry(&c, 7, 3, NAN, 1.0, 0.0, &tol), 0);
  ck_assert_int_eq(gv_cmp_entry(&c, 8, 1, 2.0, INFINITY, 0.0, &tol), 0);
  gv_cmp_entry(&c, 9, 9, 1.0, 2.0, 0.0, &tol);
  ck_assert_uint_eq(c.count, 4);
  ck_assert_uint_eq(c.nfail, 2);
  ck_assert_uint_eq(c.nonfinite, 2);
  /* The statistics are over finite entries only. */
  ck_assert_double_eq(c.max_abs, 1.0);
  ck_assert_double_eq(c.max_rel, 0.5);
  /* The worst entry is the first non-finite one, its ratio infinite. */
  ck_assert_int_eq(c.has_worst, 1);
  ck_assert_uint_eq(c.worst_row, 7);
  ck_assert_uint_eq(c.worst_col, 3);
  ck_assert(isnan(c.worst_analytic));
  ck_assert_double_eq(c.worst_numeric, 1.0);
  ck_assert(isinf(c.worst_ratio));
}
END_TEST

START_TEST(test_worst_tracking)
{
  const gv_tol tol = {0.0, 0.125, 0.0};
  gv_cmp c;
  gv_cmp_init(&c);
  gv_cmp_set_trial(&c, 3);
  gv_cmp_entry(&c, 0, 1, 8.0, 7.5, 0.0, &tol); /* ratio 0.5 */
  ck_assert_int_eq(c.has_worst, 1);
  ck_assert_uint_eq(c.worst_trial, 3);
  ck_assert_double_eq(c.worst_ratio, 0.5);
  gv_cmp_set_trial(&c, 11);
  gv_cmp_entry(&c, 2, 4, 8.0, 5.0, 0.0, &tol); /* ratio 3: the worst */
  gv_cmp_entry(&c, 5, 0, 8.0, 7.0, 0.0, &tol); /* ratio 1 */
  gv_cmp_set_trial(&c, 12);
  gv_cmp_entry(&c, 6, 6, 0.25, 0.5, 0.0, &tol);  /* ratio 4: worse in ratio, not in abs */
  gv_cmp_entry(&c, 1, 1, 64.0, 40.0, 0.0, &tol); /* ratio 3: larger abs error, not worse */
  ck_assert_uint_eq(c.worst_trial, 12);
  ck_assert_uint_eq(c.worst_row, 6);
  ck_assert_uint_eq(c.worst_col, 6);
  ck_assert_double_eq(c.worst_analytic, 0.25);
  ck_assert_double_eq(c.worst_numeric, 0.5);
  ck_assert_double_eq(c.worst_ratio, 4.0);
  ck_assert_double_eq(c.max_abs, 24.0);
  ck_assert_uint_eq(c.nfail, 3);
  /* A tie keeps the first. */
  gv_cmp_set_trial(&c, 13);
  gv_cmp_entry(&c, 9, 9, 0.25, 0.5, 0.0, &tol);
  ck_assert_uint_eq(c.worst_trial, 12);
  ck_assert_uint_eq(c.worst_row, 6);
  ck_assert_uint_eq(c.trial, 13);
  /* init resets everything, the trial label included. */
  gv_cmp_init(&c);
  ck_assert_int_eq(c.has_worst, 0);
  ck_assert_uint_eq(c.trial, 0);
  ck_assert_uint_eq(c.count, 0);
}
END_TEST

/* Two accumulators, one worse than the other; the trial labels differ. */
static void fill(gv_cmp *c, size_t trial, size_t row, double numeric, size_t n)
{
  const gv_tol tol = {0.0, 0.125, 0.0};
  gv_cmp_init(c);
  gv_cmp_set_trial(c, trial);
  for (size_t k = 0; k < n; k++)
    gv_cmp_entry(c, row + k, 0, 8.0, k == 0 ? numeric : 8.0, 0.0, &tol);
}

START_TEST(test_merge)
{
  gv_cmp a, b;
  /* src worse: its worst entry replaces dst's; dst's own trial label stays. */
  fill(&a, 1, 10, 7.5, 3); /* ratio 0.5, abs 0.5, rel 1/16 */
  fill(&b, 2, 20, 4.0, 2); /* ratio 4, abs 4, rel 0.5 */
  gv_cmp_merge(&a, &b);
  ck_assert_uint_eq(a.count, 5);
  ck_assert_uint_eq(a.nfail, 1);
  ck_assert_double_eq(a.max_abs, 4.0);
  ck_assert_double_eq(a.max_rel, 0.5);
  ck_assert_uint_eq(a.worst_trial, 2);
  ck_assert_uint_eq(a.worst_row, 20);
  ck_assert_double_eq(a.worst_numeric, 4.0);
  ck_assert_double_eq(a.worst_ratio, 4.0);
  ck_assert_uint_eq(a.trial, 1);

  /* dst worse: it keeps its own. */
  fill(&a, 1, 10, 7.5, 3);
  fill(&b, 2, 20, 4.0, 2);
  gv_cmp_merge(&b, &a);
  ck_assert_uint_eq(b.count, 5);
  ck_assert_uint_eq(b.worst_trial, 2);
  ck_assert_uint_eq(b.worst_row, 20);
  ck_assert_double_eq(b.worst_ratio, 4.0);
  ck_assert_double_eq(b.max_abs, 4.0);

  /* Empty src changes nothing; into an empty dst, src's worst is taken. */
  gv_cmp empty;
  gv_cmp_init(&empty);
  fill(&a, 1, 10, 7.5, 3);
  gv_cmp_merge(&a, &empty);
  ck_assert_uint_eq(a.count, 3);
  ck_assert_uint_eq(a.worst_row, 10);
  ck_assert_double_eq(a.worst_ratio, 0.5);
  gv_cmp_merge(&empty, &a);
  ck_assert_uint_eq(empty.count, 3);
  ck_assert_int_eq(empty.has_worst, 1);
  ck_assert_uint_eq(empty.worst_trial, 1);
  ck_assert_uint_eq(empty.worst_row, 10);
  ck_assert_double_eq(empty.worst_ratio, 0.5);

  /* Non-finite counts add up. */
  const gv_tol tol = {0.0, 0.125, 0.0};
  fill(&a, 1, 10, 7.5, 3);
  fill(&b, 2, 20, 4.0, 2);
  gv_cmp_entry(&a, 99, 0, NAN, 1.0, 0.0, &tol);
  gv_cmp_entry(&b, 98, 0, 1.0, INFINITY, 0.0, &tol);
  gv_cmp_merge(&a, &b);
  ck_assert_uint_eq(a.nonfinite, 2);
  ck_assert_uint_eq(a.nfail, 3);
  ck_assert_uint_eq(a.worst_row, 99); /* both infinite: the first stays */

  /* Every field of src's worst entry comes along, its column too. */
  const gv_tol kt = {1e-3, 0.0, 2.0};
  gv_cmp_init(&a);
  gv_cmp_init(&b);
  gv_cmp_entry(&a, 1, 3, 1.0, 1.001, 0.0, &kt); /* ratio 1, atol decides */
  gv_cmp_entry(&b, 4, 5, 2.0, 2.5, 0.05, &kt);  /* ratio 0.5 / 0.101, the error bar's term */
  gv_cmp_merge(&a, &b);
  ck_assert_uint_eq(a.worst_row, 4);
  ck_assert_uint_eq(a.worst_col, 5);
  ck_assert_double_eq(a.worst_analytic, 2.0);
  ck_assert_double_eq(a.worst_numeric, 2.5);
  ck_assert_double_eq(a.worst_errbar, 0.05);
  ck_assert_int_eq(a.worst_term, GV_DECIDED_ERROR_BAR);
}
END_TEST

/* The histograms on entries whose decade is far from a boundary: each lands
 * in the bin its header formula gives, an unresolved entry only in
 * hist_ratio, a non-finite one in neither. */
START_TEST(test_histograms)
{
  const gv_tol tol = {0.0, 0.5, 0.0}, loose = {1.0, 0.0, 0.0}, tight = {0.0, 1e-12, 0.0};
  size_t rel[GV_CMP_HIST_BINS] = {0}, ratio[GV_CMP_HIST_BINS] = {0};
  gv_cmp c;
  gv_cmp_init(&c);
  gv_cmp_entry(&c, 0, 0, 1.0, 1.0, 0.0, &tol); /* rel 0 and ratio 0: the first bins */
  rel[0]++;
  ratio[0]++;
  gv_cmp_entry(&c, 1, 0, 1.0, 1.0 - 3e-3, 0.0, &tol); /* rel 3e-3, ratio 6e-3 */
  rel[-3 - GV_CMP_REL_MIN_EXP]++;
  ratio[-3 - GV_CMP_RATIO_MIN_EXP]++;
  gv_cmp_entry(&c, 2, 0, 4.0, 4.0 - 1e-6, 0.0, &tol); /* rel 2.5e-7, ratio 5e-7 */
  rel[-7 - GV_CMP_REL_MIN_EXP]++;
  ratio[-7 - GV_CMP_RATIO_MIN_EXP]++;
  gv_cmp_entry(&c, 3, 0, -0.5, 0.5, 0.0, &tight); /* rel 2, ratio 2e12: the last bin */
  rel[0 - GV_CMP_REL_MIN_EXP]++;
  ratio[GV_CMP_HIST_BINS - 1]++;
  gv_cmp_entry(&c, 4, 0, 2.0, 1.5, 0.25, &loose); /* e 0.25 of 2: unresolved, ratio 0.5 */
  ratio[-1 - GV_CMP_RATIO_MIN_EXP]++;
  gv_cmp_entry(&c, 5, 0, 0.0, 0.0, 0.0, &tight); /* both zero: unresolved, ratio 0 */
  ratio[0]++;
  gv_cmp_entry(&c, 6, 0, NAN, 1.0, 0.0, &tol); /* non-finite: in neither */
  /* Ratio 2^-52 / 0.5, below 10^GV_CMP_RATIO_MIN_EXP: the first bin. */
  gv_cmp_entry(&c, 7, 0, 1.0, 1.0 + DBL_EPSILON, 0.0, &tol);
  rel[-16 - GV_CMP_REL_MIN_EXP]++;
  ratio[0]++;
  ck_assert_uint_eq(c.count, 8);
  ck_assert_uint_eq(c.unresolved, 2);
  ck_assert_uint_eq(c.nonfinite, 1);
  for (size_t k = 0; k < GV_CMP_HIST_BINS; k++) {
    ck_assert_msg(c.hist_rel[k] == rel[k], "hist_rel[%zu] = %zu, want %zu", k, c.hist_rel[k],
                  rel[k]);
    ck_assert_msg(c.hist_ratio[k] == ratio[k], "hist_ratio[%zu] = %zu, want %zu", k,
                  c.hist_ratio[k], ratio[k]);
  }
  /* Merging adds bin by bin, and the unresolved counts. */
  gv_cmp d;
  gv_cmp_init(&d);
  gv_cmp_entry(&d, 0, 0, 1.0, 1.0 - 3e-3, 0.0, &tol);
  gv_cmp_entry(&d, 1, 0, 2.0, 1.5, 0.25, &loose);
  gv_cmp_entry(&d, 2, 0, 1.0, 1.0, 0.0, &tol); /* the first bins merge too */
  gv_cmp_merge(&c, &d);
  rel[0]++;
  ratio[0]++;
  rel[-3 - GV_CMP_REL_MIN_EXP]++;
  ratio[-3 - GV_CMP_RATIO_MIN_EXP]++;
  ratio[-1 - GV_CMP_RATIO_MIN_EXP]++;
  ck_assert_uint_eq(c.unresolved, 3);
  for (size_t k = 0; k < GV_CMP_HIST_BINS; k++) {
    ck_assert_msg(c.hist_rel[k] == rel[k], "merged hist_rel[%zu] = %zu, want %zu", k, c.hist_rel[k],
                  rel[k]);
    ck_assert_msg(c.hist_ratio[k] == ratio[k], "merged hist_ratio[%zu] = %zu, want %zu", k,
                  c.hist_ratio[k], ratio[k]);
  }
}
END_TEST

/* The bin of v by the header's formula, floor(log10(v)) - min_exp clamped. */
static size_t formula_bin(double v, int min_exp)
{
  if (!(v > 0.0))
    return 0;
  double k = floor(log10(v)) - min_exp;
  return k < 0.0 ? 0 : k >= GV_CMP_HIST_BINS - 1 ? GV_CMP_HIST_BINS - 1 : (size_t)k;
}

/* At and around every decade bound (the nearest doubles, and 5e-13 and
 * 1.5e-12 away, where the rounding of log10 decides), far below and above
 * the range (1e300): each entry lands in the bin the header's formula
 * gives. Ratio: analytic 0, numeric v, atol 1, so error / bound is v
 * exactly. Relative error: analytic 1, numeric 1 + v, the bin of the
 * relative error the entry has. */
START_TEST(test_histogram_bounds)
{
  const gv_tol tol = {1.0, 0.0, 0.0};
  for (int e = -22; e <= 7; e++) {
    double b = pow(10.0, e);
    const double vs[] = {b,
                         nextafter(b, 0.0),
                         nextafter(b, INFINITY),
                         b * (1.0 - 1.5e-12),
                         b * (1.0 + 1.5e-12),
                         b * (1.0 - 5e-13),
                         b * (1.0 + 5e-13),
                         3.0 * b,
                         e == 7 ? 1e300 : b};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
      double v = vs[i];
      gv_cmp c;
      gv_cmp_init(&c);
      gv_cmp_entry(&c, 0, 0, 0.0, v, 0.0, &tol);
      size_t want = formula_bin(v, GV_CMP_RATIO_MIN_EXP);
      ck_assert_msg(c.hist_ratio[want] == 1, "ratio %.17g: bin %zu empty", v, want);
      gv_cmp_init(&c);
      gv_cmp_entry(&c, 0, 0, 1.0, 1.0 + v, 0.0, &tol);
      double rel = fabs(1.0 - (1.0 + v)) / fmax(1.0, fabs(1.0 + v));
      want = formula_bin(rel, GV_CMP_REL_MIN_EXP);
      ck_assert_msg(c.hist_rel[want] == 1, "relative error %.17g: bin %zu empty", rel, want);
    }
  }
}
END_TEST

/* The deciding term of one entry's bound, as the worst entry records it. */
static gv_decided term_of(double analytic, double numeric, double e, const gv_tol *tol)
{
  gv_cmp c;
  gv_cmp_init(&c);
  gv_cmp_entry(&c, 0, 0, analytic, numeric, e, tol);
  ck_assert_double_eq(c.worst_errbar, e);
  return c.worst_term;
}

/* The largest of atol, rtol max(|a|, |n|) and kerr e decides; on a tie the
 * error bar before rtol before atol. Dyadic values: the terms are exact. */
START_TEST(test_worst_term)
{
  const gv_tol tol = {1.0, 0.125, 2.0};
  ck_assert_int_eq(term_of(8.0, 8.0, 0.5, &tol), GV_DECIDED_ERROR_BAR); /* 1 = 1 = 1 */
  ck_assert_int_eq(term_of(8.0, 8.0, 0.25, &tol), GV_DECIDED_RTOL);     /* 1 = 1 > 0.5 */
  ck_assert_int_eq(term_of(4.0, -16.0, 0.25, &tol), GV_DECIDED_RTOL);   /* 2 > 1 > 0.5 */
  ck_assert_int_eq(term_of(4.0, 4.0, 0.25, &tol), GV_DECIDED_ATOL);     /* 1 > 0.5 = 0.5 */
  ck_assert_int_eq(term_of(4.0, 4.0, 0.5, &tol), GV_DECIDED_ERROR_BAR); /* 1 = 1 > 0.5 */
  ck_assert_int_eq(term_of(16.0, 4.0, 0.75, &tol), GV_DECIDED_RTOL);    /* 2 > 1.5 > 1 */
  ck_assert_str_eq(gv_decided_name(GV_DECIDED_ATOL), "atol");
  ck_assert_str_eq(gv_decided_name(GV_DECIDED_RTOL), "rtol");
  ck_assert_str_eq(gv_decided_name(GV_DECIDED_ERROR_BAR), "error bar");
  /* Merging takes the worse entry's term and error bar with it. */
  gv_cmp a, b;
  gv_cmp_init(&a);
  gv_cmp_init(&b);
  gv_cmp_entry(&a, 0, 0, 4.0, 4.0, 0.25, &tol);
  gv_cmp_entry(&b, 0, 0, 8.0, 0.0, 0.5, &tol); /* ratio 8 / 3 */
  gv_cmp_merge(&a, &b);
  ck_assert_int_eq(a.worst_term, GV_DECIDED_ERROR_BAR);
  ck_assert_double_eq(a.worst_errbar, 0.5);
}
END_TEST

/* ---- Matrices and vectors ---- */

START_TEST(test_matrix)
{
  const gv_tol tol = {0.0, 0.125, 2.0};
  gsl_matrix *A = gsl_matrix_alloc(2, 3), *N = gsl_matrix_alloc(2, 3), *E = gsl_matrix_alloc(2, 3);
  for (size_t k = 0; k < 6; k++) {
    A->data[k] = 8.0 + (double)k;
    N->data[k] = A->data[k];
    E->data[k] = 0.0;
  }
  gsl_matrix_set(N, 1, 2, 13.0 - 3.0); /* error 3 > 0.125 * 13 */
  gsl_matrix_set(N, 0, 1, 9.0 - 1.0);  /* error 1 <= 0.125 * 9 */
  gv_cmp c;
  gv_cmp_init(&c);
  gv_cmp_set_trial(&c, 5);
  ck_assert_int_eq(gv_cmp_matrix(&c, A, N, NULL, &tol), GSL_SUCCESS);
  ck_assert_uint_eq(c.count, 6);
  ck_assert_uint_eq(c.nfail, 1);
  ck_assert_uint_eq(c.worst_row, 1);
  ck_assert_uint_eq(c.worst_col, 2);
  ck_assert_uint_eq(c.worst_trial, 5);
  ck_assert_double_eq(c.worst_analytic, 13.0);
  ck_assert_double_eq(c.worst_numeric, 10.0);
  /* kerr multiplies the error bar: 3 <= 1.625 + 2 e needs e >= 0.6875. */
  gsl_matrix_set(E, 1, 2, 0.6875);
  gv_cmp_init(&c);
  ck_assert_int_eq(gv_cmp_matrix(&c, A, N, E, &tol), GSL_SUCCESS);
  ck_assert_uint_eq(c.nfail, 0);
  gsl_matrix_set(E, 1, 2, 0.6875 - TINY);
  gv_cmp_init(&c);
  ck_assert_int_eq(gv_cmp_matrix(&c, A, N, E, &tol), GSL_SUCCESS);
  ck_assert_uint_eq(c.nfail, 1);
  const gv_tol tol_k1 = {0.0, 0.125, 1.0};
  gsl_matrix_set(E, 1, 2, 0.6875);
  gv_cmp_init(&c);
  ck_assert_int_eq(gv_cmp_matrix(&c, A, N, E, &tol_k1), GSL_SUCCESS);
  ck_assert_uint_eq(c.nfail, 1);
  gsl_matrix_free(A);
  gsl_matrix_free(N);
  gsl_matrix_free(E);
}
END_TEST

START_TEST(test_matrix_badlen)
{
  const gv_tol tol = {1e-9, 1e-5, 2.0};
  gsl_matrix *A = gsl_matrix_calloc(2, 3), *B = gsl_matrix_calloc(3, 2),
             *C = gsl_matrix_calloc(2, 2), *D = gsl_matrix_calloc(2, 3);
  gv_cmp c;
  gv_cmp_init(&c);
  ck_assert_int_eq(gv_cmp_matrix(&c, A, B, NULL, &tol), GSL_EBADLEN);
  ck_assert_int_eq(gv_cmp_matrix(&c, A, C, NULL, &tol), GSL_EBADLEN);
  ck_assert_int_eq(gv_cmp_matrix(&c, C, A, NULL, &tol), GSL_EBADLEN);
  ck_assert_int_eq(gv_cmp_matrix(&c, A, D, B, &tol), GSL_EBADLEN);
  ck_assert_int_eq(gv_cmp_matrix(&c, A, D, C, &tol), GSL_EBADLEN);
  /* Nothing was counted. */
  ck_assert_uint_eq(c.count, 0);
  ck_assert_int_eq(c.has_worst, 0);
  ck_assert_int_eq(gv_cmp_matrix(&c, A, D, A, &tol), GSL_SUCCESS);
  ck_assert_uint_eq(c.count, 6);
  gsl_matrix_free(A);
  gsl_matrix_free(B);
  gsl_matrix_free(C);
  gsl_matrix_free(D);
}
END_TEST

START_TEST(test_vector_badlen)
{
  const gv_tol tol = {1e-9, 1e-5, 2.0};
  gsl_vector *a = gsl_vector_calloc(3), *b = gsl_vector_calloc(2), *d = gsl_vector_calloc(3);
  gv_cmp c;
  gv_cmp_init(&c);
  ck_assert_int_eq(gv_cmp_vector(&c, a, b, NULL, &tol), GSL_EBADLEN);
  ck_assert_int_eq(gv_cmp_vector(&c, b, a, NULL, &tol), GSL_EBADLEN);
  ck_assert_int_eq(gv_cmp_vector(&c, a, d, b, &tol), GSL_EBADLEN);
  ck_assert_uint_eq(c.count, 0);
  ck_assert_int_eq(gv_cmp_vector(&c, a, d, d, &tol), GSL_SUCCESS);
  ck_assert_uint_eq(c.count, 3);
  gsl_vector_free(a);
  gsl_vector_free(b);
  gsl_vector_free(d);
}
END_TEST

START_TEST(test_vector_strided)
{
  /* analytic: column 1 of a 4 x 3 matrix (stride 3); numeric: every other entry
   * of an array (stride 2); error bars: a contiguous vector, then strided. */
  const gv_tol tol = {0.0, 0.125, 2.0};
  gsl_matrix *M = gsl_matrix_alloc(4, 3);
  gsl_matrix_set_all(M, -99.0);
  const double col[4] = {8.0, 9.0, 10.0, 11.0};
  for (size_t i = 0; i < 4; i++)
    gsl_matrix_set(M, i, 1, col[i]);
  double nbuf[8] = {8.0, -1.0, 9.0, -1.0, 10.0 - 3.0, -1.0, 11.0, -1.0};
  /* ebuf[2] is entry 1's bar (its error is 0): read as contiguous, it would be entry 2's. */
  double ebuf[8] = {0.0, 50.0, 50.0, 50.0, 0.0, 50.0, 0.0, 50.0};
  gsl_vector_view a = gsl_matrix_column(M, 1);
  gsl_vector_view n = gsl_vector_view_array_with_stride(nbuf, 2, 4);
  gsl_vector_view e = gsl_vector_view_array_with_stride(ebuf, 2, 4);
  gv_cmp c;
  gv_cmp_init(&c);
  ck_assert_int_eq(gv_cmp_vector(&c, &a.vector, &n.vector, NULL, &tol), GSL_SUCCESS);
  ck_assert_uint_eq(c.count, 4);
  ck_assert_uint_eq(c.nfail, 1); /* entry 2: 3 > 0.125 * 10 */
  ck_assert_uint_eq(c.worst_row, 2);
  ck_assert_uint_eq(c.worst_col, 0);
  ck_assert_double_eq(c.worst_analytic, 10.0);
  ck_assert_double_eq(c.worst_numeric, 7.0);
  ck_assert_double_eq(c.max_abs, 3.0);
  /* Strided error bars: the 50s in between must not be read. */
  gv_cmp_init(&c);
  ck_assert_int_eq(gv_cmp_vector(&c, &a.vector, &n.vector, &e.vector, &tol), GSL_SUCCESS);
  ck_assert_uint_eq(c.nfail, 1);
  ebuf[4] = 0.875; /* 3 <= 1.25 + 2 * 0.875 */
  gv_cmp_init(&c);
  ck_assert_int_eq(gv_cmp_vector(&c, &a.vector, &n.vector, &e.vector, &tol), GSL_SUCCESS);
  ck_assert_uint_eq(c.nfail, 0);
  ck_assert_double_eq(c.worst_ratio, 1.0);
  ck_assert_uint_eq(c.worst_row, 2);
  gsl_matrix_free(M);
}
END_TEST

Suite *gv_test_suite(void)
{
  Suite *s = suite_create("compare");

  TCase *entry = tcase_create("Entry");
  tcase_add_loop_test(entry, test_entry_passes, 0, NROWS(entry_rows));
  tcase_add_test(entry, test_bound);
  tcase_add_test(entry, test_defaults);
  suite_add_tcase(s, entry);

  TCase *acc = tcase_create("Accumulate");
  tcase_add_test(acc, test_init);
  tcase_add_test(acc, test_relative_error);
  tcase_add_test(acc, test_relative_unresolved);
  tcase_add_test(acc, test_nonfinite_counted);
  tcase_add_test(acc, test_worst_tracking);
  tcase_add_test(acc, test_merge);
  tcase_add_test(acc, test_histograms);
  tcase_add_test(acc, test_histogram_bounds);
  tcase_add_test(acc, test_worst_term);
  suite_add_tcase(s, acc);

  TCase *shape = tcase_create("Shapes");
  tcase_add_test(shape, test_matrix);
  tcase_add_test(shape, test_matrix_badlen);
  tcase_add_test(shape, test_vector_badlen);
  tcase_add_test(shape, test_vector_strided);
  suite_add_tcase(s, shape);

  return s;
}
