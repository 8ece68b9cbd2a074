/* gv_ridders.c: Ridders' extrapolation tableau, one entry at a time, for any
 * number of outputs sharing the steps. */
#include "gv_ridders.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

/* Round-off assumed in each function value, as the central engine assumes. */
#define ROUND_EPS (GV_FD_ROUNDOFF_ULPS * DBL_EPSILON)
/* The probe calls D(h) noisy when the rounding of f(x0 +- h) is more than
 * this fraction of their difference. */
#define NOISY_REL 1e-13
/* Numerical Recipes' SAFE: stop once the diagonal moves by this many best errors. */
#define SAFE 2.0
/* The tableau's own round-off bound. Each function value is taken to be off
 * by RIDDERS_ULPS eps (|f| + RIDDERS_XC |x0 f'(x0)|): a few operations' rounding
 * of f itself, plus the rounding of x0 as f passes it on (sin(40 x) computes
 * 40 x; softmax at logits near 300 computes a - lse(a)). Errors are taken as
 * independent (added in quadrature) and carried through Neville's weights.
 * The constants were set on 3,600 random points of nine scalar functions
 * (exp, sin, log, sin(40 x), exp(10 x), x atan x, exp(x / 1000), a logistic
 * shifted to 300, softmax p_0 near 300): median estimate/true 7.5, below 1
 * for 3% of entries. checks/bench_accuracy.c prints the current figures,
 * which are worse on the network loss and the softmax Jacobian. */
#define RIDDERS_ULPS 0.5
#define RIDDERS_XC 1.0
#define RIDDERS_EPS (RIDDERS_ULPS * DBL_EPSILON)
/* The tableau stops (once higher orders get worse) only when its error is
 * within this factor of the round-off bound; before that, the first steps
 * were still too long and the tableau goes on shrinking. */
#define STOP_ROUND 1e3

/* One function, scalar or vector, evaluated into a plain array of m values. */
typedef struct {
  const gv_fd_scalar *s;
  const gv_fd_vector *v;
  gsl_vector *fx; /* the vector function's output */
} evaluator;

/* f at *xi = at, into out; GSL_EBADFUNC on a non-finite value. */
static int evaluate(const evaluator *e, double *xi, double at, double *out)
{
  *xi = at;
  if (e->s) {
    int status = e->s->f(e->s->params, out);
    if (status)
      return status;
    return isfinite(out[0]) ? GSL_SUCCESS : GSL_EBADFUNC;
  }
  int status = e->v->f(e->v->params, e->fx);
  if (status)
    return status;
  for (size_t j = 0; j < e->fx->size; j++) {
    out[j] = gsl_vector_get(e->fx, j);
    if (!isfinite(out[j]))
      return GSL_EBADFUNC;
  }
  return GSL_SUCCESS;
}

/* Workspace for m outputs: the probe's four values per output, two rows of
 * the tableau per output (entry j of output k at [k NTAB + j]), each
 * output's error and whether its tableau has stopped. */
typedef struct {
  size_t m;
  double *f;            /* 4 m */
  double *prev, *cur;   /* NTAB m each: the tableau's last two rows */
  double *rprev, *rcur; /* NTAB m each: their round-off bounds */
  double *err;          /* m */
  double *rbest;        /* m: round-off of the best entry */
  double *err0;         /* m: the error of D(h) from the probe */
  double *xd;           /* m: |x0 f'(x0)|, the rounding of x0 passed through f */
  unsigned char *done;
} work;

/* The probe at step h, from the four values in w->f: the factor by which
 * the step may grow (*grow; HUGE_VAL when rounding limits no output's D(h)),
 * and the largest factor by which an output's T exceeds what the probe
 * accepts (*excess, <= 1 to accept). Fills
 * row 0 of the tableau with D(h) and each output's error with the truncation
 * and round-off of D(h). */
