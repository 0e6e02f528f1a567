// Structural hashing and equality of graphs: two graphs are equal when they
// compute with the same ops, attributes, constants and wiring, whatever the
// value and node names. Search uses the hash to de-duplicate candidate graphs
// and the equality to confirm a hash hit (a hash alone is never trusted).
#ifndef GSOPT_IR_STRUCTURAL_HASH_H_
#define GSOPT_IR_STRUCTURAL_HASH_H_

#include <cstddef>

#include "ir/graph.h"

namespace gsopt::ir {

size_t StructuralHash(const Graph& graph);
bool StructurallyEqual(const Graph& a, const Graph& b);

}  // namespace gsopt::ir

#endif  // GSOPT_IR_STRUCTURAL_HASH_H_
