/* Tests of the primitive element through GstHarness. */
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/controller/gsttriggercontrolsource.h>
#include <gst/video/video.h>
#include <stdlib.h>
#include <string.h>

#include "gstprimitivemeta.h"

static const gchar *formats[] = {"RGBA", "BGRA", "RGBx", "BGRx", "ARGB", "ABGR",
                                 "xRGB", "xBGR", "RGB",  "BGR",  "I420", "NV12"};

/* A frame of three flat rectangles on a plain background, in any supported format. */
static GstBuffer *make_frame(const gchar *format, gint w, gint h, gint shift) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format), w, h);
  GstBuffer *buf = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&info), NULL);
  GstVideoFrame vf;
  fail_unless(gst_video_frame_map(&vf, &info, buf, GST_MAP_WRITE));
  const GstVideoFormatInfo *fi = info.finfo;
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++) {
      guint8 r = 30, g = 60, b = 90;
      if (x >= w / 8 + shift && x < w / 2 + shift && y >= h / 8 && y < h / 2) r = 220, g = 40, b = 40;
      if (x >= w / 3 && x < 3 * w / 4 && y >= h / 3 && y < 5 * h / 6) r = 40, g = 200, b = 60;
      if (x >= 5 * w / 8 && x < 7 * w / 8 && y >= h / 16 && y < h / 4) r = 250, g = 250, b = 210;
      if (GST_VIDEO_FORMAT_INFO_IS_YUV(fi)) {
        guint8 *Y = GST_VIDEO_FRAME_PLANE_DATA(&vf, 0), *U = GST_VIDEO_FRAME_PLANE_DATA(&vf, 1);
        gint ys = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0), us = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 1);
        Y[y * ys + x] = (guint8)(16 + (66 * r + 129 * g + 25 * b) / 256);
        guint8 u = (guint8)(128 + (-38 * r - 74 * g + 112 * b) / 256), v = (guint8)(128 + (112 * r - 94 * g - 18 * b) / 256);
        if (GST_VIDEO_FRAME_FORMAT(&vf) == GST_VIDEO_FORMAT_I420) {
          guint8 *V = GST_VIDEO_FRAME_PLANE_DATA(&vf, 2);
          U[(y / 2) * us + x / 2] = u;
          V[(y / 2) * GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 2) + x / 2] = v;
        } else {
          U[(y / 2) * us + (x / 2) * 2] = u;
          U[(y / 2) * us + (x / 2) * 2 + 1] = v;
        }
      } else {
        guint8 *p = (guint8 *)GST_VIDEO_FRAME_PLANE_DATA(&vf, 0) + y * GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0) +
                    x * GST_VIDEO_FRAME_COMP_PSTRIDE(&vf, 0);
        p[GST_VIDEO_FRAME_COMP_OFFSET(&vf, GST_VIDEO_COMP_R)] = r;
        p[GST_VIDEO_FRAME_COMP_OFFSET(&vf, GST_VIDEO_COMP_G)] = g;
        p[GST_VIDEO_FRAME_COMP_OFFSET(&vf, GST_VIDEO_COMP_B)] = b;
        if (GST_VIDEO_FORMAT_INFO_HAS_ALPHA(fi)) p[GST_VIDEO_FRAME_COMP_OFFSET(&vf, GST_VIDEO_COMP_A)] = 255;
      }
    }
  gst_video_frame_unmap(&vf);
  return buf;
}

/* The harness answers latency queries as a live source, so with the automatic budget every frame
 * would end at its duration, with fewer shapes where the machine is slow (sanitizers, valgrind).
 * Tests that count shapes get the full search; a test of the automatic budget asks for budget=0. */
static GstHarness *make_harness(const gchar *props, const gchar *format, gint w, gint h) {
  gchar *desc = g_strdup_printf("primitive %s%s", props, strstr(props, "budget=") ? "" : " budget=60000");
  GstHarness *hn = gst_harness_new_parse(desc);
  g_free(desc);
  gchar *caps = g_strdup_printf("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1", format, w, h);
  gst_harness_set_src_caps_str(hn, caps);
  g_free(caps);
  return hn;
}

static double mean_abs_diff(GstBuffer *a, GstBuffer *b) {
  GstMapInfo ma, mb;
  fail_unless(gst_buffer_map(a, &ma, GST_MAP_READ));
  fail_unless(gst_buffer_map(b, &mb, GST_MAP_READ));
  fail_unless_equals_uint64(ma.size, mb.size);
  guint64 s = 0;
  for (gsize i = 0; i < ma.size; i++) s += (guint64)abs(ma.data[i] - mb.data[i]);
  gst_buffer_unmap(a, &ma);
  gst_buffer_unmap(b, &mb);
  return (double)s / (double)ma.size;
}

