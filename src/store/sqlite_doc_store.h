// SqliteDocStore: the embedded DocStore, one SQLite file (WAL mode,
// synchronous=FULL) per server. Format and durability: docs/storage.md.
//
// Group commit: appends and compactions are queued to one writer thread.
// Whatever was queued while the previous transaction was committing becomes
// the next transaction, so many appends share one fsync; each callback fires
// after the COMMIT that holds its write returned. A failing write rolls back
// only itself (a savepoint per write); a failing COMMIT fails the whole batch.
// Reads (load, list_rooms, room_size) use a second connection and never wait
// for the writer's fsync.
//
// append_inline skips the writer thread when it is idle: with nothing queued
// and nothing committing, the calling thread commits its one update itself
// and runs the callback before returning (two thread wakeups fewer, the most
// a lone update costs besides its fsync). Whatever arrives meanwhile queues
// for the writer thread, which commits it as one group after the inline
// commit, so group commit under load is unchanged; and appends go to it
// directly until 4 commits in a row held at most three writes each.
// Callbacks stay in append order: in SQLite mode one batch is committed, and
// its callbacks run, at a time. In journal mode an inline commit may overlap
// the writer's batch (UpdateJournal keeps LSNs and durability in order), but
// never one holding the same room, so each room's callbacks keep its order.
//
// Checkpoints run mostly off the commit path: the writer turns SQLite's
// automatic checkpoint off and, once the WAL holds checkpoint_frames
// frames, wakes a checkpointer thread that runs a PASSIVE checkpoint on its
// own connection (it copies pages into the database file and fsyncs it
// without blocking the writer). Then the writer, between two transactions,
// checkpoints the few frames committed meanwhile; its next transaction
// starts the WAL over from its beginning, so commits overwrite blocks the
// file already has and their fdatasync need not update file metadata.
//
// Update journal (options.journal, the default; docs/storage.md, "Update
// journal"): a batch of appends is made durable by one write and fdatasync
// of an append-only journal file of our own (UpdateJournal) instead of a
// SQLite commit; its callbacks fire after that. A mover thread then copies
// the journal's records into the updates table in larger transactions
// (synchronous=FULL, with the journal's progress, journal.moved_lsn, in the
// same transaction), off the latency path; only then may the journal reuse
// the space. Compactions queue behind the appends before them and run on the
// mover, after those appends are in SQLite; their callbacks run on the mover
// thread. load() sees records still only in the journal; list_rooms and
// room_size first wait for the mover to catch up. open() recovers: every
// intact journal record past moved_lsn is copied into SQLite before the store
// accepts writes.
//
// One process at a time should open a given file: the writer caches each
// room's next seq.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>

#include "store/doc_store.h"
#include "store/sqlite_db.h"
#include "store/update_journal.h"

namespace weft {

struct SqliteDocStoreOptions {
  // The database file; its directory is created if missing.
  std::string path = "./weft-data/weft.db";
  // Bounds on one group commit, so one transaction's latency stays bounded.
  size_t max_batch_writes = 4096;
  size_t max_batch_bytes = size_t{16} << 20;
  // WAL frames (pages) after which the checkpointer runs.
  int checkpoint_frames = 1000;
  // At open, empties the WAL and extends it to its working size (zeros,
  // fdatasynced), so commits overwrite blocks instead of growing the file
  // (docs/storage.md, "Checkpoints").
  bool preallocate_wal = true;
  // The update journal (class comment): in the directory path + ".updates".
  bool journal = true;
  size_t journal_segment_bytes = size_t{4} << 20;
  int journal_segments = 4;
  // The mover waits up to this long after records arrive, to move more in
  // one transaction (fewer SQLite fsyncs beside the journal's). It moves at
  // once when someone waits for it (list_rooms, room_size, close, compact).
  int move_delay_ms = 1000;
};

class SqliteDocStore final : public DocStore {
 public:
  static Result<std::unique_ptr<SqliteDocStore>> open(SqliteDocStoreOptions options = {});
  ~SqliteDocStore() override;

  void append(std::string_view room, Bytes update, AppendCallback done) override;
  void append_inline(std::string_view room, Bytes update, AppendCallback done) override;
  void compact(std::string_view room, Bytes snapshot, Seq up_to_seq, StatusCallback done) override;
  Result<StoredDoc> load(std::string_view room) override;
  Result<std::vector<RoomInfo>> list_rooms() override;
  Result<RoomInfo> room_size(std::string_view room) override;
  StoreStats stats() const override;
  void close() override;

  const std::string& path() const { return options_.path; }
  std::string journal_dir() const { return options_.path + ".updates"; }
  // The journal's directory, segments and checksum salt (tests write journals with it).
  UpdateJournalOptions journal_options() const;
  // What open() copied from the journal into SQLite (the previous run's
  // records not yet moved), and how many intact records after a torn tail
  // it left (never acknowledged).
  uint64_t recovered_records() const { return recovered_records_; }
  uint64_t dropped_records() const { return dropped_records_; }

 protected:
  bool on_writer_thread() const override;

 private:
  struct AppendJob {
    Bytes update;
    AppendCallback done;
  };
  struct CompactJob {
    Bytes snapshot;
    Seq up_to_seq;
    StatusCallback done;
  };
  struct Job {
    std::string room;
    std::variant<AppendJob, CompactJob> op;
    size_t bytes() const;
  };
  // The writer's cached copy of a rooms row.
  struct RoomState {
    int64_t id = 0;
    Seq last_seq = 0;
    Seq snapshot_seq = 0;
  };
  struct WriterStmts;
  // A compaction behind the journal records up to after_lsn (mover thread).
  struct MoverCompact {
    uint64_t after_lsn;
    std::string room;
    CompactJob job;
  };

