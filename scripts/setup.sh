#!/usr/bin/env bash
# Installs everything gsopt needs to build and test, from Debian packages and PyPI,
# then configures and builds it into build/ (the CLI lands at build/bin/gsopt).
# Safe to re-run: apt and pip skip what is already there, CMake rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libprotobuf-dev protobuf-compiler libonnx-dev libonnx-testdata
  libabsl-dev libz3-dev libgtest-dev libgmock-dev libbenchmark-dev
  llvm-14-tools libdnnl-dev ocl-icd-opencl-dev opencl-headers
)
# Pinned so that conformance counts and reference outputs are reproducible.
PIP_PACKAGES=(numpy==2.4.6 onnx==1.23.2 onnxruntime==1.31.1)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! python3 -c "
import numpy, onnx, onnxruntime, sys
sys.exit(0 if (numpy.__version__, onnx.__version__, onnxruntime.__version__) == ('2.4.6', '1.23.2', '1.31.1') else 1)" 2>/dev/null; then
  echo "[setup] installing Python packages: ${PIP_PACKAGES[*]}"
  python3 -m pip install -q "${PIP_PACKAGES[@]}"
fi

BUILD_TYPE="${GSOPT_BUILD_TYPE:-Release}"
JOBS="${GSOPT_JOBS:-2}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${GSOPT_CMAKE_ARGS:-}
cmake --build build -j "$JOBS"
echo "[setup] built build/bin/gsopt"
