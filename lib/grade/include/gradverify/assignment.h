/* gradverify/assignment.h: the backpropagation assignment graded by
 * `gradverify grade`.
 *
 * Implement any of the functions below in one C file (or a shared library)
 * and hand it in; the grader compiles it with
 *
 *   cc -std=c11 -shared -fPIC -O1 -Wall -Wextra -I<this header's folder> you.c -lgsl -lgslcblas -lm
 *
 * and grades every function it finds; the others are reported as missing.
 *
 * Conventions (as in the lecture notes, "denominator layout", batch first):
 *   - X is N x D: one example per row. A bias b is an M x 1 column.
 *   - forward(inputs..., out) computes the layer's output into out.
 *   - backward(inputs..., dout, grads...) receives the same inputs and the
 *     gradient of the loss with respect to the layer's output, dout (shaped
 *     like out), and stores the gradient of the loss with respect to each
 *     differentiable input, shaped like that input: dX like X, dW like W.
 *   - Losses are averaged over the batch: L = (1/N) sum over the N rows.
 *   - Every matrix is allocated by the grader with the documented shape;
 *     outputs arrive filled with zeros. Do not free or resize them.
 *   - Return 0 (GSL_SUCCESS) on success, a non-zero status otherwise.
 *
 * The functions run in a separate process with limits on time and memory, and
 * without the right to write files or start processes: compute only. Whatever
 * you print to stdout or stderr is shown in your report. */
#ifndef GRADVERIFY_ASSIGNMENT_H
#define GRADVERIFY_ASSIGNMENT_H

#include <gsl/gsl_matrix.h>

/* affine: out = X W + 1 b^T  (X N x D, W D x M, b M x 1, out N x M).
 * backward: dX = dout W^T (N x D), dW = X^T dout (D x M), db = dout^T 1 (M x 1). */
int affine_forward(const gsl_matrix *X, const gsl_matrix *W, const gsl_matrix *b, gsl_matrix *out);
int affine_backward(const gsl_matrix *X, const gsl_matrix *W, const gsl_matrix *b,
                    const gsl_matrix *dout, gsl_matrix *dX, gsl_matrix *dW, gsl_matrix *db);

/* relu: out = max(X, 0) entrywise (N x D). backward: dX = dout where X > 0, else 0. */
int relu_forward(const gsl_matrix *X, gsl_matrix *out);
int relu_backward(const gsl_matrix *X, const gsl_matrix *dout, gsl_matrix *dX);

/* sigmoid: out = 1 / (1 + exp(-X)) entrywise (N x D). backward: dX = dout s (1 - s), s =
 * sigmoid(X). */
int sigmoid_forward(const gsl_matrix *X, gsl_matrix *out);
int sigmoid_backward(const gsl_matrix *X, const gsl_matrix *dout, gsl_matrix *dX);

/* tanh: out = tanh(X) entrywise (N x D). backward: dX = dout (1 - tanh(X)^2). */
int tanh_forward(const gsl_matrix *X, gsl_matrix *out);
int tanh_backward(const gsl_matrix *X, const gsl_matrix *dout, gsl_matrix *dX);

/* softmax_ce: softmax over each row of the logits A (N x C) and the
 * cross-entropy with the labels Y (N x C, each row one-hot):
 * loss (1 x 1) = -(1/N) sum_i sum_c Y(i,c) log softmax(A)(i,c).
 * backward: dA = dout (P - Y) / N, P = softmax(A); dout is 1 x 1. Y gets no gradient. */
int softmax_ce_forward(const gsl_matrix *A, const gsl_matrix *Y, gsl_matrix *loss);
int softmax_ce_backward(const gsl_matrix *A, const gsl_matrix *Y, const gsl_matrix *dout,
                        gsl_matrix *dA);

/* mse: loss (1 x 1) = (1/N) sum_i sum_k (Yhat(i,k) - Y(i,k))^2 for Yhat, Y N x K.
 * backward: dYhat = dout 2 (Yhat - Y) / N; dout is 1 x 1. Y gets no gradient. */
int mse_forward(const gsl_matrix *Yhat, const gsl_matrix *Y, gsl_matrix *loss);
int mse_backward(const gsl_matrix *Yhat, const gsl_matrix *Y, const gsl_matrix *dout,
                 gsl_matrix *dYhat);

/* svm_hinge: the multiclass SVM loss of the scores S (N x C) with the labels Y
 * (N x C, each row one-hot, y_i its class):
 * loss (1 x 1) = (1/N) sum_i sum_{j != y_i} max(0, S(i,j) - S(i,y_i) + 1).
 * backward: dS(i,j) = dout/N for each margin > 0 (j != y_i), dS(i,y_i) = -(dout/N)
 * times the number of margins > 0 in row i; dout is 1 x 1. Y gets no gradient. */
int svm_hinge_forward(const gsl_matrix *S, const gsl_matrix *Y, gsl_matrix *loss);
int svm_hinge_backward(const gsl_matrix *S, const gsl_matrix *Y, const gsl_matrix *dout,
                       gsl_matrix *dS);

/* batchnorm (training mode): per column j of X (N x D), mu = mean, var = mean of
 * (X - mu)^2 over the batch, xhat = (X - mu) / sqrt(var + eps);
 * out = gamma(j) xhat + beta(j)  (gamma, beta D x 1; eps 1 x 1; out N x D).
 * backward: dX (N x D), dgamma = sum over the batch of dout xhat (D x 1),
 * dbeta = sum over the batch of dout (D x 1); eps gets no gradient. The mean
 * and the variance depend on every entry of their column. */
int batchnorm_forward(const gsl_matrix *X, const gsl_matrix *gamma, const gsl_matrix *beta,
                      const gsl_matrix *eps, gsl_matrix *out);
int batchnorm_backward(const gsl_matrix *X, const gsl_matrix *gamma, const gsl_matrix *beta,
                       const gsl_matrix *eps, const gsl_matrix *dout, gsl_matrix *dX,
                       gsl_matrix *dgamma, gsl_matrix *dbeta);

#endif
