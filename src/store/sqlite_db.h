// Thin RAII wrappers over the SQLite C API, errors as Status values.
// A SqliteDb is one connection; it is not thread-safe (one owner at a time).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft {

class SqliteStmt {
 public:
  SqliteStmt() = default;
  explicit SqliteStmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  SqliteStmt(SqliteStmt&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  SqliteStmt& operator=(SqliteStmt&& other) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  ~SqliteStmt();

  // Resets the statement and clears its bindings, ready for new ones.
  void reset();
  // Parameters are 1-based, as in SQLite. The bound memory is copied.
  void bind(int index, int64_t value);
  void bind(int index, std::string_view text);
  void bind_blob(int index, std::span<const uint8_t> blob);

  // kRow: a row is available through the column accessors; kDone: finished.
  enum class Step { kRow, kDone };
  Result<Step> step();
  // Steps a statement that returns no rows.
  Status run();

  int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::vector<uint8_t> column_blob(int index) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  SqliteDb() = default;
  SqliteDb(SqliteDb&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteDb& operator=(SqliteDb&&) = delete;
  SqliteDb(const SqliteDb&) = delete;
  ~SqliteDb();

  // Opens (creating if missing) the database file at `path`.
  static Result<SqliteDb> open(const std::string& path);

  Status exec(const char* sql);
  Result<SqliteStmt> prepare(const char* sql);
  // The last error of this connection, as a kIo Status prefixed by `what`.
  Status error(std::string_view what) const;
  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

}  // namespace weft
