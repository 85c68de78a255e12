/* PNG and JPEG reading and writing through libpng and libjpeg-turbo. */
#ifndef PM_IMAGEIO_H
#define PM_IMAGEIO_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int width, height;
  uint8_t *rgb; /* width * height * 3 */
} PmImage;

/* Returns 0, or -1 with a one-line reason in err. */
int pm_image_load(const char *path, PmImage *img, char *err, size_t errlen);
/* Format from the extension: .png, .jpg or .jpeg. */
int pm_image_save(const char *path, const PmImage *img, char *err, size_t errlen);
void pm_image_free(PmImage *img);

#endif
