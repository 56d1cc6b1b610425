// The whole-state paths of load and encode against their general
// counterparts. The v1 raw-pointer block writer (write_update.cc) must write
// exactly the bytes of the field-by-field writer, for full states and for
// diffs that start inside a block, on seeded documents of several clients
// with deletes, gc on and off, non-ASCII text (CJK, emoji, surrogate pairs,
// lone surrogates), strings longer than the writer's buffer, maps, arrays and
// nested types. A doc loaded from such a state must give it back unchanged.
// WEFT_LOAD_ENCODE_SEEDS sets the count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "core/load_paths.h"
#include "core/tombstone_runs.h"
#include "core/write_update.h"
#include "encoding/wire.h"
#include "weft/doc.h"
#include "weft/types.h"
#include "weft/update.h"

namespace weft {
namespace {

int seed_count() {
  const char* env = std::getenv("WEFT_LOAD_ENCODE_SEEDS");
  return env != nullptr ? std::atoi(env) : 40;
}

const std::u16string kPieces[] = {u"a",      u"hello ", u"\u4e16\u754c", u"\U0001F600",
                                  u"\u00e9", u"\n",     u"\xD800",       u"xy\xDC00z"};

class Editor {
 public:
  // Lone surrogates are written as U+FFFD, so a doc holding them does not
  // load back equal: those seeds only compare the writers.
  Editor(uint64_t seed, bool lone_surrogates)
      : rng_(seed), pieces_(lone_surrogates ? std::size(kPieces) : 6) {}
  uint64_t pick(uint64_t n) { return rng_() % n; }

  void edit(Doc& doc) {
    switch (pick(5)) {
      case 0:
      case 1:
        return text(doc.get_text("t"));
      case 2:
        return array(doc.get_array("a"));
      case 3:
        return map(doc.get_map("m"));
      default:
        return long_text(doc.get_text("t"));
    }
  }

