// libFuzzer target: lib0 readAny; on success writeAny and read again, which
// must give an equal value and the same bytes. The input is also parsed as
// JSON text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "encoding/json.h"
#include "encoding/lib0.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::lib0::Decoder dec(std::span<const uint8_t>(data, size));
  weft::Any v = dec.read_any();
  if (dec.ok()) {
    weft::lib0::Encoder enc;
    enc.write_any(v);
    weft::lib0::Decoder dec2(enc.bytes());
    weft::Any w = dec2.read_any();
    if (!dec2.ok() || dec2.has_content() || !(v == w)) std::abort();
    weft::lib0::Encoder enc2;
    enc2.write_any(w);
    if (enc2.bytes() != enc.bytes()) std::abort();
    std::string text = weft::json_stringify(v);
    (void)weft::json_parse(text);
  }
  (void)weft::json_parse(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
