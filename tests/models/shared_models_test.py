#!/usr/bin/env python3
"""Whole-model differential tests on the real models in ../shared/models,
with ONNX Runtime as the reference peer.

For each of the 11 models in onnx-light/ and ort-testdata/:
  1. (light models) gsopt runs the model on its *_input_0.pb and matches *_output_0.pb;
  2. gsopt randomize-weights gives the same architecture with realistic weights;
  3. gsopt's CPU executor matches ONNX Runtime on that model;
  4. gsopt convert (import + export) writes a model that passes onnx.checker and
     that ONNX Runtime runs to the same outputs;
  5. gsopt optimize writes a model (verified by gsopt itself) that ONNX Runtime
     runs to the same outputs.
For the 226 graphs of ort-transform-tests/: import + export never crashes and
the exported model computes what the original computes in ONNX Runtime; where
gsopt can execute every op, optimize (with its built-in verification) succeeds.

Needs GSOPT (path to the gsopt binary). Exits 77 (CTest: skipped) with a
message when ../shared/models is not there.
"""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(ROOT, "..", "shared", "models")
GSOPT = os.environ.get("GSOPT", os.path.join(ROOT, "build", "bin", "gsopt"))
LIGHT = ["bvlc_alexnet", "inception_v1", "resnet50", "squeezenet", "vgg19"]
ORT_TESTDATA = ["bert_toy_optimized", "gelu", "gpt2_one_layer", "layer_norm", "mnist", "skip_layer_norm_format1"]
RTOL, ATOL = 1e-3, 1e-4
ORT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
             "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_,
             "tensor(int8)": np.int8, "tensor(uint8)": np.uint8}


