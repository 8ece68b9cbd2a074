/* signal_thread.c: an LD_PRELOAD shim that sends gradverify a SIGTERM while
 * its main thread holds the signal, with another thread there to take it. In
 * a process named gradverify with GV_SIGNAL_AT set, a constructor starts a
 * thread that blocks nothing and only waits, as OpenBLAS's workers do (on a
 * machine with one core OpenBLAS starts none). Then, once:
 *   GV_SIGNAL_AT=stage   after the staging directory's mkdirat (set.*),
 *   GV_SIGNAL_AT=switch  after the renameat that switches `current`,
 *   GV_SIGNAL_AT=abort   at the first unlinkat of the stage (set.*, after
 *                        its mkdirat): its removal when a report could not
 *                        be written (with full_disk.c, GV_FULL_AFTER=0),
 * the shim sends the process a SIGTERM and waits 0.2 s before returning: the
 * main thread holds SIGTERM there, so the kernel hands it to the other thread
 * at once, and a handler that acts in that thread finds the set half changed;
 * a main thread that does not hold it handles it at once, in the midst.
 * And in a child alone (gnuplot, or the grader's sandboxed child), which has
 * the shim too (every time, no wait):
 *   GV_SIGNAL_AT=fork    at once after fork, in the child,
 *   GV_SIGNAL_AT=exec    in the child's execvp (gnuplot) or execve (the
 *                        sandbox), before the real one:
 * the child must die of it with gradverify's files untouched, the parent
 * carrying on; a child that ran gradverify's handler removed the parent's
 * stage, or lost the signal and ran its program. Used by signal_thread.sh. */
#define _GNU_SOURCE /* RTLD_NEXT, program_invocation_short_name */
#include <dlfcn.h>
#include <errno.h> /* program_invocation_short_name */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static const char *at; /* GV_SIGNAL_AT in gradverify, else NULL */
static int staged;     /* the stage's mkdirat has been seen */

static void *wait_forever(void *arg)
{
  (void)arg;
  for (;;)
    pause();
  return NULL;
}

__attribute__((constructor)) static void start(void)
{
  const char *v = getenv("GV_SIGNAL_AT");
  if (!v || strcmp(program_invocation_short_name, "gradverify") != 0)
    return;
  at = v;
  pthread_t t;
  if (pthread_create(&t, NULL, wait_forever, NULL) == 0)
    pthread_detach(t);
}

/* Sends the SIGTERM once, if this is the moment GV_SIGNAL_AT names. */
static void signal_at(const char *moment)
{
  static int sent;
  if (!at || sent || strcmp(at, moment) != 0)
    return;
  sent = 1;
  kill(getpid(), SIGTERM);
  nanosleep(&(struct timespec){.tv_nsec = 200000000}, NULL);
}

int mkdirat(int dfd, const char *name, mode_t mode)
{
  static int (*real)(int, const char *, mode_t);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "mkdirat");
  int rc = real(dfd, name, mode);
  if (rc == 0 && strncmp(name, "set.", 4) == 0) {
    staged = 1;
    signal_at("stage");
  }
  return rc;
}

int unlinkat(int dfd, const char *name, int flags)
{
  static int (*real)(int, const char *, int);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "unlinkat");
  if (staged && strncmp(name, "set.", 4) == 0)
    signal_at("abort");
  return real(dfd, name, flags);
}

int renameat(int olddfd, const char *from, int newdfd, const char *to)
{
  static int (*real)(int, const char *, int, const char *);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "renameat");
  int rc = real(olddfd, from, newdfd, to);
  if (rc == 0 && strcmp(to, "current") == 0)
    signal_at("switch");
  return rc;
}

/* In a child: the SIGTERM to itself alone, if GV_SIGNAL_AT names
 * this moment. */
static void signal_child(const char *moment)
{
  if (at && strcmp(at, moment) == 0)
    kill(getpid(), SIGTERM);
}

pid_t fork(void)
{
  static pid_t (*real)(void);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "fork");
  pid_t pid = real();
  if (pid == 0)
    signal_child("fork");
  return pid;
}

int execvp(const char *file, char *const argv[])
{
  static int (*real)(const char *, char *const[]);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "execvp");
  signal_child("exec");
  return real(file, argv);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
  static int (*real)(const char *, char *const[], char *const[]);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "execve");
  signal_child("exec");
  return real(path, argv, envp);
}
