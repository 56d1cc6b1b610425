// Seeded multi-peer convergence (the oracle of yjs tests/testHelper.js):
// 3-5 Weft peers edit concurrently with partial, shuffled and duplicated
// delivery; after a full sync every peer has the same JSON, state vector and
// state bytes, nothing is pending, and a doc rebuilt from the merged updates
// agrees. Runs under ASan+UBSan in CI. WEFT_CONVERGENCE_SEEDS sets the count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "core/tombstone_runs.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace weft {
namespace {

const std::map<std::string, TypeRef> kTypes = {
    {"t", TypeRef::kText}, {"a", TypeRef::kArray}, {"m", TypeRef::kMap}, {"x", TypeRef::kXmlFragment}};

struct Peer {
  explicit Peer(uint64_t id, bool gc) : doc(DocOptions{id, "", gc}) {
    doc.on_update([this](const UpdateBytes& u, const Transaction&) { log.push_back(u); });
  }
  Doc doc;
  std::vector<UpdateBytes> log;  // every update this peer emitted or received
};

class Editor {
 public:
  explicit Editor(std::mt19937_64& rng) : rng_(rng) {}
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }

  void edit(Doc& doc) {
    switch (pick(4)) {
      case 0:
        return text(doc.get_text("t"));
      case 1:
        return array(doc.get_array("a"));
      case 2:
        return map(doc.get_map("m"));
      default:
        return xml(doc.get_xml_fragment("x"));
    }
  }

 private:
  std::u16string piece() {
    static const char16_t* pieces[] = {u"a",          u"hello ", u"世界",
                                       u"\U0001F600", u"é",      u"\U0001F44D\U0001F3FD"};
    return pieces[pick(6)];
  }
  uint64_t safe_index(const std::u16string& s) {
    uint64_t i = static_cast<uint64_t>(pick(static_cast<int>(s.size()) + 1));
    while (i > 0 && i < s.size() && s[i] >= 0xDC00 && s[i] <= 0xDFFF) i--;
    return i;
  }
  // The text as index space: embeds occupy one unit (U+FFFC) like in Yjs.
  static std::u16string index_space(const TextRef& t) {
    std::u16string s;
    for (const DeltaOp& op : t.to_delta()) s += op.values.empty() ? op.text : std::u16string(1, u'\uFFFC');
    return s;
  }
  void text(TextRef t) {
    std::u16string s = index_space(t);
    int op = pick(8);
    uint64_t a = safe_index(s), b = safe_index(s);
    if (a > b) std::swap(a, b);
    if (op < 4 || s.empty()) {
      std::optional<Attributes> attrs;
      if (pick(3) == 0) attrs = Attributes{{"bold", Any(true)}};
      ASSERT_TRUE(t.insert(a, std::u16string_view(piece()), attrs));
    } else if (op < 6) {
      ASSERT_TRUE(t.remove_range(a, b - a));
    } else if (op < 7) {
      ASSERT_TRUE(t.format(a, b - a, {{"italic", pick(2) ? Any(true) : Any::null()}}));
    } else {
      ASSERT_TRUE(t.insert_embed(a, Any::object({{"img", Any(pick(9))}})));
    }
  }
  void array(ArrayRef a) {
    uint64_t len = a.length();
    uint64_t at = static_cast<uint64_t>(pick(static_cast<int>(len) + 1));
    int op = pick(6);
    if (op < 2 || len == 0) {
      ASSERT_TRUE(a.insert(at, {Any(pick(100)), Any("s"), Any(Bytes{1, 2})}));
    } else if (op < 3) {
      auto m = a.insert_map(at);
      ASSERT_TRUE(m);
      m->set("k", Any(pick(5)));
    } else if (op < 4) {
      auto t = a.insert_text(at);
      ASSERT_TRUE(t);
      ASSERT_TRUE(t->insert(0, std::u16string_view(piece())));
    } else {
      uint64_t from = static_cast<uint64_t>(pick(static_cast<int>(len)));
      ASSERT_TRUE(a.remove_range(from, std::min<uint64_t>(len - from, 1 + static_cast<uint64_t>(pick(3)))));
    }
  }
  void map(MapRef m) {
    std::string key = "k" + std::to_string(pick(4));
    switch (pick(5)) {
      case 0:
        m.set(key, Any(pick(1000)));
        break;
      case 1:
        m.set_map(key).set("inner", Any("v"));
        break;
      case 2:
        (void)m.set_array(key).insert(0, {Any(1)});
        break;
      case 3:
        m.set(key, Any::object({{"1", Any(1)}, {"b", Any::null()}}));
        break;
      default:
        m.remove(key);
    }
  }
  void xml(XmlFragmentRef x) {
    uint64_t len = x.length();
    if (pick(3) == 0 && len > 0) {
      ASSERT_TRUE(x.remove_range(static_cast<uint64_t>(pick(static_cast<int>(len))), 1));
      return;
    }
    auto el = x.insert_element(static_cast<uint64_t>(pick(static_cast<int>(len) + 1)), "p");
    ASSERT_TRUE(el);
    el->set_attribute("id", Any(pick(9)));
    auto t = el->insert_text(0);
    ASSERT_TRUE(t);
    ASSERT_TRUE(t->insert(0, std::u16string_view(piece()), Attributes{{"b", Any::object({})}}));
  }
  std::mt19937_64& rng_;
};

