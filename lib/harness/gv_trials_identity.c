/* gv_trials_identity.c: trials for the crash course's identities and the
 * chain rule. Each differentiates the scalar (or vector) expression itself,
 * never the identity's right-hand side. */
#include <complex.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include "gv_complex.h"
#include "gv_cstep.h"
#include "gv_fd.h"
#include "gv_identity.h"
#include "gv_mistakes.h"
#include "gv_random.h"
#include "gv_trial.h"

/* Everything an identity needs; unused members stay NULL. */
typedef struct {
  gsl_vector *x, *a, *b, *u;
  gsl_matrix *A, *X;
  gv_chain chain;
} id_case;

static void id_case_free(id_case *c)
{
  gsl_vector_free(c->x);
  gsl_vector_free(c->a);
  gsl_vector_free(c->b);
  gsl_vector_free(c->u);
  gsl_matrix_free(c->A);
  gsl_matrix_free(c->X);
}

static double draw_scale(gsl_rng *r)
{
  return gv_random_scale(r, 0.1, 10.0);
}

static int f_xTa(void *params, double *f)
{
  id_case *c = params;
  return gsl_blas_ddot(c->x, c->a, f);
}

static int f_Ax(void *params, gsl_vector *y)
{
  id_case *c = params;
  return gsl_blas_dgemv(CblasNoTrans, 1.0, c->A, c->x, 0.0, y);
}

static int f_aTXb(void *params, double *f)
{
  id_case *c = params; /* u = X b, then a^T u */
  int status = gsl_blas_dgemv(CblasNoTrans, 1.0, c->X, c->b, 0.0, c->u);
  return status ? status : gsl_blas_ddot(c->a, c->u, f);
}

static int f_xTAx(void *params, double *f)
{
  id_case *c = params; /* u = A x, then x^T u */
  int status = gsl_blas_dgemv(CblasNoTrans, 1.0, c->A, c->x, 0.0, c->u);
  return status ? status : gsl_blas_ddot(c->x, c->u, f);
}

static int f_sqnorm(void *params, double *f)
{
  id_case *c = params;
  return gsl_blas_ddot(c->x, c->x, f);
}

static int f_chain(void *params, double *f)
{
  id_case *c = params;
  return gv_chain_value(&c->chain, c->x, c->u, f);
}

/* The trials differ in their shapes and two calls; the rest is one routine. */
typedef enum { ID_XTA, ID_AX, ID_ATXB, ID_XTAX, ID_SQNORM, ID_CHAIN } id_kind;

/* The same functions over a complex variable z, for the complex step: each is
 * a polynomial (or tanh and log-sum-exp), so the analytic continuation is the
 * same formula with z in place of x (z^T z, not |z|^2). */
typedef struct {
  id_kind kind;
  id_case *c;
  double complex *work; /* n of the chain's inner values */
} cid_ctx;

static int cid_f(void *params, const double complex *z, size_t n, double complex *fz)
{
  const cid_ctx *cc = params;
  const id_case *c = cc->c;
  double complex s = 0.0;
  switch (cc->kind) {
  case ID_XTA:
    for (size_t i = 0; i < n; i++)
      s += z[i] * gsl_vector_get(c->a, i);
    break;
  case ID_SQNORM:
    for (size_t i = 0; i < n; i++)
      s += z[i] * z[i];
    break;
  case ID_XTAX:
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++)
        s += z[i] * gsl_matrix_get(c->A, i, j) * z[j];
    break;
  case ID_ATXB: /* z is X, row by row */
    for (size_t i = 0; i < c->X->size1; i++)
      for (size_t j = 0; j < c->X->size2; j++)
        s += gsl_vector_get(c->a, i) * z[i * c->X->size2 + j] * gsl_vector_get(c->b, j);
    break;
  case ID_AX: /* m outputs */
    for (size_t k = 0; k < c->A->size1; k++) {
      double complex y = 0.0;
      for (size_t i = 0; i < n; i++)
        y += gsl_matrix_get(c->A, k, i) * z[i];
      fz[k] = y;
    }
    return GSL_SUCCESS;
  case ID_CHAIN: { /* u = tanh(B z + c), then log sum exp(u) */
    const gsl_matrix *B = c->chain.B;
    for (size_t k = 0; k < B->size1; k++) {
      double complex v = gsl_vector_get(c->chain.c, k);
      for (size_t i = 0; i < n; i++)
        v += gsl_matrix_get(B, k, i) * z[i];
      cc->work[k] = ctanh(v);
    }
    return gv_complex_logsumexp(cc->work, B->size1, fz);
  }
  }
  *fz = s;
  return GSL_SUCCESS;
}

