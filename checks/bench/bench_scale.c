/* bench_scale.c: the public API's cost at real sizes, on the seed's network
 * written by a user as plain C loops over a packed parameter vector
 * theta = [vec(W) row-major, b1, vec(V) row-major, b2] (H x D, H, K x H, K),
 * the loss L = lse(a) - a_y with z = W x + b1, h = relu(z), a = V h + b2,
 * and its gradient by backpropagation, also in plain loops.
 *
 *   bench_scale D,H,K MODE     MODE: defaults, central, directional, sampled, threads,
 *                              blas, floor
 *   bench_scale D,H,K overhead (see overhead below: its own line)
 *
 * sampled: opts.entries = 1000 (seed 1); threads: the defaults with
 * opts.threads = 2, or $GV_BENCH_THREADS (f is reentrant: its scratch is on
 * the stack). blas: the defaults on the same network with W x computed by
 * gsl_blas_dgemv (the CBLAS the build links: OpenBLAS in build-release), the
 * f a GSL user would write, whose kernel is torch's. floor: no library call;
 * the bench itself takes a bare central difference (f(x + h e_i) - f(x - h e_i))
 * / 2h for every entry, h = 1e-6 (torch's eps), and judges it by torch's rule
 * (atol 1e-5, rtol 1e-3): 2 evaluations per entry and no error bar, the cost
 * below which no central-difference check of this f can go. Prints one line,
 * read by scripts/bench --scale:
 *   api|bare MODE D H K n cpu_s evals_per_entry verdict f_us wall_s
 * cpu_s is the check's CPU time (clock_gettime CLOCK_PROCESS_CPUTIME_ID: the
 * process's threads, all of them; other processes on a shared machine do not
 * count), wall_s its wall-clock time (CLOCK_MONOTONIC), f_us one evaluation
 * of f in CPU microseconds. The network is drawn from a fixed seed at the harness's
 * scales (x in [-1, 1], weights ~ sqrt(3/D), sqrt(3/H)). Asserts nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gradverify.h"
#include "bench_guard.h"

typedef struct {
  size_t D, H, K, y;
  int blas;          /* W x by gsl_blas_dgemv instead of the loop */
  double *x, *z, *a; /* D, H, K; z and a df's scratch (f's is its own) */
} net;

static double wall_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Forward pass into z (pre-activations, H) and a (K); returns the loss. */
static double forward(const net *nt, const double *th, double *z, double *a)
{
  const size_t D = nt->D, H = nt->H, K = nt->K;
  const double *W = th, *b1 = th + H * D, *V = b1 + H, *b2 = V + K * H;
  if (nt->blas) {
    gsl_matrix_const_view Wm = gsl_matrix_const_view_array(W, H, D);
    gsl_vector_const_view xv = gsl_vector_const_view_array(nt->x, D);
    gsl_vector_view zv = gsl_vector_view_array(z, H);
    memcpy(z, b1, H * sizeof *z);
    gsl_blas_dgemv(CblasNoTrans, 1.0, &Wm.matrix, &xv.vector, 1.0, &zv.vector);
  } else {
    for (size_t i = 0; i < H; i++) {
      double s = b1[i];
      for (size_t j = 0; j < D; j++)
        s += W[i * D + j] * nt->x[j];
      z[i] = s;
    }
  }
  double amax = -INFINITY;
  for (size_t k = 0; k < K; k++) {
    double s = b2[k];
    for (size_t i = 0; i < H; i++)
      s += z[i] > 0.0 ? V[k * H + i] * z[i] : 0.0;
    a[k] = s;
    amax = fmax(amax, s);
  }
  double sum = 0.0;
  for (size_t k = 0; k < K; k++)
    sum += exp(a[k] - amax);
  return amax + log(sum) - a[nt->y];
}

/* Reentrant (opts.threads): params is only read, the scratch is the call's. */
static double my_f(const gsl_vector *theta, void *params)
{
  const net *nt = params;
  double buf[1024], *za = nt->H + nt->K <= 1024 ? buf : malloc((nt->H + nt->K) * sizeof *za);
  if (!za)
    return NAN;
  double L = forward(nt, theta->data, za, za + nt->H);
  if (za != buf)
    free(za);
  return L;
}

