#!/usr/bin/env python3
"""Writes gsopt's bundled demo model: a small image classifier with the
habits of exported real models — Conv+BatchNorm+Relu blocks, a residual Add,
Dropout and Identity left in, a shape computation (Shape/Gather/Concat)
feeding a Reshape, Constant nodes, and a dead branch. Weights are seeded
random values, so the file is the same on every machine.

usage: python3 tools/make_demo_model.py OUT.onnx [--seed N]
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build(seed: int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    inits, nodes = [], []

    def weight(name, shape, scale=None):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        bound = scale if scale is not None else np.sqrt(3.0 / max(fan_in, 1))
        inits.append(numpy_helper.from_array(rng.uniform(-bound, bound, shape).astype(np.float32), name))
        return name

    def bn_params(prefix, c):
        names = [f"{prefix}_{k}" for k in ("scale", "bias", "mean", "var")]
        values = [rng.uniform(0.5, 1.5, c), rng.uniform(-0.1, 0.1, c), rng.uniform(-0.1, 0.1, c), rng.uniform(0.5, 1.5, c)]
        for n, v in zip(names, values):
            inits.append(numpy_helper.from_array(v.astype(np.float32), n))
        return names

    def conv_bn_relu(name, x, cin, cout, k, stride=1):
        w = weight(f"{name}_w", [cout, cin, k, k])
        nodes.append(helper.make_node("Conv", [x, w], [f"{name}_conv"], name=f"{name}_conv",
                                      kernel_shape=[k, k], pads=[k // 2] * 4, strides=[stride, stride]))
        nodes.append(helper.make_node("BatchNormalization", [f"{name}_conv", *bn_params(name, cout)],
                                      [f"{name}_bn"], name=f"{name}_bn", epsilon=1e-5))
        nodes.append(helper.make_node("Relu", [f"{name}_bn"], [f"{name}_out"], name=f"{name}_relu"))
        return f"{name}_out"

    x = conv_bn_relu("stem", "image", 3, 16, 3, stride=2)          # [N,16,16,16]
    y = conv_bn_relu("block_a", x, 16, 16, 3)
    y = conv_bn_relu("block_b", y, 16, 16, 1)
    nodes.append(helper.make_node("Add", [x, y], ["residual"], name="residual_add"))
    nodes.append(helper.make_node("Identity", ["residual"], ["residual_copy"], name="exported_identity"))
    nodes.append(helper.make_node("GlobalAveragePool", ["residual_copy"], ["pooled"], name="pool"))
    # Flatten the way exporters do it: Reshape to [batch, -1] with the shape
    # computed from Shape -> Gather -> Unsqueeze -> Concat.
    nodes.append(helper.make_node("Shape", ["pooled"], ["pooled_shape"], name="shape_of_pooled"))
    nodes.append(helper.make_node("Constant", [], ["zero_index"], name="const_zero",
                                  value=numpy_helper.from_array(np.array(0, dtype=np.int64))))
    nodes.append(helper.make_node("Gather", ["pooled_shape", "zero_index"], ["batch"], name="gather_batch", axis=0))
    nodes.append(helper.make_node("Constant", [], ["unsqueeze_axes"], name="const_axes",
                                  value=numpy_helper.from_array(np.array([0], dtype=np.int64))))
    nodes.append(helper.make_node("Unsqueeze", ["batch", "unsqueeze_axes"], ["batch_1d"], name="unsqueeze_batch"))
    nodes.append(helper.make_node("Constant", [], ["minus_one"], name="const_minus_one",
                                  value=numpy_helper.from_array(np.array([-1], dtype=np.int64))))
    nodes.append(helper.make_node("Concat", ["batch_1d", "minus_one"], ["flat_shape"], name="concat_shape", axis=0))
    nodes.append(helper.make_node("Reshape", ["pooled", "flat_shape"], ["flat"], name="flatten"))
    nodes.append(helper.make_node("Dropout", ["flat"], ["dropped"], name="dropout"))
    # A classifier whose weight is stored transposed and transposed back at run time.
    inits.append(numpy_helper.from_array(rng.uniform(-0.4, 0.4, (10, 16)).astype(np.float32), "fc_w_t"))
    nodes.append(helper.make_node("Transpose", ["fc_w_t"], ["fc_w"], name="transpose_fc_w", perm=[1, 0]))
    nodes.append(helper.make_node("MatMul", ["dropped", "fc_w"], ["fc_mm"], name="fc_matmul"))
    weight("fc_b", [10], scale=0.1)
    nodes.append(helper.make_node("Add", ["fc_mm", "fc_b"], ["logits"], name="fc_bias"))
    nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=-1))
    # A branch nothing reads (left behind by an exporter).
    nodes.append(helper.make_node("Sigmoid", ["logits"], ["unused_scores"], name="dead_sigmoid"))

    graph = helper.make_graph(
        nodes, "gsopt_demo",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="gsopt-demo")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    onnx.save(build(args.seed), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
