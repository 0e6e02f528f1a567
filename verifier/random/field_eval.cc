// Exact finite-field evaluation of the polynomial and data-movement ops (see
// field_eval.h). Every kernel here is written for clarity over small tensors:
// the generator and the rule tester evaluate graphs of a few nodes on shapes
// of a few elements per dimension, so index arithmetic is kept explicit and
// generic in rank rather than specialised. Data-movement ops are expressed as
// an index map (output element -> input element or "zero") so that they work
// unchanged on integer tensors (shapes, pads) and on field tensors.
#include "verifier/random/field_eval.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/check.h"

namespace gsopt::verifier::field {
namespace {

using Dims = std::vector<int64_t>;

int64_t Product(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

Dims StridesOf(const Dims& dims) {
  Dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

// Advances a row-major multi-index; returns false after the last one.
bool NextIndex(Dims& index, const Dims& dims) {
  for (int i = static_cast<int>(dims.size()) - 1; i >= 0; --i) {
    if (++index[i] < dims[i]) return true;
    index[i] = 0;
  }
  return false;
}

std::string DimsString(const Dims& dims) { return absl::StrCat("[", absl::StrJoin(dims, ","), "]"); }

absl::Status ShapeError(const ir::Node& node, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("node ", node.Describe(), ": ", message));
}

FieldTensor MakeField(Dims dims) {
  FieldTensor t;
  t.values.assign(static_cast<size_t>(Product(dims)), 0);
  t.dims = std::move(dims);
  return t;
}

// Gathers `source` through `index_map` (one source offset per output element,
// -1 for a zero/padding element); preserves integer-ness.
FieldTensor Gather(const FieldTensor& source, Dims out_dims, const std::vector<int64_t>& index_map) {
  FieldTensor out;
  out.dims = std::move(out_dims);
  out.is_int = source.is_int;
  if (source.is_int) {
    out.ints.resize(index_map.size());
    for (size_t i = 0; i < index_map.size(); ++i) out.ints[i] = index_map[i] < 0 ? 0 : source.ints[index_map[i]];
  } else {
    out.values.resize(index_map.size());
    for (size_t i = 0; i < index_map.size(); ++i) out.values[i] = index_map[i] < 0 ? 0 : source.values[index_map[i]];
  }
  return out;
}

// Same data, new dims (Reshape, Squeeze, Unsqueeze, Flatten, Identity).
FieldTensor WithDims(const FieldTensor& source, Dims dims) {
  FieldTensor out = source;
  out.dims = std::move(dims);
  return out;
}

absl::StatusOr<int64_t> NormalizeAxis(const ir::Node& node, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return ShapeError(node, absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  return axis < 0 ? axis + rank : axis;
}

// Integer values of an int tensor input (shape, axes, pads, split).
absl::StatusOr<std::vector<int64_t>> IntsOf(const ir::Node& node, const FieldTensor* t, absl::string_view what) {
  if (t == nullptr) return ShapeError(node, absl::StrCat("missing ", what, " input"));
  if (!t->is_int) return ShapeError(node, absl::StrCat(what, " input must be an integer tensor"));
  return t->ints;
}

const FieldTensor* InputOrNull(absl::Span<const FieldTensor* const> inputs, int i) {
  return i < static_cast<int>(inputs.size()) ? inputs[i] : nullptr;
}

// The field residue of element i of an integer or field tensor.
uint64_t ResidueAt(const FieldTensor& t, int64_t i) { return t.is_int ? FieldFromInt(t.ints[i]) : t.values[i]; }

// Dot-product accumulation: products are reduced below 2^31, so 2^32 of them
// fit in a uint64 before the final reduction.
struct Accumulator {
  uint64_t sum = 0;
  void Add(uint64_t a, uint64_t b) { sum += FieldMul(a, b); }
  uint64_t Value() const { return sum % kPrime; }
};

// ---- elementwise ----

absl::StatusOr<Dims> BroadcastDims(const ir::Node& node, const Dims& a, const Dims& b) {
  size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1)
      return ShapeError(node, absl::StrCat("cannot broadcast ", DimsString(a), " with ", DimsString(b)));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// For each output element of a broadcast to `out`, the offset in an operand of `dims`.
std::vector<int64_t> BroadcastOffsets(const Dims& dims, const Dims& out) {
  Dims strides = StridesOf(dims);
  size_t shift = out.size() - dims.size();
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(Product(out)));
  Dims index(out.size(), 0);
  if (Product(out) == 0) return offsets;
  do {
    int64_t offset = 0;
    for (size_t i = 0; i < dims.size(); ++i)
      if (dims[i] != 1) offset += index[i + shift] * strides[i];
    offsets.push_back(offset);
  } while (NextIndex(index, out));
  return offsets;
}

absl::StatusOr<std::vector<FieldTensor>> EvalBinary(const ir::Node& node, const FieldTensor& a, const FieldTensor& b) {
  auto out_dims = BroadcastDims(node, a.dims, b.dims);
  if (!out_dims.ok()) return out_dims.status();
  std::vector<int64_t> ia = BroadcastOffsets(a.dims, *out_dims);
  std::vector<int64_t> ib = BroadcastOffsets(b.dims, *out_dims);
  const std::string& op = node.op_type;
  FieldTensor out;
  out.dims = *out_dims;
  if (a.is_int && b.is_int) {  // shape arithmetic: exact integers
    out.is_int = true;
    out.ints.resize(ia.size());
    for (size_t i = 0; i < ia.size(); ++i) {
      int64_t x = a.ints[ia[i]], y = b.ints[ib[i]];
      if (op == "Div" && y == 0) return ShapeError(node, "integer division by zero");
      out.ints[i] = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
    }
    return std::vector<FieldTensor>{std::move(out)};
  }
  out.values.resize(ia.size());
  for (size_t i = 0; i < ia.size(); ++i) {
    uint64_t x = ResidueAt(a, ia[i]), y = ResidueAt(b, ib[i]);
    if (op == "Add") {
      out.values[i] = FieldAdd(x, y);
    } else if (op == "Sub") {
      out.values[i] = FieldSub(x, y);
    } else if (op == "Mul") {
      out.values[i] = FieldMul(x, y);
    } else {
      if (y == 0) return ShapeError(node, "division by zero in the field");
      out.values[i] = FieldMul(x, FieldInverse(y));
    }
  }
  return std::vector<FieldTensor>{std::move(out)};
}

// ---- MatMul ----

absl::StatusOr<std::vector<FieldTensor>> EvalMatMul(const ir::Node& node, const FieldTensor& a_in,
                                                    const FieldTensor& b_in) {
  if (a_in.is_int || b_in.is_int) return ShapeError(node, "MatMul of integer tensors");
  if (a_in.dims.empty() || b_in.dims.empty()) return ShapeError(node, "MatMul of a scalar");
  Dims a_dims = a_in.dims, b_dims = b_in.dims;
  bool a_vector = a_dims.size() == 1, b_vector = b_dims.size() == 1;
  if (a_vector) a_dims.insert(a_dims.begin(), 1);
  if (b_vector) b_dims.push_back(1);
  int64_t m = a_dims[a_dims.size() - 2], k = a_dims.back();
  int64_t kb = b_dims[b_dims.size() - 2], n = b_dims.back();
  if (k != kb)
    return ShapeError(node,
                      absl::StrCat("MatMul inner dims differ: ", DimsString(a_in.dims), " x ", DimsString(b_in.dims)));
  Dims a_batch(a_dims.begin(), a_dims.end() - 2), b_batch(b_dims.begin(), b_dims.end() - 2);
  auto batch = BroadcastDims(node, a_batch, b_batch);
  if (!batch.ok()) return batch.status();
  std::vector<int64_t> a_off = BroadcastOffsets(a_batch, *batch), b_off = BroadcastOffsets(b_batch, *batch);
  int64_t batches = Product(*batch);
  Dims out_dims = *batch;
  if (!a_vector) out_dims.push_back(m);
  if (!b_vector) out_dims.push_back(n);
  FieldTensor out = MakeField(out_dims);
  for (int64_t bi = 0; bi < batches; ++bi) {
    const uint64_t* a = a_in.values.data() + a_off[bi] * m * k;
    const uint64_t* b = b_in.values.data() + b_off[bi] * k * n;
    uint64_t* c = out.values.data() + bi * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        Accumulator acc;
        for (int64_t p = 0; p < k; ++p) acc.Add(a[i * k + p], b[p * n + j]);
        c[i * n + j] = acc.Value();
      }
  }
  return std::vector<FieldTensor>{std::move(out)};
}

// ---- sliding windows (Conv, AveragePool) ----

struct WindowGeometry {
  Dims in_spatial, kernel, strides, dilations, pads_begin, out_spatial;
};

absl::StatusOr<WindowGeometry> ComputeWindow(const ir::Node& node, const Dims& in_spatial, const Dims& kernel) {
  size_t rank = in_spatial.size();
  WindowGeometry g;
  g.in_spatial = in_spatial;
  g.kernel = kernel;
  g.strides = node.GetInts("strides", Dims(rank, 1));
  g.dilations = node.GetInts("dilations", Dims(rank, 1));
  Dims pads = node.GetInts("pads", Dims(2 * rank, 0));
  if (g.strides.size() != rank || g.dilations.size() != rank || pads.size() != 2 * rank)
    return ShapeError(node, "strides/dilations/pads do not match the spatial rank");
  std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  g.pads_begin.assign(rank, 0);
  g.out_spatial.assign(rank, 0);
  for (size_t i = 0; i < rank; ++i) {
    int64_t extent = g.dilations[i] * (kernel[i] - 1) + 1;
    int64_t begin = pads[i], end = pads[i + rank];
    if (auto_pad == "VALID") {
      begin = end = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      int64_t out = (in_spatial[i] + g.strides[i] - 1) / g.strides[i];
      int64_t total = std::max<int64_t>(0, (out - 1) * g.strides[i] + extent - in_spatial[i]);
      begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    } else if (auto_pad != "NOTSET") {
      return ShapeError(node, absl::StrCat("unsupported auto_pad ", auto_pad));
    }
    if (g.strides[i] <= 0 || g.dilations[i] <= 0) return ShapeError(node, "non-positive stride or dilation");
    int64_t span = in_spatial[i] + begin + end - extent;
    if (span < 0) return ShapeError(node, "window larger than the padded input");
    g.pads_begin[i] = begin;
    g.out_spatial[i] = span / g.strides[i] + 1;
  }
  return g;
}

// Calls visit(kernel_offset_index, input_spatial_offset) for every kernel
// position of output position `out_index` that falls inside the input.
void ForEachWindowTap(const WindowGeometry& g, const Dims& out_index,
                      const std::function<void(int64_t, int64_t)>& visit) {
  size_t rank = g.kernel.size();
  Dims in_strides = StridesOf(g.in_spatial);
  Dims k_index(rank, 0);
  int64_t k_linear = 0;
  if (Product(g.kernel) == 0) return;
  do {
    int64_t offset = 0;
    bool inside = true;
    for (size_t i = 0; i < rank && inside; ++i) {
      int64_t pos = out_index[i] * g.strides[i] - g.pads_begin[i] + k_index[i] * g.dilations[i];
      inside = pos >= 0 && pos < g.in_spatial[i];
      offset += pos * in_strides[i];
    }
    if (inside) visit(k_linear, offset);
    ++k_linear;
  } while (NextIndex(k_index, g.kernel));
}

absl::StatusOr<std::vector<FieldTensor>> EvalConv(const ir::Node& node, const FieldTensor& x, const FieldTensor& w,
                                                  const FieldTensor* bias) {
  if (x.is_int || w.is_int) return ShapeError(node, "Conv of integer tensors");
  if (x.dims.size() < 3 || w.dims.size() != x.dims.size())
    return ShapeError(node, absl::StrCat("Conv input ", DimsString(x.dims), " and weight ", DimsString(w.dims),
                                         " must have equal rank >= 3"));
  int64_t group = node.GetInt("group", 1);
  int64_t batch = x.dims[0], channels = x.dims[1], out_channels = w.dims[0], group_channels = w.dims[1];
  if (group <= 0 || channels != group_channels * group || out_channels % group != 0)
    return ShapeError(node, absl::StrCat("Conv channels do not fit: input ", DimsString(x.dims), ", weight ",
                                         DimsString(w.dims), ", group ", group));
  Dims in_spatial(x.dims.begin() + 2, x.dims.end()), kernel(w.dims.begin() + 2, w.dims.end());
  Dims kernel_attr = node.GetInts("kernel_shape", kernel);
  if (kernel_attr != kernel) return ShapeError(node, "kernel_shape disagrees with the weight");
  auto geometry = ComputeWindow(node, in_spatial, kernel);
  if (!geometry.ok()) return geometry.status();
  if (bias != nullptr && (bias->is_int || bias->dims != Dims{out_channels}))
    return ShapeError(node, absl::StrCat("Conv bias must be [", out_channels, "]"));
  Dims out_dims = {batch, out_channels};
  out_dims.insert(out_dims.end(), geometry->out_spatial.begin(), geometry->out_spatial.end());
  FieldTensor out = MakeField(out_dims);
  int64_t in_plane = Product(in_spatial), k_size = Product(kernel), out_plane = Product(geometry->out_spatial);
  int64_t m_per_group = out_channels / group;
  for (int64_t nb = 0; nb < batch; ++nb)
    for (int64_t m = 0; m < out_channels; ++m) {
      int64_t g = m / m_per_group;
      Dims out_index(in_spatial.size(), 0);
      int64_t out_linear = 0;
      if (out_plane == 0) continue;
      do {
        Accumulator acc;
        for (int64_t c = 0; c < group_channels; ++c) {
          const uint64_t* xp = x.values.data() + (nb * channels + g * group_channels + c) * in_plane;
          const uint64_t* wp = w.values.data() + (m * group_channels + c) * k_size;
          ForEachWindowTap(*geometry, out_index, [&](int64_t k, int64_t off) { acc.Add(xp[off], wp[k]); });
        }
        uint64_t v = acc.Value();
        if (bias != nullptr) v = FieldAdd(v, bias->values[m]);
        out.values[(nb * out_channels + m) * out_plane + out_linear] = v;
        ++out_linear;
      } while (NextIndex(out_index, geometry->out_spatial));
    }
  return std::vector<FieldTensor>{std::move(out)};
}

absl::StatusOr<std::vector<FieldTensor>> EvalAveragePool(const ir::Node& node, const FieldTensor& x) {
  if (x.is_int || x.dims.size() < 3) return ShapeError(node, "AveragePool needs a field tensor of rank >= 3");
  Dims kernel = node.GetInts("kernel_shape");
  Dims in_spatial(x.dims.begin() + 2, x.dims.end());
  if (kernel.size() != in_spatial.size()) return ShapeError(node, "kernel_shape does not match the spatial rank");
  auto geometry = ComputeWindow(node, in_spatial, kernel);
  if (!geometry.ok()) return geometry.status();
  Dims out_dims = {x.dims[0], x.dims[1]};
  out_dims.insert(out_dims.end(), geometry->out_spatial.begin(), geometry->out_spatial.end());
  FieldTensor out = MakeField(out_dims);
  // count_include_pad=1 without ceil_mode: every window lies in the padded
  // input, so the divisor is always the kernel size.
  uint64_t inverse_count = FieldInverse(FieldFromInt(Product(kernel)));
  int64_t in_plane = Product(in_spatial), out_plane = Product(geometry->out_spatial);
  for (int64_t plane = 0; plane < x.dims[0] * x.dims[1]; ++plane) {
    const uint64_t* xp = x.values.data() + plane * in_plane;
    Dims out_index(in_spatial.size(), 0);
    int64_t out_linear = 0;
    if (out_plane == 0) continue;
    do {
      uint64_t sum = 0;
      ForEachWindowTap(*geometry, out_index, [&](int64_t, int64_t off) { sum = FieldAdd(sum, xp[off]); });
      out.values[plane * out_plane + out_linear] = FieldMul(sum, inverse_count);
      ++out_linear;
    } while (NextIndex(out_index, geometry->out_spatial));
  }
  return std::vector<FieldTensor>{std::move(out)};
}

// ---- reductions ----

absl::StatusOr<std::vector<FieldTensor>> EvalReduceMean(const ir::Node& node, int64_t opset,
                                                        absl::Span<const FieldTensor* const> inputs) {
  const FieldTensor& x = *inputs[0];
  if (x.is_int) return ShapeError(node, "ReduceMean of an integer tensor");
  int64_t rank = static_cast<int64_t>(x.dims.size());
  std::vector<int64_t> axes;
  if (const FieldTensor* axes_input = InputOrNull(inputs, 1); axes_input != nullptr) {
    auto ints = IntsOf(node, axes_input, "axes");
    if (!ints.ok()) return ints.status();
    axes = *ints;
  } else {
    axes = node.GetInts("axes");
  }
  bool keepdims = node.GetInt("keepdims", 1) != 0;
  if (axes.empty()) {
    if (node.GetInt("noop_with_empty_axes", 0) != 0) return std::vector<FieldTensor>{x};
    axes.resize(static_cast<size_t>(rank));
    std::iota(axes.begin(), axes.end(), 0);
  }
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t axis : axes) {
    auto a = NormalizeAxis(node, axis, rank);
    if (!a.ok()) return a.status();
    reduced[*a] = true;
  }
  Dims kept_dims(static_cast<size_t>(rank));
  Dims out_dims;
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i) {
    kept_dims[i] = reduced[i] ? 1 : x.dims[i];
    if (reduced[i]) count *= x.dims[i];
    if (!reduced[i] || keepdims) out_dims.push_back(kept_dims[i]);
  }
  if (count == 0) return ShapeError(node, "ReduceMean over an empty axis");
  FieldTensor out = MakeField(out_dims);
  Dims out_strides = StridesOf(kept_dims);
  Dims index(static_cast<size_t>(rank), 0);
  if (x.num_elements() > 0) {
    int64_t linear = 0;
    do {
      int64_t target = 0;
      for (int64_t i = 0; i < rank; ++i)
        if (!reduced[i]) target += index[i] * out_strides[i];
      out.values[target] = FieldAdd(out.values[target], x.values[linear++]);
    } while (NextIndex(index, x.dims));
  }
  uint64_t inverse_count = FieldInverse(FieldFromInt(count));
  for (uint64_t& v : out.values) v = FieldMul(v, inverse_count);
  return std::vector<FieldTensor>{std::move(out)};
}

