/* gv_layers_parts.c: see gv_layers_parts.h. */
#include "gv_layers_parts.h"
#include "gv_layers.h"

#include <complex.h>
#include <math.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_statistics_double.h>

int gv_layers_hyper(const gsl_matrix *h, size_t n, size_t v[])
{
  if (h->size1 != 1 || h->size2 != n)
    return GSL_EBADLEN;
  for (size_t k = 0; k < n; k++) {
    double x = gsl_matrix_get(h, 0, k);
    if (!(x >= 0.0 && x < 1048576.0 && x == floor(x)))
      return GSL_EINVAL;
    v[k] = (size_t)x;
  }
  return GSL_SUCCESS;
}

void gv_layers_sum_rows(const gsl_matrix *a, gsl_matrix *s)
{
  gsl_matrix_set_zero(s);
  for (size_t i = 0; i < a->size1; i++)
    for (size_t m = 0; m < a->size2; m++)
      *gsl_matrix_ptr(s, m, 0) += gsl_matrix_get(a, i, m);
}

/* ------------------------------------------------------------------------ */

int gv_layers_norm_shape(const gsl_matrix *const in[], size_t *rows, size_t *cols)
{
  size_t D = in[0]->size2;
  if (in[1]->size1 != D || in[1]->size2 != 1 || in[2]->size1 != D || in[2]->size2 != 1 ||
      in[3]->size1 != 1 || in[3]->size2 != 1)
    return GSL_EBADLEN;
  if (!(gsl_matrix_get(in[3], 0, 0) >= 0.0))
    return GSL_EDOM;
  *rows = in[0]->size1;
  *cols = D;
  return GSL_SUCCESS;
}

static size_t n_groups(const gsl_matrix *X, gv_norm_axis axis)
{
  return axis == GV_NORM_COLUMNS ? X->size2 : X->size1;
}

/* _gsl_vector_const_view: GSL's gsl_vector_const_view is const-qualified,
 * which a return type would ignore (a warning). */
static _gsl_vector_const_view group_const(const gsl_matrix *X, gv_norm_axis axis, size_t g)
{
  return axis == GV_NORM_COLUMNS ? gsl_matrix_const_column(X, g) : gsl_matrix_const_row(X, g);
}

static gsl_vector_view group(gsl_matrix *X, gv_norm_axis axis, size_t g)
{
  return axis == GV_NORM_COLUMNS ? gsl_matrix_column(X, g) : gsl_matrix_row(X, g);
}

/* xhat = (x − μ)/σ over one group; returns σ = √(var + eps). The variance is
 * the two-pass one about the computed mean (1/n), which keeps x − μ exact to
 * rounding when the spread is tiny next to the mean. */
static double normalize_group(const gsl_vector *x, double eps, gsl_vector *xhat)
{
  double mu = gsl_stats_mean(x->data, x->stride, x->size);
  double var = gsl_stats_variance_with_fixed_mean(x->data, x->stride, x->size, mu);
  double sigma = sqrt(var + eps);
  for (size_t e = 0; e < x->size; e++)
    gsl_vector_set(xhat, e, (gsl_vector_get(x, e) - mu) / sigma);
  return sigma;
}

/* out(i, j) = γ_j out(i, j) + β_j. */
static void scale_shift(const gsl_matrix *gamma, const gsl_matrix *beta, gsl_matrix *out)
{
  for (size_t i = 0; i < out->size1; i++)
    for (size_t j = 0; j < out->size2; j++) {
      double *o = gsl_matrix_ptr(out, i, j);
      *o = gsl_matrix_get(gamma, j, 0) * *o + gsl_matrix_get(beta, j, 0);
    }
}

void gv_layers_norm_forward(const gsl_matrix *X, const gsl_matrix *gamma, const gsl_matrix *beta,
                            double eps, gv_norm_axis axis, gsl_matrix *out)
{
  for (size_t g = 0; g < n_groups(X, axis); g++) {
    gsl_vector_const_view x = group_const(X, axis, g);
    gsl_vector_view o = group(out, axis, g);
    normalize_group(&x.vector, eps, &o.vector);
  }
  scale_shift(gamma, beta, out);
}

void gv_layers_norm_forward_complex(size_t N, size_t D, const gv_layer_complex *X,
                                    const gv_layer_complex *gamma, const gv_layer_complex *beta,
                                    gv_layer_complex eps, gv_norm_axis axis, gv_layer_complex *out)
{
  size_t groups = axis == GV_NORM_COLUMNS ? D : N, n = axis == GV_NORM_COLUMNS ? N : D;
  size_t gstride = axis == GV_NORM_COLUMNS ? 1 : D, estride = axis == GV_NORM_COLUMNS ? D : 1;
  for (size_t g = 0; g < groups; g++) {
    const gv_layer_complex *x = X + g * gstride;
    gv_layer_complex mu = 0.0, var = 0.0;
    for (size_t e = 0; e < n; e++)
      mu += x[e * estride];
    mu /= (double)n;
    for (size_t e = 0; e < n; e++)
      var += (x[e * estride] - mu) * (x[e * estride] - mu);
    gv_layer_complex sigma = csqrt(var / (double)n + eps);
    for (size_t e = 0; e < n; e++)
      out[g * gstride + e * estride] = (x[e * estride] - mu) / sigma;
  }
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++)
      out[i * D + j] = gamma[j] * out[i * D + j] + beta[j];
}

