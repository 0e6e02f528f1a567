// The rule generator's pipeline (see generator.h): enumerate and fingerprint
// graphs, group them, turn groups into candidate rules, prune, verify, and
// drop rules implied by smaller ones.
//
// Canonical enumeration. A graph is a set of ops; it is built as the one
// sequence of its ops that a greedy topological sort by structural hash
// produces (at each step, the ready op with the smallest hash). Adding op k
// keeps a sequence canonical iff every op placed after k's last dependency
// has a smaller hash than k: those ops were ready at the same steps as k and
// were chosen first. Commutative operands are ordered by structural hash and
// an op identical to an existing one (same template on the same values) is
// never added, so every graph is built exactly once.
#include "rewrites/generator/generator.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ir/graph.h"
#include "ir/op_registry.h"
#include "ir/structural_hash.h"
#include "rewrites/engine/rule_engine.h"
#include "rewrites/generator/op_templates.h"

namespace gsopt::rewrites::generator {
namespace {

using internal::Dims;
using internal::Info;
using internal::Leaf;
using internal::LeafKind;
using internal::LeafPool;
using internal::Mix;
using internal::Value;

constexpr int kMaxOpsLimit = 5;
constexpr int kMaxOutputs = 2;       // multi-output rules have two roots (parallel ops, Split)
constexpr int kMaxConfirmTries = 8;  // per source graph, targets tried on the second input set
constexpr double kRelativeTolerance = 1e-6;

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct OpRecord {
  uint8_t tmpl = 0;
  uint8_t a = 0;
  int8_t b = -1;  // value index of the second operand, -1 for none
};

// A graph as its canonical op sequence. Value indices: the leaf pool first,
// then the outputs of the ops in order.
struct GraphRecord {
  uint64_t key = 0;  // the fingerprint
  uint8_t num_ops = 0;
  std::array<OpRecord, kMaxOpsLimit> ops;
};

int NumLeaves() { return static_cast<int>(LeafPool().size()); }

// Ops other than Identity: the size that orders sources and targets.
int Size(const GraphRecord& g) {
  int n = 0;
  for (int i = 0; i < g.num_ops; ++i) n += g.ops[i].tmpl != internal::kIdentity;
  return n;
}

// Ops other than pure data movement. Candidates point from more to fewer
// of these, then from more to fewer ops: two Convs on one input become a
// Concat, one Conv and a Split (TASO's merge), not the other way round.
int ComputeOps(const GraphRecord& g) {
  int n = 0;
  for (int i = 0; i < g.num_ops; ++i) {
    switch (g.ops[i].tmpl) {
      case internal::kIdentity:
      case internal::kConcat0:
      case internal::kConcat1:
      case internal::kSplit0:
      case internal::kSplit1:
      case internal::kTranspose:
      case internal::kReshape:
      case internal::kEnlarge:
        break;
      default:
        ++n;
    }
  }
  return n;
}

uint64_t OpStructure(int t, const Value& a, const Value* b) {
  return Mix(Mix(Mix(static_cast<uint64_t>(t) + 1) + a.structure) + (b ? b->structure : 0));
}

// Values of a graph, computed from the leaf values of one input set.
class Evaluation {
 public:
  Evaluation(const std::vector<Value>& leaves) : leaves_(&leaves) {}
  const Value& operator[](int i) const {
    return i < NumLeaves() ? (*leaves_)[static_cast<size_t>(i)] : computed_[static_cast<size_t>(i - NumLeaves())];
  }
  int size() const { return NumLeaves() + static_cast<int>(computed_.size()); }
  // Adds op `t`; false when it does not apply or a value is not finite.
  bool Add(int t, int a, int b) {
    const Value* second = b >= 0 ? &(*this)[b] : nullptr;
    Value out[2];
    if (!internal::Evaluate(t, (*this)[a], second, *leaves_, out)) return false;
    const uint64_t structure = OpStructure(t, (*this)[a], second);
    for (int i = 0; i < Info(t).outputs; ++i) {
      out[i].structure = Mix(structure + 1 + static_cast<uint64_t>(i));
      computed_.push_back(std::move(out[i]));
    }
    return true;
  }
  void Pop(int count) { computed_.resize(computed_.size() - static_cast<size_t>(count)); }

