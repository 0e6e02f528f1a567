#!/usr/bin/env python3
"""Text tests for every rule of gsopt's rule library (rewrites/rules/library.rules).

Each rule NAME has, in rewrites/rules/tests/, a graph where it must fire
(NAME.fires.gsir) and at least one near miss where it must not
(NAME.no_fire.gsir, NAME.no_fire_2.gsir, ...): the graph that would make the
rule unsound if its guard were missing. This runner makes the pairing a
requirement -- a rule without both kinds of test, or a test file that names no
rule, fails the run -- so every rule added to the library comes with tests.

  fires:   the weights are randomized first (`gsopt randomize-weights`, so a
           splat weight cannot hide a wrong fold), then
           `gsopt rewrite --rules NAME` must apply >= 1 rewrite and report
           `verification: outputs match` (random inputs, rewritten vs
           original); the file's CHECK lines are then matched by FileCheck
           against the rewritten graph's text.
  no_fire: `gsopt explain --rules NAME --no-cleanup` must print
           `no rule matches`; CHECK lines, if any, are matched against the
           explain output.

A test file may carry `// XFAIL: why` when it documents a known bug of the
rule or the engine: it is then expected to fail, is reported as XFAIL, and
an unexpected pass (XPASS) fails the run, so the marker is removed with the
fix. Uses only the standard library; GSOPT and FILECHECK come from the
environment (set by CTest). Run from the repository root:

  GSOPT=build/bin/gsopt FILECHECK=FileCheck python3 tests/rules/rule_tests.py [NAME...]
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIBRARY = os.path.join(ROOT, "rewrites", "rules", "library.rules")
TEST_DIR = os.path.join(ROOT, "rewrites", "rules", "tests")
# NAME.fires.gsir (NAME.fires_2.gsir, ...), NAME.no_fire.gsir, NAME.no_fire_2.gsir, ...
TEST_FILE = re.compile(r"^(?P<rule>.+)\.(?P<kind>fires(?:_\d+)?|no_fire(?:_\d+)?)\.gsir$")


def rule_names(path):
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*rule\s+(\S+)\s*$", line)
            if m:
                names.append(m.group(1))
    return names


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    return proc.returncode, proc.stdout


def has_checks(path):
    with open(path, encoding="utf-8") as f:
        return any(re.search(r"//\s*CHECK(-[A-Z]+)?:", line) for line in f)


def xfail_reason(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.search(r"//\s*XFAIL:\s*(.*)", line)
            if m:
                return m.group(1).strip() or "no reason given"
    return None


def filecheck(filecheck_bin, check_file, text, workdir):
    """Returns None when the CHECK lines of check_file match text, else why not."""
    if not has_checks(check_file):
        return None
    input_path = os.path.join(workdir, "filecheck_input.txt")
    with open(input_path, "w", encoding="utf-8") as f:
        f.write(text)
    rc, out = run([filecheck_bin, "--input-file", input_path, check_file])
    if rc != 0:
        return "FileCheck failed:\n" + out
    return None


def test_fires(gsopt, filecheck_bin, rule, path, workdir):
    """Returns None on success, else a reason."""
    randomized = os.path.join(workdir, "randomized.gsir")
    rewritten = os.path.join(workdir, "rewritten.gsir")
    rc, out = run([gsopt, "randomize-weights", path, "-o", randomized, "--seed", "7"])
    if rc != 0:
        return f"randomize-weights exited {rc}:\n{out}"
    rc, out = run([gsopt, "rewrite", randomized, "--rules", rule, "-o", rewritten, "--trials", "5"])
    if rc != 0:
        return f"rewrite exited {rc}:\n{out}"
    m = re.search(r"^applied (\d+) rewrites?$", out, re.M)
    if not m or int(m.group(1)) < 1:
        return f"the rule did not fire:\n{out}"
    if not re.search(r"^verification: outputs match", out, re.M):
        return f"no 'verification: outputs match':\n{out}"
    with open(rewritten, encoding="utf-8") as f:
        text = f.read()
    why = filecheck(filecheck_bin, path, text, workdir)
    return f"{why}\nrewritten graph:\n{text}" if why else None


def test_no_fire(gsopt, filecheck_bin, rule, path, workdir):
    rc, out = run([gsopt, "explain", path, "--rules", rule, "--no-cleanup"])
    if rc != 0:
        return f"explain exited {rc}:\n{out}"
    if not re.search(r"^\s*no rule matches$", out, re.M):
        return f"the rule matches a graph it must not:\n{out}"
    return filecheck(filecheck_bin, path, out, workdir)


def main(argv):
    gsopt = os.environ.get("GSOPT")
    filecheck_bin = os.environ.get("FILECHECK", "FileCheck")
    if not gsopt:
        print("rule_tests.py: set GSOPT to the gsopt binary (and FILECHECK to FileCheck)", file=sys.stderr)
        return 2
    rules = rule_names(LIBRARY)
    only = set(argv[1:])
    unknown = only - set(rules)
    if unknown:
        print(f"rule_tests.py: no rule named {', '.join(sorted(unknown))} in {LIBRARY}", file=sys.stderr)
        return 2

    counts = {"PASS": 0, "FAIL": 0, "XFAIL": 0}
    problems = []  # (file or rule, why): the pairing of rules and test files
    tests = {}  # rule -> [(kind, path)]
    for name in sorted(os.listdir(TEST_DIR)):
        m = TEST_FILE.match(name)
        if not m:
            problems.append((name, "not a test file name (NAME.fires[_N].gsir or NAME.no_fire[_N].gsir)"))
        elif m.group("rule") not in rules:
            problems.append((name, f"names no rule of {os.path.relpath(LIBRARY, ROOT)}"))
        else:
            tests.setdefault(m.group("rule"), []).append((m.group("kind"), os.path.join(TEST_DIR, name)))
    for rule in rules:
        kinds = [kind for kind, _ in tests.get(rule, [])]
        if "fires" not in kinds:
            problems.append((rule, f"missing {rule}.fires.gsir: every rule needs a test that it fires"))
        if not any(k.startswith("no_fire") for k in kinds):
            problems.append((rule, f"missing {rule}.no_fire.gsir: every rule needs a near miss it must not match"))
    if not only:  # a run restricted to some rules checks only their tests
        for what, why in problems:
            print(f"FAIL {what}: {why}")
            counts["FAIL"] += 1

    for rule in rules:
        if only and rule not in only:
            continue
        for kind, path in sorted(tests.get(rule, [])):
            test = os.path.basename(path)
            with tempfile.TemporaryDirectory(prefix="gsopt_rule_test_") as workdir:
                check = test_fires if kind.startswith("fires") else test_no_fire
                why = check(gsopt, filecheck_bin, rule, path, workdir)
            xfail = xfail_reason(path)
            if xfail is not None:
                if why is None:
                    why = f"XPASS: marked XFAIL ({xfail}) but passes; remove the XFAIL line"
                else:
                    print(f"XFAIL {test}: {xfail}")
                    counts["XFAIL"] += 1
                    continue
            if why is None:
                print(f"PASS {test}")
                counts["PASS"] += 1
            else:
                print(f"FAIL {test}: {why.rstrip()}")
                counts["FAIL"] += 1
    print(f"rule tests: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['XFAIL']} expected failures "
          f"({len(rules)} rules)")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
