#!/usr/bin/env python3
"""Writes the benchmark suite's models: TASO's evaluation networks as ONNX
files (opset 17) with seeded random weights, so every machine builds the same
bytes and gsopt is measured on the architectures the TASO paper used.

The topologies and input shapes follow TASO's examples/*.py, corrected where
those examples are not the real network: BERT gets scaled softmax attention,
the output projection, residual + LayerNormalization and an Erf-GELU FFN
(TASO's example has none of these); projection shortcuts carry no ReLU;
NasRNN shares its cell weights across steps. Convs have a bias and no
BatchNormalization, the form exporters emit for inference (BN folded). `--small` keeps every architecture but shrinks depth,
width and spatial size (batch 1) so a CI smoke test runs in seconds.

usage: python3 benchmarks/models/generate.py OUT_DIR [--only NAME ...] [--small] [--seed S]
"""
import argparse
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class GraphBuilder:
    """Accumulates nodes and initializers with unique names and seeded weights."""

    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.inputs, self.outputs = [], [], [], []
        self.counter = 0

    def fresh(self, stem):
        self.counter += 1
        return f"{stem}_{self.counter}"

    def input(self, name, shape):
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    def output(self, value, shape, name):
        # Rename the value so graph outputs read `logits`, not `gemm_412`.
        for node in self.nodes:
            node.output[:] = [name if o == value else o for o in node.output]
            node.input[:] = [name if i == value else i for i in node.input]
        self.outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    def const(self, stem, array):
        name = self.fresh(stem)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, stem, shape, fan_in, gain=1.0):
        # Normal with std gain/sqrt(fan_in): gain sqrt(2) keeps activations at
        # unit scale through ReLU layers, so outputs neither vanish nor blow
        # up and a relative-tolerance comparison stays meaningful.
        std = gain / math.sqrt(max(fan_in, 1))
        return self.const(stem, self.rng.normal(0.0, std, shape).astype(np.float32))

    def bias(self, stem, n):
        return self.const(stem, self.rng.uniform(-0.05, 0.05, [n]).astype(np.float32))

    def op(self, op_type, inputs, stem=None, **attrs):
        out = self.fresh(stem or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=f"{out}_node", **attrs))
        return out

    def model(self):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="gsopt-benchmarks")
        model.ir_version = 8  # what ONNX 1.12 (opset 17) writes; every runtime here reads it
        return model


