/* gv_fd.h: the finite-difference engine.
 *
 * The engine knows nothing about networks or formulas: it sees a function of a
 * variable that it perturbs in place. The caller's function reads the
 * variable through its params (for example a pointer to the gsl_vector or
 * gsl_matrix being differentiated), so any vector, matrix or view of either
 * can be the variable. Each entry is restored bit for bit after its
 * evaluations.
 *
 * Central differences: d = (f(x + h) - f(x - h)) / ((x + h) - (x - h)), with
 * h = cbrt(DBL_EPSILON) max(1, |x|), the step that balances truncation
 * (h^2 f'''/6) against round-off (eps |f| / h). Dividing by the difference of
 * the two abscissae as stored, rather than by 2h, removes the error of x + h
 * not being representable.
 *
 * Error bar: with every derivative the engine can return an estimate of its
 * error, the sum of
 *   - truncation, 2 (4/3) |D(h) - D(h/2)|: twice the h^2 term of D(h), measured
 *     by repeating the difference at half the step (2 more evaluations); the
 *     factor 2 makes the estimate a bound where the h^4 term still counts
 *     (checks/bench/README.md);
 *   - round-off, GV_FD_ROUNDOFF_ULPS DBL_EPSILON (|f(x + h)| + |f(x - h)|)
 *     / ((x + h) - (x - h)): the finest difference the function values can
 *     resolve, for a function accurate to a few units in the last place.
 * The fixed step suits functions whose length scale is about max(1, |x|);
 * where it does not (softmax of logits in the hundreds varies on a scale of 1),
 * the truncation term grows and says so, instead of a false alarm. Pass NULL
 * where the error bar is not wanted: the engine then makes 2 evaluations per
 * entry instead of 4.
 *
 * Layout: gradients are shaped like their variable; the Jacobian of
 * F: R^n -> R^m is n-by-m, D(i, j) = dF_j/dx_i (denominator layout, see
 * gv_softmax.h).
 *
 * Cost: 2 evaluations per entry, 4 with the error bar; gv_fd_jacobian
 * allocates 4 vectors of m for the call, nothing else allocates or keeps
 * anything: the caller owns every argument.
 *
 * Errors: GSL_EBADLEN on sizes that do not match, GSL_EBADFUNC when the
 * function returns a non-finite value, otherwise whatever non-zero status
 * the function itself returns. The engine never calls the GSL error handler. */
#ifndef GV_FD_H
#define GV_FD_H

#include <math.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* A scalar function: stores f at the current value of its variable in *fx
 * and returns GSL_SUCCESS, or a non-zero status to abort the difference. */
typedef struct {
  int (*f)(void *params, double *fx);
  void *params;
} gv_fd_scalar;

/* A vector function with m outputs: fills fx (size m). */
typedef struct {
  int (*f)(void *params, gsl_vector *fx);
  void *params;
  size_t m;
} gv_fd_vector;

/* fn (or the vector fn, into fx of size fn->m) at its current point: fn's own
 * status if non-zero, else GSL_EBADFUNC when a value is not finite. The
 * one evaluation every engine and the checker use. */
int gv_fd_eval(const gv_fd_scalar *fn, double *fx);
int gv_fd_eval_vector(const gv_fd_vector *fn, gsl_vector *fx);

/* Units in the last place of f assumed in the round-off bound: a function
 * evaluated in a handful of floating-point operations. */
#define GV_FD_ROUNDOFF_ULPS 8.0

/* The step for an entry of value x: cbrt(eps) max(1, |x|). Inline: the
 * harness takes it for every entry of W in every draw (kink_reach), 10^5
 * entries at --size 784,128,10, where an out-of-line call cost more than
 * the arithmetic. 6.0554544523933395e-06 is cbrt(DBL_EPSILON), the optimal
 * relative step of a central difference. */
static inline double gv_fd_step(double x)
{
  double ax = fabs(x);
  return 6.0554544523933395e-06 * (ax > 1.0 ? ax : 1.0);
}

/* Central difference of fn with respect to the single entry *xi, stored in
 * *d, its error bar (truncation plus round-off, above) in *err (if err is
 * not NULL). Cost: 2 evaluations, 4 with err. */
int gv_fd_derivative(const gv_fd_scalar *fn, double *xi, double *d, double *err);

/* grad_i = df/dx_i for every entry of x; grad and err (or NULL) have the size of x. */
int gv_fd_gradient(const gv_fd_scalar *fn, gsl_vector *x, gsl_vector *grad, gsl_vector *err);

/* G(i, j) = df/dX(i, j); G and E (or NULL) have the shape of X. */
int gv_fd_gradient_matrix(const gv_fd_scalar *fn, gsl_matrix *X, gsl_matrix *G, gsl_matrix *E);

/* D(i, j) = dF_j/dx_i; D and E (or NULL) are n-by-m for x of size n.
 * Allocates four vectors of size m for the call (GSL_ENOMEM if it cannot). */
