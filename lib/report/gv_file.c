/* gv_file.c: atomic replacement through a temporary file and rename(2). */
#include "gv_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

int gv_file_write_atomic(const char *path, int (*write)(FILE *stream, void *ctx), void *ctx,
                         int *err_no)
{
  static const char suffix[] = ".XXXXXX";
  size_t len = strlen(path);
  char *tmp = malloc(len + sizeof suffix);
  *err_no = 0;
  if (!tmp) {
    *err_no = ENOMEM;
    return GSL_EFAILED;
  }
  memcpy(tmp, path, len);
  memcpy(tmp + len, suffix, sizeof suffix);

  int fd = mkstemp(tmp);
  if (fd < 0) {
    *err_no = errno;
    free(tmp);
    return GSL_EFAILED;
  }
  /* mkstemp makes the file private (0600); a report gets the mode any new
   * file would, 0666 less the umask. */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  FILE *f = fdopen(fd, "w");
  if (!f) {
    *err_no = errno;
    close(fd);
    goto fail;
  }
  if (write(f, ctx) != 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
    *err_no = ferror(f) || errno ? errno : 0;
    fclose(f);
    goto fail;
  }
  if (fclose(f) != 0 || rename(tmp, path) != 0) {
    *err_no = errno;
    goto fail;
  }
  free(tmp);
  return GSL_SUCCESS;
fail:
  unlink(tmp);
  free(tmp);
  return GSL_EFAILED;
}
