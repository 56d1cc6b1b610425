#include "core/transaction.h"

#include <algorithm>
#include <cassert>

#include "core/branch.h"
#include "core/events.h"
#include "core/struct_store.h"
#include "core/tombstone_runs.h"
#include "core/write_update.h"
#include "weft/doc.h"

namespace weft {

Transaction::Transaction(Doc& d, std::string o, bool l) : doc(d), origin(std::move(o)), local(l) {
  start_mark_ = doc.store().mark();
#ifndef NDEBUG
  debug_before_.assign(doc.store().state_vector());
#endif
}

void Transaction::reset(const std::string& o, bool l) {
  if (!origin.empty() || !o.empty()) origin = o;
  local = l;
  start_mark_ = doc.store().mark();
#ifndef NDEBUG
  debug_before_.assign(doc.store().state_vector());
#endif
  // Keeps the delete set's nodes for deleted_ranges(); a few are enough.
  auto& clients = delete_set.clients();
  if (clients.size() == 1 && spare_delete_map_.empty()) {
    // The usual: one client's ranges. The whole map is set aside (no tree
    // operation) for that client's next deletion.
    std::vector<DeleteRange>& ranges = clients.begin()->second;
    ranges.clear();
    if (ranges.capacity() > 64) ranges.shrink_to_fit();
    clients.swap(spare_delete_map_);
  }
  while (!clients.empty()) {
    DeleteSetNode node = clients.extract(clients.begin());
    if (spare_delete_nodes_.size() < 4) {
      node.mapped().clear();
      if (node.mapped().capacity() > 64) node.mapped().shrink_to_fit();
      spare_delete_nodes_.push_back(std::move(node));
    }
  }
  changed.clear();
  moved.clear();
  has_fast_delete = false;
  bulk_loaded = false;
  if (!merge_structs.empty()) {
    merge_structs.clear();
    if (merge_structs.capacity() > 4096) merge_structs.shrink_to_fit();
  }
  need_formatting_cleanup = false;
  if (!subdocs_added.empty()) subdocs_added.clear();
  if (!subdocs_removed.empty()) subdocs_removed.clear();
  if (!subdocs_loaded.empty()) subdocs_loaded.clear();
}

std::vector<DeleteRange>& Transaction::deleted_ranges(uint64_t client) {
  auto& clients = delete_set.clients();
  if (clients.empty() && !spare_delete_map_.empty() && spare_delete_map_.begin()->first == client) {
    clients.swap(spare_delete_map_);
    return clients.begin()->second;
  }
  auto it = clients.lower_bound(client);
  if (it != clients.end() && it->first == client) return it->second;
  if (spare_delete_nodes_.empty())
    return clients.emplace_hint(it, client, std::vector<DeleteRange>{})->second;
  DeleteSetNode node = std::move(spare_delete_nodes_.back());
  spare_delete_nodes_.pop_back();
  node.key() = client;
  return clients.insert(it, std::move(node))->second;
}

ChangedKeys& ChangedTypes::find_or_add(Branch* type) {
  if (!index_.empty()) {
    auto [it, inserted] = index_.emplace(type, size_);
    if (inserted) return add(type);
    return entries_[it->second].second;
  }
  for (size_t i = size_; i-- > 0;) {
    if (entries_[i].first == type) return entries_[i].second;
  }
  ChangedKeys& keys = add(type);
  if (size_ >= kIndexFrom) rebuild_index();
  return keys;
}

// Appends an entry, reusing a slot a previous transaction left.
ChangedKeys& ChangedTypes::add(Branch* type) {
  if (size_ == entries_.size()) {
    entries_.emplace_back(type, ChangedKeys{});
  } else {
    Entry& e = entries_[size_];
    e.first = type;
    e.second.list = false;
    e.second.clear_keys();
  }
  return entries_[size_++].second;
}

void ChangedTypes::rebuild_index() {
  index_.clear();
  if (size_ < kIndexFrom) return;
  for (size_t i = 0; i < size_; i++) index_.emplace(entries_[i].first, i);
}

void ChangedTypes::erase(Branch* type) {
  auto last = end();
  auto it = std::find_if(begin(), last, [&](const Entry& e) { return e.first == type; });
  if (it == last) return;
  // Shifts the later entries down (first-change order kept); the erased
  // slot moves behind them for reuse.
  std::rotate(it, it + 1, last);
  size_--;
  if (!index_.empty()) rebuild_index();
}

void Transaction::release_moved() { std::vector<ClientMove>().swap(moved); }

void Transaction::release_buffers() {
  delete_set = DeleteSet();
  std::vector<ID>().swap(merge_structs);
  release_moved();
}

uint64_t Transaction::before(uint64_t client) const {
  const uint64_t state = doc.store().state_at(client, start_mark_);
  assert(state == debug_before_.get(client));
  return state;
}

void Transaction::collect_moved() {
  const StructStore& store = doc.store();
  const std::span<const StructStore::JournalEntry> since = store.journal_since(start_mark_);
  moved.clear();
  // A client's first entry since the mark holds its state at the mark; every
  // entry is a change of a state, which only grows (no struct is empty).
  if (since.size() == 1) {  // the usual: one client typed or one update came
    moved.push_back({since[0].client, since[0].before});
  } else if (!since.empty()) {
    for (const StructStore::JournalEntry& e : since) moved.push_back({e.client, e.before});
    auto by_client = [](const ClientMove& a, const ClientMove& b) { return a.client < b.client; };
    std::stable_sort(moved.begin(), moved.end(), by_client);
    moved.erase(std::unique(moved.begin(), moved.end(),
                            [](const ClientMove& a, const ClientMove& b) { return a.client == b.client; }),
                moved.end());
  }
#ifndef NDEBUG
  ClientClocks now;
  now.assign(store.state_vector());
  std::vector<ClientMove> expected;
  for (const auto& [client, clock] : now) {
    if (clock != debug_before_.get(client)) expected.push_back({client, debug_before_.get(client)});
  }
  assert(expected.size() == moved.size());
  for (size_t i = 0; i < moved.size(); i++)
    assert(expected[i].client == moved[i].client && expected[i].before == moved[i].before);
#endif
}

const std::string& transaction_origin(const Transaction& txn) { return txn.origin; }
bool transaction_is_local(const Transaction& txn) { return txn.local; }

void Transaction::add_changed_type(Branch* type, const std::string* parent_sub) {
  const Item* item = type->item;
  if (item != nullptr) {
    if (!(item->id.clock < before(item->id.client) && !item->deleted)) return;
  }
  ChangedKeys& keys = changed[type];
  if (parent_sub) {
    keys.add_key(*parent_sub);
  } else {
    keys.list = true;
  }
}

namespace {

// Merges blocks[pos] (of `client`) into its left neighbours while possible;
// returns how many were merged (and removed from the array).
size_t try_merge_with_lefts(StructStore& store, StructStore::Blocks& blocks, uint64_t client, size_t pos) {
  ItemPool& pool = store.pool();
  size_t i = pos;
  for (; i > 0; i--) {
    Item* left = blocks[i - 1];
    Item* right = blocks[i];
    if (left->is_run != right->is_run) [[unlikely]] {
      // A tombstone run's member may merge with a deleted block beside it:
      // it is thawed out of its run to try. Two members are never tried together: the
      // cleanup tries pairs holding a block of this transaction (new, split
      // or newly deleted, none a member) or the earlier tombstones of a
      // deleted type, whose runs delete_type_children thawed.
      Item* other = left->is_run ? right : left;
      if (!other->deleted || other->is_gc) break;
      const size_t at = left->is_run ? i - 1 : i;
      thaw_member(store, blocks[at], ID{client, blocks.clock_at(at)});
      left = blocks[i - 1];
      right = blocks[i];
    }
    if (left->deleted != right->deleted || left->is_gc != right->is_gc) break;
    if (!left->try_merge(*right)) break;
    if (!right->is_gc && right->parent_sub()) {
      auto found = right->parent->map.find(*right->parent_sub());
      if (found != right->parent->map.end() && found->second == right) found->second = left;
    }
    pool.destroy(right);
    blocks[i] = nullptr;
  }
  size_t merged = pos - i;
  if (merged > 0) {
    blocks.erase(pos + 1 - merged, pos + 1);
  }
  return merged;
}

void try_gc_delete_set(const DeleteSet& ds, StructStore& store) {
  for (const auto& [client, ranges] : ds.clients()) {
    StructStore::Blocks* blocks = store.blocks(client);
    if (blocks == nullptr) continue;
    for (size_t di = ranges.size(); di-- > 0;) {
      const DeleteRange& r = ranges[di];
      // An empty range (hostile input: zero-length structs) deletes nothing,
      // and its clock need not lie inside any block.
      if (r.len == 0) continue;
      for (size_t si = StructStore::find_index(*blocks, r.clock); si < blocks->size(); si++) {
        if (blocks->clock_at(si) >= r.end()) break;  // not block->id: a run's member points at the run
        Item* block = (*blocks)[si];
        if (!block->is_gc && block->deleted && !block->keep) block->gc(store, false);
      }
    }
  }
}

void try_merge_delete_set(const DeleteSet& ds, StructStore& store) {
  for (const auto& [client, ranges] : ds.clients()) {
    StructStore::Blocks* blocks = store.blocks(client);
    if (blocks == nullptr) continue;
    for (size_t di = ranges.size(); di-- > 0;) {
      const DeleteRange& r = ranges[di];
      // An empty range at clock 0 (hostile input) would look up clock -1;
      // Yjs throws there (findIndexSS). It deletes nothing, so nothing merges.
      if (r.end() == 0) continue;
      auto most_right = static_cast<int64_t>(
          std::min(blocks->size() - 1, 1 + StructStore::find_index(*blocks, r.end() - 1)));
      for (int64_t si = most_right; si > 0 && blocks->clock_at(static_cast<size_t>(si)) >= r.clock;) {
        si -= 1 + static_cast<int64_t>(try_merge_with_lefts(store, *blocks, client, static_cast<size_t>(si)));
      }
    }
  }
}

}  // namespace

void Doc::transact(TransactionFn fn, const std::string& origin) {
  if (txn_ != nullptr) {  // joins the current transaction
    fn(*txn_);
    return;
  }
  if (spare_txn_ == nullptr) {
    // Opened by an observer or handler while a transaction is cleaned up
    // (the spare is the one being cleaned up): cleaned up after it, in
    // order, not nested.
    cleanups_.push_back(std::make_unique<Transaction>(*this, origin, true));
    txn_ = cleanups_.back().get();
    fn(*txn_);
    txn_ = nullptr;
    return;
  }
  // No transaction is open: the journal starts again.
  (void)store_->close_journal();
  spare_txn_->reset(origin, true);
  txn_ = spare_txn_.get();
  fn(*txn_);
  txn_ = nullptr;
  std::unique_ptr<Transaction> txn = std::move(spare_txn_);
  cleanup_transaction(*txn);
  for (size_t i = 0; i < cleanups_.size(); i++) cleanup_transaction(*cleanups_[i]);
  if (!cleanups_.empty()) cleanups_.clear();
  if (store_->close_journal()) txn->release_moved();  // moved was no longer than the journal
  spare_txn_ = std::move(txn);
  if (freeze_runs_after_transactions) [[unlikely]]
    freeze_tombstone_runs(*this);
}

void Doc::cleanup_transaction(Transaction& txn) {
  StructStore& store = *store_;
  // Only the backspace fast path deleted, and nothing was split: its one
  // range is sorted and nothing in it can be collected (gc on: its block's
  // content is already Deleted) or merged (its neighbours were checked).
  const bool fast_delete_only = txn.has_fast_delete && txn.merge_structs.empty() && [&] {
    const auto& clients = txn.delete_set.clients();
    if (clients.size() != 1 || clients.begin()->first != txn.fast_delete_client) return false;
    const std::vector<DeleteRange>& ranges = clients.begin()->second;
    return ranges.size() == 1 && ranges[0].clock == txn.fast_delete.clock &&
           ranges[0].len == txn.fast_delete.len;
  }();
  if (!txn.delete_set.empty() && !fast_delete_only) txn.delete_set.sort_and_merge();
  txn.collect_moved();
  if (store.types_observed() || !txn.local) call_observers(txn);
  for (auto& [id, handler] : after_transaction_handlers_) handler(txn);
  if (txn.need_formatting_cleanup) cleanup_text_after_transaction(txn);

  // A bulk load (bulk_load.h) collected and merged every block itself, and
  // left merge_structs empty.
  if (!fast_delete_only && !txn.bulk_loaded && !txn.delete_set.empty()) {
    if (gc_) try_gc_delete_set(txn.delete_set, store);
    try_merge_delete_set(txn.delete_set, store);
  }
  // New blocks merge with their left neighbours (yjs tryMergeWithLefts over
  // the clients whose clock moved).
  auto merge_new_blocks = [&](uint64_t client, uint64_t before) {
    if (txn.bulk_loaded) return;
    StructStore::Blocks& blocks = *store.blocks(client);
    // A block that starts before `before` was extended in place by the local
    // typing fast path (text_ops.cc); yjs would have merged the appended run
    // into it right here, and would not try to merge that block leftwards.
    // When that is the last block, no new block follows: nothing to merge.
    if (blocks.back()->id.clock < before) return;
    size_t changed_from = StructStore::find_index(blocks, before);
    if (blocks.clock_at(changed_from) < before) changed_from++;
    auto first = static_cast<int64_t>(std::max<size_t>(changed_from, 1));
    for (auto i = static_cast<int64_t>(blocks.size()) - 1; i >= first;) {
      i -= 1 + static_cast<int64_t>(try_merge_with_lefts(store, blocks, client, static_cast<size_t>(i)));
    }
  };
  for (const ClientMove& m : txn.moved) {
    // The typing fast path's case (its last block extended, no new one)
    // checked here without the call.
    if (store.blocks(m.client)->back()->id.clock >= m.before) merge_new_blocks(m.client, m.before);
  }
  const bool state_changed = !txn.moved.empty();
  for (size_t k = txn.merge_structs.size(); k-- > 0;) {
    ID id = txn.merge_structs[k];
    StructStore::Blocks& blocks = *store.blocks(id.client);
    size_t pos = StructStore::find_index(blocks, id.clock);
    if (pos + 1 < blocks.size()) {
      if (try_merge_with_lefts(store, blocks, id.client, pos + 1) > 1) continue;
    }
    if (pos > 0) try_merge_with_lefts(store, blocks, id.client, pos);
  }
  if (!txn.local) {
    auto own = std::lower_bound(txn.moved.begin(), txn.moved.end(), client_id_,
                                [](const ClientMove& m, uint64_t c) { return m.client < c; });
    if (own != txn.moved.end() && own->client == client_id_)
      client_id_ = generate_client_id();  // another peer uses our id
  }
  bool changed = !txn.delete_set.empty() || state_changed;
  if (changed && !update_handlers_.empty()) {
    // One v1 encoder per transaction object, reused: no allocation once its
    // buffer has grown. Handlers get a view of it for the call.
    if (!txn.update_encoder) txn.update_encoder = make_update_encoder(UpdateFormat::kV1);
    UpdateEncoder& enc = *txn.update_encoder;
    // A v1 update is the plain stream; v1 writers never fail.
    write_transaction_update_v1(enc, store, txn.moved, txn.delete_set);
    if (update_handlers_.size() == 1) {  // most docs have one listener (a provider): no tree walk
      update_handlers_.begin()->second(enc.rest().bytes(), txn);
    } else {
      for (auto& [id, handler] : update_handlers_) handler(enc.rest().bytes(), txn);
    }
  }
  if (changed && !update_v2_handlers_.empty()) {
    auto enc = make_update_encoder(UpdateFormat::kV2);
    write_transaction_structs(*enc, store, txn.moved);
    txn.delete_set.write(*enc);
    UpdateBytes update = enc->finish();
    for (auto& [id, handler] : update_v2_handlers_) handler(update, txn);
  }
}

}  // namespace weft
