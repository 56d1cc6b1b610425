// The on-disk format of SqliteDocStore (documented in docs/storage.md).
#pragma once

#include "store/sqlite_db.h"

namespace weft {

// PRAGMA user_version of a database this code writes.
//   1: updates was a rowid table (plus its primary key index) and rooms
//      carried last_seq / log_count / log_bytes, updated by every append.
//   2: updates is WITHOUT ROWID, keyed (room_id, seq), and rooms no longer
//      carries what the log already says: an append writes one b-tree.
//   3: adds journal(moved_lsn, salt), one row: every update journal record
//      up to moved_lsn is in updates (or covered by a snapshot); salt seeds
//      the journal's checksums.
inline constexpr int kSqliteSchemaVersion = 3;

// Sets the connection's pragmas (WAL, synchronous=FULL, busy timeout) and,
// when `create` is set, creates the tables if missing or migrates an older
// schema version in place, in one transaction (a failure leaves the file as
// it was). Fails with kUnsupported on a database written by a newer schema
// version, or (without `create`) by an older one.
Status prepare_sqlite_schema(SqliteDb& db, bool create);

}  // namespace weft
