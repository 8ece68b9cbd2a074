/* gv_judge.c: forward and backward verdicts, planted mistakes, patterns. */
#include "gv_judge.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "gv_assign.h"
#include "gv_compare.h"
#include "gv_fd.h"

/* A forward is judged against the reference to rounding: the order of a sum
 * changes the last bits, never the sixth digit. */
static const gv_tol forward_tol = {.atol = 1e-9, .rtol = 1e-7, .kerr = 0.0};
/* A backward against central differences: gv_compare's defaults. */
static const gv_tol backward_tol = {
    .atol = GV_TOL_DEFAULT_ATOL, .rtol = GV_TOL_DEFAULT_RTOL, .kerr = GV_TOL_DEFAULT_KERR};
/* A backward against a planted mistake: both exact formulas, to rounding. */
static const gv_tol mistake_tol = {.atol = 1e-9, .rtol = 1e-7, .kerr = 0.0};

static double dot(const gsl_matrix *a, const gsl_matrix *b)
{
  double s = 0.0;
  for (size_t i = 0; i < a->size1; i++)
    for (size_t j = 0; j < a->size2; j++)
      s += gsl_matrix_get(a, i, j) * gsl_matrix_get(b, i, j);
  return s;
}

static void free_all(gsl_matrix **m, size_t n)
{
  for (size_t k = 0; k < n; k++) {
    gsl_matrix_free(m[k]);
    m[k] = NULL;
  }
}

static int alloc_like(gsl_matrix **m, const gsl_matrix *like)
{
  *m = gsl_matrix_calloc(like->size1, like->size2);
  return *m ? GSL_SUCCESS : GSL_ENOMEM;
}

/* L = <G, forward(inputs)> with the reference forward. */
typedef struct {
  gv_judge_draw *d;
  gsl_matrix *scratch;
} ref_ctx;

static int ref_loss(void *params, double *fx)
{
  ref_ctx *c = params;
  int status = gv_ref_forward(c->d->ref, c->d->in, c->scratch);
  *fx = dot(c->d->G, c->scratch);
  return status;
}

static int reference_side(gv_judge_draw *d)
{
  int status = gv_ref_forward(d->ref, d->in, d->out);
  for (size_t k = 0; k < d->ngrad && !status; k++) {
    const gsl_matrix *x = d->in[d->input_of[k]];
    if (alloc_like(&d->grad[k], x) || alloc_like(&d->num[k], x) || alloc_like(&d->num_err[k], x))
      return GSL_ENOMEM;
  }
  if (!status)
    status = gv_ref_backward(d->ref, d->in, d->G, d->grad);
  ref_ctx c = {.d = d, .scratch = gsl_matrix_alloc(d->out->size1, d->out->size2)};
  if (!c.scratch)
    return GSL_ENOMEM;
  gv_fd_scalar fn = {.f = ref_loss, .params = &c};
  for (size_t k = 0; k < d->ngrad && !status; k++)
    status = gv_fd_gradient_matrix(&fn, d->in[d->input_of[k]], d->num[k], d->num_err[k]);
  gsl_matrix_free(c.scratch);
  return status;
}

int gv_judge_draw_alloc(const gv_ref_layer *ref, unsigned long seed, gv_judge_draw *d)
{
  *d = (gv_judge_draw){.ref = ref};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!r)
    return GSL_ENOMEM;
  gsl_rng_set(r, seed);
  size_t rows, cols;
  int status = ref->sample(r, d->in, &rows, &cols);
  if (!status) {
    d->out = gsl_matrix_alloc(rows, cols);
    d->G = gsl_matrix_alloc(rows, cols);
    status = d->out && d->G ? GSL_SUCCESS : GSL_ENOMEM;
  }
  if (!status) {
    /* G away from 0 and from 1, so a forgotten factor of dout shows. */
    for (size_t i = 0; i < rows; i++)
      for (size_t j = 0; j < cols; j++)
        gsl_matrix_set(d->G, i, j, gsl_ran_flat(r, 0.5, 1.5) * (gsl_rng_uniform(r) < 0.5 ? -1 : 1));
    for (size_t k = 0; k < ref->nin; k++)
      if (ref->diff[k])
        d->input_of[d->ngrad++] = (int)k;
    status = reference_side(d);
  }
  gsl_rng_free(r);
  return status;
}

