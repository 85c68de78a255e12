/* Worker threads shared by every model in the process: two elements in one pipeline (a tee to
 * two primitives), several pipelines, or an editor with several frei0r instances must not start
 * a full set of threads each and fight over the cores.
 *
 * A PmPool is a handle: how many threads may work on its batches at once (its size, the
 * caller included). Batches from several callers run side by side: each caller works on its
 * own batch, the shared workers help whichever batch still has tasks and room for a helper.
 * Tasks are taken in order from the batch's counter; a task's worker index (0 for the caller,
 * 1..size-1 for helpers) is unique within its batch, so per-worker scratch stays private and
 * results never depend on which thread ran a task. The workers exist while some handle does,
 * so a plugin's code is never left running in threads after its last user is gone. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct PmPool {
  int size; /* threads that may work on one batch, the caller included */
};

typedef struct Batch {
  PmTaskFn fn;
  void *ctx;
  int ntasks, next;
  unsigned remaining;
  int helpers, max_helpers; /* helpers that joined (their indices are 1..helpers) */
  struct Batch *prev_batch, *next_batch;
} Batch;

/* Batches come in quick succession while a frame is worked on (a warm frame's refit posts one
 * for every shape it refines, tens of microseconds apart). A worker put to sleep between them
 * must be woken for each, and on a virtual machine that wake-up costs more than the batch: a
 * loop of 4-task batches of about 20 microseconds ran slower on two threads than on one. So a
 * worker that runs out of tasks, and a caller whose last tasks are in helpers' hands, wait
 * awake (pausing) this long before they sleep. Only while one handle exists: with several
 * users (a tee to two elements) the cores have other callers' work to do, which a waiting
 * thread would take a core from. */
#define IDLE_AWAKE_S 100e-6
#define DONE_AWAKE_S 500e-6

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  pthread_t *threads;
  int nthreads, handles, quit;
  Batch *batches;
  unsigned posted; /* batches posted so far: what an idle worker watches for */
} shared = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, NULL, 0};

/* Held while handles come and go, so a new user never meets workers on their way out. */
static pthread_mutex_t life = PTHREAD_MUTEX_INITIALIZER;

int pm_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Waits awake, for at most `seconds`, until *word (written under the lock, which the caller does
 * not hold) equals `value` or, with `differs`, is no longer `value`. Returns whether it did. */
static int wait_awake(const unsigned *word, unsigned value, int differs, double seconds) {
  double end = pm_now() + seconds;
  for (int i = 0;; i++) {
    if ((__atomic_load_n(word, __ATOMIC_ACQUIRE) == value) != differs) return 1;
    if (i % 16 == 15 && pm_now() >= end) return 0;
    cpu_relax();
  }
}

/* A batch a helper can join, or NULL. Called with the lock held. */
static Batch *open_batch(void) {
  for (Batch *b = shared.batches; b; b = b->next_batch)
    if (b->next < b->ntasks && b->helpers < b->max_helpers) return b;
  return NULL;
}

/* Runs tasks of b as `worker` until none is left to take. Called with the lock held. */
static void work_on(Batch *b, int worker) {
  while (b->next < b->ntasks) {
    int t = b->next++;
    pthread_mutex_unlock(&shared.lock);
    b->fn(b->ctx, t, worker);
    pthread_mutex_lock(&shared.lock);
    if (__atomic_sub_fetch(&b->remaining, 1, __ATOMIC_RELEASE) == 0) pthread_cond_broadcast(&shared.done);
  }
}

static void *worker_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&shared.lock);
  for (;;) {
    Batch *b;
    while (!shared.quit && !(b = open_batch())) {
      if (shared.handles == 1) {
        unsigned seen = shared.posted;
        pthread_mutex_unlock(&shared.lock);
        int posted = wait_awake(&shared.posted, seen, 1, IDLE_AWAKE_S);
        pthread_mutex_lock(&shared.lock);
        if (posted || shared.quit || open_batch()) continue;
      }
      pthread_cond_wait(&shared.wake, &shared.lock);
    }
    if (shared.quit) break;
    int worker = ++b->helpers;
    work_on(b, worker);
  }
  pthread_mutex_unlock(&shared.lock);
  return NULL;
}

/* Grows the shared workers to n (never shrinks while handles exist). Lock held. */
static void ensure_workers(int n) {
  if (n <= shared.nthreads) return;
  pthread_t *t = realloc(shared.threads, sizeof *t * (size_t)n);
  if (!t) return;
  shared.threads = t;
  while (shared.nthreads < n && pthread_create(&shared.threads[shared.nthreads], NULL, worker_main, NULL) == 0)
    shared.nthreads++; /* fewer workers is still correct */
}

PmPool *pm_pool_new(int threads) {
  PmPool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->size = threads <= 0 ? pm_cpu_count() : (threads > 256 ? 256 : threads);
  pthread_mutex_lock(&life);
  pthread_mutex_lock(&shared.lock);
  shared.handles++;
  ensure_workers(p->size - 1);
  pthread_mutex_unlock(&shared.lock);
  pthread_mutex_unlock(&life);
  return p;
}

void pm_pool_free(PmPool *p) {
  if (!p) return;
  pthread_mutex_lock(&life);
  pthread_mutex_lock(&shared.lock);
  pthread_t *threads = NULL;
  int n = 0;
  if (--shared.handles == 0) { /* the last user: the workers go, to come back with the next */
    shared.quit = 1;
    pthread_cond_broadcast(&shared.wake);
    threads = shared.threads, n = shared.nthreads;
    shared.threads = NULL, shared.nthreads = 0;
  }
  pthread_mutex_unlock(&shared.lock);
  for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
  free(threads);
  pthread_mutex_lock(&shared.lock);
  shared.quit = 0;
  pthread_mutex_unlock(&shared.lock);
  pthread_mutex_unlock(&life);
  free(p);
}

int pm_pool_size(const PmPool *p) { return p ? p->size : 1; }

void pm_pool_run(PmPool *p, int ntasks, PmTaskFn fn, void *ctx) {
  if (!p || p->size == 1 || ntasks <= 1) {
    for (int t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return;
  }
  Batch b = {fn, ctx, ntasks, 0, ntasks, 0, p->size - 1, NULL, NULL};
  pthread_mutex_lock(&shared.lock);
  b.next_batch = shared.batches;
  if (shared.batches) shared.batches->prev_batch = &b;
  shared.batches = &b;
  __atomic_add_fetch(&shared.posted, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&shared.wake);
  work_on(&b, 0);
  if (b.remaining > 0 && shared.handles == 1) {
    pthread_mutex_unlock(&shared.lock);
    wait_awake(&b.remaining, 0, 0, DONE_AWAKE_S);
    pthread_mutex_lock(&shared.lock);
  }
  while (b.remaining > 0) pthread_cond_wait(&shared.done, &shared.lock);
  if (b.prev_batch) b.prev_batch->next_batch = b.next_batch;
  else shared.batches = b.next_batch;
  if (b.next_batch) b.next_batch->prev_batch = b.prev_batch;
  pthread_mutex_unlock(&shared.lock);
}
