#include "core/events.h"

#include <algorithm>
#include <memory>
#include <set>

#include "core/branch.h"
#include "core/struct_store.h"
#include "core/transaction.h"
#include "core/values.h"
#include "weft/doc.h"

namespace weft {

int cleanup_text_formatting(Transaction& txn, Branch* text);            // text_ops.cc
void cleanup_contextless_formatting_gap(Transaction& txn, Item* item);  // text_ops.cc

namespace {

bool adds(const Transaction& txn, const Item* item) {
  auto found = txn.before_state.find(item->id.client);
  return item->id.clock >= (found == txn.before_state.end() ? 0 : found->second);
}

bool deletes(const Transaction& txn, const Item* item) { return txn.delete_set.contains(item->id); }

void compute_keys(const Transaction& txn, Event& ev, const std::set<std::optional<std::string>>& subs) {
  for (const auto& sub : subs) {
    if (!sub) continue;
    auto found = ev.target->map.find(*sub);
    if (found == ev.target->map.end()) continue;
    const Item* item = found->second;
    auto last_value = [](const Item* it) { return item_value(*it, it->length - 1); };
    if (adds(txn, item)) {
      const Item* prev = item->left;
      while (prev != nullptr && adds(txn, prev)) prev = prev->left;
      bool prev_deleted = prev != nullptr && deletes(txn, prev);
      if (deletes(txn, item)) {
        if (prev_deleted) ev.keys[*sub] = {Event::KeyChange::Action::kDelete, last_value(prev)};
      } else if (prev_deleted) {
        ev.keys[*sub] = {Event::KeyChange::Action::kUpdate, last_value(prev)};
      } else {
        ev.keys[*sub] = {Event::KeyChange::Action::kAdd, std::nullopt};
      }
    } else if (deletes(txn, item)) {
      ev.keys[*sub] = {Event::KeyChange::Action::kDelete, last_value(item)};
    }
  }
}

DeltaOp make_op(DeltaOp::Kind kind) {
  DeltaOp op;
  op.kind = kind;
  return op;
}

// YEvent.changes.delta: retains, inserts and deletes of the list part.
void compute_delta(const Transaction& txn, Event& ev) {
  Delta& delta = ev.delta;
  bool is_text =
      ev.target->effective_kind() == TypeRef::kText || ev.target->effective_kind() == TypeRef::kXmlText;
  auto last_is = [&](DeltaOp::Kind k) { return !delta.empty() && delta.back().kind == k; };
  for (const Item* item = ev.target->start; item != nullptr; item = item->right) {
    if (item->deleted) {
      if (deletes(txn, item) && !adds(txn, item) && (item->countable || !is_text)) {
        if (!last_is(DeltaOp::Kind::kDelete)) delta.push_back(make_op(DeltaOp::Kind::kDelete));
        delta.back().count += item->length;
      }
    } else if (is_text && !item->countable) {
      continue;  // formatting markers do not occupy positions
    } else if (adds(txn, item)) {
      if (is_text && std::holds_alternative<ContentString>(item->content)) {
        if (!last_is(DeltaOp::Kind::kInsert) || !delta.back().values.empty()) delta.push_back(DeltaOp{});
        delta.back().text += std::get<ContentString>(item->content).text;
      } else {
        if (!last_is(DeltaOp::Kind::kInsert) || !delta.back().text.empty() || is_text)
          delta.push_back(DeltaOp{});
        for (uint64_t i = 0; i < item->length; i++) delta.back().values.push_back(item_value(*item, i));
      }
    } else {
      if (!last_is(DeltaOp::Kind::kRetain)) delta.push_back(make_op(DeltaOp::Kind::kRetain));
      delta.back().count += item->length;
    }
  }
  if (!delta.empty() && delta.back().kind == DeltaOp::Kind::kRetain) delta.pop_back();
}

bool has_listeners(const Branch* type) {
  for (const Branch* t = type; t != nullptr; t = t->item ? t->item->parent : nullptr) {
    if (!t->observers.empty() || !t->deep_observers.empty()) return true;
  }
  return false;
}

std::vector<std::variant<std::string, uint64_t>> path_between(const Branch* ancestor, const Branch* child) {
  std::vector<std::variant<std::string, uint64_t>> path;
  while (child != ancestor && child->item != nullptr) {
    const Item* item = child->item;
    if (item->parent_sub) {
      path.emplace_back(*item->parent_sub);
    } else {
      uint64_t index = 0;
      for (const Item* n = item->parent->start; n != item && n != nullptr; n = n->right) {
        if (n->visible()) index += n->length;
      }
      path.emplace_back(index);
    }
    child = item->parent;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace

void call_observers(Transaction& txn) {
  std::vector<std::unique_ptr<Event>> events;
  for (auto& [type, subs] : txn.changed) {
    if (type->is_deleted()) continue;
    // YText._callObserver: remote changes to formatted text trigger the marker cleanup.
    if (!txn.local && type->has_formatting && type->kind &&
        (*type->kind == TypeRef::kText || *type->kind == TypeRef::kXmlText)) {
      txn.need_formatting_cleanup = true;
    }
    if (!has_listeners(type)) continue;
    auto ev = std::make_unique<Event>();
    ev->target = type;
    ev->current_target = type;
    compute_keys(txn, *ev, subs);
    if (subs.count(std::nullopt) > 0) compute_delta(txn, *ev);
    for (Branch* t = type; t != nullptr; t = t->item ? t->item->parent : nullptr) {
      txn.changed_parent_types[t].push_back(ev.get());
    }
    events.push_back(std::move(ev));
  }
  for (auto& ev : events) {
    auto observers = ev->target->observers;  // observers may unsubscribe while called
    for (auto& [id, fn] : observers) fn(*ev, txn);
  }
  for (auto& [type, evs] : txn.changed_parent_types) {
    if (type->deep_observers.empty() || type->is_deleted()) continue;
    std::vector<Event> copies;
    for (Event* ev : evs) {
      if (ev->target->is_deleted()) continue;
      Event copy = *ev;
      copy.current_target = type;
      copy.path = path_between(type, ev->target);
      copies.push_back(std::move(copy));
    }
    std::stable_sort(copies.begin(), copies.end(),
                     [](const Event& a, const Event& b) { return a.path.size() < b.path.size(); });
    std::vector<const Event*> ptrs;
    for (const Event& e : copies) ptrs.push_back(&e);
    if (ptrs.empty()) continue;
    auto observers = type->deep_observers;
    for (auto& [id, fn] : observers) fn(ptrs, txn);
  }
}

void cleanup_text_after_transaction(Transaction& txn) {
  Doc& doc = txn.doc;
  std::set<Branch*> need_full_cleanup;
  StructStore& store = doc.store();
  for (const auto& [client, after] : txn.after_state) {
    auto found = txn.before_state.find(client);
    uint64_t before = found == txn.before_state.end() ? 0 : found->second;
    if (after == before) continue;
    StructStore::Blocks& blocks = *store.blocks(client);
    for (size_t i = StructStore::find_index(blocks, before); i < blocks.size(); i++) {
      Item* item = blocks[i];
      if (!item->is_gc && !item->deleted && std::holds_alternative<ContentFormat>(item->content)) {
        need_full_cleanup.insert(item->parent);
      }
    }
  }
  doc.transact([&](Transaction& t) {
    for (const auto& [client, ranges] : txn.delete_set.clients()) {
      StructStore::Blocks* blocks = store.blocks(client);
      if (blocks == nullptr) continue;
      for (const DeleteRange& r : ranges) {
        if (r.clock >= store.state(client)) continue;
        for (size_t i = StructStore::find_index(*blocks, r.clock); i < blocks->size(); i++) {
          Item* item = (*blocks)[i];
          if (item->id.clock >= r.end()) break;
          if (item->is_gc || !item->parent->has_formatting || need_full_cleanup.count(item->parent)) continue;
          if (std::holds_alternative<ContentFormat>(item->content)) {
            need_full_cleanup.insert(item->parent);
          } else {
            cleanup_contextless_formatting_gap(t, item);
          }
        }
      }
    }
    for (Branch* text : need_full_cleanup) {
      cleanup_text_formatting(t, text);
    }
  });
}

}  // namespace weft
