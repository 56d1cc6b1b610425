#include "sync/awareness.h"

#include <gtest/gtest.h>

#include "sync/test_util.h"

namespace weft::sync {
namespace {

using testing::bytes;
using testing::hex;
using testing::unhex;

Bytes update_of(std::vector<AwarenessEntry> entries) { return encode_awareness_update(entries); }

Bytes one(ClientId client, uint64_t clock, std::string json) { return update_of({{client, clock, json}}); }

AwarenessChange apply_ok(Awareness& a, const Bytes& update, int64_t now, std::optional<ConnectionId> c = {}) {
  auto r = a.apply_update(update, now, c);
  EXPECT_TRUE(r) << r.status().to_string();
  return r ? *r : AwarenessChange{};
}

using Ids = std::vector<ClientId>;

TEST(AwarenessCodec, ExamplesFromTheSpec) {
  // yjs-compat.md 8.2
  Bytes update = unhex("01 01 01 16");
  Bytes json = bytes(R"({"user":{"name":"Bo"}})");
  update.insert(update.end(), json.begin(), json.end());
  auto entries = decode_awareness_update(update);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0], (AwarenessEntry{1, 1, R"({"user":{"name":"Bo"}})"}));
  EXPECT_EQ(encode_awareness_update(*entries), update);
  EXPECT_EQ(hex(one(1, 2, "null")), "01 01 02 04 6e 75 6c 6c");
}

TEST(AwarenessCodec, StatesAreRestringifiedAsJs) {
  auto entries = decode_awareness_update(one(5, 1, R"( { "b" : 1.50, "a":[ 1e2 ], "2":0, "1":"x" } )"));
  ASSERT_TRUE(entries);
  EXPECT_EQ((*entries)[0].state_json, R"({"1":"x","2":0,"b":1.5,"a":[100]})");
}

TEST(AwarenessCodec, Errors) {
  EXPECT_EQ(decode_awareness_update({}).status().code(), ErrorCode::kTruncated);
  EXPECT_EQ(decode_awareness_update(unhex("02 01 01 02 7b 7d")).status().code(), ErrorCode::kTruncated);
  EXPECT_EQ(decode_awareness_update(unhex("01 01 01 01 7b")).status().code(), ErrorCode::kMalformed);  // "{"
  EXPECT_EQ(decode_awareness_update(one(1, 1, "undefined")).status().code(), ErrorCode::kMalformed);
  EXPECT_EQ(decode_awareness_update(one(1, 1, "")).status().code(), ErrorCode::kMalformed);
  Bytes trailing = one(1, 1, "{}");
  trailing.push_back(0);
  EXPECT_EQ(decode_awareness_update(trailing).status().code(), ErrorCode::kMalformed);
  // A hostile count with nothing behind it fails fast.
  EXPECT_EQ(decode_awareness_update(unhex("ff ff ff ff 0f")).status().code(), ErrorCode::kTruncated);
}

TEST(Awareness, ClockRules) {
  Awareness a;
  // An unknown client at clock 0 is not accepted (0 is not > 0).
  EXPECT_TRUE(apply_ok(a, one(1, 0, "{}"), 10).empty());
  EXPECT_EQ(a.size(), 0u);

  auto c = apply_ok(a, one(1, 1, R"({"a":1})"), 10);
  EXPECT_EQ(c.added, Ids{1});
  EXPECT_EQ(a.state_json(1), R"({"a":1})");
  EXPECT_EQ(a.clock(1), 1u);
  EXPECT_EQ(a.last_updated_ms(1), 10);

  // Same clock with a state: ignored. Older clock: ignored.
  EXPECT_TRUE(apply_ok(a, one(1, 1, R"({"a":2})"), 20).empty());
  EXPECT_TRUE(apply_ok(a, one(1, 0, "null"), 20).empty());
  EXPECT_EQ(a.state_json(1), R"({"a":1})");

  // Higher clock: updated, even when the state is the same (a renewal).
  c = apply_ok(a, one(1, 2, R"({"a":1})"), 30);
  EXPECT_EQ(c.updated, Ids{1});
  EXPECT_EQ(a.last_updated_ms(1), 30);

  // Equal clock with null while a state exists: removed, clock kept.
  c = apply_ok(a, one(1, 2, "null"), 40);
  EXPECT_EQ(c.removed, Ids{1});
  EXPECT_FALSE(a.has_state(1));
  EXPECT_EQ(a.clock(1), 2u);
  // Equal clock null again: no state any more, ignored.
  EXPECT_TRUE(apply_ok(a, one(1, 2, "null"), 50).empty());
  // A higher-clock null for a known client without state still counts as removed (as JS).
  EXPECT_EQ(apply_ok(a, one(1, 3, "null"), 50).removed, Ids{1});
  // A state coming back for a known client is `updated`, not `added` (as JS).
  EXPECT_EQ(apply_ok(a, one(1, 4, "{}"), 60).updated, Ids{1});
  // An unknown client's null at a positive clock is recorded silently.
  EXPECT_TRUE(apply_ok(a, one(9, 3, "null"), 60).empty());
  EXPECT_EQ(a.clock(9), 3u);
  EXPECT_FALSE(a.has_state(9));
}