// ---- data movement ----

absl::StatusOr<std::vector<FieldTensor>> EvalConcat(const ir::Node& node, absl::Span<const FieldTensor* const> inputs) {
  if (inputs.empty() || inputs[0] == nullptr) return ShapeError(node, "Concat without inputs");
  const FieldTensor& first = *inputs[0];
  int64_t rank = static_cast<int64_t>(first.dims.size());
  auto axis = NormalizeAxis(node, node.GetInt("axis", 0), rank);
  if (!axis.ok()) return axis.status();
  Dims out_dims = first.dims;
  out_dims[*axis] = 0;
  for (const FieldTensor* t : inputs) {
    if (t == nullptr || t->dims.size() != first.dims.size() || t->is_int != first.is_int)
      return ShapeError(node, "Concat inputs differ in rank or kind");
    for (int64_t i = 0; i < rank; ++i)
      if (i != *axis && t->dims[i] != first.dims[i])
        return ShapeError(node, absl::StrCat("Concat inputs ", DimsString(first.dims), " and ", DimsString(t->dims),
                                             " differ off the axis"));
    out_dims[*axis] += t->dims[*axis];
  }
  int64_t outer = Product(Dims(first.dims.begin(), first.dims.begin() + *axis));
  int64_t inner = Product(Dims(first.dims.begin() + *axis + 1, first.dims.end()));
  FieldTensor out;
  out.dims = out_dims;
  out.is_int = first.is_int;
  for (int64_t o = 0; o < outer; ++o)
    for (const FieldTensor* t : inputs) {
      int64_t chunk = t->dims[*axis] * inner;
      if (t->is_int)
        out.ints.insert(out.ints.end(), t->ints.begin() + o * chunk, t->ints.begin() + (o + 1) * chunk);
      else
        out.values.insert(out.values.end(), t->values.begin() + o * chunk, t->values.begin() + (o + 1) * chunk);
    }
  return std::vector<FieldTensor>{std::move(out)};
}

