// The load in list order (list_order_load.h): a mostly deleted text state
// loaded that way (called directly; Doc::apply_update takes it only where
// a load in parts gives up) holds the general path's state (bytes v1 and v2, text,
// runs sound) and then behaves as it under random steps (the oracle of
// tombstone_runs_test_util.h); shapes it does not take load as on the
// general path, or fail as it does. WEFT_RUNS_SEEDS sets the seed count
// (default 60).
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/branch.h"
#include "core/list_order_load.h"
#include "core/load_paths.h"
#include "core/tombstone_runs.h"
#include "core/tombstone_runs_test_gen.h"
#include "core/tombstone_runs_test_util.h"
#include "testdata/tombstone_updates.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace weft::runs_testing {
namespace {

// Peers typing and deleting in the root text "t" (non-ASCII pieces, emoji
// and surrogate pairs among them) and / or inserting and removing values in
// the root array "a" (numbers, strings, objects, bytes), syncing only now
// and then, some rounds offline; then all synced, and peer 0 deletes most
// of both.
struct TextHistory {
  std::vector<std::unique_ptr<Doc>> peers;
  std::vector<UpdateBytes> old_states;  // peer 0 along the way
};

void build_text_history(uint64_t seed, TextHistory& h) {
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  const bool text = seed % 3 != 1, array = seed % 3 != 0;
  static constexpr std::u16string_view kPieces[] = {u"a",         u"bc", u"é",  u"世界",      u"😀",
                                                    u"👍🏽x", u"Ω",  u"😀😁", u"long piece"};
  auto value = [&]() -> Any {
    switch (pick(5)) {
      case 0:
        return Any(static_cast<int>(pick(1000)));
      case 1:
        return Any("värde 值 😀");
      case 2:
        return Any::object({{"k", Any(true)}, {"n", Any::null()}});
      case 3:
        return Any(Bytes{1, 2, static_cast<uint8_t>(pick(256))});
      default:
        return Any(AnyArray{Any(1.5), Any("x")});
    }
  };
  const size_t n_peers = 2 + pick(4);
  for (size_t i = 0; i < n_peers; i++)
    h.peers.push_back(std::make_unique<Doc>(DocOptions{10 + i * 1000 + pick(7), "", true}));
  const uint64_t rounds = 4 + pick(6);
  for (uint64_t round = 0; round < rounds; round++) {
    for (auto& p : h.peers) {
      TextRef t = p->get_text("t");
      ArrayRef a = p->get_array("a");
      for (uint64_t k = 0, n = 3 + pick(25); k < n; k++) {
        if (array && (!text || pick(2) == 0)) {
          const uint64_t len = a.length();
          if (len == 0 || pick(100) >= 30) {
            std::vector<Any> values(1 + pick(3));
            for (Any& v : values) v = value();
            ASSERT_TRUE(a.insert(pick(len + 1), values));
          } else {
            const uint64_t from = pick(len);
            ASSERT_TRUE(a.remove_range(from, std::min<uint64_t>(len - from, 1 + pick(5))));
          }
          continue;
        }
        const std::u16string s = t.to_u16string();
        if (s.empty() || pick(100) >= 30) {
          const uint64_t at = unit_boundary(s, pick(s.size() + 1));
          ASSERT_TRUE(t.insert(at, kPieces[pick(std::size(kPieces))]));
        } else {
          const uint64_t from = unit_boundary(s, pick(s.size()));
          const uint64_t end = unit_boundary(s, std::min<uint64_t>(s.size(), from + 1 + pick(8)));
          if (end > from) {
            ASSERT_TRUE(t.remove_range(from, end - from));
          }
        }
      }
    }
    h.old_states.push_back(state_of(*h.peers[0]));
    for (size_t i = 0; i < h.peers.size(); i++) {
      for (size_t j = 0; j < h.peers.size(); j++) {
        if (i == j || pick(3) == 0) continue;  // offline now and then
        ASSERT_TRUE(h.peers[j]->apply_update(state_of(*h.peers[i], h.peers[j]->encode_state_vector())));
      }
    }
  }
  for (auto& p : h.peers) {
    for (auto& q : h.peers) {
      if (p != q) {
        ASSERT_TRUE(q->apply_update(state_of(*p, q->encode_state_vector())));
      }
    }
  }
  // Most of both deleted, in ranges; a unit kept now and then.
  TextRef t = h.peers[0]->get_text("t");
  for (uint64_t end = t.length(); end > 0;) {
    const std::u16string s = t.to_u16string();
    const uint64_t from = unit_boundary(s, end > 12 ? end - 12 : 0);
    if (end > from) {
      ASSERT_TRUE(t.remove_range(from, end - from));
    }
    end = from > 0 ? unit_boundary(s, from - 1) : 0;
  }
  ArrayRef a = h.peers[0]->get_array("a");
  for (uint64_t end = a.length(); end > 0;) {
    const uint64_t from = end > 6 ? end - 6 : 0;
    ASSERT_TRUE(a.remove_range(from, end - from));
    end = from > 0 ? from - 1 : 0;
  }
}

ListOrderLoad load_listed(Doc& doc, const UpdateBytes& update) {
  const uint64_t before = list_order_loads_done.load();
  const ListOrderLoad result = load_in_list_order(doc, update, "");
  EXPECT_EQ(list_order_loads_done.load(), before + (result == ListOrderLoad::kLoaded ? 1 : 0));
  return result;
}

Status load_general(Doc& doc, const UpdateBytes& update) {
  const Scoped<bool> general(load_fast_paths_enabled, false);
  return doc.apply_update(update);
}

size_t not_taken = 0;  // seeds run_list_order found not taken

bool run_list_order(uint64_t seed) {
  const bool indexed = seed % 2 == 1;
  const Scoped<size_t> index_after(Branch::index_after_steps, indexed ? 3 : 128);
  SCOPED_TRACE(seed_trace("load in list order", seed, true, indexed));
  TextHistory h;
  build_text_history(seed, h);
  if (testing::Test::HasFatalFailure()) return false;
  const UpdateBytes state = state_of(*h.peers[0]);
  auto a_doc = std::make_unique<Doc>(DocOptions{777, "", true});
  auto b_doc = std::make_unique<Doc>(DocOptions{777, "", true});
  if (load_listed(*a_doc, state) != ListOrderLoad::kLoaded) {
    // Concurrent inserts can leave an origin inside a struct (a split that
    // merged back: yjs merges a split whose halves stay neighbours): the
    // general path takes those.
    EXPECT_TRUE(a_doc->root_names().empty());
    not_taken++;
    const Scoped<size_t> parts_from(load_in_parts_from_bytes, 1);
    EXPECT_TRUE(a_doc->apply_update(state));
    EXPECT_TRUE(load_general(*b_doc, state));
    EXPECT_EQ(state_of(*a_doc), state_of(*b_doc));
    return true;
  }
  EXPECT_TRUE(load_general(*b_doc, state));
  EXPECT_EQ(frozen_tombstones(*b_doc), 0u);
  check_runs(*a_doc);
  const Bounds bounds = freezable_bounds(*b_doc);
  EXPECT_LE(frozen_tombstones(*a_doc), bounds.upper);
  EXPECT_GE(frozen_tombstones(*a_doc), bounds.lower) << "the load left freezable stretches unfrozen";
  EXPECT_EQ(state_of(*a_doc), state_of(*b_doc)) << describe_difference(state_of(*a_doc), state_of(*b_doc));
  Twin a(std::move(a_doc), seed % 2 == 0);
  Twin b(std::move(b_doc), seed % 2 == 0);
  const int failed_before = failures();
  expect_same(a, b, {});
  if (failures() != failed_before) return false;
  Gen g(seed * 977 + 3);
  std::vector<Doc*> side;
  for (size_t i = 1; i < h.peers.size(); i++) side.push_back(h.peers[i].get());
  Session s{a, b, g, true, side, h.old_states, {}};
  add_old_state_vectors(s);
  if (!run_steps(s, 40)) return false;
  check_runs(*a.doc);
  return true;
}

TEST(ListOrderLoad, BehavesAsTheGeneralPath) {
  const uint64_t seeds = env_count("WEFT_RUNS_SEEDS", 60);
  not_taken = 0;
  for (uint64_t seed = 0; seed < seeds; seed++) {
    if (!run_list_order(seed)) break;
  }
  EXPECT_LE(not_taken * 10, seeds) << "most states should be taken";
}

// The bench's shapes (testdata/tombstone_updates.h): random edits all over a
// long text by 64 clients, short sessions, typing; the state encodes and
// reads as on the general path. The document's own client
// id among the loaded clients is replaced, as after any remote update.
TEST(ListOrderLoad, TakesTheBenchShapes) {
  const UpdateBytes updates[] = {testdata::make_edited_tombstone_update(3000, 1),
                                 testdata::make_sessions_tombstone_update(30000, 2),
                                 testdata::make_tombstone_update(5000)};
  for (const UpdateBytes& u : updates) {
    SCOPED_TRACE("update of " + std::to_string(u.size()) + " bytes");
    Doc doc(DocOptions{1, "", true});
    ASSERT_EQ(load_listed(doc, u), ListOrderLoad::kLoaded);
    EXPECT_GT(frozen_tombstones(doc), 1000u);
    check_runs(doc);
    Doc general(DocOptions{1, "", true});
    ASSERT_TRUE(load_general(general, u));
    EXPECT_EQ(state_of(doc), state_of(general));
    EXPECT_EQ(state_of(doc, {}, UpdateFormat::kV2), state_of(general, {}, UpdateFormat::kV2));
    EXPECT_EQ(doc.get_text("text").to_string(), general.get_text("text").to_string());
    EXPECT_EQ(doc.client_id() == 1, general.client_id() == 1);
  }
  Doc own(DocOptions{5, "", true});  // one of the 64 editing clients
  ASSERT_EQ(load_listed(own, updates[0]), ListOrderLoad::kLoaded);
  EXPECT_NE(own.client_id(), 5u);
}

// Doc::apply_update takes this load for a huge state whose parts would
// thaw each other's runs (random edits all over a long text): the plan of
// the parts finds it scattered and no part is applied, or (that check off)
// the parts are begun and given up; the state is loaded in list order.
TEST(ListOrderLoad, ScatteredStatesLoadInListOrderWhereTheirPartsGiveUp) {
  const UpdateBytes u = testdata::make_edited_tombstone_update(3000, 1);
  const Scoped<size_t> parts_from(load_in_parts_from_bytes, 1);
  const Scoped<size_t> part_bytes(load_part_bytes, u.size() / 8);
  const uint64_t begun = loads_in_parts_begun.load(), listed = list_order_loads_done.load();
  for (const bool plan_check : {true, false}) {
    SCOPED_TRACE(plan_check ? "found by the plan" : "found by the parts");
    const Scoped<bool> check(scattered_plan_check_enabled, plan_check);
    Doc doc(DocOptions{1, "", true});
    ASSERT_TRUE(doc.apply_update(u));
    EXPECT_EQ(loads_in_parts_begun.load(), begun + (plan_check ? 0 : 1));
    EXPECT_EQ(list_order_loads_done.load(), listed + (plan_check ? 1 : 2));
    EXPECT_GT(frozen_tombstones(doc), 1000u);
    check_runs(doc);
    EXPECT_EQ(state_of(doc), u);
  }
  {  // In v2: loaded through its v1 form.
    const Result<UpdateBytes> v2 = convert_update(u, UpdateFormat::kV1, UpdateFormat::kV2);
    ASSERT_TRUE(v2.is_ok());
    const uint64_t begun_before = loads_in_parts_begun.load(), listed_before = list_order_loads_done.load();
    Doc doc(DocOptions{1, "", true});
    ASSERT_TRUE(doc.apply_update(*v2, UpdateFormat::kV2));
    EXPECT_EQ(loads_in_parts_begun.load(), begun_before);
    EXPECT_EQ(list_order_loads_done.load(), listed_before + 1);
    EXPECT_GT(frozen_tombstones(doc), 1000u);
    EXPECT_EQ(state_of(doc), u);
    EXPECT_EQ(state_of(doc, {}, UpdateFormat::kV2), *v2);
  }
  {  // With a nested type, which this load does not take: the plan's stop
     // leads back to the parts, which give up and load whole.
    Doc source(DocOptions{9, "", true});
    ASSERT_TRUE(source.apply_update(u));
    ASSERT_TRUE(source.get_array("a").insert_text(0));
    const UpdateBytes nested = state_of(source);
    const uint64_t begun_before = loads_in_parts_begun.load(), listed_before = list_order_loads_done.load();
    Doc doc(DocOptions{1, "", true});
    ASSERT_TRUE(doc.apply_update(nested));
    EXPECT_EQ(loads_in_parts_begun.load(), begun_before + 1);
    EXPECT_EQ(list_order_loads_done.load(), listed_before);
    EXPECT_EQ(frozen_tombstones(doc), 0u);
    EXPECT_EQ(state_of(doc), nested);
  }
  // Switched off: loaded whole.
  const Scoped<bool> off(list_order_load_enabled, false);
  const uint64_t listed_off = list_order_loads_done.load();
  Doc whole(DocOptions{1, "", true});
  ASSERT_TRUE(whole.apply_update(u));
  EXPECT_EQ(list_order_loads_done.load(), listed_off);
  EXPECT_EQ(frozen_tombstones(whole), 0u);
  EXPECT_EQ(state_of(whole), u);
}

// Updates the load does not take: nothing changed; then loaded as a huge
// state (load_in_parts_from_bytes lowered) as on the general path, or
// rejected as there.
void expect_not_taken(const UpdateBytes& update, const char* what) {
  SCOPED_TRACE(what);
  Doc doc(DocOptions{1, "", true}), general(DocOptions{1, "", true});
  const UpdateBytes empty = state_of(doc);
  EXPECT_EQ(load_listed(doc, update), ListOrderLoad::kNotTaken);
  EXPECT_EQ(state_of(doc), empty);
  EXPECT_TRUE(doc.root_names().empty());
  Status st;
  {
    const Scoped<size_t> parts_from(load_in_parts_from_bytes, 1);
    st = doc.apply_update(update);
  }
  const Status gst = load_general(general, update);
  EXPECT_EQ(st.is_ok(), gst.is_ok()) << st.message() << " / " << gst.message();
  EXPECT_EQ(state_of(doc), state_of(general));
  EXPECT_EQ(doc.get_text("t").to_string(), general.get_text("t").to_string());
  EXPECT_EQ(doc.has_pending(), general.has_pending());
}

// Text typed by two clients in turn (so nothing merges), most of it deleted.
UpdateBytes deleted_text(Doc& d, int pieces) {
  TextRef t = d.get_text("t");
  for (int i = 0; i < pieces; i++) {
    d.set_client_id(1 + i % 2);
    EXPECT_TRUE(t.insert(t.length(), "ab"));
  }
  EXPECT_TRUE(t.remove_range(0, t.length() - 4));
  return state_of(d);
}

TEST(ListOrderLoad, LeavesOtherShapesToTheOtherPaths) {
  {  // a map entry
    Doc d(DocOptions{1, "", true});
    deleted_text(d, 200);
    d.get_map("m").set("k", Any(1.0));
    expect_not_taken(state_of(d), "map entry");
  }
  {  // a nested type
    Doc d(DocOptions{1, "", true});
    deleted_text(d, 200);
    ASSERT_TRUE(d.get_array("a").insert_text(0));
    expect_not_taken(state_of(d), "nested type");
  }
  {  // formatting
    Doc d(DocOptions{1, "", true});
    deleted_text(d, 200);
    ASSERT_TRUE(d.get_text("t").insert(0, "b", Attributes{{"bold", Any(true)}}));
    expect_not_taken(state_of(d), "formatting");
  }
  // An origin inside a struct, and a delete range splitting one: merged
  // updates of docs that never saw each other's splits.
  Doc typed(DocOptions{1, "", true});
  ASSERT_TRUE(typed.get_text("t").insert(0, "hello world, hello world"));
  const UpdateBytes typed_state = state_of(typed);
  Doc inserting(DocOptions{2, "", true});
  ASSERT_TRUE(inserting.apply_update(typed_state));
  std::vector<UpdateBytes> out;
  inserting.on_update([&](const UpdateBytes& u, const Transaction&) { out.push_back(u); });
  ASSERT_TRUE(inserting.get_text("t").insert(3, "X"));
  Doc deleting(DocOptions{3, "", true});
  ASSERT_TRUE(deleting.apply_update(typed_state));
  ASSERT_TRUE(deleting.get_text("t").remove_range(0, 20));
  {
    const std::vector<uint8_t> whole_deleted = state_of(deleting);
    std::span<const uint8_t> parts[] = {typed_state, out[0], whole_deleted};
    auto merged = merge_updates(parts, UpdateFormat::kV1);
    ASSERT_TRUE(merged);
    expect_not_taken(*merged, "origin inside a struct");
  }
  {
    const UpdateBytes deleted = state_of(deleting);
    std::span<const uint8_t> parts[] = {typed_state, deleted};
    // The merge keeps "hello world, hello world" whole; the delete set covers its first 20 units.
    auto merged = merge_updates(parts, UpdateFormat::kV1);
    ASSERT_TRUE(merged);
    expect_not_taken(*merged, "delete range splitting a struct");
  }
  {  // neighbours that merge: typed in two updates, then deleted in a third
    Doc d(DocOptions{1, "", true});
    std::vector<UpdateBytes> updates;
    d.on_update([&](const UpdateBytes& u, const Transaction&) { updates.push_back(u); });
    ASSERT_TRUE(d.get_text("t").insert(0, "ab"));
    ASSERT_TRUE(d.get_text("t").insert(2, "cd"));
    ASSERT_TRUE(d.get_text("t").remove_range(0, 4));
    ASSERT_EQ(updates.size(), 3u);
    std::span<const uint8_t> parts[] = {updates[0], updates[1], updates[2]};
    auto merged = merge_updates(parts, UpdateFormat::kV1);
    ASSERT_TRUE(merged);
    expect_not_taken(*merged, "neighbours that merge");
  }
  {  // visible neighbours that merge, beside a longer deleted text
    Doc d(DocOptions{1, "", true});
    std::vector<UpdateBytes> updates;
    d.on_update([&](const UpdateBytes& u, const Transaction&) { updates.push_back(u); });
    ASSERT_TRUE(d.get_text("t").insert(0, "ab"));
    ASSERT_TRUE(d.get_text("t").insert(2, "cd"));
    ASSERT_TRUE(d.get_text("t").insert(4, "0123456789"));
    ASSERT_TRUE(d.get_text("t").remove_range(4, 10));
    ASSERT_EQ(updates.size(), 4u);
    std::span<const uint8_t> parts[] = {updates[0], updates[1], updates[2], updates[3]};
    auto merged = merge_updates(parts, UpdateFormat::kV1);
    ASSERT_TRUE(merged);
    expect_not_taken(*merged, "visible neighbours that merge");
  }
  {  // an item referring to a later clock of its own client: rejected
    expect_not_taken(
        testdata::make_tombstone_update(2000, {.root = "t", .deleted = true, .bad_origin = true}),
        "later clock of its own client");
  }
  {  // truncated
    Doc d(DocOptions{1, "", true});
    const UpdateBytes u = deleted_text(d, 200);
    expect_not_taken(UpdateBytes(u.begin(), u.end() - 3), "truncated");
  }
}

// A state mostly visible is left to the bulk load (nearly all of it stays Items).
TEST(ListOrderLoad, LeavesMostlyVisibleStates) {
  const UpdateBytes u = testdata::make_tombstone_update(5000, {.deleted = false});
  Doc doc(DocOptions{1, "", true});
  const UpdateBytes empty = state_of(doc);
  EXPECT_EQ(load_listed(doc, u), ListOrderLoad::kMostlyVisible);
  EXPECT_EQ(state_of(doc), empty);
}

}  // namespace
}  // namespace weft::runs_testing
