// TensorProto conversion: every dtype through each storage field ONNX allows,
// external data inside and outside the model folder, and tensor files.
#include <cstring>
#include <filesystem>

#include "frontends/onnx/onnx_import.h"
#include "frontends/onnx/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gsopt::frontends::onnx {
namespace {

using ::onnx::TensorProto;
using ::testing::HasSubstr;
using testing::ScratchDir;

TensorProto MakeProto(const std::string& name, int32_t data_type, const std::vector<int64_t>& dims) {
  TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(data_type);
  for (int64_t d : dims) proto.add_dims(d);
  return proto;
}

std::vector<uint8_t> Bytes(const ir::Tensor& t) {
  const auto* p = reinterpret_cast<const uint8_t*>(t.raw_data());
  return std::vector<uint8_t>(p, p + t.byte_size());
}

TEST(TensorFromProtoTest, FloatFromFloatDataAndRawData) {
  TensorProto typed = MakeProto("f", TensorProto::FLOAT, {2, 2});
  for (float v : {1.5f, -2.0f, 0.25f, 8.0f}) typed.add_float_data(v);
  absl::StatusOr<ir::Tensor> a = TensorFromProto(typed, "");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->dtype(), ir::DType::kFloat32);
  EXPECT_EQ(a->dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(a->data<float>()[0], 1.5f);
  EXPECT_EQ(a->data<float>()[3], 8.0f);

  TensorProto raw = MakeProto("f", TensorProto::FLOAT, {2, 2});
  float values[4] = {1.5f, -2.0f, 0.25f, 8.0f};
  raw.set_raw_data(std::string(reinterpret_cast<const char*>(values), sizeof(values)));
  absl::StatusOr<ir::Tensor> b = TensorFromProto(raw, "");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(a->BitwiseEquals(*b));
}

TEST(TensorFromProtoTest, DoubleAndComplex) {
  TensorProto d = MakeProto("d", TensorProto::DOUBLE, {3});
  for (double v : {1.0, -0.5, 1e300}) d.add_double_data(v);
  absl::StatusOr<ir::Tensor> t = TensorFromProto(d, "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->data<double>()[2], 1e300);

  TensorProto c64 = MakeProto("c", TensorProto::COMPLEX64, {2});
  for (float v : {1.f, 2.f, 3.f, 4.f}) c64.add_float_data(v);  // two numbers per element
  absl::StatusOr<ir::Tensor> c = TensorFromProto(c64, "");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->byte_size(), 16);
  EXPECT_EQ(c->data<float>()[3], 4.f);

  TensorProto c128 = MakeProto("c", TensorProto::COMPLEX128, {1});
  c128.add_double_data(5.0);
  c128.add_double_data(-6.0);
  absl::StatusOr<ir::Tensor> z = TensorFromProto(c128, "");
  ASSERT_TRUE(z.ok()) << z.status();
  EXPECT_EQ(z->data<double>()[1], -6.0);
}

TEST(TensorFromProtoTest, IntegersFromTheirTypedFields) {
  TensorProto i64 = MakeProto("i64", TensorProto::INT64, {2});
  i64.add_int64_data(-7);
  i64.add_int64_data(int64_t{1} << 40);
  absl::StatusOr<ir::Tensor> a = TensorFromProto(i64, "");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->data<int64_t>()[1], int64_t{1} << 40);