  // append_inline commits inline only after this many consecutive commits of
  // at most kInlineMaxBatch writes each (light load). Closed-loop clients under
  // load alternate a big batch with a tiny one (the first write after the
  // acknowledgements); a streak keeps those from committing inline.
  static constexpr size_t kInlineMaxBatch = 3;
  static constexpr int kInlineAfterSmallBatches = 4;
  // Journal mode: inline commits at once (each holds its caller's thread, an
  // io thread, through an fdatasync).
  static constexpr int kMaxInlineJournalWrites = 1;

  SqliteDocStore(SqliteDocStoreOptions options, SqliteDb writer, SqliteDb reader, SqliteDb checkpointer,
                 std::unique_ptr<WriterStmts> stmts);
  void start();
  Status recover_journal();
  // One mover transaction: the records, each compaction after the records
  // up to its after_lsn, and journal.moved_lsn = moved_to. A failed
  // compaction rolls back only itself (its status in compact_results).
  Status move_batch(const std::vector<JournalRecord>& records, std::vector<MoverCompact>& compacts,
                    uint64_t moved_to, std::vector<Status>& compact_results);
  Status insert_moved(const JournalRecord& record);
  Result<StoredDoc> load_sqlite(std::string_view room);
  void mover_loop();
  void run_journal_batch(std::vector<Job>& batch);
  Result<Seq> journal_last_seq(const std::string& room);
  // Waits (bounded) until the mover has moved everything synced so far.
  void wait_moved();
  void enqueue(Job job);
  void writer_loop();
  void checkpointer_loop();
  void maybe_checkpoint();  // writer thread, between transactions
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int frames);
  // Writer or inline committer: a checkpoint step is waiting for the writer.
  bool checkpoint_due() const;
  void run_batch(std::vector<Job>& batch);
  Result<Seq> write_append(const std::string& room, const AppendJob& job);
  Status write_compact(const std::string& room, const CompactJob& job);
  Result<RoomState*> room_state(const std::string& room, bool create);
  Result<RoomInfo> read_room_info(SqliteStmt& stmt);

  const SqliteDocStoreOptions options_;

  // Writer thread only.
  SqliteDb wdb_;
  std::unique_ptr<WriterStmts> ws_;
  std::unordered_map<std::string, RoomState> rooms_;

  std::mutex read_mu_;  // guards rdb_
  SqliteDb rdb_;

  mutable std::mutex mu_;  // guards the fields up to small_batches_
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool closing_ = false;
  // The writer thread's batch is being written or its callbacks are running;
  // batch_rooms_ are its rooms. In SQLite mode the writer and inline commits
  // (inline_commits_ of them) exclude each other: whoever commits owns wdb_,
  // ws_, rooms_. In journal mode they overlap (UpdateJournal is thread-safe;
  // the committers share journal_seqs_ under seq_mu_).
  bool committing_ = false;
  std::vector<std::string> batch_rooms_;
  int inline_commits_ = 0;
  bool checkpoint_due_ = false;  // an inline commit left a checkpoint step for the writer
  // Consecutive commits (writer or inline) of at most kInlineMaxBatch writes:
  // the load is light when it reaches kInlineAfterSmallBatches.
  // An idle store counts as lightly loaded.
  int small_batches_ = kInlineAfterSmallBatches;

  mutable std::mutex stats_mu_;
  StoreStats stats_;

  std::mutex close_mu_;
  std::thread writer_;

  SqliteDb cdb_;  // the checkpointer's connection
  // Checkpoint rounds: the writer starts one (idle -> running), the
  // checkpointer copies in the background (running -> copied), the writer
  // copies the rest between two transactions (copied -> idle).
  enum CkptPhase : int { kCkptIdle, kCkptRunning, kCkptCopied };
  std::atomic<int> ckpt_phase_{kCkptIdle};
  std::mutex ckpt_mu_;  // guards ckpt_closing_, with ckpt_cv_
  std::condition_variable ckpt_cv_;
  bool ckpt_closing_ = false;
  int wal_frames_ = 0;  // writer thread: frames in the WAL after its last commit
  std::thread checkpointer_;

  // Update journal mode (options_.journal); null otherwise.
  std::unique_ptr<UpdateJournal> journal_;
  uint64_t recovered_records_ = 0;
  uint64_t dropped_records_ = 0;
  uint32_t journal_salt_ = 0;
  std::mutex seq_mu_;                                  // guards journal_seqs_
  std::unordered_map<std::string, Seq> journal_seqs_;  // the committers': each room's last seq
  std::mutex move_mu_;                                 // guards the fields below
  std::condition_variable move_cv_;                    // the mover waits for work
  std::condition_variable moved_cv_;                   // wait_moved waits for the mover
  std::deque<JournalRecord> unmoved_;                  // synced, not yet in SQLite; LSN order
  std::deque<MoverCompact> compacts_;
  uint64_t moved_lsn_ = 0;
  uint64_t move_wanted_lsn_ = 0;  // someone waits for the mover up to this LSN
  bool move_closing_ = false;
  std::thread mover_;
};

}  // namespace weft
