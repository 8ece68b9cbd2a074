/* gv_formula.c: the catalogue, in the seed's order. */
#include "gv_formula.h"

#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "gv_trial.h"

/* The network formulas' draw; gv_formula_draw replaces it under --size. */
#define NET_DRAW "network D, H ∈ [1, 20], K ∈ [2, 10]"

static const gv_formula formulas[] = {
    {"softmax_jacobian", "∂p/∂a = diag(p) − ppᵀ", "∂pᵢ/∂aⱼ = pᵢ(δᵢⱼ − pⱼ) by the quotient rule",
     "n ∈ [1, 50]; a uniform in [−s, s], s log-uniform in [0.1, 500]",
     .trial = gv_trial_softmax_jacobian},
    {"ce_grad_p", "∂L/∂p = −diag(p)⁻¹y", "∂(−Σ yᵢ log pᵢ)/∂pᵢ = −yᵢ/pᵢ",
     "n ∈ [1, 50]; p uniform in [0.05, 1); y one-hot or soft labels", .trial = gv_trial_ce_grad_p},
    {"ce_grad_logits", "δ₁ = ∂L/∂a = p − y",
     "(diag(p) − ppᵀ)(−diag(p)⁻¹y) = p(1ᵀy) − y, and 1ᵀy = 1",
     "n ∈ [2, 50]; logits as for softmax_jacobian; y one-hot or soft labels summing to 1",
     .trial = gv_trial_ce_grad_logits},
    {"ce_grad_logits_general", "∂L/∂a = p(1ᵀy) − y",
     "the chain rule through softmax without assuming 1ᵀy = 1",
     "n ∈ [2, 50]; logits as for softmax_jacobian; y ≥ 0 with 1ᵀy ≈ 0.5 to 2",
     .trial = gv_trial_ce_grad_logits_general},
    {"relu_delta", "δ₂ = (Vᵀδ₁) ⊙ 1(z > 0)", "∂h/∂z = diag(1(z > 0)) and ∂a/∂h = Vᵀ",
     NET_DRAW "; differentiated in z", .trial = gv_trial_relu_delta},
    {"grad_V", "∂L/∂V = δ₁hᵀ", "∂aᵢ/∂vᵢ = h, so row i of ∂L/∂V is (δ₁)ᵢhᵀ", NET_DRAW,
     .trial = gv_trial_grad_V},
    {"grad_b2", "∂L/∂b₂ = δ₁", "∂a/∂b₂ = I", NET_DRAW, .trial = gv_trial_grad_b2},
    {"grad_W", "∂L/∂W = δ₂xᵀ", "∂zᵢ/∂wᵢ = x, so row i of ∂L/∂W is (δ₂)ᵢxᵀ", NET_DRAW,
     .trial = gv_trial_grad_W},
    {"grad_b1", "∂L/∂b₁ = δ₂", "∂z/∂b₁ = I", NET_DRAW, .trial = gv_trial_grad_b1},
    {"identity_xTa", "∂xᵀa/∂x = ∂aᵀx/∂x = a", "xᵀa = Σ xᵢaᵢ is linear in x",
     "n ∈ [1, 50]; entries uniform in [−s, s], s log-uniform in [0.1, 10]",
     .trial = gv_trial_identity_xTa},
    {"identity_Ax", "∂Ax/∂x = Aᵀ", "∂(Ax)ⱼ/∂xᵢ = Aⱼᵢ, and the layout puts i first",
     "A m×n with m, n ∈ [1, 50]", .trial = gv_trial_identity_Ax},
    {"identity_aTXb", "∂aᵀXb/∂X = abᵀ", "aᵀXb = Σ aᵢXᵢⱼbⱼ", "X m×n with m, n ∈ [1, 50]",
     .trial = gv_trial_identity_aTXb},
    {"identity_xTAx", "∂xᵀAx/∂x = (A + Aᵀ)x", "x appears twice: once through A, once through Aᵀ",
     "n ∈ [1, 50]; A not symmetric", .trial = gv_trial_identity_xTAx},
    {"identity_sqnorm", "∂‖x‖²/∂x = ∂xᵀx/∂x = 2x", "the xᵀAx identity with A = I", "n ∈ [1, 50]",
     .trial = gv_trial_identity_sqnorm},
    {"chain_rule", "∂f(g(x))/∂x = (∂g/∂x)(∂f/∂g)",
     "denominator layout: the inner derivative (m×n) multiplies the outer gradient (n)",
     "g(x) = tanh(Bx + c), f(u) = log Σ exp(uᵢ); m, n ∈ [1, 50]", .trial = gv_trial_chain_rule},
};

