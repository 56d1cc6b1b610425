#include "core/tombstone_runs_test_gen.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include "core/branch.h"
#include "core/item.h"
#include "core/load_paths.h"
#include "core/tombstone_runs.h"

namespace weft::runs_testing {
namespace {

const std::u16string kPieces[] = {u"a",      u"hello ", u"\u4e16\u754c", u"\U0001F600",
                                  u"\u00e9", u"xy",     u"\n",           u"\U0001F44D\U0001F3FD"};

// The text as index space: embeds occupy one unit (U+FFFC) as in Yjs.
std::u16string index_space(const TextRef& t) {
  std::u16string s;
  for (const DeltaOp& op : t.to_delta()) s += op.values.empty() ? op.text : std::u16string(1, u'\uFFFC');
  return s;
}

// Visible indexes where a deleted stretch of `b`'s list begins or ends (all
// the deleted items between two visible ones sit at one visible index).
std::vector<uint64_t> hot_indexes(const Branch* b) {
  std::vector<uint64_t> out;
  uint64_t index = 0;
  bool prev_deleted = false;
  for (const Item* it = b->start; it != nullptr; it = it->right) {
    if (it->deleted != prev_deleted) out.push_back(index);
    if (it->visible()) index += it->length;
    prev_deleted = it->deleted;
  }
  if (prev_deleted) out.push_back(index);
  return out;
}

struct PathStep {
  bool is_key = false;
  std::string key;
  uint64_t index = 0;
};
using Path = std::vector<PathStep>;

Branch* root_branch(Doc& d, int root) {
  switch (root) {
    case 0:
      return d.get_text("t").branch();
    case 1:
      return d.get_array("a").branch();
    case 2:
      return d.get_map("m").branch();
    default:
      return d.get_xml_fragment("x").branch();
  }
}

// The nested type at `path` below root `root`, or null when gone.
Branch* resolve(Doc& d, int root, const Path& path) {
  Branch* b = root_branch(d, root);
  for (const PathStep& s : path) {
    std::optional<Value> v;
    if (s.is_key) {
      v = MapRef(b).get(s.key);
    } else if (b->effective_kind() == TypeRef::kArray) {
      v = ArrayRef(b).get(s.index);
    } else {
      v = XmlFragmentRef(b).get(s.index);
    }
    if (!v || !v->is_type()) return nullptr;
    b = v->type();
  }
  return b;
}

std::string path_string(int root, const Path& path) {
  std::string s = std::string(1, "tamx"[root]);
  for (const PathStep& p : path) s += p.is_key ? "." + p.key : "[" + std::to_string(p.index) + "]";
  return s;
}

// Fills a new text: pieces inserted at 0 in turn (separate items: they never
// merge), then [del_from, del_from + del_len) removed, leaving a stretch of
// deleted items inside.
void fill_text(TextRef t, const std::vector<std::u16string>& pieces, uint64_t del_from, uint64_t del_len) {
  for (const auto& p : pieces) EXPECT_TRUE(t.insert(0, std::u16string_view(p)));
  if (del_len > 0) {
    EXPECT_TRUE(t.remove_range(del_from, del_len));
  }
}

constexpr uint64_t kHistoryClients[3] = {11, 300, 70000};

void apply_both(Session& s, const UpdateBytes& u, UpdateFormat f = UpdateFormat::kV1) {
  {
    const Scoped<bool> hook(freeze_runs_after_transactions, s.freeze_after);
    EXPECT_TRUE(s.a.doc->apply_update(u, f));
  }
  EXPECT_TRUE(s.b.doc->apply_update(u, f));
}

// A peer loads an older state (where much of what A and B deleted since is
// alive), edits it, and its updates reach A and B shuffled (some wait as
// pending), merged, or as v2. The peer itself is a pair too: one loaded on
// the fast paths (may freeze), one on the general path; they must agree.
std::string stale_peer(Session& s) {
  const size_t which = s.g.pick(s.old_states.size());
  const UpdateBytes& old = s.old_states[which];
  const uint64_t id = s.next_client++;
  Twin ca(std::make_unique<Doc>(DocOptions{id, "", s.gc}), false);
  Twin cb(std::make_unique<Doc>(DocOptions{id, "", s.gc}), false);
  EXPECT_TRUE(ca.doc->apply_update(old));
  load_fast_paths_enabled = false;
  EXPECT_TRUE(cb.doc->apply_update(old));
  load_fast_paths_enabled = true;
  ca.clear_logs();
  cb.clear_logs();
  std::string what = "stale peer " + std::to_string(id) + " from old state " + std::to_string(which) + ":";
  for (uint64_t k = 0, n = 1 + s.g.pick(5); k < n; k++) {
    Op op = s.g.edit(*cb.doc, 25);
    what += " [" + op.what + "]";
    op.apply(*ca.doc);
    op.apply(*cb.doc);
  }
  EXPECT_EQ(ca.v1, cb.v1) << "stale peer's own updates differ (fast vs general load): " << what;
  EXPECT_EQ(state_of(*ca.doc), state_of(*cb.doc)) << "stale peer's states differ: " << what;
  std::vector<UpdateBytes> updates = cb.v1;
  if (updates.empty()) return what + " (no update)";
  switch (s.g.pick(3)) {
    case 0: {
      std::shuffle(updates.begin(), updates.end(), s.g.rng());
      what += " delivered shuffled";
      for (const UpdateBytes& u : updates) apply_both(s, u);
      break;
    }
    case 1: {
      std::vector<std::span<const uint8_t>> spans(updates.begin(), updates.end());
      auto merged = merge_updates(spans, UpdateFormat::kV1);
      EXPECT_TRUE(merged);
      what += " delivered merged";
      if (merged) apply_both(s, *merged);
      break;
    }
    default: {
      std::vector<UpdateBytes> v2 = cb.v2;
      std::reverse(v2.begin(), v2.end());
      what += " delivered as v2, reversed";
      for (const UpdateBytes& u : v2) apply_both(s, u, UpdateFormat::kV2);
    }
  }
  return what;
}

// A concurrent peer edits (after pulling from B now and then) and sends its diff.
std::string side_peer(Session& s) {
  const size_t which = s.g.pick(s.side.size());
  Doc& p = *s.side[which];
  std::string what = "side peer " + std::to_string(which) + ":";
  if (s.g.chance(40)) {
    EXPECT_TRUE(p.apply_update(state_of(*s.b.doc, p.encode_state_vector())));
    what += " pulled;";
  }
  for (uint64_t k = 0, n = 1 + s.g.pick(4); k < n; k++) {
    Op op = s.g.edit(p, 40);
    what += " [" + op.what + "]";
    op.apply(p);
  }
  if (s.g.chance(30)) {
    what += " sent v2 diff";
    apply_both(s, state_of(p, s.b.doc->encode_state_vector(), UpdateFormat::kV2), UpdateFormat::kV2);
  } else {
    what += " sent v1 diff";
    apply_both(s, state_of(p, s.b.doc->encode_state_vector()));
  }
  return what;
}

// Delete sets over frozen ranges: states applied again.
std::string resync(Session& s) {
  switch (s.g.pick(4)) {
    case 0:
      apply_both(s, state_of(*s.b.doc));
      return "own full state applied again";
    case 1:
      apply_both(s, state_of(*s.b.doc, {}, UpdateFormat::kV2), UpdateFormat::kV2);
      return "own full v2 state applied again";
    case 2: {
      const size_t which = s.g.pick(s.old_states.size());
      apply_both(s, s.old_states[which]);
      return "old state " + std::to_string(which) + " applied again";
    }
    default: {
      const size_t which = s.g.pick(s.old_svs.size());
      apply_both(s, state_of(*s.b.doc, s.old_svs[which]));
      return "own diff since old state " + std::to_string(which) + " applied again";
    }
  }
}

void save_state(Session& s) {
  s.old_states.push_back(state_of(*s.b.doc));
  s.old_svs.push_back(s.b.doc->encode_state_vector());
}

}  // namespace

uint64_t unit_boundary(const std::u16string& s, uint64_t i) {
  i = std::min<uint64_t>(i, s.size());
  while (i > 0 && i < s.size() && s[i] >= 0xDC00 && s[i] <= 0xDFFF) i--;
  return i;
}

Op Gen::edit(Doc& ref, int del) {
  const uint64_t r = pick(100);
  const int root = r < 40 ? 0 : r < 70 ? 1 : r < 82 ? 2 : 3;
  Path path;
  Branch* b = root_branch(ref, root);
  while (chance(45)) {
    std::vector<PathStep> children;
    const TypeRef kind = b->effective_kind();
    if (kind == TypeRef::kArray) {
      auto values = ArrayRef(b).values();
      for (uint64_t i = 0; i < values.size(); i++) {
        if (values[i].is_type()) children.push_back({false, "", i});
      }
    } else if (kind == TypeRef::kMap) {
      MapRef m(b);
      for (const std::string& k : m.keys()) {
        auto v = m.get(k);
        if (v && v->is_type()) children.push_back({true, k, 0});
      }
    } else if (kind == TypeRef::kXmlFragment || kind == TypeRef::kXmlElement) {
      XmlFragmentRef x(b);
      for (uint64_t i = 0; i < x.length(); i++) children.push_back({false, "", i});
    }
    if (children.empty()) break;
    path.push_back(children[pick(children.size())]);
    b = resolve(ref, root, path);
    if (b == nullptr) return {"nothing", [](Doc&) {}};
  }
  std::string what;
  TypeOp fn;
  switch (b->effective_kind()) {
    case TypeRef::kText:
    case TypeRef::kXmlText:
      text_op(b, del, what, fn);
      break;
    case TypeRef::kArray:
      array_op(b, del, what, fn);
      break;
    case TypeRef::kMap:
      map_op(del, what, fn);
      break;
    default:
      xml_op(b, del, what, fn);
  }
  return {path_string(root, path) + " " + what, [root, path, fn](Doc& d) {
            Branch* target = resolve(d, root, path);
            ASSERT_NE(target, nullptr);
            fn(target);
          }};
}

Op Gen::remove_nested(Doc& ref) {
  std::vector<Op> ops;
  auto values = ref.get_array("a").values();
  for (uint64_t i = 0; i < values.size(); i++) {
    if (values[i].is_type()) {
      ops.push_back({"a remove nested [" + std::to_string(i) + "]",
                     [i](Doc& d) { EXPECT_TRUE(d.get_array("a").remove_range(i, 1)); }});
    }
  }
  MapRef m = ref.get_map("m");
  for (const std::string& k : m.keys()) {
    auto v = m.get(k);
    if (v && v->is_type())
      ops.push_back({"m remove nested ." + k, [k](Doc& d) { d.get_map("m").remove(k); }});
  }
  for (uint64_t i = 0, n = ref.get_xml_fragment("x").length(); i < n; i++) {
    ops.push_back({"x remove node [" + std::to_string(i) + "]",
                   [i](Doc& d) { EXPECT_TRUE(d.get_xml_fragment("x").remove_range(i, 1)); }});
  }
  if (ops.empty()) return {"nothing", [](Doc&) {}};
  return ops[pick(ops.size())];
}

uint64_t Gen::index_near(const Branch* b, uint64_t len) {
  auto hot = hot_indexes(b);
  if (hot.empty() || chance(30)) return pick(len + 1);
  const int64_t i = static_cast<int64_t>(hot[pick(hot.size())]) + static_cast<int64_t>(pick(3)) - 1;
  return static_cast<uint64_t>(std::clamp<int64_t>(i, 0, static_cast<int64_t>(len)));
}

std::optional<Attributes> Gen::attrs() {
  if (!formatting_) return std::nullopt;
  switch (pick(5)) {
    case 0:
      return Attributes{{"bold", Any(true)}};
    case 1:
      return Attributes{{"italic", Any(true)}, {"color", Any("#f00")}};
    case 2:
      return Attributes{{"bold", Any::null()}};
    default:
      return std::nullopt;
  }
}

void Gen::filling(std::vector<std::u16string>& pieces, uint64_t& del_from, uint64_t& del_len) {
  std::u16string s;
  for (uint64_t k = 0, n = 1 + pick(6); k < n; k++) {
    pieces.push_back(kPieces[pick(std::size(kPieces))]);
    s = pieces.back() + s;
  }
  del_from = del_len = 0;
  if (s.size() > 2 && chance(60)) {
    del_from = unit_boundary(s, 1 + pick(s.size() - 2));
    const uint64_t end = unit_boundary(s, del_from + 1 + pick(s.size() - del_from));
    if (end > del_from) del_len = end - del_from;
  }
}

std::pair<uint64_t, uint64_t> Gen::unit_range(const std::u16string& s, uint64_t at, uint64_t max_len) {
  if (s.empty()) return {0, 0};
  const uint64_t from = at < s.size() ? at : unit_boundary(s, pick(s.size()));
  uint64_t end = unit_boundary(s, from + 1 + pick(max_len));
  if (end <= from) end = unit_boundary(s, from + 2);
  return {from, std::max(from, end)};
}

void Gen::text_op(Branch* b, int del, std::string& what, TypeOp& fn) {
  const std::u16string s = index_space(TextRef(b));
  const uint64_t at = unit_boundary(s, index_near(b, s.size()));
  const uint64_t r = pick(100);
  const auto ins = static_cast<uint64_t>(45 - del * 35 / 100);
  const auto rem = ins + static_cast<uint64_t>(30 + del * 35 / 100);
  if (s.empty() || r < ins) {
    const std::u16string piece = kPieces[pick(std::size(kPieces))];
    auto a = attrs();
    what = "text insert at " + std::to_string(at) + (a ? " with attributes" : "");
    fn = [at, piece, a](Branch* t) { EXPECT_TRUE(TextRef(t).insert(at, std::u16string_view(piece), a)); };
  } else if (r < rem + 12) {
    // (Not a structured binding: clang 14 cannot capture one.)
    const std::pair<uint64_t, uint64_t> range = unit_range(s, at, del > 50 ? 40 : 8);
    const uint64_t from = range.first, end = range.second;
    if (end == from) return text_op(b, 0, what, fn);
    if (r < rem || !formatting_) {
      what = "text remove " + std::to_string(from) + ".." + std::to_string(end);
      fn = [from, end](Branch* t) { EXPECT_TRUE(TextRef(t).remove_range(from, end - from)); };
    } else {
      Attributes a = {{pick(2) ? "italic" : "bold", pick(3) ? Any(true) : Any::null()}};
      what = "text format " + std::to_string(from) + ".." + std::to_string(end);
      fn = [from, end, a](Branch* t) { EXPECT_TRUE(TextRef(t).format(from, end - from, a)); };
    }
  } else {
    const auto n = static_cast<int>(pick(9));
    what = "text embed at " + std::to_string(at);
    fn = [at, n](Branch* t) { EXPECT_TRUE(TextRef(t).insert_embed(at, Any::object({{"img", Any(n)}}))); };
  }
}

void Gen::array_op(Branch* b, int del, std::string& what, TypeOp& fn) {
  const uint64_t len = ArrayRef(b).length();
  const uint64_t at = index_near(b, len);
  const uint64_t r = pick(100);
  if (len > 0 && r < static_cast<uint64_t>(30 + del * 40 / 100)) {
    const uint64_t from = std::min(at, len - 1);
    const uint64_t n = std::min<uint64_t>(len - from, 1 + pick(del > 50 ? 12 : 3));
    what = "array remove " + std::to_string(from) + "+" + std::to_string(n);
    fn = [from, n](Branch* a) { EXPECT_TRUE(ArrayRef(a).remove_range(from, n)); };
    return;
  }
  std::vector<std::u16string> pieces;
  uint64_t del_from = 0, del_len = 0;
  switch (pick(6)) {
    case 0:
    case 1: {
      std::vector<Any> values;
      for (uint64_t k = 0, n = 1 + pick(3); k < n; k++) {
        const uint64_t v = pick(3);
        values.push_back(v == 0 ? Any(static_cast<double>(pick(100))) : v == 1 ? Any("s") : Any(Bytes{1, 2}));
      }
      what = "array insert values at " + std::to_string(at);
      fn = [at, values](Branch* a) { EXPECT_TRUE(ArrayRef(a).insert(at, values)); };
      return;
    }
    case 2:
      filling(pieces, del_from, del_len);
      what = "array insert text at " + std::to_string(at);
      fn = [=](Branch* a) {
        auto t = ArrayRef(a).insert_text(at);
        ASSERT_TRUE(t);
        fill_text(*t, pieces, del_from, del_len);
      };
      return;
    case 3:
      filling(pieces, del_from, del_len);
      what = "array insert map at " + std::to_string(at);
      fn = [=](Branch* a) {
        auto m = ArrayRef(a).insert_map(at);
        ASSERT_TRUE(m);
        m->set("k", Any(1));
        fill_text(m->set_text("s"), pieces, del_from, del_len);
      };
      return;
    default:
      what = "array insert array at " + std::to_string(at);
      fn = [at](Branch* a) {
        auto inner = ArrayRef(a).insert_array(at);
        ASSERT_TRUE(inner);
        EXPECT_TRUE(inner->insert(0, {Any(1), Any(2)}));
        EXPECT_TRUE(inner->insert(0, {Any(3)}));
        EXPECT_TRUE(inner->insert(3, {Any("z")}));
        EXPECT_TRUE(inner->remove_range(1, 2));
      };
  }
}

void Gen::map_op(int del, std::string& what, TypeOp& fn) {
  const std::string key = "k" + std::to_string(pick(4));
  const uint64_t r = pick(100);
  std::vector<std::u16string> pieces;
  uint64_t del_from = 0, del_len = 0;
  if (r < static_cast<uint64_t>(20 + del / 4)) {
    what = "map remove " + key;
    fn = [key](Branch* m) { MapRef(m).remove(key); };
  } else if (r < 50) {
    const auto v = static_cast<int>(pick(1000));
    what = "map set " + key;
    fn = [key, v](Branch* m) { MapRef(m).set(key, Any(v)); };
  } else if (r < 75) {
    filling(pieces, del_from, del_len);
    what = "map set text " + key;
    fn = [=](Branch* m) { fill_text(MapRef(m).set_text(key), pieces, del_from, del_len); };
  } else if (r < 88) {
    what = "map set array " + key;
    fn = [key](Branch* m) {
      ArrayRef a = MapRef(m).set_array(key);
      EXPECT_TRUE(a.insert(0, {Any(1)}));
      EXPECT_TRUE(a.insert(0, {Any(2)}));
      EXPECT_TRUE(a.insert(0, {Any(3)}));
      EXPECT_TRUE(a.remove_range(1, 1));
    };
  } else {
    what = "map set map " + key;
    fn = [key](Branch* m) { MapRef(m).set_map(key).set("inner", Any("v")); };
  }
}

void Gen::xml_op(Branch* b, int del, std::string& what, TypeOp& fn) {
  const uint64_t len = XmlFragmentRef(b).length();
  const uint64_t at = index_near(b, len);
  const uint64_t r = pick(100);
  std::vector<std::u16string> pieces;
  uint64_t del_from = 0, del_len = 0;
  filling(pieces, del_from, del_len);
  if (len > 0 && r < static_cast<uint64_t>(25 + del * 30 / 100)) {
    const uint64_t from = std::min(at, len - 1);
    const uint64_t n = std::min<uint64_t>(len - from, 1 + pick(2));
    what = "xml remove " + std::to_string(from) + "+" + std::to_string(n);
    fn = [from, n](Branch* x) { EXPECT_TRUE(XmlFragmentRef(x).remove_range(from, n)); };
  } else if (b->effective_kind() == TypeRef::kXmlElement && r < 45) {
    const auto v = static_cast<int>(pick(9));
    what = "xml set attribute";
    fn = [v](Branch* x) { XmlElementRef(x).set_attribute("id", Any(v)); };
  } else if (r < 85) {
    what = "xml insert element at " + std::to_string(at);
    fn = [=](Branch* x) {
      auto el = XmlFragmentRef(x).insert_element(at, "p");
      ASSERT_TRUE(el);
      el->set_attribute("id", Any(1));
      auto t = el->insert_text(0);
      ASSERT_TRUE(t);
      fill_text(*t, pieces, del_from, del_len);
    };
  } else {
    what = "xml insert text at " + std::to_string(at);
    fn = [=](Branch* x) {
      auto t = XmlFragmentRef(x).insert_text(at);
      ASSERT_TRUE(t);
      fill_text(*t, pieces, del_from, del_len);
    };
  }
}

void build_history(uint64_t seed, bool gc, History& h, bool formatting) {
  Gen g(seed * 7919 + 17, formatting);
  for (uint64_t c : kHistoryClients) h.peers.push_back(std::make_unique<Doc>(DocOptions{c, "", gc}));
  const uint64_t rounds = 5 + g.pick(4);
  for (uint64_t round = 0; round < rounds; round++) {
    for (auto& p : h.peers) {
      if (round == 0) {
        ASSERT_TRUE(p->get_text("t").insert(0, "0"));
      }
      for (uint64_t k = 0, n = 4 + g.pick(16); k < n; k++) {
        Op op = g.edit(*p, round < 2 ? 10 : 50);
        op.apply(*p);
        if (testing::Test::HasFatalFailure()) return;
      }
    }
    h.old_states.push_back(state_of(*h.peers[0]));
    for (size_t i = 0; i < h.peers.size(); i++) {
      for (size_t j = 0; j < h.peers.size(); j++) {
        if (i == j || g.pick(4) == 0) continue;
        ASSERT_TRUE(h.peers[j]->apply_update(state_of(*h.peers[i], h.peers[j]->encode_state_vector())));
      }
    }
  }
  h.old_states.push_back(state_of(*h.peers[0]));
  for (uint64_t k = 0, n = 10 + g.pick(20); k < n; k++) {
    Op op = g.edit(*h.peers[0], 100);
    op.apply(*h.peers[0]);
    if (testing::Test::HasFatalFailure()) return;
  }
}

void add_old_state_vectors(Session& s) {
  for (const UpdateBytes& st : s.old_states) {
    auto sv = encode_state_vector_from_update(st, UpdateFormat::kV1);
    EXPECT_TRUE(sv);
    if (sv) s.old_svs.push_back(*sv);
  }
}

bool run_steps(Session& s, int steps) {
  for (int step = 0; step < steps; step++) {
    const int failed_before = failures();
    const uint64_t r = s.g.pick(100);
    std::string what;
    Op local;
    bool in_txn = false;
    if (r < 45) {
      local = s.g.edit(*s.b.doc, 35);
      in_txn = s.g.chance(20);
    } else if (r < 52) {
      local = s.g.remove_nested(*s.b.doc);
    }
    {
      // The trace shows the operation only once known; keep the step number first.
      if (local.apply) what = "local " + local.what + (in_txn ? " (in transact)" : "");
      SCOPED_TRACE("step " + std::to_string(step) + ": " + (what.empty() ? "see below" : what));
      if (local.apply) {
        for (Twin* t : {&s.a, &s.b}) {
          const Scoped<bool> hook(freeze_runs_after_transactions, t == &s.a && s.freeze_after);
          if (in_txn) {
            t->doc->transact([&](Transaction&) { local.apply(*t->doc); });
          } else {
            local.apply(*t->doc);
          }
        }
      } else if (r < 68) {
        what = stale_peer(s);
      } else if (r < 78 && !s.side.empty()) {
        what = side_peer(s);
      } else if (r < 86) {
        what = resync(s);
      } else if (r < 94) {
        const size_t n = freeze(*s.a.doc);
        what = "freeze: " + std::to_string(n);
        EXPECT_LE(n, freezable_bounds(*s.b.doc).upper) << "froze more than the freezable stretches hold";
        if (s.g.chance(30)) {
          EXPECT_EQ(freeze_tombstone_runs(*s.a.doc), 0u) << "a second freeze found more";
          EXPECT_EQ(frozen_tombstones(*s.a.doc), n) << "a second freeze changed the count";
        }
      } else {
        save_state(s);
        what = "state saved";
      }
      SCOPED_TRACE(what);
      expect_same(s.a, s.b, s.old_svs);
    }
    if (failures() != failed_before) {
      ADD_FAILURE() << "first difference after step " << step << ": " << what;
      return false;
    }
  }
  return true;
}

}  // namespace weft::runs_testing