  TensorProto i32 = MakeProto("i32", TensorProto::INT32, {2});
  i32.add_int32_data(-100000);
  i32.add_int32_data(3);
  absl::StatusOr<ir::Tensor> b = TensorFromProto(i32, "");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->data<int32_t>()[0], -100000);

  TensorProto i16 = MakeProto("i16", TensorProto::INT16, {2});
  i16.add_int32_data(-300);
  i16.add_int32_data(300);
  absl::StatusOr<ir::Tensor> c = TensorFromProto(i16, "");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data<int16_t>()[0], -300);
  EXPECT_EQ(c->data<int16_t>()[1], 300);

  TensorProto i8 = MakeProto("i8", TensorProto::INT8, {3});
  for (int v : {-128, 0, 127}) i8.add_int32_data(v);
  absl::StatusOr<ir::Tensor> d = TensorFromProto(i8, "");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->data<int8_t>()[0], -128);
  EXPECT_EQ(d->data<int8_t>()[2], 127);

  TensorProto u8 = MakeProto("u8", TensorProto::UINT8, {2});
  u8.add_int32_data(255);
  u8.add_int32_data(1);
  absl::StatusOr<ir::Tensor> e = TensorFromProto(u8, "");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->data<uint8_t>()[0], 255);

  TensorProto u16 = MakeProto("u16", TensorProto::UINT16, {1});
  u16.add_int32_data(65535);
  absl::StatusOr<ir::Tensor> f = TensorFromProto(u16, "");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->data<uint16_t>()[0], 65535);

  TensorProto u32 = MakeProto("u32", TensorProto::UINT32, {1});
  u32.add_uint64_data(4000000000u);
  absl::StatusOr<ir::Tensor> g = TensorFromProto(u32, "");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->data<uint32_t>()[0], 4000000000u);

  TensorProto u64 = MakeProto("u64", TensorProto::UINT64, {1});
  u64.add_uint64_data(uint64_t{1} << 63);
  absl::StatusOr<ir::Tensor> h = TensorFromProto(u64, "");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->data<uint64_t>()[0], uint64_t{1} << 63);
}

TEST(TensorFromProtoTest, BoolNormalizesToZeroOrOne) {
  TensorProto b = MakeProto("b", TensorProto::BOOL, {3});
  for (int v : {0, 1, 5}) b.add_int32_data(v);
  absl::StatusOr<ir::Tensor> t = TensorFromProto(b, "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Bytes(*t), (std::vector<uint8_t>{0, 1, 1}));
}

TEST(TensorFromProtoTest, HalfAndBFloat16AreBitPatternsInInt32Data) {
  TensorProto h = MakeProto("h", TensorProto::FLOAT16, {2});
  h.add_int32_data(ir::FloatToHalf(1.0f));
  h.add_int32_data(ir::FloatToHalf(-2.5f));
  absl::StatusOr<ir::Tensor> a = TensorFromProto(h, "");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->dtype(), ir::DType::kFloat16);
  EXPECT_EQ(a->data<uint16_t>()[0], 0x3C00);
  EXPECT_EQ(a->GetAsDouble(1), -2.5);

  TensorProto bf = MakeProto("bf", TensorProto::BFLOAT16, {2});
  bf.add_int32_data(0x3F80);  // 1.0
  bf.add_int32_data(0xC000);  // -2.0
  absl::StatusOr<ir::Tensor> b = TensorFromProto(bf, "");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->GetAsDouble(0), 1.0);
  EXPECT_EQ(b->GetAsDouble(1), -2.0);
}

TEST(TensorFromProtoTest, Float8KeepsBytes) {
  TensorProto f8 = MakeProto("f8", static_cast<int32_t>(ir::DType::kFloat8E4M3FN), {2});
  f8.add_int32_data(0x38);  // 1.0 in e4m3fn
  f8.add_int32_data(0xC0);  // -2.0
  absl::StatusOr<ir::Tensor> t = TensorFromProto(f8, "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), ir::DType::kFloat8E4M3FN);
  EXPECT_EQ(Bytes(*t), (std::vector<uint8_t>{0x38, 0xC0}));
}

TEST(TensorFromProtoTest, Int4PacksTwoPerByteLowNibbleFirst) {
  // Elements 1, -2, 7: bytes 0xE1 (1 | -2<<4), 0x07 (7, padding nibble 0).
  TensorProto typed = MakeProto("q", static_cast<int32_t>(ir::DType::kInt4), {3});
  typed.add_int32_data(0xE1);
  typed.add_int32_data(0x07);
  absl::StatusOr<ir::Tensor> a = TensorFromProto(typed, "");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->num_elements(), 3);
  EXPECT_EQ(a->byte_size(), 2);
  EXPECT_EQ(Bytes(*a), (std::vector<uint8_t>{0xE1, 0x07}));

  TensorProto raw = MakeProto("q", static_cast<int32_t>(ir::DType::kUInt4), {4});
  raw.set_raw_data(std::string("\x21\x43", 2));
  absl::StatusOr<ir::Tensor> b = TensorFromProto(raw, "");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Bytes(*b), (std::vector<uint8_t>{0x21, 0x43}));

  TensorProto wrong = MakeProto("q", static_cast<int32_t>(ir::DType::kInt4), {3});
  wrong.set_raw_data(std::string(3, '\0'));  // 3 elements need 2 bytes
  absl::StatusOr<ir::Tensor> c = TensorFromProto(wrong, "");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("raw_data has 3 bytes, expected 2"));
}

