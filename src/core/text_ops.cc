#include "core/text_ops.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/branch.h"
#include "core/events.h"
#include "core/integrate.h"
#include "core/list_ops.h"
#include "core/struct_store.h"
#include "core/transaction.h"
#include "encoding/utf.h"
#include "weft/doc.h"

namespace weft {

// JS `===` on values: containers are equal only when they are the same object.
static bool strict_equal(const Any& a, const Any& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Any::Kind::kNumber:
      return a.as_number() == b.as_number();
    case Any::Kind::kObject:
      return &a.as_object() == &b.as_object();
    case Any::Kind::kArray:
      return &a.as_array() == &b.as_array();
    case Any::Kind::kBytes:
      return &a.as_bytes() == &b.as_bytes();
    default:
      return a == b;
  }
}

// yjs equalAttrs: identical, or two objects with the same keys whose values are `===`.
bool equal_attrs(const Any& a, const Any& b) {
  if (strict_equal(a, b)) return true;
  if (!a.is_object() || !b.is_object()) return false;
  const AnyObject& x = a.as_object();
  const AnyObject& y = b.as_object();
  if (x.size() != y.size()) return false;
  for (const auto& [k, v] : x) {
    const Any* w = b.get(k);
    if (w == nullptr || !strict_equal(v, *w)) return false;
  }
  return true;
}

namespace {

// An insertion-ordered attribute map (JS Map semantics).
struct AttrMap {
  Attributes entries;
  const Any* get(const std::string& key) const {
    for (const auto& [k, v] : entries) {
      if (k == key) return &v;
    }
    return nullptr;
  }
  Any get_or_null(const std::string& key) const {
    const Any* v = get(key);
    return v ? *v : Any::null();
  }
  void set(const std::string& key, const Any& value) {
    for (auto& [k, v] : entries) {
      if (k == key) {
        v = value;
        return;
      }
    }
    entries.emplace_back(key, value);
  }
  void erase(const std::string& key) {
    entries.erase(
        std::remove_if(entries.begin(), entries.end(), [&](const auto& kv) { return kv.first == key; }),
        entries.end());
  }
  void apply(const ContentFormat& f) {
    if (f.value.is_null()) {
      erase(f.key);
    } else {
      set(f.key, f.value);
    }
  }
};

struct TextPosition {
  Item* left = nullptr;
  Item* right = nullptr;
  uint64_t index = 0;
  AttrMap attrs;