 private:
  const std::vector<Value>* leaves_;
  std::vector<Value> computed_;
};

bool EvaluateRecord(const GraphRecord& g, Evaluation& values) {
  for (int i = 0; i < g.num_ops; ++i)
    if (!values.Add(g.ops[i].tmpl, g.ops[i].a, g.ops[i].b)) return false;
  return true;
}

// Value indices of the op outputs that no op reads, in op order.
std::vector<int> RecordOutputs(const GraphRecord& g) {
  std::vector<int> first_output(static_cast<size_t>(g.num_ops));
  int next = NumLeaves();
  std::vector<bool> read(static_cast<size_t>(NumLeaves() + 2 * kMaxOpsLimit), false);
  for (int i = 0; i < g.num_ops; ++i) {
    first_output[static_cast<size_t>(i)] = next;
    next += Info(g.ops[i].tmpl).outputs;
    read[g.ops[i].a] = true;
    if (g.ops[i].b >= 0) read[static_cast<size_t>(g.ops[i].b)] = true;
  }
  std::vector<int> outputs;
  for (int v = NumLeaves(); v < next; ++v)
    if (!read[static_cast<size_t>(v)]) outputs.push_back(v);
  return outputs;
}

// Leaves a graph reads (batchnorm reads its parameter leaves), as a bit set.
uint32_t LeafMask(const GraphRecord& g) {
  uint32_t mask = 0;
  for (int i = 0; i < g.num_ops; ++i) {
    const OpRecord& op = g.ops[i];
    if (op.a < NumLeaves()) mask |= 1u << op.a;
    if (op.b >= 0 && op.b < NumLeaves()) mask |= 1u << op.b;
    if (op.tmpl == internal::kBatchNorm)
      for (int p : internal::BatchNormParamLeaves()) mask |= 1u << p;
  }
  return mask;
}

// Float values are bucketed to about six significant digits, so values that
// differ by rounding only share a bucket (unless they straddle a boundary,
// which costs a missed rule, never a wrong one).
uint64_t Quantize(double v) {
  if (std::fabs(v) < 1e-9) return 0;
  int exponent = 0;
  const double mantissa = std::frexp(v, &exponent);
  int64_t q = std::llround(mantissa * (1 << 20));
  if (q == (1 << 20) || q == -(1 << 20)) {
    q /= 2;
    ++exponent;
  }
  return Mix(static_cast<uint64_t>(q) * 131 + static_cast<uint64_t>(exponent + 4096));
}

uint64_t OutputFingerprint(const Value& v, bool exact) {
  uint64_t h = Mix(v.dims.size() + (exact ? 1000 : 0));
  for (int64_t d : v.dims) h = Mix(h ^ static_cast<uint64_t>(d));
  if (exact) {
    for (uint64_t z : v.field) h = Mix(h ^ z);
  } else {
    for (double r : v.real) h = Mix(h ^ Quantize(r));
  }
  return h;
}

// A graph is fingerprinted exactly when every output has field values (every
// op is a field template), in floating point otherwise; the two kinds of
// fingerprints never collide by construction (the low bit).
uint64_t GraphKey(const Evaluation& values, const std::vector<int>& outputs, std::vector<uint64_t>* prints) {
  bool exact = true;
  for (int v : outputs) exact = exact && values[v].has_field;
  std::vector<uint64_t> sorted;
  for (int v : outputs) sorted.push_back(OutputFingerprint(values[v], exact));
  if (prints) *prints = sorted;
  std::sort(sorted.begin(), sorted.end());
  uint64_t key = Mix(sorted.size());
  for (uint64_t p : sorted) key = Mix(key ^ p);
  return (key & ~uint64_t{1}) | (exact ? 1 : 0);
}

struct Setup {
  std::vector<int> templates;  // enabled, in template order
  int max_ops = 3;
  std::vector<Value> leaves;  // input set 0
};

// Depth-first enumeration from one state; one per worker thread.
class Enumerator {
 public:
  Enumerator(const Setup& setup, std::vector<GraphRecord>* records)
      : setup_(setup), values_(setup.leaves), records_(records) {
    producer_.assign(static_cast<size_t>(NumLeaves()), -1);
    reads_.assign(static_cast<size_t>(NumLeaves()), 0);
  }

  // Calls `f(t, a, b)` for every op that could be added to the current graph.
  template <class F>
  void ForEachCandidate(F&& f) const {
    const std::vector<Leaf>& pool = LeafPool();
    for (int t : setup_.templates) {
      const internal::TemplateInfo& info = Info(t);
      for (int a = 0; a < values_.size(); ++a) {
        if (!values_[a].operand()) continue;
        switch (info.form) {
          case internal::Form::kUnary:
            f(t, a, -1);
            break;
          case internal::Form::kLeafOperand:
            for (int l = 0; l < NumLeaves(); ++l)
              if (pool[static_cast<size_t>(l)].kind == info.leaf_operand) f(t, a, l);
            break;
          case internal::Form::kBinary:
            for (int b = 0; b < values_.size(); ++b) {
              if (!values_[b].operand()) continue;
              if (info.commutative && values_[a].structure > values_[b].structure) continue;
              f(t, a, b);
            }
            break;
        }
      }
    }
  }

  void TryAdd(int t, int a, int b) {
    const internal::TemplateInfo& info = Info(t);
    const Value* second = b >= 0 ? &values_[b] : nullptr;
    Dims dims[2];
    if (!internal::OutputDims(t, values_[a], second, dims)) return;
    const uint64_t structure = OpStructure(t, values_[a], second);
    for (const OpState& op : ops_)
      if (op.structure == structure) return;  // the same op twice: a common subexpression
    int dependency = producer_[static_cast<size_t>(a)];
    if (b >= 0) dependency = std::max(dependency, producer_[static_cast<size_t>(b)]);
    for (size_t k = static_cast<size_t>(dependency + 1); k < ops_.size(); ++k)
      if (ops_[k].structure >= structure) return;  // not the canonical order

    const bool b_is_data = b >= 0 && values_[b].operand();
    const int num_ops = static_cast<int>(ops_.size()) + 1;
    const int remaining = setup_.max_ops - num_ops;
    int outputs = info.outputs;
    for (int v = NumLeaves(); v < values_.size(); ++v)
      outputs += reads_[static_cast<size_t>(v)] == 0 && v != a && !(b_is_data && v == b);
    const int components = ComponentsWith(a, b_is_data ? b : -1);
    const bool record = outputs <= kMaxOutputs && components == 1;
    // Each further op joins at most two components and removes at most one output.
    const bool extend = remaining > 0 && components - 1 <= remaining && outputs - remaining <= kMaxOutputs;
    if (!record && !extend) return;
    if (!values_.Add(t, a, b)) return;

    const int first_output = values_.size() - info.outputs;
    ops_.push_back({static_cast<uint8_t>(t), static_cast<uint8_t>(a), static_cast<int8_t>(b), structure, first_output});
    for (int i = 0; i < info.outputs; ++i) {
      producer_.push_back(num_ops - 1);
      reads_.push_back(0);
    }
    ++reads_[static_cast<size_t>(a)];
    if (b >= 0) ++reads_[static_cast<size_t>(b)];

    if (record) Record();
    if (extend) ForEachCandidate([this](int t2, int a2, int b2) { TryAdd(t2, a2, b2); });

    --reads_[static_cast<size_t>(a)];
    if (b >= 0) --reads_[static_cast<size_t>(b)];
    producer_.resize(producer_.size() - static_cast<size_t>(info.outputs));
    reads_.resize(reads_.size() - static_cast<size_t>(info.outputs));
    ops_.pop_back();
    values_.Pop(info.outputs);
  }

 private:
  struct OpState {
    uint8_t tmpl;
    uint8_t a;
    int8_t b;
    uint64_t structure;
    int first_output;
  };

