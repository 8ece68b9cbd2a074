/* gv_report_set.h: every report of a run into one directory: JSON, Markdown,
 * JUnit and HTML (gv_report.h, gv_report_junit.h, gv_report_html.h). */
#ifndef GV_REPORT_SET_H
#define GV_REPORT_SET_H

#include "gv_driver.h"

/* Creates dir if it does not exist (the parent must), then writes the four
 * files, each whole or not at all. *plots_skipped as gv_report_write_html.
 * Returns GSL_SUCCESS; GSL_EFAILED with the errno value in *err_no and the
 * file (or directory) that failed in *failed; GSL_ENOMEM. */
int gv_report_write_set(const gv_run *run, const char *dir, int *plots_skipped, int *err_no,
                        const char **failed);

#endif