static void my_df(const gsl_vector *theta, void *params, gsl_vector *g)
{
  net *nt = params;
  const size_t D = nt->D, H = nt->H, K = nt->K;
  const double *V = theta->data + H * D + H;
  double L = forward(nt, theta->data, nt->z, nt->a), lse = L + nt->a[nt->y];
  double *gW = g->data, *gb1 = gW + H * D, *gV = gb1 + H, *gb2 = gV + K * H;
  for (size_t k = 0; k < K; k++)
    gb2[k] = exp(nt->a[k] - lse) - (k == nt->y ? 1.0 : 0.0);
  for (size_t i = 0; i < H; i++) {
    double hi = nt->z[i] > 0.0 ? nt->z[i] : 0.0, d2 = 0.0;
    for (size_t k = 0; k < K; k++) {
      gV[k * H + i] = gb2[k] * hi;
      d2 += V[k * H + i] * gb2[k];
    }
    gb1[i] = nt->z[i] > 0.0 ? d2 : 0.0;
    for (size_t j = 0; j < D; j++)
      gW[i * D + j] = gb1[i] * nt->x[j];
  }
}

static void my_fdf(const gsl_vector *theta, void *params, double *f, gsl_vector *g)
{
  my_df(theta, params, g);
  *f = my_f(theta, params);
}

/* The floor row: a bare central difference per entry, torch's eps and rule.
 * Returns the evaluations made; *ok is 0 when some entry fails the rule. */
static size_t bare_central(net *nt, gsl_vector *theta, int *ok)
{
  const size_t n = theta->size;
  gsl_vector *g = gsl_vector_alloc(n);
  if (!g)
    return 0;
  my_df(theta, nt, g);
  *ok = 1;
  for (size_t i = 0; i < n; i++) {
    const double xi = theta->data[i], h = 1e-6;
    theta->data[i] = xi + h;
    double fp = my_f(theta, nt);
    theta->data[i] = xi - h;
    double fm = my_f(theta, nt);
    theta->data[i] = xi;
    double d = (fp - fm) / (2.0 * h), a = g->data[i];
    if (!(fabs(d - a) <= 1e-5 + 1e-3 * fabs(a)))
      *ok = 0;
  }
  gsl_vector_free(g);
  return 2 * n;
}

/* overhead: the user's callbacks, counted, so that their CPU time can be
 * taken out of the check's; and the wall-clock times at which each call of f
 * in the latest check started and ended (CLOCK_MONOTONIC, ~20 ns a read). */
#define STAMPS 4096

typedef struct {
  net *nt;
  size_t nf, ndf;
  size_t nstamp;
  double in[STAMPS], out[STAMPS];
} tally;

static double tally_f(const gsl_vector *theta, void *params)
{
  tally *t = params;
  const double in = wall_seconds(), L = my_f(theta, t->nt);
  if (t->nstamp < STAMPS) {
    t->in[t->nstamp] = in;
    t->out[t->nstamp++] = wall_seconds();
  }
  t->nf++;
  return L;
}

static void tally_df(const gsl_vector *theta, void *params, gsl_vector *g)
{
  tally *t = params;
  t->ndf++;
  my_df(theta, t->nt, g);
}

static void tally_fdf(const gsl_vector *theta, void *params, double *f, gsl_vector *g)
{
  tally_df(theta, params, g);
  *f = tally_f(theta, params);
}

/* CPU microseconds per call of f (g NULL) or df, over at least sec s, the
 * clock read every 32 calls (a read is a system call, ~1 us); with nt NULL,
 * of copying theta into g (memcpy: the least any pass that writes a new
 * point of n doubles costs). */
static double callback_us(net *nt, const gsl_vector *theta, gsl_vector *g, double sec)
{
  size_t reps = 0;
  double sink = 0.0, t0 = cpu_seconds(), t1;
  do {
    for (int k = 0; k < 32; k++)
      if (!nt)
        sink += (double)gsl_vector_memcpy(g, theta);
      else if (g)
        my_df(theta, nt, g);
      else
        sink += my_f(theta, nt);
    reps += 32;
  } while ((t1 = cpu_seconds()) - t0 < sec);
  return (t1 - t0) / (double)reps * 1e6 + 0.0 * sink;
}