static void probe_judge(work *w, double x0, const double at[4], double h, double *grow,
                        double *excess)
{
  const size_t m = w->m;
  *grow = HUGE_VAL;
  *excess = 0.0;
  for (size_t k = 0; k < m; k++) {
    double fp = w->f[k], fm = w->f[m + k], fp2 = w->f[2 * m + k], fm2 = w->f[3 * m + k];
    double d1 = (fp - fm) / (at[0] - at[1]), d2 = (fp2 - fm2) / (at[2] - at[3]);
    double round = ROUND_EPS * (fabs(fp) + fabs(fm) + fabs(fp2) + fabs(fm2));
    double T = fabs(d1 - d2) * h;
    double V = fabs(fp - fm) + fabs(fp + fm - fp2 - fm2);
    double ex = T / (GV_RIDDERS_PROBE_RATIO * V + 10.0 * round);
    if (ex > *excess || isnan(ex))
      *excess = isnan(ex) ? 0.0 : ex; /* 0/0: f constant over the step */
    /* Growing is for f nearly linear over the step, judged on the odd part
     * f(x0+h) - f(x0-h) alone: near a point of symmetry (sin at -pi/2) the
     * even part is large at every step and would hide the odd part's scale. */
    double odd = fabs(fp - fm);
    if (DBL_EPSILON * (fabs(fp) + fabs(fm)) > NOISY_REL * odd) {
      double exg = T / (GV_RIDDERS_PROBE_RATIO * odd + 10.0 * round);
      if (fabs(fp + fm - fp2 - fm2) > 1e-2 * odd || isnan(exg))
        exg = HUGE_VAL; /* curved over the step: no growing */
      *grow = fmin(*grow, exg > 0.0 ? 0.5 / sqrt(exg) : 100.0);
    }
    w->cur[k * GV_RIDDERS_NTAB] = d1;
    /* A value is off by a few ulps of itself, and by the rounding of x0
     * passed through f: about eps |x0 f'(x0)|. */
    w->xd[k] = RIDDERS_XC * fabs(x0 * d1);
    w->rcur[k * GV_RIDDERS_NTAB] =
        RIDDERS_EPS * hypot(fabs(fp) + w->xd[k], fabs(fm) + w->xd[k]) / (at[0] - at[1]);
    w->rbest[k] = w->rcur[k * GV_RIDDERS_NTAB];
    w->err[k] = 4.0 / 3.0 * fabs(d1 - d2) + w->rcur[k * GV_RIDDERS_NTAB];
  }
}

static void swap_rows(work *w)
{
  double *t = w->prev;
  w->prev = w->cur;
  w->cur = t;
  t = w->rprev;
  w->rprev = w->rcur;
  w->rcur = t;
}

/* The derivatives of all m outputs in the entry *xi into d[0..m-1], their
 * errors into w->err. *xi is restored whatever happens. */
