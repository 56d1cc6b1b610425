#include "store/sqlite_doc_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "store/sqlite_schema.h"

namespace weft {

namespace {

thread_local const SqliteDocStore* t_writer_of = nullptr;

// Past this many cached rooms the writer drops its cache (it reloads rows on demand).
constexpr size_t kMaxCachedRooms = 100000;

// RoomInfo columns (read_room_info) per room, the log's figures summed from
// its rows: length() reads a blob's size from the record header, not the
// blob. The admin API's queries; appends keep no counters (schema 2).
// Each subquery is a range scan (or seek) of one room's keys.
constexpr const char* kRoomInfoSql =
    "SELECT r.name, (SELECT coalesce(sum(length(data)), 0) FROM updates WHERE room_id = r.id), "
    "(SELECT count(*) FROM updates WHERE room_id = r.id), r.snapshot_bytes, "
    "max(r.snapshot_seq, coalesce((SELECT max(seq) FROM updates WHERE room_id = r.id), 0)) FROM rooms r";
constexpr const char* kRoomInfoOneSql = " WHERE r.name = ?1";
constexpr const char* kRoomInfoAllSql = " ORDER BY r.name";

// WAL frames are a 24-byte header and one page (SQLite's default page size).
constexpr uint64_t kWalHeaderBytes = 32;
constexpr uint64_t kWalFrameBytes = 24 + 4096;

// Extends the WAL file `wal_path`, which holds no frames (just truncated by
// a checkpoint), to `bytes` bytes of zeros, written and fdatasynced. SQLite
// reads a WAL without a valid header as empty, and writes its header and
// frames over the zeros. The point: a commit that appends to a growing file
// must also journal the file's new size (ext4: a journal commit, another
// device flush) before its fdatasync returns; one that overwrites blocks the
// file already has flushes only its data. The checkpoints restart the WAL
// from its beginning (class comment) and journal_size_limit keeps the file,
// so with this every commit of a steady load overwrites, from the first on.
Status preallocate_wal(const std::string& wal_path, uint64_t bytes) {
  // SQLite holds no POSIX locks on the WAL file itself (they are on the
  // database and -shm files), so opening and closing it here drops none.
  const int fd = ::open(wal_path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Status(ErrorCode::kIo, "open " + wal_path + ": " + std::strerror(errno));
  struct stat st {};
  int err = ::fstat(fd, &st) == 0 ? 0 : errno;
  const std::vector<uint8_t> zeros(size_t{1} << 20, 0);
  for (uint64_t off = err == 0 ? static_cast<uint64_t>(st.st_size) : bytes; off < bytes && err == 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), bytes - off));
    const ssize_t w = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(off));
    if (w < 0 && errno != EINTR) err = errno;
    if (w > 0) off += static_cast<uint64_t>(w);
  }
  if (err == 0 && ::fdatasync(fd) != 0) err = errno;
  ::close(fd);
  if (err != 0) return Status(ErrorCode::kIo, "preallocate " + wal_path + ": " + std::strerror(err));
  return Status::ok();
}

Status closed_error() { return Status(ErrorCode::kIo, "store is closed"); }

// Ends a read transaction on scope exit (a read-only COMMIT cannot fail in a
// way that matters: nothing was written).
class ReadTxn {
 public:
  explicit ReadTxn(SqliteDb& db) : db_(db) {}
  Status begin() {
    Status s = db_.exec("BEGIN");
    open_ = s.is_ok();
    return s;
  }
  ~ReadTxn() {
    if (open_) (void)db_.exec("COMMIT");
  }

 private:
  SqliteDb& db_;
  bool open_ = false;
};

}  // namespace

struct SqliteDocStore::WriterStmts {
  SqliteStmt begin, commit, rollback, savepoint, release, rollback_to;
  SqliteStmt find_room, insert_room;
  SqliteStmt insert_update;
  SqliteStmt delete_log, upsert_snapshot, set_snapshot;

