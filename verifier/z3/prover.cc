// The rule encoder (rule-table patterns -> terms over uninterpreted tensors),
// the axiom encoder (axiom file -> quantified Z3 formulas with E-matching
// patterns), the shape-generic proof, the element-wise fallback and the
// element-wise axiom check.
#include "verifier/z3/prover.h"

#include <z3++.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "verifier/random/rule_instance.h"
#include "verifier/z3/symbolic_eval.h"

namespace gsopt::verifier::z3prover {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxQuantifierInstances = 20000;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

unsigned TimeoutMilliseconds(double seconds) {
  double ms = seconds * 1000.0;
  if (ms < 1) return 1;
  if (ms > 4e9) return 4000000000u;
  return static_cast<unsigned>(ms);
}

// With quantifiers (the axiom proof) the plain SMT kernel: the default
// solver's preprocessing of quantified formulas can run on past both the time
// limit and an interrupt. Without them (element-wise checks) the default
// solver, whose nonlinear-arithmetic tactics the products and quotients need.
enum class SolverKind { kQuantified, kQuantifierFree };

z3::solver MakeSolver(z3::context& ctx, double timeout_seconds, SolverKind kind) {
  z3::solver solver = kind == SolverKind::kQuantified ? z3::solver(ctx, z3::solver::simple()) : z3::solver(ctx);
  z3::params params(ctx);
  params.set("timeout", TimeoutMilliseconds(timeout_seconds));
  solver.set(params);
  return solver;
}

// Interrupts the context's solver at the deadline: Z3's own "timeout"
// parameter is not honoured everywhere (quantifier instantiation can run past
// it), and a proof must never be waited on forever.
class Watchdog {
 public:
  Watchdog(z3::context& ctx, double seconds) : ctx_(ctx) {
    thread_ = std::thread([this, seconds] {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!done_condition_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; })) {
        ctx_.interrupt();
      }
    });
  }
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_condition_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  z3::context& ctx_;
  std::mutex mutex_;
  std::condition_variable done_condition_;
  bool done_ = false;
  std::thread thread_;
};

std::string UnknownReason(z3::solver& solver, double timeout_seconds, double elapsed) {
  std::string reason = solver.reason_unknown();
  if (reason == "timeout" || reason == "canceled" || elapsed >= timeout_seconds) {
    return absl::StrCat("timeout after ", timeout_seconds, " s");
  }
  return absl::StrCat("Z3 gave up: ", reason);
}

// The Z3 vocabulary of one proof: sorts, the function symbols of the axiom
// language, `shape` and its per-symbol shape functions.
class Vocabulary {
 public:
  explicit Vocabulary(z3::context& ctx)
      : ctx_(ctx),
        tensor_sort_(ctx.uninterpreted_sort("Tensor")),
        shape_sort_(ctx.uninterpreted_sort("Shape")),
        dims_sort_(ctx.uninterpreted_sort("Dims")),
        shape_(ctx.function("shape", tensor_sort_, shape_sort_)),
        scalar_shape_(ctx.constant("scalar_shape", shape_sort_)) {
    for (const FunctionSymbol& symbol : AllFunctionSymbols()) {
      z3::sort_vector domain(ctx), shape_domain(ctx);
      for (ArgKind kind : symbol.args) {
        domain.push_back(SortOf(kind));
        shape_domain.push_back(kind == ArgKind::kTensor ? shape_sort_ : SortOf(kind));
      }
      std::string name(symbol.name);
      functions_.emplace(name, ctx.function(name.c_str(), domain, tensor_sort_));
      shape_functions_.emplace(name, ctx.function(absl::StrCat(name, "_shape").c_str(), shape_domain, shape_sort_));
    }
  }

  z3::context& ctx() { return ctx_; }
  z3::sort SortOf(ArgKind kind) {
    return kind == ArgKind::kTensor ? tensor_sort_ : kind == ArgKind::kInt ? ctx_.int_sort() : dims_sort_;
  }
  const z3::sort& tensor_sort() const { return tensor_sort_; }
  z3::expr Shape(const z3::expr& tensor) { return shape_(tensor); }
  const z3::expr& scalar_shape() const { return scalar_shape_; }
  z3::expr Apply(const std::string& name, const z3::expr_vector& args) { return functions_.at(name)(args); }
  // One constant per distinct literal; distinct literals are not asserted
  // distinct, which only weakens what can be proved.
  z3::expr DimsLiteral(const std::vector<int64_t>& dims) {
    auto it = dims_literals_.find(dims);
    if (it == dims_literals_.end()) {
      it = dims_literals_
               .emplace(dims, ctx_.constant(absl::StrCat("dims[", absl::StrJoin(dims, ","), "]").c_str(), dims_sort_))
               .first;
    }
    return it->second;
  }

