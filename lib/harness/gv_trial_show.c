/* gv_trial_show.c: what a trial shows a reader (gv_explain): copies of its
 * inputs and of its analytic/numeric pair, taken only when asked. */
#include "gv_trial.h"

#include <gsl/gsl_errno.h>

size_t gv_trial_size(gsl_rng *r, const gv_trial_info *info, size_t lo, size_t hi)
{
  size_t n = gv_random_size(r, lo, hi); /* drawn either way: the stream stays the same */
  if (!info->size)
    return n;
  return info->size < lo ? lo : info->size > hi ? hi : info->size;
}

/* Room for one more input; NULL (and ENOMEM noted) when the list is full. */
static gsl_matrix *show_slot(gv_trial_show *s, const char *label, size_t rows, size_t cols)
{
  if (s->n == GV_TRIAL_SHOW_MAX) {
    s->status = GSL_ENOMEM;
    return NULL;
  }
  gsl_matrix *m = gsl_matrix_alloc(rows, cols);
  if (!m) {
    s->status = GSL_ENOMEM;
    return NULL;
  }
  s->label[s->n] = label;
  s->in[s->n++] = m;
  return m;
}

gsl_matrix *gv_trial_show_matrix(gv_trial_info *info, const char *label, const gsl_matrix *m)
{
  gsl_matrix *copy = info->show ? show_slot(info->show, label, m->size1, m->size2) : NULL;
  if (copy)
    gsl_matrix_memcpy(copy, m);
  return copy;
}

gsl_matrix *gv_trial_show_vector(gv_trial_info *info, const char *label, const gsl_vector *v)
{
  gsl_matrix *copy = info->show ? show_slot(info->show, label, v->size, 1) : NULL;
  if (copy) {
    gsl_vector_view col = gsl_matrix_column(copy, 0);
    gsl_vector_memcpy(&col.vector, v);
  }
  return copy;
}

void gv_trial_show_value(gv_trial_info *info, const char *label, double v)
{
  gsl_matrix *copy = info->show ? show_slot(info->show, label, 1, 1) : NULL;
  if (copy)
    gsl_matrix_set(copy, 0, 0, v);
}

void gv_trial_show_pair(gv_trial_info *info, const gv_trial_pair *t)
{
  gv_trial_show *s = info->show;
  if (!s || s->pair.analytic)
    return;
  if (gv_trial_pair_alloc(&s->pair, t->analytic->size1, t->analytic->size2)) {
    s->status = GSL_ENOMEM;
    return;
  }
  gsl_matrix_memcpy(s->pair.analytic, t->analytic);
  gsl_matrix_memcpy(s->pair.numeric, t->numeric);
  gsl_matrix_memcpy(s->pair.err, t->err);
}

void gv_trial_show_free(gv_trial_show *s)
{
  for (size_t k = 0; k < s->n; k++)
    gsl_matrix_free(s->in[k]);
  s->n = 0;
  gv_trial_pair_free(&s->pair);
}
