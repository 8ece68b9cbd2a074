/* gv_driver.c: seeded trials, results per formula and per control. */
#include "gv_driver.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gv_taylor.h"
#include "gv_trial.h"
#include "gv_trial_memo.h"

/* The formulas' numeric sides and draws kept for their controls
 * (gv_trial_memo.h), at most this many bytes: --size 784,128,10 keeps about
 * 3.3 MB a trial of grad_W (numeric side and error bars, network, Taylor
 * direction); beyond the budget the controls compute and draw them again. */
#define GV_DRIVER_MEMO_BYTES ((size_t)64 << 20)

void gv_driver_default_tol(gv_method m, gv_tol *tol)
{
  if (m == GV_METHOD_CSTEP)
    *tol = (gv_tol){GV_TOL_ERRBAR_ATOL, 0.0, GV_TOL_DEFAULT_KERR};
  else
    *tol = (gv_tol){GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR};
}

void gv_driver_options_init(gv_driver_options *o)
{
  *o = (gv_driver_options){
      .seed = GV_DRIVER_DEFAULT_SEED,
      .trials = GV_DRIVER_DEFAULT_TRIALS,
      .tol = {GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR},
      .method = GV_METHOD_CENTRAL,
      .taylor = 1,
  };
}

unsigned long gv_driver_formula_seed(unsigned long seed, const char *id)
{
  /* FNV-1a over the id, mixed with the seed by a splitmix64 finaliser:
   * neighbouring seeds and ids give unrelated streams. */
  unsigned long long h = 1469598103934665603ULL;
  for (const char *p = id; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  h ^= (unsigned long long)seed + 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  /* MT19937 takes 32 bits of seed; 0 would select GSL's default seed. */
  unsigned long s = (unsigned long)(h & 0xffffffffULL);
  return s ? s : 1;
}

static int selected(const gv_driver_options *o, const gv_formula *f)
{
  if (!o->only)
    return 1;
  for (size_t i = 0; i < o->n_only; i++)
    if (gv_suite_selects(f, o->only[i]))
      return 1;
  return 0;
}

/* One trial of f, right (v GV_RIGHT, backward NULL) or a control. */
static int trial(gsl_rng *r, const gv_formula *f, gv_variant v, gv_layer_backward_fn backward,
                 const gv_tol *tol, gv_cmp *cmp, gv_trial_info *info)
{
  if (f->layer)
    return gv_trial_layer(r, f, backward ? backward : f->layer->backward, tol, cmp, info);
  return f->trial(r, v, tol, cmp, info);
}

const char *gv_taylor_stats_str(const gv_taylor_stats *t, char *buf, size_t size)
{
  int n = 0;
  if (t->pass + t->fail > 0)
    n = snprintf(buf, size, "slope %.2f-%.2f", t->min_slope, t->max_slope);
  if (t->exact && n >= 0 && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, "%s%zu exact", n ? ", " : "", t->exact);
  if (t->fail && n >= 0 && (size_t)n < size)
    n += snprintf(buf + n, size - (size_t)n, "%s%zu fail", n ? ", " : "", t->fail);
  if (n == 0)
    snprintf(buf, size, "-");
  return buf;
}

/* What run_trials counts besides the comparison. */
typedef struct {
  size_t ran, failed, corrupted, redraws, min_entries, max_entries, not_drawn;
  size_t n_regimes;
  gv_regime_result regimes[GV_DRIVER_MAX_REGIMES];
  double step_min, step_max; /* central steps chosen, relative to max(1, |x|) */
  gsl_matrix *heat;          /* of the first failing trial; the caller owns it */
  size_t heat_trial;
  gv_method used;
  gv_taylor_stats taylor;
} totals;

static void taylor_add(gv_taylor_stats *s, const gv_trial_info *info)
{
  if (info->taylor_verdict == GV_TAYLOR_EXACT) {
    s->exact++;
    return;
  }
  if (info->taylor_verdict == GV_TAYLOR_PASS)
    s->pass++;
  else
    s->fail++;
  /* fmin/fmax skip the NaN the stats start with. */
  s->min_slope = fmin(s->min_slope, info->taylor_slope);
  s->max_slope = fmax(s->max_slope, info->taylor_slope);
}

/* Adds one trial's comparison to the regime the sampler named. */
static void regime_add(totals *t, const char *name, const gv_cmp *one)
{
  if (!name)
    return;
  size_t k = 0;
  while (k < t->n_regimes && strcmp(t->regimes[k].name, name) != 0)
    k++;
  if (k == GV_DRIVER_MAX_REGIMES)
    return;
  if (k == t->n_regimes) {
    t->regimes[t->n_regimes++] = (gv_regime_result){.name = name};
    gv_cmp_init(&t->regimes[k].cmp);
  }
  t->regimes[k].trials++;
  t->regimes[k].failed_trials += one->nfail > 0;
  gv_cmp_merge(&t->regimes[k].cmp, one);
}

/* Whether layer formula f has had its trials (GV_DRIVER_ENTRY_BUDGET): k run,
 * `compared` entries compared. */
static int budget_spent(const gv_driver_options *o, const gv_formula *f, size_t k, size_t compared)
{
  return f->layer && k >= GV_DRIVER_MIN_TRIALS && compared >= o->trials * GV_DRIVER_ENTRY_BUDGET;
}

/* Runs `trials` trials of f with variant v (fewer where the budget is
 * spent; t->ran says how many); fills cmp and t. */
static int run_trials(const gv_driver_options *o, const gv_formula *f, const gv_control *c,
                      gsl_rng *r, gsl_rng *rt, gv_trial_memo *memo, gv_cmp *cmp, totals *t)
{
  unsigned long s = gv_driver_formula_seed(o->seed, f->id);
  gsl_rng_set(r, s);
  /* The Taylor directions come from a stream of their own, so that turning
   * the test on or off changes no other number. */
  gsl_rng_set(rt, (s ^ 0x5a17e5UL) ? (s ^ 0x5a17e5UL) : 1);
  gv_cmp_init(cmp);
  /* used starts as the method asked for: a formula never drawn reports that,
   * not whatever method 0 happens to be. */
  *t = (totals){.min_entries = (size_t)-1,
                .used = o->method,
                .step_min = NAN,
                .step_max = NAN,
                .taylor = {.min_slope = NAN, .max_slope = NAN}};
  for (size_t k = 0; k < o->trials && !budget_spent(o, f, k, cmp->count); k++) {
    t->ran++;
    gv_cmp one;
    gv_cmp_init(&one);
    gv_cmp_set_trial(&one, k);
    gv_trial_info info = {.step_min = t->step_min,
                          .step_max = t->step_max,
                          .corrupt = o->corrupt,
                          .want_heat = t->heat == NULL,
                          .method = o->method,
                          .taylor = o->taylor ? rt : NULL,
                          .memo = memo,
                          .net_size = {o->net_size[0], o->net_size[1], o->net_size[2]}};
    int status =
        trial(r, f, c ? c->variant : GV_RIGHT, c ? c->backward : NULL, &o->tol, &one, &info);
    if (info.heat) {
      t->heat = info.heat;
      t->heat_trial = k;
    }
    if (status)
      return status;
    if (info.not_drawn) {
      t->not_drawn++;
      continue;
    }
    gv_cmp_merge(cmp, &one);
    regime_add(t, info.regime, &one);
    t->used = info.used;
    if (o->taylor)
      taylor_add(&t->taylor, &info);
    t->failed += one.nfail > 0;
    t->corrupted += info.corrupted;
    t->redraws += info.redraws;
    t->step_min = info.step_min;
    t->step_max = info.step_max;
    if (info.entries < t->min_entries)
      t->min_entries = info.entries;
    if (info.entries > t->max_entries)
      t->max_entries = info.entries;
  }
  return GSL_SUCCESS;
}

/* The options gv_driver_run refuses with GSL_EINVAL, before anything is
 * allocated. Fixed network sizes: all three, at least one input, hidden unit
 * and two classes. */
static int options_valid(const gv_driver_options *o)
{
  if (o->trials == 0 || !(o->tol.atol >= 0.0) || !(o->tol.rtol >= 0.0) || !(o->tol.kerr >= 0.0))
    return 0;
  int sized = o->net_size[0] || o->net_size[1] || o->net_size[2];
  return !(sized && (!o->net_size[0] || !o->net_size[1] || o->net_size[2] < 2));
}

/* Whether some control repeats f's trials (its numeric sides are then worth keeping). */
static int has_control(const gv_suite *suite, const gv_formula *f)
{
  for (size_t i = 0; i < suite->n_controls; i++)
    if (strcmp(suite->controls[i].formula_id, f->id) == 0)
      return 1;
  return 0;
}

/* Whether some formula of run was drawn in some trial (was checked at all). */
static int some_drawn(const gv_run *run)
{
  for (size_t i = 0; i < run->n_formulas; i++)
    if (gv_formula_verdict(&run->formulas[i]) != GV_FORMULA_NOT_DRAWN)
      return 1;
  return 0;
}

/* Runs every selected formula into run->formulas (allocated by the caller,
 * one slot per formula). A failing trial's heat map is kept in its result so
 * that gv_run_free frees it. The numeric sides of formulas with controls go
 * into memo, for run_controls. */
static int run_formulas(const gv_driver_options *o, const gv_suite *suite, gsl_rng *r, gsl_rng *rt,
                        gv_trial_memo *memo, gv_run *run)
{
  for (size_t i = 0; i < suite->n_formulas; i++) {
    if (!selected(o, &suite->formulas[i]))
      continue;
    gv_formula_result *fr = &run->formulas[run->n_formulas++];
    fr->formula = &suite->formulas[i];
    totals t;
    int status = run_trials(o, fr->formula, NULL, r, rt,
                            has_control(suite, fr->formula) ? memo : NULL, &fr->cmp, &t);
    fr->heat = t.heat;
    fr->heat_trial = t.heat_trial;
    if (status)
      return status;
    fr->trials = t.ran;
    fr->method = t.used;
    fr->taylor = t.taylor;
    fr->failed_trials = t.failed;
    fr->corrupted_trials = t.corrupted;
    fr->redraws = t.redraws;
    fr->step_min = t.step_min;
    fr->step_max = t.step_max;
    fr->min_entries = t.not_drawn == fr->trials ? 0 : t.min_entries;
    fr->max_entries = t.max_entries;
    fr->not_drawn = t.not_drawn;
    fr->n_regimes = t.n_regimes;
    memcpy(fr->regimes, t.regimes, sizeof t.regimes);
    /* Never a vacuous pass: a variable not drawn in any trial was not
     * checked; nor a failure (gv_formula_verdict). */
    fr->pass = fr->cmp.nfail == 0 && t.not_drawn < fr->trials;
    run->pass &= fr->pass || gv_formula_verdict(fr) == GV_FORMULA_NOT_DRAWN;
  }
  run->pass &= some_drawn(run); /* nothing checked: no vacuous pass for the run either */
  return GSL_SUCCESS;
}

/* Runs every control whose formula is selected into run->controls; a control
 * passes when its planted mistake is caught. */
static int run_controls(const gv_driver_options *o, const gv_suite *suite, gsl_rng *r, gsl_rng *rt,
                        gv_trial_memo *memo, gv_run *run)
{
  for (size_t i = 0; i < suite->n_controls; i++) {
    const gv_control *ctl = &suite->controls[i];
    const gv_formula *f = gv_suite_find(suite, ctl->formula_id);
    if (!f || !selected(o, f))
      continue;
    gv_control_result *cr = &run->controls[run->n_controls++];
    totals t;
    cr->control = ctl;
    int status = run_trials(o, f, ctl, r, rt, memo, &cr->cmp, &t);
    cr->heat = t.heat;
    cr->heat_trial = t.heat_trial;
    if (status)
      return status;
    cr->trials = t.ran;
    cr->caught_trials = t.failed;
    cr->taylor = t.taylor;
    cr->caught = cr->cmp.nfail > 0;
    run->pass &= cr->caught;
  }
  return GSL_SUCCESS;
}

/* Whether every id of o->only names one of the suite's formulas or controls. */
static int only_known(const gv_driver_options *o, const gv_suite *suite)
{
  for (size_t i = 0; o->only && i < o->n_only; i++)
    if (!gv_suite_knows(suite, o->only[i]))
      return 0;
  return 1;
}

int gv_driver_run(const gv_driver_options *o, gv_run *run)
{
  *run = (gv_run){.seed = o->seed,
                  .trials = o->trials,
                  .tol = o->tol,
                  .method = o->method,
                  .taylor = o->taylor,
                  .net_size = {o->net_size[0], o->net_size[1], o->net_size[2]}};
  if (!options_valid(o))
    return GSL_EINVAL;
  const gv_suite *suite = o->suite;
  if (!suite && !(suite = run->owned_suite = gv_suite_alloc_default()))
    return GSL_ENOMEM;
  if (!only_known(o, suite)) {
    gv_run_free(run);
    return GSL_EINVAL;
  }

  size_t nf = suite->n_formulas, nc = suite->n_controls;
  run->formulas = calloc(nf ? nf : 1, sizeof *run->formulas);
  run->controls = calloc(nc ? nc : 1, sizeof *run->controls);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937), *rt = gsl_rng_alloc(gsl_rng_mt19937);
  gv_trial_memo *memo = gv_trial_memo_alloc(GV_DRIVER_MEMO_BYTES);
  int status = GSL_ENOMEM;
  if (!run->formulas || !run->controls || !r || !rt || !memo)
    goto out;

  run->pass = 1;
  status = run_formulas(o, suite, r, rt, memo, run);
  if (!status)
    status = run_controls(o, suite, r, rt, memo, run);
out:
  gv_trial_memo_free(memo);
  gsl_rng_free(r);
  gsl_rng_free(rt);
  /* A failed run hands back nothing: the caller need not free it. */
  if (status)
    gv_run_free(run);
  return status;
}