void gv_judge_draw_free(gv_judge_draw *d)
{
  if (d->ref)
    free_all(d->in, d->ref->nin);
  free_all(d->grad, GV_REF_MAX_IN);
  free_all(d->num, GV_REF_MAX_IN);
  free_all(d->num_err, GV_REF_MAX_IN);
  free_all(d->own, GV_REF_MAX_IN);
  free_all(d->own_err, GV_REF_MAX_IN);
  gsl_matrix_free(d->out);
  gsl_matrix_free(d->G);
  *d = (gv_judge_draw){.ref = NULL};
}

/* ---- requests ---- */

/* Records one forward call at the current inputs (record mode), or returns
 * <G, the submission's output> at the next reply (replay mode). */
typedef struct {
  gv_judge_draw *d;
  gv_buf *req;
  gsl_matrix *zero;
  const gv_wire_record *replies;
  size_t n, next;
} fwd_ctx;

static int put_forward_call(gv_judge_draw *d, gv_buf *req, const gsl_matrix *zero)
{
  const gsl_matrix *m[GV_REF_MAX_IN + 1];
  for (size_t k = 0; k < d->ref->nin; k++)
    m[k] = d->in[k];
  m[d->ref->nin] = zero;
  return gv_wire_put(req, 0, 0, d->ref->nin + 1, m);
}

static int record_call(void *params, double *fx)
{
  fwd_ctx *c = params;
  *fx = 0.0;
  return put_forward_call(c->d, c->req, c->zero);
}

static int replay_call(void *params, double *fx)
{
  fwd_ctx *c = params;
  if (c->next >= c->n)
    return GSL_EFAILED;
  *fx = dot(c->d->G, c->replies[c->next++].mat[0]);
  return GSL_SUCCESS;
}

/* Runs the central differences of every differentiable input through fn,
 * into res / err (allocated here when NULL). */
static int differences(gv_judge_draw *d, gv_fd_scalar *fn, gsl_matrix **res, gsl_matrix **err)
{
  int status = GSL_SUCCESS;
  for (size_t k = 0; k < d->ngrad && !status; k++) {
    gsl_matrix *x = d->in[d->input_of[k]];
    if ((!res[k] && alloc_like(&res[k], x)) || (!err[k] && alloc_like(&err[k], x)))
      return GSL_ENOMEM;
    status = gv_fd_gradient_matrix(fn, x, res[k], err[k]);
  }
  return status;
}

int gv_judge_forward_request(gv_judge_draw *d, gv_buf *req, size_t *ncalls)
{
  fwd_ctx c = {.d = d, .req = req, .zero = gsl_matrix_calloc(d->out->size1, d->out->size2)};
  if (!c.zero)
    return GSL_ENOMEM;
  size_t start = req->len;
  int status = put_forward_call(d, req, c.zero);
  gv_fd_scalar fn = {.f = record_call, .params = &c};
  if (!status)
    status = differences(d, &fn, d->own, d->own_err);
  gsl_matrix_free(c.zero);
  /* Count what was recorded: every record is the same size. */
  size_t one = 0, pos = start;
  gv_wire_record rec;
  if (!status && !gv_wire_get(req->data, req->len, &pos, &rec)) {
    one = pos - start;
    gv_wire_record_clear(&rec);
  }
  *ncalls = one ? (req->len - start) / one : 0;
  return status;
}

