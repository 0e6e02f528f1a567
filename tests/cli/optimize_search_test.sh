#!/usr/bin/env bash
# optimize's search from the command line, on the bundled demo model (its
# Conv+BatchNorm blocks and MatMul+bias give rules to fire): the report names the
# strategy, the stop reason and the rules fired; --stop-after bounds the
# rewrites (for bisecting), --search none skips the search, explain lists the
# matches, --target gsopt lowers fused ops back to standard ONNX, and bad
# option values are usage errors (exit 2) that write nothing. Checked with
# FileCheck against optimize_search_test.checks.
set -euo pipefail
GSOPT=${GSOPT:?path to gsopt}
FILECHECK=${FILECHECK:?path to FileCheck}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$here/../../tools/make_demo_model.py" "$dir/demo.onnx" >/dev/null
m="$dir/demo.onnx"
{
  echo "== default"; "$GSOPT" optimize "$m" -o "$dir/a.onnx"
  echo "== stop-after"; "$GSOPT" optimize "$m" -o "$dir/b.onnx" --search greedy --stop-after 2
  echo "== budget"; "$GSOPT" optimize "$m" -o "$dir/c.onnx" --search backtrack --budget 1
  echo "== none"; "$GSOPT" optimize "$m" -o "$dir/d.onnx" --search none
  echo "== explain"; "$GSOPT" explain "$m" --rules conv-bn-fold-no-bias,matmul-add-to-gemm
  echo "== gsopt target"; "$GSOPT" optimize "$m" -o "$dir/e.onnx" --target gsopt
  echo "== bad search"; "$GSOPT" optimize "$m" -o "$dir/f.onnx" --search beam || echo "exit $?"
  echo "== bad rule"; "$GSOPT" optimize "$m" -o "$dir/f.onnx" --rules no-such-rule || echo "exit $?"
  test ! -e "$dir/f.onnx" && echo "nothing written"
} > "$dir/log.txt" 2>&1
"$FILECHECK" --input-file "$dir/log.txt" "$here/optimize_search_test.checks"
echo "optimize search CLI: 1 passed, 0 failed"
