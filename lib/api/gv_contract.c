/* gv_contract.c: fdf against f and df, df against itself, x against the
 * callbacks. Each callback gets a fresh copy of x, compared bit for bit with
 * x afterwards: the check itself then never depends on a callback that
 * writes its input. */
#include "gv_contract.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "gv_alloc.h"
#include "gv_check_impl.h"

/* Two doubles are the same value (NaN equals NaN: an unset entry is caught by
 * the fills, not by NaN != NaN). */
static int same(double a, double b)
{
  return a == b || (isnan(a) && isnan(b));
}

/* 1 when work (contiguous) no longer equals x; work is reset to x for the
 * next call. Equal bits are the same values: one memcmp where f left x alone. */
static int written(gsl_vector *work, const gsl_vector *x)
{
  if (x->stride == 1 && !memcmp(work->data, x->data, x->size * sizeof *x->data))
    return 0;
  int w = 0;
  for (size_t j = 0; j < x->size; j++)
    w |= !same(gsl_vector_get(work, j), gsl_vector_get(x, j));
  gsl_vector_memcpy(work, x);
  return w;
}

/* Compares two calls of df, a and b (same shape), into c. */
static void compare_repeat(const gsl_matrix *a, const gsl_matrix *b, gv_contract *c)
{
  if (a->tda == a->size2 && b->tda == b->size2 &&
      !memcmp(a->data, b->data, a->size1 * a->size2 * sizeof *a->data))
    return; /* equal bits: the same values */
  for (size_t i = 0; i < a->size1; i++)
    for (size_t j = 0; j < a->size2; j++) {
      double u = gsl_matrix_get(a, i, j), v = gsl_matrix_get(b, i, j);
      if (same(u, v))
        continue;
      if (c->df_ndiffer++ == 0) {
        c->df_row = i;
        c->df_col = j;
        c->df_first = u;
        c->df_second = v;
      }
    }
}

/* fdf's value ff and gradient gf against f's f0 and df's g. */
static void compare_fdf(double f0, const gsl_vector *g, double ff, const gsl_vector *gf,
                        gv_contract *c)
{
  double scale = 0.0;
  for (size_t j = 0; j < g->size; j++)
    if (isfinite(gsl_vector_get(g, j)))
      scale = fmax(scale, fabs(gsl_vector_get(g, j)));
  c->fdf_called = 1;
  c->fdf_f_err = same(ff, f0) ? 0.0 : fabs(ff - f0);
  if (isnan(c->fdf_f_err))
    c->fdf_f_err = INFINITY;
  /* f0 is finite (f at x); an infinite ff must not make the allowance infinite */
  c->fdf_f_allowed = GV_CONTRACT_RTOL * fmax(fabs(f0), isfinite(ff) ? fabs(ff) : 0.0);
  c->fdf_g_allowed = GV_CONTRACT_RTOL * scale;
  for (size_t j = 0; j < g->size; j++) {
    double u = gsl_vector_get(g, j), v = gsl_vector_get(gf, j);
    double d = same(u, v) ? 0.0 : fabs(u - v);
    if (isnan(d))
      d = INFINITY;
    if (d > c->fdf_g_err) {
      c->fdf_g_err = d;
      c->fdf_g_col = j;
    }
  }
}

static void conclude(gv_contract *c)
{
  int fdf_ok =
      !c->fdf_called || (c->fdf_f_err <= c->fdf_f_allowed && c->fdf_g_err <= c->fdf_g_allowed);
  c->passed = fdf_ok && c->df_ndiffer == 0 && c->x_written == 0;
}

/* Workspace: a copy of x and three m-by-n matrices (two df calls and fdf's). */
typedef struct {
  gsl_vector *work;
  gsl_matrix *d[3];
} scratch;

static void scratch_free(scratch *s)
{
  gsl_vector_free(s->work);
  for (int k = 0; k < 3; k++)
    gsl_matrix_free(s->d[k]);
}

static int scratch_alloc(scratch *s, const gsl_vector *x, size_t m)
{
  *s = (scratch){.work = gv_vector_alloc(x->size)};
  for (int k = 0; k < 3; k++)
    s->d[k] = gv_matrix_alloc(m, x->size);
  if (!s->work || !s->d[0] || !s->d[1] || !s->d[2])
    return GSL_ENOMEM;
  gsl_vector_memcpy(s->work, x);
  return GSL_SUCCESS;
}