  static Result<std::unique_ptr<WriterStmts>> prepare(SqliteDb& db) {
    auto s = std::make_unique<WriterStmts>();
    struct Entry {
      SqliteStmt* stmt;
      const char* sql;
    };
    const Entry entries[] = {
        {&s->begin, "BEGIN IMMEDIATE"},
        {&s->commit, "COMMIT"},
        {&s->rollback, "ROLLBACK"},
        {&s->savepoint, "SAVEPOINT w"},
        {&s->release, "RELEASE w"},
        {&s->rollback_to, "ROLLBACK TO w"},
        // last_seq from the log: one seek to the room's last key (schema 2).
        {&s->find_room,
         "SELECT id, max(snapshot_seq, coalesce((SELECT max(seq) FROM updates WHERE room_id = rooms.id), 0)),"
         " snapshot_seq FROM rooms WHERE name = ?1"},
        {&s->insert_room, "INSERT INTO rooms(name) VALUES(?1)"},
        {&s->insert_update, "INSERT INTO updates(room_id, seq, data) VALUES(?1, ?2, ?3)"},
        {&s->delete_log, "DELETE FROM updates WHERE room_id = ?1 AND seq <= ?2"},
        {&s->upsert_snapshot,
         "INSERT INTO snapshots(room_id, seq, data) VALUES(?1, ?2, ?3) "
         "ON CONFLICT(room_id) DO UPDATE SET seq = excluded.seq, data = excluded.data"},
        {&s->set_snapshot, "UPDATE rooms SET snapshot_seq = ?2, snapshot_bytes = ?3 WHERE id = ?1"},
    };
    for (const Entry& e : entries) {
      WEFT_ASSIGN_OR_RETURN(*e.stmt, db.prepare(e.sql));
    }
    return s;
  }
};

// Runs a statement that takes no parameters and returns no rows.
static Status run_plain(SqliteStmt& stmt) {
  stmt.reset();
  Status s = stmt.run();
  stmt.reset();
  return s;
}

size_t SqliteDocStore::Job::bytes() const {
  if (const auto* a = std::get_if<AppendJob>(&op)) return a->update.size();
  return std::get<CompactJob>(op).snapshot.size();
}

Result<std::unique_ptr<SqliteDocStore>> SqliteDocStore::open(SqliteDocStoreOptions options) {
  std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Status(ErrorCode::kIo, "create " + parent.string() + ": " + ec.message());
  }
  WEFT_ASSIGN_OR_RETURN(SqliteDb writer, SqliteDb::open(options.path));
  WEFT_RETURN_IF_ERROR(prepare_sqlite_schema(writer, /*create=*/true));
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<WriterStmts> stmts, WriterStmts::prepare(writer));
  // Checkpoints are the checkpointer's job (class comment). The WAL file
  // keeps its size between cycles, up to this bound after a burst.
  WEFT_RETURN_IF_ERROR(writer.exec("PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=67108864;"));
  if (options.preallocate_wal) {
    // Empties the WAL (what a previous run left is copied into the database
    // file first), then gives it its working size: a checkpoint round starts
    // at checkpoint_frames and the WAL restarts a few frames later. Skipped
    // if anything else holds the file (the checkpoint could not finish).
    WEFT_ASSIGN_OR_RETURN(SqliteStmt truncate, writer.prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
    WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step step, truncate.step());
    const bool emptied =
        step == SqliteStmt::Step::kRow && truncate.column_int(0) == 0 && truncate.column_int(1) == 0;
    truncate = SqliteStmt();
    if (emptied) {
      const uint64_t frames = static_cast<uint64_t>(std::max(options.checkpoint_frames, 1)) * 5 / 4;
      WEFT_RETURN_IF_ERROR(preallocate_wal(options.path + "-wal", kWalHeaderBytes + frames * kWalFrameBytes));
    }
  }
  WEFT_ASSIGN_OR_RETURN(SqliteDb reader, SqliteDb::open(options.path));
  WEFT_RETURN_IF_ERROR(prepare_sqlite_schema(reader, /*create=*/false));
  WEFT_ASSIGN_OR_RETURN(SqliteDb checkpointer, SqliteDb::open(options.path));
  WEFT_RETURN_IF_ERROR(prepare_sqlite_schema(checkpointer, /*create=*/false));
  WEFT_RETURN_IF_ERROR(checkpointer.exec("PRAGMA wal_autocheckpoint=0"));
  return std::unique_ptr<SqliteDocStore>(new SqliteDocStore(
      std::move(options), std::move(writer), std::move(reader), std::move(checkpointer), std::move(stmts)));
}

