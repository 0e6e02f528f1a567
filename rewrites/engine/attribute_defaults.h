// The attributes of a node with ONNX's defaults filled in, so that a rule
// pattern `Conv(...){group=1, ..?a}` matches a Conv that omits `group`, and
// two Convs agree on `..?a` whether or not one spells out `strides=[1, 1]`.
// Only defaults that matter for matching are listed; an op not listed keeps
// exactly the attributes it carries.
#ifndef GSOPT_REWRITES_ENGINE_ATTRIBUTE_DEFAULTS_H_
#define GSOPT_REWRITES_ENGINE_ATTRIBUTE_DEFAULTS_H_

#include "ir/attribute.h"
#include "ir/graph.h"

namespace gsopt::rewrites::internal {

ir::AttributeMap NormalizedAttributes(const ir::Graph& graph, const ir::Node& node);

}  // namespace gsopt::rewrites::internal

#endif  // GSOPT_REWRITES_ENGINE_ATTRIBUTE_DEFAULTS_H_