// Sends what `to` lacks from `from`, as a diff against to's state vector.
void sync(Peer& from, Peer& to) {
  auto update = from.doc.encode_state_as_update(to.doc.encode_state_vector());
  ASSERT_TRUE(update);
  ASSERT_TRUE(to.doc.apply_update(*update));
}

// What a session produced: every update emitted, and the final state.
struct SessionResult {
  std::vector<UpdateBytes> updates;
  UpdateBytes state;
  size_t frozen = 0;  // tombstones inside runs at the end, over all peers
};

void run_seed(uint64_t seed, SessionResult* result = nullptr) {
  std::mt19937_64 rng(seed);
  Editor ed(rng);
  int n = 3 + ed.pick(3);
  bool gc = ed.pick(4) != 0;
  std::vector<std::unique_ptr<Peer>> peers;
  for (int i = 0; i < n; i++) peers.push_back(std::make_unique<Peer>(1 + rng() % 4000000000u, gc));
  std::vector<UpdateBytes> all;  // every update any peer emitted, for the rebuild check
  for (int round = 0; round < 30; round++) {
    Peer& p = *peers[static_cast<size_t>(ed.pick(n))];
    size_t before = p.log.size();
    p.doc.transact([&](Transaction&) {
      for (int k = 0, ops = 1 + ed.pick(3); k < ops; k++) ed.edit(p.doc);
    });
    all.insert(all.end(), p.log.begin() + static_cast<ptrdiff_t>(before), p.log.end());
    if (ed.pick(3) == 0 && !all.empty()) {
      // Deliver a few of the recorded updates to another peer, shuffled and duplicated.
      Peer& q = *peers[static_cast<size_t>(ed.pick(n))];
      std::vector<UpdateBytes> some(all.end() - std::min<ptrdiff_t>(static_cast<ptrdiff_t>(all.size()), 4),
                                    all.end());
      some.push_back(some.front());
      std::shuffle(some.begin(), some.end(), rng);
      for (const auto& u : some) ASSERT_TRUE(q.doc.apply_update(u));
    }
  }
  for (int pass = 0; pass < 2; pass++) {
    for (auto& a : peers) {
      for (auto& b : peers) {
        if (a != b) sync(*a, *b);
      }
    }
  }
  const std::string json = peers[0]->doc.to_canonical_json(kTypes);
  const UpdateBytes state = *peers[0]->doc.encode_state_as_update();
  for (auto& p : peers) {
    EXPECT_FALSE(p->doc.has_pending());
    EXPECT_EQ(p->doc.to_canonical_json(kTypes), json);
    EXPECT_EQ(p->doc.encode_state_vector(), peers[0]->doc.encode_state_vector());
  }
  // A doc rebuilt from the merge of everything anyone emitted agrees.
  std::vector<std::span<const uint8_t>> spans(all.begin(), all.end());
  auto merged = merge_updates(spans, UpdateFormat::kV1);
  ASSERT_TRUE(merged);
  Doc rebuilt(DocOptions{1, "", gc});
  ASSERT_TRUE(rebuilt.apply_update(*merged));
  EXPECT_FALSE(rebuilt.has_pending());
  EXPECT_EQ(rebuilt.to_canonical_json(kTypes), json);
  // And one that loads a peer's full state re-encodes it unchanged.
  Doc loaded(DocOptions{2, "", gc});
  ASSERT_TRUE(loaded.apply_update(state));
  EXPECT_EQ(loaded.to_canonical_json(kTypes), json);
  if (result != nullptr) {
    size_t frozen = 0;
    for (auto& p : peers) frozen += frozen_tombstones(p->doc);
    *result = SessionResult{std::move(all), state, frozen};
  }
}

TEST(Convergence, RandomSessions) {
  const char* env = std::getenv("WEFT_CONVERGENCE_SEEDS");
  const uint64_t seeds = env ? std::strtoull(env, nullptr, 10) : 60;
  for (uint64_t seed = 0; seed < seeds; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: WEFT_CONVERGENCE_SEEDS=" + std::to_string(seed + 1) + ")");
    run_seed(seed);
    if (HasFailure()) break;
  }
}

