// Local Y.Text edits with formatting (yjs src/types/YText.js: findPosition,
// insertText, formatText, deleteText and the formatting-marker cleanup).
#pragma once

#include <cstdint>
#include <optional>

#include "core/struct_store.h"
#include "encoding/content.h"
#include "weft/status.h"
#include "weft/types.h"

namespace weft {

class Branch;
struct Item;
class Transaction;

// Inserts String / Embed / Type content at a UTF-16 index. Without
// attributes the text inherits those active at the index; with attributes,
// active keys missing from them are reset around the insert.
Status text_insert(Transaction& txn, Branch* text, uint64_t index, Content&& content,
                   const std::optional<Attributes>& attrs);
// text_insert of a string, for the common case: without attributes into
// text that has no formatting it copies `str` only when it becomes a new
// item (not when the typing fast path appends it); otherwise text_insert.
Status text_insert_string(Transaction& txn, Branch* text, uint64_t index, std::u16string_view str,
                          const std::optional<Attributes>& attrs);
Status text_format(Transaction& txn, Branch* text, uint64_t index, uint64_t length, const Attributes& attrs);
// yjs equalAttrs: identical (JS ===), or two objects with the same keys whose
// values are ===. Containers are identical only when they share storage.
bool equal_attrs(const Any& a, const Any& b);

Status text_delete(Transaction& txn, Branch* text, uint64_t index, uint64_t length);

// Backspace fast path, shared by local deletes (text_delete) and received
// ones (apply_update). Deleting the last units [cut, end) of the visible
// string item X whose right neighbour R is the deleted block that continues
// X's clock range (a run of backspaces) would split X, mark the right part
// deleted, and the cleanup would merge it into R (yjs splitItem,
// tryGcDeleteSet, tryMergeDeleteSet). Moving the units from X to the front
// of R gives the same store, delete set, update and encoded bytes without
// the detour; the deletion becomes the transaction's fast delete and the
// parent's position marker is cleared. Only as the transaction's first
// change (nothing split or deleted yet), for blocks from before it, without
// observers or formatting, and when nothing right of R could join the
// merge; otherwise returns false and changes nothing. A caller that has X's
// client's blocks at hand passes them and R's index there (saves a search).
bool backspace_into_tombstone(Transaction& txn, Item* x, uint64_t cut, StructStore::Blocks* blocks = nullptr,
                              size_t r_index = 0);
// The same move outside any transaction, for apply_update when nobody can
// see one (no observer, handler or open transaction): as in a fresh
// transaction, and nothing recorded.
bool backspace_into_tombstone(Doc& doc, Item* x, uint64_t cut, StructStore::Blocks* blocks, size_t r_index);
// Forward delete into a tombstone, the mirror: deleting the first `length`
// units of the visible string item Y whose left neighbour L is the deleted
// block that ends where Y starts (a run of deletes at one caret) would split
// Y, mark the left part deleted, and the cleanup would merge that part into
// L. Moving the units from Y to the end of L (Y then starts `length` clocks
// later) gives the same store, delete set, update and bytes. Same
// preconditions as the backspace, with L's left neighbour and Y's right one
// as the merges that must not be possible; the caller may pass Y's client's
// blocks and Y's index there.
bool forward_delete_into_tombstone(Transaction& txn, Item* y, uint64_t length,
                                   StructStore::Blocks* blocks = nullptr, size_t y_index = 0);
bool forward_delete_into_tombstone(Doc& doc, Item* y, uint64_t length, StructStore::Blocks* blocks,
                                   size_t y_index);

}  // namespace weft
