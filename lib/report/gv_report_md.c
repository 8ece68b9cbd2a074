/* gv_report_md.c: the report for people, a Markdown page. */
#include <math.h>

#include <gsl/gsl_errno.h>

#include "gv_file.h"
#include "gv_report.h"

/* "(trial t, entry (i, j): analytic a vs numeric n)", or a dash. */
static void print_worst(FILE *f, const gv_cmp *c)
{
  if (!c->has_worst) {
    fputs("–", f);
    return;
  }
  fprintf(f,
          "trial %zu, entry (%zu, %zu): analytic %.6g vs numeric %.6g, %.3g× tolerance "
          "(its largest term: %s)",
          c->worst_trial, c->worst_row, c->worst_col, c->worst_analytic, c->worst_numeric,
          c->worst_ratio, gv_decided_name(c->worst_term));
}

static void put_header(FILE *f, const gv_run *run)
{
  const gv_tol *t = &run->tol;
  const gv_run_totals n = gv_run_count(run);

  fprintf(f, "# Gradient report\n\n");
  fprintf(f, "**Verdict: %s.** %zu of %zu formulas verified, ", run->pass ? "PASS" : "FAIL",
          n.passed, run->n_formulas);
  if (n.not_drawn)
    fprintf(f, "%zu not drawn (never checked: neither pass nor fail), ", n.not_drawn);
  fprintf(f, "%zu of %zu planted mistakes caught.\n\n", n.caught, run->n_controls);
  fprintf(f, "- gradverify %s, seed **%lu** (`gradverify --seed %lu` reproduces every number)\n",
          GV_VERSION, run->seed, run->seed);
  fprintf(f, "- %zu random trials per formula and per control", run->trials);
  if (n.stopped_early)
    fprintf(f,
            " (a ceiling: %zu layer formulas with large draws stopped once they had compared "
            "%d entries per trial asked for; each formula's row gives its trials)",
            n.stopped_early, GV_DRIVER_ENTRY_BUDGET);
  fputs("\n", f);
  if (run->net_size[0])
    fprintf(f, "- network sizes fixed (`--size`): D = %zu, H = %zu, K = %zu\n", run->net_size[0],
            run->net_size[1], run->net_size[2]);
  fprintf(f, "- tolerance: atol = %g, rtol = %g, kerr = %g: %s\n", t->atol, t->rtol, t->kerr,
          gv_report_rule);
  fprintf(f, "- numeric side (`--method %s`): %s\n", gv_method_name(run->method),
          gv_report_method_text(run->method));
  if (run->taylor)
    fprintf(f, "- Taylor test in every trial: the remainder |f(x + εv) − f(x) − ε∇f·v| along a "
               "random direction v falls like ε² (slope 2) for a right gradient and like ε "
               "(slope 1) for a wrong one; *exact* means the remainder stays at rounding level (f "
               "linear along v, or a ReLU kink cuts the curve off): no verdict either way\n");
  fprintf(f, "- ReLU kinks: %zu draws had a unit within a step of z = 0 and were redrawn\n\n",
          n.redraws);
}

static const char *verdict_cell(const gv_formula_result *fr)
{
  switch (gv_formula_verdict(fr)) {
  case GV_FORMULA_PASS:
    return "✅ pass";
  case GV_FORMULA_NOT_DRAWN:
    return "➖ not drawn";
  default:
    return "❌ **FAIL**";
  }
}

static void put_formulas(FILE *f, const gv_run *run)
{
  const gv_tol *t = &run->tol;
  fprintf(f, "## Formulas\n\n");
  fprintf(f, "Denominator layout, as in the seed: a derivative is shaped like its variable.\n\n");
  fprintf(f, "| id | formula | method | trials | entries per trial | max abs error | "
             "max rel error | worst / tolerance | error bar at worst | tolerance | Taylor | "
             "verdict |\n");
  fprintf(f, "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---|\n");
  for (size_t i = 0; i < run->n_formulas; i++) {
    const gv_formula_result *fr = &run->formulas[i];
    char tay[64];
    fprintf(f,
            "| `%s` | %s | %s | %zu | %zu–%zu | %.2e | %.2e | %.3g | %.1e | atol %g, rtol %g, %g e "
            "| %s | %s |\n",
            fr->formula->id, fr->formula->formula, gv_method_name(fr->method), fr->trials,
            fr->min_entries, fr->max_entries, fr->cmp.max_abs, fr->cmp.max_rel, fr->cmp.worst_ratio,
            fr->cmp.worst_errbar, t->atol, t->rtol, t->kerr,
            gv_taylor_stats_str(&fr->taylor, tay, sizeof tay), verdict_cell(fr));
  }
}

/* A line per regime the sampler named, under the formula's: a regime that
 * never passes shows here, not as a looser tolerance for everyone. */