  // shape(f(p, t)) == f_shape(p, shape(t)) for every symbol: an op's output
  // shape depends only on its parameters and its inputs' shapes.
  void AddShapeCongruence(z3::solver& solver) {
    for (const FunctionSymbol& symbol : AllFunctionSymbols()) {
      std::string name(symbol.name);
      z3::expr_vector bound(ctx_), args(ctx_), shape_args(ctx_);
      for (size_t i = 0; i < symbol.args.size(); ++i) {
        z3::expr variable = ctx_.constant(absl::StrCat("v", i).c_str(), SortOf(symbol.args[i]));
        bound.push_back(variable);
        args.push_back(variable);
        shape_args.push_back(symbol.args[i] == ArgKind::kTensor ? Shape(variable) : variable);
      }
      z3::expr application = functions_.at(name)(args);
      z3::expr body = Shape(application) == shape_functions_.at(name)(shape_args);
      solver.add(Quantify(bound, {application}, body));
    }
  }

  // forall bound. body, triggered by any one of `triggers`.
  z3::expr Quantify(const z3::expr_vector& bound, const std::vector<z3::expr>& triggers, const z3::expr& body) {
    if (bound.empty()) return body;
    std::vector<Z3_app> bound_apps;
    for (unsigned i = 0; i < bound.size(); ++i)
      bound_apps.push_back(reinterpret_cast<Z3_app>(static_cast<Z3_ast>(bound[i])));
    // The C API returns unreferenced ASTs; z3::ast holds a reference so a
    // pattern survives the next call.
    std::vector<z3::ast> held_patterns;
    std::vector<Z3_pattern> patterns;
    for (const z3::expr& trigger : triggers) {
      Z3_ast term = trigger;
      Z3_pattern pattern = Z3_mk_pattern(ctx_, 1, &term);
      ctx_.check_error();
      held_patterns.emplace_back(ctx_, reinterpret_cast<Z3_ast>(pattern));
      patterns.push_back(pattern);
    }
    Z3_ast quantifier = Z3_mk_forall_const(ctx_, 0, static_cast<unsigned>(bound_apps.size()), bound_apps.data(),
                                           static_cast<unsigned>(patterns.size()), patterns.data(), body);
    ctx_.check_error();
    return z3::expr(ctx_, quantifier);
  }

 private:
  z3::context& ctx_;
  z3::sort tensor_sort_;
  z3::sort shape_sort_;
  z3::sort dims_sort_;
  z3::func_decl shape_;
  z3::expr scalar_shape_;
  std::map<std::string, z3::func_decl> functions_;
  std::map<std::string, z3::func_decl> shape_functions_;
  std::map<std::vector<int64_t>, z3::expr> dims_literals_;
};

// ---- axioms -> Z3 ----

void CollectVariables(const AxiomTerm& term, std::set<std::string>& out) {
  if (term.kind == AxiomTerm::Kind::kVariable) out.insert(term.name);
  for (const AxiomTerm& arg : term.args) CollectVariables(arg, out);
}

z3::expr EncodeAxiomTerm(const AxiomTerm& term, const std::map<std::string, z3::expr>& bound, Vocabulary& vocabulary) {
  switch (term.kind) {
    case AxiomTerm::Kind::kVariable:
      return bound.at(term.name);
    case AxiomTerm::Kind::kInt:
      return vocabulary.ctx().int_val(static_cast<int64_t>(term.int_value));
    case AxiomTerm::Kind::kInts:
      return vocabulary.DimsLiteral(term.ints_value);
    case AxiomTerm::Kind::kCall: {
      z3::expr_vector args(vocabulary.ctx());
      for (const AxiomTerm& arg : term.args) args.push_back(EncodeAxiomTerm(arg, bound, vocabulary));
      return vocabulary.Apply(term.name, args);
    }
  }
  return vocabulary.ctx().bool_val(true);
}

z3::expr EncodeAxiom(const Axiom& axiom, Vocabulary& vocabulary) {
  z3::context& ctx = vocabulary.ctx();
  std::map<std::string, z3::expr> bound;
  z3::expr_vector bound_vector(ctx);
  for (const auto& [name, kind] : axiom.variables) {
    z3::expr variable = ctx.constant(name.c_str(), vocabulary.SortOf(kind));
    bound.emplace(name, variable);
    bound_vector.push_back(variable);
  }
  z3::expr lhs = EncodeAxiomTerm(axiom.lhs, bound, vocabulary);
  z3::expr rhs = EncodeAxiomTerm(axiom.rhs, bound, vocabulary);
  z3::expr body = axiom.is_shape_axiom ? vocabulary.Shape(lhs) == vocabulary.Shape(rhs) : lhs == rhs;
  z3::expr_vector conditions(ctx);
  for (const AxiomCondition& condition : axiom.conditions) {
    if (condition.predicate == "same_shape") {
      conditions.push_back(vocabulary.Shape(bound.at(condition.variables[0])) ==
                           vocabulary.Shape(bound.at(condition.variables[1])));
    } else if (condition.predicate == "scalar") {
      conditions.push_back(vocabulary.Shape(bound.at(condition.variables[0])) == vocabulary.scalar_shape());
    }
  }
  if (!conditions.empty()) body = z3::implies(z3::mk_and(conditions), body);
  // Trigger on either side that mentions every variable, so the axiom fires
  // whichever side the rule's terms contain.
  std::vector<z3::expr> triggers;
  for (const auto& [side, encoded] : {std::pair{&axiom.lhs, lhs}, std::pair{&axiom.rhs, rhs}}) {
    std::set<std::string> variables;
    CollectVariables(*side, variables);
    if (side->kind == AxiomTerm::Kind::kCall && variables.size() == axiom.variables.size()) {
      triggers.push_back(encoded);
    }
  }
  return vocabulary.Quantify(bound_vector, triggers, body);
}

