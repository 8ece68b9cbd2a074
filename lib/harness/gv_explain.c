/* gv_explain.c: worked examples at a size a reader can check by hand.
 *
 * Each formula gets a small instance, drawn from the seed, and the same two
 * sides as its randomized trial: the analytic formula from the library, and
 * central differences of the function itself from the engine, with their
 * error bars. Everything is computed before anything is printed, so a
 * failure prints nothing. All sizes are 3, so every matrix here lives in a
 * 3 x 3 array inside the example: no allocation besides the network's
 * forward and backward states. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gv_compare.h"
#include "gv_explain.h"
#include "gv_fd.h"
#include "gv_formula.h"
#include "gv_identity.h"
#include "gv_net.h"
#include "gv_random.h"
#include "gv_softmax.h"
#include "gv_xent.h"

#define N 3       /* every size */
#define MAX_IN 10 /* inputs and intermediate values shown */
#define LINE 100  /* blocks side by side up to this width */
#define GAP 3     /* spaces between blocks */
#define KINK 1e-3 /* no hidden unit closer than this to its kink */
#define MAX_DRAWS 1000

typedef struct {
  /* What the reader sees before the derivative: inputs and intermediates. */
  size_t n_in;
  const char *in_label[MAX_IN];
  double in_data[MAX_IN][N * N];
  gsl_matrix_view in[MAX_IN];
  gsl_vector_view in_vec[MAX_IN];
  /* The two sides, and the numeric side's error bars; the _v views are
   * column 0, for derivatives that are vectors. */
  double an_data[N * N], nu_data[N * N], er_data[N * N];
  gsl_matrix_view an, nu, er;
  gsl_vector_view an_v, nu_v, er_v;
  /* What the differentiated functions read. */
  gsl_vector *x, *a, *b, *p, *y, *z;
  gsl_matrix *A, *X;
  double u_data[N];
  gsl_vector_view u; /* workspace of the function evaluations */
  gv_chain chain;
  gv_net net;
  gv_net_state *s, *work;
  gv_net_grad *g;
} example;

/* An input shown as a labelled rows-by-cols matrix. */
static gsl_matrix *ex_mat(example *e, const char *label, size_t rows, size_t cols)
{
  size_t k = e->n_in++;
  e->in_label[k] = label;
  e->in[k] = gsl_matrix_view_array(e->in_data[k], rows, cols);
  e->in_vec[k] = gsl_vector_view_array(e->in_data[k], rows);
  return &e->in[k].matrix;
}

/* An input vector, shown as a column. */
static gsl_vector *ex_vec(example *e, const char *label, size_t n)
{
  ex_mat(e, label, n, 1);
  return &e->in_vec[e->n_in - 1].vector;
}

/* ---- the functions the engine differentiates ---- */

static int f_softmax(void *params, gsl_vector *p)
{
  example *e = params;
  return gv_softmax(e->a, p);
}

static int f_loss_p(void *params, double *L)
{
  example *e = params;
  return gv_xent_loss(e->y, e->p, L);
}

static int f_loss_logits(void *params, double *L)
{
  example *e = params;
  return gv_xent_loss_logits(e->y, e->a, L);
}

static int f_loss_params(void *params, double *L)
{
  example *e = params;
  int status = gv_net_forward(&e->net, e->x, e->y, e->work);
  *L = e->work->loss;
  return status;
}

static int f_loss_z(void *params, double *L)
{
  example *e = params;
  int status = gv_net_forward_from_z(&e->net, e->z, e->y, e->work);
  *L = e->work->loss;
  return status;
}

static int f_xTa(void *params, double *f)
{
  example *e = params;
  return gsl_blas_ddot(e->x, e->a, f);
}

static int f_Ax(void *params, gsl_vector *y)
{
  example *e = params;
  return gsl_blas_dgemv(CblasNoTrans, 1.0, e->A, e->x, 0.0, y);
}

