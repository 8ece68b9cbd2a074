/* gv_assign.c: the assignment's functions, in the order of assignment.h. */
#include "gv_assign.h"

#include <string.h>

const gv_assign_fn gv_assign_fns[] = {
    {.name = "affine_forward", .layer = "affine", .backward = 0, .nin = 3, .nout = 1},
    {.name = "affine_backward", .layer = "affine", .backward = 1, .nin = 4, .nout = 3},
    {.name = "relu_forward", .layer = "relu", .backward = 0, .nin = 1, .nout = 1},
    {.name = "relu_backward", .layer = "relu", .backward = 1, .nin = 2, .nout = 1},
    {.name = "sigmoid_forward", .layer = "sigmoid", .backward = 0, .nin = 1, .nout = 1},
    {.name = "sigmoid_backward", .layer = "sigmoid", .backward = 1, .nin = 2, .nout = 1},
    {.name = "tanh_forward", .layer = "tanh", .backward = 0, .nin = 1, .nout = 1},
    {.name = "tanh_backward", .layer = "tanh", .backward = 1, .nin = 2, .nout = 1},
    {.name = "softmax_ce_forward", .layer = "softmax_ce", .backward = 0, .nin = 2, .nout = 1},
    {.name = "softmax_ce_backward", .layer = "softmax_ce", .backward = 1, .nin = 3, .nout = 1},
    {.name = "mse_forward", .layer = "mse", .backward = 0, .nin = 2, .nout = 1},
    {.name = "mse_backward", .layer = "mse", .backward = 1, .nin = 3, .nout = 1},
    {.name = "svm_hinge_forward", .layer = "svm_hinge", .backward = 0, .nin = 2, .nout = 1},
    {.name = "svm_hinge_backward", .layer = "svm_hinge", .backward = 1, .nin = 3, .nout = 1},
    {.name = "batchnorm_forward", .layer = "batchnorm", .backward = 0, .nin = 4, .nout = 1},
    {.name = "batchnorm_backward", .layer = "batchnorm", .backward = 1, .nin = 5, .nout = 3},
};

const size_t gv_assign_nfns = sizeof gv_assign_fns / sizeof gv_assign_fns[0];

int gv_assign_find(const char *name)
{
  for (size_t k = 0; k < gv_assign_nfns; k++)
    if (strcmp(gv_assign_fns[k].name, name) == 0)
      return (int)k;
  return -1;
}
