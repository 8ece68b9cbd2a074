/* gv_assign.h: the functions of the assignment (gradverify/assignment.h), as
 * data shared by the grader and the runner.
 *
 * Each function takes nin matrices (const, the inputs; for a backward the
 * forward's inputs, then dout) and nout matrices it fills (the outputs), in the
 * order the header declares them. */
#ifndef GV_ASSIGN_H
#define GV_ASSIGN_H

#include <stddef.h>

typedef struct {
  const char *name;  /* the C symbol, e.g. "relu_backward" */
  const char *layer; /* the layer it belongs to, e.g. "relu" */
  int backward;      /* 0 forward, 1 backward */
  size_t nin, nout;
} gv_assign_fn;

/* The table, and its length. */
extern const gv_assign_fn gv_assign_fns[];
extern const size_t gv_assign_nfns;

/* The index of the function called name, or -1. */
int gv_assign_find(const char *name);

#endif
