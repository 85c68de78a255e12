/* Pixel-format helpers shared by the model (input) and the renderer (output). */
#ifndef PM_FRAME_H
#define PM_FRAME_H

#include <stdio.h>

#include "pixel_hd.h"
#include "primitive.h"

int pm_frame_check(const PmFrame *f, char *err, size_t errlen);
void pm_working_size(int w, int h, int size, int *ww, int *wh);
int pm_frame_downscale(const PmFrame *f, int ww, int wh, uint8_t *rgb_out);
void pm_frame_read_row(const PmFrame *f, int y, uint8_t *rgb);
void pm_frame_write_packed_row(PmFrame *f, int y, const float *rgb);
PmPackedLayout pm_frame_layout(PmFormat f); /* packed formats only */
void pm_frame_write_yuv_rows(PmFrame *f, int y, const float *rgb0, const float *rgb1);

#endif
