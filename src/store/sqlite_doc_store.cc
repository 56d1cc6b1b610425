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
// The most journal records the mover moves in one SQLite transaction; that
// many waiting wake it before its delay is up.
constexpr size_t kMaxMoveRecords = 16384;

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

// Counts one successful commit (a SQLite COMMIT or a journal write + sync)
// that took `micros`: the weft_store_commit_* metrics. Caller holds stats_mu_.
void record_commit(StoreStats& stats, uint64_t micros) {
  ++stats.commits;
  stats.commit_latency_us_total += micros;
  stats.commit_latency_us_max = std::max(stats.commit_latency_us_max, micros);
  size_t bucket = 0;
  while (bucket < kCommitLatencyBoundsUs.size() && micros > kCommitLatencyBoundsUs[bucket]) ++bucket;
  ++stats.commit_latency_buckets[bucket];
}

}  // namespace

struct SqliteDocStore::WriterStmts {
  SqliteStmt begin, commit, rollback, savepoint, release, rollback_to;
  SqliteStmt find_room, insert_room;
  SqliteStmt insert_update;
  SqliteStmt delete_log, upsert_snapshot, set_snapshot;
  SqliteStmt set_moved_lsn;

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
        {&s->set_moved_lsn, "UPDATE journal SET moved_lsn = ?1 WHERE id = 0"},
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
  // Appends count as their journal record (header and room name included).
  if (const auto* a = std::get_if<AppendJob>(&op)) return journal_record_bytes(room.size(), a->update.size());
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
  std::unique_ptr<SqliteDocStore> store(new SqliteDocStore(
      std::move(options), std::move(writer), std::move(reader), std::move(checkpointer), std::move(stmts)));
  WEFT_RETURN_IF_ERROR(store->recover_journal());
  store->start();
  return store;
}

// Copies what a previous run left in the journal past journal.moved_lsn
// into SQLite (also with the journal off now: it may have been on then),
// then, in journal mode, opens the journal for writing above every LSN it
// holds.
Status SqliteDocStore::recover_journal() {
  uint64_t moved = 0;
  uint32_t salt = 0;
  {
    WEFT_ASSIGN_OR_RETURN(SqliteStmt q, wdb_.prepare("SELECT moved_lsn, salt FROM journal WHERE id = 0"));
    WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step step, q.step());
    if (step != SqliteStmt::Step::kRow)
      return Status(ErrorCode::kMalformed, "weft.db: the journal row is missing");
    moved = static_cast<uint64_t>(q.column_int(0));
    salt = static_cast<uint32_t>(q.column_int(1));
  }
  UpdateJournalOptions jo = journal_options();
  jo.salt = salt;
  WEFT_ASSIGN_OR_RETURN(JournalRecovery rec, UpdateJournal::recover(jo, moved));
  if (rec.max_lsn > moved) {
    // moved_lsn goes past a dropped torn tail too: the next run's records,
    // which say everything up to their predecessors was synced, must not
    // look like records missing after it.
    std::vector<MoverCompact> none;
    std::vector<Status> unused;
    WEFT_RETURN_IF_ERROR(move_batch(rec.records, none, rec.max_lsn, unused));
  }
  recovered_records_ = rec.records.size();
  dropped_records_ = rec.dropped;
  moved_lsn_ = rec.max_lsn;
  journal_salt_ = salt;
  if (options_.journal) {
    WEFT_ASSIGN_OR_RETURN(journal_, UpdateJournal::open(jo, rec.max_lsn + 1));
  }
  return Status::ok();
}

UpdateJournalOptions SqliteDocStore::journal_options() const {
  UpdateJournalOptions jo;
  jo.dir = options_.path + ".updates";
  jo.segment_bytes = options_.journal_segment_bytes;
  jo.segments = options_.journal_segments;
  jo.salt = journal_salt_;
  return jo;
}

void SqliteDocStore::start() {
  writer_ = std::thread([this] { writer_loop(); });
  checkpointer_ = std::thread([this] { checkpointer_loop(); });
  if (journal_) mover_ = std::thread([this] { mover_loop(); });
}

