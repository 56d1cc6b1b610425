// What the three parts of Doc::apply_update share (yjs src/utils/encoding.js
// readUpdateV2): an update read into detached items and a flat delete set
// (ReadStructs, read_update.cc), integrated into the document
// (integrate_update.cc), and the entry points, with the pending structs and
// deletes, the bulk load and the keystroke fast paths (apply_update.cc).
// Internal to src/core.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/item.h"
#include "core/struct_store.h"
#include "encoding/compact.h"
#include "encoding/id.h"
#include "encoding/wire.h"
#include "weft/status.h"
#include "weft/update.h"

namespace weft {

class Branch;
class Transaction;

// One struct of an update, read straight into a detached Item (as yjs's
// readClientsStructRefs builds Items): no intermediate wire structs. What the
// Item cannot hold until integration (the kind of parent the wire gave -
// none: copied from a neighbour; a root name; the ID of the parent type's
// item - with an index into the update's side tables, or a Skip) rides in the
// item's `seq_chunk`, which means nothing until the item is integrated into
// an indexed parent (get_missing clears it first). A Ref is one pointer, and
// RefList frees them behind the integration's cursor.
struct Ref {
  Item* item = nullptr;  // owned until integrated (then null); a GC block for Skips

  static constexpr uint32_t kNoParent = 0, kRootParent = 1, kIdParent = 2, kSkip = 3;
  // Largest side-table index the 30 bits above the kind hold.
  static constexpr size_t kMaxIndex = (size_t{1} << 30) - 1;
  uint32_t parent_kind() const { return item->seq_chunk & 3; }
  size_t index() const { return item->seq_chunk >> 2; }
  bool is_skip() const { return parent_kind() == kSkip; }
  void set_aux(uint32_t kind, size_t index) const {
    item->seq_chunk = kind | static_cast<uint32_t>(index << 2);
  }
};
static_assert(sizeof(Ref) == sizeof(Item*));

// One client's refs in read order, in blocks of kBlock. Integration takes
// them front to back; a block all of whose items have left (integrated or
// destroyed: null) is freed as soon as the cursor is two blocks past it, so
// a big load never holds a ref for every struct next to the store it builds.
// The first block is kept across updates (keystroke-sized updates allocate
// none); it starts small and doubles up to kBlock, since an update can name
// thousands of clients with a struct or two each.
class RefList {
 public:
  static constexpr size_t kBlock = 1024;

  size_t size() const { return size_; }
  Ref& operator[](size_t i) { return blocks_[i / kBlock][i % kBlock]; }
  Ref& push_back() {
    if (next_ == block_end_) [[unlikely]]
      add_block();
    size_++;
    Ref& r = *next_++;
    r = Ref{};
    return r;
  }
  // Frees the blocks before the one holding position `i - 1` (the cursor is at
  // `i`; integrate_structs may step back one) whose items have all left.
  // Blocks are freed in order: one still holding an item (on the stack, or
  // moved to the rest) stops the walk until a later call.
  [[gnu::noinline]] void release_before(size_t i) {
    const size_t end = i == 0 ? 0 : (i - 1) / kBlock;
    for (; released_ < end; released_++) {
      if (released_ == 0) continue;  // kept for the next update
      Ref* block = blocks_[released_].get();
      if (std::any_of(block, block + kBlock, [](const Ref& r) { return r.item != nullptr; })) return;
      blocks_[released_].reset();
    }
  }
  // Destroys the items not integrated and empties the list.
  void destroy_items(ItemPool& pool) {
    if (size_ == 0) return;  // already empty (reset)
    for (size_t b = 0; b * kBlock < size_; b++) {
      if (!blocks_[b]) continue;  // released: nothing left in it
      const size_t n = std::min(kBlock, size_ - b * kBlock);
      for (size_t k = 0; k < n; k++) {
        if (Item* item = blocks_[b][k].item; item != nullptr) pool.destroy(item);  // null once integrated
      }
    }
    reset();
  }
  // Empties the list (its items are gone), keeping the first block.
  void reset() {
    if (size_ > kBlock) [[unlikely]]
      give_back_blocks();
    size_ = 0;
    released_ = 0;
    if (!blocks_.empty()) {
      next_ = blocks_[0].get();
      block_end_ = next_ + first_cap_;
    }
  }

