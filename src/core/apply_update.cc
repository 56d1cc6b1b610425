// Doc::apply_update: integrate decoded structs with pending handling
// (yjs src/utils/encoding.js integrateStructs / readUpdateV2) and apply the
// delete set (yjs src/utils/DeleteSet.js readAndApplyDeleteSet).
#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>

#include "core/branch.h"
#include "core/bulk_load.h"
#include "core/events.h"
#include "core/integrate.h"
#include "core/load_paths.h"
#include "core/seq_index.h"
#include "core/struct_store.h"
#include "core/text_ops.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "core/write_update.h"
#include "encoding/update_codec_impl.h"
#include "encoding/utf.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace weft {

namespace {

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
// none).
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
      block_end_ = next_ + kBlock;
    }
  }

 private:
  // After a big update: all but the first block.
  [[gnu::noinline]] void give_back_blocks() { blocks_.resize(1); }
  [[gnu::noinline]] void add_block() {
    const size_t b = size_ / kBlock;
    if (b == blocks_.size()) blocks_.emplace_back();
    if (!blocks_[b]) blocks_[b] = std::make_unique<Ref[]>(kBlock);
    next_ = blocks_[b].get();
    block_end_ = next_ + kBlock;
  }

  std::vector<std::unique_ptr<Ref[]>> blocks_;
  size_t size_ = 0;
  size_t released_ = 0;  // blocks before this one are freed (but the first)
  Ref* next_ = nullptr;  // where push_back writes: position size_
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

// Next expected clock per client during integration (a few clients per
// update: a flat list beats a hash map).
class LocalStates {
 public:
  void clear() { states_.clear(); }
  uint64_t& get(StructStore& store, uint64_t client) {
    for (auto& [c, clock] : states_) {
      if (c == client) return clock;
    }
    states_.emplace_back(client, store.state(client));
    return states_.back().second;
  }

 private:
  std::vector<std::pair<uint64_t, uint64_t>> states_;
};

// The v1 bytes of the client whose structs are being read (its varUint as
// the update wrote it, up to 8 bytes): an origin of the same client (most
// origins of a loaded state) is recognised by comparing them in place
// instead of decoding its client. Bytes equal to a varUint that was read
// whole decode to the same value, so this reads what read_left_id reads.
struct OwnClientBytes {
  uint64_t client = 0;
  uint64_t word = 0;  // the bytes, little-endian; 0 with mask 0 when unusable
  uint64_t mask = 0;
  size_t len = 0;

