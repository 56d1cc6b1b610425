#include "store/sqlite_doc_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store_test_util.h"

namespace weft {
namespace {

using testing_util::bytes_of;
using testing_util::ScratchDir;
using testing_util::string_of;

std::unique_ptr<SqliteDocStore> open_store(const ScratchDir& dir) {
  SqliteDocStoreOptions options;
  options.path = dir.file("data/weft.db");  // the data directory does not exist yet
  auto store = SqliteDocStore::open(options);
  EXPECT_TRUE(store.is_ok()) << store.status().message();
  return store ? std::move(*store) : nullptr;
}

std::vector<std::string> strings_of(const std::vector<Bytes>& updates) {
  std::vector<std::string> out;
  for (const Bytes& u : updates) out.push_back(string_of(u));
  return out;
}

// A stand-in for merge_updates in the tests: a snapshot is the updates it
// covers, each as a 4-byte length and its bytes.
Bytes fake_merge(const Bytes& snapshot, const std::vector<Bytes>& updates) {
  Bytes out = snapshot;
  for (const Bytes& u : updates) {
    uint32_t n = static_cast<uint32_t>(u.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
    out.insert(out.end(), u.begin(), u.end());
  }
  return out;
}

std::vector<std::string> fake_unmerge(const Bytes& snapshot) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos + 4 <= snapshot.size()) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(snapshot[pos + i]) << (8 * i);
    pos += 4;
    out.emplace_back(snapshot.begin() + static_cast<ptrdiff_t>(pos),
                     snapshot.begin() + static_cast<ptrdiff_t>(pos + n));
    pos += n;
  }
  EXPECT_EQ(pos, snapshot.size());
  return out;
}

std::vector<std::string> everything(const StoredDoc& doc) {
  std::vector<std::string> all = fake_unmerge(doc.snapshot);
  for (const Bytes& u : doc.updates) all.push_back(string_of(u));
  return all;
}

TEST(SqliteDocStore, AppendAndLoad) {
  ScratchDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->append_sync("a", bytes_of("one")), 1u);
  EXPECT_EQ(*store->append_sync("a", bytes_of("two")), 2u);
  EXPECT_EQ(*store->append_sync("b/with/slashes?x", bytes_of("other")), 1u);
  EXPECT_EQ(*store->append_sync("a", Bytes{}), 3u);  // an empty update is still stored

  Result<StoredDoc> a = store->load("a");
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_TRUE(a->snapshot.empty());
  EXPECT_EQ(a->snapshot_seq, 0u);
  EXPECT_EQ(strings_of(a->updates), (std::vector<std::string>{"one", "two", ""}));
  EXPECT_EQ(a->first_seq, 1u);
  EXPECT_EQ(a->last_seq, 3u);
  EXPECT_EQ(a->stored_bytes, 6u);

  Result<StoredDoc> b = store->load("b/with/slashes?x");
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(strings_of(b->updates), (std::vector<std::string>{"other"}));

  Result<StoredDoc> none = store->load("never");
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->updates.empty());
  EXPECT_EQ(none->last_seq, 0u);
  EXPECT_EQ(store->room_size("never").status().code(), ErrorCode::kInvalidArgument);
}

TEST(SqliteDocStore, CompactReplacesPrefixAndKeepsTail) {
  ScratchDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(store->append_sync("r", bytes_of("u" + std::to_string(i))));

  Bytes snap = bytes_of("SNAP(u1..u3)");
  ASSERT_TRUE(store->compact_sync("r", snap, 3).is_ok());
  Result<StoredDoc> doc = store->load("r");
  ASSERT_TRUE(doc.is_ok());
  EXPECT_EQ(doc->snapshot, snap);
  EXPECT_EQ(doc->snapshot_seq, 3u);
  EXPECT_EQ(doc->first_seq, 4u);
  EXPECT_EQ(strings_of(doc->updates), (std::vector<std::string>{"u4", "u5"}));
  EXPECT_EQ(doc->last_seq, 5u);

  Result<RoomInfo> size = store->room_size("r");
  ASSERT_TRUE(size.is_ok());
  EXPECT_EQ(size->log_count, 2u);
  EXPECT_EQ(size->log_bytes, 4u);
  EXPECT_EQ(size->snapshot_bytes, snap.size());
  EXPECT_EQ(size->total_bytes(), 4u + snap.size());

  // Out of range: beyond last_seq, or behind the current snapshot; unknown room.
  EXPECT_EQ(store->compact_sync("r", snap, 6).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store->compact_sync("r", snap, 2).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store->compact_sync("nope", snap, 0).code(), ErrorCode::kInvalidArgument);
  // A failed compaction changed nothing.
  EXPECT_EQ(strings_of(store->load("r")->updates), (std::vector<std::string>{"u4", "u5"}));

  // Compacting everything, then appending: seqs are never reused.
  ASSERT_TRUE(store->compact_sync("r", bytes_of("SNAP(all)"), 5).is_ok());
  doc = store->load("r");
  EXPECT_TRUE(doc->updates.empty());
  EXPECT_EQ(doc->first_seq, 0u);
  EXPECT_EQ(*store->append_sync("r", bytes_of("u6")), 6u);
  EXPECT_EQ(store->room_size("r")->log_count, 1u);
}