  void forward() {
    if (!right->deleted) {
      if (const auto* f = content_if<ContentFormat>(&right->content)) {
        attrs.apply(*f);
      } else {
        index += right->length;
      }
    }
    left = right;
    right = right->right;
  }
};

// Transaction::add_changed_type(text, nullptr), inline for a root text
// (whose item check does not apply): the fast paths' one bookkeeping step.
void mark_text_changed(Transaction& txn, Branch* text) {
  if (text->item == nullptr) {
    txn.changed[text].list = true;
  } else {
    txn.add_changed_type(text, nullptr);
  }
}

const ContentFormat* as_format(const Item* item) { return content_if<ContentFormat>(&item->content); }

Item* new_text_item(Transaction& txn, Branch* parent, Item* left, Item* right, Content&& content) {
  Item* item = new_local_item(txn, parent, left, right, std::move(content));
  integrate_item(txn, item, 0);
  return item;
}

void find_next_position(Transaction& txn, TextPosition& pos, uint64_t count) {
  while (pos.right != nullptr && count > 0) {
    if (!pos.right->deleted) {
      if (const ContentFormat* f = as_format(pos.right)) {
        pos.attrs.apply(*f);
      } else {
        if (count < pos.right->length) {
          txn.doc.store().get_item_clean_start(txn, ID{pos.right->id.client, pos.right->id.clock + count});
        }
        pos.index += pos.right->length;
        count -= pos.right->length;
      }
    }
    pos.left = pos.right;
    pos.right = pos.right->right;
  }
}

TextPosition find_position(Transaction& txn, Branch* parent, uint64_t index) {
  TextPosition pos;
  if (!parent->has_formatting && index > 0) {
    // No formatting anywhere: the position cache finds the spot without a walk.
    pos.left = list_insert_ref(txn, parent, index);
    pos.right = pos.left->right;
    pos.index = index;
    return pos;
  }
  pos.right = parent->start;
  find_next_position(txn, pos, index);
  return pos;
}

void insert_negated_attributes(Transaction& txn, Branch* parent, TextPosition& pos, AttrMap& negated) {
  while (pos.right != nullptr) {
    const ContentFormat* f = as_format(pos.right);
    bool skip = pos.right->deleted;
    if (!skip && f != nullptr) {
      const Any* neg = negated.get(f->key);
      skip = equal_attrs(neg ? *neg : Any(), f->value);
    }
    if (!skip) break;
    if (!pos.right->deleted) negated.erase(f->key);
    pos.forward();
  }
  for (const auto& [key, value] : negated.entries) {
    pos.right = new_text_item(txn, parent, pos.left, pos.right, ContentFormat{key, value});
    pos.forward();
  }
}

void minimize_attribute_changes(TextPosition& pos, const AttrMap& attrs) {
  while (pos.right != nullptr) {
    if (!pos.right->deleted) {
      const ContentFormat* f = as_format(pos.right);
      if (f == nullptr || !equal_attrs(attrs.get_or_null(f->key), f->value)) break;
    }
    pos.forward();
  }
}

AttrMap insert_attributes(Transaction& txn, Branch* parent, TextPosition& pos, const AttrMap& attrs) {
  AttrMap negated;
  for (const auto& [key, value] : attrs.entries) {
    Any current = pos.attrs.get_or_null(key);
    if (!equal_attrs(current, value)) {
      negated.set(key, current);
      pos.right = new_text_item(txn, parent, pos.left, pos.right, ContentFormat{key, value});
      pos.forward();
    }
  }
  return negated;
}

// Deletes redundant Format markers between `start` and the next countable item.
int cleanup_formatting_gap(Transaction& txn, Item* start, Item* curr, AttrMap start_attrs,
                           AttrMap& curr_attrs) {
  Item* end = start;
  std::vector<std::pair<std::string, const ContentFormat*>> end_formats;
  while (end != nullptr && (!end->countable || end->deleted)) {
    if (!end->deleted) {
      if (const ContentFormat* f = as_format(end)) {
        auto it = std::find_if(end_formats.begin(), end_formats.end(),
                               [&](const auto& e) { return e.first == f->key; });
        if (it != end_formats.end()) {
          it->second = f;
        } else {
          end_formats.emplace_back(f->key, f);
        }
      }
    }
    end = end->right;
  }
  int cleanups = 0;
  bool reached_curr = false;
  while (start != end) {
    if (curr == start) reached_curr = true;
    if (!start->deleted) {
      if (const ContentFormat* f = as_format(start)) {
        Any start_value = start_attrs.get_or_null(f->key);
        auto ef = std::find_if(end_formats.begin(), end_formats.end(),
                               [&](const auto& e) { return e.first == f->key; });
        bool is_end_format = ef != end_formats.end() && ef->second == f;
        if (!is_end_format || strict_equal(start_value, f->value)) {
          start->mark_deleted(txn);
          cleanups++;
          if (!reached_curr && strict_equal(curr_attrs.get_or_null(f->key), f->value) &&
              !strict_equal(start_value, f->value)) {
            if (start_value.is_null()) {
              curr_attrs.erase(f->key);
            } else {
              curr_attrs.set(f->key, start_value);
            }
          }
        }
        if (!reached_curr && !start->deleted) curr_attrs.apply(*f);
      }
    }
    start = start->right;
  }
  return cleanups;
}

// Local typing fast path. A string inserted right after this client's last
// block, which is a visible string whose right neighbour and right origin
// are unchanged, would become a new item that the transaction cleanup merges
// into that block (yjs tryMergeWithLefts). Appending in place gives the same
// store, the same updates and the same encoded bytes without the detour.
// Not taken when someone observes the type (their event delta needs the
// inserted run as its own item), across surrogate halves (splitting there
// later inside the transaction would differ), or for formatted text.
bool try_extend_own_item(Transaction& txn, Branch* text, Item* left, Item* right, uint64_t index,
                         std::u16string_view add) {
  if (left == nullptr || text->has_formatting || left->deleted || left->is_gc || left->right != right ||
      left->keep)
    return false;
  Doc& doc = txn.doc;
  if (left->id.client != doc.client_id()) return false;
  auto* own = std::get_if<ContentString>(&left->content);
  if (own == nullptr || own->text.empty() || add.empty()) return false;
  if (right != nullptr ? !(left->right_origin && *left->right_origin == right->id)
                       : left->right_origin.has_value())
    return false;
  StructStore& store = doc.store();
  StructStore::Blocks* blocks = store.blocks(left->id.client);
  if (blocks == nullptr || blocks->back() != left) return false;
  if (text->is_deleted() || (store.types_observed() && has_listeners(text))) return false;
  char16_t last = own->text.back();
  char16_t first = add.front();
  if ((last >= 0xD800 && last < 0xDC00) || (first >= 0xDC00 && first < 0xE000)) return false;
  uint64_t old_length = left->length;
  store.note_state_change(*blocks, left->id.client, left->id.clock + old_length);
  own->text += add;
  left->length += add.size();
  text->length += add.size();
  if (text->seq_index) text->seq_index->on_visible_change(left, static_cast<int64_t>(add.size()));
  mark_text_changed(txn, text);
  text->marker = left;
  text->marker_index = index - old_length;
  return true;
}

}  // namespace