static int ridders_entry(const evaluator *e, work *w, double *xi, double *d, size_t *nevals)
{
  const double x0 = *xi;
  const size_t m = w->m;
  const double con2 = GV_RIDDERS_CON * GV_RIDDERS_CON;
  double h = GV_RIDDERS_H0 * fmax(1.0, fabs(x0));
  size_t n = 0;
  int status = GSL_SUCCESS, grown = 0, shrunk = 0;
  for (size_t k = 0; k < m; k++)
    w->xd[k] = 0.0;

  /* 1. The probe: find a step in f's own scale. */
  double last_growth = 1.0;
  int row0 = 0; /* whether row 0 of the tableau holds D(h) */
  for (int probe = 0; probe < GV_RIDDERS_MAX_PROBES; probe++) {
    const int last = probe == GV_RIDDERS_MAX_PROBES - 1;
    const double at[4] = {x0 + h, x0 - h, x0 + 0.5 * h, x0 - 0.5 * h};
    int finite = 1;
    for (int k = 0; k < 4 && finite; k++) {
      status = evaluate(e, xi, at[k], w->f + (size_t)k * m);
      n++;
      if (status == GSL_EBADFUNC) {
        finite = 0; /* the step left f's domain: shrink it */
        status = GSL_SUCCESS;
      } else if (status) {
        goto restore;
      }
    }
    if (!finite) {
      h *= 0.1;
      shrunk = 1;
      continue;
    }
    double grow, excess;
    probe_judge(w, x0, at, h, &grow, &excess);
    if (excess > 1.0) {
      if (grown) { /* the step before this one was fine: go back to it */
        h /= last_growth;
        break;
      }
      if (!last) {
        /* T/V falls like h^2: shrink to a quarter of the accepted ratio. */
        double factor = 2.0 * sqrt(excess);
        h /= factor < 4.0 ? 4.0 : factor > 1e3 ? 1e3 : factor;
        shrunk = 1;
        continue;
      }
    } else if (!last && grow != HUGE_VAL && !shrunk) {
      /* Round-off limits D(h) and f is nearly linear over the step: a
       * longer step costs little truncation (T grows like h^3). */
      double factor = grow;
      if (factor >= 2.0) {
        last_growth = factor > 100.0 ? 100.0 : factor;
        h *= last_growth;
        grown = 1;
        continue;
      }
    }
    row0 = 1;
    break;
  }
  if (!row0) { /* row 0 afresh at the step the probe settled on */
    const double xp = x0 + h, xm = x0 - h;
    n++;
    if ((status = evaluate(e, xi, xp, w->f)))
      goto restore;
    n++;
    if ((status = evaluate(e, xi, xm, w->f + m)))
      goto restore;
    for (size_t k = 0; k < m; k++) {
      w->cur[k * GV_RIDDERS_NTAB] = (w->f[k] - w->f[m + k]) / (xp - xm);
      w->rcur[k * GV_RIDDERS_NTAB] = w->rbest[k] =
          RIDDERS_EPS * hypot(fabs(w->f[k]) + w->xd[k], fabs(w->f[m + k]) + w->xd[k]) / (xp - xm);
      w->err[k] = DBL_MAX;
    }
  }

  /* 2. The tableau, from row 0 = D(h) left by the probe. */
  for (size_t k = 0; k < m; k++) {
    d[k] = w->cur[k * GV_RIDDERS_NTAB];
    w->done[k] = 0;
    /* D(h)'s own error stands only if the tableau adds no row; the stopping
     * rule compares tableau entries with each other, not with it. */
    w->err0[k] = w->err[k];
    w->err[k] = DBL_MAX;
  }
  swap_rows(w);
  for (int i = 1; i < GV_RIDDERS_NTAB && n + 2 <= GV_RIDDERS_MAX_EVALS; i++) {
    h /= GV_RIDDERS_CON;
    const double xp = x0 + h, xm = x0 - h;
    n++;
    if ((status = evaluate(e, xi, xp, w->f)))
      goto restore;
    n++;
    if ((status = evaluate(e, xi, xm, w->f + m)))
      goto restore;
    int all_done = 1;
    for (size_t k = 0; k < m; k++) {
      if (w->done[k])
        continue;
      double *a = w->cur + k * GV_RIDDERS_NTAB, *r = w->rcur + k * GV_RIDDERS_NTAB;
      const double *p = w->prev + k * GV_RIDDERS_NTAB, *rp = w->rprev + k * GV_RIDDERS_NTAB;
      a[0] = (w->f[k] - w->f[m + k]) / (xp - xm);
      r[0] =
          RIDDERS_EPS * hypot(fabs(w->f[k]) + w->xd[k], fabs(w->f[m + k]) + w->xd[k]) / (xp - xm);
      double fac = con2;
      for (int l = 1; l <= i; l++) {
        /* Neville: eliminate the h^(2l) term between a step and the one before it. */
        a[l] = (a[l - 1] * fac - p[l - 1]) / (fac - 1.0);
        /* ... which amplifies the round-off of both. */
        r[l] = hypot(r[l - 1] * fac, rp[l - 1]) / (fac - 1.0);
        fac *= con2;
        double errt = fmax(fabs(a[l] - a[l - 1]), fabs(a[l] - p[l - 1]));
        if (errt <= w->err[k]) {
          w->err[k] = errt;
          w->rbest[k] = r[l];
          d[k] = a[l];
        }
      }
      /* Higher order got worse: round-off has taken over. Before the error
       * comes near round-off level, that means the first steps were still
       * too long for the higher orders: go on shrinking. */
      if (fabs(a[i] - p[i - 1]) >= SAFE * w->err[k] && w->err[k] <= STOP_ROUND * w->rbest[k])
        w->done[k] = 1;
      else
        all_done = 0;
    }
    swap_rows(w);
    if (all_done)
      break;
  }
  for (size_t k = 0; k < m; k++)
    w->err[k] = w->err[k] == DBL_MAX ? w->err0[k] : fmax(w->err[k], w->rbest[k]);
restore:
  *xi = x0; /* restored exactly, whatever happened */
  if (nevals)
    *nevals = n;
  return status;
}