SqliteDocStore::SqliteDocStore(SqliteDocStoreOptions options, SqliteDb writer, SqliteDb reader,
                               SqliteDb checkpointer, std::unique_ptr<WriterStmts> stmts)
    : options_(std::move(options)),
      wdb_(std::move(writer)),
      ws_(std::move(stmts)),
      rdb_(std::move(reader)),
      cdb_(std::move(checkpointer)) {
  sqlite3_wal_hook(wdb_.handle(), &SqliteDocStore::on_wal_commit, this);
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
  // From a callback the writer (or mover) cannot join itself: the writer
  // drains the queue and ends after the current batch; the destructor (on
  // another thread) joins and stops the rest.
  if (on_writer_thread()) return;
  std::lock_guard close_lock(close_mu_);
  if (writer_.joinable()) writer_.join();
  // The mover outlives the writer (which may wait for it to free a journal
  // segment), then moves everything left before it ends.
  if (mover_.joinable()) {
    {
      std::lock_guard lock(move_mu_);
      move_closing_ = true;
    }
    move_cv_.notify_all();
    mover_.join();
  }
  {
    std::lock_guard lock(ckpt_mu_);
    ckpt_closing_ = true;
  }
  ckpt_cv_.notify_all();
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
      // SQLite commits are one at a time (one connection); journal writes
      // overlap (UpdateJournal orders them), so only SQLite mode waits for
      // an inline commit to end.
      cv_.wait(lock, [this] {
        return closing_ || ((journal_ || inline_commits_ == 0) && (!queue_.empty() || checkpoint_due_));
      });
      if (closing_) {
        // An inline commit may still be running: the store is ours after it.
        cv_.wait(lock, [this] { return inline_commits_ == 0; });
        if (queue_.empty()) return;  // closing and drained
      }
      committing_ = true;
      batch_rooms_.clear();
      checkpoint_due_ = false;
      checkpoint_only = queue_.empty();
      size_t bytes = 0;
      // A journal batch is at most half a segment encoded, so it rolls over
      // to the next segment at most once (UpdateJournal::write refuses a
      // write that would wrap onto itself).
      const size_t max_bytes = journal_
                                   ? std::min(options_.max_batch_bytes, options_.journal_segment_bytes / 2)
                                   : options_.max_batch_bytes;
      while (!queue_.empty() && batch.size() < options_.max_batch_writes &&
             (batch.empty() || bytes + queue_.front().bytes() <= max_bytes)) {
        bytes += queue_.front().bytes();
        batch_rooms_.push_back(queue_.front().room);
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!checkpoint_only) {
      if (journal_) {
        run_journal_batch(batch);
      } else {
        run_batch(batch);
      }
      std::lock_guard lock(mu_);
      small_batches_ =
          batch.size() <= kInlineMaxBatch ? std::min(small_batches_ + 1, kInlineAfterSmallBatches) : 0;
    }
    batch.clear();
    if (!journal_) maybe_checkpoint();  // else the mover's job
    {
      std::lock_guard lock(mu_);
      committing_ = false;
      batch_rooms_.clear();
    }
    cv_.notify_all();
  }
}

