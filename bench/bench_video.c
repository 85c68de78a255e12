/* Video benchmark of the primitive element: frames per second, per-frame score and the mean
 * absolute difference between consecutive output frames, with warm start on and off.
 *
 *   bench_video [-source static|pan|smpte|ball|DIR] [-image PATH] [-frames 120] [-size 640x360]
 *               [-shapes 50] [-shape triangle] [-threads 2] [-warm on|off|both] [-save DIR] [-seed 1]
 *
 * static: one picture every frame; pan: a window sliding across the picture, one pixel a frame;
 * smpte, ball: videotestsrc patterns; DIR: a folder of PNG frames (all decoded before the clock
 * starts, at their own size). -save writes the output frames as PNG to DIR/on and DIR/off (after
 * the clock stops), for ../shared/tools/temporal.py. -seed: the element's seed (outputs of
 * different seeds show how much of a difference between two builds is chance). Needs
 * GST_PLUGIN_PATH to hold the plugin. */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <dirent.h>
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gstprimitivemeta.h"
#include "imageio.h"

static unsigned seed = 1;

typedef struct {
  double fps, mean_score, max_score, diff_after10, input_diff_after10;
  double *scores;
} Result;

static double mad(const guint8 *a, const guint8 *b, gsize n) {
  guint64 s = 0;
  for (gsize i = 0; i < n; i++) s += (guint64)abs(a[i] - b[i]);
  return (double)s / (double)n;
}

/* Frame i of the picture sources, RGB w x h, sampled from the image (nearest neighbour). */
static void make_frame(const PmImage *img, const char *source, int i, int w, int h, guint8 *out) {
  /* the window keeps the output's aspect ratio and covers 3/4 of the picture's width */
  double ww = img->width * (strcmp(source, "pan") ? 1.0 : 0.75), wh = ww * h / w;
  if (wh > img->height) wh = img->height, ww = wh * w / h;
  double x0 = strcmp(source, "pan") ? (img->width - ww) / 2 : (i % (int)(img->width - ww + 1));
  double y0 = (img->height - wh) / 2;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int sx = (int)(x0 + (x + 0.5) * ww / w), sy = (int)(y0 + (y + 0.5) * wh / h);
      if (sx >= img->width) sx = img->width - 1;
      if (sy >= img->height) sy = img->height - 1;
      memcpy(out + ((gsize)y * w + x) * 3, img->rgb + ((gsize)sy * img->width + sx) * 3, 3);
    }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The PNG frames of a folder, in name order. Returns the count, or -1. */
static int load_dir(const char *dir, int max, PmImage **out) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  struct dirent *e;
  while ((e = readdir(d)))
    if (g_str_has_suffix(e->d_name, ".png")) g_ptr_array_add(names, g_build_filename(dir, e->d_name, NULL));
  closedir(d);
  qsort(names->pdata, names->len, sizeof(gpointer), cmp_str);
  int n = MIN((int)names->len, max);
  *out = g_new0(PmImage, MAX(n, 1));
  char err[512];
  for (int i = 0; i < n; i++)
    if (pm_image_load(g_ptr_array_index(names, i), &(*out)[i], err, sizeof err) < 0 ||
        (*out)[i].width != (*out)[0].width || (*out)[i].height != (*out)[0].height) {
      fprintf(stderr, "%s: %s\n", (char *)g_ptr_array_index(names, i), err);
      n = -1;
      break;
    }
  g_ptr_array_free(names, TRUE);
  return n;
}

static int save_frames(const char *dir, guint8 **frames, int n, int w, int h) {
  if (g_mkdir_with_parents(dir, 0755) < 0) return -1;
  char err[512];
  for (int i = 0; i < n; i++) {
    gchar *path = g_strdup_printf("%s/%04d.png", dir, i);
    PmImage img = {.width = w, .height = h, .rgb = frames[i]};
    int r = pm_image_save(path, &img, err, sizeof err);
    g_free(path);
    if (r < 0) {
      fprintf(stderr, "%s\n", err);
      return -1;
    }
  }
  return 0;
}

