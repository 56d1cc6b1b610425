// libFuzzer target: v1 update decoding, re-encoding, merge and diff; and the
// load in list order (core/list_order_load.h), which must load what it
// takes as the general path does.
#include "core/list_order_load.h"
#include "core/load_paths.h"
#include "fuzz_update_common.h"
#include "weft/doc.h"

namespace {

void fuzz_list_order_load(std::span<const uint8_t> in) {
  weft::Doc listed(weft::DocOptions{1, "", true});
  if (weft::load_in_list_order(listed, in, "") != weft::ListOrderLoad::kLoaded) return;
  weft::Doc general(weft::DocOptions{1, "", true});
  weft::load_fast_paths_enabled = false;
  const weft::Status st = general.apply_update(in);
  weft::load_fast_paths_enabled = true;
  weft::fuzz::check(st.is_ok());
  for (weft::UpdateFormat f : {weft::UpdateFormat::kV1, weft::UpdateFormat::kV2}) {
    auto a = listed.encode_state_as_update({}, f);
    auto b = general.encode_state_as_update({}, f);
    weft::fuzz::check(a.is_ok() && b.is_ok() && *a == *b);
  }
  for (const std::string& name : general.root_names())
    weft::fuzz::check(listed.get_text(name).to_string() == general.get_text(name).to_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::fuzz::fuzz_update(data, size, weft::UpdateFormat::kV1);
  fuzz_list_order_load(std::span<const uint8_t>(data, size));
  return 0;
}