static int f_aTXb(void *params, double *f)
{
  example *e = params;
  int status = gsl_blas_dgemv(CblasNoTrans, 1.0, e->X, e->b, 0.0, &e->u.vector);
  return status ? status : gsl_blas_ddot(e->a, &e->u.vector, f);
}

static int f_xTAx(void *params, double *f)
{
  example *e = params;
  int status = gsl_blas_dgemv(CblasNoTrans, 1.0, e->A, e->x, 0.0, &e->u.vector);
  return status ? status : gsl_blas_ddot(e->x, &e->u.vector, f);
}

static int f_sqnorm(void *params, double *f)
{
  example *e = params;
  return gsl_blas_ddot(e->x, e->x, f);
}

static int f_chain(void *params, double *f)
{
  example *e = params;
  return gv_chain_value(&e->chain, e->x, &e->u.vector, f);
}

/* ---- the examples: draw, then analytic into e->an, numeric into e->nu ---- */

enum { CE_P, CE_LOGITS, CE_GENERAL };

static int ex_softmax(gsl_rng *r, example *e, int kind)
{
  (void)kind;
  e->a = ex_vec(e, "a", N);
  gsl_vector *p = ex_vec(e, "p = softmax(a)", N);
  gv_random_vector(r, e->a, 2.0);
  int status = gv_softmax(e->a, p);
  if (!status)
    status = gv_softmax_jacobian(p, &e->an.matrix);
  gv_fd_vector fn = {f_softmax, e, N};
  return status ? status : gv_fd_jacobian(&fn, e->a, &e->nu.matrix, &e->er.matrix);
}

static int ex_ce(gsl_rng *r, example *e, int kind)
{
  gv_fd_scalar fn = {f_loss_logits, e};
  gsl_vector *var;
  int status;
  if (kind == CE_P) {
    /* p > 0 need not sum to one: L is differentiated entry by entry. */
    e->p = var = ex_vec(e, "p", N);
    e->y = ex_vec(e, "y", N);
    gv_random_vector_range(r, e->p, 0.05, 1.0);
    gv_random_simplex(r, e->y);
    status = gv_xent_grad_p(e->y, e->p, &e->an_v.vector);
    fn.f = f_loss_p;
  } else {
    e->a = var = ex_vec(e, "a", N);
    e->y = ex_vec(e, "y", N);
    gsl_vector *p = ex_vec(e, "p = softmax(a)", N);
    gsl_matrix *sum = ex_mat(e, "1ᵀy", 1, 1);
    gv_random_vector(r, e->a, 2.0);
    if (kind == CE_GENERAL) /* weights whose sum is off one */
      gv_random_vector_range(r, e->y, 0.0, 0.6);
    else
      gv_random_onehot(r, e->y);
    gsl_matrix_set(sum, 0, 0, gsl_vector_sum(e->y));
    status = gv_softmax(e->a, p);
    if (!status)
      status = kind == CE_GENERAL ? gv_xent_grad_logits_general(e->y, p, &e->an_v.vector)
                                  : gv_xent_grad_logits(e->y, p, &e->an_v.vector);
  }
  return status ? status : gv_fd_gradient(&fn, var, &e->nu_v.vector, &e->er_v.vector);
}

/* Draws the network until one hidden unit is inactive, one active, and none
 * within KINK of z = 0 (where a central difference would straddle the kink),
 * then runs forward and backward. */
