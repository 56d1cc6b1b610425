#include <gtest/gtest.h>

#include "weft/doc.h"

namespace weft {
namespace {

TEST(Events, MapKeysReportAddUpdateDelete) {
  Doc doc(1);
  MapRef m = doc.get_map("m");
  std::vector<std::map<std::string, Event::KeyChange::Action>> seen;
  m.observe([&](const Event& e, Transaction&) {
    std::map<std::string, Event::KeyChange::Action> keys;
    for (const auto& [k, c] : e.keys) keys[k] = c.action;
    seen.push_back(keys);
  });
  m.set("a", Any(1));
  m.set("a", Any(2));
  m.remove("a");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].at("a"), Event::KeyChange::Action::kAdd);
  EXPECT_EQ(seen[1].at("a"), Event::KeyChange::Action::kUpdate);
  EXPECT_EQ(seen[2].at("a"), Event::KeyChange::Action::kDelete);
}

// One transaction over many keys (past the changed-keys scan, into its hash
// set), each set several times: every key is reported once, with the action
// the whole transaction amounts to; the same through a remote update.
TEST(Events, ManyKeysInOneTransaction) {
  Doc doc(1);
  MapRef m = doc.get_map("m");
  for (int k = 0; k < 40; k += 2) m.set("k" + std::to_string(k), Any(-1));  // even keys exist before
  std::vector<std::map<std::string, Event::KeyChange::Action>> seen;
  auto record = [&](const Event& e, Transaction&) {
    std::map<std::string, Event::KeyChange::Action> keys;
    for (const auto& [k, c] : e.keys) keys[k] = c.action;
    seen.push_back(keys);
  };
  m.observe(record);
  Doc peer(2);
  ASSERT_TRUE(peer.apply_update(*doc.encode_state_as_update()).is_ok());
  MapRef pm = peer.get_map("m");
  pm.observe(record);
  std::vector<uint8_t> update;
  doc.on_update([&](const UpdateBytes& u, const Transaction&) { update = u; });
  doc.transact([&](Transaction&) {
    for (int round = 0; round < 3; round++) {
      for (int k = 0; k < 40; k++) m.set("k" + std::to_string(k), Any(round));
    }
    for (int k = 30; k < 40; k++) m.remove("k" + std::to_string(k));
  });
  ASSERT_TRUE(peer.apply_update(update).is_ok());
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& keys : seen) {
    ASSERT_EQ(keys.size(),
              35u);  // k0..k29 set; k30..k38 (even) deleted; odd k31..k39 added and deleted: none
    for (int k = 0; k < 40; k++) {
      const std::string key = "k" + std::to_string(k);
      if (k >= 30 && k % 2 == 1) {
        EXPECT_EQ(keys.count(key), 0u) << key;
      } else if (k >= 30) {
        EXPECT_EQ(keys.at(key), Event::KeyChange::Action::kDelete) << key;
      } else {
        EXPECT_EQ(keys.at(key),
                  k % 2 == 0 ? Event::KeyChange::Action::kUpdate : Event::KeyChange::Action::kAdd)
            << key;
      }
    }
  }
}

TEST(Events, ArrayDeltaAndOneUpdatePerTransaction) {
  Doc doc(1);
  ArrayRef a = doc.get_array("a");
  ASSERT_TRUE(a.insert(0, {Any(1), Any(2), Any(3)}));
  Delta last;
  a.observe([&](const Event& e, Transaction&) { last = e.delta; });
  int updates = 0;
  doc.on_update([&](const UpdateBytes&, const Transaction& txn) {
    updates++;
    EXPECT_EQ(transaction_origin(txn), "me");
  });
  doc.transact(
      [&](Transaction&) {
        ASSERT_TRUE(a.remove_range(0, 1));
        ASSERT_TRUE(a.insert(2, {Any("x")}));
      },
      "me");
  EXPECT_EQ(updates, 1);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0].kind, DeltaOp::Kind::kDelete);
  EXPECT_EQ(last[0].count, 1u);
  EXPECT_EQ(last[1].kind, DeltaOp::Kind::kRetain);
  EXPECT_EQ(last[1].count, 2u);
  EXPECT_EQ(last[2].kind, DeltaOp::Kind::kInsert);
  EXPECT_EQ(last[2].values.at(0).any(), Any("x"));
}