TEST(Awareness, MultiEntryUpdatesApplyInOrder) {
  Awareness a;
  apply_ok(a, one(2, 1, "{}"), 0);
  auto c =
      apply_ok(a, update_of({{1, 1, R"({"x":1})"}, {2, 1, "null"}, {1, 2, R"({"x":2})"}, {3, 5, "{}"}}), 1);
  EXPECT_EQ(c.added, (Ids{1, 3}));
  EXPECT_EQ(c.updated, Ids{1});
  EXPECT_EQ(c.removed, Ids{2});
  EXPECT_EQ(c.changed(), (Ids{1, 3, 1, 2}));
  EXPECT_EQ(a.state_json(1), R"({"x":2})");
  // The broadcast is what the reference server sends for this change.
  EXPECT_EQ(a.encode_update(c.changed()),
            update_of({{1, 2, R"({"x":2})"}, {3, 5, "{}"}, {1, 2, R"({"x":2})"}, {2, 1, "null"}}));
}

TEST(Awareness, MalformedUpdateChangesNothing) {
  Awareness a;
  apply_ok(a, one(1, 1, "{}"), 0, 7);
  Bytes bad = update_of({{1, 2, "null"}, {2, 1, "{}"}});
  bad.pop_back();  // the second state's JSON is cut: "{"
  bad.back() = '{';
  auto r = a.apply_update(bad, 1, 7);
  ASSERT_FALSE(r);
  EXPECT_TRUE(a.has_state(1));
  EXPECT_EQ(a.clock(1), 1u);
  EXPECT_EQ(a.size(), 1u);
}

TEST(Awareness, FalsyStatesEncodeAsNull) {
  Awareness a;
  apply_ok(a, update_of({{1, 1, "false"}, {2, 1, "0"}, {3, 1, "\"\""}, {4, 1, "[]"}}), 0);
  EXPECT_TRUE(a.has_state(1));
  EXPECT_EQ(a.clients_with_state(), (Ids{1, 2, 3, 4}));
  EXPECT_EQ(a.encode_update(a.clients_with_state()),
            update_of({{1, 1, "null"}, {2, 1, "null"}, {3, 1, "null"}, {4, 1, "[]"}}));
}

TEST(Awareness, EncodeAnySubset) {
  Awareness a;
  apply_ok(a, update_of({{1, 3, R"({"n":1})"}, {2, 4, R"({"n":2})"}}), 0);
  apply_ok(a, one(1, 3, "null"), 0);
  // Removed clients: their current clock and null; unknown clients are skipped.
  EXPECT_EQ(a.encode_update(Ids{2, 1, 77}), update_of({{2, 4, R"({"n":2})"}, {1, 3, "null"}}));
  EXPECT_EQ(hex(a.encode_update(Ids{})), "00");
}

TEST(Awareness, StatesOrderIsJsMapOrder) {
  Awareness a;
  apply_ok(a, update_of({{1, 1, "{}"}, {2, 1, "{}"}, {3, 1, "{}"}}), 0);
  apply_ok(a, one(1, 1, "null"), 0);
  apply_ok(a, one(1, 2, "{}"), 0);          // back: moves to the end of JS's states map
  apply_ok(a, one(2, 2, R"({"k":1})"), 0);  // changed in place: keeps its position
  EXPECT_EQ(a.clients_with_state(), (Ids{2, 3, 1}));
}

TEST(Awareness, RemoveStatesKeepsClock) {
  Awareness a;
  apply_ok(a, update_of({{1, 5, "{}"}, {2, 1, "{}"}}), 0);
  auto c = a.remove_states(Ids{1, 1, 3}, 100);
  EXPECT_EQ(c.removed, Ids{1});
  EXPECT_EQ(a.encode_update(c.removed), one(1, 5, "null"));
  // A peer accepts that null by the equal-clock rule.
  Awareness peer;
  apply_ok(peer, one(1, 5, "{}"), 0);
  EXPECT_EQ(apply_ok(peer, a.encode_update(c.removed), 1).removed, Ids{1});
}