int gv_judge_backward_request(const gv_judge_draw *d, gv_buf *req)
{
  const gsl_matrix *m[2 * GV_REF_MAX_IN + 1];
  size_t n = 0;
  for (size_t k = 0; k < d->ref->nin; k++)
    m[n++] = d->in[k];
  m[n++] = d->G;
  gsl_matrix *zero[GV_REF_MAX_IN] = {NULL};
  int status = GSL_SUCCESS;
  for (size_t k = 0; k < d->ngrad && !status; k++) {
    status = alloc_like(&zero[k], d->grad[k]);
    m[n++] = zero[k];
  }
  if (!status)
    status = gv_wire_put(req, 0, 0, n, m);
  free_all(zero, GV_REF_MAX_IN);
  return status;
}

/* ---- comparison ---- */

static void add_worst(gv_fn_grade *g, const gv_grade_entry *e)
{
  size_t k = g->nworst < GV_GRADE_WORST ? g->nworst++ : GV_GRADE_WORST;
  while (k > 0 && (g->worst[k - 1].ratio < e->ratio || isnan(e->ratio))) {
    if (k < GV_GRADE_WORST)
      g->worst[k] = g->worst[k - 1];
    k--;
  }
  if (k < GV_GRADE_WORST)
    g->worst[k] = *e;
}

/* Compares got with want entry by entry (error bars E or NULL); records the
 * worst failing entries and, for the first output that fails, the heat map.
 * Returns the number of failing entries. */
static size_t compare(const gsl_matrix *got, const gsl_matrix *want, const gsl_matrix *E,
                      const gv_tol *tol, const char *name, gv_fn_grade *g)
{
  size_t nfail = 0;
  gsl_matrix *heat = g->heat ? NULL : gsl_matrix_alloc(got->size1, got->size2);
  for (size_t i = 0; i < got->size1; i++)
    for (size_t j = 0; j < got->size2; j++) {
      double a = gsl_matrix_get(got, i, j), b = gsl_matrix_get(want, i, j), ratio;
      double e = E ? gsl_matrix_get(E, i, j) : 0.0;
      int ok = gv_cmp_entry_passes(a, b, e, tol, &ratio);
      if (heat)
        gsl_matrix_set(heat, i, j, isfinite(ratio) ? ratio : 1e300);
      if (!ok) {
        nfail++;
        gv_grade_entry en = {.row = i, .col = j, .got = a, .want = b, .ratio = ratio};
        snprintf(en.output, sizeof en.output, "%s", name);
        add_worst(g, &en);
      }
    }
  if (heat && nfail) {
    g->heat = heat;
    snprintf(g->heat_output, sizeof g->heat_output, "%s", name);
  } else {
    gsl_matrix_free(heat);
  }
  return nfail;
}

static int all_finite(const gsl_matrix *m)
{
  for (size_t i = 0; i < m->size1; i++)
    for (size_t j = 0; j < m->size2; j++)
      if (!isfinite(gsl_matrix_get(m, i, j)))
        return 0;
  return 1;
}

/* Whether got equals want to rounding, entry by entry. */
static int matches(const gsl_matrix *got, const gsl_matrix *want)
{
  for (size_t i = 0; i < got->size1; i++)
    for (size_t j = 0; j < got->size2; j++)
      if (!gv_cmp_entry_passes(gsl_matrix_get(got, i, j), gsl_matrix_get(want, i, j), 0.0,
                               &mistake_tol, NULL))
        return 0;
  return 1;
}

static size_t batch_size(const gv_judge_draw *d)
{
  return d->in[0]->size1;
}

