/* gv_report_junit.h: the gradient report as JUnit XML, for CI systems that
 * show test results (GitLab, Jenkins, GitHub actions with a JUnit reporter).
 *
 * One <testsuites> holding two suites: "formulas", one <testcase
 * classname="gradverify.formulas" name="ID"> per formula, failing with type
 * "gradient_mismatch" and a message naming the worst entry; and "controls",
 * one testcase per negative control, failing with type "missed_control" when
 * the planted mistake passed. Each suite carries the run's seed, trials and
 * tolerances as <properties>. Numbers are printed with %.17g, so that a seed
 * reproduces the file byte for byte; every string is XML-escaped. */
#ifndef GV_REPORT_JUNIT_H
#define GV_REPORT_JUNIT_H

#include "gv_driver.h"

/* The conventional file name inside the output directory. */
#define GV_REPORT_JUNIT "junit.xml"

/* Writes the JUnit report of run to path, whole or not at all (gv_file.h).
 * Returns GSL_SUCCESS, or GSL_EFAILED with the errno value in *err_no. */
int gv_report_write_junit(const gv_run *run, const char *path, int *err_no);

#endif
