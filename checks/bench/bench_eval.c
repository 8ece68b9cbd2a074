/* bench_eval.c: the cost of one evaluation of the library's own network loss
 * at 784-128-10 (101,770 parameters), in CPU microseconds (clock_gettime's
 * CLOCK_PROCESS_CPUTIME_ID, so other processes on a shared machine do not
 * count): the forward pass (gv_net_forward: two gsl_blas_dgemv, softmax,
 * cross-entropy) and the packed loss a black-box check evaluates
 * (gv_net_unpack + gv_net_forward). `meson test --benchmark eval -v`; the
 * build's CBLAS and range checks are printed with the numbers. Asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "gv_net.h"
#include "gv_net_pack.h"
#include "bench_guard.h"

static double cpu_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void)
{
  bench_guard_install();
  const size_t D = 784, H = 128, K = 10, reps = 2000;
  gv_net *net = gv_net_alloc(D, H, K);
  gv_net_state *s = net ? gv_net_state_alloc(net) : NULL;
  gsl_vector *x = gsl_vector_alloc(D), *y = gsl_vector_calloc(K);
  gsl_vector *theta = net ? gsl_vector_alloc(gv_net_pack_size(net)) : NULL;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!s || !x || !y || !theta || !r)
    return EXIT_FAILURE;
  for (size_t i = 0; i < theta->size; i++)
    gsl_vector_set(theta, i, 0.05 * (gsl_rng_uniform(r) - 0.5));
  for (size_t i = 0; i < D; i++)
    gsl_vector_set(x, i, gsl_rng_uniform(r));
  gsl_vector_set(y, 3, 1.0);
  int status = gv_net_unpack(theta, net);
  double sum = 0.0, t0 = cpu_seconds();
  for (size_t k = 0; k < reps && !status; k++, sum += s->loss)
    status = gv_net_forward(net, x, y, s);
  double t1 = cpu_seconds();
  for (size_t k = 0; k < reps && !status; k++, sum += s->loss) {
    status = gv_net_unpack(theta, net);
    if (!status)
      status = gv_net_forward(net, x, y, s);
  }
  double t2 = cpu_seconds();
  printf("| evaluation at 784-128-10 | CPU us |\n|---|---|\n");
  printf("| gv_net_forward | %.1f |\n| gv_net_unpack + gv_net_forward | %.1f |\n",
         (t1 - t0) / (double)reps * 1e6, (t2 - t1) / (double)reps * 1e6);
  printf("\nCBLAS %s, GSL range checks %s (checksum %.6g)\n", GV_BENCH_BLAS,
#ifdef GSL_RANGE_CHECK_OFF
         "off",
#else
         "on",
#endif
         sum);
  gv_net_free(net);
  gv_net_state_free(s);
  gsl_vector_free(x);
  gsl_vector_free(y);
  gsl_vector_free(theta);
  gsl_rng_free(r);
  return status ? EXIT_FAILURE : EXIT_SUCCESS;
}