// ---- rules -> Z3 ----

// A rule variable: a tensor term, or an integer literal list (a constant
// int64 leaf pinned by eq(...) or a let).
using Encoded = std::variant<z3::expr, std::vector<int64_t>>;

std::optional<std::vector<int64_t>> IntsOfLiteral(const rules::Literal& literal) {
  if (const auto* list = std::get_if<std::vector<int64_t>>(&literal)) return *list;
  if (const auto* value = std::get_if<int64_t>(&literal)) return std::vector<int64_t>{*value};
  return std::nullopt;
}

std::optional<std::vector<int64_t>> IntsOfExpr(const rules::ConstExpr& expr) {
  if (expr.kind == rules::ConstExpr::Kind::kLiteral) return IntsOfLiteral(expr.literal);
  if (expr.kind == rules::ConstExpr::Kind::kCall && expr.name == "ints") {
    std::vector<int64_t> values;
    for (const rules::ConstExpr& arg : expr.args) {
      const auto* value = arg.kind == rules::ConstExpr::Kind::kLiteral ? std::get_if<int64_t>(&arg.literal) : nullptr;
      if (value == nullptr) return std::nullopt;
      values.push_back(*value);
    }
    return values;
  }
  return std::nullopt;
}

std::string LiteralToString(const rules::Literal& literal) {
  return std::visit(
      [](const auto& value) -> std::string {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return absl::StrCat("\"", value, "\"");
        } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
          return absl::StrCat(value);
        } else {
          return absl::StrCat("[", absl::StrJoin(value, ", "), "]");
        }
      },
      literal);
}

std::string DescribeNode(const rules::PatternNode& node) {
  std::vector<std::string> attrs;
  for (const rules::AttrBinding& attr : node.attrs) {
    if (attr.is_rest) {
      attrs.push_back(absl::StrCat("..?", attr.param.value_or("")));
    } else if (attr.param) {
      attrs.push_back(absl::StrCat(attr.name, "=?", *attr.param));
    } else if (attr.variable) {
      attrs.push_back(absl::StrCat(attr.name, "=%", *attr.variable));
    } else {
      attrs.push_back(absl::StrCat(attr.name, "=", LiteralToString(attr.value)));
    }
  }
  std::string op = node.domain.empty() ? node.op : absl::StrCat(node.domain, "::", node.op);
  return attrs.empty() ? op : absl::StrCat(op, "{", absl::StrJoin(attrs, ", "), "}");
}

class RuleEncoder {
 public:
  RuleEncoder(const rules::Rule& rule, Vocabulary& vocabulary) : rule_(rule), vocabulary_(vocabulary) {}

