/* gv_file.h: files written whole or not at all. */
#ifndef GV_FILE_H
#define GV_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Room gv_file_create_unique adds to a prefix: ".PID-N" and the NUL. */
#define GV_FILE_UNIQUE_TAIL 24

/* Creates a new file (is_dir 0, opened write-only, close-on-exec; the
 * descriptor is returned) or directory (is_dir 1; 0 is returned) named
 * prefix.PID-N in the directory dfd (AT_FDCWD: the current one, or prefix
 * may hold a path), N from a process-wide atomic counter, retried while the
 * name exists. The mode is 0666 or 0777 less the umask, applied by open(2)
 * and mkdir(2) themselves: unlike mkstemp or mkdtemp followed by a chmod,
 * nothing reads or changes the process's umask, so threads may create files
 * at the same time. The name goes to name (size bytes, at least
 * strlen(prefix) + GV_FILE_UNIQUE_TAIL). Returns -1 with errno on failure. */
int gv_file_create_unique(int dfd, const char *prefix, int is_dir, char *name, size_t size);

/* Writes path by calling write(stream, ctx) on a temporary file in the same
 * directory, flushing it to disk and renaming it over path, so that a reader
 * sees the old file or the new one, never a part. write returns 0 on success.
 * Returns GSL_SUCCESS, or GSL_EFAILED with the cause in *err_no (an errno
 * value; 0 when write itself failed), leaving no temporary file behind.
 * The file gets the mode of any new file (0666 less the umask). Thread-safe
 * (gv_file_create_unique). */
int gv_file_write_atomic(const char *path, int (*write)(FILE *stream, void *ctx), void *ctx,
                         int *err_no);

#endif
