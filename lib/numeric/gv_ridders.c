/* gv_ridders.c: Ridders' extrapolation tableau, one entry at a time, for any
 * number of outputs sharing the steps. */
#include "gv_ridders.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "gv_alloc.h"

/* Round-off assumed in each function value by the probe's tests. */
#define ROUND_EPS (GV_FD_ROUNDOFF_ULPS * DBL_EPSILON)
/* The probe calls D(h) noisy when the rounding of f(x0 +- h) is more than
 * this fraction of their difference. */
#define NOISY_REL 1e-13
/* Numerical Recipes' SAFE: stop once the diagonal moves by this many best errors. */
#define SAFE 2.0
/* The tableau stops (once higher orders get worse) only when its error is
 * within this factor of the round-off bound; before that, the first steps
 * were still too long and the tableau goes on shrinking. */
#define STOP_ROUND 1e3
/* T/V above this is no truncation error but a step beyond f's length scale
 * (T/V ~ (h/L)^2 / 20 holds only for h below L): shrink at once by MAX_SHRINK. */
#define ALIASED 1e-1
#define MAX_SHRINK 1e3
/* The noise of f is measured, not assumed: f at NOISE_K points x0 + j delta,
 * delta ~ NOISE_REL h (h the accepted step, below f's length scale L), and
 * the mean square of their fourth differences gives the noise sigma of one
 * value. At that spacing a fourth difference holds ~1e-20 of f itself (the
 * fourth-derivative term), below any rounding, so what it sees is rounding:
 * of f's own operations, and of x0 as f passes it on (sin(40 x) computes
 * 40 x; softmax at logits near 300 computes a - lse(a), whose rounding is
 * ~100 ulps of p). A model of that (a few ulps of |f| + |x0 f'|) was 4 times
 * too small on the softmax and the network loss; the measurement needs none.
 * The span (1e-3 h) is wide enough for the intermediate values to move by
 * many ulps, so that their rounding looks random, as it does between the
 * tableau's steps. */
#define NOISE_K 10
#define NOISE_REL 1e-4
/* The second spacing where the first saw a varying output but no noise: no
 * simple ratio to the first (the golden section's). */
#define NOISE_ALT 0.6180339887498949
/* ... only where the spacing is that many ulps of x0 at least: a spacing of a
 * few ulps (the tableau shrunk to x0's last bits, at a kink at x0) rounds
 * to a few multiples of the ulp, and its fourth differences measure that
 * rounding, not f's. */
#define NOISE_ALT_MIN 1024.0
/* Each value is off by at least half an ulp of itself. */
#define RIDDERS_EPS (0.5 * DBL_EPSILON)
/* The error estimate: max(SAFE_TRUNC tableau error, SAFE_NOISE round-off).
 * The tableau's error is the smallest of many noisy differences, biased low;
 * the round-off is one standard deviation of the estimate, carried through
 * Neville's weights from the measured sigma. Set on checks/bench/bench_accuracy.c
 * (exp, sin, exp(sin) at 9 scales, the network loss, the softmax Jacobian at
 * logits near 300): see gv_ridders.h for the figures. */
#define SAFE_TRUNC 2.0
#define SAFE_NOISE 3.0
/* Kinks (ReLU, max, |x|) within the stencil. With f0 = f(x0), S(s) =
 * f(x0+s) + f(x0-s) - 2 f0 is s times the gap between the forward and the
 * backward difference over s. For smooth f, S(s) = s^2 f'' + s^4 f''''/12
 * + ..., so that the fourth difference Q = S(h) - 4 S(h/2) is O(h^4); for a
 * kink of slope jump J at a distance delta < h, S(s) = J max(0, s - delta)
 * and Q = J (3 delta - h) or J (h - delta), of order h: the gap between the
 * one-sided differences does not shrink with the step, and the central
 * difference returns a blend of the two slopes, which its extrapolation
 * cannot undo. The probe sees a kink when |Q| exceeds both KINK_SHAPE
 * (|S(h)| + 4 |S(h/2)|) (a third of it for delta << h, (h/L)^2 / 32 for f
 * smooth on the scale L, but up to 0.6 at an inflection point) and
 * KINK_SIZE V (J / |f'| for a kink, (h/L)^3 / 32 at an inflection point),
 * and shrinks the step to half the kink's distance, as the values place it. */
