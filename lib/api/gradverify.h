/* gradverify.h: check a GSL user's derivatives against finite differences.
 *
 * Given the gsl_multimin_function_fdf you would hand to a minimizer, or the
 * gsl_multifit_nlinear_fdf you would hand to a least-squares solver, and a
 * point x, gv_check_gradient and gv_check_jacobian compare every analytic
 * derivative df/dx_j (or every Jacobian entry J(i, j) = df_i/dx_j) with a
 * numeric derivative of f, and record the comparison in a gv_outcome:
 *
 *   gsl_set_error_handler_off();
 *   gv_outcome *out = gv_outcome_alloc();
 *   int status = gv_check_gradient(&fdf, x, NULL, out);   // NULL: default options
 *   if (status == GSL_SUCCESS && gv_outcome_verdict(out) == GV_FAIL)
 *     gv_outcome_fprintf(stderr, out);                    // names the wrong entries
 *   gv_outcome_free(out);
 *
 * How an entry is judged. The numeric value comes with an estimate e of its
 * own error. An entry passes iff
 *
 *   |analytic - numeric| <= atol_eff + rtol max(|analytic|, |numeric|) + kerr e
 *
 * where atol_eff = atol + atol_scale S is an absolute floor for entries near
 * zero, S being the scale of the problem: the largest |numeric| entry of the
 * gradient (of the Jacobian's row, for a Jacobian), or for a direction v the
 * sum of |analytic_j v_j| (the size of the terms of the dot product). The
 * floor is thus scale-free: multiplying f by 1e8 or 1e-8 changes no verdict.
 * Each entry records which of the three terms was largest (gv_entry.decided).
 *
 * Default: Ridders' extrapolation with the error-bar tolerance
 * (GV_METHOD_RIDDERS, rtol 0, kerr 10, atol 0, atol_scale 1e-10): Ridders'
 * error estimates are honest, so kerr e tracks what the numeric side can
 * resolve and nobody tunes rtol; the floor 1e-10 S covers entries whose
 * estimate is exact by luck. What it achieves (no false failure over scales
 * 1e-8..1e8 of values and 1e-6..1e6 of inputs; one entry off by 1e-6 max|g|
 * caught in 99.98% of trials) and why kerr is 10: checks/bench/README.md,
 * with the commands that measure it.
 *
 * Functions flat to the last bit (a saturated softmax, exp(-b t) at large
 * b t): where f did not move at any step the engine took (numeric exactly 0)
 * and the analytic value is not 0, the step grows tenfold until f moves, up to
 * the variable's own scale max(1, |x_j|) (1 for a direction's t), and where
 * nothing in the row moves by then, up to 1e4 times that (gv_flat.h). The
 * entry is then judged against 0 with the resolution reached as its error bar:
 * f's quantum (the smallest change it showed at the edge of its flat region,
 * found by bisection, at least an ulp of f(x); the largest quantum of its row
 * where it never moved) over the longest step where it did not move. A right
 * 1e-56 passes where f cannot see it, and a wrong 1e-6 fails where f moves at
 * all (BoxBOD at (1000, 7.5): resolution 1.8e-7 at step 4.5e-5 before, 8.1e-14
 * at step 2.15 after). Cost: about 2 (31 + log10(scale / h)) evaluations per
 * flat entry, none elsewhere. The default allows for no rounding of the
 * analytic side beyond kerr times that resolution and the floor atol_scale S;
 * where a derivative is computed from terms much larger than itself (p - y
 * with p ~ 1, a gradient summed from cancelling terms) its rounding is not
 * knowable from f, and opts.atol, an absolute floor in the derivative's units,
 * is what to set to a few ulps of those terms.
 *
 * How Ridders is used. A central difference comes first (3 evaluations per
 * variable, at +-h and +h/2, f(x) shared), with an error bar from the third
 * divided difference of f(x - h), f(x), f(x + h/2), f(x + h): twice the
 * truncation h^2 f'''/6 it shows, plus round-off (gv_fd_third_from_values in
 * gv_fd.h; a kink inside the step shows there as a large third difference).
 * Adaptive escalation: a variable (a column, for a Jacobian) whose every
 * entry passes on this first estimate, smooth, agrees within one error bar
 * (the verdict allows ten: a right entry rarely strays beyond one honest
 * error bar, and a wrong one must not), and whose agreement can tell an
 * error of ten floors (1e-9 S at atol_scale 1e-10) from none (atol_eff + e
 * below 10 atol_eff) is decided there. Where only the last fails (the error
 * bar, mostly f's round-off at that step, is too coarse for the resolution
 * the defaults promise), a finer estimate comes next: Richardson's
 * extrapolation of central differences at 16, 32 and 64 times the step (6
 * evaluations, gv_fd_fourth_from_values; its round-off a tenth of the
 * first's), judged the same way, with an error that covers the first
 * estimate too where the two disagree; it only ever settles a variable.
 * Every other variable (an entry failing, a kink, an error bar too large
 * for that resolution) is escalated to what follows:
 * f(x - h/2) completes the four-point stencil of gv_fd.h (central error bar
 * from |D(h) - D(h/2)|, one-sided estimates for kinks), and a failure is
 * always Ridders' verdict; after Ridders' values rescale the
 * floors, settled variables are tested again against the new S. Escalated
 * entries find a step that resolves f: each entry is re-estimated at
 * steps 10, 100, ... 10^4 times smaller until two steps 10 apart agree
 * within their error bars, each below 1e-3 of the entry (or of 1e-3 S).
 * Ridders' probe then starts at 0.05 of the length scale those estimates
 * show (and at most 10 times their step, 0.1 of the variable's scale) and
 * adapts up or down (gv_ridders.h). Where Ridders and central agree within
 * twice the sum of their estimates, Ridders' value and estimate decide
 * (where Ridders' noise probe saw no noise at all, as it can miss the
 * rounding of an f that moves in steps, its estimate is at least a
 * central error bar e_c at the rule's step h_c carried to Ridders' step as
 * noise, e_c h_c / h_r); where they do not (one of them did not resolve f), Ridders' value is kept
 * with the error |ridders - central| + max(e_ridders, e_central), which
 * covers either. The noise Ridders measures is pooled per row (it is f's,
 * not the variable's): no entry's error falls below 2.1 sigma_row / h, h
 * the step of the estimate that decided it (Ridders' first step; else the
 * rule's, 16 times it for the finer estimate), whichever round decided
 * it. Where no variable of a row reached Ridders, no noise was measured:
 * the first and finer estimates' bars rest on their own differences and
 * on 8 ulps of f.
 *
 * Central mode (GV_METHOD_CENTRAL, set with gv_options_central): central
 * differences with the step rule below and re-estimation (opts->refine) of
 * each entry whose error bar sways its verdict (kerr e above a tenth of the
 * tolerance, unless the entry agrees within that tenth) at steps 10 to 10^4
 * times smaller, the estimate with the smallest error bar deciding (smooth
 * ones first); rtol 1e-5, kerr 2, atol_scale 1e-8.
 *
 * Cost, in evaluations of f for n variables (df is called once): by
 * default 3n + 1 when every variable settles on its first estimate, 6 more
 * per variable the finer estimate settles (3.2 to 4.2 per variable on
 * smooth functions whose length scale the step rule fits, 5.9 at most,
 * checks/bench/bench_api.c), about 30 to 40 more per escalated
 * variable (functions of inputs near 1e-6 or 1e6 + x: ~35 per variable), at
 * most 76n + 1; central, 4n + 1, at most 20n + 1 with re-estimation; each
 * flat entry (see above) adds its search to these bounds. Memory: O(n) doubles for a
 * gradient, O(n p) for an n-by-p Jacobian (the outcome holds every entry).
 *
 * Kinks. Where f is not differentiable in x_j (ReLU or |x| at 0, max with a
 * tie), the left and right one-sided derivatives disagree beyond their error
 * bars (the tolerance with each bar counted kerr times, at least once: a
 * kerr below 1 does not make a smooth entry a kink). Such an entry is marked
 * non-smooth; it passes iff the analytic value lies between the left and
 * right derivatives, within the same tolerance (any subgradient-like choice
 * passes, a value outside the interval fails). Not seen: a kink near x_j but
 * not at it, closer than the steps taken (about 1e-5 max(1, |x_j|)), whose
 * slope jump is below what the one-sided estimates resolve there (about 1e-3
 * of the slope): the numeric value blends the two slopes, off by up to half
 * the jump, and a right gradient can fail (checks/bench/bench_small_kink.c).
 *
 * Directional mode (opts->directions = k > 0): instead of every entry, k random
 * directions v (entries +-s_j, s_j the step scale of x_j, see gv_step_rule) are
 * checked: the analytic grad f . v against the derivative of t -> f(x + t v),
 * and for a Jacobian J v against that of t -> F(x + t v), component by
 * component, and u^T J v for a random u. The cost is that of k variables
 * (4k + 1 evaluations of f with GV_METHOD_CENTRAL, at most 76k + 1 by
 * default), whatever the size of x; a wrong entry shows in every direction, but the
 * tolerance then scales with the whole dot product, so small errors in small
 * entries can hide. The default is the full check. The directions are not
 * stored: direction j's signs are regenerated from its own seed (drawn from
 * opts->seed) when its evaluations start, so memory is O(n + k) for a
 * gradient whatever k (plus the n-by-p Jacobian df fills, and about 2n doubles per
 * thread); each evaluation adds one pass x + t v over x, about as costly as
 * copying x (measured with a plain-C network whose f costs 0.7-0.9 ns per
 * variable: 0.30-0.34 of f's time, a memcpy of x 0.25-0.29; a small share
 * for an f of several ns per variable; checks/bench/README.md).
 *
 * Errors. The checks return GSL_SUCCESS when the check ran, whatever its
 * verdict, and otherwise a GSL error code, leaving out empty:
 *   GSL_EFAULT   fdf, x or out is NULL;
 *   GSL_EINVAL   a callback gv needs is NULL (f, df), opts holds an invalid value
 *                (method GV_METHOD_CSTEP included), or a GV_STEP_FIXED step too
 *                short to move some x_j (x_j + step / 2 == x_j);
 *   GSL_EBADLEN  x->size differs from fdf->n (gradient) or fdf->p (Jacobian), or it is 0;
 *   GSL_EBADFUNC x holds a non-finite value, or f returned one at x or at a
 *                perturbed point (at the longer steps that the finer
 *                estimate, 16 to 64 rule steps out, and Ridders' probe try,
 *                a non-finite value is read as the end of f's domain
 *                there: shorter steps follow);
 *   GSL_ENOMEM   no memory;
 *   any non-zero status returned by the user's nlinear f or df, unchanged,
 *   at whatever step the check met it.
 * opts is checked before x: an invalid option is GSL_EINVAL whatever x holds.
 * A non-finite analytic value is not an error: that entry fails (the check is
 * there to find such things). The checks never abort and never print; they
 * call the user's callbacks as they are, and never call or change the GSL
 * error handler (they allocate with malloc, not GSL's allocators).
 *
 * Threads. Every function here may run concurrently with any other on
 * different outcomes: the library keeps no global state. Independent checks
 * may run in parallel threads if the user's callbacks allow it; one outcome
 * must not be used by two threads at once.
 *
 * opts->threads = T > 1 evaluates the variables (columns; directions in
 * directional mode) of one gradient or Jacobian check on T threads (pthreads
 * created for the check and joined before it returns; at most one per
 * column; 0 and 1 create none). Only for an f that is reentrant: f is then
 * called from T threads at once, each call with its own copy of x (never the
 * caller's x, never another thread's), with the same params, which f must
 * only read (no scratch buffers in params: give each call its own, on the
 * stack or allocated). df, fdf and the contract's calls stay on the calling
 * thread. Every number and verdict in the outcome is the same for any T:
 * each column is computed from x, f and its own entries alone, whichever
 * thread does it and whenever; what combines columns (the row's scale,
 * pooled noise, escalation rounds, flat entries) is computed on the calling
 * thread between parallel parts. Columns are handed out one at a time from
 * an atomic counter, with no lock, so the work scales with the cores while
 * a column costs far more than that (4 to 70 evaluations of f). gv_check_fvv,
 * gv_check_layer and gv_check_layer_jacobian run on one thread whatever T
 * (their functions write shared buffers). An error status is that of the
 * first failing column in column order, as with one thread. Cost: the same
 * evaluations as one thread, spread over T; each thread beyond the first
 * holds its copy of x, of a direction (directional mode) and O(m) scratch
 * for m outputs. A thread that cannot be created is no error: the others
 * do its share.
 *
 * Sampled mode (opts->entries = m > 0, or opts->nnamed > 0). For a large n
 * where every variable costs too much: the check compares the nnamed
 * variables named (indices into x: those you suspect, or must vouch for) and
 * m more drawn without replacement from the others with a gsl_rng (mt19937)
 * seeded with opts->seed (gsl_ran_choose): the same seed and sizes give the
 * same variables. Cost: that of the full check of m + nnamed variables
 * (4 to 70 evaluations of f each), whatever n; choosing the sample takes O(n)
 * time and memory and no evaluation. The outcome has one column per checked
 * variable in increasing order, each entry's col the variable's index in x,
 * and S (the floor's scale) the largest |numeric| over them. What a pass
 * means: the checked variables are right; an unchecked one may be wrong. An
 * error confined to w unnamed variables is missed with probability
 * C(N - w, m) / C(N, m) <= (1 - w / n)^m (N the unnamed variables), so one
 * wrong variable with 1 - m / N, and 1% of them with at most 0.99^m (0.37
 * at m = 100, 4e-5 at m = 1000): gv_outcome_miss_probability gives it and
 * gv_outcome_fprintf prints it. The probability is over the draw, not over
 * where errors are: it holds for any placement of the wrong variables that
 * does not depend on the seed. With m + nnamed >= n every variable is
 * checked (a full check). GSL_EINVAL for a named index >= n, named NULL
 * with nnamed > 0, or sampled together with directional mode.
 *
 * Ownership. x, fdf and opts are read only; x is copied, never perturbed. The
 * outcome belongs to the caller, who may reuse it for any number of checks of
 * any sizes: each check overwrites it.
 *
 * Layout. Numerator layout throughout, as GSL's Jacobians: rows are outputs,
 * columns are variables. A Jacobian is n-by-p, entry (i, j) = df_i/dx_j for n
 * residuals and p parameters; a gradient is 1-by-n, entry (0, j) = df/dx_j.
 * In directional mode column k is direction k: entry (i, k) is component i of
 * J v_k (row 0 for a gradient), and for a Jacobian row n holds u^T J v_k. */