TEST(SqliteDocStore, ListRooms) {
  ScratchDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append_sync("b", bytes_of("xx")));
  ASSERT_TRUE(store->append_sync("a", bytes_of("y")));
  ASSERT_TRUE(store->append_sync("b", bytes_of("zzz")));
  Result<std::vector<RoomInfo>> rooms = store->list_rooms();
  ASSERT_TRUE(rooms.is_ok());
  ASSERT_EQ(rooms->size(), 2u);
  EXPECT_EQ((*rooms)[0].room, "a");
  EXPECT_EQ((*rooms)[0].log_bytes, 1u);
  EXPECT_EQ((*rooms)[1].room, "b");
  EXPECT_EQ((*rooms)[1].log_bytes, 5u);
  EXPECT_EQ((*rooms)[1].log_count, 2u);
  EXPECT_EQ((*rooms)[1].last_seq, 2u);
}

TEST(SqliteDocStore, ConcurrentAppendsShareCommits) {
  ScratchDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<Result<Seq>>> pending;
      for (int i = 0; i < kPerThread; ++i) {
        pending.push_back(store->append_future("room" + std::to_string(t), bytes_of(std::to_string(i))));
      }
      for (size_t i = 0; i < pending.size(); ++i) {
        Result<Seq> r = pending[i].get();
        if (!r || *r != i + 1) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  StoreStats stats = store->stats();
  EXPECT_EQ(stats.updates_persisted, uint64_t{kThreads * kPerThread});
  EXPECT_LT(stats.commits, stats.updates_persisted) << "appends were not batched";
  EXPECT_GT(stats.max_batch, 1u);
  uint64_t in_buckets = 0;
  for (uint64_t b : stats.commit_latency_buckets) in_buckets += b;
  EXPECT_EQ(in_buckets, stats.commits);
  EXPECT_EQ(stats.queue_depth, 0u);

  for (int t = 0; t < kThreads; ++t) {
    Result<StoredDoc> doc = store->load("room" + std::to_string(t));
    ASSERT_TRUE(doc.is_ok());
    ASSERT_EQ(doc->updates.size(), size_t{kPerThread});
    for (int i = 0; i < kPerThread; ++i) EXPECT_EQ(string_of(doc->updates[i]), std::to_string(i));
  }
}

// Checkpoints run on the checkpointer's connection, not in a commit: with a
// small threshold, one-by-one appends (one commit each) trigger them, the WAL
// starts over instead of growing with the log, and everything reads back.
// SQLite commit mode (journal off): there each append is a SQLite commit.
TEST(SqliteDocStore, CheckpointsOffTheCommitPathKeepTheWalSmall) {
  ScratchDir dir;
  SqliteDocStoreOptions options;
  options.path = dir.file("weft.db");
  options.checkpoint_frames = 20;
  options.journal = false;
  auto opened = SqliteDocStore::open(options);
  ASSERT_TRUE(opened) << opened.status().message();
  std::unique_ptr<SqliteDocStore> store = std::move(*opened);
  const std::string blob(3000, 'x');  // about a page per append
  constexpr int kAppends = 400;
  uintmax_t max_wal = 0;
  uint64_t checkpoints_seen = 0;
  bool background_keeps_up = true;
  for (int i = 0; i < kAppends; ++i) {
    Result<Seq> seq = store->append_future("r", bytes_of(blob + std::to_string(i))).get();
    ASSERT_TRUE(seq) << seq.status().message();
    ASSERT_EQ(*seq, static_cast<Seq>(i + 1));
    std::error_code ec;
    max_wal = std::max(max_wal, std::filesystem::file_size(options.path + "-wal", ec));
    // Every 10 appends (about the 20-frame threshold) the background
    // checkpoint is due: wait for it (a loaded machine may not schedule that
    // thread for a while, which says nothing about the store). If one never
    // comes, stop waiting: the WAL then grows and the check below fails.
    if (i % 10 == 9 && background_keeps_up) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (store->stats().checkpoints == checkpoints_seen && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      background_keeps_up = store->stats().checkpoints > checkpoints_seen;
      checkpoints_seen = store->stats().checkpoints;
    }
  }
  StoreStats stats = store->stats();
  EXPECT_GT(stats.checkpoints, 0u);
  EXPECT_EQ(stats.checkpoint_failures, 0u);
  // A WAL that never restarted would hold every commit's pages, about 2
  // frames (4 KiB + 24 bytes each) per append: 3.2 MB. Restarted, it stays
  // near the threshold (20 frames: 82 kB) plus what one background round
  // lets through.
  EXPECT_LT(max_wal, uintmax_t{1} << 20) << "the WAL kept growing";
  Result<StoredDoc> loaded = store->load("r");
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->updates.size(), size_t{kAppends});
  EXPECT_EQ(string_of(loaded->updates.back()), blob + std::to_string(kAppends - 1));
}