#define KINK_SHAPE 0.1
#define KINK_SIZE 1e-3
/* The kink test's allowance for rounding in Q = S(h) - 4 S(h/2), which sums
 * the values with weights 1, 1, 4, 4, 6 (16 in all): 4096 ulps of each, or
 * 2048 times the probe's bound `round` (8 ulps of each of four values). */
#define KINK_ROUND 2048.0
/* The probe misses a kink at delta ~ h/3 (Q = 0) and jumps below KINK_SIZE:
 * the tableau checks every pair of rows as well. The one-sided estimates
 * R+ = (c F+(h_i) - F+(h_{i-1})) / (c - 1), F+(s) = (f(x0+s) - f0) / s,
 * c = h_{i-1} / h_i, and R- alike are second order; for smooth f, R+ - R- is
 * O(h^3 f'''') and below the change of D between the two rows, O(h^2 f''')
 * (1.75 h / L of it); across a kink it is ~J, while D moves by ~J delta / h.
 * Above KINK_TAB changes of D plus KINK_NOISE noises, the output's tableau
 * restarts at the row, so that rows straddling the kink drop out of its
 * extrapolation, and until another row joins it the estimate's error covers
 * the gap |S(h)| / h between the row's one-sided differences. A false alarm
 * (near a zero of f''') costs a row, not the error estimate's honesty. */
#define KINK_TAB 2.0
/* After a row that restarted some output's tableau, the next row's step is
 * KINK_CON times shorter, not CON: a kink the probe missed (its slope jump
 * below the curvature f shows over the probe's step) may lie far below the
 * first step, 1/50 of it in mlp.db1 at seed 13 under --method ridders, and
 * CON^9 ~ 20 rows of the tableau never got below it: every row straddled
 * it, and the last one's gap |S(h)| / h, taken as its error, is no bound
 * where kinks lie on both sides (both one-sided differences blend slopes).
 * Neville's weights use the rows' true ratios, so the longer contraction
 * costs the extrapolation nothing; a restart in the first row below the kink
 * (its pair with the row above still straddles) is followed by rows that
 * extrapolate from there. */
#define KINK_CON 4.0
/* No step of the probe is below H_FLOOR |x0| (a first step given shorter,
 * or one shrunk after a non-finite value, is raised to it): the tableau's rows,
 * up to 1.4^9 ~ 20 times shorter, stay a few ulps of x0 apart (a shorter
 * step rounds x0 +- h to x0, and D(h) to 0/0; restarts, KINK_CON a row, can
 * get there, and the tableau stops). An output still too long or
 * kinked there (a jump: D(h) grows like 1/h) is not resolved: its error
 * estimate is infinite. */
#define H_FLOOR (64.0 * DBL_EPSILON)
#define KINK_NOISE 10.0
/* A restart's gap stays in the output's error until a row's gap falls
 * below KINK_CLEAR of it, seen by a test that could have seen it whole. */
#define KINK_CLEAR 0.5

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
  if (e->s)
    return gv_fd_eval(e->s, out);
  int status = gv_fd_eval_vector(e->v, e->fx);
  for (size_t j = 0; j < e->fx->size && !status; j++)
    out[j] = gsl_vector_get(e->fx, j);
  return status;
}

/* Workspace for m outputs: the probe's four values per output (NOISE_K
 * values per output while the noise is measured), two rows of
 * the tableau per output (entry j of output k at [k NTAB + j]), each
 * output's error, f(x0), the last row's values, whether its tableau has
 * stopped and the row it starts from. */
typedef struct {
  size_t m;
  double *f;            /* NOISE_K m */
  double *prev, *cur;   /* NTAB m each: the tableau's last two rows */
  double *rprev, *rcur; /* NTAB m each: their round-off bounds */
  double *err;          /* m */
  double *rbest;        /* m: round-off of the best entry */
  double *err0;         /* m: the error of a restarted tableau's first row on its own */
  double *sigma;        /* m: the measured noise of one value of each output */
  double *f0;           /* m: f(x0) */
  double *fp, *fm;      /* m each: f(x0 + h), f(x0 - h) of the last row */
  double *kfloor;       /* m: the last restart's gap, while no row could see one as large */
  unsigned char *done;
  unsigned char *start;      /* m: the row each output's tableau starts from */
  unsigned char *unresolved; /* m: not resolved at the shortest step x0 allows */
  double h;                  /* the step of row 0, once the probe is over */
} work;

/* The doubles and bytes a workspace for m outputs takes. */
#define WORK_DOUBLES(m) ((NOISE_K + 4 * GV_RIDDERS_NTAB + 8) * (m))
#define WORK_BYTES(m) (3 * (m))

