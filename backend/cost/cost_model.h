// Cost models: what the search asks "how long will this graph take?". A
// CostModel estimates microseconds per node and for the whole graph, with a
// per-node breakdown so a report can say where the time goes. The
// AnalyticalCostModel here is the roofline fallback DESIGN.md describes: per
// node, time = max(FLOPs / attainable compute, bytes moved / attainable
// bandwidth) + a fixed launch overhead, with machine figures measured on this
// machine (see MachineModel). A measured model (ops timed on the executor)
// implements the same interface later.
//
// Assumptions, all documented where they are made:
//  - nodes run one after another (graph time = sum of node times); each node
//    uses every core internally, as oneDNN and ONNX Runtime's kernels do;
//  - every node reads each distinct input once and writes each output once,
//    weights included (no reuse across nodes is credited: that is exactly the
//    saving fusion buys, so a fused node must be a single node to get it);
//  - shapes must be static: a node with a symbolic or unknown dim has an
//    unknown cost, and so does the graph, rather than a made-up number.
#ifndef GSOPT_BACKEND_COST_COST_MODEL_H_
#define GSOPT_BACKEND_COST_COST_MODEL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backend/cost/flops.h"
#include "ir/graph.h"

namespace gsopt::backend {

// How an op uses the machine; picks the efficiency factors below.
enum class OpClass {
  kGemm,          // MatMul, Gemm: blocked, vectorized, near peak
  kConv,          // Conv, ConvTranspose: im2col/direct kernels, a bit below GEMM
  kElementwise,   // Add, Relu, Sigmoid, ...: one pass over memory, bandwidth-bound
  kReduction,     // Reduce*, Softmax, normalizations, pooling: a pass or two, some compute
  kDataMovement,  // Transpose, Concat, Split, Slice, Gather, ...: bytes only, no FLOPs
  kView,          // Reshape, Flatten, Squeeze, Unsqueeze, Identity: metadata only
  kOther,         // anything unclassified, including other domains' ops
};
absl::string_view OpClassName(OpClass op_class);
// The class of a default-domain (ai.onnx) op; kOther for other domains.
OpClass ClassifyOp(const ir::Node& node);

// Machine figures for the analytical model. The defaults describe this
// development machine (2 cores of an Intel Xeon, AVX-512), measured as noted.
struct MachineModel {
  // fp32 GEMM peak with 2 threads: oneDNN 2.6 sgemm at 2048^3 reaches
  // 440-450 GFLOP/s here (DESIGN.md, "Facts about the dependencies").
  double peak_gflops = 440.0;

  // Memory bandwidth, GB/s (1e9 bytes/s), from a STREAM-like C++ program:
  // 2 std::threads, each running a plain loop (g++ -O3 -march=native) over
  // its half of three float arrays; best of 8-40 repetitions, bytes counted
  // as STREAM does (copy c=a: 8 B/element, triad a=b+3c: 12 B/element).
  //   arrays of 2^26 floats (768 MiB working set): copy 12.9, triad 14.4 GB/s
  //   arrays of 2^24 floats (192 MiB):             copy 14.3, triad 13.1 GB/s
  //   arrays of 2^20 floats (12 MiB):              copy 26.7, triad 27.5 GB/s
  //   arrays of 2^22 floats (48 MiB):              copy 46.8, triad 49.1 GB/s
  // (the machine was shared with two compile jobs, so the figures are noisy
  // and on the low side). Nodes that move more than `cache_bytes` are charged
  // DRAM bandwidth, smaller ones the cache-resident figure; the cache figure
  // takes the conservative 12 MiB measurement, not the 48 MiB outlier.
  double dram_bandwidth_gbps = 14.0;
  double cache_bandwidth_gbps = 27.0;
  int64_t cache_bytes = int64_t{32} << 20;

  // Fixed cost of running one node (dispatch, kernel selection, thread
  // wake-up). ONNX Runtime's CPU per-node overhead is a few microseconds;
  // 2 us is an estimate, not a measurement. It is what makes one node doing
  // the work of three cheaper even when both are compute-bound.
  double launch_overhead_us = 2.0;

