#include "encoding/update_codec.h"

#include <gtest/gtest.h>

#include "encoding/test_vectors.h"
#include "encoding/wire.h"
#include "weft/update.h"

namespace weft {
namespace {

using testing::from_hex;
using testing::to_hex;

std::vector<nlohmann::json> scenarios() {
  static std::vector<nlohmann::json> s = testing::load_jsonl("updates.jsonl");
  return s;
}

TEST(UpdateCodec, ScenariosLoaded) { EXPECT_GE(scenarios().size(), 20u); }

TEST(UpdateCodec, DecodeV1AndV2Agree) {
  for (auto& s : scenarios()) {
    auto v1 = from_hex(s["v1"]);
    auto v2 = from_hex(s["v2"]);
    Result<std::string> d1 = describe_update(v1, UpdateFormat::kV1);
    Result<std::string> d2 = describe_update(v2, UpdateFormat::kV2);
    ASSERT_TRUE(d1) << s["name"] << " " << d1.status().to_string();
    ASSERT_TRUE(d2) << s["name"] << " " << d2.status().to_string();
    EXPECT_EQ(*d1, *d2) << s["name"];
  }
}

TEST(UpdateCodec, ConvertMatchesYjs) {
  for (auto& s : scenarios()) {
    auto v1 = from_hex(s["v1"]);
    auto v2 = from_hex(s["v2"]);
    auto a = convert_update(v1, UpdateFormat::kV1, UpdateFormat::kV2);
    ASSERT_TRUE(a) << s["name"] << " " << a.status().to_string();
    EXPECT_EQ(to_hex(*a), s["conv_v1_v2"]) << s["name"];
    auto b = convert_update(v2, UpdateFormat::kV2, UpdateFormat::kV1);
    ASSERT_TRUE(b) << s["name"] << " " << b.status().to_string();
    EXPECT_EQ(to_hex(*b), s["conv_v2_v1"]) << s["name"];
    for (size_t i = 0; i < s["txns_v1"].size(); i++) {
      auto t = from_hex(s["txns_v1"][i]);
      auto c = convert_update(t, UpdateFormat::kV1, UpdateFormat::kV2);
      ASSERT_TRUE(c) << s["name"] << " txn " << i;
      EXPECT_EQ(to_hex(*c), s["txns_v2"][i]) << s["name"] << " txn " << i;
    }
  }
}

TEST(UpdateCodec, WorkedExamples) {
  // yjs-compat 3.8 / 4.5: text "ab" in root t, client 1.
  auto v1 = from_hex("010101000401017402616200");
  auto u = decode_update(v1, UpdateFormat::kV1);
  ASSERT_TRUE(u);
  ASSERT_EQ(u->structs.size(), 1u);
  EXPECT_EQ(u->structs[0].length, 2u);
  EXPECT_EQ(std::get<std::string>(u->structs[0].parent), "t");
  auto v2 = convert_update(v1, UpdateFormat::kV1, UpdateFormat::kV2);
  ASSERT_TRUE(v2);
  EXPECT_EQ(to_hex(*v2), "0000010100000104060374616201020101000001010000");
  // Empty updates.
  auto e2 = from_hex("00000000000001000000000000");
  EXPECT_TRUE(decode_update(e2, UpdateFormat::kV2));
  auto e1 = convert_update(e2, UpdateFormat::kV2, UpdateFormat::kV1);
  ASSERT_TRUE(e1);
  EXPECT_EQ(to_hex(*e1), "0000");
  // Map overwrite: info 0xa8 carries parentSub but no key string.
  auto m = from_hex("010202002101016d016b01a8020001770178010201000101");
  auto mu = decode_update(m, UpdateFormat::kV1);
  ASSERT_TRUE(mu) << mu.status().to_string();
  EXPECT_EQ(*mu->structs[0].parent_sub, "k");
  EXPECT_FALSE(mu->structs[1].parent_sub);
}

// Every prefix and every single-byte corruption of every vector must give an
// error or a valid result, never a crash (run under ASan/UBSan).
TEST(UpdateCodec, TruncatedAndCorruptInputs) {
  size_t errors = 0;
  for (auto& s : scenarios()) {
    for (const char* key : {"v1", "v2"}) {
      UpdateFormat f = key[1] == '1' ? UpdateFormat::kV1 : UpdateFormat::kV2;
      auto full = from_hex(s[key]);
      for (size_t n = 0; n < full.size(); n++) {
        std::span<const uint8_t> prefix(full.data(), n);
        auto r = decode_update(prefix, f);
        if (!r) {
          errors++;
          EXPECT_NE(r.status().code(), ErrorCode::kOk);
        }
        (void)convert_update(prefix, f, f == UpdateFormat::kV1 ? UpdateFormat::kV2 : UpdateFormat::kV1);
      }
      if (full.size() > 400) continue;
      for (size_t i = 0; i < full.size(); i++) {
        for (uint8_t x : {0xff, 0x80, 0x01}) {
          auto bad = full;
          bad[i] ^= x;
          auto r = decode_update(bad, f);
          if (r) (void)convert_update(bad, f, UpdateFormat::kV1);
        }
      }
    }
  }
  EXPECT_GT(errors, 100u);
}

Status decode_status(const std::string& hex, UpdateFormat f = UpdateFormat::kV1) {
  auto b = from_hex(hex);
  auto r = decode_update(b, f);
  return r ? Status() : r.status();
}

TEST(UpdateCodec, MalformedInputs) {
  // Unknown content ref 11.
  EXPECT_EQ(decode_status("010105000b01017400").code(), ErrorCode::kMalformed);
  // Content ref 10 with other bits is not a Skip but unknown item content.
  EXPECT_FALSE(decode_status("010105004a01017400").is_ok());
  // Unknown type ref 7 (yrs weak link).
  EXPECT_EQ(decode_status("0101050007010174070000").code(), ErrorCode::kUnsupported);
  // Huge struct count with nothing behind it.
  EXPECT_FALSE(decode_status("01ffffffffffffff0f050000").is_ok());
  // Clock overflow: a GC of length 2^53-1 starting at clock 1.
  EXPECT_EQ(decode_status("0101050200ffffffffffffff0f00").code(), ErrorCode::kOutOfRange);
  // Invalid UTF-8 in a string item.
  EXPECT_EQ(decode_status("0101010004010174016100").code(), ErrorCode::kOk);
  EXPECT_EQ(decode_status("010101000401017401ff00").code(), ErrorCode::kMalformed);
  // Invalid JSON in an embed (v1).
  EXPECT_EQ(decode_status("0101010005010174027b7d00").code(), ErrorCode::kOk);
  EXPECT_EQ(decode_status("0101010005010174017b00").code(), ErrorCode::kMalformed);
  // Subdocument with null options: JS throws.
  EXPECT_FALSE(decode_status("010101000901017401677e00").is_ok());
  // Delete range beyond 2^53.
  EXPECT_EQ(decode_status("00010101ffffffffffffff0f02").code(), ErrorCode::kOutOfRange);
  // A range ending at 2^53 exactly is accepted by v1, and by v2 once
  // converted (v2's reader refused it: fuzz find).
  {
    const auto v1 = from_hex("00016301ffffffffffffff0f01");
    auto decoded = decode_update(v1, UpdateFormat::kV1);
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
    auto v2 = convert_update(v1, UpdateFormat::kV1, UpdateFormat::kV2);
    ASSERT_TRUE(v2.is_ok()) << v2.status().message();
    auto again = decode_update(*v2, UpdateFormat::kV2);
    ASSERT_TRUE(again.is_ok()) << again.status().message();
    EXPECT_EQ(again->delete_set, decoded->delete_set);
  }
  // v2 with hostile run lengths: one client block declaring 2^40 GC structs
  // whose lengths come from a run of zeros; bounded by max_structs_for_input.
  auto st = decode_status("0000010100000100010000000640ffffffff1f018080808080200000", UpdateFormat::kV2);
  EXPECT_EQ(st.code(), ErrorCode::kOutOfRange) << st.to_string();
}

TEST(UpdateCodec, V2DeleteRangeOfLengthZeroCannotBeWritten) {
  auto v1 = from_hex("000105010300");  // v1 delete set: client 5, [3, 3) (length 0)
  EXPECT_TRUE(decode_update(v1, UpdateFormat::kV1));
  auto r = convert_update(v1, UpdateFormat::kV1, UpdateFormat::kV2);
  EXPECT_FALSE(r);
}

TEST(UpdateCodec, StateVector) {
  StateVector sv{{1, 5}, {300, 2}, {2, 0}};
  auto b = encode_state_vector(sv);
  EXPECT_EQ(to_hex(b), "03ac020202000105");
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

TEST(UpdateCodec, DeleteSetOnlyCoders) {
  DeleteSet ds;
  ds.add(300, 1, 1);
  ds.add(5, 0, 3);
  ds.add(5, 10, 2);
  // yjs-compat 5.4: encodeSnapshot starts with the v1 delete set.
  auto v1 = make_ds_encoder(UpdateFormat::kV1);
  ds.write(*v1);
  EXPECT_EQ(testing::to_hex(v1->finish()), "02ac02010101050200030a02");
  auto v2 = make_ds_encoder(UpdateFormat::kV2);
  ds.write(*v2);
  auto b2 = v2->finish();
  EXPECT_EQ(testing::to_hex(b2), "02ac02010100050200020701");
  auto dec = make_ds_decoder(UpdateFormat::kV2, b2);
  DeleteSet back = DeleteSet::read(*dec);
  ASSERT_TRUE(dec->ok()) << dec->status().to_string();
  EXPECT_EQ(back, ds);
  EXPECT_TRUE(back.contains(ID{5, 11}));
  EXPECT_FALSE(back.contains(ID{5, 12}));
  EXPECT_FALSE(back.contains(ID{5, 3}));
  EXPECT_TRUE(back.contains(ID{300, 1}));
}

TEST(UpdateCodec, DeleteSetSortAndMerge) {
  DeleteSet ds;
  ds.add(1, 5, 2);
  ds.add(1, 0, 1);
  ds.add(1, 6, 4);
  ds.add(1, 1, 1);
  ds.add(1, 20, 0);
  ds.sort_and_merge();
  ASSERT_EQ(ds.clients()[1].size(), 3u);
  EXPECT_EQ(ds.clients()[1][0].clock, 0u);
  EXPECT_EQ(ds.clients()[1][0].len, 2u);
  EXPECT_EQ(ds.clients()[1][1].clock, 5u);
  EXPECT_EQ(ds.clients()[1][1].len, 5u);
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

// Fuzz find: a v1 delete set with unsorted ranges has no v2 form (JS would
// write a varUint of a negative difference); converting must fail cleanly.
TEST(UpdateCodec, V2UnsortedDeleteSetCannotBeWritten) {
  auto v1 = testing::from_hex("00017702730a72080103");  // client 119: [115,125) [114,122)
  auto d = decode_update(v1, UpdateFormat::kV1);
  ASSERT_TRUE(d) << d.status().to_string();
  EXPECT_EQ(d->delete_set.clients().at(119).size(), 2u);
  auto r = convert_update(v1, UpdateFormat::kV1, UpdateFormat::kV2);
  EXPECT_EQ(r.status().code(), ErrorCode::kMalformed);
  EXPECT_TRUE(convert_update(v1, UpdateFormat::kV1, UpdateFormat::kV1));
}

}  // namespace
}  // namespace weft
