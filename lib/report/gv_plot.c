/* gv_plot.c: running gnuplot on memory files and reading back its SVG. */
#define _GNU_SOURCE /* prctl's PR_SET_PDEATHSIG, pipe2, memfd_create */
#include "gv_plot.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "gv_fork.h"

/* A data file: its name in scripts and the memory file holding it. */
typedef struct {
  char *name;
  int fd;
} data_file;

struct gv_plot {
  unsigned renders; /* for the id prefix of each SVG */
  data_file *data;
  size_t n_data, cap_data;
  int log; /* gnuplot's stderr, appended over the renders; -1 until the first */
};

gv_plot *gv_plot_alloc(int *err_no)
{
  gv_plot *p = calloc(1, sizeof *p);
  *err_no = p ? 0 : ENOMEM;
  if (p)
    p->log = -1;
  return p;
}

void gv_plot_free(gv_plot *p)
{
  if (!p)
    return;
  for (size_t i = 0; i < p->n_data; i++) {
    free(p->data[i].name);
    close(p->data[i].fd);
  }
  free(p->data);
  if (p->log >= 0)
    close(p->log);
  free(p);
}

static int valid_name(const char *name)
{
  return *name && !strchr(name, '/') && !strchr(name, '\'') && strcmp(name, ".") != 0 &&
         strcmp(name, "..") != 0;
}

/* A memory file (close-on-exec: the child clears the flag on those it
 * needs); -1 with errno. */
static int memory_file(const char *name)
{
  return memfd_create(name, MFD_CLOEXEC);
}

/* The slot of data file `name`, a new one (fd -1) when there is none;
 * NULL when out of memory. */
static data_file *data_slot(gv_plot *p, const char *name)
{
  for (size_t i = 0; i < p->n_data; i++)
    if (strcmp(p->data[i].name, name) == 0)
      return &p->data[i];
  if (p->n_data == p->cap_data) {
    size_t cap = p->cap_data ? 2 * p->cap_data : 16;
    data_file *bigger = realloc(p->data, cap * sizeof *bigger);
    if (!bigger)
      return NULL;
    p->data = bigger;
    p->cap_data = cap;
  }
  data_file *d = &p->data[p->n_data];
  *d = (data_file){.name = strdup(name), .fd = -1};
  if (!d->name)
    return NULL;
  p->n_data++;
  return d;
}

int gv_plot_data_open(gv_plot *p, const char *name, FILE **f, int *err_no)
{
  *f = NULL;
  *err_no = 0;
  if (!p || !valid_name(name))
    return GSL_EINVAL;
  data_file *d = data_slot(p, name);
  if (!d)
    return GSL_ENOMEM;
  if (d->fd >= 0)
    close(d->fd); /* opened again: written afresh */
  d->fd = memory_file(name);
  int w = d->fd >= 0 ? dup(d->fd) : -1;
  if (w >= 0 && !(*f = fdopen(w, "w")))
    close(w);
  if (!*f)
    *err_no = errno;
  return *f ? GSL_SUCCESS : GSL_EFAILED;
}

/* What the child keeps besides its standard streams: the memory files a
 * render hands to gnuplot by /dev/fd/N (their close-on-exec flag cleared),
 * and its stderr (-1: /dev/null). */
typedef struct {
  const int *fds;
  size_t n;
  int log;
} child_files;

/* The child's descriptors before exec: cf's files kept open across it,
 * standard input and output /dev/null, standard error the log (or
 * /dev/null), and / as the working directory. 0, or the errno that failed. */
static int child_files_setup(const child_files *cf)
{
  int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY),
      er = cf->log >= 0 ? cf->log : open("/dev/null", O_WRONLY);
  for (size_t i = 0; i < cf->n; i++)
    if (fcntl(cf->fds[i], F_SETFD, 0) != 0)
      return errno;
  if (in < 0 || out < 0 || er < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
      dup2(er, STDERR_FILENO) < 0 || chdir("/") != 0)
    return errno;
  return 0;
}

/* In the child (signals as exec finds them in a fresh process: gv_fork_held), stdin and
 * stdout on /dev/null, stderr appended to the log, the root as cwd (a script
 * reads no file but those handed to it), killed should gradverify die first;
 * then exec. Any failure is written as an errno value to fd and ends the
 * child. */
