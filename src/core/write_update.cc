#include "core/write_update.h"

#include <algorithm>
#include <cstring>
#include <typeinfo>

#include "core/branch.h"
#include "core/struct_store.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "encoding/update_codec_impl.h"
#include "encoding/utf.h"

namespace weft {

namespace {

// E is a concrete encoder (field writers inlined, no virtual call per field)
// or the UpdateEncoder interface.
template <typename E>
void write_item_with(E& enc, const Item& item, uint64_t offset) {
  if (item.is_gc) {
    enc.write_info(0);
    enc.write_len(item.length - offset);
    return;
  }
  OptionalID origin = offset > 0 ? OptionalID(ID{item.id.client, item.id.clock + offset - 1}) : item.origin;
  uint8_t info = static_cast<uint8_t>(content_ref(item.content)) & 0x1f;
  if (origin) info |= 0x80;
  if (item.right_origin) info |= 0x40;
  if (item.parent_sub()) info |= 0x20;
  enc.write_info(info);
  if (origin) enc.write_left_id(*origin);
  if (item.right_origin) enc.write_right_id(*item.right_origin);
  if (!origin && !item.right_origin) {
    const Branch* parent = item.parent;
    if (parent->item == nullptr) {
      enc.write_parent_info(true);
      static_cast<UpdateEncoder&>(enc).write_string(std::string_view(parent->name));  // rare: not inlined
    } else {
      enc.write_parent_info(false);
      enc.write_left_id(parent->item->id);
    }
    if (item.parent_sub())
      static_cast<UpdateEncoder&>(enc).write_string(std::string_view(*item.parent_sub()));
  }
  // Strings and deleted ranges are most blocks: written without the visit.
  if (const auto* s = std::get_if<ContentString>(&item.content)) {
    enc.write_string(std::u16string_view(s->text).substr(std::min<size_t>(offset, s->text.size())));
  } else if (const auto* d = std::get_if<ContentDeleted>(&item.content)) {
    enc.write_len(d->len - offset);
  } else {
    write_content(enc, item.content, offset);
  }
}

}  // namespace

void write_item(UpdateEncoder& enc, const Item& item, uint64_t offset) { write_item_with(enc, item, offset); }

size_t estimate_v1_size(const StructStore& store) {
  size_t bytes = 16;
  for (const auto& [client, blocks] : store.clients()) {
    bytes += 16 + 8 * blocks.size();
    for (const Item* item : blocks) {
      if (const auto* s = std::get_if<ContentString>(&item->content)) bytes += s->text.size();
    }
  }
  return bytes;
}

namespace {

// One client's blocks from `clock` on (writeStructs).
template <typename E>
void write_client_structs_with(E& enc, const StructStore::Blocks& blocks, uint64_t client, uint64_t clock) {
  clock = std::max(clock, blocks.front_clock());
  size_t start = StructStore::find_index(blocks, clock);
  enc.rest().write_var_uint(blocks.size() - start);
  enc.write_client(client);
  enc.rest().write_var_uint(clock);
  RunReader runs;  // a tombstone run's members are written from the run
  const Item& first = runs.at(blocks, start, client);
  write_item_with(enc, first, clock - first.id.clock);
  for (size_t i = start + 1; i < blocks.size(); i++) write_item_with(enc, runs.at(blocks, i, client), 0);
}

// The raw-pointer writers' helpers run for every field of every update;
// GCC leaves them out of line as this file grows (a call costs more than
// the field), hence always_inline.
[[gnu::always_inline]] inline uint8_t* put_var_uint(uint8_t* p, uint64_t n) {
  if (n < 0x80) {
    *p = static_cast<uint8_t>(n);
    return p + 1;
  }
  if (n < 0x200000) {  // two or three bytes (most clocks), without the loop
    p[0] = static_cast<uint8_t>(0x80 | n);
    if (n < 0x4000) {
      p[1] = static_cast<uint8_t>(n >> 7);
      return p + 2;
    }
    p[1] = static_cast<uint8_t>(0x80 | (n >> 7));
    p[2] = static_cast<uint8_t>(n >> 14);
    return p + 3;
  }
  while (n > 0x7f) {
    *p++ = static_cast<uint8_t>(0x80 | (n & 0x7f));
    n >>= 7;
  }
  *p++ = static_cast<uint8_t>(n);
  return p;
}

size_t var_uint_size(uint64_t n) {
  size_t k = 1;
  for (; n > 0x7f; n >>= 7) k++;
  return k;
}

// A string as lib0 writeVarString writes it (varUint UTF-8 byte length, then
// UTF-8 with lone surrogates as U+FFFD) in one pass over the text: the
// UTF-8 goes after room for the shortest possible length prefix (UTF-8 has
// at least one byte per UTF-16 unit) and moves up in the rare case that its
// length needs a longer prefix. Needs 10 + 3 * size bytes of room.
uint8_t* put_utf16_string(uint8_t* p, std::u16string_view text) {
  const size_t guess = var_uint_size(text.size());
  uint8_t* start = p + guess;
  const size_t bytes = static_cast<size_t>(write_utf16_as_utf8(text, start) - start);
  const size_t need = var_uint_size(bytes);
  if (need != guess) std::memmove(start + (need - guess), start, bytes);
  return put_var_uint(p, bytes) + bytes;
}

// A string as put_utf16_string writes it; a few ASCII units (most typed
// text) copied one by one behind their one-byte length, without the
// conversion call (which is faster on longer text).
[[gnu::always_inline]] inline uint8_t* put_short_utf16_string(uint8_t* p, std::u16string_view text) {
  if (text.size() <= 8) {
    uint8_t* s = p + 1;
    size_t i = 0;
    for (; i < text.size() && text[i] < 0x80; i++) s[i] = static_cast<uint8_t>(text[i]);
    if (i == text.size()) {
      *p = static_cast<uint8_t>(i);
      return s + i;
    }
  }
  return put_utf16_string(p, text);
}

// A client's varUint, encoded once and copied whole (16 bytes, of which
// `len` count) wherever an ID of that client is written: most IDs in a
// client's blocks are its own (origins in its own runs). Needs 16 bytes of
// room at the write position.
struct ClientBytes {
  constexpr ClientBytes() = default;
  explicit ClientBytes(uint64_t c) : client(c), len(static_cast<size_t>(put_var_uint(bytes, c) - bytes)) {}
  uint8_t* put(uint8_t* at, uint64_t c) const {
    if (c != client) return put_var_uint(at, c);
    std::memcpy(at, bytes, sizeof bytes);
    return at + len;
  }
  uint64_t client = 0;
  uint8_t bytes[16] = {};  // client 0: one zero byte
  size_t len = 1;
};

// ClientBytes of `client`, kept from the last call on this thread: a doc's
// updates write mostly its own client (every transaction's update starts
// with it). Constant-initialized, so reading it needs no guard.
inline const ClientBytes& cached_client_bytes(uint64_t client) {
  thread_local ClientBytes cached;
  if (cached.client != client) cached = ClientBytes(client);
  return cached;
}

// Appends `item` to a client's delete ranges walked in clock order, joining
// it to the previous range when the block before it was deleted too (the
// ranges of StructStore::delete_set); `in_range` carries that between calls.
void add_delete_range(std::vector<DeleteRange>& ranges, const Item& item, bool& in_range) {
  if (!item.deleted) {
    in_range = false;
  } else if (in_range) {
    ranges.back().len += item.length;
  } else {
    ranges.push_back({item.id.clock, item.length});
    in_range = true;
  }
}

// Room put_block_v1 needs at its write position besides 3 bytes per UTF-16
// unit of a string: the info byte, two IDs (a client copied as 16 bytes)
// and a length prefix, with room to spare.
constexpr size_t kBlockRoom = 64;

// write_item_with's v1 bytes for `item` from `offset` clocks on, at `p`,
// for the blocks most updates are made of: GC blocks, and String / Deleted
// items with an origin or a right origin (no parent on the wire; from an
// offset, the unit before is the origin). `own` is the client most IDs
// belong to. Returns nullptr, having written nothing, for any other block
// and when the block might not fit before `end`.
[[gnu::always_inline]] inline uint8_t* put_block_v1(uint8_t* p, const uint8_t* end, const Item& item,
                                                    uint64_t offset, const ClientBytes& own) {
  if (static_cast<size_t>(end - p) < kBlockRoom) return nullptr;
  if (item.is_gc) {
    *p++ = 0;
    return put_var_uint(p, item.length - offset);
  }
  const OptionalID origin =
      offset > 0 ? OptionalID(ID{item.id.client, item.id.clock + offset - 1}) : item.origin;
  if (!origin && !item.right_origin) return nullptr;
  const auto* str = std::get_if<ContentString>(&item.content);
  const auto* del = str == nullptr ? std::get_if<ContentDeleted>(&item.content) : nullptr;
  if (str == nullptr && del == nullptr) return nullptr;
  std::u16string_view text;
  if (str != nullptr) {
    text = std::u16string_view(str->text).substr(std::min<size_t>(offset, str->text.size()));
    if (static_cast<size_t>(end - p) < kBlockRoom + 3 * text.size()) return nullptr;
  }
  uint8_t info = static_cast<uint8_t>(str != nullptr ? ContentRef::kString : ContentRef::kDeleted);
  if (origin) info |= 0x80;
  if (item.right_origin) info |= 0x40;
  if (item.parent_sub()) info |= 0x20;
  *p++ = info;
  if (origin) p = put_var_uint(own.put(p, origin->client), origin->clock);
  if (item.right_origin) p = put_var_uint(own.put(p, item.right_origin->client), item.right_origin->clock);
  return str != nullptr ? put_short_utf16_string(p, text) : put_var_uint(p, del->len - offset);
}

// write_client_structs_with for the v1 encoder, for the blocks most documents
// are made of (GC blocks, and String / Deleted items with an origin or a
// right origin, so no parent on the wire): written through a raw pointer
// into a stack buffer flushed in large pieces, with no per-field bounds
// checks or calls. Any other block (and a string too long for the buffer)
// goes through write_item_with after a flush. The same bytes.
// With a non-null `ranges` (a whole client, clock 0) it also appends the
// client's delete ranges, as write_state_delete_set's walk finds them
// (deleted neighbours joined), so the full state needs no second walk.
void write_client_structs_v1(UpdateEncoderV1& enc, const StructStore::Blocks& blocks, uint64_t client,
                             uint64_t clock, std::vector<DeleteRange>* ranges) {
  constexpr size_t kBuffer = 16384;
  lib0::Encoder& out = enc.rest();
  clock = std::max(clock, blocks.front_clock());
  const size_t start = StructStore::find_index(blocks, clock);
  uint8_t buf[kBuffer];
  const ClientBytes own(client);
  uint8_t* p = put_var_uint(own.put(put_var_uint(buf, blocks.size() - start), client), clock);
  auto flush = [&] {
    out.write_raw(std::span<const uint8_t>(buf, static_cast<size_t>(p - buf)));
    p = buf;
  };
  bool in_range = false;  // the last block was deleted (its range is ranges->back())
  RunReader runs;         // a tombstone run's members are written from the run
  for (size_t i = start; i < blocks.size(); i++) {
    const Item& item = runs.at(blocks, i, client);
    const uint64_t offset = i == start ? clock - item.id.clock : 0;
    if (ranges != nullptr) add_delete_range(*ranges, item, in_range);
    uint8_t* next = put_block_v1(p, buf + kBuffer, item, offset, own);
    if (next == nullptr && p != buf) {  // full, or another kind of block: flushed, then once more
      flush();
      next = put_block_v1(p, buf + kBuffer, item, offset, own);
    }
    if (next == nullptr) {
      write_item_with(enc, item, offset);
    } else {
      p = next;
    }
  }
  flush();
}

// write_client_structs_with for the concrete encoder behind `enc`.
void write_client_structs(UpdateEncoder& enc, const StructStore::Blocks& blocks, uint64_t client,
                          uint64_t clock) {
  // typeid, not dynamic_cast: this runs once per client of every emitted update.
  if (typeid(enc) == typeid(UpdateEncoderV1)) {
    if (fast_v1_writer_enabled) {
      write_client_structs_v1(static_cast<UpdateEncoderV1&>(enc), blocks, client, clock, nullptr);
    } else {
      write_client_structs_with(static_cast<UpdateEncoderV1&>(enc), blocks, client, clock);
    }
  } else if (typeid(enc) == typeid(UpdateEncoderV2)) {
    write_client_structs_with(static_cast<UpdateEncoderV2&>(enc), blocks, client, clock);
  } else {
    write_client_structs_with(enc, blocks, client, clock);
  }
}

// Per client (descending), its delete ranges ranges[first, end).
struct ClientRanges {
  uint64_t client;
  size_t first;
  size_t end;
};

// The clients with blocks, descending (the order of updates and delete sets).
std::vector<std::pair<uint64_t, const StructStore::Blocks*>> non_empty_clients_descending(
    const StructStore& store) {
  std::vector<std::pair<uint64_t, const StructStore::Blocks*>> clients;
  clients.reserve(store.clients().size());
  for (const auto& [client, blocks] : store.clients()) {
    if (!blocks.empty()) clients.emplace_back(client, &blocks);
  }
  std::sort(clients.begin(), clients.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return clients;
}

// A v1 delete set: plain varUints, the client count, then per client its
// id, range count and each range's clock and length; written through a raw
// pointer into a stack buffer appended in large pieces (a full state has
// thousands of ranges).
void write_v1_delete_set(lib0::Encoder& out, const std::vector<ClientRanges>& with_ranges,
                         const std::vector<DeleteRange>& ranges) {
  constexpr size_t kBuffer = 4096;
  constexpr size_t kPair = 20;  // two varUints of at most 10 bytes
  uint8_t buf[kBuffer];
  uint8_t* p = put_var_uint(buf, with_ranges.size());
  auto room = [&] {
    if (static_cast<size_t>(buf + kBuffer - p) >= kPair) return;
    out.write_raw(std::span<const uint8_t>(buf, static_cast<size_t>(p - buf)));
    p = buf;
  };
  for (const ClientRanges& c : with_ranges) {
    room();
    p = put_var_uint(put_var_uint(p, c.client), c.end - c.first);
    for (size_t k = c.first; k < c.end; k++) {
      room();
      p = put_var_uint(put_var_uint(p, ranges[k].clock), ranges[k].len);
    }
  }
  out.write_raw(std::span<const uint8_t>(buf, static_cast<size_t>(p - buf)));
}

}  // namespace

void write_state_delete_set(UpdateEncoder& enc, const StructStore& store) {
  if (!fast_v1_writer_enabled || typeid(enc) != typeid(UpdateEncoderV1)) {
    store.delete_set().write(enc);
    return;
  }
  // v1: plain varUints, clients descending, each client's deleted blocks
  // joined with their deleted neighbours (StructStore::delete_set's ranges).
  std::vector<DeleteRange> ranges;
  std::vector<ClientRanges> with_ranges;
  for (const auto& [client, blocks] : non_empty_clients_descending(store)) {
    const size_t first = ranges.size();
    bool in_range = false;
    RunReader runs;
    for (size_t i = 0; i < blocks->size(); i++)
      add_delete_range(ranges, runs.at(*blocks, i, client), in_range);
    if (ranges.size() > first) with_ranges.push_back({client, first, ranges.size()});
  }
  write_v1_delete_set(enc.rest(), with_ranges, ranges);
}

void write_clients_structs(UpdateEncoder& enc, const StructStore& store, const StateVector& target) {
  std::vector<std::pair<uint64_t, uint64_t>> clients;  // client, start clock
  for (const auto& [client, blocks] : store.clients()) {
    if (blocks.empty()) continue;
    auto found = target.find(client);
    uint64_t clock = found == target.end() ? 0 : found->second;
    if (store.state(client) > clock) clients.emplace_back(client, clock);
  }
  std::sort(clients.begin(), clients.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  enc.rest().write_var_uint(clients.size());
  for (auto [client, clock] : clients) write_client_structs(enc, store.clients().at(client), client, clock);
}

void write_state_as_update(UpdateEncoder& enc, const StructStore& store, const StateVector& target) {
  if (!fast_v1_writer_enabled || typeid(enc) != typeid(UpdateEncoderV1) || !target.empty()) {
    write_clients_structs(enc, store, target);
    write_state_delete_set(enc, store);
    return;
  }
  // The whole store in v1: every non-empty client from clock 0, descending,
  // its delete ranges collected while its blocks are written (an empty
  // client has none, so the delete set's clients are a subset in the same
  // order).
  const auto clients = non_empty_clients_descending(store);
  auto& v1 = static_cast<UpdateEncoderV1&>(enc);
  v1.rest().write_var_uint(clients.size());
  std::vector<DeleteRange> ranges;
  std::vector<ClientRanges> with_ranges;
  for (const auto& [client, blocks] : clients) {
    const size_t first = ranges.size();
    write_client_structs_v1(v1, *blocks, client, 0, &ranges);
    if (ranges.size() > first) with_ranges.push_back({client, first, ranges.size()});
  }
  write_v1_delete_set(v1.rest(), with_ranges, ranges);
}

namespace {

// One client's new blocks of a transaction, from `clock` on (the bytes of
// write_client_structs_with) at `p`, each through put_block_v1; nullptr
// when one is of another kind or they might not fit before `end`.
uint8_t* put_client_structs_v1(uint8_t* p, const uint8_t* end, const StructStore::Blocks& blocks,
                               uint64_t client, uint64_t clock) {
  constexpr size_t kMaxBlocks = 64;
  if (static_cast<size_t>(end - p) < kBlockRoom) return nullptr;
  clock = std::max(clock, blocks.front_clock());
  // Typing continues the client's last block (in place, or merged into it
  // at cleanup): the range then starts there, found without a search.
  const Item& last_block = *blocks.back();
  const size_t last = blocks.size() - 1;
  const size_t start = last_block.id.clock <= clock ? last : StructStore::find_index(blocks, clock);
  if (last - start >= kMaxBlocks) return nullptr;
  const ClientBytes& own = cached_client_bytes(client);
  p = put_var_uint(own.put(put_var_uint(p, last - start + 1), client), clock);
  if (start == last) return put_block_v1(p, end, last_block, clock - last_block.id.clock, own);
  RunReader runs;
  for (size_t i = start; i <= last && p != nullptr; i++) {
    const Item& item = runs.at(blocks, i, client);
    p = put_block_v1(p, end, item, i == start ? clock - item.id.clock : 0, own);
  }
  return p;
}

// One client's ranges of a v1 delete set (plain varUints: its id, range
// count and each range's clock and length) at `p`; nullptr when they might
// not fit before `end`.
uint8_t* put_client_ranges(uint8_t* p, const uint8_t* end, uint64_t client,
                           const std::vector<DeleteRange>& ranges) {
  if (static_cast<size_t>(end - p) < 26 + 20 * ranges.size()) return nullptr;  // 10 bytes a varUint at most
  p = put_var_uint(cached_client_bytes(client).put(p, client), ranges.size());
  for (const DeleteRange& d : ranges) p = put_var_uint(put_var_uint(p, d.clock), d.len);
  return p;
}

}  // namespace

void write_transaction_delete_set(UpdateEncoder& enc, const DeleteSet& ds) {
  if (ds.clients().empty()) {  // most transactions delete nothing: the count 0, in any format
    enc.rest().write_var_uint(0);
    return;
  }
  ds.write(enc);
}

void write_transaction_structs(UpdateEncoder& enc, const StructStore& store,
                               std::span<const ClientMove> moved) {
  enc.rest().write_var_uint(moved.size());
  for (auto it = moved.rbegin(); it != moved.rend(); ++it)
    write_client_structs(enc, *store.blocks(it->client), it->client, it->before);
}

// A small update (most local edits: one client's new block or two, a few
// deleted ranges) is written through a raw pointer into a stack buffer and
// copied into the encoder at once: at most kMaxClients changed clients whose
// new blocks put_block_v1 writes. Anything else, or an update that might
// overflow the buffer, goes to the general writers.
void write_transaction_update_v1(UpdateEncoder& enc, const StructStore& store,
                                 std::span<const ClientMove> moved, const DeleteSet& ds) {
  auto fall_back = [&] {
    enc.rest().clear();
    write_transaction_structs(enc, store, moved);
    write_transaction_delete_set(enc, ds);
  };
  if (!small_update_writer_enabled || typeid(enc) != typeid(UpdateEncoderV1)) return fall_back();
  constexpr size_t kBuffer = 1024;
  constexpr size_t kMaxClients = 4;
  uint8_t buf[kBuffer];
  const uint8_t* const end = buf + kBuffer;
  uint8_t* p = buf;
  if (moved.size() > kMaxClients) return fall_back();
  *p++ = static_cast<uint8_t>(moved.size());
  for (auto it = moved.rbegin(); it != moved.rend() && p != nullptr; ++it)  // descending, as yjs writes
    p = put_client_structs_v1(p, end, *store.blocks(it->client), it->client, it->before);
  if (p == nullptr) return fall_back();
  // The delete set.
  const auto& ds_clients = ds.clients();
  if (static_cast<size_t>(end - p) < 10) return fall_back();
  p = put_var_uint(p, ds_clients.size());
  if (ds_clients.size() == 1) {  // no tree walk for the common case
    p = put_client_ranges(p, end, ds_clients.begin()->first, ds_clients.begin()->second);
  } else {
    for (auto it = ds_clients.rbegin(); it != ds_clients.rend() && p != nullptr; ++it)
      p = put_client_ranges(p, end, it->first, it->second);
  }
  if (p == nullptr) return fall_back();
  enc.rest().assign_raw(std::span<const uint8_t>(buf, static_cast<size_t>(p - buf)));
}

}  // namespace weft
