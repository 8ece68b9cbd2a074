/* gv_explain.c: worked examples at a size a reader can check by hand.
 *
 * A formula's example is one run of its own trial (gv_formula.h), the one
 * the driver runs, with every size set to EX_SIZE: the same draws, the same
 * analytic side and the same numeric side with the harness's step rule. The
 * trial copies its inputs and its pair for the reader (gv_trial_show); this
 * file only lays them out. Everything is computed before anything is
 * printed, so a failure prints nothing. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gv_compare.h"
#include "gv_explain.h"
#include "gv_formula.h"
#include "gv_trial.h"

#define EX_SIZE 3 /* every size of the example */
#define LINE 100  /* blocks side by side up to this width */
#define GAP 3     /* spaces between blocks */

/* Columns taken by UTF-8 text: one per character, not per byte (the labels
 * hold no wide characters). */
static size_t text_width(const char *s)
{
  size_t w = 0;
  for (; *s; s++)
    w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

typedef struct {
  const char *label;
  const gsl_matrix *m;
  int small; /* error-sized values: %9.2e rather than %10.6f */
} block;

static size_t matrix_width(const block *b)
{
  return 3 + b->m->size2 * (b->small ? 10 : 11); /* "[", " %10.6f" per column, " ]" */
}

static size_t block_width(const block *b)
{
  size_t w = matrix_width(b), lw = text_width(b->label);
  return lw > w ? lw : w;
}

static void pad(FILE *out, size_t n)
{
  fprintf(out, "%*s", (int)n, "");
}

/* Row r of block b, padded to its width unless it is the last. */
static void print_block_row(FILE *out, const block *b, size_t r, int last)
{
  size_t used = 0;
  if (r < b->m->size1) {
    fputc('[', out);
    for (size_t c = 0; c < b->m->size2; c++)
      fprintf(out, b->small ? " %9.2e" : " %10.6f", gsl_matrix_get(b->m, r, c));
    fputs(" ]", out);
    used = matrix_width(b);
  }
  if (!last)
    pad(out, block_width(b) - used + GAP);
}

/* Matrices side by side under their labels, each padded to its block. */
static void print_blocks(FILE *out, const block *b, size_t nb)
{
  size_t rows = 0;
  for (size_t i = 0; i < nb; i++) {
    fputs(b[i].label, out);
    if (i + 1 < nb)
      pad(out, block_width(&b[i]) - text_width(b[i].label) + GAP);
    rows = b[i].m->size1 > rows ? b[i].m->size1 : rows;
  }
  fputc('\n', out);
  for (size_t r = 0; r < rows; r++) {
    for (size_t i = 0; i < nb; i++)
      print_block_row(out, &b[i], r, i + 1 == nb);
    fputc('\n', out);
  }
}

/* The trial's inputs, as many side by side as fit in LINE columns. */
static void print_inputs(FILE *out, const gv_trial_show *s)
{
  block b[GV_TRIAL_SHOW_MAX];
  size_t nb = 0, width = 0;
  for (size_t k = 0; k < s->n; k++) {
    block bk = {s->label[k], s->in[k], 0};
    size_t w = block_width(&bk);
    if (nb > 0 && width + GAP + w > LINE) {
      print_blocks(out, b, nb);
      fputc('\n', out);
      nb = 0;
    }
    width = nb ? width + GAP + w : w;
    b[nb++] = bk;
  }
  if (nb)
    print_blocks(out, b, nb);
}

/* The derivative as the formula names it: all before its last " = " (the
 * right-hand side), or the whole formula. */
static void derivative_name(const char *formula, char *buf, size_t size)
{
  const char *end = NULL;
  for (const char *p = strstr(formula, " = "); p; p = strstr(p + 1, " = "))
    end = p;
  int len = end ? (int)(end - formula) : (int)strlen(formula);
  snprintf(buf, size, "%.*s", len, formula);
}

/* Per entry: |analytic - numeric|, its bound and their ratio, under tol. */
typedef struct {
  gsl_matrix *abs_err, *bound, *ratio;
  size_t passed, count;
  double worst; /* the largest ratio */
} ex_checks;

static void ex_checks_free(ex_checks *c)
{
  gsl_matrix_free(c->abs_err);
  gsl_matrix_free(c->bound);
  gsl_matrix_free(c->ratio);
}

static int ex_checks_compute(const gv_trial_pair *t, const gv_tol *tol, ex_checks *c)
{
  size_t rows = t->analytic->size1, cols = t->analytic->size2;
  *c = (ex_checks){.abs_err = gsl_matrix_alloc(rows, cols),
                   .bound = gsl_matrix_alloc(rows, cols),
                   .ratio = gsl_matrix_alloc(rows, cols),
                   .count = rows * cols};
  if (!c->abs_err || !c->bound || !c->ratio)
    return GSL_ENOMEM;
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < cols; j++) {
      double an = gsl_matrix_get(t->analytic, i, j), nu = gsl_matrix_get(t->numeric, i, j),
             er = gsl_matrix_get(t->err, i, j), q;
      c->passed += gv_cmp_entry_passes(an, nu, er, tol, &q) != 0;
      gsl_matrix_set(c->abs_err, i, j, fabs(an - nu));
      gsl_matrix_set(c->bound, i, j, gv_cmp_bound(an, nu, er, tol));
      gsl_matrix_set(c->ratio, i, j, q);
      c->worst = q > c->worst ? q : c->worst;
    }
  return GSL_SUCCESS;
}