// YTextEvent.delta: a format is a retain with the attributes set, an
// insert carries the attributes active at its place (the same deltas as
// yjs 13.6.33 gives; tests/interop/local_edits.test.mjs compares them live).
TEST(Events, TextDeltaCarriesAttributes) {
  Doc doc(1);
  TextRef t = doc.get_text("t");
  ASSERT_TRUE(t.insert(0, std::string_view("hello world")));
  Delta last;
  t.observe([&](const Event& e, Transaction&) { last = e.delta; });

  ASSERT_TRUE(t.format(2, 5, {{"bold", Any(true)}}));
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].kind, DeltaOp::Kind::kRetain);
  EXPECT_EQ(last[0].count, 2u);
  EXPECT_FALSE(last[0].has_attributes);
  EXPECT_EQ(last[1].kind, DeltaOp::Kind::kRetain);
  EXPECT_EQ(last[1].count, 5u);
  ASSERT_TRUE(last[1].has_attributes);
  EXPECT_EQ(last[1].attributes, (Attributes{{"bold", Any(true)}}));

  ASSERT_TRUE(t.insert(3, std::string_view("X"), Attributes{{"italic", Any(true)}}));
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[1].kind, DeltaOp::Kind::kInsert);
  EXPECT_EQ(last[1].text, u"X");
  EXPECT_EQ(last[1].attributes, (Attributes{{"italic", Any(true)}}));

  ASSERT_TRUE(t.format(0, 4, {{"bold", Any::null()}}));
  ASSERT_GE(last.size(), 2u);
  EXPECT_EQ(last[1].count, 2u);
  EXPECT_EQ(last[1].attributes, (Attributes{{"bold", Any::null()}}));
}

TEST(Events, DeepObserverSeesNestedChangesWithPath) {
  Doc doc(1);
  MapRef root = doc.get_map("m");
  MapRef inner = root.set_map("inner");
  std::vector<size_t> path_sizes;
  root.observe_deep([&](const std::vector<const Event*>& events, Transaction&) {
    for (const Event* e : events) path_sizes.push_back(e->path.size());
  });
  inner.set("x", Any(true));
  ASSERT_EQ(path_sizes.size(), 1u);
  EXPECT_EQ(path_sizes[0], 1u);
}

TEST(Doc, LargeClientIdsRoundTrip) {
  const uint64_t big = (uint64_t{1} << 53) - 1;
  Doc a(big);
  ASSERT_TRUE(a.get_text("t").insert(0, std::string_view("x")));
  Doc b(2);
  ASSERT_TRUE(b.apply_update(*a.encode_state_as_update()));
  EXPECT_EQ(b.get_text("t").to_string(), "x");
  EXPECT_EQ(*a.encode_state_as_update(), *b.encode_state_as_update());
}

TEST(Doc, GcOffKeepsDeletedContent) {
  Doc a(1, /*gc=*/false);
  TextRef t = a.get_text("t");
  ASSERT_TRUE(t.insert(0, std::string_view("abc")));
  ASSERT_TRUE(t.remove_range(0, 3));
  Doc b(2, /*gc=*/false);
  ASSERT_TRUE(b.apply_update(*a.encode_state_as_update()));
  EXPECT_EQ(b.get_text("t").to_string(), "");
  // The deleted string is still on the wire: "abc" appears in the encoding.
  auto bytes = *b.encode_state_as_update();
  std::string s(bytes.begin(), bytes.end());
  EXPECT_NE(s.find("abc"), std::string::npos);
}

TEST(Doc, UndeclaredRootsAreInferred) {
  Doc a(1);
  a.get_text("t").insert(0, std::string_view("hi")).is_ok();
  a.get_map("m").set("k", Any("v"));
  ASSERT_TRUE(a.get_array("a").insert(0, {Any(1)}));
  Doc b(2);
  ASSERT_TRUE(b.apply_update(*a.encode_state_as_update()));
  EXPECT_EQ(b.to_canonical_json(), R"({"a":[1],"m":{"k":"v"},"t":"hi"})");
}

TEST(Doc, SubdocIsStoredByGuid) {
  Doc a(1);
  a.get_map("m").set_doc("sub", "guid-1");
  Doc b(2);
  ASSERT_TRUE(b.apply_update(*a.encode_state_as_update()));
  auto v = b.get_map("m").get("sub");
  ASSERT_TRUE(v && v->is_doc());
  EXPECT_EQ(v->doc().guid, "guid-1");
}

}  // namespace
}  // namespace weft
