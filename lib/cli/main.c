/* gradverify.c: the program. Everything but the error handler lives in gv_cli.c. */
#include <stdio.h>

#include <gsl/gsl_errno.h>

#include "gv_cli.h"

int main(int argc, char **argv)
{
  /* GSL's default handler aborts; every status is checked instead. */
  gsl_set_error_handler_off();
  return gv_cli_main(argc, argv, stdout, stderr);
}
