// CPU kernels for the recurrent op family: RNN, GRU and LSTM, in every
// direction (forward, reverse, bidirectional), with per-batch sequence
// lengths, initial states, LSTM peepholes and input_forget, GRU's
// linear_before_reset, cell clipping, any of the ONNX activation functions
// with their alpha/beta, and layout 0 (sequence-major) or 1 (batch-major).
//
// One driver serves all three ops: inputs are widened to double (f16/bf16
// through f32), the input projection X*W^T + Wb of every step is computed up
// front as one matrix product, and each time step then adds the recurrent
// product and applies the op's cell. Computing in double makes the result
// independent of summation order and at least as accurate as the f32
// reference. Steps past a batch entry's sequence length leave its state
// untouched and write zeros to Y, which is what ONNX Runtime does.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;

// ---------------------------------------------------------------------------
// Activations

struct Activation {
  std::string name;  // lower case
  double alpha = 0;
  double beta = 0;

  double operator()(double x) const {
    if (name == "sigmoid") return 1.0 / (1.0 + std::exp(-x));
    if (name == "tanh") return std::tanh(x);
    if (name == "relu") return std::max(0.0, x);
    if (name == "affine") return alpha * x + beta;
    if (name == "leakyrelu") return x >= 0 ? x : alpha * x;
    if (name == "thresholdedrelu") return x > alpha ? x : 0.0;
    if (name == "scaledtanh") return alpha * std::tanh(beta * x);
    if (name == "hardsigmoid") return std::clamp(alpha * x + beta, 0.0, 1.0);
    if (name == "elu") return x >= 0 ? x : alpha * (std::exp(x) - 1.0);
    if (name == "softsign") return x / (1.0 + std::abs(x));
    if (name == "softplus") return std::log1p(std::exp(x));
    return x;
  }
};

bool UsesAlpha(const std::string& n) {
  return n == "affine" || n == "leakyrelu" || n == "thresholdedrelu" || n == "scaledtanh" || n == "hardsigmoid" ||
         n == "elu";
}
bool UsesBeta(const std::string& n) { return n == "affine" || n == "scaledtanh" || n == "hardsigmoid"; }
double DefaultAlpha(const std::string& n) {
  if (n == "leakyrelu") return 0.01;
  if (n == "hardsigmoid") return 0.2;
  return 1.0;
}
double DefaultBeta(const std::string& n) { return n == "hardsigmoid" ? 0.5 : 0.0; }