void gv_run_free(gv_run *run)
{
  for (size_t i = 0; run->formulas && i < run->n_formulas; i++)
    gsl_matrix_free(run->formulas[i].heat);
  for (size_t i = 0; run->controls && i < run->n_controls; i++)
    gsl_matrix_free(run->controls[i].heat);
  free(run->formulas);
  free(run->controls);
  gv_suite_free(run->owned_suite);
  run->owned_suite = NULL;
  run->formulas = NULL;
  run->controls = NULL;
  run->n_formulas = run->n_controls = 0;
}

gv_formula_status gv_formula_verdict(const gv_formula_result *fr)
{
  if (fr->trials > 0 && fr->not_drawn == fr->trials)
    return GV_FORMULA_NOT_DRAWN;
  return fr->pass ? GV_FORMULA_PASS : GV_FORMULA_FAIL;
}

const char *gv_formula_status_name(gv_formula_status v)
{
  return v == GV_FORMULA_PASS ? "pass" : v == GV_FORMULA_FAIL ? "fail" : "not drawn";
}

gv_run_totals gv_run_count(const gv_run *run)
{
  gv_run_totals t = {0};
  for (size_t i = 0; i < run->n_formulas; i++) {
    t.passed += run->formulas[i].pass != 0;
    t.not_drawn += gv_formula_verdict(&run->formulas[i]) == GV_FORMULA_NOT_DRAWN;
    t.redraws += run->formulas[i].redraws;
    t.stopped_early += run->formulas[i].trials < run->trials;
  }
  for (size_t i = 0; i < run->n_controls; i++)
    t.caught += run->controls[i].caught != 0;
  return t;
}
