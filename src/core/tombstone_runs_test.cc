// Tombstone runs, targeted cases: A (frozen) and B (never frozen) under the
// same edits and updates aimed at one situation each (inserts next to and
// between members, syncs and delete sets over frozen ranges, collected and
// merging members, fast-path deletes into members, many clients, long
// stretches, what is never frozen), compared after every step
// (tombstone_runs_test_util.h). The random differentials are in
// tombstone_runs_random_test.cc, the loads in tombstone_runs_load_test.cc.
#include "core/tombstone_runs.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/load_paths.h"
#include "core/tombstone_runs_test_gen.h"
#include "core/tombstone_runs_test_util.h"
#include "encoding/update_codec.h"
#include "encoding/wire.h"
#include "weft/doc.h"
#include "weft/types.h"
#include "weft/update.h"

namespace weft::runs_testing {
namespace {

// A text of one-unit items that never merge (typed backwards: each new item
// is left of the previous one).
void type_backwards(TextRef t, const std::u16string& s) {
  for (size_t i = s.size(); i-- > 0;) ASSERT_TRUE(t.insert(0, std::u16string_view(s).substr(i, 1)));
}

const std::u16string kAlphabet = u"abcdefghijklmnopqrst";  // 20 items

// Two docs with the same client and the same history `make`.
struct Pair {
  Pair(uint64_t client, bool gc, const std::function<void(Doc&)>& make, bool observe = true)
      : a(make_doc(client, gc, make), observe), b(make_doc(client, gc, make), observe) {}
  static std::unique_ptr<Doc> make_doc(uint64_t client, bool gc, const std::function<void(Doc&)>& make) {
    auto d = std::make_unique<Doc>(DocOptions{client, "", gc});
    make(*d);
    return d;
  }
  // Freezes A only, and compares.
  void freeze_a(const std::string& what) {
    SCOPED_TRACE(what);
    (void)freeze(*a.doc);
    expect_same(a, b, svs);
  }
  // Applies `fn` to both and compares.
  void both(const std::string& what, const std::function<void(Doc&)>& fn) {
    SCOPED_TRACE(what);
    fn(*a.doc);
    fn(*b.doc);
    expect_same(a, b, svs);
    check_runs(*a.doc);
  }
  Twin a, b;
  std::vector<UpdateBytes> svs;
};

TEST(TombstoneRuns, InsertRightBeforeAndAfterAFrozenStretch) {
  Pair p(1, true, [](Doc& d) {
    type_backwards(d.get_text("t"), kAlphabet);
    ASSERT_TRUE(d.get_text("t").remove_range(5, 10));  // "fghijklmno": 10 single-unit tombstones
  });
  ASSERT_EQ(p.a.doc->get_text("t").to_string(), "abcdepqrst");
  EXPECT_EQ(freeze(*p.a.doc), 10u);
  p.svs.push_back(p.b.doc->encode_state_vector());
  // Plain insert at the stretch's index: left of it (right origin: the first member).
  p.both("insert before", [](Doc& d) { ASSERT_TRUE(d.get_text("t").insert(5, "X")); });
  // With attributes the insert walks over deleted items: right of the stretch
  // (origin: the last member).
  p.both("insert after (attributes)", [](Doc& d) {
    ASSERT_TRUE(d.get_text("t").insert(6, "Y", Attributes{{"bold", Any(true)}}));
  });
  p.both("insert again before", [](Doc& d) { ASSERT_TRUE(d.get_text("t").insert(6, u"\U0001F600")); });
  p.both("format across", [](Doc& d) {
    ASSERT_TRUE(d.get_text("t").format(3, 6, Attributes{{"italic", Any(true)}}));
  });
  p.both("remove around", [](Doc& d) { ASSERT_TRUE(d.get_text("t").remove_range(4, 4)); });
  p.freeze_a("freeze again");
  p.both("insert at the start", [](Doc& d) { ASSERT_TRUE(d.get_text("t").insert(0, "0")); });
  p.both("insert at the end", [](Doc& d) {
    TextRef t = d.get_text("t");
    ASSERT_TRUE(t.insert(t.length(), "9", Attributes{{"bold", Any::null()}}));
  });
}

// A peer that still has the items inserts between two of them (origin and
// right origin both members of one run in A); its update arrives after the
// deletion, and also a delete set partly over the run and partly over live items.
TEST(TombstoneRuns, ConcurrentInsertBetweenTwoMembers) {
  for (const bool split : {false, true}) {
    SCOPED_TRACE(split ? "update delivered in two parts, reversed" : "one update");
    Doc src(DocOptions{1, "", true});
    type_backwards(src.get_text("t"), kAlphabet);
    const UpdateBytes s0 = state_of(src);
    Doc c(DocOptions{2, "", true});
    ASSERT_TRUE(c.apply_update(s0));
    std::vector<UpdateBytes> from_c;
    c.on_update([&](const UpdateBytes& u, const Transaction&) { from_c.push_back(u); });
    ASSERT_TRUE(c.get_text("t").insert(10, "Q"));  // between j (9) and k (10)
    ASSERT_TRUE(c.get_text("t").insert(7, "R", Attributes{{"bold", Any(true)}}));
    ASSERT_TRUE(c.get_text("t").insert(22, "S"));  // at the very end: origin t
    ASSERT_TRUE(c.get_text("t").remove_range(1, 4));
    Pair p(3, true, [&](Doc& d) {
      ASSERT_TRUE(d.apply_update(s0));
      ASSERT_TRUE(d.get_text("t").remove_range(3, 14));  // d..q deleted
    });
    EXPECT_EQ(freeze(*p.a.doc), 14u);
    if (split) std::reverse(from_c.begin(), from_c.end());
    for (size_t i = 0; i < from_c.size(); i++) {
      p.both("update " + std::to_string(i) + " from the peer",
             [&](Doc& d) { ASSERT_TRUE(d.apply_update(from_c[i])); });
    }
    EXPECT_EQ(p.a.doc->get_text("t").to_string(), p.b.doc->get_text("t").to_string());
    p.both("merged again", [&](Doc& d) { ASSERT_TRUE(d.apply_update(state_of(c))); });
  }
}

// Design requirement: a client syncing its full state (its delete set
// covering every frozen range) must not thaw the document.
TEST(TombstoneRuns, FullStateSyncDoesNotThaw) {
  for (const bool use_history : {false, true}) {
    SCOPED_TRACE(use_history ? "history" : "one stretch");
    std::unique_ptr<Doc> a, twin;
    if (use_history) {
      History h1, h2;
      build_history(3, true, h1);
      build_history(3, true, h2);
      a = std::move(h1.peers[0]);
      twin = std::move(h2.peers[0]);
    } else {
      for (auto* d : {&a, &twin}) {
        *d = std::make_unique<Doc>(DocOptions{1, "", true});
        type_backwards((*d)->get_text("t"), kAlphabet);
        ASSERT_TRUE((*d)->get_text("t").remove_range(2, 15));
      }
    }
    const size_t n = freeze(*a);
    EXPECT_GT(n, 0u);
    const UpdateBytes before = state_of(*a);
    // What a syncing client sends (sync step 2: the twin's state beyond ours,
    // here no struct and the whole delete set) thaws nothing.
    const UpdateBytes sv = a->encode_state_vector();
    ASSERT_TRUE(a->apply_update(state_of(*twin, sv)));
    EXPECT_EQ(frozen_tombstones(*a), n) << "a sync step 2 (v1) of an identical doc thawed runs";
    ASSERT_TRUE(a->apply_update(state_of(*twin, sv, UpdateFormat::kV2), UpdateFormat::kV2));
    EXPECT_EQ(frozen_tombstones(*a), n) << "a sync step 2 (v2) of an identical doc thawed runs";
    // A whole state re-applied: its known structs still resolve their
    // origins (as in Yjs), which thaws the members they name, one by one;
    // the state does not change.
    ASSERT_TRUE(a->apply_update(state_of(*twin)));
    ASSERT_TRUE(a->apply_update(state_of(*twin, {}, UpdateFormat::kV2), UpdateFormat::kV2));
    ASSERT_TRUE(a->apply_update(state_of(*a)));
    EXPECT_EQ(state_of(*a), before);
    check_runs(*a);
  }
}

// Stricter than the stated requirement: an update holding only a delete set
// over already deleted (frozen) items, whole or cutting into them, is a
// no-op in Yjs (deleted items are not split), so nothing needs a thaw.
TEST(TombstoneRuns, DeleteSetOverFrozenItemsDoesNotThaw) {
  Doc a(DocOptions{1, "", true});
  type_backwards(a.get_text("t"), kAlphabet);
  ASSERT_TRUE(a.get_text("t").remove_range(2, 15));  // clocks 3..17 deleted (typed backwards)
  Doc b(DocOptions{1, "", true});
  ASSERT_TRUE(b.apply_update(state_of(a)));
  const size_t n = freeze(a);
  EXPECT_EQ(n, 15u);
  for (const auto& [clock, len] :
       std::vector<std::pair<uint64_t, uint64_t>>{{3, 15}, {5, 4}, {3, 1}, {17, 1}}) {
    SCOPED_TRACE("delete set 1:" + std::to_string(clock) + "+" + std::to_string(len));
    auto enc = make_update_encoder(UpdateFormat::kV1);
    enc->rest().write_var_uint(0);
    DeleteSet ds;
    ds.add(1, clock, len);
    ds.write(*enc);
    const UpdateBytes u = enc->finish();
    ASSERT_TRUE(a.apply_update(u));
    ASSERT_TRUE(b.apply_update(u));
    EXPECT_EQ(frozen_tombstones(a), n);
    EXPECT_EQ(state_of(a), state_of(b));
  }
}

// Deleting the type holding frozen tombstones (gc on) collects them: no run
// is left of it, locally and when the delete comes from a peer.
TEST(TombstoneRuns, DeletingTheParentCollectsFrozenTombstones) {
  auto make = [](Doc& d) {
    auto t = d.get_array("a").insert_text(0);
    ASSERT_TRUE(t);
    type_backwards(*t, kAlphabet);
    ASSERT_TRUE(t->remove_range(3, 12));
    auto inner = d.get_array("a").insert_array(1);
    ASSERT_TRUE(inner);
    auto deep = inner->insert_text(0);
    ASSERT_TRUE(deep);
    type_backwards(*deep, kAlphabet);
    ASSERT_TRUE(deep->remove_range(1, 15));
    TextRef mt = d.get_map("m").set_text("k");
    type_backwards(mt, kAlphabet);
    ASSERT_TRUE(mt.remove_range(2, 10));
  };
  for (const bool remote : {false, true}) {
    SCOPED_TRACE(remote ? "deletes from a peer" : "local deletes");
    Pair p(1, true, make);
    Doc peer(DocOptions{2, "", true});
    ASSERT_TRUE(peer.apply_update(state_of(*p.b.doc)));
    const size_t n = freeze(*p.a.doc);
    EXPECT_EQ(n, 12u + 15u + 10u);
    auto del = [&](const std::string& what, const std::function<void(Doc&)>& fn) {
      if (!remote) return p.both(what, fn);
      std::vector<UpdateBytes> out;
      const uint64_t sub =
          peer.on_update([&](const UpdateBytes& u, const Transaction&) { out.push_back(u); });
      fn(peer);
      peer.unobserve(sub);
      p.both(what, [&](Doc& d) {
        for (const UpdateBytes& u : out) ASSERT_TRUE(d.apply_update(u));
      });
    };
    del("delete the text", [](Doc& d) { ASSERT_TRUE(d.get_array("a").remove_range(0, 1)); });
    EXPECT_EQ(frozen_tombstones(*p.a.doc), 15u + 10u);
    del("delete the array around a text", [](Doc& d) { ASSERT_TRUE(d.get_array("a").remove_range(0, 1)); });
    EXPECT_EQ(frozen_tombstones(*p.a.doc), 10u);
    del("overwrite the map key", [](Doc& d) { d.get_map("m").set("k", Any(1)); });
    EXPECT_EQ(frozen_tombstones(*p.a.doc), 0u);
    EXPECT_EQ(freeze(*p.a.doc), 0u) << "collected tombstones are not freezable";
  }
}

// Regression (found by LoadFreezesAndBehavesAsTheGeneralPath, bulk load
// seed 0): a run whose members include two of one client in reverse clock
// order (typed backwards), in a nested text; deleting the array element that
// holds the text (gc on) collects the members. The general path merges the
// two members' GC blocks (1:1 and 1:2-3 become 1:1-3); the frozen doc kept
// them apart.
TEST(TombstoneRuns, CollectedMembersMergeAsTheirItemsWould) {
  for (const bool visible_first : {false, true}) {
    for (const bool other_client : {false, true}) {
      SCOPED_TRACE(std::string(other_client ? "a member of another client too" : "one client") +
                   (visible_first ? ", visible item first" : ", visible item last"));
      Pair p(1, true, [&](Doc& d) {
        auto t = d.get_array("a").insert_text(0);  // 1:0
        ASSERT_TRUE(t);
        ASSERT_TRUE(t->insert(0, "x"));   // 1:1
        ASSERT_TRUE(t->insert(0, "yy"));  // 1:2-3, left of x
        if (other_client) {
          d.set_client_id(2);
          ASSERT_TRUE(t->insert(3, "z"));                   // 2:0, after x
          ASSERT_TRUE(d.get_text("t").insert(0, "other"));  // client 2's last block elsewhere
          d.set_client_id(1);
        }
        ASSERT_TRUE(d.get_text("t").insert(0, "q"));  // 1:4, in another list
        ASSERT_TRUE(t->remove_range(0, other_client ? 4 : 3));
        ASSERT_TRUE(
            t->insert(visible_first ? 0 : t->length(), u"\U0001F600"));  // 1:5-6, client 1's last block
      });
      EXPECT_EQ(freeze(*p.a.doc), other_client ? 3u : 2u);
      p.both("delete the array element holding the text",
             [](Doc& d) { ASSERT_TRUE(d.get_array("a").remove_range(0, 1)); });
    }
  }
}

// What is not freezable: deleted content kept (gc off), map entries (keyed),
// a client's last block, single tombstones.
TEST(TombstoneRuns, WhatIsNotFrozen) {
  {
    SCOPED_TRACE("gc off");
    Pair p(1, false, [](Doc& d) {
      type_backwards(d.get_text("t"), kAlphabet);
      ASSERT_TRUE(d.get_text("t").remove_range(2, 15));
    });
    EXPECT_EQ(freeze(*p.a.doc), 0u);
    p.both("insert", [](Doc& d) {
      ASSERT_TRUE(d.get_text("t").insert(2, "x", Attributes{{"b", Any(true)}}));
    });
  }
  {
    SCOPED_TRACE("map entries");
    Pair p(1, true, [](Doc& d) {
      for (int i = 0; i < 100; i++) d.get_map("m").set("k", Any(i));
    });
    EXPECT_EQ(freeze(*p.a.doc), 0u);
  }
  {
    SCOPED_TRACE("single tombstones");
    Pair p(1, true, [](Doc& d) {
      type_backwards(d.get_text("t"), kAlphabet);
      for (uint64_t i = 1; i < 10; i++) ASSERT_TRUE(d.get_text("t").remove_range(i, 1));  // every other one
    });
    EXPECT_EQ(freeze(*p.a.doc), 0u);
  }
  {
    SCOPED_TRACE("a client's last block");
    // Typed forwards by two clients alternately: each item is its client's
    // newest block in turn; delete the last two (one per client's end).
    Pair p(1, true, [](Doc& d) {
      TextRef t = d.get_text("t");
      for (int i = 0; i < 10; i++) {
        d.set_client_id(1 + static_cast<uint64_t>(i % 2));
        ASSERT_TRUE(t.insert(t.length(), "x"));
      }
      d.set_client_id(1);
      ASSERT_TRUE(t.remove_range(6, 4));  // clients 1 and 2: clocks 3, 4 each; 4 is each one's last
    });
    EXPECT_EQ(freeze(*p.a.doc), 2u);
    p.both("client 1 types on", [](Doc& d) { ASSERT_TRUE(d.get_text("t").insert(6, "y")); });
    p.both("client 1 types after", [](Doc& d) {
      ASSERT_TRUE(d.get_text("t").insert(7, "z", Attributes{{"b", Any(true)}}));
    });
  }
}

// Deleting a neighbour of a frozen stretch makes a tombstone that the
// cleanup merges with a member (same client, next clock, list neighbours):
// into the last member, and the first member (the run's own item) into a new
// tombstone on its left. Locally and from a peer.
TEST(TombstoneRuns, NewTombstoneMergesWithAMember) {
  struct Case {
    const char* name;
    uint64_t xy_at;     // where client 2 types "XY" into client 1's "abcdefghij"
    uint64_t del_from;  // the stretch deleted (4 units: two members)
    uint64_t then_at;   // the neighbour deleted afterwards
    const char* text;
  };
  for (const Case& c : {Case{"into the last member", 1, 1, 1, "aefghijZ"},
                        Case{"the first member into a new left neighbour", 3, 1, 0, "defghijZ"}}) {
    for (const bool remote : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (remote ? ", from a peer" : ", local"));
      auto make = [&](Doc& d) {
        TextRef t = d.get_text("t");
        ASSERT_TRUE(t.insert(0, "abcdefghij"));
        d.set_client_id(2);
        ASSERT_TRUE(t.insert(c.xy_at, "XY"));
        ASSERT_TRUE(t.insert(t.length(), "Z"));  // client 2's last block is not a member
        d.set_client_id(1);
      };
      Pair p(1, true, make);
      Doc peer(DocOptions{3, "", true});
      ASSERT_TRUE(peer.apply_update(state_of(*p.b.doc)));
      p.both("delete the stretch", [&](Doc& d) { ASSERT_TRUE(d.get_text("t").remove_range(c.del_from, 4)); });
      EXPECT_EQ(freeze(*p.a.doc), 2u);
      if (remote) {
        std::vector<UpdateBytes> out;
        peer.on_update([&](const UpdateBytes& u, const Transaction&) { out.push_back(u); });
        ASSERT_TRUE(peer.get_text("t").remove_range(c.xy_at == 1 ? 5 : 0, 1));
        p.both("the neighbour deleted by a peer", [&](Doc& d) {
          for (const UpdateBytes& u : out) ASSERT_TRUE(d.apply_update(u));
        });
      } else {
        p.both("delete the neighbour",
               [&](Doc& d) { ASSERT_TRUE(d.get_text("t").remove_range(c.then_at, 1)); });
      }
      EXPECT_EQ(p.a.doc->get_text("t").to_string(), c.text);
      p.freeze_a("freeze again");
      p.both("type at the stretch", [](Doc& d) {
        ASSERT_TRUE(d.get_text("t").insert(1, "q", Attributes{{"b", Any(true)}}));
      });
    }
  }
}

// The fast delete paths (text_ops.cc backspace_into_tombstone,
// forward_delete_into_tombstone; also taken by apply_update for a peer's
// keystroke-sized delete) hand an item's units to the tombstone continuing
// its clocks, moving that tombstone's start or end. Here the tombstone is a
// member: the first member (backspace) or the last (forward delete). No
// observers (they switch the fast paths off), locally and from a peer.
TEST(TombstoneRuns, FastDeletesIntoAMember) {
  struct Case {
    const char* name;
    uint64_t xy_at;     // where client 2 types "XY" into client 1's "abcdef"
    uint64_t del_from;  // the stretch deleted (5 units: two members)
    uint64_t then_at;   // the unit deleted afterwards
    const char* text_after;
  };
  for (const Case& c : {Case{"backspace into the first member", 6, 3, 2, "abZW"},
                        Case{"forward delete into the last member", 0, 0, 0, "efZW"}}) {
    for (const bool remote : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (remote ? ", from a peer" : ", local"));
      auto make = [&](Doc& d) {
        TextRef t = d.get_text("t");
        ASSERT_TRUE(t.insert(0, "abcdef"));
        d.set_client_id(2);
        ASSERT_TRUE(t.insert(c.xy_at, "XY"));
        ASSERT_TRUE(t.insert(t.length(), "Z"));
        d.set_client_id(1);
        ASSERT_TRUE(t.insert(t.length(), "W"));  // neither client's last block is in the stretch
        ASSERT_TRUE(t.remove_range(c.del_from, 5));
      };
      Pair p(1, true, make, false);
      EXPECT_EQ(freeze(*p.a.doc), 2u);
      if (remote) {
        Doc peer(DocOptions{3, "", true});
        load_fast_paths_enabled = false;
        ASSERT_TRUE(peer.apply_update(state_of(*p.b.doc)));
        load_fast_paths_enabled = true;
        std::vector<UpdateBytes> out;
        peer.on_update([&](const UpdateBytes& u, const Transaction&) { out.push_back(u); });
        ASSERT_TRUE(peer.get_text("t").remove_range(c.then_at, 1));
        p.both("the unit deleted by a peer", [&](Doc& d) {
          for (const UpdateBytes& u : out) ASSERT_TRUE(d.apply_update(u));
        });
      } else {
        p.both("delete the unit", [&](Doc& d) { ASSERT_TRUE(d.get_text("t").remove_range(c.then_at, 1)); });
      }
      EXPECT_EQ(p.a.doc->get_text("t").to_string(), c.text_after);
      p.freeze_a("freeze again");
      p.both("delete once more",
             [&](Doc& d) { ASSERT_TRUE(d.get_text("t").remove_range(c.then_at == 0 ? 0 : 1, 1)); });
      p.both("type there", [&](Doc& d) { ASSERT_TRUE(d.get_text("t").insert(c.then_at == 0 ? 0 : 1, "q")); });
    }
  }
}

