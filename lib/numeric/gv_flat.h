/* gv_flat.h: how far to step before f moves, where its computed values are
 * flat to the last bit.
 *
 * A saturated function (a softmax at logits in the hundreds, exp(-b t) at
 * large b t) returns bit-identical values at the steps a difference probes:
 * the numeric derivative is then exactly 0 and its error bar says nothing,
 * so a right analytic 1e-56 fails and a wrong 1e-6 may pass. gv_flat_probe
 * grows the step until the output moves, or up to the variable's own scale,
 * and returns the resolution reached: the largest derivative that output could
 * have and still not move at the longest step where it did not.
 *
 * For output i of fn, at x0 = *xi with f0 = fn(x0): steps h = h0, 10 h0, ...
 * while h <= hmax; at each, fn(x0 + h) and fn(x0 - h). The output has moved
 * once either differs from f0 in any bit. Between the last step where it did
 * not and the first where it did, GV_FLAT_BISECT geometric bisections narrow
 * the first move down. Then
 *   step       = the longest step where the output did not move,
 *   quantum    = the smallest change seen where it moved (the bisection
 *                makes that the change at the edge of the flat region: an ulp
 *                of f0, or coarser where f is a difference of larger numbers,
 *                as lse(a) - a_y is), never below GV_FLAT_ULPS ulp(|f0_i|),
 *                which is also the quantum where it never moved,
 *   resolution = quantum / step: a derivative above it would have moved f by
 *                more than its quantum over the step (curvature aside).
 * GV_FLAT_BISECT bisections take the edge to a relative 2e-15 of the step (a
 * few ulps of it), so that even where the change grows fast past it (a kink,
 * exp) the change seen there is close to the quantum. Past a kink the change
 * is the slope there times what is left of the edge's uncertainty: with 30
 * bisections (2e-9) a dead ReLU unit's entries of a network resolved only to
 * ~2e-9 of the slope, and a wrong entry off by 1e-8 of max|g| passed in 13.5%
 * of bench_detect's network trials (checks/bench/README.md).
 * Costs 2 evaluations per step tried and 2 per bisection: at most
 * 2 (log10(hmax / h0) + 1 + GV_FLAT_BISECT). *xi is restored bit for bit.
 * A step where fn is not finite ends the probe there (the end of f's domain:
 * log at x - |x|), as if hmax were reached. Errors: fn's own status,
 * GSL_EBADLEN
 * when fp, fm or f0 is not of size fn->m, GSL_EINVAL unless 0 < h0 <= hmax. */
#ifndef GV_FLAT_H
#define GV_FLAT_H

#include <stddef.h>

#include <gsl/gsl_vector.h>

#include "gv_fd.h"

#define GV_FLAT_BISECT 50
#define GV_FLAT_ULPS 1.0

typedef struct {
  double step;       /* the longest step with fn_i(x0 +- step) == f0_i (0: moved at h0) */
  double quantum;    /* ulps of f0_i, or the first move off an f0_i of exactly 0 */
  double resolution; /* quantum / step (INFINITY when step is 0) */
  int moved;         /* 1 if output i moved at a step <= hmax */
  size_t nevals;     /* evaluations of fn made */
} gv_flat_result;

/* Probes output i (< fn->m) along *xi as above; fp and fm are work vectors of
 * size fn->m. *xi is restored. GSL_EBADLEN for a size that is not fn->m or
 * i >= fn->m; GSL_EINVAL unless 0 < h0 <= hmax < inf; fn's own error status
 * (a non-finite value ends the probe at the last step that had values). */
int gv_flat_probe(const gv_fd_vector *fn, double *xi, size_t i, double h0, double hmax,
                  const gsl_vector *f0, gsl_vector *fp, gsl_vector *fm, gv_flat_result *res);

#endif
