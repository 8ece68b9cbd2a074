/* gv_contract.h: the callbacks' contract (gradverify.h, gv_contract): fdf
 * agrees with f and df, df repeats, nothing writes x. Not installed. */
#ifndef GV_CONTRACT_H
#define GV_CONTRACT_H

#include "gradverify.h"

/* Fills *c for a gradient problem at x (size fdf->n; f and df set): one f,
 * two df and (when set) one fdf, each on its own copy of x (not counted in
 * the outcome's nevals). GSL_ENOMEM; x is not modified. */
int gv_contract_gradient(const gsl_multimin_function_fdf *fdf, const gsl_vector *x, gv_contract *c);

/* The same for a least-squares problem (size fdf->p): one f and two df; a
 * non-zero status of the user's f or df is returned unchanged. */
int gv_contract_jacobian(const gsl_multifit_nlinear_fdf *fdf, const gsl_vector *x, gv_contract *c);

/* Records c in out after a check: its verdict then includes it. */
void gv_contract_record(gv_outcome *out, const gv_contract *c);

/* One line per finding (or one saying all holds) for gv_outcome_fprintf; a
 * negative value if writing failed. */
int gv_contract_fprintf(FILE *stream, const gv_contract *c);

#endif