SqliteDocStore::SqliteDocStore(SqliteDocStoreOptions options, SqliteDb writer, SqliteDb reader,
                               SqliteDb checkpointer, std::unique_ptr<WriterStmts> stmts)
    : options_(std::move(options)),
      wdb_(std::move(writer)),
      ws_(std::move(stmts)),
      rdb_(std::move(reader)),
      cdb_(std::move(checkpointer)) {
  sqlite3_wal_hook(wdb_.handle(), &SqliteDocStore::on_wal_commit, this);
  writer_ = std::thread([this] { writer_loop(); });
  checkpointer_ = std::thread([this] { checkpointer_loop(); });
}

int SqliteDocStore::on_wal_commit(void* self, sqlite3*, const char*, int frames) {
  static_cast<SqliteDocStore*>(self)->wal_frames_ = frames;
  return SQLITE_OK;
}

void SqliteDocStore::maybe_checkpoint() {
  switch (ckpt_phase_.load()) {
    case kCkptIdle:
      if (wal_frames_ < options_.checkpoint_frames) return;
      {
        std::lock_guard lock(ckpt_mu_);
        ckpt_phase_ = kCkptRunning;
      }
      ckpt_cv_.notify_one();
      return;
    case kCkptRunning:
      return;
    case kCkptCopied: {
      // The background round copied the WAL as it was when it started; this
      // copies what was committed since (a few frames) with no commit
      // running, so the next transaction starts the WAL over.
      int log = 0;
      int copied = 0;
      const int rc =
          sqlite3_wal_checkpoint_v2(wdb_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      ckpt_phase_ = kCkptIdle;
      std::lock_guard lock(stats_mu_);
      if (rc == SQLITE_OK) {
        ++stats_.checkpoints;
      } else {
        ++stats_.checkpoint_failures;
      }
      return;
    }
  }
}

void SqliteDocStore::checkpointer_loop() {
  for (;;) {
    {
      std::unique_lock lock(ckpt_mu_);
      ckpt_cv_.wait(lock, [this] { return ckpt_phase_ == kCkptRunning || ckpt_closing_; });
      if (ckpt_closing_) return;
    }
    // PASSIVE: copies pages into the database file and fsyncs it without
    // ever waiting for (or blocking) the writer.
    int log = 0;
    int copied = 0;
    const int rc =
        sqlite3_wal_checkpoint_v2(cdb_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc != SQLITE_OK) {
      std::lock_guard lock(stats_mu_);
      ++stats_.checkpoint_failures;
    }
    ckpt_phase_ = kCkptCopied;  // the writer finishes it between two transactions
  }
}

SqliteDocStore::~SqliteDocStore() { close(); }

void SqliteDocStore::close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  {
    std::lock_guard lock(ckpt_mu_);
    ckpt_closing_ = true;
  }
  ckpt_cv_.notify_all();
  // From a callback the writer cannot join itself: it drains the queue and
  // ends after the current batch; the destructor (on another thread) joins.
  if (on_writer_thread()) return;
  std::lock_guard close_lock(close_mu_);
  if (writer_.joinable()) writer_.join();
  if (checkpointer_.joinable()) checkpointer_.join();
}

bool SqliteDocStore::on_writer_thread() const { return t_writer_of == this; }

void SqliteDocStore::enqueue(Job job) {
  {
    std::unique_lock lock(mu_);
    if (!closing_) {
      queue_.push_back(std::move(job));
      lock.unlock();
      cv_.notify_one();
      return;
    }
  }
  if (auto* a = std::get_if<AppendJob>(&job.op)) {
    a->done(closed_error());
  } else {
    std::get<CompactJob>(job.op).done(closed_error());
  }
}

void SqliteDocStore::append(std::string_view room, Bytes update, AppendCallback done) {
  enqueue(Job{std::string(room), AppendJob{std::move(update), std::move(done)}});
}

void SqliteDocStore::compact(std::string_view room, Bytes snapshot, Seq up_to_seq, StatusCallback done) {
  enqueue(Job{std::string(room), CompactJob{std::move(snapshot), up_to_seq, std::move(done)}});
}

