// Doc::apply_update: an update read (read_update.cc) and integrated
// (integrate_update.cc) inside a transaction, with what stays pending
// (yjs src/utils/encoding.js readUpdateV2: pending structs and delete sets
// retried when their dependencies arrive), the load of a whole state into an
// empty document, and keystroke-sized updates read and applied without the
// general reader.
#include <bit>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/bulk_load.h"
#include "core/load_paths.h"
#include "core/read_structs.h"
#include "core/struct_store.h"
#include "core/text_ops.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "encoding/utf.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace weft {

namespace {

UpdateBytes merge_two_v2(const UpdateBytes& a, const UpdateBytes& b) {
  std::span<const uint8_t> parts[2] = {a, b};
  auto merged = merge_updates(parts, UpdateFormat::kV2);
  return merged ? std::move(*merged) : a;  // inputs are our own encodings: merging cannot fail
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

// An origin (client, clock) in a small update: its client most often the
// update's own written again (`own`), else decoded as any varUint.
[[gnu::always_inline]] inline bool read_small_id(const uint8_t*& p, const uint8_t* end,
                                                 const OwnClientBytes& own, ID& out) {
  if (own.written_at(p, static_cast<size_t>(end - p))) {
    out.client = own.client;
    p += own.len;
  } else if (!read_small_var_uint(p, end, out.client)) {
    return false;
  }
  return read_small_var_uint(p, end, out.clock);
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
    OwnClientBytes own;
    own.set(out.client, client_at, static_cast<size_t>(client_end - client_at), end);
    if (!read_small_id(p, end, own, out.origin)) return false;
    if (info & 0x40) {
      ID r;
      if (!read_small_id(p, end, own, r)) return false;
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
            extend_block(s, left, *own, text);
            if (small.client == client_id_) client_id_ = generate_client_id();  // another peer uses our id
            return st;
          }
        }
      }
      // A new transaction is remote; one this joins stays as it is (yjs'
      // transact ignores `local` when a transaction is open).
      const bool joins = txn_ != nullptr;
      transact(
          [&](Transaction& txn) {
            if (!joins) txn.local = false;
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
      const bool joins = txn_ != nullptr;
      transact(
          [&](Transaction& txn) {
            if (!joins) txn.local = false;
            if (into_empty && !rs.format_or_doc) {
              apply_loaded(txn, rs);
            } else {
              apply_read_update(txn, rs);
            }
          },
          origin);
      if (!joins && rs.many_structs && spare_txn_ != nullptr) spare_txn_->release_buffers();
    }
    return read;
  });
  return st;
}

}  // namespace weft
