// UpdateJournal: the durability point of appended updates in front of
// SQLite (docs/storage.md, "Update journal"; docs/durability.md).
//
// A fixed set of preallocated segment files in one directory, written in
// turn and overwritten in place, so an fdatasync flushes data blocks only,
// never file metadata. Each record carries a journal-wide sequence number
// (LSN, +1 per record, never reused across runs) and the highest LSN that
// was already synced when it was written; both are covered by checksums
// (CRC-32C). A segment is written again only after every record in it was
// moved into SQLite durably (set_moved).
//
// Recovery (recover) reads every segment and finds each intact record (its
// checksums hold). Records above `moved_lsn` (what SQLite already holds) are
// returned if they form one unbroken LSN run from moved_lsn + 1; the first
// missing LSN ends it (a torn tail of a write whose sync never returned:
// later intact records of that write are dropped). If any intact record,
// anywhere, says that an LSN beyond that end was synced, a synced record is
// damaged: recover fails with kMalformed instead of guessing.
//
// Thread-safety: every method from any thread. Writes may overlap: each
// reserves its place and LSNs in turn, then writes and syncs alongside the
// others (one slow fdatasync no longer holds up the next write's), and
// returns only once every earlier write is synced too, so the durable LSNs
// always form one unbroken run (which recovery relies on).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/doc_store.h"

namespace weft {

uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc = 0);

struct UpdateJournalOptions {
  std::string dir;                         // created if missing
  size_t segment_bytes = size_t{4} << 20;  // each segment file's size
  int segments = 4;
  // How long write() waits for a segment to be moved into SQLite before it
  // fails the write (the mover is failing or far behind).
  int full_wait_ms = 30000;
  // Seeds both checksums: a random value fixed per database (SQLite's
  // journal.salt), so bytes a client sent (a payload) can never pass for a
  // record of this journal when recovery scans past a torn write.
  uint32_t salt = 0;
};

struct JournalRecord {
  uint64_t lsn = 0;  // assigned by write()
  std::string room;
  Seq seq = 0;
  std::shared_ptr<const Bytes> data;
};

// Record layout, little endian, each record starting at an 8-byte aligned
// offset (docs/storage.md):
//   0 u32 magic 0x314A5757 ("WWJ1")  4 u32 body length (room + payload)
//   8 u64 lsn  16 u64 synced lsn  24 u64 seq  32 u32 room length
//  36 u32 crc32c of the body  40 u32 crc32c of bytes 0..39  44 u32 zero
//  (both CRC-32C seeded with the journal's salt)
//  48 room bytes, payload bytes, zero padding to a multiple of 8
inline constexpr size_t kJournalHeaderBytes = 48;
inline constexpr uint32_t kJournalMagic = 0x314A5757;
size_t journal_record_bytes(size_t room_bytes, size_t payload_bytes);
// Appends one encoded record to `out`.
void encode_journal_record(Bytes& out, uint32_t salt, uint64_t lsn, uint64_t synced_lsn, Seq seq,
                           std::string_view room, std::span<const uint8_t> payload);

struct JournalRecovery {
  std::vector<JournalRecord> records;  // LSNs moved_lsn+1 .. end, in order
  uint64_t end_lsn = 0;                // last LSN returned (moved_lsn when none)
  uint64_t max_lsn = 0;                // highest LSN seen anywhere (the next run starts above it)
  uint64_t dropped = 0;                // intact records after the torn tail (never acknowledged)
};

class UpdateJournal {
 public:
  // Reads the journal in options.dir (a missing directory is an empty
  // journal). Changes nothing on disk.
  static Result<JournalRecovery> recover(const UpdateJournalOptions& options, uint64_t moved_lsn);

  // Opens for writing with every segment free (the caller moved everything
  // recover returned into SQLite first); the first record gets next_lsn.
  static Result<std::unique_ptr<UpdateJournal>> open(UpdateJournalOptions options, uint64_t next_lsn);
  ~UpdateJournal();

  // Assigns LSNs to `records`, writes them and fdatasyncs: when it returns
  // ok they are durable, and so is every record of every earlier write.
  // Waits for a free segment when the next one still holds unmoved records.
  // A failed write or sync breaks the journal: this and every later write
  // fail (after a failed fdatasync the file's state is unknown; the next
  // start recovers what is intact), also writes already under way.
  // `in_order` (optional) runs exactly once if the write succeeds, under the
  // journal's lock, in LSN order across all writes, when these records and
  // all earlier ones are durable; it may run on another writer's thread
  // while this call still waits, so it must be quick and must not call the
  // journal. With no records it runs at once (synced_lsn() then covers every
  // write that has returned).
  Status write(std::vector<JournalRecord>& records, const std::function<void()>& in_order = {});

  // Every record with LSN <= lsn is durable in SQLite: its segment may be reused.
  void set_moved(uint64_t lsn);
  uint64_t synced_lsn() const { return synced_lsn_.load(); }
  // Wakes a write() waiting for a free segment and makes it fail.
  void abort_waits();

  static std::string segment_path(const std::string& dir, int index);

 private:
  explicit UpdateJournal(UpdateJournalOptions options, uint64_t next_lsn);
  // One write's contiguous bytes in one segment.
  struct Piece {
    int segment;
    uint64_t offset;
    Bytes bytes;
  };
  // A reserved write, from reservation until it is durable in order.
  struct Pending {
    uint64_t last_lsn = 0;
    const std::function<void()>* in_order = nullptr;
    bool synced = false;  // its own fdatasync returned
    bool done = false;    // it and every earlier write are durable
  };
  // Under write_mu_: places `records` (LSNs, segments, offsets) and encodes them.
  Result<std::vector<Piece>> reserve(std::unique_lock<std::mutex>& lock, std::vector<JournalRecord>& records);
  // Under write_mu_: pops the writes that are durable in order.
  void complete_in_order();
  Status ensure_segment(int index);
  Status wait_moved_to(uint64_t need, int index);
  Status pwrite_all(int index, const Bytes& buf, uint64_t offset);

  const UpdateJournalOptions options_;
  std::mutex write_mu_;  // guards the fields up to pending_
  std::condition_variable done_cv_;
  // fds_[i] is set once, under write_mu_, before any write uses it.
  std::vector<int> fds_;                // -1 until the segment is opened
  std::vector<uint64_t> seg_last_lsn_;  // highest LSN written into each segment (0: none)
  int cur_ = 0;                         // segment being written
  uint64_t cur_off_ = 0;                // next write offset in it
  uint64_t next_lsn_ = 1;
  Status broken_;
  std::deque<Pending*> pending_;         // reserved writes not yet durable in order, in LSN order
  std::atomic<uint64_t> synced_lsn_{0};  // every LSN up to it is durable

  std::mutex moved_mu_;
  std::condition_variable moved_cv_;
  uint64_t moved_lsn_ = 0;
  bool aborted_ = false;
};

}  // namespace weft
