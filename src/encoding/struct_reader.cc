#include "encoding/struct_reader.h"

namespace weft {

StructReader::StructReader(UpdateDecoder& dec, size_t input_bytes, bool filter_skips)
    : dec_(dec), filter_skips_(filter_skips), max_structs_(max_structs_for_input(input_bytes)) {
  clients_left_ = dec_.rest().read_var_uint();
  next();
}

bool StructReader::read_one(WireStruct& out) {
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
  uint8_t info = dec_.read_info();
  if (!dec_.ok()) return false;
  read_wire_struct(dec_, info, ID{client_, clock_}, out);
  if (!dec_.ok()) return false;
  clock_ += out.length;
  return true;
}

WireStruct* StructReader::next() {
  if (!curr_) curr_.emplace();
  do {
    if (!read_one(*curr_)) {
      curr_.reset();
      return nullptr;
    }
  } while (filter_skips_ && curr_->kind == StructKind::kSkip);
  return &*curr_;
}

}  // namespace weft