  void set(uint64_t c, const uint8_t* at, size_t n) {
    client = c;
    len = n;
    word = 0;
    mask = 0;
    if (n == 0 || n > 8) {
      len = 0;
      return;
    }
    for (size_t k = 0; k < n; k++) word |= uint64_t{at[k]} << (8 * k);  // no library call per update
    mask = n == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
    word &= mask;
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

  // Clients in ascending order.
  std::span<ClientRefs> clients() { return {clients_.data(), n_clients_}; }
  ClientRefs* find(uint64_t client) {
    auto all = clients();
    auto it = std::lower_bound(all.begin(), all.end(), client,
                               [](const ClientRefs& cr, uint64_t c) { return cr.client < c; });
    return it != all.end() && it->client == client ? &*it : nullptr;
  }
  // The client's (empty) list, added in order.
  ClientRefs& add_client(uint64_t client) {
    if (n_clients_ == clients_.size()) clients_.emplace_back();
    ClientRefs& slot = clients_[n_clients_];
    slot.client = client;
    slot.refs.reset();
    slot.i = 0;
    slot.removed = false;
    auto first = clients_.begin();
    auto pos = std::lower_bound(first, first + static_cast<ptrdiff_t>(n_clients_), client,
                                [](const ClientRefs& cr, uint64_t c) { return cr.client < c; });
    std::rotate(pos, first + static_cast<ptrdiff_t>(n_clients_),
                first + static_cast<ptrdiff_t>(n_clients_) + 1);
    n_clients_++;
    return *pos;
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
  std::vector<ClientRefs> clients_;  // [0, n_clients_) in use
  size_t n_clients_ = 0;
};

// lib0 readVarString into a string item's text (v1): an ASCII string (most
// text) is widened straight into it, without the intermediate std::u16string
// read_string() returns. Invalid UTF-8 fails `dec` as read_string does.
// With `slabs`, a text of more than 4 units takes its units from them.
void read_text_v1(lib0::Decoder& dec, Utf16Text& out, TextSlabWriter* slabs) {
  std::span<const uint8_t> bytes = dec.read_var_bytes();
  if (!dec.ok()) return;
  char16_t* units = slabs != nullptr ? slabs->resize_for_overwrite(out, bytes.size())
                                     : out.resize_for_overwrite(bytes.size());
  if (widen_ascii(bytes.data(), bytes.size(), units) == bytes.size()) return;
  auto text = utf8_to_utf16(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (!text) {
    dec.fail(ErrorCode::kMalformed, "invalid UTF-8 in string");
    return;
  }
  out = Utf16Text(*text);
}

// A varUint of one to three bytes (below 2^21: nearly every clock and
// length), read by its bytes when at least three are left; false otherwise
// (p unchanged), for the caller's general path.
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

// A varUint of up to 7 bytes (below 2^49: no 2^53 check needed); false if
// longer or truncated (the general reader decides those). A longer one
// (client ids take 5 bytes) is gathered from one 8-byte load when the input
// has 8 bytes left: no loop, no branch per byte.
[[gnu::always_inline]] inline bool read_small_var_uint(const uint8_t*& p, const uint8_t* end, uint64_t& out) {
  if (p < end && *p < 0x80) [[likely]] {
    out = *p++;
    return true;
  }
  if (read_short_var_uint(p, end, out)) return true;
  if (end - p >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    if constexpr (std::endian::native == std::endian::little) {
      const uint64_t stops = ~x & 0x8080808080808080ull;  // bytes without the continuation bit
      const int last = std::countr_zero(stops) >> 3;      // index of the first such byte (8: none)
      if (last >= 7) return false;
      x &= (uint64_t{1} << (8 * last + 8)) - 1;
      x &= 0x7f7f7f7f7f7f7f7full;
      x = (x & 0x007f007f007f007full) | ((x & 0x7f007f007f007f00ull) >> 1);
      x = (x & 0x00003fff00003fffull) | ((x & 0x3fff00003fff0000ull) >> 2);
      x = (x & 0x000000000fffffffull) | ((x & 0x0fffffff00000000ull) >> 4);
      out = x;
      p += last + 1;
      return true;
    }
  }
  uint64_t value = 0;
  for (int shift = 0; shift < 49; shift += 7) {
    if (p == end) return false;
    const uint8_t b = *p++;
    value |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) {
      out = value;
      return true;
    }
  }
  return false;
}

// A clock (lib0 readVarUint) in the v1 rest stream: one to three bytes (nearly
// all) by read_short_var_uint, the rest by the decoder. The decoder's own copy
// is not inlined into the struct reader, and a call per origin cost more than
// the decoding.
[[gnu::always_inline]] inline uint64_t read_clock_v1(lib0::Decoder& dec) {
  const uint8_t* p = dec.position();
  uint64_t clock;
  if (read_short_var_uint(p, p + dec.remaining(), clock)) [[likely]] {
    dec.advance(static_cast<size_t>(p - dec.position()));
    return clock;
  }
  return dec.read_var_uint();
}

// An ID (lib0 writeVarUint client, clock) in the v1 rest stream.
[[gnu::always_inline]] inline ID read_id_v1(lib0::Decoder& dec, const OwnClientBytes& own) {
  if (own.len != 0 && dec.remaining() >= 8) {
    uint64_t w;
    std::memcpy(&w, dec.position(), 8);
    if ((w & own.mask) == own.word) {
      dec.advance(own.len);  // len <= 8 <= remaining()
      return ID{own.client, read_clock_v1(dec)};
    }
  }
  const uint64_t client = dec.read_var_uint();
  return ID{client, dec.read_var_uint()};
}

// Reads one struct after its info byte into `ref` (Item.js readItem /
// lazyStructReaderGenerator). Errors are recorded in `dec`.
// D is the concrete decoder (UpdateDecoderV1: field reads inlined) or the
// UpdateDecoder interface.
template <typename D>
void read_ref(D& dec, uint8_t info, ID id, ReadStructs& rs, Ref& ref) {
  Item* item = rs.pool->make();
  ref.item = item;
  item->id = id;
  if (info == 10) {
    item->is_gc = true;
    item->deleted = true;
    item->length = dec.rest().read_var_uint();
    ref.set_aux(Ref::kSkip, 0);
  } else if ((info & 0x1f) != 0) {
    const bool cant_copy_parent = (info & 0xc0) == 0;
    if constexpr (std::is_same_v<D, UpdateDecoderV1>) {
      if (info & 0x80) item->origin = read_id_v1(dec.rest(), rs.own_client);
      if (info & 0x40) item->right_origin = read_id_v1(dec.rest(), rs.own_client);
    } else {
      if (info & 0x80) item->origin = dec.read_left_id();
      if (info & 0x40) item->right_origin = dec.read_right_id();
    }
    if (cant_copy_parent) {
      if (dec.read_parent_info()) {
        std::string name = dec.read_string_utf8();
        auto found = std::find(rs.root_names.begin(), rs.root_names.end(), name);
        if (found == rs.root_names.end()) {
          rs.root_names.push_back(std::move(name));
          found = rs.root_names.end() - 1;
        }
        ref.set_aux(Ref::kRootParent, static_cast<size_t>(found - rs.root_names.begin()));
      } else {
        rs.parent_ids.push_back(dec.read_left_id());
        ref.set_aux(Ref::kIdParent, rs.parent_ids.size() - 1);
      }
      if (info & 0x20) item->set_parent_sub(dec.read_string_utf8());
      if (rs.parent_ids.size() > Ref::kMaxIndex || rs.root_names.size() > Ref::kMaxIndex) {
        dec.fail(ErrorCode::kOutOfRange, "update has more than 2^30 structs naming their parent");
      }
    }
    if ((info & 0x1f) == static_cast<uint8_t>(ContentRef::kString)) {
      // Most items of a text document: no visit of the content variant.
      auto& text = item->content.emplace<ContentString>().text;
      if constexpr (std::is_same_v<D, UpdateDecoderV1>) {
        read_text_v1(dec.rest(), text, rs.texts_in_slabs ? &rs.text_slabs : nullptr);
      } else {
        text = dec.read_string();
      }
      item->length = text.size();
      item->countable = true;
    } else if ((info & 0x1f) == static_cast<uint8_t>(ContentRef::kDeleted)) {
      // The deleted ranges of a loaded state: a fresh item already holds
      // Deleted content (the variant's first kind), so no visit either.
      const uint64_t len = dec.read_len();
      if (auto* deleted = std::get_if<ContentDeleted>(&item->content); deleted != nullptr) {
        deleted->len = len;
      } else {
        item->content = ContentDeleted{len};
      }
      item->length = len;
      item->countable = false;
    } else {
      const uint8_t kind = info & 0x1f;
      if (kind == static_cast<uint8_t>(ContentRef::kFormat) || kind == static_cast<uint8_t>(ContentRef::kDoc))
        rs.format_or_doc = true;
      item->content = read_content(dec, info);
      item->length = content_length(item->content);
      item->countable = content_countable(item->content);
    }
    // JS throws half-way through applying on an item whose origin, right
    // origin or parent is a later clock of its own client (see validate_struct_refs).
    auto later = [&](const ID& dep) { return dep.client == id.client && dep.clock >= id.clock; };
    if ((item->origin && later(*item->origin)) || (item->right_origin && later(*item->right_origin)) ||
        (ref.parent_kind() == Ref::kIdParent && later(rs.parent_ids[ref.index()]))) {
      rs.bad_ref = true;
    }
  } else {
    // Any byte with ref 0 is a GC struct, whatever its other bits say (as in JS).
    item->is_gc = true;
    item->deleted = true;
    item->length = dec.read_len();
    item->content = ContentDeleted{item->length};
  }
  if (dec.ok() && item->length > kMaxClockEnd - id.clock) {
    dec.fail(ErrorCode::kOutOfRange, "struct clock beyond 2^53");
  }
}

// Reads the struct section (readClientsStructRefs). A later block of the same
// client replaces an earlier one, as in JS.
template <typename D>
void read_structs(D& dec, size_t input_bytes, ReadStructs& rs) {
  const uint64_t max_structs = max_structs_for_input(input_bytes);
  rs.texts_in_slabs = input_bytes >= ReadStructs::kSlabInputBytes;
  uint64_t structs_read = 0;
  uint64_t clients_left = dec.rest().read_var_uint();
  while (clients_left-- > 0 && dec.ok()) {
    uint64_t count = dec.rest().read_var_uint();
    const uint8_t* client_at = dec.rest().position();
    uint64_t client = dec.read_client();
    if constexpr (std::is_same_v<D, UpdateDecoderV1>) {
      rs.own_client.set(client, client_at, static_cast<size_t>(dec.rest().position() - client_at));
    }
    uint64_t clock = dec.rest().read_var_uint();
    if (!dec.ok()) return;
    ClientRefs* cr = rs.find(client);
    if (cr == nullptr) {
      cr = &rs.add_client(client);
    } else {
      cr->refs.destroy_items(*rs.pool);
    }
    for (uint64_t k = 0; k < count; k++) {
      if (++structs_read > max_structs) {
        dec.fail(ErrorCode::kOutOfRange, "update declares more structs than its size allows");
        return;
      }
      uint8_t info = dec.read_info();
      if (!dec.ok()) return;
      Ref& ref = cr->refs.push_back();
      read_ref(dec, info, ID{client, clock}, rs, ref);
      if (!dec.ok()) return;
      clock += ref.item->length;
    }
  }
  rs.many_structs = load_fast_paths_enabled && structs_read >= ReadStructs::kManyStructs;
  rs.structs_read = structs_read;
}

// The block ending at `id`, split off if needed (StructStore::get_item_clean_end),
// checking first the client's last block: an item's origin is often the
// newest block of its client (typing), and that needs no search. With
// `search_directly` (a big update: the origins of a loaded state point all
// over the document) an origin before the last block is found by the
// array's search without first trying the remembered position, which the
// previous, unrelated origin left there.
Item* block_ending_at(Transaction& txn, StructStore& store, ID id, bool search_directly) {
  if (StructStore::Blocks* blocks = store.blocks(id.client); blocks != nullptr && !blocks->empty()) {
    Item* last = blocks->back();
    if (last->id.clock + last->length - 1 == id.clock) return last;
    if (search_directly && id.clock < last->id.clock) {
      // Blocks are contiguous from clock 0, so find() holds for any clock below the last block's.
      return StructStore::clean_end_at(txn, *blocks, blocks->find(id.clock), id);
    }
  }
  return store.get_item_clean_end(txn, id);
}

// Item.getMissing: the client of a missing dependency, or resolves the
// item's neighbours and parent (splitting neighbours as needed).
std::optional<uint64_t> get_missing(Transaction& txn, ReadStructs& rs, const Ref& ref) {
  Item* item = ref.item;
  if (item->is_gc) return std::nullopt;
  StructStore& store = txn.doc.store();
  const uint64_t client = item->id.client;
  auto missing = [&](const ID& dep) { return dep.client != client && dep.clock >= store.state(dep.client); };
  const ID* parent_id = ref.parent_kind() == Ref::kIdParent ? &rs.parent_ids[ref.index()] : nullptr;
  if (item->origin && missing(*item->origin)) return item->origin->client;
  if (item->right_origin && missing(*item->right_origin)) return item->right_origin->client;
  if (parent_id != nullptr && missing(*parent_id)) return parent_id->client;

  Item* left = nullptr;
  Item* right = nullptr;
  if (item->origin) {
    left = block_ending_at(txn, store, *item->origin, rs.many_structs);
    item->origin = left->last_id();
  }
  if (item->right_origin) {
    // Typing: the right origin is the block right after the origin, already
    // starting at that clock (no search, nothing to split).
    Item* next = left != nullptr ? left->right : nullptr;
    if (next != nullptr && next->id == *item->right_origin) {
      right = next;
    } else {
      right = store.get_item_clean_start(txn, *item->right_origin);
    }
    item->right_origin = right->id;
  }
  Branch* parent = nullptr;
  if ((left != nullptr && left->is_gc) || (right != nullptr && right->is_gc)) {
    parent = nullptr;
  } else if (ref.parent_kind() == Ref::kNoParent) {
    Item* from = left != nullptr ? left : right;
    if (from != nullptr) {
      parent = from->parent;
      item->set_parent_sub(from->parent_sub());
    }
  } else if (parent_id != nullptr) {
    Item* parent_item = store.find(*parent_id);
    // A collected type keeps its Branch for handles, but its content is Deleted: no parent.
    bool is_type = !parent_item->is_gc && content_is<ContentType>(parent_item->content);
    parent = is_type ? parent_item->type() : nullptr;
  } else {
    parent = rs.roots[ref.index()];
  }
  item->left = left;
  item->right = right;
  item->parent = parent;
  item->seq_chunk = 0;  // the Ref's parent kind, read above: from now on the parent's index owns it
  return std::nullopt;
}

// Remote typing fast path (the counterpart of text_ops.cc's local one). A
// string item whose resolved left neighbour is its own client's last block,
// ending right before it, visible, with the same right neighbour and right
// origin, would be linked in without a conflict scan and merged into that
// block by the transaction cleanup (yjs tryMergeWithLefts). Appending its
// text in place gives the same store, events-free transaction result and
// encoded bytes. Not taken when someone observes the type (their event
// delta needs the run as its own item), for formatted text, across
// surrogate halves (a later split there would differ), or for map entries.
//
// extendable checks the conditions on the left block for an item of its
// client starting where it ends, whose resolved right neighbour is `right`
// and right origin `right_origin`, with `text`: the block's string content,
// or null. extend_block appends the text.
ContentString* extendable(StructStore& store, Item* left, const Item* right, const OptionalID& right_origin,
                          std::u16string_view text) {
  if (left->right != right || left->parent == nullptr || left->parent_sub() || left->deleted || left->is_gc ||
      left->keep || !(left->right_origin == right_origin))
    return nullptr;
  auto* own = std::get_if<ContentString>(&left->content);
  if (own == nullptr || text.empty() || own->text.empty()) return nullptr;
  const Branch* parent = left->parent;
  if (parent->has_formatting || parent->is_deleted() || has_listeners(parent)) return nullptr;
  StructStore::Blocks* blocks = store.blocks(left->id.client);
  if (blocks == nullptr || blocks->back() != left) return nullptr;
  char16_t last = own->text.back();
  char16_t first = text.front();
  if ((last >= 0xD800 && last < 0xDC00) || (first >= 0xDC00 && first < 0xE000)) return nullptr;
  return own;
}

void extend_block(Item* left, ContentString& own, std::u16string_view text) {
  const uint64_t n = text.size();
  own.text += text;
  left->length += n;
  Branch* parent = left->parent;
  parent->length += n;
  if (parent->seq_index) parent->seq_index->on_visible_change(left, static_cast<int64_t>(n));
  parent->clear_marker();
}

bool try_extend_block(Transaction& txn, Item* left, const Item* right, const OptionalID& right_origin,
                      std::u16string_view text) {
  ContentString* own = extendable(txn.doc.store(), left, right, right_origin, text);
  if (own == nullptr) return false;
  extend_block(left, *own, text);
  txn.add_changed_type(left->parent, nullptr);
  return true;
}

// The same for a read item (resolved by get_missing). On success the item is
// left to the caller to destroy.
bool try_extend_remote_item(Transaction& txn, Item* item) {
  Item* left = item->left;
  if (left == nullptr || item->parent == nullptr || item->parent_sub() || left->parent != item->parent ||
      left->id.client != item->id.client || left->id.clock + left->length != item->id.clock)
    return false;
  auto* add = std::get_if<ContentString>(&item->content);
  if (add == nullptr) return false;
  return try_extend_block(txn, left, item->right, item->right_origin, add->text.view());
}

void integrate_block(Transaction& txn, Item* item, uint64_t offset) {
  if (item->is_gc) {
    if (offset > 0) {
      item->id.clock += offset;
      item->length -= offset;
      std::get<ContentDeleted>(item->content).len = item->length;
    }
    txn.doc.store().add(item);
    return;
  }
  if (offset == 0 && try_extend_remote_item(txn, item)) {
    txn.doc.store().pool().destroy(item);
    return;
  }
  integrate_item(txn, item, offset);
}

// integrate_in_order takes updates of up to this many structs (keystrokes);
// bigger ones go through integrate_structs, which frees its refs as it goes.
constexpr size_t kInOrderMaxStructs = 64;

struct RestStructs {
  std::map<uint64_t, uint64_t> missing;
  UpdateBytes update;  // v2
};

// Writes one not yet integrated struct (Item.write / GC.write / Skip.write).
void write_ref(UpdateEncoder& enc, const ReadStructs& rs, const Ref& ref) {
  const Item& item = *ref.item;
  if (ref.is_skip()) {
    enc.write_info(10);
    enc.rest().write_var_uint(item.length);  // always in the rest stream, also in v2
    return;
  }
  if (item.is_gc || item.origin || item.right_origin) {
    write_item(enc, item, 0);  // the parent is not written
    return;
  }
  enc.write_info(static_cast<uint8_t>((static_cast<uint8_t>(content_ref(item.content)) & 0x1f) |
                                      (item.parent_sub() ? 0x20 : 0)));
  if (ref.parent_kind() == Ref::kRootParent) {
    enc.write_parent_info(true);
    enc.write_string(std::string_view(rs.root_names[ref.index()]));
  } else {
    enc.write_parent_info(false);
    enc.write_left_id(rs.parent_ids[ref.index()]);
  }
  if (item.parent_sub()) enc.write_string(std::string_view(*item.parent_sub()));
  write_content(enc, item.content, 0);
}

// Writes leftover structs per client (descending) followed by an empty delete set.
UpdateBytes encode_rest(const ReadStructs& rs, const std::map<uint64_t, std::vector<Ref>>& rest) {
  auto enc = make_update_encoder(UpdateFormat::kV2);
  enc->rest().write_var_uint(rest.size());
  for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
    const auto& refs = it->second;
    enc->rest().write_var_uint(refs.size());
    enc->write_client(it->first);
    enc->rest().write_var_uint(refs.front().item->id.clock);
    for (const Ref& ref : refs) write_ref(*enc, rs, ref);
  }
  enc->rest().write_var_uint(0);
  return enc->finish();
}

std::optional<RestStructs> integrate_structs(Transaction& txn, ReadStructs& rs) {
  StructStore& store = txn.doc.store();
  std::span<ClientRefs> clients = rs.clients();
  // Indexes into `clients` (ascending client); processed from the back (highest client first).
  std::vector<size_t>& ids = rs.ids;
  for (size_t k = 0; k < clients.size(); k++) ids.push_back(k);
  std::map<uint64_t, std::vector<Ref>> rest;  // non-owning: the items stay in `rs`
  std::map<uint64_t, uint64_t> missing_sv;
  auto update_missing = [&](uint64_t client, uint64_t clock) {
    auto [it, inserted] = missing_sv.emplace(client, clock);
    if (!inserted && it->second > clock) it->second = clock;
  };
  auto next_target = [&]() -> ClientRefs* {
    while (!ids.empty()) {
      ClientRefs& cr = clients[ids.back()];
      if (cr.i < cr.refs.size()) return &cr;
      ids.pop_back();
    }
    return nullptr;
  };
  ClientRefs* target = next_target();
  if (target == nullptr) return std::nullopt;

  std::vector<Ref*>& stack = rs.stack;
  LocalStates& state = rs.states;
  // Moves the stacked structs' clients (from the blocked struct on) to `rest`.
  auto add_stack_to_rest = [&]() {
    for (Ref* ref : stack) {
      uint64_t client = ref->item->id.client;
      ClientRefs* cr = rs.find(client);
      if (cr != nullptr && !cr->removed) {
        cr->i--;
        std::vector<Ref>& moved = rest[client];
        moved.clear();
        for (size_t k = cr->i; k < cr->refs.size(); k++) moved.push_back(cr->refs[k]);
        cr->removed = true;
        cr->i = cr->refs.size();
      } else {
        rest[client] = {*ref};
      }
      size_t index = static_cast<size_t>(cr - clients.data());
      ids.erase(std::remove(ids.begin(), ids.end(), index), ids.end());
    }
    stack.clear();
  };

  Ref* head = target->take();
  for (;;) {
    if (!head->is_skip()) {
      Item* item = head->item;
      uint64_t client = item->id.client;
      uint64_t& local_clock = state.get(store, client);
      if (local_clock < item->id.clock) {
        stack.push_back(head);
        update_missing(client, item->id.clock - 1);
        add_stack_to_rest();
      } else {
        uint64_t offset = local_clock - item->id.clock;
        // Resolving splits neighbours even when the struct is already known, as in JS.
        std::optional<uint64_t> missing = get_missing(txn, rs, *head);
        if (missing) {
          stack.push_back(head);
          ClientRefs* refs = rs.find(*missing);
          if (refs == nullptr || refs->removed || refs->i == refs->refs.size()) {
            update_missing(*missing, store.state(*missing));
            add_stack_to_rest();
          } else {
            head = refs->take();
            continue;
          }
        } else if (offset != 0 && offset >= item->length) {
          store.pool().destroy(item);  // already known
          head->item = nullptr;
        } else {
          uint64_t end = item->id.clock + item->length;
          head->item = nullptr;  // the store owns it now
          integrate_block(txn, item, offset);
          local_clock = end;
        }
      }
    }
    if (!stack.empty()) {
      head = stack.back();
      stack.pop_back();
    } else if (target != nullptr && target->i < target->refs.size()) {
      head = target->take();
    } else {
      target = next_target();
      if (target == nullptr) break;
      head = target->take();
    }
  }
  if (rest.empty()) return std::nullopt;
  return RestStructs{std::move(missing_sv), encode_rest(rs, rest)};
}

// The ranges this transaction recorded as deleted for one client (items
// integrated with Deleted content, marked deleted, or collected), as they
// stood when a delete set began to be applied: a loaded document's deleted
// items arrive as Deleted content and its delete set lists the same ranges
// again. Every block in a recorded range is deleted (deletion is never
// undone; splits and GC keep the flag), so a range covered by them has
// nothing to split or mark. Answers only while the recorded ranges are in
// ascending order and the queries come in ascending order (an update's
// ranges per client); otherwise `covers` says no and the caller does the
// general walk.
class DeletedInTxn {
 public:
  DeletedInTxn(Transaction& txn, uint64_t client) {
    auto& all = txn.delete_set.clients();
    auto it = all.find(client);
    if (it == all.end()) return;
    ranges_ = &it->second;
    n_ = ranges_->size();  // later additions (this walk's own marks) are not consulted
    for (size_t k = 1; k < n_; k++) {
      if ((*ranges_)[k].clock < (*ranges_)[k - 1].clock) {
        n_ = 0;
        return;
      }
    }
  }