// Elements [start, start+size) of `x` along `axis`.
FieldTensor SliceAxis(const FieldTensor& x, int64_t axis, int64_t start, int64_t size) {
  Dims out_dims = x.dims;
  out_dims[axis] = size;
  int64_t outer = Product(Dims(x.dims.begin(), x.dims.begin() + axis));
  int64_t inner = Product(Dims(x.dims.begin() + axis + 1, x.dims.end()));
  std::vector<int64_t> map;
  map.reserve(static_cast<size_t>(outer * size * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t s = 0; s < size; ++s)
      for (int64_t i = 0; i < inner; ++i) map.push_back((o * x.dims[axis] + start + s) * inner + i);
  return Gather(x, out_dims, map);
}

absl::StatusOr<std::vector<FieldTensor>> EvalSplit(const ir::Node& node, int64_t opset,
                                                   absl::Span<const FieldTensor* const> inputs) {
  const FieldTensor& x = *inputs[0];
  int64_t rank = static_cast<int64_t>(x.dims.size());
  auto axis = NormalizeAxis(node, node.GetInt("axis", 0), rank);
  if (!axis.ok()) return axis.status();
  int64_t dim = x.dims[*axis];
  std::vector<int64_t> sizes;
  if (const FieldTensor* split = InputOrNull(inputs, 1); split != nullptr) {
    auto ints = IntsOf(node, split, "split");
    if (!ints.ok()) return ints.status();
    sizes = *ints;
  } else if (node.FindAttribute("split") != nullptr) {
    sizes = node.GetInts("split");
  } else {
    int64_t parts = node.GetInt("num_outputs", node.num_outputs());
    if (parts <= 0) return ShapeError(node, "Split into no parts");
    int64_t chunk = (dim + parts - 1) / parts;  // the last part is smaller when uneven (opset 18)
    for (int64_t p = 0; p < parts; ++p) sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - p * chunk)));
  }
  if (static_cast<int>(sizes.size()) != node.num_outputs() ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) != dim)
    return ShapeError(node, absl::StrCat("Split sizes [", absl::StrJoin(sizes, ","), "] do not cover axis of size ",
                                         dim, " in ", node.num_outputs(), " outputs"));
  std::vector<FieldTensor> outs;
  int64_t start = 0;
  for (int64_t size : sizes) {
    outs.push_back(SliceAxis(x, *axis, start, size));
    start += size;
  }
  return outs;
}

