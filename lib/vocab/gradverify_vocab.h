/* gradverify_vocab.h: the words every part of gradverify shares: the
 * numeric method, the term of a bound that decided a verdict, and the Taylor
 * test's verdict and result. Installed beside gradverify.h, which includes
 * it; every module of lib/ may include it (it includes nothing of theirs).
 * Types and constants only, but gv_decided_name. */
#ifndef GRADVERIFY_VOCAB_H
#define GRADVERIFY_VOCAB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the numeric side is computed: Ridders' extrapolation (checked against
 * central differences by gv_check_*), central differences alone, or the
 * complex step where a complex implementation exists (the command line's
 * formulas; gv_check_* rejects it with GSL_EINVAL). Each product states its
 * own default once: GV_METHOD_RIDDERS for gv_check_* (gv_options_init), central
 * for the command line (gv_driver_options_init). */
typedef enum { GV_METHOD_RIDDERS = 0, GV_METHOD_CENTRAL, GV_METHOD_CSTEP } gv_method;

/* Which term of an entry's bound was the largest: the absolute floor, the
 * relative term rtol max(|analytic|, |numeric|), or the error bar kerr e. */
typedef enum { GV_DECIDED_ATOL = 0, GV_DECIDED_RTOL, GV_DECIDED_ERROR_BAR } gv_decided;

/* "atol", "rtol" or "error bar". */
const char *gv_decided_name(gv_decided d);

/* The Taylor test's verdict: a remainder falling like eps^2 (PASS), like eps
 * (FAIL: the derivative is wrong along the direction), or staying at
 * rounding level (EXACT: f linear along it, no verdict). */
typedef enum { GV_TAYLOR_PASS = 0, GV_TAYLOR_FAIL = 1, GV_TAYLOR_EXACT = 2 } gv_taylor_verdict;

/* Steps of a Taylor test: the default and the most a result holds. */
#define GV_TAYLOR_POINTS 24
#define GV_TAYLOR_MAX_POINTS 32

/* A Taylor test's result. */
typedef struct {
  gv_taylor_verdict verdict;
  double slope;   /* the fitted slope of log r against log eps; NaN without a window */
  size_t npoints; /* steps taken: eps_k = eps_0 2^-k */
  size_t nused;   /* points in the fit */
  double eps[GV_TAYLOR_MAX_POINTS];   /* eps_k */
  double rem[GV_TAYLOR_MAX_POINTS];   /* r(eps_k) */
  double floor[GV_TAYLOR_MAX_POINTS]; /* the rounding floor at eps_k */
  double window_lo, window_hi;        /* smallest and largest eps in the fit; NaN without one */
  double noise;                       /* the measured plateau, 0 when none */
  double f0;                          /* f(x) (the vector form: ||F(x)||_2) */
  double slope_gv;                    /* g.v (the vector form: ||D^T v||_2) */
} gv_taylor_result;

#ifdef __cplusplus
}
#endif

#endif
