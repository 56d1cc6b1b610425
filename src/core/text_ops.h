// Local Y.Text edits with formatting (yjs src/types/YText.js: findPosition,
// insertText, formatText, deleteText and the formatting-marker cleanup).
#pragma once

#include <cstdint>
#include <optional>

#include "encoding/content.h"
#include "weft/status.h"
#include "weft/types.h"

namespace weft {

class Branch;
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

}  // namespace weft
