/* gv_explain.h: worked examples, for learners. For one formula of the
 * catalogue (gv_formula.h), runs the formula's own trial once, as the driver
 * does (same draws, central differences with the harness's step rule), with
 * every size 3 (vectors; the network D = H = K = 3), and prints the formula
 * and why it holds, the inputs the trial shows (gv_trial_show), the analytic
 * and numeric sides side by side with the error bars, the per-entry errors
 * against the default tolerance (gv_compare.h) and the verdict. The same id
 * and seed print the same text. Output is UTF-8. Cost: one trial. */
#ifndef GV_EXPLAIN_H
#define GV_EXPLAIN_H

#include <stdio.h>

#include "gv_formula.h"

/* Prints one line per formula: its id, then its formula. Returns
 * GSL_SUCCESS, or GSL_EFAILED if writing to out failed. */
int gv_explain_list(FILE *out);

/* Prints the worked example for formula id of the seed's catalogue
 * (gv_formula_list; a layer's id is gv_explain_layer's), its trial drawing
 * from an MT19937 generator seeded with seed. Returns GSL_SUCCESS when the
 * example was printed, whatever its verdict (a FAIL line says the formula
 * failed); GSL_EINVAL for an unknown id, having printed nothing; GSL_ENOMEM;
 * GSL_EFAILED if writing to out failed; or the status of the trial when it
 * could not be completed (as in the driver). */
int gv_explain_print(FILE *out, const char *id, unsigned long seed);

/* The worked example of a layer's gradient f (f->layer set, gv_suite.h): one
 * draw of the layer's sampler from seed, backward's gradient beside the
 * central difference of L = <G, forward>, each entry (the 24 worst when there
 * are more) with its error bar, bound and verdict. GSL_EINVAL when f is not a
 * layer's; otherwise as gv_explain_print. */
int gv_explain_layer(FILE *out, const gv_formula *f, unsigned long seed);

#endif