/* Per-kind allocation and draws. Each returns GSL_ENOMEM if an allocation
 * fails (the caller frees whatever was allocated). The draws happen here, in
 * this order, so a seed gives the same numbers as before the table existed. */
static int setup_x_a(gsl_rng *r, id_case *c, gv_trial_pair *t, size_t n, size_t m, double s)
{
  (void)r, (void)m, (void)s;
  c->x = gsl_vector_alloc(n);
  c->a = gsl_vector_alloc(n);
  return !c->x || !c->a || gv_trial_pair_alloc(t, n, 1) ? GSL_ENOMEM : GSL_SUCCESS;
}

static int setup_Ax(gsl_rng *r, id_case *c, gv_trial_pair *t, size_t n, size_t m, double s)
{
  (void)s;
  c->x = gsl_vector_alloc(n);
  c->A = gsl_matrix_alloc(m, n);
  if (!c->x || !c->A || gv_trial_pair_alloc(t, n, m))
    return GSL_ENOMEM;
  gv_random_matrix(r, c->A, draw_scale(r));
  return GSL_SUCCESS;
}

static int setup_aTXb(gsl_rng *r, id_case *c, gv_trial_pair *t, size_t n, size_t m, double s)
{
  c->a = gsl_vector_alloc(m);
  c->b = gsl_vector_alloc(n);
  c->u = gsl_vector_alloc(m);
  c->X = gsl_matrix_alloc(m, n);
  if (!c->a || !c->b || !c->u || !c->X || gv_trial_pair_alloc(t, m, n))
    return GSL_ENOMEM;
  gv_random_vector(r, c->b, draw_scale(r));
  gv_random_matrix(r, c->X, s);
  return GSL_SUCCESS;
}

static int setup_xTAx(gsl_rng *r, id_case *c, gv_trial_pair *t, size_t n, size_t m, double s)
{
  (void)m, (void)s;
  c->x = gsl_vector_alloc(n);
  c->u = gsl_vector_alloc(n);
  c->A = gsl_matrix_alloc(n, n);
  if (!c->x || !c->u || !c->A || gv_trial_pair_alloc(t, n, 1))
    return GSL_ENOMEM;
  /* Uniform entries: A is symmetric with probability 0 for n > 1. */
  gv_random_matrix(r, c->A, draw_scale(r));
  return GSL_SUCCESS;
}

static int setup_chain(gsl_rng *r, id_case *c, gv_trial_pair *t, size_t n, size_t m, double s)
{
  c->x = gsl_vector_alloc(m);
  c->u = gsl_vector_alloc(n);
  c->a = gsl_vector_alloc(n);    /* the shift c of g */
  c->b = gsl_vector_alloc(n);    /* workspace for df/dg */
  c->X = gsl_matrix_alloc(n, m); /* B */
  c->A = gsl_matrix_alloc(m, n); /* workspace for dg/dx */
  if (!c->x || !c->u || !c->a || !c->b || !c->X || !c->A || gv_trial_pair_alloc(t, m, 1))
    return GSL_ENOMEM;
  gv_random_matrix(r, c->X, 1.0 / s);
  gv_random_vector(r, c->a, 1.0);
  c->chain = (gv_chain){.B = c->X, .c = c->a};
  return GSL_SUCCESS;
}

/* Per-kind analytic side: the identity's formula (or the planted mistake)
 * into t->analytic; ga is its first column, for the scalar kinds. */
static int an_xTa(id_case *c, gv_variant v, gv_trial_pair *t, gsl_vector *ga)
{
  (void)v, (void)t;
  return gv_identity_xTa(c->a, ga);
}

