/* gv_formula.h: the catalogue of checked formulas and of planted mistakes.
 *
 * Each formula of the seed is a gv_formula: an id that scripts rely on, the
 * formula as the seed writes it, the one-line reason it holds, and a trial
 * function that draws random inputs, computes the analytic side (the right
 * formula, or one of the planted mistakes) and the numeric side (finite
 * differences of the function itself), and compares them.
 *
 * A negative control is a wrong version of one formula, the kind of mistake
 * students make. It runs through the same trial function, on the same random
 * inputs as the formula it imitates; a control that passes is a harness
 * failure. */
#ifndef GV_FORMULA_H
#define GV_FORMULA_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#include "gradverify_vocab.h"
#include "gv_compare.h"
#include "gv_layer.h"

/* Which analytic side a trial computes. */
typedef enum {
  GV_RIGHT = 0,
  GV_MISTAKE_SOFTMAX_SIGN,   /* p p^T - diag(p) */
  GV_MISTAKE_SOFTMAX_DIAG,   /* diag(p) */
  GV_MISTAKE_DELTA2_NOMASK,  /* V^T delta1 */
  GV_MISTAKE_B1_NOMASK,      /* dL/db1 = V^T delta1 */
  GV_MISTAKE_V_ORDER,        /* h delta1^T written into the K x H buffer */
  GV_MISTAKE_SOFT_LABELS,    /* p - y with 1^T y != 1 */
  GV_MISTAKE_XTAX_SYMMETRIC, /* 2 A x for a non-symmetric A */
  GV_MISTAKE_W_NOMASK,       /* dL/dW = (V^T delta1) x^T */
} gv_variant;

/* How the numeric side is computed: gv_method (gradverify_vocab.h); the
 * complex step falls back to Ridders where no complex implementation exists. */

/* "central", "ridders" or "cstep". */
const char *gv_method_name(gv_method m);
/* The method named s; GSL_EINVAL for an unknown name. */
int gv_method_parse(const char *s, gv_method *m);

#define GV_CORRUPT_MIN 1e-4

/* What one trial is told and reports besides the comparison. */
typedef struct {
  /* In: when non-zero, the analytic entry of largest magnitude is multiplied
   * by (1 + corrupt) before the comparison, to measure what the check catches;
   * only if that entry is at least GV_CORRUPT_MIN, since no tolerance with an
   * absolute floor can see a relative change in an entry near 0. */
  double corrupt;
  int corrupted; /* out: whether the corruption was applied */
  /* In: ask for the heat map of a failing trial. Out: when asked and some
   * entry failed, a matrix shaped like the derivative holding each entry's
   * |analytic - numeric| / bound (non-finite entries as +inf), owned by the
   * caller (gsl_matrix_free); NULL otherwise. */
  int want_heat;
  gsl_matrix *heat;
  gv_method method;          /* in: how to compute the numeric side */
  gv_method used;            /* out: how it was computed */
  gsl_rng *taylor;           /* in: when not NULL, run the Taylor test of the analytic
                                side along a direction drawn from this generator */
  double taylor_eps0;        /* in: the Taylor test's largest step, 0 for its default
                                (a trial whose function has a domain sets it) */
  double taylor_fscale;      /* in: the scale of the values the function computes
                                on its way, 0 for none (gv_taylor_options.fscale) */
  int taylor_verdict;        /* out: GV_TAYLOR_PASS, _FAIL or _EXACT, when run */
  double taylor_slope;       /* out: its fitted slope (NaN without a window) */
  double round_scale;        /* in: the absolute rounding of the values the analytic side
                                is computed from, in units of DBL_EPSILON; 0 when the
                                derivative's largest entry stands for it (softmax of logits
                                a: max |a|, p <= 1 carrying the rounding of a - max a) */
  size_t entries;            /* out: entries compared */
  size_t redraws;            /* out: inputs redrawn because a ReLU sat within a step of its kink */
  const char *regime;        /* out: the regime the sampler names (gv_layer_draw), or NULL */
  int not_drawn;             /* out: the variable is a placeholder in this draw (gv_layer_draw
                                .absent): nothing was compared */
  double step_min, step_max; /* in/out: the central steps chosen (gv_trial.h), relative to
                                max(1, |x|), folded in; start them NaN */
  size_t net_size[3];        /* in: D, H, K of the network formulas; 0, 0, 0 draws them */
  size_t size; /* in: the other formulas' vector sizes (gv_trial_size); 0 draws them */
  struct gv_trial_show *show; /* in: when not NULL, the trial copies its inputs and its pair
                                 there for a reader (gv_trial.h) */
  struct gv_trial_memo *memo; /* in: when not NULL, a trial that supports it takes its numeric
                                 side, network draw and Taylor direction from there if kept,
                                 and keeps them (gv_trial_memo.h) */
} gv_trial_info;

/* Draws one random instance from r, compares analytic against numeric into
 * cmp under tol. Returns GSL_SUCCESS or a GSL error code (no memory, or the
 * engine saw a non-finite value). */
typedef int (*gv_trial_fn)(gsl_rng *r, gv_variant variant, const gv_tol *tol, gv_cmp *cmp,
                           gv_trial_info *info);

typedef struct {
  const char *id;      /* fixed: scripts rely on it */
  const char *formula; /* as the seed writes it */
  const char *reason;  /* one line: why it holds */
  const char *draw;    /* the random inputs, in words */
  gv_trial_fn trial;   /* the seed's formulas; NULL for a layer's gradient */
  /* A layer's gradient (gv_suite.h): the gradient of input `input` of
   * `layer`, id "NAME.dINPUT", checked by gv_trial_layer. */
  const gv_layer *layer;
  size_t input;
  const char *group; /* the layer's name; NULL for the seed's formulas */
} gv_formula;

typedef struct {
  const char *id;
  const char *description;       /* the mistake, as a student would write it */
  const char *formula_id;        /* the formula it pretends to be */
  gv_variant variant;            /* the seed's mistakes */
  gv_layer_backward_fn backward; /* a layer's mistake: its wrong backward */
} gv_control;

/* f->draw as a report states it: for a network formula under fixed sizes
 * (net_size[0] non-zero, gradverify --size) the sizes D, H, K themselves in
 * place of their ranges, written into buf (truncated to size); f->draw
 * otherwise. Returns buf or f->draw. */
#define GV_DRAW_MAX 160
const char *gv_formula_draw(const gv_formula *f, const size_t net_size[3], char *buf, size_t size);

/* The catalogues, in report order; *count receives their lengths. */
const gv_formula *gv_formula_list(size_t *count);
const gv_control *gv_control_list(size_t *count);
/* The entry with this id, or NULL. */
const gv_formula *gv_formula_find(const char *id);

#endif