  // Fraction of peak_gflops / of the bandwidth an op class attains.
  struct Efficiency {
    double compute = 1.0;
    double bandwidth = 1.0;
  };
  // GEMM: oneDNN reaches ~0.8 of the 2048^3 figure on transformer-sized
  // products; ONNX Runtime runs ResNet-50 at ~360 GFLOP/s (~0.8), and convs
  // spend some of that on layout, hence 0.7. Elementwise and reduction loops
  // vectorize but do not block for registers, and transcendental functions
  // cost several instructions per FLOP counted, hence a low compute fraction;
  // their time is normally the memory pass anyway. Data movement has strided
  // access (Transpose, Gather), so it gets less than a streaming copy.
  Efficiency gemm{0.8, 0.8};
  Efficiency conv{0.7, 0.8};
  Efficiency elementwise{0.25, 1.0};
  Efficiency reduction{0.2, 0.9};
  Efficiency data_movement{1.0, 0.6};
  Efficiency other{0.1, 0.8};
  // Reshape and friends only relabel a buffer in ONNX Runtime (the runtime
  // optimized models are for), so they cost the launch overhead and no
  // bytes. Set false to charge them a copy.
  bool views_are_free = true;

  // What ONNX Runtime's CPU kernels (1.31, AVX-512) do that a roofline does
  // not show, measured by timing rewritten models against the originals in
  // ORT (ORT_ENABLE_ALL, 2 threads; the study behind issue 3's rule choices):
  //
  // Slow kernels run at this fraction of their class's attainable speed.
  // LRN on [1,64,56,56] took ~3 ms for 0.8 MB moved (~0.3 GB/s) while the same
  // math as Mul + 1x1 Conv + Pow + Div ran 19x faster; Pow with a fractional
  // exponent costs ~10x a Sqrt per element.
  std::map<std::string, double> slow_kernels = {{"LRN", 0.01}, {"Pow", 0.1}};
  // Convolutions run in a channel-blocked layout (NCHWc, 16 channels per
  // block with AVX-512). A grouped Conv whose groups have fewer input channels
  // than a block falls back to a plain kernel: a 3x3 Conv with 4 channels per
  // group ran 1.27x faster as the same Conv with 16 per group (4x the FLOPs),
  // one with 8 per group 1.47x faster with 16 (2x the FLOPs), while going
  // past 16 only added FLOPs. Modeled as compute efficiency x
  // (channels per group / block) ^ grouped_conv_exponent below a block.
  // Depthwise Convs (one channel per group) have their own fast kernel.
  int64_t conv_channel_block = 16;
  double grouped_conv_exponent = 1.3;
  // Split is not layout-aware: on a 4-D activation it costs a reorder out
  // of and back into the blocked layout (merging sibling Convs into one Conv
  // and a Split measured 0.85x-0.97x on Inception and NasNet). Charged as
  // this many extra passes over the Split's bytes.
  double split_4d_extra_passes = 2.0;
  // ORT folds a bias Add (a constant vector) and a scalar Mul/Div into the
  // MatMul or Gemm that produces their input (Gemm's C, FusedMatMul's alpha),
  // so such a node costs nothing of its own there. Without this the search
  // moved attention's 1/sqrt(d) off the QK^T MatMul onto Q, where ORT must
  // run it as a separate op: bert_toy_optimized measured 0.87x.
  bool fold_matmul_epilogues = true;
  // Likewise ORT adds a same-shaped tensor to a Conv's result inside the Conv
  // (the residual "Sum" input of its fused Conv): such an Add only reads
  // its other operand.
  bool fold_conv_sum = true;
  // ORT fuses an activation (Relu, LeakyRelu, Sigmoid, Tanh, Clip) into the
  // Conv that produces its input when nothing else reads the Conv's
  // result, so the activation costs nothing of its own. Without this the
  // generated rule Concat(Relu(x), Relu(y)) -> Relu(Concat(x, y)) looked like
  // a saving on SqueezeNet while it unfused two Conv+Relu pairs: 0.99x.
  bool fold_conv_activation = true;

  const Efficiency& For(OpClass op_class) const;
};

// What one node does: the inputs of the roofline formula.
struct OpWork {
  OpClass op_class = OpClass::kOther;
  int64_t flops = 0;
  BytesMoved bytes;
  // Multiplies the class's attainable compute and bandwidth (a slow kernel,
  // a grouped Conv off the blocked layout); 1 for the roofline proper.
  double speed = 1.0;
  double extra_bytes = 0;  // bytes beyond `bytes` the runtime moves (layout reorders)
};

// Cost of one node. `time_us` is nullopt when the cost is unknown, and
// `unknown_reason` then says why (and how to fix it).
struct NodeCost {
  ir::NodeId node = ir::kNoNode;
  std::string name;
  std::string op_type;
  OpClass op_class = OpClass::kOther;
  int64_t flops = 0;
  BytesMoved bytes;
  double compute_us = 0;   // FLOPs against attainable compute
  double memory_us = 0;    // bytes against attainable bandwidth
  double overhead_us = 0;  // fixed per-node cost
  std::optional<double> time_us;
  std::string unknown_reason;

