/* gv_outcome.c: judging entries and reporting the outcome of a check. */
#include "gv_check_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "gv_compare.h"
#include "gv_check_sample.h"
#include "gv_contract.h"

gv_outcome *gv_outcome_alloc(void)
{
  return calloc(1, sizeof(gv_outcome));
}

void gv_outcome_free(gv_outcome *out)
{
  if (!out)
    return;
  free(out->entry);
  free(out->sided);
  free(out->floor);
  free(out->scale);
  free(out);
}

int gv_outcome_reset(gv_outcome *out, size_t rows, size_t cols)
{
  size_t cap = out->cap;
  gv_entry *entry = out->entry;
  gv_fd_sided *sided = out->sided;
  double *floor = out->floor, *scale = out->scale;
  *out = (gv_outcome){.cap = cap, .entry = entry, .sided = sided, .floor = floor, .scale = scale};
  size_t size = rows * cols;
  /* Neither the count nor the bytes of its largest arrays may wrap size_t
   * (gv_check_fvv's k directions are the caller's count). */
  if ((rows && size / rows != cols) || size > SIZE_MAX / sizeof(gv_entry) ||
      size > SIZE_MAX / sizeof(gv_fd_sided))
    return GSL_ENOMEM;
  if (size > out->cap) {
    /* Each array is replaced only once all four are, so that a failure leaves
     * out consistent with its old capacity. */
    gv_entry *e = malloc(size * sizeof *e);
    gv_fd_sided *d = malloc(size * sizeof *d);
    double *f = malloc(size * sizeof *f), *sc = malloc(size * sizeof *sc);
    if (!e || !d || !f || !sc) {
      free(e);
      free(d);
      free(f);
      free(sc);
      return GSL_ENOMEM;
    }
    free(out->entry);
    free(out->sided);
    free(out->floor);
    free(out->scale);
    *out = (gv_outcome){.cap = size, .entry = e, .sided = d, .floor = f, .scale = sc};
  }
  out->rows = rows;
  out->cols = cols;
  return GSL_SUCCESS;
}

/* The verdict of analytic against ref with error err, and the term that decided. */
static void set_verdict(gv_entry *e, double analytic, double ref, double err, const gv_tol *tol)
{
  e->passed = gv_cmp_entry_passes(analytic, ref, err, tol, NULL);
  e->bound = gv_cmp_bound(analytic, ref, err, tol);
  e->abs_err = fabs(analytic - ref);
  double size = fmax(fabs(analytic), fabs(ref));
  e->rel_err = size > 0.0 ? e->abs_err / size : 0.0;
  double a = tol->atol, r = tol->rtol * size, k = tol->kerr * err;
  e->decided = k >= a && k >= r ? GV_DECIDED_ERROR_BAR : r >= a ? GV_DECIDED_RTOL : GV_DECIDED_ATOL;
}

/* gv_outcome_judge, with the entry non-smooth whatever its one-sided values say when kink. */
static void judge_sided(gv_entry *e, double analytic, const gv_fd_sided *d, double h, double floor,
                        const gv_options *o, int kink)
{
  const gv_tol tol = {floor, o->rtol, o->kerr};
  e->analytic = analytic;
  e->numeric = d->central;
  e->error_bar = d->central_err;
  e->left = d->left;
  e->right = d->right;
  e->step = h;
  /* A kink: the one-sided slopes differ by more than their error bars allow,
   * each bar counted at least once: kerr below 1 tightens the verdict, but a
   * smooth f's slopes still differ by their truncation (kerr 0 made
   * Rosenbrock's two entries kinks, judged leniently against [left, right]). */
  const gv_tol kink_tol = {tol.atol, tol.rtol, fmax(tol.kerr, 1.0)};
  e->smooth =
      !kink && gv_cmp_entry_passes(d->left, d->right, d->left_err + d->right_err, &kink_tol, NULL);
  double ref = d->central, err = d->central_err;
  if (!e->smooth && isfinite(analytic)) {
    /* Any value between the two slopes is a defensible derivative there: the
     * analytic value is held to the nearest point of [min, max], with that
     * slope's error bar (at a jump the far side's is huge). */
    const int left_lo = d->left <= d->right;
    const double lo = left_lo ? d->left : d->right, hi = left_lo ? d->right : d->left;
    const double lo_err = left_lo ? d->left_err : d->right_err;
    const double hi_err = left_lo ? d->right_err : d->left_err;
    ref = analytic < lo ? lo : (analytic > hi ? hi : analytic);
    err = analytic < lo ? lo_err : (analytic > hi ? hi_err : fmax(lo_err, hi_err));
  }
  set_verdict(e, analytic, ref, err, &tol);
}

