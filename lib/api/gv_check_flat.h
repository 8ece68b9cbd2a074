/* gv_check_flat.h: entries where f is flat to the last bit (gv_flat.h), for
 * gv_check.c. Not installed. */
#ifndef GV_CHECK_FLAT_H
#define GV_CHECK_FLAT_H

#include "gv_check_impl.h"
#include "gv_flat.h"

/* Where column j's variable lives and how far it may be stepped (its own
 * scale): the caller's view of its problem. */
typedef double *(*gv_check_flat_column)(void *ctx, size_t j, double *hmax);

/* Every smooth entry of out whose numeric value is exactly 0 and whose
 * analytic value is not: the step grows until output i moves along column
 * j's variable (gv_flat_probe, from the entry's first step up to hmax), and
 * the entry is judged anew against 0 with the resolution reached as its
 * error bar and the longest flat step as its step. An output that does not
 * move up to hmax takes as its quantum the largest one its row showed along
 * other variables (f's rounding is f's, not the variable's). f0 = fn at the
 * point; fp, fm work vectors of size fn->m. Costs what the probes cost
 * (gv_flat.h), nothing where no entry is flat. GSL_ENOMEM, or fn's status. */
int gv_check_flat(gv_outcome *out, const gv_fd_vector *fn, gv_check_flat_column column, void *ctx,
                  const gsl_vector *f0, gsl_vector *fp, gsl_vector *fm, const gv_options *o);

#endif
