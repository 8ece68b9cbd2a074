/* gv_trial_memo.c: the formulas' numeric sides kept for their controls. */
#include "gv_trial_memo.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

typedef struct {
  gv_trial_memo_key key;
  gsl_matrix *N, *E;
} entry;

/* A draw: the concatenated vectors, their lengths, and the state after it. */
typedef struct {
  gv_trial_memo_key key;
  double *values;
  size_t *lengths, n;
  unsigned char *after;
} draw;

struct gv_trial_memo {
  entry *e;
  size_t n, cap;
  draw *d;
  size_t nd, dcap;
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
  for (size_t i = 0; i < m->nd; i++) {
    gv_trial_memo_key_free(&m->d[i].key);
    free(m->d[i].values);
    free(m->d[i].lengths);
    free(m->d[i].after);
  }
  free(m->d);
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

/* The array a of n elements of `size` bytes with room for one more: a, or a
 * copy of twice the capacity *cap when full; NULL when out of memory (a kept). */
static void *grow(void *a, size_t *cap, size_t n, size_t size)
{
  if (n < *cap)
    return a;
  size_t c = *cap ? 2 * *cap : 16;
  void *bigger = realloc(a, c * size);
  if (bigger)
    *cap = c;
  return bigger;
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
  entry *room = grow(m->e, &m->cap, m->n, sizeof *m->e);
  if (!room)
    return GSL_ENOMEM;
  m->e = room;
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

/* Whether draw d holds n vectors of v's lengths. */
static int same_lengths(const draw *d, gsl_vector *const v[], size_t n)
{
  if (d->n != n)
    return 0;
  for (size_t j = 0; j < n; j++)
    if (d->lengths[j] != v[j]->size)
      return 0;
  return 1;
}

int gv_trial_memo_get_draw(const gv_trial_memo *m, const gv_trial_memo_key *k, gsl_rng *r,
                           gsl_vector *const v[], size_t n)
{
  for (size_t i = 0; m && i < m->nd; i++) {
    const draw *d = &m->d[i];
    if (!same_key(&d->key, k) || !same_lengths(d, v, n) || gsl_rng_size(r) != k->size)
      continue;
    const double *src = d->values;
    for (size_t j = 0; j < n; j++) {
      if (v[j]->size == 0)
        continue; /* no view of 0 entries in GSL */
      gsl_vector_const_view kept = gsl_vector_const_view_array(src, v[j]->size);
      gsl_vector_memcpy(v[j], &kept.vector);
      src += v[j]->size;
    }
    memcpy(gsl_rng_state(r), d->after, k->size);
    return 1;
  }
  return 0;
}

int gv_trial_memo_put_draw(gv_trial_memo *m, gv_trial_memo_key *k, const gsl_rng *r,
                           const gsl_vector *const v[], size_t n)
{
  size_t total = 0;
  for (size_t j = 0; j < n; j++)
    total += v[j]->size;
  size_t bytes = 2 * k->size + total * sizeof(double) + n * sizeof(size_t);
  if (!m || bytes > m->budget - m->used || gsl_rng_size(r) != k->size)
    return GSL_SUCCESS;
  draw *room = grow(m->d, &m->dcap, m->nd, sizeof *m->d);
  if (!room)
    return GSL_ENOMEM;
  m->d = room;
  draw d = {.values = malloc((total ? total : 1) * sizeof(double)),
            .lengths = malloc((n ? n : 1) * sizeof(size_t)),
            .n = n,
            .after = malloc(k->size ? k->size : 1)};
  if (!d.values || !d.lengths || !d.after) {
    free(d.values);
    free(d.lengths);
    free(d.after);
    return GSL_ENOMEM;
  }
  double *dst = d.values;
  for (size_t j = 0; j < n; j++) {
    d.lengths[j] = v[j]->size;
    if (v[j]->size == 0)
      continue; /* no view of 0 entries in GSL */
    gsl_vector_view copy = gsl_vector_view_array(dst, v[j]->size);
    gsl_vector_memcpy(&copy.vector, v[j]);
    dst += v[j]->size;
  }
  memcpy(d.after, gsl_rng_state(r), k->size);
  d.key = *k;
  k->state = NULL;
  m->d[m->nd++] = d;
  m->used += bytes;
  return GSL_SUCCESS;
}
