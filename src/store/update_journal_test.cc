// UpdateJournal on real files: round trips, torn tails at every byte,
// checksum damage, segment reuse; and SqliteDocStore's use of it (records
// only in the journal are loaded; recovery moves each record exactly once).
#include "store/update_journal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_doc_store.h"
#include "store/store_test_util.h"

namespace weft {
namespace {

using testing_util::bytes_of;
using testing_util::ScratchDir;
using testing_util::string_of;

const std::vector<std::string> kRooms = {"plain", "🎉 party/ünïcödé", std::string("nul\0byte", 8), ""};

JournalRecord record(const std::string& room, Seq seq, const std::string& payload) {
  JournalRecord r;
  r.room = room;
  r.seq = seq;
  r.data = std::make_shared<const Bytes>(bytes_of(payload));
  return r;
}

std::string payload_of(size_t i) { return "update-" + std::to_string(i) + std::string(i % 37, 'x'); }

UpdateJournalOptions small_options(const ScratchDir& dir, size_t segment_bytes = 4096, int segments = 3) {
  UpdateJournalOptions o;
  o.dir = dir.file("journal");
  o.segment_bytes = segment_bytes;
  o.segments = segments;
  o.full_wait_ms = 50;
  o.salt = 0x5EED1234;
  return o;
}

Bytes read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_all(const std::string& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// Writes `count` records, one write (and fdatasync) each, rooms in turn.
// Returns each record's [start, end) offset in segment 0.
std::vector<std::pair<size_t, size_t>> write_records(UpdateJournal& j, size_t count) {
  std::vector<std::pair<size_t, size_t>> spans;
  size_t off = 0;
  for (size_t i = 0; i < count; ++i) {
    const std::string& room = kRooms[i % kRooms.size()];
    std::vector<JournalRecord> batch{record(room, i + 1, payload_of(i))};
    EXPECT_TRUE(j.write(batch).is_ok());
    EXPECT_EQ(batch[0].lsn, i + 1);
    const size_t unpadded = kJournalHeaderBytes + room.size() + payload_of(i).size();
    spans.emplace_back(off, off + unpadded);
    off += journal_record_bytes(room.size(), payload_of(i).size());
  }
  return spans;
}

// A new journal in `o` holding `count` records written one per sync, all in
// segment 0: that segment's path, its bytes, and each record's span.
struct WrittenSegment {
  std::string path;
  Bytes intact;
  std::vector<std::pair<size_t, size_t>> spans;
};
WrittenSegment write_segment(const UpdateJournalOptions& o, size_t count) {
  WrittenSegment w;
  {
    auto j = UpdateJournal::open(o, 1);
    EXPECT_TRUE(j.is_ok());
    if (!j.is_ok()) return w;
    w.spans = write_records(**j, count);
  }
  w.path = UpdateJournal::segment_path(o.dir, 0);
  w.intact = read_all(w.path);
  return w;
}

void expect_records(const JournalRecovery& rec, size_t first, size_t count) {
  ASSERT_EQ(rec.records.size(), count);
  for (size_t k = 0; k < count; ++k) {
    const size_t i = first + k;
    EXPECT_EQ(rec.records[k].lsn, i + 1);
    EXPECT_EQ(rec.records[k].seq, i + 1);
    EXPECT_EQ(rec.records[k].room, kRooms[i % kRooms.size()]);
    EXPECT_EQ(string_of(*rec.records[k].data), payload_of(i));
  }
}

TEST(UpdateJournal, Crc32cMatchesTheStandardCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32c({reinterpret_cast<const uint8_t*>(check.data()), check.size()}), 0xE3069283u);
}

TEST(UpdateJournal, RecoversEveryRecordInOrder) {
  ScratchDir dir;
  const UpdateJournalOptions o = small_options(dir, 1 << 16);
  {
    auto j = UpdateJournal::open(o, 1);
    ASSERT_TRUE(j.is_ok()) << j.status().message();
    write_records(**j, 50);
    EXPECT_EQ((*j)->synced_lsn(), 50u);
  }
  Result<JournalRecovery> rec = UpdateJournal::recover(o, 0);
  ASSERT_TRUE(rec.is_ok()) << rec.status().message();
  expect_records(*rec, 0, 50);
  EXPECT_EQ(rec->end_lsn, 50u);
  EXPECT_EQ(rec->max_lsn, 50u);
  EXPECT_EQ(rec->dropped, 0u);
  // Recovery reads only: a second one sees the same; moved records are skipped.
  Result<JournalRecovery> again = UpdateJournal::recover(o, 20);
  ASSERT_TRUE(again.is_ok());
  expect_records(*again, 20, 30);
}

TEST(UpdateJournal, MissingDirectoryIsEmpty) {
  ScratchDir dir;
  Result<JournalRecovery> rec = UpdateJournal::recover(small_options(dir), 7);
  ASSERT_TRUE(rec.is_ok());
  EXPECT_TRUE(rec->records.empty());
  EXPECT_EQ(rec->max_lsn, 7u);
}

// A crash while the last record was being written leaves any prefix of it
// (the rest keeps the zeros the segment had): recovery stops before it.
TEST(UpdateJournal, TornLastRecordAtEveryByteIsTruncated) {
  ScratchDir dir;
  const UpdateJournalOptions o = small_options(dir, 1 << 16);
  const auto [seg, intact, spans] = write_segment(o, 6);
  ASSERT_EQ(spans.size(), 6u);
  const auto [start, end] = spans.back();
  for (size_t cut = start; cut < end; ++cut) {
    for (uint8_t fill : {uint8_t{0}, uint8_t{0xA5}}) {
      Bytes torn = intact;
      std::fill(torn.begin() + static_cast<ptrdiff_t>(cut), torn.begin() + static_cast<ptrdiff_t>(end), fill);
      write_all(seg, torn);
      Result<JournalRecovery> rec = UpdateJournal::recover(o, 0);
      ASSERT_TRUE(rec.is_ok()) << "cut at " << cut << " fill " << int(fill) << ": " << rec.status().message();
      expect_records(*rec, 0, 5);
      if (::testing::Test::HasFailure()) FAIL() << "cut at byte " << cut << " fill " << int(fill);
    }
  }
  write_all(seg, intact);
  Result<JournalRecovery> rec = UpdateJournal::recover(o, 0);
  ASSERT_TRUE(rec.is_ok());
  expect_records(*rec, 0, 6);
}

// A damaged record followed by intact ones that say it was synced: the
// journal refuses instead of dropping it (and what follows).
TEST(UpdateJournal, DamageBeforeLaterSyncedRecordsIsAnError) {
  ScratchDir dir;
  const UpdateJournalOptions o = small_options(dir, 1 << 16);
  const auto [seg, intact, spans] = write_segment(o, 6);
  ASSERT_EQ(spans.size(), 6u);
  // Every byte of record 3 (payload, header fields, checksums, magic).
  for (size_t at = spans[2].first; at < spans[2].second; ++at) {
    Bytes bad = intact;
    bad[at] ^= 0x10;
    write_all(seg, bad);
    Result<JournalRecovery> rec = UpdateJournal::recover(o, 0);
    ASSERT_FALSE(rec.is_ok()) << "flipped byte " << at;
    EXPECT_EQ(rec.status().code(), ErrorCode::kMalformed);
    EXPECT_NE(rec.status().message().find("damaged"), std::string::npos) << rec.status().message();
  }
  // Already moved into SQLite, the damaged record is not needed: no error.
  Bytes bad = intact;
  bad[spans[2].first + kJournalHeaderBytes] ^= 0x10;
  write_all(seg, bad);
  Result<JournalRecovery> rec = UpdateJournal::recover(o, 3);
  ASSERT_TRUE(rec.is_ok()) << rec.status().message();
  expect_records(*rec, 3, 3);
}

TEST(UpdateJournal, SegmentsAreReusedOnlyAfterTheirRecordsMoved) {
  ScratchDir dir;
  const UpdateJournalOptions o = small_options(dir, 4096, 3);
  auto opened = UpdateJournal::open(o, 1);
  ASSERT_TRUE(opened.is_ok());
  UpdateJournal& j = **opened;
  // ~120-byte records: a segment holds 34; 400 of them wrap the journal 3+ times.
  const std::string big(64, 'p');
  uint64_t lsn = 0;
  for (size_t i = 0; i < 400; ++i) {
    std::vector<JournalRecord> batch{record(kRooms[i % 2], i + 1, big + std::to_string(i))};
    ASSERT_TRUE(j.write(batch).is_ok()) << i;
    lsn = batch[0].lsn;
    if (lsn > 5 && i < 350) j.set_moved(lsn - 5);  // the mover trails a little
  }
  // Nothing moved past LSN 345 since: the writes ran into segments still
  // holding unmoved records, and now one fails (bounded wait) without
  // breaking the journal.
  Status full;
  for (size_t i = 400; i < 600 && full; ++i) {
    std::vector<JournalRecord> batch{record("r", i + 1, big)};
    full = j.write(batch);
  }
  ASSERT_FALSE(full.is_ok());
  EXPECT_NE(full.message().find("journal full"), std::string::npos) << full.message();
  const uint64_t before_recovery = j.synced_lsn();

  // Recovery finds exactly the unmoved records, across segments.
  Result<JournalRecovery> rec = UpdateJournal::recover(o, 345);
  ASSERT_TRUE(rec.is_ok()) << rec.status().message();
  ASSERT_EQ(rec->records.size(), before_recovery - 345);
  for (size_t k = 0; k < rec->records.size(); ++k) EXPECT_EQ(rec->records[k].lsn, 346 + k);
  EXPECT_EQ(rec->max_lsn, before_recovery);

  j.set_moved(before_recovery);
  std::vector<JournalRecord> batch{record("r", 999, "after the wait")};
  EXPECT_TRUE(j.write(batch).is_ok());
}

TEST(UpdateJournal, RecordLargerThanASegmentGrowsItsFile) {
  ScratchDir dir;
  const UpdateJournalOptions o = small_options(dir, 4096, 3);
  {
    auto j = UpdateJournal::open(o, 1);
    ASSERT_TRUE(j.is_ok());
    std::vector<JournalRecord> batch{record("a", 1, "small"), record("a", 2, std::string(10000, 'L')),
                                     record("a", 3, "after")};
    ASSERT_TRUE((*j)->write(batch).is_ok());
    // A write that would wrap onto its own first record is refused, not torn.
    std::vector<JournalRecord> huge{
        record("a", 4, std::string(3000, 'h')), record("a", 5, std::string(3000, 'h')),
        record("a", 6, std::string(3000, 'h')), record("a", 7, std::string(3000, 'h'))};
    Status s = (*j)->write(huge);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.message();
  }
  Result<JournalRecovery> rec = UpdateJournal::recover(o, 0);
  ASSERT_TRUE(rec.is_ok()) << rec.status().message();
  ASSERT_EQ(rec->records.size(), 3u);
  EXPECT_EQ(rec->records[1].data->size(), 10000u);
  EXPECT_EQ(string_of(*rec->records[2].data), "after");
}

// Writers on four threads at once, wrapping the segments many times behind a
// mover that trails them: in_order runs once per write, in LSN order, each
// time with every earlier write durable; LSNs form one unbroken run; each
// write returns only after it ran; recovery returns every unmoved record.
TEST(UpdateJournal, OverlappingWritesCompleteInLsnOrder) {
  ScratchDir dir;
  const UpdateJournalOptions o = small_options(dir, 8192, 4);
  auto opened = UpdateJournal::open(o, 1);
  ASSERT_TRUE(opened.is_ok());
  UpdateJournal& j = **opened;
  constexpr int kThreads = 4;
  constexpr int kWrites = 150;
  std::mutex mu;
  std::vector<uint64_t> order;  // each write's last LSN, as in_order ran
  uint64_t moved = 0;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        // 1-3 records of 30-300 bytes: some writes roll to the next segment.
        std::vector<JournalRecord> batch;
        for (int k = 0; k <= (t + i) % 3; ++k) {
          batch.push_back(record(kRooms[static_cast<size_t>(t)], static_cast<Seq>(i + 1),
                                 std::string(static_cast<size_t>(30 + (i * 37 + k * 101) % 270), 'a' + t)));
        }
        bool ran = false;
        const std::function<void()> in_order = [&] {
          ran = true;
          if (j.synced_lsn() != batch.back().lsn) ++failures;
          std::lock_guard lock(mu);
          order.push_back(batch.back().lsn);
        };
        if (!j.write(batch, in_order).is_ok() || !ran) ++failures;
        for (size_t k = 1; k < batch.size(); ++k) {
          if (batch[k].lsn != batch[k - 1].lsn + 1) ++failures;
        }
        // The mover: everything up to this write is durable, so all but
        // the last ~40 records may be "moved".
        if (batch.back().lsn > 40) {
          j.set_moved(batch.back().lsn - 40);
          std::lock_guard lock(mu);
          moved = std::max(moved, batch.back().lsn - 40);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(order.size(), size_t{kThreads * kWrites});
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(std::adjacent_find(order.begin(), order.end()), order.end());
  const uint64_t last = j.synced_lsn();
  EXPECT_EQ(last, order.back());
  // Every record after the last set_moved is still in the segments.
  Result<JournalRecovery> rec = UpdateJournal::recover(o, moved);
  ASSERT_TRUE(rec.is_ok()) << rec.status().message();
  EXPECT_EQ(rec->end_lsn, last);
  ASSERT_EQ(rec->records.size(), last - moved);
  for (size_t k = 0; k < rec->records.size(); ++k) EXPECT_EQ(rec->records[k].lsn, moved + 1 + k);
}

// --- SqliteDocStore with the journal ---

SqliteDocStoreOptions store_options(const ScratchDir& dir) {
  SqliteDocStoreOptions o;
  o.path = dir.file("data/weft.db");
  o.journal_segment_bytes = 1 << 16;
  o.journal_segments = 2;
  return o;
}

int64_t count_rows(const std::string& db_path, const char* sql) {
  Result<SqliteDb> db = SqliteDb::open(db_path);
  EXPECT_TRUE(db.is_ok());
  Result<SqliteStmt> stmt = db->prepare(sql);
  EXPECT_TRUE(stmt.is_ok());
  Result<SqliteStmt::Step> step = stmt->step();
  EXPECT_TRUE(step.is_ok() && *step == SqliteStmt::Step::kRow);
  return stmt->column_int(0);
}

TEST(JournalStore, LoadSeesUpdatesStillOnlyInTheJournal) {
  ScratchDir dir;
  SqliteDocStoreOptions o = store_options(dir);
  o.move_delay_ms = 60000;  // the mover moves only when asked
  auto store = SqliteDocStore::open(o);
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  for (const std::string& room : kRooms) {
    for (int i = 1; i <= 3; ++i) {
      Result<Seq> seq = (*store)->append_sync(room, bytes_of(room + std::to_string(i)));
      ASSERT_TRUE(seq.is_ok());
      EXPECT_EQ(*seq, static_cast<Seq>(i));
    }
  }
  EXPECT_EQ(count_rows(o.path, "SELECT count(*) FROM updates"), 0);  // all still in the journal
  Result<StoredDoc> doc = (*store)->load(kRooms[1]);
  ASSERT_TRUE(doc.is_ok());
  ASSERT_EQ(doc->updates.size(), 3u);
  EXPECT_EQ(string_of(doc->updates[2]), kRooms[1] + "3");
  EXPECT_EQ(doc->first_seq, 1u);
  EXPECT_EQ(doc->last_seq, 3u);
  // room_size waits for the mover.
  Result<RoomInfo> info = (*store)->room_size(kRooms[1]);
  ASSERT_TRUE(info.is_ok()) << info.status().message();
  EXPECT_EQ(info->log_count, 3u);
  EXPECT_EQ(count_rows(o.path, "SELECT count(*) FROM updates"), 3 * static_cast<int64_t>(kRooms.size()));
}

// Records written to the journal by a run that never moved them (a crash)
// are moved at the next open, once: again after moved_lsn is lost.
TEST(JournalStore, RecoveryMovesEachRecordExactlyOnce) {
  ScratchDir dir;
  const SqliteDocStoreOptions o = store_options(dir);
  {
    auto store = SqliteDocStore::open(o);
    ASSERT_TRUE(store.is_ok());
    ASSERT_TRUE((*store)->append_sync("🎉", bytes_of("before")).is_ok());  // seq 1, moved at close
  }
  UpdateJournalOptions jo;
  {
    auto store = SqliteDocStore::open(o);
    ASSERT_TRUE(store.is_ok());
    jo = (*store)->journal_options();
  }
  {
    // The crashed run: LSNs continue above the ones already moved.
    Result<JournalRecovery> seen = UpdateJournal::recover(jo, 0);
    ASSERT_TRUE(seen.is_ok());
    auto j = UpdateJournal::open(jo, seen->max_lsn + 1);
    ASSERT_TRUE(j.is_ok());
    std::vector<JournalRecord> batch{record("🎉", 2, "two"), record("other", 1, "o1"),
                                     record("🎉", 3, "three")};
    ASSERT_TRUE((*j)->write(batch).is_ok());
  }
  const Bytes crashed_segment = read_all(UpdateJournal::segment_path(jo.dir, 0));
  for (int pass = 0; pass < 2; ++pass) {
    auto store = SqliteDocStore::open(o);
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    EXPECT_EQ((*store)->recovered_records(), pass == 0 ? 3u : 0u);
    Result<StoredDoc> doc = (*store)->load("🎉");
    ASSERT_TRUE(doc.is_ok());
    ASSERT_EQ(doc->updates.size(), 3u) << "pass " << pass;
    EXPECT_EQ(string_of(doc->updates[0]), "before");
    EXPECT_EQ(string_of(doc->updates[1]), "two");
    EXPECT_EQ(string_of(doc->updates[2]), "three");
    // Seqs continue after the recovered ones.
    Result<Seq> next = (*store)->append_sync("other", bytes_of("o" + std::to_string(pass + 2)));
    ASSERT_TRUE(next.is_ok());
    EXPECT_EQ(*next, static_cast<Seq>(pass + 2));
  }
  // The crashed run's journal again and moved_lsn from before its
  // recovery: the same records are found again; matched by (room, seq),
  // none is stored twice.
  write_all(UpdateJournal::segment_path(jo.dir, 0), crashed_segment);
  {
    Result<SqliteDb> db = SqliteDb::open(o.path);
    ASSERT_TRUE(db.is_ok());
    ASSERT_TRUE(db->exec("UPDATE journal SET moved_lsn = 1").is_ok());
  }
  auto store = SqliteDocStore::open(o);
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  EXPECT_EQ((*store)->recovered_records(), 3u);
  Result<StoredDoc> other = (*store)->load("other");
  ASSERT_TRUE(other.is_ok());
  ASSERT_EQ(other->updates.size(), 3u);
  EXPECT_EQ(string_of(other->updates[0]), "o1");
  EXPECT_EQ(string_of(other->updates[2]), "o3");
  EXPECT_EQ(count_rows(o.path, "SELECT count(*) FROM updates"), 3 + 3);
}

TEST(JournalStore, DamagedJournalRefusesToOpen) {
  ScratchDir dir;
  const SqliteDocStoreOptions o = store_options(dir);
  UpdateJournalOptions jo;
  {
    auto store = SqliteDocStore::open(o);
    ASSERT_TRUE(store.is_ok());
    jo = (*store)->journal_options();
  }
  {
    auto j = UpdateJournal::open(jo, 1);
    ASSERT_TRUE(j.is_ok());
    for (Seq s = 1; s <= 3; ++s) {
      std::vector<JournalRecord> batch{record("r", s, "payload" + std::to_string(s))};
      ASSERT_TRUE((*j)->write(batch).is_ok());
    }
  }
  const std::string seg = UpdateJournal::segment_path(jo.dir, 0);
  Bytes data = read_all(seg);
  data[kJournalHeaderBytes + 2] ^= 1;  // the first record's body
  write_all(seg, data);
  auto store = SqliteDocStore::open(o);
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kMalformed);
  EXPECT_NE(store.status().message().find("refusing to start"), std::string::npos)
      << store.status().message();
}

TEST(JournalStore, CompactionAfterJournalAppendsKeepsTheTail) {
  ScratchDir dir;
  SqliteDocStoreOptions o = store_options(dir);
  o.move_delay_ms = 60000;
  auto store = SqliteDocStore::open(o);
  ASSERT_TRUE(store.is_ok());
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE((*store)->append_sync("c", bytes_of("u" + std::to_string(i))).is_ok());
  ASSERT_TRUE((*store)->compact_sync("c", bytes_of("snap1-4"), 4).is_ok());
  ASSERT_TRUE((*store)->append_sync("c", bytes_of("u6")).is_ok());
  Result<StoredDoc> doc = (*store)->load("c");
  ASSERT_TRUE(doc.is_ok());
  EXPECT_EQ(string_of(doc->snapshot), "snap1-4");
  EXPECT_EQ(doc->snapshot_seq, 4u);
  ASSERT_EQ(doc->updates.size(), 2u);
  EXPECT_EQ(string_of(doc->updates[0]), "u5");
  EXPECT_EQ(string_of(doc->updates[1]), "u6");
  EXPECT_EQ(doc->first_seq, 5u);
  EXPECT_EQ(doc->last_seq, 6u);
  // Beyond the last seq: refused, nothing changed.
  EXPECT_FALSE((*store)->compact_sync("c", bytes_of("bad"), 9).is_ok());
}

}  // namespace
}  // namespace weft