// The same sessions with every peer freezing its tombstones into runs after
// each transaction (tombstone_runs.h), so that every later edit, delivered
// update, sync and encoding meets runs: every update any peer emitted and
// the final state are byte for byte those of the session without runs.
TEST(Convergence, RandomSessionsWithTombstoneRuns) {
  const char* env = std::getenv("WEFT_CONVERGENCE_SEEDS");
  const uint64_t seeds = env ? std::strtoull(env, nullptr, 10) : 60;
  size_t frozen_total = 0;
  for (uint64_t seed = 0; seed < seeds; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: WEFT_CONVERGENCE_SEEDS=" + std::to_string(seed + 1) + ")");
    SessionResult plain, frozen;
    run_seed(seed, &plain);
    freeze_runs_after_transactions = true;
    run_seed(seed, &frozen);
    freeze_runs_after_transactions = false;
    EXPECT_EQ(frozen.updates, plain.updates);
    EXPECT_EQ(frozen.state, plain.state);
    frozen_total += frozen.frozen;
    if (HasFailure()) break;
  }
  EXPECT_GT(frozen_total, seeds * 10) << "the sessions should leave tombstones in runs";
  std::printf("tombstones in runs at the ends of %llu sessions: %zu\n",
              static_cast<unsigned long long>(seeds), frozen_total);
}

// Big updates with holes: three peers type and delete at random positions
// (syncing now and then, so origins cross clients), and a fresh doc gets
// everything as a few merged updates, each of a random subset, in random
// order. Every update but the last misses dependencies, so thousands of
// structs go through the pending and rest-of-update paths (the loader frees
// its parsed structs in blocks of 1,024 as it integrates them). The result
// must equal the peers' state, with nothing left pending.
void run_gapped_seed(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  std::vector<std::unique_ptr<Peer>> peers;
  for (int i = 0; i < 3; i++)
    peers.push_back(std::make_unique<Peer>(10 + static_cast<uint64_t>(i), pick(2) == 0));
  std::vector<UpdateBytes> all;
  static const char16_t* pieces[] = {u"a", u"\U0001F600", u"世", u"bc"};
  for (int step = 0; step < 4500; step++) {
    Peer& p = *peers[pick(3)];
    size_t before = p.log.size();
    TextRef t = p.doc.get_text("t");
    std::u16string s;
    for (const DeltaOp& op : t.to_delta()) s += op.text;
    // Never between the halves of a surrogate pair.
    auto unit_boundary = [&](uint64_t i) {
      while (i > 0 && i < s.size() && s[i] >= 0xDC00 && s[i] <= 0xDFFF) i--;
      return i;
    };
    if (s.size() > 4 && pick(4) == 0) {
      const uint64_t at = unit_boundary(pick(s.size() - 2));
      const uint64_t end = unit_boundary(std::min<uint64_t>(s.size(), at + 1 + pick(3)));
      if (end > at) {
        ASSERT_TRUE(t.remove_range(at, end - at));
      }
    } else {
      ASSERT_TRUE(t.insert(unit_boundary(pick(s.size() + 1)), std::u16string_view(pieces[pick(4)])));
    }
    all.insert(all.end(), p.log.begin() + static_cast<ptrdiff_t>(before), p.log.end());
    if (pick(300) == 0) sync(*peers[pick(3)], *peers[pick(3)]);
  }
  for (auto& a : peers) {
    for (auto& b : peers) {
      if (a != b) sync(*a, *b);
    }
  }
  const size_t groups = 2 + pick(3);
  std::vector<std::vector<std::span<const uint8_t>>> parts(groups);
  for (const UpdateBytes& u : all) parts[pick(groups)].emplace_back(u);
  std::shuffle(parts.begin(), parts.end(), rng);
  Doc fresh(DocOptions{99, "", true});
  bool waited = false;  // the test is about holes: some part must wait for a later one
  for (const auto& part : parts) {
    auto merged = merge_updates(part, UpdateFormat::kV1);
    ASSERT_TRUE(merged);
    ASSERT_TRUE(fresh.apply_update(*merged));
    waited = waited || fresh.has_pending();
  }
  EXPECT_TRUE(waited);
  EXPECT_FALSE(fresh.has_pending());
  EXPECT_EQ(fresh.get_text("t").to_string(), peers[0]->doc.get_text("t").to_string());
  EXPECT_EQ(fresh.encode_state_vector(), peers[0]->doc.encode_state_vector());
}

TEST(Convergence, BigUpdatesWithHoles) {
  for (uint64_t seed = 0; seed < 3; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    run_gapped_seed(seed);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace weft
