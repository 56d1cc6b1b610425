#include "core/tombstone_runs_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <utility>
#include <variant>

#include "core/branch.h"
#include "core/item.h"
#include "core/struct_store.h"
#include "core/tombstone_runs.h"
#include "core/values.h"
#include "encoding/wire.h"

namespace weft::runs_testing {
namespace {

// WEFT_TEST_FREEZE_RUNS=1 (see the header).
const bool kFreezeEverywhere = [] {
  if (env_count("WEFT_TEST_FREEZE_RUNS", 0) != 0) freeze_runs_after_transactions = true;
  return freeze_runs_after_transactions;
}();

// Rendering what observers see (pointers differ between documents).

std::string render_value(const Value& v) {
  if (v.is_any()) return canonical_json(v.any());
  if (v.is_type()) return "type" + std::to_string(static_cast<int>(v.type_kind()));
  return "doc:" + v.doc().guid;
}

std::string render_delta(const Delta& delta) {
  std::string s;
  for (const DeltaOp& op : delta) {
    s += std::to_string(static_cast<int>(op.kind)) + ":";
    for (char16_t ch : op.text) s += std::to_string(static_cast<unsigned>(ch)) + ".";
    for (const Value& v : op.values) s += render_value(v) + "|";
    s += "#" + std::to_string(op.count);
    if (op.has_attributes) {
      s += "{";
      for (const auto& [k, a] : op.attributes) s += k + "=" + canonical_json(a) + ",";
      s += "}";
    }
    s += ';';
  }
  return s;
}

// A type and everything below it as read through the public API: lengths,
// text deltas (formatting included), values, XML strings.
std::string render_tree(Branch* b) {
  switch (b->effective_kind()) {
    case TypeRef::kText:
      return "text" + std::to_string(TextRef(b).length()) + "(" + render_delta(TextRef(b).to_delta()) + ")";
    case TypeRef::kXmlText:
      return "xmltext(" + render_delta(TextRef(b).to_delta()) + ")";
    case TypeRef::kArray: {
      std::string s = "array" + std::to_string(ArrayRef(b).length()) + "[";
      for (const Value& v : ArrayRef(b).values())
        s += (v.is_type() ? render_tree(v.type()) : render_value(v)) + ",";
      return s + "]";
    }
    case TypeRef::kMap: {
      std::string s = "map{";
      for (const std::string& k : MapRef(b).keys()) {
        auto v = MapRef(b).get(k);
        s += k + ":" + (v->is_type() ? render_tree(v->type()) : render_value(*v)) + ",";
      }
      return s + "}";
    }
    default: {
      XmlFragmentRef x(b);
      std::string s = "xml" + std::to_string(x.length()) + "<" + x.to_string() + ">[";
      for (uint64_t i = 0; i < x.length(); i++) {
        auto v = x.get(i);
        s += v && v->is_type() ? render_tree(v->type()) : "?";
      }
      return s + "]";
    }
  }
}

std::string render_doc(Doc& d) {
  return render_tree(d.get_text("t").branch()) + render_tree(d.get_array("a").branch()) +
         render_tree(d.get_map("m").branch()) + render_tree(d.get_xml_fragment("x").branch());
}

std::string render_event(const Event& e) {
  std::string s = "path[";
  for (const auto& p : e.path) {
    s += p.index() == 0 ? std::get<0>(p) : std::to_string(std::get<1>(p));
    s += ',';
  }
  s += "] keys{";
  for (const auto& [k, c] : e.keys) {
    s += k + ":" + std::to_string(static_cast<int>(c.action));
    if (c.old_value) s += "=" + render_value(*c.old_value);
    s += ';';
  }
  return s + "} delta[" + render_delta(e.delta) + "]";
}

// Every list of `d`: its roots, then the types its items hold.
std::vector<const Branch*> all_lists(const Doc& d) {
  std::vector<const Branch*> lists;
  for (const std::string& name : d.root_names()) lists.push_back(d.root(name));
  for (const auto& [client, blocks] : d.store().clients()) {
    for (size_t i = 0; i < blocks.size(); i++) {
      const Item* it = blocks[i];
      if (!it->is_gc && it->type() != nullptr) lists.push_back(it->type());
    }
  }
  return lists;
}

}  // namespace

uint64_t env_count(const char* name, uint64_t fallback) {
  const char* env = std::getenv(name);
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

Twin::Twin(std::unique_ptr<Doc> d, bool observe) : doc(std::move(d)) {
  doc->on_update([this](const UpdateBytes& u, const Transaction&) { v1.push_back(u); });
  doc->on_update_v2([this](const UpdateBytes& u, const Transaction&) { v2.push_back(u); });
  if (!observe) return;
  // One log: the deep observers of the roots are called in the order an
  // event first reached each (yjs changedParentTypes), the same in both.
  auto record = [this](const char* root) {
    return [this, root](const std::vector<const Event*>& events, Transaction&) {
      for (const Event* e : events) this->events.push_back(std::string(root) + ": " + render_event(*e));
    };
  };
  doc->get_text("t").observe_deep(record("t"));
  doc->get_array("a").observe_deep(record("a"));
  doc->get_map("m").observe_deep(record("m"));
  doc->get_xml_fragment("x").observe_deep(record("x"));
}

UpdateBytes state_of(const Doc& d, std::span<const uint8_t> sv, UpdateFormat f) {
  auto r = d.encode_state_as_update(sv, f);
  EXPECT_TRUE(r.is_ok());
  return r.is_ok() ? std::move(*r) : UpdateBytes{};
}

std::string describe_difference(const UpdateBytes& x, const UpdateBytes& y, const char* x_name,
                                const char* y_name) {
  auto dx = describe_update(x, UpdateFormat::kV1);
  auto dy = describe_update(y, UpdateFormat::kV1);
  if (!dx || !dy) return "(undescribable)";
  auto lines = [](const std::string& t) {
    std::vector<std::string> out;
    size_t at = 0;
    while (at <= t.size()) {
      const size_t nl = std::min(t.find('\n', at), t.size());
      out.push_back(t.substr(at, nl - at));
      at = nl + 1;
    }
    return out;
  };
  const auto lx = lines(*dx), ly = lines(*dy);
  size_t first = 1;  // line 0 is the struct count
  while (first < lx.size() && first < ly.size() && lx[first] == ly[first]) first++;
  std::string out = "\n " + std::string(x_name) + ": " + lx[0] + ", " + y_name + ": " + ly[0] +
                    "; first difference at line " + std::to_string(first) + "\n " + x_name + ":\n";
  const size_t from = first > 2 ? first - 2 : 0;
  for (size_t i = from; i < std::min(lx.size(), first + 4); i++) out += "   " + lx[i] + "\n";
  out += " " + std::string(y_name) + ":\n";
  for (size_t i = from; i < std::min(ly.size(), first + 4); i++) out += "   " + ly[i] + "\n";
  return out;
}

void expect_same(Twin& a, Twin& b, const std::vector<UpdateBytes>& old_svs) {
  const UpdateBytes sa = state_of(*a.doc), sb = state_of(*b.doc);
  EXPECT_TRUE(sa == sb) << "v1 states differ" << describe_difference(sa, sb);
  EXPECT_EQ(state_of(*a.doc, {}, UpdateFormat::kV2), state_of(*b.doc, {}, UpdateFormat::kV2)) << "v2 state";
  EXPECT_EQ(a.doc->encode_state_vector(), b.doc->encode_state_vector()) << "state vector";
  EXPECT_EQ(a.doc->to_canonical_json(kTypes), b.doc->to_canonical_json(kTypes)) << "json";
  EXPECT_EQ(render_doc(*a.doc), render_doc(*b.doc)) << "read through the API (deltas, lengths, xml)";
  EXPECT_EQ(a.doc->has_pending(), b.doc->has_pending()) << "pending";
  EXPECT_EQ(a.v1, b.v1) << "emitted v1 updates"
                        << (a.v1.size() == 1 && b.v1.size() == 1 ? describe_difference(a.v1[0], b.v1[0])
                                                                 : "");
  EXPECT_EQ(a.v2, b.v2) << "emitted v2 updates";
  EXPECT_EQ(a.events, b.events) << "observed events";
  // The last few older state vectors, and the empty one's diff equals the state.
  const size_t from = old_svs.size() > 3 ? old_svs.size() - 3 : 0;
  for (size_t i = from; i < old_svs.size(); i++) {
    EXPECT_EQ(state_of(*a.doc, old_svs[i]), state_of(*b.doc, old_svs[i])) << "v1 diff vs old sv " << i;
    EXPECT_EQ(state_of(*a.doc, old_svs[i], UpdateFormat::kV2),
              state_of(*b.doc, old_svs[i], UpdateFormat::kV2))
        << "v2 diff vs old sv " << i;
  }
  // Diffs from vectors cutting every client's range at a third and at two
  // thirds (the first block, perhaps a member, written from an offset).
  auto sv = decode_state_vector(b.doc->encode_state_vector());
  ASSERT_TRUE(sv);
  for (const uint64_t part : {1, 2}) {
    StateVector cut = *sv;
    for (auto& [client, clock] : cut) clock = clock * part / 3;
    const UpdateBytes cut_sv = encode_state_vector(cut);
    EXPECT_EQ(state_of(*a.doc, cut_sv), state_of(*b.doc, cut_sv)) << "v1 diff vs cut sv " << part << "/3";
    EXPECT_EQ(state_of(*a.doc, cut_sv, UpdateFormat::kV2), state_of(*b.doc, cut_sv, UpdateFormat::kV2))
        << "v2 diff vs cut sv " << part << "/3";
  }
  a.clear_logs();
  b.clear_logs();
}

void check_runs(const Doc& d) {
  size_t member_slots = 0;
  std::set<const Item*> runs;
  std::map<std::pair<uint64_t, uint64_t>, RunMember> viewed;  // members as the RunReader showed them
  const StructStore& store = d.store();
  for (const auto& [client, blocks] : store.clients()) {
    RunReader reader;
    for (size_t i = 0; i < blocks.size(); i++) {
      const Item* raw = blocks[i];
      const uint64_t clock = blocks.clock_at(i);
      const Item& v = reader.at(blocks, i, client);
      ASSERT_EQ(v.id, (ID{client, clock})) << "client " << client << " block " << i;
      const uint64_t end = i + 1 < blocks.size() ? blocks.clock_at(i + 1) : store.state(client);
      ASSERT_EQ(clock + v.length, end) << "client " << client << " block " << i;
      if (raw->id.client != kRunClient) {
        EXPECT_EQ(raw->id, (ID{client, clock})) << "client " << client << " block " << i;
        continue;
      }
      member_slots++;
      runs.insert(raw);
      viewed[{client, clock}] = {v.id, v.length, v.origin, v.right_origin};
      EXPECT_TRUE(v.deleted) << "member " << client << ":" << clock;
      EXPECT_FALSE(v.is_gc) << "member " << client << ":" << clock;
      EXPECT_EQ(v.parent, raw->parent) << "member " << client << ":" << clock;
      EXPECT_NE(i + 1, blocks.size()) << "member " << client << ":" << clock << " is its client's last block";
    }
  }
  size_t members = 0;
  std::vector<RunMember> m;
  for (const Item* r : runs) {
    EXPECT_EQ(r->id, (ID{kRunClient, 0}));
    EXPECT_EQ(r->length, 0u);
    EXPECT_TRUE(r->deleted && !r->countable && r->keep && !r->is_gc) << "a run's poison fields";
    decode_run(*r, m);
    EXPECT_GE(m.size(), 2u);
    EXPECT_LE(m.size(), kMaxRunMembers);
    for (const RunMember& x : m) {
      EXPECT_NE(x.id.clock + x.length, store.state(x.id.client)) << "member at its client's end";
      auto it = viewed.find({x.id.client, x.id.clock});
      if (it == viewed.end()) {
        ADD_FAILURE() << "member " << x.id.client << ":" << x.id.clock << " has no slot pointing at its run";
        continue;
      }
      EXPECT_EQ(it->second.length, x.length) << "the RunReader's view of a member differs from decode_run";
      EXPECT_EQ(it->second.origin, x.origin) << "the RunReader's view of a member differs from decode_run";
      EXPECT_EQ(it->second.right_origin, x.right_origin)
          << "the RunReader's view of a member differs from decode_run";
    }
    members += m.size();
  }
  EXPECT_EQ(members, member_slots);
  EXPECT_EQ(frozen_tombstones(d), members);
  // Every list walks to its end (no cycle) and its visible units add up to its length.
  const std::vector<const Branch*> lists = all_lists(d);
  for (const Branch* list : lists) {
    uint64_t visible = 0;
    size_t steps = 0;
    for (const Item* it = list->start; it != nullptr && steps < 100000000; it = it->right, steps++) {
      if (it->visible()) visible += it->length;
    }
    EXPECT_LT(steps, 100000000u) << "a list does not end";
    EXPECT_EQ(visible, list->length) << "a list's visible units differ from its length";
  }
}

Bounds freezable_bounds(const Doc& ref) {
  const StructStore& store = ref.store();
  const std::vector<const Branch*> lists = all_lists(ref);
  auto freezable = [&](const Item* it, bool with_types) {
    return it->deleted && !it->is_gc && !it->keep && it->parent_sub() == nullptr &&
           (with_types || it->type() == nullptr) && std::holds_alternative<ContentDeleted>(it->content) &&
           it->id.clock + it->length != store.state(it->id.client);
  };
  Bounds b;
  for (const bool with_types : {true, false}) {
    for (const Branch* list : lists) {
      size_t run = 0;
      auto close = [&] {
        if (run >= 2) {
          if (with_types) {
            b.upper += run;
          } else {
            b.lower += run - (run > kMaxRunMembers ? 1 : 0);
          }
        }
        run = 0;
      };
      for (const Item* it = list->start; it != nullptr; it = it->right) {
        if (freezable(it, with_types)) {
          run++;
        } else {
          close();
        }
      }
      close();
    }
  }
  return b;
}

size_t freeze(Doc& a) {
  const size_t before = frozen_tombstones(a);
  const size_t n = freeze_tombstone_runs(a);
  EXPECT_EQ(frozen_tombstones(a), before + n) << "freeze_tombstone_runs' count";
  check_runs(a);
  return frozen_tombstones(a);
}

void thaw_all(Doc& d) {
  std::set<Item*> runs;
  for (const auto& [client, blocks] : d.store().clients()) {
    for (size_t i = 0; i < blocks.size(); i++) {
      Item* raw = blocks[i];
      if (raw->id.client == kRunClient) runs.insert(raw);
    }
  }
  std::vector<RunMember> m;
  for (Item* r : runs) {
    decode_run(*r, m);
    const ThawedRun t = thaw_run(d.store(), r);  // frees r
    ASSERT_TRUE(t.first != nullptr && t.last != nullptr);
    ASSERT_FALSE(m.empty());
    // The members, linked first to last in their list, with their fields.
    size_t k = 0;
    for (const Item* it = t.first; k < m.size(); it = it->right, k++) {
      ASSERT_NE(it, nullptr);
      EXPECT_EQ(it->id, m[k].id);
      EXPECT_EQ(it->length, m[k].length);
      EXPECT_EQ(it->origin, m[k].origin);
      EXPECT_EQ(it->right_origin, m[k].right_origin);
      EXPECT_TRUE(it->deleted && !it->is_run && std::holds_alternative<ContentDeleted>(it->content));
      if (k + 1 == m.size()) {
        EXPECT_EQ(it, t.last);
      }
    }
  }
  EXPECT_EQ(frozen_tombstones(d), 0u);
  check_runs(d);
}

int failures() { return testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count(); }

std::string seed_trace(const char* what, uint64_t seed, bool gc, bool indexed) {
  return std::string(what) + " seed " + std::to_string(seed) + (gc ? " gc" : " no gc") +
         (indexed ? " index_after_steps 3" : "") + " (rerun: WEFT_RUNS_SEEDS=" + std::to_string(seed + 1) +
         ")";
}

}  // namespace weft::runs_testing
