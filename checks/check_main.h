/* check_main.h: every Check executable has the same main (check_main.c); each
 * suite file provides the suite it runs. */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <stddef.h>

#include <check.h>

/* Defined once per test executable. */
Suite *gv_test_suite(void);

/* The GSL error handler every suite runs under (check_main.c): it counts its
 * calls and fails the running test with GSL's reason, file and line. A test
 * that replaces the handler restores this one. */
void gv_check_handler(const char *reason, const char *file, int line, int gsl_errno);

/* Calls of gv_check_handler in this process so far (in fork mode, this
 * test's process). */
unsigned long gv_check_handler_calls(void);

/* The random trials a suite runs where it asks for n: n, or at most
 * GV_CHECK_TRIALS when that is set to a positive count. Only
 * `meson test --setup valgrind` sets it (checks/meson.build): under memcheck,
 * where each trial costs ~100 times as much, fewer trials take every path of
 * the code. The plain suite runs every trial it names. */
size_t gv_check_trials(size_t n);

#endif