  // Connected components of the ops (joined by shared data values) if an op
  // reading `a` and `b` (-1: none) were added.
  int ComponentsWith(int a, int b) const {
    const int n = static_cast<int>(ops_.size()) + 1;
    std::array<int, kMaxOpsLimit + 1> parent;
    for (int i = 0; i < n; ++i) parent[static_cast<size_t>(i)] = i;
    auto find = [&](int i) {
      while (parent[static_cast<size_t>(i)] != i) i = parent[static_cast<size_t>(i)];
      return i;
    };
    auto unite = [&](int i, int j) { parent[static_cast<size_t>(find(i))] = find(j); };
    // The op (or the first op) that touches each data value.
    std::vector<int> owner(static_cast<size_t>(values_.size()), -1);
    auto touch = [&](int op, int v) {
      if (v < 0 || !values_[v].operand()) return;
      int& o = owner[static_cast<size_t>(v)];
      if (o < 0)
        o = op;
      else
        unite(op, o);
    };
    for (int i = 0; i < n - 1; ++i) {
      const OpState& op = ops_[static_cast<size_t>(i)];
      for (int k = 0; k < Info(op.tmpl).outputs; ++k) touch(i, op.first_output + k);
      touch(i, op.a);
      touch(i, op.b);
    }
    touch(n - 1, a);
    touch(n - 1, b);
    int components = 0;
    for (int i = 0; i < n; ++i) components += find(i) == i;
    return components;
  }

  void Record() {
    GraphRecord g;
    g.num_ops = static_cast<uint8_t>(ops_.size());
    for (size_t i = 0; i < ops_.size(); ++i) g.ops[i] = {ops_[i].tmpl, ops_[i].a, ops_[i].b};
    std::vector<int> outputs;
    for (int v = NumLeaves(); v < values_.size(); ++v)
      if (reads_[static_cast<size_t>(v)] == 0) outputs.push_back(v);
    g.key = GraphKey(values_, outputs, nullptr);
    records_->push_back(g);
  }