def same_pads(size, kernel, stride):
    """TF-style SAME padding for one spatial axis: (begin, end, output size)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class ConvNet(GraphBuilder):
    """GraphBuilder that tracks (channels, height, width) of NCHW values so
    convolutions and pools can compute SAME padding and weight shapes."""

    def __init__(self, name, seed):
        super().__init__(name, seed)
        self.shape = {}

    def image_input(self, name, n, c, h, w):
        self.input(name, [n, c, h, w])
        self.batch = n
        self.shape[name] = (c, h, w)
        return name

    def conv(self, x, cout, kernel, stride=(1, 1), pads=None, groups=1, relu=True, gain=None):
        """Conv (+ bias, + Relu). pads=None means SAME, else explicit (ph, pw)."""
        cin, h, w = self.shape[x]
        kh, kw = kernel
        if pads is None:
            pt, pb, oh = same_pads(h, kh, stride[0])
            pl, pr, ow = same_pads(w, kw, stride[1])
        else:
            pt = pb = pads[0]
            pl = pr = pads[1]
            oh = (h + 2 * pads[0] - kh) // stride[0] + 1
            ow = (w + 2 * pads[1] - kw) // stride[1] + 1
        fan_in = (cin // groups) * kh * kw
        wt = self.weight("conv_w", [cout, cin // groups, kh, kw], fan_in,
                         gain if gain is not None else (math.sqrt(2.0) if relu else 1.0))
        y = self.op("Conv", [x, wt, self.bias("conv_b", cout)], "conv", kernel_shape=[kh, kw],
                    strides=list(stride), pads=[pt, pl, pb, pr], group=groups)
        self.shape[y] = (cout, oh, ow)
        if relu:
            y = self.relu(y)
        return y

    def relu(self, x):
        y = self.op("Relu", [x], "relu")
        self.shape[y] = self.shape[x]
        return y

    def add(self, a, b):
        assert self.shape[a] == self.shape[b], (self.shape[a], self.shape[b])
        y = self.op("Add", [a, b], "add")
        self.shape[y] = self.shape[a]
        return y

    def pool(self, kind, x, kernel, stride, pads=None, ceil=False):
        """MaxPool/AveragePool; pads=None means SAME (padding excluded from averages)."""
        c, h, w = self.shape[x]
        if pads is None:
            pt, pb, oh = same_pads(h, kernel, stride)
            pl, pr, ow = same_pads(w, kernel, stride)
        else:
            pt = pb = pl = pr = pads
            rounding = (lambda v: -(-v // stride)) if ceil else (lambda v: v // stride)
            oh = rounding(h + 2 * pads - kernel) + 1
            ow = rounding(w + 2 * pads - kernel) + 1
        attrs = dict(kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pt, pl, pb, pr])
        if ceil:
            attrs["ceil_mode"] = 1
        y = self.op(kind, [x], kind.lower(), **attrs)
        self.shape[y] = (c, oh, ow)
        return y

    def concat(self, values):
        _, h, w = self.shape[values[0]]
        assert all(self.shape[v][1:] == (h, w) for v in values), [self.shape[v] for v in values]
        y = self.op("Concat", values, "concat", axis=1)
        self.shape[y] = (sum(self.shape[v][0] for v in values), h, w)
        return y

    def classifier(self, x, classes):
        """GlobalAveragePool -> Flatten -> Gemm: the head torchvision models export."""
        c = self.shape[x][0]
        flat = self.op("Flatten", [self.op("GlobalAveragePool", [x], "gap")], "flatten", axis=1)
        logits = self.op("Gemm", [flat, self.weight("fc_w", [classes, c], c), self.bias("fc_b", classes)],
                         "logits", transB=1)
        return self.output(logits, [self.batch, classes], "logits")

    def image_output(self, x, name):
        return self.output(x, [self.batch, *self.shape[x]], name)


# --------------------------------------------------------------------- BERT
def bert(small, seed):
    """Post-LN BERT encoder stack on embedded tokens [batch, seq, hidden]."""
    layers, hidden, heads, seq, batch, ffn = (2, 64, 4, 16, 1, 256) if small else (8, 1024, 16, 64, 16, 4096)
    head_dim = hidden // heads
    g = GraphBuilder("bert", seed)
    x = g.input("hidden_states", [batch, seq, hidden])
    to_heads = g.const("heads_shape", np.array([batch, seq, heads, head_dim], np.int64))
    merged = g.const("merged_shape", np.array([batch, seq, hidden], np.int64))
    scale = g.const("sqrt_head_dim", np.array(math.sqrt(head_dim), np.float32))
    sqrt2 = g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))
    one = g.const("one", np.array(1.0, np.float32))
    half = g.const("half", np.array(0.5, np.float32))

    def linear(v, n_in, n_out):
        return g.op("Add", [g.op("MatMul", [v, g.weight("w", [n_in, n_out], n_in)], "matmul"),
                            g.bias("b", n_out)], "linear")

    def layer_norm(v):
        gamma = g.const("ln_gamma", g.rng.uniform(0.9, 1.1, [hidden]).astype(np.float32))
        return g.op("LayerNormalization", [v, gamma, g.bias("ln_beta", hidden)], "layernorm",
                    axis=-1, epsilon=1e-12)

    for _ in range(layers):
        def split_heads(v, perm):
            return g.op("Transpose", [g.op("Reshape", [v, to_heads], "reshape")], "transpose", perm=perm)

        q = split_heads(linear(x, hidden, hidden), [0, 2, 1, 3])  # [B, h, S, d]
        k = split_heads(linear(x, hidden, hidden), [0, 2, 3, 1])  # [B, h, d, S]: K^T
        v = split_heads(linear(x, hidden, hidden), [0, 2, 1, 3])  # [B, h, S, d]
        scores = g.op("Div", [g.op("MatMul", [q, k], "qk"), scale], "scores")
        probs = g.op("Softmax", [scores], "probs", axis=-1)
        context = g.op("Transpose", [g.op("MatMul", [probs, v], "context")], "transpose", perm=[0, 2, 1, 3])
        attn = linear(g.op("Reshape", [context, merged], "merge_heads"), hidden, hidden)
        x = layer_norm(g.op("Add", [attn, x], "residual"))
        # GELU as PyTorch's exporter writes it: x * 0.5 * (1 + erf(x / sqrt(2))).
        h = linear(x, hidden, ffn)
        erf = g.op("Erf", [g.op("Div", [h, sqrt2], "gelu_div")], "gelu_erf")
        gelu = g.op("Mul", [g.op("Mul", [h, g.op("Add", [erf, one], "gelu_add")], "gelu_mul"), half], "gelu")
        x = layer_norm(g.op("Add", [linear(gelu, ffn, hidden), x], "residual"))
    g.output(x, [batch, seq, hidden], "last_hidden_state")
    return g.model()


# ------------------------------------------------------------------- NasRNN
def nasrnn(small, seed):
    """TASO's NAS recurrent cell unrolled over `steps` inputs of [1, hidden];
    x_t and the state are the two inputs of each of the cell's 8 combines."""
    hidden, steps = (32, 2) if small else (512, 5)
    g = GraphBuilder("nasrnn", seed)
    xs = [g.input(f"x{i}", [1, hidden]) for i in range(steps)]
    state = g.const("initial_state", g.rng.uniform(-1, 1, [1, hidden]).astype(np.float32))
    # A recurrent cell: the 8 (Wx, Wh) pairs are shared by every step (TASO's
    # example draws fresh weights per step, which no RNN does).
    cell = [(g.weight("wx", [hidden, hidden], hidden), g.weight("wh", [hidden, hidden], hidden)) for _ in range(8)]

    def combine(x, h, i):
        wx, wh = cell[i]
        return g.op("Add", [g.op("MatMul", [x, wx], "matmul"), g.op("MatMul", [h, wh], "matmul")], "combine")

    def act(kind, v):
        return g.op(kind, [v], kind.lower())

    for x in xs:
        t = [combine(x, state, i) for i in range(8)]
        m0 = g.op("Add", [act("Relu", t[0]), act("Sigmoid", t[3])])
        m1 = g.op("Add", [act("Sigmoid", t[1]), act("Tanh", t[2])])
        m2 = g.op("Mul", [act("Sigmoid", t[4]), act("Tanh", t[5])])
        m3 = g.op("Mul", [act("Sigmoid", t[6]), act("Relu", t[7])])
        m4 = g.op("Add", [act("Sigmoid", m1), act("Tanh", m2)])
        m5 = g.op("Mul", [act("Tanh", m0), act("Tanh", m3)])
        m6 = g.op("Mul", [act("Tanh", m4), act("Tanh", m5)])
        state = act("Tanh", m6)
    g.output(state, [1, hidden], "state")
    return g.model()


