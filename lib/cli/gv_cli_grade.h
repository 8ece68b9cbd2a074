/* gv_cli_grade.h: `gradverify grade FILE... [-j N] [--out DIR] [--seed S]
 * [--points FILE] [--quiet]`: grade submissions of the assignment
 * (gradverify/assignment.h), write per-student reports, the gradebook and
 * JUnit into DIR (default "grades"), one summary line per student on out.
 *
 * Exit status: 0 when every student has every point, 1 when not, 2 on bad
 * usage or when the grader itself cannot work (one line on err). */
#ifndef GV_CLI_GRADE_H
#define GV_CLI_GRADE_H

#include <stdio.h>

/* argv[0] is "grade". */
int gv_cli_grade_main(int argc, char **argv, FILE *out, FILE *err);

#endif