absl::StatusOr<std::vector<FieldTensor>> EvalTranspose(const ir::Node& node, const FieldTensor& x) {
  int64_t rank = static_cast<int64_t>(x.dims.size());
  Dims reversed(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) reversed[i] = rank - 1 - i;
  Dims perm = node.GetInts("perm", reversed);
  Dims sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  Dims identity(static_cast<size_t>(rank));
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity) return ShapeError(node, absl::StrCat("perm ", DimsString(perm), " is not a permutation"));
  Dims out_dims(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) out_dims[i] = x.dims[perm[i]];
  Dims in_strides = StridesOf(x.dims);
  std::vector<int64_t> map;
  map.reserve(static_cast<size_t>(x.num_elements()));
  Dims index(static_cast<size_t>(rank), 0);
  if (x.num_elements() > 0) do {
      int64_t offset = 0;
      for (int64_t i = 0; i < rank; ++i) offset += index[i] * in_strides[perm[i]];
      map.push_back(offset);
    } while (NextIndex(index, out_dims));
  return std::vector<FieldTensor>{Gather(x, out_dims, map)};
}

absl::StatusOr<std::vector<FieldTensor>> EvalReshape(const ir::Node& node,
                                                     absl::Span<const FieldTensor* const> inputs) {
  const FieldTensor& x = *inputs[0];
  auto shape = IntsOf(node, InputOrNull(inputs, 1), "shape");
  if (!shape.ok()) return shape.status();
  bool allow_zero = node.GetInt("allowzero", 0) != 0;
  Dims dims = *shape;
  int infer = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && !allow_zero) {
      if (i >= x.dims.size()) return ShapeError(node, "Reshape copies a dim the input lacks");
      dims[i] = x.dims[i];
    } else if (dims[i] == -1) {
      if (infer >= 0) return ShapeError(node, "Reshape with two -1 dims");
      infer = static_cast<int>(i);
    } else if (dims[i] < 0) {
      return ShapeError(node, "Reshape with a negative dim");
    }
  }
  if (infer >= 0) {
    dims[infer] = 1;
    int64_t known = Product(dims);
    if (known == 0 || x.num_elements() % known != 0)
      return ShapeError(node, absl::StrCat("cannot reshape ", DimsString(x.dims), " to ", DimsString(*shape)));
    dims[infer] = x.num_elements() / known;
  }
  if (Product(dims) != x.num_elements())
    return ShapeError(node, absl::StrCat("cannot reshape ", DimsString(x.dims), " to ", DimsString(*shape)));
  return std::vector<FieldTensor>{WithDims(x, dims)};
}

