#include "core/list_ops.h"

#include "core/branch.h"
#include "core/integrate.h"
#include "core/struct_store.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "weft/doc.h"

namespace weft {

Item* new_local_item(Transaction& txn, Branch* parent, Item* left, Item* right, Content&& content) {
  Doc& doc = txn.doc;
  // The new item's origins are its neighbours' ids: a tombstone run on
  // either side gives up its member there as an Item (and is freed: the
  // caller must not use the run it passed).
  if (left != nullptr && left->is_run) left = thaw_last_member(doc.store(), left);
  if (right != nullptr && right->is_run) right = thaw_member(doc.store(), right, size_t{0});
  Item* item = doc.store().pool().make();
  item->id = ID{doc.client_id(), doc.store().state(doc.client_id())};
  item->left = left;
  if (left != nullptr) item->origin = left->last_id();
  item->right = right;
  if (right != nullptr) item->right_origin = right->id;
  item->parent = parent;
  item->content = std::move(content);
  item->length = content_length(item->content);
  item->countable = content_countable(item->content);
  return item;
}

std::vector<Content> contents_from_values(const std::vector<Any>& values) {
  std::vector<Content> out;
  ContentAny pack;
  for (const Any& v : values) {
    if (v.is_bytes()) {
      if (!pack.values.empty()) out.emplace_back(std::move(pack));
      pack = ContentAny{};
      out.emplace_back(ContentBinary{v.as_bytes()});
    } else {
      pack.values.push_back(v);
    }
  }
  if (!pack.values.empty()) out.emplace_back(std::move(pack));
  return out;
}

Item* list_insert_ref(Transaction& txn, Branch* parent, uint64_t index) {
  if (index == 0) return nullptr;
  auto [n, offset] = parent->find_position(index - 1);
  if (offset + 1 < n->length)
    txn.doc.store().get_item_clean_start(txn, ID{n->id.client, n->id.clock + offset + 1});
  return n;
}

Item* list_insert_contents_after(Transaction& txn, Branch* parent, Item* ref,
                                 std::vector<Content>&& contents) {
  Item* left = ref;
  Item* right = ref == nullptr ? parent->start : ref->right;
  for (Content& c : contents) {
    Item* item = new_local_item(txn, parent, left, right, std::move(c));
    integrate_item(txn, item, 0);
    left = item;
    right = item->right;  // not the one passed: a tombstone run there was thawed (and freed)
  }
  return left;
}

Status list_insert(Transaction& txn, Branch* parent, uint64_t index, std::vector<Content>&& contents) {
  if (index > parent->length) return Status(ErrorCode::kInvalidArgument, "index beyond length");
  if (contents.empty()) return Status::ok();
  uint64_t inserted = 0;
  for (const Content& c : contents) inserted += content_countable(c) ? content_length(c) : 0;
  Item* ref = list_insert_ref(txn, parent, index);
  Item* last = list_insert_contents_after(txn, parent, ref, std::move(contents));
  if (last != nullptr && last->visible()) {
    parent->marker = last;
    parent->marker_index = index + inserted - last->length;
  }
  return Status::ok();
}

Status list_delete(Transaction& txn, Branch* parent, uint64_t index, uint64_t length) {
  if (length == 0) return Status::ok();
  if (index + length > parent->length) return Status(ErrorCode::kInvalidArgument, "range beyond length");
  StructStore& store = txn.doc.store();
  auto [n, offset] = parent->find_position(index);
  if (offset > 0) n = store.get_item_clean_start(txn, ID{n->id.client, n->id.clock + offset});
  while (length > 0 && n != nullptr) {
    if (!n->deleted) {
      if (length < n->length) store.get_item_clean_start(txn, ID{n->id.client, n->id.clock + length});
      n->mark_deleted(txn);
      length -= n->countable ? n->length : 0;
    }
    n = n->right;
  }
  if (n != nullptr) {
    parent->marker = n;
    parent->marker_index = index;
  }
  return Status::ok();
}

Item* map_set(Transaction& txn, Branch* parent, const std::string& key, Content&& content) {
  auto found = parent->map.find(key);
  Item* left = found == parent->map.end() ? nullptr : found->second;
  Item* item = new_local_item(txn, parent, left, nullptr, std::move(content));
  item->set_parent_sub(key);
  integrate_item(txn, item, 0);
  return item;
}

void map_delete(Transaction& txn, Branch* parent, const std::string& key) {
  auto found = parent->map.find(key);
  if (found != parent->map.end()) found->second->mark_deleted(txn);
}

}  // namespace weft