/* Lays a workspace for m outputs over buf (WORK_DOUBLES(m)) and bytes (WORK_BYTES(m)). */
static work work_over(size_t m, double *buf, unsigned char *bytes)
{
  const size_t t = GV_RIDDERS_NTAB * m;
  double *b = buf + NOISE_K * m, *v = b + 4 * t;
  return (work){.m = m,
                .f = buf,
                .prev = b,
                .cur = b + t,
                .rprev = b + 2 * t,
                .rcur = b + 3 * t,
                .err = v,
                .rbest = v + m,
                .err0 = v + 2 * m,
                .sigma = v + 3 * m,
                .f0 = v + 4 * m,
                .fp = v + 5 * m,
                .fm = v + 6 * m,
                .kfloor = v + 7 * m,
                .done = bytes,
                .start = bytes + m,
                .unresolved = bytes + 2 * m,
                .h = 0.0};
}

/* The probe at step h, from the four values in w->f and f(x0) in w->f0:
 * the factor by which the step may grow (*grow; HUGE_VAL when rounding
 * limits no output's D(h)), the largest factor by which an output's T
 * exceeds what the probe accepts (*excess, <= 1 to accept), and the step
 * below every kink seen (*kink_step; HUGE_VAL if none, 0 if a kink sits at
 * x0 or cannot be placed). */
