// Schema migrations: a data directory written by an older weft opens with
// this one, every room's state and seqs intact, or is left untouched.
#include "store/sqlite_schema.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite_doc_store.h"
#include "store/store_test_util.h"

namespace weft {
namespace {

using testing_util::bytes_of;
using testing_util::ScratchDir;
using testing_util::string_of;

// The version-1 schema, as weft wrote it before schema 2.
constexpr const char* kSchemaV1 = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE rooms(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  last_seq INTEGER NOT NULL DEFAULT 0,
  snapshot_seq INTEGER NOT NULL DEFAULT 0,
  snapshot_bytes INTEGER NOT NULL DEFAULT 0,
  log_count INTEGER NOT NULL DEFAULT 0,
  log_bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE updates(
  room_id INTEGER NOT NULL REFERENCES rooms(id),
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(room_id, seq));
CREATE TABLE snapshots(
  room_id INTEGER PRIMARY KEY REFERENCES rooms(id),
  seq INTEGER NOT NULL,
  data BLOB NOT NULL);
PRAGMA user_version=1;
)sql";

// Version-1 rows, counters as version 1 kept them:
//   a: log 1..3, no snapshot;  b: snapshot of 1..2, log 3..4;
//   c: snapshot of 1..5, empty log;  "d/é x": log 1..200 (several pages).
constexpr const char* kRowsV1 = R"sql(
INSERT INTO rooms VALUES(1, 'a', 3, 0, 0, 3, 9);
INSERT INTO updates VALUES(1, 1, x'613161'), (1, 2, x'613261'), (1, 3, x'613361');
INSERT INTO rooms VALUES(2, 'b', 4, 2, 4, 2, 4);
INSERT INTO snapshots VALUES(2, 2, x'62316232');
INSERT INTO updates VALUES(2, 3, x'6233'), (2, 4, x'6234');
INSERT INTO rooms VALUES(3, 'c', 5, 5, 3, 0, 0);
INSERT INTO snapshots VALUES(3, 5, x'633135');
INSERT INTO rooms VALUES(4, 'd/é x', 200, 0, 0, 200, 20000);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
  INSERT INTO updates SELECT 4, i, zeroblob(100) FROM n;
)sql";

void write_v1(const std::string& path, const char* extra_sql = nullptr) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  Result<SqliteDb> db = SqliteDb::open(path);
  ASSERT_TRUE(db.is_ok()) << db.status().message();
  ASSERT_TRUE(db->exec(kSchemaV1)) << "v1 schema";
  ASSERT_TRUE(db->exec(kRowsV1)) << "v1 rows";
  if (extra_sql) {
    ASSERT_TRUE(db->exec(extra_sql)) << extra_sql;
  }
}

int64_t query_int(SqliteDb& db, const char* sql) {
  Result<SqliteStmt> stmt = db.prepare(sql);
  EXPECT_TRUE(stmt.is_ok()) << sql;
  if (!stmt) return -1;
  Result<SqliteStmt::Step> step = stmt->step();
  EXPECT_TRUE(step.is_ok() && *step == SqliteStmt::Step::kRow) << sql;
  return step && *step == SqliteStmt::Step::kRow ? stmt->column_int(0) : -1;
}

std::vector<std::string> strings_of(const std::vector<Bytes>& updates) {
  std::vector<std::string> out;
  for (const Bytes& u : updates) out.push_back(string_of(u));
  return out;
}