int gv_judge_forward(gv_judge_draw *d, const gv_wire_record *replies, size_t ncalls, gv_fn_grade *g)
{
  const gsl_matrix *got = replies[0].mat[0];
  size_t nfail = compare(got, d->out, NULL, &forward_tol, "out", g);
  size_t n = got->size1 * got->size2;
  g->verdict = nfail ? GV_FN_WRONG : GV_FN_PASS;
  d->forward_right = nfail == 0;
  if (nfail) {
    snprintf(g->summary, sizeof g->summary,
             "wrong: %zu of %zu entries of out differ from the reference", nfail, n);
    gv_judge_pattern(got, d->out, d->ref->nin == 1 ? d->in[0] : NULL, batch_size(d), "out",
                     g->diagnosis, sizeof g->diagnosis);
  } else {
    snprintf(g->summary, sizeof g->summary, "right: all %zu entries of out match the reference", n);
  }
  /* The submission's own derivative, from the replies at the shifted points. */
  for (size_t k = 0; k < ncalls; k++)
    if (!all_finite(replies[k].mat[0]))
      return GSL_SUCCESS;
  fwd_ctx c = {.d = d, .replies = replies + 1, .n = ncalls - 1, .next = 0};
  gv_fd_scalar fn = {.f = replay_call, .params = &c};
  d->has_own = differences(d, &fn, d->own, d->own_err) == GSL_SUCCESS && c.next == c.n;
  return GSL_SUCCESS;
}

/* ---- patterns of wrong entries ---- */

static size_t count_nonfinite(const gsl_matrix *m, size_t *fi, size_t *fj)
{
  size_t n = 0;
  for (size_t i = 0; i < m->size1; i++)
    for (size_t j = 0; j < m->size2; j++)
      if (!isfinite(gsl_matrix_get(m, i, j)) && n++ == 0) {
        *fi = i;
        *fj = j;
      }
  return n;
}

/* got = c want to rounding, for the least-squares c; 0 if not. */
static int scaled(const gsl_matrix *got, const gsl_matrix *want, double *c)
{
  double ww = dot(want, want);
  if (ww == 0.0)
    return 0;
  *c = dot(got, want) / ww;
  for (size_t i = 0; i < got->size1; i++)
    for (size_t j = 0; j < got->size2; j++)
      if (!gv_cmp_entry_passes(gsl_matrix_get(got, i, j), *c * gsl_matrix_get(want, i, j), 0.0,
                               &mistake_tol, NULL))
        return 0;
  return 1;
}

static int transposed(const gsl_matrix *got, const gsl_matrix *want)
{
  if (got->size1 != got->size2)
    return 0;
  for (size_t i = 0; i < got->size1; i++)
    for (size_t j = 0; j < got->size2; j++)
      if (!gv_cmp_entry_passes(gsl_matrix_get(got, i, j), gsl_matrix_get(want, j, i), 0.0,
                               &mistake_tol, NULL))
        return 0;
  return 1;
}

/* Names a factor: "exactly N = 5 (the batch size)", "exactly 2", ... */
static void factor_words(double c, size_t n, char *buf, size_t len)
{
  const struct {
    double v;
    const char *words;
  } named[] = {{(double)n, "N, the batch size"},
               {1.0 / (double)n, "1/N, with N the batch size"},
               {2.0, "2"},
               {0.5, "1/2"},
               {-1.0, "-1 (the sign is wrong)"},
               {-(double)n, "-N"},
               {-2.0, "-2"}};
  for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
    if (fabs(c - named[k].v) <= 1e-6 * fabs(named[k].v)) {
      snprintf(buf, len, "exactly %s", named[k].words);
      return;
    }
  snprintf(buf, len, "%.6g", c);
}

typedef struct {
  size_t nwrong, rows_full, rows_any, cols_full, cols_any, where_le0, where_gt0;
} wrong_set;

