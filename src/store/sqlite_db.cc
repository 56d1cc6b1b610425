#include "store/sqlite_db.h"

#include <utility>

namespace weft {

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

SqliteStmt::~SqliteStmt() { sqlite3_finalize(stmt_); }

void SqliteStmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void SqliteStmt::bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void SqliteStmt::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void SqliteStmt::bind_blob(int index, std::span<const uint8_t> blob) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const uint8_t kEmpty = 0;
  sqlite3_bind_blob64(stmt_, index, blob.empty() ? &kEmpty : blob.data(), blob.size(), SQLITE_TRANSIENT);
}

Result<SqliteStmt::Step> SqliteStmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return Step::kRow;
  if (rc == SQLITE_DONE) return Step::kDone;
  sqlite3* db = sqlite3_db_handle(stmt_);
  return Status(ErrorCode::kIo, std::string("sqlite step: ") + sqlite3_errmsg(db));
}

Status SqliteStmt::run() {
  Result<Step> r = step();
  if (!r) return r.status();
  if (*r != Step::kDone) return Status(ErrorCode::kIo, "sqlite: statement returned rows");
  return Status::ok();
}

int64_t SqliteStmt::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string SqliteStmt::column_text(int index) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  int n = sqlite3_column_bytes(stmt_, index);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

std::vector<uint8_t> SqliteStmt::column_blob(int index) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, index));
  int n = sqlite3_column_bytes(stmt_, index);
  return p ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>();
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Result<SqliteDb> SqliteDb::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status(ErrorCode::kIo, "sqlite open " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db, 1);
  return SqliteDb(db);
}

Status SqliteDb::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::ok();
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return Status(ErrorCode::kIo, std::string("sqlite exec: ") + msg);
}

Result<SqliteStmt> SqliteDb::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    return error("sqlite prepare");
  }
  return SqliteStmt(stmt);
}

Status SqliteDb::error(std::string_view what) const {
  return Status(ErrorCode::kIo, std::string(what) + ": " + sqlite3_errmsg(db_));
}

}  // namespace weft