absl::StatusOr<std::vector<FieldTensor>> EvalPad(const ir::Node& node, int64_t opset,
                                                 absl::Span<const FieldTensor* const> inputs) {
  const FieldTensor& x = *inputs[0];
  int64_t rank = static_cast<int64_t>(x.dims.size());
  if (node.GetString("mode", "constant") != "constant") return ShapeError(node, "only constant Pad is exact");
  std::vector<int64_t> pads;
  if (opset >= 11) {
    auto ints = IntsOf(node, InputOrNull(inputs, 1), "pads");
    if (!ints.ok()) return ints.status();
    pads = *ints;
    if (const FieldTensor* value = InputOrNull(inputs, 2); value != nullptr) {
      for (int64_t i = 0; i < value->num_elements(); ++i)
        if (ResidueAt(*value, i) != 0) return ShapeError(node, "Pad value must be zero");
    }
  } else {
    pads = node.GetInts("pads");
    if (node.GetFloat("value", 0.0f) != 0.0f) return ShapeError(node, "Pad value must be zero");
  }
  Dims axes(static_cast<size_t>(rank));
  std::iota(axes.begin(), axes.end(), 0);
  if (const FieldTensor* axes_input = InputOrNull(inputs, 3); axes_input != nullptr) {
    auto ints = IntsOf(node, axes_input, "axes");
    if (!ints.ok()) return ints.status();
    axes.clear();
    for (int64_t a : *ints) {
      auto axis = NormalizeAxis(node, a, rank);
      if (!axis.ok()) return axis.status();
      axes.push_back(*axis);
    }
  }
  size_t n = axes.size();
  if (pads.size() != 2 * n) return ShapeError(node, absl::StrCat("Pad needs ", 2 * n, " pads"));
  Dims begin(static_cast<size_t>(rank), 0), out_dims = x.dims;
  for (size_t i = 0; i < n; ++i) {
    begin[axes[i]] = pads[i];
    out_dims[axes[i]] += pads[i] + pads[i + n];
    if (out_dims[axes[i]] < 0) return ShapeError(node, "Pad crops below zero size");
  }
  Dims in_strides = StridesOf(x.dims);
  std::vector<int64_t> map;
  Dims index(static_cast<size_t>(rank), 0);
  if (Product(out_dims) > 0) do {
      int64_t offset = 0;
      for (int64_t i = 0; i < rank && offset >= 0; ++i) {
        int64_t pos = index[i] - begin[i];
        offset = pos < 0 || pos >= x.dims[i] ? -1 : offset + pos * in_strides[i];
      }
      map.push_back(offset);
    } while (NextIndex(index, out_dims));
  return std::vector<FieldTensor>{Gather(x, out_dims, map)};
}

