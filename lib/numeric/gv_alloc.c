/* gv_alloc.c: the structs GSL's headers define, filled as GSL's own
 * allocators fill them (owner = 1, so that GSL's free functions free the
 * block and its data). */
#include "gv_alloc.h"

#include <stdint.h>
#include <stdlib.h>

/* A block of n doubles, or NULL. */
static gsl_block *block_alloc(size_t n)
{
  if (n > SIZE_MAX / sizeof(double))
    return NULL;
  gsl_block *b = malloc(sizeof *b);
  double *data = malloc(n ? n * sizeof *data : 1);
  if (!b || !data) {
    free(b);
    free(data);
    return NULL;
  }
  *b = (gsl_block){.size = n, .data = data};
  return b;
}

gsl_vector *gv_vector_alloc(size_t n)
{
  gsl_vector *v = malloc(sizeof *v);
  gsl_block *b = v ? block_alloc(n) : NULL;
  if (!b) {
    free(v);
    return NULL;
  }
  *v = (gsl_vector){.size = n, .stride = 1, .data = b->data, .block = b, .owner = 1};
  return v;
}

gsl_matrix *gv_matrix_alloc(size_t n1, size_t n2)
{
  if (n1 && n2 > SIZE_MAX / n1)
    return NULL;
  gsl_matrix *m = malloc(sizeof *m);
  gsl_block *b = m ? block_alloc(n1 * n2) : NULL;
  if (!b) {
    free(m);
    return NULL;
  }
  *m = (gsl_matrix){.size1 = n1, .size2 = n2, .tda = n2, .data = b->data, .block = b, .owner = 1};
  return m;
}

gsl_rng *gv_rng_alloc(const gsl_rng_type *T, unsigned long seed)
{
  gsl_rng *r = malloc(sizeof *r);
  void *state = calloc(1, T->size ? T->size : 1); /* as gsl_rng_alloc */
  if (!r || !state) {
    free(r);
    free(state);
    return NULL;
  }
  *r = (gsl_rng){.type = T, .state = state};
  gsl_rng_set(r, seed);
  return r;
}
