/* gv_file.h: files written whole or not at all. */
#ifndef GV_FILE_H
#define GV_FILE_H

#include <stdio.h>

/* Writes path by calling write(stream, ctx) on a temporary file in the same
 * directory, flushing it to disk and renaming it over path, so that a reader
 * sees the old file or the new one, never a part. write returns 0 on success.
 * Returns GSL_SUCCESS, or GSL_EFAILED with the cause in *err_no (an errno
 * value; 0 when write itself failed), leaving no temporary file behind. */
int gv_file_write_atomic(const char *path, int (*write)(FILE *stream, void *ctx), void *ctx,
                         int *err_no);

#endif
