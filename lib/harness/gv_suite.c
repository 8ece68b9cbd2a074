/* gv_suite.c: the seed's formulas, the catalogue's and the user's layers as
 * one list of formulas and one of controls. */
#include "gv_suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "gv_layers.h"

/* A formatted copy of a string, owned by s; NULL when out of memory. */
static const char *own(gv_suite *s, const char *a, const char *b, const char *c)
{
  size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
  char *p = malloc(n), **grown = realloc(s->strings, (s->n_strings + 1) * sizeof *grown);
  if (grown)
    s->strings = grown;
  if (!p || !grown) {
    free(p);
    return NULL;
  }
  snprintf(p, n, "%s%s%s", a, b, c);
  s->strings[s->n_strings++] = p;
  return p;
}

static int layer_valid(const gv_layer *l)
{
  return l && l->name && l->forward && l->backward && l->sample && l->inputs && l->n_inputs > 0 &&
         l->n_inputs <= GV_LAYER_MAX_INPUTS;
}

static size_t differentiable(const gv_layer *l)
{
  size_t n = 0;
  for (size_t k = 0; k < l->n_inputs; k++)
    n += l->inputs[k].differentiable != 0;
  return n;
}

/* One formula per differentiable input of l. */
static int add_layer(gv_suite *s, const gv_layer *l, const char *draw)
{
  for (size_t k = 0; k < l->n_inputs; k++) {
    const gv_layer_input *in = &l->inputs[k];
    if (!in->differentiable)
      continue;
    gv_formula *f = &s->formulas[s->n_formulas++];
    *f = (gv_formula){
        .id = own(s, l->name, ".d", in->name),
        .formula = in->formula ? in->formula : own(s, "∂L/∂", in->name, " by backward"),
        .reason = own(s, "backward's vector–Jacobian product of ",
                      l->formula ? l->formula : l->name, ", L = ⟨G, out⟩"),
        .draw = draw ? draw : "the layer's sampler",
        .layer = l,
        .input = k,
        .group = l->name,
    };
    if (!f->id || !f->formula || !f->reason)
      return -1;
  }
  return 0;
}

static int add_mistakes(gv_suite *s, const gv_layers_entry *e)
{
  for (size_t i = 0; i < e->n_mistakes; i++) {
    const gv_layers_mistake *m = &e->mistakes[i];
    gv_control *c = &s->controls[s->n_controls++];
    *c = (gv_control){.id = m->id,
                      .description = m->description,
                      .formula_id = own(s, e->layer.name, ".d", m->input),
                      .backward = m->backward};
    if (!c->formula_id)
      return -1;
  }
  return 0;
}

/* Counts what spec holds; 0 when a user layer is invalid. */
static int count(const gv_suite_spec *spec, size_t *nf, size_t *nc)
{
  size_t n, nl;
  const gv_formula *seed = gv_formula_list(&n);
  const gv_layers_entry *const *cat = gv_layers_list(&nl);
  (void)seed;
  *nf = spec->seed ? n : 0;
  gv_control_list(&n);
  *nc = spec->seed ? n : 0;
  for (size_t i = 0; spec->catalogue && i < nl; i++) {
    *nf += differentiable(&cat[i]->layer);
    *nc += cat[i]->n_mistakes;
  }
  for (size_t i = 0; i < spec->n_layers; i++) {
    if (!layer_valid(spec->layers[i]))
      return 0;
    *nf += differentiable(spec->layers[i]);
  }
  return 1;
}

static int fill(gv_suite *s, const gv_suite_spec *spec)
{
  size_t n, nl;
  const gv_layers_entry *const *cat = gv_layers_list(&nl);
  if (spec->seed) {
    const gv_formula *f = gv_formula_list(&n);
    memcpy(s->formulas, f, n * sizeof *f);
    s->n_formulas = n;
    const gv_control *c = gv_control_list(&n);
    memcpy(s->controls, c, n * sizeof *c);
    s->n_controls = n;
  }
  for (size_t i = 0; spec->catalogue && i < nl; i++)
    if (add_layer(s, &cat[i]->layer, cat[i]->draw) || add_mistakes(s, cat[i]))
      return -1;
  for (size_t i = 0; i < spec->n_layers; i++)
    if (add_layer(s, spec->layers[i], NULL))
      return -1;
  return 0;
}

gv_suite *gv_suite_alloc(const gv_suite_spec *spec)
{
  size_t nf, nc;
  if (!count(spec, &nf, &nc))
    return NULL;
  gv_suite *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->formulas = calloc(nf ? nf : 1, sizeof *s->formulas);
  s->controls = calloc(nc ? nc : 1, sizeof *s->controls);
  if (!s->formulas || !s->controls || fill(s, spec)) {
    gv_suite_free(s);
    return NULL;
  }
  return s;
}

gv_suite *gv_suite_alloc_default(void)
{
  gv_suite_spec spec = {.seed = 1, .catalogue = 1};
  return gv_suite_alloc(&spec);
}

void gv_suite_free(gv_suite *s)
{
  if (!s)
    return;
  for (size_t i = 0; i < s->n_strings; i++)
    free(s->strings[i]);
  free(s->strings);
  free(s->formulas);
  free(s->controls);
  free(s);
}

const gv_formula *gv_suite_find(const gv_suite *s, const char *id)
{
  for (size_t i = 0; i < s->n_formulas; i++)
    if (strcmp(s->formulas[i].id, id) == 0)
      return &s->formulas[i];
  return NULL;
}

int gv_suite_selects(const gv_formula *f, const char *name)
{
  return strcmp(f->id, name) == 0 || (f->group && strcmp(f->group, name) == 0);
}

int gv_suite_knows(const gv_suite *s, const char *name)
{
  for (size_t i = 0; i < s->n_formulas; i++)
    if (gv_suite_selects(&s->formulas[i], name))
      return 1;
  return 0;
}

int gv_suite_fprint(FILE *out, const gv_suite *s)
{
  const char *group = "";
  for (size_t i = 0; i < s->n_formulas; i++) {
    const gv_formula *f = &s->formulas[i];
    const char *g = f->group ? f->group : "seed";
    if (strcmp(g, group) != 0) {
      fprintf(out, "%s: %s\n", g,
              f->layer ? (f->layer->formula ? f->layer->formula : f->layer->name)
                       : "the seed's network, softmax, cross-entropy and identities");
      group = g;
    }
    fprintf(out, "  %-26s %s\n", f->id, f->formula);
  }
  return ferror(out) ? GSL_EFAILED : GSL_SUCCESS;
}