TEST(SqliteSchema, MigratesVersion1KeepingEveryRoomAndSeq) {
  ScratchDir dir;
  const std::string path = dir.file("data/weft.db");
  write_v1(path);
  SqliteDocStoreOptions options;
  options.path = path;
  {
    auto store = SqliteDocStore::open(options);
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    SqliteDocStore& s = **store;

    Result<StoredDoc> a = s.load("a");
    ASSERT_TRUE(a.is_ok());
    EXPECT_TRUE(a->snapshot.empty());
    EXPECT_EQ(strings_of(a->updates), (std::vector<std::string>{"a1a", "a2a", "a3a"}));
    EXPECT_EQ(a->first_seq, 1u);
    EXPECT_EQ(a->last_seq, 3u);
    EXPECT_EQ(a->stored_bytes, 9u);

    Result<StoredDoc> b = s.load("b");
    ASSERT_TRUE(b.is_ok());
    EXPECT_EQ(string_of(b->snapshot), "b1b2");
    EXPECT_EQ(b->snapshot_seq, 2u);
    EXPECT_EQ(strings_of(b->updates), (std::vector<std::string>{"b3", "b4"}));
    EXPECT_EQ(b->first_seq, 3u);
    EXPECT_EQ(b->last_seq, 4u);
    EXPECT_EQ(b->stored_bytes, 8u);

    Result<StoredDoc> c = s.load("c");
    ASSERT_TRUE(c.is_ok());
    EXPECT_EQ(string_of(c->snapshot), "c15");
    EXPECT_EQ(c->snapshot_seq, 5u);
    EXPECT_TRUE(c->updates.empty());
    EXPECT_EQ(c->last_seq, 5u);

    Result<StoredDoc> d = s.load("d/é x");
    ASSERT_TRUE(d.is_ok());
    ASSERT_EQ(d->updates.size(), 200u);
    EXPECT_EQ(d->first_seq, 1u);
    EXPECT_EQ(d->last_seq, 200u);
    EXPECT_EQ(d->stored_bytes, 20000u);

    Result<std::vector<RoomInfo>> rooms = s.list_rooms();
    ASSERT_TRUE(rooms.is_ok());
    ASSERT_EQ(rooms->size(), 4u);
    const RoomInfo& rb = (*rooms)[1];
    EXPECT_EQ(rb.room, "b");
    EXPECT_EQ(rb.log_count, 2u);
    EXPECT_EQ(rb.log_bytes, 4u);
    EXPECT_EQ(rb.snapshot_bytes, 4u);
    EXPECT_EQ(rb.last_seq, 4u);
    EXPECT_EQ((*rooms)[3].log_count, 200u);
    EXPECT_EQ((*rooms)[3].log_bytes, 20000u);

    // Seqs continue where version 1 left them, also after a compacted log.
    EXPECT_EQ(*s.append_sync("a", bytes_of("a4a")), 4u);
    EXPECT_EQ(*s.append_sync("c", bytes_of("c6")), 6u);
    EXPECT_EQ(*s.append_sync("new", bytes_of("n1")), 1u);
  }
  // Reopened: the migrated file is version 2 and still holds it all.
  Result<SqliteDb> db = SqliteDb::open(path);
  ASSERT_TRUE(db.is_ok());
  EXPECT_EQ(query_int(*db, "PRAGMA user_version"), kSqliteSchemaVersion);
  EXPECT_EQ(
      query_int(*db,
                "SELECT count(*) FROM sqlite_schema WHERE name = 'updates' AND sql LIKE '%WITHOUT ROWID'"),
      1);
  EXPECT_EQ(query_int(*db, "SELECT count(*) FROM pragma_table_info('rooms') WHERE name = 'log_count'"), 0);
  EXPECT_EQ(query_int(*db, "SELECT count(*) FROM updates"), 3 + 2 + 200 + 3);
  auto reopened = SqliteDocStore::open(options);
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().message();
  Result<StoredDoc> c = (*reopened)->load("c");
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->first_seq, 6u);
  EXPECT_EQ(c->last_seq, 6u);
}

TEST(SqliteSchema, FailedMigrationLeavesVersion1Intact) {
  ScratchDir dir;
  const std::string path = dir.file("data/weft.db");
  // A damaged file: room e claims seq 9 but its log ends at 1. The migration
  // notices only after it rebuilt the tables, so this checks its rollback.
  write_v1(path,
           "INSERT INTO rooms VALUES(5, 'e', 9, 0, 0, 1, 2);"
           "INSERT INTO updates VALUES(5, 1, x'6531');");
  SqliteDocStoreOptions options;
  options.path = path;
  auto store = SqliteDocStore::open(options);
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kMalformed) << store.status().message();

  Result<SqliteDb> db = SqliteDb::open(path);
  ASSERT_TRUE(db.is_ok());
  EXPECT_EQ(query_int(*db, "PRAGMA user_version"), 1);
  EXPECT_EQ(query_int(*db, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%WITHOUT ROWID%'"), 0);
  EXPECT_EQ(query_int(*db, "SELECT count(*) FROM sqlite_schema WHERE name = 'updates_v2'"), 0);
  EXPECT_EQ(query_int(*db, "SELECT sum(log_count) FROM rooms"), 3 + 2 + 0 + 200 + 1);
  EXPECT_EQ(query_int(*db, "SELECT count(*) FROM updates"), 3 + 2 + 200 + 1);
  EXPECT_EQ(query_int(*db, "SELECT last_seq FROM rooms WHERE name = 'e'"), 9);
}

TEST(SqliteSchema, RefusesNewerVersion) {
  ScratchDir dir;
  const std::string path = dir.file("weft.db");
  {
    Result<SqliteDb> db = SqliteDb::open(path);
    ASSERT_TRUE(db.is_ok());
    ASSERT_TRUE(db->exec(("PRAGMA user_version=" + std::to_string(kSqliteSchemaVersion + 1)).c_str()));
  }
  SqliteDocStoreOptions options;
  options.path = path;
  auto store = SqliteDocStore::open(options);
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace weft
