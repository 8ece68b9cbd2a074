/* bench_detect.c: how small a gradient error each method catches, and at
 * what price. Run with `meson test --benchmark detect -v`, or scripts/bench,
 * or the executable alone (--trials N, default 1000; --seed S; --quick for
 * 50 trials). It prints Markdown tables and asserts nothing.
 *
 * Methods, each called as a user of the library calls it:
 *   central   gv_fd_gradient, with its error bar e (truncation + round-off);
 *   Ridders   gv_ridders_gradient, with its error estimate e;
 *   cstep     gv_cstep_gradient (h = 0: the default step). Its value is exact
 *             to rounding, so its error bar is a few ulps of the gradient's
 *             scale: e_i = 4 DBL_EPSILON (|d_i| + max_j |d_j|);
 *   API       gv_check_gradient with default options (NULL) on a
 *             gsl_multimin_function_fdf, its own verdict.
 * The first three are judged by gv_compare.h's rule: an entry passes iff
 *   |a - n| <= atol + rtol max(|a|, |n|) + kerr e,
 * under two tolerances: "bar" (rtol 0, kerr 2, atol FLOOR_ULPS DBL_EPSILON S
 * with S = max_j |n_j|: the error bar decides, above a floor that leaves room
 * for the analytic gradient's own rounding) and "default" (the harness's
 * GV_TOL_DEFAULT_*: atol 1e-9, rtol 1e-5, kerr 2). A trial fails if any
 * entry fails.
 *
 * Functions, drawn afresh each trial: the seed's network loss over its packed
 * parameters (D, H in 2..8, K in 2..5, no ReLU unit within 0.1 of its kink);
 * softmax cross-entropy from logits in three regimes; x^T A x with A not
 * symmetric; a^T X b over X; chained Rosenbrock; a sum of exponentials
 * w_i exp(x_i / s_i) with s_i and w_i spread over 1e-3..1e3.
 *
 * Per trial and function: the uncorrupted analytic gradient must pass (else a
 * false failure); then for k = 2..10 one random entry i is corrupted, with a
 * random sign, in two ways: "max", g_i += +-10^-k max|g|, and "entry",
 * g_i *= 1 +- 10^-k on an entry with |g_i| >= 1e-3 max|g|. The engines' numeric
 * gradients are computed once per trial and judged against each corrupted
 * copy; the API is called afresh for every corruption. The detection floor is
 * the smallest 10^-k caught in >= 99% of trials, as is every larger one,
 * provided the uncorrupted gradient never failed.
 *
 * The network is drawn as the harness draws it (gv_trials_net.c: inputs of
 * scale 0.1..10, weights like a standard initialisation, so that z and the
 * logits are O(1)); saturated softmax outputs would make the seed's p - y
 * lose more digits than any corruption worth finding.
 *
 * Error-estimate quality: e_i / |n_i - t_i| with t the complex step, over
 * entries whose true error is not 0 (the complex step's own rounding, a few
 * ulps, is part of the "true" error where n is that accurate). Evaluations per
 * entry: calls of f (complex calls for cstep) over the entries. */
#include <complex.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "gradverify.h"
#include "gv_compare.h"
#include "gv_complex.h"
#include "gv_cstep.h"
#include "gv_fd.h"
#include "gv_identity.h"
#include "gv_net.h"
#include "gv_net_pack.h"
#include "gv_ridders.h"
#include "gv_softmax.h"
#include "gv_xent.h"
#include "bench_guard.h"

#define DEFAULT_SEED 20240801UL
#define DEFAULT_TRIALS 1000
#define QUICK_TRIALS 50
/* Corruptions 10^-k for k = KMIN .. KMIN + NK - 1. */
#define KMIN 2
#define NK 9
/* The detection floor needs this share of corrupted trials caught. */
#define CATCH_SHARE 0.99
/* No ReLU unit closer than this to its kink. */
#define KINK_MARGIN 0.1
/* The complex step's error bar, in units of DBL_EPSILON (|d_i| + max|d|). */
#define CSTEP_ULPS 4.0
/* The "bar" rule's absolute floor, in units of DBL_EPSILON max|n|: room for
 * the analytic gradient's own rounding, which reaches ~150 ulps of max|g| on
 * the seed's network (see the table of it that the run prints). */
#define FLOOR_ULPS 1024.0
/* "entry" corruptions only on entries at least this share of max|g|. */
#define ENTRY_MIN 1e-3

enum fun { F_NET, F_XENT5, F_XENT_SHIFT, F_XENT_WIDE, F_XTAX, F_ATXB, F_ROSEN, F_EXPSUM, NFUNS };
static const char *fun_name[NFUNS] = {"network loss, packed params",
                                      "softmax CE, logits U(-5,5)",
                                      "softmax CE, logits c+U(-3,3), abs(c)<=497",
                                      "softmax CE, logits U(-500,500)",
                                      "x^T A x, A non-symmetric",
                                      "a^T X b over X",
                                      "Rosenbrock (chained)",
                                      "sum w exp(x/s), w, s in 1e-3..1e3"};