void SqliteDocStore::writer_loop() {
  t_writer_of = this;
  std::vector<Job> batch;
  for (;;) {
    bool checkpoint_only = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return (!committing_ && (!queue_.empty() || checkpoint_due_)) || closing_; });
      if (closing_) {
        // An inline commit may still be running: the connection is ours after it.
        cv_.wait(lock, [this] { return !committing_; });
        if (queue_.empty()) return;  // closing and drained
      }
      committing_ = true;
      checkpoint_due_ = false;
      checkpoint_only = queue_.empty();
      size_t bytes = 0;
      while (!queue_.empty() && batch.size() < options_.max_batch_writes &&
             (batch.empty() || bytes + queue_.front().bytes() <= options_.max_batch_bytes)) {
        bytes += queue_.front().bytes();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!checkpoint_only) {
      run_batch(batch);
      std::lock_guard lock(mu_);
      small_batches_ =
          batch.size() <= kInlineMaxBatch ? std::min(small_batches_ + 1, kInlineAfterSmallBatches) : 0;
    }
    batch.clear();
    maybe_checkpoint();
    {
      std::lock_guard lock(mu_);
      committing_ = false;
    }
    cv_.notify_all();
  }
}

void SqliteDocStore::append_inline(std::string_view room, Bytes update, AppendCallback done) {
  std::unique_lock lock(mu_);
  // Under load the writer's batches are big; an inline commit of one update
  // between two of them would hold this strand through an fsync for one
  // update, so inline commits wait for a streak of small batches.
  if (closing_ || committing_ || !queue_.empty() || small_batches_ < kInlineAfterSmallBatches) {
    lock.unlock();
    return append(room, std::move(update), std::move(done));
  }
  committing_ = true;
  lock.unlock();
  // Nothing queued, nothing committing: this thread is the writer for one
  // batch of one. Callbacks that use the blocking helpers are refused as on
  // the writer thread (they would wait for this very thread).
  std::vector<Job> batch;
  batch.push_back(Job{std::string(room), AppendJob{std::move(update), std::move(done)}});
  const SqliteDocStore* outer = std::exchange(t_writer_of, this);
  run_batch(batch);
  t_writer_of = outer;
  {
    std::lock_guard stats_lock(stats_mu_);
    ++stats_.inline_commits;
  }
  // Checkpoint steps stay on the writer thread (the catch-up checkpoint
  // fsyncs the database file): it runs them between two transactions.
  const bool due = checkpoint_due();
  lock.lock();
  small_batches_ = std::min(small_batches_ + 1, kInlineAfterSmallBatches);
  committing_ = false;
  if (due) checkpoint_due_ = true;
  const bool wake = due || !queue_.empty() || closing_;
  lock.unlock();
  if (wake) cv_.notify_all();
}

bool SqliteDocStore::checkpoint_due() const {
  const int phase = ckpt_phase_.load();
  return phase == kCkptCopied || (phase == kCkptIdle && wal_frames_ >= options_.checkpoint_frames);
}

void SqliteDocStore::run_batch(std::vector<Job>& batch) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  std::vector<Result<Seq>> results;
  results.reserve(batch.size());

  // A savepoint per write: a failure undoes that write only. A batch of one
  // needs none: its transaction is rolled back instead.
  const bool savepoints = batch.size() > 1;
  bool wrote = false;
  Status txn = run_plain(ws_->begin);
  if (txn) {
    for (const Job& job : batch) {
      // The cached room row is restored with a failed write.
      auto cached = rooms_.find(job.room);
      std::optional<RoomState> before;
      if (cached != rooms_.end()) before = cached->second;
      Status sp = savepoints ? run_plain(ws_->savepoint) : Status::ok();
      Result<Seq> r = sp.is_ok() ? Result<Seq>(Seq{0}) : Result<Seq>(sp);
      if (r) {
        if (const auto* a = std::get_if<AppendJob>(&job.op)) {
          r = write_append(job.room, *a);
        } else {
          Status s = write_compact(job.room, std::get<CompactJob>(job.op));
          if (!s) r = s;
        }
        if (!r) {
          if (savepoints) (void)run_plain(ws_->rollback_to);
          if (before) {
            rooms_[job.room] = *before;
          } else {
            rooms_.erase(job.room);
          }
        }
        if (savepoints) (void)run_plain(ws_->release);
      }
      wrote = wrote || r.is_ok();
      results.push_back(std::move(r));
    }
    if (wrote) {
      txn = run_plain(ws_->commit);
      if (!txn) (void)run_plain(ws_->rollback);
    } else {
      (void)run_plain(ws_->rollback);  // every write failed: nothing to make durable
    }
  }
  if (!txn) {
    rooms_.clear();  // rows it described may have been rolled back
    for (Result<Seq>& r : results) r = txn;
    results.resize(batch.size(), txn);
  }
  if (rooms_.size() > kMaxCachedRooms) rooms_.clear();
  const uint64_t micros = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());

  {
    std::lock_guard lock(stats_mu_);
    if (txn && wrote) {
      ++stats_.commits;
      stats_.commit_latency_us_total += micros;
      stats_.commit_latency_us_max = std::max(stats_.commit_latency_us_max, micros);
      size_t bucket = 0;
      while (bucket < kCommitLatencyBoundsUs.size() && micros > kCommitLatencyBoundsUs[bucket]) ++bucket;
      ++stats_.commit_latency_buckets[bucket];
    } else if (!txn) {
      ++stats_.commit_failures;
    }
    uint64_t appended = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (const auto* a = std::get_if<AppendJob>(&batch[i].op)) {
        if (results[i]) {
          ++appended;
          ++stats_.updates_persisted;
          stats_.bytes_persisted += a->update.size();
        } else {
          ++stats_.append_failures;
        }
      } else if (results[i]) {
        ++stats_.compactions;
      }
    }
    stats_.max_batch = std::max(stats_.max_batch, appended);
  }

  for (size_t i = 0; i < batch.size(); ++i) {
    if (auto* a = std::get_if<AppendJob>(&batch[i].op)) {
      a->done(std::move(results[i]));
    } else {
      std::get<CompactJob>(batch[i].op).done(results[i].status());
    }
  }
}

