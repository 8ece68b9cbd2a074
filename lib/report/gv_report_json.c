/* gv_report_json.c: the machine-readable report, built with jansson. */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "gv_file.h"
#include "gv_report.h"

const char gv_report_rule[] =
    "an entry passes iff |analytic - numeric| <= atol + rtol*max(|analytic|,|numeric|) + kerr*e, "
    "where e is the numeric side's own error bar (how the method computes it: step_rule)";

const char *gv_report_method_text(gv_method m)
{
  switch (m) {
  case GV_METHOD_RIDDERS:
    return "Ridders' extrapolation (a tableau of central differences at shrinking steps, "
           "the first chosen from the function's scale); error bar from the tableau";
  case GV_METHOD_CSTEP:
    return "complex step, Im f(x + ih)/h with h = 1e-20*max(1,|x|), where the function has a "
           "complex implementation (Ridders elsewhere); error bar 16 ulps of the derivative's "
           "scale";
  default:
    return "central difference, h = cbrt(DBL_EPSILON)*max(1,|x|), error bar from a second "
           "difference at h/2 plus round-off";
  }
}

/* JSON has no NaN or infinity: those become null, never a silent number. */
static json_t *number(double v)
{
  return isfinite(v) ? json_real(v) : json_null();
}

static json_t *tolerance(const gv_tol *tol)
{
  return json_pack("{s:o, s:o, s:o, s:s}", "atol", number(tol->atol), "rtol", number(tol->rtol),
                   "kerr", number(tol->kerr), "rule", gv_report_rule);
}

static json_t *worst(const gv_cmp *c)
{
  if (!c->has_worst)
    return json_null();
  return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:s}", "trial", (json_int_t)c->worst_trial,
                   "row", (json_int_t)c->worst_row, "col", (json_int_t)c->worst_col, "analytic",
                   number(c->worst_analytic), "numeric", number(c->worst_numeric), "error_bar",
                   number(c->worst_errbar), "error_over_tolerance", number(c->worst_ratio),
                   "decided_by", gv_decided_name(c->worst_term));
}

static json_t *taylor(const gv_taylor_stats *t)
{
  return json_pack("{s:I, s:I, s:I, s:o, s:o}", "pass", (json_int_t)t->pass, "exact",
                   (json_int_t)t->exact, "fail", (json_int_t)t->fail, "min_slope",
                   number(t->min_slope), "max_slope", number(t->max_slope));
}

static json_t *formula_fields(const gv_formula_result *fr, const gv_run *run, const gv_cmp *c);

static json_t *formula(const gv_formula_result *fr, const gv_run *run)
{
  const gv_cmp *c = &fr->cmp;
  json_t *j = formula_fields(fr, run, c);
  if (j &&
      (json_object_set_new(j, "resolved_entries",
                           json_integer((json_int_t)(c->count - c->nonfinite - c->unresolved))) ||
       json_object_set_new(j, "unresolved_entries", json_integer((json_int_t)c->unresolved))))
    return json_decref(j), NULL;
  json_t *regimes = j ? json_array() : NULL;
  for (size_t k = 0; regimes && k < fr->n_regimes; k++) {
    const gv_regime_result *g = &fr->regimes[k];
    if (json_array_append_new(
            regimes, json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "name", g->name, "trials",
                               (json_int_t)g->trials, "failed_trials", (json_int_t)g->failed_trials,
                               "resolved_entries",
                               (json_int_t)(g->cmp.count - g->cmp.nonfinite - g->cmp.unresolved),
                               "max_rel_err", number(g->cmp.max_rel), "worst_ratio",
                               number(g->cmp.worst_ratio))))
      json_decref(regimes), regimes = NULL;
  }
  if (j && (!regimes || json_object_set_new(j, "regimes", regimes) ||
            json_object_set_new(j, "not_drawn_trials", json_integer((json_int_t)fr->not_drawn))))
    return json_decref(j), NULL;
  if (j && fr->step_min > 0.0 &&
      json_object_set_new(
          j, "central_step",
          json_pack("{s:o, s:o}", "min", number(fr->step_min), "max", number(fr->step_max))))
    return json_decref(j), NULL;
  return j;
}

