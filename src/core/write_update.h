// Encoding a store's content as an update (yjs writeClientsStructs,
// writeStructsFromTransaction, writeStateAsUpdate).
#pragma once

#include "core/item.h"
#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

class StructStore;

// Item.write / GC.write from `offset` clocks on.
void write_item(UpdateEncoder& enc, const Item& item, uint64_t offset);
// Every client whose state exceeds `target` (absent = 0), descending.
void write_clients_structs(UpdateEncoder& enc, const StructStore& store, const StateVector& target);

}  // namespace weft