  // Encodes both patterns; the error names the node the axioms cannot express.
  absl::Status Encode() {
    for (const rules::Condition& condition : rule_.conditions) {
      if (condition.predicate != "eq" || condition.args.size() != 2) continue;
      for (int side = 0; side < 2; ++side) {
        const rules::ConstExpr& variable = condition.args[side];
        if (variable.kind != rules::ConstExpr::Kind::kVariable) continue;
        if (auto ints = IntsOfExpr(condition.args[1 - side])) pinned_.emplace(variable.name, *ints);
      }
    }
    for (const rules::LetBinding& let : rule_.lets) {
      if (auto ints = IntsOfExpr(let.value)) {
        values_.emplace(let.variable, *ints);
      } else {
        return absl::UnimplementedError(
            absl::StrCat("let %", let.variable, " computes a constant the axioms cannot express"));
      }
    }
    std::set<std::string> read_in_source;
    for (const rules::PatternNode& node : rule_.source.nodes) {
      if (absl::Status status = EncodeNode(node, /*in_source=*/true); !status.ok()) return status;
      for (const std::string& input : node.inputs) read_in_source.insert(input);
    }
    for (const rules::PatternNode& node : rule_.source.nodes) {
      for (const std::string& output : node.outputs) {
        if (!output.empty() && !read_in_source.contains(output)) {
          const auto* term = std::get_if<z3::expr>(&values_.at(output));
          if (term == nullptr) return absl::UnimplementedError(absl::StrCat("root %", output, " is not a tensor"));
          roots_.emplace_back(output, *term);
        }
      }
    }
    for (const rules::PatternNode& node : rule_.target.nodes) {
      for (const std::string& output : node.outputs) {
        // The target redefines the roots; its other outputs are new names.
        if (!output.empty() && IsRoot(output)) values_.erase(output);
      }
    }
    for (const rules::PatternNode& node : rule_.target.nodes) {
      if (absl::Status status = EncodeNode(node, /*in_source=*/false); !status.ok()) return status;
    }
    for (const auto& [name, source_term] : roots_) {
      auto it = values_.find(name);
      const z3::expr* target_term = it == values_.end() ? nullptr : std::get_if<z3::expr>(&it->second);
      if (target_term == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("the target does not define root %", name));
      }
      goals_.emplace_back(name, source_term, *target_term);
    }
    return absl::OkStatus();
  }

  // What the rule's conditions say about shapes.
  std::vector<z3::expr> Facts() {
    std::vector<z3::expr> facts;
    for (const rules::Condition& condition : rule_.conditions) {
      if (condition.predicate == "same_shape" && condition.args.size() == 2) {
        auto a = TensorOf(condition.args[0]);
        auto b = TensorOf(condition.args[1]);
        if (a && b) facts.push_back(vocabulary_.Shape(*a) == vocabulary_.Shape(*b));
      } else if (condition.predicate == "rank" && condition.args.size() == 2) {
        auto a = TensorOf(condition.args[0]);
        const rules::ConstExpr& rank = condition.args[1];
        const auto* value =
            rank.kind == rules::ConstExpr::Kind::kLiteral ? std::get_if<int64_t>(&rank.literal) : nullptr;
        if (a && value && *value == 0) facts.push_back(vocabulary_.Shape(*a) == vocabulary_.scalar_shape());
      }
    }
    return facts;
  }

  // source root != target root, for some root.
  z3::expr Goal() {
    z3::expr_vector differences(vocabulary_.ctx());
    for (const auto& [name, source_term, target_term] : goals_) differences.push_back(source_term != target_term);
    return z3::mk_or(differences);
  }

 private:
  bool IsRoot(const std::string& name) const {
    for (const auto& [root, term] : roots_) {
      if (root == name) return true;
    }
    return false;
  }

  std::optional<z3::expr> TensorOf(const rules::ConstExpr& expr) {
    if (expr.kind != rules::ConstExpr::Kind::kVariable) return std::nullopt;
    auto it = values_.find(expr.name);
    if (it == values_.end()) return std::nullopt;
    if (const auto* term = std::get_if<z3::expr>(&it->second)) return *term;
    return std::nullopt;
  }

  absl::StatusOr<Encoded> Input(const std::string& name, bool in_source) {
    if (name.empty()) return absl::UnimplementedError("an absent optional input");
    if (auto it = values_.find(name); it != values_.end()) return it->second;
    if (!in_source) return absl::InvalidArgumentError(absl::StrCat("the target reads unbound %", name));
    Encoded leaf = pinned_.contains(name)
                       ? Encoded(pinned_.at(name))
                       : Encoded(vocabulary_.ctx().constant(name.c_str(), vocabulary_.tensor_sort()));
    values_.emplace(name, leaf);
    return leaf;
  }

  absl::Status EncodeNode(const rules::PatternNode& node, bool in_source) {
    auto unknown = [&](absl::string_view why) {
      return absl::UnimplementedError(absl::StrCat("op ", DescribeNode(node), " is not in the axioms (", why,
                                                   ", node defining %", node.outputs.empty() ? "" : node.outputs[0],
                                                   ")"));
    };
    std::map<std::string, rules::Literal> attrs;
    for (const rules::AttrBinding& attr : node.attrs) {
      if (attr.is_rest || attr.param || attr.variable) return unknown("attributes bound to parameters");
      attrs[attr.name] = attr.value;
    }
    auto ints_attr = [&](const std::string& name) -> std::optional<std::vector<int64_t>> {
      auto it = attrs.find(name);
      if (it == attrs.end()) return std::nullopt;
      return IntsOfLiteral(it->second);
    };
    // Attributes other than `allowed` must be absent or equal their ONNX defaults listed in `defaults`.
    auto only = [&](std::set<std::string> allowed) -> bool {
      for (const auto& [name, value] : attrs) {
        if (!allowed.contains(name)) return false;
      }
      return true;
    };
    std::vector<Encoded> inputs;
    for (const std::string& input : node.inputs) {
      if (input.empty()) {
        inputs.emplace_back(std::vector<int64_t>{});
        continue;
      }
      auto value = Input(input, in_source);
      if (!value.ok()) return value.status();
      inputs.push_back(*std::move(value));
    }
    auto tensor = [&](size_t i) -> std::optional<z3::expr> {
      if (i >= inputs.size()) return std::nullopt;
      if (const auto* term = std::get_if<z3::expr>(&inputs[i])) return *term;
      return std::nullopt;
    };
    auto literal = [&](size_t i) -> std::optional<std::vector<int64_t>> {
      if (i >= inputs.size() || node.inputs[i].empty()) return std::nullopt;
      if (const auto* ints = std::get_if<std::vector<int64_t>>(&inputs[i])) return *ints;
      return std::nullopt;
    };
    z3::context& ctx = vocabulary_.ctx();
    auto apply = [&](const std::string& symbol, std::vector<z3::expr> args) {
      z3::expr_vector vector(ctx);
      for (const z3::expr& arg : args) vector.push_back(arg);
      return vocabulary_.Apply(symbol, vector);
    };
    auto define = [&](std::vector<z3::expr> outputs) -> absl::Status {
      if (outputs.size() != node.outputs.size()) return unknown("unexpected number of outputs");
      for (size_t i = 0; i < outputs.size(); ++i) {
        if (node.outputs[i].empty()) continue;
        values_.insert_or_assign(node.outputs[i], Encoded(outputs[i]));
      }
      return absl::OkStatus();
    };
    for (size_t i = 0; i < inputs.size(); ++i) {
      // Only Reshape's shape and Pad's pads may be integer literals.
      bool literal_slot = i == 1 && (node.op == "Reshape" || node.op == "Pad");
      if (!literal_slot && !tensor(i)) return unknown(absl::StrCat("input ", i + 1, " is not a float tensor"));
    }
    if (!node.domain.empty() && node.domain != "ai.onnx") return unknown("not an ONNX op");
    const std::string& op = node.op;
    size_t arity = node.inputs.size();
    if (op == "Identity" && arity == 1 && attrs.empty()) return define({*tensor(0)});
    if ((op == "MatMul" || op == "Add" || op == "Sub" || op == "Mul" || op == "Div") && arity == 2 && attrs.empty()) {
      std::string symbol = op == "MatMul" ? "matmul"
                           : op == "Add"  ? "add"
                           : op == "Sub"  ? "sub"
                           : op == "Mul"  ? "mul"
                                          : "div";
      return define({apply(symbol, {*tensor(0), *tensor(1)})});
    }
    static const std::map<std::string, std::string> kUnary = {
        {"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"}, {"Erf", "erf"}, {"Sqrt", "sqrt"}};
    if (auto it = kUnary.find(op); it != kUnary.end() && arity == 1 && attrs.empty()) {
      return define({apply(it->second, {*tensor(0)})});
    }
    if (op == "Conv" && arity == 2 && only({"pads", "strides", "dilations", "group", "kernel_shape"})) {
      std::vector<int64_t> pads = ints_attr("pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
      bool unit_strides = ints_attr("strides").value_or(std::vector<int64_t>{1, 1}) == std::vector<int64_t>{1, 1};
      bool unit_dilations = ints_attr("dilations").value_or(std::vector<int64_t>{1, 1}) == std::vector<int64_t>{1, 1};
      bool one_group = ints_attr("group").value_or(std::vector<int64_t>{1}) == std::vector<int64_t>{1};
      if (pads.size() == 4 && pads[0] == pads[1] && pads[0] == pads[2] && pads[0] == pads[3] && unit_strides &&
          unit_dilations && one_group) {
        return define({apply("conv", {ctx.int_val(static_cast<int64_t>(pads[0])), *tensor(0), *tensor(1)})});
      }
      return unknown("only uniform pads, stride 1, dilation 1, group 1");
    }
    if (op == "Concat" && arity == 2 && only({"axis"}) && ints_attr("axis")) {
      return define(
          {apply("concat", {ctx.int_val(static_cast<int64_t>((*ints_attr("axis"))[0])), *tensor(0), *tensor(1)})});
    }
    if (op == "Split" && arity == 1 && node.outputs.size() == 2 && only({"axis", "num_outputs"}) &&
        ints_attr("num_outputs").value_or(std::vector<int64_t>{2}) == std::vector<int64_t>{2}) {
      z3::expr axis = ctx.int_val(static_cast<int64_t>(ints_attr("axis").value_or(std::vector<int64_t>{0})[0]));
      return define({apply("split_lo", {axis, *tensor(0)}), apply("split_hi", {axis, *tensor(0)})});
    }
    if (op == "Transpose" && arity == 1 && only({"perm"}) && ints_attr("perm") == std::vector<int64_t>{1, 0}) {
      return define({apply("transpose", {*tensor(0)})});
    }
    if (op == "Reshape" && arity == 2 && attrs.empty() && literal(1)) {
      return define({apply("reshape", {vocabulary_.DimsLiteral(*literal(1)), *tensor(0)})});
    }
    if (op == "Pad" && arity == 2 &&
        (attrs.empty() || (only({"mode"}) && std::get_if<std::string>(&attrs["mode"]) &&
                           std::get<std::string>(attrs["mode"]) == "constant")) &&
        literal(1) == std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1}) {
      return define({apply("enlarge", {*tensor(0)})});
    }
    bool pool_window = ints_attr("kernel_shape") == std::vector<int64_t>{3, 3} &&
                       ints_attr("pads") == std::vector<int64_t>{1, 1, 1, 1} &&
                       ints_attr("strides").value_or(std::vector<int64_t>{1, 1}) == std::vector<int64_t>{1, 1};
    if (op == "AveragePool" && arity == 1 && only({"kernel_shape", "pads", "strides", "count_include_pad"}) &&
        pool_window && ints_attr("count_include_pad") == std::vector<int64_t>{1}) {
      return define({apply("avgpool", {*tensor(0)})});
    }
    if (op == "MaxPool" && arity == 1 && node.outputs.size() == 1 && only({"kernel_shape", "pads", "strides"}) &&
        pool_window) {
      return define({apply("maxpool", {*tensor(0)})});
    }
    if (op == "ReduceMean" && arity == 1 && only({"axes", "keepdims"}) &&
        ints_attr("axes") == std::vector<int64_t>{-1} &&
        ints_attr("keepdims").value_or(std::vector<int64_t>{1}) == std::vector<int64_t>{1}) {
      return define({apply("reduce_mean", {*tensor(0)})});
    }
    if (op == "BatchNormalization" && arity == 5 && node.outputs.size() == 1 && only({"momentum"})) {
      return define({apply("batchnorm", {*tensor(0), *tensor(1), *tensor(2), *tensor(3), *tensor(4)})});
    }
    return unknown("no op template matches this op, arity and attributes");
  }

  const rules::Rule& rule_;
  Vocabulary& vocabulary_;
  std::map<std::string, std::vector<int64_t>> pinned_;  // eq(%v, literal) on int leaves
  std::map<std::string, Encoded> values_;
  std::vector<std::pair<std::string, z3::expr>> roots_;
  std::vector<std::tuple<std::string, z3::expr, z3::expr>> goals_;
};

