/* gv_runner.c: gradverify-runner, the program that calls a submission's code.
 *
 *   gradverify-runner LIB list        one reply: a 1 x K matrix, entry k = 1
 *                                     if LIB defines gv_assign_fns[k]
 *   gradverify-runner LIB call NAME   reads call records (gv_wire.h) on stdin,
 *                                     calls NAME for each, one reply record each
 *
 * Replies go to fd 3, then an end record. The grader starts it through
 * gv_sandbox (limits, empty directory, captured output). Before LIB is even
 * opened (its constructors run at dlopen) the runner installs a seccomp filter
 * that traps what a computation never needs: starting processes or programs,
 * signalling other processes, writing, creating, renaming or removing files,
 * sockets, ptrace, io_uring, leaving the process group. A trapped call writes a
 * GV_WIRE_STATUS_FORBIDDEN record naming the system call and ends the process.
 *
 * Exit status: 0 done, 10 bad request, 11 LIB cannot be opened, 12 NAME not in
 * LIB, 13 the filter could not be installed, 14 a forbidden system call. */
#define _GNU_SOURCE /* dlopen's RTLD_ flags, REG_ */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>

#include "gv_assign.h"
#include "gv_wire.h"

#define REPLY_FD 3

static volatile sig_atomic_t gsl_error_seen;

/* GSL's handler for the submission's GSL calls: say so on stderr (shown in
 * the report) and go on, as the submission's status check would. */
static void on_gsl_error(const char *reason, const char *file, int line, int gsl_errno)
{
  gsl_error_seen = 1;
  fprintf(stderr, "gsl: %s:%d: %s (%s)\n", file, line, reason, gsl_strerror(gsl_errno));
}

static int write_all(int fd, const void *p, size_t n)
{
  const unsigned char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

/* SIGSYS from the filter: tell the grader which call, then end. Only
 * async-signal-safe work: the record is 16 bytes built by hand. */
static void on_sigsys(int sig, siginfo_t *info, void *uc)
{
  (void)sig, (void)uc;
  uint32_t rec[4] = {GV_WIRE_MAGIC, (uint32_t)GV_WIRE_STATUS_FORBIDDEN, (uint32_t)info->si_syscall,
                     0};
  write_all(REPLY_FD, rec, sizeof rec);
  _exit(14);
}

/* A fatal signal in the submission: say whether an allocation had just failed
 * (errno is the interrupted code's), then die of the signal as before. */
static void on_crash(int sig)
{
  int oom = errno == ENOMEM;
  uint32_t rec[4] = {GV_WIRE_MAGIC, (uint32_t)GV_WIRE_STATUS_CRASH, oom ? GV_WIRE_FLAG_ENOMEM : 0,
                     0};
  write_all(REPLY_FD, rec, sizeof rec);
  signal(sig, SIG_DFL);
  raise(sig);
}

/* On an alternate stack, so that a stack overflow is reported too. */
static int catch_crashes(void)
{
  static char stack[65536];
  static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
  stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL))
    return -1;
  struct sigaction sa = {.sa_handler = on_crash, .sa_flags = SA_ONSTACK | SA_RESETHAND};
  sigemptyset(&sa.sa_mask);
  for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
    if (sigaction(sigs[k], &sa, NULL))
      return -1;
  return 0;
}

static int deny(scmp_filter_ctx ctx, int call)
{
  return seccomp_rule_add(ctx, SCMP_ACT_TRAP, call, 0);
}

/* openat/open with any of these flags would write or create. */
static int deny_open_flags(scmp_filter_ctx ctx, int call, unsigned arg)
{
  static const int flags[] = {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND};
  int rc = 0;
  for (size_t k = 0; k < sizeof flags / sizeof flags[0] && !rc; k++)
    rc = seccomp_rule_add(
        ctx, SCMP_ACT_TRAP, call, 1,
        SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, (scmp_datum_t)flags[k], (scmp_datum_t)flags[k]));
  return rc;
}

