#!/usr/bin/env bash
# The test command: sets up a fresh machine (dependencies + build, see
# scripts/setup.sh) and runs every test with CTest. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
GSOPT_CMAKE_ARGS="-DGSOPT_WERROR=ON ${GSOPT_CMAKE_ARGS:-}" scripts/setup.sh
ctest --test-dir build --output-on-failure -j "${GSOPT_JOBS:-2}"