absl::StatusOr<std::vector<int64_t>> AxesOf(const ir::Node& node, absl::Span<const FieldTensor* const> inputs) {
  if (const FieldTensor* axes = InputOrNull(inputs, 1); axes != nullptr) return IntsOf(node, axes, "axes");
  return node.GetInts("axes");
}

absl::StatusOr<std::vector<FieldTensor>> EvalUnsqueeze(const ir::Node& node,
                                                       absl::Span<const FieldTensor* const> inputs) {
  const FieldTensor& x = *inputs[0];
  auto axes = AxesOf(node, inputs);
  if (!axes.ok()) return axes.status();
  int64_t out_rank = static_cast<int64_t>(x.dims.size() + axes->size());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : *axes) {
    auto axis = NormalizeAxis(node, a, out_rank);
    if (!axis.ok()) return axis.status();
    if (inserted[*axis]) return ShapeError(node, "Unsqueeze axis repeated");
    inserted[*axis] = true;
  }
  Dims dims;
  size_t next = 0;
  for (int64_t i = 0; i < out_rank; ++i) dims.push_back(inserted[i] ? 1 : x.dims[next++]);
  return std::vector<FieldTensor>{WithDims(x, dims)};
}

absl::StatusOr<std::vector<FieldTensor>> EvalSqueeze(const ir::Node& node,
                                                     absl::Span<const FieldTensor* const> inputs) {
  const FieldTensor& x = *inputs[0];
  auto axes = AxesOf(node, inputs);
  if (!axes.ok()) return axes.status();
  int64_t rank = static_cast<int64_t>(x.dims.size());
  std::vector<bool> removed(static_cast<size_t>(rank), false);
  if (axes->empty()) {
    for (int64_t i = 0; i < rank; ++i) removed[i] = x.dims[i] == 1;
  }
  for (int64_t a : *axes) {
    auto axis = NormalizeAxis(node, a, rank);
    if (!axis.ok()) return axis.status();
    if (x.dims[*axis] != 1) return ShapeError(node, "Squeeze of a dim that is not 1");
    removed[*axis] = true;
  }
  Dims dims;
  for (int64_t i = 0; i < rank; ++i)
    if (!removed[i]) dims.push_back(x.dims[i]);
  return std::vector<FieldTensor>{WithDims(x, dims)};
}