enum method { M_CENTRAL, M_RIDDERS, M_CSTEP, M_API, NMETHODS };
static const char *method_name[NMETHODS] = {"central (gv_fd)", "Ridders (gv_ridders)",
                                            "complex step (gv_cstep)", "API gv_check_gradient"};

/* A row of the tables: a method under one pass rule. */
enum row {
  R_CENTRAL_BAR,
  R_CENTRAL_TOL,
  R_RIDDERS_BAR,
  R_RIDDERS_TOL,
  R_CSTEP_BAR,
  R_CSTEP_TOL,
  R_API,
  NROWS
};
static const enum method row_method[NROWS] = {M_CENTRAL, M_CENTRAL, M_RIDDERS, M_RIDDERS,
                                              M_CSTEP,   M_CSTEP,   M_API};
static const char *row_rule[NROWS] = {"bar", "default", "bar", "default", "bar", "default", "API"};

enum ctype { C_MAX, C_ENTRY, NCTYPES };
static const char *ctype_name[NCTYPES] = {"relative to max|g| (g_i += 10^-k max|g|)",
                                          "relative to the entry (g_i *= 1 + 10^-k)"};

/* Results of one row on one function. */
typedef struct {
  size_t trials, false_fail, errors;
  size_t ncorrupt[NCTYPES];
  size_t caught[NCTYPES][NK];
} cell;

/* Per method and function: evaluations and the error estimate's quality. */
typedef struct {
  double calls, entries;
  double *ratio; /* estimate / true error, entries with true error > 0 */
  size_t nratio, cap, nexact, nunder;
} mstats;

static cell cells[NFUNS][NROWS];
static mstats mst[NFUNS][NMETHODS];
/* Per function: max_i |a_i - t_i| / (DBL_EPSILON max|t|) of each trial, the
 * analytic gradient's own rounding against the complex step. */
static mstats adev[NFUNS];

static void push(mstats *s, double x)
{
  if (s->nratio == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 4096;
    double *r = realloc(s->ratio, cap * sizeof *r);
    if (!r)
      return;
    s->ratio = r;
    s->cap = cap;
  }
  s->ratio[s->nratio++] = x;
}

static void add_ratio(mstats *s, double est, double err)
{
  if (err == 0.0) {
    s->nexact++;
    return;
  }
  if (est < err)
    s->nunder++;
  push(s, est / err);
}

/* ---- The test functions ---- */

typedef struct {
  enum fun kind;
  size_t n;      /* variables */
  gsl_vector *x; /* the point; gv_fd and gv_ridders perturb it in place */
  gsl_vector *y; /* target: K (network) or n (softmax CE) */
  gsl_vector *u; /* network input (D); x^T A x work (n); a (m); w (n) */
  gsl_vector *v; /* b (nn); s (n); softmax p (n) */
  gsl_vector *t; /* work: X b (m) */
  gsl_matrix *A; /* x^T A x */
  size_t m, nn;  /* shape of X in a^T X b */
  gv_net *net;
  gv_net_state *st;
  gv_net_grad *gr;
  double complex *cwork;
  gv_complex_net_problem cp;
  size_t calls, ccalls;
  /* The API's analytic gradient: g_bad <- g_bad (1 + rel) + add, if corrupt. */
  int corrupt;
  size_t bad;
  double rel, add;
} prob;

static void prob_free(prob *p)
{
  gsl_vector_free(p->x);
  gsl_vector_free(p->y);
  gsl_vector_free(p->u);
  gsl_vector_free(p->v);
  gsl_vector_free(p->t);
  gsl_matrix_free(p->A);
  gv_net_free(p->net);
  gv_net_state_free(p->st);
  gv_net_grad_free(p->gr);
  free(p->cwork);
  memset(p, 0, sizeof *p);
}

static double unif(gsl_rng *r, double lo, double hi)
{
  return lo + (hi - lo) * gsl_rng_uniform(r);
}

static void fill(gsl_rng *r, double *a, size_t n, double lo, double hi)
{
  for (size_t i = 0; i < n; i++)
    a[i] = unif(r, lo, hi);
}