static json_t *formula_fields(const gv_formula_result *fr, const gv_run *run, const gv_cmp *c)
{
  char draw[GV_DRAW_MAX];
  return json_pack(
      "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, "
      "s:o, s:o, s:o}",
      "id", fr->formula->id, "group", fr->formula->group ? fr->formula->group : "seed", "formula",
      fr->formula->formula, "reason", fr->formula->reason, "draw",
      gv_formula_draw(fr->formula, run->net_size, draw, sizeof draw), "verdict",
      gv_formula_status_name(gv_formula_verdict(fr)), "method", gv_method_name(fr->method),
      "taylor", taylor(&fr->taylor), "trials", (json_int_t)fr->trials, "failed_trials",
      (json_int_t)fr->failed_trials, "kink_redraws", (json_int_t)fr->redraws, "entries_min",
      (json_int_t)fr->min_entries, "entries_max", (json_int_t)fr->max_entries, "entries_compared",
      (json_int_t)c->count, "failing_entries", (json_int_t)c->nfail, "nonfinite_entries",
      (json_int_t)c->nonfinite, "max_abs_err", number(c->max_abs), "max_rel_err",
      number(c->max_rel), "tolerance", tolerance(&run->tol), "worst", worst(c));
}

static json_t *control(const gv_control_result *cr)
{
  return json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:o, s:o}", "id", cr->control->id,
                   "description", cr->control->description, "formula_id", cr->control->formula_id,
                   "caught", cr->caught, "trials", (json_int_t)cr->trials, "caught_trials",
                   (json_int_t)cr->caught_trials, "failing_entries", (json_int_t)cr->cmp.nfail,
                   "taylor", taylor(&cr->taylor), "worst", worst(&cr->cmp));
}

/* The root object; with --size, its "size": {"D", "H", "K"} after "trials". */
static json_t *root_object(const gv_run *run, json_t *fs, json_t *cs);

json_t *gv_report_json(const gv_run *run)
{
  json_t *fs = json_array(), *cs = json_array();
  for (size_t i = 0; fs && i < run->n_formulas; i++) {
    if (json_array_append_new(fs, formula(&run->formulas[i], run)))
      goto fail;
  }
  for (size_t i = 0; cs && i < run->n_controls; i++) {
    if (json_array_append_new(cs, control(&run->controls[i])))
      goto fail;
  }
  if (!fs || !cs)
    goto fail;
  return root_object(run, fs, cs);
fail:
  json_decref(fs);
  json_decref(cs);
  return NULL;
}

static json_t *root_object(const gv_run *run, json_t *fs, json_t *cs)
{
  const gv_run_totals n = gv_run_count(run);
  /* Drawn sizes: no "size" key ("o*" skips a NULL value). */
  json_t *size = run->net_size[0]
                     ? json_pack("{s:I, s:I, s:I}", "D", (json_int_t)run->net_size[0], "H",
                                 (json_int_t)run->net_size[1], "K", (json_int_t)run->net_size[2])
                     : NULL;
  /* The seed is written as a number (JSON integers hold 2^63): scripts compare it. */
  return json_pack(
      "{s:s, s:s, s:I, s:I, s:o*, s:s, s:o, s:s, s:s, s:b, "
      "s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o}",
      "tool", "gradverify", "version", GV_VERSION, "seed", (json_int_t)run->seed, "trials",
      (json_int_t)run->trials, "size", size, "verdict", run->pass ? "pass" : "fail", "tolerance",
      tolerance(&run->tol), "method", gv_method_name(run->method), "step_rule",
      gv_report_method_text(run->method), "taylor", run->taylor, "summary", "formulas",
      (json_int_t)run->n_formulas, "formulas_passed", (json_int_t)n.passed, "formulas_not_drawn",
      (json_int_t)n.not_drawn, "controls", (json_int_t)run->n_controls, "controls_caught",
      (json_int_t)n.caught, "kink_redraws", (json_int_t)n.redraws, "formulas", fs, "controls", cs);
}

static int dump(FILE *stream, void *ctx)
{
  if (json_dumpf(ctx, stream, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)))
    return -1;
  return fputc('\n', stream) == EOF ? -1 : 0;
}

int gv_report_write_json(const gv_run *run, const char *path, int *err_no)
{
  *err_no = 0;
  json_t *root = gv_report_json(run);
  if (!root)
    return GSL_ENOMEM;
  int status = gv_file_write_atomic(path, dump, root, err_no);
  json_decref(root);
  return status;
}