absl::StatusOr<std::vector<FieldTensor>> EvalFlatten(const ir::Node& node, const FieldTensor& x) {
  int64_t rank = static_cast<int64_t>(x.dims.size());
  int64_t axis = node.GetInt("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) return ShapeError(node, "Flatten axis out of range");
  Dims dims = {Product(Dims(x.dims.begin(), x.dims.begin() + axis)),
               Product(Dims(x.dims.begin() + axis, x.dims.end()))};
  return std::vector<FieldTensor>{WithDims(x, dims)};
}

// A float tensor with integral values, or an integer tensor, as a FieldTensor.
absl::StatusOr<FieldTensor> FromTensor(const ir::Tensor& tensor, absl::string_view name) {
  FieldTensor out;
  out.dims = tensor.dims();
  ir::DType dtype = tensor.dtype();
  bool is_float = dtype == ir::DType::kFloat32 || dtype == ir::DType::kFloat64 || dtype == ir::DType::kFloat16 ||
                  dtype == ir::DType::kBFloat16;
  if (!is_float) {
    out.is_int = true;
    out.ints.resize(static_cast<size_t>(tensor.num_elements()));
    for (int64_t i = 0; i < tensor.num_elements(); ++i) out.ints[i] = tensor.GetAsInt64(i);
    return out;
  }
  out.values.resize(static_cast<size_t>(tensor.num_elements()));
  for (int64_t i = 0; i < tensor.num_elements(); ++i) {
    double v = tensor.GetAsDouble(i);
    if (v != static_cast<double>(static_cast<int64_t>(v)))
      return absl::InvalidArgumentError(
          absl::StrCat("constant '", name, "' holds ", v, ", which is not an integer and has no field value"));
    out.values[i] = FieldFromInt(static_cast<int64_t>(v));
  }
  return out;
}

const std::set<std::string>& FieldOps() {
  static const auto* ops =
      new std::set<std::string>{"MatMul",     "Conv",        "Add",     "Sub",     "Mul",       "Div",     "Neg",
                                "ReduceMean", "AveragePool", "Concat",  "Split",   "Transpose", "Reshape", "Pad",
                                "Identity",   "Unsqueeze",   "Squeeze", "Flatten", "Constant"};
  return *ops;
}

}  // namespace

int64_t FieldTensor::num_elements() const { return Product(dims); }

bool IsFieldEvaluable(const ir::Node& node) {
  if (!node.domain.empty() && node.domain != "ai.onnx") return false;
  if (FieldOps().count(node.op_type) == 0) return false;
  if (node.op_type == "AveragePool")
    return node.GetInt("count_include_pad", 0) == 1 && node.GetInt("ceil_mode", 0) == 0;
  if (node.op_type == "Pad") return node.GetString("mode", "constant") == "constant" && node.GetFloat("value", 0) == 0;
  if (node.op_type == "Constant") {
    const ir::Attribute* value = node.FindAttribute("value");
    return value != nullptr && value->is<ir::Tensor>();
  }
  return true;
}

