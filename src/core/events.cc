#include "core/events.h"

#include <algorithm>
#include <memory>
#include <set>
#include <unordered_map>

#include "core/branch.h"
#include "core/struct_store.h"
#include "core/text_ops.h"
#include "core/transaction.h"
#include "core/values.h"
#include "weft/doc.h"

namespace weft {

int cleanup_text_formatting(Transaction& txn, Branch* text);            // text_ops.cc
void cleanup_contextless_formatting_gap(Transaction& txn, Item* item);  // text_ops.cc

namespace {

// A tombstone run holds earlier tombstones only.
bool adds(const Transaction& txn, const Item* item) {
  return !item->is_run && item->id.clock >= txn.before(item->id.client);
}

bool deletes(const Transaction& txn, const Item* item) { return txn.delete_set.contains(item->id); }

// YEvent.keys: `subs` are the type's changed keys, unique and in first-change
// order, so the event lists them in that order too.
void compute_keys(const Transaction& txn, Event& ev, const std::vector<std::string>& subs) {
  using Action = Event::KeyChange::Action;
  for (const std::string& key : subs) {
    auto found = ev.target->map.find(key);
    if (found == ev.target->map.end()) continue;
    const Item* item = found->second;
    auto last_value = [](const Item* it) { return item_value(*it, it->length - 1); };
    if (adds(txn, item)) {
      const Item* prev = item->left;
      while (prev != nullptr && adds(txn, prev)) prev = prev->left;
      bool prev_deleted = prev != nullptr && deletes(txn, prev);
      if (deletes(txn, item)) {
        if (prev_deleted) ev.keys.push_back({key, {Action::kDelete, last_value(prev)}});
      } else if (prev_deleted) {
        ev.keys.push_back({key, {Action::kUpdate, last_value(prev)}});
      } else {
        ev.keys.push_back({key, {Action::kAdd, std::nullopt}});
      }
    } else if (deletes(txn, item)) {
      ev.keys.push_back({key, {Action::kDelete, last_value(item)}});
    }
  }
}

DeltaOp make_op(DeltaOp::Kind kind) {
  DeltaOp op;
  op.kind = kind;
  return op;
}

// Attributes with JS object semantics: assigning an existing key keeps its
// place, deleting and re-adding moves it to the end.
const Any* find_attr(const Attributes& attrs, const std::string& key) {
  for (const auto& [k, v] : attrs) {
    if (k == key) return &v;
  }
  return nullptr;
}
void set_attr(Attributes& attrs, const std::string& key, const Any& value) {
  for (auto& [k, v] : attrs) {
    if (k == key) {
      v = value;
      return;
    }
  }
  attrs.emplace_back(key, value);
}
void erase_attr(Attributes& attrs, const std::string& key) {
  std::erase_if(attrs, [&](const auto& kv) { return kv.first == key; });
}

// YTextEvent.delta: inserts carry the attributes active where they are,
// retains the attributes changed over them (null: removed). Unlike Yjs's
// getter this does not delete redundant formatting markers it passes; the
// formatting cleanup after remote transactions removes those.
void compute_text_delta(const Transaction& txn, Event& ev) {
  Delta& delta = ev.delta;
  Attributes current;  // active at the position, as a JS Map
  Attributes old;      // what the attributes were before this transaction
  Attributes changed;  // attribute changes over the pending retain
  std::optional<DeltaOp::Kind> action;
  DeltaOp pending;
  auto add_op = [&] {
    if (!action) return;
    switch (*action) {
      case DeltaOp::Kind::kDelete:
        if (pending.count > 0) delta.push_back(std::move(pending));
        break;
      case DeltaOp::Kind::kInsert:
        if (!pending.text.empty() || !pending.values.empty()) {
          if (!current.empty()) {
            pending.has_attributes = true;
            for (const auto& [k, v] : current) {
              if (!v.is_null()) pending.attributes.emplace_back(k, v);
            }
          }
          delta.push_back(std::move(pending));
        }
        break;
      case DeltaOp::Kind::kRetain:
        if (pending.count > 0) {
          if (!changed.empty()) {
            pending.has_attributes = true;
            pending.attributes = changed;
          }
          delta.push_back(std::move(pending));
        }
        break;
    }
    pending = DeltaOp{};
    action.reset();
  };
  auto begin = [&](DeltaOp::Kind kind) {
    if (action == kind) return;
    add_op();
    action = kind;
    pending.kind = kind;
  };
  for (const Item* item = ev.target->start; item != nullptr; item = item->right) {
    const bool added = adds(txn, item);
    const bool removed = deletes(txn, item);
    if (const auto* f = content_if<ContentFormat>(&item->content)) {
      const Any* cur = find_attr(current, f->key);
      const Any cur_value = cur ? *cur : Any::null();
      if (added) {
        if (!removed && !equal_attrs(cur_value, f->value)) {
          if (action == DeltaOp::Kind::kRetain) add_op();
          const Any* was = find_attr(old, f->key);
          if (equal_attrs(f->value, was ? *was : Any::null())) {
            erase_attr(changed, f->key);
          } else {
            set_attr(changed, f->key, f->value);
          }
        }
      } else if (removed) {
        set_attr(old, f->key, f->value);
        if (!equal_attrs(cur_value, f->value)) {
          if (action == DeltaOp::Kind::kRetain) add_op();
          set_attr(changed, f->key, cur_value);
        }
      } else if (!item->deleted) {
        set_attr(old, f->key, f->value);
        if (const Any* attr = find_attr(changed, f->key); attr && !equal_attrs(*attr, f->value)) {
          if (action == DeltaOp::Kind::kRetain) add_op();
          if (f->value.is_null()) {
            erase_attr(changed, f->key);
          } else {
            set_attr(changed, f->key, f->value);
          }
        }
      }
      if (!item->deleted) {
        if (action == DeltaOp::Kind::kInsert) add_op();
        if (f->value.is_null()) {
          erase_attr(current, f->key);
        } else {
          set_attr(current, f->key, f->value);
        }
      }
      continue;
    }
    const bool is_string = std::holds_alternative<ContentString>(item->content);
    if (!is_string && !content_is<ContentEmbed>(item->content) && !content_is<ContentType>(item->content)) {
      continue;  // deleted content and GC leave no trace in the delta
    }
    if (added) {
      if (removed) continue;
      if (is_string) {
        begin(DeltaOp::Kind::kInsert);
        pending.text += std::get<ContentString>(item->content).text;
      } else {
        add_op();
        action = DeltaOp::Kind::kInsert;
        pending.kind = DeltaOp::Kind::kInsert;
        pending.values.push_back(item_value(*item, 0));
        add_op();
      }
    } else if (removed) {
      begin(DeltaOp::Kind::kDelete);
      pending.count += item->length;
    } else if (!item->deleted) {
      begin(DeltaOp::Kind::kRetain);
      pending.count += item->length;
    }
  }
  add_op();
  while (!delta.empty() && delta.back().kind == DeltaOp::Kind::kRetain && !delta.back().has_attributes) {
    delta.pop_back();
  }
}

// YEvent.changes.delta (arrays, XML children): retains, inserts and deletes.
void compute_list_delta(const Transaction& txn, Event& ev) {
  Delta& delta = ev.delta;
  auto last_is = [&](DeltaOp::Kind k) { return !delta.empty() && delta.back().kind == k; };
  for (const Item* item = ev.target->start; item != nullptr; item = item->right) {
    if (item->deleted) {
      if (deletes(txn, item) && !adds(txn, item)) {
        if (!last_is(DeltaOp::Kind::kDelete)) delta.push_back(make_op(DeltaOp::Kind::kDelete));
        delta.back().count += item->length;
      }
    } else if (adds(txn, item)) {
      if (!last_is(DeltaOp::Kind::kInsert)) delta.push_back(DeltaOp{});
      for (uint64_t i = 0; i < item->length; i++) delta.back().values.push_back(item_value(*item, i));
    } else {
      if (!last_is(DeltaOp::Kind::kRetain)) delta.push_back(make_op(DeltaOp::Kind::kRetain));
      delta.back().count += item->length;
    }
  }
  if (!delta.empty() && delta.back().kind == DeltaOp::Kind::kRetain) delta.pop_back();
}

std::vector<std::variant<std::string, uint64_t>> path_between(const Branch* ancestor, const Branch* child) {
  std::vector<std::variant<std::string, uint64_t>> path;
  while (child != ancestor && child->item != nullptr) {
    const Item* item = child->item;
    if (item->parent_sub()) {
      path.emplace_back(*item->parent_sub());
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

bool has_listeners(const Branch* type) {
  if (type->doc != nullptr && !type->doc->store().types_observed()) return false;
  for (const Branch* t = type; t != nullptr; t = t->item ? t->item->parent : nullptr) {
    if (!t->observers.empty() || !t->deep_observers.empty()) return true;
  }
  return false;
}

void call_observers(Transaction& txn) {
  if (!txn.doc.store().types_observed()) {
    // Nothing to call: only YText's remote formatting cleanup flag remains.
    if (txn.local) return;
    for (auto& [type, subs] : txn.changed) {
      if (type->has_formatting && !type->is_deleted() && type->kind &&
          (*type->kind == TypeRef::kText || *type->kind == TypeRef::kXmlText)) {
        txn.need_formatting_cleanup = true;
        return;
      }
    }
    return;
  }
  // yjs cleanupTransactions: each changed type in first-change order
  // (transaction.changed, a Map) makes its event and calls its own observers
  // (_callObserver) before the next type's turn, so an observer that deletes
  // a type yet to come spares that type its call.
  std::vector<std::unique_ptr<Event>> events;
  // Deep observer bookkeeping (yjs transaction.changedParentTypes, a Map):
  // each type an event reached on its way up from its target, in the order
  // the first one did, with those events in the order they were made.
  struct Reached {
    Branch* type;
    std::vector<const Event*> events;
    bool call_deep = false;
  };
  std::vector<Reached> parents;
  // A transaction reaches one or a few types: they are found by a scan, with
  // a hash index once there are many.
  constexpr size_t kIndexFrom = 16;
  std::unordered_map<Branch*, size_t> parent_index;
  auto reach = [&](Branch* t) -> Reached& {
    if (parents.size() < kIndexFrom) {
      for (Reached& r : parents) {
        if (r.type == t) return r;
      }
      if (parents.empty()) parents.reserve(4);  // a type, its parent, a root
      parents.push_back({t, {}});
      if (parents.size() == kIndexFrom) {
        for (size_t i = 0; i < parents.size(); i++) parent_index.emplace(parents[i].type, i);
      }
      return parents.back();
    }
    auto [at, added] = parent_index.try_emplace(t, parents.size());
    if (added) parents.push_back({t, {}});
    return parents[at->second];
  };
  for (auto& [type, subs] : txn.changed) {
    if (type->is_deleted()) continue;
    if (has_listeners(type)) {
      auto ev = std::make_unique<Event>();
      ev->target = type;
      ev->current_target = type;
      compute_keys(txn, *ev, subs.keys);
      if (subs.list) {
        const auto kind = type->effective_kind();
        if (kind == TypeRef::kText || kind == TypeRef::kXmlText) {
          compute_text_delta(txn, *ev);
        } else {
          compute_list_delta(txn, *ev);
        }
      }
      // callTypeObservers: the event goes to the type and each ancestor.
      for (Branch* t = type; t != nullptr; t = t->item ? t->item->parent : nullptr) {
        reach(t).events.push_back(ev.get());
      }
      const Event& event = *events.emplace_back(std::move(ev));
      type->observers.call(event, txn);
    }
    // YText._callObserver: remote changes to formatted text trigger the marker cleanup.
    if (!txn.local && type->has_formatting && type->kind &&
        (*type->kind == TypeRef::kText || *type->kind == TypeRef::kXmlText)) {
      txn.need_formatting_cleanup = true;
    }
  }
  // Then the deep observers, type by type in the order an event first
  // reached each (changedParentTypes, a Map). As in yjs, which types are
  // called is settled before the first call; which of their events are
  // passed (targets not deleted), at each call.
  for (Reached& r : parents) r.call_deep = !r.type->deep_observers.empty() && !r.type->is_deleted();
  for (const Reached& r : parents) {
    if (!r.call_deep) continue;
    Branch* type = r.type;
    std::vector<Event> copies;
    for (const Event* ev : r.events) {
      if (ev->target->is_deleted()) continue;
      Event copy = *ev;
      copy.current_target = type;
      copy.path = path_between(type, ev->target);
      copies.push_back(std::move(copy));
    }
    // Top-level events first; a stable sort, as JS's Array.prototype.sort.
    std::stable_sort(copies.begin(), copies.end(),
                     [](const Event& a, const Event& b) { return a.path.size() < b.path.size(); });
    std::vector<const Event*> ptrs;
    for (const Event& e : copies) ptrs.push_back(&e);
    // Called even with no event left (an earlier observer deleted their targets), as yjs does.
    type->deep_observers.call(ptrs, txn);
  }
}

void cleanup_text_after_transaction(Transaction& txn) {
  Doc& doc = txn.doc;
  std::set<Branch*> need_full_cleanup;
  StructStore& store = doc.store();
  for (const auto& [client, before] : txn.moved) {
    StructStore::Blocks& blocks = *store.blocks(client);
    for (size_t i = StructStore::find_index(blocks, before); i < blocks.size(); i++) {
      Item* item = blocks[i];
      if (!item->is_gc && !item->deleted && content_is<ContentFormat>(item->content)) {
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
          if (blocks->clock_at(i) >= r.end()) break;  // not item->id: a run's member points at the run
          Item* item = (*blocks)[i];
          if (item->is_gc || !item->parent->has_formatting || need_full_cleanup.count(item->parent)) continue;
          if (content_is<ContentFormat>(item->content)) {
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
