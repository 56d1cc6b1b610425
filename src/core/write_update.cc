#include "core/write_update.h"

#include <algorithm>
#include <cstring>
#include <typeinfo>

#include "core/branch.h"
#include "core/struct_store.h"
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
  clock = std::max(clock, blocks.front()->id.clock);
  size_t start = StructStore::find_index(blocks, clock);
  enc.rest().write_var_uint(blocks.size() - start);
  enc.write_client(client);
  enc.rest().write_var_uint(clock);
  write_item_with(enc, *blocks[start], clock - blocks[start]->id.clock);
  for (size_t i = start + 1; i < blocks.size(); i++) write_item_with(enc, *blocks[i], 0);
}

uint8_t* put_var_uint(uint8_t* p, uint64_t n) {
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
  constexpr size_t kFixed = 64;  // info byte, two IDs and a length prefix, with room to spare
  lib0::Encoder& out = enc.rest();
  clock = std::max(clock, blocks.front()->id.clock);
  const size_t start = StructStore::find_index(blocks, clock);
  uint8_t buf[kBuffer];
  uint8_t* p = put_var_uint(buf, blocks.size() - start);
  // Most IDs written are of this client (origins in its own runs): its
  // varUint is copied whole (16 bytes, of which the first `client_len`
  // count; kFixed leaves room for the rest) instead of re-encoded.
  uint8_t client_bytes[16] = {};
  const size_t client_len = static_cast<size_t>(put_var_uint(client_bytes, client) - client_bytes);
  auto put_client = [&](uint8_t* at, uint64_t c) {
    if (c != client) return put_var_uint(at, c);
    std::memcpy(at, client_bytes, sizeof client_bytes);
    return at + client_len;
  };
  std::memcpy(p, client_bytes, client_len);
  p += client_len;
  p = put_var_uint(p, clock);
  auto flush = [&] {
    out.write_raw(std::span<const uint8_t>(buf, static_cast<size_t>(p - buf)));
    p = buf;
  };
  bool in_range = false;  // the last block was deleted (its range is ranges->back())
  for (size_t i = start; i < blocks.size(); i++) {
    const Item& item = *blocks[i];
    const uint64_t offset = i == start ? clock - item.id.clock : 0;
    if (ranges != nullptr) add_delete_range(*ranges, item, in_range);
    if (static_cast<size_t>(buf + kBuffer - p) < kFixed) flush();
    if (item.is_gc) {
      *p++ = 0;
      p = put_var_uint(p, item.length - offset);
      continue;
    }
    const OptionalID origin =
        offset > 0 ? OptionalID(ID{item.id.client, item.id.clock + offset - 1}) : item.origin;
    const auto* str = std::get_if<ContentString>(&item.content);
    const auto* del = str == nullptr ? std::get_if<ContentDeleted>(&item.content) : nullptr;
    if ((str == nullptr && del == nullptr) || (!origin && !item.right_origin) ||
        (str != nullptr && str->text.size() > (kBuffer - kFixed) / 3)) {
      flush();
      write_item_with(enc, item, offset);
      continue;
    }
    if (str != nullptr && static_cast<size_t>(buf + kBuffer - p) < kFixed + 3 * str->text.size()) flush();
    uint8_t info = static_cast<uint8_t>(str != nullptr ? ContentRef::kString : ContentRef::kDeleted);
    if (origin) info |= 0x80;
    if (item.right_origin) info |= 0x40;
    if (item.parent_sub()) info |= 0x20;
    *p++ = info;
    if (origin) p = put_var_uint(put_client(p, origin->client), origin->clock);
    if (item.right_origin)
      p = put_var_uint(put_client(p, item.right_origin->client), item.right_origin->clock);
    if (str != nullptr) {
      p = put_utf16_string(p,
                           std::u16string_view(str->text).substr(std::min<size_t>(offset, str->text.size())));
    } else {
      p = put_var_uint(p, del->len - offset);
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
    for (const Item* block : *blocks) add_delete_range(ranges, *block, in_range);
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

// The common per-transaction update of local editing, for the v1 encoder:
// one client's few blocks, each a String or Deleted item with an origin or a
// right origin (so no parent on the wire), written into a stack buffer and
// appended at once instead of field by field. Gives the bytes
// write_client_structs_with writes; returns false, having written nothing,
// for anything else (more blocks or bytes than the buffer holds, GC blocks,
// other content, no origins).
bool write_small_client_structs_v1(lib0::Encoder& out, const StructStore::Blocks& blocks, uint64_t client,
                                   uint64_t clock) {
  constexpr size_t kBuffer = 512;
  constexpr size_t kMaxBlocks = 8;
  clock = std::max(clock, blocks.front()->id.clock);
  const size_t start = StructStore::find_index(blocks, clock);
  const size_t count = blocks.size() - start;
  if (count > kMaxBlocks) return false;
  // Bound: 3 varUints of the header, then per block the info byte, two IDs
  // and the content (a varUint and at most 3 UTF-8 bytes per UTF-16 unit).
  size_t bound = 30;
  const Item* items[kMaxBlocks];
  for (size_t i = 0; i < count; i++) {
    const Item* item = blocks[start + i];
    if (item->is_gc || item->parent_sub() || (!item->origin && !item->right_origin)) return false;
    if (const auto* str = std::get_if<ContentString>(&item->content)) {
      bound += 51 + 3 * str->text.size();
    } else if (std::holds_alternative<ContentDeleted>(item->content)) {
      bound += 51;
    } else {
      return false;
    }
    if (bound > kBuffer) return false;
    items[i] = item;
  }
  uint8_t buf[kBuffer];
  uint8_t* p = put_var_uint(buf, count);
  p = put_var_uint(p, client);
  p = put_var_uint(p, clock);
  for (size_t i = 0; i < count; i++) {
    const Item& item = *items[i];
    const uint64_t offset = i == 0 ? clock - item.id.clock : 0;
    const OptionalID origin =
        offset > 0 ? OptionalID(ID{item.id.client, item.id.clock + offset - 1}) : item.origin;
    const auto* str = std::get_if<ContentString>(&item.content);
    uint8_t info = static_cast<uint8_t>(str != nullptr ? ContentRef::kString : ContentRef::kDeleted);
    if (origin) info |= 0x80;
    if (item.right_origin) info |= 0x40;
    *p++ = info;
    if (origin) p = put_var_uint(put_var_uint(p, origin->client), origin->clock);
    if (item.right_origin)
      p = put_var_uint(put_var_uint(p, item.right_origin->client), item.right_origin->clock);
    if (str != nullptr) {
      const std::u16string_view text =
          std::u16string_view(str->text).substr(std::min<size_t>(offset, str->text.size()));
      p = put_var_uint(p, utf16_as_utf8_length(text));
      p = write_utf16_as_utf8(text, p);
    } else {
      p = put_var_uint(p, std::get<ContentDeleted>(item.content).len - offset);
    }
  }
  out.write_raw(std::span<const uint8_t>(buf, static_cast<size_t>(p - buf)));
  return true;
}

}  // namespace

void write_transaction_delete_set(UpdateEncoder& enc, const DeleteSet& ds) {
  const auto& clients = ds.clients();
  if (clients.empty()) {  // most transactions delete nothing: the count 0, in any format
    enc.rest().write_var_uint(0);
    return;
  }
  if (small_update_writer_enabled && typeid(enc) == typeid(UpdateEncoderV1) && clients.size() <= 4) {
    // v1 delete sets are plain varUints: the client count, then per client
    // (descending) its id, range count and each range's clock and length.
    constexpr size_t kMaxRanges = 16;
    size_t ranges = 0;
    for (const auto& [client, list] : clients) ranges += list.size();
    if (ranges <= kMaxRanges) {
      uint8_t buf[10 + 4 * 20 + kMaxRanges * 20];  // at most 10 bytes per varUint
      uint8_t* p = put_var_uint(buf, clients.size());
      for (auto it = clients.rbegin(); it != clients.rend(); ++it) {
        p = put_var_uint(put_var_uint(p, it->first), it->second.size());
        for (const DeleteRange& d : it->second) p = put_var_uint(put_var_uint(p, d.clock), d.len);
      }
      enc.rest().write_raw(std::span<const uint8_t>(buf, static_cast<size_t>(p - buf)));
      return;
    }
  }
  ds.write(enc);
}

void write_transaction_structs(UpdateEncoder& enc, const StructStore& store, const ClientClocks& before,
                               const ClientClocks& after) {
  uint64_t count = 0;
  for (const auto& [client, clock] : after) count += clock > before.get(client) ? 1 : 0;
  enc.rest().write_var_uint(count);
  for (auto it = after.end(); it != after.begin();) {
    --it;
    uint64_t from = before.get(it->first);
    if (it->second <= from) continue;
    const StructStore::Blocks& blocks = *store.blocks(it->first);
    if (small_update_writer_enabled && typeid(enc) == typeid(UpdateEncoderV1) &&
        write_small_client_structs_v1(enc.rest(), blocks, it->first, from))
      continue;
    write_client_structs(enc, blocks, it->first, from);
  }
}

}  // namespace weft
