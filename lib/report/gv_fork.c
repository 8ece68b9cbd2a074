/* gv_fork.c: fork with the caller's signal handlers kept out of the child. */
#define _DEFAULT_SOURCE /* NSIG */
#include "gv_fork.h"

#include <pthread.h>
#include <unistd.h>

/* In the child, with every signal held since before fork: each caught signal
 * back to SIG_DFL, then the caller's mask. */
static void child_signals_reset(const sigset_t *mask)
{
  struct sigaction dfl = {.sa_handler = SIG_DFL}, now;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; sig++)
    if (sigaction(sig, NULL, &now) == 0 && now.sa_handler != SIG_DFL && now.sa_handler != SIG_IGN)
      sigaction(sig, &dfl, NULL);
  sigprocmask(SIG_SETMASK, mask, NULL);
}

pid_t gv_fork_held(sigset_t *mask)
{
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, mask);
  pid_t pid = fork();
  if (pid == 0)
    child_signals_reset(mask);
  return pid;
}
