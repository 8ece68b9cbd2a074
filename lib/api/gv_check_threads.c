/* gv_check_threads.c: the parallel loop over columns (gv_check_threads.h). */
#include "gv_check_threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

typedef struct {
  gv_par_body body;
  void *ctx;
  size_t nitems;
  atomic_size_t next;   /* the next item to hand out */
  atomic_size_t failed; /* the lowest item that failed so far, SIZE_MAX for none */
} par_loop;

/* What one worker found: its lowest failing item and that item's status. */
typedef struct {
  par_loop *loop;
  size_t worker, failed;
  int status;
} par_worker;

/* Lowers loop->failed to item unless a lower item failed already. */
static void note_failure(par_loop *loop, size_t item)
{
  size_t cur = atomic_load(&loop->failed);
  while (item < cur && !atomic_compare_exchange_weak(&loop->failed, &cur, item))
    ;
}

static void *par_run(void *arg)
{
  par_worker *me = arg;
  par_loop *loop = me->loop;
  for (;;) {
    size_t item = atomic_fetch_add(&loop->next, 1);
    /* Items below a failure all run, so that the lowest failure is found. */
    if (item >= loop->nitems || item > atomic_load(&loop->failed))
      break;
    int status = loop->body(loop->ctx, me->worker, item);
    if (status) {
      if (item < me->failed) {
        me->failed = item;
        me->status = status;
      }
      note_failure(loop, item);
    }
  }
  return NULL;
}

int gv_par_for(size_t nthreads, size_t nitems, gv_par_body body, void *ctx)
{
  size_t T = nthreads < nitems ? nthreads : nitems;
  if (T <= 1) { /* the serial loop: no thread, no atomics */
    for (size_t item = 0; item < nitems; item++) {
      int status = body(ctx, 0, item);
      if (status)
        return status;
    }
    return GSL_SUCCESS;
  }
  par_loop loop = {.body = body, .ctx = ctx, .nitems = nitems};
  atomic_init(&loop.next, 0);
  atomic_init(&loop.failed, SIZE_MAX);
  par_worker *w = malloc(T * sizeof *w);
  pthread_t *tid = malloc(T * sizeof *tid);
  if (!w || !tid) {
    free(w);
    free(tid);
    return gv_par_for(1, nitems, body, ctx);
  }
  size_t started = 1;
  for (size_t t = 0; t < T; t++)
    w[t] = (par_worker){.loop = &loop, .worker = t, .failed = SIZE_MAX};
  for (size_t t = 1; t < T && started == t; t++)
    if (pthread_create(&tid[t], NULL, par_run, &w[t]) == 0)
      started++;
  par_run(&w[0]);
  for (size_t t = 1; t < started; t++)
    pthread_join(tid[t], NULL);
  size_t lowest = SIZE_MAX;
  int status = GSL_SUCCESS;
  for (size_t t = 0; t < started; t++)
    if (w[t].failed < lowest) {
      lowest = w[t].failed;
      status = w[t].status;
    }
  free(w);
  free(tid);
  return status;
}