/* The padding byte of an RGBx-like pixel: its offset, or -1 for the other formats. */
static gint padding_offset(const gchar *format) {
  return !strcmp(format, "RGBx") || !strcmp(format, "BGRx") ? 3 : !strcmp(format, "xRGB") || !strcmp(format, "xBGR") ? 0 : -1;
}

/* Every format comes out in that format with its shapes meta, every byte drawn: the element renders
 * into a new buffer, and a padding byte is opaque (255), not what the buffer held. */
GST_START_TEST(test_every_format) {
  for (guint i = 0; i < G_N_ELEMENTS(formats); i++) {
    GstHarness *hn = make_harness("shapes=5 threads=1", formats[i], 64, 48);
    GstBuffer *in = make_frame(formats[i], 64, 48, 0);
    gsize size = gst_buffer_get_size(in);
    gint pad = padding_offset(formats[i]);
    GstMapInfo m;
    if (pad >= 0) { /* the input's padding anything but 255 (64 pixels a row: every 4th byte) */
      fail_unless(gst_buffer_map(in, &m, GST_MAP_WRITE));
      for (gsize k = (gsize)pad; k < m.size; k += 4) m.data[k] = (guint8)(k * 7 / 4);
      gst_buffer_unmap(in, &m);
    }
    GstBuffer *out = gst_harness_push_and_pull(hn, in);
    fail_unless(out != NULL, "%s: no output", formats[i]);
    fail_unless_equals_uint64(gst_buffer_get_size(out), size);
    if (pad >= 0) {
      fail_unless(gst_buffer_map(out, &m, GST_MAP_READ));
      gsize bad = 0;
      for (gsize k = (gsize)pad; k < m.size; k += 4) bad += m.data[k] != 255;
      gst_buffer_unmap(out, &m);
      fail_unless(bad == 0, "%s: %" G_GSIZE_FORMAT " padding bytes are not 255", formats[i], bad);
    }
    GstPrimitiveMeta *meta = gst_primitive_meta_find(out);
    fail_unless(meta != NULL, "%s: no GstPrimitiveMeta", formats[i]);
    fail_unless_equals_int(meta->n_shapes, 5);
    fail_unless(meta->score < 0.2);
    GstCaps *caps = gst_pad_get_current_caps(hn->sinkpad);
    fail_unless(caps != NULL);
    GstStructure *st = gst_caps_get_structure(caps, 0);
    fail_unless_equals_string(gst_structure_get_string(st, "format"), formats[i]);
    gst_caps_unref(caps);
    gst_buffer_unref(out);
    gst_harness_teardown(hn);
  }
}
GST_END_TEST;

/* Rectangles approximate a frame of rectangles closely. */
GST_START_TEST(test_rectangles_close) {
  GstHarness *hn = make_harness("shapes=20 shape=rectangle", "RGB", 160, 90);
  GstBuffer *in = make_frame("RGB", 160, 90, 0);
  GstBuffer *ref = gst_buffer_copy(in);
  GstBuffer *out = gst_harness_push_and_pull(hn, in);
  double d = mean_abs_diff(out, ref);
  GstPrimitiveMeta *meta = gst_primitive_meta_find(out);
  GST_INFO("rectangles: score %f, mean abs diff %f", meta->score, d);
  fail_unless(meta->score < 0.03, "score %f", meta->score);
  fail_unless(d < 6.0, "mean abs diff %f", d);
  gst_buffer_unref(out), gst_buffer_unref(ref);
  gst_harness_teardown(hn);
}
GST_END_TEST;

/* A static input gives steady output once warm. With the full search (a budget that is never
 * reached) the largest difference after 10 frames counts. On a live source (the harness is one)
 * the first frames get a quick search that improves from there at a pace set by the machine's
 * speed, so the mean difference over frames 40..60 counts there. */
static double static_diff(const gchar *props, int frames, int settle, gboolean mean) {
  GstHarness *hn = make_harness(props, "I420", 160, 120);
  GstBuffer *prev = NULL;
  double worst = 0, sum = 0;
  int n = 0;
  for (int i = 0; i < frames; i++) {
    GstBuffer *out = gst_harness_push_and_pull(hn, make_frame("I420", 160, 120, 0));
    if (prev && i > settle) {
      double d = mean_abs_diff(out, prev);
      worst = MAX(worst, d);
      sum += d;
      n++;
    }
    if (prev) gst_buffer_unref(prev);
    prev = out;
  }
  gst_buffer_unref(prev);
  gst_harness_teardown(hn);
  return mean ? sum / n : worst;
}

