/* gv_check_taylor.c: the Taylor test (gv_taylor.h) for a GSL user's
 * gsl_multimin_function_fdf. */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gv_alloc.h"
#include "gradverify.h"
#include "gv_taylor.h"

/* The engine perturbs its variable in place: a private copy of x. */
typedef struct {
  const gsl_multimin_function_fdf *fdf;
  const gsl_vector *x;
} taylor_ctx;

static int eval_f(void *params, double *fx)
{
  const taylor_ctx *c = params;
  *fx = c->fdf->f(c->x, c->fdf->params);
  return GSL_SUCCESS;
}

/* The argument errors, in the order the header lists them. */
static int taylor_args(const gsl_multimin_function_fdf *fdf, const gsl_vector *x, double fscale,
                       const gv_taylor_result *out)
{
  if (!fdf || !x || !out)
    return GSL_EFAULT;
  if (!fdf->f || !fdf->df || !(fscale >= 0.0) || !isfinite(fscale))
    return GSL_EINVAL;
  if (fdf->n == 0 || x->size != fdf->n)
    return GSL_EBADLEN;
  for (size_t i = 0; i < x->size; i++)
    if (!isfinite(gsl_vector_get(x, i)))
      return GSL_EBADFUNC;
  return GSL_SUCCESS;
}

int gv_check_taylor(const gsl_multimin_function_fdf *fdf, const gsl_vector *x,
                    const gv_options *opts, double fscale, gv_taylor_result *out)
{
  int status = taylor_args(fdf, x, fscale, out);
  if (status)
    return status;
  gv_options o;
  if (opts)
    o = *opts;
  else
    gv_options_init(&o);
  gsl_vector *xw = gv_vector_alloc(x->size), *g = gv_vector_alloc(x->size);
  gsl_vector *v = gv_vector_alloc(x->size);
  gsl_rng *r = gv_rng_alloc(gsl_rng_mt19937, o.seed);
  status = GSL_ENOMEM;
  if (!xw || !g || !v || !r)
    goto out;
  gsl_vector_memcpy(xw, x);
  fdf->df(xw, fdf->params, g);
  status = gv_taylor_direction(r, v);
  if (status)
    goto out;
  double xmax = fmax(fabs(gsl_vector_max(x)), fabs(gsl_vector_min(x)));
  gv_taylor_options topt = {
      .eps0 = 0.0625 * fmax(1.0, xmax), .npoints = GV_TAYLOR_POINTS, .fscale = fscale};
  taylor_ctx ctx = {fdf, xw};
  gv_fd_scalar fn = {eval_f, &ctx};
  status = gv_taylor_test(&fn, xw, g, v, &topt, out);
out:
  gsl_vector_free(xw);
  gsl_vector_free(g);
  gsl_vector_free(v);
  gsl_rng_free(r);
  return status;
}
