#!/bin/sh
# `meson install` puts each part where its host looks with no environment variable:
#  - the frei0r plugin in PREFIX/lib/frei0r-1 (FFmpeg's and MLT's search lists, frei0r.pc),
#  - the GStreamer plugin in LIBDIR/gstreamer-1.0,
#  - the meta's header and gst-primitive-1.0.pc, enough for a C application to read the shapes.
# Then FFmpeg and melt run the installed frei0r plugin from a folder of their default search
# list ($HOME/.frei0r-1/lib, with HOME a temporary folder), with no FREI0R_PATH.
# usage: test_install.sh BUILD_DIR PREFIX LIBDIR INCLUDEDIR FREI0R_DIR|"" GST(yes|no) STILL_PICTURE
set -u
build=$1 prefix=$2 libdir=$3 includedir=$4 frei0r_dir=$5 gst=$6 still=$7
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
case $includedir in /*) ;; *) includedir=$prefix/$includedir ;; esac
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
if meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest/install.log" 2>&1; then
  ok "meson install --destdir"
else
  cat "$dest/install.log"
  fail "meson install --destdir"
  exit 1
fi
find "$dest" -type f | sed "s|^$dest||" | sort

# ---- the frei0r plugin
if [ -n "$frei0r_dir" ]; then
  so=$dest$frei0r_dir/primitive.so
  [ -f "$so" ] && ok "frei0r plugin at $frei0r_dir/primitive.so" || fail "no $frei0r_dir/primitive.so"
  exported=$(nm -D --defined-only "$so" 2>/dev/null | awk '{print $3}' | sort | tr '\n' ' ')
  case $exported in *f0r_construct*f0r_update*) ok "it exports the frei0r API only: $exported" ;;
    *) fail "frei0r exports: $exported" ;; esac
  # The folder is one FFmpeg and MLT search (their lists are compiled into them).
  avfilter=$(ldd "$(command -v ffmpeg 2>/dev/null || echo /nonexistent)" 2>/dev/null | awk '/libavfilter/ {print $3}')
  mltfrei0r=$(ls /usr/lib/*/mlt-7/libmltfrei0r.so /usr/lib/mlt-7/libmltfrei0r.so 2>/dev/null | head -1)
  for host in "FFmpeg:$avfilter" "MLT:$mltfrei0r"; do
    name=${host%%:*} lib=${host#*:}
    if [ -z "$lib" ]; then
      echo "SKIP: $name not installed, its search list not checked"
    elif strings "$lib" | tr ':' '\n' | sed 's|/$||' | grep -qx "$frei0r_dir"; then
      ok "$name searches $frei0r_dir by default"
    elif [ "$prefix" = /usr ] || [ "$prefix" = /usr/local ]; then
      fail "$name does not search $frei0r_dir ($lib)"
    else
      echo "note: with prefix $prefix, $name needs FREI0R_PATH=$frei0r_dir (or -Dfrei0r-plugindir)"
    fi
  done

  # FFmpeg and melt on their own, finding the installed plugin in ~/.frei0r-1/lib.
  home=$dest/home
  mkdir -p "$home/.frei0r-1/lib"
  cp "$so" "$home/.frei0r-1/lib/"
  unset FREI0R_PATH MLT_FREI0R_PLUGIN_PATH
  elsewhere=$(ls /usr/local/lib/frei0r-1/primitive.so /usr/lib/frei0r-1/primitive.so 2>/dev/null | head -1)
  if command -v ffmpeg >/dev/null 2>&1; then
    run_ffmpeg() { # HOME, output: 10 frames of 64x48 through the filter
      HOME=$1 ffmpeg -v error -f lavfi -i testsrc2=size=64x48:rate=10:duration=1 \
        -vf "frei0r=filter_name=primitive:filter_params=0.01" -pix_fmt rgb24 -f rawvideo -y "$2"
    }
    if [ -z "$elsewhere" ]; then
      mkdir -p "$dest/empty"
      run_ffmpeg "$dest/empty" "$dest/none.rgb" 2>/dev/null && fail "ffmpeg found a primitive plugin with no install" ||
        ok "without the install ffmpeg finds no plugin"
    else
      echo "note: $elsewhere is installed, so the check without an install is skipped"
    fi
    ffmpeg -v error -f lavfi -i testsrc2=size=64x48:rate=10:duration=1 -pix_fmt rgb24 -f rawvideo -y "$dest/in.rgb"
    if run_ffmpeg "$home" "$dest/out.rgb" && [ "$(wc -c <"$dest/out.rgb")" -eq $((64 * 48 * 3 * 10)) ] &&
      ! cmp -s "$dest/in.rgb" "$dest/out.rgb"; then
      ok "ffmpeg -vf frei0r=filter_name=primitive finds the plugin in ~/.frei0r-1/lib"
    else
      fail "ffmpeg with the plugin in ~/.frei0r-1/lib"
    fi
  else
    echo "SKIP: ffmpeg not installed"
  fi
  if command -v melt >/dev/null 2>&1; then
    run_melt() { # HOME, output, filter arguments...
      h=$1 out=$2
      shift 2
      HOME=$h melt -silent "$still" out=2 "$@" -consumer avformat:"$out" f=rawvideo pix_fmt=rgb24 width=64 height=64 \
        >/dev/null 2>&1
    }
    run_melt "$home" "$dest/melt-plain.rgb"
    run_melt "$home" "$dest/melt.rgb" -filter frei0r.primitive shapes=0.01
    if [ -s "$dest/melt.rgb" ] && [ "$(wc -c <"$dest/melt.rgb")" -eq "$(wc -c <"$dest/melt-plain.rgb")" ] &&
      ! cmp -s "$dest/melt.rgb" "$dest/melt-plain.rgb"; then
      ok "melt -filter frei0r.primitive finds the plugin in ~/.frei0r-1/lib"
    else
      fail "melt with the plugin in ~/.frei0r-1/lib (output missing or not filtered)"
    fi
  else
    echo "SKIP: melt not installed"
  fi
else
  echo "SKIP: the frei0r plugin is not built (frei0r-plugins-dev)"
fi

# ---- the GStreamer plugin, the header and the .pc, used as an application would
if [ "$gst" = yes ]; then
  plugin=$dest$libdir/gstreamer-1.0/libgstprimitive.so
  [ -f "$plugin" ] && ok "GStreamer plugin at $libdir/gstreamer-1.0" || fail "no $libdir/gstreamer-1.0/libgstprimitive.so"
  [ -f "$dest$includedir/gst-primitive-1.0/gstprimitivemeta.h" ] && ok "header installed" || fail "no header"
  pcdir=$dest$libdir/pkgconfig
  [ -f "$pcdir/gst-primitive-1.0.pc" ] && ok "gst-primitive-1.0.pc installed" || fail "no gst-primitive-1.0.pc"
  cat >"$dest/app.c" <<'EOF'
#include <gstprimitivemeta.h>
#include <stdio.h>
static void handoff(GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer data) {
  GstPrimitiveMeta *m = gst_primitive_meta_find(buf);
  GstStructure *s = gst_primitive_shapes_find(buf);
  guint n = 0;
  if (s) gst_structure_get_uint(s, "n-shapes", &n);
  printf("%u %u\n", m ? m->n_shapes : 0, n);
  (void)sink, (void)pad, (void)data;
}
int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  GstElement *p = gst_parse_launch("videotestsrc num-buffers=2 ! primitive shapes=3 ! fakesink name=s signal-handoffs=true", NULL);
  if (!p) return 1;
  GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "s");
  g_signal_connect(sink, "handoff", G_CALLBACK(handoff), NULL);
  gst_element_set_state(p, GST_STATE_PLAYING);
  GstMessage *msg = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(p), GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  int rc = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS ? 0 : 1;
  gst_message_unref(msg);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(sink), gst_object_unref(p);
  return rc;
}
EOF
  # the .pc as installed, moved under DESTDIR as a packager's relocation would (prefix= only)
  mkdir -p "$dest/pc"
  sed "s|^prefix=.*|prefix=$dest$prefix|" "$pcdir/gst-primitive-1.0.pc" >"$dest/pc/gst-primitive-1.0.pc"
  flags=$(PKG_CONFIG_PATH=$dest/pc pkg-config --cflags --libs gst-primitive-1.0)
  # shellcheck disable=SC2086
  if cc -o "$dest/app" "$dest/app.c" $flags; then
    ok "an application builds with pkg-config gst-primitive-1.0 alone ($flags)"
    shapes=$(GST_PLUGIN_PATH_1_0=$dest$libdir/gstreamer-1.0 GST_REGISTRY_1_0=$dest/registry.bin "$dest/app")
    [ "$shapes" = "$(printf '3 3\n3 3')" ] && ok "it reads 3 shapes from both metas of the installed plugin" ||
      fail "the application read: $shapes"
  else
    fail "an application with pkg-config gst-primitive-1.0 ($flags)"
  fi
else
  echo "SKIP: the GStreamer element is not built"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