static void exec_gnuplot(char *const argv[], const child_files *cf, pid_t parent, int fd)
{
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
    _exit(127); /* the parent is already gone: nothing to draw for */
  int e = child_files_setup(cf);
  if (!e) {
    execvp(argv[0], argv);
    e = errno;
  }
  if (write(fd, &e, sizeof e) < 0)
    _exit(126);
  _exit(127);
}

/* The gnuplot child being waited for, 0 when none. */
static volatile pid_t gnuplot_pid;

/* Runs gnuplot with argv, handing it the files of cf. *status receives the
 * wait status. GSL_EUNIMPL when the program is not in PATH, GSL_EFAILED when
 * it could not be started for another reason (the cause in *err_no). */
static int spawn_gnuplot(char *const argv[], const child_files *cf, int *status, int *err_no)
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *err_no = errno;
    return GSL_EFAILED;
  }
  /* Every signal held across fork (as posix_spawn does): the child must not
   * run a handler of ours before it has reset them, and the parent's
   * handler finds gnuplot_pid set when the child exists. */
  sigset_t mask;
  pid_t parent = getpid(), pid = gv_fork_held(&mask);
  if (pid == 0)
    exec_gnuplot(argv, cf, parent, fds[1]);
  int e = pid < 0 ? errno : 0;
  if (pid > 0)
    gnuplot_pid = pid;
  pthread_sigmask(SIG_SETMASK, &mask, NULL);
  close(fds[1]);
  if (pid > 0) {
    /* The pipe closes on a successful exec (O_CLOEXEC) and brings an errno otherwise. */
    while (read(fds[0], &e, sizeof e) < 0 && errno == EINTR)
      ;
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
      ;
    gnuplot_pid = 0;
  }
  close(fds[0]);
  if (e) {
    *err_no = e;
    return e == ENOENT ? GSL_EUNIMPL : GSL_EFAILED;
  }
  return GSL_SUCCESS;
}

void gv_plot_kill_child(void)
{
  pid_t pid = gnuplot_pid;
  if (pid > 0)
    kill(pid, SIGKILL);
}

int gv_plot_available(void)
{
  char *argv[] = {"gnuplot", "--version", NULL};
  int status = 0, err_no = 0;
  child_files none = {.log = -1};
  int rc = spawn_gnuplot(argv, &none, &status, &err_no);
  if (rc != GSL_SUCCESS)
    return rc;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? GSL_SUCCESS : GSL_EFAILED;
}

/* The whole memory file fd as a NUL-terminated string. */
static int slurp(int fd, char **text, int *err_no)
{
  *text = NULL;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *err_no = errno;
    return GSL_EFAILED;
  }
  size_t n = (size_t)st.st_size, got = 0;
  char *buf = malloc(n + 1);
  if (!buf)
    return GSL_ENOMEM;
  while (got < n) {
    ssize_t k = pread(fd, buf + got, n - got, (off_t)got);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      *err_no = k < 0 ? errno : EIO;
      free(buf);
      return GSL_EFAILED;
    }
    got += (size_t)k;
  }
  buf[n] = '\0';
  *text = buf;
  return GSL_SUCCESS;
}

/* The length of the id or id reference that starts at s, 0 when none does.
 * The first letter is tested first: this runs for every byte of every SVG. */
static size_t mark_at(const char *s)
{
  static const char *const marks[] = {"id='", "id=\"", "href='#", "href=\"#", "url(#"};
  if (*s != 'i' && *s != 'h' && *s != 'u')
    return 0;
  for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
    size_t len = strlen(marks[m]);
    if (strncmp(s, marks[m], len) == 0)
      return len;
  }
  return 0;
}

/* The <svg ...> element of gnuplot's output, every id and reference to one
 * prefixed with `prefix`: two inlined plots must not share ids. */
static char *inline_svg(const char *text, const char *prefix)
{
  const char *start = strstr(text, "<svg");
  if (!start)
    return NULL;
  size_t count = 0, plen = strlen(prefix), n = strlen(start);
  for (const char *s = start; *s; s++)
    count += mark_at(s) != 0;
  char *out = malloc(n + count * plen + 1), *o = out;
  if (!out)
    return NULL;
  for (const char *s = start; *s;) {
    size_t hit = mark_at(s);
    if (hit) {
      memcpy(o, s, hit);
      memcpy(o + hit, prefix, plen);
      o += hit + plen;
      s += hit;
    } else {
      *o++ = *s++;
    }
  }
  *o = '\0';
  return out;
}

