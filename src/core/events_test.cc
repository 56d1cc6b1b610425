#include <gtest/gtest.h>
#include <algorithm>

#include <map>
#include <string>
#include <utility>
#include <vector>

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

// An event lists its keys in the order the transaction first changed them
// (yjs YEvent.keys iterates transaction.changed's Set), not sorted by key;
// the same in a deep observer's events and on a peer applying the update.
// The expected lines are what yjs 13.6.33 prints for the same edits.
TEST(Events, KeysInFirstChangeOrder) {
  Doc doc(1);
  MapRef root = doc.get_map("m");
  root.set("b", Any(0));
  root.set("d", Any(0));
  MapRef inner = root.set_map("inner");
  auto show = [](const Event& e) {
    std::string s;
    for (const auto& [k, c] : e.keys) {
      static const char* kActions[] = {"add", "update", "delete"};
      if (!s.empty()) s += ' ';
      s += k + ":" + kActions[static_cast<int>(c.action)];
      if (c.old_value) s += "=" + std::to_string(static_cast<int>(c.old_value->any().as_number()));
    }
    return s;
  };
  std::vector<std::string> log;
  auto watch = [&](const std::string& name, const MapRef& m) {
    m.observe([&, name](const Event& e, Transaction&) { log.push_back(name + " " + show(e)); });
  };
  watch("root", root);
  watch("inner", inner);
  root.observe_deep([&](const std::vector<const Event*>& events, Transaction&) {
    std::string line = "deep root";
    for (const Event* e : events) line += " | " + show(*e);
    log.push_back(line);
  });
  Doc peer(2);
  ASSERT_TRUE(peer.apply_update(*doc.encode_state_as_update()).is_ok());
  watch("peer", peer.get_map("m"));
  std::vector<uint8_t> update;
  doc.on_update([&](const UpdateBytes& u, const Transaction&) { update = u; });
  doc.transact([&](Transaction&) {
    root.set("d", Any(1));
    inner.set("z", Any(1));
    root.set("c", Any(1));
    inner.set("y", Any(1));
    root.set("a", Any(1));
    root.set("d", Any(2));  // changed again: keeps its first place
    root.remove("b");
    root.set("e", Any(1));  // added and deleted: not reported
    root.remove("e");
    inner.set("z", Any(2));
    inner.set("x", Any(1));
  });
  ASSERT_TRUE(peer.apply_update(update).is_ok());
  EXPECT_EQ(log, (std::vector<std::string>{
                     "root d:update=0 c:add a:add b:delete=0",
                     "inner z:add y:add x:add",
                     "deep root | d:update=0 c:add a:add b:delete=0 | z:add y:add x:add",
                     "peer d:update=0 c:add a:add b:delete=0",
                 }));
}

