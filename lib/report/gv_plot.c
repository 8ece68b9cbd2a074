/* gv_plot.c: running gnuplot in a private directory and reading back its SVG. */
#define _GNU_SOURCE /* prctl's PR_SET_PDEATHSIG, pipe2 */
#include "gv_plot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

struct gv_plot {
  char *dir;
  unsigned renders; /* for the id prefix of each SVG */
};

#define SCRIPT_NAME "plot.gp"
#define LOG_NAME "gnuplot.log"

/* dir + "/" + name, or NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
  size_t a = strlen(dir), b = strlen(name);
  char *s = malloc(a + b + 2);
  if (!s)
    return NULL;
  memcpy(s, dir, a);
  s[a] = '/';
  memcpy(s + a + 1, name, b + 1);
  return s;
}

gv_plot *gv_plot_alloc(const char *parent, int *err_no)
{
  const char *tmp = parent ? parent : getenv("TMPDIR");
  if (!tmp || !*tmp)
    tmp = "/tmp";
  gv_plot *p = calloc(1, sizeof *p);
  if (p)
    p->dir = join(tmp, "gv-plot.XXXXXX");
  if (!p || !p->dir) {
    free(p);
    *err_no = ENOMEM;
    return NULL;
  }
  if (!mkdtemp(p->dir)) {
    *err_no = errno;
    free(p->dir);
    free(p);
    return NULL;
  }
  *err_no = 0;
  return p;
}

void gv_plot_free(gv_plot *p)
{
  if (!p)
    return;
  DIR *d = opendir(p->dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
        unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
  }
  rmdir(p->dir);
  free(p->dir);
  free(p);
}

const char *gv_plot_dir(const gv_plot *p)
{
  return p->dir;
}

static int valid_name(const char *name)
{
  return *name && !strchr(name, '/') && !strchr(name, '\'') && strcmp(name, ".") != 0 &&
         strcmp(name, "..") != 0;
}

int gv_plot_data_open(gv_plot *p, const char *name, FILE **f, int *err_no)
{
  *f = NULL;
  *err_no = 0;
  if (!p || !valid_name(name))
    return GSL_EINVAL;
  char *path = join(p->dir, name);
  if (!path)
    return GSL_ENOMEM;
  *f = fopen(path, "w");
  if (!*f)
    *err_no = errno;
  free(path);
  return *f ? GSL_SUCCESS : GSL_EFAILED;
}

/* In the child: stdin and stdout on /dev/null, stderr appended to log (or
 * /dev/null), the work directory dir as cwd, killed should gradverify die
 * first; then exec. Any failure is written as an errno value to fd and ends
 * the child. */
static void exec_gnuplot(char *const argv[], const char *dir, const char *log, pid_t parent, int fd)
{
  int e = 0;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
    _exit(127); /* the parent is already gone: nothing to draw for */
  int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY),
      er = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (in < 0 || out < 0 || er < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
      dup2(er, STDERR_FILENO) < 0 || (dir && chdir(dir) != 0))
    e = errno;
  else
    execvp(argv[0], argv);
  e = e ? e : errno;
  if (write(fd, &e, sizeof e) < 0)
    _exit(126);
  _exit(127);
}

/* The gnuplot child being waited for, 0 when none. */
static volatile pid_t gnuplot_pid;

/* Runs gnuplot with argv in dir (NULL: the current directory), stderr
 * appended to log (or /dev/null when log is NULL). *status receives the wait
 * status. GSL_EUNIMPL when the program is not in PATH, GSL_EFAILED when it
 * could not be started for another reason (the cause in *err_no). */
static int spawn_gnuplot(char *const argv[], const char *dir, const char *log, int *status,
                         int *err_no)
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *err_no = errno;
    return GSL_EFAILED;
  }
  pid_t parent = getpid(), pid = fork();
  if (pid == 0)
    exec_gnuplot(argv, dir, log, parent, fds[1]);
  close(fds[1]);
  int e = pid < 0 ? errno : 0;
  if (pid > 0) {
    gnuplot_pid = pid;
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
  int rc = spawn_gnuplot(argv, NULL, NULL, &status, &err_no);
  if (rc != GSL_SUCCESS)
    return rc;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? GSL_SUCCESS : GSL_EFAILED;
}

