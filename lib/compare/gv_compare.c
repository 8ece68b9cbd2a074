/* gv_compare.c: per-entry tolerance test and error statistics. */
#include "gv_compare.h"

#include <float.h>
#include <math.h>

#include <gsl/gsl_errno.h>

void gv_cmp_init(gv_cmp *c)
{
  *c = (gv_cmp){0};
}

void gv_cmp_set_trial(gv_cmp *c, size_t t)
{
  c->trial = t;
}

void gv_cmp_set_resolution(gv_cmp *c, double r)
{
  c->resolution = r;
}

/* The functions that run per entry are static here, so that gv_cmp_matrix
 * (10^5 entries a trial at --size 784,128,10) calls none of them out of
 * line; the exported ones are these. */
static int resolved(double analytic, double numeric, double e, double r)
{
  double size = gv_cmp_max(fabs(analytic), fabs(numeric));
  return isfinite(analytic) && isfinite(numeric) && size >= DBL_MIN &&
         GV_CMP_RESOLVED_MARGIN * (e + r) <= GV_CMP_RESOLVED_REL * size;
}

int gv_cmp_resolved(double analytic, double numeric, double e, double r)
{
  return resolved(analytic, numeric, e, r);
}

const char *gv_decided_name(gv_decided t)
{
  return t == GV_DECIDED_ATOL ? "atol" : t == GV_DECIDED_RTOL ? "rtol" : "error bar";
}

static gv_decided largest_term(double analytic, double numeric, double e, const gv_tol *tol)
{
  double a = tol->atol, r = tol->rtol * gv_cmp_max(fabs(analytic), fabs(numeric)),
         k = tol->kerr * e;
  return k >= a && k >= r ? GV_DECIDED_ERROR_BAR : r >= a ? GV_DECIDED_RTOL : GV_DECIDED_ATOL;
}

/* 10^e for e = DECADE_MIN .. the last bin's lower bound of either histogram. */
#define DECADE_MIN GV_CMP_REL_MIN_EXP
static const double decades[] = {1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11,
                                 1e-10, 1e-9,  1e-8,  1e-7,  1e-6,  1e-5,  1e-4,  1e-3,
                                 1e-2,  1e-1,  1e0,   1e1,   1e2,   1e3,   1e4};
_Static_assert(GV_CMP_REL_MIN_EXP <= GV_CMP_RATIO_MIN_EXP &&
                   GV_CMP_RATIO_MIN_EXP + GV_CMP_HIST_BINS - 1 - DECADE_MIN <
                       (int)(sizeof decades / sizeof decades[0]),
               "decades[] covers both histograms' bounds");

/* Within this relative distance of 10^e, a rounded log10 may land on either
 * side of e (its error is an ulp of |e| <= 18, 4e-15; log10(1 + 1e-12) is
 * 4.3e-13). */
#define DECADE_NEAR 1e-12

/* The bin floor(log10(v)) - min_exp of v > 0, clamped to the histogram, as
 * log10 gives it; 0 for v <= 0 or NaN. Found among the decades' bounds,
 * not through log10 (two per entry: 10^5 entries a trial at --size
 * 784,128,10); near a bound, where log10's rounding decides, log10. */
static size_t decade_bin(double v, int min_exp)
{
  if (!(v > 0.0))
    return 0;
  const double *p = decades + (min_exp - DECADE_MIN); /* p[k] = 10^(min_exp + k) */
  size_t k = 0;
  while (k < GV_CMP_HIST_BINS - 1 && v >= p[k + 1])
    k++;
  int near = (k > 0 && v <= p[k] * (1.0 + DECADE_NEAR)) ||
             (k < GV_CMP_HIST_BINS - 1 && v >= p[k + 1] * (1.0 - DECADE_NEAR));
  if (!near)
    return k;
  double b = floor(log10(v)) - min_exp;
  return b < 0.0 ? 0 : b >= GV_CMP_HIST_BINS - 1 ? GV_CMP_HIST_BINS - 1 : (size_t)b;
}

static double bound_of(double analytic, double numeric, double e, const gv_tol *tol)
{
  return tol->atol + tol->rtol * gv_cmp_max(fabs(analytic), fabs(numeric)) + tol->kerr * e;
}

double gv_cmp_bound(double analytic, double numeric, double e, const gv_tol *tol)
{
  return bound_of(analytic, numeric, e, tol);
}

static int passes(double analytic, double numeric, double e, const gv_tol *tol, double *ratio)
{
  if (!isfinite(analytic) || !isfinite(numeric)) {
    if (ratio)
      *ratio = INFINITY;
    return 0;
  }
  double err = fabs(analytic - numeric);
  double bound = bound_of(analytic, numeric, e, tol);
  if (ratio)
    *ratio = bound > 0.0 ? err / bound : (err > 0.0 ? INFINITY : 0.0);
  return err <= bound;
}

