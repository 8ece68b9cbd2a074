/* gv_report_set.c: a set of report files switched in by one rename. */
#define _GNU_SOURCE /* getdents64: the tree removal must be async-signal-safe */
#include "gv_report_set.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "gv_file.h"
#include "gv_report.h"

#define GV_SET_DIR ".gradverify"
#define GV_SET_CURRENT "current"
#define GV_SET_NEW_LINK "current.new"
#define GV_SET_PREFIX "set"

struct gv_report_set {
  int dir_fd, set_fd, lock_fd; /* DIR, DIR/.gradverify, its lock */
  char *stage;                 /* DIR/.gradverify/set.PID-N */
  const char *stage_name;      /* set.PID-N, inside stage */
  int armed;                   /* this set is the signal handler's */
};

/* For the signal handler: the set directory and the stage's name of one set
 * in progress. signal_state is SIGNAL_FREE, SIGNAL_FILLING (a set is filling
 * in the two below) or SIGNAL_ARMED; the first set begun while it is free
 * claims it by a compare-and-swap, so that sets written at the same time by
 * other threads never overwrite it (a signal leaves their stages to the
 * next run's sweep). Lock-free atomics: safe in a signal handler. */
enum { SIGNAL_FREE, SIGNAL_FILLING, SIGNAL_ARMED };
static atomic_int signal_state;
static int signal_set_fd = -1;
static char signal_stage[32];

/* Removes name (a file, or a directory and everything in it, depth-first)
 * in the directory dfd. Async-signal-safe: system calls and the stack only. */
static void remove_tree_at(int dfd, const char *name, int depth)
{
  if (unlinkat(dfd, name, 0) == 0 || (errno != EISDIR && errno != EPERM) || depth > 8)
    return;
  int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  char buf[4096];
  for (int pass = 0; pass < 2; pass++) { /* entries removed while reading may be skipped */
    ssize_t n;
    while ((n = getdents64(fd, buf, sizeof buf)) > 0)
      for (ssize_t off = 0; off < n;) {
        struct dirent64 *e = (struct dirent64 *)(void *)(buf + off);
        off += e->d_reclen;
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
          remove_tree_at(fd, e->d_name, depth + 1);
      }
    if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno != ENOTEMPTY)
      break;
    lseek(fd, 0, SEEK_SET);
  }
  close(fd);
}

void gv_report_set_abort_on_signal(void)
{
  int armed = SIGNAL_ARMED;
  if (atomic_compare_exchange_strong(&signal_state, &armed, SIGNAL_FILLING)) {
    remove_tree_at(signal_set_fd, signal_stage, 0);
    atomic_store(&signal_state, SIGNAL_FREE);
  }
}

/* Makes s the signal handler's set if no other set is. */
static void arm(gv_report_set *s)
{
  int free_state = SIGNAL_FREE;
  if (!atomic_compare_exchange_strong(&signal_state, &free_state, SIGNAL_FILLING))
    return;
  signal_set_fd = s->set_fd;
  snprintf(signal_stage, sizeof signal_stage, "%s", s->stage_name);
  atomic_store(&signal_state, SIGNAL_ARMED);
  s->armed = 1;
}

/* The handler lets go of s (its stage is removed or is the current set). */
static void disarm(gv_report_set *s)
{
  int armed = SIGNAL_ARMED;
  if (s->armed)
    atomic_compare_exchange_strong(&signal_state, &armed, SIGNAL_FREE);
  s->armed = 0;
}

/* SIGINT, SIGTERM and SIGHUP wait, in the calling thread, while the set
 * directory changes hands (the stage is created and armed, switched in and
 * the old set removed, or disarmed and removed): a handler then finds
 * everything in one state or the other. pthread_sigmask: the other threads' masks are theirs. */
static void hold_signals(sigset_t *old)
{
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &s, old);
}

/* The target of the `current` link into buf, or "" when there is none. */
static void current_target(int set_fd, char *buf, size_t size)
{
  ssize_t n = readlinkat(set_fd, GV_SET_CURRENT, buf, size - 1);
  buf[n > 0 ? n : 0] = '\0';
}

/* Everything in .gradverify but the lock and the current set: sets, links
 * and temporary files of runs that were killed or failed. */