static void put_regimes(FILE *f, const gv_formula_result *fr)
{
  for (size_t k = 0; k < fr->n_regimes; k++) {
    const gv_regime_result *g = &fr->regimes[k];
    fprintf(f,
            "  - regime *%s*: %zu trials, %s%zu failed%s, max rel error %.2e, worst %.3g of "
            "tolerance\n",
            g->name, g->trials, g->failed_trials ? "**" : "", g->failed_trials,
            g->failed_trials ? "**" : "", g->cmp.max_rel, g->cmp.worst_ratio);
  }
}

static void put_reasons(FILE *f, const gv_run *run)
{
  fprintf(f, "\n### Why each holds, and what was drawn\n\n");
  for (size_t i = 0; i < run->n_formulas; i++) {
    const gv_formula_result *fr = &run->formulas[i];
    char draw[GV_DRAW_MAX];
    fprintf(f, "- `%s`: %s — because %s. Inputs: %s.", fr->formula->id, fr->formula->formula,
            fr->formula->reason, gv_formula_draw(fr->formula, run->net_size, draw, sizeof draw));
    fprintf(f, " Resolved entries: %zu of %zu (max rel error %.2e over them).",
            fr->cmp.count - fr->cmp.nonfinite - fr->cmp.unresolved, fr->cmp.count, fr->cmp.max_rel);
    if (fr->step_min > 0.0)
      fprintf(f, " Central steps chosen per entry: h/max(1, |x|) from %.1e to %.1e.", fr->step_min,
              fr->step_max);
    if (gv_formula_verdict(fr) == GV_FORMULA_NOT_DRAWN)
      fprintf(f,
              " **Not drawn: its variable was a placeholder in all %zu trials, so nothing was "
              "checked (neither pass nor fail); more trials or another seed draw it.**",
              fr->trials);
    else if (fr->not_drawn)
      fprintf(f, " Not drawn in %zu of %zu trials (a placeholder there: nothing compared).",
              fr->not_drawn, fr->trials);
    if (gv_formula_verdict(fr) == GV_FORMULA_FAIL) {
      fprintf(f, " **%zu of %zu trials failed, %zu entries; worst: ", fr->failed_trials, fr->trials,
              fr->cmp.nfail);
      print_worst(f, &fr->cmp);
      fputs("**", f);
    }
    if (fr->cmp.nonfinite)
      fprintf(f, " **%zu entries were NaN or infinite.**", fr->cmp.nonfinite);
    fputc('\n', f);
    put_regimes(f, fr);
  }
}

static void put_controls(FILE *f, const gv_run *run)
{
  fprintf(f, "\n## Negative controls\n\n");
  fprintf(f, "Each control is a classic mistake run through the same driver, on the same random "
             "inputs as the formula it imitates. A control must be caught: one that passes would "
             "mean the harness cannot see that mistake.\n\n");
  fprintf(f, "| control | planted mistake | imitates | caught in | worst entry | Taylor | "
             "verdict |\n");
  fprintf(f, "|---|---|---|---:|---|---|---|\n");
  for (size_t i = 0; i < run->n_controls; i++) {
    const gv_control_result *cr = &run->controls[i];
    char tay[64];
    fprintf(f, "| `%s` | %s | `%s` | %zu of %zu trials | ", cr->control->id,
            cr->control->description, cr->control->formula_id, cr->caught_trials, cr->trials);
    print_worst(f, &cr->cmp);
    fprintf(f, " | %s | %s |\n", gv_taylor_stats_str(&cr->taylor, tay, sizeof tay),
            cr->caught ? "✅ caught" : "❌ **MISSED**");
  }
}

static int write_md(FILE *f, void *ctx)
{
  const gv_run *run = ctx;
  put_header(f, run);
  put_formulas(f, run);
  put_reasons(f, run);
  put_controls(f, run);
  fprintf(f, "\n## How to read this report\n\n");
  fprintf(f, "- *max rel error* is |analytic − numeric| / max(|analytic|, |numeric|) over the "
             "resolved entries: those whose magnitude is a normal double and at least 10⁸ times "
             "the numeric side's error bar plus the analytic side's rounding (README, "
             "\"Accuracy, measured\"); the tolerance decides pass or fail for every entry alike. "
             "*worst / tolerance* is the largest error as a fraction of its own tolerance: below 1 "
             "passes.\n");
  fprintf(f, "- Entries are numbered from 0 as (row, column); a vector is a column.\n");
  fprintf(f, "- A control caught in fewer than all trials is normal: some draws hide a mistake "
             "(a one-hot softmax has a zero Jacobian whatever its sign).\n");
  return ferror(f) ? -1 : 0;
}

int gv_report_write_md(const gv_run *run, const char *path, int *err_no)
{
  return gv_file_write_atomic(path, write_md, (void *)run, err_no);
}
