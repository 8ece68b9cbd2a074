/* gv_sandbox.c: fork, limit, exec; the parent feeds, captures and times. */
#define _GNU_SOURCE /* pipe2, close_range, sigdescr_np */
#include "gv_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "gv_fork.h"

void gv_sandbox_limits_call(gv_sandbox_limits *lim)
{
  *lim = (gv_sandbox_limits){
      .wall_seconds = 2.0,
      .cpu_seconds = 1,
      .address_space = (rlim_t)512 << 20,
      .file_size = (rlim_t)1 << 20,
      .nproc = 64,
      .output_max = 16384,
      .reply_max = (size_t)64 << 20,
  };
}

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void)sb, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

/* The channels: [0] the child's stdin (a socket), [1] stdout, [2] stderr,
 * [3] the reply; fd[k][0] is the parent's end for k = 0, the read end otherwise. */
typedef struct {
  int in[2], out[2], err[2], rep[2];
} channels;

static void close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static void close_channels(channels *c)
{
  int *all[] = {&c->in[0],  &c->in[1],  &c->out[0], &c->out[1],
                &c->err[0], &c->err[1], &c->rep[0], &c->rep[1]};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
    close_fd(all[k]);
}

static int open_channels(channels *c)
{
  *c = (channels){.in = {-1, -1}, .out = {-1, -1}, .err = {-1, -1}, .rep = {-1, -1}};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->in) || pipe2(c->out, O_CLOEXEC) ||
      pipe2(c->err, O_CLOEXEC) || pipe2(c->rep, O_CLOEXEC)) {
    close_channels(c);
    return GSL_EFAILED;
  }
  return GSL_SUCCESS;
}

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
  struct rlimit r = {.rlim_cur = soft, .rlim_max = hard};
  setrlimit(resource, &r);
}

/* In the child, between fork and exec: async-signal-safe calls only. Its
 * signals are already at their default actions (gv_fork_held). Killed when
 * the thread that forked it ends (it waits for the child: only if the
 * grader dies first), since the wall clock is the grader's to enforce. */
static void child(const channels *c, const char *dir, const char *const argv[], char *const envp[],
                  const gv_sandbox_limits *lim, pid_t parent)
{
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
    _exit(126); /* the grader is already gone */
  setpgid(0, 0);
  if (dup2(c->in[1], 0) < 0 || dup2(c->out[1], 1) < 0 || dup2(c->err[1], 2) < 0 ||
      dup2(c->rep[1], 3) < 0 || chdir(dir) != 0)
    _exit(126);
  close_range(4, ~0u, 0);
  set_limit(RLIMIT_CORE, 0, 0);
  set_limit(RLIMIT_CPU, lim->cpu_seconds, lim->cpu_seconds + 1);
  if (lim->address_space)
    set_limit(RLIMIT_AS, lim->address_space, lim->address_space);
  set_limit(RLIMIT_FSIZE, lim->file_size, lim->file_size);
  set_limit(RLIMIT_NPROC, lim->nproc, lim->nproc);
  execve(argv[0], (char *const *)argv, envp);
  _exit(127);
}

/* Appends what fd has to (buf, len), keeping at most max bytes; returns 0 at
 * end of file or on an error (the channel is then closed). */
