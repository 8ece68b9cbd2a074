/* gv_cli.h: the gradverify command line, as a function so that tests can run
 * it without a process of their own.
 *
 *   gradverify [--seed N] [--trials N] [--out DIR] [--only ID[,ID...]]
 *              [--method central|ridders|cstep] [--atol X] [--rtol X] [--kerr X] [--quiet]
 *   gradverify --list | --help | --version
 *   gradverify explain ID [--seed N] | explain --list
 *
 * The reports go to DIR as one set (gv_report_set.h). Output to out that
 * cannot be written (a full disk, a closed descriptor) is an error.
 * Exit status: 0 when every selected formula passes and every control of
 * those formulas is caught, 1 when one does not, 2 on bad usage or a system
 * error, with one line on err naming the bad input. */
#ifndef GV_CLI_H
#define GV_CLI_H

#include <stdio.h>

#define GV_EXIT_PASS 0
#define GV_EXIT_FAIL 1
#define GV_EXIT_USAGE 2

/* Runs the command line argv[0..argc-1]; the summary goes to out, errors to
 * err. Reentrant across calls (it resets getopt's state). */
int gv_cli_main(int argc, char **argv, FILE *out, FILE *err);

/* The command line's arguments alone, as gv_cli_main reads them, without a
 * run: the exit status gv_cli_main would return for bad usage (its one line
 * on err), --help, --version, --list or explain (their output on out), or -1
 * when it would start a run. For the argument-parser fuzz target. */
int gv_cli_check_args(int argc, char **argv, FILE *out, FILE *err);

#endif
