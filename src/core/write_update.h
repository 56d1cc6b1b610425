// Encoding a store's content as an update (yjs writeClientsStructs,
// writeStructsFromTransaction, writeStateAsUpdate).
#pragma once

#include <span>

#include "core/item.h"
#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

class StructStore;

// A client whose state a transaction moved, and its state before.
struct ClientMove {
  uint64_t client = 0;
  uint64_t before = 0;
};

// Item.write / GC.write from `offset` clocks on.
void write_item(UpdateEncoder& enc, const Item& item, uint64_t offset);
// A guess at the v1 size of the whole store (to reserve the encoder's buffer).
size_t estimate_v1_size(const StructStore& store);
// Every client whose state exceeds `target` (absent = 0), descending.
void write_clients_structs(UpdateEncoder& enc, const StructStore& store, const StateVector& target);
// The store's delete set (StructStore::delete_set().write's bytes); for v1
// written from the blocks without building a DeleteSet (not when
// fast_v1_writer_enabled is off).
void write_state_delete_set(UpdateEncoder& enc, const StructStore& store);
// The state as an update: write_clients_structs then write_state_delete_set,
// their bytes; for v1 and an empty `target` (the full state) in one walk
// over the blocks, the delete ranges collected while the structs are written.
void write_state_as_update(UpdateEncoder& enc, const StructStore& store, const StateVector& target);
// A transaction's structs: every client of `moved` (ascending), descending,
// from its state before to its last block, the same bytes as
// write_clients_structs(store, before) without building a map.
void write_transaction_structs(UpdateEncoder& enc, const StructStore& store,
                               std::span<const ClientMove> moved);
// A transaction's delete set (DeleteSet::write's bytes).
void write_transaction_delete_set(UpdateEncoder& enc, const DeleteSet& ds);
// A transaction's update (write_transaction_structs then
// write_transaction_delete_set), replacing the bytes of `enc`, which was
// made for v1. A small update (most local edits: a few new String /
// Deleted / GC blocks of at most 4 clients, a few deleted ranges) is written
// through a raw pointer into a stack buffer and copied once, reusing what
// the transaction knows (its before-state for the clock start); the same
// bytes. Tests switch that writer off to compare the two.
void write_transaction_update_v1(UpdateEncoder& enc, const StructStore& store,
                                 std::span<const ClientMove> moved, const DeleteSet& ds);
inline bool small_update_writer_enabled = true;
// Whole clients' blocks for the v1 encoder go through a raw-pointer writer
// for String / Deleted / GC blocks (the same bytes); tests switch it off to
// compare it with the field-by-field writer.
inline bool fast_v1_writer_enabled = true;

}  // namespace weft