// ---- element-wise checks ----

std::string NumeralText(const z3::expr& value) {
  if (value.is_numeral()) return value.get_decimal_string(6);
  return value.to_string();
}

// Asks whether some element of `lhs` differs from `rhs` (same dims) under the
// evaluator's assumptions. Returns nullopt when they are equal (unsat), the
// counterexample text when not, or sets `unknown_reason`.
std::optional<std::string> FindDifference(SymbolicEvaluator& evaluator, const std::vector<SymTensor>& lhs,
                                          const std::vector<SymTensor>& rhs, double timeout_seconds,
                                          std::string& unknown_reason) {
  z3::context& ctx = evaluator.ctx();
  for (size_t i = 0; i < lhs.size(); ++i) {
    if (lhs[i].dims != rhs[i].dims) {
      return absl::StrCat("output ", i, " has shape ", DimsToString(lhs[i].dims), " on one side and ",
                          DimsToString(rhs[i].dims), " on the other");
    }
  }
  z3::expr_vector differences(ctx);
  std::vector<std::pair<size_t, size_t>> where;
  for (size_t i = 0; i < lhs.size(); ++i) {
    for (size_t j = 0; j < lhs[i].elements.size(); ++j) {
      z3::expr difference = (lhs[i].elements[j] - rhs[i].elements[j]).simplify();
      if (difference.is_numeral() && difference.get_numeral_int64() == 0) continue;
      differences.push_back(lhs[i].elements[j] != rhs[i].elements[j]);
      where.emplace_back(i, j);
    }
  }
  if (differences.empty()) return std::nullopt;
  z3::solver solver = MakeSolver(ctx, timeout_seconds, SolverKind::kQuantifierFree);
  for (const z3::expr& assumption : evaluator.assumptions()) solver.add(assumption);
  solver.add(z3::mk_or(differences));
  Clock::time_point start = Clock::now();
  z3::check_result result = z3::unknown;
  {
    Watchdog watchdog(ctx, timeout_seconds);
    result = solver.check();
  }
  if (result == z3::unsat) return std::nullopt;
  if (result == z3::unknown) {
    unknown_reason = UnknownReason(solver, timeout_seconds, SecondsSince(start));
    return std::nullopt;
  }
  z3::model model = solver.get_model();
  for (unsigned k = 0; k < differences.size(); ++k) {
    auto [output, element] = where[k];
    z3::expr left = model.eval(lhs[output].elements[element], true);
    z3::expr right = model.eval(rhs[output].elements[element], true);
    if (z3::eq(left, right)) continue;
    std::vector<std::string> inputs;
    for (unsigned c = 0; c < model.num_consts() && inputs.size() < 8; ++c) {
      z3::func_decl constant = model.get_const_decl(c);
      inputs.push_back(absl::StrCat(constant.name().str(), "=", NumeralText(model.get_const_interp(constant))));
    }
    return absl::StrCat("output ", output, " element ", element, ": ", NumeralText(left), " vs ", NumeralText(right),
                        " at ", absl::StrJoin(inputs, ", "));
  }
  return "the solver found differing elements";
}

}  // namespace

