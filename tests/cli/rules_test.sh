#!/usr/bin/env bash
# `gsopt rules` from the command line: every deliberately wrong rule of
# verifier/testdata/wrong.rules is refuted by BOTH checkers (Z3 and random
# testing; exit 3), a small generation run (max 2 ops, a few templates)
# writes a table whose every rule Z3 proves and random testing passes,
# `rules verify` re-proves that table, `rules stats` summarizes it, and bad
# options are usage errors that write nothing. Checked with FileCheck
# against rules_test.checks.
set -euo pipefail
GSOPT=${GSOPT:?path to gsopt}
FILECHECK=${FILECHECK:?path to FileCheck}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
{
  echo "== wrong"; "$GSOPT" rules verify verifier/testdata/wrong.rules --threads 2 || echo "exit $?"
  echo "== generate"
  "$GSOPT" rules generate --max-ops 2 --ops matmul,add,transpose,concat1,split1,relu -o "$dir/g.rules"
  echo "== verify"; "$GSOPT" rules verify "$dir/g.rules" --strict
  echo "== stats"; "$GSOPT" rules stats "$dir/g.rules"
  echo "== bad op"; "$GSOPT" rules generate --ops matmul,nosuch -o "$dir/bad.rules" || echo "exit $?"
  echo "== bad max-ops"; "$GSOPT" rules generate --max-ops 0 -o "$dir/bad.rules" || echo "exit $?"
  test ! -e "$dir/bad.rules" && echo "nothing written"
} > "$dir/log.txt" 2>&1
"$FILECHECK" --input-file "$dir/log.txt" "$here/rules_test.checks"
echo "rules CLI: 1 passed, 0 failed"