TEST(Awareness, ConnectionsOwnTheClientsTheyIntroduce) {
  Awareness a;
  apply_ok(a, update_of({{1, 1, "{}"}, {2, 1, "{}"}}), 0, 100);
  apply_ok(a, one(3, 1, "{}"), 0, 200);
  EXPECT_EQ(a.connection_clients(100), (Ids{1, 2}));
  EXPECT_EQ(a.connection_clients(200), Ids{3});
  // A client's own null drops it from its connection.
  apply_ok(a, one(2, 2, "null"), 0, 100);
  EXPECT_EQ(a.connection_clients(100), Ids{1});
  // Client 1 reconnects on connection 200: it now belongs there.
  apply_ok(a, one(1, 2, "{}"), 0, 200);
  EXPECT_EQ(a.connection_clients(100), Ids{});
  EXPECT_EQ(a.connection_clients(200), (Ids{3, 1}));
  EXPECT_TRUE(a.remove_connection(100, 1).empty());
  auto c = a.remove_connection(200, 1);
  EXPECT_EQ(c.removed, (Ids{3, 1}));
  EXPECT_EQ(a.encode_update(c.removed), update_of({{3, 1, "null"}, {1, 2, "null"}}));
  EXPECT_EQ(a.connection_clients(200), Ids{});
  EXPECT_TRUE(a.clients_with_state().empty());
}

TEST(Awareness, ReintroducedClientIsOwnedAgain) {
  // The reference server would not record client 1 on its second connection.
  Awareness a;
  apply_ok(a, one(1, 1, "{}"), 0, 100);
  EXPECT_EQ(a.remove_connection(100, 5).removed, Ids{1});
  EXPECT_EQ(apply_ok(a, one(1, 2, "{}"), 6, 101).updated, Ids{1});
  EXPECT_EQ(a.remove_connection(101, 7).removed, Ids{1});
}

TEST(Awareness, ExpireRemovesStaleStatesInFirstSeenOrder) {
  Awareness a;
  apply_ok(a, update_of({{3, 1, "{}"}, {1, 1, "{}"}, {2, 1, "{}"}}), 1000, 9);
  apply_ok(a, one(2, 2, "{}"), 20000);
  EXPECT_TRUE(a.expire(30999).empty());
  auto c = a.expire(31000);
  EXPECT_EQ(c.removed, (Ids{3, 1}));
  EXPECT_EQ(a.encode_update(c.removed), update_of({{3, 1, "null"}, {1, 1, "null"}}));
  EXPECT_TRUE(a.has_state(2));
  EXPECT_EQ(a.connection_clients(9), Ids{2});
  // Removed entries keep their clock for a timeout, then go.
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.expire(50000).removed, Ids{2});
  EXPECT_EQ(a.size(), 3u);
  a.expire(61000);
  EXPECT_EQ(a.size(), 1u);  // 3 and 1 pruned; 2 was removed at 50000
  EXPECT_EQ(a.expire(80000, 30000).removed, Ids{});
  EXPECT_EQ(a.size(), 0u);
}

TEST(Awareness, LimitRefusesExtraClients) {
  Awareness a(AwarenessOptions{.max_clients = 2});
  apply_ok(a, update_of({{1, 1, "{}"}, {2, 1, "{}"}}), 0);
  auto r = a.apply_update(update_of({{1, 2, R"({"k":1})"}, {3, 1, "{}"}}), 1, std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.state_json(1), "{}");  // nothing applied
  // Known clients still update; clock-0 entries of unknown clients take no room.
  apply_ok(a, update_of({{1, 2, R"({"k":1})"}, {3, 0, "{}"}}), 1);
  // A removed client's entry makes room for a new one.
  apply_ok(a, one(2, 1, "null"), 2);
  EXPECT_EQ(apply_ok(a, one(3, 1, "{}"), 3).added, Ids{3});
  EXPECT_EQ(a.size(), 2u);
  EXPECT_FALSE(a.clock(2));
  // But not one named in the same update.
  apply_ok(a, one(3, 1, "null"), 4);
  EXPECT_FALSE(a.apply_update(update_of({{3, 2, "null"}, {4, 1, "{}"}}), 5, std::nullopt));
}

}  // namespace
}  // namespace weft::sync
