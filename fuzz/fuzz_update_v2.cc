// libFuzzer target: v2 update decoding, re-encoding, merge and diff.
#include "fuzz_update_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::fuzz::fuzz_update(data, size, weft::UpdateFormat::kV2);
  return 0;
}
