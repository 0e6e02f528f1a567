// CPU kernels for the vision op family: GridSample (N-D; linear, nearest
// and cubic under their opset-16 and opset-20 names; zeros, border and
// reflection padding; align_corners), NonMaxSuppression, RoiAlign (avg and
// max, half_pixel and output_half_pixel), Col2Im, CenterCropPad, MaxUnpool
// and Det.
//
// Interpolating kernels follow the ONNX reference implementation, which
// ONNX Runtime matches: GridSample computes sampling coordinates in f32 (so
// that nearest-mode rounding of grid points that land on .5 agrees) and
// blends in double; RoiAlign's max mode takes the largest *weighted* corner
// value of each sample, as ONNX Runtime does. The data-moving ops
// (CenterCropPad, MaxUnpool) copy raw elements and so serve every
// fixed-size dtype. f16/bf16 inputs of the arithmetic ops go through f32.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backend/cpu/kernel.h"
#include "backend/cpu/kernels/kernel_utils.h"

namespace gsopt::backend::cpu {
namespace {

using ir::DType;
using ir::Tensor;

absl::Status RequireFloat(const KernelContext& ctx, const Tensor& t) {
  if (ir::IsFloatingPoint(t.dtype())) return absl::OkStatus();
  return ctx.Error(absl::StrCat("element type ", ir::DTypeName(t.dtype()), " is not supported"));
}

int64_t Product(const std::vector<int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), int64_t{1}, std::multiplies<int64_t>());
}

// ---------------------------------------------------------------------------
// GridSample

enum class SampleMode { kNearest, kLinear, kCubic };
enum class PaddingMode { kZeros, kBorder, kReflection };

// Reflects x into [lo, hi] as often as needed.
float Reflect(float x, float lo, float hi) {
  float range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    float d = lo - x;
    int64_t n = static_cast<int64_t>(d / range);
    float r = d - static_cast<float>(n) * range;
    return n % 2 == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    float d = x - hi;
    int64_t n = static_cast<int64_t>(d / range);
    float r = d - static_cast<float>(n) * range;
    return n % 2 == 0 ? hi - r : lo + r;
  }
  return x;
}