  const Setup& setup_;
  Evaluation values_;
  std::vector<int> producer_;  // per value: the op index, -1 for a leaf
  std::vector<int> reads_;     // per value: how many ops read it
  std::vector<OpState> ops_;
  std::vector<GraphRecord>* records_;
};

// Runs body(i, worker) for i in [0, n) on `threads` threads, reporting progress.
void ParallelFor(int64_t n, int threads, const std::function<void(int64_t, int)>& body, const GeneratorOptions& options,
                 absl::string_view phase) {
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w)
    workers.emplace_back([&, w] {
      for (int64_t i = next++; i < n; i = next++) {
        body(i, w);
        ++done;
      }
    });
  if (options.progress) {
    while (done.load() < n) {
      options.progress(phase, done.load(), n);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    options.progress(phase, n, n);
  }
  for (std::thread& worker : workers) worker.join();
}

// ---- expressions (comments, canonical keys, common subgraphs) ----

// One string per value: leaves by `labels`, ops as Display(args); with
// `sorted`, commutative operands in string order so swaps compare equal.
std::vector<std::string> Expressions(const GraphRecord& g, const std::vector<std::string>& labels, bool sorted) {
  std::vector<std::string> expr(labels.begin(), labels.end());
  for (int i = 0; i < g.num_ops; ++i) {
    const OpRecord& op = g.ops[i];
    const internal::TemplateInfo& info = Info(op.tmpl);
    if (op.tmpl == internal::kIdentity) {
      expr.push_back(expr[op.a]);
      continue;
    }
    std::vector<std::string> args = {expr[op.a]};
    if (op.b >= 0) args.push_back(expr[static_cast<size_t>(op.b)]);
    if (sorted && info.commutative && args[1] < args[0]) std::swap(args[0], args[1]);
    const std::string call = absl::StrCat(info.display, "(", absl::StrJoin(args, ", "), ")");
    if (info.outputs == 1) {
      expr.push_back(call);
    } else {
      for (int k = 0; k < info.outputs; ++k) expr.push_back(absl::StrCat(call, "[", k, "]"));
    }
  }
  return expr;
}

std::vector<std::string> PoolNames() {
  std::vector<std::string> names;
  for (const Leaf& leaf : LeafPool()) names.push_back(leaf.name);
  return names;
}

// The op expressions of a graph (without output indices), for common-subgraph pruning.
std::set<std::string> OpExpressions(const GraphRecord& g) {
  const std::vector<std::string> expr = Expressions(g, PoolNames(), true);
  std::set<std::string> ops;
  int next = NumLeaves();
  for (int i = 0; i < g.num_ops; ++i) {
    const std::string& e = expr[static_cast<size_t>(next)];
    if (g.ops[i].tmpl != internal::kIdentity)
      ops.insert(Info(g.ops[i].tmpl).outputs == 1 ? e : e.substr(0, e.rfind('[')));
    next += Info(g.ops[i].tmpl).outputs;
  }
  return ops;
}

// Leaves that are interchangeable: same kind and dims (for the same_shape
// conditions a rule gets).
int LeafClass(int leaf) {
  const std::vector<Leaf>& pool = LeafPool();
  for (int i = 0; i <= leaf; ++i)
    if (pool[static_cast<size_t>(i)].kind == pool[static_cast<size_t>(leaf)].kind &&
        pool[static_cast<size_t>(i)].dims == pool[static_cast<size_t>(leaf)].dims)
      return i;
  return leaf;
}

// Leaves whose rules read alike up to variable names and kernel-size pins:
// same kind and rank (a [4,6] and a [6,4] matrix both give `rank(%v, 2)`).
int RenameClass(int leaf) {
  const std::vector<Leaf>& pool = LeafPool();
  const Leaf& l = pool[static_cast<size_t>(leaf)];
  for (int i = 0; i <= leaf; ++i) {
    const Leaf& m = pool[static_cast<size_t>(i)];
    if (m.kind == l.kind && m.dims.size() == l.dims.size() && m.ints == l.ints) return i;
  }
  return leaf;
}

std::string IntList(const std::vector<int64_t>& values) { return absl::StrCat("[", absl::StrJoin(values, ", "), "]"); }

struct Candidate {
  GraphRecord source;
  GraphRecord target;
  std::vector<int> target_output;  // per source output (RecordOutputs order): index into the target's outputs
};

std::string RuleString(const Candidate& c, const std::vector<std::string>& labels) {
  const std::vector<std::string> s = Expressions(c.source, labels, true);
  const std::vector<std::string> t = Expressions(c.target, labels, true);
  const std::vector<int> so = RecordOutputs(c.source), to = RecordOutputs(c.target);
  std::vector<std::string> pairs;
  for (size_t k = 0; k < so.size(); ++k)
    pairs.push_back(absl::StrCat(s[static_cast<size_t>(so[k])], " => ",
                                 t[static_cast<size_t>(to[static_cast<size_t>(c.target_output[k])])]));
  std::sort(pairs.begin(), pairs.end());
  return absl::StrJoin(pairs, "; ");
}

// The rule's text under the renaming of its leaves that gives the smallest
// string: renamings of one rule share it.
std::string CanonicalKey(const Candidate& c) {
  const uint32_t used = LeafMask(c.source) | LeafMask(c.target);
  bool reshapes = false;
  for (const GraphRecord* g : {&c.source, &c.target})
    for (int i = 0; i < g->num_ops; ++i) reshapes = reshapes || g->ops[i].tmpl == internal::kReshape;
  std::map<int, std::vector<int>> groups;  // rename class -> used leaves
  for (int l = 0; l < NumLeaves(); ++l)
    if (used & (1u << l)) groups[RenameClass(l)].push_back(l);
  std::vector<std::vector<int>*> order;
  for (auto& [cls, leaves] : groups) order.push_back(&leaves);
  std::vector<std::string> labels = PoolNames();
  std::string best;
  bool first = true;
  // Iterates the product of the permutations of every group.
  std::function<void(size_t)> assign = [&](size_t g) {
    if (g == order.size()) {
      std::string key = RuleString(c, labels);
      // The conditions tell leaves of equal shape apart (same_shape), and
      // with a Reshape the exact shapes.
      std::vector<std::string> shapes;
      for (int l = 0; l < NumLeaves(); ++l) {
        if (!(used & (1u << l))) continue;
        std::string group = labels[static_cast<size_t>(l)];  // the least label of equal shape
        for (int m = 0; m < NumLeaves(); ++m)
          if ((used & (1u << m)) && LeafClass(m) == LeafClass(l))
            group = std::min(group, labels[static_cast<size_t>(m)]);
        shapes.push_back(absl::StrCat(labels[static_cast<size_t>(l)], "~", group,
                                      reshapes ? IntList(LeafPool()[static_cast<size_t>(l)].dims) : ""));
      }
      std::sort(shapes.begin(), shapes.end());
      absl::StrAppend(&key, " | ", absl::StrJoin(shapes, " "));
      if (first || key < best) best = std::move(key);
      first = false;
      return;
    }
    std::vector<int> perm = *order[g];
    std::sort(perm.begin(), perm.end());
    do {
      for (size_t i = 0; i < perm.size(); ++i)
        labels[static_cast<size_t>(perm[i])] = absl::StrCat("L", RenameClass(perm[i]), "_", i);
      assign(g + 1);
    } while (std::next_permutation(perm.begin(), perm.end()));
  };
  assign(0);
  return best;
}

// ---- rules ----

// The rule table text of a candidate, named `name`.
std::string RuleText(const Candidate& c, const std::string& name, int* num_conditions = nullptr) {
  const std::vector<Leaf>& pool = LeafPool();
  const std::vector<std::string> names = PoolNames();
  std::vector<std::string> var(names.begin(), names.end());
  std::string body;
  std::vector<int> leaf_order;  // leaves in order of first use by the source
  auto use = [&](int v) {
    if (v >= 0 && v < NumLeaves() && std::find(leaf_order.begin(), leaf_order.end(), v) == leaf_order.end())
      leaf_order.push_back(v);
  };
  bool reshapes = false;
  auto node = [&](const OpRecord& op, const std::vector<std::string>& v, const std::vector<std::string>& outs) {
    std::vector<std::string> args = {absl::StrCat("%", v[op.a])};
    if (op.b >= 0) args.push_back(absl::StrCat("%", v[static_cast<size_t>(op.b)]));
    if (op.tmpl == internal::kBatchNorm)
      for (int p : internal::BatchNormParamLeaves()) args.push_back(absl::StrCat("%", v[static_cast<size_t>(p)]));
    reshapes = reshapes || op.tmpl == internal::kReshape;
    std::vector<std::string> out_vars;
    for (const std::string& o : outs) out_vars.push_back(absl::StrCat("%", o));
    return absl::StrCat(absl::StrJoin(out_vars, ", "), " = ", Info(op.tmpl).op, "(", absl::StrJoin(args, ", "), ")",
                        internal::AttributeText(op.tmpl));
  };

  // Source: outputs named t0, t1, ... in value order.
  std::vector<std::string> source_var = var;
  int next = NumLeaves();
  for (int i = 0; i < c.source.num_ops; ++i) {
    const OpRecord& op = c.source.ops[i];
    use(op.a);
    use(op.b);
    if (op.tmpl == internal::kBatchNorm)
      for (int p : internal::BatchNormParamLeaves()) use(p);
    std::vector<std::string> outs;
    for (int k = 0; k < Info(op.tmpl).outputs; ++k) {
      outs.push_back(absl::StrCat("t", next - NumLeaves()));
      source_var.push_back(outs.back());
      ++next;
    }
    absl::StrAppend(&body, "  source ", node(op, source_var, outs), "\n");
  }
  const int source_values = next - NumLeaves();

  // Target: outputs that are source roots take the root's name.
  const std::vector<int> so = RecordOutputs(c.source), to = RecordOutputs(c.target);
  std::map<int, std::string> root_name;  // target value -> source root variable
  for (size_t k = 0; k < so.size(); ++k)
    root_name[to[static_cast<size_t>(c.target_output[k])]] = source_var[static_cast<size_t>(so[k])];
  std::vector<std::string> target_var = var;
  next = NumLeaves();
  std::string target_body;
  for (int i = 0; i < c.target.num_ops; ++i) {
    const OpRecord& op = c.target.ops[i];
    std::vector<std::string> outs;
    for (int k = 0; k < Info(op.tmpl).outputs; ++k) {
      auto root = root_name.find(next);
      outs.push_back(root != root_name.end() ? root->second : absl::StrCat("t", source_values + next - NumLeaves()));
      target_var.push_back(outs.back());
      ++next;
    }
    absl::StrAppend(&target_body, "  target ", node(op, target_var, outs), "\n");
  }

  // Conditions.
  std::vector<std::string> conditions;
  std::map<int, int> first_of_class;
  for (int l : leaf_order) {
    const Leaf& leaf = pool[static_cast<size_t>(l)];
    const std::string v = absl::StrCat("%", var[static_cast<size_t>(l)]);
    if (!leaf.is_float()) {
      conditions.push_back(absl::StrCat("const(", v, ")"));
      conditions.push_back(absl::StrCat("eq(", v, ", ", IntList(leaf.ints), ")"));
      continue;
    }
    conditions.push_back(absl::StrCat("rank(", v, ", ", leaf.dims.size(), ")"));
    auto [it, inserted] = first_of_class.emplace(LeafClass(l), l);
    if (!inserted)
      conditions.push_back(absl::StrCat("same_shape(%", var[static_cast<size_t>(it->second)], ", ", v, ")"));
    if (leaf.kernel > 0) {
      conditions.push_back(absl::StrCat("eq(dim(", v, ", 2), ", leaf.kernel, ")"));
      conditions.push_back(absl::StrCat("eq(dim(", v, ", 3), ", leaf.kernel, ")"));
    }
    // Reshape's shape constant is only right for the sizes the rule was found at.
    if (reshapes) conditions.push_back(absl::StrCat("eq(shape_of(", v, "), ", IntList(leaf.dims), ")"));
  }

  if (num_conditions) *num_conditions = static_cast<int>(conditions.size());
  const std::vector<std::string> se = Expressions(c.source, names, false);
  const std::vector<std::string> te = Expressions(c.target, names, false);
  std::vector<std::string> source_exprs, target_exprs;
  for (size_t k = 0; k < so.size(); ++k) {
    source_exprs.push_back(se[static_cast<size_t>(so[k])]);
    target_exprs.push_back(te[static_cast<size_t>(to[static_cast<size_t>(c.target_output[k])])]);
  }
  auto side = [](const std::vector<std::string>& e) {
    return e.size() == 1 ? e[0] : absl::StrCat("{", absl::StrJoin(e, ", "), "}");
  };
  std::string text =
      absl::StrCat("# ", name, ": found by enumeration: ", side(source_exprs), " == ", side(target_exprs), "\nrule ",
                   name, "\n  provenance origin=generated proof=none\n", body);
  for (const std::string& condition : conditions) absl::StrAppend(&text, "  where ", condition, "\n");
  absl::StrAppend(&text, target_body);
  return text;
}

// ---- graphs for the implied-rule check ----

ir::Graph BuildGraph(const GraphRecord& g, uint32_t leaves, const std::vector<int>& output_order) {
  const std::vector<Leaf>& pool = LeafPool();
  ir::Graph graph;
  std::vector<ir::ValueId> id(static_cast<size_t>(NumLeaves()), ir::kNoValue);
  for (int l = 0; l < NumLeaves(); ++l) {
    if (!(leaves & (1u << l))) continue;
    const Leaf& leaf = pool[static_cast<size_t>(l)];
    id[static_cast<size_t>(l)] =
        leaf.is_float()
            ? graph.AddInput(leaf.name, ir::TensorType{ir::DType::kFloat32, ir::Shape::FromStatic(leaf.dims)})
            : graph.AddInitializer(leaf.name, ir::Tensor::FromVector<int64_t>(leaf.dims, leaf.ints));
  }
  for (int i = 0; i < g.num_ops; ++i) {
    const OpRecord& op = g.ops[i];
    if (op.tmpl == internal::kIdentity) {
      id.push_back(id[op.a]);  // the graph returns the leaf itself
      continue;
    }
    std::vector<ir::ValueId> inputs = {id[op.a]};
    if (op.b >= 0) inputs.push_back(id[static_cast<size_t>(op.b)]);
    if (op.tmpl == internal::kBatchNorm)
      for (int p : internal::BatchNormParamLeaves()) inputs.push_back(id[static_cast<size_t>(p)]);
    std::vector<std::string> names;
    for (int k = 0; k < Info(op.tmpl).outputs; ++k)
      names.push_back(absl::StrCat("v", id.size() + static_cast<size_t>(k)));
    const ir::NodeId node = graph.AddNode(Info(op.tmpl).op, inputs, names, internal::Attributes(op.tmpl));
    for (ir::ValueId out : graph.node(node).outputs) id.push_back(out);
  }
  std::vector<ir::ValueId> outputs;
  for (int v : output_order) outputs.push_back(id[static_cast<size_t>(v)]);
  graph.SetOutputs(outputs);
  (void)ir::InferShapes(graph, /*strict=*/false);
  return graph;
}

// Identity nodes become aliases, so a rewritten graph compares equal to one
// built without them.
void DropIdentities(ir::Graph& graph) {
  for (ir::NodeId n : graph.LiveNodes()) {
    const ir::Node& node = graph.node(n);
    if (node.op_type != "Identity") continue;
    const ir::ValueId in = node.inputs[0], out = node.outputs[0];
    graph.ReplaceAllUsesWith(out, in);
    graph.RemoveNode(n);
  }
  graph.Compact();
}

// The graphs one rewrite by a rule with index < `usable` gives.
std::vector<ir::Graph> OneStepRewrites(const RuleSet& rules, int usable, const ir::Graph& graph) {
  std::vector<ir::Graph> results;
  for (const Match& match : rules.FindMatches(graph)) {
    if (match.rule >= usable) continue;
    absl::StatusOr<ir::Graph> rewritten = rules.Apply(match, graph);
    if (!rewritten.ok()) continue;
    DropIdentities(*rewritten);
    results.push_back(std::move(*rewritten));
  }
  return results;
}

bool AnyEqual(const std::vector<ir::Graph>& a, const std::vector<ir::Graph>& b) {
  for (const ir::Graph& x : a)
    for (const ir::Graph& y : b)
      if (ir::StructuralHash(x) == ir::StructuralHash(y) && ir::StructurallyEqual(x, y)) return true;
  return false;
}

struct PrunedCandidate {
  Candidate candidate;
  std::string key;     // canonical under renaming
  std::string text;    // with the pool's leaf names: a deterministic tie-break
  int conditions = 0;  // a measure of how special the rule is
  rules::Rule rule;
  bool accepted = false;
  std::string reason;
};

}  // namespace

std::vector<std::string> OpTemplateNames() {
  std::vector<std::string> names;
  for (int t = 0; t < internal::kNumTemplates; ++t) names.push_back(Info(t).name);
  return names;
}

std::string GeneratorStats::Summary() const {
  std::string text = absl::StrFormat(
      "max ops %d, %d threads\n"
      "graphs enumerated        %d (%.1fs)\n"
      "fingerprint classes      %d\n"
      "candidates               %d (%.1fs)\n"
      "  after trivial          %d\n"
      "  after renaming         %d\n"
      "  after common subgraph  %d\n"
      "  implied by smaller     %d (%.1fs)\n"
      "verified                 %d, rejected %d (%.1fs)\n",
      max_ops, threads, graphs_enumerated, enumerate_seconds, fingerprint_classes, candidates, candidates_seconds,
      after_trivial, after_renaming, after_common_subgraph, implied, implied_seconds, verified, rejected,
      verify_seconds);
  for (const auto& [reason, count] : rejected_by_reason)
    absl::StrAppend(&text, "  rejected: ", reason, ": ", count, "\n");
  absl::StrAppend(&text, absl::StrFormat("rules emitted            %d\ntotal                    %.1fs\n", after_implied,
                                         total_seconds));
  return text;
}

absl::StatusOr<GeneratedRules> GenerateRules(const GeneratorOptions& options) {
  const Clock::time_point start = Clock::now();
  if (options.max_ops < 1 || options.max_ops > kMaxOpsLimit)
    return absl::InvalidArgumentError(absl::StrCat("max_ops must be 1..", kMaxOpsLimit, ", got ", options.max_ops));
  Setup setup;
  setup.max_ops = options.max_ops;
  const std::vector<std::string> all = OpTemplateNames();
  if (options.ops.empty()) {
    for (int t = 0; t < internal::kNumTemplates; ++t) setup.templates.push_back(t);
  } else {
    for (const std::string& name : options.ops) {
      auto it = std::find(all.begin(), all.end(), name);
      if (it == all.end())
        return absl::InvalidArgumentError(
            absl::StrCat("unknown op template '", name, "'; known: ", absl::StrJoin(all, ", ")));
      setup.templates.push_back(static_cast<int>(it - all.begin()));
    }
    std::sort(setup.templates.begin(), setup.templates.end());
    setup.templates.erase(std::unique(setup.templates.begin(), setup.templates.end()), setup.templates.end());
  }
  setup.leaves = internal::MakeLeafValues(options.seed);
  const std::vector<Value> confirm_leaves = internal::MakeLeafValues(Mix(options.seed) ^ 0xc0ffee);
  const int threads =
      options.threads > 0 ? options.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  GeneratedRules result;
  GeneratorStats& stats = result.stats;
  stats.threads = threads;
  stats.max_ops = options.max_ops;

  // ---- 1. enumerate and fingerprint ----
  std::vector<GraphRecord> records;
  {
    struct First {
      int t, a, b;
    };
    std::vector<First> firsts;
    std::vector<GraphRecord> unused;
    Enumerator root(setup, &unused);
    root.ForEachCandidate([&](int t, int a, int b) { firsts.push_back({t, a, b}); });
    std::vector<std::vector<GraphRecord>> per_worker(static_cast<size_t>(threads));
    std::vector<std::unique_ptr<Enumerator>> enumerators;
    for (int w = 0; w < threads; ++w)
      enumerators.push_back(std::make_unique<Enumerator>(setup, &per_worker[static_cast<size_t>(w)]));
    ParallelFor(
        static_cast<int64_t>(firsts.size()), threads,
        [&](int64_t i, int w) {
          const First& f = firsts[static_cast<size_t>(i)];
          enumerators[static_cast<size_t>(w)]->TryAdd(f.t, f.a, f.b);
        },
        options, "enumerate");
    for (std::vector<GraphRecord>& part : per_worker) {
      records.insert(records.end(), part.begin(), part.end());
      std::vector<GraphRecord>().swap(part);
    }
    // Graphs that return one or two leaves unchanged: targets such as
    // Transpose(Transpose(a)) -> a and Split(Concat(a, b)) -> {a, b}.
    std::vector<int> tensors;
    for (int l = 0; l < NumLeaves(); ++l)
      if (LeafPool()[static_cast<size_t>(l)].kind == LeafKind::kTensor) tensors.push_back(l);
    for (size_t i = 0; i < tensors.size(); ++i)
      for (size_t j = i; j < tensors.size(); ++j) {
        GraphRecord g;
        g.ops[0] = {internal::kIdentity, static_cast<uint8_t>(tensors[i]), -1};
        g.num_ops = 1;
        if (j != i) {
          g.ops[1] = {internal::kIdentity, static_cast<uint8_t>(tensors[j]), -1};
          g.num_ops = 2;
        }
        Evaluation values(setup.leaves);
        EvaluateRecord(g, values);
        g.key = GraphKey(values, RecordOutputs(g), nullptr);
        records.push_back(g);
      }
  }
  stats.graphs_enumerated = static_cast<int64_t>(records.size());
  stats.enumerate_seconds = SecondsSince(start);

  // ---- 2. classes -> confirmed candidates ----
  const Clock::time_point candidates_start = Clock::now();
  std::sort(records.begin(), records.end(), [](const GraphRecord& x, const GraphRecord& y) { return x.key < y.key; });
  std::vector<std::pair<size_t, size_t>> classes;
  for (size_t i = 0; i < records.size();) {
    size_t j = i + 1;
    while (j < records.size() && records[j].key == records[i].key) ++j;
    if (j - i >= 2) classes.emplace_back(i, j);
    i = j;
  }
  stats.fingerprint_classes = static_cast<int64_t>(classes.size());
  std::vector<std::vector<Candidate>> found(static_cast<size_t>(threads));
  const std::vector<std::string> pool_names = PoolNames();
  ParallelFor(
      static_cast<int64_t>(classes.size()), threads,
      [&](int64_t ci, int w) {
        const auto [begin, end] = classes[static_cast<size_t>(ci)];
        const bool exact = records[begin].key & 1;
        struct Member {
          const GraphRecord* record;
          int compute;  // ops that compute (data movement is free)
          int size;
          uint32_t leaves;
          std::string text;
          std::vector<uint64_t> prints;  // per output, RecordOutputs order
        };
        std::vector<Member> members;
        for (size_t i = begin; i < end; ++i) {
          Member m{&records[i], ComputeOps(records[i]), Size(records[i]), LeafMask(records[i]), "", {}};
          Evaluation values(setup.leaves);
          EvaluateRecord(records[i], values);
          GraphKey(values, RecordOutputs(records[i]), &m.prints);
          const std::vector<std::string> expr = Expressions(records[i], pool_names, true);
          std::vector<std::string> outs;
          for (int v : RecordOutputs(records[i])) outs.push_back(expr[static_cast<size_t>(v)]);
          m.text = absl::StrJoin(outs, "; ");
          members.push_back(std::move(m));
        }
        std::sort(members.begin(), members.end(), [](const Member& x, const Member& y) {
          return std::tie(x.compute, x.size, x.text) < std::tie(y.compute, y.size, y.text);
        });
        for (size_t s = 0; s < members.size(); ++s) {
          if (members[s].size == 0) continue;
          int tries = 0;
          for (size_t t = 0; t < s && tries < kMaxConfirmTries; ++t) {
            if ((members[t].leaves & ~members[s].leaves) != 0) continue;
            if (members[t].prints.size() != members[s].prints.size()) continue;
            // Pair each source output with an unused target output of equal fingerprint.
            std::vector<int> mapping;
            std::vector<bool> taken(members[t].prints.size(), false);
            for (uint64_t p : members[s].prints) {
              int found_at = -1;
              for (size_t k = 0; k < taken.size() && found_at < 0; ++k)
                if (!taken[k] && members[t].prints[k] == p) found_at = static_cast<int>(k);
              if (found_at < 0) break;
              taken[static_cast<size_t>(found_at)] = true;
              mapping.push_back(found_at);
            }
            if (mapping.size() != members[s].prints.size()) continue;
            ++tries;
            if (!exact) {
              // A float fingerprint is a hash of rounded values: confirm on a
              // second input set with a relative tolerance.
              Evaluation sv(confirm_leaves), tv(confirm_leaves);
              if (!EvaluateRecord(*members[s].record, sv) || !EvaluateRecord(*members[t].record, tv)) continue;
              const std::vector<int> so = RecordOutputs(*members[s].record), to = RecordOutputs(*members[t].record);
              bool equal = true;
              for (size_t k = 0; k < so.size() && equal; ++k) {
                const Value& x = sv[so[k]];
                const Value& y = tv[to[static_cast<size_t>(mapping[k])]];
                equal = x.dims == y.dims;
                for (size_t e = 0; e < x.real.size() && equal; ++e)
                  equal = std::fabs(x.real[e] - y.real[e]) <=
                          kRelativeTolerance * (1.0 + std::max(std::fabs(x.real[e]), std::fabs(y.real[e])));
              }
              if (!equal) continue;
            }
            found[static_cast<size_t>(w)].push_back({*members[s].record, *members[t].record, mapping});
            break;
          }
        }
      },
      options, "group");
  std::vector<PrunedCandidate> candidates;
  for (std::vector<Candidate>& part : found)
    for (Candidate& c : part) candidates.push_back({std::move(c), "", {}, false, ""});
  std::vector<GraphRecord>().swap(records);
  stats.candidates = static_cast<int64_t>(candidates.size());

  // Trivial rules and canonical keys.
  std::vector<bool> trivial(candidates.size(), false);
  ParallelFor(
      static_cast<int64_t>(candidates.size()), threads,
      [&](int64_t i, int) {
        PrunedCandidate& c = candidates[static_cast<size_t>(i)];
        trivial[static_cast<size_t>(i)] = [&] {
          const std::vector<std::string> s = Expressions(c.candidate.source, pool_names, true);
          const std::vector<std::string> t = Expressions(c.candidate.target, pool_names, true);
          const std::vector<int> so = RecordOutputs(c.candidate.source), to = RecordOutputs(c.candidate.target);
          for (size_t k = 0; k < so.size(); ++k)
            if (s[static_cast<size_t>(so[k])] !=
                t[static_cast<size_t>(to[static_cast<size_t>(c.candidate.target_output[k])])])
              return false;
          return true;
        }();
        if (!trivial[static_cast<size_t>(i)]) {
          c.key = CanonicalKey(c.candidate);
          c.text = RuleString(c.candidate, pool_names);
        }
      },
      options, "canonicalize");
  {
    std::vector<PrunedCandidate> kept;
    for (size_t i = 0; i < candidates.size(); ++i)
      if (!trivial[i]) kept.push_back(std::move(candidates[i]));
    candidates = std::move(kept);
  }
  stats.after_trivial = static_cast<int64_t>(candidates.size());
  // Renamings: of the candidates sharing a canonical key, the one with the
  // fewest conditions stays (the key ignores kernel sizes, so a rule found on
  // 1x1 kernels goes when the same rule holds for any tensor of that rank).
  ParallelFor(
      static_cast<int64_t>(candidates.size()), threads,
      [&](int64_t i, int) {
        PrunedCandidate& c = candidates[static_cast<size_t>(i)];
        RuleText(c.candidate, "gen", &c.conditions);
      },
      options, "conditions");
  std::sort(candidates.begin(), candidates.end(), [](const PrunedCandidate& x, const PrunedCandidate& y) {
    const int xs = Size(x.candidate.source), ys = Size(y.candidate.source);
    return std::tie(xs, x.key, x.conditions, x.text) < std::tie(ys, y.key, y.conditions, y.text);
  });
  candidates.erase(std::unique(candidates.begin(), candidates.end(),
                               [](const PrunedCandidate& x, const PrunedCandidate& y) { return x.key == y.key; }),
                   candidates.end());
  stats.after_renaming = static_cast<int64_t>(candidates.size());
  {
    std::vector<PrunedCandidate> kept;
    for (PrunedCandidate& c : candidates) {
      const std::set<std::string> source_ops = OpExpressions(c.candidate.source);
      bool shared = false;
      for (const std::string& op : OpExpressions(c.candidate.target)) shared = shared || source_ops.count(op) > 0;
      if (!shared) kept.push_back(std::move(c));
    }
    candidates = std::move(kept);
  }
  stats.after_common_subgraph = static_cast<int64_t>(candidates.size());
  // Smaller sources first, then the more general: the order rules are named,
  // verified and checked for implication in.
  std::stable_sort(candidates.begin(), candidates.end(), [](const PrunedCandidate& x, const PrunedCandidate& y) {
    const int xs = Size(x.candidate.source), ys = Size(y.candidate.source);
    return std::tie(xs, x.conditions) < std::tie(ys, y.conditions);
  });
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string name = absl::StrFormat("gen-%04d", i + 1);
    const std::string text = RuleText(candidates[i].candidate, name);
    absl::StatusOr<rules::RuleTable> parsed = rules::ParseRuleTable(text, name);
    if (!parsed.ok() || parsed->rules.size() != 1)
      return absl::InternalError(
          absl::StrCat("generated rule does not parse: ", parsed.status().message(), "\n", text));
    candidates[i].rule = std::move(parsed->rules[0]);
    candidates[i].rule.provenance.origin = rules::Origin::kGenerated;
  }
  stats.candidates_seconds = SecondsSince(candidates_start);