void SqliteDocStore::append_inline(std::string_view room, Bytes update, AppendCallback done) {
  std::unique_lock lock(mu_);
  // Under load the writer's batches are big; an inline commit of one update
  // between two of them would hold this strand through an fsync for one
  // update, so inline commits wait for a streak of small batches.
  // With the journal an inline commit may overlap the writer's batch (not
  // one holding this room: its callbacks come first) and other inline
  // commits; SQLite commits are one at a time.
  const bool busy = journal_
                        ? inline_commits_ >= kMaxInlineJournalWrites ||
                              std::find(batch_rooms_.begin(), batch_rooms_.end(), room) != batch_rooms_.end()
                        : committing_ || inline_commits_ > 0;
  if (closing_ || busy || !queue_.empty() || small_batches_ < kInlineAfterSmallBatches) {
    lock.unlock();
    return append(room, std::move(update), std::move(done));
  }
  ++inline_commits_;
  lock.unlock();
  // Nothing queued (and in SQLite mode nothing committing): this thread is
  // the writer for one batch of one. Callbacks that use the blocking helpers are refused as on
  // the writer thread (they would wait for this very thread).
  std::vector<Job> batch;
  batch.push_back(Job{std::string(room), AppendJob{std::move(update), std::move(done)}});
  const SqliteDocStore* outer = std::exchange(t_writer_of, this);
  if (journal_) {
    run_journal_batch(batch);
  } else {
    run_batch(batch);
  }
  t_writer_of = outer;
  {
    std::lock_guard stats_lock(stats_mu_);
    ++stats_.inline_commits;
  }
  // Checkpoint steps stay on the writer thread (the catch-up checkpoint
  // fsyncs the database file): it runs them between two transactions.
  const bool due = !journal_ && checkpoint_due();
  lock.lock();
  small_batches_ = std::min(small_batches_ + 1, kInlineAfterSmallBatches);
  --inline_commits_;
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
      record_commit(stats_, micros);
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

// Journal mode's commit: seqs from the committer's cache, one journal write
// and fdatasync for the whole batch, then the records go to the mover (and
// to unmoved_, where load() finds them) before any callback runs.
void SqliteDocStore::run_journal_batch(std::vector<Job>& batch) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  std::vector<Result<Seq>> results(batch.size(), Result<Seq>(Seq{0}));
  std::vector<JournalRecord> records;
  records.reserve(batch.size());
  std::vector<size_t> record_of(batch.size(), 0);  // append job -> its record
  uint64_t bytes = 0;
  std::unique_lock seq_lock(seq_mu_);
  for (size_t i = 0; i < batch.size(); ++i) {
    Job& job = batch[i];
    auto* a = std::get_if<AppendJob>(&job.op);
    if (a == nullptr) {
      record_of[i] = records.size();  // a compaction: how many records precede it
      continue;
    }
    auto it = journal_seqs_.find(job.room);
    if (it == journal_seqs_.end()) {
      Result<Seq> last = journal_last_seq(job.room);
      if (!last) {
        results[i] = last.status();
        continue;
      }
      it = journal_seqs_.emplace(job.room, *last).first;
    }
    JournalRecord r;
    r.room = job.room;
    r.seq = ++it->second;
    bytes += a->update.size();
    r.data = std::make_shared<const Bytes>(std::move(a->update));
    record_of[i] = records.size();
    records.push_back(std::move(r));
  }
  if (journal_seqs_.size() > kMaxCachedRooms) journal_seqs_.clear();
  seq_lock.unlock();
  // The mover's queues take records and compactions in LSN order, also
  // when journal writes overlap: the journal runs this in that order.
  std::vector<bool> handed_off(batch.size(), false);
  const std::function<void()> hand_to_mover = [&] {
    bool wake = false;
    {
      std::lock_guard lock(move_mu_);
      // The mover sleeps until there is something to move, then gathers for
      // move_delay_ms unless a compaction, a waiter or a full batch calls it
      // sooner: a notify for anything else only wakes it to sleep again (a
      // context switch per commit, on the commit's own critical path).
      const size_t before = unmoved_.size();
      for (const JournalRecord& r : records) unmoved_.push_back(r);
      wake = before == 0 || (before < kMaxMoveRecords && unmoved_.size() >= kMaxMoveRecords);
      for (size_t i = 0; i < batch.size(); ++i) {
        auto* c = std::get_if<CompactJob>(&batch[i].op);
        if (c == nullptr) continue;
        // After the records before it in the batch, or (first in the batch)
        // after everything already durable: the compacted room's updates
        // were acknowledged before it was asked for.
        const uint64_t after = record_of[i] > 0  ? records[record_of[i] - 1].lsn
                               : records.empty() ? journal_->synced_lsn()
                                                 : records.front().lsn - 1;
        compacts_.push_back(MoverCompact{after, batch[i].room, std::move(*c)});
        handed_off[i] = true;
        wake = true;
      }
    }
    if (wake) move_cv_.notify_one();
  };
  Status s = journal_->write(records, hand_to_mover);
  if (!s) {
    std::lock_guard lock(seq_mu_);
    for (const JournalRecord& r : records) journal_seqs_.erase(r.room);  // reread: nothing was kept
  }
  const uint64_t micros = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
  {
    std::lock_guard lock(stats_mu_);
    if (!records.empty() && s) {
      record_commit(stats_, micros);
      stats_.updates_persisted += records.size();
      stats_.bytes_persisted += bytes;
      stats_.max_batch = std::max<uint64_t>(stats_.max_batch, records.size());
    } else if (!records.empty()) {
      ++stats_.commit_failures;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (std::holds_alternative<AppendJob>(batch[i].op) && (!s || !results[i])) ++stats_.append_failures;
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (auto* a = std::get_if<AppendJob>(&batch[i].op)) {
      if (!results[i]) {
        a->done(std::move(results[i]));
      } else if (!s) {
        a->done(s);
      } else {
        a->done(records[record_of[i]].seq);
      }
    } else if (!handed_off[i]) {
      std::get<CompactJob>(batch[i].op).done(s);
    }
  }
}

// A room's last seq for the committer's cache: the records not yet moved,
// then SQLite (in that order: a record leaves unmoved_ only after its move
// committed, so it is seen in one or the other).
Result<Seq> SqliteDocStore::journal_last_seq(const std::string& room) {
  Seq last = 0;
  {
    std::lock_guard lock(move_mu_);
    for (const JournalRecord& r : unmoved_) {
      if (r.room == room) last = std::max(last, r.seq);
    }
  }
  std::lock_guard lock(read_mu_);
  WEFT_ASSIGN_OR_RETURN(SqliteStmt find,
                        rdb_.prepare("SELECT max(snapshot_seq, coalesce((SELECT max(seq) FROM updates "
                                     "WHERE room_id = rooms.id), 0)) FROM rooms WHERE name = ?1"));
  find.bind(1, room);
  WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step step, find.step());
  if (step == SqliteStmt::Step::kRow) last = std::max(last, static_cast<Seq>(find.column_int(0)));
  return last;
}

