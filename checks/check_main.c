/* check_main.c: runs one suite. Output goes where the CK_* environment says:
 * meson sets CK_TAP_LOG_FILE_NAME=- so that every case shows as a TAP line. */
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "check_main.h"

int main(void)
{
  /* Tests provoke errors on purpose: they must come back as status codes. */
  gsl_set_error_handler_off();
  SRunner *sr = srunner_create(gv_test_suite());
  srunner_run_all(sr, CK_ENV);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
