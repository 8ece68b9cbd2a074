/* gv_driver.h: the randomized driver. Runs every selected formula over many
 * seeded random trials, then every negative control of those formulas on the
 * same inputs, and gathers the results for the report writers.
 *
 * Reproducibility: each formula draws from its own gsl_rng (MT19937) seeded
 * from the run's seed and the formula's id, so a formula's numbers do not
 * depend on which other formulas run, and a control sees exactly the inputs
 * of the formula it imitates. */
#ifndef GV_DRIVER_H
#define GV_DRIVER_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>

#include "gv_compare.h"
#include "gv_formula.h"
#include "gv_suite.h"

#define GV_DRIVER_DEFAULT_SEED 20240515UL
#define GV_DRIVER_DEFAULT_TRIALS 200
/* Trial counts adapt per layer formula, by work, never by time (the same
 * seed gives the same trials): a layer formula stops once it has run
 * GV_DRIVER_MIN_TRIALS trials and compared GV_DRIVER_ENTRY_BUDGET entries per
 * trial asked for. Formulas averaging fewer entries per trial (most layers,
 * and every seed formula, which never stops early) run every trial; conv2d.dX,
 * lstm_step.dWx and dWh, maxpool and avgpool (100 to 150 entries per trial,
 * their real-size draws costing the most) run about half. A control runs its
 * formula's draws and stops where it does. */
#define GV_DRIVER_MIN_TRIALS 50
#define GV_DRIVER_ENTRY_BUDGET 50

typedef struct {
  unsigned long seed;
  size_t trials; /* per formula and per control (layer formulas may stop
                    earlier: GV_DRIVER_ENTRY_BUDGET); at least 1 */
  gv_tol tol;
  const gv_suite *suite; /* what to run; NULL: the seed's formulas and the
                           catalogue (gv_suite_alloc_default) */
  const char **only;     /* ids or layer names to run; NULL runs all */
  size_t n_only;
  gv_method method;   /* how the numeric side is computed (default central) */
  int taylor;         /* run the Taylor test in every trial (default 1) */
  double corrupt;     /* relative corruption of each trial's largest analytic
                         entry (0: none); for measuring what the check catches */
  size_t net_size[3]; /* D, H, K of the network formulas (gradverify --size);
                         0, 0, 0 draws them per trial (default) */
} gv_driver_options;

/* The Taylor test over a formula's trials (gv_taylor.h). */
typedef struct {
  size_t pass, exact, fail;    /* trials by verdict */
  double min_slope, max_slope; /* over trials with a fitted slope; NaN if none */
} gv_taylor_stats;

/* The trials of one regime a sampler names (gv_layer_draw.regime): how many,
 * how many failed, and their comparison (max_rel over resolved entries,
 * the worst entry). At most GV_DRIVER_MAX_REGIMES per formula, in the order
 * first drawn; trials of further regimes or of none are not listed. */
#define GV_DRIVER_MAX_REGIMES 12
typedef struct {
  const char *name; /* the sampler's static string */
  size_t trials, failed_trials;
  gv_cmp cmp;
} gv_regime_result;

typedef struct {
  const gv_formula *formula;
  gv_method method; /* how the numeric side was computed */
  gv_taylor_stats taylor;
  size_t trials;
  size_t failed_trials;
  size_t corrupted_trials; /* with gv_driver_options.corrupt: trials corrupted */
  size_t redraws;
  double step_min, step_max; /* central differences: the steps chosen per entry, relative
                                to max(1, |x|) (gv_trial.h); NaN for other methods */
  size_t min_entries, max_entries;
  size_t not_drawn; /* trials where the variable was a placeholder: nothing compared */
  size_t n_regimes;
  gv_regime_result regimes[GV_DRIVER_MAX_REGIMES];
  gv_cmp cmp;
  gsl_matrix *heat;  /* error / bound per entry of the first failing trial, or NULL */
  size_t heat_trial; /* that trial */
  int pass;          /* drawn in some trial, and no entry failed */
} gv_formula_result;