std::string ProofOutcomeName(ProofOutcome outcome) {
  switch (outcome) {
    case ProofOutcome::kProved:
      return "proved";
    case ProofOutcome::kRefuted:
      return "refuted";
    case ProofOutcome::kUnknown:
      return "unknown";
  }
  return "unknown";
}

static ProofResult ProveRuleFromAxiomsUnguarded(const rules::Rule& rule, const AxiomSet& axioms,
                                                const ProofOptions& options) {
  Clock::time_point start = Clock::now();
  ProofResult result;
  result.method = "axioms";
  z3::context ctx;
  Vocabulary vocabulary(ctx);
  RuleEncoder encoder(rule, vocabulary);
  if (absl::Status status = encoder.Encode(); !status.ok()) {
    result.outcome = ProofOutcome::kUnknown;
    result.reason = absl::StrCat("rule '", rule.name, "': ", status.message());
    result.seconds = SecondsSince(start);
    return result;
  }
  z3::solver solver = MakeSolver(ctx, options.timeout_seconds, SolverKind::kQuantified);
  // Only E-matching on the axioms' patterns: model-based instantiation tries
  // to build models of the (infinite) tensor sort and rarely terminates.
  solver.set("smt.mbqi", false);
  // One round of E-matching over a large E-graph can take far longer than
  // the time limit before Z3 looks at its cancel flag again; capping the
  // instances keeps every round short.
  solver.set("smt.qi.max_instances", static_cast<unsigned>(kMaxQuantifierInstances));
  vocabulary.AddShapeCongruence(solver);
  for (const Axiom& axiom : axioms.axioms()) solver.add(EncodeAxiom(axiom, vocabulary));
  for (const z3::expr& fact : encoder.Facts()) solver.add(fact);
  solver.add(encoder.Goal());
  z3::check_result check = z3::unknown;
  {
    Watchdog watchdog(ctx, options.timeout_seconds);
    check = solver.check();
  }
  result.seconds = SecondsSince(start);
  if (check == z3::unsat) {
    result.outcome = ProofOutcome::kProved;
  } else if (check == z3::unknown) {
    result.reason =
        absl::StrCat("not proved from the axioms: ", UnknownReason(solver, options.timeout_seconds, result.seconds));
  } else {
    result.reason = "not proved from the axioms: they admit a model where source != target";
  }
  return result;
}

