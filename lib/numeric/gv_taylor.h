/* gv_taylor.h: the Taylor test, a convergence-order check of a gradient.
 *
 * For a direction v and steps eps, the remainder
 *
 *   r(eps) = |f(x + eps v) - f(x) - eps g.v|
 *
 * is (eps^2 / 2) |v^T H v| + O(eps^3) when g is the gradient of f at x, and
 * eps |(grad f - g).v| + O(eps^2) when it is not: plotted against eps on
 * log-log axes it falls with slope 2 for a right gradient and slope 1 for a
 * wrong one. The test needs no tolerance: it fits the slope.
 *
 * Steps: eps_k = eps0 2^-k, k = 0 .. npoints - 1; by default npoints =
 * GV_TAYLOR_POINTS and eps0 = GV_TAYLOR_EPS0 max(1, max_i |x_i|) /
 * max_i |v_i|, so the steps start at a small fraction of x's scale and
 * descend seven decades. The linear term uses the perturbation as stored,
 * d = (x + eps v) - x, so that the rounding of x + eps v is no error.
 *
 * Rounding floor: at each step
 *   floor_k = DBL_EPSILON (|f(x)| + |f(x + d)| + |g.d| + sum_i |x_i g_i| + fscale),
 * the unit rounding of the values the remainder is made of (sum_i |x_i g_i|
 * is the rounding of x as f passes it on; fscale, an option, that of the
 * values f computes on its way: a function that cancels large terms down to
 * a small result, as cross-entropy at large logits does, rounds like those
 * terms and not like its result). When the remainders at the GV_TAYLOR_TAIL
 * smallest steps do not fall, their median is the measured plateau (noise),
 * used where it exceeds the floor (not above GV_TAYLOR_NOISE floors: a
 * plateau that high is no rounding).
 *
 * Window: a step is usable when r > GV_TAYLOR_WINDOW max(floor_k, noise);
 * the window is the run of up to GV_TAYLOR_FIT_POINTS consecutive usable
 * steps that starts at the smallest usable step with a usable neighbour,
 * and the slope the least-squares slope of log r against log eps over it:
 * as deep into the asymptotic regime as rounding allows. The grid needs no
 * tuning to f's length scale as long as it reaches below it.
 *
 * Verdict, in this order:
 *   GV_TAYLOR_FAIL  g.v (the vector form: D^T v) is not finite: a NaN or an
 *                   infinity in the derivative is wrong, whatever r does.
 *   GV_TAYLOR_EXACT no window (fewer than two usable steps): the remainder is
 *                   rounding at (nearly) every step, as for a function linear
 *                   along v with the right gradient; or the remainder
 *                   collapses right below the window, by more than
 *                   GV_TAYLOR_JUMP in one halving, as it does past a kink
 *                   (f linear to rounding at the smaller steps, g its slope).
 *   GV_TAYLOR_PASS  slope >= GV_TAYLOR_PASS_SLOPE: second order, g right
 *                   along v. A function exactly quadratic along v gives 2.
 *   GV_TAYLOR_EXACT the remainder stays within GV_TAYLOR_NOISE floors at every
 *                   step: a first-order term that small is the rounding of g.
 *   GV_TAYLOR_EXACT the local slope at the small end of the window (its two
 *                   smallest steps) exceeds GV_TAYLOR_FIRST_ORDER and does not
 *                   fall by more than GV_TAYLOR_RISE from the one at its large
 *                   end: f curves so little along v that the second-order
 *                   term sinks into rounding while the higher orders still
 *                   bend it; under a first-order term the local slope would
 *                   fall toward 1.
 *   GV_TAYLOR_FAIL  otherwise: a wrong gradient gives slope about 1.
 * slope is NaN when no window was found. A wrong gradient can come out
 * EXACT only when its error along v stays within the rounding floors (or
 * below the curvature at every usable step); it never comes out PASS unless
 * its error is invisible next to the second-order term over the window.
 * A test checks one direction: an error orthogonal to v goes unseen, which
 * is why v is random (gv_taylor_direction).
 *
 * The function reads its variable x in place, as for the finite-difference
 * engine (gv_fd.h): the test sets x = x0 + eps v, evaluates, and restores x
 * bit for bit, also on error. Each test allocates one vector of the size of
 * x (the vector form also three of size m).
 *
 * Cost: npoints + 1 evaluations of f (25 by default), O(n) memory (O(n + m)
 * for the vector form) for the call; the result is a plain value.
 *
 * Errors: GSL_EBADLEN on sizes that do not match, GSL_EINVAL on an empty x,
 * a zero or non-finite direction, npoints outside [3, GV_TAYLOR_MAX_POINTS],
 * eps0 or fscale negative or not finite, GSL_ENOMEM, GSL_EBADFUNC when f returns a
 * non-finite value, otherwise any non-zero status the function itself
 * returns. Nothing calls the GSL error handler. */
#ifndef GV_TAYLOR_H
#define GV_TAYLOR_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "gradverify_vocab.h"
#include "gv_fd.h"

#define GV_TAYLOR_EPS0 0.0625
#define GV_TAYLOR_FIT_POINTS 4
#define GV_TAYLOR_WINDOW 32.0
#define GV_TAYLOR_TAIL 5
#define GV_TAYLOR_JUMP 16.0
#define GV_TAYLOR_FIRST_ORDER 1.25
#define GV_TAYLOR_RISE 0.1
#define GV_TAYLOR_NOISE 1e3
#define GV_TAYLOR_PASS_SLOPE 1.8

/* Zero fields select the defaults; a NULL options pointer selects them all. */
typedef struct {
  double eps0;    /* the largest step, 0 for the default */
  size_t npoints; /* number of steps, 0 for GV_TAYLOR_POINTS */
  double fscale;  /* the largest magnitude f computes on its way (e.g. max_i
                     |a_i| for a log-sum-exp of a), when it exceeds |f|; 0
                     for none. Negative or non-finite: GSL_EINVAL */
} gv_taylor_options;

/* The result, gv_taylor_result, is in gradverify_vocab.h (gv_check_taylor returns it). */

/* v = a random direction of unit 2-norm, uniform on the sphere (normalised
 * Gaussian draws from rng). GSL_EINVAL if v is empty. */
int gv_taylor_direction(gsl_rng *rng, gsl_vector *v);

/* The Taylor test of the gradient g (size of x) of fn at x along v (size of
 * x). opt may be NULL. */
int gv_taylor_test(const gv_fd_scalar *fn, gsl_vector *x, const gsl_vector *g, const gsl_vector *v,
                   const gv_taylor_options *opt, gv_taylor_result *res);

/* The same for F: R^n -> R^m and its Jacobian D (n-by-m, D(i, j) = dF_j/dx_i),
 * with r(eps) = ||F(x + eps v) - F(x) - eps D^T v||_2. */
int gv_taylor_test_vector(const gv_fd_vector *fn, gsl_vector *x, const gsl_matrix *D,
                          const gsl_vector *v, const gv_taylor_options *opt, gv_taylor_result *res);

#endif