 private:
  void text(TextRef t) {
    const uint64_t len = t.length();
    if (len == 0 || pick(3) != 0) {
      ASSERT_TRUE(t.insert(pick(len + 1), std::u16string_view(kPieces[pick(pieces_)])).is_ok());
    } else {
      const uint64_t at = pick(len);
      ASSERT_TRUE(t.remove_range(at, std::min<uint64_t>(len - at, 1 + pick(6))).is_ok());
    }
  }
  // Longer than the writer's 16 KiB buffer holds once in UTF-8 (and some
  // of it non-ASCII), so that it flushes and falls back.
  void long_text(TextRef t) {
    if (pick(8) != 0) return text(t);
    std::u16string s;
    const size_t n = 2000 + pick(5000);
    for (size_t i = 0; i < n; i++) s += pick(4) == 0 ? u'\u4e16' : static_cast<char16_t>(u'a' + pick(26));
    ASSERT_TRUE(t.insert(pick(t.length() + 1), std::u16string_view(s)).is_ok());
  }
  void array(ArrayRef a) {
    const uint64_t len = a.length();
    const uint64_t at = pick(len + 1);
    switch (len == 0 ? 0 : pick(5)) {
      case 0:
        ASSERT_TRUE(a.insert(at, {Any(static_cast<double>(pick(100))), Any("s")}).is_ok());
        break;
      case 1: {
        auto m = a.insert_map(at);
        ASSERT_TRUE(m.is_ok());
        m->set("k", Any(static_cast<double>(pick(5))));
        break;
      }
      case 2: {
        auto t = a.insert_text(at);
        ASSERT_TRUE(t.is_ok());
        ASSERT_TRUE(t->insert(0, std::u16string_view(kPieces[pick(pieces_)])).is_ok());
        break;
      }
      default: {
        const uint64_t from = pick(len);
        ASSERT_TRUE(a.remove_range(from, std::min<uint64_t>(len - from, 1 + pick(3))).is_ok());
      }
    }
  }
  void map(MapRef m) {
    const std::string key = "k" + std::to_string(pick(4));
    switch (pick(4)) {
      case 0:
        m.set(key, Any(static_cast<double>(pick(1000))));
        break;
      case 1:
        m.set_map(key).set("inner", Any("v"));
        break;
      case 2:
        (void)m.set_text(key).insert(0, std::u16string_view(u"\U0001F44D\U0001F3FD"));
        break;
      default:
        m.remove(key);
    }
  }
  std::mt19937_64 rng_;
  size_t pieces_;
};

UpdateBytes encode(const Doc& doc, std::span<const uint8_t> sv, bool fast) {
  fast_v1_writer_enabled = fast;
  auto bytes = doc.encode_state_as_update(sv);
  fast_v1_writer_enabled = true;
  EXPECT_TRUE(bytes.is_ok());
  return bytes.is_ok() ? std::move(*bytes) : UpdateBytes{};
}

// Three clients edit, exchanging their updates only now and then, so that
// the store holds interleaved runs, splits, deletes and (gc on) GC blocks.
void make_docs(uint64_t seed, bool gc, Editor& ed, std::vector<std::unique_ptr<Doc>>& docs) {
  for (uint64_t c = 0; c < 3; c++)
    docs.push_back(std::make_unique<Doc>(DocOptions{100 + c * 977 + seed, "", gc}));
  for (int round = 0; round < 12; round++) {
    for (auto& d : docs) {
      for (uint64_t k = 0, n = ed.pick(12); k < n; k++) {
        ed.edit(*d);
        if (testing::Test::HasFatalFailure()) return;
      }
    }
    // Sync every pair in both directions, except sometimes one skipped.
    for (size_t i = 0; i < docs.size(); i++) {
      for (size_t j = 0; j < docs.size(); j++) {
        if (i == j || ed.pick(4) == 0) continue;
        auto u = docs[i]->encode_state_as_update(docs[j]->encode_state_vector());
        ASSERT_TRUE(u.is_ok());
        ASSERT_TRUE(docs[j]->apply_update(*u).is_ok());
      }
    }
  }
}

// Deletes all but four units of the root text "t" (the first, the last two
// and one more), three at a time: a mostly deleted state.
void delete_most_of_text(Doc& doc) {
  TextRef t = doc.get_text("t");
  while (t.length() > 4) ASSERT_TRUE(t.remove_range(1, std::min<uint64_t>(t.length() - 2, 3)).is_ok());
}

void run_seed(uint64_t seed, bool gc) {
  SCOPED_TRACE("seed " + std::to_string(seed) + " gc " + std::to_string(gc));
  const bool lone_surrogates = seed % 4 == 3;
  Editor ed(seed, lone_surrogates);
  std::vector<std::unique_ptr<Doc>> docs;
  make_docs(seed, gc, ed, docs);
  if (testing::Test::HasFatalFailure()) return;
  for (auto& d : docs) {
    const UpdateBytes full = encode(*d, {}, true);
    ASSERT_EQ(full, encode(*d, {}, false));
    // Diffs against the other docs' state vectors, and against a vector that
    // cuts every client's range in the middle (the first block is written
    // from an offset).
    for (auto& other : docs) {
      const UpdateBytes sv = other->encode_state_vector();
      ASSERT_EQ(encode(*d, sv, true), encode(*d, sv, false));
    }
    auto decoded = decode_state_vector(d->encode_state_vector());
    ASSERT_TRUE(decoded.is_ok());
    StateVector half = *decoded;
    for (auto& [client, clock] : half) clock = ed.pick(clock + 1);
    const UpdateBytes half_sv = encode_state_vector(half);
    ASSERT_EQ(encode(*d, half_sv, true), encode(*d, half_sv, false));
    // Loading the state gives the same content and the same state back.
    if (lone_surrogates) continue;
    Doc loaded(DocOptions{1, "", gc});
    ASSERT_TRUE(loaded.apply_update(full).is_ok());
    EXPECT_EQ(loaded.to_canonical_json(), d->to_canonical_json());
    EXPECT_EQ(encode(loaded, {}, true), full);
  }
}

TEST(LoadEncodeTest, FastV1WriterWritesTheGeneralWritersBytes) {
  for (int s = 0; s < seed_count(); s++) {
    run_seed(static_cast<uint64_t>(s), s % 2 == 0);
    if (HasFatalFailure()) return;
  }
}

// A doc after applying `updates` in order, with the load's shortcuts
// (load_paths.h) on or off; the same gc setting as the source. With
// `emitted`, the doc's v1 and v2 update events are appended there.
std::unique_ptr<Doc> load(const std::vector<UpdateBytes>& updates, bool gc, bool fast_paths,
                          std::vector<UpdateBytes>* emitted = nullptr) {
  load_fast_paths_enabled = fast_paths;
  auto doc = std::make_unique<Doc>(DocOptions{1, "", gc});
  if (emitted != nullptr) {
    doc->on_update(
        [emitted](const auto& u, const Transaction&) { emitted->emplace_back(u.begin(), u.end()); });
    doc->on_update_v2(
        [emitted](const auto& u, const Transaction&) { emitted->emplace_back(u.begin(), u.end()); });
  }
  for (const UpdateBytes& u : updates) EXPECT_TRUE(doc->apply_update(u).is_ok());
  load_fast_paths_enabled = true;
  return doc;
}

void expect_same_state(Doc& fast, Doc& general) {
  EXPECT_EQ(encode(fast, {}, true), encode(general, {}, true));
  auto v2_fast = fast.encode_state_as_update({}, UpdateFormat::kV2);
  auto v2_general = general.encode_state_as_update({}, UpdateFormat::kV2);
  ASSERT_TRUE(v2_fast.is_ok() && v2_general.is_ok());
  EXPECT_EQ(*v2_fast, *v2_general);
  EXPECT_EQ(fast.to_canonical_json(), general.to_canonical_json());
  EXPECT_EQ(fast.get_text("t").to_string(), general.get_text("t").to_string());
}

// The load's shortcuts (a big update's direct origin search, delete ranges
// already deleted in the transaction skipped) give the general path's
// state: whole states of seeded three-client docs (concurrent edits,
// deletes, maps, nested types, CJK / emoji text; gc on and off) loaded into
// a fresh doc, and a second doc's state applied on top of the first (the
// delete set then repeats ranges deleted before the transaction).
TEST(LoadEncodeTest, LoadFastPathsGiveTheGeneralPathsState) {
  for (int s = 0; s < seed_count(); s++) {
    const auto seed = static_cast<uint64_t>(1000 + s);
    const bool gc = s % 2 == 0;
    SCOPED_TRACE("seed " + std::to_string(seed) + " gc " + std::to_string(gc));
    Editor ed(seed, false);
    std::vector<std::unique_ptr<Doc>> docs;
    make_docs(seed, gc, ed, docs);
    if (HasFatalFailure()) return;
    std::vector<UpdateBytes> states;
    for (auto& d : docs) states.push_back(encode(*d, {}, true));
    for (const UpdateBytes& state : states) {
      // A state loaded into an empty doc takes the bulk path (bulk_load.h),
      // with update listeners too: they get the general path's updates.
      const uint64_t bulk_before = bulk_loads_done.load();
      std::vector<UpdateBytes> fast_updates, general_updates;
      auto fast = load({state}, gc, true, &fast_updates);
      EXPECT_EQ(bulk_loads_done.load(), bulk_before + 1);
      auto general = load({state}, gc, false, &general_updates);
      EXPECT_EQ(bulk_loads_done.load(), bulk_before + 1);
      expect_same_state(*fast, *general);
      EXPECT_EQ(encode(*fast, {}, true), state);
      EXPECT_EQ(fast_updates, general_updates);
      // The other gc setting: a gc'd doc loading a state with deleted
      // content (items and nested types) collects it while loading.
      auto fast_other = load({state}, !gc, true);
      auto general_other = load({state}, !gc, false);
      expect_same_state(*fast_other, *general_other);
    }
    auto fast = load(states, gc, true);
    auto general = load(states, gc, false);
    expect_same_state(*fast, *general);
    if (HasFailure()) return;
  }
}

// A big update into an empty doc that cannot all be integrated: clients
// starting above clock 0 (a diff), and Skip structs (a merge of an early
// state with a later diff). The bulk path's walk runs over what was
// integrated; the rest waits as pending, as on the general path, and both
// docs end equal once the missing part arrives.
TEST(LoadEncodeTest, LoadWithGapsAndSkipsGivesTheGeneralPathsState) {
  for (int s = 0; s < seed_count(); s++) {
    const auto seed = static_cast<uint64_t>(2000 + s);
    const bool gc = s % 2 == 0;
    SCOPED_TRACE("seed " + std::to_string(seed) + " gc " + std::to_string(gc));
    Editor ed(seed, false);
    std::vector<std::unique_ptr<Doc>> docs;
    make_docs(seed, gc, ed, docs);
    if (HasFatalFailure()) return;
    Doc& d = *docs[0];
    const UpdateBytes early = encode(d, {}, true);
    auto early_sv = decode_state_vector(d.encode_state_vector());
    ASSERT_TRUE(early_sv.is_ok());
    for (int k = 0; k < 30; k++) {
      ed.edit(d);
      if (HasFatalFailure()) return;
    }
    ASSERT_TRUE(d.apply_update(encode(*docs[1], {}, true)).is_ok());
    const UpdateBytes late = encode(d, {}, true);
    auto late_sv = decode_state_vector(d.encode_state_vector());
    ASSERT_TRUE(late_sv.is_ok());
    // A cut per client between the early and the late state.
    StateVector cut = *late_sv;
    for (auto& [client, clock] : cut) {
      auto it = early_sv->find(client);
      const uint64_t lo = it == early_sv->end() ? 0 : it->second;
      clock = lo + ed.pick(clock - lo + 1);
    }
    auto diff = diff_update(late, encode_state_vector(cut), UpdateFormat::kV1);
    ASSERT_TRUE(diff.is_ok());
    std::span<const uint8_t> parts[] = {early, *diff};
    auto merged = merge_updates(parts, UpdateFormat::kV1);
    ASSERT_TRUE(merged.is_ok());
    for (const UpdateBytes* u : {&*diff, &*merged}) {
      auto fast = load({*u}, gc, true);
      auto general = load({*u}, gc, false);
      EXPECT_EQ(fast->has_pending(), general->has_pending());
      expect_same_state(*fast, *general);
      // The rest arrives: both hold the late state.
      load_fast_paths_enabled = true;
      ASSERT_TRUE(fast->apply_update(late).is_ok());
      load_fast_paths_enabled = false;
      ASSERT_TRUE(general->apply_update(late).is_ok());
      load_fast_paths_enabled = true;
      EXPECT_FALSE(fast->has_pending());
      expect_same_state(*fast, *general);
      // (Not d's text: a cut inside a surrogate pair leaves U+FFFD in both, as in yjs.)
      EXPECT_EQ(fast->encode_state_vector(), d.encode_state_vector());
    }
    if (HasFailure()) return;
  }
}

// The v1 full state collects its delete ranges while writing the structs:
// deleted blocks at the start and end of a client's run, a client whose
// every block is deleted, neighbouring deleted blocks of one client (one
// range) between live ones, several clients (ids of one and two varUint
// bytes), gc on and off, against the field-by-field writer and the
// DeleteSet's own bytes.
TEST(LoadEncodeTest, FullStateDeleteRangesAtClientBoundaries) {
  for (const bool gc : {true, false}) {
    SCOPED_TRACE("gc " + std::to_string(gc));
    Doc a(DocOptions{9, "", gc});
    Doc b(DocOptions{5, "", gc});
    Doc c(DocOptions{700, "", gc});
    auto sync = [](Doc& from, Doc& to) {
      auto u = from.encode_state_as_update(to.encode_state_vector());
      ASSERT_TRUE(u.is_ok());
      ASSERT_TRUE(to.apply_update(*u).is_ok());
    };
    // Client 9: three blocks in reverse order ("ghi" "def" "abc": clocks 6, 3, 0).
    for (const char* piece : {"abc", "def", "ghi"}) ASSERT_TRUE(a.get_text("t").insert(0, piece).is_ok());
    sync(a, b);
    sync(a, c);
    ASSERT_TRUE(b.get_text("t").insert(9, "jkl").is_ok());  // client 5 after client 9's run
    ASSERT_TRUE(c.get_text("t").insert(0, "xy").is_ok());   // client 700, all deleted below
    sync(b, a);
    sync(c, a);
    auto t = a.get_text("t");
    ASSERT_EQ(t.to_string(), "xyghidefabcjkl");
    ASSERT_TRUE(t.remove_range(0, 2).is_ok());  // all of client 700
    ASSERT_TRUE(t.remove_range(0, 6).is_ok());  // "ghidef": client 9's clocks 3..9, one range
    ASSERT_TRUE(t.remove_range(1, 3).is_ok());  // "bc" + "j": ends of client 9 and start of client 5
    ASSERT_TRUE(t.remove_range(2, 1).is_ok());  // "l": the end of client 5
    ASSERT_EQ(t.to_string(), "ak");
    const UpdateBytes fast = encode(a, {}, true);
    ASSERT_EQ(fast, encode(a, {}, false));
    Doc loaded(DocOptions{1, "", gc});
    ASSERT_TRUE(loaded.apply_update(fast).is_ok());
    EXPECT_EQ(loaded.get_text("t").to_string(), "ak");
    EXPECT_EQ(encode(loaded, {}, true), fast);
  }
}

// split_update: the parts of a whole state (v1 and v2, 1 to 7 parts),
// applied in order to a fresh doc, give the state back byte for byte;
// applied in reverse order (every part but the first waits in pending) they
// give the same document.
TEST(LoadEncodeTest, SplitUpdatePartsGiveTheWholeState) {
  for (int s = 0; s < seed_count(); s++) {
    const auto seed = static_cast<uint64_t>(3000 + s);
    const bool gc = s % 2 == 0;
    SCOPED_TRACE("seed " + std::to_string(seed) + " gc " + std::to_string(gc));
    Editor ed(seed, false);
    std::vector<std::unique_ptr<Doc>> docs;
    make_docs(seed, gc, ed, docs);
    if (HasFatalFailure()) return;
    for (UpdateFormat format : {UpdateFormat::kV1, UpdateFormat::kV2}) {
      auto full = docs[0]->encode_state_as_update({}, format);
      ASSERT_TRUE(full.is_ok());
      const size_t parts = 1 + seed % 7;
      SplitStats stats;
      auto split = split_update(*full, format, parts, &stats);
      ASSERT_TRUE(split.is_ok()) << split.status().message();
      ASSERT_EQ(split->size(), parts);
      EXPECT_GT(stats.clocks, 0u);
      EXPECT_LE(stats.deleted_clocks, stats.clocks);
      Doc in_order(DocOptions{1, "", gc});
      for (const UpdateBytes& part : *split) ASSERT_TRUE(in_order.apply_update(part, format).is_ok());
      EXPECT_FALSE(in_order.has_pending());
      auto again = in_order.encode_state_as_update({}, format);
      ASSERT_TRUE(again.is_ok());
      EXPECT_EQ(*again, *full);
      Doc reversed(DocOptions{1, "", gc});
      for (size_t p = parts; p-- > 0;) ASSERT_TRUE(reversed.apply_update((*split)[p], format).is_ok());
      EXPECT_FALSE(reversed.has_pending());
      EXPECT_EQ(reversed.to_canonical_json(), docs[0]->to_canonical_json());
      EXPECT_EQ(reversed.encode_state_vector(), docs[0]->encode_state_vector());
    }
    EXPECT_FALSE(split_update(UpdateBytes{0, 0}, UpdateFormat::kV1, 0).is_ok());
  }
}

// split_update with stop_if_mostly_visible (what apply_in_parts asks): a
// state whose delete set covers fewer than half its clocks gives no parts,
// with the same counts a whole causal split gives; any other state gives
// the same parts as without the flag.
TEST(LoadEncodeTest, SplitUpdateStopsOnMostlyVisibleStates) {
  int stopped = 0, split = 0;
  for (int s = 0; s < seed_count(); s++) {
    const auto seed = static_cast<uint64_t>(3500 + s);
    SCOPED_TRACE("seed " + std::to_string(seed));
    Editor ed(seed, false);
    std::vector<std::unique_ptr<Doc>> docs;
    make_docs(seed, true, ed, docs);
    if (HasFatalFailure()) return;
    for (bool mostly_deleted : {false, true}) {
      if (mostly_deleted) {
        delete_most_of_text(*docs[0]);
        if (HasFatalFailure()) return;
      }
      for (UpdateFormat format : {UpdateFormat::kV1, UpdateFormat::kV2}) {
        auto full = docs[0]->encode_state_as_update({}, format);
        ASSERT_TRUE(full.is_ok());
        SplitStats whole, asked;
        asked.stop_if_mostly_visible = true;
        auto plain = split_update(*full, format, 3, &whole, SplitOrder::kCausal);
        auto cut = split_update(*full, format, 3, &asked, SplitOrder::kCausal);
        ASSERT_TRUE(plain.is_ok() && cut.is_ok());
        EXPECT_EQ(asked.clocks, whole.clocks);
        EXPECT_EQ(asked.deleted_clocks, whole.deleted_clocks);
        const bool visible = whole.deleted_clocks * 2 < whole.clocks;
        EXPECT_EQ(asked.stopped_mostly_visible, visible);
        if (visible) {
          EXPECT_TRUE(cut->empty());
          stopped++;
        } else {
          EXPECT_EQ(*cut, *plain);
          split++;
        }
      }
    }
  }
  EXPECT_GT(stopped, 0);
  EXPECT_GT(split, 0);
}

// Loading in parts (load_paths.h; the thresholds lowered so that these small
// states take it): the same state back, byte for byte, with tombstones in
// runs; the doc then edits as the whole load's does. A state with a
// malformed part leaves the doc as it was: empty, its declared root usable.
TEST(LoadEncodeTest, LoadInPartsGivesTheWholeLoadsState) {
  const bool list_order = list_order_load_enabled, plan_check = scattered_plan_check_enabled;
  list_order_load_enabled = false;       // the parts themselves (list_order_load_test.cc: the other way)
  scattered_plan_check_enabled = false;  // concurrent edits in 64-byte parts look scattered to it
  const size_t from = load_in_parts_from_bytes, part = load_part_bytes;
  load_in_parts_from_bytes = 64;
  load_part_bytes = 64;
  size_t frozen = 0;
  for (int s = 0; s < seed_count(); s++) {
    const auto seed = static_cast<uint64_t>(4000 + s);
    SCOPED_TRACE("seed " + std::to_string(seed));
    Editor ed(seed, false);
    std::vector<std::unique_ptr<Doc>> docs;
    make_docs(seed, true, ed, docs);
    if (HasFatalFailure()) break;
    // Most of the text deleted, so that the load goes by parts.
    delete_most_of_text(*docs[0]);
    if (HasFatalFailure()) break;
    for (UpdateFormat format : {UpdateFormat::kV1, UpdateFormat::kV2}) {
      auto full = docs[0]->encode_state_as_update({}, format);
      ASSERT_TRUE(full.is_ok());
      Doc parts(DocOptions{1, "", true});
      ASSERT_TRUE(parts.apply_update(*full, format).is_ok());
      frozen += frozen_tombstones(parts);
      load_in_parts_from_bytes = ~size_t{0};
      Doc whole(DocOptions{1, "", true});
      ASSERT_TRUE(whole.apply_update(*full, format).is_ok());
      load_in_parts_from_bytes = 64;
      auto again = parts.encode_state_as_update({}, format);
      ASSERT_TRUE(again.is_ok());
      EXPECT_EQ(*again, *full);
      // The same edits on both.
      Editor e1(seed, false), e2(seed, false);
      for (int k = 0; k < 30; k++) {
        e1.edit(parts);
        e2.edit(whole);
      }
      expect_same_state(parts, whole);
    }
  }
  EXPECT_GT(frozen, 0u);
  // Atomic: a part that fails (the split checks the structure, so that is
  // rare: injected here, after two parts were applied) leaves the doc as it
  // was, empty, its declared root usable; the next load succeeds.
  Doc source(DocOptions{7, "", true});
  TextRef st = source.get_text("t");
  for (int i = 0; i < 300; i++) {  // two clients in turn: 300 items that do not merge
    source.set_client_id(7 + i % 2);
    ASSERT_TRUE(st.insert(st.length(), std::u16string_view(u"ab")).is_ok());
  }
  ASSERT_TRUE(st.remove_range(0, 500).is_ok());
  auto good = source.encode_state_as_update();
  ASSERT_TRUE(good.is_ok());
  Doc target(DocOptions{8, "", true});
  TextRef declared = target.get_text("t");
  load_in_parts_fail_at = 2;
  EXPECT_FALSE(target.apply_update(*good).is_ok());
  load_in_parts_fail_at = ~size_t{0};
  EXPECT_EQ(target.encode_state_vector(), UpdateBytes{0});
  EXPECT_EQ(declared.length(), 0u);
  EXPECT_EQ(target.root_names(), std::vector<std::string>{"t"});
  EXPECT_EQ(target.client_id(), 8u);
  ASSERT_TRUE(target.apply_update(*good).is_ok());
  EXPECT_EQ(declared.to_string(), st.to_string());
  auto reencoded = target.encode_state_as_update();
  ASSERT_TRUE(reencoded.is_ok());
  EXPECT_EQ(*reencoded, *good);
  load_in_parts_from_bytes = from;
  load_part_bytes = part;
  list_order_load_enabled = list_order;
  scattered_plan_check_enabled = plan_check;
}

}  // namespace
}  // namespace weft
