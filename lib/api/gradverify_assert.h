/* gradverify_assert.h: one-line derivative checks for a user's own tests.
 *
 *   GV_ASSERT_GRADIENT(&fdf, x, NULL);   // gsl_multimin_function_fdf
 *   GV_ASSERT_JACOBIAN(&fdf, x, NULL);   // gsl_multifit_nlinear_fdf
 *   GV_ASSERT_FVV(&fdf, x, v, NULL);     // its fvv along v (NULL: random directions)
 *
 * Each runs the check (gradverify.h; NULL options: the defaults); when it could
 * not run or its verdict is GV_FAIL, it prints the outcome (gv_outcome_fprintf)
 * and the call's file and line to stderr, then fails the test through
 * GV_ASSERT_FAIL(msg). Framework-neutral: GV_ASSERT_FAIL defaults to
 * fprintf(stderr) and abort(); define it before including this header to hand
 * the failure to your framework, e.g. with Check
 *
 *   #define GV_ASSERT_FAIL(msg) ck_abort_msg("%s", msg)
 *   #include <gradverify_assert.h>
 *
 * or with a plain exit-code harness `#define GV_ASSERT_FAIL(msg) return 1`.
 * The functions are static inline: nothing here is in libgradverify's ABI. Call
 * gsl_set_error_handler_off() first, as for any gradverify call. */
#ifndef GRADVERIFY_ASSERT_H
#define GRADVERIFY_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "gradverify.h"

#ifndef GV_ASSERT_FAIL
#define GV_ASSERT_FAIL(msg)                                                                        \
  do {                                                                                             \
    fprintf(stderr, "%s\n", (msg));                                                                \
    abort();                                                                                       \
  } while (0)
#define GV_ASSERT_FVV(fdf, x, v, opts)                                                             \
  do {                                                                                             \
    if (!gv_assert_fvv_((fdf), (x), (v), (opts), "fvv check of " #fdf, __FILE__, __LINE__))        \
      GV_ASSERT_FAIL("fvv check of " #fdf " failed (outcome above)");                              \
  } while (0)

#endif

/* Prints what went wrong for a status and an outcome (owned, freed here);
 * 1 when the check ran and passed. */
static inline int gv_assert_finish_(int status, gv_outcome *out, const char *what, const char *file,
                                    int line)
{
  int ok = status == GSL_SUCCESS && gv_outcome_verdict(out) == GV_PASS;
  if (!ok) {
    fprintf(stderr, "%s:%d: %s ", file, line, what);
    if (status != GSL_SUCCESS)
      fprintf(stderr, "could not run: %s\n", gsl_strerror(status));
    else {
      fprintf(stderr, "failed:\n");
      gv_outcome_fprintf(stderr, out);
    }
  }
  gv_outcome_free(out);
  return ok;
}

static inline int gv_assert_gradient_(const gsl_multimin_function_fdf *fdf, const gsl_vector *x,
                                      const gv_options *opts, const char *what, const char *file,
                                      int line)
{
  gv_outcome *out = gv_outcome_alloc();
  int status = out ? gv_check_gradient(fdf, x, opts, out) : GSL_ENOMEM;
  return gv_assert_finish_(status, out, what, file, line);
}

static inline int gv_assert_jacobian_(const gsl_multifit_nlinear_fdf *fdf, const gsl_vector *x,
                                      const gv_options *opts, const char *what, const char *file,
                                      int line)
{
  gv_outcome *out = gv_outcome_alloc();
  int status = out ? gv_check_jacobian(fdf, x, opts, out) : GSL_ENOMEM;
  return gv_assert_finish_(status, out, what, file, line);
}

static inline int gv_assert_fvv_(const gsl_multifit_nlinear_fdf *fdf, const gsl_vector *x,
                                 const gsl_vector *v, const gv_options *opts, const char *what,
                                 const char *file, int line)
{
  gv_outcome *out = gv_outcome_alloc();
  int status = out ? gv_check_fvv(fdf, x, v, opts, out) : GSL_ENOMEM;
  return gv_assert_finish_(status, out, what, file, line);
}

#define GV_ASSERT_GRADIENT(fdf, x, opts)                                                           \
  do {                                                                                             \
    if (!gv_assert_gradient_((fdf), (x), (opts), "gradient check of " #fdf, __FILE__, __LINE__))   \
      GV_ASSERT_FAIL("gradient check of " #fdf " failed (outcome above)");                         \
  } while (0)

#define GV_ASSERT_JACOBIAN(fdf, x, opts)                                                           \
  do {                                                                                             \
    if (!gv_assert_jacobian_((fdf), (x), (opts), "Jacobian check of " #fdf, __FILE__, __LINE__))   \
      GV_ASSERT_FAIL("Jacobian check of " #fdf " failed (outcome above)");                         \
  } while (0)

#define GV_ASSERT_FVV(fdf, x, v, opts)                                                             \
  do {                                                                                             \
    if (!gv_assert_fvv_((fdf), (x), (v), (opts), "fvv check of " #fdf, __FILE__, __LINE__))        \
      GV_ASSERT_FAIL("fvv check of " #fdf " failed (outcome above)");                              \
  } while (0)

#endif
