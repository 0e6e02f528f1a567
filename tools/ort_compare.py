#!/usr/bin/env python3
"""Runs two ONNX models in ONNX Runtime on the same seeded random inputs,
reports the largest difference between their outputs and, with --time, the
median latency of each (same process, same thread count). This is the peer
check: gsopt's output must compute what the original computes, in the
runtime a user would run it in.

The pieces are importable (benchmarks/run.py uses them): session(),
random_inputs(), compare_outputs() and median_ms().

usage: python3 tools/ort_compare.py ORIGINAL.onnx OPTIMIZED.onnx [--dim batch=1] [--time]
exit: 0 outputs agree, 3 they differ, 1 error.
"""
import argparse
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort

NUMPY_TYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int8)": np.int8, "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
}


def session(path, threads, optimization=ort.GraphOptimizationLevel.ORT_ENABLE_ALL, allow_spinning=None,
            quiet=False):
    """An ORT CPU session with `threads` intra-op threads, one inter-op
    thread and sequential execution. allow_spinning=None keeps ORT's default
    (spin-wait); False/True set `session.intra_op.allow_spinning`."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = optimization
    if allow_spinning is not None:
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if allow_spinning else "0")
    if quiet:
        options.log_severity_level = 3  # errors only: some test graphs trip many warnings
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def random_inputs(sess, dims, seed):
    """Seeded inputs for every graph input of `sess`: floats uniform in
    [-1, 1), integers and bools in {0, 1} (valid ids, indices and masks for
    any vocabulary). Symbolic dims take their value from `dims`, else 1."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for inp in sess.get_inputs():
        shape = [d if isinstance(d, int) and d >= 0 else dims.get(d, 1) if isinstance(d, str) else 1 for d in inp.shape]
        dtype = NUMPY_TYPES.get(inp.type)
        if dtype is None:
            raise ValueError(f"input '{inp.name}' has type {inp.type}, for which no random inputs can be made")
        if np.issubdtype(dtype, np.floating):
            feeds[inp.name] = rng.uniform(-1, 1, shape).astype(dtype)
        elif dtype == np.bool_:
            feeds[inp.name] = rng.integers(0, 2, shape).astype(np.bool_)
        else:
            feeds[inp.name] = rng.integers(0, 2, shape).astype(dtype)
    return feeds


def feeds_for(sess, feeds):
    """The subset of `feeds` that `sess` takes (an optimized model may have
    dropped an input that no output depends on)."""
    missing = [i.name for i in sess.get_inputs() if i.name not in feeds]
    if missing:
        raise ValueError(f"the second model takes input(s) {', '.join(missing)} that the original does not have")
    return {i.name: feeds[i.name] for i in sess.get_inputs()}


def compare_outputs(a, b, dims, seed, trials, rtol, atol, scale_atol=False):
    """Runs sessions a and b on `trials` seeded input sets; returns
    (ok, worst max abs error, list of messages about mismatches).

    With scale_atol, the absolute tolerance of each output is atol times the
    output's largest magnitude (at least 1): a model whose outputs are in the
    thousands cannot be held to 1e-4 absolute, but one whose outputs are O(1)
    still is."""
    worst = 0.0
    ok = True
    messages = []
    for trial in range(trials):
        feeds = random_inputs(a, dims, seed + trial)
        out_a = a.run(None, feeds)
        out_b = b.run(None, feeds_for(b, feeds))
        for name, x, y in zip([o.name for o in a.get_outputs()], out_a, out_b):
            x, y = np.asarray(x), np.asarray(y)
            if x.shape != y.shape or x.dtype != y.dtype:
                messages.append(f"output '{name}': {y.dtype}{list(y.shape)} vs original {x.dtype}{list(x.shape)}")
                ok = False
                continue
            err = 0.0
            if x.size and np.issubdtype(x.dtype, np.number):
                err = float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64))))
                worst = max(worst, err)
            tol = atol
            if scale_atol and x.size and np.issubdtype(x.dtype, np.floating):
                finite = np.abs(x[np.isfinite(x)])
                tol = atol * max(1.0, float(finite.max()) if finite.size else 1.0)
            if not np.allclose(y, x, rtol=rtol, atol=tol, equal_nan=True):
                ok = False
                messages.append(f"output '{name}' differs (max abs error {err:.3g})")
    return ok, worst, messages


def median_ms(sess, feeds, repeats):
    sess.run(None, feeds)  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original")
    parser.add_argument("optimized")
    parser.add_argument("--dim", action="append", default=[], help="SYMBOL=VALUE for symbolic input dims")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--atol", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--time", action="store_true", help="also report median latency")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    dims = {k: int(v) for k, v in (d.split("=", 1) for d in args.dim)}

    a = session(args.original, args.threads)
    b = session(args.optimized, args.threads)
    try:
        ok, worst, messages = compare_outputs(a, b, dims, args.seed, args.trials, args.rtol, args.atol)
    except ValueError as e:
        print(e)
        sys.exit(1)
    for message in messages:
        print(message)
    print(f"onnxruntime: {'outputs match' if ok else 'OUTPUTS DIFFER'} over {args.trials} trials, max abs error {worst:.3g}")
    if args.time:
        feeds = random_inputs(a, dims, args.seed)
        ta, tb = median_ms(a, feeds, args.repeats), median_ms(b, feeds_for(b, feeds), args.repeats)
        print(f"onnxruntime median latency ({args.threads} threads): original {ta:.3f} ms, optimized {tb:.3f} ms, "
              f"speedup {ta / tb:.3f}x")
    sys.exit(0 if ok else 3)


if __name__ == "__main__":
    main()