# ---------------------------------------------------------- ResNet / ResNeXt
def bottleneck(g, x, width, out, stride, groups):
    """1x1 -> 3x3 (grouped for ResNeXt) -> 1x1, plus the identity or a 1x1
    projection shortcut, then ReLU. The last conv has a small gain (like
    zero-init residuals) so 16 un-normalized blocks keep activations O(1)."""
    t = g.conv(x, width, (1, 1))
    t = g.conv(t, width, (3, 3), (stride, stride), groups=groups)
    t = g.conv(t, out, (1, 1), relu=False, gain=0.3)
    if stride > 1 or g.shape[x][0] != out:
        x = g.conv(x, out, (1, 1), (stride, stride), relu=False)
    return g.relu(g.add(x, t))


def resnet_stages(g, t, widths, blocks, expansion, groups):
    for stage, (width, count) in enumerate(zip(widths, blocks)):
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            t = bottleneck(g, t, width, width * expansion, stride, groups)
    return t


def resnet50(small, seed):
    """TASO's ResNet-50: the bottleneck stages on a [1, 64, 56, 56] stem output."""
    g = ConvNet("resnet50", seed)
    if small:
        t = g.image_input("input", 1, 8, 16, 16)
        t = resnet_stages(g, t, [8, 16, 32, 64], [1, 1, 1, 1], 4, 1)
        g.classifier(t, 10)
    else:
        t = g.image_input("input", 1, 64, 56, 56)
        t = resnet_stages(g, t, [64, 128, 256, 512], [3, 4, 6, 3], 4, 1)
        g.classifier(t, 1000)
    return g.model()


def resnext50(small, seed):
    """ResNeXt-50 (32x4d) on [1, 3, 224, 224]: 7x7 stem, max pool, grouped bottlenecks."""
    g = ConvNet("resnext50", seed)
    size, stem, widths, blocks, groups, classes = (
        (32, 16, [16, 32, 64, 128], [1, 1, 1, 1], 4, 10) if small else
        (224, 64, [128, 256, 512, 1024], [3, 4, 6, 3], 32, 1000))
    t = g.image_input("input", 1, 3, size, size)
    t = g.conv(t, stem, (7, 7), (2, 2), pads=(3, 3))
    t = g.pool("MaxPool", t, 3, 2, pads=1)
    t = resnet_stages(g, t, widths, blocks, 2, groups)
    g.classifier(t, classes)
    return g.model()


