/* The CPU emulation of the device render (render.cu). */
#ifndef PM_RENDER_EMU_H
#define PM_RENDER_EMU_H
#include "frame.h"
#include "render.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills a from the shapes (their geometry in geo), the background, the working size and the
 * output frame (host or device planes). -1 on bad arguments. */
int pm_render_args(PmRenderArgs *a, const PmShape *shapes, const PmGeo *geo, int n, const uint8_t bg[3], int ww,
                   int wh, const PmFrame *out);
/* One block of the render kernel; acc holds two rows (6 * w floats). */
void pm_render_emulate_block(const PmRenderArgs *a, int blk, float *acc);
/* The whole render kernel into a's planes (host memory), blocks spread over pool (or NULL). */
int pm_render_emulate(const PmRenderArgs *a, PmPool *pool);

#ifdef __cplusplus
}
#endif
#endif