static int net_draw(gsl_rng *r, example *e)
{
  e->x = ex_vec(e, "x", N);
  e->y = ex_vec(e, "y", N);
  gsl_matrix *W = ex_mat(e, "W", N, N);
  gsl_vector *b1 = ex_vec(e, "b₁", N);
  e->z = ex_vec(e, "z = Wx + b₁", N);
  gsl_vector *mask = ex_vec(e, "1(z > 0)", N);
  gsl_matrix *V = ex_mat(e, "V", N, N);
  gsl_vector *b2 = ex_vec(e, "b₂", N);
  gsl_vector *delta1 = ex_vec(e, "δ₁ = p − y", N);
  e->net = (gv_net){N, N, N, W, b1, V, b2};
  e->s = gv_net_state_alloc(&e->net);
  e->work = gv_net_state_alloc(&e->net);
  e->g = gv_net_grad_alloc(&e->net);
  if (!e->s || !e->work || !e->g)
    return GSL_ENOMEM;
  for (size_t draws = 0;; draws++) {
    if (draws == MAX_DRAWS)
      return GSL_EMAXITER;
    gv_random_vector(r, e->x, 1.0);
    gv_random_matrix(r, W, 1.0);
    gv_random_vector(r, b1, 0.5);
    gv_random_matrix(r, V, 1.5);
    gv_random_vector(r, b2, 0.5);
    gv_random_onehot(r, e->y);
    int status = gv_net_forward(&e->net, e->x, e->y, e->s);
    if (status)
      return status;
    size_t on = 0, off = 0, near = 0;
    for (size_t i = 0; i < N; i++) {
      double zi = gsl_vector_get(e->s->z, i);
      on += zi > 0.0;
      off += zi < 0.0;
      near += fabs(zi) <= KINK;
    }
    if (on && off && !near)
      break;
  }
  int status = gv_net_backward(&e->net, e->x, e->y, e->s, e->g);
  if (status)
    return status;
  gsl_vector_memcpy(e->z, e->s->z);
  gsl_vector_memcpy(delta1, e->g->delta1);
  for (size_t i = 0; i < N; i++)
    gsl_vector_set(mask, i, gsl_vector_get(e->z, i) > 0.0);
  return GSL_SUCCESS;
}

/* kind: 'z' (delta2), 'V', 'c' (b2), 'W', 'b' (b1), as in gv_trials_net.c. */
static int ex_net(gsl_rng *r, example *e, int kind)
{
  int status = net_draw(r, e);
  if (status)
    return status;
  gv_fd_scalar fn = {f_loss_params, e};
  gsl_vector *nu = &e->nu_v.vector, *er = &e->er_v.vector;
  const gv_net_grad *g = e->g;
  switch (kind) {
  case 'z': {
    gsl_vector_memcpy(&e->an_v.vector, g->delta2);
    gv_fd_scalar fz = {f_loss_z, e};
    return gv_fd_gradient(&fz, e->z, nu, er);
  }
  case 'V':
    gsl_matrix_memcpy(&e->an.matrix, g->dV);
    return gv_fd_gradient_matrix(&fn, e->net.V, &e->nu.matrix, &e->er.matrix);
  case 'c':
    gsl_vector_memcpy(&e->an_v.vector, g->db2);
    return gv_fd_gradient(&fn, e->net.b2, nu, er);
  case 'W':
    gsl_matrix_memcpy(&e->an.matrix, g->dW);
    return gv_fd_gradient_matrix(&fn, e->net.W, &e->nu.matrix, &e->er.matrix);
  default:
    gsl_vector_memcpy(&e->an_v.vector, g->db1);
    return gv_fd_gradient(&fn, e->net.b1, nu, er);
  }
}

enum { ID_XTA, ID_AX, ID_ATXB, ID_XTAX, ID_SQNORM, ID_CHAIN };

