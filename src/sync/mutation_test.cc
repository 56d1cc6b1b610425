// Seeded mutations of valid frames through RoomProtocol::on_message: every
// result is a value (no crash, no throw), and an error leaves the room's
// awareness exactly as it was. WEFT_SYNC_MUTATIONS=N runs longer; a failing
// seed is printed.
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "sync/room_protocol.h"
#include "sync/test_util.h"

namespace weft::sync {
namespace {

std::vector<Bytes> seed_frames() {
  Doc doc(3);
  EXPECT_TRUE(doc.get_text("t").insert(0, std::string_view("héllo")));
  doc.get_map("m").set("k", Any("v"));
  EXPECT_TRUE(doc.get_text("t").remove_range(1, 2));
  auto update = doc.encode_state_as_update();
  EXPECT_TRUE(update);
  const std::vector<AwarenessEntry> entries = {
      {1, 1, R"({"user":{"name":"Bo","color":"#f00"}})"}, {2, 3, "null"}, {7, 2, "[1,2.5,true]"}};
  return {
      encode_sync_step1(doc.encode_state_vector()),
      encode_sync_step2(*update),
      encode_sync_update(*update),
      encode_awareness_message(encode_awareness_update(entries)),
      encode_query_awareness(),
      encode_permission_denied("x"),
  };
}

// Everything observable about a room's awareness.
std::string snapshot(const Awareness& a) {
  std::vector<ClientId> all;
  for (ClientId c = 0; c < 300; c++) {
    if (a.clock(c)) all.push_back(c);
  }
  return testing::hex(a.encode_update(all)) + "|" + testing::hex(a.encode_update(a.clients_with_state())) +
         "|" + std::to_string(a.size());
}

TEST(SyncMutations, ResultsAreValuesAndErrorsChangeNothing) {
  const char* env = std::getenv("WEFT_SYNC_MUTATIONS");
  const int runs = env ? std::atoi(env) : 3000;
  const std::vector<Bytes> seeds = seed_frames();
  Doc room_doc(100);
  Awareness awareness(AwarenessOptions{.max_clients = 16});
  RoomProtocol conn(room_doc, awareness, 1);
  const Bytes sv_before = room_doc.encode_state_vector();
  int errors = 0;
  for (int seed = 0; seed < runs; seed++) {
    std::mt19937 rng(static_cast<uint32_t>(seed));
    Bytes frame = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < edits; i++) {
      const size_t pos = frame.empty() ? 0 : rng() % frame.size();
      switch (rng() % 4) {
        case 0:
          if (!frame.empty()) frame[pos] = static_cast<uint8_t>(rng());
          break;
        case 1:
          if (!frame.empty()) frame[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          frame.insert(frame.begin() + static_cast<ptrdiff_t>(pos), static_cast<uint8_t>(rng()));
          break;
        default:
          if (!frame.empty()) frame.resize(pos);
          break;
      }
    }
    const std::string before = snapshot(awareness);
    auto out = conn.on_message(frame, seed, seed % 2 == 0);
    if (!out) {
      errors++;
      ASSERT_EQ(snapshot(awareness), before) << "seed " << seed << ": " << out.status().to_string();
    } else if (out->doc_update) {
      Doc check(200);
      ASSERT_TRUE(check.apply_update(*out->doc_update)) << "seed " << seed << " passed check_update";
    }
    ASSERT_EQ(room_doc.encode_state_vector(), sv_before) << "seed " << seed;
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace weft::sync
