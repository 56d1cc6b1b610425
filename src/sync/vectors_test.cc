// Replays tests/vectors/sync.json, made by the real y-protocols
// (tests/interop/sync_vectors.mjs): frames, step 2 answers and a room's
// awareness events and broadcasts must match byte for byte.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sync/room_protocol.h"
#include "sync/test_util.h"

namespace weft::sync {
namespace {

using testing::hex;
using testing::unhex;

nlohmann::json load_vectors() {
  std::ifstream in(std::string(WEFT_VECTORS_DIR) + "/sync.json");
  EXPECT_TRUE(in) << "missing " << WEFT_VECTORS_DIR << "/sync.json";
  return in ? nlohmann::json::parse(in) : nlohmann::json::object();
}

TEST(SyncVectors, Messages) {
  const nlohmann::json v = load_vectors();
  ASSERT_TRUE(v.contains("sync"));
  for (const auto& c : v["sync"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const std::string kind = c["kind"];
    const Bytes frame = unhex(c["frame"].get<std::string>());
    if (kind == "answer") {
      Doc doc(50);
      ASSERT_TRUE(doc.apply_update(unhex(c["doc"].get<std::string>())));
      EXPECT_EQ(hex(encode_sync_step1(unhex(c["sv"].get<std::string>()))), c["step1"].get<std::string>());
      Awareness awareness;
      RoomProtocol conn(doc, awareness, 1);
      auto out = conn.on_message(unhex(c["step1"].get<std::string>()), 0, true);
      ASSERT_TRUE(out) << out.status().to_string();
      ASSERT_EQ(out->replies.size(), 1u);
      EXPECT_EQ(hex(out->replies[0]), hex(frame));
      continue;
    }
    Message expected;
    if (kind == "auth") {
      expected = PermissionDeniedMessage{c["reason"].get<std::string>()};
    } else {
      const SyncType type = kind == "step1"   ? SyncType::kStep1
                            : kind == "step2" ? SyncType::kStep2
                                              : SyncType::kUpdate;
      expected = SyncMessage{type, unhex(c["payload"].get<std::string>())};
    }
    EXPECT_EQ(hex(encode_message(expected)), hex(frame));
    auto decoded = decode_message(frame);
    ASSERT_TRUE(decoded) << decoded.status().to_string();
    EXPECT_EQ(*decoded, expected);
  }
}

TEST(SyncVectors, AwarenessRoom) {
  const nlohmann::json v = load_vectors();
  ASSERT_TRUE(v.contains("awareness"));
  Doc doc(50);
  Awareness awareness;
  RoomProtocol conn(doc, awareness, 1);
  int step = 0;
  for (const auto& s : v["awareness"]) {
    SCOPED_TRACE("step " + std::to_string(step++));
    if (s.contains("states")) {
      const std::vector<ClientId> clients = awareness.clients_with_state();
      if (s["states"].is_null()) {
        EXPECT_TRUE(clients.empty());
      } else {
        EXPECT_EQ(hex(encode_awareness_message(awareness.encode_update(clients))),
                  s["states"].get<std::string>());
        // A new connection gets the same frame after its SyncStep1.
        RoomProtocol late(doc, awareness, 2);
        EXPECT_EQ(hex(late.on_connect().at(1)), s["states"].get<std::string>());
      }
      continue;
    }
    AwarenessChange change;
    std::optional<Bytes> broadcast;
    if (s.contains("apply")) {
      auto out = conn.on_message(encode_awareness_message(unhex(s["apply"].get<std::string>())), 0, false);
      ASSERT_TRUE(out) << out.status().to_string();
      broadcast = out->awareness_broadcast;
    } else {
      change = awareness.remove_states(s["remove"].get<std::vector<ClientId>>(), 0);
      broadcast = awareness_broadcast(awareness, change);
      EXPECT_EQ(change.removed, s["event"].is_null() ? std::vector<ClientId>{}
                                                     : s["event"]["removed"].get<std::vector<ClientId>>());
    }
    if (s["event"].is_null()) {
      EXPECT_FALSE(broadcast);
    } else {
      ASSERT_TRUE(broadcast);
      EXPECT_EQ(hex(*broadcast), s["event"]["broadcast"].get<std::string>());
    }
  }
}

TEST(SyncVectors, AwarenessEvents) {
  // The same script straight on Awareness, checking the event lists.
  const nlohmann::json v = load_vectors();
  Awareness awareness;
  for (const auto& s : v["awareness"]) {
    if (!s.contains("apply")) {
      if (s.contains("remove")) (void)awareness.remove_states(s["remove"].get<std::vector<ClientId>>(), 0);
      continue;
    }
    auto change = awareness.apply_update(unhex(s["apply"].get<std::string>()), 0, 1);
    ASSERT_TRUE(change) << change.status().to_string();
    if (s["event"].is_null()) {
      EXPECT_TRUE(change->empty()) << s["apply"];
      continue;
    }
    EXPECT_EQ(change->added, s["event"]["added"].get<std::vector<ClientId>>()) << s["apply"];
    EXPECT_EQ(change->updated, s["event"]["updated"].get<std::vector<ClientId>>()) << s["apply"];
    EXPECT_EQ(change->removed, s["event"]["removed"].get<std::vector<ClientId>>()) << s["apply"];
  }
}

}  // namespace
}  // namespace weft::sync
