/* A fixed pool of worker threads that run batches of numbered tasks. Tasks are taken in
 * order from a shared counter; results never depend on which worker ran a task. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct PmPool {
  int size; /* workers including the calling thread */
  pthread_t *threads;
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  PmTaskFn fn;
  void *ctx;
  int ntasks, next, running, generation, quit;
};

int pm_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

static void run_tasks(PmPool *p, int worker) {
  for (;;) {
    pthread_mutex_lock(&p->lock);
    int t = p->next < p->ntasks ? p->next++ : -1;
    pthread_mutex_unlock(&p->lock);
    if (t < 0) return;
    p->fn(p->ctx, t, worker);
  }
}

typedef struct { PmPool *pool; int worker; } WorkerArg;

static void *worker_main(void *arg) {
  WorkerArg a = *(WorkerArg *)arg;
  free(arg);
  PmPool *p = a.pool;
  int seen = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->quit && p->generation == seen) pthread_cond_wait(&p->wake, &p->lock);
    if (p->quit) break;
    seen = p->generation;
    pthread_mutex_unlock(&p->lock);
    run_tasks(p, a.worker);
    pthread_mutex_lock(&p->lock);
    if (--p->running == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

PmPool *pm_pool_new(int threads) {
  PmPool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  if (threads <= 0) threads = pm_cpu_count();
  p->size = 1;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  p->threads = calloc((size_t)threads, sizeof *p->threads);
  for (int i = 1; p->threads && i < threads; i++) {
    WorkerArg *a = malloc(sizeof *a);
    if (!a) break;
    a->pool = p;
    a->worker = i;
    if (pthread_create(&p->threads[i], NULL, worker_main, a) != 0) {
      free(a);
      break; /* fewer workers is still correct */
    }
    p->size++;
  }
  return p;
}

void pm_pool_free(PmPool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->quit = 1;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (int i = 1; i < p->size; i++) pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  free(p->threads);
  free(p);
}

int pm_pool_size(const PmPool *p) { return p ? p->size : 1; }

void pm_pool_run(PmPool *p, int ntasks, PmTaskFn fn, void *ctx) {
  if (!p || p->size == 1 || ntasks <= 1) {
    for (int t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return;
  }
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->ctx = ctx;
  p->ntasks = ntasks;
  p->next = 0;
  p->running = p->size - 1;
  p->generation++;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  run_tasks(p, 0);
  pthread_mutex_lock(&p->lock);
  while (p->running > 0) pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
}