GST_START_TEST(test_static_is_steady) {
  double full = static_diff("shapes=30 budget=60000", 25, 10, FALSE);
  double live = static_diff("shapes=30 budget=0", 60, 40, TRUE);
  GST_INFO("static input: largest frame-to-frame difference %f (full search), mean %f (live budget)", full, live);
  fail_unless(full < 0.5, "full search: consecutive frames differ by up to %f", full);
  fail_unless(live < 0.5, "live budget: consecutive frames differ by %f on average", live);
}
GST_END_TEST;

static GstBuffer *run_frames(const gchar *props, int n) {
  GstHarness *hn = make_harness(props, "RGB", 96, 64);
  GstBuffer *out = NULL;
  for (int i = 0; i < n; i++) {
    if (out) gst_buffer_unref(out);
    out = gst_harness_push_and_pull(hn, make_frame("RGB", 96, 64, i));
  }
  gst_harness_teardown(hn);
  return out;
}

GST_START_TEST(test_same_seed_same_output) {
  GstBuffer *a = run_frames("shapes=15 seed=5 threads=1 budget=60000", 3);
  GstBuffer *b = run_frames("shapes=15 seed=5 threads=2 budget=60000", 3);
  GstBuffer *c = run_frames("shapes=15 seed=6 threads=2 budget=60000", 3);
  fail_unless(mean_abs_diff(a, b) == 0.0, "same seed, different output");
  fail_unless(mean_abs_diff(a, c) > 0.0, "different seeds, same output");
  gst_buffer_unref(a), gst_buffer_unref(b), gst_buffer_unref(c);
}
GST_END_TEST;

GST_START_TEST(test_renegotiation) {
  GstHarness *hn = make_harness("shapes=10", "RGBA", 64, 48);
  GstBuffer *out = gst_harness_push_and_pull(hn, make_frame("RGBA", 64, 48, 0));
  fail_unless_equals_uint64(gst_buffer_get_size(out), 64 * 48 * 4);
  gst_buffer_unref(out);
  const gchar *next[][2] = {{"RGBA", "120x80"}, {"NV12", "33x17"}, {"BGR", "64x48"}};
  for (guint i = 0; i < G_N_ELEMENTS(next); i++) {
    gint w, h;
    sscanf(next[i][1], "%dx%d", &w, &h);
    gchar *caps = g_strdup_printf("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1", next[i][0], w, h);
    gst_harness_set_src_caps_str(hn, caps);
    g_free(caps);
    GstBuffer *in = make_frame(next[i][0], w, h, 0);
    gsize size = gst_buffer_get_size(in);
    out = gst_harness_push_and_pull(hn, in);
    fail_unless(out != NULL);
    fail_unless_equals_uint64(gst_buffer_get_size(out), size);
    GstPrimitiveMeta *meta = gst_primitive_meta_find(out);
    fail_unless(meta && meta->n_shapes == 10);
    gst_buffer_unref(out);
  }
  gst_harness_teardown(hn);
}
GST_END_TEST;

GST_START_TEST(test_odd_and_huge_sizes) {
  struct { const gchar *format; gint w, h; } cases[] = {
      {"RGBA", 1, 1}, {"I420", 1, 1}, {"NV12", 2, 3}, {"RGB", 2, 3}, {"I420", 3, 5}, {"BGRx", 4096, 2160}};
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    GstHarness *hn = make_harness("shapes=8", cases[i].format, cases[i].w, cases[i].h);
    for (int k = 0; k < 2; k++) {
      GstBuffer *in = make_frame(cases[i].format, cases[i].w, cases[i].h, 0);
      gsize size = gst_buffer_get_size(in);
      GstBuffer *out = gst_harness_push_and_pull(hn, in);
      fail_unless(out != NULL, "%s %dx%d", cases[i].format, cases[i].w, cases[i].h);
      fail_unless_equals_uint64(gst_buffer_get_size(out), size);
      gst_buffer_unref(out);
    }
    gst_harness_teardown(hn);
  }
}
GST_END_TEST;

