/* main.c: the program. Everything but the process-wide settings (the GSL
 * error handler, the signals) lives in gv_cli.c. */
#include <signal.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>

#include "gv_cli.h"
#include "gv_plot.h"
#include "gv_report_set.h"

/* SIGINT, SIGTERM, SIGHUP: the report set being staged and gnuplot go first,
 * then the signal takes its default course (the exit status says which). */
static void on_signal(int sig)
{
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