Status text_insert(Transaction& txn, Branch* text, uint64_t index, Content&& content,
                   const std::optional<Attributes>& attributes) {
  if (index > text->length) return Status(ErrorCode::kInvalidArgument, "index beyond text length");
  TextPosition pos = find_position(txn, text, index);
  AttrMap attrs;
  if (attributes) {
    for (const auto& [k, v] : *attributes) attrs.set(k, v);
  } else {
    attrs = pos.attrs;
  }
  for (const auto& [key, value] : pos.attrs.entries) {
    if (attrs.get(key) == nullptr) attrs.set(key, Any::null());
  }
  minimize_attribute_changes(pos, attrs);
  if (const auto* str = std::get_if<ContentString>(&content);
      str != nullptr && attrs.entries.empty() &&
      try_extend_own_item(txn, text, pos.left, pos.right, pos.index, str->text))
    return Status::ok();
  AttrMap negated = insert_attributes(txn, text, pos, attrs);
  uint64_t at = pos.index;
  Item* item = new_text_item(txn, text, pos.left, pos.right, std::move(content));
  pos.right = item;
  pos.index = at;
  pos.forward();
  insert_negated_attributes(txn, text, pos, negated);
  if (!text->has_formatting && item->visible()) {
    text->marker = item;
    text->marker_index = at;
  }
  return Status::ok();
}

Status text_insert_string(Transaction& txn, Branch* text, uint64_t index, std::u16string_view str,
                          const std::optional<Attributes>& attributes) {
  if (attributes || text->has_formatting)
    return text_insert(txn, text, index, ContentString{std::u16string(str)}, attributes);
  if (index > text->length) return Status(ErrorCode::kInvalidArgument, "index beyond text length");
  // text_insert without formatting: no attributes to set, negate or skip;
  // only tombstones right of the position are passed (minimize_attribute_changes).
  Item* left;
  Item* right;
  if (Item* m = text->marker;
      m != nullptr && index > 0 && index == text->marker_index + m->length && m->visible()) {
    // Typing continues where the last edit left the caret: the marker's
    // item ends at `index` (what find_position would find, without the walk).
    left = m;
    right = m->right;
  } else {
    TextPosition pos = find_position(txn, text, index);
    left = pos.left;
    right = pos.right;
  }
  while (right != nullptr && right->deleted) {
    left = right;
    right = right->right;
  }
  if (try_extend_own_item(txn, text, left, right, index, str)) return Status::ok();
  Item* item = new_text_item(txn, text, left, right, ContentString{std::u16string(str)});
  if (item->visible()) {  // unformatted (checked above): a string item sets no formatting
    text->marker = item;
    text->marker_index = index;
  }
  return Status::ok();
}

