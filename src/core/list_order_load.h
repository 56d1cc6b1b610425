// A load of a huge, mostly deleted state into an empty document that never
// makes one Item per struct (Doc::apply_in_parts takes it where the parts
// give up).
//
// Loading part by part (load_paths.h) keeps memory near the final
// document's when the state was typed in runs: each part's tombstones are
// frozen before the next part needs Items. Where the edits lie all over a
// long text, every item's origins are random older tombstones, each lookup
// thaws one, and the parts cost more than the whole load (13 million
// Items, 1.85 GB, for 10 million scattered tombstones).
//
// This load runs YATA on a compact array of the update's structs (20 bytes
// each: links, origins, flags, clock) to find every root list's final
// order first, then builds the document in that order: stretches of
// tombstones go straight into runs
// (tombstone_runs.h), Items are made only for visible structs and for
// tombstones no run can take, and each client's blocks are filled once.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace weft {

class Doc;

enum class ListOrderLoad {
  kLoaded,
  kMostlyVisible,  // not loaded: the delete set covers under half the clocks
  kNotTaken,       // not loaded: see load_in_list_order
};

// Loads the v1 state `update` into `doc`, which must be as
// Doc::can_load_in_parts requires (empty, gc on, nobody watching), in one
// transaction with origin `origin`; the document then encodes and reads as
// after Doc::apply_update's general path. A state mostly visible is not
// loaded (nearly all of it stays Items: the bulk load is faster). Nothing
// is changed either when the update holds anything this load does not take:
// malformed bytes, GC or Skip structs, Format, Type or Doc content (text
// formatting, nested types, subdocuments), map entries, an origin inside a
// struct or a delete range splitting one, structs waiting for others the
// update lacks, neighbours that would merge, clocks of 2^32 or more. The
// caller then loads it another way.
ListOrderLoad load_in_list_order(Doc& doc, std::span<const uint8_t> update, const std::string& origin);

}  // namespace weft