static const gv_control controls[] = {
    {"softmax_jacobian_sign", "softmax Jacobian with its sign flipped: ppᵀ − diag(p)",
     "softmax_jacobian", .variant = GV_MISTAKE_SOFTMAX_SIGN},
    {"softmax_jacobian_diag", "softmax Jacobian as diag(p) alone", "softmax_jacobian",
     .variant = GV_MISTAKE_SOFTMAX_DIAG},
    {"relu_delta_nomask", "δ₂ = Vᵀδ₁ without the ReLU mask", "relu_delta",
     .variant = GV_MISTAKE_DELTA2_NOMASK},
    {"grad_b1_nomask", "∂L/∂b₁ = Vᵀδ₁ (mask forgotten on the bias)", "grad_b1",
     .variant = GV_MISTAKE_B1_NOMASK},
    {"grad_W_nomask", "∂L/∂W = (Vᵀδ₁)xᵀ (mask forgotten: inactive units' rows are wrong)", "grad_W",
     .variant = GV_MISTAKE_W_NOMASK},
    {"grad_V_order", "∂L/∂V as hδ₁ᵀ (wrong order) stored into the K×H buffer", "grad_V",
     .variant = GV_MISTAKE_V_ORDER},
    {"ce_grad_logits_soft", "p − y used with soft labels that do not sum to one",
     "ce_grad_logits_general", .variant = GV_MISTAKE_SOFT_LABELS},
    {"identity_xTAx_2Ax", "∂xᵀAx/∂x = 2Ax for a non-symmetric A", "identity_xTAx",
     .variant = GV_MISTAKE_XTAX_SYMMETRIC},
};

const char *gv_formula_draw(const gv_formula *f, const size_t net_size[3], char *buf, size_t size)
{
  size_t n = sizeof NET_DRAW - 1;
  if (!net_size[0] || !f->draw || strncmp(f->draw, NET_DRAW, n) != 0)
    return f->draw;
  snprintf(buf, size, "network D = %zu, H = %zu, K = %zu (fixed by --size)%s", net_size[0],
           net_size[1], net_size[2], f->draw + n);
  return buf;
}

static const char *const method_names[] = {
    [GV_METHOD_RIDDERS] = "ridders", [GV_METHOD_CENTRAL] = "central", [GV_METHOD_CSTEP] = "cstep"};

const char *gv_method_name(gv_method m)
{
  return (size_t)m < sizeof method_names / sizeof method_names[0] ? method_names[m] : "?";
}

int gv_method_parse(const char *s, gv_method *m)
{
  for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
    if (strcmp(s, method_names[i]) == 0) {
      *m = (gv_method)i;
      return GSL_SUCCESS;
    }
  return GSL_EINVAL;
}

const gv_formula *gv_formula_list(size_t *count)
{
  *count = sizeof formulas / sizeof formulas[0];
  return formulas;
}

const gv_control *gv_control_list(size_t *count)
{
  *count = sizeof controls / sizeof controls[0];
  return controls;
}

const gv_formula *gv_formula_find(const char *id)
{
  for (size_t i = 0; i < sizeof formulas / sizeof formulas[0]; i++)
    if (strcmp(formulas[i].id, id) == 0)
      return &formulas[i];
  return NULL;
}
