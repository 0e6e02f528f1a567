#!/usr/bin/env bash
# Conformance on the node tests of the current ONNX release (the pinned
# `onnx` wheel), generated into a temporary folder first; the pass count
# must not drop below min_passed_current.txt.
set -euo pipefail
GSOPT=${GSOPT:?path to gsopt}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$here/generate_node_tests.py" "$dir/node" 2>/dev/null
"$GSOPT" test-onnx "$dir/node" --table --min-passed "$(cat "$here/min_passed_current.txt")"