TEST(TensorFromProtoTest, Strings) {
  TensorProto s = MakeProto("s", TensorProto::STRING, {2});
  s.add_string_data("hello");
  s.add_string_data(std::string("a\0b", 3));
  absl::StatusOr<ir::Tensor> t = TensorFromProto(s, "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), ir::DType::kString);
  EXPECT_EQ(t->strings(), (std::vector<std::string>{"hello", std::string("a\0b", 3)}));

  TensorProto raw = MakeProto("s", TensorProto::STRING, {1});
  raw.set_raw_data("x");
  EXPECT_THAT(TensorFromProto(raw, "").status().message(), HasSubstr("string tensors cannot use raw_data"));
}

TEST(TensorFromProtoTest, EmptyAndScalarTensors) {
  TensorProto empty = MakeProto("e", TensorProto::FLOAT, {0, 3});
  absl::StatusOr<ir::Tensor> a = TensorFromProto(empty, "");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->num_elements(), 0);

  TensorProto scalar = MakeProto("s", TensorProto::INT64, {});
  scalar.add_int64_data(42);
  absl::StatusOr<ir::Tensor> b = TensorFromProto(scalar, "");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->rank(), 0);
  EXPECT_EQ(b->data<int64_t>()[0], 42);
}

TEST(TensorFromProtoTest, BadProtosAreErrorsNamingTheTensor) {
  TensorProto unknown = MakeProto("w1", 99, {1});
  EXPECT_THAT(TensorFromProto(unknown, "").status().message(), HasSubstr("tensor 'w1': unknown data type code 99"));

  TensorProto undefined = MakeProto("w0", 0, {1});
  EXPECT_THAT(TensorFromProto(undefined, "").status().message(), HasSubstr("unknown data type code 0"));

  TensorProto negative = MakeProto("w2", TensorProto::FLOAT, {2, -3});
  EXPECT_THAT(TensorFromProto(negative, "").status().message(), HasSubstr("tensor 'w2': has negative dim -3"));

  TensorProto absurd = MakeProto("w3", TensorProto::FLOAT, {ir::kMaxDimValue + 1});
  EXPECT_THAT(TensorFromProto(absurd, "").status().message(), HasSubstr("tensor 'w3': dim 1099511627777 exceeds"));

  TensorProto too_many = MakeProto("w4", TensorProto::FLOAT, {int64_t{1} << 30, int64_t{1} << 30});
  EXPECT_THAT(TensorFromProto(too_many, "").status().message(), HasSubstr("tensor 'w4'"));
  EXPECT_FALSE(TensorFromProto(too_many, "").ok());

  TensorProto short_raw = MakeProto("w5", TensorProto::FLOAT, {4});
  short_raw.set_raw_data(std::string(15, '\0'));
  EXPECT_THAT(TensorFromProto(short_raw, "").status().message(),
              HasSubstr("tensor 'w5': raw_data has 15 bytes, expected 16"));

  TensorProto short_typed = MakeProto("w6", TensorProto::FLOAT, {4});
  short_typed.add_float_data(1.0f);
  EXPECT_THAT(TensorFromProto(short_typed, "").status().message(),
              HasSubstr("tensor 'w6': has 1 values in float_data, expected 4"));

  TensorProto wrong_field = MakeProto("w7", TensorProto::INT64, {1});
  wrong_field.add_float_data(1.0f);
  EXPECT_THAT(TensorFromProto(wrong_field, "").status().message(),
              HasSubstr("must be in int64_data, which is empty"));

  TensorProto no_data = MakeProto("w8", TensorProto::FLOAT, {3});
  EXPECT_THAT(TensorFromProto(no_data, "").status().message(), HasSubstr("has 0 values in float_data, expected 3"));
}