Result<SqliteDocStore::RoomState*> SqliteDocStore::room_state(const std::string& room, bool create) {
  auto it = rooms_.find(room);
  if (it != rooms_.end()) return &it->second;
  SqliteStmt& find = ws_->find_room;
  find.reset();
  find.bind(1, room);
  WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step step, find.step());
  RoomState state;
  if (step == SqliteStmt::Step::kRow) {
    state.id = find.column_int(0);
    state.last_seq = static_cast<Seq>(find.column_int(1));
    state.snapshot_seq = static_cast<Seq>(find.column_int(2));
    find.reset();
  } else {
    find.reset();
    if (!create) return Status(ErrorCode::kInvalidArgument, "no such room");
    SqliteStmt& insert = ws_->insert_room;
    insert.reset();
    insert.bind(1, room);
    Status s = insert.run();
    insert.reset();
    WEFT_RETURN_IF_ERROR(s);
    state.id = sqlite3_last_insert_rowid(wdb_.handle());
  }
  return &rooms_.emplace(room, state).first->second;
}

Result<Seq> SqliteDocStore::write_append(const std::string& room, const AppendJob& job) {
  WEFT_ASSIGN_OR_RETURN(RoomState * state, room_state(room, /*create=*/true));
  const Seq seq = state->last_seq + 1;
  SqliteStmt& insert = ws_->insert_update;
  insert.reset();
  insert.bind(1, state->id);
  insert.bind(2, static_cast<int64_t>(seq));
  insert.bind_blob(3, job.update);
  // The row is the whole write: the room's last seq and log size are
  // derived from the log (schema 2), so the commit carries one page.
  Status s = insert.run();
  insert.reset();
  WEFT_RETURN_IF_ERROR(s);
  state->last_seq = seq;
  return seq;
}

Status SqliteDocStore::write_compact(const std::string& room, const CompactJob& job) {
  WEFT_ASSIGN_OR_RETURN(RoomState * state, room_state(room, /*create=*/false));
  if (job.up_to_seq > state->last_seq || job.up_to_seq < state->snapshot_seq) {
    return Status(ErrorCode::kInvalidArgument, "compact: up_to_seq " + std::to_string(job.up_to_seq) +
                                                   " outside [" + std::to_string(state->snapshot_seq) + ", " +
                                                   std::to_string(state->last_seq) + "]");
  }
  SqliteStmt& del = ws_->delete_log;
  del.reset();
  del.bind(1, state->id);
  del.bind(2, static_cast<int64_t>(job.up_to_seq));
  Status s = del.run();
  del.reset();
  WEFT_RETURN_IF_ERROR(s);

  SqliteStmt& snap = ws_->upsert_snapshot;
  snap.reset();
  snap.bind(1, state->id);
  snap.bind(2, static_cast<int64_t>(job.up_to_seq));
  snap.bind_blob(3, job.snapshot);
  s = snap.run();
  snap.reset();
  WEFT_RETURN_IF_ERROR(s);

  SqliteStmt& set = ws_->set_snapshot;
  set.reset();
  set.bind(1, state->id);
  set.bind(2, static_cast<int64_t>(job.up_to_seq));
  set.bind(3, static_cast<int64_t>(job.snapshot.size()));
  s = set.run();
  set.reset();
  WEFT_RETURN_IF_ERROR(s);
  state->snapshot_seq = job.up_to_seq;
  return Status::ok();
}