static int ex_identity(gsl_rng *r, example *e, int kind)
{
  gv_fd_scalar fn = {f_sqnorm, e};
  gsl_vector *an = &e->an_v.vector;
  int status;
  switch (kind) {
  case ID_XTA:
    e->x = ex_vec(e, "x", N);
    e->a = ex_vec(e, "a", N);
    gv_random_vector(r, e->x, 2.0);
    gv_random_vector(r, e->a, 2.0);
    status = gv_identity_xTa(e->a, an);
    fn.f = f_xTa;
    break;
  case ID_AX: {
    e->A = ex_mat(e, "A", N, N);
    e->x = ex_vec(e, "x", N);
    gv_random_matrix(r, e->A, 2.0);
    gv_random_vector(r, e->x, 2.0);
    status = gv_identity_Ax(e->A, &e->an.matrix);
    gv_fd_vector fv = {f_Ax, e, N};
    return status ? status : gv_fd_jacobian(&fv, e->x, &e->nu.matrix, &e->er.matrix);
  }
  case ID_ATXB:
    e->a = ex_vec(e, "a", N);
    e->X = ex_mat(e, "X", N, N);
    e->b = ex_vec(e, "b", N);
    gv_random_vector(r, e->a, 2.0);
    gv_random_matrix(r, e->X, 2.0);
    gv_random_vector(r, e->b, 2.0);
    status = gv_identity_aTXb(e->a, e->b, &e->an.matrix);
    fn.f = f_aTXb;
    return status ? status : gv_fd_gradient_matrix(&fn, e->X, &e->nu.matrix, &e->er.matrix);
  case ID_XTAX:
    e->A = ex_mat(e, "A (not symmetric)", N, N);
    e->x = ex_vec(e, "x", N);
    gv_random_matrix(r, e->A, 2.0);
    gv_random_vector(r, e->x, 2.0);
    status = gv_identity_xTAx(e->A, e->x, an);
    fn.f = f_xTAx;
    break;
  case ID_SQNORM:
    e->x = ex_vec(e, "x", N);
    gv_random_vector(r, e->x, 2.0);
    status = gv_identity_sqnorm(e->x, an);
    break;
  default: {
    e->x = ex_vec(e, "x", N);
    e->A = ex_mat(e, "B", N, N);
    e->b = ex_vec(e, "c", N);
    gsl_vector *u = ex_vec(e, "u = tanh(Bx + c)", N);
    gsl_matrix *Dg = ex_mat(e, "∂g/∂x = Bᵀdiag(1 − u²)", N, N);
    gsl_vector *df = ex_vec(e, "∂f/∂g = softmax(u)", N);
    gv_random_vector(r, e->x, 2.0);
    gv_random_matrix(r, e->A, 1.0);
    gv_random_vector(r, e->b, 0.5);
    e->chain = (gv_chain){e->A, e->b};
    /* gv_chain_grad leaves g(x), dg/dx and df/dg in its workspace. */
    status = gv_chain_inner(&e->chain, e->x, u);
    if (!status)
      status = gv_chain_jacobian_inner(&e->chain, e->x, Dg);
    if (!status)
      status = gv_chain_grad_outer(u, df);
    if (!status)
      status = gv_chain_grad(&e->chain, e->x, Dg, u, df, an);
    fn.f = f_chain;
  }
  }
  return status ? status : gv_fd_gradient(&fn, e->x, &e->nu_v.vector, &e->er_v.vector);
}

typedef struct {
  const char *id;
  int (*fn)(gsl_rng *r, example *e, int kind);
  int kind;
  const char *what;  /* the derivative, as the formula names it */
  size_t rows, cols; /* its shape */
  const char *sizes;
} ex_entry;

static const ex_entry examples[] = {
    {"softmax_jacobian", ex_softmax, 0, "∂p/∂a", N, N, "n = 3"},
    {"ce_grad_p", ex_ce, CE_P, "∂L/∂p", N, 1, "n = 3"},
    {"ce_grad_logits", ex_ce, CE_LOGITS, "δ₁ = ∂L/∂a", N, 1, "n = 3"},
    {"ce_grad_logits_general", ex_ce, CE_GENERAL, "∂L/∂a", N, 1, "n = 3"},
    {"relu_delta", ex_net, 'z', "δ₂ = ∂L/∂z", N, 1, "D = H = K = 3"},
    {"grad_V", ex_net, 'V', "∂L/∂V", N, N, "D = H = K = 3"},
    {"grad_b2", ex_net, 'c', "∂L/∂b₂", N, 1, "D = H = K = 3"},
    {"grad_W", ex_net, 'W', "∂L/∂W", N, N, "D = H = K = 3"},
    {"grad_b1", ex_net, 'b', "∂L/∂b₁", N, 1, "D = H = K = 3"},
    {"identity_xTa", ex_identity, ID_XTA, "∂xᵀa/∂x", N, 1, "n = 3"},
    {"identity_Ax", ex_identity, ID_AX, "∂Ax/∂x", N, N, "m = n = 3"},
    {"identity_aTXb", ex_identity, ID_ATXB, "∂aᵀXb/∂X", N, N, "m = n = 3"},
    {"identity_xTAx", ex_identity, ID_XTAX, "∂xᵀAx/∂x", N, 1, "n = 3"},
    {"identity_sqnorm", ex_identity, ID_SQNORM, "∂‖x‖²/∂x", N, 1, "n = 3"},
    {"chain_rule", ex_identity, ID_CHAIN, "∂f(g(x))/∂x", N, 1, "m = n = 3"},
};

