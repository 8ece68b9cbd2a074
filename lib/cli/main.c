/* main.c: the program. Everything but the process-wide settings (the GSL
 * error handler, the signals) lives in gv_cli.c. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>

#include "gv_cli.h"
#include "gv_plot.h"
#include "gv_report_set.h"

/* The thread that runs gv_cli_main: it writes the report set and runs gnuplot. */
static pthread_t main_thread;

/* SIGINT, SIGTERM, SIGHUP: the report set being staged and gnuplot go first,
 * then the signal takes its default course (the exit status says which).
 * In the main thread only: the set holds these signals in the thread that
 * writes it, but a signal sent to the process goes to any thread that does
 * not block it, and OpenBLAS starts workers before main with nothing blocked.
 * A handler there would find the set half changed (a stage not yet armed, an
 * old set half removed); passed on, the signal waits in the main thread until
 * the set is in one state or the other. pthread_self and pthread_kill are
 * async-signal-safe (POSIX.1-2008 TC2); pthread_equal compares two values. */
static void on_signal(int sig)
{
  if (!pthread_equal(pthread_self(), main_thread)) {
    pthread_kill(main_thread, sig);
    return;
  }
  gv_report_set_abort_on_signal();
  gv_plot_kill_child();
  signal(sig, SIG_DFL);
  raise(sig);
}

int main(int argc, char **argv)
{
  /* GSL's default handler aborts; every status is checked instead. */
  gsl_set_error_handler_off();
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  main_thread = pthread_self(); /* before the handler can run */
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaddset(&sa.sa_mask, sigs[i]);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction old;
    /* A signal ignored at startup (nohup) stays ignored. */
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
      sigaction(sigs[i], &sa, NULL);
  }
  return gv_cli_main(argc, argv, stdout, stderr);
}