int gv_fd_jacobian(const gv_fd_vector *fn, gsl_vector *x, gsl_matrix *D, gsl_matrix *E);

/* One-sided differences, for entries where f may have a kink.
 *
 * At a point where f is not differentiable in x_i (ReLU or |x| at 0, max with
 * a tie) the central difference straddles the kink and returns a mean of the
 * two slopes; the one-sided differences return each slope. From the five
 * values f(x0), f(x0 +- h/2), f(x0 +- h), with D(s) the forward difference
 * over step s, the right derivative is the Richardson extrapolation
 * 2 D(h/2) - D(h), second order, and its error bar is |D(h/2) - D(h)| (the
 * first-order error of D(h/2), an over-estimate for smooth f) plus the
 * round-off of the three values; the left derivative mirrors it. Where f is
 * smooth, left, right and central agree within their error bars; at a kink
 * left and right differ by the jump of the slope, which no step removes.
 *
 * The step h is the caller's: these functions serve any step rule, and with
 * h = gv_fd_step(x0) central and central_err equal gv_fd_derivative's. */
typedef struct {
  double central, central_err; /* as gv_fd_derivative, error bar included */
  double left, left_err;       /* from f(x0 - h), f(x0 - h/2), f(x0) */
  double right, right_err;     /* from f(x0), f(x0 + h/2), f(x0 + h) */
} gv_fd_sided;

/* The estimates from f0 = f(x0) and fv = {f(x0 + h), f(x0 - h), f(x0 + h/2),
 * f(x0 - h/2)}, the abscissae rounded as the engine stores them. h > 0. */
void gv_fd_sided_from_values(double x0, double h, double f0, const double fv[4], gv_fd_sided *d);

/* Central and one-sided estimates for the entry *xi with step h, given
 * f0 = f at the current point: 4 evaluations of fn; *xi is restored. */
int gv_fd_derivative_sided(const gv_fd_scalar *fn, double *xi, double h, double f0, gv_fd_sided *d);

/* The vector form: evaluates fn at x0 + h, x0 - h, x0 + h/2, x0 - h/2
 * (x0 = *xi) into fv[0..3], each of size fn->m, and restores *xi; the
 * caller then calls gv_fd_sided_from_values per output. GSL_EBADLEN if a
 * vector is not of size fn->m. */
int gv_fd_vector_stencil(const gv_fd_vector *fn, double *xi, double h, gsl_vector *const fv[4]);

/* Points from to to - 1 (0 <= from < to <= 4) of that stencil into
 * fv[from..to - 1], the others untouched: 0 to 3 are the points
 * gv_fd_third_from_values needs, 3 to 4 the one that completes the stencil.
 * GSL_EINVAL for another range, GSL_EBADLEN as above. */
int gv_fd_vector_points(const gv_fd_vector *fn, double *xi, double h, int from, int to,
                        gsl_vector *const fv[4]);

/* A cheaper first estimate, for a caller that escalates what it does not
 * settle: from f0 = f(x0) and fv = {f(x0 + h), f(x0 - h), f(x0 + h/2)} (3
 * evaluations, f0 shared), the central difference D(h) and its error bar
 * 2 h^2 |f[x0 - h, x0, x0 + h/2, x0 + h]| (twice D(h)'s truncation
 * h^2 f'''/6, from the third divided difference) plus the round-off term
 * above. Four values fit any cubic, so no one-sided test can tell a kink
 * from curvature here: left and right are set to the central value and its
 * error bar. A kink inside the stencil shows in the divided difference
 * instead: the error bar covers the central difference's error there except
 * where the kink sits within about 0.012 h of x0 + h/5 (at kerr 10). */
void gv_fd_third_from_values(double x0, double h, double f0, const double fv[3], gv_fd_sided *d);

/* A finer second estimate, for a caller whose first estimate resolved f but
 * whose error bar is too coarse for the resolution it wants (round-off
 * eps |f| / h dominates it at the step rule's h). From the six values
 * fv = {f(x0 + 4H), f(x0 - 4H), f(x0 + 2H), f(x0 - 2H), f(x0 + H), f(x0 - H)}
 * (gv_fd_vector_points at step 4H, points 0 to 3, then at step 2H, points 2
 * to 3: the abscissae as the engine stores them), Richardson's extrapolation
 * E(H) of D(H) and D(2H) (fourth order) into *d, and into *err twice its
 * H^4 term as E(2H) - E(H) shows it (a fifteenth of their difference) plus
 * the round-off of E(H)'s values, about 1.5 GV_FD_ROUNDOFF_ULPS eps |f| / H:
 * at H = 16 h a tenth of the first estimate's. A length scale of f shorter
 * than 4H shows as a large difference of the two extrapolations, and so does
 * a kink in the stencil (the bar, times 10, covers the error) except one
 * within H / 2 of x0, which every difference here blends alike, or near
 * 1.8 H: the caller compares the value with its estimate at a shorter step. */
void gv_fd_fourth_from_values(double x0, double H, const double fv[6], double *d, double *err);

#endif