// Keys' cubic convolution weights (A = -0.75) for the four taps around a point at fraction t.
void CubicWeights(double t, double w[4]) {
  constexpr double A = -0.75;
  auto near = [](double x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };
  auto far = [](double x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

absl::Status GridSampleKernel(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* grid = ctx.input(1);
  if (x == nullptr || grid == nullptr) return ctx.Error("X and grid are required");
  if (absl::Status s = RequireFloat(ctx, *x); !s.ok()) return s;
  if (absl::Status s = RequireFloat(ctx, *grid); !s.ok()) return s;
  const int64_t rank = x->rank();
  if (rank < 3 || grid->rank() != rank || grid->dim(rank - 1) != rank - 2 || grid->dim(0) != x->dim(0)) {
    return ctx.Error("grid must have shape [N, out spatial..., rank(X)-2] matching X [N, C, spatial...]");
  }
  std::string mode_name = ctx.node().GetString("mode", ctx.opset() >= 20 ? "linear" : "bilinear");
  SampleMode mode;
  if (mode_name == "nearest") {
    mode = SampleMode::kNearest;
  } else if (mode_name == "linear" || mode_name == "bilinear") {
    mode = SampleMode::kLinear;
  } else if (mode_name == "cubic" || mode_name == "bicubic") {
    mode = SampleMode::kCubic;
  } else {
    return ctx.Error(absl::StrCat("mode '", mode_name, "' is not supported"));
  }
  std::string padding_name = ctx.node().GetString("padding_mode", "zeros");
  PaddingMode padding;
  if (padding_name == "zeros") {
    padding = PaddingMode::kZeros;
  } else if (padding_name == "border") {
    padding = PaddingMode::kBorder;
  } else if (padding_name == "reflection") {
    padding = PaddingMode::kReflection;
  } else {
    return ctx.Error(absl::StrCat("padding_mode '", padding_name, "' is not supported"));
  }
  const bool align_corners = ctx.node().GetInt("align_corners", 0) != 0;
  const int64_t spatial = rank - 2;
  const int64_t batch = x->dim(0), channels = x->dim(1);
  std::vector<int64_t> in_dims(x->dims().begin() + 2, x->dims().end());
  std::vector<int64_t> in_strides = Strides(in_dims);
  const int64_t in_size = Product(in_dims);
  std::vector<int64_t> out_dims = {batch, channels};
  for (int64_t i = 1; i + 1 < rank; ++i) out_dims.push_back(grid->dim(i));
  const int64_t out_size = grid->num_elements() / std::max<int64_t>(1, batch * spatial);
  std::vector<float> lo(static_cast<size_t>(spatial)), hi(static_cast<size_t>(spatial));
  for (int64_t i = 0; i < spatial; ++i) {
    lo[i] = align_corners ? 0.0f : -0.5f;
    hi[i] = align_corners ? static_cast<float>(in_dims[i] - 1) : static_cast<float>(in_dims[i]) - 0.5f;
  }
  std::vector<double> xs = AsDoubles(*x);
  Tensor grid_f32 = ToFloat32(*grid);
  std::vector<float> gs(static_cast<size_t>(grid_f32.num_elements()));
  for (size_t i = 0; i < gs.size(); ++i) gs[i] = static_cast<float>(grid_f32.GetAsDouble(static_cast<int64_t>(i)));
  std::vector<double> out(static_cast<size_t>(batch * channels * out_size), 0.0);

  // An integer tap index along dim d, mapped by the padding mode; -1 when it reads a zero.
  auto tap_index = [&](int64_t i, int64_t d) -> int64_t {
    int64_t size = in_dims[d];
    if (i >= 0 && i < size) return i;
    switch (padding) {
      case PaddingMode::kZeros: return -1;
      case PaddingMode::kBorder: return std::clamp<int64_t>(i, 0, size - 1);
      case PaddingMode::kReflection:
        return std::clamp<int64_t>(static_cast<int64_t>(Reflect(static_cast<float>(i), lo[d], hi[d])), 0, size - 1);
    }
    return -1;
  };
  const int taps = mode == SampleMode::kNearest ? 1 : (mode == SampleMode::kLinear ? 2 : 4);
  std::vector<float> coord(static_cast<size_t>(spatial));
  std::vector<std::vector<int64_t>> tap_idx(static_cast<size_t>(spatial), std::vector<int64_t>(taps));
  std::vector<std::vector<double>> tap_w(static_cast<size_t>(spatial), std::vector<double>(taps));
  std::vector<int64_t> offsets;
  std::vector<double> weights;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t o = 0; o < out_size; ++o) {
      const float* g = gs.data() + (n * out_size + o) * spatial;
      for (int64_t d = 0; d < spatial; ++d) {
        float v = g[spatial - 1 - d];  // the grid lists x (the last dim) first
        float size = static_cast<float>(in_dims[d]);
        float c = align_corners ? (v + 1) / 2.0f * (size - 1) : ((v + 1) * size - 1) / 2.0f;
        if (mode == SampleMode::kNearest) c = std::nearbyint(c);
        if (c < lo[d] || c > hi[d]) {
          if (padding == PaddingMode::kBorder) c = std::clamp(c, 0.0f, size - 1);
          if (padding == PaddingMode::kReflection) c = Reflect(c, lo[d], hi[d]);
        }
        coord[d] = c;
        if (mode == SampleMode::kNearest) {
          tap_idx[d][0] = tap_index(static_cast<int64_t>(c), d);
          tap_w[d][0] = 1.0;
        } else {
          int64_t base = static_cast<int64_t>(std::floor(c));
          double t = static_cast<double>(c) - static_cast<double>(base);
          if (mode == SampleMode::kLinear) {
            tap_idx[d][0] = tap_index(base, d);
            tap_idx[d][1] = tap_index(base + 1, d);
            tap_w[d][0] = 1 - t;
            tap_w[d][1] = t;
          } else {
            double w[4];
            CubicWeights(t, w);
            for (int k = 0; k < 4; ++k) {
              tap_idx[d][k] = tap_index(base - 1 + k, d);
              tap_w[d][k] = w[k];
            }
          }
        }
      }
      // Tensor product of the per-dim taps.
      offsets.assign(1, 0);
      weights.assign(1, 1.0);
      for (int64_t d = 0; d < spatial; ++d) {
        std::vector<int64_t> next_offsets;
        std::vector<double> next_weights;
        for (size_t q = 0; q < offsets.size(); ++q) {
          for (int k = 0; k < taps; ++k) {
            if (offsets[q] < 0 || tap_idx[d][k] < 0) {
              next_offsets.push_back(-1);
            } else {
              next_offsets.push_back(offsets[q] + tap_idx[d][k] * in_strides[d]);
            }
            next_weights.push_back(weights[q] * tap_w[d][k]);
          }
        }
        offsets.swap(next_offsets);
        weights.swap(next_weights);
      }
      for (int64_t c = 0; c < channels; ++c) {
        const double* plane = xs.data() + (n * channels + c) * in_size;
        double sum = 0;
        for (size_t q = 0; q < offsets.size(); ++q) {
          if (offsets[q] >= 0) sum += weights[q] * plane[offsets[q]];
        }
        out[static_cast<size_t>((n * channels + c) * out_size + o)] = sum;
      }
    }
  }
  ctx.set_output(0, FromDoubles(out, std::move(out_dims), x->dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// NonMaxSuppression

absl::Status NonMaxSuppressionKernel(KernelContext& ctx) {
  const Tensor* boxes_t = ctx.input(0);
  const Tensor* scores_t = ctx.input(1);
  if (boxes_t == nullptr || scores_t == nullptr) return ctx.Error("boxes and scores are required");
  if (absl::Status s = RequireFloat(ctx, *boxes_t); !s.ok()) return s;
  if (boxes_t->rank() != 3 || boxes_t->dim(2) != 4) return ctx.Error("boxes must have shape [batch, boxes, 4]");
  if (scores_t->rank() != 3 || scores_t->dim(0) != boxes_t->dim(0) || scores_t->dim(2) != boxes_t->dim(1)) {
    return ctx.Error("scores must have shape [batch, classes, boxes] matching boxes");
  }
  int64_t max_per_class = 0;
  if (const Tensor* t = ctx.input(2); t != nullptr && t->num_elements() > 0) max_per_class = t->GetAsInt64(0);
  double iou_threshold = 0;
  if (const Tensor* t = ctx.input(3); t != nullptr && t->num_elements() > 0) iou_threshold = ToFloat32(*t).GetAsDouble(0);
  bool has_score_threshold = false;
  double score_threshold = 0;
  if (const Tensor* t = ctx.input(4); t != nullptr && t->num_elements() > 0) {
    has_score_threshold = true;
    score_threshold = ToFloat32(*t).GetAsDouble(0);
  }
  if (iou_threshold < 0 || iou_threshold > 1) return ctx.Error("iou_threshold must be in [0, 1]");
  const bool center_point = ctx.node().GetInt("center_point_box", 0) != 0;
  const int64_t batch = boxes_t->dim(0), num_boxes = boxes_t->dim(1), classes = scores_t->dim(1);
  std::vector<double> boxes = AsDoubles(*boxes_t);
  std::vector<double> scores = AsDoubles(*scores_t);
  // Corners as (y1, x1, y2, x2) with y1 <= y2, x1 <= x2.
  std::vector<double> corners(boxes.size());
  for (int64_t i = 0; i < batch * num_boxes; ++i) {
    const double* b = boxes.data() + i * 4;
    double* c = corners.data() + i * 4;
    if (center_point) {
      c[0] = b[1] - b[3] / 2;
      c[1] = b[0] - b[2] / 2;
      c[2] = b[1] + b[3] / 2;
      c[3] = b[0] + b[2] / 2;
    } else {
      c[0] = std::min(b[0], b[2]);
      c[1] = std::min(b[1], b[3]);
      c[2] = std::max(b[0], b[2]);
      c[3] = std::max(b[1], b[3]);
    }
  }
  auto overlaps = [&](const double* a, const double* b) {
    double area_a = (a[2] - a[0]) * (a[3] - a[1]);
    double area_b = (b[2] - b[0]) * (b[3] - b[1]);
    if (area_a <= 0 || area_b <= 0) return false;
    double ih = std::min(a[2], b[2]) - std::max(a[0], b[0]);
    double iw = std::min(a[3], b[3]) - std::max(a[1], b[1]);
    if (ih <= 0 || iw <= 0) return false;
    double inter = ih * iw;
    return inter / (area_a + area_b - inter) > iou_threshold;
  };
  std::vector<int64_t> selected;
  std::vector<int64_t> order;
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t c = 0; c < classes; ++c) {
      const double* s = scores.data() + (b * classes + c) * num_boxes;
      order.clear();
      for (int64_t i = 0; i < num_boxes; ++i) {
        if (!has_score_threshold || s[i] > score_threshold) order.push_back(i);
      }
      std::stable_sort(order.begin(), order.end(), [&](int64_t l, int64_t r) { return s[l] > s[r]; });
      std::vector<int64_t> kept;
      for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= max_per_class) break;
        const double* box = corners.data() + (b * num_boxes + i) * 4;
        bool suppressed = false;
        for (int64_t k : kept) {
          if (overlaps(corners.data() + (b * num_boxes + k) * 4, box)) {
            suppressed = true;
            break;
          }
        }
        if (suppressed) continue;
        kept.push_back(i);
        selected.insert(selected.end(), {b, c, i});
      }
    }
  }
  ctx.set_output(0, Tensor::FromVector<int64_t>({static_cast<int64_t>(selected.size() / 3), 3}, selected));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// RoiAlign

