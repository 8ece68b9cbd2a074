/* gv_trial.h: what every trial function shares: an analytic and a numeric
 * matrix of one shape (a vector is an n-by-1 matrix, reached through a column
 * view), compared entry by entry at the end of the trial. */
#ifndef GV_TRIAL_H
#define GV_TRIAL_H

#include <gsl/gsl_matrix.h>

#include "gv_formula.h"

typedef struct {
  gsl_matrix *analytic, *numeric;
  gsl_matrix *err; /* the numeric side's round-off bounds */
} gv_trial_pair;

/* Allocates the three matrices; GSL_ENOMEM (with nothing held) on failure. */
int gv_trial_pair_alloc(gv_trial_pair *t, size_t rows, size_t cols);
void gv_trial_pair_free(gv_trial_pair *t);
/* Column 0 of a matrix (an n-by-1 matrix holding a vector), as a vector view. */
gsl_vector_view gv_trial_col(gsl_matrix *m);
/* Compares analytic against numeric into cmp and records the entry count;
 * applies info->corrupt first (see gv_trial_info). */
int gv_trial_pair_compare(const gv_trial_pair *t, const gv_tol *tol, gv_cmp *cmp,
                          gv_trial_info *info);

#endif