void SqliteDocStore::mover_loop() {
  t_writer_of = this;  // compaction callbacks run here: no blocking helpers
  int failures = 0;
  for (;;) {
    std::vector<JournalRecord> records;
    std::vector<MoverCompact> compacts;
    uint64_t moved_to = 0;
    {
      std::unique_lock lock(move_mu_);
      move_cv_.wait(lock, [this] { return !unmoved_.empty() || !compacts_.empty() || move_closing_; });
      if (unmoved_.empty() && compacts_.empty()) return;  // closing, everything moved
      if (!move_closing_ && compacts_.empty() && move_wanted_lsn_ <= moved_lsn_ && failures == 0) {
        // Gather more per transaction: fewer SQLite fsyncs beside the journal's.
        move_cv_.wait_for(lock, std::chrono::milliseconds(options_.move_delay_ms), [&] {
          return move_closing_ || !compacts_.empty() || move_wanted_lsn_ > moved_lsn_ ||
                 unmoved_.size() >= kMaxMoveRecords;
        });
      }
      const size_t n = std::min(unmoved_.size(), kMaxMoveRecords);
      records.assign(unmoved_.begin(), unmoved_.begin() + static_cast<ptrdiff_t>(n));
      moved_to = n > 0 ? records.back().lsn : moved_lsn_;
      while (!compacts_.empty() && compacts_.front().after_lsn <= moved_to) {
        compacts.push_back(std::move(compacts_.front()));
        compacts_.pop_front();
      }
    }
    std::vector<Status> compact_results;
    Status s = move_batch(records, compacts, moved_to, compact_results);
    if (s) {
      failures = 0;
      {
        std::lock_guard lock(move_mu_);
        unmoved_.erase(unmoved_.begin(), unmoved_.begin() + static_cast<ptrdiff_t>(records.size()));
        moved_lsn_ = std::max(moved_lsn_, moved_to);
      }
      moved_cv_.notify_all();
      journal_->set_moved(moved_to);
      {
        std::lock_guard lock(stats_mu_);
        for (const Status& r : compact_results) stats_.compactions += r ? 1 : 0;
      }
      for (size_t i = 0; i < compacts.size(); ++i) compacts[i].job.done(compact_results[i]);
    } else {
      ++failures;
      {
        std::lock_guard lock(stats_mu_);
        ++stats_.commit_failures;
      }
      for (MoverCompact& c : compacts) c.job.done(s);
      bool closing = false;
      {
        std::lock_guard lock(move_mu_);
        closing = move_closing_;
      }
      // Closing: the records stay in the journal; the next open moves them.
      if (closing && failures >= 3) {
        journal_->abort_waits();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    maybe_checkpoint();
  }
}

Status SqliteDocStore::insert_moved(const JournalRecord& record) {
  WEFT_ASSIGN_OR_RETURN(RoomState * state, room_state(record.room, /*create=*/true));
  if (record.seq <= state->last_seq) return Status::ok();  // already moved (recovery is idempotent)
  SqliteStmt& insert = ws_->insert_update;
  insert.reset();
  insert.bind(1, state->id);
  insert.bind(2, static_cast<int64_t>(record.seq));
  insert.bind_blob(3, *record.data);
  Status s = insert.run();
  insert.reset();
  WEFT_RETURN_IF_ERROR(s);
  state->last_seq = record.seq;
  return Status::ok();
}

Status SqliteDocStore::move_batch(const std::vector<JournalRecord>& records,
                                  std::vector<MoverCompact>& compacts, uint64_t moved_to,
                                  std::vector<Status>& compact_results) {
  WEFT_RETURN_IF_ERROR(run_plain(ws_->begin));
  size_t next = 0;
  auto insert_up_to = [&](uint64_t lsn) -> Status {
    for (; next < records.size() && records[next].lsn <= lsn; ++next) {
      WEFT_RETURN_IF_ERROR(insert_moved(records[next]));
    }
    return Status::ok();
  };
  Status s;
  for (MoverCompact& c : compacts) {
    s = insert_up_to(c.after_lsn);
    if (s) s = run_plain(ws_->savepoint);
    if (!s) break;
    auto cached = rooms_.find(c.room);
    std::optional<RoomState> before;
    if (cached != rooms_.end()) before = cached->second;
    Status r = write_compact(c.room, c.job);
    if (!r) {
      (void)run_plain(ws_->rollback_to);
      if (before) {
        rooms_[c.room] = *before;
      } else {
        rooms_.erase(c.room);
      }
    }
    (void)run_plain(ws_->release);
    compact_results.push_back(std::move(r));
  }
  if (s) s = insert_up_to(UINT64_MAX);
  if (s) {
    SqliteStmt& set = ws_->set_moved_lsn;
    set.reset();
    set.bind(1, static_cast<int64_t>(moved_to));
    s = set.run();
    set.reset();
  }
  if (s) s = run_plain(ws_->commit);
  if (!s) {
    (void)run_plain(ws_->rollback);
    rooms_.clear();  // rows it described may have been rolled back
  }
  return s;
}

void SqliteDocStore::wait_moved() {
  if (!journal_) return;
  const uint64_t target = journal_->synced_lsn();
  std::unique_lock lock(move_mu_);
  if (moved_lsn_ >= target || move_closing_) return;
  move_wanted_lsn_ = std::max(move_wanted_lsn_, target);
  move_cv_.notify_all();
  // Bounded: a failing mover leaves these reads with SQLite's view.
  moved_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return moved_lsn_ >= target; });
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
  // The records not yet moved first, then SQLite: a record leaves unmoved_
  // only after its move committed, so every acknowledged one is in one or the
  // other (both: SQLite's copy counts).
  std::vector<JournalRecord> unmoved;
  if (journal_) {
    std::lock_guard lock(move_mu_);
    for (const JournalRecord& r : unmoved_) {
      if (r.room == room) unmoved.push_back(r);
    }
  }
  WEFT_ASSIGN_OR_RETURN(StoredDoc doc, load_sqlite(room));
  for (const JournalRecord& r : unmoved) {
    if (r.seq <= doc.last_seq) continue;
    if (doc.updates.empty()) doc.first_seq = r.seq;
    doc.last_seq = r.seq;
    doc.updates.push_back(*r.data);
    doc.stored_bytes += r.data->size();
  }
  return doc;
}

Result<StoredDoc> SqliteDocStore::load_sqlite(std::string_view room) {
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
  wait_moved();
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
  wait_moved();
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
