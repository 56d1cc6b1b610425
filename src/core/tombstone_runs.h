// Tombstone runs: a compact form for stretches of deleted sequence items.
//
// A document that was edited for a long time holds far more deleted items
// than visible ones (yjs issue #741: 10 million tombstones). Each is a full
// Item (112 bytes) although all the store needs of it is its id, length,
// origin and right origin: GC'd content is only a length, and nothing walks
// to a tombstone except to pass it. A run stores up to kMaxRunMembers
// neighbouring tombstones of one sequence in a few bytes each:
//
// - The run is one Item in the parent's list, standing where its members
//   stood, with every member packed into bytes right behind it in the same
//   allocation (one cache line away, for the walks that read members one by
//   one). It is not an ItemPool item: destroy_run frees it. Its own fields are
//   poison, so that code unaware of runs treats it as a tombstone nothing
//   can join: id {kRunClient, 0}, length 0, no origins, Deleted(0) content,
//   deleted, not countable, and `keep` set (no fast path, GC or merge takes
//   a kept block).
// - Every member keeps its place in its client's BlockArray (its clock in
//   the clock array), pointing at the run's Item. A client's last block is
//   never a member, so the client's state needs no run.
// - Anything that needs a member as an Item thaws it: thaw_member makes that
//   member an Item and splits the run around it (the store's lookups by ID,
//   StructStore::find and the clean start / end splits that every remote
//   item's origins go through; a local insert next to a run; a merge of a
//   member with a deleted block beside it, in the cleanup); thaw_run makes
//   all of them Items (the conflict scan, the deletion or collection of the
//   type holding a run). The run is freed either way. Walks over a client's
//   blocks (encoding, delete sets, snapshots) read members through a
//   RunReader without thawing; a delete set covering frozen ranges (a
//   client syncing its whole state) changes nothing and thaws nothing. The
//   fast paths of typing and deleting step aside where a run is a neighbour.
//
// Runs form where a huge, mostly deleted state is loaded into an empty
// document in parts, frozen after each (load_paths.h), and on
// freeze_tombstone_runs. Freezing and
// thawing change no state: the document encodes, reads and behaves the
// same, byte for byte, as one that never had runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/block_array.h"
#include "core/item.h"
#include "encoding/wire.h"

