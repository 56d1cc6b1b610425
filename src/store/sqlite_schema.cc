#include "store/sqlite_schema.h"

#include <string>

namespace weft {

namespace {

// Version 3. A room's last seq and log size are not stored: they follow from
// the log (last_seq = max(snapshot_seq, max(updates.seq)), one index seek),
// so an append inserts one row into one b-tree and touches one page.
constexpr const char* kCreateSql = R"sql(
CREATE TABLE rooms(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  snapshot_seq INTEGER NOT NULL DEFAULT 0,
  snapshot_bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE updates(
  room_id INTEGER NOT NULL REFERENCES rooms(id),
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(room_id, seq)) WITHOUT ROWID;
CREATE TABLE snapshots(
  room_id INTEGER PRIMARY KEY REFERENCES rooms(id),
  seq INTEGER NOT NULL,
  data BLOB NOT NULL);
)sql";

// The update journal's progress row (docs/storage.md, "Update journal"):
// the last part of a new database, and all of the version 2 -> 3
// migration. Runs inside the caller's transaction.
constexpr const char* kJournalTableSql = R"sql(
CREATE TABLE journal(
  id INTEGER PRIMARY KEY CHECK (id = 0),
  moved_lsn INTEGER NOT NULL,
  salt INTEGER NOT NULL);
INSERT INTO journal VALUES(0, 0, abs(random() % 4294967296));
)sql";

// Version 1 -> 2: the log is copied into a WITHOUT ROWID table and the
// counters leave rooms. Runs inside the caller's transaction.
constexpr const char* kMigrate1To2Sql = R"sql(
CREATE TABLE updates_v2(
  room_id INTEGER NOT NULL REFERENCES rooms(id),
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(room_id, seq)) WITHOUT ROWID;
INSERT INTO updates_v2(room_id, seq, data) SELECT room_id, seq, data FROM updates ORDER BY room_id, seq;
DROP TABLE updates;
ALTER TABLE updates_v2 RENAME TO updates;
CREATE TEMP TABLE weft_v1_last_seq AS SELECT id, last_seq FROM rooms;
ALTER TABLE rooms DROP COLUMN last_seq;
ALTER TABLE rooms DROP COLUMN log_count;
ALTER TABLE rooms DROP COLUMN log_bytes;
)sql";

// Rooms whose version-1 last_seq is not what version 2 derives from the log
// (version 1 kept them equal; a difference means a damaged file, and
// migrating it would silently reuse seqs).
constexpr const char* kMigrate1To2CheckSql = R"sql(
SELECT count(*) FROM rooms r JOIN temp.weft_v1_last_seq v ON v.id = r.id
WHERE v.last_seq != max(r.snapshot_seq, coalesce((SELECT max(seq) FROM updates u WHERE u.room_id = r.id), 0))
)sql";

Status set_version(SqliteDb& db) {
  return db.exec(("PRAGMA user_version=" + std::to_string(kSqliteSchemaVersion)).c_str());
}

Result<bool> has_table(SqliteDb& db, const char* name) {
  WEFT_ASSIGN_OR_RETURN(SqliteStmt stmt,
                        db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1"));
  stmt.bind(1, std::string_view(name));
  WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step step, stmt.step());
  return step == SqliteStmt::Step::kRow;
}

Status migrate_1_to_2(SqliteDb& db) {
  WEFT_RETURN_IF_ERROR(db.exec(kMigrate1To2Sql));
  WEFT_ASSIGN_OR_RETURN(SqliteStmt check, db.prepare(kMigrate1To2CheckSql));
  WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step step, check.step());
  const int64_t mismatched = step == SqliteStmt::Step::kRow ? check.column_int(0) : 0;
  check = SqliteStmt();
  WEFT_RETURN_IF_ERROR(db.exec("DROP TABLE temp.weft_v1_last_seq"));
  if (mismatched != 0) {
    return Status(ErrorCode::kMalformed, "weft.db schema 1 -> 2 migration: " + std::to_string(mismatched) +
                                             " room(s) whose last_seq disagrees with their log; file left at "
                                             "schema 1");
  }
  return Status::ok();
}

// Creates or migrates, inside the caller's write transaction.
Status create_or_migrate(SqliteDb& db, int64_t found) {
  if (found == kSqliteSchemaVersion) return Status::ok();
  if (found == 0) {
    WEFT_ASSIGN_OR_RETURN(bool rooms, has_table(db, "rooms"));
    if (rooms) return Status(ErrorCode::kUnsupported, "weft.db has tables but no schema version");
    WEFT_RETURN_IF_ERROR(db.exec(kCreateSql));
    WEFT_RETURN_IF_ERROR(db.exec(kJournalTableSql));
  } else if (found == 1 || found == 2) {
    if (found == 1) WEFT_RETURN_IF_ERROR(migrate_1_to_2(db));
    WEFT_RETURN_IF_ERROR(db.exec(kJournalTableSql));
  } else {
    return Status(ErrorCode::kUnsupported, "weft.db schema version " + std::to_string(found) + " is unknown");
  }
  return set_version(db);
}

Result<int64_t> user_version(SqliteDb& db) {
  WEFT_ASSIGN_OR_RETURN(SqliteStmt version, db.prepare("PRAGMA user_version"));
  WEFT_ASSIGN_OR_RETURN(SqliteStmt::Step step, version.step());
  return step == SqliteStmt::Step::kRow ? version.column_int(0) : 0;
}

}  // namespace

Status prepare_sqlite_schema(SqliteDb& db, bool create) {
  if (sqlite3_busy_timeout(db.handle(), 10000) != SQLITE_OK) return db.error("sqlite busy_timeout");
  // WAL is persistent in the file; FULL makes every commit fsync the WAL, so a
  // commit that returned survives power loss, not only a process crash.
  WEFT_RETURN_IF_ERROR(db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));

  WEFT_ASSIGN_OR_RETURN(int64_t found, user_version(db));
  if (found > kSqliteSchemaVersion) {
    return Status(ErrorCode::kUnsupported, "weft.db schema version " + std::to_string(found) +
                                               " is newer than this build's " +
                                               std::to_string(kSqliteSchemaVersion));
  }
  if (!create) {
    if (found == kSqliteSchemaVersion) return Status::ok();
    return Status(ErrorCode::kUnsupported,
                  "weft.db schema version " + std::to_string(found) + " needs the writer's migration first");
  }
  if (found == kSqliteSchemaVersion) return Status::ok();
  // The version is read again under the write lock: another process may have
  // migrated meanwhile. Everything below is one transaction.
  WEFT_RETURN_IF_ERROR(db.exec("BEGIN IMMEDIATE"));
  Result<int64_t> locked = user_version(db);
  Status s = locked ? create_or_migrate(db, *locked) : locked.status();
  if (s) s = db.exec("COMMIT");
  if (!s) (void)db.exec("ROLLBACK");
  return s;
}

}  // namespace weft
