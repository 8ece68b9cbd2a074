/* gv_grade_report.h: the reports of a graded class, written into one folder.
 *
 * Per student NAME: NAME.json, NAME.md, NAME.html (per function: verdict,
 * points, what happened, the diagnosis, the worst entries, a heat map of
 * error / tolerance, and what the function printed). For the class:
 * gradebook.csv and gradebook.json (one row per student, one column per
 * function: the points), junit.xml (a test case per student and function).
 * Every file carries the seed. Each file is written whole or not at all
 * (gv_file_write_atomic), and only inside dir. Text is written with control
 * characters (but newline and tab) and invalid UTF-8 replaced by '?'. */
#ifndef GV_GRADE_REPORT_H
#define GV_GRADE_REPORT_H

#include <stddef.h>

#include "gv_grade.h"

typedef struct {
  unsigned long seed;
  size_t n;
  char **names; /* each student's report name: letters, digits, '.', '-', '_' only */
  const gv_student *students;
} gv_class;

/* Writes every report of c into dir (which exists). Returns GSL_SUCCESS, or
 * GSL_EFAILED with *failed the file's name (static or one of c's names) and
 * *err_no its errno (0 when out of memory). */
int gv_grade_write_reports(const gv_class *c, const char *dir, const char **failed, int *err_no);

/* A report name for a submission path: its base name without the extension,
 * with any other character replaced by '_'; malloc'ed, NULL when out of memory. */
char *gv_grade_report_name(const char *path);

#endif
