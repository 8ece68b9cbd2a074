/* bench_accuracy.c: accuracy of each numeric method, and of its own error
 * estimate, on smooth functions. Run with `meson test --benchmark accuracy`
 * (or the executable alone); it prints a Markdown table and asserts nothing.
 *
 * Methods: central differences with their error bar (gv_fd), Ridders'
 * extrapolation (gv_ridders), GSL's gsl_deriv_central, and the complex step
 * (gv_cstep). Functions: exp and sin at random points of [-3, 3];
 * c exp(sin(x / s)) for values c = 1e-8, 1, 1e8 and inputs x = s U(-3, 3),
 * s = 1e-6, 1, 1e6; sin x at x near 1e6 (a length scale of 1 where the step
 * rules expect |x|); the seed's
 * network loss per packed parameter (4-5-3 networks, no ReLU unit within 0.1
 * of its kink), and the softmax Jacobian at logits 300 + U(-3, 3) (n = 5).
 * The truth is exact for exp and sin, the complex step for the network and
 * softmax (the complex step's own row compares it with the analytic
 * gv_net_backward and gv_softmax_jacobian instead).
 *
 * Columns: the largest relative error |d - t| / max(|t|, 1e-6); the ratio of the
 * method's error estimate to its true error (median and range, over entries
 * whose true error is not 0); the share of entries whose estimate covers
 * the true error; function evaluations per entry (for the softmax Jacobian,
 * evaluations of the whole vector function per input entry, shared by its n
 * outputs, except for gsl_deriv_central, which is scalar and runs per
 * entry). */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_deriv.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "gv_complex.h"
#include "gv_cstep.h"
#include "gv_fd.h"
#include "gv_net.h"
#include "gv_net_pack.h"
#include "gv_ridders.h"
#include "gv_softmax.h"
#include "bench_guard.h"

#define NPOINTS 200
#define NNETS 10
#define NSOFT 20
#define MAXE 20000
/* Relative errors are taken against max(|t|, REL_FLOOR): entries of the
 * network's gradient near a saturated softmax are ~1e-10, where only the
 * absolute error means anything. */
#define REL_FLOOR 1e-6

enum method { M_CENTRAL, M_RIDDERS, M_GSL, M_GSL_SMALL, M_CSTEP, NMETHODS };
static const char *method_name[NMETHODS] = {"central (gv_fd) + error bar", "Ridders (gv_ridders)",
                                            "gsl_deriv_central, h = 1e-3 max(1,|x|)",
                                            "gsl_deriv_central, h = 1e-8", "complex step"};

/* Accumulated statistics of one method on one function. */
typedef struct {
  double maxrel;
  double ratio[MAXE];
  size_t nratio, ncover, nexact, nentries;
  double evals;
  int has_estimate;
} stats;

static void add(stats *s, double d, double t, double est, double evals, int has_estimate)
{
  double err = fabs(d - t), rel = err / fmax(fabs(t), REL_FLOOR);
  if (rel > s->maxrel || isnan(rel))
    s->maxrel = rel;
  s->nentries++;
  s->evals += evals;
  s->has_estimate = has_estimate;
  if (!has_estimate)
    return;
  if (err <= est)
    s->ncover++;

  if (err == 0.0)
    s->nexact++;
  else if (s->nratio < MAXE)
    s->ratio[s->nratio++] = est / err;
}

static void print_row(const char *fname, enum method m, stats *s)
{
  printf("| %s | %s | %.1e |", fname, method_name[m], s->maxrel);
  if (s->has_estimate && s->nratio) {
    gsl_sort(s->ratio, 1, s->nratio);
    printf(" %.3g | %.2g .. %.2g | %.0f%% |", s->ratio[s->nratio / 2], s->ratio[0],
           s->ratio[s->nratio - 1], 100.0 * (double)s->ncover / (double)s->nentries);
  } else {
    printf(" - | - | - |");
  }
  printf(" %.1f |\n", s->evals / (double)s->nentries);
}

/* ---- A scalar function of one double, counted ---- */