Result<StoredDoc> SqliteDocStore::load(std::string_view room) {
  std::lock_guard lock(read_mu_);
  ReadTxn txn(rdb_);
  WEFT_RETURN_IF_ERROR(txn.begin());
  StoredDoc doc;
  WEFT_ASSIGN_OR_RETURN(SqliteStmt find,
                        rdb_.prepare("SELECT id, snapshot_seq, snapshot_bytes FROM rooms WHERE name = ?1"));
  find.bind(1, room);
  WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step step, find.step());
  if (step == SqliteStmt::Step::kDone) return doc;
  const int64_t id = find.column_int(0);
  doc.snapshot_seq = static_cast<Seq>(find.column_int(1));
  doc.stored_bytes = static_cast<uint64_t>(find.column_int(2));
  // last_seq and the log's size follow from the log rows read below (schema 2).
  doc.last_seq = doc.snapshot_seq;

  if (doc.snapshot_seq > 0) {
    WEFT_ASSIGN_OR_RETURN(SqliteStmt snap, rdb_.prepare("SELECT data FROM snapshots WHERE room_id = ?1"));
    snap.bind(1, id);
    WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step s, snap.step());
    if (s == SqliteStmt::Step::kRow) doc.snapshot = snap.column_blob(0);
  }
  WEFT_ASSIGN_OR_RETURN(SqliteStmt log, rdb_.prepare("SELECT seq, data FROM updates WHERE room_id = ?1 "
                                                     "AND seq > ?2 ORDER BY seq"));
  log.bind(1, id);
  log.bind(2, static_cast<int64_t>(doc.snapshot_seq));
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step s, log.step());
    if (s == SqliteStmt::Step::kDone) break;
    if (doc.updates.empty()) doc.first_seq = static_cast<Seq>(log.column_int(0));
    doc.last_seq = static_cast<Seq>(log.column_int(0));
    doc.updates.push_back(log.column_blob(1));
    doc.stored_bytes += doc.updates.back().size();
  }
  return doc;
}

Result<RoomInfo> SqliteDocStore::read_room_info(SqliteStmt& stmt) {
  RoomInfo info;
  info.room = stmt.column_text(0);
  info.log_bytes = static_cast<uint64_t>(stmt.column_int(1));
  info.log_count = static_cast<uint64_t>(stmt.column_int(2));
  info.snapshot_bytes = static_cast<uint64_t>(stmt.column_int(3));
  info.last_seq = static_cast<Seq>(stmt.column_int(4));
  return info;
}

Result<std::vector<RoomInfo>> SqliteDocStore::list_rooms() {
  std::lock_guard lock(read_mu_);
  WEFT_ASSIGN_OR_RETURN(SqliteStmt stmt, rdb_.prepare((std::string(kRoomInfoSql) + kRoomInfoAllSql).c_str()));
  std::vector<RoomInfo> rooms;
  for (;;) {
    WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step s, stmt.step());
    if (s == SqliteStmt::Step::kDone) break;
    WEFT_ASSIGN_OR_RETURN(RoomInfo info, read_room_info(stmt));
    rooms.push_back(std::move(info));
  }
  return rooms;
}

Result<RoomInfo> SqliteDocStore::room_size(std::string_view room) {
  std::lock_guard lock(read_mu_);
  WEFT_ASSIGN_OR_RETURN(SqliteStmt stmt, rdb_.prepare((std::string(kRoomInfoSql) + kRoomInfoOneSql).c_str()));
  stmt.bind(1, room);
  WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step s, stmt.step());
  if (s == SqliteStmt::Step::kDone) return Status(ErrorCode::kInvalidArgument, "no such room");
  return read_room_info(stmt);
}

StoreStats SqliteDocStore::stats() const {
  StoreStats out;
  {
    std::lock_guard lock(stats_mu_);
    out = stats_;
  }
  std::lock_guard lock(mu_);
  out.queue_depth = queue_.size();
  return out;
}

}  // namespace weft