int gv_contract_gradient(const gsl_multimin_function_fdf *fdf, const gsl_vector *x, gv_contract *c)
{
  scratch s;
  *c = (gv_contract){0};
  int status = scratch_alloc(&s, x, 1);
  if (status)
    goto cleanup;
  gsl_vector_view g[3];
  for (int k = 0; k < 3; k++)
    g[k] = gsl_matrix_row(s.d[k], 0);
  double f0 = fdf->f(s.work, fdf->params);
  c->x_written |= written(s.work, x) ? GV_CALLBACK_F : 0;
  gsl_matrix_set_all(s.d[0], NAN);
  gsl_matrix_set_all(s.d[1], 0.0);
  for (int k = 0; k < 2; k++) {
    fdf->df(s.work, fdf->params, &g[k].vector);
    c->x_written |= written(s.work, x) ? GV_CALLBACK_DF : 0;
  }
  compare_repeat(s.d[0], s.d[1], c);
  if (fdf->fdf) {
    double ff = NAN;
    gsl_matrix_set_all(s.d[2], NAN);
    fdf->fdf(s.work, fdf->params, &ff, &g[2].vector);
    c->x_written |= written(s.work, x) ? GV_CALLBACK_FDF : 0;
    compare_fdf(f0, &g[0].vector, ff, &g[2].vector, c);
  }
  conclude(c);

cleanup:
  scratch_free(&s);
  return status;
}

int gv_contract_jacobian(const gsl_multifit_nlinear_fdf *fdf, const gsl_vector *x, gv_contract *c)
{
  scratch s;
  *c = (gv_contract){0};
  int status = scratch_alloc(&s, x, fdf->n);
  if (status)
    goto cleanup;
  gsl_vector *fv = gv_vector_alloc(fdf->n);
  if (!fv) {
    status = GSL_ENOMEM;
    goto cleanup;
  }
  status = fdf->f(s.work, fdf->params, fv);
  gsl_vector_free(fv);
  c->x_written |= written(s.work, x) ? GV_CALLBACK_F : 0;
  gsl_matrix_set_all(s.d[0], NAN);
  gsl_matrix_set_all(s.d[1], 0.0);
  for (int k = 0; k < 2 && !status; k++) {
    status = fdf->df(s.work, fdf->params, s.d[k]);
    c->x_written |= written(s.work, x) ? GV_CALLBACK_DF : 0;
  }
  if (!status) {
    compare_repeat(s.d[0], s.d[1], c);
    conclude(c);
  }

cleanup:
  scratch_free(&s);
  return status;
}

void gv_contract_record(gv_outcome *out, const gv_contract *c)
{
  out->contract = *c;
  out->has_contract = 1;
}

int gv_outcome_contract(const gv_outcome *out, gv_contract *c)
{
  if (!out || !c)
    return GSL_EFAULT;
  if (!out->has_contract)
    return GSL_EDOM;
  *c = out->contract;
  return GSL_SUCCESS;
}

static int print_written(FILE *stream, unsigned w)
{
  return fprintf(stream, "contract: FAIL: a callback modified its x:%s%s%s\n",
                 w & GV_CALLBACK_F ? " f" : "", w & GV_CALLBACK_DF ? " df" : "",
                 w & GV_CALLBACK_FDF ? " fdf" : "");
}

int gv_contract_fprintf(FILE *stream, const gv_contract *c)
{
  if (c->passed)
    return fprintf(stream, "contract: %sdf repeats bit for bit, x untouched\n",
                   c->fdf_called ? "fdf agrees with f and df, " : "");
  if (c->x_written && print_written(stream, c->x_written) < 0)
    return -1;
  if (c->df_ndiffer &&
      fprintf(stream,
              "contract: FAIL: df differs between two calls in %zu entries, first (%zu, %zu): "
              "%.17g then %.17g (nondeterministic, or an entry left unset)\n",
              c->df_ndiffer, c->df_row, c->df_col, c->df_first, c->df_second) < 0)
    return -1;
  if (c->fdf_called && c->fdf_f_err > c->fdf_f_allowed &&
      fprintf(stream, "contract: FAIL: fdf's f differs from f by %.3g, allowed %.3g\n",
              c->fdf_f_err, c->fdf_f_allowed) < 0)
    return -1;
  if (c->fdf_called && c->fdf_g_err > c->fdf_g_allowed &&
      fprintf(
          stream,
          "contract: FAIL: fdf's gradient differs from df's by %.3g at (0, %zu), allowed %.3g\n",
          c->fdf_g_err, c->fdf_g_col, c->fdf_g_allowed) < 0)
    return -1;
  return 0;
}