/* Draws a problem of the given kind; GSL_ENOMEM if out of memory. */
static int prob_draw(prob *p, enum fun kind, gsl_rng *r)
{
  memset(p, 0, sizeof *p);
  p->kind = kind;
  switch (kind) {
  case F_NET: {
    size_t D = 2 + gsl_rng_uniform_int(r, 7), H = 2 + gsl_rng_uniform_int(r, 7);
    size_t K = 2 + gsl_rng_uniform_int(r, 4);
    p->net = gv_net_alloc(D, H, K);
    p->st = p->net ? gv_net_state_alloc(p->net) : NULL;
    p->gr = p->net ? gv_net_grad_alloc(p->net) : NULL;
    p->u = gsl_vector_alloc(D);
    p->y = gsl_vector_calloc(K);
    p->cwork = malloc((H + K) * sizeof *p->cwork);
    if (!p->st || !p->gr || !p->u || !p->y || !p->cwork)
      return GSL_ENOMEM;
    p->n = gv_net_pack_size(p->net);
    if (!(p->x = gsl_vector_alloc(p->n)))
      return GSL_ENOMEM;
    for (int near_kink = 1; near_kink;) {
      /* The harness's distribution (gv_trials_net.c): z and the logits O(1). */
      double sx = 0.1 * exp(gsl_rng_uniform(r) * log(100.0)), sw = sqrt(3.0 / (double)D) / sx;
      double sv = 2.0 * sqrt(3.0 / (double)H);
      fill(r, p->u->data, D, -sx, sx);
      fill(r, p->net->W->data, H * D, -sw, sw);
      fill(r, p->net->b1->data, H, -0.5, 0.5);
      fill(r, p->net->V->data, K * H, -sv, sv);
      fill(r, p->net->b2->data, K, -0.5, 0.5);
      gsl_vector_set_zero(p->y);
      gsl_vector_set(p->y, gsl_rng_uniform_int(r, K), 1.0);
      gv_net_forward(p->net, p->u, p->y, p->st);
      near_kink = 0;
      for (size_t i = 0; i < H; i++)
        if (fabs(gsl_vector_get(p->st->z, i)) < KINK_MARGIN)
          near_kink = 1;
    }
    gv_net_pack(p->net, p->x);
    p->cp = (gv_complex_net_problem){D, H, K, p->u->data, p->y->data, p->cwork};
    return GSL_SUCCESS;
  }
  case F_XENT5:
  case F_XENT_SHIFT:
  case F_XENT_WIDE: {
    p->n = 2 + gsl_rng_uniform_int(r, 9);
    p->x = gsl_vector_alloc(p->n);
    p->y = gsl_vector_calloc(p->n);
    p->v = gsl_vector_alloc(p->n);
    if (!p->x || !p->y || !p->v)
      return GSL_ENOMEM;
    if (kind == F_XENT5) {
      fill(r, p->x->data, p->n, -5.0, 5.0);
    } else if (kind == F_XENT_SHIFT) {
      double c = unif(r, -497.0, 497.0);
      fill(r, p->x->data, p->n, c - 3.0, c + 3.0);
    } else {
      fill(r, p->x->data, p->n, -500.0, 500.0);
    }
    gsl_vector_set(p->y, gsl_rng_uniform_int(r, p->n), 1.0);
    return GSL_SUCCESS;
  }
  case F_XTAX:
    p->n = 2 + gsl_rng_uniform_int(r, 9);
    p->x = gsl_vector_alloc(p->n);
    p->u = gsl_vector_alloc(p->n);
    p->A = gsl_matrix_alloc(p->n, p->n);
    if (!p->x || !p->u || !p->A)
      return GSL_ENOMEM;
    fill(r, p->A->data, p->n * p->n, -2.0, 2.0);
    fill(r, p->x->data, p->n, -3.0, 3.0);
    return GSL_SUCCESS;
  case F_ATXB:
    p->m = 2 + gsl_rng_uniform_int(r, 5);
    p->nn = 2 + gsl_rng_uniform_int(r, 5);
    p->n = p->m * p->nn;
    p->x = gsl_vector_alloc(p->n);
    p->u = gsl_vector_alloc(p->m);
    p->v = gsl_vector_alloc(p->nn);
    p->t = gsl_vector_alloc(p->m);
    if (!p->x || !p->u || !p->v || !p->t)
      return GSL_ENOMEM;
    fill(r, p->u->data, p->m, -2.0, 2.0);
    fill(r, p->v->data, p->nn, -2.0, 2.0);
    fill(r, p->x->data, p->n, -3.0, 3.0);
    return GSL_SUCCESS;
  case F_ROSEN:
    p->n = 2 + gsl_rng_uniform_int(r, 7);
    if (!(p->x = gsl_vector_alloc(p->n)))
      return GSL_ENOMEM;
    fill(r, p->x->data, p->n, -2.0, 2.0);
    return GSL_SUCCESS;
  case F_EXPSUM:
  default:
    p->n = 2 + gsl_rng_uniform_int(r, 7);
    p->x = gsl_vector_alloc(p->n);
    p->u = gsl_vector_alloc(p->n);
    p->v = gsl_vector_alloc(p->n);
    if (!p->x || !p->u || !p->v)
      return GSL_ENOMEM;
    for (size_t i = 0; i < p->n; i++) {
      double s = pow(10.0, unif(r, -3.0, 3.0));
      gsl_vector_set(p->u, i, pow(10.0, unif(r, -3.0, 3.0)));
      gsl_vector_set(p->v, i, s);
      gsl_vector_set(p->x, i, s * unif(r, -2.0, 2.0));
    }
    return GSL_SUCCESS;
  }
}

