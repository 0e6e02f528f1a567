#!/usr/bin/env python3
"""The benchmark harness: one command that optimizes every benchmark model
with `gsopt optimize`, checks in ONNX Runtime that the result computes what
the original computes, and times both in ONNX Runtime (ORT_ENABLE_ALL, one
process, the same threads), writing OUT/results.csv and OUT/results.md.

The suite: the seven models of benchmarks/models/generate.py (written once
into OUT/models/ and reused) and the models of SHARED/onnx-light and
SHARED/ort-testdata, each first given seeded random weights by
`gsopt randomize-weights` (the onnx-light files hold ConstantOfShape
placeholders whose outputs are all equal, which hides wrong rewrites).

Timing: both sessions are warmed up, then run interleaved (A B A B ...) so
machine drift hits both alike, until each has at least --repeats samples and
--min-time seconds in all; medians are reported. ratio = ms original / ms
optimized, so above 1 means gsopt's output is faster.

usage: python3 benchmarks/run.py [--gsopt build/bin/gsopt] [--out benchmarks/results]
           [--models a,b] [--small] [--threads 2] [--repeats N] [--shared ../shared/models]
           [--optimize-arg=--search=greedy ...] [--dim SYMBOL=VALUE ...]
exit: 0 every model optimized and verified, 1 some model failed, 2 bad usage.
"""
import argparse
import csv
import datetime
import filecmp
import glob
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "models"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import generate  # noqa: E402  (the list of generated models lives there)
import ort_compare  # noqa: E402  (the ORT session, input and comparison helpers)

RTOL, ATOL = 1e-3, 1e-4
VERIFY_TRIALS = 3
SHARED_FOLDERS = ("onnx-light", "ort-testdata")
COLUMNS = ["model", "nodes before", "nodes after", "ORT ms original", "ORT ms optimized", "ratio",
           "gsopt optimize s", "verification max error",
           # What the generated rules add: optimize run again with --hand-written-only.
           "cost ms hand-written", "cost ms +generated", "ratio hand-written", "status"]
COST_LINE = re.compile(r"cost \(analytical model\): ([0-9.]+) ms -> ([0-9.]+) ms")


class Model:
    """One row of the table: where the model comes from and what happened to it."""

    def __init__(self, name, source, randomize):
        self.name, self.source, self.randomize = name, source, randomize
        self.path = None          # the file that is optimized and timed
        self.row = {c: "" for c in COLUMNS}
        self.row["model"] = name
        self.failure = None       # one line, when the model failed


def count_nodes(path):
    """Nodes of the graph and of every subgraph (If/Loop bodies)."""
    def count(graph):
        n = 0
        for node in graph.node:
            n += 1
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    n += count(attr.g)
                n += sum(count(g) for g in attr.graphs)
        return n
    return count(onnx.load(path, load_external_data=False).graph)


