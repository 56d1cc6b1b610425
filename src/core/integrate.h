// YATA integration of one item (yjs Item.integrate) and of decoded update
// structs (yjs integrateStructs / readUpdateV2).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "encoding/wire.h"

namespace weft {

struct Item;
class Transaction;
class StructStore;

// Integrates `item` (not yet in the store) into its parent: resolves the
// conflict with concurrent inserts, links it, adds it to the store and runs
// its content's hook. `offset` > 0 skips the item's first clocks (already
// known). An item without parent is integrated as a GC block.
void integrate_item(Transaction& txn, Item* item, uint64_t offset);

}  // namespace weft
