#include "sync/message.h"

#include <gtest/gtest.h>

#include "sync/test_util.h"
#include "weft/doc.h"

namespace weft::sync {
namespace {

using testing::hex;
using testing::unhex;

TEST(Message, EmptyDocHandshakeBytes) {
  // yjs-compat.md 9.1
  Doc doc(1);
  EXPECT_EQ(hex(encode_sync_step1(doc.encode_state_vector())), "00 00 01 00");
  auto update = doc.encode_state_as_update();
  ASSERT_TRUE(update);
  EXPECT_EQ(hex(encode_sync_step2(*update)), "00 01 02 00 00");
  EXPECT_EQ(hex(encode_sync_update(*update)), "00 02 02 00 00");
}

TEST(Message, DecodeSync) {
  auto m = decode_message(unhex("00 00 01 00"));
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(std::get<SyncMessage>(*m), (SyncMessage{SyncType::kStep1, {0}}));
  m = decode_message(unhex("00 01 02 00 00"));
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<SyncMessage>(*m), (SyncMessage{SyncType::kStep2, {0, 0}}));
  m = decode_message(unhex("00 02 02 00 00"));
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<SyncMessage>(*m), (SyncMessage{SyncType::kUpdate, {0, 0}}));
  EXPECT_STREQ(message_name(*m), "sync update");
}

TEST(Message, DecodeAwarenessExample) {
  // yjs-compat.md 8.2: client 1, clock 1, {"user":{"name":"Bo"}}
  const std::string json = R"({"user":{"name":"Bo"}})";
  Bytes update = unhex("01 01 01 16");
  update.insert(update.end(), json.begin(), json.end());
  Bytes frame = encode_awareness_message(update);
  EXPECT_EQ(frame[0], 1);
  EXPECT_EQ(frame[1], update.size());
  auto m = decode_message(frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<AwarenessMessage>(*m).update, update);
  EXPECT_EQ(hex(encode_awareness_message(unhex("01 01 02 04 6e 75 6c 6c"))), "01 08 01 01 02 04 6e 75 6c 6c");
}

TEST(Message, AuthAndQueryAwareness) {
  EXPECT_EQ(hex(encode_permission_denied("no")), "02 00 02 6e 6f");
  auto m = decode_message(unhex("02 00 02 6e 6f"));
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<PermissionDeniedMessage>(*m).reason, "no");
  EXPECT_EQ(hex(encode_query_awareness()), "03");
  m = decode_message(unhex("03"));
  ASSERT_TRUE(m);
  EXPECT_TRUE(std::holds_alternative<QueryAwarenessMessage>(*m));
}

TEST(Message, EncodeMessageRoundTrips) {
  const std::vector<Message> messages = {
      SyncMessage{SyncType::kStep1, {0}},   SyncMessage{SyncType::kStep2, {0, 0}},
      SyncMessage{SyncType::kUpdate, {}},   AwarenessMessage{{0}},
      PermissionDeniedMessage{"read-only"}, QueryAwarenessMessage{},
  };
  for (const Message& m : messages) {
    auto back = decode_message(encode_message(m));
    ASSERT_TRUE(back) << message_name(m);
    EXPECT_EQ(*back, m);
  }
}

TEST(Message, LongPayloadUsesMultiByteLength) {
  Bytes payload(300, 7);
  Bytes frame = encode_sync_update(payload);
  EXPECT_EQ(hex(Bytes(frame.begin(), frame.begin() + 4)), "00 02 ac 02");
  auto m = decode_message(frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<SyncMessage>(*m).payload, payload);
}

TEST(Message, Errors) {
  struct Case {
    const char* hex;
    ErrorCode code;
  };
  const Case cases[] = {
      {"", ErrorCode::kTruncated},                             // no type
      {"04", ErrorCode::kMalformed},                           // unknown message type
      {"80", ErrorCode::kTruncated},                           // varUint cut
      {"00", ErrorCode::kTruncated},                           // sync without sync type
      {"00 00", ErrorCode::kTruncated},                        // step1 without payload
      {"00 00 02 00", ErrorCode::kTruncated},                  // payload shorter than its length
      {"00 03 01 00", ErrorCode::kMalformed},                  // unknown sync type
      {"00 00 01 00 00", ErrorCode::kMalformed},               // trailing byte
      {"01", ErrorCode::kTruncated},                           // awareness without update
      {"01 05 00", ErrorCode::kTruncated},                     // update cut
      {"01 01 00 ff", ErrorCode::kMalformed},                  // trailing byte
      {"02 01 00", ErrorCode::kMalformed},                     // unknown auth type
      {"02 00 02 6e", ErrorCode::kTruncated},                  // reason cut
      {"02 00 01 ff", ErrorCode::kMalformed},                  // invalid UTF-8
      {"03 00", ErrorCode::kMalformed},                        // query awareness has no payload
      {"ff ff ff ff ff ff ff ff 01", ErrorCode::kOutOfRange},  // type beyond 2^53
  };
  for (const Case& c : cases) {
    auto m = decode_message(unhex(c.hex));
    ASSERT_FALSE(m) << c.hex;
    EXPECT_EQ(m.status().code(), c.code) << c.hex << ": " << m.status().to_string();
  }
}

}  // namespace
}  // namespace weft::sync
