/* gv_layer_run.c: user layers through the driver (gv_driver.h) and the
 * report writers (gv_report_set.h). */
#include "gv_layer_run.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "gv_driver.h"
#include "gv_report_set.h"
#include "gv_suite.h"

void gv_layer_run_options_init(gv_layer_run_options *o)
{
  *o = (gv_layer_run_options){.seed = GV_DRIVER_DEFAULT_SEED,
                              .trials = GV_DRIVER_DEFAULT_TRIALS,
                              .method = GV_METHOD_CENTRAL,
                              .atol = -1.0,
                              .rtol = -1.0,
                              .kerr = -1.0};
}

/* The driver's options from the user's: the method's tolerance where the
 * user left a negative value. */
static int driver_options(const gv_layer_run_options *u, gv_driver_options *o)
{
  gv_driver_options_init(o);
  if (u->trials == 0 || !isfinite(u->atol) || !isfinite(u->rtol) || !isfinite(u->kerr) ||
      (u->method != GV_METHOD_CENTRAL && u->method != GV_METHOD_RIDDERS &&
       u->method != GV_METHOD_CSTEP))
    return GSL_EINVAL;
  o->seed = u->seed;
  o->trials = u->trials;
  o->method = u->method;
  gv_driver_default_tol(u->method, &o->tol);
  if (u->atol >= 0.0)
    o->tol.atol = u->atol;
  if (u->rtol >= 0.0)
    o->tol.rtol = u->rtol;
  if (u->kerr >= 0.0)
    o->tol.kerr = u->kerr;
  return GSL_SUCCESS;
}

static int layers_valid(const gv_layer *const layers[], size_t n)
{
  if (!layers)
    return GSL_EFAULT;
  for (size_t i = 0; i < n; i++) {
    if (!layers[i])
      return GSL_EFAULT;
    if (!layers[i]->name)
      return GSL_EINVAL;
    size_t diff = 0;
    for (size_t k = 0; layers[i]->inputs && k < layers[i]->n_inputs; k++)
      diff += layers[i]->inputs[k].differentiable != 0;
    if (diff == 0)
      return GSL_EINVAL;
    for (size_t j = 0; j < i; j++)
      if (strcmp(layers[i]->name, layers[j]->name) == 0)
        return GSL_EINVAL;
  }
  return n ? GSL_SUCCESS : GSL_EINVAL;
}

int gv_layer_run(const gv_layer *const layers[], size_t n, const gv_layer_run_options *opts,
                 int *passed)
{
  gv_layer_run_options u;
  if (!opts)
    gv_layer_run_options_init(&u);
  gv_driver_options o;
  int status = layers_valid(layers, n);
  if (!status)
    status = driver_options(opts ? opts : &u, &o);
  if (status)
    return status;
  gv_suite_spec spec = {.layers = layers, .n_layers = n};
  gv_suite *suite = gv_suite_alloc(&spec);
  if (!suite)
    return GSL_EINVAL; /* an invalid layer (or no memory) */
  o.suite = suite;
  gv_run run;
  status = gv_driver_run(&o, &run);
  const char *dir = opts ? opts->out_dir : NULL;
  if (!status && dir) {
    int plots_skipped = 0, err_no = 0;
    const char *failed;
    status = gv_report_write_set(&run, dir, &plots_skipped, &err_no, &failed);
  }
  if (!status && passed)
    *passed = run.pass;
  gv_run_free(&run);
  gv_suite_free(suite);
  return status;
}