#ifndef GRADVERIFY_H
#define GRADVERIFY_H

#include <stddef.h>
#include <stdio.h>

#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_multimin.h>

#include "gradverify_vocab.h"
#include "gv_layer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { GV_PASS = 0, GV_FAIL = 1 } gv_verdict;

/* How the step h_j for entry x_j is chosen, with c = cbrt(DBL_EPSILON) ~ 6.06e-6,
 * the step that balances truncation against round-off for a central difference. */
typedef enum {
  GV_STEP_SCALED = 0, /* h = c max(1, |x_j|): the default, as gv_fd_step */
  GV_STEP_RELATIVE,   /* h = c |x_j| (c where x_j is 0 or subnormal), as GSL's own Jacobians */
  GV_STEP_FIXED       /* h = opts->step for every entry */
} gv_step_rule;

/* Options: fill with gv_options_init, then change what you need. Passing NULL
 * instead of options means the defaults. */
typedef struct gv_options gv_options;
struct gv_options {
  double rtol;            /* relative tolerance; default 0 (1e-5 for central) */
  double kerr;            /* multiple of the error bar allowed; default 10 (2 for central) */
  double atol;            /* absolute floor, in the units of the derivative; default 0 */
  double atol_scale;      /* floor relative to the problem's scale S; default 1e-10 (1e-8) */
  gv_method method;       /* RIDDERS (default) or CENTRAL */
  gv_step_rule step_rule; /* central differences' step; default GV_STEP_SCALED */
  double step;            /* the step of GV_STEP_FIXED (> 0); default 1e-5 */
  int refine;             /* re-estimate doubtful entries at smaller steps; default 1 */
  size_t directions;      /* 0: check every entry (default); k > 0: k random directions */
  unsigned long seed;     /* seed of the gsl_rng (mt19937) drawing directions or a sample; 1 */
  size_t threads;         /* workers evaluating variables in parallel; default 1 (see Threads) */
  size_t entries;         /* 0: every variable (default); m > 0: m drawn at random (Sampled) */
  const size_t *named;    /* variables always checked in sampled mode (indices into x), or NULL */
  size_t nnamed;          /* how many indices named holds; default 0 */
};

