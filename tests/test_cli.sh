#!/bin/sh
# End-to-end tests of the primitive command line: outputs, reproducibility, SVG, error paths.
# usage: test_cli.sh PRIMITIVE IMGTOOL [INPUT_IMAGE]
set -u
prim=$1 tool=$2 input=${3:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

if [ -z "$input" ] || [ ! -r "$input" ]; then
  input=$dir/input.png
  "$tool" gen "$input" 320 240 || { echo "cannot make a test image"; exit 1; }
fi

# a run with every output kind, frames every 5 shapes
if "$prim" -i "$input" -o "$dir/out.png" -o "$dir/out.svg" -o "$dir/out.jpg" -o "$dir/frame%d.png" \
    -nth 5 -n 20 -s 256 -j 2 -v >"$dir/log" 2>&1; then ok "run with png, svg, jpg and %d outputs"; else fail "run"; cat "$dir/log"; fi
for f in out.png out.svg out.jpg frame5.png frame10.png frame15.png frame20.png; do
  [ -s "$dir/$f" ] && ok "wrote $f" || fail "missing $f"
done
[ ! -e "$dir/frame4.png" ] && ok "-nth 5 skipped frame 4" || fail "frame4.png written despite -nth 5"
[ "$(grep -c '^[0-9]*: t=' "$dir/log")" = 20 ] && ok "-v printed 20 progress lines" || fail "-v progress lines"

# the SVG parses as XML and renders to (nearly) the PNG
if command -v xmllint >/dev/null 2>&1; then
  xmllint --noout "$dir/out.svg" && ok "svg is well-formed XML" || fail "svg is not well-formed"
else
  echo "SKIP: xmllint not installed"
fi
if command -v rsvg-convert >/dev/null 2>&1; then
  rsvg-convert "$dir/out.svg" -o "$dir/svg.png"
  d=$("$tool" diff "$dir/svg.png" "$dir/out.png")
  echo "svg render vs png: mean abs diff $d"
  awk -v d="$d" 'BEGIN { exit !(d < 2.0) }' && ok "svg renders like the png (diff $d < 2.0)" || fail "svg render differs (diff $d)"
else
  echo "SKIP: rsvg-convert not installed"
fi

# same seed, same picture, any thread count; another seed, another picture
"$prim" -i "$input" -o "$dir/a.png" -n 15 -s 200 -j 1 --seed 7 &&
  "$prim" -i "$input" -o "$dir/b.png" -n 15 -s 200 -j 2 --seed 7 &&
  "$prim" -i "$input" -o "$dir/c.png" -n 15 -s 200 -j 2 -seed=8
cmp -s "$dir/a.png" "$dir/b.png" && ok "seed 7: -j 1 and -j 2 give the same image" || fail "-j 1 and -j 2 differ"
cmp -s "$dir/a.png" "$dir/c.png" && fail "seeds 7 and 8 gave the same image" || ok "another seed gives another image"

# the CUDA search emulated on the CPU: same picture at any thread count
"$prim" -i "$input" -o "$dir/e1.png" -n 4 -s 64 -j 1 -device emulated &&
  "$prim" -i "$input" -o "$dir/e2.png" -n 4 -s 64 -j 2 -device=emulated &&
  cmp -s "$dir/e1.png" "$dir/e2.png" && ok "-device emulated: same picture at -j 1 and -j 2" || fail "-device emulated"

# JPEG input, every mode, auto alpha, background colour
for m in 0 1 2 3 4 5 6 7 8; do
  "$prim" -i "$dir/out.jpg" -o "$dir/m$m.png" -n 4 -m $m -a 0 -bg "#fff" -s 64 -rep 1 2>"$dir/err" &&
    ok "mode $m from a JPEG" || { fail "mode $m"; cat "$dir/err"; }
done

# error paths: non-zero exit and one line on stderr naming the problem
expect_error() { # description, expected text, args...
  desc=$1 want=$2
  shift 2
  "$prim" "$@" >/dev/null 2>"$dir/err"
  code=$?
  lines=$(wc -l <"$dir/err")
  if [ $code -ne 0 ] && [ "$lines" -eq 1 ] && grep -q "$want" "$dir/err"; then ok "$desc: $(cat "$dir/err")"
  else fail "$desc (exit $code, $lines lines): $(cat "$dir/err")"; fi
}
printf 'not an image\n' >"$dir/text.png"
expect_error "missing input" "cannot open" -i "$dir/nope.png" -o "$dir/x.png"
expect_error "not an image" "not a PNG or JPEG" -i "$dir/text.png" -o "$dir/x.png"
head -c 200 "$dir/out.png" >"$dir/trunc.png"
expect_error "truncated PNG" "bad PNG" -i "$dir/trunc.png" -o "$dir/x.png"
head -c 300 "$dir/out.jpg" >"$dir/trunc.jpg"
expect_error "truncated JPEG" "JPEG" -i "$dir/trunc.jpg" -o "$dir/x.png"
expect_error "unwritable output" "cannot write" -i "$input" -o "/nonexistent-dir/x.png"
expect_error "unknown output type" "unknown output type" -i "$input" -o "$dir/x.bmp"
expect_error "no input" "missing -i" -o "$dir/x.png"
expect_error "no output" "missing -o" -i "$input"
expect_error "zero shapes" "bad value" -i "$input" -o "$dir/x.png" -n 0
expect_error "bad mode" "bad value" -i "$input" -o "$dir/x.png" -m 9
expect_error "bad alpha" "bad value" -i "$input" -o "$dir/x.png" -a 300
expect_error "bad number" "bad value" -i "$input" -o "$dir/x.png" -n 12abc
expect_error "bad background" "bad value" -i "$input" -o "$dir/x.png" -bg zzz
expect_error "unknown flag" "unknown flag" -i "$input" -o "$dir/x.png" -frobnicate 3
expect_error "flag without value" "needs a value" -i "$input" -o
expect_error "two %d" "only one" -i "$input" -o "$dir/%d-%d.png"
expect_error "bad device" "bad value" -i "$input" -o "$dir/x.png" -device gpu
# without a GPU, -device cuda is a one-line error naming the reason (with one, it runs)
if "$prim" -i "$input" -o "$dir/g.png" -n 2 -s 64 -device cuda >/dev/null 2>"$dir/err"; then ok "-device cuda runs (a GPU is here)"
elif [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "device=cuda: " "$dir/err"; then ok "-device cuda without a GPU: $(cat "$dir/err")"
else fail "-device cuda: $(cat "$dir/err")"; fi
rm -f "$dir/g.png"
[ ! -e "$dir/x.png" ] && ok "failed runs left no output behind" || fail "a failed run wrote x.png"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
