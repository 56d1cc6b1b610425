// Reads the struct section of an update one struct at a time, like yjs's
// lazyStructReaderGenerator / LazyStructReader (src/utils/updates.js), and the
// struct form merge_updates / diff_update work on.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "encoding/content.h"
#include "encoding/update_codec.h"
#include "encoding/utf.h"
#include "encoding/wire.h"

namespace weft {

class UpdateDecoderV1;

// A struct as the byte-level operations (merge, diff) see it: what they
// compare and write, with strings kept as views of the input's UTF-8 instead
// of being decoded. Content other than String and Deleted is decoded as usual.
// Reading one fails ("needs the generic path") where a view cannot stand for
// what JS holds: a v2 string piece holding half of a surrogate pair; the
// caller then redoes the operation with WireStruct.
struct LazyStruct {
  StructKind kind = StructKind::kItem;
  ID id;
  uint64_t length = 0;
  // Items only:
  ContentRef ref = ContentRef::kDeleted;
  bool has_origin = false;
  bool has_right_origin = false;
  bool has_parent = false;      // read without origins: the parent is on the wire
  bool parent_is_name = false;  // parent_name (root type) rather than parent_id
  bool has_parent_sub = false;
  uint16_t raw_size = 0;  // see raw
  ID origin;
  ID right_origin;
  ID parent_id;
  std::string_view parent_name;
  std::string_view parent_sub;
  std::string_view text;                     // ref kString: valid UTF-8 of `length` UTF-16 units
  Content other;                             // refs other than kString and kDeleted
  std::shared_ptr<const std::string> owned;  // backs `text` when a split changed it
  // v1 only: the struct's bytes in the input when writing it unchanged (at
  // offset 0) gives exactly these bytes, so a writer may copy them (see
  // v1_canonical); nullptr otherwise, and reset by whatever changes `length`
  // (set_length). raw_size (above) fits in padding: larger structs are
  // re-encoded.
  const uint8_t* raw = nullptr;

  LazyStruct() = default;
  LazyStruct(const LazyStruct&) = default;
  LazyStruct(LazyStruct&&) noexcept = default;
  LazyStruct& operator=(const LazyStruct&) = default;
  // Merges move structs around a lot: `other` (a variant) and `owned` are
  // moved only when `o` uses them, and are otherwise left stale (they are
  // read only for the refs that use them; a stale `owned` just keeps a string).
  LazyStruct& operator=(LazyStruct&& o) noexcept {
    kind = o.kind;
    id = o.id;
    length = o.length;
    ref = o.ref;
    has_origin = o.has_origin;
    has_right_origin = o.has_right_origin;
    has_parent = o.has_parent;
    parent_is_name = o.parent_is_name;
    has_parent_sub = o.has_parent_sub;
    origin = o.origin;
    right_origin = o.right_origin;
    parent_id = o.parent_id;
    parent_name = o.parent_name;
    parent_sub = o.parent_sub;
    text = o.text;
    raw = o.raw;
    raw_size = o.raw_size;
    if (kind == StructKind::kItem && ref != ContentRef::kString && ref != ContentRef::kDeleted) {
      other = std::move(o.other);
    }
    if (o.owned) owned = std::move(o.owned);
    return *this;
  }

