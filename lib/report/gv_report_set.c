/* gv_report_set.c: the four reports of a run into one directory. */
#include "gv_report_set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_errno.h>

#include "gv_report.h"
#include "gv_report_html.h"
#include "gv_report_junit.h"

/* DIR/NAME, or NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
  size_t a = strlen(dir), b = strlen(name);
  char *p = malloc(a + b + 2);
  if (p) {
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
  }
  return p;
}

static int write_one(const gv_run *run, size_t i, const char *path, int *plots_skipped, int *err_no)
{
  switch (i) {
  case 0:
    return gv_report_write_json(run, path, err_no);
  case 1:
    return gv_report_write_md(run, path, err_no);
  case 2:
    return gv_report_write_junit(run, path, err_no);
  default:
    return gv_report_write_html(run, path, plots_skipped, err_no);
  }
}

int gv_report_write_set(const gv_run *run, const char *dir, int *plots_skipped, int *err_no,
                        const char **failed)
{
  static const char *const names[] = {GV_REPORT_JSON, GV_REPORT_MD, GV_REPORT_JUNIT,
                                      GV_REPORT_HTML};
  *err_no = 0;
  *failed = NULL;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    *err_no = errno;
    *failed = dir;
    return GSL_EFAILED;
  }
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char *path = join(dir, names[i]);
    int status = path ? write_one(run, i, path, plots_skipped, err_no) : GSL_ENOMEM;
    free(path);
    if (status) {
      *failed = names[i];
      return status;
    }
  }
  return GSL_SUCCESS;
}