static void sweep(int set_fd)
{
  char keep[256];
  current_target(set_fd, keep, sizeof keep);
  int fd = openat(set_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (!d) {
    if (fd >= 0)
      close(fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
        strcmp(e->d_name, "lock") != 0 && strcmp(e->d_name, GV_SET_CURRENT) != 0 &&
        strcmp(e->d_name, keep) != 0)
      remove_tree_at(set_fd, e->d_name, 0);
  closedir(d);
}

static int fail(int *err_no, const char **what, const char *step)
{
  *err_no = errno;
  *what = step;
  return GSL_EFAILED;
}

static int open_dirs(gv_report_set *s, const char *dir, int *err_no, const char **what)
{
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return fail(err_no, what, "create the directory");
  s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dir_fd < 0)
    return fail(err_no, what, "open the directory");
  if (mkdirat(s->dir_fd, GV_SET_DIR, 0777) != 0 && errno != EEXIST)
    return fail(err_no, what, "create " GV_SET_DIR " in");
  s->set_fd = openat(s->dir_fd, GV_SET_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (s->set_fd < 0)
    return fail(err_no, what, "open " GV_SET_DIR " in");
  s->lock_fd = openat(s->set_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (s->lock_fd < 0)
    return fail(err_no, what, "create the lock in");
  while (flock(s->lock_fd, LOCK_EX) != 0)
    if (errno != EINTR)
      return fail(err_no, what, "lock");
  return GSL_SUCCESS;
}

static void release(gv_report_set *s)
{
  disarm(s);
  if (s->lock_fd >= 0)
    close(s->lock_fd); /* also the lock */
  if (s->set_fd >= 0)
    close(s->set_fd);
  if (s->dir_fd >= 0)
    close(s->dir_fd);
  free(s->stage);
  free(s);
}

int gv_report_set_begin(const char *dir, gv_report_set **set, int *err_no, const char **what)
{
  static const char sub[] = "/" GV_SET_DIR "/";
  size_t len = strlen(dir) + sizeof sub + sizeof GV_SET_PREFIX + GV_FILE_UNIQUE_TAIL;
  gv_report_set *s = malloc(sizeof *s);
  *set = NULL;
  *err_no = 0;
  *what = "stage";
  if (s)
    *s = (gv_report_set){.dir_fd = -1, .set_fd = -1, .lock_fd = -1, .stage = malloc(len)};
  if (!s || !s->stage) {
    if (s)
      release(s);
    return GSL_ENOMEM;
  }
  int rc = open_dirs(s, dir, err_no, what);
  if (rc) {
    release(s);
    return rc;
  }
  sweep(s->set_fd);
  char *name = stpcpy(stpcpy(s->stage, dir), sub);
  sigset_t old;
  hold_signals(&old);
  /* mkdir applies the umask itself: the stage gets the mode of any new
   * directory without a umask() call, which would race with other threads. */
  if (gv_file_create_unique(s->set_fd, GV_SET_PREFIX, 1, name, len - (size_t)(name - s->stage)) !=
      0) {
    rc = fail(err_no, what, "create a staging directory in");
    release(s);
  } else {
    s->stage_name = name;
    arm(s);
    *set = s;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}

const char *gv_report_set_stage(const gv_report_set *set)
{
  return set->stage;
}

void gv_report_set_abort(gv_report_set *set)
{
  if (!set)
    return;
  /* Held: a handler between the disarm and the end of the removal would
   * find nothing armed and end the process with the stage half removed. */
  sigset_t mask;
  hold_signals(&mask);
  disarm(set);
  remove_tree_at(set->set_fd, set->stage_name, 0);
  release(set);
  pthread_sigmask(SIG_SETMASK, &mask, NULL);
}

static int sync_dir(int dfd, const char *name)
{
  int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
  if (fd >= 0)
    close(fd);
  return rc;
}

/* current -> target, by one rename of a new link over the old. */
static int switch_current(gv_report_set *s, const char *target)
{
  unlinkat(s->set_fd, GV_SET_NEW_LINK, 0);
  if (symlinkat(target, s->set_fd, GV_SET_NEW_LINK) != 0 ||
      renameat(s->set_fd, GV_SET_NEW_LINK, s->set_fd, GV_SET_CURRENT) != 0)
    return -1;
  return fsync(s->set_fd);
}

/* Whether DIR/name is the link .gradverify/current/name. */
static int is_link(const gv_report_set *s, const char *name, char *want, size_t size)
{
  char have[512];
  snprintf(want, size, GV_SET_DIR "/" GV_SET_CURRENT "/%s", name);
  ssize_t n = readlinkat(s->dir_fd, name, have, sizeof have - 1);
  if (n < 0)
    return 0;
  have[n] = '\0';
  return strcmp(have, want) == 0;
}

/* Before the first switch: the report files DIR holds as regular files
 * (written by a version without sets) become the current set by hard links,
 * so that replacing each by its link never shows a mix. */
static int adopt_old_files(gv_report_set *s, const char *const *names, size_t n)
{
  char cur[256], oname[sizeof GV_SET_PREFIX + GV_FILE_UNIQUE_TAIL];
  current_target(s->set_fd, cur, sizeof cur);
  if (cur[0])
    return 0;
  if (gv_file_create_unique(s->set_fd, GV_SET_PREFIX, 1, oname, sizeof oname) != 0)
    return -1;
  int ofd = openat(s->set_fd, oname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; ofd >= 0 && i < n; i++)
    if (linkat(s->dir_fd, names[i], ofd, names[i], 0) != 0 && errno != ENOENT) {
      close(ofd);
      return -1;
    }
  if (ofd < 0 || fsync(ofd) != 0)
    return -1;
  close(ofd);
  return switch_current(s, oname);
}

/* DIR/name -> .gradverify/current/name for each name, each by a rename. */
static int link_names(gv_report_set *s, const char *const *names, size_t n)
{
  char want[512], tmp[512];
  for (size_t i = 0; i < n; i++) {
    if (is_link(s, names[i], want, sizeof want))
      continue;
    snprintf(tmp, sizeof tmp, GV_SET_DIR "/%s.link", names[i]);
    unlinkat(s->dir_fd, tmp, 0);
    if (symlinkat(want, s->dir_fd, tmp) != 0 || renameat(s->dir_fd, tmp, s->dir_fd, names[i]) != 0)
      return -1;
  }
  return fsync(s->dir_fd);
}

static int needs_links(const gv_report_set *s, const char *const *names, size_t n)
{
  char want[512];
  for (size_t i = 0; i < n; i++)
    if (!is_link(s, names[i], want, sizeof want))
      return 1;
  return 0;
}

int gv_report_set_commit(gv_report_set *set, const char *const *names, size_t n, int *err_no,
                         const char **what)
{
  char old[256];
  *err_no = 0;
  int rc = GSL_SUCCESS;
  if (sync_dir(set->set_fd, set->stage_name) != 0)
    rc = fail(err_no, what, "sync the staging directory in");
  else if (needs_links(set, names, n) &&
           (adopt_old_files(set, names, n) != 0 || link_names(set, names, n) != 0))
    rc = fail(err_no, what, "link the reports in");
  if (rc) {
    gv_report_set_abort(set);
    return rc;
  }
  current_target(set->set_fd, old, sizeof old);
  sigset_t mask;
  hold_signals(&mask);
  if (switch_current(set, set->stage_name) != 0) {
    rc = fail(err_no, what, "switch the new reports in");
    gv_report_set_abort(set);
  } else {
    disarm(set); /* the stage is the current set now */
    if (old[0] && strcmp(old, set->stage_name) != 0)
      remove_tree_at(set->set_fd, old, 0);
    release(set);
  }
  pthread_sigmask(SIG_SETMASK, &mask, NULL);
  return rc;
}

/* The report set, in the order it is written (the HTML, slowest, last). */
static const char *const report_names[] = {GV_REPORT_JSON, GV_REPORT_MD, GV_REPORT_JUNIT,
                                           GV_REPORT_HTML};

/* Writes report i of the set into the staging directory stage. */
static int write_one(const gv_run *run, size_t i, const char *stage, int *plots_skipped,
                     int *err_no)
{
  char *path = malloc(strlen(stage) + strlen(report_names[i]) + 2);
  int status = GSL_ENOMEM;
  *err_no = 0;
  if (path)
    sprintf(path, "%s/%s", stage, report_names[i]);
  if (path && i == 0)
    status = gv_report_write_json(run, path, err_no);
  else if (path && i == 1)
    status = gv_report_write_md(run, path, err_no);
  else if (path && i == 2)
    status = gv_report_write_junit(run, path, err_no);
  else if (path)
    status = gv_report_write_html(run, path, plots_skipped, err_no);
  free(path);
  return status;
}

int gv_report_write_set(const gv_run *run, const char *dir, int *plots_skipped, int *err_no,
                        const char **failed)
{
  const size_t n = sizeof report_names / sizeof report_names[0];
  gv_report_set *set;
  *plots_skipped = 0;
  int status = gv_report_set_begin(dir, &set, err_no, failed);
  for (size_t i = 0; !status && i < n; i++)
    if ((status = write_one(run, i, set->stage, plots_skipped, err_no)) != 0) {
      gv_report_set_abort(set);
      *failed = report_names[i];
    }
  return status ? status : gv_report_set_commit(set, report_names, n, err_no, failed);
}