TEST(Events, FindKey) {
  Doc doc(1);
  MapRef m = doc.get_map("m");
  m.set("a", Any(1));
  std::vector<bool> found;
  m.observe([&](const Event& e, Transaction&) {
    const Event::KeyChange* a = e.find_key("a");
    found.push_back(a != nullptr && a->action == Event::KeyChange::Action::kUpdate);
    found.push_back(e.find_key("b") == nullptr);
  });
  m.set("a", Any(2));
  EXPECT_EQ(found, (std::vector<bool>{true, true}));
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

// The order yjs 13.6.33 calls observers in (cleanupTransactions): each
// changed type in first-change order calls its own observers, then the deep
// observers run type by type in the order an event first reached each on its
// way up (a JS Map each, insertion-ordered); a deep observer gets its events
// sorted by path length, stably (the order they were made among equals).
// The expected logs are what yjs prints for the same edits
// (tests/interop/observers.test.mjs compares random sessions live). Each
// shape runs in both orders: an order that follows the types' addresses
// (deep observers were once called by Branch address) fails one of them.
class ObserverLog {
 public:
  void watch(const TypeRefBase& type, const std::string& name) {
    names_[type.branch()] = name;
    type.observe([this, name](const Event&, Transaction&) { log_.push_back("obs " + name); });
    type.observe_deep([this, name](const std::vector<const Event*>& events, Transaction&) {
      std::string line = "deep " + name + ":";
      for (const Event* e : events) {
        line += " " + names_.at(e->target) + "[";
        for (size_t i = 0; i < e->path.size(); i++) {
          if (i > 0) line += ",";
          const auto& p = e->path[i];
          line += p.index() == 0 ? std::get<0>(p) : std::to_string(std::get<1>(p));
        }
        line += "]";
      }
      log_.push_back(line);
    });
  }
  std::vector<std::string> take() { return std::exchange(log_, {}); }

 private:
  std::map<Branch*, std::string> names_;
  std::vector<std::string> log_;
};

// Observers subscribed or unsubscribed while a type's observers are being
// called, as yjs 13.6 does (expectations from its output): one added is
// called in the same round, one removed is still called in it, and one
// added after a removal in that round waits for the next.
TEST(Events, ObserversChangedWhileCalledAsInYjs) {
  {
    Doc doc(1);
    TextRef t = doc.get_text("t");
    std::vector<std::string> log;
    auto contains = [&](const char* s) { return std::find(log.begin(), log.end(), s) != log.end(); };
    t.observe([&](const Event&, Transaction&) {
      log.push_back("a");
      if (!contains("added")) {
        log.push_back("added");
        t.observe([&](const Event&, Transaction&) { log.push_back("late"); });
      }
    });
    t.observe([&](const Event&, Transaction&) { log.push_back("b"); });
    ASSERT_TRUE(t.insert(0, "x").is_ok());
    log.push_back("|");
    ASSERT_TRUE(t.insert(0, "y").is_ok());
    EXPECT_EQ(log, (std::vector<std::string>{"a", "added", "b", "late", "|", "a", "b", "late"}));
  }
  {
    Doc doc(1);
    TextRef t = doc.get_text("t");
    std::vector<std::string> log;
    uint64_t second = 0;
    t.observe([&](const Event&, Transaction&) {
      log.push_back("first");
      t.unobserve(second);
    });
    second = t.observe([&](const Event&, Transaction&) { log.push_back("second"); });
    ASSERT_TRUE(t.insert(0, "x").is_ok());
    log.push_back("|");
    ASSERT_TRUE(t.insert(0, "y").is_ok());
    EXPECT_EQ(log, (std::vector<std::string>{"first", "second", "|", "first"}));
  }
  {
    Doc doc(1);
    TextRef t = doc.get_text("t");
    std::vector<std::string> log;
    uint64_t gone = 0;
    bool once = false;
    t.observe([&](const Event&, Transaction&) {
      log.push_back("first");
      if (once) return;
      once = true;
      t.unobserve(gone);
      t.observe([&](const Event&, Transaction&) { log.push_back("added"); });
    });
    gone = t.observe([&](const Event&, Transaction&) { log.push_back("gone"); });
    ASSERT_TRUE(t.insert(0, "x").is_ok());
    log.push_back("|");
    ASSERT_TRUE(t.insert(0, "y").is_ok());
    EXPECT_EQ(log, (std::vector<std::string>{"first", "gone", "|", "first", "added"}));
  }
  {  // deep observers alike
    Doc doc(1);
    MapRef m = doc.get_map("m");
    std::vector<std::string> log;
    bool added = false;
    m.observe_deep([&](const std::vector<const Event*>&, Transaction&) {
      log.push_back("a");
      if (added) return;
      added = true;
      m.observe_deep([&](const std::vector<const Event*>&, Transaction&) { log.push_back("late"); });
    });
    m.observe_deep([&](const std::vector<const Event*>&, Transaction&) { log.push_back("b"); });
    m.set("k", Any(1));
    log.push_back("|");
    m.set("k", Any(2));
    EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "late", "|", "a", "b", "late"}));
  }
}

TEST(Events, ObserversOfRootsInFirstChangeOrder) {
  Doc doc(1);
  MapRef a = doc.get_map("a");
  MapRef b = doc.get_map("b");
  ObserverLog log;
  log.watch(a, "a");
  log.watch(b, "b");
  doc.transact([&](Transaction&) {
    b.set("k", Any(1));
    a.set("k", Any(1));
    b.set("j", Any(1));  // b again: it keeps its first place
  });
  EXPECT_EQ(log.take(), (std::vector<std::string>{"obs b", "obs a", "deep b: b[]", "deep a: a[]"}));
  doc.transact([&](Transaction&) {
    a.set("k", Any(2));
    b.set("k", Any(2));
    a.set("j", Any(2));
  });
  EXPECT_EQ(log.take(), (std::vector<std::string>{"obs a", "obs b", "deep a: a[]", "deep b: b[]"}));
}