  // True if [clock, end) lies inside the union of the recorded ranges.
  bool covers(uint64_t clock, uint64_t end) {
    if (n_ == 0) return false;
    if (clock < last_query_) k_ = 0;  // out of order: search from the start
    last_query_ = clock;
    const std::vector<DeleteRange>& r = *ranges_;  // by index: the walk may append (and reallocate)
    while (k_ < n_ && r[k_].clock + r[k_].len <= clock) k_++;
    if (k_ == n_ || r[k_].clock > clock) return false;
    uint64_t reach = r[k_].clock + r[k_].len;
    for (size_t j = k_ + 1; reach < end && j < n_ && r[j].clock <= reach; j++)
      reach = std::max(reach, r[j].clock + r[j].len);
    return reach >= end;
  }

 private:
  const std::vector<DeleteRange>* ranges_ = nullptr;
  size_t n_ = 0;
  size_t k_ = 0;
  uint64_t last_query_ = 0;
};

// The common case of a peer's keystroke: a few structs of one client,
// continuing exactly at the store's state of that client. They are
// integrated in order here, without integrate_structs' stacks, cursors and
// rest bookkeeping (which would take the same steps for them). A Skip, a gap
// or a struct with a missing dependency (get_missing changes nothing then)
// stops it: that struct and those after it are left at the client's cursor,
// where integrate_structs picks them up. Returns whether all were integrated.
bool integrate_in_order(Transaction& txn, ReadStructs& rs) {
  std::span<ClientRefs> clients = rs.clients();
  if (clients.size() != 1 || clients[0].refs.size() > kInOrderMaxStructs) return false;
  ClientRefs& cr = clients[0];
  StructStore& store = txn.doc.store();
  uint64_t clock = store.state(cr.client);
  while (cr.i < cr.refs.size()) {
    Ref& ref = cr.refs[cr.i];
    Item* item = ref.item;
    if (ref.is_skip() || item->id.clock != clock || get_missing(txn, rs, ref)) return false;
    cr.i++;
    clock += item->length;
    ref.item = nullptr;  // the store owns it now
    integrate_block(txn, item, 0);
  }
  return true;
}

// Links a resolved item (get_missing ran) of a load into an empty document:
// integrate_item's steps for the common one (a sequence item of string or
// Deleted content whose left neighbour's right is its right one, so that
// the conflict scan has nothing to do), done here; any other through
// integrate_item. `changed` is the parent last recorded in txn.changed
// (recording it again would change nothing). `client` caches the item's
// client's blocks and deleted ranges (null until known): both stay where
// they are while the transaction adds to them.
struct LoadedClient {
  StructStore::Blocks* blocks = nullptr;
  std::vector<DeleteRange>* deleted = nullptr;
};

void link_loaded(Transaction& txn, Item* item, Branch*& changed, LoadedClient& client) {
  Branch* parent = item->parent;
  Item* left = item->left;
  Item* right = item->right;
  const bool is_deleted = std::holds_alternative<ContentDeleted>(item->content);
  if (parent == nullptr || item->parent_sub() || parent->seq_index ||
      !(left != nullptr ? left->right == right : right != nullptr && right->left == nullptr) ||
      !(is_deleted || std::holds_alternative<ContentString>(item->content))) {
    integrate_item(txn, item, 0);
    return;
  }
  if (left != nullptr) {
    left->right = item;
  } else {
    parent->start = item;  // right was the first item
  }
  if (right != nullptr) right->left = item;
  if (item->countable) parent->length += item->length;  // not deleted yet
  parent->clear_marker();
  if (client.blocks != nullptr) {
    client.blocks->push_back(item);
  } else {
    txn.doc.store().add(item);
    client.blocks = txn.doc.store().blocks(item->id.client);
  }
  if (is_deleted) {
    if (client.deleted == nullptr) client.deleted = &txn.deleted_ranges(item->id.client);
    client.deleted->push_back({item->id.clock, item->length});
    item->deleted = true;
  }
  if (parent != changed) {
    txn.add_changed_type(parent, nullptr);
    changed = parent;
  }
  if (parent->item != nullptr && parent->item->deleted) item->mark_deleted(txn);
}

// A big update into an empty document (apply_read_update's bulk case): each
// client's structs in clock order, highest client first as integrate_structs
// takes them, passing to the next client when a struct needs a later clock
// of another client, and round again while any client advances (yjs
// integrates in any order its dependencies allow, with the same result).
// Per struct get_missing's resolution and link_loaded; no
// try_extend_remote_item (the bulk walk merges such runs, bulk_load.h). A
// Skip, a client not starting at its state or a dependency not in the
// update leaves that client's structs at its cursor, where integrate_structs
// takes them. Returns whether all were integrated.
bool integrate_loaded(Transaction& txn, ReadStructs& rs) {
  StructStore& store = txn.doc.store();
  std::span<ClientRefs> clients = rs.clients();
  Branch* changed = nullptr;
  bool all = false;
  for (bool progress = true; progress && !all;) {
    progress = false;
    all = true;
    for (size_t k = clients.size(); k-- > 0;) {
      ClientRefs& cr = clients[k];
      uint64_t clock = store.state(cr.client);
      const size_t start = cr.i;
      LoadedClient cached{store.blocks(cr.client), nullptr};
      while (cr.i < cr.refs.size()) {
        if (cr.i % RefList::kBlock == 0 && cr.i >= 2 * RefList::kBlock) [[unlikely]]
          cr.refs.release_before(cr.i);
        Ref& ref = cr.refs[cr.i];
        Item* item = ref.item;
        if (ref.is_skip() || item->id.clock != clock || get_missing(txn, rs, ref)) break;
        cr.i++;
        clock += item->length;
        ref.item = nullptr;  // the store owns it now
        if (item->is_gc) {
          store.add(item);
        } else {
          link_loaded(txn, item, changed, cached);
        }
      }
      progress = progress || cr.i != start;
      all = all && cr.i == cr.refs.size();
    }
  }
  return all;
}

// Applies a delete set given per client in descending client order; returns
// the ranges beyond known state (v2 update with zero structs) or nullopt.
std::optional<UpdateBytes> apply_delete_set(Transaction& txn, std::span<const DsClient> clients) {
  StructStore& store = txn.doc.store();
  DeleteSet unapplied;
  for (const DsClient& dc : clients) {
    uint64_t client = dc.client;
    uint64_t state = store.state(client);
    DeletedInTxn known(txn, client);
    for (const DeleteRange& r : dc.ranges) {
      uint64_t clock = r.clock;
      uint64_t clock_end = r.clock + r.len;
      if (load_fast_paths_enabled && clock_end <= state && known.covers(clock, clock_end))
        continue;  // nothing left to delete
      if (clock < state) {
        if (state < clock_end) unapplied.add(client, state, clock_end - state);
        StructStore::Blocks& blocks = *store.blocks(client);
        size_t index = StructStore::find_index(blocks, clock);
        Item* block = blocks[index];
        if (!block->deleted && block->id.clock == clock && clock_end < clock + block->length &&
            forward_delete_into_tombstone(txn, block, clock_end - clock, &blocks, index))
          continue;
        if (!block->deleted && block->id.clock < clock) {
          if (clock_end == block->id.clock + block->length &&
              backspace_into_tombstone(txn, block, clock - block->id.clock, &blocks, index + 1))
            continue;
          blocks.insert(index + 1, split_item(txn, block, clock - block->id.clock));
          index++;
        }
        while (index < blocks.size()) {
          // The clock array, not block->id: a tombstone run's members point at the run.
          if (blocks.clock_at(index) >= clock_end) break;
          block = blocks[index++];
          if (!block->deleted) {
            if (clock_end < block->id.clock + block->length) {
              blocks.insert(index, split_item(txn, block, clock_end - block->id.clock));
            }
            block->mark_deleted(txn);
          }
        }
      } else {
        unapplied.add(client, clock, clock_end - clock);
      }
    }
  }
  if (unapplied.empty()) return std::nullopt;
  auto enc = make_update_encoder(UpdateFormat::kV2);
  enc->rest().write_var_uint(0);
  unapplied.write(*enc);
  return enc->finish();
}

// A DeleteSet's clients as apply_delete_set walks them (descending).
void delete_set_clients(const DeleteSet& ds, std::vector<DsClient>& out) {
  out.clear();
  for (auto it = ds.clients().rbegin(); it != ds.clients().rend(); ++it)
    out.push_back({it->first, it->second});
}

// Reads the delete set into rs.ds_* (DeleteSet::read's checks and results,
// without a map per update).
template <typename D>
void read_delete_set(D& dec, ReadStructs& rs) {
  uint64_t client = 0;
  size_t first = 0;
  read_delete_set_ranges(
      dec,
      [&](uint64_t c, size_t capacity) {
        client = c;
        first = rs.ds_ranges.size();
        rs.ds_ranges.reserve(first + capacity);
      },
      [&](uint64_t clock, uint64_t len) {
        rs.ds_ranges.push_back({clock, len});
      },
      [&] {
        rs.ds_read.push_back({client, first, rs.ds_ranges.size() - first});
      });
  if (!dec.ok()) return;
  bool descending = true;
  for (size_t k = 1; k < rs.ds_read.size(); k++)
    descending = descending && rs.ds_read[k - 1].client > rs.ds_read[k].client;
  if (descending) {
    for (const auto& c : rs.ds_read)
      rs.ds_clients.push_back({c.client, {rs.ds_ranges.data() + c.first, c.count}});
  } else {
    for (const auto& c : rs.ds_read) {
      for (size_t k = 0; k < c.count; k++) {
        const DeleteRange& r = rs.ds_ranges[c.first + k];
        rs.ds_sorted.add(c.client, r.clock, r.len);
      }
    }
    delete_set_clients(rs.ds_sorted, rs.ds_clients);
  }
}

UpdateBytes merge_two_v2(const UpdateBytes& a, const UpdateBytes& b) {
  std::span<const uint8_t> parts[2] = {a, b};
  auto merged = merge_updates(parts, UpdateFormat::kV2);
  return merged ? std::move(*merged) : a;  // inputs are our own encodings: merging cannot fail
}

template <typename D>
Status read_update_with(D& dec, size_t input_bytes, ReadStructs& rs) {
  read_structs(dec, input_bytes, rs);
  if (!dec.ok()) return dec.status();
  read_delete_set(dec, rs);
  if (!dec.ok()) return dec.status();
  if (rs.bad_ref) return Status(ErrorCode::kMalformed, "struct refers to a later clock of its own client");
  return Status::ok();
}

// Reads an update's structs into items and its delete set (into rs.ds_*).
// Errors are reported as decoding found them; a struct referring to a later
// clock of its own client (JS throws while applying) only once the whole
// update decoded. v1 is read by the concrete decoder on the stack.
Status read_update(std::span<const uint8_t> update, UpdateFormat format, ReadStructs& rs) {
  if (format == UpdateFormat::kV1) {
    UpdateDecoderV1 dec(update);
    return read_update_with(dec, update.size(), rs);
  }
  WEFT_ASSIGN_OR_RETURN(auto dec, make_update_decoder(format, update));
  return read_update_with(*dec, update.size(), rs);
}

// Integrates a read update inside the current transaction.
void apply_read_update(Transaction& txn, ReadStructs& rs) {
  Doc& doc = txn.doc;
  StructStore& store = doc.store();
  rs.roots.reserve(rs.root_names.size());
  for (const std::string& name : rs.root_names)
    rs.roots.push_back(doc.get_or_create_root(name, std::nullopt));
  bool retry = false;
  std::optional<RestStructs> rest;
  if (!integrate_in_order(txn, rs)) rest = integrate_structs(txn, rs);
  if (store.pending_structs) {
    for (const auto& [client, clock] : store.pending_structs->missing) {
      if (clock < store.state(client)) {
        retry = true;
        break;
      }
    }
    if (rest) {
      auto& missing = store.pending_structs->missing;
      for (const auto& [client, clock] : rest->missing) {
        auto [it, inserted] = missing.emplace(client, clock);
        if (!inserted && it->second > clock) it->second = clock;
      }
      store.pending_structs->update = merge_two_v2(store.pending_structs->update, rest->update);
    }
  } else if (rest) {
    store.pending_structs = StructStore::PendingStructs{std::move(rest->missing), std::move(rest->update)};
  }

  std::optional<UpdateBytes> ds_rest;
  if (!rs.ds_clients.empty()) ds_rest = apply_delete_set(txn, rs.ds_clients);
  if (store.pending_ds) {
    std::optional<UpdateBytes> ds_rest2;
    auto pending = decode_update(*store.pending_ds, UpdateFormat::kV2);
    if (pending) {
      std::vector<DsClient> pending_clients;
      delete_set_clients(pending->delete_set, pending_clients);
      ds_rest2 = apply_delete_set(txn, pending_clients);
    }
    if (ds_rest && ds_rest2) {
      store.pending_ds = merge_two_v2(*ds_rest, *ds_rest2);
    } else {
      store.pending_ds = ds_rest ? std::move(ds_rest) : std::move(ds_rest2);
    }
  } else {
    store.pending_ds = std::move(ds_rest);
  }
  if (retry) {
    UpdateBytes pending_update = std::move(store.pending_structs->update);
    store.pending_structs.reset();
    ReadStructs pending_rs;
    pending_rs.pool = &store.pool();
    if (read_update(pending_update, UpdateFormat::kV2, pending_rs).is_ok()) {
      apply_read_update(txn, pending_rs);
    }
  }
}

// apply_read_update for a big update (rs.many_structs: a loaded state)
// without Format or Doc content, in the outermost transaction, opened for it
// on a document without blocks, pending data, observers or
// after-transaction handlers: integrate_loaded, and the blocks collected and
// merged here (bulk_load.h) instead of by the cleanup's walks. Nothing was
// pending, so what does not fit is simply left pending.
[[gnu::noinline]] void apply_loaded(Transaction& txn, ReadStructs& rs) {
  Doc& doc = txn.doc;
  StructStore& store = doc.store();
  rs.roots.reserve(rs.root_names.size());
  for (const std::string& name : rs.root_names)
    rs.roots.push_back(doc.get_or_create_root(name, std::nullopt));
  if (!integrate_loaded(txn, rs)) {
    if (std::optional<RestStructs> rest = integrate_structs(txn, rs))
      store.pending_structs = StructStore::PendingStructs{std::move(rest->missing), std::move(rest->update)};
  }
  if (!rs.ds_clients.empty()) store.pending_ds = apply_delete_set(txn, rs.ds_clients);
  collect_and_merge_loaded(txn, doc.gc_enabled());
  // A big state's tombstones take a few bytes each instead of an Item
  // (tombstone_runs.h); a small one's are not worth the walk.
  if (doc.gc_enabled() && rs.structs_read >= tombstone_runs_from_structs) freeze_tombstone_runs(doc);
  txn.bulk_loaded = true;
  bulk_loads_done.fetch_add(1, std::memory_order_relaxed);
}

// Runs fn(ReadStructs&) on this thread's reusable ReadStructs (an
// apply_update nested in another, from an observer, gets its own) and
// clears it after.
template <typename Fn>
Status with_read_structs(ItemPool& pool, Fn&& fn) {
  thread_local ReadStructs scratch;
  thread_local bool scratch_busy = false;
  std::unique_ptr<ReadStructs> own;  // not an optional: its empty destruction costs per update
  if (scratch_busy) own = std::make_unique<ReadStructs>();
  ReadStructs& rs = scratch_busy ? *own : scratch;
  const bool using_scratch = &rs == &scratch;
  if (using_scratch) scratch_busy = true;
  rs.pool = &pool;
  Status st = fn(rs);
  rs.clear();
  if (using_scratch) scratch_busy = false;
  return st;
}

// Reads and integrates an update inside the current transaction.
Status apply_read(Transaction& txn, std::span<const uint8_t> update, UpdateFormat format) {
  return with_read_structs(txn.doc.store().pool(), [&](ReadStructs& rs) {
    Status st = read_update(update, format, rs);
    if (st.is_ok()) apply_read_update(txn, rs);
    return st;
  });
}

// A keystroke-sized v1 update as a typing peer sends one per transaction:
// one string item of one client, after an origin of its own client (the
// parent copied from it), and an empty delete set; or no structs and one
// delete range. read_small_update reads nothing else and rejects whatever the
// general reader would (a later clock of its own client as origin, invalid
// UTF-8, clocks past 2^53), so that the general path can always take over an
// update it read, inside the transaction already opened.
struct SmallUpdate {
  static constexpr size_t kInlineText = 32;
  bool is_insert = false;
  uint64_t client = 0;
  uint64_t clock = 0;  // the item's first clock, or the range's
  uint64_t len = 0;    // the text's UTF-16 length, or the range's length
  ID origin;
  OptionalID right_origin;
  char16_t ascii[kInlineText];  // an ASCII text of up to kInlineText units
  std::u16string other;         // any other text
  std::u16string_view text() const {
    return len <= kInlineText && other.empty() ? std::u16string_view(ascii, len) : std::u16string_view(other);
  }
};

// An origin's client, most often the update's own client written again:
// its bytes [client_at, client_end) are compared (one 8-byte load each when
// both have 8 bytes) before the varUint is decoded.
[[gnu::always_inline]] inline bool read_same_client(const uint8_t*& p, const uint8_t* end,
                                                    const uint8_t* client_at, const uint8_t* client_end,
                                                    uint64_t client, uint64_t& out) {
  const size_t n = static_cast<size_t>(client_end - client_at);
  if (n > 1 && end - p >= 8 && end - client_at >= 8) {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, client_at, 8);
    const uint64_t mask = n >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
    if (((a ^ b) & mask) == 0) {  // the same bytes: the same varUint (its last byte ends it)
      out = client;
      p += n;
      return true;
    }
  }
  return read_small_var_uint(p, end, out);
}