absl::Status RoiAlignKernel(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* rois_t = ctx.input(1);
  const Tensor* indices_t = ctx.input(2);
  if (x == nullptr || rois_t == nullptr || indices_t == nullptr) return ctx.Error("X, rois and batch_indices are required");
  if (absl::Status s = RequireFloat(ctx, *x); !s.ok()) return s;
  if (x->rank() != 4) return ctx.Error("X must have rank 4");
  if (rois_t->rank() != 2 || rois_t->dim(1) != 4) return ctx.Error("rois must have shape [num_rois, 4]");
  if (indices_t->rank() != 1 || indices_t->dim(0) != rois_t->dim(0)) return ctx.Error("batch_indices must have num_rois entries");
  std::string mode = ctx.node().GetString("mode", "avg");
  if (mode != "avg" && mode != "max") return ctx.Error(absl::StrCat("mode '", mode, "' is not avg or max"));
  // Opset 10 had no attribute and behaved like output_half_pixel.
  std::string transform =
      ctx.opset() < 16 ? "output_half_pixel" : ctx.node().GetString("coordinate_transformation_mode", "half_pixel");
  const bool half_pixel = transform == "half_pixel";
  const int64_t out_h = ctx.node().GetInt("output_height", 1);
  const int64_t out_w = ctx.node().GetInt("output_width", 1);
  const int64_t sampling_ratio = ctx.node().GetInt("sampling_ratio", 0);
  const double spatial_scale = ctx.node().GetFloat("spatial_scale", 1.0f);
  if (out_h <= 0 || out_w <= 0 || sampling_ratio < 0) return ctx.Error("output sizes must be positive, sampling_ratio >= 0");
  const int64_t batch = x->dim(0), channels = x->dim(1), height = x->dim(2), width = x->dim(3);
  const int64_t num_rois = rois_t->dim(0);
  std::vector<double> xs = AsDoubles(*x);
  std::vector<double> rois = AsDoubles(*rois_t);
  std::vector<int64_t> indices = ToInt64s(*indices_t);
  std::vector<double> out(static_cast<size_t>(num_rois * channels * out_h * out_w), 0.0);
  struct Sample {
    int64_t pos[4];
    double w[4];
  };
  for (int64_t r = 0; r < num_rois; ++r) {
    int64_t b = indices[static_cast<size_t>(r)];
    if (b < 0 || b >= batch) return ctx.Error(absl::StrCat("batch index ", b, " is out of range"));
    const double offset = half_pixel ? 0.5 : 0.0;
    double start_w = rois[r * 4 + 0] * spatial_scale - offset;
    double start_h = rois[r * 4 + 1] * spatial_scale - offset;
    double roi_w = rois[r * 4 + 2] * spatial_scale - offset - start_w;
    double roi_h = rois[r * 4 + 3] * spatial_scale - offset - start_h;
    if (!half_pixel) {
      roi_w = std::max(roi_w, 1.0);
      roi_h = std::max(roi_h, 1.0);
    }
    const double bin_h = roi_h / static_cast<double>(out_h);
    const double bin_w = roi_w / static_cast<double>(out_w);
    const int64_t grid_h = sampling_ratio > 0 ? sampling_ratio : static_cast<int64_t>(std::ceil(roi_h / out_h));
    const int64_t grid_w = sampling_ratio > 0 ? sampling_ratio : static_cast<int64_t>(std::ceil(roi_w / out_w));
    const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
    for (int64_t ph = 0; ph < out_h; ++ph) {
      for (int64_t pw = 0; pw < out_w; ++pw) {
        std::vector<Sample> samples;
        for (int64_t iy = 0; iy < grid_h; ++iy) {
          double y = start_h + ph * bin_h + (iy + 0.5) * bin_h / static_cast<double>(grid_h);
          for (int64_t ix = 0; ix < grid_w; ++ix) {
            double xx = start_w + pw * bin_w + (ix + 0.5) * bin_w / static_cast<double>(grid_w);
            Sample s{{0, 0, 0, 0}, {0, 0, 0, 0}};
            if (!(y < -1.0 || y > height || xx < -1.0 || xx > width)) {
              double yc = std::max(y, 0.0), xc = std::max(xx, 0.0);
              int64_t y_low = static_cast<int64_t>(yc), x_low = static_cast<int64_t>(xc), y_high, x_high;
              if (y_low >= height - 1) {
                y_high = y_low = height - 1;
                yc = static_cast<double>(y_low);
              } else {
                y_high = y_low + 1;
              }
              if (x_low >= width - 1) {
                x_high = x_low = width - 1;
                xc = static_cast<double>(x_low);
              } else {
                x_high = x_low + 1;
              }
              double ly = yc - y_low, lx = xc - x_low, hy = 1 - ly, hx = 1 - lx;
              s = Sample{{y_low * width + x_low, y_low * width + x_high, y_high * width + x_low, y_high * width + x_high},
                         {hy * hx, hy * lx, ly * hx, ly * lx}};
            }
            samples.push_back(s);
          }
        }
        for (int64_t c = 0; c < channels; ++c) {
          const double* plane = xs.data() + (b * channels + c) * height * width;
          double value = 0;
          bool first = true;
          for (const Sample& s : samples) {
            if (mode == "avg") {
              for (int k = 0; k < 4; ++k) value += s.w[k] * plane[s.pos[k]];
            } else {
              double m = s.w[0] * plane[s.pos[0]];
              for (int k = 1; k < 4; ++k) m = std::max(m, s.w[k] * plane[s.pos[k]]);
              value = first ? m : std::max(value, m);
              first = false;
            }
          }
          if (mode == "avg") value /= count;
          out[static_cast<size_t>(((r * channels + c) * out_h + ph) * out_w + pw)] = value;
        }
      }
    }
  }
  ctx.set_output(0, FromDoubles(out, {num_rois, channels, out_h, out_w}, x->dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Col2Im

absl::Status Col2ImKernel(KernelContext& ctx) {
  const Tensor* input = ctx.input(0);
  if (input == nullptr || ctx.input(1) == nullptr || ctx.input(2) == nullptr) {
    return ctx.Error("input, image_shape and block_shape are required");
  }
  if (absl::Status s = RequireFloat(ctx, *input); !s.ok()) return s;
  std::vector<int64_t> image = ToInt64s(*ctx.input(1));
  std::vector<int64_t> block = ToInt64s(*ctx.input(2));
  const size_t spatial = image.size();
  if (block.size() != spatial || spatial == 0) return ctx.Error("image_shape and block_shape must have the same length");
  std::vector<int64_t> dilations = ctx.node().GetInts("dilations", std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> strides = ctx.node().GetInts("strides", std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> pads = ctx.node().GetInts("pads", std::vector<int64_t>(2 * spatial, 0));
  if (dilations.size() != spatial || strides.size() != spatial || pads.size() != 2 * spatial) {
    return ctx.Error("dilations, strides and pads must match image_shape's length");
  }
  if (input->rank() != 3) return ctx.Error("input must have rank 3");
  const int64_t block_size = Product(block);
  if (block_size <= 0 || input->dim(1) % block_size != 0) {
    return ctx.Error(absl::StrCat("input dim 1 (", input->dim(1), ") is not a multiple of the block size ", block_size));
  }
  std::vector<int64_t> blocks(spatial);
  for (size_t i = 0; i < spatial; ++i) {
    int64_t span = dilations[i] * (block[i] - 1) + 1;
    blocks[i] = (image[i] + pads[i] + pads[i + spatial] - span) / strides[i] + 1;
    if (blocks[i] <= 0 || strides[i] <= 0 || dilations[i] <= 0) return ctx.Error("block does not fit the padded image");
  }
  if (Product(blocks) != input->dim(2)) {
    return ctx.Error(absl::StrCat("input has ", input->dim(2), " blocks, image and block shapes give ", Product(blocks)));
  }
  const int64_t batch = input->dim(0), channels = input->dim(1) / block_size, num_blocks = input->dim(2);
  const int64_t image_size = Product(image);
  std::vector<int64_t> image_strides = Strides(image);
  std::vector<double> in = AsDoubles(*input);
  std::vector<double> out(static_cast<size_t>(batch * channels * image_size), 0.0);
  std::vector<int64_t> k_index(spatial), l_index(spatial);
  for (int64_t k = 0; k < block_size; ++k) {
    for (int64_t rem = k, i = static_cast<int64_t>(spatial) - 1; i >= 0; --i) {
      k_index[i] = rem % block[i];
      rem /= block[i];
    }
    for (int64_t l = 0; l < num_blocks; ++l) {
      int64_t offset = 0;
      bool inside = true;
      for (int64_t rem = l, i = static_cast<int64_t>(spatial) - 1; i >= 0; --i) {
        l_index[i] = rem % blocks[i];
        rem /= blocks[i];
        int64_t pos = l_index[i] * strides[i] - pads[i] + k_index[i] * dilations[i];
        if (pos < 0 || pos >= image[i]) inside = false;
        offset += pos * image_strides[i];
      }
      if (!inside) continue;
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t c = 0; c < channels; ++c) {
          out[static_cast<size_t>((n * channels + c) * image_size + offset)] +=
              in[static_cast<size_t>(((n * channels + c) * block_size + k) * num_blocks + l)];
        }
      }
    }
  }
  std::vector<int64_t> out_dims = {batch, channels};
  out_dims.insert(out_dims.end(), image.begin(), image.end());
  ctx.set_output(0, FromDoubles(out, std::move(out_dims), input->dtype()));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// CenterCropPad and MaxUnpool: raw element moves

absl::Status RequireFixedSize(const KernelContext& ctx, const Tensor& t) {
  if (ir::DTypeSize(t.dtype()) > 0) return absl::OkStatus();
  return ctx.Error(absl::StrCat("element type ", ir::DTypeName(t.dtype()), " is not supported"));
}

absl::Status CenterCropPadKernel(KernelContext& ctx) {
  const Tensor* input = ctx.input(0);
  const Tensor* shape_t = ctx.input(1);
  if (input == nullptr || shape_t == nullptr) return ctx.Error("input and shape are required");
  if (absl::Status s = RequireFixedSize(ctx, *input); !s.ok()) return s;
  const int64_t rank = input->rank();
  std::vector<int64_t> axes = ctx.node().GetInts("axes");
  if (axes.empty()) {
    axes.resize(static_cast<size_t>(rank));
    std::iota(axes.begin(), axes.end(), 0);
  }
  std::vector<int64_t> target = ToInt64s(*shape_t);
  if (target.size() != axes.size()) return ctx.Error("shape must have one entry per axis");
  std::vector<int64_t> out_dims = input->dims();
  for (size_t i = 0; i < axes.size(); ++i) {
    absl::StatusOr<int64_t> a = NormalizeAxis(ctx, axes[i], rank);
    if (!a.ok()) return a.status();
    if (target[i] < 0) return ctx.Error("shape entries must be non-negative");
    out_dims[static_cast<size_t>(*a)] = target[i];
  }
  // Per dim: output index o reads input index o + shift when in range (shift > 0 crops, < 0 pads).
  std::vector<int64_t> shift(static_cast<size_t>(rank), 0);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = input->dim(d), out = out_dims[d];
    shift[d] = in >= out ? (in - out) / 2 : -((out - in) / 2);
  }
  Tensor result = Tensor::Zeros(input->dtype(), out_dims);
  const int64_t elem = ir::DTypeSize(input->dtype());
  std::vector<int64_t> in_strides = Strides(input->dims());
  const std::byte* src = input->raw_data();
  std::byte* dst = result.mutable_raw_data();
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  for (int64_t o = 0; o < result.num_elements(); ++o) {
    int64_t rem = o, offset = 0;
    bool inside = true;
    for (int64_t d = rank - 1; d >= 0; --d) {
      int64_t i = rem % out_dims[d] + shift[d];
      rem /= out_dims[d];
      if (i < 0 || i >= input->dim(d)) inside = false;
      offset += i * in_strides[d];
    }
    if (inside) std::memcpy(dst + o * elem, src + offset * elem, static_cast<size_t>(elem));
  }
  ctx.set_output(0, std::move(result));
  return absl::OkStatus();
}

absl::Status MaxUnpoolKernel(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* indices_t = ctx.input(1);
  if (x == nullptr || indices_t == nullptr) return ctx.Error("X and I are required");
  if (absl::Status s = RequireFixedSize(ctx, *x); !s.ok()) return s;
  if (indices_t->dims() != x->dims()) return ctx.Error("I must have the shape of X");
  std::vector<int64_t> kernel = ctx.node().GetInts("kernel_shape");
  const size_t spatial = kernel.size();
  if (spatial == 0 || x->rank() != static_cast<int64_t>(spatial) + 2) {
    return ctx.Error("kernel_shape must have rank(X) - 2 entries");
  }
  std::vector<int64_t> strides = ctx.node().GetInts("strides", std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> pads = ctx.node().GetInts("pads", std::vector<int64_t>(2 * spatial, 0));
  if (strides.size() != spatial || pads.size() != 2 * spatial) return ctx.Error("strides and pads must match kernel_shape");
  // Indices address the tensor MaxPool read, whose shape is the default unpooled one; an explicit
  // output_shape only enlarges the canvas they are placed on.
  std::vector<int64_t> pooled_dims = {x->dim(0), x->dim(1)};
  for (size_t i = 0; i < spatial; ++i) {
    pooled_dims.push_back((x->dim(static_cast<int64_t>(i) + 2) - 1) * strides[i] - pads[i] - pads[i + spatial] + kernel[i]);
  }
  std::vector<int64_t> out_dims = pooled_dims;
  if (const Tensor* shape_t = ctx.input(2)) {
    out_dims = ToInt64s(*shape_t);
    if (out_dims.size() != spatial + 2) return ctx.Error("output_shape must have rank(X) entries");
    for (size_t i = 0; i < out_dims.size(); ++i) {
      if (out_dims[i] < pooled_dims[i]) {
        return ctx.Error(absl::StrCat("output_shape dim ", i, " (", out_dims[i], ") is smaller than the unpooled size ",
                                      pooled_dims[i]));
      }
    }
  }
  for (int64_t d : out_dims) {
    if (d < 0) return ctx.Error("output shape has a negative dim");
  }
  Tensor result = Tensor::Zeros(x->dtype(), out_dims);
  const int64_t elem = ir::DTypeSize(x->dtype());
  std::vector<int64_t> indices = ToInt64s(*indices_t);
  const int64_t pooled_size = Product(pooled_dims);
  std::vector<int64_t> out_strides = Strides(out_dims);
  for (int64_t i = 0; i < x->num_elements(); ++i) {
    int64_t index = indices[static_cast<size_t>(i)];
    if (index < 0 || index >= pooled_size) {
      return ctx.Error(absl::StrCat("index ", index, " is outside the unpooled tensor of ", pooled_size, " elements"));
    }
    int64_t target = 0;
    for (int64_t d = static_cast<int64_t>(pooled_dims.size()) - 1, rem = index; d >= 0; --d) {
      target += (rem % pooled_dims[d]) * out_strides[d];
      rem /= pooled_dims[d];
    }
    std::memcpy(result.mutable_raw_data() + target * elem, x->raw_data() + i * elem, static_cast<size_t>(elem));
  }
  ctx.set_output(0, std::move(result));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Det

absl::Status DetKernel(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (x == nullptr) return ctx.Error("X is required");
  if (absl::Status s = RequireFloat(ctx, *x); !s.ok()) return s;
  const int64_t rank = x->rank();
  if (rank < 2 || x->dim(rank - 1) != x->dim(rank - 2)) return ctx.Error("X must be [*, M, M]");
  const int64_t m = x->dim(rank - 1);
  std::vector<int64_t> out_dims(x->dims().begin(), x->dims().end() - 2);
  const int64_t count = Product(out_dims);
  std::vector<double> in = AsDoubles(*x);
  std::vector<double> out(static_cast<size_t>(count));
  std::vector<double> a(static_cast<size_t>(m * m));
  for (int64_t b = 0; b < count; ++b) {
    std::copy(in.begin() + b * m * m, in.begin() + (b + 1) * m * m, a.begin());
    // LU decomposition with partial pivoting; the determinant is the signed product of the pivots.
    double det = 1;
    for (int64_t col = 0; col < m && det != 0; ++col) {
      int64_t pivot = col;
      for (int64_t row = col + 1; row < m; ++row) {
        if (std::abs(a[row * m + col]) > std::abs(a[pivot * m + col])) pivot = row;
      }
      if (a[pivot * m + col] == 0) {
        det = 0;
        break;
      }
      if (pivot != col) {
        for (int64_t k = 0; k < m; ++k) std::swap(a[pivot * m + k], a[col * m + k]);
        det = -det;
      }
      det *= a[col * m + col];
      for (int64_t row = col + 1; row < m; ++row) {
        double factor = a[row * m + col] / a[col * m + col];
        for (int64_t k = col; k < m; ++k) a[row * m + k] -= factor * a[col * m + k];
      }
    }
    out[static_cast<size_t>(b)] = det;
  }
  ctx.set_output(0, FromDoubles(out, std::move(out_dims), x->dtype()));
  return absl::OkStatus();
}

}  // namespace

void RegisterVisionKernels(KernelRegistry& registry) {
  registry.Register("", "GridSample", GridSampleKernel);
  registry.Register("", "NonMaxSuppression", NonMaxSuppressionKernel);
  registry.Register("", "RoiAlign", RoiAlignKernel);
  registry.Register("", "Col2Im", Col2ImKernel);
  registry.Register("", "CenterCropPad", CenterCropPadKernel);
  registry.Register("", "MaxUnpool", MaxUnpoolKernel);
  registry.Register("", "Det", DetKernel);
}

}  // namespace gsopt::backend::cpu