# ------------------------------------------------------------------ NasNet-A
def nasnet_a(small, seed):
    """TASO's NasNet-A: 3 stages of normal cells then a reduction cell, on
    [1, 128, 56, 56]. Separable conv = depthwise conv then 1x1 conv."""
    channels, size, normal_cells = (8, 16, 1) if small else (128, 56, 5)
    g = ConvNet("nasnet_a", seed)

    # Every cell output is a sum of two branches (twice the variance); gain 1
    # instead of sqrt(2) on the ReLU convs that read it halves it back, so 18
    # cells keep activations O(1).
    def squeeze(x, c):
        return g.conv(x, c, (1, 1), gain=1.0)

    def fit(cur, x):
        if g.shape[x][1] == g.shape[cur][1]:
            return squeeze(x, g.shape[cur][0])
        return g.conv(x, g.shape[cur][0], (3, 3), (2, 2), gain=1.0)

    def separable(x, c, k, stride):
        t = g.conv(x, c, (k, k), (stride, stride), groups=g.shape[x][0], relu=False)
        return g.conv(t, c, (1, 1), relu=False)

    def normal_cell(prev, cur, c):
        cur = squeeze(cur, c)
        prev = fit(cur, prev)
        avg = lambda v: g.pool("AveragePool", v, 3, 1)
        pairs = [(separable(cur, c, 3, 1), cur),
                 (separable(prev, c, 3, 1), separable(cur, c, 3, 1)),
                 (avg(cur), prev),
                 (avg(prev), avg(prev)),
                 (separable(prev, c, 3, 1), separable(prev, c, 3, 1))]
        return g.concat([g.add(a, b) for a, b in pairs])

    def reduction_cell(prev, cur, c):
        cur = squeeze(cur, c)
        prev = fit(cur, prev)
        o0 = g.add(separable(prev, c, 7, 2), separable(cur, c, 5, 2))
        o1 = g.add(g.pool("MaxPool", cur, 3, 2), separable(prev, c, 7, 2))
        o2 = g.add(g.pool("AveragePool", cur, 3, 2), separable(prev, c, 5, 2))
        o3 = g.add(g.pool("MaxPool", cur, 3, 2), separable(o0, c, 3, 1))
        o4 = g.add(g.pool("AveragePool", o0, 3, 1), o1)
        return g.concat([o0, o1, o2, o3, o4])

    t = g.image_input("input", 1, channels, size, size)
    for _ in range(3):
        prev = cur = t
        for _ in range(normal_cells):
            prev, cur = cur, normal_cell(prev, cur, channels)
        channels *= 2
        t = reduction_cell(prev, cur, channels)
    g.image_output(t, "features")
    return g.model()


