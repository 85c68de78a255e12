#define _XOPEN_SOURCE 700 /* realpath */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temporaries open now, for the signal handler, which may run on any thread (the core's
 * workers included): a slot's name is complete before `used` is set (release) and the handler
 * reads `used` first (acquire). unlink() is async-signal-safe. */
#define SLOTS 40
static struct {
  atomic_int used;
  char tmp[PATH_MAX];
} slots[SLOTS];
static atomic_uint counter;

static void on_signal(int sig) {
  for (int i = 0; i < SLOTS; i++)
    if (atomic_load_explicit(&slots[i].used, memory_order_acquire)) unlink(slots[i].tmp);
  signal(sig, SIG_DFL);
  raise(sig);
}

void pm_outfile_cleanup_on_signals(void) {
  /* Past a file size limit (ulimit -f) a write fails with EFBIG and is reported like a full disk,
   * instead of the signal ending the process. */
  signal(SIGXFSZ, SIG_IGN);
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* a signal the caller chose to ignore (nohup, a shell's background job) stays ignored */
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sigs[i], &sa, NULL);
  }
}

static char *resolve(const char *path, char *err, size_t errlen) {
  struct stat st;
  char *r = NULL;
  if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
    r = realpath(path, NULL); /* write where the link points, and keep the link */
    if (!r) snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return r;
  }
  r = strdup(path);
  if (!r) snprintf(err, errlen, "out of memory");
  return r;
}

/* The temporary's name: hidden, in the target's folder (a rename across file systems would not
 * be atomic), unique to this process. */
static int temp_name(char *buf, size_t len, const char *target) {
  const char *slash = strrchr(target, '/');
  int dirlen = slash ? (int)(slash - target + 1) : 0;
  const char *base = slash ? slash + 1 : target;
  int k = snprintf(buf, len, "%.*s.%.120s.%ld-%u.tmp", dirlen, target, base, (long)getpid(),
                   atomic_fetch_add(&counter, 1));
  return k > 0 && (size_t)k < len ? 0 : -1;
}

static int claim_slot(void) {
  for (int i = 0; i < SLOTS; i++) {
    int expected = 0;
    /* claimed with a value the handler ignores (2) until the name is written */
    if (atomic_compare_exchange_strong(&slots[i].used, &expected, 2)) return i;
  }
  return -1;
}

static int create_temp(int slot, const char *target, mode_t mode) {
  for (int tries = 0; tries < 100; tries++) {
    atomic_store(&slots[slot].used, 2);
    if (temp_name(slots[slot].tmp, sizeof slots[slot].tmp, target) < 0) {
      errno = ENAMETOOLONG;
      return -1;
    }
    atomic_store_explicit(&slots[slot].used, 1, memory_order_release);
    int fd = open(slots[slot].tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

static void release_slot(int slot) { atomic_store_explicit(&slots[slot].used, 0, memory_order_release); }

int pm_outfile_check(const char *path, char *err, size_t errlen) {
  struct stat st;
  if (stat(path, &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      snprintf(err, errlen, "cannot write %s: not a regular file (%s); give a file name", path,
               S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a folder" :
               S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a special file");
      return -1;
    }
    if (access(path, W_OK) != 0) {
      snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
      return -1;
    }
  }
  PmOutFile o;
  if (pm_outfile_open(&o, path, err, errlen) < 0) return -1;
  pm_outfile_abort(&o);
  return 0;
}

int pm_outfile_open(PmOutFile *o, const char *path, char *err, size_t errlen) {
  memset(o, 0, sizeof *o);
  o->slot = -1;
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) return pm_outfile_check(path, err, errlen);
  if (!(o->target = resolve(path, err, errlen))) return -1;
  o->slot = claim_slot();
  if (o->slot < 0) {
    snprintf(err, errlen, "cannot write %s: too many files open at once", path);
    free(o->target);
    return -1;
  }
  int fd = create_temp(o->slot, o->target, 0666);
  if (fd < 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    release_slot(o->slot);
    free(o->target);
    o->target = NULL;
    return -1;
  }
  if (stat(o->target, &st) == 0) fchmod(fd, st.st_mode & 07777); /* a replaced file keeps its mode */
  o->f = fdopen(fd, "wb");
  if (!o->f) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    pm_outfile_abort(o);
    return -1;
  }
  return 0;
}

void pm_outfile_abort(PmOutFile *o) {
  if (o->f) fclose(o->f);
  o->f = NULL;
  if (o->slot >= 0) {
    unlink(slots[o->slot].tmp);
    release_slot(o->slot);
  }
  o->slot = -1;
  free(o->target);
  o->target = NULL;
}

int pm_outfile_commit(PmOutFile *o, char *err, size_t errlen) {
  int bad = fflush(o->f) != 0 || ferror(o->f);
  int e = errno;
  if (fclose(o->f) != 0 && !bad) {
    bad = 1;
    e = errno;
  }
  o->f = NULL;
  if (!bad && rename(slots[o->slot].tmp, o->target) != 0) {
    bad = 1;
    e = errno;
  }
  if (bad) {
    snprintf(err, errlen, "cannot write %s: %s", o->target, strerror(e ? e : EIO));
    pm_outfile_abort(o);
    return -1;
  }
  release_slot(o->slot);
  o->slot = -1;
  free(o->target);
  o->target = NULL;
  return 0;
}