static ProofResult CompareGraphsElementwiseUnguarded(const ir::Graph& source, const ir::Graph& target,
                                                     const ProofOptions& options) {
  Clock::time_point start = Clock::now();
  ProofResult result;
  result.method = "elementwise";
  z3::context ctx;
  SymbolicEvaluator evaluator(ctx);
  std::map<std::string, SymTensor> inputs;
  for (const ir::Graph* graph : {&source, &target}) {
    for (ir::ValueId id : graph->inputs()) {
      const ir::Value& value = graph->value(id);
      if (inputs.contains(value.name)) continue;
      if (!value.type.shape.is_static()) {
        result.reason = absl::StrCat("input '", value.name, "' has no static shape");
        result.seconds = SecondsSince(start);
        return result;
      }
      inputs.emplace(value.name, evaluator.Fresh(value.name, value.type.shape.static_dims()));
    }
  }
  auto source_outputs = evaluator.EvalGraph(source, inputs);
  auto target_outputs = source_outputs.ok() ? evaluator.EvalGraph(target, inputs) : source_outputs;
  if (!source_outputs.ok() || !target_outputs.ok()) {
    const absl::Status& status = source_outputs.ok() ? target_outputs.status() : source_outputs.status();
    result.reason = absl::StrCat("element-wise evaluation failed: ", status.message());
    result.seconds = SecondsSince(start);
    return result;
  }
  if (source_outputs->size() != target_outputs->size()) {
    result.reason = "source and target have different numbers of outputs";
    result.seconds = SecondsSince(start);
    return result;
  }
  std::string unknown_reason;
  std::optional<std::string> difference =
      FindDifference(evaluator, *source_outputs, *target_outputs, options.timeout_seconds, unknown_reason);
  result.seconds = SecondsSince(start);
  std::vector<std::string> shapes;
  for (const auto& [name, tensor] : inputs) shapes.push_back(absl::StrCat(name, DimsToString(tensor.dims)));
  std::string at_shapes = absl::StrCat("at shapes ", absl::StrJoin(shapes, ", "));
  if (difference) {
    result.outcome = ProofOutcome::kRefuted;
    result.reason = absl::StrCat("counterexample ", at_shapes, ": ", *difference);
  } else if (!unknown_reason.empty()) {
    result.reason = absl::StrCat("element-wise check ", at_shapes, ": ", unknown_reason);
  } else {
    result.outcome = ProofOutcome::kProved;
    result.reason = absl::StrCat("equal element-wise ", at_shapes);
  }
  return result;
}

// Whether `graph` has an op the element-wise evaluator treats as an
// uninterpreted real function.
static bool UsesUninterpretedOps(const ir::Graph& graph) {
  static const char* const kUninterpreted[] = {"Sigmoid", "Tanh", "Erf", "Sqrt", "BatchNormalization"};
  for (ir::NodeId id : graph.LiveNodes()) {
    for (const char* op : kUninterpreted) {
      if (graph.node(id).op_type == op) return true;
    }
  }
  return false;
}

