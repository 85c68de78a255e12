/* The CPU emulation of the device search (search.cu), and a look at its state for tests. */
#ifndef PM_SEARCH_EMU_H
#define PM_SEARCH_EMU_H
#include "search.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One step of the device search on `st` (host memory): both kernels' phases, run in the order
 * their barriers impose; the first kernel's blocks spread over `pool` (or one after another when
 * NULL), which cannot change the result. */
void pm_dev_emulate_step(const PmDevParams *p, const PmDevState *st, PmPool *pool);
/* The emulated device's memory (h from pm_emulated_device_ops). */
const PmDevState *pm_emulated_state(const PmDeviceHandle *h);

#ifdef __cplusplus
}
#endif
#endif