/* Sets every field of *opts to its default. */
void gv_options_init(gv_options *opts);

/* The defaults of the previous mode: central differences alone, rtol 1e-5,
 * kerr 2, atol_scale 1e-8; every other field as gv_options_init. */
void gv_options_central(gv_options *opts);

/* One compared entry. */
typedef struct {
  size_t row, col;    /* see Layout above */
  double analytic;    /* the user's derivative */
  double numeric;     /* the numeric derivative (Ridders' or the central difference) */
  double error_bar;   /* the estimate of numeric's error */
  double abs_err;     /* |analytic - numeric| (against the nearest one-sided value if non-smooth) */
  double rel_err;     /* abs_err / max(|analytic|, |numeric|), 0 when both are 0 */
  double bound;       /* what abs_err had to stay within */
  double left, right; /* one-sided derivatives (left from below, right from above); both the
                         central value where the first 3-point estimate decided (Ridders mode) */
  double step;        /* the step of the central estimate that decided (its first step, Ridders) */
  gv_decided decided; /* the largest term of bound */
  int smooth;         /* 0 when left and right disagree: a kink */
  int passed;         /* 1 if the entry passed */
} gv_entry;

/* The result of a check. Opaque; reusable across calls of any size. */
typedef struct gv_outcome gv_outcome;

