/* Animated GIF of the picture being built (primitive's -o out.gif), through giflib. */
#ifndef PM_GIF_H
#define PM_GIF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct PmGif PmGif;

/* Starts a looping animation of w x h frames on f. NULL with a message on failure. */
PmGif *pm_gif_new(FILE *f, int w, int h, char *err, size_t errlen);
/* Appends a frame (packed RGB, w x h) shown for delay_cs hundredths of a second. Only the
 * rectangle that changed since the previous frame is stored, with its own 256-colour palette. */
int pm_gif_frame(PmGif *g, const uint8_t *rgb, int delay_cs, char *err, size_t errlen);
/* Writes the trailer and frees g (the file stays open). 0, or -1 with a message. */
int pm_gif_finish(PmGif *g, char *err, size_t errlen);
void pm_gif_free(PmGif *g);

#endif