GST_START_TEST(test_properties_while_playing) {
  gchar *dir = g_dir_make_tmp("primitive-XXXXXX", NULL);
  gchar *svg = g_build_filename(dir, "frame-%d.svg", NULL);
  GstHarness *hn = make_harness("shapes=6", "BGRA", 80, 60);
  struct { const gchar *name, *value; } changes[] = {
      {"shapes", "12"}, {"shape", "ellipse"}, {"shape", "circle"}, {"shape", "rotated-rectangle"},
      {"shape", "rotated-ellipse"}, {"shape", "bezier"}, {"shape", "polygon"}, {"shape", "any"},
      {"shape", "rectangle"}, {"alpha", "0"}, {"alpha", "255"}, {"working-size", "64"}, {"working-size", "300"},
      {"seed", "99"}, {"threads", "1"}, {"threads", "3"}, {"background", "#ff8800"}, {"background", "avg"},
      {"warm-start", "false"}, {"warm-start", "true"}, {"keyframe-interval", "2"}, {"scene-threshold", "0.01"},
      {"scene-threshold", "0"}, {"budget", "5"}, {"budget", "0"},
      {"budget", "60000"} /* a full search again: the count below is exact however slow the machine */,
      {"svg-location", svg}, {"shapes", "3"}};
  int frames = 0;
  GstElement *e = gst_harness_find_element(hn, "primitive");
  for (guint i = 0; i < G_N_ELEMENTS(changes); i++) {
    gst_util_set_object_arg(G_OBJECT(e), changes[i].name, changes[i].value);
    GstBuffer *out = gst_harness_push_and_pull(hn, make_frame("BGRA", 80, 60, (int)i % 5));
    fail_unless(out != NULL, "after %s=%s", changes[i].name, changes[i].value);
    frames++;
    gst_buffer_unref(out);
  }
  /* the last change (3 shapes) shows in the meta; the SVG of the last frame exists */
  GstBuffer *out = gst_harness_push_and_pull(hn, make_frame("BGRA", 80, 60, 0));
  fail_unless_equals_int(gst_primitive_meta_find(out)->n_shapes, 3);
  gst_buffer_unref(out);
  gchar *name = g_strdup_printf("frame-%d.svg", frames);
  gchar *path = g_build_filename(dir, name, NULL);
  gchar *text = NULL;
  fail_unless(g_file_get_contents(path, &text, NULL, NULL), "no %s", path);
  fail_unless(g_str_has_prefix(text, "<svg") && strstr(text, "</svg>"));
  g_free(text), g_free(name), g_free(path);
  /* bad values are refused with a warning and leave the property as it was */
  ASSERT_WARNING(g_object_set(e, "background", "not-a-colour", NULL));
  ASSERT_WARNING(g_object_set(e, "svg-location", "50%.svg", NULL));
  gchar *bg = NULL, *loc = NULL;
  g_object_get(e, "background", &bg, "svg-location", &loc, NULL);
  fail_unless_equals_string(bg, "avg");
  fail_unless_equals_string(loc, svg);
  g_free(bg), g_free(loc);
  gst_object_unref(e);
  gst_harness_teardown(hn);
  GDir *d = g_dir_open(dir, 0, NULL);
  const gchar *f;
  while ((f = g_dir_read_name(d))) {
    gchar *p = g_build_filename(dir, f, NULL);
    g_unlink(p);
    g_free(p);
  }
  g_dir_close(d);
  g_rmdir(dir);
  g_free(svg), g_free(dir);
}
GST_END_TEST;

GST_START_TEST(test_unwritable_svg_is_an_error) {
  GstHarness *hn = make_harness("shapes=3 svg-location=/nonexistent-dir/f-%d.svg", "RGB", 32, 24);
  fail_unless_equals_int(gst_harness_push(hn, make_frame("RGB", 32, 24, 0)), GST_FLOW_ERROR);
  gst_harness_teardown(hn);
}
GST_END_TEST;