TEST(TensorFromProtoTest, HugeDimsWithLittleDataFailWithoutAllocating) {
  // 2^39 floats would be 2 TiB; the data present is checked before any allocation.
  TensorProto raw = MakeProto("big", TensorProto::FLOAT, {int64_t{1} << 39});
  raw.set_raw_data(std::string(4, '\0'));
  EXPECT_THAT(TensorFromProto(raw, "").status().message(),
              HasSubstr("tensor 'big': raw_data has 4 bytes, expected 2199023255552"));
  TensorProto typed = MakeProto("big", TensorProto::FLOAT, {int64_t{1} << 39});
  typed.add_float_data(1.f);
  EXPECT_THAT(TensorFromProto(typed, "").status().message(), HasSubstr("has 1 values in float_data"));
}

class ExternalDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(model_dir_);
    float values[4] = {1.f, 2.f, 3.f, 4.f};
    std::string bytes(reinterpret_cast<const char*>(values), sizeof(values));
    std::ofstream(std::filesystem::path(model_dir_) / "weights.bin", std::ios::binary) << bytes;
    std::ofstream(scratch_.File("outside.bin"), std::ios::binary) << bytes;
  }

  static TensorProto External(const std::string& location, const std::string& offset, const std::string& length,
                              std::vector<int64_t> dims = {2}) {
    TensorProto t = MakeProto("ext", TensorProto::FLOAT, dims);
    t.set_data_location(TensorProto::EXTERNAL);
    auto add = [&](const std::string& key, const std::string& value) {
      if (value.empty()) return;
      auto* entry = t.add_external_data();
      entry->set_key(key);
      entry->set_value(value);
    };
    add("location", location);
    add("offset", offset);
    add("length", length);
    return t;
  }

  ScratchDir scratch_;
  std::string model_dir_ = scratch_.File("model");
};

TEST_F(ExternalDataTest, ReadsTheRequestedRange) {
  absl::StatusOr<ir::Tensor> t = TensorFromProto(External("weights.bin", "4", "8"), model_dir_);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->data<float>()[0], 2.f);
  EXPECT_EQ(t->data<float>()[1], 3.f);

  absl::StatusOr<ir::Tensor> whole = TensorFromProto(External("./weights.bin", "", "", {4}), model_dir_);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->data<float>()[3], 4.f);
}

TEST_F(ExternalDataTest, RefusesLocationsOutsideTheModelFolder) {
  EXPECT_THAT(TensorFromProto(External(scratch_.File("outside.bin"), "", ""), model_dir_).status().message(),
              HasSubstr("is an absolute path"));
  EXPECT_THAT(TensorFromProto(External("../outside.bin", "", ""), model_dir_).status().message(),
              HasSubstr("leaves the model folder"));
  EXPECT_THAT(TensorFromProto(External("sub/../../outside.bin", "", ""), model_dir_).status().message(),
              HasSubstr("leaves the model folder"));
  std::filesystem::create_symlink(scratch_.File("outside.bin"), std::filesystem::path(model_dir_) / "link.bin");
  absl::Status via_link = TensorFromProto(External("link.bin", "", ""), model_dir_).status();
  EXPECT_THAT(via_link.message(), HasSubstr("tensor 'ext': external data location 'link.bin' resolves to"));
  EXPECT_THAT(via_link.message(), HasSubstr("outside the model folder"));
}

