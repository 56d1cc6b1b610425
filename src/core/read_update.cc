// Reading an update into items (ReadStructs, read_structs.h): yjs
// src/utils/encoding.js readClientsStructRefs and DeleteSet.js readDeleteSet,
// without intermediate wire structs or a map per update.
#include <algorithm>
#include <string>
#include <type_traits>

#include "core/load_paths.h"
#include "core/read_structs.h"
#include "encoding/update_codec_impl.h"
#include "encoding/utf.h"

namespace weft {

namespace {

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
  if (own.written_at(dec.position(), dec.remaining())) {
    dec.advance(own.len);  // len <= 8 <= remaining()
    return ID{own.client, read_clock_v1(dec)};
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
      const uint8_t* client_end = dec.rest().position();
      rs.own_client.set(client, client_at, static_cast<size_t>(client_end - client_at),
                        client_end + dec.rest().remaining());
    }
    uint64_t clock = dec.rest().read_var_uint();
    if (!dec.ok()) return;
    ClientRefs* cr = &rs.add_client(client);
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
      // yjs never writes one (empty inserts make no item); several blocks
      // at one clock would make a client's blocks ambiguous by clock.
      if (ref.item->length == 0) {
        dec.fail(ErrorCode::kMalformed, "struct of length 0");
        return;
      }
      clock += ref.item->length;
    }
  }
  rs.sort_clients();
  rs.many_structs = load_fast_paths_enabled && structs_read >= ReadStructs::kManyStructs;
  rs.structs_read = structs_read;
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

template <typename D>
Status read_update_with(D& dec, size_t input_bytes, ReadStructs& rs) {
  read_structs(dec, input_bytes, rs);
  if (!dec.ok()) return dec.status();
  read_delete_set(dec, rs);
  if (!dec.ok()) return dec.status();
  if (rs.bad_ref) return Status(ErrorCode::kMalformed, "struct refers to a later clock of its own client");
  return Status::ok();
}

}  // namespace

void delete_set_clients(const DeleteSet& ds, std::vector<DsClient>& out) {
  out.clear();
  for (auto it = ds.clients().rbegin(); it != ds.clients().rend(); ++it)
    out.push_back({it->first, it->second});
}

Status read_update(std::span<const uint8_t> update, UpdateFormat format, ReadStructs& rs) {
  if (format == UpdateFormat::kV1) {
    UpdateDecoderV1 dec(update);
    return read_update_with(dec, update.size(), rs);
  }
  WEFT_ASSIGN_OR_RETURN(auto dec, make_update_decoder(format, update));
  return read_update_with(*dec, update.size(), rs);
}

}  // namespace weft
