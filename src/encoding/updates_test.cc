#include "weft/update.h"

#include <gtest/gtest.h>

#include "encoding/test_vectors.h"

namespace weft {
namespace {

using testing::from_hex;
using testing::to_hex;

std::vector<nlohmann::json> scenarios() {
  static std::vector<nlohmann::json> s = testing::load_jsonl("updates.jsonl");
  return s;
}

UpdateFormat fmt(const std::string& v) { return v == "v1" ? UpdateFormat::kV1 : UpdateFormat::kV2; }

TEST(Updates, MergeMatchesYjs) {
  size_t n = 0;
  for (auto& s : scenarios()) {
    for (auto& m : s["merges"]) {
      for (const std::string v : {"v1", "v2"}) {
        std::vector<std::vector<uint8_t>> inputs;
        for (int i : m["idx"]) {
          if (i < 0) {
            inputs.push_back(from_hex(s[v]));
          } else {
            inputs.push_back(from_hex(s[v == "v1" ? "txns_v1" : "txns_v2"][i]));
          }
        }
        std::vector<std::span<const uint8_t>> spans(inputs.begin(), inputs.end());
        auto r = merge_updates(spans, fmt(v));
        ASSERT_TRUE(r) << s["name"] << " " << m["idx"].dump() << " " << r.status().to_string();
        EXPECT_EQ(to_hex(*r), m[v]) << s["name"] << " " << v << " " << m["idx"].dump();
        n++;
      }
    }
  }
  EXPECT_GT(n, 200u);
}

TEST(Updates, DiffMatchesYjs) {
  for (auto& s : scenarios()) {
    for (auto& d : s["diffs"]) {
      auto sv = from_hex(d["sv"]);
      for (const std::string v : {"v1", "v2"}) {
        auto u = from_hex(s[v]);
        auto r = diff_update(u, sv, fmt(v));
        ASSERT_TRUE(r) << s["name"] << " " << r.status().to_string();
        EXPECT_EQ(to_hex(*r), d[v]) << s["name"] << " " << v << " sv " << d["sv"];
      }
    }
    if (s.contains("gappy")) {
      auto g = from_hex(s["gappy"]);
      for (auto& d : s["gappy_diffs"]) {
        auto sv = from_hex(d["sv"]);
        auto r = diff_update(g, sv, UpdateFormat::kV1);
        ASSERT_TRUE(r) << s["name"];
        EXPECT_EQ(to_hex(*r), d["v1"]) << s["name"] << " gappy sv " << d["sv"];
      }
    }
  }
}

TEST(Updates, StateVectorFromUpdate) {
  for (auto& s : scenarios()) {
    auto v1 = from_hex(s["v1"]);
    auto v2 = from_hex(s["v2"]);
    auto a = encode_state_vector_from_update(v1, UpdateFormat::kV1);
    ASSERT_TRUE(a);
    EXPECT_EQ(to_hex(*a), s["sv_from_v1"]) << s["name"];
    auto b = encode_state_vector_from_update(v2, UpdateFormat::kV2);
    ASSERT_TRUE(b);
    EXPECT_EQ(to_hex(*b), s["sv_from_v2"]) << s["name"];
    if (s.contains("gappy")) {
      auto g = from_hex(s["gappy"]);
      auto c = encode_state_vector_from_update(g, UpdateFormat::kV1);
      ASSERT_TRUE(c);
      EXPECT_EQ(to_hex(*c), s["gappy_sv"]) << s["name"];
      auto conv = convert_update(g, UpdateFormat::kV1, UpdateFormat::kV2);
      ASSERT_TRUE(conv);
      EXPECT_EQ(to_hex(*conv), s["gappy_conv"]) << s["name"];
    }
  }
}

TEST(Updates, SingleInputReturnedUnchanged) {
  auto u = from_hex("010101000401017402616200");
  std::vector<std::span<const uint8_t>> one{u};
  auto r = merge_updates(one, UpdateFormat::kV1);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, u);
  auto none = merge_updates({}, UpdateFormat::kV1);
  ASSERT_TRUE(none);
  EXPECT_EQ(to_hex(*none), "0000");
  auto bad = from_hex("0101010004010174");
  std::vector<std::span<const uint8_t>> one_bad{bad};
  EXPECT_FALSE(merge_updates(one_bad, UpdateFormat::kV1));
}

TEST(Updates, TruncatedInputsNeverCrash) {
  for (auto& s : scenarios()) {
    if (s["txns_v1"].size() < 2) continue;
    for (const std::string v : {"v1", "v2"}) {
      auto a = from_hex(s[v == "v1" ? "txns_v1" : "txns_v2"][0]);
      auto b = from_hex(s[v]);
      auto sv = from_hex(s["sv"]);
      for (size_t n = 0; n < b.size(); n++) {
        std::vector<std::span<const uint8_t>> in{a, std::span<const uint8_t>(b.data(), n)};
        auto r = merge_updates(in, fmt(v));
        (void)r;
        (void)diff_update(std::span<const uint8_t>(b.data(), n), sv, fmt(v));
        (void)encode_state_vector_from_update(std::span<const uint8_t>(b.data(), n), fmt(v));
        (void)diff_update(b, std::span<const uint8_t>(sv.data(), std::min(n, sv.size())), fmt(v));
      }
    }
  }
}

TEST(Updates, Describe) {
  auto u = from_hex("010101000401017402616200");
  auto d = describe_update(u, UpdateFormat::kV1);
  ASSERT_TRUE(d);
  EXPECT_NE(d->find("String(\"ab\")"), std::string::npos) << *d;
}

// merge and diff copy a v1 struct's input bytes only where re-encoding it
// gives the same bytes: non-minimal varUints and info bits JS ignores are
// re-encoded (as yjs does), not copied.
TEST(Updates, V1CopiesOnlyCanonicalStructs) {
  // Client 5: "ab" at the root key "t", then "c" with origin (5, 1); no deletes.
  const std::vector<uint8_t> canonical = from_hex("0102050004010174026162840501016300");
  const std::vector<std::string> variants = {
      "010205000401017402616284058100016300",  // origin clock 1 as 81 00
      "010205000401017402616284850001016300",  // origin client 5 as 85 00
      "010205000401017402616284050181006300",  // string length 1 as 81 00
      "0102050004010174026162a40501016300",    // info 0xa4: with an origin, 0x20 is ignored
  };
  const std::vector<uint8_t> empty_sv = {0};
  auto same = diff_update(canonical, empty_sv, UpdateFormat::kV1);
  ASSERT_TRUE(same) << same.status().to_string();
  EXPECT_EQ(to_hex(*same), to_hex(canonical));
  for (const std::string& hex : variants) {
    const std::vector<uint8_t> input = from_hex(hex);
    auto diffed = diff_update(input, empty_sv, UpdateFormat::kV1);
    ASSERT_TRUE(diffed) << hex << " " << diffed.status().to_string();
    EXPECT_EQ(to_hex(*diffed), to_hex(canonical)) << hex;
    std::span<const uint8_t> two[] = {input, input};
    auto merged = merge_updates(two, UpdateFormat::kV1);
    ASSERT_TRUE(merged) << hex << " " << merged.status().to_string();
    EXPECT_EQ(to_hex(*merged), to_hex(canonical)) << hex;
  }
}

}  // namespace
}  // namespace weft