Status text_format(Transaction& txn, Branch* text, uint64_t index, uint64_t length,
                   const Attributes& attributes) {
  if (length == 0) return Status::ok();
  if (index > text->length) return Status(ErrorCode::kInvalidArgument, "index beyond text length");
  TextPosition pos;
  pos.right = text->start;
  find_next_position(txn, pos, index);
  if (pos.right == nullptr) return Status::ok();
  AttrMap attrs;
  for (const auto& [k, v] : attributes) attrs.set(k, v);
  minimize_attribute_changes(pos, attrs);
  AttrMap negated = insert_attributes(txn, text, pos, attrs);
  while (pos.right != nullptr && (length > 0 || (!negated.entries.empty() &&
                                                 (pos.right->deleted || as_format(pos.right) != nullptr)))) {
    if (!pos.right->deleted) {
      if (const ContentFormat* f = as_format(pos.right)) {
        const Any* attr = attrs.get(f->key);
        if (attr != nullptr) {
          if (equal_attrs(*attr, f->value)) {
            negated.erase(f->key);
          } else {
            if (length == 0) break;
            negated.set(f->key, f->value);
          }
          pos.right->mark_deleted(txn);
        } else {
          pos.attrs.set(f->key, f->value);
        }
      } else {
        if (length < pos.right->length) {
          txn.doc.store().get_item_clean_start(txn, ID{pos.right->id.client, pos.right->id.clock + length});
        }
        length -= std::min(length, pos.right->length);
      }
    }
    pos.forward();
  }
  if (length > 0) {
    pos.right = new_text_item(txn, text, pos.left, pos.right, ContentString{std::u16string(length, u'\n')});
    pos.forward();
  }
  insert_negated_attributes(txn, text, pos, negated);
  return Status::ok();
}

namespace {

// The document and transaction of a tombstone move made in a transaction
// or (apply_update, when nobody can see one) outside any.
inline Doc& doc_of(Transaction& txn) { return txn.doc; }
inline Doc& doc_of(Doc& doc) { return doc; }
inline Transaction* txn_of(Transaction& txn) { return &txn; }
inline Transaction* txn_of(Doc&) { return nullptr; }

// Text without formatting, not deleted, that no observer watches: what the
// fast delete paths require (their events and formatting cleanup would
// need the general path's steps).
inline bool plain_unwatched(const Doc& doc, const Branch* text) {
  return !text->has_formatting && !text->is_deleted() &&
         !(doc.store().types_observed() && has_listeners(text));
}

// Moves the first clock of `item` (blocks[index] when the caller has its
// client's blocks at hand) to `clock`.
inline void move_block_start(Doc& doc, Item* item, uint64_t clock, StructStore::Blocks* blocks,
                             size_t index) {
  if (blocks != nullptr) {
    item->id.clock = clock;
    blocks->set_clock(index, clock);
  } else {
    doc.store().move_start(item, clock);
  }
}

// `length` visible units of `item` in `text` are gone.
inline void shrink_visible(Branch* text, Item* item, uint64_t length) {
  text->length -= length;
  if (text->seq_index) text->seq_index->on_visible_change(item, -static_cast<int64_t>(length));
  text->clear_marker();
}

// Records a fast path's deletion of [clock, clock + length) of `client` in
// `text` as the transaction's one delete (the cleanup then has nothing to
// split, collect or merge).
inline void record_fast_delete(Transaction& txn, Branch* text, uint64_t client, uint64_t clock,
                               uint64_t length) {
  txn.deleted_ranges(client).push_back({clock, length});
  txn.has_fast_delete = true;
  txn.fast_delete_client = client;
  txn.fast_delete = {clock, length};
  mark_text_changed(txn, text);
}

// backspace_into_tombstone, in `txn` or (kInTxn false, txn null) outside any
// transaction: two instances, so that the local path pays no test.
template <bool kInTxn>
[[gnu::always_inline]] inline bool backspace_move(std::conditional_t<kInTxn, Transaction&, Doc&> in, Item* x,
                                                  uint64_t cut, StructStore::Blocks* blocks, size_t r_index) {
  Doc& doc = doc_of(in);
  Transaction* txn = txn_of(in);
  if constexpr (kInTxn) {
    if (!txn->delete_set.empty() || !txn->merge_structs.empty()) return false;
  }
  Branch* parent = x->parent;
  if (parent == nullptr || x->is_gc || x->deleted || x->keep || x->parent_sub() || cut == 0 ||
      cut >= x->length)
    return false;
  Item* r = x->right;
  if (r == nullptr || !r->deleted || r->is_gc || r->keep || r->id.client != x->id.client ||
      r->id.clock != x->id.clock + x->length || !(r->origin && *r->origin == x->last_id()) ||
      !(r->right_origin == x->right_origin))
    return false;
  auto* own = std::get_if<ContentString>(&x->content);
  if (own == nullptr) return false;
  const bool gc = doc.gc_enabled();
  auto* r_text = std::get_if<ContentString>(&r->content);
  auto* r_deleted = std::get_if<ContentDeleted>(&r->content);
  if (gc ? r_deleted == nullptr : r_text == nullptr) return false;
  // R must have been merged with everything it could merge with on its right.
  // (A tombstone run there might hold such a neighbour: the general path thaws it.)
  if (const Item* q = r->right;
      q != nullptr && q->deleted && !q->is_gc &&
      (q->is_run || (q->id.client == r->id.client && q->id.clock == r->id.clock + r->length)))
    return false;
  if constexpr (kInTxn) {
    if (r->id.clock + r->length > txn->before(r->id.client)) return false;
  }
  if (is_high_surrogate(own->text[cut - 1])) return false;  // the split would replace a half
  if (!plain_unwatched(doc, parent)) return false;

  const uint64_t length = x->length - cut;
  if (gc) {
    r_deleted->len += length;
  } else {
    r_text->text.insert(0, own->text, cut, length);
  }
  own->text.truncate(cut);
  x->length = cut;
  move_block_start(doc, r, r->id.clock - length, blocks, r_index);
  r->length += length;
  r->origin = x->last_id();
  shrink_visible(parent, x, length);
  if constexpr (kInTxn) record_fast_delete(*txn, parent, r->id.client, r->id.clock, length);
  return true;
}

}  // namespace