/* f at x (p->x or the API's copy of it). */
static int value(prob *p, const gsl_vector *x, double *fx)
{
  int status = GSL_SUCCESS;
  double f = 0.0;
  switch (p->kind) {
  case F_NET:
    status = gv_net_unpack(x, p->net);
    if (!status)
      status = gv_net_forward(p->net, p->u, p->y, p->st);
    f = p->st->loss;
    break;
  case F_XENT5:
  case F_XENT_SHIFT:
  case F_XENT_WIDE:
    status = gv_xent_loss_logits(p->y, x, &f);
    break;
  case F_XTAX:
    gsl_blas_dgemv(CblasNoTrans, 1.0, p->A, x, 0.0, p->u);
    gsl_blas_ddot(x, p->u, &f);
    break;
  case F_ATXB: {
    gsl_matrix_const_view X = gsl_matrix_const_view_vector(x, p->m, p->nn);
    gsl_blas_dgemv(CblasNoTrans, 1.0, &X.matrix, p->v, 0.0, p->t);
    gsl_blas_ddot(p->u, p->t, &f);
    break;
  }
  case F_ROSEN:
    for (size_t i = 0; i + 1 < p->n; i++) {
      double xi = gsl_vector_get(x, i), d = gsl_vector_get(x, i + 1) - xi * xi;
      f += 100.0 * d * d + (1.0 - xi) * (1.0 - xi);
    }
    break;
  default:
    for (size_t i = 0; i < p->n; i++)
      f += gsl_vector_get(p->u, i) * exp(gsl_vector_get(x, i) / gsl_vector_get(p->v, i));
    break;
  }
  *fx = f;
  return status;
}

/* The right gradient at x, by the seed's formulas and the identities. */
static int analytic(prob *p, const gsl_vector *x, gsl_vector *g)
{
  int status = GSL_SUCCESS;
  switch (p->kind) {
  case F_NET:
    status = gv_net_unpack(x, p->net);
    if (!status)
      status = gv_net_forward(p->net, p->u, p->y, p->st);
    if (!status)
      status = gv_net_backward(p->net, p->u, p->y, p->st, p->gr);
    if (!status)
      status = gv_net_grad_pack(p->net, p->gr, g);
    return status;
  case F_XENT5:
  case F_XENT_SHIFT:
  case F_XENT_WIDE:
    status = gv_softmax(x, p->v);
    if (!status)
      status = gv_xent_grad_logits(p->y, p->v, g);
    return status;
  case F_XTAX:
    return gv_identity_xTAx(p->A, x, g);
  case F_ATXB: {
    gsl_matrix_view G = gsl_matrix_view_vector(g, p->m, p->nn);
    return gv_identity_aTXb(p->u, p->v, &G.matrix);
  }
  case F_ROSEN:
    for (size_t i = 0; i < p->n; i++) {
      double xi = gsl_vector_get(x, i), gi = 0.0;
      if (i + 1 < p->n)
        gi += -400.0 * xi * (gsl_vector_get(x, i + 1) - xi * xi) - 2.0 * (1.0 - xi);
      if (i > 0) {
        double xp = gsl_vector_get(x, i - 1);
        gi += 200.0 * (xi - xp * xp);
      }
      gsl_vector_set(g, i, gi);
    }
    return GSL_SUCCESS;
  default:
    for (size_t i = 0; i < p->n; i++) {
      double w = gsl_vector_get(p->u, i), s = gsl_vector_get(p->v, i);
      gsl_vector_set(g, i, w / s * exp(gsl_vector_get(x, i) / s));
    }
    return GSL_SUCCESS;
  }
}

/* The same functions in complex arithmetic, for gv_cstep. */
static int cvalue(void *params, const double complex *z, size_t n, double complex *fx)
{
  prob *p = params;
  p->ccalls++;
  double complex f = 0.0;
  switch (p->kind) {
  case F_NET:
    return gv_complex_net_loss_fn(&p->cp, z, n, fx);
  case F_XENT5:
  case F_XENT_SHIFT:
  case F_XENT_WIDE:
    return gv_complex_xent_loss_logits(p->y->data, z, n, fx);
  case F_XTAX:
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++)
        f += z[i] * gsl_matrix_get(p->A, i, j) * z[j];
    break;
  case F_ATXB:
    for (size_t i = 0; i < p->m; i++)
      for (size_t j = 0; j < p->nn; j++)
        f += gsl_vector_get(p->u, i) * z[i * p->nn + j] * gsl_vector_get(p->v, j);
    break;
  case F_ROSEN:
    for (size_t i = 0; i + 1 < n; i++) {
      double complex d = z[i + 1] - z[i] * z[i];
      f += 100.0 * d * d + (1.0 - z[i]) * (1.0 - z[i]);
    }
    break;
  default:
    for (size_t i = 0; i < n; i++)
      f += gsl_vector_get(p->u, i) * cexp(z[i] / gsl_vector_get(p->v, i));
    break;
  }
  *fx = f;
  return GSL_SUCCESS;
}

/* gv_fd / gv_ridders callback: f at p->x, counted. */
static int fd_value(void *params, double *fx)
{
  prob *p = params;
  p->calls++;
  return value(p, p->x, fx);
}

