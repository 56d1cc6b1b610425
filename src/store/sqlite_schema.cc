#include "store/sqlite_schema.h"

#include <string>

namespace weft {

namespace {

// rooms keeps per-room counters so that sizes and the next seq are known
// without scanning the log; the single writer updates them in the same
// transaction as the log rows they describe.
constexpr const char* kCreateSql = R"sql(
CREATE TABLE IF NOT EXISTS rooms(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  last_seq INTEGER NOT NULL DEFAULT 0,
  snapshot_seq INTEGER NOT NULL DEFAULT 0,
  snapshot_bytes INTEGER NOT NULL DEFAULT 0,
  log_count INTEGER NOT NULL DEFAULT 0,
  log_bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS updates(
  room_id INTEGER NOT NULL REFERENCES rooms(id),
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(room_id, seq));
CREATE TABLE IF NOT EXISTS snapshots(
  room_id INTEGER PRIMARY KEY REFERENCES rooms(id),
  seq INTEGER NOT NULL,
  data BLOB NOT NULL);
)sql";

}  // namespace

Status prepare_sqlite_schema(SqliteDb& db, bool create) {
  if (sqlite3_busy_timeout(db.handle(), 10000) != SQLITE_OK) return db.error("sqlite busy_timeout");
  // WAL is persistent in the file; FULL makes every commit fsync the WAL, so a
  // commit that returned survives power loss, not only a process crash.
  WEFT_RETURN_IF_ERROR(db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));

  WEFT_ASSIGN_OR_RETURN(SqliteStmt version, db.prepare("PRAGMA user_version"));
  WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step step, version.step());
  int64_t found = step == SqliteStmt::Step::kRow ? version.column_int(0) : 0;
  if (found > kSqliteSchemaVersion) {
    return Status(ErrorCode::kUnsupported, "weft.db schema version " + std::to_string(found) +
                                               " is newer than this build's " +
                                               std::to_string(kSqliteSchemaVersion));
  }
  if (!create) return Status::ok();
  WEFT_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  Status s = db.exec(kCreateSql);
  if (s) s = db.exec(("PRAGMA user_version=" + std::to_string(kSqliteSchemaVersion)).c_str());
  if (s) s = db.exec("COMMIT");
  if (!s) (void)db.exec("ROLLBACK");
  return s;
}

}  // namespace weft