static int drain(int fd, char **buf, size_t *len, size_t max, int *truncated)
{
  char chunk[65536];
  ssize_t n = read(fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 1;
  if (n <= 0)
    return 0;
  size_t keep = (size_t)n;
  if (*len + keep > max) {
    keep = max - *len;
    *truncated = 1;
  }
  if (keep) {
    char *p = realloc(*buf, *len + keep + 1);
    if (!p) {
      *truncated = 1;
      return 1;
    }
    memcpy(p + *len, chunk, keep);
    *len += keep;
    p[*len] = '\0';
    *buf = p;
  }
  return 1;
}

typedef struct {
  const unsigned char *input;
  size_t input_len, sent;
} feed;

/* Sends what the socket takes without blocking; 0 when done or refused. */
static int send_some(int fd, feed *f)
{
  size_t rest = f->input_len - f->sent;
  ssize_t n =
      send(fd, f->input + f->sent, rest < 65536 ? rest : 65536, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0)
    return errno == EAGAIN || errno == EINTR;
  f->sent += (size_t)n;
  return f->sent < f->input_len;
}

/* The child's end: pid reaped into *wstatus once it has exited. */
typedef struct {
  pid_t pid;
  int wstatus, reaped;
} child_state;

static void try_reap(child_state *c)
{
  if (!c->reaped && waitpid(c->pid, &c->wstatus, WNOHANG) == c->pid)
    c->reaped = 1;
}

/* Where the child's stdout, stderr and reply channel go: read ends, buffers
 * and their limits. */
typedef struct {
  int *rd[3];
  char **buf[3];
  size_t *len[3];
  int *trunc[3];
  size_t max[3];
} sinks;

static sinks sinks_of(channels *c, const gv_sandbox_limits *lim, gv_sandbox_result *res)
{
  return (sinks){
      .rd = {&c->out[0], &c->err[0], &c->rep[0]},
      .buf = {&res->out, &res->err, (char **)&res->reply},
      .len = {&res->out_len, &res->err_len, &res->reply_len},
      .trunc = {&res->out_truncated, &res->err_truncated, &res->reply_truncated},
      .max = {lim->output_max, lim->output_max, lim->reply_max},
  };
}

static int any_open(const sinks *s)
{
  return *s->rd[0] >= 0 || *s->rd[1] >= 0 || *s->rd[2] >= 0;
}

/* Once the child is gone, only what is already there is read; once its
 * channels are closed, its exit is near: look again soon. */
static int wait_ms(const child_state *cs, int open, double left)
{
  return cs->reaped ? 0 : open ? (int)(fmin(left, 0.05) * 1000) + 1 : 1;
}

/* Moves what poll found ready: input to the child, its output into the sinks. */
static void transfer(channels *c, feed *f, const sinks *s, const struct pollfd p[4])
{
  if (p[0].revents && !send_some(c->in[0], f))
    close_fd(&c->in[0]);
  for (int k = 0; k < 3; k++)
    if (p[k + 1].revents && !drain(*s->rd[k], s->buf[k], s->len[k], s->max[k], s->trunc[k]))
      close_fd(s->rd[k]);
}

/* Feeds and captures until the child has exited and its channels are drained
 * (a descendant holding them open does not keep the run going), or the
 * deadline passes; returns 1 if the deadline passed. */
static int pump(channels *c, feed *f, const gv_sandbox_limits *lim, gv_sandbox_result *res,
                child_state *cs, double deadline)
{
  sinks s = sinks_of(c, lim, res);
  if (f->input_len == 0)
    close_fd(&c->in[0]);
  for (;;) {
    struct pollfd p[4] = {{.fd = c->in[0], .events = POLLOUT}};
    for (int k = 0; k < 3; k++)
      p[k + 1] = (struct pollfd){.fd = *s.rd[k], .events = POLLIN};
    try_reap(cs);
    double left = deadline - now();
    if (left <= 0)
      return !cs->reaped;
    int open = any_open(&s);
    int ready = poll(p, 4, wait_ms(cs, open, left));
    if (ready < 0 && errno != EINTR)
      return !cs->reaped;
    if ((ready == 0 || !open) && cs->reaped)
      return 0;
    if (ready > 0)
      transfer(c, f, &s, p);
  }
}

static void classify(gv_sandbox_result *res, int wstatus, int timed_out,
                     const gv_sandbox_limits *lim)
{
  if (timed_out) {
    res->end = GV_END_TIMEOUT;
  } else if (WIFEXITED(wstatus)) {
    res->end = GV_END_EXIT;
    res->code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    res->code = WTERMSIG(wstatus);
    /* The kernel sends SIGXCPU at the soft CPU limit and SIGKILL at the hard one. */
    int cpu =
        res->code == SIGXCPU || (res->code == SIGKILL && res->wall >= (double)lim->cpu_seconds);
    res->end = cpu ? GV_END_CPU : GV_END_SIGNAL;
  }
}

static char **child_env(const char *dir)
{
  static const char path[] = "PATH=/usr/local/bin:/usr/bin:/bin", lc[] = "LC_ALL=C";
  char **env = calloc(4, sizeof *env);
  char *tmp = malloc(strlen(dir) + 8);
  if (!env || !tmp) {
    free(env);
    free(tmp);
    return NULL;
  }
  sprintf(tmp, "TMPDIR=%s", dir);
  env[0] = (char *)path;
  env[1] = (char *)lc;
  env[2] = tmp;
  return env;
}

static int start(const char *const argv[], const gv_sandbox_limits *lim, channels *c,
                 const char *dir, pid_t *pid)
{
  char **env = child_env(dir);
  if (!env)
    return GSL_ENOMEM;
  /* A signal sent to the child alone before execve must take its default
   * course there, not run the caller's handler (gv_fork.h). */
  sigset_t mask;
  pid_t parent = getpid();
  *pid = gv_fork_held(&mask);
  if (*pid == 0)
    child(c, dir, argv, env, lim, parent);
  pthread_sigmask(SIG_SETMASK, &mask, NULL);
  free(env[2]);
  free(env);
  if (*pid < 0)
    return GSL_EFAILED;
  setpgid(*pid, *pid); /* also here: the kill below must not race the child's own call */
  close_fd(&c->in[1]);
  close_fd(&c->out[1]);
  close_fd(&c->err[1]);
  close_fd(&c->rep[1]);
  return GSL_SUCCESS;
}

int gv_sandbox_run(const char *const argv[], const void *input, size_t input_len,
                   const gv_sandbox_limits *lim, gv_sandbox_result *res)
{
  *res = (gv_sandbox_result){.end = GV_END_EXIT};
  res->out = calloc(1, 1);
  res->err = calloc(1, 1);
  if (!res->out || !res->err)
    return GSL_ENOMEM;
  if (access(argv[0], X_OK) != 0) {
    res->end = GV_END_NOEXEC;
    res->code = errno;
    return GSL_SUCCESS;
  }
  const char *tmpdir = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/gradverify-run.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  if (!mkdtemp(dir))
    return GSL_EFAILED;
  channels c;
  pid_t pid;
  int status = open_channels(&c);
  if (!status && (status = start(argv, lim, &c, dir, &pid)) != GSL_SUCCESS)
    close_channels(&c);
  if (status) {
    rmdir(dir);
    return status;
  }
  double t0 = now(), deadline = t0 + lim->wall_seconds;
  feed f = {.input = input, .input_len = input_len, .sent = 0};
  child_state cs = {.pid = pid};
  int timed_out = pump(&c, &f, lim, res, &cs, deadline);
  kill(-pid, SIGKILL); /* the child's group: whatever it left running */
  /* The CLI's handlers pass a signal taken by this thread on to the main
   * thread and return: a wait they interrupt is resumed, so that the child
   * is always reaped. */
  while (!cs.reaped && waitpid(pid, &cs.wstatus, 0) < 0 && errno == EINTR)
    ;
  res->wall = now() - t0;
  classify(res, cs.wstatus, timed_out, lim);
  close_channels(&c);
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return GSL_SUCCESS;
}

void gv_sandbox_result_free(gv_sandbox_result *res)
{
  free(res->out);
  free(res->err);
  free(res->reply);
  *res = (gv_sandbox_result){.out = NULL};
}

void gv_sandbox_describe(const gv_sandbox_result *res, const gv_sandbox_limits *lim, char *buf,
                         size_t n)
{
  switch (res->end) {
  case GV_END_EXIT:
    snprintf(buf, n, "exited with status %d", res->code);
    break;
  case GV_END_SIGNAL: {
    const char *d = sigdescr_np(res->code);
    snprintf(buf, n, "killed by signal %d (%s)", res->code, d ? d : "unknown");
    break;
  }
  case GV_END_TIMEOUT:
    snprintf(buf, n, "still running after %g s (wall-clock limit): killed", lim->wall_seconds);
    break;
  case GV_END_CPU:
    snprintf(buf, n, "used up its CPU time (%lu s): killed", (unsigned long)lim->cpu_seconds);
    break;
  case GV_END_NOEXEC:
    snprintf(buf, n, "could not be started (%s)", strerror(res->code));
    break;
  }
}