static int an_sqnorm(id_case *c, gv_variant v, gv_trial_pair *t, gsl_vector *ga)
{
  (void)v, (void)t;
  return gv_identity_sqnorm(c->x, ga);
}

static int an_Ax(id_case *c, gv_variant v, gv_trial_pair *t, gsl_vector *ga)
{
  (void)v, (void)ga;
  return gv_identity_Ax(c->A, t->analytic);
}

static int an_aTXb(id_case *c, gv_variant v, gv_trial_pair *t, gsl_vector *ga)
{
  (void)v, (void)ga;
  return gv_identity_aTXb(c->a, c->b, t->analytic);
}

static int an_xTAx(id_case *c, gv_variant v, gv_trial_pair *t, gsl_vector *ga)
{
  (void)t;
  return v == GV_MISTAKE_XTAX_SYMMETRIC ? gv_mistake_xTAx(c->A, c->x, ga)
                                        : gv_identity_xTAx(c->A, c->x, ga);
}

static int an_chain(id_case *c, gv_variant v, gv_trial_pair *t, gsl_vector *ga)
{
  (void)v, (void)t;
  return gv_chain_grad(&c->chain, c->x, c->A, c->u, c->b, ga);
}

/* One row per kind, indexed by id_kind: replaces the two switches that had
 * to agree. f is the scalar function the differences sample (NULL for Ax,
 * the one vector-valued kind, which uses f_Ax). */
typedef struct {
  int (*setup)(gsl_rng *r, id_case *c, gv_trial_pair *t, size_t n, size_t m, double s);
  int (*analytic)(id_case *c, gv_variant v, gv_trial_pair *t, gsl_vector *ga);
  int (*f)(void *params, double *fx);
} id_ops;

static const id_ops ID_OPS[] = {
    [ID_XTA] = {.setup = setup_x_a, .analytic = an_xTa, .f = f_xTa},
    [ID_AX] = {.setup = setup_Ax, .analytic = an_Ax, .f = NULL},
    [ID_ATXB] = {.setup = setup_aTXb, .analytic = an_aTXb, .f = f_aTXb},
    [ID_XTAX] = {.setup = setup_xTAx, .analytic = an_xTAx, .f = f_xTAx},
    [ID_SQNORM] = {.setup = setup_x_a, .analytic = an_sqnorm, .f = f_sqnorm},
    [ID_CHAIN] = {.setup = setup_chain, .analytic = an_chain, .f = f_chain},
};

/* The inputs a reader sees (gv_trial_show), in order: the members named by
 * `members` (x, a, b, u vectors; X, A matrices) under `labels`. The chain's
 * workspaces hold g(x), dg/dx and df/dg after its analytic side. */
typedef struct {
  const char *members;
  const char *labels[6];
} id_shown;

static const id_shown ID_SHOWN[] = {
    [ID_XTA] = {"xa", {"x", "a"}},
    [ID_AX] = {"Ax", {"A", "x"}},
    [ID_ATXB] = {"aXb", {"a", "X", "b"}},
    [ID_XTAX] = {"Ax", {"A (not symmetric)", "x"}},
    [ID_SQNORM] = {"x", {"x"}},
    [ID_CHAIN] = {"xXauAb",
                  {"x", "B", "c", "u = tanh(Bx + c)", "∂g/∂x = Bᵀdiag(1 − u²)",
                   "∂f/∂g = softmax(u)"}},
};

static void id_show(const id_case *c, id_kind kind, gv_trial_info *info)
{
  const id_shown *s = &ID_SHOWN[kind];
  for (size_t k = 0; s->members[k]; k++) {
    char m = s->members[k];
    if (m == 'X' || m == 'A')
      gv_trial_show_matrix(info, s->labels[k], m == 'X' ? c->X : c->A);
    else
      gv_trial_show_vector(info, s->labels[k],
                           m == 'x'   ? c->x
                           : m == 'a' ? c->a
                           : m == 'b' ? c->b
                                      : c->u);
  }
}