/* The whole file as a NUL-terminated string. */
static int slurp(const char *path, char **text, size_t *len, int *err_no)
{
  FILE *f = fopen(path, "rb");
  *text = NULL;
  if (!f) {
    *err_no = errno;
    return GSL_EFAILED;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1)
      break;
    char *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  int bad = ferror(f);
  fclose(f);
  if (!buf)
    return GSL_ENOMEM;
  if (bad) {
    free(buf);
    *err_no = EIO;
    return GSL_EFAILED;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
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

/* The name of job i's SVG in the work directory. */
static void svg_name(char *buf, size_t size, size_t i)
{
  snprintf(buf, size, "plot%zu.svg", i);
}

/* One job's block of the script: a fresh state (gnuplot keeps settings and
 * variables from the previous plot otherwise), terminal and output, then the
 * caller's lines. */
static void put_job(FILE *f, const gv_plot_job *job, size_t i)
{
  char name[32];
  svg_name(name, sizeof name, i);
  if (i > 0)
    fputs("reset session\n", f);
  /* gnuplot runs in the work directory: the data files' plain names work in the script. */
  fprintf(f, GV_PLOT_TERMINAL "\n", job->width, job->height);
  fprintf(f, "set encoding utf8\nset output '%s'\n", name);
  /* Without this gnuplot installs and removes a SIGFPE handler around every
   * expression it evaluates while reading data (a "using" column such as
   * (0), or the heat map's entry indices): three system calls each, 24,000
   * for one map of 64 x 61 blocks, a quarter of gnuplot's time (9 of 33 ms
   * at --size 784,128,10). Floating-point exceptions are masked: nothing
   * here can raise SIGFPE. */
  fputs("set datafile nofpe_trap\n", f);
  fputs(job->script, f);
  fputs("\nunset output\n", f);
}

/* The script gnuplot runs: every valid job's block, in order. */
static int write_script(const char *gp, const gv_plot_job *jobs, size_t n, int *err_no)
{
  FILE *f = fopen(gp, "w");
  if (!f) {
    *err_no = errno;
    return GSL_EFAILED;
  }
  for (size_t i = 0; i < n; i++)
    if (jobs[i].rc == GSL_SUCCESS)
      put_job(f, &jobs[i], i);
  if (ferror(f) | (fclose(f) != 0)) {
    *err_no = errno;
    return GSL_EFAILED;
  }
  return GSL_SUCCESS;
}

/* Runs gnuplot on the script in p's directory; GSL_EFAILED unless it exits 0. */
static int run_script(const gv_plot *p, const char *log, int *err_no)
{
  char *argv[] = {"gnuplot", SCRIPT_NAME, NULL};
  int status = 0;
  int rc = spawn_gnuplot(argv, p->dir, log, &status, err_no);
  if (rc == GSL_SUCCESS && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
    rc = GSL_EFAILED;
  return rc;
}

/* The SVG gnuplot wrote for job i, its ids prefixed for this render, into job->svg. */
static int read_svg(gv_plot *p, gv_plot_job *job, size_t i, int *err_no)
{
  char name[32];
  svg_name(name, sizeof name, i);
  char *path = join(p->dir, name), *text = NULL;
  size_t len;
  int rc = path ? slurp(path, &text, &len, err_no) : GSL_ENOMEM;
  free(path);
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

/* Removes the SVGs a previous render left: never read back an old plot. */
static int clear_svgs(const gv_plot *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char name[32];
    svg_name(name, sizeof name, i);
    char *path = join(p->dir, name);
    if (!path)
      return GSL_ENOMEM;
    unlink(path);
    free(path);
  }
  return GSL_SUCCESS;
}

/* Every valid job drawn by one gnuplot process. Returns the process's
 * status (GSL_SUCCESS when it ran the whole script); on success each job's
 * rc says whether its SVG was read back. */
static int render_once(gv_plot *p, gv_plot_job *jobs, size_t n)
{
  char *gp = join(p->dir, SCRIPT_NAME), *log = join(p->dir, LOG_NAME);
  int err_no = 0, rc = gp && log ? clear_svgs(p, n) : GSL_ENOMEM;
  if (rc == GSL_SUCCESS)
    rc = write_script(gp, jobs, n, &err_no);
  if (rc == GSL_SUCCESS)
    rc = run_script(p, log, &err_no);
  for (size_t i = 0; i < n; i++) {
    gv_plot_job *job = &jobs[i];
    if (job->rc != GSL_SUCCESS)
      continue;
    job->err_no = err_no;
    job->rc = rc == GSL_SUCCESS ? read_svg(p, job, i, &job->err_no) : rc;
  }
  free(gp);
  free(log);
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
