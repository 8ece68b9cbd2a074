/* gv_layer_run.h: run your own layers (gv_layer.h) through gradverify's
 * randomized driver and get its reports, as `gradverify` does for the
 * built-in catalogue. Installed with gradverify.h; in libgradverify.
 *
 *   const gv_layer *mine[] = {&swish};
 *   gv_layer_run_options o;
 *   gv_layer_run_options_init(&o);
 *   o.out_dir = "reports";
 *   int passed;
 *   int status = gv_layer_run(mine, 1, &o, &passed);
 *
 * Each differentiable input k of each layer is a formula "NAME.dINPUT",
 * checked over o.trials random draws of the layer's sampler (required):
 * backward's gradient of L = <G, forward> (G uniform in [-1, 1]) against
 * the numeric derivative by o.method (GV_METHOD_CSTEP uses the layer's
 * forward_complex where it has one, Ridders elsewhere), entry by entry with
 * the tolerance |analytic - numeric| <= atol + rtol max(|analytic|,
 * |numeric|) + kerr e, plus the Taylor test. The reports (gradient-report.
 * {md,json,html} and junit.xml in o.out_dir) name each failing formula's
 * worst entry as (trial, row, column). */
#ifndef GV_LAYER_RUN_H
#define GV_LAYER_RUN_H

#include <stddef.h>

#include "gradverify_vocab.h"
#include "gv_layer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  unsigned long seed;      /* every draw; default 20240515 */
  size_t trials;           /* per formula, at least 1; default 200 */
  gv_method method;        /* default GV_METHOD_CENTRAL */
  double atol, rtol, kerr; /* negative (the default): the method's own */
  const char *out_dir;     /* directory for the reports (created if absent, its parent must
                              exist); NULL: no reports */
} gv_layer_run_options;

/* Fills o with the defaults above. */
void gv_layer_run_options_init(gv_layer_run_options *o);

/* Runs layers[0 .. n) (n >= 1; NULL opts: the defaults) and writes the
 * reports. *passed (if not NULL) is 1 when every formula passed or was
 * not drawn (an input the sampler marked absent in every trial: nothing
 * checked), at least one formula was drawn, and every control was caught;
 * 0 if not.
 * Returns GSL_SUCCESS when the run completed and the reports were written,
 * whatever the verdict; GSL_EFAULT for NULL layers or layers[i]; GSL_EINVAL
 * for a layer without name, forward, backward or sampler, n_inputs 0 or
 * above GV_LAYER_MAX_INPUTS, no differentiable input, two layers of one
 * name, or invalid options; GSL_EFAILED when a report could not be written;
 * GSL_ENOMEM; or a status a layer's callback returned. The reports are
 * written as one set (all old or all new, gv_report_set.h) without touching
 * process-wide state: no umask() call (modes are 0666/0777 less the umask,
 * applied by open and mkdir), SIGINT/SIGTERM/SIGHUP held with
 * pthread_sigmask in the calling thread only while the set is switched in;
 * runs into one out_dir take turns (flock). Calls from several threads at
 * once are not tested as a whole: not promised. */
int gv_layer_run(const gv_layer *const layers[], size_t n, const gv_layer_run_options *opts,
                 int *passed);

#ifdef __cplusplus
}
#endif

#endif
