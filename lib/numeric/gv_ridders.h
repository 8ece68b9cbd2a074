/* gv_ridders.h: Ridders' extrapolation of central differences.
 *
 * The same functions as the central-difference engine (gv_fd.h): a function
 * reads its variable through its params, and the engine perturbs one entry in
 * place and restores it bit for bit, also when an evaluation fails.
 *
 * Method, for one entry x0 = x_i:
 *
 * 0. f(x0), for the kink tests below; non-finite there is GSL_EBADFUNC at
 *    once (no step helps).
 * 1. Step probe. Starting from h = GV_RIDDERS_H0 max(1, |x0|), the engine
 *    evaluates f at x0 +- h and x0 +- h/2 and compares
 *      T = |D(h) - D(h/2)| h   (how far the difference is from its limit,
 *                               in units of f),
 *      V = |f(x0+h) - f(x0-h)| + |f(x0+h) + f(x0-h) - f(x0+h/2) - f(x0-h/2)|
 *                              (how much f varies over the step).
 *    For smooth f with length scale L, T/V ~ (h/L)^2 / 20. If
 *    T > GV_RIDDERS_PROBE_RATIO V the step is too long for f (or straddles
 *    a kink) and shrinks by the factor that brings the ratio down; if the
 *    rounding of f limits D(h) (more than 1e-13 of |f(x0+h) - f(x0-h)|) and
 *    T/V is far below the limit, f is nearly linear over the step (its even
 *    part, beyond rounding, below 1e-2 of its odd part), and the
 *    step grows (up to a hundredfold) as far as T/V allows; if a grown step
 *    turns out too long, the step before it is taken. A non-finite
 *    value during the probe (the step left f's domain) shrinks the step
 *    tenfold. At most GV_RIDDERS_MAX_PROBES probes of 4 evaluations each;
 *    the scale that counts is f's, not x0's. An output that is constant
 *    over the step (0/0: a softmax output that is 1 or underflows to 0)
 *    constrains nothing, and hides no other output's excess.
 *    Kinks (ReLU, max, |x|): with S(s) = f(x0+s) + f(x0-s) - 2 f(x0), s times
 *    the gap between the forward and backward differences, the fourth
 *    difference S(h) - 4 S(h/2) is O(h^4) for smooth f but O(h) when a
 *    kink lies within the stencil, whose central differences then blend the
 *    two slopes at every step alike and look converged. The probe then
 *    shrinks the step below the kink (to half its distance, as the values
 *    place it) and the tableau returns the slope on x0's side; a kink at x0
 *    itself is kept, and the error covers both slopes (not from a first
 *    step a few dozen ulps of x0 long, where rounding hides the kink).
 * 2. Tableau. From the accepted h (its D(h) reused), Ridders' tableau
 *    (Numerical Recipes' dfridr): steps h / 1.4^i, each new central difference
 *    extrapolated by Neville's scheme in h^2 to every order available; the
 *    estimate is the tableau entry with the smallest error, each entry's error
 *    being its largest difference to the two entries it was built from. The
 *    tableau stops when its diagonal moves by at least twice the best error
 *    (higher orders have begun to amplify round-off; where the rows agree
 *    exactly, as for f(x) = x, at the first extrapolation) and that error is near
 *    round-off level, after GV_RIDDERS_NTAB rows, or at GV_RIDDERS_MAX_EVALS
 *    evaluations for the entry. Each output's tableau also compares the
 *    second-order one-sided estimates of every pair of rows: for smooth f
 *    their gap is O(h^3) and below the change of D between the rows, across
 *    a kink it is the slope jump. There the output's tableau restarts, so
 *    that rows straddling the kink drop out, the next row's step is 4 times
 *    shorter (not 1.4: a kink far below the first step must be passed
 *    within the rows), and until another row joins, its error is the row's
 *    gap |S(h)| / h, which covers both slopes of one kink; and that gap
 *    stays in its error until a later row's gap falls below half of it
 *    with a test that could have seen it (not where rounding hides the
 *    kink, as at a kink at x0 once the rows are a few ulps long). The
 *    tableau stops where x0 +- h rounds to x0. Small
 *    jumps (below ~1e-3 of the slope, or of h f'') the probe misses and the
 *    tableau cannot shrink below: where such a kink lies within every row's
 *    step, the value blends the two slopes (off by up to half the jump) and
 *    the error estimate, of the smooth part, does not cover it (a jump of
 *    1e-6 at 1e-5 from x0: off by 5e-7, estimate 1e-9;
 *    checks/bench/bench_small_kink.c).
 *
 * 1b. Noise. f is evaluated at 10 points x0 + j delta (x0 itself known), delta ~ 1e-4 h a
 *    power of two (exact abscissae); the mean square of their fourth
 *    differences, over 70, is the variance sigma^2 of one value's rounding,
 *    whatever f computes (a model of it fell short: checks/bench/README.md).
 *    An output that varies over the points but shows no noise at all (a
 *    staircase f, a difference of much larger terms, that the points
 *    advance by nearly whole steps, or f exact there, as f(x) = x) is
 *    measured again at 0.618 times the spacing (9 more evaluations), unless
 *    the spacing is below 1024 ulps of x0.
 *
 * Error estimate: the larger of twice the tableau's (the best entry's
 * difference to its neighbours, the smallest of many noisy differences and
 * so biased low) and three times the round-off of the best entry, sigma
 * carried through Neville's weights computed from the steps as stored
 * (where x0 is large, x0 +- h rounds and the ratio of two steps is not
 * exactly CON). It covers the true error on 98-100% of entries at a median
 * of 5 to 15 times it (figures and command: checks/bench/README.md). Where the
 * first step is far beyond f's length scale the probe can settle on an
 * aliased step: give a first step in f's scale (gv_ridders_vector_entry), as
 * gv_check does.
 *
 * Cost: 1 (f(x0)) + 4 per probe + 9 (noise; 18 where it saw none) + 2 per tableau row, typically 24
 * to 30 evaluations per entry, never more than GV_RIDDERS_MAX_EVALS; memory O(m) doubles for m
 * outputs (the workspace; gv_ridders_derivative and gv_ridders_gradient use the stack). Accuracy on
 * smooth functions: about 1e-13 relative.
 *
 * Layout: as gv_fd.h: gradients are shaped like their variable; the Jacobian
 * of F: R^n -> R^m is n-by-m, D(i, j) = dF_j/dx_i (denominator layout).
 *
 * Jumps. The probe never takes a step below 64 DBL_EPSILON |x0| (the
 * tableau's steps must stay a few ulps of x0 apart; a shorter first step is
 * raised to it, and the tableau always adds a row); an output it still
 * finds too long or kinked there (a jump, where D(h) grows like 1/h) is not
 * resolved, and its error estimate is +infinity (its value stays finite).
 *
 * Errors: GSL_EBADLEN on sizes that do not match, GSL_EBADFUNC when f returns
 * a non-finite value at x0, in the noise or the tableau (or at every probe), GSL_ENOMEM when the
 * Jacobian's workspace cannot be allocated, otherwise any non-zero status the
 * function itself returns. Nothing calls the GSL error handler. */
