// Kernel registry and context helpers.
#include "backend/cpu/kernel.h"

#include <algorithm>

#include "ir/check.h"
#include "absl/strings/str_cat.h"

namespace gsopt::backend::cpu {
namespace {

std::string Key(absl::string_view domain, absl::string_view op) {
  return absl::StrCat(domain == "ai.onnx" ? "" : domain, "::", op);
}

}  // namespace

absl::Status KernelContext::Error(absl::string_view message) const {
  return absl::InvalidArgumentError(absl::StrCat("node ", node_.Describe(), ": ", message));
}

absl::Status KernelContext::Annotate(absl::Status status) const {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat("node ", node_.Describe(), ": ", status.message()));
}

absl::Status KernelContext::RequireInputs(int count) const {
  for (int i = 0; i < count; ++i) {
    if (input(i) == nullptr) return Error(absl::StrCat("required input ", i, " is missing"));
  }
  return absl::OkStatus();
}

const KernelRegistry& KernelRegistry::Global() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterElementwiseKernels(*r);
    RegisterTensorKernels(*r);
    RegisterNnKernels(*r);
    RegisterReductionKernels(*r);
    RegisterQuantizationKernels(*r);
    RegisterAttentionKernels(*r);
    RegisterLossKernels(*r);
    RegisterVisionKernels(*r);
    RegisterSignalKernels(*r);
    RegisterRecurrentKernels(*r);
    RegisterFusedKernels(*r);
    return r;
  }();
  return *registry;
}

void KernelRegistry::Register(std::string domain, std::string op_type, KernelFn kernel) {
  std::string key = Key(domain, op_type);
  auto [it, inserted] = kernels_.emplace(key, std::move(kernel));
  GSOPT_CHECK(inserted) << "kernel registered twice: " << key;
}

const KernelFn* KernelRegistry::Find(absl::string_view domain, absl::string_view op_type) const {
  auto it = kernels_.find(Key(domain, op_type));
  return it == kernels_.end() ? nullptr : &it->second;
}

std::vector<std::string> KernelRegistry::RegisteredOps() const {
  std::vector<std::string> out;
  for (const auto& [key, fn] : kernels_) out.push_back(key);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gsopt::backend::cpu