void gv_outcome_judge(gv_entry *e, double analytic, const gv_fd_sided *d, double h, double floor,
                      const gv_options *o)
{
  judge_sided(e, analytic, d, h, floor, o, 0);
}

void gv_outcome_judge_kink(gv_entry *e, const gv_fd_sided *d, double h, double floor,
                           const gv_options *o)
{
  judge_sided(e, e->analytic, d, h, floor, o, 1);
}

void gv_outcome_judge_value(gv_entry *e, double numeric, double err, double floor,
                            const gv_options *o)
{
  const gv_tol tol = {floor, o->rtol, o->kerr};
  e->numeric = numeric;
  e->error_bar = err;
  set_verdict(e, e->analytic, numeric, err, &tol);
}

int gv_outcome_doubtful(const gv_entry *e, double floor, double scale, const gv_options *o)
{
  if (!isfinite(e->analytic))
    return 0;
  if (!e->smooth)
    return 1;
  if (o->method == GV_METHOD_RIDDERS)
    return e->error_bar > 1e-3 * (fabs(e->numeric) + 1e-3 * scale);
  /* With tol the tolerance proper (without the error bar), an entry is
   * settled when its error bar is small against tol (the estimate is good
   * enough to judge by), or when it agrees within a tenth of tol: then only a
   * gross error of the estimate, which the error bar would show, could change
   * the verdict. Exact agreement (abs_err = 0) is the common case of the
   * latter: a variable f does not depend on at x. */
  double tol = floor + o->rtol * fmax(fabs(e->analytic), fabs(e->numeric));
  return o->kerr * e->error_bar > 0.1 * tol && e->abs_err > 0.1 * tol;
}

int gv_outcome_better(const gv_entry *a, const gv_entry *b)
{
  if (a->smooth != b->smooth)
    return a->smooth;
  return a->error_bar < b->error_bar;
}

/* How bad an entry is: error over bound, infinite when non-finite. */
static double badness(const gv_entry *e)
{
  if (!isfinite(e->analytic) || !isfinite(e->numeric))
    return INFINITY;
  if (e->bound > 0.0)
    return e->abs_err / e->bound;
  return e->abs_err > 0.0 ? INFINITY : 0.0;
}

void gv_outcome_finish(gv_outcome *out, const gv_options *o)
{
  size_t size = out->rows * out->cols;
  double worst = -1.0;
  out->rtol = o->rtol;
  out->kerr = o->kerr;
  out->method = o->method;
  for (size_t k = 0; k < size; k++) {
    const gv_entry *e = &out->entry[k];
    out->nfail += !e->passed;
    out->nnonsmooth += !e->smooth;
    out->atol_eff = fmax(out->atol_eff, out->floor[k]);
    if (e->smooth && isfinite(e->rel_err))
      out->max_rel = fmax(out->max_rel, e->rel_err);
    double b = badness(e);
    if (b > worst) { /* '>' keeps the first of equals */
      worst = b;
      out->worst = k;
    }
  }
}

gv_verdict gv_outcome_verdict(const gv_outcome *out)
{
  return out && (out->nfail || (out->has_contract && !out->contract.passed)) ? GV_FAIL : GV_PASS;
}

size_t gv_outcome_size(const gv_outcome *out)
{
  return out ? out->rows * out->cols : 0;
}

size_t gv_outcome_rows(const gv_outcome *out)
{
  return out ? out->rows : 0;
}

size_t gv_outcome_cols(const gv_outcome *out)
{
  return out ? out->cols : 0;
}

size_t gv_outcome_nfail(const gv_outcome *out)
{
  return out ? out->nfail : 0;
}

size_t gv_outcome_nnonsmooth(const gv_outcome *out)
{
  return out ? out->nnonsmooth : 0;
}

size_t gv_outcome_nevals(const gv_outcome *out)
{
  return out ? out->nevals : 0;
}

double gv_outcome_max_rel_err(const gv_outcome *out)
{
  return out ? out->max_rel : 0.0;
}

int gv_outcome_entry(const gv_outcome *out, size_t k, gv_entry *entry)
{
  if (!out || !entry)
    return GSL_EFAULT;
  if (k >= out->rows * out->cols)
    return GSL_EDOM;
  *entry = out->entry[k];
  return GSL_SUCCESS;
}

int gv_outcome_worst(const gv_outcome *out, gv_entry *entry)
{
  if (!out || !entry)
    return GSL_EFAULT;
  return gv_outcome_entry(out, out->worst, entry);
}

