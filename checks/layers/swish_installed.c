/* swish_installed.c: a layer written outside the project, built against the
 * installed headers alone (checks/install/installed.sh): the README's swish
 * layer (example_layer.c) and a deliberately wrong version of it, each
 * checked through the public API (gv_check_layer) and through the driver
 * with reports (gv_layer_run). The right one passes; the wrong one fails,
 * and its reports name the failing formula and its worst entry.
 * Usage: swish_installed DIR (a directory for the reports). */
#define main readme_example_main
#include "example_layer.c"
#undef main

#include <string.h>

/* The classic slip: the product rule half done, dX = dout ⊙ σ(X). */
static int wrong_backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                          gsl_matrix *const grad[])
{
  (void)params;
  for (size_t i = 0; i < dout->size1; i++)
    for (size_t j = 0; j < dout->size2; j++)
      gsl_matrix_set(grad[0], i, j,
                     gsl_matrix_get(dout, i, j) * sigmoid(gsl_matrix_get(in[0], i, j)));
  return GSL_SUCCESS;
}

#define DRAWS 20

/* How many of DRAWS random points layer l fails at, through gv_check_layer. */
static int failures(const gv_layer *l)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gv_outcome *out = gv_outcome_alloc();
  int n = 0;
  for (int t = 0; t < DRAWS; t++) {
    gsl_matrix *in[1] = {NULL};
    gv_layer_draw d;
    if (l->sample(r, l->params, in, &d) ||
        gv_check_layer(l, (const gsl_matrix *const *)in, 0, NULL, NULL, out))
      n = -1000;
    n += gv_outcome_verdict(out) == GV_FAIL;
    gsl_matrix_free(in[0]);
  }
  gv_outcome_free(out);
  gsl_rng_free(r);
  return n;
}

/* The whole file dir/name, or NULL. */
static char *slurp(const char *dir, const char *name)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  char *s = f ? calloc(1, 1 << 22) : NULL;
  if (s)
    s[fread(s, 1, (1 << 22) - 1, f)] = '\0';
  if (f)
    fclose(f);
  return s;
}

static int check(int cond, const char *what)
{
  printf("%s - %s\n", cond ? "ok" : "not ok", what);
  return cond;
}

int main(int argc, char **argv)
{
  gsl_set_error_handler(fail_on_gsl_error);
  if (argc < 2)
    return 2;
  gv_layer wrong = swish;
  wrong.name = "swish_wrong";
  wrong.backward = wrong_backward;
  int ok = check(failures(&swish) == 0, "gv_check_layer: swish passes at every draw");
  ok &= check(failures(&wrong) == DRAWS, "gv_check_layer: swish_wrong fails at every draw");

  const gv_layer *right[] = {&swish}, *bad[] = {&wrong};
  gv_layer_run_options o;
  gv_layer_run_options_init(&o);
  o.trials = 50;
  int passed = -1;
  ok &= check(gv_layer_run(right, 1, &o, &passed) == GSL_SUCCESS && passed == 1,
              "gv_layer_run: swish passes 50 draws");
  o.out_dir = argv[1];
  o.method = GV_METHOD_RIDDERS;
  ok &= check(gv_layer_run(bad, 1, &o, &passed) == GSL_SUCCESS && passed == 0,
              "gv_layer_run: swish_wrong fails under Ridders");
  char *md = slurp(argv[1], "gradient-report.md"), *json = slurp(argv[1], "gradient-report.json"),
       *junit = slurp(argv[1], "junit.xml");
  ok &= check(md && strstr(md, "swish_wrong.dX") && strstr(md, "FAIL"),
              "the Markdown report names swish_wrong.dX and says FAIL");
  ok &= check(json && strstr(json, "\"swish_wrong.dX\"") && strstr(json, "\"worst\"") &&
                  strstr(json, "\"row\""),
              "the JSON report names the formula and its worst entry (trial, row, col)");
  ok &= check(junit && strstr(junit, "swish_wrong.dX") && strstr(junit, "<failure"),
              "the JUnit report has the formula's failure");
  free(md);
  free(json);
  free(junit);
  return ok ? 0 : 1;
}
