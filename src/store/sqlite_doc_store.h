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
// One process at a time should open a given file: the writer caches each
// room's next seq.
#pragma once

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

namespace weft {

struct SqliteDocStoreOptions {
  // The database file; its directory is created if missing.
  std::string path = "./weft-data/weft.db";
  // Bounds on one group commit, so one transaction's latency stays bounded.
  size_t max_batch_writes = 4096;
  size_t max_batch_bytes = size_t{16} << 20;
};

class SqliteDocStore final : public DocStore {
 public:
  static Result<std::unique_ptr<SqliteDocStore>> open(SqliteDocStoreOptions options = {});
  ~SqliteDocStore() override;

  void append(std::string_view room, Bytes update, AppendCallback done) override;
  void compact(std::string_view room, Bytes snapshot, Seq up_to_seq, StatusCallback done) override;
  Result<StoredDoc> load(std::string_view room) override;
  Result<std::vector<RoomInfo>> list_rooms() override;
  Result<RoomInfo> room_size(std::string_view room) override;
  StoreStats stats() const override;
  void close() override;

  const std::string& path() const { return options_.path; }

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

  SqliteDocStore(SqliteDocStoreOptions options, SqliteDb writer, SqliteDb reader,
                 std::unique_ptr<WriterStmts> stmts);
  void enqueue(Job job);
  void writer_loop();
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

  mutable std::mutex mu_;  // guards queue_ and closing_
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool closing_ = false;

  mutable std::mutex stats_mu_;
  StoreStats stats_;

  std::mutex close_mu_;
  std::thread writer_;
};

}  // namespace weft