/* The API's callbacks: f counted, df right or corrupted as p says. */
static double api_f(const gsl_vector *x, void *params)
{
  prob *p = params;
  double f;
  p->calls++;
  return value(p, x, &f) ? NAN : f;
}

static void api_df(const gsl_vector *x, void *params, gsl_vector *g)
{
  prob *p = params;
  if (analytic(p, x, g))
    gsl_vector_set_all(g, NAN);
  if (p->corrupt)
    gsl_vector_set(g, p->bad, gsl_vector_get(g, p->bad) * (1.0 + p->rel) + p->add);
}

/* ---- Judging ---- */

static double max_abs(const gsl_vector *v)
{
  double m = 0.0;
  for (size_t i = 0; i < v->size; i++)
    m = fmax(m, fabs(gsl_vector_get(v, i)));
  return m;
}

/* 1 if every entry of a passes against (num, err) under tol. */
static int trial_passes(const gsl_vector *a, const gsl_vector *num, const gsl_vector *err,
                        const gv_tol *tol)
{
  for (size_t i = 0; i < a->size; i++)
    if (!gv_cmp_entry_passes(gsl_vector_get(a, i), gsl_vector_get(num, i), gsl_vector_get(err, i),
                             tol, NULL))
      return 0;
  return 1;
}

/* One planted error: entry bad, g_bad <- g_bad (1 + rel) + add. */
typedef struct {
  int valid;
  size_t bad;
  double rel, add;
} corruption;

static void draw_corruptions(gsl_rng *r, const gsl_vector *g, corruption c[NCTYPES][NK])
{
  double gmax = max_abs(g);
  size_t n = g->size, neligible = 0;
  for (size_t i = 0; i < n; i++)
    if (fabs(gsl_vector_get(g, i)) >= ENTRY_MIN * gmax && gsl_vector_get(g, i) != 0.0)
      neligible++;
  for (int k = 0; k < NK; k++) {
    double mag = pow(10.0, -(double)(KMIN + k));
    double sign = gsl_rng_uniform_int(r, 2) ? 1.0 : -1.0;
    c[C_MAX][k] = (corruption){gmax > 0.0, gsl_rng_uniform_int(r, n), 0.0, sign * mag * gmax};
    sign = gsl_rng_uniform_int(r, 2) ? 1.0 : -1.0;
    c[C_ENTRY][k] = (corruption){neligible > 0, 0, sign * mag, 0.0};
    if (neligible) {
      size_t pick = gsl_rng_uniform_int(r, neligible);
      for (size_t i = 0; i < n; i++)
        if (fabs(gsl_vector_get(g, i)) >= ENTRY_MIN * gmax && gsl_vector_get(g, i) != 0.0 &&
            pick-- == 0) {
          c[C_ENTRY][k].bad = i;
          break;
        }
    }
  }
}

/* Judges one engine method's numeric gradient (num, err) in rows bar and tol. */
static void judge(cell *bar, cell *def, const gsl_vector *g, const gsl_vector *num,
                  const gsl_vector *err, corruption c[NCTYPES][NK], gsl_vector *work)
{
  gv_tol tb = {FLOOR_ULPS * DBL_EPSILON * max_abs(num), 0.0, GV_TOL_DEFAULT_KERR};
  gv_tol td = {GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR};
  cell *cl[2] = {bar, def};
  const gv_tol *tl[2] = {&tb, &td};
  for (int r = 0; r < 2; r++) {
    cl[r]->trials++;
    if (!trial_passes(g, num, err, tl[r]))
      cl[r]->false_fail++;
    for (int t = 0; t < NCTYPES; t++)
      for (int k = 0; k < NK; k++) {
        const corruption *cc = &c[t][k];
        if (!cc->valid)
          continue;
        gsl_vector_memcpy(work, g);
        double gi = gsl_vector_get(work, cc->bad);
        gsl_vector_set(work, cc->bad, gi * (1.0 + cc->rel) + cc->add);
        if (k == 0)
          cl[r]->ncorrupt[t]++;
        if (!trial_passes(work, num, err, tl[r]))
          cl[r]->caught[t][k]++;
      }
  }
}

/* The API on p at p->x, right or corrupted by c (NULL: right). Returns the
 * verdict, or -1 if the check could not run. */
static int api_run(prob *p, const corruption *c, gv_outcome *out)
{
  gsl_multimin_function_fdf fdf = {api_f, api_df, NULL, p->n, p};
  p->corrupt = c != NULL;
  if (c) {
    p->bad = c->bad;
    p->rel = c->rel;
    p->add = c->add;
  }
  int status = gv_check_gradient(&fdf, p->x, NULL, out);
  p->corrupt = 0;
  return status ? -1 : (int)gv_outcome_verdict(out);
}

typedef struct {
  gsl_vector *g, *t, *num, *err, *work;
} vecs;

static int vecs_alloc(vecs *v, size_t n)
{
  v->g = gsl_vector_alloc(n);
  v->t = gsl_vector_alloc(n);
  v->num = gsl_vector_alloc(n);
  v->err = gsl_vector_alloc(n);
  v->work = gsl_vector_alloc(n);
  return v->g && v->t && v->num && v->err && v->work ? GSL_SUCCESS : GSL_ENOMEM;
}