int gv_cmp_entry_passes(double analytic, double numeric, double e, const gv_tol *tol, double *ratio)
{
  return passes(analytic, numeric, e, tol, ratio);
}

static int entry(gv_cmp *c, size_t row, size_t col, double analytic, double numeric, double e,
                 const gv_tol *tol)
{
  double ratio;
  int pass = passes(analytic, numeric, e, tol, &ratio);
  c->count++;
  if (!pass)
    c->nfail++;
  if (!isfinite(analytic) || !isfinite(numeric)) {
    c->nonfinite++;
  } else {
    double err = fabs(analytic - numeric);
    double size = gv_cmp_max(fabs(analytic), fabs(numeric));
    c->max_abs = gv_cmp_max(c->max_abs, err);
    if (resolved(analytic, numeric, e, c->resolution)) {
      c->max_rel = gv_cmp_max(c->max_rel, err / size);
      c->hist_rel[decade_bin(err / size, GV_CMP_REL_MIN_EXP)]++;
    } else {
      c->unresolved++;
    }
    c->hist_ratio[decade_bin(ratio, GV_CMP_RATIO_MIN_EXP)]++;
  }
  /* '>' keeps the first of equally bad entries, so results are deterministic. */
  if (!c->has_worst || ratio > c->worst_ratio) {
    c->has_worst = 1;
    c->worst_trial = c->trial;
    c->worst_row = row;
    c->worst_col = col;
    c->worst_analytic = analytic;
    c->worst_numeric = numeric;
    c->worst_ratio = ratio;
    c->worst_term = largest_term(analytic, numeric, e, tol);
    c->worst_errbar = e;
  }
  return pass;
}

int gv_cmp_entry(gv_cmp *c, size_t row, size_t col, double analytic, double numeric, double e,
                 const gv_tol *tol)
{
  return entry(c, row, col, analytic, numeric, e, tol);
}

int gv_cmp_matrix(gv_cmp *c, const gsl_matrix *analytic, const gsl_matrix *numeric,
                  const gsl_matrix *E, const gv_tol *tol)
{
  if (analytic->size1 != numeric->size1 || analytic->size2 != numeric->size2 ||
      (E && (E->size1 != analytic->size1 || E->size2 != analytic->size2)))
    return GSL_EBADLEN;
  for (size_t i = 0; i < analytic->size1; i++)
    for (size_t j = 0; j < analytic->size2; j++)
      entry(c, i, j, gsl_matrix_get(analytic, i, j), gsl_matrix_get(numeric, i, j),
            E ? gsl_matrix_get(E, i, j) : 0.0, tol);
  return GSL_SUCCESS;
}

/* A vector is compared as an n-by-1 matrix, entry by entry. Not through
 * gsl_matrix_const_view_vector_with_tda: GSL refuses a vector with a stride
 * there and returns an empty view, which would compare nothing and pass. */
int gv_cmp_vector(gv_cmp *c, const gsl_vector *analytic, const gsl_vector *numeric,
                  const gsl_vector *e, const gv_tol *tol)
{
  if (analytic->size != numeric->size || (e && e->size != analytic->size))
    return GSL_EBADLEN;
  for (size_t i = 0; i < analytic->size; i++)
    entry(c, i, 0, gsl_vector_get(analytic, i), gsl_vector_get(numeric, i),
          e ? gsl_vector_get(e, i) : 0.0, tol);
  return GSL_SUCCESS;
}

void gv_cmp_merge(gv_cmp *dst, const gv_cmp *src)
{
  dst->count += src->count;
  dst->nfail += src->nfail;
  dst->nonfinite += src->nonfinite;
  dst->max_abs = fmax(dst->max_abs, src->max_abs);
  dst->max_rel = fmax(dst->max_rel, src->max_rel);
  dst->unresolved += src->unresolved;
  for (size_t k = 0; k < GV_CMP_HIST_BINS; k++) {
    dst->hist_rel[k] += src->hist_rel[k];
    dst->hist_ratio[k] += src->hist_ratio[k];
  }
  if (src->has_worst && (!dst->has_worst || src->worst_ratio > dst->worst_ratio)) {
    dst->has_worst = 1;
    dst->worst_trial = src->worst_trial;
    dst->worst_row = src->worst_row;
    dst->worst_col = src->worst_col;
    dst->worst_analytic = src->worst_analytic;
    dst->worst_numeric = src->worst_numeric;
    dst->worst_ratio = src->worst_ratio;
    dst->worst_term = src->worst_term;
    dst->worst_errbar = src->worst_errbar;
  }
}
