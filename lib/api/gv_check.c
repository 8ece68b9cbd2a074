/* gv_check.c: gv_check_gradient and gv_check_jacobian.
 *
 * Both checks are one computation. The user's function becomes a vector
 * function of m outputs (m = 1 for a gradient, n residuals for a Jacobian),
 * and the derivative to check an m-by-ncols matrix A whose column j is the
 * derivative along one variable: the coordinate x_j in the full check, or a
 * random direction v_k in directional mode, where the variable is t in
 * f(x + t v_k) and A's column is J v_k. Each column costs 4 evaluations of the
 * function (the engine's stencil at +-h, +-h/2) plus one shared f(x); the same
 * 5 values give the central difference, its error bar and both one-sided
 * differences, so that kinks are found at no extra cost. In Ridders mode a
 * column starts with 3 of them (+-h, +h/2: the central difference and a
 * third divided difference for its error bar), and only a column that this
 * first estimate does not settle gets the fourth (-h/2) and what follows
 * (where only its error bar is too coarse, a finer estimate at longer steps
 * first). */
#include "gv_check_impl.h"
#include "gv_check_flat.h"
#include "gv_check_sample.h"
#include "gv_check_threads.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gv_alloc.h"
#include "gv_compare.h"
#include "gv_contract.h"
#include "gv_ridders.h"

/* Re-estimation of doubtful entries: steps h/10 ... h/10^REFINE_LEVELS. */
#define REFINE_LEVELS 4
/* Ridders' probe starts at RIDDERS_START of f's length scale as the central
 * estimates show it, and at most RIDDERS_FROM_CENTRAL times their step
 * (central steps are ~cbrt(eps) ~ 6e-6 of the scale they assume; Ridders
 * grows its step where round-off limits it). */
#define RIDDERS_START 0.05
#define RIDDERS_FROM_CENTRAL 1e1
/* Ridders and central agree when they differ by at most this many times the
 * sum of their error estimates. */
#define AGREE 2.0

void gv_options_init(gv_options *opts)
{
  *opts = (gv_options){
      .rtol = 0.0,
      .kerr = 10.0,
      .atol = 0.0,
      .atol_scale = 1e-10,
      .method = GV_METHOD_RIDDERS,
      .step_rule = GV_STEP_SCALED,
      .step = 1e-5,
      .refine = 1,
      .directions = 0,
      .seed = 1,
      .threads = 1,
      .entries = 0,
      .named = NULL,
      .nnamed = 0,
  };
}

void gv_options_central(gv_options *opts)
{
  gv_options_init(opts);
  opts->method = GV_METHOD_CENTRAL;
  opts->rtol = GV_TOL_DEFAULT_RTOL;
  opts->kerr = GV_TOL_DEFAULT_KERR;
  opts->atol_scale = 1e-8;
}

/* Sampled mode's options: a count of names needs the names, and a sample
 * is of variables, not of directions. */
static int sample_valid(const gv_options *o)
{
  return !(o->nnamed && !o->named) && !(o->directions && (o->entries || o->nnamed));
}

static int options_valid(const gv_options *o)
{
  int ok = isfinite(o->rtol) && o->rtol >= 0.0 && isfinite(o->kerr) && o->kerr >= 0.0 &&
           isfinite(o->atol) && o->atol >= 0.0 && isfinite(o->atol_scale) && o->atol_scale >= 0.0 &&
           (o->method == GV_METHOD_RIDDERS || o->method == GV_METHOD_CENTRAL) && sample_valid(o);
  switch (o->step_rule) {
  case GV_STEP_SCALED:
  case GV_STEP_RELATIVE:
    return ok;
  case GV_STEP_FIXED:
    return ok && isfinite(o->step) && o->step > 0.0;
  }
  return 0;
}

/* The step is base * scale(x_j); in directional mode v_j = +-scale(x_j) and
 * t moves by base, so that each x_j moves by its own coordinate step. */
static double step_base(const gv_options *o)
{
  return o->step_rule == GV_STEP_FIXED ? o->step : cbrt(DBL_EPSILON);
}

static double step_scale(const gv_options *o, double x)
{
  double ax = fabs(x);
  switch (o->step_rule) {
  case GV_STEP_SCALED:
    return ax > 1.0 ? ax : 1.0;
  case GV_STEP_RELATIVE:
    /* subnormal x: c |x| underflows (to 0, or to a step whose half is 0) */
    return ax >= DBL_MIN ? ax : 1.0;
  case GV_STEP_FIXED:
    break;
  }
  return 1.0;
}

/* Directional mode's directions, never stored together: direction j has
 * v_i = +-s_i (s_i the step scale of x_i), its signs the bits of a gsl_rng
 * (mt19937) seeded with seeds[j], 32 entries a draw. The current direction's
 * bits are kept (n / 32 words: regenerated when the engine moves to another
 * direction, which it asks for in a row) and each evaluation builds
 * x0 + t v from x0, s and the bits in one pass; v itself is expanded only for
 * J v (dirs_load). Memory O(n + k) whatever k. */
typedef struct {
  unsigned long *seeds; /* k */
  gsl_vector *s;        /* n: the step scale of each x_i */
  int unit;             /* every s_i is 1 */
  unsigned long *bits;  /* n / 32 rounded up: the signs of direction cur */
  gsl_vector *v;        /* n: direction cur expanded, for J v */
  size_t cur;           /* the direction in bits; (size_t)-1 for none */
  gsl_rng *r;
} dirs;

static const double dir_sign[2] = {-1.0, 1.0};

static void dirs_bits(dirs *d, size_t j)
{
  if (d->cur == j)
    return;
  gsl_rng_set(d->r, d->seeds[j]);
  for (size_t b = 0; b < (d->s->size + 31) / 32; b++)
    d->bits[b] = gsl_rng_get(d->r);
  d->cur = j;
}

/* work = x0 + t v for the current direction, in one pass from x0, the
 * scales and the sign bits: w_i = x_i + (+-(t s_i)), the same numbers as
 * x0 + t * (+-s_i) since t (+-s_i) = +-(t s_i) exactly. A pass over n doubles
 * is the overhead of an evaluation over f, so it runs at memory speed: the
 * sign of t s_i is flipped by an XOR with bit i of the direction's word
 * shifted to the sign's place, 4 entries an instruction with AVX2. No branch
 * on a random bit (mispredicted half the time). */
#define SIGN_BIT ((uint64_t)1 << 63)