static void vecs_free(vecs *v)
{
  gsl_vector_free(v->g);
  gsl_vector_free(v->t);
  gsl_vector_free(v->num);
  gsl_vector_free(v->err);
  gsl_vector_free(v->work);
}

/* One trial of function f: every method, every corruption. */
static int run_trial(enum fun f, gsl_rng *r, gv_outcome *out)
{
  prob p;
  vecs v = {0};
  int status = prob_draw(&p, f, r);
  if (!status)
    status = vecs_alloc(&v, p.n);
  if (!status)
    status = analytic(&p, p.x, v.g);
  gv_cstep_fn cf = {cvalue, &p, 1};
  if (!status)
    status = gv_cstep_gradient(&cf, p.x, v.t, 0.0);
  if (status)
    goto cleanup;
  mst[f][M_CSTEP].calls += (double)p.ccalls;
  mst[f][M_CSTEP].entries += (double)p.n;

  corruption c[NCTYPES][NK];
  draw_corruptions(r, v.g, c);
  gv_fd_scalar fn = {fd_value, &p};

  /* Central differences with their error bar. */
  p.calls = 0;
  if (gv_fd_gradient(&fn, p.x, v.num, v.err)) {
    cells[f][R_CENTRAL_BAR].errors++;
    cells[f][R_CENTRAL_TOL].errors++;
  } else {
    mst[f][M_CENTRAL].calls += (double)p.calls;
    mst[f][M_CENTRAL].entries += (double)p.n;
    for (size_t i = 0; i < p.n; i++)
      add_ratio(&mst[f][M_CENTRAL], gsl_vector_get(v.err, i),
                fabs(gsl_vector_get(v.num, i) - gsl_vector_get(v.t, i)));
    judge(&cells[f][R_CENTRAL_BAR], &cells[f][R_CENTRAL_TOL], v.g, v.num, v.err, c, v.work);
  }

  /* Ridders. */
  p.calls = 0;
  if (gv_ridders_gradient(&fn, p.x, v.num, v.err)) {
    cells[f][R_RIDDERS_BAR].errors++;
    cells[f][R_RIDDERS_TOL].errors++;
  } else {
    mst[f][M_RIDDERS].calls += (double)p.calls;
    mst[f][M_RIDDERS].entries += (double)p.n;
    for (size_t i = 0; i < p.n; i++)
      add_ratio(&mst[f][M_RIDDERS], gsl_vector_get(v.err, i),
                fabs(gsl_vector_get(v.num, i) - gsl_vector_get(v.t, i)));
    judge(&cells[f][R_RIDDERS_BAR], &cells[f][R_RIDDERS_TOL], v.g, v.num, v.err, c, v.work);
  }

  /* The complex step, with an error bar of CSTEP_ULPS ulps of its scale. */
  double tmax = max_abs(v.t), dev = 0.0;
  for (size_t i = 0; i < p.n; i++)
    dev = fmax(dev, fabs(gsl_vector_get(v.g, i) - gsl_vector_get(v.t, i)));
  if (tmax > 0.0)
    push(&adev[f], dev / (DBL_EPSILON * tmax));
  else if (dev > 0.0)
    adev[f].nunder++; /* differs where the truth is all zeros */
  for (size_t i = 0; i < p.n; i++)
    gsl_vector_set(v.err, i, CSTEP_ULPS * DBL_EPSILON * (fabs(gsl_vector_get(v.t, i)) + tmax));
  judge(&cells[f][R_CSTEP_BAR], &cells[f][R_CSTEP_TOL], v.g, v.t, v.err, c, v.work);

  /* The public API with its defaults. */
  cell *ca = &cells[f][R_API];
  p.calls = 0;
  int verdict = api_run(&p, NULL, out);
  if (verdict < 0) {
    ca->errors++;
    goto cleanup;
  }
  ca->trials++;
  if (verdict == GV_FAIL)
    ca->false_fail++;
  mst[f][M_API].calls += (double)p.calls;
  mst[f][M_API].entries += (double)p.n;
  for (size_t i = 0; i < p.n; i++) {
    gv_entry e;
    if (!gv_outcome_entry(out, i, &e))
      add_ratio(&mst[f][M_API], e.error_bar, fabs(e.numeric - gsl_vector_get(v.t, e.col)));
  }
  for (int t = 0; t < NCTYPES; t++)
    for (int k = 0; k < NK; k++) {
      if (!c[t][k].valid)
        continue;
      if (k == 0)
        ca->ncorrupt[t]++;
      verdict = api_run(&p, &c[t][k], out);
      if (verdict != GV_PASS) /* a check that cannot run catches nothing, but stops the user */
        ca->caught[t][k]++;
    }

cleanup:
  vecs_free(&v);
  prob_free(&p);
  return status;
}

/* ---- Output ---- */

