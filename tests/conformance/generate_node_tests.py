#!/usr/bin/env python3
"""Writes the ONNX backend node tests of the installed `onnx` Python package
(the current release, with opsets newer than Debian's libonnx-testdata) in
the standard layout: OUT/<test>/model.onnx and
OUT/<test>/test_data_set_N/{input,output}_K.pb. The PyPI wheel ships the
test-case generators, not their data, so the data is made here.

usage: python3 tests/conformance/generate_node_tests.py OUT
"""
import os
import shutil
import sys

import onnx
from onnx import numpy_helper
from onnx.backend.test.case.node import collect_testcases


def serialize(value, value_info):
    """TensorProto/SequenceProto/OptionalProto bytes for one test value."""
    if hasattr(value, "SerializeToString"):
        return value.SerializeToString()
    t = value_info.type
    if t.HasField("sequence_type"):
        return numpy_helper.from_list(value, value_info.name).SerializeToString()
    if t.HasField("optional_type"):
        return numpy_helper.from_optional(value, value_info.name).SerializeToString()
    if t.HasField("map_type"):
        return numpy_helper.from_dict(value, value_info.name).SerializeToString()
    return numpy_helper.from_array(value, value_info.name).SerializeToString()


def main(out):
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    count = 0
    for case in collect_testcases(None):
        test_dir = os.path.join(out, case.name)
        os.makedirs(test_dir)
        with open(os.path.join(test_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            data_dir = os.path.join(test_dir, f"test_data_set_{i}")
            os.makedirs(data_dir)
            for kind, values, infos in (("input", inputs, case.model.graph.input),
                                        ("output", outputs, case.model.graph.output)):
                for k, value in enumerate(values):
                    with open(os.path.join(data_dir, f"{kind}_{k}.pb"), "wb") as f:
                        f.write(serialize(value, infos[k]))
        count += 1
    print(f"wrote {count} node tests of onnx {onnx.__version__} to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