typedef struct {
  int kind; /* 0 exp, 1 sin, 2 network loss, 3 softmax p_j, 4 c exp(sin(x / s)), 5 sin */
  double c, sc;
  double *x;
  size_t calls;
  /* network */
  gsl_vector *theta;
  gv_net *net;
  gv_net_state *s;
  gsl_vector *in, *y;
  /* softmax */
  gsl_vector *a, *p;
  size_t j;
} prob;

static int eval(void *params, double *fx)
{
  prob *pb = params;
  pb->calls++;
  switch (pb->kind) {
  case 0:
    *fx = exp(*pb->x);
    return GSL_SUCCESS;
  case 1:
    *fx = sin(*pb->x);
    return GSL_SUCCESS;
  case 4:
    *fx = pb->c * exp(sin(*pb->x / pb->sc));
    return GSL_SUCCESS;
  case 5:
    *fx = sin(*pb->x);
    return GSL_SUCCESS;
  case 2: {
    int status = gv_net_unpack(pb->theta, pb->net);
    if (!status)
      status = gv_net_forward(pb->net, pb->in, pb->y, pb->s);
    *fx = pb->s->loss;
    return status;
  }
  default: {
    int status = gv_softmax(pb->a, pb->p);
    *fx = gsl_vector_get(pb->p, pb->j);
    return status;
  }
  }
}

static double gsl_eval(double x, void *params)
{
  prob *pb = params;
  double save = *pb->x, fx = NAN;
  *pb->x = x;
  eval(pb, &fx);
  *pb->x = save;
  return fx;
}

/* One entry *x of a scalar problem with truth t, every real method. */
static void scalar_entry(prob *pb, double *x, double t, stats st[NMETHODS])
{
  gv_fd_scalar fn = {eval, pb};
  double d, e, abserr;
  size_t n;
  pb->x = x;
  pb->calls = 0;
  if (!gv_fd_derivative(&fn, x, &d, &e))
    add(&st[M_CENTRAL], d, t, e, (double)pb->calls, 1);
  pb->calls = 0;
  if (!gv_ridders_derivative(&fn, x, &d, &e, &n))
    add(&st[M_RIDDERS], d, t, e, (double)n, 1);
  gsl_function F = {gsl_eval, pb};
  pb->calls = 0;
  if (!gsl_deriv_central(&F, *x, 1e-3 * fmax(1.0, fabs(*x)), &d, &abserr))
    add(&st[M_GSL], d, t, abserr, (double)pb->calls, 1);
  pb->calls = 0;
  if (!gsl_deriv_central(&F, *x, 1e-8, &d, &abserr))
    add(&st[M_GSL_SMALL], d, t, abserr, (double)pb->calls, 1);
}

static int cexp_fn(void *params, const double complex *x, size_t n, double complex *fx)
{
  (void)n;
  fx[0] = *(int *)params ? csin(x[0]) : cexp(x[0]);
  return GSL_SUCCESS;
}

static void bench_elementary(gsl_rng *r, int kind)
{
  stats *st = calloc(NMETHODS, sizeof *st);
  for (int i = 0; i < NPOINTS; i++) {
    double x = -3.0 + 6.0 * gsl_rng_uniform(r);
    double t = kind ? cos(x) : exp(x);
    prob pb = {.kind = kind};
    scalar_entry(&pb, &x, t, st);
    gsl_vector_view xv = gsl_vector_view_array(&x, 1);
    double g;
    gsl_vector_view gv = gsl_vector_view_array(&g, 1);
    gv_cstep_fn cf = {cexp_fn, &kind, 1};
    if (!gv_cstep_gradient(&cf, &xv.vector, &gv.vector, 0.0))
      add(&st[M_CSTEP], g, t, 0.0, 1.0, 0);
  }
  for (int m = 0; m < NMETHODS; m++)
    print_row(kind ? "sin" : "exp", (enum method)m, &st[m]);
  free(st);
}

