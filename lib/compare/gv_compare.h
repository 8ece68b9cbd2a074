/* gv_compare.h: comparing an analytic derivative with a numeric one.
 *
 * An entry passes iff
 *
 *   |analytic - numeric| <= atol + rtol max(|analytic|, |numeric|) + kerr e
 *
 * and both values are finite: a NaN or an infinity always fails, and is
 * counted apart so that it never hides in a verdict. e is the numeric side's
 * own error bar from the finite-difference engine (gv_fd.h: truncation plus
 * round-off), 0 when none is given: within it the difference cannot tell
 * right from wrong, so a mismatch there is no evidence of a bug. kerr allows
 * for the error bar being an estimate. The relative error of an entry is
 * |analytic - numeric| / max(|analytic|, |numeric|), 0 when both are 0.
 *
 * A gv_cmp accumulates over any number of comparisons (entries of one matrix,
 * or many random trials): counts, the largest absolute and relative errors,
 * and the worst entry, the one whose error is the largest multiple of its own
 * tolerance, so that a failing comparison names the entry that gave it away.
 *
 * Cost: O(1) per entry, no allocation; a gv_cmp is a plain value the caller
 * owns (copy or merge freely). Errors: GSL_EBADLEN on shapes that differ,
 * nothing else; nothing calls the GSL error handler. */
#ifndef GV_COMPARE_H
#define GV_COMPARE_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>

#include "gradverify_vocab.h"

/* fmax(a, b) without the call: the larger, a NaN skipped (b when a is NaN,
 * a when b is). The comparison loops run it a few times per entry, 10^5
 * entries a trial at --size 784,128,10, where fmax is an out-of-line libm
 * call. */
static inline double gv_cmp_max(double a, double b)
{
  return b != b || a > b ? a : b;
}

typedef struct {
  double atol; /* absolute floor, for entries near zero */
  double rtol; /* relative to the entry itself */
  double kerr; /* multiple of the numeric side's error bar */
} gv_tol;

/* The defaults: no false failure on the seed's formulas with the engine's
 * central differences, and still a failure for a single entry off by a
 * relative 1e-4 (any entry larger than atol / (1e-4 - rtol), about 1.1e-5,
 * whose error bar is below 4e-5 of it, as it is for all of them at |x| <~ 10). */
#define GV_TOL_DEFAULT_ATOL 1e-9
#define GV_TOL_DEFAULT_RTOL 1e-5
#define GV_TOL_DEFAULT_KERR 2.0

/* Resolved entries. The relative error of an entry means something only
 * where the comparison can see 1e-7 of the entry: an entry is resolved iff
 * both values are finite, its magnitude s = max(|analytic|, |numeric|) is a
 * normal double (>= DBL_MIN: a subnormal carries fewer than 53 bits), and
 *
 *   GV_CMP_RESOLVED_MARGIN (e + r) <= GV_CMP_RESOLVED_REL s
 *
 * where e is the numeric side's error bar and r the rounding of the analytic
 * side's arithmetic, set per comparison by gv_cmp_set_resolution (0 unless
 * set). The margin is there because e is an estimate: the harness's central
 * error bars fall short of the error by up to a factor of about 10 on a few
 * entries in 10^5 (layernorm.dX, seeds 1-4). The tolerance rule does not look at it: an unresolved
 * entry passes or fails exactly as a resolved one; max_rel and hist_rel cover resolved entries
 * only, and `unresolved` counts the others. */
#define GV_CMP_RESOLVED_REL 1e-7
#define GV_CMP_RESOLVED_MARGIN 10.0

/* Histograms over entries, one bin per decade: bin k of hist_rel counts
 * resolved entries with relative error in [10^(GV_CMP_REL_MIN_EXP + k),
 * 10^(GV_CMP_REL_MIN_EXP + k + 1)), the first bin also everything below
 * (exact agreement included), the last everything above; hist_ratio likewise
 * for error / bound of every finite entry, from 10^GV_CMP_RATIO_MIN_EXP. */
#define GV_CMP_HIST_BINS 20
#define GV_CMP_REL_MIN_EXP (-18)
#define GV_CMP_RATIO_MIN_EXP (-15)

typedef struct {
  size_t count;     /* entries compared */
  size_t nfail;     /* entries that failed, non-finite ones included */
  size_t nonfinite; /* entries where either value was NaN or infinite */
  double max_abs;   /* largest |analytic - numeric| over finite entries */
  double max_rel;   /* largest relative error over resolved finite entries */
  /* The worst entry: largest error/tolerance ratio (non-finite counts as infinite). */
  int has_worst;
  size_t worst_trial; /* set by the caller through gv_cmp_set_trial */
  size_t worst_row, worst_col;
  double worst_analytic, worst_numeric, worst_ratio;
  gv_decided worst_term; /* the largest term of the worst entry's bound */
  double worst_errbar;   /* the worst entry's error bar e */
  size_t trial;          /* current trial label, copied into worst_trial */
  size_t unresolved;     /* finite entries not resolved (above; not in hist_rel) */
  double resolution;     /* r of the rule above for the entries compared next */
  size_t hist_rel[GV_CMP_HIST_BINS];
  size_t hist_ratio[GV_CMP_HIST_BINS];
} gv_cmp;

/* Resets every counter; the trial label becomes 0. */
void gv_cmp_init(gv_cmp *c);

/* Labels the entries compared from now on with trial number t. */
void gv_cmp_set_trial(gv_cmp *c, size_t t);

/* Sets r, the absolute rounding of the analytic side, for the entries
 * compared from now on (the resolved rule above); 0 turns it off. */
void gv_cmp_set_resolution(gv_cmp *c, double r);

/* Whether an entry with error bar e is resolved when the analytic side's
 * rounding is r (the rule above). */
int gv_cmp_resolved(double analytic, double numeric, double e, double r);

/* The bound an entry must meet: atol + rtol max(|analytic|, |numeric|) + kerr e. */
double gv_cmp_bound(double analytic, double numeric, double e, const gv_tol *tol);

/* Whether one entry passes with error bar e; *ratio (if not NULL) receives
 * error / bound, infinite for a non-finite entry. */
int gv_cmp_entry_passes(double analytic, double numeric, double e, const gv_tol *tol,
                        double *ratio);

/* Compares one entry, labelled (row, col), accumulating into c. Returns 1 if it passed. */
int gv_cmp_entry(gv_cmp *c, size_t row, size_t col, double analytic, double numeric, double e,
                 const gv_tol *tol);

/* Compares every entry of two matrices of the same shape, with the numeric side's error bars
 * (truncation plus round-off) E of the same shape, or NULL for none (a vector is an n-by-1 matrix;
 * see gv_cmp_vector). GSL_EBADLEN if the shapes differ. */
int gv_cmp_matrix(gv_cmp *c, const gsl_matrix *analytic, const gsl_matrix *numeric,
                  const gsl_matrix *E, const gv_tol *tol);
int gv_cmp_vector(gv_cmp *c, const gsl_vector *analytic, const gsl_vector *numeric,
                  const gsl_vector *e, const gv_tol *tol);

/* Adds the counts and histograms of src to dst and keeps the worse of the two
 * worst entries. */
void gv_cmp_merge(gv_cmp *dst, const gv_cmp *src);

#endif