absl::StatusOr<std::vector<FieldTensor>> EvalNode(const ir::Node& node, int64_t opset,
                                                  absl::Span<const FieldTensor* const> inputs) {
  if (!IsFieldEvaluable(node))
    return absl::UnimplementedError(absl::StrCat("node ", node.Describe(), " has no exact field semantics"));
  const std::string& op = node.op_type;
  if (op == "Constant") {
    auto t = FromTensor(node.FindAttribute("value")->get<ir::Tensor>(), node.name);
    if (!t.ok()) return t.status();
    return std::vector<FieldTensor>{*std::move(t)};
  }
  if (inputs.empty() || inputs[0] == nullptr) return ShapeError(node, "missing first input");
  auto need = [&](int count) -> absl::Status {
    for (int i = 0; i < count; ++i)
      if (InputOrNull(inputs, i) == nullptr) return ShapeError(node, absl::StrCat("needs ", count, " inputs"));
    return absl::OkStatus();
  };
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    if (auto s = need(2); !s.ok()) return s;
    return EvalBinary(node, *inputs[0], *inputs[1]);
  }
  if (op == "Neg") {
    FieldTensor out = *inputs[0];
    for (int64_t& v : out.ints) v = -v;
    for (uint64_t& v : out.values) v = FieldSub(0, v);
    return std::vector<FieldTensor>{std::move(out)};
  }
  if (op == "MatMul") {
    if (auto s = need(2); !s.ok()) return s;
    return EvalMatMul(node, *inputs[0], *inputs[1]);
  }
  if (op == "Conv") {
    if (auto s = need(2); !s.ok()) return s;
    return EvalConv(node, *inputs[0], *inputs[1], InputOrNull(inputs, 2));
  }
  if (op == "AveragePool") return EvalAveragePool(node, *inputs[0]);
  if (op == "ReduceMean") return EvalReduceMean(node, opset, inputs);
  if (op == "Concat") return EvalConcat(node, inputs);
  if (op == "Split") return EvalSplit(node, opset, inputs);
  if (op == "Transpose") return EvalTranspose(node, *inputs[0]);
  if (op == "Reshape") return EvalReshape(node, inputs);
  if (op == "Pad") return EvalPad(node, opset, inputs);
  if (op == "Identity") return std::vector<FieldTensor>{*inputs[0]};
  if (op == "Unsqueeze") return EvalUnsqueeze(node, inputs);
  if (op == "Squeeze") return EvalSqueeze(node, inputs);
  return EvalFlatten(node, *inputs[0]);
}

absl::StatusOr<std::vector<FieldTensor>> EvalGraph(const ir::Graph& graph,
                                                   const std::map<std::string, FieldTensor>& inputs) {
  std::vector<std::optional<FieldTensor>> values(static_cast<size_t>(graph.num_values()));
  for (ir::ValueId id : graph.inputs()) {
    const std::string& name = graph.value(id).name;
    auto it = inputs.find(name);
    if (it == inputs.end())
      return absl::InvalidArgumentError(absl::StrCat("no field value for graph input '", name, "'"));
    values[id] = it->second;
  }
  for (ir::ValueId id : graph.Initializers()) {
    const ir::Value& value = graph.value(id);
    if (auto it = inputs.find(value.name); it != inputs.end()) {
      values[id] = it->second;  // an explicit value overrides the stored constant
      continue;
    }
    auto t = FromTensor(*value.initializer, value.name);
    if (!t.ok()) return t.status();
    values[id] = *std::move(t);
  }
  int64_t opset = graph.OpsetVersion("");
  for (ir::NodeId node_id : graph.LiveNodes()) {
    const ir::Node& node = graph.node(node_id);
    std::vector<const FieldTensor*> node_inputs;
    for (ir::ValueId in : node.inputs) {
      if (in == ir::kNoValue) {
        node_inputs.push_back(nullptr);
        continue;
      }
      if (!values[in].has_value())
        return absl::InvalidArgumentError(
            absl::StrCat("node ", node.Describe(), " reads '", graph.value(in).name, "', which has no value"));
      node_inputs.push_back(&*values[in]);
    }
    auto outs = EvalNode(node, opset, node_inputs);
    if (!outs.ok()) return outs.status();
    if (outs->size() < node.outputs.size())
      return absl::InternalError(absl::StrCat("node ", node.Describe(), " produced too few outputs"));
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (node.outputs[i] != ir::kNoValue) values[node.outputs[i]] = std::move((*outs)[i]);
  }
  std::vector<FieldTensor> result;
  for (ir::ValueId id : graph.outputs()) {
    if (!values[id].has_value())
      return absl::InvalidArgumentError(absl::StrCat("graph output '", graph.value(id).name, "' has no value"));
    result.push_back(*values[id]);
  }
  return result;
}

FieldTensor RandomFieldTensor(const std::vector<int64_t>& dims, uint64_t seed) {
  FieldTensor out = MakeField(dims);
  uint64_t state = seed;
  for (uint64_t& v : out.values) {
    // splitmix64; rejection keeps the residues exactly uniform.
    do {
      state += 0x9e3779b97f4a7c15ULL;
      uint64_t z = state;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      z ^= z >> 31;
      v = z >> 33;  // 31 bits
    } while (v >= kPrime);
  }
  return out;
}

uint64_t FieldInverse(uint64_t a) {
  GSOPT_CHECK(a % kPrime != 0) << "inverse of zero";
  // Fermat: a^(p-2).
  uint64_t result = 1, base = a % kPrime, exponent = kPrime - 2;
  while (exponent > 0) {
    if (exponent & 1) result = FieldMul(result, base);
    base = FieldMul(base, base);
    exponent >>= 1;
  }
  return result;
}

uint64_t FieldFromInt(int64_t v) {
  int64_t r = v % static_cast<int64_t>(kPrime);
  return static_cast<uint64_t>(r < 0 ? r + static_cast<int64_t>(kPrime) : r);
}

}  // namespace gsopt::verifier::field