  // sliceStruct: the part from `diff` on (0 < diff < length). A string split
  // between the halves of a surrogate pair starts with U+FFFD, as in Yjs.
  LazyStruct slice(uint64_t diff) const;
  // Writes the struct from `offset` clocks on; false if that cannot be done
  // exactly from views (an offset inside a surrogate pair). Enc is
  // UpdateEncoder or one of its classes in update_codec_impl.h (inlined calls).
  template <typename Enc>
  bool write(Enc& enc, uint64_t offset) const;
};

// Changes a struct's length (Skip and GC structs merge and shrink): its input
// bytes no longer stand for it.
inline void set_length(LazyStruct& s, uint64_t length) {
  s.length = length;
  s.raw = nullptr;
}

// Bytes of valid UTF-8 `s` that hold its first `units` UTF-16 units; SIZE_MAX
// if unit `units` - 1 is the high half of a pair (the cut splits a character).
size_t utf8_prefix_bytes(std::string_view s, uint64_t units);

template <typename Enc>
bool LazyStruct::write(Enc& enc, uint64_t offset) const {
  switch (kind) {
    case StructKind::kGC:
      enc.write_info(0);
      enc.write_len(length - offset);
      return true;
    case StructKind::kSkip:
      enc.write_info(10);
      enc.rest().write_var_uint(length - offset);  // always in the rest stream, also in v2
      return true;
    case StructKind::kItem:
      break;
  }
  const bool o = offset > 0 || has_origin;
  const uint8_t info = static_cast<uint8_t>((static_cast<uint8_t>(ref) & 0x1f) | (o ? 0x80 : 0) |
                                            (has_right_origin ? 0x40 : 0) | (has_parent_sub ? 0x20 : 0));
  enc.write_info(info);
  if (o) enc.write_left_id(offset > 0 ? ID{id.client, id.clock + offset - 1} : origin);
  if (has_right_origin) enc.write_right_id(right_origin);
  if (!o && !has_right_origin) {
    if (!has_parent) {
      enc.fail(ErrorCode::kInvalidArgument, "item without origins has no parent");
    } else if (parent_is_name) {
      enc.write_parent_info(true);
      enc.write_string_borrowed(parent_name, utf16_length(parent_name));
    } else {
      enc.write_parent_info(false);
      enc.write_left_id(parent_id);
    }
    if (has_parent_sub) enc.write_string_borrowed(parent_sub, utf16_length(parent_sub));
  }
  if (ref == ContentRef::kString) {
    if (owned) {
      // `text` may be (and, from slice, is) in `owned`, which can go before finish.
      const size_t cut = offset == 0 ? 0 : utf8_prefix_bytes(text, offset);
      if (cut == SIZE_MAX) return false;
      enc.write_string_view(text.substr(cut), length - offset);
    } else if (offset == 0) {
      enc.write_string_borrowed(text, length);
    } else {
      // ContentString.write slices without the U+FFFD rule: a cut inside a
      // pair leaves a lone surrogate, which only the generic path reproduces.
      const size_t cut = utf8_prefix_bytes(text, offset);
      if (cut == SIZE_MAX) return false;
      enc.write_string_borrowed(text.substr(cut), length - offset);
    }
  } else if (ref == ContentRef::kDeleted) {
    enc.write_len(length - offset);
  } else {
    write_content(enc, other, offset);
  }
  return true;
}

// Reads one struct's body after its info byte into `out`; false if the
// generic path is needed (see LazyStruct). Errors are recorded in `dec`.
// Dec is UpdateDecoder or one of its final classes (update_codec_impl.h), for
// which the field reads are inlined.
template <typename Dec>
bool read_lazy_struct(Dec& dec, uint8_t info, ID id, LazyStruct& out) {
  out.id = id;
  if (info == 10) {
    out.kind = StructKind::kSkip;
    out.length = dec.rest().read_var_uint();
  } else if ((info & 0x1f) != 0) {
    out.kind = StructKind::kItem;
    out.ref = static_cast<ContentRef>(info & 0x1f);
    out.owned.reset();
    out.has_origin = (info & 0x80) != 0;
    out.has_right_origin = (info & 0x40) != 0;
    if (out.has_origin) out.origin = dec.read_left_id();
    if (out.has_right_origin) out.right_origin = dec.read_right_id();
    out.has_parent = (info & 0xc0) == 0;
    out.has_parent_sub = false;
    if (out.has_parent) {
      out.parent_is_name = dec.read_parent_info();
      if (out.parent_is_name) {
        uint64_t units = 0;
        if (!dec.read_string_view(out.parent_name, units)) return false;
      } else {
        out.parent_id = dec.read_left_id();
      }
      if (info & 0x20) {
        uint64_t units = 0;
        out.has_parent_sub = true;
        if (!dec.read_string_view(out.parent_sub, units)) return false;
      }
    }
    if (out.ref == ContentRef::kString) {
      if (!dec.read_string_view(out.text, out.length)) return false;
    } else if (out.ref == ContentRef::kDeleted) {
      out.length = dec.read_len();
    } else {
      out.other = read_content(dec, info);
      out.length = content_length(out.other);
    }
  } else {
    // Any byte with ref 0 is a GC struct, whatever its other bits say (as in JS).
    out.kind = StructKind::kGC;
    out.length = dec.read_len();
  }
  if (out.length > kMaxClockEnd - id.clock && dec.ok()) {
    dec.fail(ErrorCode::kOutOfRange, "struct clock beyond 2^53");
  }
  return true;
}

constexpr size_t var_uint_size(uint64_t n) { return (static_cast<size_t>(std::bit_width(n | 1)) + 6) / 7; }

// Whether LazyStruct::write of `s` (just read from `raw_size` bytes of a v1
// update, starting with `info`) at offset 0 writes those same bytes: minimal
// varUints, the info byte LazyStruct::write computes, and String or Deleted
// content (other content is re-encoded as JS re-encodes it). Items with a
// parent on the wire are left out (their parent info may be any varUint).
inline bool v1_canonical(const LazyStruct& s, uint8_t info, size_t raw_size) {
  if (s.kind != StructKind::kItem) {
    return info == (s.kind == StructKind::kGC ? 0 : 10) && raw_size == 1 + var_uint_size(s.length);
  }
  if (s.has_parent || (s.ref != ContentRef::kString && s.ref != ContentRef::kDeleted)) return false;
  if (info !=
      ((static_cast<uint8_t>(s.ref) & 0x1f) | (s.has_origin ? 0x80 : 0) | (s.has_right_origin ? 0x40 : 0))) {
    return false;
  }
  size_t n = 1;
  if (s.has_origin) n += var_uint_size(s.origin.client) + var_uint_size(s.origin.clock);
  if (s.has_right_origin) n += var_uint_size(s.right_origin.client) + var_uint_size(s.right_origin.clock);
  n += s.ref == ContentRef::kString ? var_uint_size(s.text.size()) + s.text.size() : var_uint_size(s.length);
  return raw_size == n;
}

// Dec: as for read_lazy_struct.
template <typename S, typename Dec = UpdateDecoder>
class BasicStructReader {
 public:
  // `input_bytes` bounds the number of structs (max_structs_for_input).
  BasicStructReader(Dec& dec, size_t input_bytes, bool filter_skips)
      : dec_(dec), filter_skips_(filter_skips), max_structs_(max_structs_for_input(input_bytes)) {
    clients_left_ = dec_.rest().read_var_uint();
    next();
  }

