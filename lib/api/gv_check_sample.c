/* gv_check_sample.c: choosing the variables of a sampled check and what its
 * outcome guarantees (gv_check_sample.h, gradverify.h). */
#include "gv_check_sample.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>

#include "gv_alloc.h"

/* vars = the flagged variables and the drawn ones, merged in increasing order. */
static void merge(const unsigned char *flag, size_t n, const size_t *drawn, size_t ndrawn,
                  size_t *vars)
{
  size_t k = 0, d = 0;
  for (size_t j = 0; j < n; j++)
    if (flag[j] || (d < ndrawn && drawn[d] == j)) {
      vars[k++] = j;
      d += d < ndrawn && drawn[d] == j;
    }
}

/* Flags the named variables, counting the distinct ones into *nn; GSL_EINVAL
 * for a name >= n. */
static int mark_named(const size_t *named, size_t nnamed, size_t n, unsigned char *flag, size_t *nn)
{
  for (size_t k = 0; k < nnamed; k++) {
    if (named[k] >= n)
      return GSL_EINVAL;
    if (!flag[named[k]])
      flag[named[k]] = 1, ++*nn;
  }
  return GSL_SUCCESS;
}

/* The variables not flagged, in increasing order, into src; returns their count. */
static size_t unnamed(const unsigned char *flag, size_t n, size_t *src)
{
  size_t N = 0;
  for (size_t j = 0; j < n; j++)
    if (!flag[j])
      src[N++] = j;
  return N;
}

int gv_sample_choose(size_t n, size_t m, const size_t *named, size_t nnamed, unsigned long seed,
                     size_t **vars, size_t *nvars, size_t *nnamed_distinct)
{
  unsigned char *flag = calloc(n, 1);
  size_t *src = malloc(n * sizeof *src), *drawn = NULL, nn = 0, N = 0;
  gsl_rng *r = gv_rng_alloc(gsl_rng_mt19937, seed);
  int status = flag && src && r ? GSL_SUCCESS : GSL_ENOMEM;
  if (!status)
    status = mark_named(named, nnamed, n, flag, &nn);
  if (!status)
    N = unnamed(flag, n, src);
  const size_t ndrawn = m < N ? m : N;
  if (!status && !(drawn = malloc((ndrawn ? ndrawn : 1) * sizeof *drawn)))
    status = GSL_ENOMEM;
  if (!status && !(*vars = malloc((nn + ndrawn ? nn + ndrawn : 1) * sizeof **vars)))
    status = GSL_ENOMEM;
  if (!status) {
    /* gsl_ran_choose keeps src's order: drawn comes out increasing. */
    if (ndrawn)
      gsl_ran_choose(r, drawn, ndrawn, src, N, sizeof *src);
    merge(flag, n, drawn, ndrawn, *vars);
    *nvars = nn + ndrawn;
    *nnamed_distinct = nn;
  }
  free(flag);
  free(src);
  free(drawn);
  gsl_rng_free(r);
  return status;
}

/* ln C(a, b), a >= b. */
static double lnchoose(double a, double b)
{
  return gsl_sf_lngamma(a + 1.0) - gsl_sf_lngamma(b + 1.0) - gsl_sf_lngamma(a - b + 1.0);
}

double gv_sample_miss(size_t nvars, size_t nnamed, size_t ndrawn, size_t nwrong)
{
  const size_t N = nvars - nnamed;
  if (nwrong > N || N - nwrong < ndrawn)
    return 0.0;
  if (ndrawn == 0 || nwrong == 0)
    return 1.0;
  return exp(lnchoose((double)(N - nwrong), (double)ndrawn) - lnchoose((double)N, (double)ndrawn));
}

/* The wrong variables of a fraction q of n: ceil(q n), at least one; q n
 * within rounding of an integer (0.07 * 100 = 7.000000000000001) is that
 * integer. */
static size_t wrong_of(size_t n, double q)
{
  double w = q * (double)n, r = nearbyint(w);
  w = fabs(w - r) <= 1e-9 * fmax(1.0, w) ? r : ceil(w);
  return w < 1.0 ? 1 : (size_t)w;
}

double gv_outcome_miss_probability(const gv_outcome *out, double q)
{
  if (!out || !(q >= 0.0 && q <= 1.0) || out->sample.kind == GV_SAMPLE_NONE)
    return NAN;
  if (out->sample.kind == GV_SAMPLE_FULL)
    return 0.0;
  const gv_sample_info *s = &out->sample;
  return gv_sample_miss(s->nvars, s->nnamed, s->ndrawn, wrong_of(s->nvars, q));
}

int gv_sample_fprintf(FILE *stream, const gv_outcome *out)
{
  const gv_sample_info *s = &out->sample;
  const size_t other = s->nvars - s->ndrawn - s->nnamed;
  if (fprintf(stream,
              "sampled: %zu of %zu variables checked (%zu drawn without replacement with seed "
              "%lu, %zu named); the other %zu were not, and the verdict says nothing about them\n",
              s->ndrawn + s->nnamed, s->nvars, s->ndrawn, s->seed, s->nnamed, other) < 0)
    return -1;
  if (fprintf(stream, "chance that this sample misses every wrong variable, were the wrong ones "
                      "unnamed:\n") < 0)
    return -1;
  static const double qs[] = {0.0, 0.001, 0.01, 0.1};
  for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
    const size_t w = wrong_of(s->nvars, qs[k]);
    if (k && w <= wrong_of(s->nvars, qs[k - 1]))
      continue; /* the same count as the line before */
    const double q = (double)w / (double)s->nvars;
    if (fprintf(stream,
                "  %zu wrong (q = %.3g of the variables): %.4g (at most (1 - q)^m = %.4g)\n", w, q,
                gv_sample_miss(s->nvars, s->nnamed, s->ndrawn, w),
                pow(1.0 - q, (double)s->ndrawn)) < 0)
      return -1;
  }
  return 0;
}
