// Room with a fake connection and a store that holds appends back: the
// two promises of the room, load before sync and persist before broadcast.
#include "server/room.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <thread>

#include "store/sqlite_doc_store.h"
#include "store/store_test_util.h"
#include "sync/awareness.h"
#include "sync/message.h"

namespace weft::server {
namespace {

class FakeConnection final : public WsConnection {
 public:
  explicit FakeConnection(uint64_t id) : id_(id) {}
  bool send(OutMessage message) override {
    std::lock_guard lock(mu_);
    sent_.push_back(*message.data);
    return true;
  }
  using WsConnection::send;
  void close(uint16_t code, std::string) override {
    std::lock_guard lock(mu_);
    close_code_ = code;
  }
  size_t pending_bytes() const override { return 0; }
  void edit_pending(const std::function<void(std::deque<OutMessage>&)>&) override {}
  uint64_t id() const override { return id_; }
  const std::string& remote() const override { return remote_; }
  const std::string& target() const override { return remote_; }
  bool compressed() const override { return false; }

  std::vector<std::vector<uint8_t>> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  // Decoded sync messages of a type, in order.
  std::vector<sync::SyncMessage> sync_messages(sync::SyncType type) const {
    std::vector<sync::SyncMessage> out;
    for (const auto& bytes : sent()) {
      auto m = sync::decode_message(bytes);
      if (!m) continue;
      if (auto* s = std::get_if<sync::SyncMessage>(&*m); s && s->type == type) out.push_back(*s);
    }
    return out;
  }

 private:
  const uint64_t id_;
  const std::string remote_ = "test";
  mutable std::mutex mu_;
  std::vector<std::vector<uint8_t>> sent_;
  uint16_t close_code_ = 0;
};

// Delegates to a real store, but keeps appends until release().
class HoldingStore final : public DocStore {
 public:
  explicit HoldingStore(DocStore& inner) : inner_(inner) {}
  void append(std::string_view room, Bytes update, AppendCallback done) override {
    std::lock_guard lock(mu_);
    held_.push_back({std::string(room), std::move(update), std::move(done)});
  }
  void release() {
    std::vector<Held> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (auto& h : held) inner_.append(h.room, std::move(h.update), std::move(h.done));
  }
  size_t held() const {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  void compact(std::string_view room, Bytes snapshot, Seq up_to_seq, StatusCallback done) override {
    inner_.compact(room, std::move(snapshot), up_to_seq, std::move(done));
  }
  Result<StoredDoc> load(std::string_view room) override { return inner_.load(room); }
  Result<std::vector<RoomInfo>> list_rooms() override { return inner_.list_rooms(); }
  Result<RoomInfo> room_size(std::string_view room) override { return inner_.room_size(room); }
  StoreStats stats() const override { return inner_.stats(); }
  void close() override { inner_.close(); }

 protected:
  bool on_writer_thread() const override { return false; }

 private:
  struct Held {
    std::string room;
    Bytes update;
    AppendCallback done;
  };
  DocStore& inner_;
  mutable std::mutex mu_;
  std::vector<Held> held_;
};

template <typename Pred>
bool wait_until(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

UpdateBytes map_update(uint64_t client, const std::string& key) {
  Doc doc(client);
  doc.get_map("m").set(key, Any(std::string("v")));
  return *doc.encode_state_as_update();
}

TEST(Room, LoadsBeforeSyncAndPersistsBeforeBroadcast) {
  testing_util::ScratchDir dir;
  SqliteDocStoreOptions o;
  o.path = dir.file("weft.db");
  auto sqlite = SqliteDocStore::open(o);
  ASSERT_TRUE(sqlite);
  ASSERT_TRUE((*sqlite)->append_sync("r", map_update(7, "stored")));
  HoldingStore store(**sqlite);

  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });
  ServerOptions options;
  Metrics metrics;
  RoomContext ctx{options, store, metrics, ioc.get_executor()};