static void print_header(FILE *out, const gv_formula *f, const gv_trial_info *info,
                         unsigned long seed)
{
  fprintf(out, "%s: %s\n", f->id, f->formula);
  fprintf(out, "why: %s\n", f->reason);
  fprintf(out, "example: the harness's trial with every size %d, drawn with seed %lu", EX_SIZE,
          seed);
  if (info->redraws)
    fprintf(out, " (%zu redraws away from the ReLU kinks)", info->redraws);
  fprintf(out, "\n  (the harness draws %s)\n\n", f->draw);
}

static int print_example(FILE *out, const gv_formula *f, const gv_trial_info *info,
                         const gv_trial_show *s, const ex_checks *c, unsigned long seed)
{
  const gv_tol tol = {GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR};
  print_header(out, f, info, seed);
  print_inputs(out, s);
  fputc('\n', out);
  char what[96], analytic[128];
  derivative_name(f->formula, what, sizeof what);
  snprintf(analytic, sizeof analytic, "analytic %s", what);
  const block sides[] = {{analytic, s->pair.analytic, 0},
                         {"numeric (central differences)", s->pair.numeric, 0},
                         {"|analytic − numeric|", c->abs_err, 1}};
  print_blocks(out, sides, 3);
  fprintf(out,
          "\ntolerance: an entry passes iff |analytic − numeric| ≤ atol + rtol·max(|analytic|, "
          "|numeric|) + kerr·e,\n  with atol = %g, rtol = %g, kerr = %g and e the error bar of "
          "the numeric side\n\n",
          tol.atol, tol.rtol, tol.kerr);
  const block checks[] = {{"error bar e", s->pair.err, 1},
                          {"bound", c->bound, 1},
                          {"|analytic − numeric| / bound", c->ratio, 1}};
  print_blocks(out, checks, 3);
  fprintf(out, "\n%s: %zu of %zu entries within tolerance; the worst error is %.3g of its bound\n",
          c->passed == c->count ? "PASS" : "FAIL", c->passed, c->count, c->worst);
  return ferror(out) ? GSL_EFAILED : GSL_SUCCESS;
}

int gv_explain_list(FILE *out)
{
  size_t n;
  const gv_formula *f = gv_formula_list(&n);
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%-24s %s\n", f[i].id, f[i].formula);
  return ferror(out) ? GSL_EFAILED : GSL_SUCCESS;
}

/* One run of f's trial at EX_SIZE, central differences, its inputs and pair in *s. */
static int run_trial(const gv_formula *f, unsigned long seed, gv_trial_info *info, gv_trial_show *s)
{
  const gv_tol tol = {GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR};
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gv_cmp cmp;
  if (!r)
    return GSL_ENOMEM;
  gsl_rng_set(r, seed);
  gv_cmp_init(&cmp);
  *info = (gv_trial_info){.method = GV_METHOD_CENTRAL,
                          .step_min = NAN,
                          .step_max = NAN,
                          .net_size = {EX_SIZE, EX_SIZE, EX_SIZE},
                          .size = EX_SIZE,
                          .show = s};
  int status = f->trial(r, GV_RIGHT, &tol, &cmp, info);
  gsl_rng_free(r);
  if (!status)
    status = s->status ? s->status : s->pair.analytic ? GSL_SUCCESS : GSL_EFAILED;
  return status;
}

int gv_explain_print(FILE *out, const char *id, unsigned long seed)
{
  const gv_formula *f = id ? gv_formula_find(id) : NULL;
  if (!f)
    return GSL_EINVAL;
  const gv_tol tol = {GV_TOL_DEFAULT_ATOL, GV_TOL_DEFAULT_RTOL, GV_TOL_DEFAULT_KERR};
  gv_trial_show s = {0};
  gv_trial_info info;
  ex_checks c = {0};
  int status = run_trial(f, seed, &info, &s);
  if (!status)
    status = ex_checks_compute(&s.pair, &tol, &c);
  if (!status)
    status = print_example(out, f, &info, &s, &c, seed);
  ex_checks_free(&c);
  gv_trial_show_free(&s);
  return status;
}