/* A formula's verdict. Not drawn: its variable was a placeholder in every
 * trial (an mlp layer deeper than every depth drawn), so nothing was checked:
 * neither a pass (no vacuous pass) nor a failure (the run's verdict and exit
 * code ignore it, unless no formula of the run was drawn at all: a run that
 * checked nothing does not pass); the reports say so and count it apart. */
typedef enum { GV_FORMULA_PASS, GV_FORMULA_FAIL, GV_FORMULA_NOT_DRAWN } gv_formula_status;
gv_formula_status gv_formula_verdict(const gv_formula_result *fr);
/* "pass", "fail", "not drawn". */
const char *gv_formula_status_name(gv_formula_status v);

typedef struct {
  const gv_control *control;
  gv_taylor_stats taylor;
  size_t trials;
  size_t caught_trials; /* trials in which at least one entry failed */
  gv_cmp cmp;
  gsl_matrix *heat;  /* error / bound per entry of the first catching trial */
  size_t heat_trial; /* that trial */
  int caught;
} gv_control_result;

typedef struct {
  unsigned long seed;
  size_t trials;
  gv_tol tol;
  gv_method method;
  int taylor;
  size_t net_size[3]; /* as gv_driver_options: 0, 0, 0 when drawn */
  size_t n_formulas, n_controls;
  gv_formula_result *formulas;
  gv_control_result *controls;
  int pass;              /* every formula passed or was not drawn, at least one
                            was drawn, every control caught */
  gv_suite *owned_suite; /* the default suite when options named none */
} gv_run;

/* The Taylor test in brief, into buf: "slope 1.98-2.01", then ", N exact" and
 * ", N fail" when there are any, or "-" when it did not run. Returns buf. */
const char *gv_taylor_stats_str(const gv_taylor_stats *t, char *buf, size_t size);

/* The default tolerance for a method. Central differences and Ridders:
 * atol GV_TOL_DEFAULT_ATOL, rtol GV_TOL_DEFAULT_RTOL, kerr GV_TOL_DEFAULT_KERR.
 * The complex step, exact to rounding: the error-bar tolerance, atol
 * GV_TOL_ERRBAR_ATOL, rtol 0, kerr GV_TOL_DEFAULT_KERR, so that nobody tunes
 * rtol: its error bar alone (16 ulps of the derivative's scale) decides. */
#define GV_TOL_ERRBAR_ATOL 1e-10
void gv_driver_default_tol(gv_method m, gv_tol *tol);

/* Fills o with the defaults: the default seed and trials, GV_TOL_DEFAULT_*, all ids. */
void gv_driver_options_init(gv_driver_options *o);

/* The seed of the generator for formula `id` under run seed `seed`. */
unsigned long gv_driver_formula_seed(unsigned long seed, const char *id);

/* Runs the driver. On success run holds arrays the caller releases with
 * gv_run_free. Errors: GSL_EINVAL for zero trials, negative tolerances, an
 * unknown id in o->only or network sizes not all set (D, H >= 1, K >= 2)
 * (run is then empty), GSL_ENOMEM, or the status of a
 * trial that could not be completed. */
int gv_driver_run(const gv_driver_options *o, gv_run *run);

/* What the reports and the summary count: formulas that passed, formulas
 * not drawn (neither passed nor failed), controls caught, inputs redrawn at a
 * ReLU kink over all formulas, formulas that ran fewer trials than asked
 * (GV_DRIVER_ENTRY_BUDGET spent). */
typedef struct {
  size_t passed, not_drawn, caught, redraws, stopped_early;
} gv_run_totals;

gv_run_totals gv_run_count(const gv_run *run);

/* Releases the arrays of a run; safe on a zeroed or already freed run. */
void gv_run_free(gv_run *run);

#endif