void gv_layers_draw_groups(gsl_rng *r, gsl_matrix *X, gv_norm_axis axis, double s_lo, double s_hi)
{
  for (size_t g = 0; g < n_groups(X, axis); g++) {
    gsl_vector_view x = group(X, axis, g);
    double mean = 6.0 * gsl_rng_uniform(r) - 3.0;
    double s = gv_layers_draw_scale(r, s_lo, s_hi);
    for (size_t e = 0; e < x.vector.size; e++)
      gsl_vector_set(&x.vector, e, mean + s * (2.0 * gsl_rng_uniform(r) - 1.0));
  }
}

int gv_layers_norm_sample(gsl_rng *r, gv_norm_axis axis, size_t N_lo, size_t N_hi, size_t D_lo,
                          size_t D_hi, gsl_matrix *in[], gv_layer_draw *draw)
{
  size_t N = gv_layers_draw_size(r, N_lo, N_hi), D = gv_layers_draw_size(r, D_lo, D_hi);
  int small = gsl_rng_uniform(r) < 1.0 / 3.0;
  in[0] = gsl_matrix_alloc(N, D);
  in[1] = gv_layers_draw_matrix(r, D, 1, 2.0);
  in[2] = gv_layers_draw_matrix(r, D, 1, 2.0);
  in[3] = gsl_matrix_alloc(1, 1);
  *draw = (gv_layer_draw){.regime = small ? "small variance" : NULL};
  if (!in[0] || !in[1] || !in[2] || !in[3])
    return GSL_ENOMEM;
  gsl_matrix_set(in[3], 0, 0, 1e-5);
  gv_layers_draw_groups(r, in[0], axis, small ? 1e-4 : 0.1, small ? 1e-2 : 10.0);
  return GSL_SUCCESS;
}

/* dX over each group, from x̂, σ and dx̂ = dout ⊙ γ (overwritten). */
static void norm_dX(const gsl_matrix *X, double eps, gv_norm_axis axis, gsl_matrix *xhat,
                    gsl_matrix *dxhat, gsl_matrix *dX)
{
  for (size_t g = 0; g < n_groups(X, axis); g++) {
    gsl_vector_const_view x = group_const(X, axis, g);
    gsl_vector_view xh = group(xhat, axis, g), dxh = group(dxhat, axis, g), dx = group(dX, axis, g);
    double sigma = normalize_group(&x.vector, eps, &xh.vector), n = (double)x.vector.size;
    double m1 = 0.0, m2 = 0.0;
    for (size_t e = 0; e < x.vector.size; e++) {
      m1 += gsl_vector_get(&dxh.vector, e) / n;
      m2 += gsl_vector_get(&dxh.vector, e) * gsl_vector_get(&xh.vector, e) / n;
    }
    for (size_t e = 0; e < x.vector.size; e++)
      gsl_vector_set(&dx.vector, e,
                     (gsl_vector_get(&dxh.vector, e) - m1 - gsl_vector_get(&xh.vector, e) * m2) /
                         sigma);
  }
}

int gv_layers_norm_backward(const gsl_matrix *X, const gsl_matrix *gamma, double eps,
                            gv_norm_axis axis, const gsl_matrix *dout, gsl_matrix *dX,
                            gsl_matrix *dgamma, gsl_matrix *dbeta)
{
  size_t N = X->size1, D = X->size2;
  gsl_matrix *xhat = gsl_matrix_alloc(N, D), *dxhat = gsl_matrix_alloc(N, D);
  int status = xhat && dxhat ? GSL_SUCCESS : GSL_ENOMEM;
  if (status)
    goto cleanup;
  for (size_t g = 0; g < n_groups(X, axis); g++) {
    gsl_vector_const_view x = group_const(X, axis, g);
    gsl_vector_view xh = group(xhat, axis, g);
    normalize_group(&x.vector, eps, &xh.vector);
  }
  if (dgamma)
    gsl_matrix_set_zero(dgamma);
  if (dbeta)
    gsl_matrix_set_zero(dbeta);
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++) {
      double d = gsl_matrix_get(dout, i, j);
      if (dgamma)
        *gsl_matrix_ptr(dgamma, j, 0) += d * gsl_matrix_get(xhat, i, j);
      if (dbeta)
        *gsl_matrix_ptr(dbeta, j, 0) += d;
      gsl_matrix_set(dxhat, i, j, d * gsl_matrix_get(gamma, j, 0));
    }
  if (dX)
    norm_dX(X, eps, axis, xhat, dxhat, dX);
