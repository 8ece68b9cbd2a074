/* gv_plot_data.h: the data behind the report's two explanatory curves, which
 * a driver run does not produce: the step-size curve of a central difference
 * and the Taylor test of the network's gradient.
 *
 * Both use the seed's network at D = H = K = GV_PLOT_NET_SIZE, drawn from a
 * gsl_rng (MT19937) seeded with the caller's seed, with every hidden unit's
 * pre-activation at least a margin away from the ReLU kink so that the curves
 * show the difference and the gradient, not the kink. Same seed, same numbers.
 *
 * Functions return GSL_SUCCESS, GSL_ENOMEM, GSL_EMAXITER when no draw met the
 * margin (not expected), or a status of the network code. */
#ifndef GV_PLOT_DATA_H
#define GV_PLOT_DATA_H

#include <stddef.h>

#define GV_PLOT_NET_SIZE 4

/* Steps h = 10^-1, 10^-1.5, ..., 10^-15. */
#define GV_STEP_CURVE_POINTS 29

typedef struct {
  size_t row, col; /* the entry W(row, col) varied */
  double x;        /* its value */
  double loss;     /* L at the drawn point */
  double analytic; /* dL/dW(row, col) from gv_net_backward */
  double h[GV_STEP_CURVE_POINTS];
  double numeric[GV_STEP_CURVE_POINTS]; /* central difference at step h[k] */
  double err[GV_STEP_CURVE_POINTS];     /* |numeric - analytic|, 0 possible */
  double errbar[GV_STEP_CURVE_POINTS];  /* the engine's own error bar at h[k] */
  double h_chosen;                      /* gv_fd_step(x) */
  double err_chosen, errbar_chosen;     /* the same at the chosen step */
  /* Guide lines: truncation c2 h^2, fitted at the three largest steps, and
   * round-off c1 / h with c1 = DBL_EPSILON |L|. */
  double c2, c1;
} gv_step_curve;

/* The loss as a function of the entry of W with the largest |dL/dW|, its
 * central difference at every step, against the analytic derivative. */
int gv_plot_data_step_curve(unsigned long seed, gv_step_curve *c);

/* eps = 2^-k, k = 0..30. */
#define GV_PLOT_TAYLOR_POINTS 31

typedef struct {
  double loss;                         /* L(theta) */
  double eps[GV_PLOT_TAYLOR_POINTS];   /* 2^-k */
  double right[GV_PLOT_TAYLOR_POINTS]; /* |L(theta + eps v) - L(theta) - eps g.v|, g right */
  double wrong[GV_PLOT_TAYLOR_POINTS]; /* the same with the planted mistake's gradient */
  double gv_right, gv_wrong;           /* the directional derivatives g.v */
  /* Least-squares slopes of log r against log eps, over the points where r is
   * well above round-off (r > 1e4 DBL_EPSILON |L|) and eps <= 1/4; NAN when
   * fewer than 3 points qualify. */
  double slope_right, slope_wrong;
} gv_taylor_curve;

/* The Taylor remainders along a random direction v of length
 * GV_TAYLOR_DIRECTION_NORM over all of W, b1, V, b2, with g the gradient from
 * gv_net_backward and with a wrong one: dL/dW and dL/db1 from delta2 without
 * the ReLU mask (V^T delta1). The network has an inactive unit that the
 * missing mask corrupts, and a margin that no step eps <= 1 along v crosses. */
#define GV_TAYLOR_DIRECTION_NORM 0.4
int gv_plot_data_taylor(unsigned long seed, gv_taylor_curve *c);

#endif
