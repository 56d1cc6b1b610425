#include "server/slow_consumer.h"

#include <gtest/gtest.h>

#include "sync/message.h"
#include "weft/doc.h"

namespace weft::server {
namespace {

OutMessage message(std::vector<uint8_t> bytes) {
  return OutMessage{std::make_shared<const std::vector<uint8_t>>(std::move(bytes)), FrameKind::kBinary};
}

TEST(SlowConsumer, MergesQueuedUpdatesInPlace) {
  Doc source(1);
  std::vector<UpdateBytes> updates;
  source.on_update([&](const UpdateBytes& u, const Transaction&) { updates.push_back(u); });
  TextRef text = source.get_text("t");
  for (const char* part : {"a", "b", "c"}) ASSERT_TRUE(text.insert(text.to_string().size(), part));
  ASSERT_EQ(updates.size(), 3u);

  const std::vector<uint8_t> awareness = sync::encode_awareness_message(std::vector<uint8_t>{0});
  std::deque<OutMessage> queue;
  queue.push_back(message(awareness));
  for (const auto& u : updates) queue.push_back(message(sync::encode_sync_update(u)));
  queue.push_back(message(awareness));

  ASSERT_TRUE(merge_queued_updates(queue));
  ASSERT_EQ(queue.size(), 3u);
  EXPECT_EQ(*queue[0].data, awareness);
  EXPECT_EQ(*queue[2].data, awareness);
  auto merged = sync::decode_message(*queue[1].data);
  ASSERT_TRUE(merged);
  const auto& sync = std::get<sync::SyncMessage>(*merged);
  EXPECT_EQ(sync.type, sync::SyncType::kUpdate);
  Doc target(2);
  ASSERT_TRUE(target.apply_update(sync.payload));
  EXPECT_EQ(target.get_text("t").to_string(), "abc");
}

TEST(SlowConsumer, LeavesFewerThanTwoUpdatesAlone) {
  std::deque<OutMessage> queue;
  queue.push_back(message(sync::encode_sync_step1(std::vector<uint8_t>{0})));
  queue.push_back(message(sync::encode_sync_update(std::vector<uint8_t>{0, 0})));
  EXPECT_FALSE(merge_queued_updates(queue));
  EXPECT_EQ(queue.size(), 2u);
}

}  // namespace
}  // namespace weft::server