// A stretch of 68 tombstones of 68 clients: a run of 64 clients, one of them
// 2^53 - 1 (the run's ids and bases take 8 bytes), and a run of 4 whose ids
// take 4. A stale peer inserts between members, the stretch is cut from the
// middle, and states are encoded from cut state vectors.
TEST(TombstoneRuns, ManyClientsInOneStretch) {
  constexpr uint64_t kClients = 70;
  auto client = [](uint64_t k) { return k == 7 ? (uint64_t{1} << 53) - 1 : 1000 + k * 7919; };
  auto make = [&](Doc& d) {
    for (uint64_t k = 0; k < kClients; k++) {
      d.set_client_id(client(k));
      ASSERT_TRUE(d.get_text("t").insert(k, k % 5 == 0 ? u"\u4e16" : u"c"));
      ASSERT_TRUE(d.get_text("u").insert(0, "u"));  // each client's last block is elsewhere
    }
    d.set_client_id(1);
  };
  Doc src(DocOptions{1, "", true});
  make(src);
  const UpdateBytes alive = state_of(src);
  Doc stale(DocOptions{2, "", true});
  ASSERT_TRUE(stale.apply_update(alive));
  std::vector<UpdateBytes> from_stale;
  stale.on_update([&](const UpdateBytes& u, const Transaction&) { from_stale.push_back(u); });
  for (const uint64_t at : {17u, 5u, 30u}) ASSERT_TRUE(stale.get_text("t").insert(at, "S"));
  Pair p(3, true, [&](Doc& d) {
    make(d);
    ASSERT_TRUE(d.get_text("t").remove_range(1, kClients - 2));
  });
  EXPECT_EQ(freeze(*p.a.doc), kClients - 2);
  p.svs.push_back(src.encode_state_vector());  // the diffs compared from then on
  for (size_t i = 0; i < from_stale.size(); i++) {
    p.both("stale update " + std::to_string(i), [&](Doc& d) { ASSERT_TRUE(d.apply_update(from_stale[i])); });
  }
  p.freeze_a("freeze again");
  p.both("insert with attributes", [](Doc& d) {
    ASSERT_TRUE(d.get_text("t").insert(2, "b", Attributes{{"bold", Any(true)}}));
  });
  p.both("remove across", [](Doc& d) { ASSERT_TRUE(d.get_text("t").remove_range(0, 4)); });
  thaw_all(*p.a.doc);
  expect_same(p.a, p.b, p.svs);
}

