/* gv_wire.h: the binary format between the grader and the runner that calls a
 * submission's functions in a child process.
 *
 * Both directions carry a sequence of records. A record is
 *
 *   u32 magic (GV_WIRE_MAGIC), i32 status, u32 flags, u32 nmat,
 *   then nmat times: u32 rows, u32 cols, rows * cols doubles (row-major),
 *
 * in host byte order (both ends run on the same machine). A request record is
 * one call: status is unused, the matrices are the function's inputs, then its
 * outputs pre-filled by the grader. A reply record is that call's return value
 * (status), GV_WIRE_FLAG_* bits and the outputs as the function left them.
 *
 * The reader trusts nothing: the bytes come from a process running untrusted
 * code. gv_wire_get checks the magic, that nmat <= GV_WIRE_MAX_MATS, that each
 * matrix has at most GV_WIRE_MAX_ENTRIES entries and that every byte it reads
 * lies within the buffer; anything else is GSL_EFAILED and that reply is the
 * function's failure, never the grader's. */
#ifndef GV_WIRE_H
#define GV_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_matrix.h>

#define GV_WIRE_MAGIC 0x31525647u /* "GVR1" */
#define GV_WIRE_MAX_MATS 8
#define GV_WIRE_MAX_ENTRIES (1u << 20)

/* Reply flags. */
#define GV_WIRE_FLAG_GSL_ERROR 0x1u /* the GSL error handler was called during the call */
#define GV_WIRE_FLAG_ENOMEM 0x2u    /* errno was ENOMEM after the call (an allocation failed) */

/* Status of the record the runner writes after the last call: its absence
 * means the process ended during a call. */
#define GV_WIRE_STATUS_END (-1000)
/* Status of the record written when a forbidden system call was trapped;
 * flags holds the system call's number. */
#define GV_WIRE_STATUS_FORBIDDEN (-1001)
/* Status of the record written when the process is about to die of a signal
 * (segfault, abort, ...); flags as a reply's, code the signal. */
#define GV_WIRE_STATUS_CRASH (-1002)
/* Status of the record written once the filter is installed, before the
 * submission is loaded: from then on every failure is the submission's. */
#define GV_WIRE_STATUS_SANDBOXED (-1003)

/* A growable byte buffer. */
typedef struct {
  unsigned char *data;
  size_t len, cap;
} gv_buf;

void gv_buf_init(gv_buf *b);
void gv_buf_free(gv_buf *b);
/* Appends n bytes: GSL_ENOMEM if the buffer cannot grow. */
int gv_buf_append(gv_buf *b, const void *p, size_t n);

/* Appends one record with the nmat matrices m (GSL_EINVAL if nmat exceeds
 * GV_WIRE_MAX_MATS or a matrix GV_WIRE_MAX_ENTRIES). */
int gv_wire_put(gv_buf *b, int32_t status, uint32_t flags, size_t nmat, const gsl_matrix *const *m);

/* One decoded record; its matrices are owned by it. */
typedef struct {
  int32_t status;
  uint32_t flags;
  size_t nmat;
  gsl_matrix *mat[GV_WIRE_MAX_MATS];
} gv_wire_record;

/* Decodes the record at data[*pos..len) into rec and advances *pos past it.
 * GSL_EFAILED for a malformed or truncated record (rec then holds no
 * matrices), GSL_ENOMEM if a matrix cannot be allocated. */
int gv_wire_get(const unsigned char *data, size_t len, size_t *pos, gv_wire_record *rec);

/* Frees rec's matrices; rec may then be reused. */
void gv_wire_record_clear(gv_wire_record *rec);

#endif