GST_START_TEST(test_device) {
  GstElement *e = gst_element_factory_make("primitive", NULL);
  GstElement *pipe = gst_pipeline_new(NULL);
  GstElement *src = gst_element_factory_make("fakesrc", NULL), *sink = gst_element_factory_make("fakesink", NULL);
  gst_bin_add_many(GST_BIN(pipe), src, e, sink, NULL);
  gst_element_link_many(src, e, sink, NULL);
  gst_util_set_object_arg(G_OBJECT(e), "device", "cuda");
  fail_unless_equals_int(gst_element_set_state(pipe, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_util_set_object_arg(G_OBJECT(e), "device", "cpu");
  fail_unless(gst_element_set_state(pipe, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(pipe);
}
GST_END_TEST;

GST_START_TEST(test_state_cycling) {
  GstHarness *hn = make_harness("shapes=4", "RGBx", 40, 30);
  for (int i = 0; i < 40; i++) {
    GstBuffer *out = gst_harness_push_and_pull(hn, make_frame("RGBx", 40, 30, i % 3));
    fail_unless(out != NULL);
    gst_buffer_unref(out);
    fail_unless(gst_element_set_state(hn->element, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
    fail_unless(gst_element_set_state(hn->element, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    gst_harness_set_src_caps_str(hn, "video/x-raw,format=RGBx,width=40,height=30,framerate=30/1");
  }
  gst_harness_teardown(hn);
}
GST_END_TEST;

/* After a flush the element starts over: the same frame gives the same picture as at first. */
GST_START_TEST(test_flush_resets) {
  GstHarness *hn = make_harness("shapes=10 budget=60000", "RGB", 64, 48);
  GstBuffer *first = gst_harness_push_and_pull(hn, make_frame("RGB", 64, 48, 0));
  for (int i = 1; i < 5; i++) gst_buffer_unref(gst_harness_push_and_pull(hn, make_frame("RGB", 64, 48, i)));
  fail_unless(gst_harness_push_event(hn, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(hn, gst_event_new_flush_stop(TRUE)));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(hn, gst_event_new_segment(&seg)));
  GstBuffer *again = gst_harness_push_and_pull(hn, make_frame("RGB", 64, 48, 0));
  fail_unless(mean_abs_diff(first, again) == 0.0, "after a flush the picture differs");
  gst_buffer_unref(first), gst_buffer_unref(again);
  gst_harness_teardown(hn);
}
GST_END_TEST;


/* The custom meta, as a binding sees it, holds the same shapes as the C struct, and both survive
 * a buffer copy. */
GST_START_TEST(test_shapes_custom_meta) {
  GstHarness *hn = make_harness("shapes=7 shape=any background=#123456", "RGB", 96, 64);
  GstBuffer *out = gst_harness_push_and_pull(hn, make_frame("RGB", 96, 64, 0));
  GstPrimitiveMeta *m = gst_primitive_meta_find(out);
  GstStructure *st = gst_primitive_shapes_find(out);
  fail_unless(m != NULL && st != NULL);
  guint n = 0;
  gint ww = 0, wh = 0;
  gdouble score = -1;
  GBytes *bytes = NULL;
  fail_unless(gst_structure_get(st, "n-shapes", G_TYPE_UINT, &n, "working-width", G_TYPE_INT, &ww, "working-height",
                                G_TYPE_INT, &wh, "score", G_TYPE_DOUBLE, &score, "shapes", G_TYPE_BYTES, &bytes, NULL));
  fail_unless_equals_int(n, 7);
  fail_unless_equals_int(n, m->n_shapes);
  fail_unless_equals_int(ww, 96); /* never upscaled: the frame's own size */
  fail_unless_equals_int(wh, 64);
  fail_unless(score == m->score && score > 0 && score < 0.3, "score %f", score);
  fail_unless_equals_string(gst_structure_get_string(st, "background"), "#123456");
  fail_unless_equals_int(m->background[0], 0x12);
  gsize size;
  const guint8 *data = g_bytes_get_data(bytes, &size);
  fail_unless_equals_uint64(size, 40 * n);
  fail_unless(memcmp(data, m->shapes, size) == 0);
  for (guint i = 0; i < n; i++) {
    gint32 kind;
    memcpy(&kind, data + 40 * i, 4);
    fail_unless(kind >= 1 && kind <= 8, "shape %u: kind %d", i, kind);
    fail_unless_equals_int(data[40 * i + 39], 128); /* alpha */
  }
  g_bytes_unref(bytes);
  GstBuffer *copy = gst_buffer_copy(out);
  GstStructure *cst = gst_primitive_shapes_find(copy);
  fail_unless(cst != NULL && gst_structure_is_equal(cst, st));
  fail_unless(gst_primitive_meta_find(copy) != NULL);
  gst_buffer_unref(copy);
  gst_buffer_unref(out);
  gst_harness_teardown(hn);
}
GST_END_TEST;

/* Bad values say so on stderr (a g_warning) and change nothing; the CLI's colour forms work. */
GST_START_TEST(test_bad_values_are_visible) {
  GstElement *e = gst_element_factory_make("primitive", NULL);
  gchar *v = NULL;
  ASSERT_WARNING(g_object_set(e, "background", "red", NULL));
  g_object_get(e, "background", &v, NULL);
  fail_unless_equals_string(v, "avg");
  g_free(v);
  const gchar *colours[] = {"#f00", "f00", "#ff0000", "FF0000"};
  for (guint i = 0; i < G_N_ELEMENTS(colours); i++) {
    g_object_set(e, "background", colours[i], NULL); /* a warning here would fail the test */
    g_object_get(e, "background", &v, NULL);
    fail_unless_equals_string(v, colours[i]);
    g_free(v);
  }
  const gchar *bad_paths[] = {"50%.svg", "f%s.svg", "f%d-%d.svg", "f%x.svg"};
  for (guint i = 0; i < G_N_ELEMENTS(bad_paths); i++) {
    ASSERT_WARNING(g_object_set(e, "svg-location", bad_paths[i], NULL));
    g_object_get(e, "svg-location", &v, NULL);
    fail_unless(v == NULL, "%s accepted", bad_paths[i]);
  }
  gst_object_unref(e);
  /* #f00 reaches the picture */
  GstHarness *hn = make_harness("shapes=3 background=#f00", "RGB", 32, 24);
  GstBuffer *out = gst_harness_push_and_pull(hn, make_frame("RGB", 32, 24, 0));
  fail_unless_equals_string(gst_structure_get_string(gst_primitive_shapes_find(out), "background"), "#ff0000");
  gst_buffer_unref(out);
  gst_harness_teardown(hn);
}
GST_END_TEST;

static gint compare_names(gconstpointer a, gconstpointer b) {
  return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static gchar *svg_dir_run(const gchar *location, int frames, gchar ***files) {
  gchar *dir = g_dir_make_tmp("primitive-XXXXXX", NULL);
  gchar *path = g_build_filename(dir, location, NULL);
  gchar *props = g_strdup_printf("shapes=3 svg-location=\"%s\"", path);
  GstHarness *hn = make_harness(props, "RGB", 48, 32);
  for (int i = 0; i < frames; i++) gst_buffer_unref(gst_harness_push_and_pull(hn, make_frame("RGB", 48, 32, i)));
  gst_harness_teardown(hn);
  GPtrArray *names = g_ptr_array_new();
  GDir *d = g_dir_open(dir, 0, NULL);
  const gchar *f;
  while ((f = g_dir_read_name(d))) g_ptr_array_add(names, g_strdup(f));
  g_dir_close(d);
  g_ptr_array_sort(names, compare_names);
  g_ptr_array_add(names, NULL);
  *files = (gchar **)g_ptr_array_free(names, FALSE);
  g_free(props), g_free(path);
  return dir;
}

static void svg_dir_remove(gchar *dir, gchar **files) {
  for (gchar **f = files; *f; f++) {
    gchar *p = g_build_filename(dir, *f, NULL);
    g_unlink(p);
    g_free(p);
  }
  g_rmdir(dir);
  g_free(dir);
  g_strfreev(files);
}

/* A location without %d is one file that every frame replaces. */
GST_START_TEST(test_svg_single_file) {
  gchar **files;
  gchar *dir = svg_dir_run("out.svg", 3, &files);
  fail_unless(files[0] && !files[1], "expected only out.svg, found %s, %s", files[0], files[0] ? files[1] : "");
  fail_unless_equals_string(files[0], "out.svg");
  gchar *p = g_build_filename(dir, "out.svg", NULL), *text = NULL;
  fail_unless(g_file_get_contents(p, &text, NULL, NULL) && g_str_has_prefix(text, "<svg") && strstr(text, "</svg>"));
  g_free(p), g_free(text);
  svg_dir_remove(dir, files);
}
GST_END_TEST;

/* %05d, as multifilesink and splitmuxsink users write it. */
GST_START_TEST(test_svg_zero_padded) {
  gchar **files;
  gchar *dir = svg_dir_run("f%05d.svg", 3, &files);
  fail_unless(g_strv_length(files) == 3, "%u files", g_strv_length(files));
  fail_unless_equals_string(files[0], "f00000.svg");
  fail_unless_equals_string(files[2], "f00002.svg");
  svg_dir_remove(dir, files);
}
GST_END_TEST;

static GstBuffer *frame_at(gint w, gint h, gint shift, GstClockTime pts) {
  GstBuffer *b = make_frame("RGB", w, h, shift);
  GST_BUFFER_PTS(b) = pts;
  GST_BUFFER_DURATION(b) = GST_SECOND / 30;
  return b;
}

static void check_frame(GstHarness *hn, GstClockTime pts, guint shapes, guint alpha) {
  GstBuffer *out = gst_harness_push_and_pull(hn, frame_at(64, 48, 0, pts));
  GstPrimitiveMeta *m = gst_primitive_meta_find(out);
  fail_unless_equals_int(m->n_shapes, shapes);
  for (guint i = 0; i < m->n_shapes; i++)
    fail_unless_equals_int(m->shapes[i].rgba[3], alpha);
  gst_buffer_unref(out);
}

/* A GstController drives the controllable properties at each frame's stream time. */
GST_START_TEST(test_controlled_properties) {
  GstHarness *hn = make_harness("shapes=20 alpha=200 budget=60000", "RGB", 64, 48);
  GstElement *e = gst_harness_find_element(hn, "primitive");
  GstControlSource *trigger = gst_trigger_control_source_new();
  gst_timed_value_control_source_set(GST_TIMED_VALUE_CONTROL_SOURCE(trigger), 0, 4);
  gst_timed_value_control_source_set(GST_TIMED_VALUE_CONTROL_SOURCE(trigger), 200 * GST_MSECOND, 9);
  fail_unless(gst_object_add_control_binding(GST_OBJECT(e),
                                             gst_direct_control_binding_new_absolute(GST_OBJECT(e), "shapes", trigger)));
  GstControlSource *line = gst_interpolation_control_source_new();
  g_object_set(line, "mode", GST_INTERPOLATION_MODE_LINEAR, NULL);
  gst_timed_value_control_source_set(GST_TIMED_VALUE_CONTROL_SOURCE(line), 0, 50);
  gst_timed_value_control_source_set(GST_TIMED_VALUE_CONTROL_SOURCE(line), GST_SECOND, 150);
  fail_unless(gst_object_add_control_binding(GST_OBJECT(e),
                                             gst_direct_control_binding_new_absolute(GST_OBJECT(e), "alpha", line)));
  check_frame(hn, 0, 4, 50);
  check_frame(hn, 200 * GST_MSECOND, 9, 70);
  check_frame(hn, 500 * GST_MSECOND, 9, 100); /* a trigger holds its last value */
  guint alpha;
  g_object_get(e, "alpha", &alpha, NULL);
  fail_unless_equals_int(alpha, 100);
  /* a segment in bytes (fakesrc sends one) has no stream time: the values stay, no critical */
  GstSegment bytes;
  gst_segment_init(&bytes, GST_FORMAT_BYTES);
  fail_unless(gst_harness_push_event(hn, gst_event_new_segment(&bytes)));
  check_frame(hn, 0, 9, 100);
  gst_object_unref(trigger), gst_object_unref(line);
  gst_object_unref(e);
  gst_harness_teardown(hn);
}
GST_END_TEST;

typedef struct {
  GstElement *element;
  gint stop, changes;
} Storm;

/* Another thread (an application's UI) changes every property that may change while PLAYING,
 * as fast as it can, while frames flow. */
static gpointer property_storm(gpointer data) {
  Storm *s = data;
  static const gchar *shapes[] = {"triangle", "ellipse", "any", "bezier", "rotated-rectangle", "polygon"};
  for (guint i = 0; !g_atomic_int_get(&s->stop); i++) {
    g_object_set(s->element, "shapes", 2 + i % 9, "alpha", (i % 3) * 100, "working-size", 32 + 16 * (i % 5),
                 "seed", i, "threads", 1 + i % 3, "warm-start", (gboolean)(i % 4 != 0), "keyframe-interval", i % 4,
                 "scene-threshold", (i % 2) * 0.1, "budget", (i % 3) * 5, NULL);
    gst_util_set_object_arg(G_OBJECT(s->element), "shape", shapes[i % G_N_ELEMENTS(shapes)]);
    gst_util_set_object_arg(G_OBJECT(s->element), "background", i % 2 ? "#204060" : "avg");
    g_atomic_int_inc(&s->changes);
    g_usleep(200);
  }
  return NULL;
}

GST_START_TEST(test_properties_from_another_thread) {
  GstHarness *hn = make_harness("shapes=4", "I420", 64, 48);
  Storm s = {gst_harness_find_element(hn, "primitive"), 0, 0};
  GThread *t = g_thread_new("storm", property_storm, &s);
  guint most = 0;
  for (int i = 0; i < 60; i++) {
    GstBuffer *in = make_frame("I420", 64, 48, i % 7);
    gsize size = gst_buffer_get_size(in);
    GstBuffer *out = gst_harness_push_and_pull(hn, in);
    fail_unless(out != NULL && gst_buffer_get_size(out) == size);
    GstPrimitiveMeta *m = gst_primitive_meta_find(out);
    /* a budget is a deadline: a frame searched from nothing may end with none yet (sanitizers) */
    fail_unless(m && m->n_shapes <= 10, "%u shapes", m ? m->n_shapes : 0);
    most = MAX(most, m->n_shapes);
    gst_buffer_unref(out);
  }
  fail_unless(most >= 1, "no frame had a shape");
  g_atomic_int_set(&s.stop, 1);
  g_thread_join(t);
  fail_unless(g_atomic_int_get(&s.changes) > 1, "the other thread never ran");
  gst_object_unref(s.element);
  gst_harness_teardown(hn);
}
GST_END_TEST;

typedef struct {
  GstBuffer *last;
  gint frames;
} Instance;

static gpointer run_instance(gpointer data) {
  Instance *in = data;
  GstHarness *hn = make_harness("shapes=12 seed=3 threads=2 budget=60000", "RGB", 96, 64);
  for (int i = 0; i < 8; i++) {
    GstBuffer *out = gst_harness_push_and_pull(hn, make_frame("RGB", 96, 64, i));
    if (!out) break;
    in->frames++;
    if (in->last) gst_buffer_unref(in->last);
    in->last = out;
  }
  gst_harness_teardown(hn);
  return NULL;
}

/* Several elements at once, each in its own streaming thread with its own worker pool, give
 * what one alone gives. */
GST_START_TEST(test_several_instances) {
  enum { N = 4 };
  Instance alone = {NULL, 0}, many[N];
  run_instance(&alone);
  GThread *threads[N];
  for (int i = 0; i < N; i++) {
    many[i] = (Instance){NULL, 0};
    threads[i] = g_thread_new("instance", run_instance, &many[i]);
  }
  for (int i = 0; i < N; i++) g_thread_join(threads[i]);
  for (int i = 0; i < N; i++) {
    fail_unless_equals_int(many[i].frames, 8);
    fail_unless(mean_abs_diff(many[i].last, alone.last) == 0.0, "instance %d differs from a lone one", i);
    gst_buffer_unref(many[i].last);
  }
  gst_buffer_unref(alone.last);
}
GST_END_TEST;

/* The largest settings make a frame take minutes: leaving PLAYING, and a flush, must not wait
 * for it (measured: a few milliseconds; the bound leaves room for a loaded machine). */
GST_START_TEST(test_stop_is_prompt) {
  for (int flush = 0; flush < 2; flush++) {
    GstElement *p = gst_parse_launch("videotestsrc is-live=true ! video/x-raw,width=1280,height=720,framerate=30/1 "
                                     "! primitive name=f shapes=10000 working-size=1024 ! fakesink name=s sync=false",
                                     NULL);
    fail_unless(p != NULL);
    gst_element_set_state(p, GST_STATE_PLAYING);
    g_usleep(G_USEC_PER_SEC / 2); /* well inside the first frame's search */
    gint64 t0 = g_get_monotonic_time();
    if (flush) {
      GstElement *f = gst_bin_get_by_name(GST_BIN(p), "f");
      GstPad *sink = gst_element_get_static_pad(f, "sink");
      fail_unless(gst_pad_send_event(sink, gst_event_new_flush_start()));
      fail_unless(gst_pad_send_event(sink, gst_event_new_flush_stop(TRUE)));
      gst_object_unref(sink), gst_object_unref(f);
    }
    fail_unless(gst_element_set_state(p, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
    double ms = (g_get_monotonic_time() - t0) / 1000.0;
    GST_INFO("%s then NULL in %.1f ms", flush ? "flush" : "PLAYING", ms);
    fail_unless(ms < 1000.0, "stopping took %.1f ms", ms);
    gst_object_unref(p);
  }
}
GST_END_TEST;

static Suite *primitive_suite(void) {
  Suite *s = suite_create("primitive");
  TCase *tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_every_format);
  tcase_add_test(tc, test_rectangles_close);
  tcase_add_test(tc, test_static_is_steady);
  tcase_add_test(tc, test_same_seed_same_output);
  tcase_add_test(tc, test_renegotiation);
  tcase_add_test(tc, test_odd_and_huge_sizes);
  tcase_add_test(tc, test_properties_while_playing);
  tcase_add_test(tc, test_unwritable_svg_is_an_error);
  tcase_add_test(tc, test_device);
  tcase_add_test(tc, test_state_cycling);
  tcase_add_test(tc, test_flush_resets);
  tcase_add_test(tc, test_shapes_custom_meta);
  tcase_add_test(tc, test_bad_values_are_visible);
  tcase_add_test(tc, test_svg_single_file);
  tcase_add_test(tc, test_svg_zero_padded);
  tcase_add_test(tc, test_controlled_properties);
  tcase_add_test(tc, test_properties_from_another_thread);
  tcase_add_test(tc, test_several_instances);
  tcase_add_test(tc, test_stop_is_prompt);
  return s;
}

GST_CHECK_MAIN(primitive);
