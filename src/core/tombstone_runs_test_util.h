// The differential oracle of the tombstone runs tests (tombstone_runs_test.cc,
// tombstone_runs_random_test.cc, tombstone_runs_load_test.cc): tombstone runs
// (tombstone_runs.h) change no observable state. Each test keeps two
// documents that hold the same state, A (frozen: freeze_tombstone_runs,
// freeze_runs_after_transactions, a bulk load or a load in parts) and B
// (never frozen), applies the same operations to both and compares after
// every step (expect_same): full state bytes (v1 and v2), diffs against older
// and cut state vectors, state vectors, canonical JSON, every type read
// through the API (deltas with formatting, lengths, XML), pending state, the
// update bytes each emitted (v1 and v2) and what their deep observers saw.
// The run structure is checked through the header (RunReader, decode_run,
// the run's poison fields) against frozen_tombstones and the header's
// freezing rule (check_runs, freezable_bounds).
//
// Linking this file's .cc into a test binary also reads
// WEFT_TEST_FREEZE_RUNS=1: freeze after every outermost transaction in the
// whole binary (as the interop peers do), so that the other suites run
// against runs. (The tombstone runs tests expect their reference documents
// unfrozen: run them without it.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "weft/doc.h"
#include "weft/types.h"
#include "weft/update.h"

namespace weft::runs_testing {

// The roots the tests use, for to_canonical_json.
inline const std::map<std::string, TypeRef> kTypes = {
    {"t", TypeRef::kText}, {"a", TypeRef::kArray}, {"m", TypeRef::kMap}, {"x", TypeRef::kXmlFragment}};

// The environment variable `name` as a number, `fallback` when unset.
uint64_t env_count(const char* name, uint64_t fallback);

// A document with what it emitted since the last comparison: its v1 and v2
// updates and, with `observe`, the events its roots' deep observers saw.
struct Twin {
  Twin(std::unique_ptr<Doc> d, bool observe);
  Twin(const Twin&) = delete;
  Twin& operator=(const Twin&) = delete;
  void clear_logs() {
    v1.clear();
    v2.clear();
    events.clear();
  }
  std::unique_ptr<Doc> doc;
  std::vector<UpdateBytes> v1, v2;
  std::vector<std::string> events;  // "root: event", in call order
};

// Sets a global (a test switch of the core) for a scope.
template <typename T>
struct Scoped {
  Scoped(T& var, T value) : var(var), saved(var) { var = value; }
  ~Scoped() { var = saved; }
  Scoped(const Scoped&) = delete;
  Scoped& operator=(const Scoped&) = delete;
  T& var;
  T saved;
};

// d's state (or its diff against `sv`) in format `f`; a failed expectation
// and no bytes when the encode fails.
UpdateBytes state_of(const Doc& d, std::span<const uint8_t> sv = {}, UpdateFormat f = UpdateFormat::kV1);

// Where two v1 updates differ, as describe_update lists them: the first
// differing lines of each (for failure messages).
std::string describe_difference(const UpdateBytes& x, const UpdateBytes& y, const char* x_name = "A (frozen)",
                                const char* y_name = "B (reference)");

// Everything observable of A and B is equal (and what they emitted since
// the last call); `old_svs` are state vectors of earlier states to diff
// against. Clears the logs.
void expect_same(Twin& a, Twin& b, const std::vector<UpdateBytes>& old_svs);

// The run structure as the header describes it, read without thawing:
// every block of every client, seen through a RunReader, has its own clock
// and length and the blocks are contiguous; a member's slot points at its
// run, an Item with the poison fields (id {kRunClient, 0}, length 0,
// deleted, not countable, kept); members are deleted, not GC, never a
// client's last block, and read the same through the RunReader and
// decode_run; each run holds 2..kMaxRunMembers members; frozen_tombstones
// counts them all; every list ends and its visible units add up to its length.
void check_runs(const Doc& d);

// What freeze_tombstone_runs may freeze in `ref` (a doc that never froze),
// by the header's rule: stretches of two or more neighbouring freezable
// tombstones in any list. `upper` is their total. `lower` leaves out the
// items of deleted types that keep their Branch (the implementation does
// not freeze those; a bulk-loaded deleted type has none, so a loaded doc
// may freeze what the reference keeps) and, per stretch longer than
// kMaxRunMembers, the single a cut into runs may leave behind.
struct Bounds {
  size_t lower = 0, upper = 0;
};
Bounds freezable_bounds(const Doc& ref);

// Freezes A: it put as many items into runs as frozen_tombstones grew by,
// and the structure is sound. Returns the items in runs now.
size_t freeze(Doc& a);

// Thaws every run of `d` through thaw_run: none is left, and the state is unchanged.
void thaw_all(Doc& d);

// The failures the current test has recorded so far.
int failures();

// The trace line of a random test's seed, with how to rerun up to it.
std::string seed_trace(const char* what, uint64_t seed, bool gc, bool indexed);

}  // namespace weft::runs_testing