bool read_small_update(std::span<const uint8_t> update, SmallUpdate& out) {
  const uint8_t* p = update.data();
  const uint8_t* const end = p + update.size();
  uint64_t n_clients, v;
  if (!read_small_var_uint(p, end, n_clients) || n_clients > 1) return false;
  if (n_clients == 1) {
    uint64_t count;
    if (!read_small_var_uint(p, end, count) || count != 1) return false;
    const uint8_t* const client_at = p;
    if (!read_small_var_uint(p, end, out.client)) return false;
    const uint8_t* const client_end = p;
    if (!read_small_var_uint(p, end, out.clock) || p == end) return false;
    const uint8_t info = *p++;
    // A string with an origin (so the parent is copied): no parent info or key follows.
    if ((info & 0x1f) != static_cast<uint8_t>(ContentRef::kString) || (info & 0xa0) != 0x80) return false;
    if (!read_same_client(p, end, client_at, client_end, out.client, out.origin.client) ||
        !read_small_var_uint(p, end, out.origin.clock))
      return false;
    if (info & 0x40) {
      ID r;
      if (!read_same_client(p, end, client_at, client_end, out.client, r.client) ||
          !read_small_var_uint(p, end, r.clock))
        return false;
      if (r.client == out.client && r.clock >= out.clock) return false;
      out.right_origin = r;
    }
    if (out.origin.client == out.client && out.origin.clock >= out.clock) return false;
    uint64_t n_bytes;
    if (!read_small_var_uint(p, end, n_bytes) || n_bytes == 0 || n_bytes > static_cast<uint64_t>(end - p))
      return false;
    const uint8_t* bytes = p;
    p += n_bytes;
    if (n_bytes <= SmallUpdate::kInlineText && widen_ascii(bytes, n_bytes, out.ascii) == n_bytes) {
      out.len = n_bytes;
    } else {
      auto text = utf8_to_utf16(std::string_view(reinterpret_cast<const char*>(bytes), n_bytes));
      if (!text) return false;
      out.other = std::move(*text);
      out.len = out.other.size();
    }
    if (out.clock > kMaxClockEnd || out.len > kMaxClockEnd - out.clock) return false;
    // An empty delete set, and nothing after it.
    if (!read_small_var_uint(p, end, v) || v != 0 || p != end) return false;
    out.is_insert = true;
    return true;
  }
  uint64_t n_ranges;
  if (!read_small_var_uint(p, end, v) || v != 1 || !read_small_var_uint(p, end, out.client) ||
      !read_small_var_uint(p, end, n_ranges) || n_ranges != 1 || !read_small_var_uint(p, end, out.clock) ||
      !read_small_var_uint(p, end, out.len) || out.len == 0 || p != end)
    return false;
  return true;  // clock and length are below 2^49: the range ends before 2^53
}

