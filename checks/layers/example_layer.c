/* example_layer.c: the README's "Check your own layer", built against the
 * installed headers and run by `meson test` (a test also checks that the
 * README's copy matches). A swish layer, out = X ⊙ σ(X): one point checked
 * entry by entry, then 200 random draws through the driver, with reports. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "gradverify.h"
#include "gv_layer_run.h"

static double sigmoid(double x)
{
  return 1.0 / (1.0 + exp(-x));
}

static int swish_forward(const gsl_matrix *const in[], void *params, gsl_matrix *out)
{
  (void)params;
  for (size_t i = 0; i < out->size1; i++)
    for (size_t j = 0; j < out->size2; j++) {
      double x = gsl_matrix_get(in[0], i, j);
      gsl_matrix_set(out, i, j, x * sigmoid(x));
    }
  return GSL_SUCCESS;
}

/* dX = dout ⊙ (σ(X) + X σ(X)(1 − σ(X))) */
static int swish_backward(const gsl_matrix *const in[], const gsl_matrix *dout, void *params,
                          gsl_matrix *const grad[])
{
  (void)params;
  for (size_t i = 0; i < dout->size1; i++)
    for (size_t j = 0; j < dout->size2; j++) {
      double x = gsl_matrix_get(in[0], i, j), s = sigmoid(x);
      gsl_matrix_set(grad[0], i, j, gsl_matrix_get(dout, i, j) * (s + x * s * (1.0 - s)));
    }
  return GSL_SUCCESS;
}

/* X: 1 to 8 examples of 1 to 10 features, uniform in [-5, 5]. */
static int swish_sample(gsl_rng *r, void *params, gsl_matrix *in[], gv_layer_draw *draw)
{
  (void)params;
  size_t n = 1 + gsl_rng_uniform_int(r, 8), d = 1 + gsl_rng_uniform_int(r, 10);
  if (!(in[0] = gsl_matrix_alloc(n, d)))
    return GSL_ENOMEM;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++)
      gsl_matrix_set(in[0], i, j, 10.0 * gsl_rng_uniform(r) - 5.0);
  *draw = (gv_layer_draw){0};
  return GSL_SUCCESS;
}

static const gv_layer_input swish_inputs[] = {{"X", 1, "dX = dout ⊙ (σ + Xσ(1 − σ))"}};

const gv_layer swish = {.name = "swish",
                        .formula = "out = X ⊙ σ(X)",
                        .n_inputs = 1,
                        .inputs = swish_inputs,
                        .forward = swish_forward,
                        .backward = swish_backward,
                        .sample = swish_sample};

/* A GSL error reaching its handler is a bug here (a wrong size, an index out
 * of range): report it and fail, rather than switch the handler off. */
static void fail_on_gsl_error(const char *reason, const char *file, int line, int gsl_errno)
{
  fprintf(stderr, "GSL error %d at %s:%d: %s\n", gsl_errno, file, line, reason);
  exit(EXIT_FAILURE);
}

int main(int argc, char **argv)
{
  gsl_set_error_handler(fail_on_gsl_error);
  /* One point: every entry of dX against the numeric gradient of <G, out>. */
  gsl_matrix *X = gsl_matrix_alloc(2, 3);
  gv_outcome *out = gv_outcome_alloc();
  if (!X || !out)
    return EXIT_FAILURE;
  for (size_t k = 0; k < 6; k++)
    X->data[k] = 0.7 * (double)k - 1.9;
  const gsl_matrix *in[] = {X};
  int status = gv_check_layer(&swish, in, 0, NULL, NULL, out); /* NULL: random G, defaults */
  if (!status)
    gv_outcome_fprintf(stdout, out);
  int ok = status == GSL_SUCCESS && gv_outcome_verdict(out) == GV_PASS;

  /* 200 random draws through the driver; reports in the directory argv[1]. */
  const gv_layer *layers[] = {&swish};
  gv_layer_run_options opts;
  gv_layer_run_options_init(&opts);
  opts.out_dir = argc > 1 ? argv[1] : "swish-report";
  int passed = 0;
  status = gv_layer_run(layers, 1, &opts, &passed);
  if (status)
    fprintf(stderr, "the run could not complete: %s\n", gsl_strerror(status));
  printf("swish over %zu draws: %s (reports in %s)\n", opts.trials, passed ? "pass" : "FAIL",
         opts.out_dir);

  gv_outcome_free(out);
  gsl_matrix_free(X);
  return ok && status == GSL_SUCCESS && passed ? EXIT_SUCCESS : EXIT_FAILURE;
}