/* The numeric side, its Taylor check and the comparison. aTXb's variable is
 * X, read in its memory order; every other kind's is x. */
static int id_numeric(id_kind kind, id_case *c, gv_trial_pair *t, size_t m, const gv_tol *tol,
                      gv_cmp *cmp, gv_trial_info *info)
{
  gsl_vector_view gn = gv_trial_col(t->numeric), ge = gv_trial_col(t->err);
  gv_fd_scalar fn = {.f = ID_OPS[kind].f, .params = c};
  gv_fd_vector fv = {.f = f_Ax, .params = c, .m = m};
  gsl_vector_view xv = kind == ID_ATXB
                           ? gsl_vector_view_array(c->X->data, c->X->size1 * c->X->size2)
                           : gsl_vector_subvector(c->x, 0, c->x->size);
  cid_ctx cc = {kind, c, NULL};
  gv_cstep_fn cf = {cid_f, &cc, kind == ID_AX ? m : 1};
  int status = GSL_SUCCESS;
  if (info->method == GV_METHOD_CSTEP && kind == ID_CHAIN &&
      !(cc.work = malloc(c->chain.B->size1 * sizeof *cc.work)))
    status = GSL_ENOMEM;
  else if (kind == ID_AX)
    status = gv_trial_jacobian(info, &fv, &cf, c->x, t->numeric, t->err);
  else if (kind == ID_ATXB)
    status = gv_trial_gradient_matrix(info, &fn, &cf, c->X, t->numeric, t->err);
  else
    status = gv_trial_gradient(info, &fn, &cf, c->x, &gn.vector, &ge.vector);
  free(cc.work);
  if (!status)
    status = kind == ID_AX ? gv_trial_taylor(info, NULL, &fv, c->x, t->analytic)
                           : gv_trial_taylor(info, &fn, NULL, &xv.vector, t->analytic);
  if (!status)
    status = gv_trial_pair_compare(t, tol, cmp, info);
  return status;
}

static int id_trial(gsl_rng *r, id_kind kind, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                    gv_trial_info *info)
{
  size_t n = gv_trial_size(r, info, 1, 50), m = gv_trial_size(r, info, 1, 50);
  id_case c = {0};
  gv_trial_pair t = {0};
  double s = draw_scale(r);
  info->redraws = 0;

  int status = ID_OPS[kind].setup(r, &c, &t, n, m, s);
  if (status)
    goto out;
  /* The draws every kind shares, after the kind's own (the chain's a is its
   * shift, drawn in setup_chain). */
  if (c.x)
    gv_random_vector(r, c.x, s);
  if (c.a && kind != ID_CHAIN)
    gv_random_vector(r, c.a, draw_scale(r));

  gsl_vector_view ga = gv_trial_col(t.analytic);
  status = ID_OPS[kind].analytic(&c, v, &t, &ga.vector);
  if (!status && info->show)
    id_show(&c, kind, info);
  if (!status)
    status = id_numeric(kind, &c, &t, m, tol, cmp, info);
out:
  gv_trial_pair_free(&t);
  id_case_free(&c);
  return status;
}

int gv_trial_identity_xTa(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                          gv_trial_info *info)
{
  return id_trial(r, ID_XTA, v, tol, cmp, info);
}

int gv_trial_identity_Ax(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                         gv_trial_info *info)
{
  return id_trial(r, ID_AX, v, tol, cmp, info);
}

int gv_trial_identity_aTXb(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                           gv_trial_info *info)
{
  return id_trial(r, ID_ATXB, v, tol, cmp, info);
}

int gv_trial_identity_xTAx(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                           gv_trial_info *info)
{
  return id_trial(r, ID_XTAX, v, tol, cmp, info);
}

int gv_trial_identity_sqnorm(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                             gv_trial_info *info)
{
  return id_trial(r, ID_SQNORM, v, tol, cmp, info);
}

int gv_trial_chain_rule(gsl_rng *r, gv_variant v, const gv_tol *tol, gv_cmp *cmp,
                        gv_trial_info *info)
{
  return id_trial(r, ID_CHAIN, v, tol, cmp, info);
}
