/* gv_fork.h: fork for a child that is to exec a program, such that no signal
 * handler of the caller's ever runs in the child.
 *
 * Without it the child keeps the caller's handlers until exec: a signal sent
 * to the child alone in between runs the caller's handler there (the CLI's
 * removes the parent's report stage, or passes the signal on to a thread the
 * child does not have, and the signal is lost). Used for gnuplot (gv_plot)
 * and for the grader's sandboxed children (gv_sandbox). */
#ifndef GV_FORK_H
#define GV_FORK_H

#include <signal.h>
#include <sys/types.h>

/* fork(2) with every signal held in the calling thread across it (as
 * posix_spawn does); *mask receives the calling thread's mask from before.
 * In the child (0 returned) every signal the caller catches is back at its
 * default action (ignored ones stay ignored, as exec keeps them) and the mask
 * is *mask again: a signal sent to it before this waited, then takes its
 * default course. In the parent (the pid, or -1 with errno) every signal is
 * still held: record the pid where a handler will look for it, then
 * release them with pthread_sigmask(SIG_SETMASK, mask, NULL). The child's
 * part is async-signal-safe (sigaction, sigprocmask); it costs NSIG
 * sigaction calls. */
pid_t gv_fork_held(sigset_t *mask);

#endif