 private:
  // After a big update: all but the first block.
  [[gnu::noinline]] void give_back_blocks() { blocks_.resize(1); }
  [[gnu::noinline]] void add_block() {
    if (first_cap_ < kBlock) {  // the first block, full: twice the room (refs are moved, not held)
      const size_t cap = first_cap_ == 0 ? 8 : 2 * first_cap_;
      auto bigger = std::make_unique<Ref[]>(cap);
      if (size_ > 0) std::copy_n(blocks_[0].get(), size_, bigger.get());
      if (blocks_.empty()) blocks_.emplace_back();
      blocks_[0] = std::move(bigger);
      first_cap_ = cap;
      next_ = blocks_[0].get() + size_;
      block_end_ = blocks_[0].get() + cap;
      return;
    }
    const size_t b = size_ / kBlock;
    if (b == blocks_.size()) blocks_.emplace_back();
    if (!blocks_[b]) blocks_[b] = std::make_unique<Ref[]>(kBlock);
    next_ = blocks_[b].get();
    block_end_ = next_ + kBlock;
  }

  std::vector<std::unique_ptr<Ref[]>> blocks_;
  size_t size_ = 0;
  size_t released_ = 0;   // blocks before this one are freed (but the first)
  size_t first_cap_ = 0;  // of blocks_[0]: kBlock before any other block is added
  Ref* next_ = nullptr;   // where push_back writes: position size_
  Ref* block_end_ = nullptr;
};

struct ClientRefs {
  uint64_t client = 0;
  RefList refs;
  size_t i = 0;
  bool removed = false;  // moved to the rest: treated as absent

  // The next ref to integrate.
  Ref* take() {
    if (i % RefList::kBlock == 0 && i >= 2 * RefList::kBlock) [[unlikely]]
      refs.release_before(i);
    return &refs[i++];
  }
};

// One client's delete ranges, applied in this order (descending client, as
// a DeleteSet's map is walked and as yjs writes them).
struct DsClient {
  uint64_t client = 0;
  std::span<const DeleteRange> ranges;
};

// Next expected clock per client during integration. Most updates name a
// few clients (a flat list, and the client of the last lookup first); a
// loaded state can name thousands, so from kIndexFrom on a hash index
// finds them (a scan per struct made such a load quadratic).
class LocalStates {
 public:
  void clear() {
    states_.clear();
    if (!index_.empty()) index_.clear();
    last_ = 0;
  }
  // Valid until the next get() of a client not seen before.
  uint64_t& get(StructStore& store, uint64_t client) {
    if (last_ < states_.size() && states_[last_].first == client) return states_[last_].second;
    if (states_.size() < kIndexFrom) {
      for (size_t k = 0; k < states_.size(); k++) {
        if (states_[k].first == client) return states_[last_ = k].second;
      }
    } else {
      if (index_.empty()) {
        for (size_t k = 0; k < states_.size(); k++) index_.emplace(states_[k].first, k);
      }
      auto [it, added] = index_.emplace(client, states_.size());
      if (!added) return states_[last_ = it->second].second;
    }
    last_ = states_.size();
    states_.emplace_back(client, store.state(client));
    return states_.back().second;
  }

 private:
  static constexpr size_t kIndexFrom = 16;
  std::vector<std::pair<uint64_t, uint64_t>> states_;
  std::unordered_map<uint64_t, size_t> index_;  // client -> position in states_, from kIndexFrom on
  size_t last_ = 0;
};

// The v1 bytes of the client whose structs are being read (its varUint as
// the update wrote it, up to 8 bytes): an origin of the same client (most
// origins of a loaded state, nearly every keystroke's) is recognised by
// comparing them in place instead of decoding its client. Bytes equal to a
// varUint that was read whole decode to the same value (its last byte ends
// it), so this reads what read_left_id reads. Both v1 readers of origins use
// it: read_id_v1 (read_update.cc) and read_small_update (apply_update.cc).
struct OwnClientBytes {
  uint64_t client = 0;
  uint64_t word = 0;  // the bytes, little-endian; 0 with mask 0 when unusable
  uint64_t mask = 0;
  size_t len = 0;

  // `c` as read from the n bytes at `at`, in an input ending at `end`.
  void set(uint64_t c, const uint8_t* at, size_t n, const uint8_t* end) {
    client = c;
    len = n;
    word = 0;
    mask = 0;
    if (n == 0 || n > 8) {
      len = 0;
      return;
    }
    if (end - at >= 8) {
      std::memcpy(&word, at, 8);  // one load: no loop, no library call per update
    } else {
      for (size_t k = 0; k < n; k++) word |= uint64_t{at[k]} << (8 * k);
    }
    mask = n == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
    word &= mask;
  }

