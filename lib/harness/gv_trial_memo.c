/* gv_trial_memo.c: the formulas' numeric sides kept for their controls. */
#include "gv_trial_memo.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

typedef struct {
  gv_trial_memo_key key;
  gsl_matrix *N, *E;
} entry;

struct gv_trial_memo {
  entry *e;
  size_t n, cap;
  size_t used, budget; /* bytes */
};

gv_trial_memo *gv_trial_memo_alloc(size_t budget)
{
  gv_trial_memo *m = calloc(1, sizeof *m);
  if (m)
    m->budget = budget;
  return m;
}

void gv_trial_memo_free(gv_trial_memo *m)
{
  if (!m)
    return;
  for (size_t i = 0; i < m->n; i++) {
    gv_trial_memo_key_free(&m->e[i].key);
    gsl_matrix_free(m->e[i].N);
    gsl_matrix_free(m->e[i].E);
  }
  free(m->e);
  free(m);
}

int gv_trial_memo_key_init(gv_trial_memo_key *k, const gsl_rng *r, unsigned tag)
{
  const unsigned char *s = gsl_rng_state(r);
  *k = (gv_trial_memo_key){.tag = tag, .size = gsl_rng_size(r)};
  k->state = malloc(k->size ? k->size : 1);
  if (!k->state)
    return GSL_ENOMEM;
  memcpy(k->state, s, k->size);
  /* FNV-1a, so that a lookup compares whole states only where the hash matches */
  unsigned long long h = 1469598103934665603ULL ^ tag;
  for (size_t i = 0; i < k->size; i++)
    h = (h ^ s[i]) * 1099511628211ULL;
  k->hash = h;
  return GSL_SUCCESS;
}

void gv_trial_memo_key_free(gv_trial_memo_key *k)
{
  free(k->state);
  k->state = NULL;
}

static int same_key(const gv_trial_memo_key *a, const gv_trial_memo_key *b)
{
  return a->tag == b->tag && a->hash == b->hash && a->size == b->size &&
         memcmp(a->state, b->state, a->size) == 0;
}

static int same_shape(const gsl_matrix *a, const gsl_matrix *b)
{
  return a->size1 == b->size1 && a->size2 == b->size2;
}

int gv_trial_memo_get(const gv_trial_memo *m, const gv_trial_memo_key *k, gsl_matrix *N,
                      gsl_matrix *E)
{
  for (size_t i = 0; m && i < m->n; i++) {
    const entry *e = &m->e[i];
    if (same_key(&e->key, k) && same_shape(e->N, N) && same_shape(e->E, E)) {
      gsl_matrix_memcpy(N, e->N);
      gsl_matrix_memcpy(E, e->E);
      return 1;
    }
  }
  return 0;
}

static gsl_matrix *copy_of(const gsl_matrix *a)
{
  gsl_matrix *c = gsl_matrix_alloc(a->size1, a->size2);
  if (c)
    gsl_matrix_memcpy(c, a);
  return c;
}

int gv_trial_memo_put(gv_trial_memo *m, gv_trial_memo_key *k, const gsl_matrix *N,
                      const gsl_matrix *E)
{
  size_t bytes = k->size + (N->size1 * N->size2 + E->size1 * E->size2) * sizeof(double);
  if (!m || bytes > m->budget - m->used)
    return GSL_SUCCESS;
  if (m->n == m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 16;
    entry *bigger = realloc(m->e, cap * sizeof *bigger);
    if (!bigger)
      return GSL_ENOMEM;
    m->e = bigger;
    m->cap = cap;
  }
  entry *e = &m->e[m->n];
  e->N = copy_of(N);
  e->E = copy_of(E);
  if (!e->N || !e->E) {
    gsl_matrix_free(e->N);
    gsl_matrix_free(e->E);
    return GSL_ENOMEM;
  }
  e->key = *k;
  k->state = NULL;
  m->n++;
  m->used += bytes;
  return GSL_SUCCESS;
}
