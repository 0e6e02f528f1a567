#!/usr/bin/env bash
# Every kind of broken model gets a one-line error that names the file and
# the problem, a non-zero exit code (1, never a crash), and no output file.
set -u
GSOPT=${GSOPT:?path to gsopt}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$(dirname "$0")/make_bad_models.py" "$dir" || exit 1
failures=0
checks=0
expect_error() {  # FILE PATTERN
  local file=$1 pattern=$2
  for cmd in info run optimize; do
    local out_args=()
    [ "$cmd" = optimize ] && out_args=(-o "$dir/out_$cmd.onnx")
    err=$("$GSOPT" "$cmd" "$dir/$file" "${out_args[@]}" 2>&1 >/dev/null)
    code=$?
    if [ $code -ne 1 ]; then
      echo "FAIL: gsopt $cmd $file exited $code (want 1): $err"; failures=$((failures+1)); continue
    fi
    if ! grep -q "$file" <<<"$err" || ! grep -Eq "$pattern" <<<"$err"; then
      echo "FAIL: gsopt $cmd $file: message lacks the file name or /$pattern/: $err"; failures=$((failures+1)); continue
    fi
    if [ -e "$dir/out_$cmd.onnx" ]; then
      echo "FAIL: gsopt $cmd $file left an output file"; failures=$((failures+1))
    fi
    checks=$((checks+1))
    echo "ok: gsopt $cmd $file -> $err"
  done
}
expect_error truncated.onnx "parse|protobuf|truncated|invalid"
expect_error not_protobuf.onnx "parse|protobuf|invalid"
expect_error empty.onnx "empty|no graph|parse"
expect_error missing_file.onnx "No such file|not found|cannot open|does not exist"
expect_error cyclic.onnx "cycle"
expect_error dangling.onnx "w_missing"
expect_error shape_mismatch.onnx "add_mismatch|broadcast"
expect_error absurd_dims.onnx "huge|too large|too many"
expect_error unknown_dtype.onnx "99|type"
expect_error external_escape.onnx "outside|escape"

# The input is never overwritten, whatever the output path says.
cp "$dir/good.onnx" "$dir/keep.onnx"
before=$(sha256sum < "$dir/keep.onnx")
"$GSOPT" optimize "$dir/keep.onnx" -o "$dir/keep.onnx" >/dev/null 2>&1
code=$?
after=$(sha256sum < "$dir/keep.onnx")
if [ $code -eq 0 ] || [ "$before" != "$after" ]; then
  echo "FAIL: optimize -o INPUT exited $code and input changed: $([ "$before" = "$after" ] && echo no || echo yes)"
  failures=$((failures+1))
else
  checks=$((checks+1))
  echo "ok: optimize refuses to overwrite its input"
fi
ln -s "$dir/keep.onnx" "$dir/link.onnx"
if "$GSOPT" convert "$dir/keep.onnx" -o "$dir/link.onnx" >/dev/null 2>&1; then
  echo "FAIL: convert wrote through a link to its input"; failures=$((failures+1))
else
  checks=$((checks+1))
fi

# Usage errors exit 2.
for args in "optimize" "frobnicate" "run --bogus x.onnx"; do
  # shellcheck disable=SC2086
  "$GSOPT" $args >/dev/null 2>&1
  code=$?
  if [ $code -eq 2 ]; then checks=$((checks+1)); else echo "FAIL: 'gsopt $args' exited $code, want 2"; failures=$((failures+1)); fi
done

echo "bad-input checks: $checks passed, $failures failed"
[ $failures -eq 0 ]