/* c exp(sin(x / s)) at x = s (x_off + U(-3, 3)): values of scale c, inputs of scale s. */
static void bench_scaled(gsl_rng *r, double c, double sc, double x_off)
{
  stats *st = calloc(NMETHODS, sizeof *st);
  for (int i = 0; i < NPOINTS; i++) {
    double x = sc * (x_off - 3.0 + 6.0 * gsl_rng_uniform(r));
    double y = x / sc;
    double t = x_off ? cos(x) : c * cos(y) / sc * exp(sin(y));
    prob pb = {.kind = x_off ? 5 : 4, .c = c, .sc = sc};
    scalar_entry(&pb, &x, t, st);
  }
  char name[96];
  if (x_off)
    snprintf(name, sizeof name, "sin x, x near %g", x_off);
  else
    snprintf(name, sizeof name, "%g exp(sin(x / %g))", c, sc);
  for (int m = 0; m < M_CSTEP; m++)
    print_row(name, (enum method)m, &st[m]);
  free(st);
}

static void bench_network(gsl_rng *r)
{
  const size_t D = 4, H = 5, K = 3;
  stats *st = calloc(NMETHODS, sizeof *st);
  gv_net *net = gv_net_alloc(D, H, K), *work = gv_net_alloc(D, H, K);
  gv_net_state *s = gv_net_state_alloc(net);
  gv_net_grad *gr = gv_net_grad_alloc(net);
  const size_t n = gv_net_pack_size(net);
  gsl_vector *in = gsl_vector_alloc(D), *y = gsl_vector_calloc(K);
  gsl_vector *theta = gsl_vector_alloc(n), *truth = gsl_vector_alloc(n), *an = gsl_vector_alloc(n);
  for (int t = 0; t < NNETS; t++) {
    int kinkfree = 0;
    while (!kinkfree) {
      for (size_t i = 0; i < H * D; i++)
        net->W->data[i] = 3.0 * gsl_rng_uniform(r) - 1.5;
      for (size_t i = 0; i < K * H; i++)
        net->V->data[i] = 4.0 * gsl_rng_uniform(r) - 2.0;
      for (size_t i = 0; i < H; i++)
        gsl_vector_set(net->b1, i, gsl_rng_uniform(r) - 0.5);
      for (size_t i = 0; i < K; i++)
        gsl_vector_set(net->b2, i, gsl_rng_uniform(r) - 0.5);
      for (size_t i = 0; i < D; i++)
        gsl_vector_set(in, i, 6.0 * gsl_rng_uniform(r) - 3.0);
      gsl_vector_set_zero(y);
      gsl_vector_set(y, gsl_rng_uniform_int(r, K), 1.0);
      gv_net_forward(net, in, y, s);
      kinkfree = 1;
      for (size_t i = 0; i < H; i++)
        if (fabs(gsl_vector_get(s->z, i)) < 0.1)
          kinkfree = 0;
    }
    gv_net_backward(net, in, y, s, gr);
    gv_net_pack(net, theta);
    gv_net_grad_pack(net, gr, an);
    double complex cw[8];
    gv_complex_net_problem cp = {D, H, K, in->data, y->data, cw};
    gv_cstep_fn cf = {gv_complex_net_loss_fn, &cp, 1};
    gv_cstep_gradient(&cf, theta, truth, 0.0);
    prob pb = {.kind = 2, .theta = theta, .net = work, .s = s, .in = in, .y = y};
    for (size_t i = 0; i < n; i++) {
      double ti = gsl_vector_get(truth, i);
      scalar_entry(&pb, gsl_vector_ptr(theta, i), ti, st);
      /* The complex step against the analytic backward pass. */
      add(&st[M_CSTEP], ti, gsl_vector_get(an, i), 0.0, 1.0, 0);
    }
  }
  for (int m = 0; m < NMETHODS; m++)
    print_row("network loss, per parameter (4-5-3)", (enum method)m, &st[m]);
  gsl_vector_free(in);
  gsl_vector_free(y);
  gsl_vector_free(theta);
  gsl_vector_free(truth);
  gsl_vector_free(an);
  gv_net_grad_free(gr);
  gv_net_state_free(s);
  gv_net_free(net);
  gv_net_free(work);
  free(st);
}

typedef struct {
  gsl_vector *a;
  size_t calls;
} vprob;