/* A new, empty outcome (size 0, verdict GV_PASS); NULL if out of memory. */
gv_outcome *gv_outcome_alloc(void);

/* Frees out and everything it holds. NULL is a no-op. */
void gv_outcome_free(gv_outcome *out);

/* Checks fdf->df against numeric derivatives of fdf->f at x (size fdf->n).
 * fdf->fdf may be NULL; when set, it must agree with f and df (see the
 * contract below). See Errors above for the return value. */
int gv_check_gradient(const gsl_multimin_function_fdf *fdf, const gsl_vector *x,
                      const gv_options *opts, gv_outcome *out);

/* Checks fdf->df (an n-by-p Jacobian) against numeric derivatives of fdf->f at
 * x (size fdf->p). A NULL df, which GSL reads as "use finite differences", is
 * GSL_EINVAL here. fdf->fvv is not used. */
int gv_check_jacobian(const gsl_multifit_nlinear_fdf *fdf, const gsl_vector *x,
                      const gv_options *opts, gv_outcome *out);

/* Checks fdf->fvv, the second directional derivative
 *   fvv(x, v)_i = sum_jk v_j v_k d^2 f_i / dx_j dx_k
 * that geodesic acceleration (gsl_multifit_nlinear_trs_lmaccel) uses, at x
 * (size fdf->p) along v (size fdf->p), or with v NULL along random directions
 * drawn from opts->seed, opts->directions of them (3 when 0; entries
 * +-(1 + U(0, 1)) max(1, |x_j|)). The outcome is n-by-k: entry (i, c) is
 * component i of fvv along direction c (k = 1 for a given v).
 * The numeric side is the derivative at 0 of tau -> J(x + tau v) v, the
 * user's df along the line, by the engine above (Ridders with its error bar,
 * the same tolerance rule, each component judged as a Jacobian entry of a
 * function of one variable, S = its own |numeric|): a first derivative of J v
 * keeps ~1e-13 relative accuracy where a second difference of f, which
 * divides f's rounding by h^2, resolves ~1e-8 at best. So the numeric fvv is
 * as right as df is: check df first (gv_check_jacobian); a wrong df makes a
 * right fvv fail. Cost: 30 to 40, at most 70, evaluations of df per
 * direction, counted by gv_outcome_nevals; f is not called. Errors as above;
 * GSL_EINVAL also when fdf->fvv is NULL, GSL_EBADLEN when v->size != x->size;
 * a non-zero status of the user's df or fvv is returned unchanged. */
