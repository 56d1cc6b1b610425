#include "server/frame.h"

#include <gtest/gtest.h>

namespace weft::server {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(Frame, EncodesAsYProtocols) {
  EXPECT_EQ(encode_sync_step1(Bytes{0}), (Bytes{0, 0, 1, 0}));
  EXPECT_EQ(encode_sync_step2(Bytes{0, 0}), (Bytes{0, 1, 2, 0, 0}));
  EXPECT_EQ(encode_sync_update(Bytes{7}), (Bytes{0, 2, 1, 7}));
  EXPECT_EQ(encode_awareness(Bytes{0}), (Bytes{1, 1, 0}));
}

TEST(Frame, DecodesEachType) {
  const Bytes step1{0, 0, 1, 0};
  auto f = decode_frame(step1);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, FrameType::kSyncStep1);
  EXPECT_EQ(Bytes(f->payload.begin(), f->payload.end()), Bytes{0});

  const Bytes update{0, 2, 2, 0, 0};
  f = decode_frame(update);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, FrameType::kSyncUpdate);
  EXPECT_EQ(f->payload.size(), 2u);

  const Bytes awareness{1, 1, 0};
  f = decode_frame(awareness);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, FrameType::kAwareness);

  const Bytes query{3};
  f = decode_frame(query);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, FrameType::kQueryAwareness);

  const Bytes auth{2, 0, 1, 'x'};
  f = decode_frame(auth);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, FrameType::kAuth);
}

TEST(Frame, RefusesMalformed) {
  EXPECT_FALSE(decode_frame(Bytes{}));
  EXPECT_FALSE(decode_frame(Bytes{0xff}));              // truncated varUint
  EXPECT_FALSE(decode_frame(Bytes{4}));                 // unknown type
  EXPECT_FALSE(decode_frame(Bytes{0, 3, 0}));           // unknown sync type
  EXPECT_FALSE(decode_frame(Bytes{0, 2, 5, 0}));        // length beyond the frame
  EXPECT_FALSE(decode_frame(Bytes{0, 0, 1, 0, 9}));     // trailing bytes
  EXPECT_FALSE(decode_frame(Bytes{3, 0}));              // trailing bytes
  EXPECT_FALSE(decode_frame(Bytes{0xde, 0xad, 0xbe}));  // garbage
}

}  // namespace
}  // namespace weft::server