def run_command(cmd):
    """Runs cmd; returns (exit code, seconds of wall clock, stdout+stderr)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode, time.perf_counter() - start, proc.stdout + proc.stderr


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else "(no output)"


def collect_models(args):
    """The suite as Model entries, in table order; prints why a folder is skipped."""
    models = [Model(name, "generated", False) for name in generate.MODELS]
    if args.small:
        return models  # CI: only the generated --small models
    for folder in SHARED_FOLDERS:
        path = os.path.join(args.shared, folder)
        if not os.path.isdir(path):
            print(f"skipping {folder}: {path} does not exist (pass --shared DIR)")
            continue
        for f in sorted(glob.glob(os.path.join(path, "*.onnx"))):
            models.append(Model(f"{folder}/{os.path.basename(f)[:-5]}", f, True))
    return models


def prepare_generated(models, args):
    """Writes the generated models that are not yet in the cache folder."""
    folder = os.path.join(args.out, "models-small" if args.small else "models")
    os.makedirs(folder, exist_ok=True)
    for m in models:
        m.path = os.path.join(folder, f"{m.name}.onnx")
    missing = [m.name for m in models if not os.path.exists(m.path)]
    if not missing:
        return None
    print(f"generating {', '.join(missing)} into {folder} (once; later runs reuse them)", flush=True)
    cmd = [sys.executable, os.path.join(HERE, "models", "generate.py"), folder, "--only", *missing]
    if args.small:
        cmd.append("--small")
    code, _, output = run_command(cmd)
    if code != 0:
        return f"generate.py failed (exit {code}): {last_line(output)}"
    return None


def prepare_shared(m, args):
    """Gives a shared model seeded random weights (cached; redone when the
    source is newer). Returns an error line or None."""
    folder = os.path.join(args.out, "models", os.path.dirname(m.name))
    os.makedirs(folder, exist_ok=True)
    m.path = os.path.join(folder, os.path.basename(m.name) + ".random.onnx")
    if os.path.exists(m.path) and os.path.getmtime(m.path) >= os.path.getmtime(m.source):
        return None
    code, _, output = run_command([args.gsopt, "randomize-weights", m.source, "-o", m.path, "--seed", "1"])
    if code != 0:
        return f"randomize-weights failed (exit {code}): {last_line(output)}"
    # The placeholders must be gone: a ConstantOfShape left producing a
    # weight means every weight value is equal and the check proves little.
    left = [n.name or n.output[0] for n in onnx.load(m.path, load_external_data=False).graph.node
            if n.op_type == "ConstantOfShape"]
    if left:
        print(f"  warning: {m.name}: {len(left)} ConstantOfShape nodes remain after randomize-weights "
              f"(first: {left[0]}); their outputs are constant, not random")
    return None


# Symbolic input dims of the shared models, chosen so each does real work
# and stays valid: gpt2_one_layer's position table has 8 rows, bert_toy's 512.
# Any other symbolic dim is 1; --dim overrides all of these.
MODEL_DIMS = {
    "ort-testdata/bert_toy_optimized": {"batch": 1, "max_seq_len_in_batch": 128},
    "ort-testdata/gpt2_one_layer": {"batch_size": 1, "seq_len": 8},
    "ort-testdata/gelu": {"unk__14": 1, "unk__15": 128},
    "ort-testdata/layer_norm": {"None": 256},  # X is [None, None], Scale and B are [None]
}


def model_dims(name, sess, args):
    """Values of the symbolic input dims of model `name` (opened as `sess`)."""
    dims = {}
    for inp in sess.get_inputs():
        for d in inp.shape:
            if isinstance(d, str) and d not in dims:
                dims[d] = args.dims.get(d, MODEL_DIMS.get(name, {}).get(d, 1))
    return dims


def interleaved_ms(a, feeds_a, b, feeds_b, repeats, min_time_s, max_time_s):
    """Median ms of a and of b after a warm-up, timed interleaved in rounds
    A B, B A, A B, ... (each model runs first after the loop's bookkeeping
    as often as it runs right after the other one: with plain A B A B the
    first of each pair was measured up to 2x slower on tiny models, its
    idle thread pool having gone to sleep). Stops when each has >= repeats
    samples and the loop has run 2 x min_time_s (about min_time_s each; for
    tiny models the Python overhead counts, else a 10 us model would need
    100k runs), or after max_time_s (>= 3 samples each)."""
    for _ in range(2):
        a.run(None, feeds_a)
        b.run(None, feeds_b)
    ta, tb = [], []
    first, second = (a, feeds_a, ta), (b, feeds_b, tb)
    start = time.perf_counter()
    while len(ta) < repeats or time.perf_counter() - start < 2 * min_time_s:
        if len(ta) >= 3 and time.perf_counter() - start > max_time_s:
            break
        for sess, feeds, times in (first, second):
            t0 = time.perf_counter()
            sess.run(None, feeds)
            times.append((time.perf_counter() - t0) * 1e3)
        first, second = second, first
    return statistics.median(ta), statistics.median(tb), len(ta)


def bench_model(m, args, logs):
    """Fills m.row (and m.failure) for one prepared model."""
    r = m.row
    r["nodes before"] = count_nodes(m.path)
    opt_path = os.path.join(args.out, "optimized", m.name + ".opt.onnx")
    os.makedirs(os.path.dirname(opt_path), exist_ok=True)
    if os.path.exists(opt_path):
        os.remove(opt_path)  # never time a stale file from an earlier run

    probe = ort_compare.session(m.path, args.threads, quiet=True)
    dims = model_dims(m.name, probe, args)
    cmd = [args.gsopt, "optimize", m.path, "-o", opt_path]
    cmd += [f"--dim={k}={v}" for k, v in dims.items()] + args.optimize_args
    code, seconds, output = run_command(cmd)
    log = os.path.join(logs, m.name.replace("/", "_") + ".optimize.log")
    with open(log, "w") as f:
        f.write(" ".join(cmd) + "\n" + output)
    r["gsopt optimize s"] = f"{seconds:.2f}"
    if code != 0 or not os.path.exists(opt_path):
        m.failure = f"optimize exited {code}: {last_line(output)} (log: {log})"
        return
    r["nodes after"] = count_nodes(opt_path)
    if match := COST_LINE.search(output):
        r["cost ms +generated"] = match.group(2)

    # The same run with the hand-written rules only, for the comparison columns.
    hand_path = None
    if not args.no_hand_written_column:
        hand_path = os.path.join(args.out, "optimized", m.name + ".hand.onnx")
        if os.path.exists(hand_path):
            os.remove(hand_path)
        code, _, hand_output = run_command(cmd[:3] + ["-o", hand_path, "--hand-written-only"] + cmd[5:])
        with open(log, "a") as f:
            f.write("\n--- --hand-written-only ---\n" + hand_output)
        if code != 0 or not os.path.exists(hand_path):
            m.failure = f"optimize --hand-written-only exited {code}: {last_line(hand_output)} (log: {log})"
            return
        if match := COST_LINE.search(hand_output):
            r["cost ms hand-written"] = match.group(2)

    spinning = {"on": True, "off": False, "default": None}[args.spinning]
    a = ort_compare.session(m.path, args.threads, allow_spinning=spinning, quiet=True)
    b = ort_compare.session(opt_path, args.threads, allow_spinning=spinning, quiet=True)
    ok, worst, messages = ort_compare.compare_outputs(a, b, dims, args.seed, VERIFY_TRIALS, RTOL, ATOL,
                                                      scale_atol=True)
    r["verification max error"] = f"{worst:.3g}"
    if not ok:
        m.failure = "ORT outputs differ: " + "; ".join(messages[:3])
        return
    if args.no_timing:
        return
    feeds = ort_compare.random_inputs(a, dims, args.seed)
    ms_a, ms_b, _ = interleaved_ms(a, feeds, b, ort_compare.feeds_for(b, feeds), args.repeats,
                                         args.min_time, args.max_time)
    r["ORT ms original"] = f"{ms_a:.3f}"
    r["ORT ms optimized"] = f"{ms_b:.3f}"
    r["ratio"] = f"{ms_a / ms_b:.3f}"
    if hand_path is None:
        return
    if filecmp.cmp(opt_path, hand_path, shallow=False):
        r["ratio hand-written"] = r["ratio"]  # the generated rules changed nothing: the same file
        return
    c = ort_compare.session(hand_path, args.threads, allow_spinning=spinning, quiet=True)
    ok, _, messages = ort_compare.compare_outputs(a, c, dims, args.seed, VERIFY_TRIALS, RTOL, ATOL, scale_atol=True)
    if not ok:
        m.failure = "ORT outputs differ (hand-written rules only): " + "; ".join(messages[:3])
        return
    ms_a2, ms_c, _ = interleaved_ms(a, feeds, c, ort_compare.feeds_for(c, feeds), args.repeats,
                                    args.min_time, args.max_time)
    r["ratio hand-written"] = f"{ms_a2 / ms_c:.3f}"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def geomean_row(models):
    """Geometric means over the models that have the column filled."""
    row = {c: "" for c in COLUMNS}
    row["model"] = "geometric mean"
    for col, fmt in (("ORT ms original", "{:.3f}"), ("ORT ms optimized", "{:.3f}"), ("ratio", "{:.3f}"),
                     ("gsopt optimize s", "{:.2f}"), ("ratio hand-written", "{:.3f}")):
        values = [float(m.row[col]) for m in models if m.row[col] not in ("", None) and float(m.row[col]) > 0]
        if values:
            row[col] = fmt.format(math.exp(sum(math.log(v) for v in values) / len(values)))
    ok = [m for m in models if m.failure is None]
    row["status"] = f"{len(ok)}/{len(models)} ok"
    return row


def write_results(models, args, meta, final):
    rows = [m.row for m in models]
    for m in models:
        m.row["status"] = "ok" if m.failure is None else "FAIL: " + m.failure
    if final:
        rows = rows + [geomean_row(models)]
    with open(os.path.join(args.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
        for k, v in meta.items():  # trailing comment lines, so the numbers keep their context
            f.write(f"# {k}: {v}\n")
    md = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        md.append("| " + " | ".join(str(r[c]).replace("|", "\\|") for c in COLUMNS) + " |")
    md.append("")
    md += [f"- {k}: {v}" for k, v in meta.items()]
    text = "\n".join(md) + "\n"
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    return text


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsopt", default=os.environ.get("GSOPT", os.path.join(ROOT, "build", "bin", "gsopt")))
    parser.add_argument("--out", default=os.path.join(HERE, "results"), help="work and results folder")
    parser.add_argument("--models", default="", help="comma-separated names (see the table's model column)")
    parser.add_argument("--small", action="store_true", help="only the generated --small models, few repeats (CI)")
    parser.add_argument("--threads", type=int, default=2, help="ORT intra-op threads (inter-op is 1)")
    parser.add_argument("--repeats", type=int, default=None, help="minimum timed runs of each model "
                        "(default 20, 3 with --small)")
    parser.add_argument("--min-time", type=float, default=None, help="minimum seconds of timed runs of each "
                        "model (default 1, 0.05 with --small)")
    parser.add_argument("--max-time", type=float, default=60.0, help="stop timing a model after this many seconds")
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "models"))
    parser.add_argument("--optimize-arg", action="append", default=[], dest="optimize_args", metavar="ARG",
                        help="extra argument for gsopt optimize, e.g. --optimize-arg=--search=greedy (repeatable)")
    parser.add_argument("--dim", action="append", default=[], metavar="SYMBOL=VALUE",
                        help="value of a symbolic input dim (default: MODEL_DIMS in this file, else 1)")
    parser.add_argument("--spinning", choices=["on", "off", "default"], default="off",
                        help="ORT session.intra_op.allow_spinning (off by default: with two sessions in one "
                        "process, spinning workers bias the comparison; see benchmarks/README.md)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.add_argument("--no-timing", action="store_true", help="optimize and verify only")
    parser.add_argument("--no-hand-written-column", action="store_true",
                        help="skip the second optimize run with --hand-written-only (the comparison columns)")
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 3 if args.small else 20
    if args.min_time is None:
        args.min_time = 0.05 if args.small else 1.0
    try:
        args.dims = {k: int(v) for k, v in (d.split("=", 1) for d in args.dim)}
    except ValueError:
        parser.error("--dim takes SYMBOL=INTEGER")
    args.out = os.path.abspath(args.out)
    return parser, args


def main():
    parser, args = parse_args()
    if not os.path.isfile(args.gsopt):
        print(f"gsopt binary '{args.gsopt}' not found; build it (ninja -C build gsopt) or pass --gsopt PATH")
        return 2
    models = collect_models(args)
    if args.models:
        wanted = [w.strip() for w in args.models.split(",") if w.strip()]
        unknown = [w for w in wanted if w not in {m.name for m in models}]
        if unknown:
            parser.error(f"unknown model(s) {', '.join(unknown)}; the suite has: {', '.join(m.name for m in models)}")
        models = [m for m in models if m.name in wanted]
    os.makedirs(args.out, exist_ok=True)
    logs = os.path.join(args.out, "logs")
    os.makedirs(logs, exist_ok=True)

    meta = {
        "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "onnxruntime": ort.__version__,
        "threads": f"{args.threads} intra-op, 1 inter-op, sequential, allow_spinning {args.spinning}",
        "cpu": f"{cpu_model()} ({os.cpu_count()} logical CPUs)",
        "timing": f"median of >= {args.repeats} interleaved runs (A B, B A, ...) and about {args.min_time} s each",
        "verification": f"{VERIFY_TRIALS} seeded input sets, rtol {RTOL}, atol {ATOL} x max(1, max |output|)",
    }
    generated = [m for m in models if not m.randomize]
    gen_error = prepare_generated(generated, args) if generated else None
    start = time.perf_counter()
    for m in models:
        print(f"{m.name} ...", flush=True)
        try:
            error = gen_error if not m.randomize else prepare_shared(m, args)
            if error is None and not os.path.exists(m.path):
                error = f"{m.path} was not written"
            if error:
                m.failure = error
            else:
                bench_model(m, args, logs)
        except Exception as e:  # noqa: BLE001 - one model's crash (e.g. ORT rejecting it) must not end the suite
            m.failure = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
        r = m.row
        print(f"  nodes {r['nodes before']} -> {r['nodes after']}, optimize {r['gsopt optimize s']} s, "
              f"ORT {r['ORT ms original']} / {r['ORT ms optimized']} ms, ratio {r['ratio']}, "
              f"max error {r['verification max error']}" + (f"\n  FAILED: {m.failure}" if m.failure else ""),
              flush=True)
        write_results(models, args, meta, final=False)  # partial results survive an interrupted run
    meta["wall time"] = f"{time.perf_counter() - start:.0f} s"
    print()
    print(write_results(models, args, meta, final=True))
    failed = [m.name for m in models if m.failure]
    if failed:
        print(f"{len(failed)} model(s) failed: {', '.join(failed)}")
        return 1
    print(f"all {len(models)} models optimized and verified; results in {args.out}/results.{{csv,md}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
