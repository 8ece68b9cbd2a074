/* gv_wire.c: records of matrices, written and read with every length checked. */
#include "gv_wire.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

void gv_buf_init(gv_buf *b)
{
  *b = (gv_buf){.data = NULL, .len = 0, .cap = 0};
}

void gv_buf_free(gv_buf *b)
{
  free(b->data);
  gv_buf_init(b);
}

int gv_buf_append(gv_buf *b, const void *p, size_t n)
{
  if (n > SIZE_MAX / 2 - b->len)
    return GSL_ENOMEM;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
      cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d)
      return GSL_ENOMEM;
    b->data = d;
    b->cap = cap;
  }
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  return GSL_SUCCESS;
}

static int put_u32(gv_buf *b, uint32_t v)
{
  return gv_buf_append(b, &v, sizeof v);
}

static int put_matrix(gv_buf *b, const gsl_matrix *m)
{
  if (m->size1 > UINT32_MAX || m->size2 > UINT32_MAX ||
      (m->size2 && m->size1 > GV_WIRE_MAX_ENTRIES / m->size2))
    return GSL_EINVAL;
  int status = put_u32(b, (uint32_t)m->size1);
  if (!status)
    status = put_u32(b, (uint32_t)m->size2);
  for (size_t i = 0; i < m->size1 && !status; i++)
    status = gv_buf_append(b, gsl_matrix_const_ptr(m, i, 0), m->size2 * sizeof(double));
  return status;
}

int gv_wire_put(gv_buf *b, int32_t status, uint32_t flags, size_t nmat, const gsl_matrix *const *m)
{
  if (nmat > GV_WIRE_MAX_MATS)
    return GSL_EINVAL;
  int32_t s = status;
  int rc = put_u32(b, GV_WIRE_MAGIC);
  if (!rc)
    rc = gv_buf_append(b, &s, sizeof s);
  if (!rc)
    rc = put_u32(b, flags);
  if (!rc)
    rc = put_u32(b, (uint32_t)nmat);
  for (size_t k = 0; k < nmat && !rc; k++)
    rc = put_matrix(b, m[k]);
  return rc;
}

/* Reads n bytes at *pos if they lie within len. */
static int take(const unsigned char *data, size_t len, size_t *pos, void *out, size_t n)
{
  if (*pos > len || n > len - *pos)
    return GSL_EFAILED;
  memcpy(out, data + *pos, n);
  *pos += n;
  return GSL_SUCCESS;
}

static int get_matrix(const unsigned char *data, size_t len, size_t *pos, gsl_matrix **out)
{
  uint32_t rows, cols;
  if (take(data, len, pos, &rows, sizeof rows) || take(data, len, pos, &cols, sizeof cols))
    return GSL_EFAILED;
  /* gsl_matrix_alloc refuses 0 rows or columns; so does the format. */
  if (rows == 0 || cols == 0 || rows > GV_WIRE_MAX_ENTRIES / cols)
    return GSL_EFAILED;
  size_t bytes = (size_t)rows * cols * sizeof(double);
  if (*pos > len || bytes > len - *pos)
    return GSL_EFAILED;
  gsl_matrix *m = gsl_matrix_alloc(rows, cols);
  if (!m)
    return GSL_ENOMEM;
  memcpy(m->data, data + *pos, bytes); /* a fresh matrix: tda == cols */
  *pos += bytes;
  *out = m;
  return GSL_SUCCESS;
}

int gv_wire_get(const unsigned char *data, size_t len, size_t *pos, gv_wire_record *rec)
{
  uint32_t magic, flags, nmat;
  int32_t status;
  *rec = (gv_wire_record){.nmat = 0};
  if (take(data, len, pos, &magic, sizeof magic) || magic != GV_WIRE_MAGIC ||
      take(data, len, pos, &status, sizeof status) || take(data, len, pos, &flags, sizeof flags) ||
      take(data, len, pos, &nmat, sizeof nmat) || nmat > GV_WIRE_MAX_MATS)
    return GSL_EFAILED;
  rec->status = status;
  rec->flags = flags;
  for (uint32_t k = 0; k < nmat; k++) {
    int rc = get_matrix(data, len, pos, &rec->mat[k]);
    if (rc) {
      gv_wire_record_clear(rec);
      return rc;
    }
    rec->nmat = k + 1;
  }
  return GSL_SUCCESS;
}

void gv_wire_record_clear(gv_wire_record *rec)
{
  for (size_t k = 0; k < rec->nmat; k++)
    gsl_matrix_free(rec->mat[k]);
  rec->nmat = 0;
}