/* What a graded function may not do: start or signal processes, trace,
 * open sockets, change the file system, set up io_uring, move or mount. */
static const int denied[] = {
    SCMP_SYS(fork),
    SCMP_SYS(vfork),
    SCMP_SYS(clone),
    SCMP_SYS(clone3),
    SCMP_SYS(execve),
    SCMP_SYS(execveat),
    SCMP_SYS(kill),
    SCMP_SYS(tkill),
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(setsid),
    SCMP_SYS(setpgid),
    SCMP_SYS(socket),
    SCMP_SYS(socketpair),
    SCMP_SYS(creat),
    SCMP_SYS(openat2),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(mkdir),
    SCMP_SYS(mkdirat),
    SCMP_SYS(rmdir),
    SCMP_SYS(link),
    SCMP_SYS(linkat),
    SCMP_SYS(symlink),
    SCMP_SYS(symlinkat),
    SCMP_SYS(chmod),
    SCMP_SYS(fchmodat),
    SCMP_SYS(chown),
    SCMP_SYS(fchownat),
    SCMP_SYS(truncate),
    SCMP_SYS(mknod),
    SCMP_SYS(mknodat),
    SCMP_SYS(io_uring_setup),
    SCMP_SYS(chdir),
    SCMP_SYS(chroot),
    SCMP_SYS(mount),
};

/* The rules: the denied calls, tgkill at another process, and open/openat
 * with a flag that would write or create. */
static int add_rules(scmp_filter_ctx ctx)
{
  int rc = 0;
  for (size_t k = 0; k < sizeof denied / sizeof denied[0] && !rc; k++)
    rc = deny(ctx, denied[k]);
  /* tgkill is how raise() and abort() signal the process itself: only that. */
  if (!rc)
    rc = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(tgkill), 1,
                          SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)getpid()));
  if (!rc)
    rc = deny_open_flags(ctx, SCMP_SYS(open), 1);
  if (!rc)
    rc = deny_open_flags(ctx, SCMP_SYS(openat), 2);
  return rc;
}

static int install_filter(void)
{
  struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSYS, &sa, NULL))
    return -1;
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx)
    return -1;
  int rc = add_rules(ctx);
  if (!rc)
    rc = seccomp_load(ctx);
  seccomp_release(ctx);
  return rc;
}

typedef int (*fn_1_1)(const gsl_matrix *, gsl_matrix *);
typedef int (*fn_2_1)(const gsl_matrix *, const gsl_matrix *, gsl_matrix *);
typedef int (*fn_3_1)(const gsl_matrix *, const gsl_matrix *, const gsl_matrix *, gsl_matrix *);
typedef int (*fn_4_1)(const gsl_matrix *, const gsl_matrix *, const gsl_matrix *,
                      const gsl_matrix *, gsl_matrix *);
typedef int (*fn_4_3)(const gsl_matrix *, const gsl_matrix *, const gsl_matrix *,
                      const gsl_matrix *, gsl_matrix *, gsl_matrix *, gsl_matrix *);
typedef int (*fn_5_3)(const gsl_matrix *, const gsl_matrix *, const gsl_matrix *,
                      const gsl_matrix *, const gsl_matrix *, gsl_matrix *, gsl_matrix *,
                      gsl_matrix *);

/* Calls sym with the record's matrices, by the shape of its signature. */
static int call(void *sym, const gv_assign_fn *fn, gsl_matrix *const *m)
{
  union {
    void *p;
    fn_1_1 f11;
    fn_2_1 f21;
    fn_3_1 f31;
    fn_4_1 f41;
    fn_4_3 f43;
    fn_5_3 f53;
  } u = {.p = sym};
  if (fn->nin == 1 && fn->nout == 1)
    return u.f11(m[0], m[1]);
  if (fn->nin == 2 && fn->nout == 1)
    return u.f21(m[0], m[1], m[2]);
  if (fn->nin == 3 && fn->nout == 1)
    return u.f31(m[0], m[1], m[2], m[3]);
  if (fn->nin == 4 && fn->nout == 1)
    return u.f41(m[0], m[1], m[2], m[3], m[4]);
  if (fn->nin == 4 && fn->nout == 3)
    return u.f43(m[0], m[1], m[2], m[3], m[4], m[5], m[6]);
  if (fn->nin == 5 && fn->nout == 3)
    return u.f53(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]);
  return GSL_EUNIMPL;
}