TEST(Events, DeepObserversOfNestedTypesInFirstReachOrder) {
  Doc doc(1);
  MapRef m = doc.get_map("m");
  MapRef n1 = m.set_map("n1");
  MapRef n2 = m.set_map("n2");
  MapRef x = n2.set_map("x");
  ObserverLog log;
  log.watch(m, "m");
  log.watch(n1, "n1");
  log.watch(n2, "n2");
  log.watch(x, "x");
  // x's event reaches x, n2 and m before n1's reaches n1.
  doc.transact([&](Transaction&) {
    x.set("k", Any(1));
    n1.set("k", Any(1));
    m.set("k", Any(1));
  });
  EXPECT_EQ(log.take(), (std::vector<std::string>{"obs x", "obs n1", "obs m", "deep x: x[]", "deep n2: x[x]",
                                                  "deep m: m[] n1[n1] x[n2,x]", "deep n1: n1[]"}));
  // Siblings: equal path lengths keep the order their events were made in.
  doc.transact([&](Transaction&) {
    n2.set("k", Any(2));
    n1.set("k", Any(2));
    n2.set("j", Any(2));
  });
  EXPECT_EQ(log.take(), (std::vector<std::string>{"obs n2", "obs n1", "deep n2: n2[]",
                                                  "deep m: n2[n2] n1[n1]", "deep n1: n1[]"}));
  doc.transact([&](Transaction&) {
    n1.set("k", Any(3));
    n2.set("k", Any(3));
  });
  EXPECT_EQ(log.take(), (std::vector<std::string>{"obs n1", "obs n2", "deep n1: n1[]",
                                                  "deep m: n1[n1] n2[n2]", "deep n2: n2[]"}));
  // The same orders on a peer applying the updates (integration order).
  Doc peer(2);
  ASSERT_TRUE(peer.apply_update(*doc.encode_state_as_update()).is_ok());
  std::vector<uint8_t> update;
  doc.on_update([&](const UpdateBytes& u, const Transaction&) { update = u; });
  ObserverLog peer_log;
  MapRef pm = peer.get_map("m");
  peer_log.watch(pm, "m");
  peer_log.watch(pm.get("n1")->as_map(), "n1");
  peer_log.watch(pm.get("n2")->as_map(), "n2");
  peer_log.watch(pm.get("n2")->as_map().get("x")->as_map(), "x");
  doc.transact([&](Transaction&) {
    n1.set("k", Any(4));
    x.set("k", Any(4));
  });
  ASSERT_TRUE(peer.apply_update(update).is_ok());
  EXPECT_EQ(peer_log.take(),
            (std::vector<std::string>{"obs n1", "obs x", "deep n1: n1[]", "deep m: n1[n1] x[n2,x]",
                                      "deep x: x[]", "deep n2: x[x]"}));
  doc.transact([&](Transaction&) {
    x.set("k", Any(5));
    n1.set("k", Any(5));
  });
  ASSERT_TRUE(peer.apply_update(update).is_ok());
  EXPECT_EQ(peer_log.take(), (std::vector<std::string>{"obs x", "obs n1", "deep x: x[]", "deep n2: x[x]",
                                                       "deep m: n1[n1] x[n2,x]", "deep n1: n1[]"}));
}

// Past the few types a scan finds (changed types and the types events
// reach are then indexed by hash): still in first-change order.
TEST(Events, ManyTypesKeepFirstChangeOrder) {
  Doc doc(1);
  MapRef m = doc.get_map("m");
  ObserverLog log;
  log.watch(m, "m");
  std::vector<MapRef> children;
  for (int i = 0; i < 24; i++) {
    children.push_back(m.set_map("c" + std::to_string(i)));
    log.watch(children.back(), "c" + std::to_string(i));
  }
  log.take();  // m's calls as the children were made
  for (bool reverse : {false, true}) {
    std::vector<int> order;
    for (int i = 0; i < 24; i++) order.push_back(reverse ? 23 - i : i);
    doc.transact([&](Transaction&) {
      for (int i : order) children[static_cast<size_t>(i)].set("k", Any(reverse));
      for (int i : order) children[static_cast<size_t>(i)].set("j", Any(reverse));  // again: no new place
    });
    std::vector<std::string> expected;
    std::string deep_m = "deep m:";
    for (int i : order) {
      const std::string name = "c" + std::to_string(i);
      expected.push_back("obs " + name);
      deep_m += " " + name + "[" + name + "]";
    }
    expected.push_back("deep c" + std::to_string(order[0]) + ": c" + std::to_string(order[0]) + "[]");
    expected.push_back(deep_m);
    for (size_t i = 1; i < order.size(); i++) {
      const std::string name = "c" + std::to_string(order[i]);
      expected.push_back("deep " + name + ": " + name + "[]");
    }
    EXPECT_EQ(log.take(), expected) << (reverse ? "reverse" : "forward");
  }
}

// A type's own observers run before the next type's event is made: one that
// deletes a type still to come spares it its call, and the deep observers
// get the events whose targets are still there.
TEST(Events, ObserverDeletingALaterChangedType) {
  Doc doc(1);
  MapRef a = doc.get_map("a");
  MapRef b = a.set_map("b");
  ObserverLog log;
  log.watch(b, "b");
  bool once = true;
  a.observe([&](const Event&, Transaction&) {
    if (std::exchange(once, false)) a.remove("b");
  });
  log.watch(a, "a");
  doc.transact([&](Transaction&) {
    a.set("k", Any(1));
    b.set("k", Any(1));
  });
  // The second pair is the transaction the observer's delete ran in.
  EXPECT_EQ(log.take(), (std::vector<std::string>{"obs a", "deep a: a[]", "obs a", "deep a: a[]"}));
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
