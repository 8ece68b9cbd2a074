/* gv_suite.h: the formulas and controls one run checks: the seed's fifteen
 * formulas (gv_formula.h) and eight controls, then each layer of the
 * catalogue (gv_layers.h) and each user layer, one formula per
 * differentiable input (id "NAME.dINPUT", group NAME) and one control per
 * planted mistake of the catalogue. The suite owns the ids it builds; the
 * layers it points to must outlive it. */
#ifndef GV_SUITE_H
#define GV_SUITE_H

#include <stddef.h>
#include <stdio.h>

#include "gv_formula.h"
#include "gv_layer.h"

typedef struct {
  gv_formula *formulas;
  size_t n_formulas;
  gv_control *controls;
  size_t n_controls;
  char **strings; /* owned: the ids and texts built here */
  size_t n_strings;
} gv_suite;

/* What a suite holds. */
typedef struct {
  int seed;                      /* the seed's formulas and controls */
  int catalogue;                 /* every layer of gv_layers.h, with its mistakes */
  const gv_layer *const *layers; /* user layers (formulas only), or NULL */
  size_t n_layers;
} gv_suite_spec;

/* A new suite; NULL when out of memory or when a user layer is invalid (no
 * name, forward, backward or sampler, or more than GV_LAYER_MAX_INPUTS). */
gv_suite *gv_suite_alloc(const gv_suite_spec *spec);
/* The default: the seed's formulas and the catalogue. */
gv_suite *gv_suite_alloc_default(void);
void gv_suite_free(gv_suite *s);

/* The formula with this id, or NULL. */
const gv_formula *gv_suite_find(const gv_suite *s, const char *id);
/* Whether name is a formula id or a layer's name in s. */
int gv_suite_knows(const gv_suite *s, const char *name);
/* Whether formula f is selected by name: its id or its group. */
int gv_suite_selects(const gv_formula *f, const char *name);

/* Prints the formulas grouped: a line per group ("seed: ...", "affine: out =
 * XW + 1bᵀ"), then a line per formula, its id and formula, indented.
 * GSL_SUCCESS, or GSL_EFAILED if writing failed. */
int gv_suite_fprint(FILE *out, const gv_suite *s);

#endif