  // Whether the varUint at `p`, with `available` bytes from there, is this
  // client's (then it is `len` bytes long): one masked 8-byte compare, so
  // false when fewer than 8 bytes are left (the caller decodes it).
  [[gnu::always_inline]] bool written_at(const uint8_t* p, size_t available) const {
    if constexpr (std::endian::native != std::endian::little) return false;  // `word` is little-endian
    if (len == 0 || available < 8) return false;
    uint64_t w;
    std::memcpy(&w, p, 8);
    return (w & mask) == word;
  }
};

// The struct section of an update, read into items, and the integration's
// working lists. Owns the items not yet integrated. Reusable: clear() keeps
// every vector's capacity, so that a thread applying keystroke-sized updates
// one after another allocates little more than the items themselves.
class ReadStructs {
 public:
  ReadStructs() = default;
  ReadStructs(const ReadStructs&) = delete;
  ReadStructs& operator=(const ReadStructs&) = delete;
  ~ReadStructs() { clear(); }

  // Frees the items not integrated; empties the lists.
  void clear() {
    for (size_t k = 0; k < n_clients_; k++) {
      clients_[k].refs.destroy_items(*pool);
    }
    n_clients_ = 0;
    read_order_ = ReadOrder::kAscending;
    if (!client_index_.empty()) client_index_.clear();
    if (!root_names.empty()) root_names.clear();
    roots.clear();
    parent_ids.clear();
    bad_ref = false;
    many_structs = false;
    format_or_doc = false;
    ids.clear();
    stack.clear();
    states.clear();
    ds_read.clear();
    ds_ranges.clear();
    ds_clients.clear();
    if (!ds_sorted.empty()) ds_sorted = DeleteSet();
    texts_in_slabs = false;
    text_slabs.reset();
  }

  // Clients in ascending order (once the reading has ended: sort_clients).
  std::span<ClientRefs> clients() { return {clients_.data(), n_clients_}; }
  ClientRefs* find(uint64_t client) {
    auto all = clients();
    auto it = std::lower_bound(all.begin(), all.end(), client,
                               [](const ClientRefs& cr, uint64_t c) { return cr.client < c; });
    return it != all.end() && it->client == client ? &*it : nullptr;
  }
  // While reading: the client's list, emptied if the update named the
  // client before (the last section of a client counts, as in yjs), else a
  // new one at the end. Updates list their clients in descending order
  // (yjs' writers sort them), so the earlier sections are found without a
  // search while the order holds, then through a hash index.
  ClientRefs& add_client(uint64_t client) {
    if (n_clients_ > 0) {
      const uint64_t last = clients_[n_clients_ - 1].client;
      if (client == last) return emptied(clients_[n_clients_ - 1]);
      const ReadOrder order = client < last ? ReadOrder::kDescending : ReadOrder::kAscending;
      if (n_clients_ == 1) {
        read_order_ = order;
      } else if (read_order_ != order && read_order_ != ReadOrder::kUnordered) {
        read_order_ = ReadOrder::kUnordered;
        for (size_t k = 0; k < n_clients_; k++) client_index_.emplace(clients_[k].client, k);
      }
      if (read_order_ == ReadOrder::kUnordered) {
        auto [it, added] = client_index_.emplace(client, n_clients_);
        if (!added) return emptied(clients_[it->second]);
      }
    }
    if (n_clients_ == clients_.size()) clients_.emplace_back();
    ClientRefs& slot = clients_[n_clients_++];
    slot.client = client;
    slot.refs.reset();
    slot.i = 0;
    slot.removed = false;
    return slot;
  }
  // Ends the reading: puts the clients in ascending order.
  void sort_clients() {
    auto first = clients_.begin();
    auto last = first + static_cast<ptrdiff_t>(n_clients_);
    if (read_order_ == ReadOrder::kDescending) {
      std::reverse(first, last);
    } else if (read_order_ == ReadOrder::kUnordered) {
      std::sort(first, last, [](const ClientRefs& a, const ClientRefs& b) { return a.client < b.client; });
      client_index_.clear();
    }
    read_order_ = ReadOrder::kAscending;
  }

  // The pool of the document being applied to: read items are made there.
  ItemPool* pool = nullptr;
  std::vector<std::string> root_names;
  std::vector<Branch*> roots;  // resolved root_names, inside the transaction
  std::vector<ID> parent_ids;
  bool bad_ref = false;  // an item refers to a later clock of its own client
  // How many structs the update held.
  uint64_t structs_read = 0;
  // The update has kManyStructs or more structs and load_fast_paths_enabled.
  static constexpr uint64_t kManyStructs = 64;
  bool many_structs = false;
  OwnClientBytes own_client;  // v1: the client being read
  // v1: string items of more than 4 units take their units from text_slabs
  // (an update of kSlabInputBytes or more: a loaded state's many strings get
  // one allocation per slab instead of one each; a smaller update's texts
  // would hold a mostly empty slab).
  static constexpr size_t kSlabInputBytes = 32 * 1024;
  bool texts_in_slabs = false;
  TextSlabWriter text_slabs;
  // Some struct holds Format or Doc content (their integration has effects
  // the cleanup acts on before merging: no bulk load, see apply_read_update).
  bool format_or_doc = false;
  // integrate_structs' working lists.
  std::vector<size_t> ids;
  std::vector<Ref*> stack;
  LocalStates states;
  // The update's delete set, read flat (no map per update): (client, first
  // range, range count) in wire order, the ranges, and the per-client view
  // apply_delete_set walks. Wire order is descending by client (yjs writes it
  // so); any other order is normalised through `ds_sorted`, as DeleteSet::read
  // would (repeated clients joined, ascending map walked backwards).
  struct DsRead {
    uint64_t client;
    size_t first;
    size_t count;
  };
  std::vector<DsRead> ds_read;
  std::vector<DeleteRange> ds_ranges;
  std::vector<DsClient> ds_clients;
  DeleteSet ds_sorted;

