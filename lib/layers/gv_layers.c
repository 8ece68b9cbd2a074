/* gv_layers.c: the catalogue's table and the samplers' draw helpers. */
#include "gv_layers.h"

#include <math.h>
#include <string.h>

static const gv_layers_entry *const entries[] = {
#define X(name) &gv_layers_##name,
    GV_LAYERS_TABLE
#undef X
};

const gv_layers_entry *const *gv_layers_list(size_t *count)
{
  *count = sizeof entries / sizeof entries[0];
  return entries;
}

const gv_layers_entry *gv_layers_find(const char *name)
{
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
    if (strcmp(entries[i]->layer.name, name) == 0)
      return entries[i];
  return NULL;
}

size_t gv_layers_input_index(const gv_layer *layer, const char *name)
{
  size_t k = 0;
  while (k < layer->n_inputs && strcmp(layer->inputs[k].name, name) != 0)
    k++;
  return k;
}

void gv_layers_inputs_free(const gv_layer *layer, gsl_matrix *in[])
{
  for (size_t k = 0; k < layer->n_inputs; k++) {
    gsl_matrix_free(in[k]);
    in[k] = NULL;
  }
}

size_t gv_layers_draw_size(gsl_rng *r, size_t lo, size_t hi)
{
  return lo + (size_t)gsl_rng_uniform_int(r, (unsigned long)(hi - lo + 1));
}

double gv_layers_draw_scale(gsl_rng *r, double lo, double hi)
{
  return lo * exp(gsl_rng_uniform(r) * log(hi / lo));
}

gsl_matrix *gv_layers_draw_matrix(gsl_rng *r, size_t n1, size_t n2, double s)
{
  gsl_matrix *m = gsl_matrix_alloc(n1, n2);
  for (size_t i = 0; m && i < n1; i++)
    for (size_t j = 0; j < n2; j++)
      gsl_matrix_set(m, i, j, s * (2.0 * gsl_rng_uniform(r) - 1.0));
  return m;
}

gsl_matrix *gv_layers_draw_onehot(gsl_rng *r, size_t n, size_t k)
{
  gsl_matrix *m = gsl_matrix_calloc(n, k);
  for (size_t i = 0; m && i < n; i++)
    gsl_matrix_set(m, i, gsl_rng_uniform_int(r, k), 1.0);
  return m;
}