int gv_check_fvv(const gsl_multifit_nlinear_fdf *fdf, const gsl_vector *x, const gsl_vector *v,
                 const gv_options *opts, gv_outcome *out);

/* The rest of the contract a solver relies on, checked by gv_check_gradient
 * and gv_check_jacobian before the derivatives (a few calls, not counted by
 * gv_outcome_nevals: gradient, one f, two df and one fdf; Jacobian, one f
 * and two df), each call on its own copy of x:
 * - fdf agrees with f and df (gradient, when fdf->fdf is set): minimizers call
 *   fdf most of the time, so its f and gradient must be those of f and df to
 *   rounding: |f_fdf - f| <= GV_CONTRACT_RTOL max(|f_fdf|, |f|) (a
 *   non-finite f_fdf beside the finite f fails), and each
 *   |g_fdf_j - g_j| <= GV_CONTRACT_RTOL max_k |g_k| (the gradient's scale);
 * - df repeats: two calls give the same values bit for bit (the first into
 *   NaNs, the second into zeros, so that an entry df leaves unset differs too);
 * - no callback writes to its x.
 * A finding fails the check (gv_outcome_verdict), gv_outcome_fprintf shows it
 * with its numbers, and gv_outcome_contract gives it. */
#define GV_CONTRACT_RTOL 1e-12