  // ---- 3. by source size: drop rules implied by smaller accepted ones, verify the rest ----
  // A rule is implied when accepted rules of smaller sources rewrite its
  // source into its target in one or two steps, or rewrite both sides to one
  // graph. Checking this before verifying is sound (only accepted rules
  // imply) and spares the prover the rules it would prove for nothing.
  rules::RuleTable accepted;
  size_t level_begin = 0;
  while (level_begin < candidates.size()) {
    const int size = Size(candidates[level_begin].candidate.source);
    size_t level_end = level_begin;
    while (level_end < candidates.size() && Size(candidates[level_end].candidate.source) == size) ++level_end;
    const int64_t level_size = static_cast<int64_t>(level_end - level_begin);
    std::vector<char> implied(static_cast<size_t>(level_size), 0);

    const Clock::time_point implied_start = Clock::now();
    if (!accepted.rules.empty()) {
      absl::StatusOr<RuleSet> rule_set = RuleSet::Create(accepted, ir::OpRegistry::Global(), "<generated>");
      if (!rule_set.ok()) return absl::InternalError(absl::StrCat("generated rules: ", rule_set.status().message()));
      const int usable = rule_set->size();
      ParallelFor(
          level_size, threads,
          [&](int64_t i, int) {
            const Candidate& c = candidates[level_begin + static_cast<size_t>(i)].candidate;
            const uint32_t leaves = LeafMask(c.source);
            const std::vector<int> so = RecordOutputs(c.source), to = RecordOutputs(c.target);
            std::vector<int> target_order;
            for (size_t k = 0; k < so.size(); ++k) target_order.push_back(to[static_cast<size_t>(c.target_output[k])]);
            ir::Graph source = BuildGraph(c.source, leaves, so);
            ir::Graph target = BuildGraph(c.target, leaves, target_order);
            DropIdentities(target);
            std::vector<ir::Graph> from_source = OneStepRewrites(*rule_set, usable, source);
            std::vector<ir::Graph> targets = OneStepRewrites(*rule_set, usable, target);
            targets.push_back(std::move(target));
            bool found = AnyEqual(from_source, targets);
            for (size_t g = 0; g < from_source.size() && !found; ++g)
              found = AnyEqual(OneStepRewrites(*rule_set, usable, from_source[g]), targets);
            implied[static_cast<size_t>(i)] = found;
          },
          options, "implied");
    }
    stats.implied_seconds += SecondsSince(implied_start);

    const Clock::time_point verify_start = Clock::now();
    ParallelFor(
        level_size, threads,
        [&](int64_t i, int) {
          if (implied[static_cast<size_t>(i)]) return;
          PrunedCandidate& c = candidates[level_begin + static_cast<size_t>(i)];
          if (!options.verify) {
            c.accepted = true;
            return;
          }
          Verdict verdict = options.verify(c.rule);
          c.accepted = verdict.accepted;
          c.reason = verdict.reason.empty() ? "no reason given" : verdict.reason;
          c.rule.provenance = verdict.provenance;
          c.rule.provenance.origin = rules::Origin::kGenerated;
        },
        options, "verify");
    stats.verify_seconds += SecondsSince(verify_start);

    for (size_t i = level_begin; i < level_end; ++i) {
      PrunedCandidate& c = candidates[i];
      if (implied[i - level_begin]) {
        ++stats.implied;
      } else if (c.accepted) {
        ++stats.verified;
        accepted.rules.push_back(c.rule);
      } else {
        ++stats.rejected;
        ++stats.rejected_by_reason[c.reason];
      }
    }
    level_begin = level_end;
  }
  result.table = std::move(accepted);
  absl::Status valid = rules::ValidateRuleTable(result.table, ir::OpRegistry::Global(), "<generated>");
  if (!valid.ok()) return absl::InternalError(absl::StrCat("generated rules do not validate: ", valid.message()));
  stats.after_implied = static_cast<int64_t>(result.table.rules.size());
  for (size_t i = 0; i < result.table.rules.size(); ++i)
    result.table.rules[i].name = absl::StrFormat("gen-%04d", i + 1);
  stats.total_seconds = SecondsSince(start);
  return result;
}

}  // namespace gsopt::rewrites::generator
