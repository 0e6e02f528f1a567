// The analytical cost model's work functions for gsopt's internal fused ops
// (domain "gsopt": FusedConv, FusedMatMul, Gelu, Attention). A fused node's
// FLOPs are the sum of its parts' and its bytes are what the one node reads
// and writes, so fusing saves the intermediates' memory passes and the
// parts' launch overheads -- and the search sees a fusion as a gain.
#ifndef GSOPT_BACKEND_COST_FUSED_OP_WORK_H_
#define GSOPT_BACKEND_COST_FUSED_OP_WORK_H_

#include "backend/cost/cost_model.h"

namespace gsopt::backend {

void RegisterFusedOpWork(AnalyticalCostModel& model);

}  // namespace gsopt::backend

#endif  // GSOPT_BACKEND_COST_FUSED_OP_WORK_H_