void gv_outcome_tolerances(const gv_outcome *out, double *atol_eff, double *rtol, double *kerr)
{
  if (atol_eff)
    *atol_eff = out ? out->atol_eff : 0.0;
  if (rtol)
    *rtol = out ? out->rtol : 0.0;
  if (kerr)
    *kerr = out ? out->kerr : 0.0;
}

/* At most this many failing (and non-smooth) entries are listed. */
#define LIST_MAX 10

static int print_entry(FILE *stream, const gv_entry *e)
{
  if (e->smooth)
    return fprintf(stream,
                   "  (%zu, %zu): analytic %.10g, numeric %.10g +- %.2g, abs err %.3g, "
                   "rel err %.3g, allowed %.3g (%s)\n",
                   e->row, e->col, e->analytic, e->numeric, e->error_bar, e->abs_err, e->rel_err,
                   e->bound, gv_decided_name(e->decided));
  return fprintf(stream,
                 "  (%zu, %zu): non-smooth, analytic %.10g, one-sided %.10g (left) and %.10g "
                 "(right), outside by %.3g, allowed %.3g (%s)\n",
                 e->row, e->col, e->analytic, e->left, e->right, e->abs_err, e->bound,
                 gv_decided_name(e->decided));
}

/* Prints the first LIST_MAX entries that fail (want_fail) or are non-smooth. */
static int print_list(FILE *stream, const gv_outcome *out, int want_fail, size_t count)
{
  size_t shown = 0, size = out->rows * out->cols;
  for (size_t k = 0; k < size && shown < LIST_MAX; k++) {
    const gv_entry *e = &out->entry[k];
    if (want_fail ? !e->passed : !e->smooth) {
      if (print_entry(stream, e) < 0)
        return -1;
      shown++;
    }
  }
  if (count > shown && fprintf(stream, "  ... and %zu more\n", count - shown) < 0)
    return -1;
  return 0;
}

/* The failing, non-smooth and worst entries; -1 when a write fails. */
static int print_entries(FILE *stream, const gv_outcome *out)
{
  if (out->nfail && (fprintf(stream, "failing entries (row, column):\n") < 0 ||
                     print_list(stream, out, 1, out->nfail) < 0))
    return -1;
  if (out->nnonsmooth &&
      (fprintf(stream, "non-smooth entries (kinks), judged against [left, right]:\n") < 0 ||
       print_list(stream, out, 0, out->nnonsmooth) < 0))
    return -1;
  if (out->rows * out->cols > 0 &&
      (fprintf(stream, "worst entry:\n") < 0 || print_entry(stream, &out->entry[out->worst]) < 0))
    return -1;
  return 0;
}

/* The summary's lines; -1 when a write fails. */
static int print_summary(FILE *stream, const gv_outcome *out)
{
  size_t size = out->rows * out->cols;
  /* An empty outcome holds no check: a summary of it would read as a PASS
   * of nothing, by some method, within some tolerance. */
  if (!size && !out->has_contract)
    return fprintf(stream, "no check: the outcome is empty (no check ran on it, or the check "
                           "returned an error)\n") < 0
               ? -1
               : 0;
  if (fprintf(stream,
              "%s: %zu of %zu entries failed (%zu x %zu), %zu non-smooth, %zu "
              "evaluations of f\n",
              gv_outcome_verdict(out) ? "FAIL" : "PASS", out->nfail, size, out->rows, out->cols,
              out->nnonsmooth, out->nevals) < 0)
    return -1;
  if (out->has_contract && gv_contract_fprintf(stream, &out->contract) < 0)
    return -1;
  if (out->sample.kind == GV_SAMPLE_DRAWN && gv_sample_fprintf(stream, out) < 0)
    return -1;
  if (print_entries(stream, out) < 0)
    return -1;
  return fprintf(stream,
                 "method: %s; tolerances: |analytic - numeric| <= atol (at most %.3g) + %.3g "
                 "max(|analytic|, |numeric|) + %.3g error bar; largest rel err on smooth "
                 "entries %.3g\n",
                 out->method == GV_METHOD_RIDDERS ? "Ridders" : "central differences",
                 out->atol_eff, out->rtol, out->kerr, out->max_rel) < 0
             ? -1
             : 0;
}

int gv_outcome_fprintf(FILE *stream, const gv_outcome *out)
{
  if (!stream || !out)
    return GSL_EFAULT;
  /* A buffered stream fails at the flush, and one that failed before keeps
   * its error flag: both count. */
  int bad = print_summary(stream, out) < 0;
  bad |= fflush(stream) != 0;
  return bad || ferror(stream) ? GSL_EFAILED : GSL_SUCCESS;
}