cleanup:
  gsl_matrix_free(xhat);
  gsl_matrix_free(dxhat);
  return status;
}

/* ------------------------------------------------------------------------ */

int gv_layers_preact(const gsl_matrix *X, const gsl_matrix *H, const gsl_matrix *Wx,
                     const gsl_matrix *Wh, const gsl_matrix *b, gsl_matrix *a)
{
  for (size_t i = 0; i < a->size1; i++) {
    gsl_vector_view row = gsl_matrix_row(a, i);
    gsl_vector_const_view bv = gsl_matrix_const_column(b, 0);
    gsl_vector_memcpy(&row.vector, &bv.vector);
  }
  int status = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, X, Wx, 1.0, a);
  return status ? status : gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, H, Wh, 1.0, a);
}

void gv_layers_preact_complex(const gsl_matrix *X, const gsl_matrix *H, const gsl_matrix *Wx,
                              const gv_layer_complex *zX, const gv_layer_complex *zH,
                              const gv_layer_complex *zWx, const gv_layer_complex *zWh,
                              const gv_layer_complex *zb, gv_layer_complex *a)
{
  size_t N = X->size1, D = X->size2, Hd = H->size2, M = Wx->size2;
  for (size_t i = 0; i < N; i++)
    for (size_t m = 0; m < M; m++) {
      gv_layer_complex s = zb[m];
      for (size_t d = 0; d < D; d++)
        s += zX[i * D + d] * zWx[d * M + m];
      for (size_t d = 0; d < Hd; d++)
        s += zH[i * Hd + d] * zWh[d * M + m];
      a[i * M + m] = s;
    }
}

int gv_layers_preact_backward(const gsl_matrix *X, const gsl_matrix *H, const gsl_matrix *Wx,
                              const gsl_matrix *Wh, const gsl_matrix *da, gsl_matrix *dX,
                              gsl_matrix *dH, gsl_matrix *dWx, gsl_matrix *dWh, gsl_matrix *db)
{
  int status = GSL_SUCCESS;
  if (dX)
    status = gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, da, Wx, 0.0, dX);
  if (!status && dH)
    status = gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, da, Wh, 0.0, dH);
  if (!status && dWx)
    status = gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, X, da, 0.0, dWx);
  if (!status && dWh)
    status = gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, H, da, 0.0, dWh);
  if (!status && db)
    gv_layers_sum_rows(da, db);
  return status;
}

size_t gv_layers_out_len(size_t n, size_t k, size_t s, size_t p)
{
  return k > n + 2 * p || s == 0 ? 0 : (n + 2 * p - k) / s + 1;
}

int gv_layers_pool_read(const gsl_matrix *X, const gsl_matrix *hyper, gv_layers_pool *p)
{
  size_t v[5];
  int status = gv_layers_hyper(hyper, 5, v);
  if (status)
    return status;
  *p = (gv_layers_pool){.N = X->size1, .C = v[0], .H = v[1], .W = v[2], .K = v[3], .S = v[4]};
  if (p->K == 0 || p->S == 0)
    return GSL_EINVAL;
  p->Ho = gv_layers_out_len(p->H, p->K, p->S, 0);
  p->Wo = gv_layers_out_len(p->W, p->K, p->S, 0);
  if (X->size2 != p->C * p->H * p->W || p->C * p->Ho * p->Wo == 0)
    return GSL_EBADLEN;
  return GSL_SUCCESS;
}

int gv_layers_pool_shape(const gsl_matrix *X, const gsl_matrix *hyper, size_t *rows, size_t *cols)
{
  gv_layers_pool p;
  int status = gv_layers_pool_read(X, hyper, &p);
  if (!status) {
    *rows = p.N;
    *cols = p.C * p.Ho * p.Wo;
  }
  return status;
}

size_t gv_layers_pool_at(const gv_layers_pool *p, size_t w, size_t k)
{
  size_t c = w / (p->Ho * p->Wo), i = w / p->Wo % p->Ho, j = w % p->Wo;
  return (c * p->H + i * p->S + k / p->K) * p->W + j * p->S + k % p->K;
}

int gv_layers_pool_sample(gsl_rng *r, gsl_matrix *in[])
{
  size_t N = gv_layers_draw_size(r, 1, 3), C = gv_layers_draw_size(r, 1, 3);
  size_t H = gv_layers_draw_size(r, 3, 9), W = gv_layers_draw_size(r, 3, 9);
  size_t K = gsl_rng_uniform(r) < 0.75 ? 2 : 3;
  in[0] = gv_layers_draw_matrix(r, N, C * H * W, gv_layers_draw_scale(r, 0.1, 10.0));
  in[1] = gsl_matrix_alloc(1, 5);
  if (!in[0] || !in[1])
    return GSL_ENOMEM;
  double hyper[5] = {(double)C, (double)H, (double)W, (double)K, 2.0};
  for (size_t k = 0; k < 5; k++)
    gsl_matrix_set(in[1], 0, k, hyper[k]);
  return GSL_SUCCESS;
}