// A small insert's left neighbour when it is integrate_in_order's item
// continuing at its client's state whose origin get_missing resolves to the
// client's last block (and the right origin, if any, to that block's right
// neighbour: no search, nothing split), with `right` set; else null.
Item* small_insert_left(StructStore& store, const SmallUpdate& u, Item*& right) {
  if (u.origin.client != u.client || u.origin.clock + 1 != u.clock) return nullptr;
  StructStore::Blocks* blocks = store.blocks(u.client);
  if (blocks == nullptr || blocks->empty()) return nullptr;
  Item* left = blocks->back();
  if (left->id.clock + left->length != u.clock) return nullptr;
  right = left->right;
  if (u.right_origin ? right == nullptr || right->id != *u.right_origin || right->is_gc : right != nullptr)
    return nullptr;
  return left;
}

// Applies a small update, unless one of the general path's steps would do
// more than the fast paths do here (pending structs or deletes to retry,
// an insert that does not extend its client's last block): then false,
// having changed nothing.
bool apply_small_update(Transaction& txn, const SmallUpdate& u) {
  StructStore& store = txn.doc.store();
  if (store.pending_structs || store.pending_ds) return false;
  if (!u.is_insert) {
    const DeleteRange range{u.clock, u.len};
    const DsClient dc{u.client, {&range, 1}};
    store.pending_ds = apply_delete_set(txn, {&dc, 1});
    return true;
  }
  Item* right = nullptr;
  Item* left = small_insert_left(store, u, right);
  return left != nullptr && try_extend_block(txn, left, right, u.right_origin, u.text());
}

}  // namespace

