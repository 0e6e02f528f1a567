#!/usr/bin/env python3
"""Writes the bad-input corpus for the CLI robustness test into OUT_DIR:
each file is broken in one way a real user meets (truncated download,
wrong file, cyclic or dangling graph, inconsistent shapes, absurd dims,
unknown dtype, external data pointing outside the model's folder).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "bad", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def main(out):
    os.makedirs(out, exist_ok=True)
    good = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [2, 3])], [vi("y", [2, 3])])
    good_bytes = good.SerializeToString()
    with open(os.path.join(out, "good.onnx"), "wb") as f:
        f.write(good_bytes)
    with open(os.path.join(out, "truncated.onnx"), "wb") as f:
        f.write(good_bytes[: len(good_bytes) // 2])
    with open(os.path.join(out, "not_protobuf.onnx"), "wb") as f:
        f.write(b"this is a text file, not a model\n" * 4)
    open(os.path.join(out, "empty.onnx"), "wb").close()

    cyclic = model([helper.make_node("Relu", ["b"], ["a"], name="n1"), helper.make_node("Neg", ["a"], ["b"], name="n2"),
                    helper.make_node("Add", ["x", "a"], ["y"], name="n3")], [vi("x", [2])], [vi("y", [2])])
    onnx.save(cyclic, os.path.join(out, "cyclic.onnx"))

    dangling = model([helper.make_node("Add", ["x", "w_missing"], ["y"], name="add_missing")], [vi("x", [2])], [vi("y", [2])])
    onnx.save(dangling, os.path.join(out, "dangling.onnx"))

    mismatch = model([helper.make_node("Add", ["x", "w"], ["y"], name="add_mismatch")], [vi("x", [2, 3])], [vi("y", [2, 3])],
                     [numpy_helper.from_array(np.ones((4, 5), np.float32), "w")])
    onnx.save(mismatch, os.path.join(out, "shape_mismatch.onnx"))

    absurd = TensorProto(name="huge", data_type=TensorProto.FLOAT, dims=[1 << 50])
    absurd_model = model([helper.make_node("Add", ["x", "huge"], ["y"], name="add_huge")], [vi("x", [1])], [vi("y", [1])], [absurd])
    onnx.save(absurd_model, os.path.join(out, "absurd_dims.onnx"))

    bad_dtype = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [2])], [vi("y", [2])],
                      [numpy_helper.from_array(np.ones(2, np.float32), "w")])
    bad_dtype.graph.initializer[0].data_type = 99
    onnx.save(bad_dtype, os.path.join(out, "unknown_dtype.onnx"))

    ext = numpy_helper.from_array(np.ones(4, np.float32), "w")
    ext.ClearField("raw_data")
    ext.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../../../etc/passwd"), ("offset", "0"), ("length", "16")):
        entry = ext.external_data.add()
        entry.key, entry.value = key, value
    escaping = model([helper.make_node("Add", ["x", "w"], ["y"], name="add_ext")], [vi("x", [4])], [vi("y", [4])], [ext])
    onnx.save(escaping, os.path.join(out, "external_escape.onnx"))


if __name__ == "__main__":
    main(sys.argv[1])
