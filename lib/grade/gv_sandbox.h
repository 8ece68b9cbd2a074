/* gv_sandbox.h: run a program on untrusted input in a child process, with
 * limits, and collect what it wrote.
 *
 * The child gets its own process group, an empty temporary working directory
 * (removed afterwards), a clean environment (PATH, LC_ALL=C, TMPDIR = that
 * directory), no file descriptors but stdin (the input), stdout and stderr
 * (captured) and fd 3 (the reply channel), and these resource limits:
 * RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NPROC, RLIMIT_CORE = 0. The
 * parent enforces a wall-clock limit: when it passes, the whole process group
 * is killed (SIGKILL), and it is killed again after the child ends so that
 * nothing the child started outlives the run. The child is killed (SIGKILL)
 * should the calling thread end first (PR_SET_PDEATHSIG: the process killed).
 *
 * RLIMIT_NPROC counts the user's processes and does not bind root; the
 * runner (gv_runner.c) therefore also forbids creating processes with a
 * seccomp filter, and the process-group kill catches anything else.
 *
 * The library never prints, exits or changes signal dispositions: the input
 * goes through a socket written with MSG_NOSIGNAL, so a child that dies early
 * cannot raise SIGPIPE in the caller. The child starts with every signal the
 * caller catches at its default action (gv_fork_held): one sent to it alone
 * before exec kills it as it would after, never running the caller's handler.
 * Safe to call from several threads at once (every descriptor is
 * close-on-exec in the parent). */
#ifndef GV_SANDBOX_H
#define GV_SANDBOX_H

#include <stddef.h>
#include <sys/resource.h>

typedef struct {
  double wall_seconds;  /* wall-clock limit of the whole run */
  rlim_t cpu_seconds;   /* RLIMIT_CPU (SIGXCPU, then SIGKILL a second later) */
  rlim_t address_space; /* RLIMIT_AS, bytes; 0 = not limited */
  rlim_t file_size;     /* RLIMIT_FSIZE, bytes */
  rlim_t nproc;         /* RLIMIT_NPROC */
  size_t output_max;    /* bytes of stdout and of stderr kept (each); the rest is dropped */
  size_t reply_max;     /* bytes of fd 3 kept; more marks the reply truncated */
} gv_sandbox_limits;

/* The limits for one call of a submission's function: 2 s wall, 1 s CPU,
 * 512 MiB of address space, 1 MiB files, 64 processes, 16 KiB of output, 64 MiB of reply. */
void gv_sandbox_limits_call(gv_sandbox_limits *lim);

/* How the child ended. */
typedef enum {
  GV_END_EXIT = 0, /* exited by itself; code = exit status */
  GV_END_SIGNAL,   /* killed by a signal; code = the signal */
  GV_END_TIMEOUT,  /* still running at the wall-clock limit; killed */
  GV_END_CPU,      /* killed for exceeding its CPU time (SIGXCPU or the kernel's SIGKILL) */
  GV_END_NOEXEC    /* the program could not be started; code = errno */
} gv_sandbox_end;

typedef struct {
  gv_sandbox_end end;
  int code;
  double wall;             /* seconds the run took */
  char *out, *err;         /* captured stdout / stderr, NUL-terminated (never NULL after a run) */
  size_t out_len, err_len; /* bytes kept */
  int out_truncated, err_truncated;
  unsigned char *reply; /* bytes read from fd 3 */
  size_t reply_len;
  int reply_truncated;
} gv_sandbox_result;

/* Runs argv[0] (an absolute path) with arguments argv (NULL-terminated),
 * feeding it input[0..input_len) on stdin, under lim. Fills res, which the
 * caller releases with gv_sandbox_result_free. Returns GSL_SUCCESS when the
 * child ran (whatever it did), GSL_EFAILED when the sandbox itself could not
 * be set up (no pipe, no fork, no temporary directory), GSL_ENOMEM. */
int gv_sandbox_run(const char *const argv[], const void *input, size_t input_len,
                   const gv_sandbox_limits *lim, gv_sandbox_result *res);

void gv_sandbox_result_free(gv_sandbox_result *res);

/* A sentence for how the child ended, e.g. "killed by signal 11 (Segmentation
 * fault)" or "timed out after 2 s"; written into buf (size n). */
void gv_sandbox_describe(const gv_sandbox_result *res, const gv_sandbox_limits *lim, char *buf,
                         size_t n);

#endif