/* ---- printing ---- */

/* Columns taken by UTF-8 text: one per character, not per byte (the labels
 * hold no wide characters). */
static size_t text_width(const char *s)
{
  size_t w = 0;
  for (; *s; s++)
    w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

typedef struct {
  const char *label;
  const gsl_matrix *m;
  int small; /* error-sized values: %9.2e rather than %10.6f */
} block;

static size_t matrix_width(const block *b)
{
  return 3 + b->m->size2 * (b->small ? 10 : 11); /* "[", " %10.6f" per column, " ]" */
}

static size_t block_width(const block *b)
{
  size_t w = matrix_width(b), lw = text_width(b->label);
  return lw > w ? lw : w;
}

static void pad(FILE *out, size_t n)
{
  fprintf(out, "%*s", (int)n, "");
}

/* Matrices side by side under their labels, each padded to its block. */
static void print_blocks(FILE *out, const block *b, size_t nb)
{
  size_t rows = 0;
  for (size_t i = 0; i < nb; i++) {
    fputs(b[i].label, out);
    if (i + 1 < nb)
      pad(out, block_width(&b[i]) - text_width(b[i].label) + GAP);
    rows = b[i].m->size1 > rows ? b[i].m->size1 : rows;
  }
  fputc('\n', out);
  for (size_t r = 0; r < rows; r++) {
    for (size_t i = 0; i < nb; i++) {
      size_t used = 0;
      if (r < b[i].m->size1) {
        fputc('[', out);
        for (size_t c = 0; c < b[i].m->size2; c++)
          fprintf(out, b[i].small ? " %9.2e" : " %10.6f", gsl_matrix_get(b[i].m, r, c));
        fputs(" ]", out);
        used = matrix_width(&b[i]);
      }
      if (i + 1 < nb)
        pad(out, block_width(&b[i]) - used + GAP);
    }
    fputc('\n', out);
  }
}

/* The inputs, as many side by side as fit in LINE columns. */
static void print_inputs(FILE *out, const example *e)
{
  block b[MAX_IN];
  size_t nb = 0, width = 0;
  for (size_t k = 0; k < e->n_in; k++) {
    block bk = {e->in_label[k], &e->in[k].matrix, 0};
    size_t w = block_width(&bk);
    if (nb > 0 && width + GAP + w > LINE) {
      print_blocks(out, b, nb);
      fputc('\n', out);
      nb = 0;
    }
    width = nb ? width + GAP + w : w;
    b[nb++] = bk;
  }
  if (nb)
    print_blocks(out, b, nb);
}

static int print_example(FILE *out, const gv_formula *f, const ex_entry *x, example *e,
                         unsigned long seed)
{
  const gv_tol tol = {GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR};
  double abs_data[N * N], bound_data[N * N], ratio_data[N * N];
  gsl_matrix_view abs_err = gsl_matrix_view_array(abs_data, x->rows, x->cols),
                  bound = gsl_matrix_view_array(bound_data, x->rows, x->cols),
                  ratio = gsl_matrix_view_array(ratio_data, x->rows, x->cols);
  size_t passed = 0, count = x->rows * x->cols;
  double worst = 0.0;
  for (size_t i = 0; i < x->rows; i++)
    for (size_t j = 0; j < x->cols; j++) {
      double an = gsl_matrix_get(&e->an.matrix, i, j), nu = gsl_matrix_get(&e->nu.matrix, i, j),
             er = gsl_matrix_get(&e->er.matrix, i, j), q;
      passed += gv_cmp_entry_passes(an, nu, er, &tol, &q) != 0;
      gsl_matrix_set(&abs_err.matrix, i, j, fabs(an - nu));
      gsl_matrix_set(&bound.matrix, i, j, gv_cmp_bound(an, nu, er, &tol));
      gsl_matrix_set(&ratio.matrix, i, j, q);
      worst = q > worst ? q : worst;
    }

  fprintf(out, "%s: %s\n", f->id, f->formula);
  fprintf(out, "why: %s\n", f->reason);
  fprintf(out, "example: %s, drawn with seed %lu\n\n", x->sizes, seed);
  print_inputs(out, e);
  fputc('\n', out);

  char analytic[64];
  snprintf(analytic, sizeof analytic, "analytic %s", x->what);
  const block sides[] = {{analytic, &e->an.matrix, 0},
                         {"numeric (central differences)", &e->nu.matrix, 0},
                         {"|analytic − numeric|", &abs_err.matrix, 1}};
  print_blocks(out, sides, 3);
  fprintf(out,
          "\ntolerance: an entry passes iff |analytic − numeric| ≤ atol + rtol·max(|analytic|, "
          "|numeric|) + kerr·e,\n  with atol = %g, rtol = %g, kerr = %g and e the error bar of "
          "the numeric side\n\n",
          tol.atol, tol.rtol, tol.kerr);
  const block checks[] = {{"error bar e", &e->er.matrix, 1},
                          {"bound", &bound.matrix, 1},
                          {"|analytic − numeric| / bound", &ratio.matrix, 1}};
  print_blocks(out, checks, 3);
  fprintf(out, "\n%s: %zu of %zu entries within tolerance; the worst error is %.3g of its bound\n",
          passed == count ? "PASS" : "FAIL", passed, count, worst);
  return ferror(out) ? GSL_EFAILED : GSL_SUCCESS;
}

int gv_explain_list(FILE *out)
{
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%-24s %s\n", f[i].id, f[i].formula);
  return ferror(out) ? GSL_EFAILED : GSL_SUCCESS;
}

int gv_explain_print(FILE *out, const char *id, unsigned long seed)
{
  const gv_formula *f = id ? gv_formula_find(id) : NULL;
  const ex_entry *x = NULL;
  for (size_t i = 0; f && i < sizeof examples / sizeof examples[0]; i++)
    if (strcmp(examples[i].id, id) == 0)
      x = &examples[i];
  if (!x)
    return GSL_EINVAL;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!r)
    return GSL_ENOMEM;
  gsl_rng_set(r, seed);

  example e;
  memset(&e, 0, sizeof e);
  e.an = gsl_matrix_view_array(e.an_data, x->rows, x->cols);
  e.nu = gsl_matrix_view_array(e.nu_data, x->rows, x->cols);
  e.er = gsl_matrix_view_array(e.er_data, x->rows, x->cols);
  e.an_v = gsl_vector_view_array(e.an_data, x->rows);
  e.nu_v = gsl_vector_view_array(e.nu_data, x->rows);
  e.er_v = gsl_vector_view_array(e.er_data, x->rows);
  e.u = gsl_vector_view_array(e.u_data, N);

  int status = x->fn(r, &e, x->kind);
  if (!status)
    status = print_example(out, f, x, &e, seed);
  gv_net_state_free(e.s);
  gv_net_state_free(e.work);
  gv_net_grad_free(e.g);
  gsl_rng_free(r);
  return status;
}