static wrong_set wrong_entries(const gsl_matrix *got, const gsl_matrix *want, const gsl_matrix *x)
{
  wrong_set w = {0};
  for (size_t i = 0; i < got->size1; i++) {
    size_t in_row = 0;
    for (size_t j = 0; j < got->size2; j++) {
      int bad = !gv_cmp_entry_passes(gsl_matrix_get(got, i, j), gsl_matrix_get(want, i, j), 0.0,
                                     &mistake_tol, NULL);
      in_row += bad;
      if (bad && x && gsl_matrix_get(x, i, j) <= 0)
        w.where_le0++;
      else if (bad && x)
        w.where_gt0++;
    }
    w.nwrong += in_row;
    w.rows_any += in_row > 0;
    w.rows_full += in_row == got->size2;
  }
  for (size_t j = 0; j < got->size2; j++) {
    size_t in_col = 0;
    for (size_t i = 0; i < got->size1; i++)
      in_col += !gv_cmp_entry_passes(gsl_matrix_get(got, i, j), gsl_matrix_get(want, i, j), 0.0,
                                     &mistake_tol, NULL);
    w.cols_any += in_col > 0;
    w.cols_full += in_col == got->size1;
  }
  return w;
}

/* The shape of the wrong set, once the simple relations are ruled out. */
static void describe_set(const wrong_set *w, const gsl_matrix *got, int has_x, const char *name,
                         char *buf, size_t len)
{
  size_t n = got->size1 * got->size2;
  if (w->nwrong == n)
    snprintf(buf, len, "every entry of %s is wrong, and not by a constant factor", name);
  else if (has_x && w->where_gt0 == 0)
    snprintf(buf, len,
             "%s is wrong only where x <= 0 (%zu of %zu entries): look at what happens "
             "on the inactive side",
             name, w->nwrong, n);
  else if (has_x && w->where_le0 == 0)
    snprintf(buf, len, "%s is wrong only where x > 0 (%zu of %zu entries)", name, w->nwrong, n);
  else if (w->rows_full == w->rows_any)
    snprintf(buf, len, "%s is wrong in %zu whole row(s) of %zu and right elsewhere", name,
             w->rows_any, got->size1);
  else if (w->cols_full == w->cols_any)
    snprintf(buf, len, "%s is wrong in %zu whole column(s) of %zu and right elsewhere", name,
             w->cols_any, got->size2);
  else
    snprintf(buf, len, "%zu of %zu entries of %s are wrong, with no simple pattern", w->nwrong, n,
             name);
}

void gv_judge_pattern(const gsl_matrix *got, const gsl_matrix *want, const gsl_matrix *x, size_t n,
                      const char *name, char *buf, size_t len)
{
  size_t fi = 0, fj = 0, nonfinite = count_nonfinite(got, &fi, &fj);
  double c;
  char f[64];
  if (nonfinite) {
    snprintf(buf, len, "%s has %zu NaN or infinite entries (the first at row %zu, column %zu)",
             name, nonfinite, fi, fj);
  } else if (dot(got, got) == 0.0) {
    snprintf(buf, len, "%s is all zeros: was it written at all?", name);
  } else if (scaled(got, want, &c)) {
    factor_words(c, n, f, sizeof f);
    snprintf(buf, len, "%s is the right answer times a constant factor, %s", name, f);
  } else if (transposed(got, want)) {
    snprintf(buf, len, "%s is the transpose of the right answer", name);
  } else {
    wrong_set w =
        wrong_entries(got, want, x && x->size1 == got->size1 && x->size2 == got->size2 ? x : NULL);
    describe_set(&w, got, x && x->size1 == got->size1 && x->size2 == got->size2, name, buf, len);
  }
}

/* ---- the backward ---- */

/* The name of gradient k: "d" + the input's name. */
static void grad_name(const gv_judge_draw *d, size_t k, char *buf, size_t len)
{
  snprintf(buf, len, "d%s", d->ref->in_names[d->input_of[k]]);
}

/* Which planted mistake the gradients match, or -1. */
static int find_mistake(const gv_judge_draw *d, gsl_matrix *const *got)
{
  gsl_matrix *m[GV_REF_MAX_IN] = {NULL};
  int found = -1;
  for (size_t k = 0; k < d->ngrad; k++)
    if (alloc_like(&m[k], d->grad[k]))
      goto done;
  for (size_t i = 0; i < gv_ref_nmistakes(d->ref) && found < 0; i++) {
    if (gv_ref_mistake(d->ref, i, d->in, d->G, m))
      continue;
    int all = 1;
    for (size_t k = 0; k < d->ngrad && all; k++)
      all = matches(got[k], m[k]);
    if (all)
      found = (int)i;
  }
done:
  free_all(m, GV_REF_MAX_IN);
  return found;
}