TEST_F(ExternalDataTest, RangeMustLieInTheFile) {
  EXPECT_THAT(TensorFromProto(External("weights.bin", "12", "8"), model_dir_).status().message(),
              HasSubstr("needs bytes [12, 20) of 'weights.bin', but the file has 16 bytes"));
  EXPECT_THAT(TensorFromProto(External("weights.bin", "1000", ""), model_dir_).status().message(),
              HasSubstr("but the file has 16 bytes"));
  EXPECT_THAT(TensorFromProto(External("weights.bin", "0", "4"), model_dir_).status().message(),
              HasSubstr("length 4 does not match the 8 bytes"));
  EXPECT_THAT(TensorFromProto(External("weights.bin", "-4", ""), model_dir_).status().message(),
              HasSubstr("offset '-4' is not a non-negative integer"));
  EXPECT_THAT(TensorFromProto(External("missing.bin", "", ""), model_dir_).status().message(),
              HasSubstr("cannot open external data file 'missing.bin'"));
  EXPECT_THAT(TensorFromProto(External("", "", ""), model_dir_).status().message(),
              HasSubstr("external data has no location"));
}

TEST(TensorFileTest, SaveThenLoadRoundTrips) {
  ScratchDir dir;
  ir::Tensor floats = ir::Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(SaveTensorFile(floats, "x", dir.File("x.pb")).ok());
  absl::StatusOr<ir::Tensor> back = LoadTensorFile(dir.File("x.pb"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->BitwiseEquals(floats));

  ir::Tensor strings = ir::Tensor::FromStrings({2}, {"ab", ""});
  ASSERT_TRUE(SaveTensorFile(strings, "s", dir.File("s.pb")).ok());
  absl::StatusOr<ir::Tensor> strings_back = LoadTensorFile(dir.File("s.pb"));
  ASSERT_TRUE(strings_back.ok()) << strings_back.status();
  EXPECT_EQ(strings_back->strings(), strings.strings());

  // The written file is a real TensorProto carrying the name.
  TensorProto proto;
  std::ifstream in(dir.File("x.pb"), std::ios::binary);
  ASSERT_TRUE(proto.ParseFromIstream(&in));
  EXPECT_EQ(proto.name(), "x");
  EXPECT_EQ(proto.data_type(), TensorProto::FLOAT);
}

TEST(TensorFileTest, ReadsOnnxBackendTestData) {
  const std::string path = "/usr/share/libonnx-testdata/data/node/test_add_bcast/test_data_set_0/input_0.pb";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "ONNX backend test data not installed: " << path;
  absl::StatusOr<ir::Tensor> t = LoadTensorFile(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), ir::DType::kFloat32);
  EXPECT_EQ(t->dims(), (std::vector<int64_t>{3, 4, 5}));
}

TEST(TensorFileTest, BadFilesAreErrorsNamingTheFile) {
  ScratchDir dir;
  absl::Status missing = LoadTensorFile(dir.File("nope.pb")).status();
  EXPECT_THAT(missing.message(), HasSubstr("nope.pb: cannot open"));
  std::string empty = dir.Write("empty.pb", "");
  EXPECT_THAT(LoadTensorFile(empty).status().message(), HasSubstr("empty.pb: file is empty"));
  std::string garbage = dir.Write("garbage.pb", std::string("\xff\xff\xff\xff\xff\xff", 6));
  EXPECT_THAT(LoadTensorFile(garbage).status().message(), HasSubstr("garbage.pb: not a valid ONNX TensorProto"));
  TensorProto bad = MakeProto("t", TensorProto::FLOAT, {4});
  bad.set_raw_data("abc");
  std::string bad_path = dir.Write("bad.pb", bad.SerializeAsString());
  EXPECT_THAT(LoadTensorFile(bad_path).status().message(),
              HasSubstr("bad.pb: tensor 't': raw_data has 3 bytes, expected 16"));
  EXPECT_THAT(SaveTensorFile(ir::Tensor(), "u", dir.File("u.pb")).message(), HasSubstr("tensor 'u' is undefined"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("u.pb")));
}

}  // namespace
}  // namespace gsopt::frontends::onnx