// The activation functions of every direction, `per_direction` each. The
// alpha and beta lists are consumed in order by the functions that take them
// (ONNX Runtime's reading of the spec's "consumed in the order of activation
// functions").
absl::StatusOr<std::vector<Activation>> ReadActivations(const KernelContext& ctx, int per_direction,
                                                         int num_directions,
                                                         const std::vector<std::string>& defaults) {
  std::vector<std::string> names;
  if (const ir::Attribute* a = ctx.node().FindAttribute("activations");
      a != nullptr && a->is<std::vector<std::string>>()) {
    names = a->get<std::vector<std::string>>();
  }
  if (names.empty()) {
    for (int d = 0; d < num_directions; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (static_cast<int>(names.size()) == per_direction && num_directions == 2) {
    std::vector<std::string> twice = names;
    names.insert(names.end(), twice.begin(), twice.end());
  }
  if (static_cast<int>(names.size()) != per_direction * num_directions) {
    return ctx.Error(absl::StrCat("activations has ", names.size(), " entries, expected ",
                                  per_direction * num_directions));
  }
  std::vector<float> alphas = ctx.node().GetFloats("activation_alpha");
  std::vector<float> betas = ctx.node().GetFloats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  std::vector<Activation> out;
  for (const std::string& raw : names) {
    Activation act;
    act.name = absl::AsciiStrToLower(raw);
    static const char* kKnown[] = {"sigmoid",     "tanh", "relu",     "affine",  "leakyrelu", "thresholdedrelu",
                                   "scaledtanh",  "hardsigmoid", "elu", "softsign", "softplus"};
    if (std::find(std::begin(kKnown), std::end(kKnown), act.name) == std::end(kKnown)) {
      return ctx.Error(absl::StrCat("unknown activation function '", raw, "'"));
    }
    act.alpha = DefaultAlpha(act.name);
    act.beta = DefaultBeta(act.name);
    if (UsesAlpha(act.name) && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (UsesBeta(act.name) && next_beta < betas.size()) act.beta = betas[next_beta++];
    out.push_back(act);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Driver

enum class Cell { kRnn, kGru, kLstm };

struct RecurrentProblem {
  Cell cell;
  int64_t seq = 0, batch = 0, input_size = 0, hidden = 0, gates = 0, num_directions = 1;
  bool reverse_only = false;
  int64_t layout = 0;
  double clip = 0;  // 0: no clipping
  bool linear_before_reset = false;
  bool input_forget = false;
  std::vector<double> x, w, r, b, p, h0, c0;  // x sequence-major [seq, batch, input]
  std::vector<int64_t> seq_lens;
  std::vector<Activation> activations;
};

// out[rows, cols] = a[rows, k] * m[cols, k]^T (+= when accumulate).
void MultiplyTransposed(const double* a, const double* m, int64_t rows, int64_t k, int64_t cols, double* out) {
  for (int64_t i = 0; i < rows; ++i) {
    const double* ai = a + i * k;
    for (int64_t j = 0; j < cols; ++j) {
      const double* mj = m + j * k;
      double sum = 0;
      for (int64_t q = 0; q < k; ++q) sum += ai[q] * mj[q];
      out[i * cols + j] += sum;
    }
  }
}

// Runs one direction; writes y[seq, dir, batch, hidden] (sequence-major) and the final states.
void RunDirection(const RecurrentProblem& p, int64_t dir, bool reverse, std::vector<double>& y,
                  std::vector<double>& final_h, std::vector<double>& final_c) {
  const int64_t H = p.hidden, B = p.batch, I = p.input_size, G = p.gates;
  const double* w = p.w.data() + dir * G * H * I;
  const double* r = p.r.data() + dir * G * H * H;
  std::vector<double> wb(static_cast<size_t>(G * H), 0.0), rb(static_cast<size_t>(G * H), 0.0);
  if (!p.b.empty()) {
    std::copy(p.b.begin() + dir * 2 * G * H, p.b.begin() + dir * 2 * G * H + G * H, wb.begin());
    std::copy(p.b.begin() + dir * 2 * G * H + G * H, p.b.begin() + (dir + 1) * 2 * G * H, rb.begin());
  }
  std::vector<double> h(static_cast<size_t>(B * H), 0.0), c(static_cast<size_t>(B * H), 0.0);
  if (!p.h0.empty()) std::copy(p.h0.begin() + dir * B * H, p.h0.begin() + (dir + 1) * B * H, h.begin());
  if (!p.c0.empty()) std::copy(p.c0.begin() + dir * B * H, p.c0.begin() + (dir + 1) * B * H, c.begin());
  const double* peep = p.p.empty() ? nullptr : p.p.data() + dir * 3 * H;
  const int per_dir = p.cell == Cell::kRnn ? 1 : (p.cell == Cell::kGru ? 2 : 3);
  const Activation& f = p.activations[static_cast<size_t>(dir * per_dir)];
  const Activation& g = p.activations[static_cast<size_t>(dir * per_dir + (per_dir > 1 ? 1 : 0))];
  const Activation& hact = p.activations[static_cast<size_t>(dir * per_dir + (per_dir > 2 ? 2 : 0))];
  auto clip = [&](double v) { return p.clip > 0 ? std::clamp(v, -p.clip, p.clip) : v; };

  // Input projections of every step: xw[seq, batch, G*H] = X W^T + Wb.
  std::vector<double> xw(static_cast<size_t>(p.seq * B * G * H), 0.0);
  MultiplyTransposed(p.x.data(), w, p.seq * B, I, G * H, xw.data());
  std::vector<double> hr(static_cast<size_t>(B * G * H));
  std::vector<double> reset_h(static_cast<size_t>(B * H));

  for (int64_t step = 0; step < p.seq; ++step) {
    // Recurrent projections H R^T + Rb; GRU's candidate gate needs r first, so it is redone below.
    std::fill(hr.begin(), hr.end(), 0.0);
    MultiplyTransposed(h.data(), r, B, H, G * H, hr.data());
    std::vector<double> new_h = h, new_c = c;
    for (int64_t bi = 0; bi < B; ++bi) {
      int64_t len = p.seq_lens.empty() ? p.seq : p.seq_lens[static_cast<size_t>(bi)];
      if (step >= len) continue;
      int64_t t = reverse ? len - 1 - step : step;
      const double* xg = xw.data() + (t * B + bi) * G * H;
      const double* hg = hr.data() + bi * G * H;
      const double* hprev = h.data() + bi * H;
      double* hout = new_h.data() + bi * H;
      double* yout = y.data() + ((t * p.num_directions + dir) * B + bi) * H;
      for (int64_t k = 0; k < H; ++k) {
        if (p.cell == Cell::kRnn) {
          hout[k] = f(clip(xg[k] + wb[k] + hg[k] + rb[k]));
        } else if (p.cell == Cell::kLstm) {
          // Gate order in W, R and B is i, o, f, c; P is i, o, f.
          double cprev = c[bi * H + k];
          double i_pre = xg[k] + wb[k] + hg[k] + rb[k] + (peep ? peep[k] * cprev : 0.0);
          double it = f(clip(i_pre));
          double ft;
          if (p.input_forget) {
            ft = 1.0 - it;
          } else {
            double f_pre = xg[2 * H + k] + wb[2 * H + k] + hg[2 * H + k] + rb[2 * H + k] +
                           (peep ? peep[2 * H + k] * cprev : 0.0);
            ft = f(clip(f_pre));
          }
          double ct = g(clip(xg[3 * H + k] + wb[3 * H + k] + hg[3 * H + k] + rb[3 * H + k]));
          double cnew = ft * cprev + it * ct;
          double o_pre = xg[H + k] + wb[H + k] + hg[H + k] + rb[H + k] + (peep ? peep[H + k] * cnew : 0.0);
          double ot = f(clip(o_pre));
          new_c[bi * H + k] = cnew;
          hout[k] = ot * hact(cnew);
        }
      }
      if (p.cell == Cell::kGru) {
        // Gate order is z, r, h.
        std::vector<double> z(static_cast<size_t>(H)), rg(static_cast<size_t>(H));
        for (int64_t k = 0; k < H; ++k) {
          z[k] = f(clip(xg[k] + wb[k] + hg[k] + rb[k]));
          rg[k] = f(clip(xg[H + k] + wb[H + k] + hg[H + k] + rb[H + k]));
        }
        for (int64_t k = 0; k < H; ++k) {
          double candidate_pre;
          if (p.linear_before_reset) {
            candidate_pre = xg[2 * H + k] + wb[2 * H + k] + rg[k] * (hg[2 * H + k] + rb[2 * H + k]);
          } else {
            const double* rh = r + (2 * H + k) * H;
            double sum = 0;
            for (int64_t q = 0; q < H; ++q) sum += rg[q] * hprev[q] * rh[q];
            candidate_pre = xg[2 * H + k] + wb[2 * H + k] + sum + rb[2 * H + k];
          }
          double ht = g(clip(candidate_pre));
          hout[k] = (1.0 - z[k]) * ht + z[k] * hprev[k];
        }
      }
      std::copy(hout, hout + H, yout);
    }
    h.swap(new_h);
    c.swap(new_c);
  }
  std::copy(h.begin(), h.end(), final_h.begin() + dir * B * H);
  std::copy(c.begin(), c.end(), final_c.begin() + dir * B * H);
}

// Moves axis 0 and 1 of a [d0, d1, rest] buffer: returns [d1, d0, rest].
std::vector<double> SwapLeadingAxes(const std::vector<double>& in, int64_t d0, int64_t d1, int64_t rest) {
  std::vector<double> out(in.size());
  for (int64_t i = 0; i < d0; ++i) {
    for (int64_t j = 0; j < d1; ++j) {
      std::copy(in.begin() + (i * d1 + j) * rest, in.begin() + (i * d1 + j + 1) * rest,
                out.begin() + (j * d0 + i) * rest);
    }
  }
  return out;
}

absl::Status RecurrentKernel(KernelContext& ctx, Cell cell) {
  const Tensor* x = ctx.input(0);
  const Tensor* w = ctx.input(1);
  const Tensor* r = ctx.input(2);
  if (x == nullptr || w == nullptr || r == nullptr) return ctx.Error("X, W and R are required");
  if (!ir::IsFloatingPoint(x->dtype())) {
    return ctx.Error(absl::StrCat("element type ", ir::DTypeName(x->dtype()), " is not supported"));
  }
  if (x->rank() != 3 || w->rank() != 3 || r->rank() != 3) return ctx.Error("X, W and R must have rank 3");
  RecurrentProblem p;
  p.cell = cell;
  p.gates = cell == Cell::kRnn ? 1 : (cell == Cell::kGru ? 3 : 4);
  p.layout = ctx.opset() >= 14 ? ctx.node().GetInt("layout", 0) : 0;
  if (p.layout != 0 && p.layout != 1) return ctx.Error(absl::StrCat("layout ", p.layout, " is not 0 or 1"));
  std::string direction = ctx.node().GetString("direction", "forward");
  if (direction == "bidirectional") {
    p.num_directions = 2;
  } else if (direction != "forward" && direction != "reverse") {
    return ctx.Error(absl::StrCat("direction '", direction, "' is not forward, reverse or bidirectional"));
  }
  p.seq = x->dim(p.layout == 0 ? 0 : 1);
  p.batch = x->dim(p.layout == 0 ? 1 : 0);
  p.input_size = x->dim(2);
  p.hidden = ctx.node().GetInt("hidden_size", r->dim(2));
  const int64_t H = p.hidden, B = p.batch;
  if (w->dim(0) != p.num_directions || r->dim(0) != p.num_directions) {
    return ctx.Error(absl::StrCat("W and R must have ", p.num_directions, " directions"));
  }
  if (w->dim(1) != p.gates * H || w->dim(2) != p.input_size) {
    return ctx.Error(absl::StrCat("W has shape [", w->dim(0), ",", w->dim(1), ",", w->dim(2), "], expected [",
                                  p.num_directions, ",", p.gates * H, ",", p.input_size, "]"));
  }
  if (r->dim(1) != p.gates * H || r->dim(2) != H) {
    return ctx.Error(absl::StrCat("R has shape [", r->dim(0), ",", r->dim(1), ",", r->dim(2), "], expected [",
                                  p.num_directions, ",", p.gates * H, ",", H, "]"));
  }
  p.clip = ctx.node().GetFloat("clip", 0.0f);
  if (ctx.node().FindAttribute("clip") != nullptr && p.clip <= 0) return ctx.Error("clip must be positive");
  p.linear_before_reset = ctx.node().GetInt("linear_before_reset", 0) != 0;
  p.input_forget = ctx.node().GetInt("input_forget", 0) != 0;

  std::vector<double> xs = AsDoubles(*x);
  p.x = p.layout == 0 ? xs : SwapLeadingAxes(xs, B, p.seq, p.input_size);
  p.w = AsDoubles(*w);
  p.r = AsDoubles(*r);
  if (const Tensor* b = ctx.input(3)) {
    if (b->num_elements() != p.num_directions * 2 * p.gates * H) {
      return ctx.Error(absl::StrCat("B has ", b->num_elements(), " elements, expected ",
                                    p.num_directions * 2 * p.gates * H));
    }
    p.b = AsDoubles(*b);
  }
  if (const Tensor* lens = ctx.input(4)) {
    p.seq_lens = ToInt64s(*lens);
    if (static_cast<int64_t>(p.seq_lens.size()) != B) return ctx.Error("sequence_lens must have batch_size entries");
    for (int64_t len : p.seq_lens) {
      if (len < 0 || len > p.seq) return ctx.Error(absl::StrCat("sequence length ", len, " is out of range"));
    }
  }
  auto read_state = [&](int index, std::vector<double>& dst) -> absl::Status {
    const Tensor* t = ctx.input(index);
    if (t == nullptr) return absl::OkStatus();
    if (t->num_elements() != p.num_directions * B * H) {
      return ctx.Error(absl::StrCat("initial state input ", index, " has ", t->num_elements(), " elements, expected ",
                                    p.num_directions * B * H));
    }
    std::vector<double> v = AsDoubles(*t);
    dst = p.layout == 0 ? v : SwapLeadingAxes(v, B, p.num_directions, H);
    return absl::OkStatus();
  };
  if (absl::Status s = read_state(5, p.h0); !s.ok()) return s;
  if (cell == Cell::kLstm) {
    if (absl::Status s = read_state(6, p.c0); !s.ok()) return s;
    if (const Tensor* peep = ctx.input(7)) {
      if (peep->num_elements() != p.num_directions * 3 * H) return ctx.Error("P must have shape [num_directions, 3*hidden_size]");
      p.p = AsDoubles(*peep);
    }
  }
  std::vector<std::string> defaults = cell == Cell::kRnn   ? std::vector<std::string>{"Tanh"}
                                      : cell == Cell::kGru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                           : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
  absl::StatusOr<std::vector<Activation>> acts =
      ReadActivations(ctx, static_cast<int>(defaults.size()), static_cast<int>(p.num_directions), defaults);
  if (!acts.ok()) return acts.status();
  p.activations = *acts;

  std::vector<double> y(static_cast<size_t>(p.seq * p.num_directions * B * H), 0.0);
  std::vector<double> final_h(static_cast<size_t>(p.num_directions * B * H), 0.0);
  std::vector<double> final_c(final_h.size(), 0.0);
  for (int64_t dir = 0; dir < p.num_directions; ++dir) {
    bool reverse = direction == "reverse" || dir == 1;
    RunDirection(p, dir, reverse, y, final_h, final_c);
  }
  DType dtype = x->dtype();
  if (ctx.output_requested(0)) {
    if (p.layout == 0) {
      ctx.set_output(0, FromDoubles(y, {p.seq, p.num_directions, B, H}, dtype));
    } else {
      // [seq, dirs, batch, H] -> [batch, seq, dirs, H]
      std::vector<double> yb(y.size());
      for (int64_t t = 0; t < p.seq; ++t)
        for (int64_t d = 0; d < p.num_directions; ++d)
          for (int64_t bi = 0; bi < B; ++bi)
            std::copy(y.begin() + ((t * p.num_directions + d) * B + bi) * H,
                      y.begin() + ((t * p.num_directions + d) * B + bi + 1) * H,
                      yb.begin() + ((bi * p.seq + t) * p.num_directions + d) * H);
      ctx.set_output(0, FromDoubles(yb, {B, p.seq, p.num_directions, H}, dtype));
    }
  }
  auto state_output = [&](const std::vector<double>& state) {
    if (p.layout == 0) return FromDoubles(state, {p.num_directions, B, H}, dtype);
    return FromDoubles(SwapLeadingAxes(state, p.num_directions, B, H), {B, p.num_directions, H}, dtype);
  };
  if (ctx.output_requested(1)) ctx.set_output(1, state_output(final_h));
  if (cell == Cell::kLstm && ctx.output_requested(2)) ctx.set_output(2, state_output(final_c));
  return absl::OkStatus();
}

}  // namespace

void RegisterRecurrentKernels(KernelRegistry& registry) {
  registry.Register("", "RNN", [](KernelContext& ctx) { return RecurrentKernel(ctx, Cell::kRnn); });
  registry.Register("", "GRU", [](KernelContext& ctx) { return RecurrentKernel(ctx, Cell::kGru); });
  registry.Register("", "LSTM", [](KernelContext& ctx) { return RecurrentKernel(ctx, Cell::kLstm); });
}

}  // namespace gsopt::backend::cpu