bool backspace_into_tombstone(Doc& doc, Item* x, uint64_t cut, StructStore::Blocks* blocks, size_t r_index) {
  return backspace_move<false>(doc, x, cut, blocks, r_index);
}

bool backspace_into_tombstone(Transaction& txn, Item* x, uint64_t cut, StructStore::Blocks* blocks,
                              size_t r_index) {
  return backspace_move<true>(txn, x, cut, blocks, r_index);
}

namespace {

// forward_delete_into_tombstone, in `txn` or (kInTxn false) outside any
// transaction, as backspace_move.
template <bool kInTxn>
[[gnu::always_inline]] inline bool forward_move(std::conditional_t<kInTxn, Transaction&, Doc&> in, Item* y,
                                                uint64_t length, StructStore::Blocks* blocks,
                                                size_t y_index) {
  Doc& doc = doc_of(in);
  Transaction* txn = txn_of(in);
  if constexpr (kInTxn) {
    if (!txn->delete_set.empty() || !txn->merge_structs.empty()) return false;
  }
  Branch* parent = y->parent;
  if (parent == nullptr || y->is_gc || y->deleted || y->keep || y->parent_sub() || length == 0 ||
      length >= y->length)
    return false;
  Item* l = y->left;
  if (l == nullptr || !l->deleted || l->is_gc || l->keep || l->id.client != y->id.client ||
      l->id.clock + l->length != y->id.clock || !(y->origin && *y->origin == l->last_id()) ||
      !(l->right_origin == y->right_origin) || l->parent_sub())
    return false;
  auto* own = std::get_if<ContentString>(&y->content);
  if (own == nullptr) return false;
  const bool gc = doc.gc_enabled();
  auto* l_text = std::get_if<ContentString>(&l->content);
  auto* l_deleted = std::get_if<ContentDeleted>(&l->content);
  if (gc ? l_deleted == nullptr : l_text == nullptr) return false;
  // L must not merge with its own left neighbour, nor Y with its right one.
  if (const Item* p = l->left;
      p != nullptr && p->deleted && !p->is_gc &&
      (p->is_run || (p->id.client == l->id.client && p->id.clock + p->length == l->id.clock)))
    return false;
  if (const Item* q = y->right;
      q != nullptr && !q->deleted && q->id.client == y->id.client && q->id.clock == y->id.clock + y->length)
    return false;
  if constexpr (kInTxn) {
    if (y->id.clock + y->length > txn->before(y->id.client)) return false;
  }
  if (is_high_surrogate(own->text[length - 1])) return false;  // the split would replace a half
  if (!plain_unwatched(doc, parent)) return false;

  const uint64_t clock = y->id.clock;
  if (gc) {
    l_deleted->len += length;
  } else {
    l_text->text.append(own->text.view().substr(0, length));
  }
  l->length += length;
  const size_t rest = y->length - length;
  char16_t* units = own->text.data();
  std::memmove(units, units + length, rest * sizeof(char16_t));
  own->text.truncate(rest);
  move_block_start(doc, y, clock + length, blocks, y_index);
  y->length = rest;
  y->origin = l->last_id();
  shrink_visible(parent, y, length);
  if constexpr (kInTxn) record_fast_delete(*txn, parent, y->id.client, clock, length);
  return true;
}

}  // namespace