int gv_ridders_derivative(const gv_fd_scalar *fn, double *xi, double *d, double *err,
                          size_t *nevals)
{
  double f[4], prev[GV_RIDDERS_NTAB], cur[GV_RIDDERS_NTAB], e1, d1, r1, e0, xd;
  double rprev[GV_RIDDERS_NTAB], rcur[GV_RIDDERS_NTAB];
  unsigned char done;
  work w = {1, f, prev, cur, rprev, rcur, &e1, &r1, &e0, &xd, &done};
  const evaluator e = {fn, NULL, NULL};
  int status = ridders_entry(&e, &w, xi, &d1, nevals);
  if (status)
    return status;
  *d = d1;
  if (err)
    *err = e1;
  return GSL_SUCCESS;
}

int gv_ridders_gradient(const gv_fd_scalar *fn, gsl_vector *x, gsl_vector *grad, gsl_vector *err)
{
  if (grad->size != x->size || (err && err->size != x->size))
    return GSL_EBADLEN;
  for (size_t i = 0; i < x->size; i++) {
    int status = gv_ridders_derivative(fn, gsl_vector_ptr(x, i), gsl_vector_ptr(grad, i),
                                       err ? gsl_vector_ptr(err, i) : NULL, NULL);
    if (status)
      return status;
  }
  return GSL_SUCCESS;
}

int gv_ridders_gradient_matrix(const gv_fd_scalar *fn, gsl_matrix *X, gsl_matrix *G, gsl_matrix *E)
{
  if (G->size1 != X->size1 || G->size2 != X->size2 ||
      (E && (E->size1 != X->size1 || E->size2 != X->size2)))
    return GSL_EBADLEN;
  for (size_t i = 0; i < X->size1; i++)
    for (size_t j = 0; j < X->size2; j++) {
      int status = gv_ridders_derivative(fn, gsl_matrix_ptr(X, i, j), gsl_matrix_ptr(G, i, j),
                                         E ? gsl_matrix_ptr(E, i, j) : NULL, NULL);
      if (status)
        return status;
    }
  return GSL_SUCCESS;
}

int gv_ridders_jacobian(const gv_fd_vector *fn, gsl_vector *x, gsl_matrix *D, gsl_matrix *E)
{
  const size_t m = fn->m;
  if (m == 0 || D->size1 != x->size || D->size2 != m ||
      (E && (E->size1 != D->size1 || E->size2 != D->size2)))
    return GSL_EBADLEN;
  /* Rows of a gsl_matrix are contiguous: each row of D (and E) is filled in place. */
  double *buf = malloc((4 + 4 * GV_RIDDERS_NTAB + 4) * m * sizeof *buf);
  unsigned char *done = malloc(m);
  gsl_vector *fx = gsl_vector_alloc(m);
  int status = GSL_SUCCESS;
  if (!buf || !done || !fx) {
    status = GSL_ENOMEM;
    goto cleanup;
  }
  const size_t t = GV_RIDDERS_NTAB * m;
  work w = {m,
            buf,
            buf + 4 * m,
            buf + 4 * m + t,
            buf + 4 * m + 2 * t,
            buf + 4 * m + 3 * t,
            buf + 4 * m + 4 * t,
            buf + 5 * m + 4 * t,
            buf + 6 * m + 4 * t,
            buf + 7 * m + 4 * t,
            done};
  const evaluator e = {NULL, fn, fx};
  for (size_t i = 0; i < x->size && !status; i++) {
    status = ridders_entry(&e, &w, gsl_vector_ptr(x, i), gsl_matrix_ptr(D, i, 0), NULL);
    if (!status && E)
      for (size_t k = 0; k < m; k++)
        gsl_matrix_set(E, i, k, w.err[k]);
  }
cleanup:
  free(buf);
  free(done);
  gsl_vector_free(fx);
  return status;
}
