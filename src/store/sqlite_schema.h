// The on-disk format of SqliteDocStore (documented in docs/storage.md).
#pragma once

#include "store/sqlite_db.h"

namespace weft {

// PRAGMA user_version of a database this code writes.
inline constexpr int kSqliteSchemaVersion = 1;

// Sets the connection's pragmas (WAL, synchronous=FULL, busy timeout) and,
// when `create` is set, creates the tables if missing. Fails with
// kUnsupported on a database written by a newer schema version.
Status prepare_sqlite_schema(SqliteDb& db, bool create);

}  // namespace weft