// A long stretch becomes several runs (at most kMaxRunMembers each), mixed
// clients in one stretch; inserts into the middle from a stale peer.
TEST(TombstoneRuns, LongStretchOfSeveralClients) {
  Doc src(DocOptions{5, "", true});
  TextRef st = src.get_text("t");
  ASSERT_TRUE(st.insert(0, "<>"));
  std::mt19937_64 rng(3);
  for (int i = 0; i < 300; i++) {  // three clients, random places: many short items
    src.set_client_id(5 + static_cast<uint64_t>(i % 3));
    ASSERT_TRUE(st.insert(1 + rng() % (st.length() - 1), i % 7 == 0 ? u"\U0001F600" : u"x"));
  }
  src.set_client_id(5);
  const UpdateBytes alive = state_of(src);
  Doc stale(DocOptions{9, "", true});
  ASSERT_TRUE(stale.apply_update(alive));
  std::vector<UpdateBytes> from_stale;
  stale.on_update([&](const UpdateBytes& u, const Transaction&) { from_stale.push_back(u); });
  for (uint64_t at : {2u, 50u, 130u, 200u, 301u}) {
    const std::u16string s = stale.get_text("t").to_u16string();
    ASSERT_TRUE(stale.get_text("t").insert(unit_boundary(s, at), "S"));
  }
  const std::u16string s = stale.get_text("t").to_u16string();
  const uint64_t from = unit_boundary(s, 100), to = unit_boundary(s, 120);
  ASSERT_TRUE(stale.get_text("t").remove_range(from, to - from));
  Pair p(8, true, [&](Doc& d) {
    load_fast_paths_enabled = false;  // no freezing load: A freezes below
    ASSERT_TRUE(d.apply_update(alive));
    load_fast_paths_enabled = true;
    ASSERT_TRUE(d.get_text("t").remove_range(1, d.get_text("t").length() - 2));
  });
  const size_t n = freeze(*p.a.doc);
  EXPECT_GT(n, kMaxRunMembers);
  const Bounds bounds = freezable_bounds(*p.b.doc);
  EXPECT_LE(n, bounds.upper);
  EXPECT_GE(n, bounds.lower);
  for (size_t i = 0; i < from_stale.size(); i++) {
    p.both("stale update " + std::to_string(i), [&](Doc& d) { ASSERT_TRUE(d.apply_update(from_stale[i])); });
  }
  p.both("insert with attributes inside", [](Doc& d) {
    ASSERT_TRUE(d.get_text("t").insert(1, "b", Attributes{{"bold", Any(true)}}));
  });
  thaw_all(*p.a.doc);
  expect_same(p.a, p.b, p.svs);
}

}  // namespace
}  // namespace weft::runs_testing