/* Whether the gradients agree with the submission forward's own differences. */
static int consistent_with_own(const gv_judge_draw *d, gsl_matrix *const *got)
{
  for (size_t k = 0; k < d->ngrad; k++)
    for (size_t i = 0; i < got[k]->size1; i++)
      for (size_t j = 0; j < got[k]->size2; j++)
        if (!gv_cmp_entry_passes(gsl_matrix_get(got[k], i, j), gsl_matrix_get(d->own[k], i, j),
                                 gsl_matrix_get(d->own_err[k], i, j), &backward_tol, NULL))
          return 0;
  return 1;
}

static void diagnose_backward(const gv_judge_draw *d, gsl_matrix *const *got, size_t first_bad,
                              gv_fn_grade *g)
{
  const char *fn = gv_assign_fns[g->fn].name;
  int m = find_mistake(d, got);
  char name[32];
  grad_name(d, first_bad, name, sizeof name);
  if (m >= 0) {
    snprintf(g->diagnosis, sizeof g->diagnosis, "your %s matches a known mistake (%s): %s", fn,
             gv_ref_mistake_id(d->ref, (size_t)m), gv_ref_mistake_words(d->ref, (size_t)m));
  } else {
    const gsl_matrix *x = d->in[d->input_of[first_bad]];
    gv_judge_pattern(got[first_bad], d->grad[first_bad], x, batch_size(d), name, g->diagnosis,
                     sizeof g->diagnosis);
  }
}

static void judge_consistency(const gv_judge_draw *d, gsl_matrix *const *got, gv_fn_grade *g)
{
  if (!d->has_own || d->forward_right)
    return; /* the forward is the reference's: nothing to add */
  int own = consistent_with_own(d, got);
  if (g->verdict == GV_FN_PASS && !own)
    snprintf(g->consistency, sizeof g->consistency,
             "it is right, but your forward is not: fix the forward");
  else if (g->verdict != GV_FN_PASS && own)
    snprintf(g->consistency, sizeof g->consistency,
             "it is the exact derivative of your own forward, which is wrong: fix the forward "
             "first");
  else if (g->verdict != GV_FN_PASS)
    snprintf(g->consistency, sizeof g->consistency,
             "it is not the derivative of your own forward either: the backward itself is wrong");
}

int gv_judge_backward(const gv_judge_draw *d, const gv_wire_record *reply, gv_fn_grade *g)
{
  gsl_matrix *const *got = reply->mat;
  size_t nfail = 0, n = 0, first_bad = d->ngrad;
  for (size_t k = 0; k < d->ngrad; k++) {
    char name[32];
    grad_name(d, k, name, sizeof name);
    size_t f = compare(got[k], d->num[k], d->num_err[k], &backward_tol, name, g);
    if (f && first_bad == d->ngrad)
      first_bad = k;
    nfail += f;
    n += got[k]->size1 * got[k]->size2;
  }
  g->verdict = nfail ? GV_FN_WRONG : GV_FN_PASS;
  if (nfail) {
    char name[32];
    grad_name(d, first_bad, name, sizeof name);
    snprintf(g->summary, sizeof g->summary,
             "wrong: %zu of %zu gradient entries differ from central differences of the "
             "reference forward (first in %s)",
             nfail, n, name);
    diagnose_backward(d, got, first_bad, g);
  } else {
    snprintf(g->summary, sizeof g->summary,
             "right: all %zu gradient entries match central differences of the reference forward",
             n);
  }
  judge_consistency(d, got, g);
  return GSL_SUCCESS;
}
