#include "core/bulk_load.h"

#include <algorithm>
#include <span>
#include <vector>

#include "core/branch.h"
#include "core/struct_store.h"
#include "core/transaction.h"
#include "weft/doc.h"

namespace weft {

// Why one walk gives the cleanup's result:
// - gc: the cleanup collects the deleted blocks inside the transaction's
//   delete set. When the transaction made every block, every deleted block
//   that is not a GC struct got deleted by it (integrated with Deleted
//   content, or marked deleted; splits keep the flag inside the same range),
//   so that is every deleted non-GC block. Collecting one block touches no
//   other block's content except a deleted type's children, which become GC
//   structs either way, so the order does not matter. keep is never set on
//   loaded blocks, but is honoured as the cleanup does.
// - merges: with every client's clock range new, the cleanup's new-block pass
//   tries every neighbouring pair (right to left; the delete-set and split
//   passes only try pairs it tries again). Whether two neighbours merge
//   depends on those two alone (Item::try_merge: adjacent, same kind, flags
//   and right origin, the right one's origin the left one's last id), and a
//   merged block keeps its left part's start and its right part's end, so
//   the maximal runs and their contents are the same walked left to right.
void collect_and_merge_loaded(Transaction& txn, bool gc) {
  StructStore& store = txn.doc.store();
  std::vector<uint64_t> clients;
  clients.reserve(store.clients().size());
  for (const auto& [client, blocks] : store.clients()) clients.push_back(client);
  // Both walks go chunk by chunk (BlockArray::chunk): no position lookup per block.
  if (gc) {
    for (uint64_t client : clients) {
      StructStore::Blocks& blocks = *store.blocks(client);
      for (size_t c = 0; c < blocks.chunk_count(); c++) {
        const std::span<Item*> chunk = blocks.chunk(c);
        for (size_t k = 0; k < chunk.size(); k++) {
          Item* block = chunk[k];  // read again each time: a type's gc replaces its children in place
          if (!block->deleted || block->is_gc || block->keep) continue;
          // Most arrive collected already (Deleted content): gc would set the same content again.
          if (block->type() == nullptr && std::holds_alternative<ContentDeleted>(block->content)) continue;
          block->gc(store, false);
        }
      }
    }
  }
  ItemPool& pool = store.pool();
  // The blocks kept, filled from the first merge on (most loaded states
  // have nothing left to merge: their runs were merged before encoding).
  std::vector<Item*> merged;
  for (uint64_t client : clients) {
    StructStore::Blocks& blocks = *store.blocks(client);
    const size_t n = blocks.size();
    if (n < 2) continue;
    merged.clear();
    bool merging = false;
    Item* left = nullptr;
    size_t at = 0;  // position of `right`
    for (size_t c = 0; c < blocks.chunk_count(); c++) {
      for (Item* right : blocks.chunk(c)) {
        // try_merge's first test (a non-GC pair merges only if the right one
        // is the left one's right neighbour), and the flags, before the call.
        if (left != nullptr && (left->is_gc ? right->is_gc : left->right == right) &&
            left->deleted == right->deleted && left->try_merge(*right)) {
          if (!merging) {  // the blocks before `right`, none merged yet
            merging = true;
            merged.reserve(n);
            for (size_t c2 = 0; merged.size() < at; c2++) {
              const std::span<Item*> before = blocks.chunk(c2);
              merged.insert(
                  merged.end(), before.begin(),
                  before.begin() + static_cast<ptrdiff_t>(std::min(before.size(), at - merged.size())));
            }
          }
          // As try_merge_with_lefts: a map entry pointing at the right part now points at the whole.
          if (!right->is_gc && right->parent_sub()) {
            auto found = right->parent->map.find(*right->parent_sub());
            if (found != right->parent->map.end() && found->second == right) found->second = left;
          }
          pool.destroy(right);
        } else {
          if (merging) merged.push_back(right);
          left = right;
        }
        at++;
      }
    }
    if (merging) blocks.assign(merged);
  }
  txn.merge_structs.clear();  // every split was tried above
}

}  // namespace weft
