/* gv_check_impl.h: what gv_check.c (the checks) and gv_outcome.c (the results)
 * share. Not installed. An outcome owns its arrays (cap entries each, grown by
 * gv_outcome_reset, freed by gv_outcome_free); the judging functions below
 * fill one entry in O(1), allocate nothing and cannot fail. */
#ifndef GV_CHECK_IMPL_H
#define GV_CHECK_IMPL_H

#include "gradverify.h"
#include "gv_fd.h"

/* Which variables a gradient or Jacobian check compared (gv_check_sample.h):
 * none recorded (an fvv or empty outcome), all of them, or a sample. */
typedef enum { GV_SAMPLE_NONE = 0, GV_SAMPLE_FULL, GV_SAMPLE_DRAWN } gv_sample_kind;

typedef struct {
  gv_sample_kind kind;
  size_t nvars;          /* the variables of x */
  size_t ndrawn, nnamed; /* a sample: drawn at random, named by the user (distinct) */
  unsigned long seed;    /* the seed of the draw */
} gv_sample_info;

struct gv_outcome {
  size_t rows, cols;  /* the compared matrix; size = rows * cols */
  size_t cap;         /* entries allocated */
  gv_entry *entry;    /* rows * cols, row-major */
  gv_fd_sided *sided; /* the first estimate of each entry, before its floor is known */
  double *floor;      /* the absolute floor atol_eff of each entry */
  double *scale;      /* the scale S of each entry's floor */
  size_t nfail, nnonsmooth, nevals, worst;
  double max_rel, atol_eff, rtol, kerr;
  gv_method method;
  gv_contract contract; /* the callbacks' contract (gv_contract.c), if has_contract */
  int has_contract;
  gv_sample_info sample; /* set by the full and sampled checks, after gv_outcome_reset */
};

/* Empties out and makes room for a rows-by-cols result. GSL_ENOMEM if it cannot
 * (out is then empty, its old storage kept). */
int gv_outcome_reset(gv_outcome *out, size_t rows, size_t cols);

/* Judges an entry from the estimate d at step h: fills *e but its row and col. */
void gv_outcome_judge(gv_entry *e, double analytic, const gv_fd_sided *d, double h, double floor,
                      const gv_options *o);

/* Judges an entry anew as non-smooth, against [left, right] of the estimate d
 * at step h: where Ridders could not resolve f (a jump). */
void gv_outcome_judge_kink(gv_entry *e, const gv_fd_sided *d, double h, double floor,
                           const gv_options *o);

/* Judges a smooth entry anew from a numeric value and its error estimate
 * (Ridders'), keeping its step, one-sided values and smoothness. */
void gv_outcome_judge_value(gv_entry *e, double numeric, double err, double floor,
                            const gv_options *o);

/* Whether an entry's verdict rests on its error bar or on a kink, so that a
 * smaller step could settle it (central mode); in Ridders mode, whether the
 * central estimate fails to resolve f (error bar above 1e-3 of the entry or
 * of 1e-3 of the scale) or sits at a kink. */
int gv_outcome_doubtful(const gv_entry *e, double floor, double scale, const gv_options *o);

/* Whether estimate a is to be preferred to b: smooth first, then the smaller error bar. */
int gv_outcome_better(const gv_entry *a, const gv_entry *b);

/* Counts failures and kinks and finds the worst entry once all are judged. */
void gv_outcome_finish(gv_outcome *out, const gv_options *o);

#endif
