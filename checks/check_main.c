/* check_main.c: runs one suite. Output goes where the CK_* environment says:
 * meson sets CK_TAP_LOG_FILE_NAME=- so that every case shows as a TAP line.
 *
 * GSL's error handler stays on: every suite runs under gv_check_handler, which
 * counts its calls and fails the running test with GSL's reason, file and line.
 * A handler that is off would hide out-of-range gsl_vector_get/set calls (they
 * report through the handler and return 0), and a library that must not call
 * the handler could call it unnoticed. Tests that provoke an error on purpose
 * get it as a status code from a function that returns one. */
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"

static unsigned long handler_calls;

unsigned long gv_check_handler_calls(void)
{
  return handler_calls;
}

void gv_check_handler(const char *reason, const char *file, int line, int gsl_errno)
{
  handler_calls++;
  ck_abort_msg("GSL error handler called: %s (%s:%d, %s)", reason, file, line,
               gsl_strerror(gsl_errno));
}

size_t gv_check_trials(size_t n)
{
  const char *cap = getenv("GV_CHECK_TRIALS");
  char *end;
  unsigned long c = cap ? strtoul(cap, &end, 10) : 0;
  return cap && *cap && !*end && c > 0 && c < n ? (size_t)c : n;
}

int main(void)
{
  gsl_set_error_handler(gv_check_handler);
  SRunner *sr = srunner_create(gv_test_suite());
  srunner_run_all(sr, CK_ENV);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 && handler_calls == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
