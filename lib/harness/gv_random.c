/* gv_random.c: seeded draws for the randomized driver. */
#include "gv_random.h"

#include <math.h>

size_t gv_random_size(gsl_rng *r, size_t lo, size_t hi)
{
  return lo + (size_t)gsl_rng_uniform_int(r, (unsigned long)(hi - lo + 1));
}

double gv_random_scale(gsl_rng *r, double lo, double hi)
{
  return lo * exp(gsl_rng_uniform(r) * log(hi / lo));
}

void gv_random_vector(gsl_rng *r, gsl_vector *v, double s)
{
  for (size_t i = 0; i < v->size; i++)
    gsl_vector_set(v, i, s * (2.0 * gsl_rng_uniform(r) - 1.0));
}

void gv_random_matrix(gsl_rng *r, gsl_matrix *m, double s)
{
  for (size_t i = 0; i < m->size1; i++)
    for (size_t j = 0; j < m->size2; j++)
      gsl_matrix_set(m, i, j, s * (2.0 * gsl_rng_uniform(r) - 1.0));
}

void gv_random_vector_range(gsl_rng *r, gsl_vector *v, double lo, double hi)
{
  for (size_t i = 0; i < v->size; i++)
    gsl_vector_set(v, i, lo + (hi - lo) * gsl_rng_uniform(r));
}

void gv_random_onehot(gsl_rng *r, gsl_vector *y)
{
  gsl_vector_set_zero(y);
  gsl_vector_set(y, gsl_rng_uniform_int(r, y->size), 1.0);
}

void gv_random_simplex(gsl_rng *r, gsl_vector *y)
{
  /* Normalized exponentials: a flat Dirichlet draw, never an exact zero. */
  double sum = 0.0;
  for (size_t i = 0; i < y->size; i++) {
    double e = -log1p(-gsl_rng_uniform(r)) + 1e-3;
    gsl_vector_set(y, i, e);
    sum += e;
  }
  gsl_vector_scale(y, 1.0 / sum);
}
