/* gv_flat.c: grow the step until f moves (gv_flat.h). */
#include "gv_flat.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_errno.h>

/* fn at x0 + h and x0 - h into fp, fm; *xi restored. */
static int pair(const gv_fd_vector *fn, double *xi, double x0, double h, gsl_vector *fp,
                gsl_vector *fm)
{
  *xi = x0 + h;
  int status = gv_fd_eval_vector(fn, fp);
  if (!status) {
    *xi = x0 - h;
    status = gv_fd_eval_vector(fn, fm);
  }
  *xi = x0;
  return status;
}

/* The larger change of output i on either side, 0 when it did not move. */
static double change(size_t i, const gsl_vector *f0, const gsl_vector *fp, const gsl_vector *fm)
{
  double c = gsl_vector_get(f0, i);
  return fmax(fabs(gsl_vector_get(fp, i) - c), fabs(gsl_vector_get(fm, i) - c));
}

/* Narrows the first move of output i into (lo, hi] (flat at lo, moved at hi
 * with change *q) by geometric bisection. */
static int bisect(const gv_fd_vector *fn, double *xi, size_t i, const gsl_vector *f0,
                  gsl_vector *fp, gsl_vector *fm, double *lo, double hi, double *q,
                  gv_flat_result *res)
{
  const double x0 = *xi;
  for (int k = 0; k < GV_FLAT_BISECT; k++) {
    double mid = sqrt(*lo * hi);
    int status = pair(fn, xi, x0, mid, fp, fm);
    res->nevals += 2;
    if (status && status != GSL_EBADFUNC)
      return status;
    double c = status ? INFINITY : change(i, f0, fp, fm);
    if (c > 0.0) {
      hi = mid;
      *q = fmin(*q, c);
    } else
      *lo = mid;
  }
  return GSL_SUCCESS;
}

static int probe_valid(const gv_fd_vector *fn, size_t i, double h0, double hmax,
                       const gsl_vector *f0, const gsl_vector *fp, const gsl_vector *fm)
{
  if (f0->size != fn->m || fp->size != fn->m || fm->size != fn->m || i >= fn->m)
    return GSL_EBADLEN;
  if (!(h0 > 0.0) || !(h0 <= hmax) || !isfinite(hmax))
    return GSL_EINVAL;
  return GSL_SUCCESS;
}

int gv_flat_probe(const gv_fd_vector *fn, double *xi, size_t i, double h0, double hmax,
                  const gsl_vector *f0, gsl_vector *fp, gsl_vector *fm, gv_flat_result *res)
{
  *res = (gv_flat_result){0};
  int status = probe_valid(fn, i, h0, hmax, f0, fp, fm);
  if (status)
    return status;
  const double x0 = *xi;
  double lo = 0.0, q = 0.0;
  for (double h = h0; h <= hmax * (1.0 + DBL_EPSILON); h *= 10.0) {
    status = pair(fn, xi, x0, h, fp, fm);
    res->nevals += 2;
    if (status == GSL_EBADFUNC)
      break; /* the end of f's domain: the probe ends at the last step that had values */
    if (status)
      return status;
    double c = change(i, f0, fp, fm);
    if (c == 0.0) {
      lo = h;
      continue;
    }
    q = c;
    res->moved = 1;
    if (lo > 0.0 && (status = bisect(fn, xi, i, f0, fp, fm, &lo, h, &q, res)))
      return status;
    break;
  }
  res->step = lo;
  /* The smallest change seen, and never below an ulp of f0. */
  const double u = GV_FLAT_ULPS * fabs(gsl_vector_get(f0, i)) * DBL_EPSILON;
  res->quantum = res->moved ? fmax(u, q) : u;
  res->resolution = lo > 0.0 ? res->quantum / lo : INFINITY;
  return GSL_SUCCESS;
}
