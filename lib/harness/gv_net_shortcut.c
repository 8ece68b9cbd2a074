/* gv_net_shortcut.c: the network's numeric gradient in O(K) per evaluation
 * (see gv_net_shortcut.h). */
#include "gv_net_shortcut.h"

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>

#include "gv_complex.h"
#include "gv_cstep.h"
#include "gv_fd.h"
#include "gv_ridders.h"
#include "gv_trial.h"
#include "gv_xent.h"

/* One entry being differentiated: the unit or logit it moves, and by how
 * much per unit change of its value. */
typedef struct {
  const gv_net_base *b;
  gsl_vector *a; /* K: the perturbed logits (work) */
  int moves_z;   /* 1: moves z_unit; 0: moves the logit a_unit */
  size_t unit;   /* i of z_i, or k of a_k */
  double mult;   /* change of z_i or a_k per unit change of the entry */
  double t0, t;  /* the entry's value, and the copy the engines perturb */
  double noise;  /* S of gv_net_shortcut.h: the extra rounding, in units of eps */
} entry_ctx;

static double max_abs(const gsl_vector *v)
{
  return fmax(gsl_vector_max(v), -gsl_vector_min(v));
}

static double col_abs_sum(const gsl_matrix *M, size_t j)
{
  double s = 0.0;
  for (size_t k = 0; k < M->size1; k++)
    s += fabs(gsl_matrix_get(M, k, j));
  return s;
}

/* What every entry of a part shares: max |a|, and for the unit being
 * differentiated (a row of W, b1 or z) sum_k |V(k, i)|, computed once per
 * unit rather than per entry (10^5 entries at --size 784,128,10); and for
 * the complex step, the loss of an entry that leaves the logits real. */
typedef struct {
  double amax;     /* max |a| */
  size_t unit;     /* the unit whose sum is held, or (size_t)-1 */
  double col_sum;  /* sum_k |V(k, unit)| */
  int real_known;  /* the unit's real-logit complex loss is held */
  int real_status; /* its status */
  double real_im;  /* Im of that loss */
} part_ctx;

/* Sets c up for entry (r, col) of the part named by what. */
static int entry_init(entry_ctx *c, part_ctx *p, char what, size_t r, size_t col)
{
  const gv_net *net = c->b->net;
  const gv_net_state *s = c->b->s;
  c->moves_z = what == 'W' || what == 'b' || what == 'z';
  c->unit = r;
  c->mult = what == 'W'   ? gsl_vector_get(c->b->x, col)
            : what == 'V' ? gsl_vector_get(s->h, col)
                          : 1.0;
  switch (what) {
  case 'W':
    c->t0 = gsl_matrix_get(net->W, r, col);
    break;
  case 'b':
    c->t0 = gsl_vector_get(net->b1, r);
    break;
  case 'z':
    c->t0 = gsl_vector_get(s->z, r);
    break;
  case 'V':
    c->t0 = gsl_matrix_get(net->V, r, col);
    break;
  case 'c':
    c->t0 = gsl_vector_get(net->b2, r);
    break;
  default:
    return GSL_EINVAL;
  }
  c->t = c->t0;
  c->noise = 2.0 * p->amax;
  if (c->moves_z) {
    if (p->unit != r) {
      p->unit = r;
      p->col_sum = col_abs_sum(net->V, r);
      p->real_known = 0;
    }
    c->noise += fabs(gsl_vector_get(s->z, r)) * p->col_sum;
  }
  return GSL_SUCCESS;
}

/* The loss at the entry's current value c->t, from the forward state. */
static int entry_loss(void *params, double *L)
{
  entry_ctx *c = params;
  const gv_net_state *s = c->b->s;
  double d = (c->t - c->t0) * c->mult;
  gsl_vector_memcpy(c->a, s->a);
  if (!c->moves_z)
    *gsl_vector_ptr(c->a, c->unit) += d;
  else if (d != 0.0) {
    double zi = gsl_vector_get(s->z, c->unit) + d;
    double dh = (zi > 0.0 ? zi : 0.0) - gsl_vector_get(s->h, c->unit);
    gsl_vector_const_view Vi = gsl_matrix_const_column(c->b->net->V, c->unit);
    if (dh != 0.0)
      gsl_blas_daxpy(dh, &Vi.vector, c->a);
  }
  return gv_xent_loss_logits(c->b->y, c->a, L);
}