static ProofResult ProveRuleUnguarded(const rules::Rule& rule, const AxiomSet& axioms, const ProofOptions& options) {
  ProofResult from_axioms = ProveRuleFromAxioms(rule, axioms, options);
  if (from_axioms.outcome == ProofOutcome::kProved) return from_axioms;
  ProofResult result = from_axioms;
  Clock::time_point start = Clock::now();
  absl::StatusOr<RuleInstance> instance = InstantiateRule(rule, InstanceOptions{});
  if (absl::IsInternal(instance.status())) {
    // The engine refused to apply the rule to its own source: the rewrite
    // changes a root's type, which no correct rule does.
    result.outcome = ProofOutcome::kRefuted;
    result.method = "elementwise";
    result.reason = absl::StrCat("the rewrite changes a root's type: ", instance.status().message());
    result.seconds = from_axioms.seconds + SecondsSince(start);
    return result;
  }
  if (!instance.ok()) {
    result.reason = absl::StrCat(from_axioms.reason, "; no element-wise check: ", instance.status().message());
    result.seconds = from_axioms.seconds + SecondsSince(start);
    return result;
  }
  ProofResult bounded = CompareGraphsElementwise(instance->source, instance->target, options);
  result.method = "elementwise";
  result.seconds = from_axioms.seconds + SecondsSince(start);
  if (bounded.outcome == ProofOutcome::kRefuted && !rule.lets.empty() &&
      (UsesUninterpretedOps(instance->source) || UsesUninterpretedOps(instance->target))) {
    // The element-wise evaluator leaves Sqrt, Sigmoid, ... uninterpreted,
    // but a rule's `let` constants were computed with the real functions
    // (conv-bn-fold folds 1/sqrt(var + eps) into the weights), so a
    // difference here may be an artifact of the abstraction, not a bug.
    result.outcome = ProofOutcome::kUnknown;
    result.reason = absl::StrCat(from_axioms.reason,
                                 "; element-wise, the sides differ only for some interpretation of an "
                                 "uninterpreted function that the rule's computed constants fix: ",
                                 bounded.reason);
  } else if (bounded.outcome == ProofOutcome::kRefuted) {
    result.outcome = ProofOutcome::kRefuted;
    result.reason = bounded.reason;
  } else {
    // Equal at one set of shapes is evidence, not a proof: the rule stays unknown.
    result.outcome = ProofOutcome::kUnknown;
    result.reason = absl::StrCat(from_axioms.reason, "; ", bounded.reason);
  }
  return result;
}

// Z3 reports some inputs it cannot represent (a literal beyond int64, say)
// by throwing; a proof attempt must end in a result, never take the
// process down, so the public entry points turn that into kUnknown.
template <typename Attempt>
ProofResult GuardAgainstZ3Exceptions(absl::string_view method, Attempt attempt) {
  Clock::time_point start = Clock::now();
  try {
    return attempt();
  } catch (const z3::exception& e) {
    ProofResult result;
    result.outcome = ProofOutcome::kUnknown;
    result.method = std::string(method);
    result.reason = absl::StrCat("Z3 error: ", e.msg());
    result.seconds = SecondsSince(start);
    return result;
  }
}

ProofResult ProveRuleFromAxioms(const rules::Rule& rule, const AxiomSet& axioms, const ProofOptions& options) {
  return GuardAgainstZ3Exceptions("axioms", [&] { return ProveRuleFromAxiomsUnguarded(rule, axioms, options); });
}

ProofResult CompareGraphsElementwise(const ir::Graph& source, const ir::Graph& target, const ProofOptions& options) {
  return GuardAgainstZ3Exceptions("elementwise",
                                  [&] { return CompareGraphsElementwiseUnguarded(source, target, options); });
}

ProofResult ProveRule(const rules::Rule& rule, const AxiomSet& axioms, const ProofOptions& options) {
  return GuardAgainstZ3Exceptions("axioms", [&] { return ProveRuleUnguarded(rule, axioms, options); });
}

std::vector<AxiomCheck> CheckAxioms(const AxiomSet& axioms, const ProofOptions& options) {
  std::vector<AxiomCheck> checks;
  for (const Axiom& axiom : axioms.axioms()) {
    AxiomCheck check;
    check.axiom = axiom.name;
    check.holds = true;
    for (const AxiomInstance& instance : axiom.checks) {
      z3::context ctx;
      SymbolicEvaluator evaluator(ctx);
      std::map<std::string, SymTensor> tensors;
      for (const auto& [name, dims] : instance.tensor_dims) tensors.emplace(name, evaluator.Fresh(name, dims));
      std::string where = absl::StrCat(axioms.filename(), ":", instance.line, ": ");
      auto lhs = evaluator.EvalTerm(axiom.lhs, tensors, instance.ints, instance.dims);
      auto rhs = lhs.ok() ? evaluator.EvalTerm(axiom.rhs, tensors, instance.ints, instance.dims) : lhs;
      if (!lhs.ok() || !rhs.ok()) {
        check.holds = false;
        check.detail = absl::StrCat(where, "cannot evaluate: ", (lhs.ok() ? rhs : lhs).status().message());
        break;
      }
      if (axiom.is_shape_axiom) {
        if (lhs->dims != rhs->dims) {
          check.holds = false;
          check.detail =
              absl::StrCat(where, "shapes differ: ", DimsToString(lhs->dims), " vs ", DimsToString(rhs->dims));
          break;
        }
        continue;
      }
      std::string unknown_reason;
      std::optional<std::string> difference =
          FindDifference(evaluator, {*lhs}, {*rhs}, options.timeout_seconds, unknown_reason);
      if (difference || !unknown_reason.empty()) {
        check.holds = false;
        check.detail = absl::StrCat(where, difference ? absl::StrCat("counterexample: ", *difference)
                                                      : absl::StrCat("not decided: ", unknown_reason));
        break;
      }
    }
    if (check.holds) check.detail = absl::StrCat("holds on ", axiom.checks.size(), " instantiation(s)");
    checks.push_back(std::move(check));
  }
  return checks;
}

}  // namespace gsopt::verifier::z3prover
