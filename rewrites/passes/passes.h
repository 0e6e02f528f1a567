// The hand-written cleanup passes (what onnxsim/onnxoptimizer do first). They
// are C++ rather than rule-table entries because each needs the whole graph
// (liveness, evaluation of constants) rather than a local pattern.
#ifndef GSOPT_REWRITES_PASSES_PASSES_H_
#define GSOPT_REWRITES_PASSES_PASSES_H_

#include <cstdint>
#include <memory>

#include "rewrites/pass.h"

namespace gsopt::rewrites {

// Evaluates every node whose inputs are all constant (initializers or
// Constant nodes), and Shape/Size of values with static shapes, replacing
// their outputs with initializers. Skips ops that are not deterministic and
// results that would bloat the model (a large output made from small inputs,
// e.g. ConstantOfShape weights), so folding never makes the file much larger.
std::unique_ptr<Pass> CreateConstantFoldingPass(int64_t max_expansion_bytes = int64_t{1} << 20);

// Removes Identity, inference-mode Dropout (when its mask is unused) and
// Cast to the type the value already has, rewiring readers to the input.
// A removed node whose output is a graph output keeps the output's name.
std::unique_ptr<Pass> CreateIdentityEliminationPass();

// Merges constants with identical contents and nodes that apply the same op
// with the same attributes to the same inputs (nondeterministic ops and ops
// with subgraphs excepted). Graph outputs keep their names and producers.
std::unique_ptr<Pass> CreateCommonSubexpressionEliminationPass();

// Removes nodes none of whose outputs is read or is a graph output, and
// constants nothing reads.
std::unique_ptr<Pass> CreateDeadCodeEliminationPass();

// Replaces every node of gsopt's internal domain ("gsopt": FusedConv,
// FusedMatMul, Gelu, Attention) by standard ONNX ops valid at the graph's
// default-domain opset, in the forms ONNX Runtime's own fusions recognize,
// and drops the domain's opset import. Output value names, graph outputs and
// readers are kept. Run before exporting a model optimized with fuse-* rules.
std::unique_ptr<Pass> CreateLowerInternalOpsPass();

}  // namespace gsopt::rewrites

#endif  // GSOPT_REWRITES_PASSES_PASSES_H_
