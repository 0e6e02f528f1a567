#!/usr/bin/env python3
"""Smoke test of the benchmark suite (CTest `benchmark_models_smoke`): writes
every benchmark model with `generate.py --small` into a temporary directory
and, for each, checks that
  1. `gsopt info` reads it,
  2. `gsopt optimize M -o OUT` succeeds (gsopt verifies OUT against M on
     random inputs itself and refuses to write OUT when they differ),
  3. ONNX Runtime computes the same outputs for M and OUT (tools/ort_compare.py),
then prints one line per model (nodes, parameters, result). It does not time
anything: benchmark numbers come from the harness, never from tests.

usage: python3 benchmarks/models/smoke_test.py --gsopt build/bin/gsopt [--keep DIR]
exit: 0 all models pass, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import generate  # noqa: E402  (sibling module: the list of models lives there)


def run(cmd):
    """Runs cmd; returns (ok, one-paragraph description of a failure)."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode == 0:
        return True, ""
    return False, f"`{' '.join(cmd)}` exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"


def check_model(gsopt, python, model_path, out_path):
    """Runs the three checks in order; the first failure stops the model."""
    steps = [
        ("info", [gsopt, "info", model_path]),
        ("optimize", [gsopt, "optimize", model_path, "-o", out_path]),
        ("ort", [python, os.path.join(ROOT, "tools", "ort_compare.py"), model_path, out_path]),
    ]
    for step, cmd in steps:
        ok, why = run(cmd)
        if not ok:
            return f"FAIL at {step}", why
    if not os.path.exists(out_path):
        return "FAIL at optimize", f"gsopt optimize exited 0 but wrote no {out_path}"
    return "pass", ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsopt", default=os.environ.get("GSOPT", os.path.join(ROOT, "build", "bin", "gsopt")))
    parser.add_argument("--keep", help="write the models here and keep them (default: a temporary directory)")
    args = parser.parse_args()
    if not os.path.isfile(args.gsopt):
        print(f"gsopt binary '{args.gsopt}' not found; build it or pass --gsopt PATH")
        return 1

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gsopt_bench_smoke_") as tmp:
        out_dir = args.keep or tmp
        gen = subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), out_dir, "--small"],
                             capture_output=True, text=True)
        if gen.returncode != 0:
            print(f"generate.py --small failed (exit {gen.returncode}):\n{gen.stdout}{gen.stderr}")
            return 1
        failures = []
        print(f"{'model':<14} {'nodes':>6} {'params':>9}  gsopt info + optimize + ORT compare")
        for name in generate.MODELS:
            path = os.path.join(out_dir, f"{name}.onnx")
            model = onnx.load(path)
            nodes = len(model.graph.node)
            params = sum(int(np.prod(t.dims)) for t in model.graph.initializer if t.data_type == TensorProto.FLOAT)
            result, why = check_model(args.gsopt, sys.executable, path, os.path.join(out_dir, f"{name}.opt.onnx"))
            print(f"{name:<14} {nodes:>6} {params:>9}  {result}", flush=True)
            if why:
                failures.append(f"--- {name}: {why}")
    for failure in failures:
        print(failure)
    print(f"{len(generate.MODELS) - len(failures)}/{len(generate.MODELS)} models pass "
          f"({time.perf_counter() - start:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
