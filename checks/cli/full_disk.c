/* full_disk.c: an LD_PRELOAD shim that makes the disk fill up. In a process
 * named gradverify, every stream opened for writing with fopen or fdopen
 * shares a budget of GV_FULL_AFTER bytes; once it is spent, writes fail with
 * ENOSPC, as on a full filesystem. Used by full_disk.sh. */
#define _GNU_SOURCE /* fopencookie, RTLD_NEXT, program_invocation_short_name */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long budget = -1; /* -1: not yet read, -2: the shim is off */

static int active(void)
{
  if (budget == -1) {
    const char *v = getenv("GV_FULL_AFTER");
    budget = v && strcmp(program_invocation_short_name, "gradverify") == 0 ? atol(v) : -2;
  }
  return budget != -2;
}

static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
  int fd = (int)(long)c;
  size_t n = size < (size_t)budget ? size : (size_t)budget;
  if (n == 0) {
    errno = ENOSPC;
    return -1;
  }
  ssize_t w = write(fd, buf, n);
  if (w > 0)
    budget -= w;
  if (w >= 0 && (size_t)w < size)
    errno = ENOSPC; /* stdio takes a short write for an error */
  return w;
}

static int cookie_close(void *c)
{
  return close((int)(long)c);
}

/* The wrapped streams and their descriptors, for fileno (fsync needs it). */
#define MAX_STREAMS 256
static struct {
  FILE *f;
  int fd;
} streams[MAX_STREAMS];

static FILE *wrap(int fd, const char *mode)
{
  cookie_io_functions_t io = {.write = cookie_write, .close = cookie_close};
  FILE *f = fopencookie((void *)(long)fd, mode, io);
  for (int i = 0; f && i < MAX_STREAMS; i++)
    if (!streams[i].f || fcntl(streams[i].fd, F_GETFD) < 0) {
      streams[i].f = f, streams[i].fd = fd;
      break;
    }
  return f;
}

int fileno(FILE *f)
{
  static int (*real)(FILE *);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "fileno");
  for (int i = 0; i < MAX_STREAMS; i++)
    if (streams[i].f == f && fcntl(streams[i].fd, F_GETFD) >= 0)
      return streams[i].fd;
  return real(f);
}

static int writing(const char *mode)
{
  return mode[0] == 'w' && !strchr(mode, '+');
}

FILE *fdopen(int fd, const char *mode)
{
  static FILE *(*real)(int, const char *);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "fdopen");
  return active() && writing(mode) ? wrap(fd, mode) : real(fd, mode);
}

FILE *fopen(const char *path, const char *mode)
{
  static FILE *(*real)(const char *, const char *);
  if (!real)
    *(void **)&real = dlsym(RTLD_NEXT, "fopen");
  if (!active() || !writing(mode) || strncmp(path, "/dev/", 5) == 0)
    return real(path, mode);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  return fd < 0 ? NULL : wrap(fd, mode);
}
