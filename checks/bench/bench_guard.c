/* bench_guard.c: see bench_guard.h. */
#include "bench_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

static unsigned long guard_calls;

static void guard_handler(const char *reason, const char *file, int line, int gsl_errno)
{
  guard_calls++;
  fprintf(stderr, "bench: GSL error handler called: %s:%d: %s (%s)\n", file, line, reason,
          gsl_strerror(gsl_errno));
}

/* At exit: the measurements printed are not to be trusted after a call. */
static void guard_check(void)
{
  if (guard_calls) {
    fprintf(stderr, "bench: %lu call(s) of GSL's error handler; the figures above are void\n",
            guard_calls);
    fflush(NULL);
    _exit(3);
  }
}

void bench_guard_install(void)
{
  gsl_set_error_handler(guard_handler);
  atexit(guard_check);
}
