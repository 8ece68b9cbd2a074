/* gv_trial.h: what every trial function shares: an analytic and a numeric
 * matrix of one shape (a vector is an n-by-1 matrix, reached through a column
 * view), compared entry by entry at the end of the trial. */
#ifndef GV_TRIAL_H
#define GV_TRIAL_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#include "gv_cstep.h"
#include "gv_fd.h"
#include "gv_formula.h"
#include "gv_random.h"

typedef struct {
  gsl_matrix *analytic, *numeric;
  gsl_matrix *err; /* the numeric side's error bars (truncation plus round-off) */
} gv_trial_pair;

/* Allocates the three matrices; GSL_ENOMEM (with nothing held) on failure. */
int gv_trial_pair_alloc(gv_trial_pair *t, size_t rows, size_t cols);
void gv_trial_pair_free(gv_trial_pair *t);
/* Column 0 of a matrix (an n-by-1 matrix holding a vector), as a vector view. */
gsl_vector_view gv_trial_col(gsl_matrix *m);
/* Compares analytic against numeric into cmp and records the entry count;
 * applies info->corrupt first (see gv_trial_info). */
int gv_trial_pair_compare(const gv_trial_pair *t, const gv_tol *tol, gv_cmp *cmp,
                          gv_trial_info *info);

/* The numeric side by info->method: central differences (the step per entry
 * of gv_trial_central_step), Ridders, or the complex step through cf, with
 * its error bar (gv_trial_cstep_errbar); the complex step falls back to
 * Ridders where cf is NULL (no complex implementation). Sets info->used.
 * The matrix form's variable X must have tda == size2 for the complex step
 * (GSL_EINVAL otherwise). */
int gv_trial_gradient(gv_trial_info *info, const gv_fd_scalar *fn, const gv_cstep_fn *cf,
                      gsl_vector *x, gsl_vector *g, gsl_vector *e);
int gv_trial_gradient_matrix(gv_trial_info *info, const gv_fd_scalar *fn, const gv_cstep_fn *cf,
                             gsl_matrix *X, gsl_matrix *G, gsl_matrix *E);
int gv_trial_jacobian(gv_trial_info *info, const gv_fd_vector *fn, const gv_cstep_fn *cf,
                      gsl_vector *x, gsl_matrix *D, gsl_matrix *E);

/* The central difference of one entry by the harness's step rule
 * (gv_trial.c): the step among gv_fd_step(x) 10^k, k = 1 .. -4, whose
 * estimate has the smallest error bar (truncation, plus the round-off
 * measured from the function's own noise), a longer step only where f is
 * smooth across it. f0 = f at the current point; *xi is restored bit for
 * bit. Cost: 4 evaluations per step tried (12 to 24). Errors: fn's status,
 * GSL_EBADFUNC for a non-finite value. The one function the harness and
 * `gradverify explain` share for the step. */
typedef struct {
  double d, err;   /* the estimate and its error bar */
  double rel_step; /* the step chosen, relative to max(1, |x|) */
} gv_trial_estimate;
int gv_trial_central_entry(const gv_fd_scalar *fn, double *xi, double f0, gv_trial_estimate *est);

/* The complex step's error bar for the numeric matrix N: GV_TRIAL_CSTEP_ULPS
 * units in the last place of the derivative's scale (its largest entry), the
 * rounding of a complex evaluation without cancellation. */
#define GV_TRIAL_CSTEP_ULPS 16.0
void gv_trial_cstep_errbar(const gsl_matrix *N, gsl_matrix *E);

/* The Taylor test of the analytic side, when info->taylor is set: for a
 * scalar function fn (vector_fn NULL) the analytic matrix is the gradient of
 * the variable x laid out in the same memory order (a vector, or a matrix
 * with tda == size2 viewed as one); for a vector function vector_fn (fn NULL)
 * it is the n-by-m Jacobian. Sets info->taylor_verdict and taylor_slope. */
int gv_trial_taylor(gv_trial_info *info, const gv_fd_scalar *fn, const gv_fd_vector *vector_fn,
                    gsl_vector *x, const gsl_matrix *analytic);

/* One trial of a layer's gradient (f->layer, input f->input; gv_suite.h)
 * with the given backward (the layer's own, or a planted mistake's): the
 * layer's sampler draws the inputs (its redraws go to info->redraws), G is
 * uniform in [-1, 1], and backward's gradient of input k is compared with
 * the numeric gradient of L = <G, forward>; with GV_METHOD_CSTEP the complex
 * step where the layer has forward_complex. A sampler's or callback's error
 * status is returned, GSL_EINVAL for an input with tda != size2. */
int gv_trial_layer(gsl_rng *r, const gv_formula *f, gv_layer_backward_fn backward,
                   const gv_tol *tol, gv_cmp *cmp, gv_trial_info *info);
/* The same draw and computation without the comparison: fills t (allocated
 * here, freed by the caller with gv_trial_pair_free; empty on error, and
 * empty with GSL_SUCCESS when the variable is not drawn, info->not_drawn
 * set: check that before using t) and,
 * when shapes is not NULL, the inputs' and G's shapes in words. */
int gv_trial_layer_pair(gsl_rng *r, const gv_formula *f, gv_layer_backward_fn backward,
                        gv_trial_info *info, gv_trial_pair *t, char *shapes, size_t size);

/* A vector size for a trial: drawn uniform in [lo, hi] (always, so the
 * stream of draws stays the same), replaced by info->size clamped to
 * [lo, hi] when that is set. */
size_t gv_trial_size(gsl_rng *r, const gv_trial_info *info, size_t lo, size_t hi);

/* What a trial shows a reader (gv_explain), when info->show points here:
 * copies of its inputs, labelled as in the formula (labels are static
 * strings, not copied), in the order shown, and of its pair as compared.
 * Owned by whoever set info->show; start it zeroed, free it with
 * gv_trial_show_free. status becomes GSL_ENOMEM when a copy failed or more
 * than GV_TRIAL_SHOW_MAX inputs were shown. Costs nothing without info->show. */
#define GV_TRIAL_SHOW_MAX 12
typedef struct gv_trial_show {
  size_t n;
  const char *label[GV_TRIAL_SHOW_MAX];
  gsl_matrix *in[GV_TRIAL_SHOW_MAX];
  gv_trial_pair pair; /* empty until the trial compares */
  int status;
} gv_trial_show;

/* Copies an input for the reader; returns the copy (the caller may change
 * it, e.g. into a mask), or NULL without info->show or on failure. */
gsl_matrix *gv_trial_show_matrix(gv_trial_info *info, const char *label, const gsl_matrix *m);
gsl_matrix *gv_trial_show_vector(gv_trial_info *info, const char *label, const gsl_vector *v);
void gv_trial_show_value(gv_trial_info *info, const char *label, double v);
/* Copies the pair (the first one a trial compares); gv_trial_pair_compare calls it. */
void gv_trial_show_pair(gv_trial_info *info, const gv_trial_pair *t);
void gv_trial_show_free(gv_trial_show *s);
/* The trial functions, by family (gv_trials_*.c). */
int gv_trial_softmax_jacobian(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_ce_grad_p(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_ce_grad_logits(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_ce_grad_logits_general(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *,
                                    gv_trial_info *);
int gv_trial_relu_delta(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_grad_V(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_grad_b2(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_grad_W(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_grad_b1(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_identity_xTa(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_identity_Ax(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_identity_aTXb(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_identity_xTAx(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_identity_sqnorm(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);
int gv_trial_chain_rule(gsl_rng *, gv_variant, const gv_tol *, gv_cmp *, gv_trial_info *);

#endif
