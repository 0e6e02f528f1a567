#!/usr/bin/env python3
"""Smoke test of the benchmark harness (CTest `benchmark_harness_smoke`):
runs benchmarks/run.py --small on a few models into a temporary folder and
checks that it exits 0 and writes results.csv and results.md with one ok row
per model plus the geometric-mean row. Then checks the failure paths with a
stand-in for gsopt: when `optimize` fails, and when it writes a model that
computes something else (a weight scaled), the harness must report the model
and exit 1. Timings are taken (few repeats) but never judged.

usage: python3 benchmarks/harness_smoke_test.py --gsopt build/bin/gsopt
exit: 0 pass, 1 fail.
"""
import argparse
import csv
import os
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["bert", "nasrnn", "squeezenet"]  # in the suite's order, as the table lists them

# Stands in for gsopt: `optimize` either fails or writes a wrong model
# (the real gsopt's output with its first float weight doubled); every other
# command goes to the real binary.
FAKE_GSOPT = """#!{python}
import os, subprocess, sys
real, mode = {real!r}, {mode!r}
args = sys.argv[1:]
if args[:1] != ["optimize"]:
    sys.exit(subprocess.call([real] + args))
if mode == "fails":
    print("error: injected failure for the harness test", file=sys.stderr)
    sys.exit(1)
import numpy as np, onnx
from onnx import numpy_helper
code = subprocess.call([real] + args)
out = args[args.index("-o") + 1]
model = onnx.load(out)
for i, t in enumerate(model.graph.initializer):
    if t.data_type == onnx.TensorProto.FLOAT and t.dims:
        model.graph.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t) * 2, t.name))
        break
onnx.save(model, out)
sys.exit(code)
"""


def harness(gsopt, out, models):
    cmd = [sys.executable, os.path.join(HERE, "run.py"), "--gsopt", gsopt, "--out", out, "--small",
           "--models", ",".join(models), "--repeats", "2", "--min-time", "0.02"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def read_rows(out):
    with open(os.path.join(out, "results.csv")) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def fake(tmp, real, mode):
    path = os.path.join(tmp, "gsopt_" + mode.replace(" ", "_"))
    with open(path, "w") as f:
        f.write(FAKE_GSOPT.format(python=sys.executable, real=os.path.abspath(real), mode=mode))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsopt", required=True)
    args = parser.parse_args()
    problems = []
    with tempfile.TemporaryDirectory(prefix="gsopt_harness_smoke_") as tmp:
        out = os.path.join(tmp, "ok")
        code, output = harness(args.gsopt, out, MODELS)
        print(output)
        if code != 0:
            problems.append(f"harness exited {code} on a passing suite")
        for f in ("results.csv", "results.md"):
            if not os.path.isfile(os.path.join(out, f)):
                problems.append(f"{f} not written")
        if not problems:
            rows = read_rows(out)
            if [r["model"] for r in rows] != MODELS + ["geometric mean"]:
                problems.append(f"results.csv rows {[r['model'] for r in rows]}, expected {MODELS} + geometric mean")
            for r in rows[:-1]:
                if r["status"] != "ok" or float(r["ratio"]) <= 0 or float(r["ORT ms original"]) <= 0:
                    problems.append(f"row {r}")
            md = open(os.path.join(out, "results.md")).read()
            if "| geometric mean |" not in md or "onnxruntime:" not in md:
                problems.append("results.md lacks the geometric-mean row or the ORT version")

        # Failure paths: the models are cached in `out`, so these runs are quick.
        for mode, expect in (("fails", "optimize exited 1"), ("writes a wrong model", "ORT outputs differ")):
            code, output = harness(fake(tmp, args.gsopt, mode), out, ["squeezenet"])
            rows = read_rows(out) if os.path.isfile(os.path.join(out, "results.csv")) else []
            if code != 1:
                problems.append(f"with a gsopt that {mode}, the harness exited {code}, expected 1:\n{output}")
            elif not rows or expect not in rows[0]["status"]:
                problems.append(f"with a gsopt that {mode}, status is {rows[0]['status'] if rows else None!r}, "
                                f"expected it to say '{expect}'")
            else:
                print(f"gsopt that {mode}: harness exits 1, status: {rows[0]['status']}")
    for p in problems:
        print("FAIL:", p)
    print("harness smoke test:", "FAIL" if problems else "pass")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
