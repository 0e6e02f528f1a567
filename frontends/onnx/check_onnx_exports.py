#!/usr/bin/env python3
"""Checks gsopt's ONNX exports against their originals with the reference tools.

Reads a manifest of lines "original<TAB>exported".

Default check: an export must pass onnx.checker.check_model(full_check=True)
whenever its original does. An original rejected only because its nodes are
not topologically sorted counts as passing if it passes once sorted here,
since gsopt sorts on import.

With --run: additionally, wherever ONNX Runtime runs the original (graph
optimizations off, seeded random inputs, symbolic dims set to 2) and its
outputs are deterministic, the export must load, run and give bit-identical
outputs. This takes minutes over the whole shared corpus, so the unit test
does not ask for it.

Prints one line per regression and a summary; exits 1 on any regression.
Usage: check_onnx_exports.py [--run] MANIFEST
"""
import sys

import numpy as np
import onnx


def checker_error(model):
    try:
        onnx.checker.check_model(model, full_check=True)
        return None
    except Exception as error:  # the checker raises several exception types
        text = str(error).strip()
        return text.splitlines()[0] if text else type(error).__name__


def sort_nodes(model):
    """Orders the top-level nodes so each input is defined first (Kahn)."""
    graph = model.graph
    defined = {v.name for v in graph.input} | {t.name for t in graph.initializer} | {""}
    pending = list(graph.node)
    ordered = []
    while pending:
        ready = [n for n in pending if all(i in defined for i in n.input)]
        if not ready:
            return model  # a cycle or an outer read: leave it for the checker to report
        ready_ids = {id(n) for n in ready}
        for node in ready:
            ordered.append(node)
            defined.update(node.output)
        pending = [n for n in pending if id(n) not in ready_ids]
    del graph.node[:]
    graph.node.extend(ordered)
    return model


NUMPY_TYPES = {
    "tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
}


def run_outputs(session, feeds):
    return [np.asarray(x) for x in session.run(None, feeds)]


def same_outputs(a, b):
    return len(a) == len(b) and all(
        x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
        for x, y in zip(a, b))


def runtime_problem(original, exported):
    """None when the export runs like the original (or the original cannot be run)."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 4
    try:
        reference = ort.InferenceSession(original, options, providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(0)
        feeds = {}
        for arg in reference.get_inputs():
            shape = [d if isinstance(d, int) and d > 0 else 2 for d in arg.shape]
            dtype = NUMPY_TYPES[arg.type]
            if np.issubdtype(dtype, np.floating):
                feeds[arg.name] = rng.standard_normal(shape).astype(dtype)
            else:
                feeds[arg.name] = rng.integers(0, 2, shape).astype(dtype)
        expected = run_outputs(reference, feeds)
        if not same_outputs(expected, run_outputs(reference, feeds)):
            return None  # random ops (Dropout in training mode, Multinomial)
    except Exception:
        return None  # ORT cannot run the original with these inputs: nothing to compare
    try:
        candidate = ort.InferenceSession(exported, options, providers=["CPUExecutionProvider"])
        if [o.name for o in candidate.get_outputs()] != [o.name for o in reference.get_outputs()]:
            return "output names differ"
        if not same_outputs(expected, run_outputs(candidate, feeds)):
            return "outputs differ"
    except Exception as error:
        return f"export does not run: {str(error).strip().splitlines()[0]}"
    return None


def main():
    args = sys.argv[1:]
    run = "--run" in args
    args = [a for a in args if a != "--run"]
    pairs = [line.rstrip("\n").split("\t") for line in open(args[0]) if line.strip()]
    checked = regressions = originals_rejected = 0
    for original, exported in pairs:
        if run:
            problem = runtime_problem(original, exported)
            if problem:
                regressions += 1
                print(f"REGRESSION {original}: {problem}")
        original_error = checker_error(onnx.load(original))
        if original_error and "topologically sorted" in original_error:
            original_error = checker_error(sort_nodes(onnx.load(original)))
        if original_error:
            originals_rejected += 1
            continue
        checked += 1
        export_error = checker_error(onnx.load(exported))
        if export_error:
            regressions += 1
            print(f"REGRESSION {original}: export rejected by onnx.checker: {export_error}")
    print(f"{len(pairs)} models; {originals_rejected} originals rejected by onnx.checker (skipped); "
          f"{checked} exports checked; {regressions} regressions")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
