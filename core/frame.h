/* Pixel-format helpers shared by the model (input) and the renderer (output). */
#ifndef PM_FRAME_H
#define PM_FRAME_H

#include <stdio.h>

#include "pixel_hd.h"
#include "primitive.h"

int pm_frame_check(const PmFrame *f, char *err, size_t errlen);
/* A frame's planes: how many, and each one's rows, bytes of pixels per row (the least stride),
 * and whether it has one row per pair of frame rows (the 4:2:0 chroma). Known formats only. */
typedef struct { int count, rows[3], bytes[3], halved[3]; } PmPlanes;
PmPlanes pm_frame_planes(const PmFrame *f);
void pm_working_size(int w, int h, int size, int *ww, int *wh);
/* The frame down to ww x wh RGB, its rows spread over the pool (NULL: this thread alone). */
typedef struct PmPool PmPool;
int pm_frame_downscale(const PmFrame *f, int ww, int wh, uint8_t *rgb_out, PmPool *pool);
/* The downscale's filter taps for n samples to m (m <= n): tap k of output i weighs sample
 * first + k * step by w[k] (step is the same for every output, and first a multiple of it);
 * the weights of output i start at t[0].w + i * pm_taps_max(n, m). */
typedef struct { int first, count, step; float *w; } PmTaps;
PmTaps *pm_taps_new(int n, int m);
int pm_taps_max(int n, int m);
int pm_taps_step(int n, int m);
void pm_taps_free(PmTaps *t);
void pm_frame_read_row(const PmFrame *f, int y, uint8_t *rgb);
/* The renderer's output: pixels [xa, xb) of row y from RGB floats (rgb holds the whole row), or
 * all of one colour; 4:2:0 rows in pairs (y and xa even, xb even or the width; rgb1 and c1 NULL
 * past the last row). */
void pm_frame_write_packed_row(PmFrame *f, int y, const float *rgb, int xa, int xb);
void pm_frame_fill_packed_row(PmFrame *f, int y, const float c[3], int xa, int xb);
void pm_frame_write_yuv_rows(PmFrame *f, int y, const float *rgb0, const float *rgb1, int xa, int xb);
void pm_frame_fill_yuv_rows(PmFrame *f, int y, const float c0[3], const float c1[3], int xa, int xb);
PmPackedLayout pm_frame_layout(PmFormat f); /* packed formats only */

#endif