bool forward_delete_into_tombstone(Doc& doc, Item* y, uint64_t length, StructStore::Blocks* blocks,
                                   size_t y_index) {
  return forward_move<false>(doc, y, length, blocks, y_index);
}

bool forward_delete_into_tombstone(Transaction& txn, Item* y, uint64_t length, StructStore::Blocks* blocks,
                                   size_t y_index) {
  return forward_move<true>(txn, y, length, blocks, y_index);
}

namespace {

// Any other local delete of [index, index + length) inside the visible
// string item X (at `offset` in it) as the transaction's first change:
// split X where the range starts and ends, mark the part deleted and (gc
// on) drop its content, which is what yjs's delete and cleanup leave when
// no block next to a split point can merge with its neighbour. Those merges
// are ruled out here instead of tried at cleanup: a part that stays visible
// at X's end must not continue into a visible right neighbour of X's
// client, a deleted part at either end not into a tombstone of it. Then the
// cleanup has nothing to split, collect or merge (the fast delete).
bool delete_inside_item(Transaction& txn, Branch* text, Item* x, uint64_t offset, uint64_t length,
                        uint64_t index) {
  if (x->is_gc || x->keep || x->parent_sub() || offset + length > x->length) return false;
  auto* own = std::get_if<ContentString>(&x->content);
  if (own == nullptr) return false;
  const uint64_t end = offset + length;
  if (offset > 0 && is_high_surrogate(own->text[offset - 1])) return false;
  if (end < x->length && is_high_surrogate(own->text[end - 1])) return false;
  const uint64_t client = x->id.client;
  if (x->id.clock + x->length > txn.before(client)) return false;
  // A tombstone run beside X might hold such a neighbour: the general path thaws it.
  if (const Item* l = x->left;
      offset == 0 && l != nullptr && l->deleted &&
      (l->is_run || (l->id.client == client && l->id.clock + l->length == x->id.clock)))
    return false;
  if (const Item* r = x->right;
      r != nullptr && (r->is_run || (r->id.client == client && r->id.clock == x->id.clock + x->length &&
                                     r->deleted == (end == x->length))))
    return false;
  if (text->is_deleted() || (txn.doc.store().types_observed() && has_listeners(text))) return false;

  StructStore& store = txn.doc.store();
  Item* del = x;
  if (offset > 0 || end < x->length) {
    StructStore::Blocks& blocks = *store.blocks(client);
    const size_t i = StructStore::find_index(blocks, x->id.clock);
    // The right part first: then only the deleted units are copied out of
    // what stays left of them, not them and everything after them twice.
    if (end < x->length) blocks.insert(i + 1, split_item(txn, x, end));
    if (offset > 0) {
      del = split_item(txn, x, offset);
      blocks.insert(i + 1, del);
    }
    txn.merge_structs.clear();  // nothing can merge (checked above)
  }
  del->deleted = true;
  if (txn.doc.gc_enabled()) del->content = ContentDeleted{length};
  text->length -= length;
  if (text->seq_index) text->seq_index->on_visible_change(del, -static_cast<int64_t>(length));
  text->marker = del->right;
  text->marker_index = index;
  record_fast_delete(txn, text, client, del->id.clock, length);
  return true;
}

// A local delete of [index, index + length) inside one item X: into a
// tombstone that continues X's clocks, a backspace (X's last units; R then
// starts at `index`, the position marker) or a forward delete (X's first
// units), else split off as a tombstone of its own. One position lookup.
bool try_fast_delete(Transaction& txn, Branch* text, uint64_t index, uint64_t length) {
  if (text->has_formatting || !txn.merge_structs.empty() || !txn.delete_set.empty()) return false;
  auto [x, offset] = text->find_position(index + length - 1);
  if (x == nullptr || offset + 1 < length) return false;  // not inside one item
  if (length < x->length) {
    if (offset + 1 == x->length && backspace_into_tombstone(txn, x, x->length - length)) {
      text->marker = x->right;
      text->marker_index = index;
      return true;
    }
    if (offset + 1 == length && forward_delete_into_tombstone(txn, x, length)) {
      text->marker = x;
      text->marker_index = index;
      return true;
    }
  }
  return delete_inside_item(txn, text, x, offset + 1 - length, length, index);
}

}  // namespace