#ifndef GV_RIDDERS_H
#define GV_RIDDERS_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "gv_fd.h"

/* Initial step, relative to max(1, |x0|). */
#define GV_RIDDERS_H0 0.1
/* Step contraction between tableau rows (Numerical Recipes' CON). */
#define GV_RIDDERS_CON 1.4
/* Rows of the tableau at most. */
#define GV_RIDDERS_NTAB 10
/* The probe accepts a step when T <= GV_RIDDERS_PROBE_RATIO V. */
#define GV_RIDDERS_PROBE_RATIO 1e-3
#define GV_RIDDERS_MAX_PROBES 5
/* Evaluations per entry at most (probes and noise included). */
#define GV_RIDDERS_MAX_EVALS 50

/* The derivative of fn in the single entry *xi into *d, its error estimate
 * into *err and the number of evaluations into *nevals (err, nevals may be
 * NULL). *xi is restored bit for bit. */
int gv_ridders_derivative(const gv_fd_scalar *fn, double *xi, double *d, double *err,
                          size_t *nevals);

/* grad_i = df/dx_i for every entry of x; grad and err (or NULL) have the size of x. */
int gv_ridders_gradient(const gv_fd_scalar *fn, gsl_vector *x, gsl_vector *grad, gsl_vector *err);

/* G(i, j) = df/dX(i, j); G and E (or NULL) have the shape of X. */
int gv_ridders_gradient_matrix(const gv_fd_scalar *fn, gsl_matrix *X, gsl_matrix *G, gsl_matrix *E);

/* D(i, j) = dF_j/dx_i; D and E (or NULL) are n-by-m for x of size n. All m
 * outputs share each row's steps: the probe accepts a step only when every
 * output does (the shortest any output needs, kinks included), and each
 * output keeps its own tableau, kink test, noise and error. Allocates O(m) doubles
 * for the call (GSL_ENOMEM if it cannot). */
int gv_ridders_jacobian(const gv_fd_vector *fn, gsl_vector *x, gsl_matrix *D, gsl_matrix *E);

/* One entry of a vector function at a time, for callers that choose the
 * first step themselves (gv_check starts from the step its central
 * differences found to resolve f). A workspace serves one m; alloc returns
 * NULL for m = 0 or without memory; free(NULL) is a no-op. */
typedef struct gv_ridders_workspace gv_ridders_workspace;
gv_ridders_workspace *gv_ridders_workspace_alloc(size_t m);
void gv_ridders_workspace_free(gv_ridders_workspace *ws);

/* What one entry's estimate rests on. */
typedef struct {
  size_t nevals;       /* evaluations of fn */
  double step;         /* the step of the tableau's first row */
  const double *sigma; /* the measured noise of each output's values (m, in ws) */
} gv_ridders_info;

/* d[k] = dF_k/dx_i for the entry *xi and its error estimate err[k] (err may
 * be NULL), k < m, with the probe starting at step h0 (GV_RIDDERS_H0
 * max(1, |x_i|) if h0 <= 0; at least 64 DBL_EPSILON |x_i|); *info (if not NULL) receives the
 * evaluations, the step and the noise, valid until the next call with ws. GSL_EBADLEN if fn->m is
 * not the workspace's m. */
int gv_ridders_vector_entry(const gv_fd_vector *fn, gv_ridders_workspace *ws, double *xi, double h0,
                            double *d, double *err, gv_ridders_info *info);

#endif
