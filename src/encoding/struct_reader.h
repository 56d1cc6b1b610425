// Reads the struct section of an update one struct at a time, like yjs's
// lazyStructReaderGenerator / LazyStructReader (src/utils/updates.js), and the
// struct form merge_updates / diff_update work on.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "encoding/content.h"
#include "encoding/update_codec.h"
#include "encoding/wire.h"

namespace weft {

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
  ID origin;
  ID right_origin;
  ID parent_id;
  std::string_view parent_name;
  std::string_view parent_sub;
  std::string_view text;                     // ref kString: valid UTF-8 of `length` UTF-16 units
  Content other;                             // refs other than kString and kDeleted
  std::shared_ptr<const std::string> owned;  // backs `text` when a split changed it

  // sliceStruct: the part from `diff` on (0 < diff < length). A string split
  // between the halves of a surrogate pair starts with U+FFFD, as in Yjs.
  LazyStruct slice(uint64_t diff) const;
  // Writes the struct from `offset` clocks on; false if that cannot be done
  // exactly from views (an offset inside a surrogate pair).
  bool write(UpdateEncoder& enc, uint64_t offset) const;
};

// Reads one struct's body after its info byte into `out`; false if the
// generic path is needed (see LazyStruct). Errors are recorded in `dec`.
bool read_lazy_struct(UpdateDecoder& dec, uint8_t info, ID id, LazyStruct& out);

template <typename S>
class BasicStructReader {
 public:
  // `input_bytes` bounds the number of structs (max_structs_for_input).
  BasicStructReader(UpdateDecoder& dec, size_t input_bytes, bool filter_skips)
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
    uint8_t info = dec_.read_info();
    if constexpr (std::is_same_v<S, LazyStruct>) {
      if (!read_lazy_struct(dec_, info, ID{client_, clock_}, out)) {
        needs_generic_ = dec_.ok();
        return false;
      }
    } else {
      read_wire_struct(dec_, info, ID{client_, clock_}, out);
    }
    if (!dec_.ok()) return false;
    clock_ += out.length;
    return true;
  }

  UpdateDecoder& dec_;
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