Status text_delete(Transaction& txn, Branch* text, uint64_t index, uint64_t length) {
  if (length == 0) return Status::ok();
  if (index + length > text->length) return Status(ErrorCode::kInvalidArgument, "range beyond text length");
  if (try_fast_delete(txn, text, index, length)) return Status::ok();
  TextPosition pos = find_position(txn, text, index);
  AttrMap start_attrs = pos.attrs;
  Item* start = pos.right;
  while (length > 0 && pos.right != nullptr) {
    if (!pos.right->deleted && as_format(pos.right) == nullptr) {
      if (length < pos.right->length) {
        txn.doc.store().get_item_clean_start(txn, ID{pos.right->id.client, pos.right->id.clock + length});
      }
      length -= std::min(length, pos.right->length);
      pos.right->mark_deleted(txn);
    }
    pos.forward();
  }
  // Without formatting there are no markers to clean up (and the scan would
  // walk every tombstone after the deletion).
  if (start != nullptr && text->has_formatting) {
    cleanup_formatting_gap(txn, start, pos.right, start_attrs, pos.attrs);
  }
  if (!text->has_formatting && pos.right != nullptr) {
    // Everything between the deletion point and pos.right is now invisible.
    text->marker = pos.right;
    text->marker_index = index;
  }
  return Status::ok();
}

// Used by cleanup_text_after_transaction (events.cc).
int cleanup_text_formatting(Transaction& txn, Branch* text) {
  int res = 0;
  Item* start = text->start;
  Item* end = text->start;
  AttrMap start_attrs;
  AttrMap current;
  for (; end != nullptr; end = end->right) {
    if (end->deleted) continue;
    if (const ContentFormat* f = as_format(end)) {
      current.apply(*f);
    } else {
      res += cleanup_formatting_gap(txn, start, end, start_attrs, current);
      start_attrs = current;
      start = end;
    }
  }
  return res;
}

void cleanup_contextless_formatting_gap(Transaction& txn, Item* item) {
  while (item != nullptr && item->right != nullptr && (item->right->deleted || !item->right->countable)) {
    item = item->right;
  }
  std::vector<std::string> seen;
  while (item != nullptr && (item->deleted || !item->countable)) {
    if (!item->deleted) {
      if (const ContentFormat* f = as_format(item)) {
        if (std::find(seen.begin(), seen.end(), f->key) != seen.end()) {
          item->mark_deleted(txn);
        } else {
          seen.push_back(f->key);
        }
      }
    }
    item = item->left;
  }
}

}  // namespace weft
