#!/usr/bin/env bash
# The README's main job, checked: the demo model is generated, described,
# optimized (with gsopt's own verification), re-verified by gsopt and by
# ONNX Runtime, and round-trips through the text IR. Output is checked with
# FileCheck against the CHECK lines in demo_test.checks.
set -euo pipefail
GSOPT=${GSOPT:?path to gsopt}
FILECHECK=${FILECHECK:?path to FileCheck}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$here/../../tools/make_demo_model.py" "$dir/demo.onnx" >/dev/null
{
  echo "== info"; "$GSOPT" info "$dir/demo.onnx"
  echo "== optimize"; "$GSOPT" optimize "$dir/demo.onnx" -o "$dir/demo.opt.onnx" --dim batch=2
  echo "== info optimized"; "$GSOPT" info "$dir/demo.opt.onnx"
  echo "== verify"; "$GSOPT" verify "$dir/demo.onnx" "$dir/demo.opt.onnx" --dim batch=3
  echo "== ort"; python3 "$here/../../tools/ort_compare.py" "$dir/demo.onnx" "$dir/demo.opt.onnx" --dim batch=2
  echo "== text"; "$GSOPT" convert "$dir/demo.opt.onnx" -o "$dir/demo.gsir"
  "$GSOPT" convert "$dir/demo.gsir" -o "$dir/demo.back.onnx"
  "$GSOPT" verify "$dir/demo.opt.onnx" "$dir/demo.back.onnx"
} > "$dir/log.txt" 2>&1
"$FILECHECK" --input-file "$dir/log.txt" "$here/demo_test.checks"
echo "demo main job: 1 passed, 0 failed"