namespace weft {

class Doc;
class StructStore;
class Branch;

// Most members of one run: a thaw makes at most this many Items.
inline constexpr size_t kMaxRunMembers = 64;
// A run's id.client: no Yjs client (they are below 2^53) has it.
inline constexpr uint64_t kRunClient = ~uint64_t{0} - 1;  // not OptionalID's "none" either

// A member as the run stores it.
struct RunMember {
  ID id;
  uint64_t length = 0;
  OptionalID origin;
  OptionalID right_origin;
};

// Freezes every stretch of two or more neighbouring freezable tombstones in
// every sequence of the document (roots and nested types) into runs. A
// tombstone is freezable when it is a deleted, non-GC sequence item with
// Deleted content, no key, not kept (undo), and not its client's last block.
// Returns how many items it put into runs. Call outside a transaction, or
// at the end of a load (Doc::apply_update's bulk path calls it).
size_t freeze_tombstone_runs(Doc& doc);

// freeze_tombstone_runs for the stretches holding a block of a client of
// `from` (client, clock) from that clock on (the blocks a part of a load added:
// SplitStats::part_starts), without walking the lists frozen before.
// Returns how many items it put into runs.
size_t freeze_tombstones_since(Doc& doc, std::span<const std::pair<uint64_t, uint64_t>> from);

// The bulk load freezes when the update held this many structs or more.
// Off by default: a whole state whose tombstones lie all over it (random
// edits) would thaw on every later origin lookup, and its encoding would
// read members from runs spread over memory; the loads that gain, huge
// mostly deleted states, go by parts (load_paths.h). Tests lower it.
inline uint64_t tombstone_runs_from_structs = ~uint64_t{0};

// Test hook: freeze after every outermost transaction (Doc::transact), so
// that every later edit, remote update and encoding meets runs. The interop
// peers set it from WEFT_TEST_FREEZE_RUNS=1.
inline bool freeze_runs_after_transactions = false;

// Items inside runs now (tests, stats).
size_t frozen_tombstones(const Doc& doc);

// Turns `run` back into its members: Items linked in its place, each in its
// client's blocks again. `run` is freed: callers continue from `first` (or,
// inserting after the run, `last`).
struct ThawedRun {
  Item* first;
  Item* last;
};
ThawedRun thaw_run(StructStore& store, Item* run);

// One member of `run` as an Item, the rest kept frozen: the run's members
// before and after it become runs of their own (or an Item, for one). By
// position in list order (0: the first, see thaw_last_member), or by id.
// Memory stays near the frozen form however many members are touched one
// at a time (a load whose items have their origins all over a frozen part).
Item* thaw_member(StructStore& store, Item* run, size_t pos);
Item* thaw_member(StructStore& store, Item* run, ID member);
Item* thaw_last_member(StructStore& store, Item* run);

// A run of `members` (two to kMaxRunMembers freezable tombstones, neighbours
// in list order) under `parent`, not linked and
// pointed at by no block yet: the caller does both (a load in list order).
Item* make_tombstone_run(std::span<const RunMember> members, Branch* parent);

// Frees a run that is no longer linked or pointed at (StructStore's destructor).
void destroy_run(Item* run);

// For StructStore's destructor, which meets each member's block once: counts
// one member of `run` gone, and frees the run at the last (true). The run
// is unusable from the first call.
bool release_member(Item* run);

// Reads ahead of a walk over a client's blocks through a RunReader (below),
// asking memory for what it will read: the block kFar positions ahead (its first
// lines: an Item's ids, a run's flags) and, kNear ahead, a run's packed
// header and first records. A walk over the runs of a state loaded in list
// order (list_order_load.h) meets each run far from the last, and would
// otherwise wait on every one in turn. RunReader makes one at the first
// member it reads (a walk that meets no run pays nothing) and moves it
// along with every member after.
class RunPrefetcher {
 public:
  RunPrefetcher(const BlockArray& blocks, size_t at);
  const BlockArray& blocks() const { return blocks_; }
  // To position `at` of the walk (ahead of the last, or nothing is done).
  void advance_to(size_t at) {
    while (at_ < at) advance();
  }

 private:
  void advance();

  static constexpr size_t kFar = 32, kNear = 8;
  const BlockArray& blocks_;
  size_t chunk_ = 0;  // where the far block is: chunk and offset in it
  size_t offset_ = 0;
  size_t at_ = 0;  // the walk's position
  const Item* ring_[kFar] = {};
  const Item* last_run_ = nullptr;  // whose header was asked for last
};

// Reads members of runs met in a walk over a client's blocks, without
// thawing: at() gives an Item with the member's fields (valid until the
// next at()). A member is found and read without decoding the others
// (consecutive blocks of a client often lie in different runs).
class RunReader {
 public:
  // The block at `blocks[i]` of `client` as an Item: itself, or, for a
  // member, a view with the member's fields and the run's parent.
  const Item& at(const BlockArray& blocks, size_t i, uint64_t client) {
    const Item* block = blocks[i];
    return block->is_run ? member(blocks, i, client, block) : *block;
  }

 private:
  const Item& member(const BlockArray& blocks, size_t i, uint64_t client, const Item* run);
  std::optional<RunPrefetcher> ahead_;            // made on the first member, as view_
  std::optional<Item> view_;                      // made on the first member (most walks meet none)
  const Item* viewed_ = nullptr;                  // the run whose header view_state_ holds
  size_t next_ = 0;                               // where the next member is likely listed
  alignas(8) unsigned char view_state_[64] = {};  // a RunView (tombstone_runs.cc)
};

// The members of `run`, first to last in list order.
void decode_run(const Item& run, std::vector<RunMember>& out);

}  // namespace weft
