#include "sync/update_check.h"

#include "encoding/wire.h"

namespace weft::sync {

Result<bool> check_update(std::span<const uint8_t> update) {
  WEFT_ASSIGN_OR_RETURN(DecodedUpdate decoded, decode_update(update, UpdateFormat::kV1));
  WEFT_RETURN_IF_ERROR(validate_struct_refs(decoded.structs));
  return !decoded.structs.empty() || !decoded.delete_set.empty();
}

}  // namespace weft::sync
