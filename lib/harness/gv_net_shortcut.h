/* gv_net_shortcut.h: the network's numeric gradient from one forward pass,
 * O(K) per evaluation.
 *
 * Perturbing one parameter moves one hidden pre-activation or one logit:
 * W(i, j) moves z_i by x_j per unit, b1_i and z_i itself by 1, V(k, i) moves
 * a_k by h_i, b2_k by 1. After the forward pass at the unperturbed
 * parameters (z, h, a), the loss at a perturbed value t of the entry is
 *   z_i' = z_i + (t - t0) m,  a' = a + V(:, i) (ReLU(z_i') - h_i)   (unit i), or
 *   a' = a + (t - t0) m e_k                                         (logit k),
 * then L = lse(a') - y.a' (gv_xent_loss_logits): O(K) per evaluation instead
 * of the O(HD + KH) of a full forward pass, so a whole gradient costs
 * O(K) evaluations per parameter: 101,770 parameters at 784-128-10.
 *
 * Error bars. The shortcut rounds differently from a full recompute: z_i'
 * and every logit of a' carry one more rounding, so a value is off by up to
 * eps S with S = 2 max|a| + |z_i| sum_k |V(k, i)| (unit i; 2 max|a| for a
 * logit; the loss moves by at most |p_k - y_k| <= 1 per unit of a_k and
 * sum_k |p_k - y_k| <= 2). Central differences add GV_FD_ROUNDOFF_ULPS eps S
 * / h to the engine's error bar (which counts eps |L| alone); Ridders
 * measures the noise of the values it evaluates, the shortcut's included;
 * the complex step has no cancellation (gv_trial_cstep_errbar).
 *
 * The parameters are read, never written: the engines perturb a copy of the
 * entry. */
#ifndef GV_NET_SHORTCUT_H
#define GV_NET_SHORTCUT_H

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "gv_formula.h"
#include "gv_net.h"

/* The network, its input and target, and the forward pass at them. */
typedef struct {
  const gv_net *net;
  const gsl_vector *x, *y;
  const gv_net_state *s; /* gv_net_forward's state at net, x, y */
} gv_net_base;

/* N(r, c) = dL/dP(r, c) and its error bar E(r, c) for every entry of the
 * part P named by what: 'W' (H x D), 'b' (b1, H x 1), 'z' (H x 1), 'V'
 * (K x H), 'c' (b2, K x 1), by method (central differences, Ridders, or the
 * complex step). GSL_EBADLEN when N or E is not P's shape, GSL_EINVAL for an
 * unknown part, GSL_ENOMEM, or the engine's status (GSL_EBADFUNC for a
 * non-finite loss). */
int gv_net_shortcut_gradient(const gv_net_base *b, char what, gv_method method, gsl_matrix *N,
                             gsl_matrix *E);

#endif