static int softmax_vec(void *params, gsl_vector *p)
{
  vprob *vp = params;
  vp->calls++;
  return gv_softmax(vp->a, p);
}

static void bench_softmax(gsl_rng *r)
{
  const size_t n = 5;
  stats *st = calloc(NMETHODS, sizeof *st);
  gsl_vector *a = gsl_vector_alloc(n), *p = gsl_vector_alloc(n);
  gsl_matrix *T = gsl_matrix_alloc(n, n), *J = gsl_matrix_alloc(n, n);
  gsl_matrix *D = gsl_matrix_alloc(n, n), *E = gsl_matrix_alloc(n, n);
  for (int t = 0; t < NSOFT; t++) {
    for (size_t i = 0; i < n; i++)
      gsl_vector_set(a, i, 300.0 + 6.0 * gsl_rng_uniform(r) - 3.0);
    gv_cstep_fn cf = {gv_complex_softmax_fn, NULL, n};
    gv_cstep_jacobian(&cf, a, T, 0.0);
    gv_softmax(a, p);
    gv_softmax_jacobian(p, J);
    vprob vp = {a, 0};
    gv_fd_vector vf = {softmax_vec, &vp, n};
    if (!gv_fd_jacobian(&vf, a, D, E))
      for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
          add(&st[M_CENTRAL], gsl_matrix_get(D, i, j), gsl_matrix_get(T, i, j),
              gsl_matrix_get(E, i, j), (double)vp.calls / (double)n, 1);
    vp.calls = 0;
    if (!gv_ridders_jacobian(&vf, a, D, E))
      for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
          add(&st[M_RIDDERS], gsl_matrix_get(D, i, j), gsl_matrix_get(T, i, j),
              gsl_matrix_get(E, i, j), (double)vp.calls / (double)n, 1);
    /* GSL, entry by entry (a scalar method): p_j as a function of a_i. */
    gsl_vector *pw = gsl_vector_alloc(n);
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++) {
        prob pb = {.kind = 3, .x = gsl_vector_ptr(a, i), .a = a, .p = pw, .j = j};
        gsl_function F = {gsl_eval, &pb};
        double d, abserr, x = gsl_vector_get(a, i), tij = gsl_matrix_get(T, i, j);
        pb.calls = 0;
        if (!gsl_deriv_central(&F, x, 1e-3 * fmax(1.0, fabs(x)), &d, &abserr))
          add(&st[M_GSL], d, tij, abserr, (double)pb.calls, 1);
        pb.calls = 0;
        if (!gsl_deriv_central(&F, x, 1e-8, &d, &abserr))
          add(&st[M_GSL_SMALL], d, tij, abserr, (double)pb.calls, 1);
        add(&st[M_CSTEP], tij, gsl_matrix_get(J, i, j), 0.0, 1.0, 0);
      }
    gsl_vector_free(pw);
  }
  for (int m = 0; m < NMETHODS; m++)
    print_row("softmax Jacobian, logits 300 +- 3 (n = 5)", (enum method)m, &st[m]);
  gsl_vector_free(a);
  gsl_vector_free(p);
  gsl_matrix_free(T);
  gsl_matrix_free(J);
  gsl_matrix_free(D);
  gsl_matrix_free(E);
  free(st);
}

int main(void)
{
  bench_guard_install();
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 20240719UL);
  printf("| function | method | max rel error | estimate/true, median | range | estimate "
         "covers | evals/entry |\n");
  printf("|---|---|---|---|---|---|---|\n");
  bench_elementary(r, 0);
  bench_elementary(r, 1);
  const double scales[3] = {1e-8, 1.0, 1e8}, inputs[3] = {1e-6, 1.0, 1e6};
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++)
      bench_scaled(r, scales[a], inputs[b], 0.0);
  bench_scaled(r, 1.0, 1.0, 1e6);
  bench_network(r);
  bench_softmax(r);
  printf("\nComplex step rows: exp and sin against the exact derivative; network and softmax "
         "against the analytic gv_net_backward and gv_softmax_jacobian (the truth for the "
         "other rows is the complex step itself).\n");
  gsl_rng_free(r);
  return EXIT_SUCCESS;
}