/* Index of the detection floor (smallest corruption caught in CATCH_SHARE
 * of trials, as is every larger one): -1 if none, -2 if false failures or
 * nothing was corrupted. */
static int floor_index(const cell *c, int t)
{
  if (c->false_fail || c->errors || c->ncorrupt[t] == 0)
    return -2;
  int best = -1;
  for (int k = 0; k < NK; k++) {
    if ((double)c->caught[t][k] < CATCH_SHARE * (double)c->ncorrupt[t])
      break;
    best = k;
  }
  return best;
}

static const char *floor_str(int idx, char *buf, size_t len)
{
  if (idx == -2)
    return "- (false failures)";
  if (idx == -1)
    return "none";
  snprintf(buf, len, "1e-%d", KMIN + idx);
  return buf;
}

static void print_ratio(const mstats *s)
{
  if (!s->nratio) {
    printf(" - | - |");
    return;
  }
  gsl_sort(s->ratio, 1, s->nratio);
  size_t n = s->nratio;
  printf(" %.3g [%.2g, %.2g] | %.1f%% |", s->ratio[n / 2],
         s->ratio[(size_t)(0.01 * (double)(n - 1))], s->ratio[(size_t)(0.99 * (double)(n - 1))],
         100.0 * (double)s->nunder / (double)(n + s->nexact));
}