Status Doc::apply_update(std::span<const uint8_t> update, UpdateFormat format, const std::string& origin) {
  Status st;
  if (format == UpdateFormat::kV1 && load_fast_paths_enabled) {
    SmallUpdate small;
    if (read_small_update(update, small)) {
      StructStore& s = *store_;
      // Where nobody can see a transaction (none open, no observer, no
      // handler), typing that extends its client's last block and a backspace
      // or forward delete into a tombstone leave the transaction's steps
      // nothing to do (nothing to collect, split or merge, no formatting), so
      // they are made without one. The state after them is what apply_small_update's gives.
      const bool unseen = txn_ == nullptr && !s.types_observed() && update_handlers_.empty() &&
                          update_v2_handlers_.empty() && after_transaction_handlers_.empty() &&
                          !s.pending_structs && !s.pending_ds;
      if (unseen && !small.is_insert) {
        // No clock changes: the kept transaction's after_state stays the store's.
        const uint64_t clock_end = small.clock + small.len;
        if (clock_end <= s.state(small.client)) {
          StructStore::Blocks& blocks = *s.blocks(small.client);
          const size_t index = StructStore::find_index(blocks, small.clock);
          Item* block = blocks[index];
          const uint64_t block_end = block->id.clock + block->length;
          if (!block->deleted && block->id.clock == small.clock && clock_end < block_end &&
              forward_delete_into_tombstone(*this, block, small.len, &blocks, index))
            return st;
          if (!block->deleted && block->id.clock < small.clock && clock_end == block_end &&
              backspace_into_tombstone(*this, block, small.clock - block->id.clock, &blocks, index + 1))
            return st;
        }
      }
      if (unseen && small.is_insert) {
        Item* right = nullptr;
        if (Item* left = small_insert_left(s, small, right); left != nullptr) {
          const std::u16string_view text = small.text();
          if (ContentString* own = extendable(s, left, right, small.right_origin, text); own != nullptr) {
            extend_block(left, *own, text);
            if (small.client == client_id_) client_id_ = generate_client_id();  // another peer uses our id
            // The kept transaction's after_state is no longer the store's.
            if (spare_txn_) spare_txn_->after_state_current = false;
            return st;
          }
        }
      }
      transact(
          [&](Transaction& txn) {
            txn.local = false;
            if (!apply_small_update(txn, small)) st = apply_read(txn, update, format);
          },
          origin);
      return st;
    }
  }
  if (can_load_in_parts(update.size())) [[unlikely]] {  // (keystroke-sized updates returned above)
    st = apply_in_parts(update, format, origin);
    return st;  // st, not a temporary: every return is the one named object (NRVO)
  }
  st = with_read_structs(store_->pool(), [&](ReadStructs& rs) {
    Status read = read_update(update, format, rs);
    if (read.is_ok()) {
      // A load into an empty document: see apply_loaded (checked only for
      // big updates: keystroke-sized ones pay one test).
      const bool into_empty = rs.many_structs && txn_ == nullptr && store_->clients().empty() &&
                              !has_pending() && !store_->types_observed() &&
                              after_transaction_handlers_.empty();
      transact(
          [&](Transaction& txn) {
            txn.local = false;
            if (into_empty && !rs.format_or_doc) {
              apply_loaded(txn, rs);
            } else {
              apply_read_update(txn, rs);
            }
          },
          origin);
    }
    return read;
  });
  return st;
}

}  // namespace weft