static inline uint64_t bits_of(double d)
{
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static inline double double_of(uint64_t u)
{
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

/* The len <= 32 entries of one word of sign bits (bit b 0: v_b = -s_b);
 * s NULL when every scale is 1. */
static inline void point_word(const double *restrict x, const double *restrict s,
                              unsigned long word, double t, double *restrict w, unsigned len)
{
  const uint64_t neg = ~(uint64_t)word;
  if (!s)
    for (unsigned b = 0; b < len; b++)
      w[b] = x[b] + double_of(bits_of(t) ^ ((neg << (63 - b)) & SIGN_BIT));
  else
    for (unsigned b = 0; b < len; b++)
      w[b] = x[b] + double_of(bits_of(t * s[b]) ^ ((neg << (63 - b)) & SIGN_BIT));
}

/* Whole words, x contiguous: point_word inlined with len 32, which gcc
 * vectorizes with per-lane shifts (AVX2's vpsllvq; NEON's ushl). On x86-64
 * built for baseline (SSE2, no such shift) this loop is compiled for AVX2 as
 * well, without FMA (x + t s_i rounded twice, as everywhere), and used where
 * the CPU has it. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__AVX2__)
#define WORDS_TARGET __attribute__((target("avx2")))
#define words_fast() __builtin_cpu_supports("avx2")
#else
#define WORDS_TARGET
#define words_fast() 1
#endif

WORDS_TARGET static void point_words(const double *restrict x, const double *restrict s,
                                     const unsigned long *restrict bits, double t,
                                     double *restrict w, size_t n)
{
  for (size_t i = 0; i + 32 <= n; i += 32)
    point_word(x + i, s ? s + i : NULL, bits[i / 32], t, w + i, 32);
}

/* x0 + t v over whole words of bits into w, x contiguous: whether it could
 * (not on an x86-64 CPU without AVX2, where dirs_point's own loop, the same
 * sign XORed in one entry at a time, does it all; a separate SSE2 kernel
 * was dropped because no machine that runs the tests would run it). */
static int point_fast(const double *x, const double *s, const unsigned long *bits, double t,
                      double *w, size_t n)
{
  if (!words_fast())
    return 0;
  point_words(x, s, bits, t, w, n);
  return 1;
}

static void dirs_point(const dirs *d, const gsl_vector *x0, double t, gsl_vector *work)
{
  /* restrict: work is the check's own copy, never x0 */
  const double *restrict x = x0->data, *s = d->unit ? NULL : d->s->data;
  const size_t n = work->size, stride = x0->stride;
  double *restrict w = work->data;
  size_t i = stride == 1 && point_fast(x, s, d->bits, t, w, n) ? n / 32 * 32 : 0;
  for (; i < n; i++) {
    const uint64_t flip = (uint64_t)(~d->bits[i / 32] >> (i % 32) & 1UL) << 63;
    w[i] = x[i * stride] + double_of(bits_of(s ? t * s[i] : t) ^ flip);
  }
}

/* v_i = +-s_i (bit 0: -s_i) over whole words, s NULL for unit scales: the
 * sign XORed in as in point_word, the same numbers as +-1 times s_i. */
static inline void sign_word(const double *restrict s, unsigned long word, double *restrict v)
{
  const uint64_t neg = ~(uint64_t)word;
  for (unsigned b = 0; b < 32; b++)
    v[b] = double_of(bits_of(s ? s[b] : 1.0) ^ ((neg << (63 - b)) & SIGN_BIT));
}

WORDS_TARGET static void sign_words(const double *restrict s, const unsigned long *restrict bits,
                                    double *restrict v, size_t n)
{
  for (size_t i = 0; i + 32 <= n; i += 32)
    sign_word(s ? s + i : NULL, bits[i / 32], v + i);
}

/* Direction j expanded into d->v, for J v. The sign by a table, not a
 * branch, where the CPU lacks AVX2: a branch on a random bit is
 * mispredicted half the time. s_i times +-1 is exact. */
static void dirs_load(dirs *d, size_t j)
{
  dirs_bits(d, j);
  const double *s = d->s->data;
  double *v = d->v->data;
  const size_t n = d->v->size;
  size_t i = 0;
  if (words_fast()) {
    sign_words(d->unit ? NULL : s, d->bits, v, n);
    i = n / 32 * 32;
  }
  for (; i < n; i++)
    v[i] = dir_sign[(d->bits[i / 32] >> (i % 32)) & 1UL] * s[i];
}

/* The user's function as the engine sees it. In the full check the engine
 * perturbs work in place; in directional mode it perturbs t and every call
 * sets work = x0 + t v (one pass over n: the overhead over f). */
typedef struct {
  const gsl_multimin_function_fdf *grad; /* exactly one of grad, jac */
  const gsl_multifit_nlinear_fdf *jac;
  gsl_vector *work;
  const gsl_vector *x0; /* directional mode: the point */
  dirs *V;              /* directional mode: the directions; else NULL */
  size_t dir;           /* directional mode: the current one */
  double t;
  const gsl_vector *u; /* directional Jacobian: output m - 1 is u . F */
  const gsl_matrix *J; /* directional mode: the user's derivative (m0 rows) */
  gsl_matrix *A;       /* directional mode: column j J v_j, set by the worker that first
                          reaches direction j (its signs then generated once for both);
                          row m0 u^T J V, once every column is set */
  const size_t *var;   /* sampled check: column j is variable var[j]; else NULL */
  size_t nevals;
} problem;

static int problem_eval(void *params, gsl_vector *fx)
{
  problem *p = params;
  if (p->V) {
    dirs_bits(p->V, p->dir);
    dirs_point(p->V, p->x0, p->t, p->work);
  }
  p->nevals++;
  if (p->grad) {
    gsl_vector_set(fx, 0, p->grad->f(p->work, p->grad->params));
    return GSL_SUCCESS;
  }
  gsl_vector_view F = gsl_vector_subvector(fx, 0, p->jac->n);
  int status = p->jac->f(p->work, p->jac->params, &F.vector);
  if (status || !p->u)
    return status;
  double uf;
  gsl_blas_ddot(p->u, &F.vector, &uf);
  gsl_vector_set(fx, p->jac->n, uf);
  return GSL_SUCCESS;
}

/* Sets up column j: returns the variable to perturb and its step in *h.
 * V holds the directions (NULL in the full check). */
static double *column(problem *p, const dirs *V, size_t j, const gv_options *o, double *h)
{
  if (!V) {
    const size_t v = p->var ? p->var[j] : j;
    *h = step_base(o) * step_scale(o, gsl_vector_get(p->work, v));
    return gsl_vector_ptr(p->work, v);
  }
  p->dir = j;
  p->t = 0.0;
  *h = step_base(o);
  return &p->t;
}

/* What run needs besides the outcome: one stencil's outputs, per row
 * whether re-estimation of the current column is over, and Ridders'
 * workspace with its values and estimates per row (GV_METHOD_RIDDERS). */
typedef struct {
  gsl_vector *fv[4];
  gsl_vector *fw[2]; /* the finer estimate's values at x +- H (Ridders) */
  unsigned char *settled;
  gv_ridders_workspace *rw;
  double *rd, *re;
  gv_entry *prev;           /* per row, the estimate at the previous level (Ridders) */
  double *sigma;            /* m-by-ncols: the noise Ridders measured for each entry, or -1 */
  double *rstep;            /* ncols: Ridders' step for each column */
  unsigned char *escalated; /* ncols: re-estimated (and Ridders) already */
  unsigned char *fine;      /* ncols: the finer estimate tried already (Ridders) */
  double *first;            /* 3 m ncols: each column's cheap first values (Ridders) */
} workspace;

/* Output i's estimates from the stencil values in w, for x0 and step h. */
static void estimate(const workspace *w, size_t i, double x0, double h, const gsl_vector *f0,
                     gv_fd_sided *d)
{
  const double vals[4] = {gsl_vector_get(w->fv[0], i), gsl_vector_get(w->fv[1], i),
                          gsl_vector_get(w->fv[2], i), gsl_vector_get(w->fv[3], i)};
  gv_fd_sided_from_values(x0, h, gsl_vector_get(f0, i), vals, d);
}

/* Ridders mode: whether entry k's re-estimate cand settles it against q, its
 * estimate at the previous level. Settled once two steps 10 apart agree, both
 * smooth and with error bars below 1e-3 of the entry: then the longer one
 * resolves f (a step beyond f's length scale, or across a kink it takes for
 * smooth, does not agree with one ten times shorter). */
static int ridders_settles(const gv_outcome *out, size_t k, const gv_entry *cand, const gv_entry *q,
                           const gv_options *o)
{
  const double fl = out->floor[k], sc = out->scale[k];
  return cand->smooth && q->smooth && !gv_outcome_doubtful(cand, fl, sc, o) &&
         !gv_outcome_doubtful(q, fl, sc, o) &&
         fabs(cand->numeric - q->numeric) <= AGREE * (cand->error_bar + q->error_bar);
}

/* Entry (i, j), analytic value a, against its re-estimate from the stencil
 * in w around x0 at step h: keeps the better estimate and marks row i
 * settled when it is. */
static void refine_entry(gv_outcome *out, workspace *w, size_t i, size_t j, double a, double x0,
                         double h, const gsl_vector *f0, const gv_options *o)
{
  const size_t k = i * out->cols + j;
  const int ridders = o->method == GV_METHOD_RIDDERS;
  gv_entry *e = &out->entry[k];
  gv_fd_sided d;
  gv_entry cand = *e;
  estimate(w, i, x0, h, f0, &d);
  gv_outcome_judge(&cand, a, &d, h, out->floor[k], o);
  if (ridders) {
    if (ridders_settles(out, k, &cand, &w->prev[i], o)) {
      *e = w->prev[i];
      w->settled[i] = 1;
      return;
    }
    w->prev[i] = cand;
  }
  if (gv_outcome_better(&cand, e))
    *e = cand;
  if (!ridders && !gv_outcome_doubtful(e, out->floor[k], out->scale[k], o))
    w->settled[i] = 1;
}

/* Re-estimates the doubtful entries of column j at steps 10, 100, ... times
 * smaller and keeps, per entry, the estimate with the smallest error bar,
 * smooth ones first. An entry is settled once its error bar no longer
 * matters to its verdict. All levels are tried otherwise: while the step is
 * larger than f's length scale, the error bar is itself unreliable and may
 * rise before it falls. Neither the choice nor the stopping looks at whether
 * the entry passes, so neither can favour a pass. */
static int refine_column(gv_outcome *out, const gv_fd_vector *fn, problem *p, const dirs *V,
                         size_t j, const gsl_matrix *A, const gsl_vector *f0, workspace *w,
                         const gv_options *o)
{
  const size_t m = out->rows, ncols = out->cols;
  double h0;
  column(p, V, j, o, &h0);
  const int ridders = o->method == GV_METHOD_RIDDERS;
  for (size_t i = 0; i < m; i++) {
    const size_t k = i * ncols + j;
    w->settled[i] =
        !ridders && !gv_outcome_doubtful(&out->entry[k], out->floor[k], out->scale[k], o);
    if (ridders)
      w->prev[i] = out->entry[k];
  }
  for (int level = 1; level <= REFINE_LEVELS; level++) {
    size_t open = 0;
    for (size_t i = 0; i < m; i++)
      open += !w->settled[i];
    if (!open)
      break;
    double h = h0 * pow(10.0, -level), h_rule;
    double *xi = column(p, V, j, o, &h_rule);
    const double x0 = *xi;
    int status = gv_fd_vector_stencil(fn, xi, h, w->fv);
    if (status)
      return status;
    for (size_t i = 0; i < m; i++)
      if (!w->settled[i])
        refine_entry(out, w, i, j, gsl_matrix_get(A, i, j), x0, h, f0, o);
  }
  return GSL_SUCCESS;
}

/* Entry e judged on Ridders' value dr (error er, output i of info) beside its
 * central estimate: where they agree within AGREE error bars Ridders' error
 * stands, else the disagreement joins it. */
static void judge_ridders(gv_entry *e, double dr, double er, const gv_ridders_info *info, size_t i,
                          double h_rule, double floor, const gv_options *o)
{
  const double dc = e->numeric, ec = e->error_bar;
  /* A probe that saw no noise at all left Ridders' round-off to f's half
   * ulp; a central estimate at the rule's own step resolved f there. Its
   * whole bar, not its round-off term alone: a staircase f shows in
   * |D(h) - D(h/2)| (check_saturation test_staircase_noise: round-off term
   * 3.6e-19, whole bar 2.8e-11; with the former the right gradient fails).
   * It stands at the rule's step only where the bar at a tenth of the step
   * (a hundredth of the truncation, ten times the round-off) was no
   * smaller: so its truncation part is at most about nine times the rest. */
  if (!(info->sigma[i] > 0.0) && e->step == h_rule && info->step > 0.0)
    er = fmax(er, ec * h_rule / info->step);
  const double diff = fabs(dr - dc);
  const double err = diff <= AGREE * (er + ec) ? er : diff + fmax(er, ec);
  gv_outcome_judge_value(e, dr, err, floor, o);
}

/* Ridders' estimates of column j's smooth entries, after refine_column (its
 * settled flags still in w). Where central differences settled (two steps
 * ten apart agreed), the probe starts at RIDDERS_START of the smallest length
 * scale L they show: at step h their error bar e ~ (h / L)^2 |d| / 6 gives
 * L ~ h / sqrt(6 e / |d|), an under-estimate where e is round-off (Ridders
 * then grows the step); and at most RIDDERS_FROM_CENTRAL h. Where they did
 * not settle, it starts RIDDERS_FROM_CENTRAL times above the shortest
 * central step. Each smooth entry is judged anew by
 * Ridders' value, with Ridders' estimate where the two methods agree. Where
 * Ridders' noise probe saw no noise at all, its round-off rests on f's half
 * ulp alone; a probe that advances a staircase f by nearly a whole number
 * of its steps per point sees a rounding that grows linearly, no noise
 * (bench_detect's softmax at logits U(-500, 500): estimates 3e4 and 4e6
 * times below the true error, right gradients failed; check_saturation
 * test_staircase_noise). There, where the central estimate stands at the
 * rule's step h_c (its stencil resolved f there, so its error bar e_c is f's
 * round-off: 8 ulps of f, and the staircase the stencil saw), Ridders'
 * estimate is at least that bar carried to Ridders' step h_r as noise,
 * e_c h_c / h_r. Not where the central estimate was refined at shorter
 * steps (inputs 1e-6, near 1e6: the rule's step too long for f): its bar
 * there may be truncation, and read as noise it blunted Ridders' (bench_api's
 * catches at 1e-6 S fell from 100% to 99.88% on those scales).
 * Where they do not agree (one of them did not resolve f; the central error
 * bar is the less honest of the two), |ridders - central| + max(both
 * estimates), which covers either. */
static int ridders_column(gv_outcome *out, const gv_fd_vector *fn, problem *p, const dirs *V,
                          size_t j, workspace *w, const gv_options *o)
{
  const size_t m = out->rows, ncols = out->cols;
  double h0 = INFINITY, h_rule;
  double *xi = column(p, V, j, o, &h_rule);
  const double h_min = h_rule * pow(10.0, -REFINE_LEVELS);
  int any = 0;
  for (size_t i = 0; i < m; i++) {
    const gv_entry *e = &out->entry[i * ncols + j];
    if (!e->smooth || !isfinite(e->analytic))
      continue;
    any = 1;
    if (!w->settled[i]) {
      h0 = fmin(h0, RIDDERS_FROM_CENTRAL * h_min);
      continue;
    }
    h0 = fmin(h0, RIDDERS_FROM_CENTRAL * e->step);
    if (e->numeric != 0.0)
      h0 = fmin(h0, RIDDERS_START * e->step / sqrt(6.0 * e->error_bar / fabs(e->numeric)));
  }
  if (!any)
    return GSL_SUCCESS;
  const double var_scale = V ? 1.0 : fmax(1.0, fabs(*xi));
  h0 = fmin(h0, GV_RIDDERS_H0 * var_scale);
  gv_ridders_info info;
  int status = gv_ridders_vector_entry(fn, w->rw, xi, h0, w->rd, w->re, &info);
  if (status)
    return status;
  w->rstep[j] = info.step;
  for (size_t i = 0; i < m; i++) {
    gv_entry *e = &out->entry[i * ncols + j];
    if (!e->smooth || !isfinite(e->analytic))
      continue;
    if (!isfinite(w->re[i])) { /* not resolved at any step: a jump */
      gv_outcome_judge_kink(e, &out->sided[i * ncols + j], h_rule, out->floor[i * ncols + j], o);
      continue;
    }
    judge_ridders(e, w->rd[i], w->re[i], &info, i, h_rule, out->floor[i * ncols + j], o);
    w->sigma[i * ncols + j] = info.sigma[i];
  }
  return GSL_SUCCESS;
}

/* The noise of f is f's, not the variable's: an entry whose own noise
 * probe saw too little of it (f computed as a difference of much larger
 * terms is a staircase, and a probe within one step of it sees no noise at
 * all, and a derivative of exactly 0) is held to the largest noise its row
 * showed: its error is at least POOLED_NOISE sigma_row / h, the deviation of
 * (f(x + h) - f(x - h)) / 2h, three times. */
#define POOLED_NOISE (3.0 * 0.7071)

static void pool_noise(gv_outcome *out, const workspace *w, const gv_options *o)
{
  const size_t ncols = out->cols;
  for (size_t i = 0; i < out->rows; i++) {
    const double *sig = w->sigma + i * ncols;
    double srow = 0.0;
    for (size_t j = 0; j < ncols; j++)
      srow = fmax(srow, sig[j]);
    for (size_t j = 0; j < ncols; j++) {
      gv_entry *e = &out->entry[i * ncols + j];

      /* Entries Ridders did not see kept a central estimate, exact (e = 0). */
      double h = sig[j] >= 0.0 ? w->rstep[j] : e->step;
      if (!e->smooth || !isfinite(e->analytic) || !(h > 0.0))
        continue;
      double q = POOLED_NOISE * srow / h;
      if (q > e->error_bar)
        gv_outcome_judge_value(e, e->numeric, q, out->floor[i * ncols + j], o);
    }
  }
}

/* The floors again from Ridders' values: the first central estimates set
 * the scale S of each row, and where their step was longer than f's length
 * scale (inputs near 1e6 that vary on a scale of 1) S may be far too large.
 * Smooth entries are judged anew with the floor from S = the largest
 * |numeric| of the row's smooth entries. */
static void rescale_floors(gv_outcome *out, const gv_options *o)
{
  const size_t ncols = out->cols;
  for (size_t i = 0; i < out->rows; i++) {
    gv_entry *row = out->entry + i * ncols;
    double sc = -1.0;
    for (size_t j = 0; j < ncols; j++)
      if (row[j].smooth)
        sc = fmax(sc, fabs(row[j].numeric));
    if (sc < 0.0)
      continue;
    for (size_t j = 0; j < ncols; j++) {
      if (!row[j].smooth)
        continue;
      out->scale[i * ncols + j] = sc;
      out->floor[i * ncols + j] = o->atol + o->atol_scale * sc;
      gv_outcome_judge_value(&row[j], row[j].numeric, row[j].error_bar, out->floor[i * ncols + j],
                             o);
    }
  }
}

/* A worker's scratch: what one column's computation writes besides its own
 * entries (the stencil, settled flags, Ridders' workspace). */
static void scratch_free(workspace *w)
{
  for (int k = 0; k < 4; k++)
    gsl_vector_free(w->fv[k]);
  for (int k = 0; k < 2; k++)
    gsl_vector_free(w->fw[k]);
  free(w->settled);
  gv_ridders_workspace_free(w->rw);
  free(w->rd);
  free(w->prev);
}

static int scratch_alloc(workspace *w, size_t m, int ridders)
{
  if (!(w->settled = malloc(m)))
    return GSL_ENOMEM;
  for (int k = 0; k < 4; k++)
    if (!(w->fv[k] = gv_vector_alloc(m)))
      return GSL_ENOMEM;
  if (!ridders)
    return GSL_SUCCESS;
  for (int k = 0; k < 2; k++)
    if (!(w->fw[k] = gv_vector_alloc(m)))
      return GSL_ENOMEM;
  w->rw = gv_ridders_workspace_alloc(m);
  w->rd = malloc(2 * m * sizeof *w->rd);
  w->re = w->rd ? w->rd + m : NULL;
  w->prev = malloc(m * sizeof *w->prev);
  return w->rw && w->rd && w->prev ? GSL_SUCCESS : GSL_ENOMEM;
}

static void workspace_free(workspace *w)
{
  scratch_free(w);
  free(w->sigma);
  free(w->rstep);
  free(w->escalated);
  free(w->fine);
  free(w->first);
  *w = (workspace){0};
}

/* Room for m outputs and ncols columns; Ridders' part only with ridders. On
 * GSL_ENOMEM *w holds what was allocated, for workspace_free. */
static int workspace_alloc(workspace *w, size_t m, size_t ncols, int ridders)
{
  *w = (workspace){.escalated = calloc(ncols, 1), .fine = calloc(ncols, 1)};
  if (!w->escalated || !w->fine)
    return GSL_ENOMEM;
  int status = scratch_alloc(w, m, ridders);
  if (status || !ridders)
    return status;
  w->sigma = malloc(m * ncols * sizeof *w->sigma);
  w->rstep = malloc(ncols * sizeof *w->rstep);
  w->first = m * ncols <= SIZE_MAX / (3 * sizeof *w->first)
                 ? malloc(3 * m * ncols * sizeof *w->first)
                 : NULL;
  if (!w->sigma || !w->rstep || !w->first)
    return GSL_ENOMEM;
  for (size_t k = 0; k < m * ncols; k++)
    w->sigma[k] = -1.0;
  return GSL_SUCCESS;
}

/* opts.threads. Worker 0 is the caller and works on the caller's problem,
 * directions and workspace; every other worker on its own copy of x (work),
 * of the current direction and of the scratch, and its own count of
 * evaluations, sharing only what is read (x0, the directions' seeds and
 * scales, u, A, f0) and the parts of the outcome and of the workspace's
 * per-column arrays (sigma, rstep, escalated, fine) that belong to the column it
 * computes. So no column's numbers depend on which worker computed it or
 * when (gv_check_threads.h). */
typedef struct {
  problem p;
  dirs V;
  workspace w;
} worker_own;

typedef struct {
  problem *p;
  dirs *V; /* NULL in the full check */
  workspace *w;
} worker;

typedef struct {
  gv_outcome *out;
  const gsl_matrix *A;
  const gsl_vector *f0;
  const gv_options *o;
  size_t n;        /* workers */
  worker *wk;      /* n */
  worker_own *own; /* n - 1: workers 1 .. n - 1 */
  size_t *todo;    /* refine's columns of the current round */
} team;

static void worker_free(worker_own *w)
{
  gsl_vector_free(w->p.work);
  free(w->V.bits);
  gsl_vector_free(w->V.v);
  gsl_rng_free(w->V.r);
  scratch_free(&w->w);
}

static void team_free(team *tm)
{
  for (size_t t = 1; t < tm->n && tm->own; t++)
    worker_free(&tm->own[t - 1]);
  free(tm->wk);
  free(tm->own);
  free(tm->todo);
  *tm = (team){0};
}

/* Worker t's copies of p (its x and count), of V (its direction) and of w's
 * scratch; w's per-column arrays are shared. */
static int worker_copy(worker_own *c, const problem *p, const workspace *w, size_t m, int ridders)
{
  c->p = *p;
  c->p.nevals = 0;
  c->w = (workspace){.sigma = w->sigma,
                     .rstep = w->rstep,
                     .escalated = w->escalated,
                     .fine = w->fine,
                     .first = w->first};
  if (!(c->p.work = gv_vector_alloc(p->work->size)))
    return GSL_ENOMEM;
  gsl_vector_memcpy(c->p.work, p->work);
  if (p->V) {
    c->V = (dirs){.seeds = p->V->seeds,
                  .s = p->V->s,
                  .unit = p->V->unit,
                  .bits = malloc((p->V->s->size + 31) / 32 * sizeof *c->V.bits),
                  .v = gv_vector_alloc(p->V->s->size),
                  .cur = (size_t)-1,
                  .r = gv_rng_alloc(gsl_rng_mt19937, 1)};
    c->p.V = &c->V;
    if (!c->V.bits || !c->V.v || !c->V.r)
      return GSL_ENOMEM;
  }
  return scratch_alloc(&c->w, m, ridders);
}

/* min(opts.threads, ncols) workers, at least 1; fewer when memory for a
 * worker's copies runs out (the outcome does not depend on how many). On
 * GSL_ENOMEM *tm holds what was allocated, for team_free. */
static int team_alloc(team *tm, gv_outcome *out, problem *p, workspace *w, const gsl_matrix *A,
                      const gsl_vector *f0, const gv_options *o)
{
  const size_t ncols = A->size2, T = o->threads < ncols ? o->threads : ncols;
  *tm = (team){.out = out, .A = A, .f0 = f0, .o = o};
  tm->wk = malloc((T ? T : 1) * sizeof *tm->wk);
  tm->own = T > 1 ? calloc(T - 1, sizeof *tm->own) : NULL;
  tm->todo = malloc(ncols * sizeof *tm->todo);
  if (!tm->wk || (T > 1 && !tm->own) || !tm->todo)
    return GSL_ENOMEM;
  tm->wk[0] = (worker){.p = p, .V = p->V, .w = w};
  tm->n = 1;
  for (size_t t = 1; t < T; t++) {
    worker_own *c = &tm->own[t - 1];
    if (worker_copy(c, p, w, A->size1, o->method == GV_METHOD_RIDDERS)) {
      worker_free(c);
      break;
    }
    tm->wk[t] = (worker){.p = &c->p, .V = p->V ? &c->V : NULL, .w = &c->w};
    tm->n++;
  }
  return GSL_SUCCESS;
}

/* The workers' evaluations, moved into worker 0's count. */
static void team_count(team *tm)
{
  for (size_t t = 1; t < tm->n; t++) {
    tm->wk[0].p->nevals += tm->wk[t].p->nevals;
    tm->wk[t].p->nevals = 0;
  }
}

/* Column j's first estimate at the rule's step into out->sided, by worker
 * wk: with cheap the 3-evaluation one (gv_fd_third_from_values), its values
 * kept in w->first (column j's part) for complete_column; else the
 * four-point stencil with one-sided values, its first 3 values taken from
 * w->first when have3. */
static int first_stencil(const team *c, const worker *wk, size_t j, int cheap, int have3)
{
  gv_outcome *out = c->out;
  const size_t m = out->rows, ncols = out->cols;
  const gv_fd_vector fn = {.f = problem_eval, .params = wk->p, .m = m};
  double h;
  double *xi = column(wk->p, wk->V, j, c->o, &h);
  const double x0 = *xi;
  double *kept = wk->w->first ? wk->w->first + 3 * m * j : NULL;
  for (size_t i = 0; i < m && have3; i++)
    for (int q = 0; q < 3; q++)
      gsl_vector_set(wk->w->fv[q], i, kept[3 * i + q]);
  int status = gv_fd_vector_points(&fn, xi, h, have3 ? 3 : 0, cheap ? 3 : 4, wk->w->fv);
  if (status)
    return status;
  for (size_t i = 0; i < m; i++) {
    const size_t k = i * ncols + j;
    out->entry[k].step = h;
    if (!cheap) {
      estimate(wk->w, i, x0, h, c->f0, &out->sided[k]);
      continue;
    }
    for (int q = 0; q < 3; q++)
      kept[3 * i + q] = gsl_vector_get(wk->w->fv[q], i);
    gv_fd_third_from_values(x0, h, gsl_vector_get(c->f0, i), kept + 3 * i, &out->sided[k]);
  }
  return GSL_SUCCESS;
}

/* The first estimates of column j's entries (cheap ones in Ridders mode,
 * where what they do not settle is escalated): a gv_par_for body (tm a
 * team, t the worker). */
/* Directional mode: A's column j = J v_j, with v_j expanded in the worker's
 * own V, whose signs its evaluations along v_j then use. */
static void direction_product(problem *p, dirs *V, size_t j)
{
  dirs_load(V, j);
  gsl_matrix_view Atop = gsl_matrix_submatrix(p->A, 0, 0, p->J->size1, p->A->size2);
  gsl_vector_view Aj = gsl_matrix_column(&Atop.matrix, j);
  gsl_blas_dgemv(CblasNoTrans, 1.0, p->J, V->v, 0.0, &Aj.vector);
}

static int first_column(void *tm, size_t t, size_t j)
{
  const team *c = tm;
  if (c->wk[t].p->J)
    direction_product(c->wk[t].p, c->wk[t].V, j);
  return first_stencil(c, &c->wk[t], j, c->o->method == GV_METHOD_RIDDERS, 0);
}

/* An escalated column (Ridders mode): its four-point first estimate, with
 * one-sided values, replaces the cheap one (one more evaluation), and its
 * entries are judged by it at their floors, as the full first stage judges
 * them. */
static int complete_column(const team *c, const worker *wk, size_t j)
{
  gv_outcome *out = c->out;
  int status = first_stencil(c, wk, j, 0, 1);
  for (size_t i = 0; i < out->rows && !status; i++) {
    const size_t k = i * out->cols + j;
    gv_entry *e = &out->entry[k];
    gv_outcome_judge(e, gsl_matrix_get(c->A, i, j), &out->sided[k], e->step, out->floor[k], c->o);
  }
  return status;
}

/* The floors, now that the scale of every row is known: S (m-by-ncols), or
 * with S NULL the largest |central| of each row; then every entry judged. */
static void judge_first(gv_outcome *out, const gsl_matrix *A, const gsl_matrix *S,
                        const gv_options *o)
{
  const size_t m = out->rows, ncols = out->cols;
  for (size_t i = 0; i < m; i++) {
    double row_scale = 0.0;
    for (size_t j = 0; j < ncols && !S; j++)
      row_scale = fmax(row_scale, fabs(out->sided[i * ncols + j].central));
    for (size_t j = 0; j < ncols; j++) {
      out->scale[i * ncols + j] = S ? gsl_matrix_get(S, i, j) : row_scale;
      out->floor[i * ncols + j] = o->atol + o->atol_scale * out->scale[i * ncols + j];
    }
  }
  for (size_t k = 0; k < m * ncols; k++) {
    gv_entry *e = &out->entry[k];
    gv_outcome_judge(e, gsl_matrix_get(A, k / ncols, k % ncols), &out->sided[k], e->step,
                     out->floor[k], o);
    e->row = k / ncols;
    e->col = k % ncols;
  }
}

/* Adaptive escalation (Ridders mode). An entry is decided by its first
 * central estimate (3 evaluations, gv_fd_third_from_values: its error bar
 * twice the truncation the third divided difference shows, plus round-off)
 * when that estimate passes, smooth, agrees within SETTLE_KERR error bars
 * (the verdict itself allows kerr = 10: an honest error bar covers a right
 * entry's error, so this costs little, and a wrong entry settles only if it
 * is off by about one error bar instead of ten), and that agreement can
 * tell an error of the resolution the defaults promise from none:
 * floor + SETTLE_KERR e below RESOLUTION_FLOORS floors (1e-9 S at the
 * default atol_scale 1e-10, the detection floor bench_detect measures on the
 * seed's network; a fortiori the 1e-6 S bench_api measures). A wrong entry
 * off by that resolution then settles only if its central value is off
 * towards the analytic one by the rest of the resolution, more than its
 * error bar allows for most entries. Every other column (an entry failing, a
 * kink, an error bar too large for that resolution) is escalated: where the
 * error bar alone is too coarse (the entries pass, smooth, and agree) a
 * finer estimate first (fine_column, 6 evaluations), then, for a column it
 * does not settle as above, re-estimation and Ridders as before. So a false
 * failure can only come from the path that decided every entry before (an
 * escalated column's first estimate is completed to the four-point stencil,
 * one more evaluation, and judged as before): the finer estimate only
 * settles columns. Cost: 3 evaluations per settled column, 9 per column the
 * finer estimate settles, ~38 for the rest. */
#define RESOLUTION_FLOORS 10.0
#define SETTLE_KERR 1.0

/* Entry k passes on its current estimate, smooth, within SETTLE_KERR error bars. */
static int entry_agrees(const gv_outcome *out, size_t k, const gv_options *o)
{
  const gv_entry *e = &out->entry[k];
  const gv_tol strict = {out->floor[k], o->rtol, SETTLE_KERR};
  return e->passed && e->smooth &&
         gv_cmp_entry_passes(e->analytic, e->numeric, e->error_bar, &strict, NULL);
}

/* That agreement tells an error of RESOLUTION_FLOORS floors from none. <=,
 * not <: in a row that is exactly 0 (floor and error bar 0, S = 0, atol 0)
 * the agreement of 0 with 0 resolves any error, and < would send every
 * column through the finer estimate and Ridders. */
static int entry_resolves(const gv_outcome *out, size_t k)
{
  return out->floor[k] + SETTLE_KERR * out->entry[k].error_bar <= RESOLUTION_FLOORS * out->floor[k];
}

/* Column j settled (resolve: every entry agrees and resolves), or only too
 * coarse (!resolve: every entry agrees, its estimate resolving f, error bar
 * below 1e-3 of the entry: not a bar that a kink at x, which the finer
 * estimate's symmetric stencil cannot see, inflated). */
static int column_agrees(const gv_outcome *out, size_t j, const gv_options *o, int resolve)
{
  for (size_t i = 0; i < out->rows; i++) {
    const size_t k = i * out->cols + j;
    if (!entry_agrees(out, k, o) ||
        (resolve ? !entry_resolves(out, k)
                 : gv_outcome_doubtful(&out->entry[k], out->floor[k], out->scale[k], o)))
      return 0;
  }
  return 1;
}

/* The finer estimate's step, in first steps: its round-off about a tenth of
 * the first estimate's (gv_fd_fourth_from_values), its farthest point 64
 * first steps (4e-4 of the variable's scale) from x. */
#define FINE_STEPS 16.0

/* Column j's finer estimate (Ridders mode, a column whose first estimate
 * agrees but is too coarse), by worker wk: each entry judged by it, at its
 * floor, with an error that covers the first estimate too where the two
 * disagree (one of them did not resolve f: a kink within the longer
 * stencil, or a length scale shorter than it), as ridders_column does. A
 * non-finite value out there (GSL_EBADFUNC) says f's domain ends within
 * 64 first steps, as in Ridders' probe (gv_ridders.h): the column keeps its
 * first estimate and escalates to shorter steps. Any other status (the
 * user's f's own) is the check's, unchanged (gradverify.h, Errors); *xi is
 * restored either way (gv_fd_vector_points). */
static int fine_column(const team *c, const worker *wk, size_t j)
{
  gv_outcome *out = c->out;
  workspace *w = wk->w;
  const gv_fd_vector fn = {.f = problem_eval, .params = wk->p, .m = out->rows};
  double h;
  double *xi = column(wk->p, wk->V, j, c->o, &h);
  const double x0 = *xi, H = FINE_STEPS * h;
  gsl_vector *const near[4] = {w->fv[0], w->fv[1], w->fw[0], w->fw[1]};
  int status = gv_fd_vector_points(&fn, xi, 4.0 * H, 0, 4, w->fv);
  if (!status)
    status = gv_fd_vector_points(&fn, xi, 2.0 * H, 2, 4, near);
  if (status == GSL_EBADFUNC)
    return GSL_SUCCESS; /* f's domain ends within 4H: no entry written yet */
  if (status)
    return status;
  for (size_t i = 0; i < out->rows; i++) {
    const size_t k = i * out->cols + j;
    const double v[6] = {gsl_vector_get(w->fv[0], i), gsl_vector_get(w->fv[1], i),
                         gsl_vector_get(w->fv[2], i), gsl_vector_get(w->fv[3], i),
                         gsl_vector_get(w->fw[0], i), gsl_vector_get(w->fw[1], i)};
    double d, err;
    gv_fd_fourth_from_values(x0, H, v, &d, &err);
    const double dc = out->sided[k].central, ec = out->sided[k].central_err;
    if (!(fabs(d - dc) <= AGREE * (err + ec)))
      err = fabs(d - dc) + fmax(err, ec);
    out->entry[k].step = H;
    gv_outcome_judge_value(&out->entry[k], d, err, out->floor[k], c->o);
  }
  return GSL_SUCCESS;
}

/* Re-estimation and Ridders of the round's item-th column: a gv_par_for
 * body (tm a team, t the worker). Column j's computation reads and writes
 * column j's entries alone. */
static int escalate_column(void *tm, size_t t, size_t item)
{
  const team *c = tm;
  const worker *wk = &c->wk[t];
  const size_t j = c->todo[item];
  const gv_fd_vector fn = {.f = problem_eval, .params = wk->p, .m = c->out->rows};
  if (!wk->w->escalated[j])
    return fine_column(c, wk, j);
  int status = c->o->method == GV_METHOD_RIDDERS ? complete_column(c, wk, j) : GSL_SUCCESS;
  if (!status)
    status = refine_column(c->out, &fn, wk->p, wk->V, j, c->A, c->f0, wk->w, c->o);
  if (!status && c->o->method == GV_METHOD_RIDDERS)
    status = ridders_column(c->out, &fn, wk->p, wk->V, j, wk->w, c->o);
  return status;
}

/* The columns of this round into tm->todo (their count returned): each not
 * yet escalated and, under Ridders, not settled; one that only its error
 * bar keeps from settling takes the finer estimate first, once, the others
 * escalate (counted in *nfull). */
static size_t select_columns(team *tm, int ridders, size_t *nfull)
{
  const gv_outcome *out = tm->out;
  const gv_options *o = tm->o;
  workspace *w = tm->wk[0].w;
  size_t ntodo = 0;
  for (size_t j = 0; j < out->cols; j++) {
    if (w->escalated[j] || (ridders && column_agrees(out, j, o, 1)))
      continue;
    if (ridders && !w->fine[j] && column_agrees(out, j, o, 0))
      w->fine[j] = 1; /* a finer estimate first */
    else
      w->escalated[j] = 1, (*nfull)++;
    tm->todo[ntodo++] = j;
  }
  return ntodo;
}

/* Re-estimation and Ridders, column by column (in Ridders mode only for
 * columns the first estimates did not settle), then (Ridders) the pooled
 * noise (after every round, finer estimates included) and, where Ridders
 * ran and S is NULL, the floors from Ridders' values. A round's
 * columns are chosen before any is computed (a column's computation changes
 * no other column's settledness), computed in parallel, and pooled after. */
static int refine(team *tm, const gsl_matrix *S)
{
  gv_outcome *out = tm->out;
  const gv_options *o = tm->o;
  workspace *w = tm->wk[0].w;
  const int ridders = o->method == GV_METHOD_RIDDERS;
  if (!o->refine && !ridders)
    return GSL_SUCCESS;
  /* Rounds: Ridders' values rescale the floors and pool the noise, which can
   * unsettle a column settled against the first scale (a scale inflated by
   * another column's step beyond f's length scale); it is escalated then. */
  size_t ntodo;
  do {
    size_t nfull = 0;
    ntodo = select_columns(tm, ridders, &nfull);
    int status = gv_par_for(tm->n, ntodo, escalate_column, tm);
    if (status)
      return status;
    /* Every round: one of finer estimates alone (columns that an earlier
     * round's pooled noise or floors unsettled) judged its columns anew
     * at 16 first steps, and the noise measured so far holds there too. */
    if (ridders && ntodo)
      pool_noise(out, w, o);
    if (ridders && nfull && !S)
      rescale_floors(out, o);
  } while (ridders && ntodo);
  return GSL_SUCCESS;
}

/* gv_check_flat's view of column j: its variable, stepped at most by its
 * own scale (t's, 1, in directional mode, where v_j = +-scale(x_j)). */
typedef struct {
  problem *p;
  const dirs *V;
  const gv_options *o;
} flat_ctx;

static double *flat_column(void *ctx, size_t j, double *hmax)
{
  const flat_ctx *c = ctx;
  double h;
  double *xi = column(c->p, c->V, j, c->o, &h);
  *hmax = c->V ? 1.0 : fmax(1.0, fabs(*xi));
  return xi;
}

/* The common computation: A (m-by-ncols) against differences of p's function
 * along each column's variable. S (m-by-ncols) is the scale of each entry's
 * floor, or NULL for the largest |numeric| of its row. f0 = f(x), m outputs. */
static int run(gv_outcome *out, problem *p, const dirs *V, const gsl_matrix *A, const gsl_matrix *S,
               const gsl_vector *f0, const gv_options *o)
{
  const size_t m = A->size1, ncols = A->size2;
  const gv_fd_vector fn = {.f = problem_eval, .params = p, .m = m};
  workspace w = {0};
  team tm = {0};
  int status = gv_outcome_reset(out, m, ncols);
  if (!status)
    status = workspace_alloc(&w, m, ncols, o->method == GV_METHOD_RIDDERS);
  if (!status)
    status = team_alloc(&tm, out, p, &w, A, f0, o);
  if (!status)
    status = gv_par_for(tm.n, ncols, first_column, &tm);
  if (!status && p->u) {
    /* u^T (J V), as one product once every column is in */
    gsl_matrix_view Atop = gsl_matrix_submatrix(p->A, 0, 0, p->J->size1, ncols);
    gsl_vector_view Arow = gsl_matrix_row(p->A, p->J->size1);
    gsl_blas_dgemv(CblasTrans, 1.0, &Atop.matrix, p->u, 0.0, &Arow.vector);
  }
  if (!status) {
    judge_first(out, A, S, o);
    status = refine(&tm, S);
  }
  if (tm.wk)
    team_count(&tm);
  team_free(&tm);
  /* Flat entries are rare and their probes depend on each other: serial. */
  flat_ctx fc = {.p = p, .V = V, .o = o};
  if (!status)
    status = gv_check_flat(out, &fn, flat_column, &fc, f0, w.fv[0], w.fv[1], o);
  if (!status)
    gv_outcome_finish(out, o);
  workspace_free(&w);
  if (status)
    gv_outcome_reset(out, 0, 0);
  else
    out->nevals = p->nevals;
  return status;
}

static void dirs_free(dirs *d)
{
  free(d->seeds);
  free(d->bits);
  gsl_vector_free(d->s);
  gsl_vector_free(d->v);
  gsl_rng_free(d->r);
}

/* k directions for x: the scales s_i, and one seed per direction drawn from
 * r (the check's generator, seeded with opts->seed). GSL_ENOMEM leaves what
 * was allocated for dirs_free. */
static int dirs_alloc(dirs *d, const gsl_vector *x, size_t k, gsl_rng *r, const gv_options *o)
{
  /* k is the caller's: k * sizeof must not wrap (2^61 + 1 seeds in 8 bytes) */
  *d = (dirs){.seeds = k <= SIZE_MAX / sizeof *d->seeds ? malloc(k * sizeof *d->seeds) : NULL,
              .s = gv_vector_alloc(x->size),
              .bits = malloc((x->size + 31) / 32 * sizeof *d->bits),
              .v = gv_vector_alloc(x->size),
              .cur = (size_t)-1,
              .r = gv_rng_alloc(gsl_rng_mt19937, 1)};
  if (!d->seeds || !d->s || !d->bits || !d->v || !d->r)
    return GSL_ENOMEM;
  for (size_t j = 0; j < k; j++)
    d->seeds[j] = gsl_rng_get(r) + 1; /* mt19937 treats seed 0 as its default */
  d->unit = 1;
  for (size_t i = 0; i < x->size; i++) {
    gsl_vector_set(d->s, i, step_scale(o, gsl_vector_get(x, i)));
    d->unit &= gsl_vector_get(d->s, i) == 1.0;
  }
  return GSL_SUCCESS;
}

/* S (m0-by-k) = |J| |V| = |J| s in every column (|v_i| = s_i whatever the
 * sign). A = J V is computed by the first pass, one direction at a time
 * (direction_product). */
static void directional_scales(const dirs *d, const gsl_matrix *J, gsl_matrix *S)
{
  for (size_t i = 0; i < J->size1; i++) {
    double sum = 0.0;
    for (size_t j = 0; j < J->size2; j++)
      sum += fabs(gsl_matrix_get(J, i, j)) * gsl_vector_get(d->s, j);
    gsl_vector_view Si = gsl_matrix_row(S, i);
    gsl_vector_set_all(&Si.vector, sum);
  }
}

/* Resolves NULL options to the defaults and validates them. */
static int resolve_options(const gv_options *opts, gv_options *o)
{
  if (opts)
    *o = *opts;
  else
    gv_options_init(o);
  return options_valid(o) ? GSL_SUCCESS : GSL_EINVAL;
}

/* f(x) into f0 (its first outputs), through the same counter as every evaluation. */
static int eval_at_x(problem *p, gsl_vector *f0)
{
  int status = problem_eval(p, f0);
  if (status)
    return status;
  for (size_t i = 0; i < f0->size; i++)
    if (!isfinite(gsl_vector_get(f0, i)))
      return GSL_EBADFUNC;
  return GSL_SUCCESS;
}

/* Directional mode, for the m0-by-nx derivative J at x with f0 = f(x): draws
 * k directions V and compares A = J V with the differences along them; for a
 * Jacobian (p->jac) also u^T J V for a random sign vector u, as output m0 (f0
 * must have room for it). Each entry's floor scales with |J| |V|, the size of
 * the terms its dot product sums. */
static int check_directional(gv_outcome *out, problem *p, const gsl_matrix *J, const gsl_vector *x,
                             gsl_vector *f0, const gv_options *o)
{
  const size_t m0 = J->size1, k = o->directions, m = m0 + (p->jac ? 1 : 0);
  dirs d = {0};
  gsl_matrix *A = gv_matrix_alloc(m, k), *S = gv_matrix_alloc(m, k);
  gsl_vector *u = p->jac ? gv_vector_alloc(m0) : NULL;
  gsl_rng *r = gv_rng_alloc(gsl_rng_mt19937, o->seed);
  int status = r ? dirs_alloc(&d, x, k, r, o) : GSL_ENOMEM;
  if (status || !A || !S || (p->jac && !u)) {
    status = GSL_ENOMEM;
    goto cleanup;
  }
  gsl_matrix_view Stop = gsl_matrix_submatrix(S, 0, 0, m0, k);
  directional_scales(&d, J, &Stop.matrix);
  if (u) {
    for (size_t i = 0; i < m0; i++)
      gsl_vector_set(u, i, gsl_rng_uniform_int(r, 2) ? 1.0 : -1.0);
    /* The scale of u^T J v is |u|^T |J| |v| with |u| = 1: column sums of S's top. */
    for (size_t c = 0; c < k; c++) {
      gsl_vector_const_view Scol = gsl_matrix_const_column(&Stop.matrix, c);
      gsl_matrix_set(S, m0, c, gsl_vector_sum(&Scol.vector));
    }
    gsl_vector_const_view F0 = gsl_vector_const_subvector(f0, 0, m0);
    double uf;
    gsl_blas_ddot(u, &F0.vector, &uf);
    gsl_vector_set(f0, m0, uf);
    p->u = u;
  }
  p->x0 = x;
  p->V = &d;
  p->J = J;
  p->A = A;
  status = run(out, p, &d, A, S, f0, o);

cleanup:
  dirs_free(&d);
  gsl_matrix_free(A);
  gsl_matrix_free(S);
  gsl_vector_free(u);
  gsl_rng_free(r);
  return status;
}

/* The sampled check (opts.entries, opts.named): the chosen variables' columns
 * of J as A, each column's variable mapped through p->var, and the outcome's
 * columns renamed after their variables. */
static int check_sampled(gv_outcome *out, problem *p, const gsl_matrix *J, const gsl_vector *f0,
                         const gv_options *o)
{
  size_t *var = NULL, nvar = 0, nnamed = 0;
  int status =
      gv_sample_choose(J->size2, o->entries, o->named, o->nnamed, o->seed, &var, &nvar, &nnamed);
  if (status)
    return status;
  gsl_matrix *A = nvar ? gv_matrix_alloc(J->size1, nvar) : NULL;
  if (!A) {
    free(var);
    return nvar ? GSL_ENOMEM : GSL_EINVAL;
  }
  for (size_t c = 0; c < nvar; c++) {
    gsl_vector_const_view Jc = gsl_matrix_const_column(J, var[c]);
    gsl_vector_view Ac = gsl_matrix_column(A, c);
    gsl_vector_memcpy(&Ac.vector, &Jc.vector);
  }
  p->var = var;
  status = run(out, p, NULL, A, NULL, f0, o);
  p->var = NULL;
  for (size_t k = 0; !status && k < out->rows * out->cols; k++)
    out->entry[k].col = var[out->entry[k].col];
  if (!status)
    out->sample = (gv_sample_info){.kind = GV_SAMPLE_DRAWN,
                                   .nvars = J->size2,
                                   .ndrawn = nvar - nnamed,
                                   .nnamed = nnamed,
                                   .seed = o->seed};
  free(var);
  gsl_matrix_free(A);
  return status;
}

/* The checks' common prologue, errors in the order of the header's list:
 * callbacks says whether fdf's f and df are set. Empties out. */
static int check_args(const void *fdf, int callbacks, const gsl_vector *x, const gv_options *opts,
                      gv_options *o, gv_outcome *out)
{
  if (!fdf || !x || !out)
    return GSL_EFAULT;
  gv_outcome_reset(out, 0, 0);
  if (!callbacks || resolve_options(opts, o))
    return GSL_EINVAL;
  return GSL_SUCCESS;
}

/* The user's derivative at p->work into J (m0-by-nx), NaN first so that an
 * entry df forgets to set fails instead of passing on garbage. */
static int user_derivative(problem *p, gsl_matrix *J)
{
  gsl_matrix_set_all(J, NAN);
  if (p->jac)
    return p->jac->df(p->work, p->jac->params, J);
  gsl_vector_view g = gsl_matrix_row(J, 0);
  p->grad->df(p->work, p->grad->params, &g.vector);
  return GSL_SUCCESS;
}

/* Whether x may be checked: every named variable in x (GSL_EINVAL), every
 * entry finite (GSL_EBADFUNC otherwise) and,
 * with GV_STEP_FIXED, the step moves every entry (x_j +- step / 2 != x_j; a
 * shorter one leaves no difference to take: GSL_EINVAL). */
static int point_valid(const gsl_vector *x, const gv_options *o)
{
  for (size_t k = 0; k < o->nnamed; k++)
    if (o->named[k] >= x->size)
      return GSL_EINVAL;
  for (size_t j = 0; j < x->size; j++) {
    const double xj = gsl_vector_get(x, j);
    if (!isfinite(xj))
      return GSL_EBADFUNC;
    if (o->step_rule == GV_STEP_FIXED && (xj + 0.5 * o->step == xj || xj - 0.5 * o->step == xj))
      return GSL_EINVAL;
  }
  return GSL_SUCCESS;
}

/* What both checks share once their arguments hold: f(x), the user's
 * derivative J (m0 outputs by x->size), then the full or directional check.
 * A directional Jacobian needs one more output, u^T F. */
static int check_problem(problem *p, const gsl_vector *x, size_t m0, const gv_options *o,
                         gv_outcome *out)
{
  p->work = gv_vector_alloc(x->size);
  gsl_vector *f0 = gv_vector_alloc(p->jac && o->directions ? m0 + 1 : m0);
  gsl_matrix *J = gv_matrix_alloc(m0, x->size);
  int status = GSL_SUCCESS;
  if (!p->work || !f0 || !J) {
    status = GSL_ENOMEM;
    goto cleanup;
  }
  gsl_vector_memcpy(p->work, x);
  gsl_vector_view F0 = gsl_vector_subvector(f0, 0, m0);
  if ((status = eval_at_x(p, &F0.vector)) || (status = user_derivative(p, J)))
    goto cleanup;
  if (o->directions)
    status = check_directional(out, p, J, x, f0, o);
  else if ((o->entries || o->nnamed) && o->entries < x->size && o->nnamed < x->size - o->entries)
    status = check_sampled(out, p, J, f0, o);
  else if (!(status = run(out, p, NULL, J, NULL, f0, o)))
    out->sample = (gv_sample_info){.kind = GV_SAMPLE_FULL, .nvars = x->size};

cleanup:
  gsl_vector_free(p->work);
  gsl_vector_free(f0);
  gsl_matrix_free(J);
  return status;
}

int gv_check_gradient(const gsl_multimin_function_fdf *fdf, const gsl_vector *x,
                      const gv_options *opts, gv_outcome *out)
{
  gv_options o;
  int status = check_args(fdf, fdf && fdf->f && fdf->df, x, opts, &o, out);
  if (status)
    return status;
  if (x->size == 0 || x->size != fdf->n)
    return GSL_EBADLEN;
  if ((status = point_valid(x, &o)))
    return status;
  problem p = {.grad = fdf};
  gv_contract c;
  if (!(status = gv_contract_gradient(fdf, x, &c)) && !(status = check_problem(&p, x, 1, &o, out)))
    gv_contract_record(out, &c);
  return status;
}

int gv_check_jacobian(const gsl_multifit_nlinear_fdf *fdf, const gsl_vector *x,
                      const gv_options *opts, gv_outcome *out)
{
  gv_options o;
  int status = check_args(fdf, fdf && fdf->f && fdf->df, x, opts, &o, out);
  if (status)
    return status;
  if (x->size == 0 || x->size != fdf->p || fdf->n == 0)
    return GSL_EBADLEN;
  if ((status = point_valid(x, &o)))
    return status;
  problem p = {.jac = fdf};
  gv_contract c;
  if (!(status = gv_contract_jacobian(fdf, x, &c)) &&
      !(status = check_problem(&p, x, fdf->n, &o, out)))
    gv_contract_record(out, &c);
  return status;
}
