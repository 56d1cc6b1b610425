#include "core/bulk_load.h"

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
  if (gc) {
    for (uint64_t client : clients) {
      StructStore::Blocks& blocks = *store.blocks(client);
      for (size_t i = 0; i < blocks.size(); i++) {
        Item* block = blocks[i];  // read again each time: a type's gc replaces its children in place
        if (!block->deleted || block->is_gc || block->keep) continue;
        // Most arrive collected already (Deleted content): gc would set the same content again.
        if (block->type() == nullptr && std::holds_alternative<ContentDeleted>(block->content)) continue;
        block->gc(store, false);
      }
    }
  }
  ItemPool& pool = store.pool();
  std::vector<Item*> merged;
  for (uint64_t client : clients) {
    StructStore::Blocks& blocks = *store.blocks(client);
    const size_t n = blocks.size();
    if (n < 2) continue;
    merged.clear();
    merged.reserve(n);
    Item* left = blocks[0];
    merged.push_back(left);
    for (size_t i = 1; i < n; i++) {
      Item* right = blocks[i];
      if (left->deleted == right->deleted && left->is_gc == right->is_gc && left->try_merge(*right)) {
        // As try_merge_with_lefts: a map entry pointing at the right part now points at the whole.
        if (!right->is_gc && right->parent_sub()) {
          auto found = right->parent->map.find(*right->parent_sub());
          if (found != right->parent->map.end() && found->second == right) found->second = left;
        }
        pool.destroy(right);
      } else {
        merged.push_back(right);
        left = right;
      }
    }
    if (merged.size() != n) blocks.assign(merged);
  }
  txn.merge_structs.clear();  // every split was tried above
}

}  // namespace weft
