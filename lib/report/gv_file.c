/* gv_file.c: atomic replacement through a temporary file and rename(2). */
#include "gv_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

int gv_file_create_unique(int dfd, const char *prefix, int is_dir, char *name, size_t size)
{
  static atomic_uint counter;
  for (int tries = 0; tries < 1000; tries++) {
    unsigned n = atomic_fetch_add(&counter, 1);
    if ((size_t)snprintf(name, size, "%s.%ld-%u", prefix, (long)getpid(), n) >= size) {
      errno = ENAMETOOLONG;
      return -1;
    }
    int fd = is_dir ? mkdirat(dfd, name, 0777)
                    : openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  return -1; /* errno is EEXIST */
}

int gv_file_write_atomic(const char *path, int (*write)(FILE *stream, void *ctx), void *ctx,
                         int *err_no)
{
  size_t size = strlen(path) + GV_FILE_UNIQUE_TAIL;
  char *tmp = malloc(size);
  *err_no = 0;
  if (!tmp) {
    *err_no = ENOMEM;
    return GSL_EFAILED;
  }
  int fd = gv_file_create_unique(AT_FDCWD, path, 0, tmp, size);
  if (fd < 0) {
    *err_no = errno;
    free(tmp);
    return GSL_EFAILED;
  }
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