static int run(const char *source, const PmImage *img, const PmImage *clip, int frames, int w, int h, int shapes,
               const char *shape, int threads, gboolean warm, const char *save, Result *res) {
  gchar *desc;
  gboolean picture = clip || !strcmp(source, "static") || !strcmp(source, "pan");
  if (picture)
    desc = g_strdup_printf("appsrc name=src format=time caps=video/x-raw,format=RGB,width=%d,height=%d,framerate=30/1 "
                           "! primitive name=p shapes=%d shape=%s threads=%d warm-start=%d seed=%u "
                           "! appsink name=sink sync=false",
                           w, h, shapes, shape, threads, warm, seed);
  else
    desc = g_strdup_printf("videotestsrc num-buffers=%d pattern=%s ! video/x-raw,format=RGB,width=%d,height=%d,"
                           "framerate=30/1 ! primitive name=p shapes=%d shape=%s threads=%d warm-start=%d seed=%u "
                           "! appsink name=sink sync=false",
                           frames, source, w, h, shapes, shape, threads, warm, seed);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch(desc, &err);
  g_free(desc);
  if (!pipe) {
    fprintf(stderr, "pipeline: %s\n", err->message);
    return -1;
  }
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
  GstAppSink *sink = GST_APP_SINK(gst_bin_get_by_name(GST_BIN(pipe), "sink"));
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  gsize fsize = (gsize)w * h * 3;
  guint8 *prev = g_malloc(fsize), *in_prev = g_malloc(fsize);
  double diff = 0, in_diff = 0;
  int ndiff = 0, got = 0;
  res->scores = g_new0(double, frames);
  guint8 **kept = save ? g_new0(guint8 *, frames) : NULL;
  res->mean_score = res->max_score = 0;
  gint64 t0 = g_get_monotonic_time();
  for (int i = 0; i < frames; i++) {
    if (picture) {
      GstBuffer *buf = gst_buffer_new_allocate(NULL, fsize, NULL);
      GstMapInfo map;
      gst_buffer_map(buf, &map, GST_MAP_WRITE);
      if (clip) memcpy(map.data, clip[i].rgb, fsize);
      else make_frame(img, source, i, w, h, map.data);
      if (i >= 10) in_diff += mad(map.data, in_prev, fsize);
      memcpy(in_prev, map.data, fsize);
      gst_buffer_unmap(buf, &map);
      GST_BUFFER_PTS(buf) = gst_util_uint64_scale(i, GST_SECOND, 30);
      GST_BUFFER_DURATION(buf) = GST_SECOND / 30;
      gst_app_src_push_buffer(GST_APP_SRC(src), buf);
    }
    /* ten minutes: far more than any frame takes, even under valgrind; a failed pipeline must not hang the bench */
    GstSample *s = gst_app_sink_try_pull_sample(sink, 600 * GST_SECOND);
    if (!s) {
      GstMessage *msg = gst_bus_pop_filtered(GST_ELEMENT_BUS(pipe), GST_MESSAGE_ERROR);
      if (msg) {
        GError *e = NULL;
        gst_message_parse_error(msg, &e, NULL);
        fprintf(stderr, "pipeline error: %s\n", e->message);
        g_error_free(e);
        gst_message_unref(msg);
      }
      break;
    }
    GstBuffer *out = gst_sample_get_buffer(s);
    GstPrimitiveMeta *meta = gst_primitive_meta_find(out);
    GstMapInfo map;
    gst_buffer_map(out, &map, GST_MAP_READ);
    if (meta) {
      res->scores[i] = meta->score;
      res->mean_score += meta->score;
      if (meta->score > res->max_score) res->max_score = meta->score;
    }
    if (i > 10) {
      diff += mad(map.data, prev, fsize);
      ndiff++;
    }
    memcpy(prev, map.data, MIN(fsize, map.size));
    if (kept) kept[i] = g_memdup2(map.data, MIN(fsize, map.size));
    gst_buffer_unmap(out, &map);
    gst_sample_unref(s);
    got++;
  }
  double secs = (g_get_monotonic_time() - t0) / 1e6;
  if (picture) gst_app_src_end_of_stream(GST_APP_SRC(src));
  gst_element_set_state(pipe, GST_STATE_NULL);
  if (src) gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(pipe);
  g_free(prev), g_free(in_prev);
  res->fps = got / secs;
  res->mean_score /= got > 0 ? got : 1;
  res->diff_after10 = ndiff ? diff / ndiff : 0;
  res->input_diff_after10 = picture && frames > 11 ? in_diff / (frames - 10) : -1;
  int rc = got == frames ? 0 : -1;
  if (kept) {
    gchar *dir = g_strdup_printf("%s/%s", save, warm ? "on" : "off");
    if (rc == 0 && save_frames(dir, kept, got, w, h) < 0) rc = -1;
    g_free(dir);
    for (int i = 0; i < frames; i++) g_free(kept[i]);
    g_free(kept);
  }
  return rc;
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  const char *source = "static", *image = "examples/data/monalisa.jpg", *shape = "triangle", *save = NULL;
  const char *which = "both";
  int frames = 120, w = 640, h = 360, shapes = 50, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-source")) source = argv[i + 1];
    else if (!strcmp(argv[i], "-image")) image = argv[i + 1];
    else if (!strcmp(argv[i], "-frames")) frames = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-size")) sscanf(argv[i + 1], "%dx%d", &w, &h);
    else if (!strcmp(argv[i], "-shapes")) shapes = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-shape")) shape = argv[i + 1];
    else if (!strcmp(argv[i], "-threads")) threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-warm")) which = argv[i + 1];
    else if (!strcmp(argv[i], "-save")) save = argv[i + 1];
    else if (!strcmp(argv[i], "-seed")) seed = (unsigned)strtoul(argv[i + 1], NULL, 10);
    else {
      fprintf(stderr, "unknown option %s (see the comment at the top of bench_video.c)\n", argv[i]);
      return 2;
    }
  }
  if (frames < 12 || w < 1 || h < 1) return 2;
  PmImage img = {0}, *clip = NULL;
  char err[512];
  if ((!strcmp(source, "static") || !strcmp(source, "pan")) && pm_image_load(image, &img, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  int nclip = 0;
  if (g_file_test(source, G_FILE_TEST_IS_DIR)) {
    nclip = load_dir(source, frames, &clip);
    if (nclip < 12) {
      fprintf(stderr, "%s: expected at least 12 PNG frames of one size\n", source);
      return 1;
    }
    frames = nclip, w = clip[0].width, h = clip[0].height;
  }
  gboolean do_warm = strcmp(which, "off") != 0, do_cold = strcmp(which, "on") != 0;
  Result warm = {0}, cold = {0};
  if ((do_warm && run(source, &img, clip, frames, w, h, shapes, shape, threads, TRUE, save, &warm) < 0) ||
      (do_cold && run(source, &img, clip, frames, w, h, shapes, shape, threads, FALSE, save, &cold) < 0)) {
    fprintf(stderr, "the pipeline did not deliver every frame (is GST_PLUGIN_PATH set?)\n");
    return 1;
  }
  double worst = 0;
  for (int i = 0; do_warm && do_cold && i < frames; i++)
    if (cold.scores[i] > 0 && warm.scores[i] / cold.scores[i] > worst) worst = warm.scores[i] / cold.scores[i];
  printf("source=%s size=%dx%d frames=%d shapes=%d shape=%s threads=%d\n", source, w, h, frames, shapes, shape,
         threads);
  Result *any = do_warm ? &warm : &cold;
  if (any->input_diff_after10 >= 0) printf("input: consecutive-frame difference %.3f\n", any->input_diff_after10);
  printf("%-10s %8s %11s %11s %22s\n", "warm-start", "fps", "mean score", "max score", "frame diff after 10");
  if (do_warm)
    printf("%-10s %8.2f %11.5f %11.5f %22.3f\n", "on", warm.fps, warm.mean_score, warm.max_score, warm.diff_after10);
  if (do_cold)
    printf("%-10s %8.2f %11.5f %11.5f %22.3f\n", "off", cold.fps, cold.mean_score, cold.max_score, cold.diff_after10);
  if (do_warm && do_cold) printf("worst per-frame score ratio warm/cold: %.3f\n", worst);
  g_free(warm.scores), g_free(cold.scores);
  pm_image_free(&img);
  for (int i = 0; i < nclip; i++) pm_image_free(&clip[i]);
  g_free(clip);
  return 0;
}