def gsopt(*args, check=True):
    proc = subprocess.run([GSOPT, *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"gsopt {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def ort_session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.log_severity_level = 3  # errors only: test graphs trip many ORT warnings
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def make_inputs(sess, seed=0):
    rng = np.random.default_rng(seed)
    feeds = {}
    for inp in sess.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
        dtype = ORT_TYPES.get(inp.type)
        if dtype is None:
            return None
        if np.issubdtype(dtype, np.floating):
            feeds[inp.name] = rng.uniform(-1, 1, shape).astype(dtype)
        else:
            feeds[inp.name] = rng.integers(0, 2, shape).astype(dtype)
    return feeds


def assert_close(test, actual, expected, what):
    test.assertEqual(len(actual), len(expected), what)
    for k, (a, e) in enumerate(zip(actual, expected)):
        a, e = np.asarray(a), np.asarray(e)
        test.assertEqual(a.shape, e.shape, f"{what}: output {k} shape")
        if np.issubdtype(e.dtype, np.floating):
            err = float(np.max(np.abs(a.astype(np.float64) - e))) if e.size else 0.0
            test.assertTrue(np.allclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True),
                            f"{what}: output {k} max abs error {err:.3g}")
        else:
            test.assertTrue(np.array_equal(a, e), f"{what}: output {k} differs")


def runs_unoptimized(path, feeds):
    """Whether ONNX Runtime runs the model with its graph rewrites off."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]).run(None, feeds)
        return True
    except Exception:  # noqa: BLE001 - any failure means "does not run as written"
        return False


def passes_checker(path):
    try:
        onnx.checker.check_model(path)
        return True
    except onnx.checker.ValidationError:
        return False


def model_path(name):
    for folder in ("onnx-light", "ort-testdata"):
        p = os.path.join(SHARED, folder, name + ".onnx")
        if os.path.exists(p):
            return p
    raise FileNotFoundError(name)


class SharedModelsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_gsopt_on(self, path, feeds, tag):
        """Runs gsopt on `feeds` (saved as TensorProto files) and returns its outputs."""
        args = ["run", path]
        for name, value in feeds.items():
            f = os.path.join(self.tmp.name, f"{tag}_in_{len(args)}.pb")
            with open(f, "wb") as out:
                out.write(numpy_helper.from_array(value, name).SerializeToString())
            args += ["--input", f"{name}={f}"]
        out_dir = os.path.join(self.tmp.name, f"{tag}_out")
        gsopt(*args, "--save-outputs", out_dir)
        n = len([f for f in os.listdir(out_dir) if f.endswith(".pb")])
        results = []
        for k in range(n):
            t = onnx.TensorProto()
            with open(os.path.join(out_dir, f"{k}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            results.append(numpy_helper.to_array(t))
        return results

    def check_model(self, name):
        path = model_path(name)
        tag = name
        if name in LIGHT:  # 1. the reference input/output pair shipped with the model
            base = os.path.join(SHARED, "onnx-light", name)
            proc = gsopt("run", path, "--expect", f"{self.output_name(path)}={base}_output_0.pb",
                         "--input", f"{self.input_name(path)}={base}_input_0.pb", check=False)
            self.assertEqual(proc.returncode, 0, f"{name}: reference output\n{proc.stdout}{proc.stderr}")
        randomized = os.path.join(self.tmp.name, f"{tag}.random.onnx")
        gsopt("randomize-weights", path, "-o", randomized, "--seed", "1")           # 2.
        sess = ort_session(randomized)
        feeds = make_inputs(sess)
        expected = sess.run(None, feeds)
        assert_close(self, self.run_gsopt_on(randomized, feeds, tag), expected, f"{name}: gsopt executor vs ORT")  # 3.
        exported = os.path.join(self.tmp.name, f"{tag}.export.onnx")
        gsopt("convert", randomized, "-o", exported)                                # 4.
        check = passes_checker(path)  # some shared files fail the checker themselves
        if check:
            onnx.checker.check_model(exported)
        assert_close(self, ort_session(exported).run(None, feeds), expected, f"{name}: exported model in ORT")
        optimized = os.path.join(self.tmp.name, f"{tag}.opt.onnx")
        gsopt("optimize", randomized, "-o", optimized)                               # 5.
        if check:
            onnx.checker.check_model(optimized)
        assert_close(self, ort_session(optimized).run(None, feeds), expected, f"{name}: optimized model in ORT")
        for f in (randomized, exported, optimized):
            os.remove(f)

    @staticmethod
    def input_name(path):
        m = onnx.load(path, load_external_data=False)
        inits = {i.name for i in m.graph.initializer}
        return [i.name for i in m.graph.input if i.name not in inits][0]

    @staticmethod
    def output_name(path):
        return onnx.load(path, load_external_data=False).graph.output[0].name


def add_model_tests():
    for name in LIGHT + ORT_TESTDATA:
        setattr(SharedModelsTest, f"test_{name}", lambda self, n=name: self.check_model(n))


add_model_tests()


class TransformCorpusTest(unittest.TestCase):
    def test_every_file_round_trips(self):
        folder = os.path.join(SHARED, "ort-transform-tests")
        files = sorted(f for f in os.listdir(folder) if f.endswith(".onnx"))
        counts = dict(files=len(files), imported=0, ort_original=0, nondeterministic=0, ort_same=0, needs_ort_fusion=0,
                      optimized=0,
                      not_executable=0)
        problems = []
        with tempfile.TemporaryDirectory() as tmp:
            for f in files:
                src = os.path.join(folder, f)
                out = os.path.join(tmp, f)
                proc = gsopt("convert", src, "-o", out, check=False)
                if proc.returncode >= 128 or proc.returncode < 0:
                    problems.append(f"{f}: gsopt crashed ({proc.returncode})")
                    continue
                if proc.returncode != 0:
                    problems.append(f"{f}: import/export failed: {proc.stderr.strip()}")
                    continue
                counts["imported"] += 1
                try:
                    original = ort_session(src)
                except Exception:  # ORT itself cannot load some test graphs: nothing to compare
                    continue
                feeds = make_inputs(original)
                if feeds is None:
                    continue
                try:
                    expected = original.run(None, feeds)
                    again = original.run(None, feeds)
                except Exception:
                    continue
                counts["ort_original"] += 1
                try:  # a graph with random ops (Dropout in training mode) has nothing fixed to compare
                    assert_close(self, again, expected, f)
                except AssertionError:
                    counts["nondeterministic"] += 1
                    continue
                try:
                    actual = ort_session(out).run(None, feeds)
                    assert_close(self, actual, expected, f)
                    counts["ort_same"] += 1
                except Exception as e:  # noqa: BLE001 - reported below
                    problems.append(f"{f}: exported model differs in ORT: {e}")
                if not runs_unoptimized(src, feeds):
                    counts["needs_ort_fusion"] += 1  # invalid as written; only ORT's own rewrites make it run
                    continue
                opt = os.path.join(tmp, "opt_" + f)
                proc = gsopt("optimize", src, "-o", opt, check=False)
                if proc.returncode == 0:
                    counts["optimized"] += 1
                elif "no CPU kernel" in proc.stderr or "cannot verify" in proc.stderr:
                    counts["not_executable"] += 1
                else:
                    problems.append(f"{f}: optimize exited {proc.returncode}: {proc.stderr.strip()}")
        print("\nort-transform-tests:", ", ".join(f"{k} {v}" for k, v in counts.items()))
        for p in problems:
            print("  PROBLEM", p)
        self.assertEqual(problems, [])


if __name__ == "__main__":
    if not os.path.isdir(SHARED):
        print(f"skipped: {os.path.normpath(SHARED)} is not there (the shared models come beside a CI checkout)")
        sys.exit(77)
    unittest.main(verbosity=2)
