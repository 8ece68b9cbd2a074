/* gv_random.h: the random draws of the driver, all from a caller's gsl_rng so
 * that one seed reproduces every number. */
#ifndef GV_RANDOM_H
#define GV_RANDOM_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

/* A size uniform in [lo, hi]. */
size_t gv_random_size(gsl_rng *r, size_t lo, size_t hi);
/* A scale log-uniform in [lo, hi]: as many draws near 0.1 as near 100. */
double gv_random_scale(gsl_rng *r, double lo, double hi);
/* Entries uniform in [-s, s]. */
void gv_random_vector(gsl_rng *r, gsl_vector *v, double s);
void gv_random_matrix(gsl_rng *r, gsl_matrix *m, double s);
/* Entries uniform in [lo, hi). */
void gv_random_vector_range(gsl_rng *r, gsl_vector *v, double lo, double hi);
/* A one-hot vector: a single 1 at a uniform position. */
void gv_random_onehot(gsl_rng *r, gsl_vector *y);
/* A probability vector (positive, summing to 1): soft labels. */
void gv_random_simplex(gsl_rng *r, gsl_vector *y);

#endif
