// Branch: the state shared by every Yjs type (AbstractType): a list of items
// (sequence part) and key -> rightmost item chains (map part).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/item.h"
#include "core/observer_list.h"
#include "core/seq_index.h"
#include "encoding/content.h"

namespace weft {

class Doc;
class Transaction;
struct Event;

// Key -> item, iterated in first-insertion order like a JS Map: Yjs walks
// map entries in that order when deleting and collecting types, and the
// order decides which blocks merge afterwards.
class KeyMap {
 public:
  using Entry = std::pair<std::string, Item*>;
  using iterator = std::vector<Entry>::iterator;
  using const_iterator = std::vector<Entry>::const_iterator;

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  size_t size() const { return entries_.size(); }
  iterator find(const std::string& key) {
    auto it = index_.find(key);
    return it == index_.end() ? entries_.end() : entries_.begin() + static_cast<ptrdiff_t>(it->second);
  }
  const_iterator find(const std::string& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? entries_.end() : entries_.begin() + static_cast<ptrdiff_t>(it->second);
  }
  Item*& operator[](const std::string& key) {
    auto [it, inserted] = index_.emplace(key, entries_.size());
    if (inserted) entries_.emplace_back(key, nullptr);
    return entries_[it->second].second;
  }
  void clear() {
    entries_.clear();
    index_.clear();
  }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;
};

class Branch {
 public:
  Branch(Doc* doc, std::optional<TypeRef> kind, std::string name)
      : doc(doc), kind(kind), name(std::move(name)) {}

  Doc* doc;
  // Undeclared roots (read from an update before anyone asked for a type)
  // have no kind; get_text/get_map/... fix it.
  std::optional<TypeRef> kind;
  std::string name;      // root name, or node name of XmlElement / XmlHook
  Item* item = nullptr;  // the item holding this type; null for a root
  Item* start = nullptr;
  KeyMap map;                   // key -> rightmost item of its chain
  uint64_t length = 0;          // visible countable length
  bool has_formatting = false;  // a Format item was ever integrated (Y.Text)

  // Position cache for index lookups: `marker` starts at visible index
  // `marker_index`. Any integration or deletion in this branch clears it;
  // local list operations set it again, so typing runs stay O(1).
  Item* marker = nullptr;
  uint64_t marker_index = 0;
  void clear_marker() { marker = nullptr; }

  // Ordered index over the sequence items, built by find_position once a
  // lookup walks more than index_after_steps items (small lists never get
  // one; tests lower it). While it exists, every change to the list must reach it (see
  // seq_index.h); `seq_index_of` gives it to the hooks.
  static inline size_t index_after_steps = 128;
  std::unique_ptr<SeqIndex> seq_index;
  static SeqIndex* seq_index_of(const Item* item) {
    return item->parent_sub() ? nullptr : item->parent->seq_index.get();
  }

  // Observers (event, transaction); deep observers get all events of the subtree.
  using Observer = std::function<void(const Event&, Transaction&)>;
  using DeepObserver = std::function<void(const std::vector<const Event*>&, Transaction&)>;
  ObserverList<Observer> observers;
  ObserverList<DeepObserver> deep_observers;

  bool is_root() const { return item == nullptr; }
  bool is_deleted() const { return item != nullptr && item->deleted; }
  // The kind used to read this type: the declared one, or one inferred
  // from content for an undeclared root.
  TypeRef effective_kind() const;

  // The item holding visible index `index` and the offset into it; returns
  // {nullptr, 0} when index == length. Uses and refreshes the marker; far
  // from it, uses (and builds) the index.
  std::pair<Item*, uint64_t> find_position(uint64_t index);
  // Map value item for key (nullptr when absent or deleted).
  Item* map_item(const std::string& key) const;
};

}  // namespace weft
