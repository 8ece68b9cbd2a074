/* gv_alloc.h: GSL vectors, matrices and generators allocated without GSL's
 * allocators. gsl_vector_alloc and its kin report a failure through the
 * process-wide error handler (the default one aborts), and switching the
 * handler off around them races with every other thread: these use malloc
 * alone, never call the handler, and so may run concurrently.
 *
 * Each returns NULL when memory (or size_t) runs out, leaking nothing; what
 * they return is an ordinary owner of its data, freed with gsl_vector_free,
 * gsl_matrix_free or gsl_rng_free. Sizes may be 0 (no data). Cost: one
 * allocation of the data plus two small ones. */
#ifndef GV_ALLOC_H
#define GV_ALLOC_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

gsl_vector *gv_vector_alloc(size_t n);
gsl_matrix *gv_matrix_alloc(size_t n1, size_t n2);

/* A generator of type T seeded with seed (gsl_rng_set). */
gsl_rng *gv_rng_alloc(const gsl_rng_type *T, unsigned long seed);

#endif