static void print_summary(void)
{
  char b1[32], b2[32];
  printf("| function | method | rule | trials | false failures | floor, rel. to max\\|g\\| | "
         "floor, rel. to entry | evals/entry | estimate/true: median [p1, p99] | estimate < "
         "true |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (int f = 0; f < NFUNS; f++)
    for (int r = 0; r < NROWS; r++) {
      const cell *c = &cells[f][r];
      enum method m = row_method[r];
      printf("| %s | %s | %s | %zu | %zu%s |", fun_name[f], method_name[m], row_rule[r], c->trials,
             c->false_fail, c->errors ? " (+errors)" : "");
      printf(" %s | %s |", floor_str(floor_index(c, C_MAX), b1, sizeof b1),
             floor_str(floor_index(c, C_ENTRY), b2, sizeof b2));
      const mstats *s = &mst[f][m];
      printf(" %.1f |", s->entries > 0 ? s->calls / s->entries : 0.0);
      if (m == M_CSTEP)
        printf(" (the truth) | - |\n");
      else
        print_ratio(s);
      if (m != M_CSTEP)
        printf("\n");
    }
}

/* Over every function: false failures summed, the worst floor. */
static void print_overall(void)
{
  char b1[32], b2[32];
  printf("| method | rule | false failures (all functions) | worst floor, rel. to max\\|g\\| | "
         "worst floor, rel. to entry | evals/entry (all) |\n|---|---|---|---|---|---|\n");
  for (int r = 0; r < NROWS; r++) {
    size_t ff = 0;
    int worst[NCTYPES] = {NK, NK};
    double calls = 0.0, entries = 0.0;
    for (int f = 0; f < NFUNS; f++) {
      ff += cells[f][r].false_fail + cells[f][r].errors;
      for (int t = 0; t < NCTYPES; t++) {
        int idx = floor_index(&cells[f][r], t);
        if (idx < worst[t])
          worst[t] = idx;
      }
      calls += mst[f][row_method[r]].calls;
      entries += mst[f][row_method[r]].entries;
    }
    printf("| %s | %s | %zu | %s | %s | %.1f |\n", method_name[row_method[r]], row_rule[r], ff,
           floor_str(worst[C_MAX], b1, sizeof b1), floor_str(worst[C_ENTRY], b2, sizeof b2),
           entries > 0 ? calls / entries : 0.0);
  }
}

static void print_rates(int t)
{
  printf("| function | method | rule | corrupted trials |");
  for (int k = 0; k < NK; k++)
    printf(" 1e-%d |", KMIN + k);
  printf("\n|---|---|---|---|");
  for (int k = 0; k < NK; k++)
    printf("---|");
  printf("\n");
  for (int f = 0; f < NFUNS; f++)
    for (int r = 0; r < NROWS; r++) {
      const cell *c = &cells[f][r];
      printf("| %s | %s | %s | %zu |", fun_name[f], method_name[row_method[r]], row_rule[r],
             c->ncorrupt[t]);
      for (int k = 0; k < NK; k++)
        if (c->ncorrupt[t])
          printf(" %.1f |", 100.0 * (double)c->caught[t][k] / (double)c->ncorrupt[t]);
        else
          printf(" - |");
      printf("\n");
    }
}

static void usage(FILE *s)
{
  fprintf(s,
          "usage: bench_detect [--trials N] [--seed S] [--quick]\n"
          "  --trials N  random trials per function (default %d)\n"
          "  --seed S    seed of the gsl_rng (mt19937; default %lu)\n"
          "  --quick     %d trials, a smoke run\n",
          DEFAULT_TRIALS, DEFAULT_SEED, QUICK_TRIALS);
}

int main(int argc, char **argv)
{
  bench_guard_install();
  unsigned long seed = DEFAULT_SEED;
  long trials = DEFAULT_TRIALS;
  int quick = 0, trials_given = 0;
  static const struct option longopts[] = {{"trials", required_argument, NULL, 't'},
                                           {"seed", required_argument, NULL, 's'},
                                           {"quick", no_argument, NULL, 'q'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  int opt;
  char *end;
  while ((opt = getopt_long(argc, argv, "t:s:qh", longopts, NULL)) != -1) {
    switch (opt) {
    case 't':
      trials = strtol(optarg, &end, 10);
      if (*end || trials < 1) {
        fprintf(stderr, "bench_detect: --trials wants a positive integer, not '%s'\n", optarg);
        return 2;
      }
      trials_given = 1;
      break;
    case 's':
      seed = strtoul(optarg, &end, 10);
      if (*end || !*optarg) {
        fprintf(stderr, "bench_detect: --seed wants a non-negative integer, not '%s'\n", optarg);
        return 2;
      }
      break;
    case 'q':
      quick = 1;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }
  if (quick && !trials_given)
    trials = QUICK_TRIALS;

  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gv_outcome *out = gv_outcome_alloc();
  if (!r || !out) {
    fprintf(stderr, "bench_detect: out of memory\n");
    return 2;
  }
  int status = GSL_SUCCESS;
  for (int f = 0; f < NFUNS && !status; f++) {
    clock_t t0 = clock();
    gsl_rng_set(r, seed + (unsigned long)f); /* each function its own stream */
    for (long i = 0; i < trials && !status; i++)
      status = run_trial((enum fun)f, r, out);
    fprintf(stderr, "bench_detect: %s: %.1f s\n", fun_name[f],
            (double)(clock() - t0) / CLOCKS_PER_SEC);
  }
  if (status) {
    fprintf(stderr, "bench_detect: a trial could not run: %s\n", gsl_strerror(status));
    return 2;
  }

  printf("## Detection floor, error estimates and cost (bench_detect, C)\n\n");
  printf("%ld trials per function, seed %lu. Corruptions 10^-k, k = %d..%d, one random entry, "
         "random sign. Detection floor: the smallest 10^-k caught in >= %.0f%% of trials (and so "
         "is every larger one), provided the uncorrupted gradient never failed.\n\n",
         trials, seed, KMIN, KMIN + NK - 1, 100.0 * CATCH_SHARE);
  printf("Pass rule per entry (gv_compare.h): |a - n| <= atol + rtol max(|a|,|n|) + kerr e; a "
         "trial fails if any entry fails.\n"
         "- bar: atol = %g eps max|n|, rtol = 0, kerr = %g (the error bar decides; the floor "
         "is room for the analytic side's own rounding);\n"
         "- default: atol = %g, rtol = %g, kerr = %g (GV_TOL_DEFAULT_*);\n"
         "- API: gv_check_gradient(fdf, x, NULL, out), its own verdict with default options;\n"
         "- e: gv_fd's error bar, gv_ridders' estimate, and for the complex step "
         "%g eps (|n_i| + max|n|).\n\n",
         FLOOR_ULPS, GV_TOL_DEFAULT_KERR, GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL,
         GV_TOL_DEFAULT_KERR, CSTEP_ULPS);
  printf("Network: D, H in 2..8, K in 2..5, no |z_i| < %g. estimate/true: e_i / |n_i - t_i|, t "
         "the complex step, over entries with |n_i - t_i| > 0; \"estimate < true\": share of all "
         "entries.\n\n",
         KINK_MARGIN);
  print_summary();
  printf("\n### The analytic gradient's own rounding\n\n"
         "max_i |a_i - t_i| / (eps max|t|) per trial, a the uncorrupted analytic gradient (the "
         "seed's formulas, the identities), t the complex step; it is what the bar rule's floor "
         "(%g eps max|n|) must leave room for.\n\n"
         "| function | median | p99 | max | trials with max\\|t\\| = 0 and a != t |\n"
         "|---|---|---|---|---|\n",
         FLOOR_ULPS);
  for (int f = 0; f < NFUNS; f++) {
    mstats *s = &adev[f];
    size_t n = s->nratio;
    if (n)
      gsl_sort(s->ratio, 1, n);
    printf("| %s | %.3g | %.3g | %.3g | %zu |\n", fun_name[f], n ? s->ratio[n / 2] : 0.0,
           n ? s->ratio[(size_t)(0.99 * (double)(n - 1))] : 0.0, n ? s->ratio[n - 1] : 0.0,
           s->nunder);
  }
  printf("\n### All functions\n\n");
  print_overall();
  for (int t = 0; t < NCTYPES; t++) {
    printf("\n### Detection rate (%%), corruption %s\n\n", ctype_name[t]);
    print_rates(t);
  }
  for (int f = 0; f < NFUNS; f++) {
    for (int m = 0; m < NMETHODS; m++)
      free(mst[f][m].ratio);
    free(adev[f].ratio);
  }
  gv_outcome_free(out);
  gsl_rng_free(r);
  return EXIT_SUCCESS;
}