static int cmp_double(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#define ROUNDS 7
#define CHECKS 4096

static double median(double *v, size_t n)
{
  qsort(v, n, sizeof *v, cmp_double);
  return n ? v[n / 2] : NAN;
}

/* The latest check's median wall time between two calls of f (from one's end
 * to the next one's start: the check's work per evaluation, mostly building
 * x0 + t v, the direction's sign bits being regenerated only between
 * directions) over f's median wall time in those calls. */
static double gap_ratio(tally *t)
{
  double gap[STAMPS], in_f[STAMPS];
  for (size_t k = 0; k < t->nstamp; k++) {
    in_f[k] = t->out[k] - t->in[k];
    gap[k] = k ? t->in[k] - t->out[k - 1] : INFINITY;
  }
  return median(gap, t->nstamp) / median(in_f, t->nstamp);
}

/* One round of overhead: f and df timed, then the check repeated for at
 * least 0.3 s; its ratios (see overhead) into ratio[0] (all) and ratio[1]
 * (between evaluations). */
static int overhead_round(net *nt, gsl_vector *theta, gsl_vector *g, gv_outcome *out, double *f_us,
                          double ratio[2])
{
  static tally tl;
  static double gaps[CHECKS];
  tl = (tally){.nt = nt};
  gsl_multimin_function_fdf fdf = {tally_f, tally_df, tally_fdf, theta->size, &tl};
  gv_options o;
  gv_options_init(&o);
  o.directions = 32;
  *f_us = callback_us(nt, theta, NULL, 0.1);
  const double df_us = callback_us(nt, theta, g, 0.1), t0 = cpu_seconds();
  size_t reps = 0;
  int status = 0;
  double t1;
  do {
    tl.nstamp = 0;
    status |= gv_check_gradient(&fdf, theta, &o, out);
    if (reps < CHECKS)
      gaps[reps] = gap_ratio(&tl);
    reps++;
  } while ((t1 = cpu_seconds()) - t0 < 0.3);
  const double check_us = (t1 - t0) / (double)reps * 1e6,
               lib_us = check_us - ((double)tl.nf * *f_us + (double)tl.ndf * df_us) / (double)reps;
  ratio[0] = lib_us / ((double)gv_outcome_nevals(out) * *f_us);
  ratio[1] = median(gaps, reps < CHECKS ? reps : CHECKS);
  return status;
}

/* Directional mode's overhead (issue 10): ROUNDS rounds, each timing f and
 * df, then the check (opts.directions = 32) repeated for at least 0.3 s of
 * CPU, in the same process. Two ratios per round:
 *   all: the check's CPU time less the time of every call of the user's f
 *     and df it made (its evaluations, the contract's calls, the derivative),
 *     over evals x f's time: everything the check costs beyond f (the
 *     contract's comparisons, the products J v, each direction's sign bits
 *     generated twice), per evaluation, as a fraction of f;
 *   eval: the median time between two calls of f over f's median time in the
 *     check (gap_ratio): an evaluation's own overhead, x0 + t v;
 * and copy, a memcpy of theta over f's time. Prints each one's median round
 * (all's and eval's range too):
 *   overhead D H K n evals f_us all all_min all_max eval eval_min eval_max copy */
static int overhead(net *nt, gsl_vector *theta, gv_outcome *out)
{
  gsl_vector *g = gsl_vector_alloc(theta->size);
  if (!g)
    return 2;
  double f_us[ROUNDS], all[ROUNDS], eval[ROUNDS], copy[ROUNDS];
  int status = 0;
  for (int r = 0; r < ROUNDS; r++) {
    double ratio[2];
    status |= overhead_round(nt, theta, g, out, &f_us[r], ratio);
    all[r] = ratio[0];
    eval[r] = ratio[1];
    copy[r] = callback_us(NULL, theta, g, 0.05) / f_us[r];
  }
  gsl_vector_free(g);
  if (status) {
    fprintf(stderr, "bench_scale: %s\n", gsl_strerror(status));
    return 2;
  }
  const double fm = median(f_us, ROUNDS), am = median(all, ROUNDS), em = median(eval, ROUNDS),
               cm = median(copy, ROUNDS);
  printf("overhead %zu %zu %zu %zu %zu %.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", nt->D, nt->H,
         nt->K, theta->size, gv_outcome_nevals(out), fm, am, all[0], all[ROUNDS - 1], em, eval[0],
         eval[ROUNDS - 1], cm);
  return 0;
}

static int parse_size(const char *s, size_t *D, size_t *H, size_t *K)
{
  return sscanf(s, "%zu,%zu,%zu", D, H, K) == 3 && *D && *H && *K >= 2 ? 0 : -1;
}

int main(int argc, char **argv)
{
  bench_guard_install();
  net nt = {0};
  if (argc != 3 || parse_size(argv[1], &nt.D, &nt.H, &nt.K)) {
    fprintf(stderr, "usage: bench_scale D,H,K "
                    "defaults|central|directional|sampled|threads|blas|floor|overhead\n");
    return 2;
  }
  gv_options o;
  const char *mode = argv[2];
  if (!strcmp(mode, "defaults"))
    gv_options_init(&o);
  else if (!strcmp(mode, "central"))
    gv_options_central(&o);
  else if (!strcmp(mode, "directional")) {
    gv_options_init(&o);
    o.directions = 32;
  } else if (!strcmp(mode, "sampled")) {
    gv_options_init(&o);
    o.entries = 1000;
  } else if (!strcmp(mode, "blas")) {
    gv_options_init(&o);
    nt.blas = 1;
  } else if (!strcmp(mode, "floor") || !strcmp(mode, "overhead")) {
    gv_options_init(&o); /* unused: the bench differences f itself; overhead sets its own */
  } else if (!strcmp(mode, "threads")) {
    gv_options_init(&o);
    const char *t = getenv("GV_BENCH_THREADS");
    o.threads = t ? strtoul(t, NULL, 10) : 2;
  } else {
    fprintf(stderr, "bench_scale: unknown mode '%s'\n", mode);
    return 2;
  }
  const size_t D = nt.D, H = nt.H, K = nt.K, n = H * D + H + K * H + K;
  nt.x = malloc(D * sizeof *nt.x);
  nt.z = malloc(H * sizeof *nt.z);
  nt.a = malloc(K * sizeof *nt.a);
  gsl_vector *theta = gsl_vector_alloc(n);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gv_outcome *out = gv_outcome_alloc();
  if (!nt.x || !nt.z || !nt.a || !theta || !r || !out)
    return 2;
  gsl_rng_set(r, 1);
  for (size_t j = 0; j < D; j++)
    nt.x[j] = 2.0 * gsl_rng_uniform(r) - 1.0;
  double sw = sqrt(3.0 / (double)D), sv = 2.0 * sqrt(3.0 / (double)H);
  for (size_t k = 0; k < n; k++) {
    double s = k < H * D ? sw : k < H * D + H ? 0.5 : k < n - K ? sv : 0.5;
    gsl_vector_set(theta, k, s * (2.0 * gsl_rng_uniform(r) - 1.0));
  }
  nt.y = gsl_rng_uniform_int(r, K);
  gsl_multimin_function_fdf fdf = {my_f, my_df, my_fdf, n, &nt};
  int rc = 0;
  if (!strcmp(mode, "overhead")) {
    rc = overhead(&nt, theta, out);
    goto done;
  }

  size_t reps = 0;
  double sink = 0.0, t0 = cpu_seconds(), t1;
  do {
    sink += my_f(theta, &nt);
    reps++;
  } while ((t1 = cpu_seconds()) - t0 < 0.2);
  double f_us = (t1 - t0) / (double)reps * 1e6;

  t0 = cpu_seconds();
  double w0 = wall_seconds();
  int status = 0, ok = 0;
  size_t nevals = 0;
  if (!strcmp(mode, "floor")) {
    nevals = bare_central(&nt, theta, &ok);
    status = nevals ? 0 : GSL_ENOMEM;
  } else {
    status = gv_check_gradient(&fdf, theta, &o, out);
    nevals = status ? 0 : gv_outcome_nevals(out);
    ok = !status && gv_outcome_verdict(out) == GV_PASS;
  }
  double w1 = wall_seconds();
  t1 = cpu_seconds();
  if (status) {
    fprintf(stderr, "bench_scale: %s\n", gsl_strerror(status));
    return 2;
  }
  printf("%s %s %zu %zu %zu %zu %.4f %.3f %s %.3f %.4f\n", strcmp(mode, "floor") ? "api" : "bare",
         mode, D, H, K, n, t1 - t0, (double)nevals / (double)n, ok ? "pass" : "FAIL",
         f_us + 0.0 * sink, w1 - w0);
done:
  gv_outcome_free(out);
  gsl_rng_free(r);
  gsl_vector_free(theta);
  free(nt.x);
  free(nt.z);
  free(nt.a);
  return rc;
}