/* Which callbacks wrote to x (bits). */
typedef enum { GV_CALLBACK_F = 1, GV_CALLBACK_DF = 2, GV_CALLBACK_FDF = 4 } gv_callback;

typedef struct {
  int fdf_called;             /* 1 when fdf->fdf was set and compared (gradient only) */
  double fdf_f_err;           /* |f_fdf - f| */
  double fdf_f_allowed;       /* its bound */
  double fdf_g_err;           /* max_j |g_fdf_j - g_j| (inf when only one is NaN) */
  double fdf_g_allowed;       /* its bound */
  size_t fdf_g_col;           /* the j of fdf_g_err */
  size_t df_ndiffer;          /* entries whose two df calls differ */
  size_t df_row, df_col;      /* the first of them */
  double df_first, df_second; /* its two values */
  unsigned x_written;         /* gv_callback bits: callbacks that modified x */
  int passed;                 /* 1 iff fdf agrees, df repeats and no callback wrote x */
} gv_contract;

/* Copies the contract findings of the last check into *c. GSL_EFAULT for a
 * NULL argument, GSL_EDOM when out holds no check (empty, or an fvv check). */
int gv_outcome_contract(const gv_outcome *out, gv_contract *c);

/* GV_PASS iff no entry failed and the contract holds (an empty or NULL
 * outcome passes). */
gv_verdict gv_outcome_verdict(const gv_outcome *out);

/* Number of entries compared, rows times columns: n (gradient), n p
 * (Jacobian), k (directional gradient), (n + 1) k (directional Jacobian). 0 for NULL. */
size_t gv_outcome_size(const gv_outcome *out);

/* The rows and columns of the compared matrix (see Layout); 0 for NULL. */
size_t gv_outcome_rows(const gv_outcome *out);
size_t gv_outcome_cols(const gv_outcome *out);

/* Number of failing entries, non-finite ones included. */
size_t gv_outcome_nfail(const gv_outcome *out);

/* Number of entries found non-smooth (kinks), passed or not. */
size_t gv_outcome_nnonsmooth(const gv_outcome *out);

/* Number of evaluations of the user's f made by the check (df is called once). */
size_t gv_outcome_nevals(const gv_outcome *out);

/* What a pass does not rule out: the probability that the check missed every
 * wrong variable when a fraction q (0 <= q <= 1) of the n variables of x are
 * wrong (ceil(q n) of them, at least 1, none of them named). 0 after a full
 * check (every variable compared); after a sampled one, over the draw, the
 * hypergeometric C(N - w, m) / C(N, m) for w wrong variables, m drawn and
 * N = n - named unnamed ones (0 when w > N - m), which is at most
 * (1 - q)^m. NaN for q outside [0, 1], a NULL or empty outcome, and outcomes
 * of directions (directional mode, gv_check_fvv), whose guarantee is not
 * per variable. */
double gv_outcome_miss_probability(const gv_outcome *out, double q);

/* The largest relative error over smooth, finite entries. */
double gv_outcome_max_rel_err(const gv_outcome *out);

/* Copies entry k (0 <= k < size, row-major over rows and columns) into *entry.
 * GSL_EFAULT if out or entry is NULL, GSL_EDOM if k is out of range. */
int gv_outcome_entry(const gv_outcome *out, size_t k, gv_entry *entry);

/* Copies the worst entry, the one with the largest abs_err / bound (a
 * non-finite entry counts as infinitely bad; the first of equals wins), into
 * *entry. GSL_EFAULT if out or entry is NULL, GSL_EDOM if out is empty. */
int gv_outcome_worst(const gv_outcome *out, gv_entry *entry);