  bool known() const { return time_us.has_value(); }
  bool memory_bound() const { return memory_us > compute_us; }
};

// Cost of a graph: the per-node breakdown in execution order and their sum.
// `total_us` is nullopt when any node's cost is unknown.
struct GraphCost {
  std::vector<NodeCost> nodes;
  std::optional<double> total_us;
  int unknown_nodes = 0;

  bool known() const { return total_us.has_value(); }
  // A table, one node a line, most expensive first, then the total.
  std::string ToString(int max_rows = 20) const;
};

// Graph -> estimated microseconds. Implementations must be deterministic (the
// search compares costs of graphs that differ by one rewrite) and must not
// modify the graph.
class CostModel {
 public:
  virtual ~CostModel() = default;
  virtual std::string name() const = 0;
  virtual NodeCost EstimateNode(const ir::Graph& graph, ir::NodeId node) const = 0;
  // Sums EstimateNode over the live nodes in execution order.
  virtual GraphCost Estimate(const ir::Graph& graph) const;
};

// The roofline model. A fused node type (an op gsopt keeps inside its own
// domain, say Conv with its activation folded in) reports its own work with
// RegisterWork: its FLOPs are the sum of its parts, while its bytes are what
// the one node reads and writes (NodeBytesMoved) -- the intermediate never
// reaches memory, which is the point of fusing. Registered functions take
// precedence over the built-in rules, so they can also refine an ONNX op.
class AnalyticalCostModel : public CostModel {
 public:
  // Computes a node's work; an error makes the node's cost unknown.
  using WorkFunction = std::function<absl::StatusOr<OpWork>(const ir::Graph&, const ir::Node&)>;

  explicit AnalyticalCostModel(MachineModel machine = {}) : machine_(machine) {}

  std::string name() const override { return "analytical"; }
  NodeCost EstimateNode(const ir::Graph& graph, ir::NodeId node) const override;

  // Registers (or replaces) the work function for `domain`::`op_type`.
  void RegisterWork(std::string domain, std::string op_type, WorkFunction work);

  const MachineModel& machine() const { return machine_; }

  // The built-in rule: class from ClassifyOp, FLOPs from NodeFlops, bytes
  // from NodeBytesMoved (none for views when views_are_free). An op of
  // another domain with no registered work function counts zero FLOPs (as
  // NodeFlops does) and so costs its bytes and overhead: a lower bound.
  static absl::StatusOr<OpWork> DefaultWork(const ir::Graph& graph, const ir::Node& node,
                                            const MachineModel& machine);

 private:
  MachineModel machine_;
  absl::flat_hash_map<std::string, WorkFunction> work_;  // key "domain::op_type"
};

// Costs a graph whose inputs have symbolic dims (a dynamic batch) as if each
// symbol had a value: `bindings`, else `default_value`. Ranking rewrites
// rarely depends on the batch size, and a model with `batch` as its first dim
// is the common case, so optimize uses this with batch = 1 rather than give
// up on costing. Dims no symbol names (unknown after inference) stay unknown.
class BoundSymbolsCostModel : public CostModel {
 public:
  // `refine` runs on each bound copy after shape inference; a caller that can
  // fold constants passes that here, so shapes computed by Shape/Gather/Concat
  // chains become static too (this library does not depend on the passes).
  using Refinement = std::function<void(ir::Graph&)>;
  BoundSymbolsCostModel(const CostModel& inner, std::map<std::string, int64_t> bindings, int64_t default_value = 1,
                        Refinement refine = {})
      : inner_(inner), bindings_(std::move(bindings)), default_value_(default_value), refine_(std::move(refine)) {}

  std::string name() const override { return inner_.name(); }
  NodeCost EstimateNode(const ir::Graph& graph, ir::NodeId node) const override;
  GraphCost Estimate(const ir::Graph& graph) const override;
  // The graph with every symbolic dim replaced by its value.
  ir::Graph Bind(const ir::Graph& graph) const;
  // Whether any value has a symbolic dim (a fully static graph is costed as is).
  static bool NeedsBinding(const ir::Graph& graph);

 private:
  const CostModel& inner_;
  std::map<std::string, int64_t> bindings_;
  int64_t default_value_;
  Refinement refine_;
};

}  // namespace gsopt::backend

#endif  // GSOPT_BACKEND_COST_COST_MODEL_H_