static int reply(gv_buf *b, int32_t status, uint32_t flags, size_t nmat, const gsl_matrix *const *m)
{
  b->len = 0;
  if (gv_wire_put(b, status, flags, nmat, m))
    return -1;
  return write_all(REPLY_FD, b->data, b->len);
}

static int read_stdin(gv_buf *in)
{
  char chunk[65536];
  for (;;) {
    ssize_t n = read(0, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || in->len > ((size_t)256 << 20))
      return -1;
    if (n == 0)
      return 0;
    if (gv_buf_append(in, chunk, (size_t)n))
      return -1;
  }
}

static int list(void *lib, gv_buf *out)
{
  gsl_matrix *has = gsl_matrix_calloc(1, gv_assign_nfns);
  if (!has)
    return 10;
  for (size_t k = 0; k < gv_assign_nfns; k++)
    gsl_matrix_set(has, 0, k, dlsym(lib, gv_assign_fns[k].name) ? 1.0 : 0.0);
  const gsl_matrix *m[1] = {has};
  int rc = reply(out, 0, 0, 1, m) || reply(out, GV_WIRE_STATUS_END, 0, 0, NULL) ? 10 : 0;
  gsl_matrix_free(has);
  return rc;
}

/* Runs every call record of in through sym. */
static int calls(void *sym, const gv_assign_fn *fn, const gv_buf *in, gv_buf *out)
{
  size_t pos = 0;
  gv_wire_record rec;
  while (pos < in->len) {
    if (gv_wire_get(in->data, in->len, &pos, &rec) || rec.nmat != fn->nin + fn->nout) {
      gv_wire_record_clear(&rec);
      return 10;
    }
    gsl_error_seen = 0;
    errno = 0;
    int status = call(sym, fn, rec.mat);
    uint32_t flags =
        (gsl_error_seen ? GV_WIRE_FLAG_GSL_ERROR : 0) | (errno == ENOMEM ? GV_WIRE_FLAG_ENOMEM : 0);
    int rc = reply(out, status, flags, fn->nout, (const gsl_matrix *const *)rec.mat + fn->nin);
    gv_wire_record_clear(&rec);
    if (rc)
      return 10;
  }
  return reply(out, GV_WIRE_STATUS_END, 0, 0, NULL) ? 10 : 0;
}

static int run(const char *path, const char *name, const gv_buf *in, gv_buf *out)
{
  int k = name ? gv_assign_find(name) : 0;
  if (k < 0)
    return 10;
  if (catch_crashes() || install_filter())
    return 13;
  if (reply(out, GV_WIRE_STATUS_SANDBOXED, 0, 0, NULL))
    return 10;
  gsl_set_error_handler(on_gsl_error);
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 11;
  }
  if (!name)
    return list(lib, out);
  void *sym = dlsym(lib, name);
  return sym ? calls(sym, &gv_assign_fns[k], in, out) : 12;
}

int main(int argc, char **argv)
{
  int is_list = argc == 3 && strcmp(argv[2], "list") == 0;
  int is_call = argc == 4 && strcmp(argv[2], "call") == 0;
  if (!is_list && !is_call)
    return 10;
  gv_buf in, out;
  gv_buf_init(&in);
  gv_buf_init(&out);
  int rc = read_stdin(&in) ? 10 : run(argv[1], is_call ? argv[3] : NULL, &in, &out);
  fflush(stdout);
  fflush(stderr);
  /* _exit: the submission's destructors and atexit handlers do not run. */
  _exit(rc);
}
