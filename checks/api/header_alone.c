/* header_alone.c: gradverify.h compiles on its own, with -pedantic -Werror. */
#include "gradverify.h"

gv_verdict gv_header_alone(void);

gv_verdict gv_header_alone(void)
{
  return GV_PASS;
}
