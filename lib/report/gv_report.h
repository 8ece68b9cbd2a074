/* gv_report.h: the gradient report, for machines (JSON) and for people
 * (Markdown), from the plain results of a driver run (gv_driver.h). The
 * writers know nothing of how the results were computed.
 *
 * Each file is written whole or not at all (gv_file.h). Functions return
 * GSL_SUCCESS, GSL_ENOMEM, or GSL_EFAILED with the errno value in *err_no. */
#ifndef GV_REPORT_H
#define GV_REPORT_H

#include <jansson.h>

#include "gv_driver.h"

/* The report's file names inside the output directory. */
#define GV_REPORT_JSON "gradient-report.json"
#define GV_REPORT_MD "gradient-report.md"

/* The tolerance rule, in words, as the reports state it. */
extern const char gv_report_rule[];
/* How a method computes the numeric side and its error bar, in words. */
const char *gv_report_method_text(gv_method m);

/* The run as a JSON object (fields documented in reports/README.md); the
 * caller owns the reference. NULL when out of memory. */
json_t *gv_report_json(const gv_run *run);

/* Writes the JSON report to path. */
int gv_report_write_json(const gv_run *run, const char *path, int *err_no);

/* Writes the Markdown report to path. */
int gv_report_write_md(const gv_run *run, const char *path, int *err_no);

#endif