/* The caller's script with each data file's quoted name, 'name', turned
 * into the /dev/fd/N gnuplot opens it by. */
static void put_script(FILE *f, const gv_plot *p, const char *script)
{
  for (const char *c = script; *c;) {
    size_t hit = SIZE_MAX;
    for (size_t i = 0; *c == '\'' && hit == SIZE_MAX && i < p->n_data; i++) {
      size_t len = strlen(p->data[i].name);
      if (strncmp(c + 1, p->data[i].name, len) == 0 && c[len + 1] == '\'') {
        fprintf(f, "'/dev/fd/%d'", p->data[i].fd);
        hit = len + 2;
      }
    }
    if (hit == SIZE_MAX)
      fputc(*c, f), hit = 1;
    c += hit;
  }
}

/* One job's block of the script: a fresh state (gnuplot keeps settings and
 * variables from the previous plot otherwise), terminal and output (the
 * memory file out), then the caller's lines. */
static void put_job(FILE *f, const gv_plot *p, const gv_plot_job *job, size_t i, int out)
{
  if (i > 0)
    fputs("reset session\n", f);
  fprintf(f, GV_PLOT_TERMINAL "\n", job->width, job->height);
  fprintf(f, "set encoding utf8\nset output '/dev/fd/%d'\n", out);
  /* Without this gnuplot installs and removes a SIGFPE handler around every
   * expression it evaluates while reading data (a "using" column such as
   * (0)): three system calls each, 24,000 for one heat map of 64 x 61
   * blocks drawn with expressions, a quarter of gnuplot's time. Floating-
   * point exceptions are masked: nothing here can raise SIGFPE. */
  fputs("set datafile nofpe_trap\n", f);
  put_script(f, p, job->script);
  fputs("\nunset output\n", f);
}

/* The files of one render: the script, and an output per job (-1 for a job
 * not drawn). */
typedef struct {
  int script;
  int *out;
  size_t n;
} render_files;

static void render_files_close(render_files *rf)
{
  if (rf->script >= 0)
    close(rf->script);
  for (size_t i = 0; rf->out && i < rf->n; i++)
    if (rf->out[i] >= 0)
      close(rf->out[i]);
  free(rf->out);
}

/* The script gnuplot runs, every valid job's block in order, into a memory
 * file, with an output file per valid job. */
/* Each successful job's plot into the script f, its output a new memory
 * file in rf->out; nonzero if writing failed or an output could not be had. */
static int put_jobs(FILE *f, gv_plot *p, const gv_plot_job *jobs, render_files *rf)
{
  for (size_t i = 0; i < rf->n; i++)
    if (jobs[i].rc == GSL_SUCCESS && (rf->out[i] = memory_file("plot.svg")) >= 0)
      put_job(f, p, &jobs[i], i, rf->out[i]);
  int bad = ferror(f);
  for (size_t i = 0; !bad && i < rf->n; i++)
    bad = jobs[i].rc == GSL_SUCCESS && rf->out[i] < 0;
  return bad;
}

static int write_script(gv_plot *p, const gv_plot_job *jobs, size_t n, render_files *rf,
                        int *err_no)
{
  *rf = (render_files){.script = -1, .out = malloc((n ? n : 1) * sizeof(int)), .n = n};
  if (!rf->out)
    return GSL_ENOMEM;
  for (size_t i = 0; i < n; i++)
    rf->out[i] = -1;
  int w = -1;
  rf->script = memory_file("plot.gp");
  FILE *f = rf->script >= 0 && (w = dup(rf->script)) >= 0 ? fdopen(w, "w") : NULL;
  int bad = !f || put_jobs(f, p, jobs, rf);
  *err_no = bad ? errno : 0;
  if (f && fclose(f) != 0 && !bad)
    bad = 1, *err_no = errno;
  else if (!f && w >= 0)
    close(w);
  return bad ? GSL_EFAILED : GSL_SUCCESS;
}

/* Runs gnuplot on the script of rf, handing it the outputs and every data
 * file; GSL_EFAILED unless it exits 0. */