static void probe_judge(work *w, const double *at, double h, double *grow, double *excess,
                        double *kink_step)
{
  const size_t m = w->m;
  *grow = HUGE_VAL;
  *excess = 0.0;
  *kink_step = HUGE_VAL;
  for (size_t k = 0; k < m; k++) {
    double fp = w->f[k], fm = w->f[m + k], fp2 = w->f[2 * m + k], fm2 = w->f[3 * m + k];
    double f0 = w->f0[k];
    double d1 = (fp - fm) / (at[0] - at[1]), d2 = (fp2 - fm2) / (at[2] - at[3]);
    /* (Subnormal values, softmax far below its maximum, round to a fixed quantum.) */
    double round = ROUND_EPS * (fabs(fp) + fabs(fm) + fabs(fp2) + fabs(fm2)) + 4.0 * DBL_TRUE_MIN;
    double T = fabs(d1 - d2) * h;
    double V = fabs(fp - fm) + fabs(fp + fm - fp2 - fm2);
    double ex = T / (GV_RIDDERS_PROBE_RATIO * V + 10.0 * round);
    if (ex > *excess) /* NaN, 0/0: this output is constant over the step */
      *excess = ex;
    /* The kink test (KINK_SHAPE): S(h), S(h/2) and their fourth difference. */
    double S = (fp - f0) + (fm - f0), S2 = (fp2 - f0) + (fm2 - f0), Q = S - 4.0 * S2;
    /* Far above rounding (KINK_ROUND): softmax values at logits near 400
     * carry ~256 ulps of it, and the probe does not know f's noise yet. */
    int kink =
        fabs(Q) > fmax(KINK_SHAPE * (fabs(S) + 4.0 * fabs(S2)), KINK_SIZE * V + KINK_ROUND * round);
    if (kink) {
      /* S(h) - S(h/2) = J h / 2 and S(h/2) = J (h/2 - delta) place a kink
       * closer than h/2; one farther than that leaves S(h/2) ~ 0, delta ~ h/2. */
      double delta = 0.5 * h * (1.0 - S2 / (S - S2));
      *kink_step = fmin(*kink_step, delta > 0.0 && delta < h ? 0.5 * delta : 0.0);
    }
    /* Growing is for f nearly linear over the step, judged on the odd part
     * f(x0+h) - f(x0-h) alone: near a point of symmetry (sin at -pi/2) the
     * even part is large at every step and would hide the odd part's scale. */
    double odd = fabs(fp - fm);
    if (DBL_EPSILON * (fabs(fp) + fabs(fm)) > NOISY_REL * odd) {
      double exg = T / (GV_RIDDERS_PROBE_RATIO * odd + 10.0 * round);
      if (fabs(fp + fm - fp2 - fm2) > 1e-2 * odd + 10.0 * round || isnan(exg))
        exg = HUGE_VAL; /* curved over the step: no growing */
      *grow = fmin(*grow, exg > 0.0 ? 0.5 / sqrt(exg) : 100.0);
    }
    w->unresolved[k] = ex > 1.0 || kink;
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

/* The noise of one value of output k of the size of fp and fm: the measured
 * sigma, or half an ulp of the larger if more. */
static double value_noise(const work *w, size_t k, double fp, double fm)
{
  return fmax(w->sigma[k], RIDDERS_EPS * fmax(fabs(fp), fabs(fm)) + DBL_TRUE_MIN);
}

/* The noise of f(x0 + h) - f(x0 - h), or of any difference of two values,
 * each off by n. */
#define DIFF_NOISE(n) (1.4142135623730951 * (n))

/* One entry's computation: the function, the workspace, the entry *xi and
 * its value x0, the current step h, the evaluations so far, the rows'
 * half-widths hs as stored (where x0 is large the rounding of x0 +- h
 * changes the ratio of two steps by ~ulp(x0) / h, 6e-9 at x0 = 1e6,
 * h = 0.02, and Neville's weights must use the true ratio, or that error
 * times the h^2 term stays behind) and the last row's one-sided steps. */
typedef struct {
  const evaluator *e;
  work *w;
  double *xi;
  double x0, h;
  size_t n;
  double hs[GV_RIDDERS_NTAB];
  double hp_prev, hm_prev;
  int restarted; /* the last row restarted some output's tableau (KINK_CON) */
} entry;

/* f at x0 + delta into out, counted. */
static int eval_at(entry *s, double at, double *out)
{
  s->n++;
  return evaluate(s->e, s->xi, at, out);
}

/* f at x0 + j delta, j = 1 .. NOISE_K - 1, into w->f (f(x0) first); the
 * noise sigma of each output from their fourth differences, the larger of
 * it and sigma[k] so far. Returns in *blind whether some output varied over
 * the points but showed no noise at all. */
static int noise_at(entry *s, double delta, int *blind)
{
  work *w = s->w;
  const size_t m = w->m;
  for (size_t k = 0; k < m; k++)
    w->f[k] = w->f0[k];
  for (int j = 1; j < NOISE_K; j++) {
    int status = eval_at(s, s->x0 + j * delta, w->f + (size_t)j * m);
    if (status)
      return status;
  }
  *blind = 0;
  for (size_t k = 0; k < m; k++) {
    double ss = 0.0;
    const double *f = w->f + k;
    for (size_t j = 0; j + 4 < NOISE_K; j++) {
      double d4 = f[j * m] - 4.0 * f[(j + 1) * m] + 6.0 * f[(j + 2) * m] - 4.0 * f[(j + 3) * m] +
                  f[(j + 4) * m];
      ss += d4 * d4;
    }
    /* A fourth difference of independent values of deviation sigma has
     * variance 70 sigma^2. */
    w->sigma[k] = fmax(w->sigma[k], sqrt(ss / (70.0 * (NOISE_K - 4))));
    *blind |= w->sigma[k] == 0.0 && f[(NOISE_K - 1) * m] != f[0];
  }
  return GSL_SUCCESS;
}

/* Measures each output's noise sigma (see NOISE_K): f at x0 + j delta,
 * j = 0 .. NOISE_K - 1 (f(x0) known already), delta a power of two, so that
 * every abscissa is exact (a multiple of x0's ulp) and the fourth
 * differences see f's own rounding only, not that of the abscissae. An
 * output that varies but shows no noise at all may be a staircase (f a
 * difference of much larger terms) that the points advance by nearly a
 * whole number of its steps each, its rounding growing linearly: the
 * tableau's steps, not so aligned, see it whole, and extrapolate it (f =
 * (8192 + sum x_j^2) - 8192: off by 2.5e-9, its bar 7.4e-11). There the
 * noise is measured again at NOISE_ALT times the spacing, whose abscissae
 * round (by an ulp of x0, noise that the tableau's steps carry too). */
static int measure_noise(entry *s)
{
  int ex, blind;
  frexp(fmax(NOISE_REL * s->h, 2.0 * DBL_EPSILON * fabs(s->x0)), &ex);
  const double delta = ldexp(1.0, ex);
  for (size_t k = 0; k < s->w->m; k++)
    s->w->sigma[k] = 0.0;
  int status = noise_at(s, delta, &blind);
  if (!status && blind && delta >= NOISE_ALT_MIN * DBL_EPSILON * fabs(s->x0))
    status = noise_at(s, NOISE_ALT * delta, &blind);
  return status;
}

/* The probe's steps so far: the last growth factor (read only once it
 * grew, which sets it), whether it grew or shrank, how often a kink was
 * placed at x0, and the shortest step x0 allows (H_FLOOR). */
typedef struct {
  double last_growth, h_floor;
  int grown, shrunk, at_x0, kink_at_x0;
} probe_state;

enum { PROBE_ON, PROBE_ACCEPT, PROBE_BACK, PROBE_FLOOR };

/* The step below h for an excess T/V ratio or a kink at kink_step. */
static double shrunk_step(double h, double excess, int kinked, double kink_step)
{
  double next = h;
  if (excess > 1.0) {
    /* T/V falls like h^2: shrink to a quarter of the accepted ratio. */
    double factor = 2.0 * sqrt(excess);
    if (excess * GV_RIDDERS_PROBE_RATIO > ALIASED)
      factor = MAX_SHRINK;
    next = h / (factor < 4.0 ? 4.0 : factor > MAX_SHRINK ? MAX_SHRINK : factor);
  }
  if (kinked) /* below the kink, as far as one probe may go */
    next = fmin(next, fmax(fmin(0.25 * h, kink_step), h / MAX_SHRINK));
  return next;
}

/* Whether the probe may grow the step: round-off limits D(h) (grow finite)
 * and f is nearly linear over the step, where a longer step costs little
 * truncation (T grows like h^3); never after a shrink or near a kink. */
static int may_grow(const probe_state *ps, int kinked, double grow, int last)
{
  return !last && !kinked && grow != HUGE_VAL && !ps->shrunk && grow >= 2.0;
}

/* A kink the values place at x0 itself, twice: no step gets below it, and a
 * step much shorter would only drown it in rounding. The tableau goes on
 * from there and its error covers both slopes. */
static void note_kink_at_x0(probe_state *ps, double kink_step, double excess)
{
  if (kink_step == 0.0 && excess <= 1.0 && ps->at_x0++)
    ps->kink_at_x0 = 1;
}

/* What the probe does after judging step *h (probe_judge's grow, excess,
 * kink_step): PROBE_ACCEPT (row 0 holds D(h)), PROBE_BACK (*h back to the
 * step before a growth that went too far), PROBE_FLOOR (row 0 holds D(h) at
 * the shortest step, which does not resolve f) or PROBE_ON with the next *h. */
static int probe_next(probe_state *ps, double *h, double grow, double excess, double kink_step,
                      int last)
{
  const int kinked = kink_step != HUGE_VAL, too_long = excess > 1.0 || kinked;
  if (too_long && ps->grown) {
    *h /= ps->last_growth;
    return PROBE_BACK;
  }
  note_kink_at_x0(ps, kink_step, excess);
  if (too_long && !ps->kink_at_x0 && *h <= ps->h_floor)
    return PROBE_FLOOR;
  if (too_long && !last && !ps->kink_at_x0) {
    *h = fmax(shrunk_step(*h, excess, kinked, kink_step), ps->h_floor);
    ps->shrunk = 1;
    return PROBE_ON;
  }
  if (may_grow(ps, kinked, grow, last)) {
    ps->last_growth = grow > 100.0 ? 100.0 : grow;
    *h *= ps->last_growth;
    ps->grown = 1;
    return PROBE_ON;
  }
  return PROBE_ACCEPT;
}

/* The probe: a step in f's own scale, and below any kink, into s->h; *row0
 * says whether w->f already holds f(x0 + h), f(x0 - h) at it. A non-finite value
 * (the step left f's domain) shrinks the step tenfold. */
static int probe(entry *s, int *row0)
{
  work *w = s->w;
  probe_state ps = {.h_floor = H_FLOOR * fabs(s->x0)};
  int next = PROBE_ON;
  *row0 = 0;
  for (int probe = 0; probe < GV_RIDDERS_MAX_PROBES; probe++) {
    const double x0 = s->x0, h = s->h;
    const double at[] = {x0 + h, x0 - h, x0 + 0.5 * h, x0 - 0.5 * h};
    int status = GSL_SUCCESS;
    for (int k = 0; k < 4 && !status; k++)
      status = eval_at(s, at[k], w->f + (size_t)k * w->m);
    if (status == GSL_EBADFUNC) {
      s->h = fmax(0.1 * s->h, ps.h_floor);
      ps.shrunk = 1;
      continue;
    }
    if (status)
      return status;
    double grow, excess, kink_step;
    probe_judge(w, at, h, &grow, &excess, &kink_step);
    next = probe_next(&ps, &s->h, grow, excess, kink_step, probe == GV_RIDDERS_MAX_PROBES - 1);
    if (next != PROBE_ON)
      break;
  }
  *row0 = next == PROBE_ACCEPT || next == PROBE_FLOOR;
  if (next != PROBE_FLOOR)
    memset(w->unresolved, 0, w->m);
  return GSL_SUCCESS;
}

/* Row 0 of the tableau: D(h) from the probe's values (row0) or from values
 * taken afresh at the step it settled on; its values kept for its round-off once the noise is known
 * and for the kink test of the next row. Then the noise, and the tableau set up from row 0 with d
 * its values. */
static int first_row(entry *s, int row0, double *d)
{
  work *w = s->w;
  const size_t m = w->m;
  const double xp0 = s->x0 + s->h, xm0 = s->x0 - s->h;
  int status;
  if (!row0 && ((status = eval_at(s, xp0, w->f)) || (status = eval_at(s, xm0, w->f + m))))
    return status;
  s->hp_prev = xp0 - s->x0;
  s->hm_prev = s->x0 - xm0;
  s->hs[0] = 0.5 * (xp0 - xm0);
  w->h = s->hs[0];
  for (size_t k = 0; k < m; k++) {
    w->fp[k] = w->f[k];
    w->fm[k] = w->f[m + k];
    w->cur[k * GV_RIDDERS_NTAB] = (w->fp[k] - w->fm[k]) / (xp0 - xm0);
  }
  if ((status = measure_noise(s)))
    return status;
  for (size_t k = 0; k < m; k++) {
    w->rcur[k * GV_RIDDERS_NTAB] = DIFF_NOISE(value_noise(w, k, w->fp[k], w->fm[k])) / (xp0 - xm0);
    w->rbest[k] = w->rcur[k * GV_RIDDERS_NTAB];
    d[k] = w->cur[k * GV_RIDDERS_NTAB];
    w->done[k] = 0;
    w->start[k] = 0;
    /* No error for D(h) on its own: the tableau always adds a row (h >=
     * H_FLOOR |x0|, so that h / CON does not round to x0), and its stopping
     * rule compares tableau entries with each other. */
    w->err0[k] = DBL_MAX;
    w->err[k] = DBL_MAX;
    w->kfloor[k] = 0.0;
  }
  swap_rows(w);
  return GSL_SUCCESS;
}

/* One tableau row's abscissae, one-sided steps and their ratios to the last row's. */
typedef struct {
  double xp, xm, hp, hm, cp, cm;
} row_steps;

/* The round-off of a second-order one-sided estimate (c D(h_new) -
 * D(h_old)) / (c - 1), D(s) = (f(x0 + s) - f0) / s, each value off by n. */
static double sided_noise(double n, double c, double hnew, double hold)
{
  return DIFF_NOISE(n) * (c / hnew + 1.0 / hold) / (c - 1.0);
}

/* The kink test between row i and the last for output k (KINK_TAB), from
 * the row's values fp, fm and the change of D between the rows (dD); keeps
 * fp, fm for the next row. A row that does
 * not see a kink clears the last restart's gap (kfloor) only where its own
 * gap fell below KINK_CLEAR of it and its test could have seen one that
 * large: rows whose noise hides the kink (one at x0, where the gap stays,
 * the tableau shrunk to a few ulps of x0) keep it in the error. */
static int row_kinked(entry *s, size_t k, const row_steps *rs, double fp, double fm, double dD)
{
  work *w = s->w;
  const double f0 = w->f0[k];
  double rplus = (rs->cp * ((fp - f0) / rs->hp) - (w->fp[k] - f0) / s->hp_prev) / (rs->cp - 1.0);
  double rminus = (rs->cm * ((f0 - fm) / rs->hm) - (f0 - w->fm[k]) / s->hm_prev) / (rs->cm - 1.0);
  const double n = value_noise(w, k, fp, fm);
  double noise =
      sided_noise(n, rs->cp, rs->hp, s->hp_prev) + sided_noise(n, rs->cm, rs->hm, s->hm_prev);
  w->fp[k] = fp;
  w->fm[k] = fm;
  /* A kink moves R+ - R- by more than KINK_TAB changes of D. */
  const double gap = rplus - rminus;
  const double seen = KINK_TAB * dD + KINK_NOISE * noise;
  const int kinked = fabs(gap) > seen;
  if (!kinked && fabs(gap) < KINK_CLEAR * w->kfloor[k] && seen < w->kfloor[k])
    w->kfloor[k] = 0.0;
  return kinked;
}

/* Neville's extrapolation of output k's row i to every order its tableau
 * (restarted at w->start[k]) reaches, the best entry into d[k]; returns
 * whether the output's tableau is done. */
static int extrapolate(entry *s, size_t k, int i, double *d)
{
  work *w = s->w;
  double *a = w->cur + k * GV_RIDDERS_NTAB, *r = w->rcur + k * GV_RIDDERS_NTAB;
  const double *p = w->prev + k * GV_RIDDERS_NTAB, *rp = w->rprev + k * GV_RIDDERS_NTAB;
  const int top = i - w->start[k]; /* the highest order this row reaches */
  for (int l = 1; l <= top; l++) {
    const double fac = (s->hs[i - l] / s->hs[i]) * (s->hs[i - l] / s->hs[i]);
    /* Neville: eliminate the h^(2l) term between a step and the one before it. */
    a[l] = (a[l - 1] * fac - p[l - 1]) / (fac - 1.0);
    /* ... which amplifies the round-off of both. */
    r[l] = hypot(r[l - 1] * fac, rp[l - 1]) / (fac - 1.0);
    double errt = fmax(fabs(a[l] - a[l - 1]), fabs(a[l] - p[l - 1]));
    if (errt <= w->err[k]) {
      w->err[k] = errt;
      w->rbest[k] = r[l];
      d[k] = a[l];
    }
  }
  /* Higher order got worse: round-off has taken over. Before the error
   * comes near round-off level, that means the first steps were still too
   * long for the higher orders: go on shrinking. */
  return fabs(a[top] - p[top - 1]) >= SAFE * w->err[k] && w->err[k] <= STOP_ROUND * w->rbest[k];
}

/* Row i of every output's tableau at step s->h / CON (KINK_CON after a
 * restart); *all_done says whether every output's tableau has stopped. */
static int tableau_row(entry *s, int i, double *d, int *all_done)
{
  work *w = s->w;
  const size_t m = w->m;
  s->h /= s->restarted ? KINK_CON : GV_RIDDERS_CON;
  s->restarted = 0;
  row_steps rs = {.xp = s->x0 + s->h, .xm = s->x0 - s->h};
  rs.hp = rs.xp - s->x0;
  rs.hm = s->x0 - rs.xm;
  /* Restarts (KINK_CON) can take the step below the spacing of doubles at
   * x0: there D(h) is 0/0, and f would be called at x0 again. Stop. */
  *all_done = 1;
  if (rs.hp == 0.0 || rs.hm == 0.0)
    return GSL_SUCCESS;
  int status;
  if ((status = eval_at(s, rs.xp, w->f)) || (status = eval_at(s, rs.xm, w->f + m)))
    return status;
  s->hs[i] = 0.5 * (rs.xp - rs.xm);
  rs.cp = s->hp_prev / rs.hp;
  rs.cm = s->hm_prev / rs.hm;
  for (size_t k = 0; k < m; k++) {
    if (w->done[k])
      continue;
    double *a = w->cur + k * GV_RIDDERS_NTAB, *r = w->rcur + k * GV_RIDDERS_NTAB;
    const double *p = w->prev + k * GV_RIDDERS_NTAB;
    const double fp = w->f[k], fm = w->f[m + k], f0 = w->f0[k];
    a[0] = (fp - fm) / (rs.xp - rs.xm);
    r[0] = DIFF_NOISE(value_noise(w, k, fp, fm)) / (rs.xp - rs.xm);
    if (row_kinked(s, k, &rs, fp, fm, fabs(a[0] - p[0]))) {
      /* Restart the output's tableau here; until another row joins, its
       * error is the row's gap |S(h)| / h, which covers both slopes. */
      w->start[k] = (unsigned char)i;
      w->err[k] = DBL_MAX;
      w->err0[k] = fabs((fp - f0) + (fm - f0)) / s->hs[i];
      w->kfloor[k] = w->err0[k];
      w->rbest[k] = r[0];
      d[k] = a[0];
      *all_done = 0;
      s->restarted = 1;
    } else if (extrapolate(s, k, i, d)) {
      w->done[k] = 1;
    } else {
      *all_done = 0;
    }
  }
  s->hp_prev = rs.hp;
  s->hm_prev = rs.hm;
  swap_rows(w);
  return GSL_SUCCESS;
}

/* The derivatives of all m outputs in the entry *xi into d[0..m-1], their
 * errors into w->err. *xi is restored whatever happens. */
static int ridders_entry(const evaluator *e, work *w, double *xi, double h0, double *d,
                         size_t *nevals)
{
  entry s = {.e = e, .w = w, .xi = xi, .x0 = *xi};
  s.h = fmax(h0 > 0.0 ? h0 : GV_RIDDERS_H0 * fmax(1.0, fabs(s.x0)), H_FLOOR * fabs(s.x0));
  int row0, all_done = 0;
  /* f(x0) first, for the kink tests (and the first of the noise's values). */
  int status = eval_at(&s, s.x0, w->f0);
  if (!status)
    status = probe(&s, &row0);
  if (!status)
    status = first_row(&s, row0, d);
  for (int i = 1; i < GV_RIDDERS_NTAB && s.n + 2 <= GV_RIDDERS_MAX_EVALS && !status && !all_done;
       i++)
    status = tableau_row(&s, i, d, &all_done);
  for (size_t k = 0; k < w->m && !status; k++)
    w->err[k] = w->unresolved[k] ? INFINITY
                : w->err[k] == DBL_MAX
                    ? fmax(w->err0[k], SAFE_NOISE * w->rbest[k])
                    : fmax(fmax(SAFE_TRUNC * w->err[k], SAFE_NOISE * w->rbest[k]), w->kfloor[k]);
  *xi = s.x0; /* restored exactly, whatever happened */
  if (nevals)
    *nevals = s.n;
  return status;
}

int gv_ridders_derivative(const gv_fd_scalar *fn, double *xi, double *d, double *err,
                          size_t *nevals)
{
  double buf[WORK_DOUBLES(1)], d1;
  unsigned char bytes[WORK_BYTES(1)];
  work w = work_over(1, buf, bytes);
  const evaluator e = {fn, NULL, NULL};
  int status = ridders_entry(&e, &w, xi, 0.0, &d1, nevals);
  if (status)
    return status;
  *d = d1;
  if (err)
    *err = w.err[0];
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

struct gv_ridders_workspace {
  work w;
  gsl_vector *fx;
};

gv_ridders_workspace *gv_ridders_workspace_alloc(size_t m)
{
  if (m == 0)
    return NULL;
  gv_ridders_workspace *ws = calloc(1, sizeof *ws);
  double *buf = malloc(WORK_DOUBLES(m) * sizeof *buf);
  unsigned char *bytes = malloc(WORK_BYTES(m));
  gsl_vector *fx = gv_vector_alloc(m);
  if (!ws || !buf || !bytes || !fx) {
    free(ws);
    free(buf);
    free(bytes);
    gsl_vector_free(fx);
    return NULL;
  }
  ws->w = work_over(m, buf, bytes);
  ws->fx = fx;
  return ws;
}

void gv_ridders_workspace_free(gv_ridders_workspace *ws)
{
  if (!ws)
    return;
  free(ws->w.f);
  free(ws->w.done); /* the workspace's bytes start with done */
  gsl_vector_free(ws->fx);
  free(ws);
}

int gv_ridders_vector_entry(const gv_fd_vector *fn, gv_ridders_workspace *ws, double *xi, double h0,
                            double *d, double *err, gv_ridders_info *info)
{
  if (fn->m != ws->w.m)
    return GSL_EBADLEN;
  const evaluator e = {NULL, fn, ws->fx};
  size_t n = 0;
  int status = ridders_entry(&e, &ws->w, xi, h0, d, &n);
  if (info) {
    info->nevals = n;
    info->step = ws->w.h;
    info->sigma = ws->w.sigma;
  }
  if (!status && err)
    for (size_t k = 0; k < fn->m; k++)
      err[k] = ws->w.err[k];
  return status;
}

int gv_ridders_jacobian(const gv_fd_vector *fn, gsl_vector *x, gsl_matrix *D, gsl_matrix *E)
{
  const size_t m = fn->m;
  if (m == 0 || D->size1 != x->size || D->size2 != m ||
      (E && (E->size1 != D->size1 || E->size2 != D->size2)))
    return GSL_EBADLEN;
  gv_ridders_workspace *ws = gv_ridders_workspace_alloc(m);
  if (!ws)
    return GSL_ENOMEM;
  int status = GSL_SUCCESS;
  for (size_t i = 0; i < x->size && !status; i++)
    status = gv_ridders_vector_entry(fn, ws, gsl_vector_ptr(x, i), 0.0, gsl_matrix_ptr(D, i, 0),
                                     E ? gsl_matrix_ptr(E, i, 0) : NULL, NULL);
  gv_ridders_workspace_free(ws);
  return status;
}
