/* gv_plot.c: running gnuplot in a private directory and reading back its SVG. */
#include "gv_plot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

extern char **environ;

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

gv_plot *gv_plot_alloc(int *err_no)
{
  /* The directory's name goes into gnuplot scripts between single quotes. */
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || tmp[0] != '/' || strchr(tmp, '\''))
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

/* Runs gnuplot with argv, stdin and stdout on /dev/null, stderr appended to
 * log (or /dev/null when log is NULL). *status receives the wait status. */
static int spawn_gnuplot(char *const argv[], const char *log, int *status, int *err_no)
{
  posix_spawn_file_actions_t fa;
  pid_t pid;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc != 0) {
    *err_no = rc;
    return GSL_ENOMEM;
  }
  rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log ? log : "/dev/null",
                                          O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (rc == 0)
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    *err_no = rc;
    /* glibc reports a program missing from PATH here, as ENOENT. */
    return rc == ENOENT ? GSL_EUNIMPL : GSL_EFAILED;
  }
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR) {
      *err_no = errno;
      return GSL_EFAILED;
    }
  }
  /* A shell-style "command not found", should exec fail in the child. */
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 127)
    return GSL_EUNIMPL;
  return GSL_SUCCESS;
}

int gv_plot_available(void)
{
  char *argv[] = {"gnuplot", "--version", NULL};
  int status = 0, err_no = 0;
  int rc = spawn_gnuplot(argv, NULL, &status, &err_no);
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

int gv_plot_render(gv_plot *p, const char *script, unsigned width, unsigned height, char **svg,
                   int *err_no)
{
  *svg = NULL;
  *err_no = 0;
  if (!p || !script || width == 0 || height == 0)
    return GSL_EINVAL;
  char *gp = join(p->dir, SCRIPT_NAME), *out = join(p->dir, SVG_NAME),
       *log = join(p->dir, LOG_NAME), *text = NULL;
  int rc = GSL_ENOMEM;
  if (!gp || !out || !log)
    goto done;

  unlink(out); /* never read back a previous plot */
  FILE *f = fopen(gp, "w");
  if (!f) {
    *err_no = errno;
    rc = GSL_EFAILED;
    goto done;
  }
  /* gnuplot's cd makes the data files' plain names work in the script. */
  fprintf(f, GV_PLOT_TERMINAL "\n", width, height);
  fprintf(f, "set encoding utf8\ncd '%s'\nset output '%s'\n", p->dir, SVG_NAME);
  fputs(script, f);
  fputs("\nunset output\n", f);
  if (ferror(f) | (fclose(f) != 0)) {
    *err_no = errno;
    rc = GSL_EFAILED;
    goto done;
  }

  char *argv[] = {"gnuplot", gp, NULL};
  int status = 0;
  rc = spawn_gnuplot(argv, log, &status, err_no);
  if (rc != GSL_SUCCESS)
    goto done;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    rc = GSL_EFAILED;
    goto done;
  }
  size_t len;
  rc = slurp(out, &text, &len, err_no);
  if (rc != GSL_SUCCESS)
    goto done;
  char prefix[32];
  snprintf(prefix, sizeof prefix, "gp%u_", ++p->renders);
  *svg = inline_svg(text, prefix);
  if (!*svg)
    rc = strstr(text, "<svg") ? GSL_ENOMEM : GSL_EFAILED;
done:
  free(text);
  free(gp);
  free(out);
  free(log);
  return rc;
}
