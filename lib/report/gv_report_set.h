/* gv_report_set.h: the report files of a directory, replaced as one set.
 *
 * In DIR, each report name (gradient-report.json, ...) is a symbolic link to
 * .gradverify/current/NAME, and .gradverify/current is a symbolic link to one
 * complete set, .gradverify/set.PID-N. A new set is written into a fresh
 * set.PID-N beside it (same filesystem), synced, and switched in by renaming
 * a new `current` link over the old one, the last step: whenever the writer
 * stops (killed, disk full), DIR shows the complete old set or the complete
 * new one, never a mix. The previous set is removed after the switch; what a
 * killed run leaves in .gradverify (sets, links, temporary files) is removed
 * by the next gv_report_set_begin. Runs on the same DIR take turns (flock on
 * .gradverify/lock), threads of one process too. Directories and files get
 * the modes the umask allows, applied by mkdir(2) and open(2): nothing reads
 * or changes the process's umask.
 *
 * Thread-safe: sets may be written by several threads at once (into one DIR
 * they take turns). SIGINT, SIGTERM and SIGHUP are held (pthread_sigmask, the
 * calling thread only) while a set changes hands. gv_report_set_abort_on_signal
 * removes the stage of one set in progress: the first begun while no other
 * was armed (the CLI writes one at a time); stages it misses are removed by
 * the next run's sweep. It must run in the thread writing that set: a signal
 * sent to the process goes to any thread that does not block it, and one
 * handled elsewhere meanwhile finds the set half changed (a handler passes it
 * on with pthread_kill, as the CLI does).
 *
 * Errors are GSL_EFAILED with the errno value in *err_no and, in *what, the
 * step that failed ("create", "lock", "stage", "switch" ...), or GSL_ENOMEM.
 * Nothing calls the GSL error handler. */
#ifndef GV_REPORT_SET_H
#define GV_REPORT_SET_H

#include <stddef.h>

#include "gv_driver.h"

typedef struct gv_report_set gv_report_set;

/* The whole job: the four reports of run (gv_report.h) into dir as one set,
 * begin to commit. *plots_skipped as gv_report_write_html. On failure,
 * *failed is the report whose writing failed (GV_REPORT_JSON, ...) or the
 * step that did (as *what above), with the errno value in *err_no. */
int gv_report_write_set(const gv_run *run, const char *dir, int *plots_skipped, int *err_no,
                        const char **failed);

/* Creates DIR and DIR/.gradverify when missing, takes the lock, removes the
 * leftovers of earlier runs and creates the staging directory. */
int gv_report_set_begin(const char *dir, gv_report_set **set, int *err_no, const char **what);

/* The staging directory, where the caller writes the files of `names`. */
const char *gv_report_set_stage(const gv_report_set *set);

/* Syncs the staging directory and switches it in as the current set, with
 * DIR/NAME a link to .gradverify/current/NAME for each of the n names (a
 * regular file of that name, from a version that wrote no sets, becomes part
 * of the old set first). Then frees set (whatever the status). */
int gv_report_set_commit(gv_report_set *set, const char *const *names, size_t n, int *err_no,
                         const char **what);

/* Removes the staging directory and everything in it, and frees set; NULL is
 * a no-op. */
void gv_report_set_abort(gv_report_set *set);

/* Removes the staging directory of the set in progress, if any, for a
 * signal handler: async-signal-safe, frees nothing. */
void gv_report_set_abort_on_signal(void);

#endif