/* The tolerances the check used: rtol, kerr, and the largest absolute floor
 * atol_eff over the entries. Any pointer may be NULL. */
void gv_outcome_tolerances(const gv_outcome *out, double *atol_eff, double *rtol, double *kerr);

/* Prints a short summary to stream: the verdict and counts, for a sampled
 * check which variables were checked and the probability of missing 1, 0.1%,
 * 1% and 10% of wrong variables (gv_outcome_miss_probability), then the
 * failing entries by (row, column) (the first 10), the non-smooth ones (the
 * first 10), the worst entry, each with the term that decided its bound, and
 * the method and tolerances; for an empty outcome (no check ran on it, or
 * the check returned an error) one line that says so. Returns GSL_SUCCESS,
 * GSL_EFAULT for a NULL argument, or
 * GSL_EFAILED if writing failed: the stream is flushed, and one whose error
 * flag is set (ferror) fails. */
int gv_outcome_fprintf(FILE *stream, const gv_outcome *out);

/* The Taylor test, a second opinion that needs no tolerance: along a random
 * unit direction v (drawn from opts->seed), the remainder
 *   r(eps) = |f(x + eps v) - f(x) - eps df(x).v|
 * falls like eps^2 when df is right and like eps when it is wrong. The slope of
 * log r against log eps is fitted over the smallest steps where r stands
 * clear of rounding; the test passes at a slope of at least 1.8. A df whose
 * value along v is not finite (a NaN or an infinity) fails (GV_TAYLOR_FAIL).
 * Runs the Taylor test of fdf->df at x (size fdf->n) over GV_TAYLOR_POINTS
 * steps from eps_0 = 1/16 of max(1, |x|_inf) into *out (gv_taylor_result,
 * gradverify_vocab.h) (opts: only seed is used; NULL for the default). fscale, if
 * positive, is the largest magnitude f computes on its way (say the largest
 * logit of a softmax): it keeps rounding in cancelling sums from looking like
 * a first-order error; 0 when unknown. x is not modified. Returns
 * GSL_SUCCESS, GSL_EFAULT for a NULL argument, GSL_EINVAL for a missing f or
 * df or an fscale negative or not finite, GSL_EBADLEN for a size mismatch,
 * GSL_EBADFUNC when x or f is not finite, GSL_ENOMEM. */
int gv_check_taylor(const gsl_multimin_function_fdf *fdf, const gsl_vector *x,
                    const gv_options *opts, double fscale, gv_taylor_result *out);

/* Layers (gv_layer.h). gv_check_layer checks layer->backward for input k
 * (differentiable) at the inputs in[] (layer->n_inputs matrices, read only)
 * as the gradient of L = <G, forward(in)>, with input k the variable: the
 * outcome is shaped like in[k], entry (i, j) = dL/d in[k](i, j) (in
 * directional mode, as gv_check_gradient's). G has the output's shape; NULL
 * draws it with N(0, 1) entries from opts->seed. opts as gv_check_gradient
 * (NULL: the defaults). Cost: that of gv_check_gradient with n the size of
 * in[k], each evaluation one forward; backward is called once.
 *
 * gv_check_layer_jacobian checks the full Jacobian of input k: backward with
 * dout = e_i for every output entry i (m backward calls, m the output's size)
 * against the numeric Jacobian of forward, through gv_check_jacobian. The
 * outcome is m-by-n, entry (i, j) = d out_i / d in[k]_j with i and j the
 * row-major positions in the output and in input k. For small sizes: the
 * numeric side costs 4 n + 1 to 76 n + 1 forwards.
 *
 * Errors, besides gv_check_gradient's (a forward or backward status is
 * returned unchanged): GSL_EFAULT for a NULL layer, in, in[j] or out;
 * GSL_EINVAL for a missing forward or backward, n_inputs 0 or above
 * GV_LAYER_MAX_INPUTS, k out of range or not differentiable; GSL_EBADLEN
 * when G is not shaped like the output or the output is empty. */
int gv_check_layer(const gv_layer *layer, const gsl_matrix *const in[], size_t k,
                   const gsl_matrix *G, const gv_options *opts, gv_outcome *out);
int gv_check_layer_jacobian(const gv_layer *layer, const gsl_matrix *const in[], size_t k,
                            const gv_options *opts, gv_outcome *out);

#ifdef __cplusplus
}
#endif

#endif