# -------------------------------------------------------------- Inception-v3
def inception_v3(small, seed):
    """Inception-v3 on [1, 3, 299, 299] (TASO's inception_v3() default batch)."""
    g = ConvNet("inception_v3", seed)
    d = 8 if small else 1  # channel divisor for --small
    c = lambda n: max(n // d, 4)
    # (kh, kw) kernels with "same" padding for the asymmetric 1x7 / 7x1 convs.
    conv = lambda v, n, k=(1, 1), s=1, same=False: g.conv(
        v, c(n), k, (s, s), pads=((k[0] // 2, k[1] // 2) if same else (0, 0)))

    def block_a(v, pool_features):
        b1 = conv(v, 64)
        b5 = conv(conv(v, 48), 64, (5, 5), same=True)
        b3 = conv(conv(conv(v, 64), 96, (3, 3), same=True), 96, (3, 3), same=True)
        bp = conv(g.pool("AveragePool", v, 3, 1, pads=1), pool_features)
        return g.concat([b1, b5, b3, bp])

    def block_b(v):
        b3 = conv(v, 384, (3, 3), 2)
        bd = conv(conv(conv(v, 64), 96, (3, 3), same=True), 96, (3, 3), 2)
        return g.concat([b3, bd, g.pool("MaxPool", v, 3, 2, pads=0)])

    def block_c(v, c7):
        b1 = conv(v, 192)
        b7 = conv(conv(conv(v, c7), c7, (1, 7), same=True), 192, (7, 1), same=True)
        bd = conv(v, c7)
        for k, n in (((7, 1), c7), ((1, 7), c7), ((7, 1), c7), ((1, 7), 192)):
            bd = conv(bd, n, k, same=True)
        bp = conv(g.pool("AveragePool", v, 3, 1, pads=1), 192)
        return g.concat([b1, b7, bd, bp])

    def block_d(v):
        b3 = conv(conv(v, 192), 320, (3, 3), 2)
        b7 = conv(conv(conv(conv(v, 192), 192, (1, 7), same=True), 192, (7, 1), same=True), 192, (3, 3), 2)
        return g.concat([b3, b7, g.pool("MaxPool", v, 3, 2, pads=0)])

    def block_e(v):
        b1 = conv(v, 320)
        b3 = conv(v, 384)
        b3a, b3b = conv(b3, 384, (1, 3), same=True), conv(b3, 384, (3, 1), same=True)
        bd = conv(conv(v, 448), 384, (3, 3), same=True)
        bda, bdb = conv(bd, 384, (1, 3), same=True), conv(bd, 384, (3, 1), same=True)
        bp = conv(g.pool("AveragePool", v, 3, 1, pads=1), 192)
        return g.concat([b1, b3a, b3b, bda, bdb, bp])

    size = 75 if small else 299
    v = g.image_input("input", 1, 3, size, size)
    v = conv(v, 32, (3, 3), 2)
    v = conv(v, 32, (3, 3))
    v = conv(v, 64, (3, 3), same=True)
    v = g.pool("MaxPool", v, 3, 2, pads=0)
    v = conv(v, 80)
    v = conv(v, 192, (3, 3))
    v = g.pool("MaxPool", v, 3, 2, pads=0)
    for pool_features in ([32] if small else [32, 64, 64]):
        v = block_a(v, pool_features)
    v = block_b(v)
    for c7 in ([128] if small else [128, 160, 160, 192]):
        v = block_c(v, c7)
    v = block_d(v)
    for _ in range(1 if small else 2):
        v = block_e(v)
    g.classifier(v, 10 if small else 1000)
    return g.model()


# ---------------------------------------------------------------- SqueezeNet
def squeezenet(small, seed):
    """SqueezeNet 1.1 on [1, 3, 224, 224] (torchvision's layout, ceil-mode pools)."""
    g = ConvNet("squeezenet", seed)
    d, size, classes = (4, 64, 10) if small else (1, 224, 1000)

    def fire(v, s, e):
        sq = g.conv(v, s // d, (1, 1))
        return g.concat([g.conv(sq, e // d, (1, 1)), g.conv(sq, e // d, (3, 3), pads=(1, 1))])

    v = g.image_input("input", 1, 3, size, size)
    v = g.conv(v, 64 // d, (3, 3), (2, 2), pads=(0, 0))
    v = g.pool("MaxPool", v, 3, 2, pads=0, ceil=True)
    v = fire(fire(v, 16, 64), 16, 64)
    v = g.pool("MaxPool", v, 3, 2, pads=0, ceil=True)
    v = fire(fire(v, 32, 128), 32, 128)
    v = g.pool("MaxPool", v, 3, 2, pads=0, ceil=True)
    for s, e in ((48, 192), (48, 192), (64, 256), (64, 256)):
        v = fire(v, s, e)
    v = g.conv(v, classes, (1, 1))  # the classifier is a 1x1 conv + ReLU, then global pooling
    out = g.op("Flatten", [g.op("GlobalAveragePool", [v], "gap")], "logits", axis=1)
    g.output(out, [1, classes], "logits")
    return g.model()


MODELS = {
    "bert": bert,
    "nasrnn": nasrnn,
    "resnext50": resnext50,
    "nasnet_a": nasnet_a,
    "inception_v3": inception_v3,
    "resnet50": resnet50,
    "squeezenet": squeezenet,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--only", nargs="+", choices=sorted(MODELS), metavar="NAME",
                        help=f"write only these models (of: {', '.join(MODELS)})")
    parser.add_argument("--small", action="store_true", help="scaled-down variants, batch 1, for smoke tests")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for name in args.only or MODELS:
        # One seed per model, so --only writes the same bytes as a full run.
        model = MODELS[name](args.small, args.seed * 1000 + list(MODELS).index(name))
        onnx.checker.check_model(model, full_check=True)
        path = os.path.join(args.out_dir, f"{name}.onnx")
        onnx.save(model, path)
        params = sum(int(np.prod(t.dims)) for t in model.graph.initializer if t.data_type == TensorProto.FLOAT)
        print(f"{path}: {len(model.graph.node)} nodes, {params} parameters")


if __name__ == "__main__":
    sys.exit(main())
