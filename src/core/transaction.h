// Transaction: the unit of change (yjs src/utils/Transaction.js). Changes made
// inside Doc::transact are collected here; when the outermost transaction
// ends, observers run, deleted content is garbage-collected, neighbouring
// blocks are merged and the update events fire.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/item.h"
#include "core/write_update.h"
#include "encoding/id.h"
#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

class Doc;
class Branch;
struct Event;

// client -> next clock, sorted by client, in a flat vector: the full state
// of a document, which debug builds take at each transaction's start to
// check the journal (StructStore) against.
class ClientClocks {
 public:
  using Entry = std::pair<uint64_t, uint64_t>;
  using const_iterator = std::vector<Entry>::const_iterator;
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  // The clock of `client`, 0 when absent.
  uint64_t get(uint64_t client) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), client,
                               [](const Entry& e, uint64_t c) { return e.first < c; });
    return it != entries_.end() && it->first == client ? it->second : 0;
  }
  // Replaces the content (entries in any order).
  template <typename Range>
  void assign(const Range& clocks) {
    entries_.clear();
    for (const auto& [client, clock] : clocks) entries_.emplace_back(client, clock);
    if (!std::is_sorted(entries_.begin(), entries_.end())) std::sort(entries_.begin(), entries_.end());
  }

 private:
  std::vector<Entry> entries_;
};

// What changed in one type: its list part and/or these keys of its map part.
struct ChangedKeys {
  bool list = false;
  // Unique, in first-change order, as yjs' Set: Event::keys keeps it.
  // A few per transaction are found by a scan; past kScanUpTo a hash set
  // keeps them unique (a sorted vector made a transaction that sets n keys
  // of one map, as a loaded state does, quadratic).
  std::vector<std::string> keys;
  void add_key(const std::string& key) {
    if (keys.size() < kScanUpTo) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
      return;
    }
    if (index_.empty()) index_.insert(keys.begin(), keys.end());
    if (index_.insert(key).second) keys.push_back(key);
  }
  void clear_keys() {
    if (!keys.empty()) keys.clear();
    if (!index_.empty()) index_.clear();
  }

 private:
  static constexpr size_t kScanUpTo = 16;
  std::unordered_set<std::string> index_;
};

// Changed types in first-change order (as yjs' Map). Lookups are a scan of
// the few entries, with a hash index once there are many.
// clear() keeps the entries' slots (and their key vectors' capacity) for the
// next transaction: entries_[0, size_) are in use.
class ChangedTypes {
 public:
  using Entry = std::pair<Branch*, ChangedKeys>;
  std::vector<Entry>::iterator begin() { return entries_.begin(); }
  std::vector<Entry>::iterator end() { return entries_.begin() + static_cast<ptrdiff_t>(size_); }
  bool empty() const { return size_ == 0; }
  ChangedKeys& operator[](Branch* type) {
    // A transaction changes one or a few types: the last one is checked
    // first, and a first change of the type the last transaction changed
    // first takes its slot back as it is.
    if (size_ != 0) {
      if (index_.empty() && entries_[size_ - 1].first == type) return entries_[size_ - 1].second;
    } else if (!entries_.empty() && entries_[0].first == type) {
      size_ = 1;
      ChangedKeys& keys = entries_[0].second;
      keys.list = false;
      keys.clear_keys();
      return keys;
    }
    return find_or_add(type);
  }
  void erase(Branch* type);
  void clear() {
    size_ = 0;
    if (!index_.empty()) index_.clear();
  }

 private:
  ChangedKeys& find_or_add(Branch* type);
  ChangedKeys& add(Branch* type);
  void rebuild_index();
  static constexpr size_t kIndexFrom = 16;
  std::vector<Entry> entries_;
  size_t size_ = 0;
  std::unordered_map<Branch*, size_t> index_;  // filled once size_ reaches kIndexFrom
};

class Transaction {
 public:
  Transaction(Doc& doc, std::string origin, bool local);
  // Makes this a fresh transaction again (Doc reuses one to spare allocations).
  void reset(const std::string& origin, bool local);

  Doc& doc;
  std::string origin;  // empty = none; providers put their own tag here
  bool local;          // false while applying a remote update
  // The state of `client` when this transaction began (yjs beforeState).
  uint64_t before(uint64_t client) const;
  // Filled when the cleanup begins: the clients whose state moved since the
  // transaction began, ascending, with their states before (yjs compares
  // beforeState and afterState).
  std::vector<ClientMove> moved;
  DeleteSet delete_set;
  // Changed types and the keys changed in their map and list parts.
  ChangedTypes changed;
  // Blocks split or touched during the transaction, merged at cleanup.
  std::vector<ID> merge_structs;
  bool need_formatting_cleanup = false;
  // Subdocuments (guid) added / removed / loaded in this transaction.
  std::vector<std::string> subdocs_added, subdocs_removed, subdocs_loaded;
  // The range the backspace fast path (text_ops.cc) deleted as the
  // transaction's first change, if it did. While the delete set holds only
  // this range and nothing was split, the cleanup's gc and merge passes over
  // the delete set cannot change anything (the fast path checked that), and
  // are skipped.
  bool has_fast_delete = false;
  // Set by a load into an empty document (apply_update.cc) that collected
  // and merged the store's blocks itself (bulk_load.h): the cleanup's gc and
  // merge walks would find nothing left to do. (Beside has_fast_delete: reset
  // clears both with one store.)
  bool bulk_loaded = false;
  uint64_t fast_delete_client = 0;
  DeleteRange fast_delete;
  // Kept across reuse of this object (Doc::transact): the v1 update encoder.
  std::unique_ptr<UpdateEncoder> update_encoder;

  void add_changed_type(Branch* type, const std::string* parent_sub);
  // Fills `moved` (Doc::cleanup_transaction).
  void collect_moved();
  // Gives back the memory of a long `moved` (after a transaction of many clients).
  [[gnu::noinline]] void release_moved();
  // Gives back what a big update's transaction holds until the next
  // transaction would reset it (a load's delete set and merge list).
  void release_buffers();

  // The delete set's ranges of `client`, created when absent. Reuses the
  // map node (and its vector's capacity) that reset() took from the last
  // transaction, so a transaction deleting text allocates nothing.
  std::vector<DeleteRange>& deleted_ranges(uint64_t client);

 private:
  uint32_t start_mark_ = 0;  // StructStore's journal at the start
#ifndef NDEBUG
  ClientClocks debug_before_;  // the full state at the start, checked against the journal's
#endif
  using DeleteSetNode = std::map<uint64_t, std::vector<DeleteRange>>::node_type;
  std::vector<DeleteSetNode> spare_delete_nodes_;
  // A delete set of one client (its ranges cleared) set aside whole by reset().
  std::map<uint64_t, std::vector<DeleteRange>> spare_delete_map_;
};

}  // namespace weft
