/* gv_trial_memo.h: a trial's numeric side kept for the controls that repeat it.
 *
 * A control runs its formula's trials again, from the same seed, with a
 * planted mistake on the analytic side only: the drawn inputs, and so the
 * numeric side, are the same bit for bit. The driver keeps the formulas'
 * numeric sides here and the controls' trials copy them instead of computing
 * them again (at --size 784,128,10 that is most of a control's cost).
 *
 * An entry is found by a tag (which part, which method: the trial's choice)
 * and the generator's whole state before the trial drew its inputs, compared
 * byte for byte: same tag and state, same draw, same numbers. Entries are
 * kept until gv_trial_memo_free, up to a budget in bytes; beyond it put
 * stores nothing (the trial then computes, with the same result). */
#ifndef GV_TRIAL_MEMO_H
#define GV_TRIAL_MEMO_H

#include <stddef.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

/* Not thread-safe: one memo serves one driver run, whose formulas run one
 * after another. */
typedef struct gv_trial_memo gv_trial_memo;

/* The key of one trial: tag and a copy of the generator's state. */
typedef struct {
  unsigned tag;
  unsigned long long hash;
  unsigned char *state;
  size_t size;
} gv_trial_memo_key;

/* NULL when out of memory. budget: bytes of matrices and states kept at most. */
gv_trial_memo *gv_trial_memo_alloc(size_t budget);
void gv_trial_memo_free(gv_trial_memo *m); /* NULL is a no-op */

/* Copies r's state into k (call it before the trial draws). GSL_ENOMEM. */
int gv_trial_memo_key_init(gv_trial_memo_key *k, const gsl_rng *r, unsigned tag);
void gv_trial_memo_key_free(gv_trial_memo_key *k);

/* Copies the numeric side kept under k into N and E; 1 when found (and
 * shaped like N and E), 0 otherwise (N and E untouched). Cost: a scan of the
 * entries kept, then O(size of N). */
int gv_trial_memo_get(const gv_trial_memo *m, const gv_trial_memo_key *k, gsl_matrix *N,
                      gsl_matrix *E);

/* Keeps copies of N and E under k, taking k's state (k is emptied) when
 * stored, when the budget allows; GSL_ENOMEM only when a copy failed. */
int gv_trial_memo_put(gv_trial_memo *m, gv_trial_memo_key *k, const gsl_matrix *N,
                      const gsl_matrix *E);

/* Draws kept the same way: the values a trial drew from a generator r (a
 * network and its input, a Taylor direction) in n vectors, and r's state
 * after the draw, under the key of r's state before it (and a tag naming the
 * draw). A control repeating the trial draws the same values bit for bit;
 * it copies them instead (10^5 uniform draws for W and as many Gaussian
 * ones for its Taylor direction at --size 784,128,10).
 *
 * get: copies the draw kept under k into v[0 .. n) (each the length kept)
 * and sets r to the state after it; 1 when found, 0 otherwise (v and r
 * untouched). r must be of the generator type the draw was kept from.
 * put: keeps copies of v[0 .. n) and r's state under k, taking k's state,
 * when the budget allows; GSL_ENOMEM only when a copy failed. Cost: O(total
 * length) and a scan of the draws kept. */
int gv_trial_memo_get_draw(const gv_trial_memo *m, const gv_trial_memo_key *k, gsl_rng *r,
                           gsl_vector *const v[], size_t n);
int gv_trial_memo_put_draw(gv_trial_memo *m, gv_trial_memo_key *k, const gsl_rng *r,
                           const gsl_vector *const v[], size_t n);

#endif