  // The current struct, or nullptr at the end of the struct section, after an
  // error (then dec.ok() is false) or when the generic path is needed.
  S* curr() { return curr_ ? &*curr_ : nullptr; }
  S* next() {
    if (!curr_) curr_.emplace();
    do {
      if (!read_one(*curr_)) {
        curr_.reset();
        return nullptr;
      }
    } while (filter_skips_ && curr_->kind == StructKind::kSkip);
    return &*curr_;
  }
  // Whether reading stopped because a LazyStruct could not hold a struct.
  bool needs_generic() const { return needs_generic_; }

 private:
  bool read_one(S& out) {
    while (structs_left_ == 0) {
      if (clients_left_ == 0 || !dec_.ok()) return false;
      clients_left_--;
      structs_left_ = dec_.rest().read_var_uint();
      client_ = dec_.read_client();
      clock_ = dec_.rest().read_var_uint();
      if (!dec_.ok()) return false;
    }
    if (++structs_read_ > max_structs_) {
      dec_.fail(ErrorCode::kOutOfRange, "update declares more structs than its size allows");
      return false;
    }
    structs_left_--;
    // Reads after an error return zeros, so one check at the end suffices.
    [[maybe_unused]] const uint8_t* start = dec_.rest().position();
    uint8_t info = dec_.read_info();
    if constexpr (std::is_same_v<S, LazyStruct>) {
      if (!read_lazy_struct(dec_, info, ID{client_, clock_}, out)) {
        needs_generic_ = dec_.ok();
        return false;
      }
      if constexpr (std::is_same_v<Dec, UpdateDecoderV1>) {
        const size_t size = static_cast<size_t>(dec_.rest().position() - start);
        const bool copyable = size <= UINT16_MAX && v1_canonical(out, info, size);
        out.raw = copyable ? start : nullptr;
        out.raw_size = static_cast<uint16_t>(size);
      }
    } else {
      read_wire_struct(dec_, info, ID{client_, clock_}, out);
    }
    if (!dec_.ok()) return false;
    clock_ += out.length;
    return true;
  }

  Dec& dec_;
  bool filter_skips_;
  bool needs_generic_ = false;
  uint64_t max_structs_;
  uint64_t structs_read_ = 0;
  uint64_t clients_left_ = 0;
  uint64_t structs_left_ = 0;
  uint64_t client_ = 0;
  uint64_t clock_ = 0;
  std::optional<S> curr_;
};

using StructReader = BasicStructReader<WireStruct>;
using LazyStructReader = BasicStructReader<LazyStruct>;

}  // namespace weft
