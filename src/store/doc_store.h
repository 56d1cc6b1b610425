// DocStore: durable per-room storage of raw v1 Yjs updates.
//
// Each room (a document, named by the y-websocket room string, any bytes) is
// an append-only log of updates plus at most one snapshot. Every update gets
// a per-room sequence number: 1, 2, 3, ... in the order appends are queued,
// never reused, not even after compaction. A snapshot covers every update
// with seq <= snapshot_seq; loading returns the snapshot and the updates
// after it, so applying both in order rebuilds the document.
//
// Durability: an append's callback fires (with its seq) only after the
// update is on stable storage; a crash after that never loses it. A crash
// before it may or may not keep it, but never keeps it twice. The server
// broadcasts an update only after its callback fired ("persist before
// broadcast").
//
// Thread-safety: every method may be called from any thread. Append order is
// the order of the calls (callers that need an order, such as a room's
// strand, call from one serialized context).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <future>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/status.h"

namespace weft {

using Seq = uint64_t;
using Bytes = std::vector<uint8_t>;

// What load() returns: apply `snapshot` (if not empty), then `updates` in order.
struct StoredDoc {
  Bytes snapshot;              // may be empty: no compaction yet
  Seq snapshot_seq = 0;        // the snapshot covers updates 1..snapshot_seq
  std::vector<Bytes> updates;  // the log after the snapshot, seq order
  Seq first_seq = 0;           // seq of updates[0] (0 when updates is empty)
  Seq last_seq = 0;            // highest seq ever assigned in this room (0: none)
  uint64_t stored_bytes = 0;   // snapshot + log payload bytes
};

struct RoomInfo {
  std::string room;
  uint64_t log_bytes = 0;       // payload bytes of the updates after the snapshot
  uint64_t log_count = 0;       // number of those updates
  uint64_t snapshot_bytes = 0;  // 0 when there is no snapshot
  Seq last_seq = 0;
  uint64_t total_bytes() const { return log_bytes + snapshot_bytes; }
};

// Upper bounds (microseconds, inclusive) of the commit latency histogram
// buckets; the last bucket of StoreStats::commit_latency_buckets counts the rest.
inline constexpr std::array<uint64_t, 10> kCommitLatencyBoundsUs = {250,   500,   1000,  2500,   5000,
                                                                    10000, 25000, 50000, 100000, 250000};

// Counters since open, for /metrics. Monotonic except queue_depth.
struct StoreStats {
  uint64_t updates_persisted = 0;  // appends acknowledged durable
  uint64_t bytes_persisted = 0;
  uint64_t append_failures = 0;
  uint64_t commits = 0;         // write transactions (each one fsync of the WAL)
  uint64_t inline_commits = 0;  // of which committed on the appending thread (append_inline)
  uint64_t commit_failures = 0;
  uint64_t compactions = 0;
  uint64_t commit_latency_us_total = 0;  // BEGIN..COMMIT, fsync included
  uint64_t commit_latency_us_max = 0;
  std::array<uint64_t, kCommitLatencyBoundsUs.size() + 1> commit_latency_buckets{};
  uint64_t max_batch = 0;    // most appends made durable by one commit
  uint64_t checkpoints = 0;  // WAL checkpoint rounds (SQLite; docs/storage.md, "Checkpoints")
  uint64_t checkpoint_failures = 0;
  uint64_t queue_depth = 0;  // writes queued right now
};

using AppendCallback = std::function<void(Result<Seq>)>;
using StatusCallback = std::function<void(Status)>;

class DocStore {
 public:
  virtual ~DocStore() = default;

  // Queues `update` for `room`. `done` is called exactly once: with the
  // update's seq after it is durable, or with an error (then it was not
  // stored). Callbacks run on the store's writer thread in append order; they
  // must be quick and must not block on the store (hand work to your own
  // executor). After close(), `done` is called at once with kIo.
  virtual void append(std::string_view room, Bytes update, AppendCallback done) = 0;

  // Like append, but when the store is idle (nothing queued, nothing
  // committing) it may commit on the calling thread and call `done` there
  // before returning, saving the hand-offs to and from a writer thread.
  // Callbacks keep each room's append order (an implementation may commit
  // different rooms' appends side by side). The caller must not hold a lock `done`
  // takes, and must accept blocking for one commit (an fsync). The default
  // is append.
  virtual void append_inline(std::string_view room, Bytes update, AppendCallback done) {
    append(room, std::move(update), std::move(done));
  }

  // Replaces the room's log entries with seq <= up_to_seq by `snapshot`,
  // atomically; entries appended after up_to_seq are kept. `snapshot` must
  // contain the state of the previous snapshot and updates 1..up_to_seq (for
  // instance the merge of what load() returned). up_to_seq must not exceed
  // last_seq and must not be below the current snapshot_seq (kInvalidArgument).
  // `done` runs like an append callback.
  virtual void compact(std::string_view room, Bytes snapshot, Seq up_to_seq, StatusCallback done) = 0;

  // A consistent view of the room (snapshot and log from one read
  // transaction). A room never written loads as an empty StoredDoc.
  virtual Result<StoredDoc> load(std::string_view room) = 0;

  virtual Result<std::vector<RoomInfo>> list_rooms() = 0;
  // kInvalidArgument if the room was never written.
  virtual Result<RoomInfo> room_size(std::string_view room) = 0;

  virtual StoreStats stats() const = 0;

  // Makes every queued write durable (or failed), completes its callback,
  // then refuses new writes. Idempotent; the destructor calls it. From a
  // callback it only starts the close (it cannot wait for its own thread);
  // never destroy the store from a callback.
  virtual void close() = 0;

  // Blocking helpers over the callback forms. Never call them from a store
  // callback (the writer thread would wait on itself; they return kInvalidArgument).
  Result<Seq> append_sync(std::string_view room, Bytes update);
  Status compact_sync(std::string_view room, Bytes snapshot, Seq up_to_seq);
  std::future<Result<Seq>> append_future(std::string_view room, Bytes update);

 protected:
  // True on the thread that runs callbacks (guards the blocking helpers).
  virtual bool on_writer_thread() const = 0;
};

}  // namespace weft