// append_inline on an idle store commits on the calling thread and calls
// back before returning; with another thread appending meanwhile some
// appends queue for the writer instead. Either way every room's seqs and
// callbacks stay in append order, nothing is lost, and checkpoints (left to
// the writer thread) still restart the WAL. In both modes: SQLite commits
// (journal off) and the update journal (checkpoints then follow the mover's
// transactions).
void check_inline_appends(bool journal) {
  ScratchDir dir;
  SqliteDocStoreOptions options;
  options.path = dir.file("weft.db");
  options.checkpoint_frames = 20;
  options.journal = journal;
  options.move_delay_ms = 5;
  auto opened = SqliteDocStore::open(options);
  ASSERT_TRUE(opened) << opened.status().message();
  std::unique_ptr<SqliteDocStore> store = std::move(*opened);

  // Idle store: the callback runs before append_inline returns, on this thread.
  bool called = false;
  std::thread::id callback_thread;
  store->append_inline("solo", bytes_of("x"), [&](Result<Seq> seq) {
    ASSERT_TRUE(seq) << seq.status().message();
    EXPECT_EQ(*seq, 1u);
    called = true;
    callback_thread = std::this_thread::get_id();
    // As on the writer thread, a callback may not wait for the store.
    EXPECT_EQ(store->append_sync("solo", bytes_of("y")).status().code(), ErrorCode::kInvalidArgument);
  });
  EXPECT_TRUE(called);
  EXPECT_EQ(callback_thread, std::this_thread::get_id());

  constexpr int kThreads = 3;
  constexpr int kPerThread = 300;
  const std::string blob(1500, 'b');
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string room = "room" + std::to_string(t);
      std::mutex mu;  // callbacks of queued appends run on the writer thread
      Seq last = 0;
      std::vector<std::future<Result<Seq>>> pending;
      for (int i = 0; i < kPerThread; ++i) {
        auto promise = std::make_shared<std::promise<Result<Seq>>>();
        pending.push_back(promise->get_future());
        store->append_inline(room, bytes_of(blob + std::to_string(i)), [&, promise](Result<Seq> seq) {
          {
            std::lock_guard lock(mu);
            if (!seq || *seq != last + 1) ++failures;
            if (seq) last = *seq;
          }
          promise->set_value(std::move(seq));
        });
        if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      for (auto& f : pending) {
        if (!f.get()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << "an append failed or called back out of order";
  EXPECT_EQ(store->stats().updates_persisted, uint64_t{kThreads * kPerThread + 1});
  if (::testing::Test::HasFatalFailure()) return;
  // On a busy machine the burst can end before the first background round
  // (an fsync of the database file) does: lone appends let the writer
  // finish it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (store->stats().checkpoints == 0 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(store->append_sync("solo", bytes_of("tick")).is_ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  StoreStats stats = store->stats();
  EXPECT_GT(stats.checkpoints, 0u);
  EXPECT_EQ(stats.checkpoint_failures, 0u);
  std::error_code ec;
  // Checkpoints restart the WAL: a steady stream of commits overwrites it
  // instead of growing it (300 such commits without restarts add ~2.4 MB).
  // SQLite commit mode only: with the journal these appends are not SQLite
  // commits (the mover's few transactions are).
  const uintmax_t wal_before = std::filesystem::file_size(options.path + "-wal", ec);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(store->append_sync("solo", bytes_of(blob)).is_ok());
  if (!journal) {
    EXPECT_LT(std::filesystem::file_size(options.path + "-wal", ec), wal_before + (uintmax_t{1} << 20))
        << "the WAL kept growing";
  }
  for (int t = 0; t < kThreads; ++t) {
    Result<StoredDoc> doc = store->load("room" + std::to_string(t));
    ASSERT_TRUE(doc.is_ok());
    ASSERT_EQ(doc->updates.size(), size_t{kPerThread});
    for (int i = 0; i < kPerThread; ++i) EXPECT_EQ(string_of(doc->updates[i]), blob + std::to_string(i));
  }
  store->close();
  bool after_close = false;
  store->append_inline("solo", bytes_of("z"), [&](Result<Seq> seq) {
    EXPECT_FALSE(seq);
    after_close = true;
  });
  EXPECT_TRUE(after_close);
}

TEST(SqliteDocStore, InlineAppendsKeepOrderAndCheckpoints) { check_inline_appends(/*journal=*/false); }
TEST(SqliteDocStore, InlineAppendsKeepOrderAndCheckpointsWithJournal) {
  check_inline_appends(/*journal=*/true);
}

TEST(SqliteDocStore, ReopenKeepsEverything) {
  ScratchDir dir;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store);
    for (int i = 1; i <= 4; ++i) ASSERT_TRUE(store->append_sync("r", bytes_of("u" + std::to_string(i))));
    ASSERT_TRUE(store->compact_sync("r", bytes_of("S"), 2).is_ok());
    // Queued but unacknowledged writes are made durable by close().
    for (int i = 5; i <= 50; ++i) store->append("r", bytes_of("u" + std::to_string(i)), [](Result<Seq>) {});
    store->close();
    Result<Seq> after = store->append_sync("r", bytes_of("late"));
    EXPECT_EQ(after.status().code(), ErrorCode::kIo);
  }
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  Result<StoredDoc> doc = store->load("r");
  ASSERT_TRUE(doc.is_ok());
  EXPECT_EQ(string_of(doc->snapshot), "S");
  EXPECT_EQ(doc->snapshot_seq, 2u);
  ASSERT_EQ(doc->updates.size(), 48u);
  EXPECT_EQ(string_of(doc->updates.front()), "u3");
  EXPECT_EQ(string_of(doc->updates.back()), "u50");
  EXPECT_EQ(*store->append_sync("r", bytes_of("u51")), 51u);
}

TEST(SqliteDocStore, CompactionRacingAppendsLosesNothing) {
  ScratchDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  constexpr int kUpdates = 1500;
  std::atomic<int> compactions{0};
  std::thread writer([&] {
    std::vector<std::future<Result<Seq>>> pending;
    for (int i = 0; i < kUpdates; ++i) {
      pending.push_back(store->append_future("r", bytes_of("u" + std::to_string(i))));
      if (i % 16 == 0) pending.back().wait();  // let compactions interleave
      // Halfway, wait for a compaction: the second half then needs another,
      // however the threads are scheduled (a loaded machine could otherwise
      // let the writer finish before the first compaction).
      if (i == kUpdates / 2) {
        pending.back().wait();
        while (compactions.load() == 0) std::this_thread::yield();
      }
    }
    for (auto& f : pending) EXPECT_TRUE(f.get().is_ok());
  });
  for (;;) {
    Result<StoredDoc> doc = store->load("r");
    ASSERT_TRUE(doc.is_ok());
    if (doc->last_seq == kUpdates && doc->updates.empty()) break;
    if (doc->updates.empty()) continue;
    Seq up_to = doc->first_seq + doc->updates.size() - 1;
    ASSERT_EQ(up_to, doc->last_seq);
    Status s = store->compact_sync("r", fake_merge(doc->snapshot, doc->updates), up_to);
    ASSERT_TRUE(s.is_ok()) << s.message();
    ++compactions;
  }
  writer.join();
  EXPECT_GT(compactions.load(), 1);

  Result<StoredDoc> doc = store->load("r");
  ASSERT_TRUE(doc.is_ok());
  std::vector<std::string> all = everything(*doc);
  ASSERT_EQ(all.size(), size_t{kUpdates});
  for (int i = 0; i < kUpdates; ++i) EXPECT_EQ(all[i], "u" + std::to_string(i));
  EXPECT_EQ(store->stats().compactions, uint64_t(compactions.load()));
}

TEST(SqliteDocStore, BlockingHelpersRefuseToRunOnTheWriterThread) {
  ScratchDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  std::promise<ErrorCode> inner;
  store->append("r", bytes_of("x"), [&](Result<Seq>) {
    inner.set_value(store->append_sync("r", bytes_of("y")).status().code());
  });
  EXPECT_EQ(inner.get_future().get(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft
