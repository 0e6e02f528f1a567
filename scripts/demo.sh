#!/usr/bin/env bash
# The main job on the bundled model: set up, generate the demo model, show
# what it contains, optimize it (gsopt checks the result on random inputs
# before writing it), verify it again independently with gsopt and with ONNX
# Runtime, and print before/after.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out/demo
python3 tools/make_demo_model.py out/demo/demo.onnx
echo; echo "== gsopt info =="
build/bin/gsopt info out/demo/demo.onnx
echo; echo "== gsopt optimize =="
build/bin/gsopt optimize out/demo/demo.onnx -o out/demo/demo.opt.onnx
echo; echo "== gsopt verify =="
build/bin/gsopt verify out/demo/demo.onnx out/demo/demo.opt.onnx --dim batch=4
echo; echo "== ONNX Runtime: original vs optimized =="
python3 tools/ort_compare.py out/demo/demo.onnx out/demo/demo.opt.onnx --dim batch=4 --time