  auto a = std::make_shared<FakeConnection>(1);
  auto b = std::make_shared<FakeConnection>(2);
  {
    auto room = std::make_shared<Room>("r", boost::asio::make_strand(ioc), ctx);
    room->start_load();
    room->post_attach(a);  // before the load can have finished
    room->post_attach(b);

    // The first thing a connection gets is SyncStep1 of the loaded doc.
    ASSERT_TRUE(wait_until([&] { return !a->sent().empty(); }));
    Doc stored(99);
    ASSERT_TRUE(stored.apply_update(map_update(7, "stored")));
    auto step1 = sync::decode_message(a->sent().front());
    ASSERT_TRUE(step1);
    EXPECT_EQ(std::get<sync::SyncMessage>(*step1).type, sync::SyncType::kStep1);
    EXPECT_EQ(std::get<sync::SyncMessage>(*step1).payload, stored.encode_state_vector());

    // a sends an update; while the store holds it, nobody sees it.
    room->post_message(1, FrameKind::kBinary, sync::encode_sync_update(map_update(9, "new")));
    ASSERT_TRUE(wait_until([&] { return store.held() == 1; }));
    room->post_message(2, FrameKind::kBinary, sync::encode_sync_step1(std::vector<uint8_t>{0}));
    ASSERT_TRUE(wait_until([&] { return !b->sync_messages(sync::SyncType::kStep2).empty(); }));
    Doc seen(98);
    ASSERT_TRUE(seen.apply_update(b->sync_messages(sync::SyncType::kStep2).front().payload));
    EXPECT_EQ(seen.to_canonical_json({{"m", TypeRef::kMap}}), "{\"m\":{\"stored\":\"v\"}}");
    EXPECT_TRUE(b->sync_messages(sync::SyncType::kUpdate).empty());

    // Once durable, the update is broadcast to both, the sender included.
    store.release();
    ASSERT_TRUE(wait_until([&] { return !b->sync_messages(sync::SyncType::kUpdate).empty(); }));
    ASSERT_TRUE(wait_until([&] { return !a->sync_messages(sync::SyncType::kUpdate).empty(); }));
    ASSERT_TRUE(seen.apply_update(b->sync_messages(sync::SyncType::kUpdate).front().payload));
    EXPECT_EQ(seen.to_canonical_json({{"m", TypeRef::kMap}}), "{\"m\":{\"new\":\"v\",\"stored\":\"v\"}}");

    // The whole state a new client gets (cached for empty state vectors) has
    // followed the change.
    room->post_message(2, FrameKind::kBinary, sync::encode_sync_step1(std::vector<uint8_t>{0}));
    ASSERT_TRUE(wait_until([&] { return b->sync_messages(sync::SyncType::kStep2).size() == 2; }));
    Doc fresh(97);
    ASSERT_TRUE(fresh.apply_update(b->sync_messages(sync::SyncType::kStep2)[1].payload));
    EXPECT_EQ(fresh.to_canonical_json({{"m", TypeRef::kMap}}), "{\"m\":{\"new\":\"v\",\"stored\":\"v\"}}");

    // Updates acknowledged together reach everyone (as one broadcast when
    // they are drained together); the doc holds them all.
    for (uint64_t client : {10, 11, 12}) {
      room->post_message(1, FrameKind::kBinary,
                         sync::encode_sync_update(map_update(client, "k" + std::to_string(client))));
    }
    ASSERT_TRUE(wait_until([&] { return store.held() == 3; }));
    store.release();
    ASSERT_TRUE(wait_until([&] {
      Doc d(96);
      for (const auto& m : b->sync_messages(sync::SyncType::kUpdate)) (void)d.apply_update(m.payload);
      return d.to_canonical_json({{"m", TypeRef::kMap}}) ==
             "{\"m\":{\"k10\":\"v\",\"k11\":\"v\",\"k12\":\"v\",\"new\":\"v\"}}";
    }));
    EXPECT_LE(b->sync_messages(sync::SyncType::kUpdate).size(), 4u);

    room->post_detach(1);
    room->post_detach(2);
  }
  (*sqlite)->close();
  work.reset();
  ioc.run_for(std::chrono::milliseconds(200));
  ioc.stop();
  io.join();
  auto loaded = (*sqlite)->load("r");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->updates.size(), 5u);
}

TEST(Room, ReadOnlyConnectionReceivesButItsUpdatesAreDroppedAndNeverStored) {
  testing_util::ScratchDir dir;
  SqliteDocStoreOptions o;
  o.path = dir.file("weft.db");
  auto sqlite = SqliteDocStore::open(o);
  ASSERT_TRUE(sqlite);
  HoldingStore store(**sqlite);

  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });
  ServerOptions options;
  Metrics metrics;
  RoomContext ctx{options, store, metrics, ioc.get_executor()};
  const auto read_only_refusals = [&] {
    return metrics.rejected[static_cast<size_t>(RejectReason::kReadOnly)].load();
  };
  const auto denials = [](const FakeConnection& c) {
    size_t n = 0;
    for (const auto& bytes : c.sent()) {
      auto m = sync::decode_message(bytes);
      n += m && std::holds_alternative<sync::PermissionDeniedMessage>(*m);
    }
    return n;
  };

  auto writer = std::make_shared<FakeConnection>(1);
  auto reader = std::make_shared<FakeConnection>(2);
  {
    auto room = std::make_shared<Room>("r", boost::asio::make_strand(ioc), ctx);
    room->start_load();
    room->post_attach(writer);
    room->post_attach(reader, /*read_only=*/true);
    ASSERT_TRUE(wait_until([&] { return !reader->sent().empty(); }));

    // The reader's handshake SyncStep2 and its edits: dropped, counted, not stored.
    room->post_message(2, FrameKind::kBinary, sync::encode_sync_step2(map_update(5, "ro-offline")));
    ASSERT_TRUE(wait_until([&] { return read_only_refusals() == 1; }));
    EXPECT_EQ(denials(*reader), 0u);  // a SyncStep2 is part of every read-only handshake
    room->post_message(2, FrameKind::kBinary, sync::encode_sync_update(map_update(5, "ro-1")));
    room->post_message(2, FrameKind::kBinary, sync::encode_sync_update(map_update(6, "ro-2")));
    ASSERT_TRUE(wait_until([&] { return read_only_refusals() == 3; }));
    EXPECT_EQ(denials(*reader), 1u);  // told once
    EXPECT_EQ(store.held(), 0u);

    // It still answers SyncStep1, relays the reader's awareness, and sends it the writer's updates.
    room->post_message(2, FrameKind::kBinary, sync::encode_sync_step1(std::vector<uint8_t>{0}));
    const std::vector<sync::AwarenessEntry> presence = {{5, 1, R"({"user":"viewer"})"}};
    room->post_message(2, FrameKind::kBinary,
                       sync::encode_awareness_message(sync::encode_awareness_update(presence)));
    room->post_message(1, FrameKind::kBinary, sync::encode_sync_update(map_update(9, "rw")));
    ASSERT_TRUE(wait_until([&] { return store.held() == 1; }));
    store.release();
    ASSERT_TRUE(wait_until([&] { return !reader->sync_messages(sync::SyncType::kUpdate).empty(); }));
    EXPECT_EQ(reader->sync_messages(sync::SyncType::kStep2).size(), 1u);
    ASSERT_TRUE(wait_until([&] {
      for (const auto& bytes : writer->sent()) {
        auto m = sync::decode_message(bytes);
        if (m && std::holds_alternative<sync::AwarenessMessage>(*m)) return true;
      }
      return false;
    }));
    room->post_detach(1);
    room->post_detach(2);
  }
  (*sqlite)->close();
  work.reset();
  ioc.run_for(std::chrono::milliseconds(200));
  ioc.stop();
  io.join();
  auto loaded = (*sqlite)->load("r");
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->updates.size(), 1u);  // the writer's only
  Doc stored(99);
  ASSERT_TRUE(stored.apply_update(loaded->updates[0]));
  EXPECT_EQ(stored.to_canonical_json({{"m", TypeRef::kMap}}), "{\"m\":{\"rw\":\"v\"}}");
}

}  // namespace
}  // namespace weft::server
