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
#define SVG_NAME "plot.svg"
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

/* The <svg ...> element of gnuplot's output, every id and reference to one
 * prefixed with `prefix`: two inlined plots must not share ids. */
static char *inline_svg(const char *text, const char *prefix)
{
  static const char *const marks[] = {"id='", "id=\"", "href='#", "href=\"#", "url(#"};
  const char *start = strstr(text, "<svg");
  if (!start)
    return NULL;
  size_t count = 0, plen = strlen(prefix), n = strlen(start);
  for (const char *s = start; *s; s++)
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++)
      count += strncmp(s, marks[m], strlen(marks[m])) == 0;
  char *out = malloc(n + count * plen + 1), *o = out;
  if (!out)
    return NULL;
  for (const char *s = start; *s;) {
    size_t hit = 0;
    for (size_t m = 0; m < sizeof marks / sizeof marks[0] && !hit; m++)
      if (strncmp(s, marks[m], strlen(marks[m])) == 0)
        hit = strlen(marks[m]);
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

/* The script gnuplot runs: terminal and output, then the caller's lines. */
static int write_script(const char *gp, const char *script, unsigned width, unsigned height,
                        int *err_no)
{
  FILE *f = fopen(gp, "w");
  if (!f) {
    *err_no = errno;
    return GSL_EFAILED;
  }
  /* gnuplot runs in the work directory: the data files' plain names work in the script. */
  fprintf(f, GV_PLOT_TERMINAL "\n", width, height);
  fprintf(f, "set encoding utf8\nset output '%s'\n", SVG_NAME);
  fputs(script, f);
  fputs("\nunset output\n", f);
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

/* The SVG gnuplot wrote, its ids prefixed for this render, into *svg. */
static int read_svg(gv_plot *p, const char *out, char **svg, int *err_no)
{
  char *text = NULL;
  size_t len;
  int rc = slurp(out, &text, &len, err_no);
  if (rc != GSL_SUCCESS)
    return rc;
  char prefix[32];
  snprintf(prefix, sizeof prefix, "gp%u_", ++p->renders);
  *svg = inline_svg(text, prefix);
  if (!*svg)
    rc = strstr(text, "<svg") ? GSL_ENOMEM : GSL_EFAILED;
  free(text);
  return rc;
}

int gv_plot_render(gv_plot *p, const char *script, unsigned width, unsigned height, char **svg,
                   int *err_no)
{
  *svg = NULL;
  *err_no = 0;
  if (!p || !script || width == 0 || height == 0)
    return GSL_EINVAL;
  char *gp = join(p->dir, SCRIPT_NAME), *out = join(p->dir, SVG_NAME),
       *log = join(p->dir, LOG_NAME);
  int rc = GSL_ENOMEM;
  if (gp && out && log) {
    unlink(out); /* never read back a previous plot */
    rc = write_script(gp, script, width, height, err_no);
    if (rc == GSL_SUCCESS)
      rc = run_script(p, log, err_no);
    if (rc == GSL_SUCCESS)
      rc = read_svg(p, out, svg, err_no);
  }
  free(gp);
  free(out);
  free(log);
  return rc;
}
