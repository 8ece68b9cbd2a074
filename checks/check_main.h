/* check_main.h: every Check executable has the same main (check_main.c); each
 * suite file provides the suite it runs. */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <check.h>

/* Defined once per test executable. */
Suite *gv_test_suite(void);

#endif