 private:
  ClientRefs& emptied(ClientRefs& cr) {
    cr.refs.destroy_items(*pool);
    return cr;
  }
  std::vector<ClientRefs> clients_;  // [0, n_clients_) in use
  size_t n_clients_ = 0;
  // The order add_client met the clients in so far (one client: ascending).
  enum class ReadOrder { kAscending, kDescending, kUnordered };
  ReadOrder read_order_ = ReadOrder::kAscending;
  std::unordered_map<uint64_t, size_t> client_index_;  // client -> slot, once unordered
};

// A varUint of one to three bytes (below 2^21: nearly every clock and
// length), read by its bytes when at least three are left; false otherwise
// (p unchanged), for the caller's general path. Both v1 readers use it
// (read_clock_v1, read_small_var_uint).
[[gnu::always_inline]] inline bool read_short_var_uint(const uint8_t*& p, const uint8_t* end, uint64_t& out) {
  if (end - p < 3) return false;
  const uint64_t b0 = p[0];
  if (b0 < 0x80) {
    out = b0;
    p += 1;
    return true;
  }
  const uint64_t b1 = p[1];
  if (b1 < 0x80) {
    out = (b0 & 0x7f) | (b1 << 7);
    p += 2;
    return true;
  }
  const uint64_t b2 = p[2];
  if (b2 < 0x80) {
    out = (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);
    p += 3;
    return true;
  }
  return false;
}

// What integrate_structs could not integrate: per client the lowest clock
// it waits for, and those structs as a v2 update (StructStore::PendingStructs).
struct RestStructs {
  std::map<uint64_t, uint64_t> missing;
  UpdateBytes update;  // v2
};

// read_update.cc.
//
// Reads an update's structs into items and its delete set (into rs.ds_*).
// Errors are reported as decoding found them; a struct referring to a later
// clock of its own client (JS throws while applying) only once the whole
// update decoded. v1 is read by the concrete decoder on the stack.
Status read_update(std::span<const uint8_t> update, UpdateFormat format, ReadStructs& rs);
// A DeleteSet's clients as apply_delete_set walks them (descending).
void delete_set_clients(const DeleteSet& ds, std::vector<DsClient>& out);

// integrate_update.cc (yjs integrateStructs, readAndApplyDeleteSet).
//
// The common case of a peer's keystroke: a few structs of one client,
// continuing exactly at the store's state of that client, integrated in
// order. Returns whether all were; what is left stays at the client's
// cursor for integrate_structs.
bool integrate_in_order(Transaction& txn, ReadStructs& rs);
// A big update into an empty document (apply_loaded), with the same
// contract as integrate_in_order.
bool integrate_loaded(Transaction& txn, ReadStructs& rs);
// Integrates what is left of rs in any order its dependencies allow; returns
// the structs still missing a dependency (re-encoded as v2) or nullopt.
std::optional<RestStructs> integrate_structs(Transaction& txn, ReadStructs& rs);
// Applies a delete set given per client in descending client order; returns
// the ranges beyond known state (v2 update with zero structs) or nullopt.
std::optional<UpdateBytes> apply_delete_set(Transaction& txn, std::span<const DsClient> clients);

// Remote typing fast path (the counterpart of text_ops.cc's local one), see
// integrate_update.cc. extendable checks whether the string `text` of an item
// of left's client starting where `left` ends, whose resolved right
// neighbour is `right` and right origin `right_origin`, can be appended to
// `left` in place: returns left's string content, or null. extend_block
// appends it; try_extend_block does both and records the change in `txn`.
ContentString* extendable(StructStore& store, Item* left, const Item* right, const OptionalID& right_origin,
                          std::u16string_view text);
void extend_block(StructStore& store, Item* left, ContentString& own, std::u16string_view text);
bool try_extend_block(Transaction& txn, Item* left, const Item* right, const OptionalID& right_origin,
                      std::u16string_view text);

}  // namespace weft
