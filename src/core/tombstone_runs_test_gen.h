// Random operations for the tombstone runs tests (the oracle:
// tombstone_runs_test_util.h). They aim at the deleted stretches: local edits
// at the visible indexes next to them, stale peers (loaded from an older
// state, where the frozen items were alive) inserting between items the
// documents deleted since, delivered shuffled, merged or as v2, concurrent
// peers, full and old states applied again (delete sets over frozen ranges),
// nested types deleted with their frozen contents. Everything is
// deterministic for a seed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/tombstone_runs_test_util.h"
#include "weft/doc.h"
#include "weft/types.h"
#include "weft/update.h"

namespace weft::runs_testing {

// `i`, or the index before it when `i` falls between the halves of a
// surrogate pair of `s` (clamped to s.size()).
uint64_t unit_boundary(const std::u16string& s, uint64_t i);

// An operation described and ready to apply to any document in the state it
// was generated from.
struct Op {
  std::string what;
  std::function<void(Doc&)> apply;
};
using TypeOp = std::function<void(Branch*)>;

// Generates operations from the state of a reference document (never A:
// reading it could thaw runs).
class Gen {
 public:
  // Without `formatting`, no attributes and no Format items (a state with
  // them does not take the bulk load path).
  explicit Gen(uint64_t seed, bool formatting = true) : rng_(seed), formatting_(formatting) {}
  uint64_t pick(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(uint64_t pct) { return pick(100) < pct; }
  std::mt19937_64& rng() { return rng_; }

  // One random edit of `ref` (a root or a nested type); `del` (0..100)
  // raises the share of deletes.
  Op edit(Doc& ref, int del);

  // Removes a whole nested type (array element, map value, XML node) of a root.
  Op remove_nested(Doc& ref);

 private:
  // An index: next to a deleted stretch most of the time.
  uint64_t index_near(const Branch* b, uint64_t len);
  std::optional<Attributes> attrs();
  // Pieces for a new nested text, and a range of it to delete.
  void filling(std::vector<std::u16string>& pieces, uint64_t& del_from, uint64_t& del_len);
  // A range [from, end) of whole units starting at or near `at`; empty when none.
  std::pair<uint64_t, uint64_t> unit_range(const std::u16string& s, uint64_t at, uint64_t max_len);

  // One operation on a type of that kind, in `what` and `fn`.
  void text_op(Branch* b, int del, std::string& what, TypeOp& fn);
  void array_op(Branch* b, int del, std::string& what, TypeOp& fn);
  void map_op(int del, std::string& what, TypeOp& fn);
  void xml_op(Branch* b, int del, std::string& what, TypeOp& fn);

  std::mt19937_64 rng_;
  bool formatting_;
};

// Histories: three peers edit (more and more deletes), exchanging updates
// only now and then; peer 0 ends with a burst of deletes. Deterministic for
// a seed, so two builds give two documents in the same state, neither of
// which ever loaded a big update into an empty store (each peer writes
// before it first receives).
struct History {
  std::vector<std::unique_ptr<Doc>> peers;
  std::vector<UpdateBytes> old_states;  // peer 0 along the way
};
void build_history(uint64_t seed, bool gc, History& h, bool formatting = true);

// A differential session: A and B under the same random steps, with other
// peers and earlier states to draw from.
struct Session {
  Twin& a;
  Twin& b;
  Gen& g;
  bool gc;
  std::vector<Doc*> side;               // other peers, concurrent with A / B
  std::vector<UpdateBytes> old_states;  // earlier states of B (A)
  std::vector<UpdateBytes> old_svs;
  uint64_t next_client = 900000;
  bool freeze_after = false;  // A freezes after each of its transactions
};

// Appends the state vectors of s.old_states to s.old_svs (the diffs
// expect_same compares).
void add_old_state_vectors(Session& s);

// Runs `steps` random steps (local edits, stale and concurrent peers,
// states applied again, freezes of A, saved states), comparing A and B after
// each; stops at the first difference (the trace names the step and its
// operation) and returns false then.
bool run_steps(Session& s, int steps);

}  // namespace weft::runs_testing
