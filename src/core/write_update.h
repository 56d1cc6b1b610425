// Encoding a store's content as an update (yjs writeClientsStructs,
// writeStructsFromTransaction, writeStateAsUpdate).
#pragma once

#include "core/item.h"
#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

class StructStore;
class ClientClocks;

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
// A transaction's structs: every client whose clock moved from `before` to
// `after` (sorted by client, as Transaction keeps them), descending, the same
// bytes as write_clients_structs(store, before) without building a map.
// A v1 transaction of one client's few String / Deleted items takes a
// writer that fills a stack buffer (the same bytes); tests switch it off to
// compare the two.
void write_transaction_structs(UpdateEncoder& enc, const StructStore& store, const ClientClocks& before,
                               const ClientClocks& after);
inline bool small_update_writer_enabled = true;
// A transaction's delete set (DeleteSet::write's bytes); for v1 and a few
// ranges written into a stack buffer and appended at once (also switched
// off by small_update_writer_enabled).
void write_transaction_delete_set(UpdateEncoder& enc, const DeleteSet& ds);
// Whole clients' blocks for the v1 encoder go through a raw-pointer writer
// for String / Deleted / GC blocks (the same bytes); tests switch it off to
// compare it with the field-by-field writer.
inline bool fast_v1_writer_enabled = true;

}  // namespace weft
