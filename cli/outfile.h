/* Output files that appear whole or not at all: written to a temporary file in the target's
 * folder and renamed over the target when complete, so a full disk, an error or an interruption
 * (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE) leaves the old file as it was and no temporary behind. */
#ifndef PM_OUTFILE_H
#define PM_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
  char *target; /* the path renamed over (symbolic links resolved) */
  FILE *f;      /* the temporary file, open for writing */
  int slot;
} PmOutFile;

/* Before any work: the target is a regular file or absent, writable, and its folder takes a new
 * file. FIFOs, devices and folders are refused without opening them. 0, or -1 with a message. */
int pm_outfile_check(const char *path, char *err, size_t errlen);
int pm_outfile_open(PmOutFile *o, const char *path, char *err, size_t errlen);
/* Flushes, closes and renames; on failure the temporary is removed. 0, or -1 with a message. */
int pm_outfile_commit(PmOutFile *o, char *err, size_t errlen);
/* Removes the temporary; the target is untouched. */
void pm_outfile_abort(PmOutFile *o);
/* Installs handlers that remove every open temporary on those signals, then let the signal end
 * the process as it would have; a file size limit (SIGXFSZ) becomes a write error. */
void pm_outfile_cleanup_on_signals(void);

#endif