static int run_script(gv_plot *p, const render_files *rf, int *err_no)
{
  if (p->log < 0 && (p->log = memory_file("gnuplot.log")) < 0) {
    *err_no = errno;
    return GSL_EFAILED;
  }
  size_t n = 0;
  int *fds = malloc((1 + rf->n + p->n_data) * sizeof *fds);
  if (!fds)
    return GSL_ENOMEM;
  fds[n++] = rf->script;
  for (size_t i = 0; i < rf->n; i++)
    if (rf->out[i] >= 0)
      fds[n++] = rf->out[i];
  for (size_t i = 0; i < p->n_data; i++)
    if (p->data[i].fd >= 0)
      fds[n++] = p->data[i].fd;
  char script[32];
  snprintf(script, sizeof script, "/dev/fd/%d", rf->script);
  char *argv[] = {"gnuplot", script, NULL};
  child_files cf = {.fds = fds, .n = n, .log = p->log};
  int status = 0;
  int rc = spawn_gnuplot(argv, &cf, &status, err_no);
  free(fds);
  if (rc == GSL_SUCCESS && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
    rc = GSL_EFAILED;
  return rc;
}

/* The SVG gnuplot wrote into out, its ids prefixed for this render, into job->svg. */
static int read_svg(gv_plot *p, gv_plot_job *job, int out, int *err_no)
{
  char *text = NULL;
  int rc = slurp(out, &text, err_no);
  if (rc != GSL_SUCCESS)
    return rc;
  char prefix[32];
  snprintf(prefix, sizeof prefix, "gp%u_", ++p->renders);
  job->svg = inline_svg(text, prefix);
  if (!job->svg)
    rc = strstr(text, "<svg") ? GSL_ENOMEM : GSL_EFAILED;
  free(text);
  return rc;
}

/* Every valid job drawn by one gnuplot process. Returns the process's
 * status (GSL_SUCCESS when it ran the whole script); on success each job's
 * rc says whether its SVG was read back. */
static int render_once(gv_plot *p, gv_plot_job *jobs, size_t n)
{
  render_files rf;
  int err_no = 0, rc = write_script(p, jobs, n, &rf, &err_no);
  if (rc == GSL_SUCCESS)
    rc = run_script(p, &rf, &err_no);
  for (size_t i = 0; i < n; i++) {
    gv_plot_job *job = &jobs[i];
    if (job->rc != GSL_SUCCESS)
      continue;
    job->err_no = err_no;
    job->rc = rc == GSL_SUCCESS ? read_svg(p, job, rf.out[i], &job->err_no) : rc;
  }
  render_files_close(&rf);
  return rc;
}

/* Marks the jobs that cannot be drawn (GSL_EINVAL), clears the others. */
static size_t prepare_jobs(gv_plot_job *jobs, size_t n)
{
  size_t valid = 0;
  for (size_t i = 0; i < n; i++) {
    gv_plot_job *job = &jobs[i];
    job->svg = NULL;
    job->err_no = 0;
    job->rc = job->script && job->width && job->height ? GSL_SUCCESS : GSL_EINVAL;
    valid += job->rc == GSL_SUCCESS;
  }
  return valid;
}

int gv_plot_render_all(gv_plot *p, gv_plot_job *jobs, size_t n)
{
  if (!p || (n && !jobs))
    return GSL_EINVAL;
  if (prepare_jobs(jobs, n) == 0)
    return GSL_SUCCESS;
  int rc = render_once(p, jobs, n);
  if (rc != GSL_EFAILED || n == 1)
    return rc == GSL_ENOMEM || rc == GSL_EUNIMPL ? rc : GSL_SUCCESS;
  /* gnuplot stops at the first script it rejects: draw each plot alone, so
   * that a bad one costs only itself (a rare path: one process per plot). */
  for (size_t i = 0; i < n; i++) {
    if (jobs[i].rc == GSL_EINVAL)
      continue;
    jobs[i].rc = GSL_SUCCESS;
    rc = render_once(p, &jobs[i], 1);
    if (rc == GSL_ENOMEM || rc == GSL_EUNIMPL)
      return rc;
  }
  return GSL_SUCCESS;
}

int gv_plot_render(gv_plot *p, const char *script, unsigned width, unsigned height, char **svg,
                   int *err_no)
{
  gv_plot_job job = {.script = script, .width = width, .height = height};
  *svg = NULL;
  *err_no = 0;
  if (!p)
    return GSL_EINVAL;
  int rc = gv_plot_render_all(p, &job, 1);
  if (rc == GSL_SUCCESS)
    rc = job.rc;
  *svg = job.svg;
  *err_no = job.err_no;
  return rc;
}
