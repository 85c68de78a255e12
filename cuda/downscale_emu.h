/* The downscale's host side: its arguments from frame.c's taps, and its CPU emulation. */
#ifndef PM_DOWNSCALE_EMU_H
#define PM_DOWNSCALE_EMU_H
#include "downscale.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The taps of f -> ww x wh as flat arrays in one malloc'ed block (*block; free it), and the
 * frame's layout, into a; data, mid and out are left to the caller. -1: out of memory. */
int pm_down_args(PmDownArgs *a, const PmFrame *f, int ww, int wh, void **block, size_t *block_bytes);
/* Both passes on the host into a->out (a->mid: h * ww * 3 floats). */
void pm_down_emulate(const PmDownArgs *a);

#ifdef __cplusplus
}
#endif
#endif