/* The complex step for the entry: one complex loss at t0 + i h, O(K). ReLU
 * decides on the real part, as in gv_complex.h. An entry of an inactive
 * unit (z_i <= 0) leaves the logits real, the same for every entry of the
 * unit: that loss is computed once per unit (p) and each entry divides its
 * imaginary part by its own h, the numbers of a computation per entry. */
static int entry_cstep(const entry_ctx *c, part_ctx *p, double complex *a, double *d)
{
  const gv_net_state *s = c->b->s;
  const gsl_matrix *V = c->b->net->V;
  double h = GV_CSTEP_STEP * gv_cmp_max(1.0, fabs(c->t0));
  int real = c->moves_z && !(gsl_vector_get(s->z, c->unit) > 0.0);
  if (real && p->real_known) {
    *d = p->real_im / h;
    return p->real_status;
  }
  double complex da = I * h * c->mult;
  for (size_t k = 0; k < s->a->size; k++) {
    a[k] = gsl_vector_get(s->a, k);
    if (!c->moves_z)
      a[k] += k == c->unit ? da : 0.0;
    else if (!real)
      a[k] += gsl_matrix_get(V, k, c->unit) * da;
  }
  double complex L;
  int status = gv_complex_xent_loss_logits(c->b->y->data, a, s->a->size, &L);
  if (real) {
    p->real_known = 1;
    p->real_status = status;
    p->real_im = cimag(L);
  }
  *d = cimag(L) / h;
  return status;
}

/* One entry's derivative and error bar by method. */
static int entry_derivative(entry_ctx *c, part_ctx *p, gv_method method, double complex *ca,
                            double *d, double *e)
{
  gv_fd_scalar fn = {entry_loss, c};
  if (method == GV_METHOD_CSTEP) {
    *e = 0.0; /* set for the whole part by gv_trial_cstep_errbar */
    return entry_cstep(c, p, ca, d);
  }
  if (method == GV_METHOD_RIDDERS)
    return gv_ridders_derivative(&fn, &c->t, d, e, NULL);
  int status = gv_fd_derivative(&fn, &c->t, d, e);
  *e += GV_FD_ROUNDOFF_ULPS * DBL_EPSILON * c->noise / gv_fd_step(c->t0);
  return status;
}

static int part_shape(const gv_net *net, char what, size_t *rows, size_t *cols)
{
  *rows = what == 'V' || what == 'c' ? net->n_out : net->n_hidden;
  *cols = what == 'W' ? net->n_in : what == 'V' ? net->n_hidden : 1;
  return what == 'W' || what == 'b' || what == 'z' || what == 'V' || what == 'c' ? GSL_SUCCESS
                                                                                 : GSL_EINVAL;
}

int gv_net_shortcut_gradient(const gv_net_base *b, char what, gv_method method, gsl_matrix *N,
                             gsl_matrix *E)
{
  size_t rows, cols;
  int status = part_shape(b->net, what, &rows, &cols);
  if (status)
    return status;
  if (N->size1 != rows || N->size2 != cols || E->size1 != rows || E->size2 != cols)
    return GSL_EBADLEN;
  entry_ctx c = {.b = b, .a = gsl_vector_alloc(b->net->n_out)};
  part_ctx p = {.amax = max_abs(b->s->a), .unit = (size_t)-1};
  double complex *ca = malloc(b->net->n_out * sizeof *ca);
  status = c.a && ca ? GSL_SUCCESS : GSL_ENOMEM;
  for (size_t r = 0; r < rows && !status; r++)
    for (size_t col = 0; col < cols && !status; col++) {
      status = entry_init(&c, &p, what, r, col);
      if (!status)
        status = entry_derivative(&c, &p, method, ca, gsl_matrix_ptr(N, r, col),
                                  gsl_matrix_ptr(E, r, col));
    }
  if (!status && method == GV_METHOD_CSTEP)
    gv_trial_cstep_errbar(N, E);
  gsl_vector_free(c.a);
  free(ca);
  return status;
}
