// Shared body of the update fuzzers: decode; on success re-encode in both
// formats and decode again, which must give the same structs (lengths, kinds)
// and delete set. Also drives merge, diff, split and state-vector extraction.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "encoding/wire.h"
#include "weft/update.h"

namespace weft::fuzz {

inline void check(bool cond) {
  if (!cond) std::abort();
}

inline void fuzz_update(const uint8_t* data, size_t size, UpdateFormat f) {
  std::span<const uint8_t> in(data, size);
  Result<DecodedUpdate> decoded = decode_update(in, f);
  Result<UpdateBytes> sv = encode_state_vector_from_update(in, f);
  Result<UpdateBytes> same = convert_update(in, f, f);
  check(decoded.is_ok() == same.is_ok());
  if (!decoded) return;
  check(sv.is_ok());
  for (UpdateFormat to : {UpdateFormat::kV1, UpdateFormat::kV2}) {
    Result<UpdateBytes> out = convert_update(in, f, to);
    // Only v2 can refuse (a zero-length delete range has no v2 form).
    check(out.is_ok() || to == UpdateFormat::kV2);
    if (!out) continue;
    Result<DecodedUpdate> again = decode_update(*out, to);
    if (!again) {
      // As in JS, an undefined Embed/Format value (possible in v2, where it is
      // writeAny) becomes the JSON text "undefined" in v1, which no v1 reader accepts.
      check(f == UpdateFormat::kV2 && to == UpdateFormat::kV1 &&
            again.status().message().find("'undefined'") != std::string::npos);
      continue;
    }
    check(again->structs.size() == decoded->structs.size());
    check(again->delete_set == decoded->delete_set);
    // Ids may differ: like yjs's LazyStructWriter, re-encoding joins
    // consecutive blocks of the same client into one block.
    for (size_t i = 0; i < again->structs.size(); i++) {
      check(again->structs[i].length == decoded->structs[i].length);
      check(again->structs[i].kind == decoded->structs[i].kind);
    }
  }
  std::span<const uint8_t> two[] = {in, in};
  (void)merge_updates(two, f);
  (void)diff_update(in, *sv, f);
  std::vector<uint8_t> empty_sv = {0};
  (void)diff_update(in, empty_sv, f);
  (void)describe_update(in, f);
  // The causal split plans on its own reads, then cuts as the bands do.
  const size_t parts = 1 + size % 5;
  const auto causal = split_update(in, f, parts, nullptr, SplitOrder::kCausal);
  check(causal.is_ok() == split_update(in, f, parts, nullptr, SplitOrder::kClockBands).is_ok());
  // Asked to stop on a mostly visible update or a scattered one (as
  // apply_in_parts asks), it stops with no parts, or splits as without the
  // flags. A stop checks less than a split: an update it stops on may still
  // fail to split.
  SplitStats asked;
  asked.stop_if_mostly_visible = asked.stop_if_scattered = true;
  const auto stopped = split_update(in, f, parts, &asked, SplitOrder::kCausal);
  check(!(asked.stopped_mostly_visible && asked.stopped_scattered));
  if (asked.stopped_mostly_visible) {
    check(stopped.is_ok() && stopped->empty() && asked.deleted_clocks * 2 < asked.clocks);
  } else if (asked.stopped_scattered) {
    check(stopped.is_ok() && stopped->empty());
  } else {
    check(stopped.is_ok() == causal.is_ok());
    if (causal.is_ok()) check(*stopped == *causal);
  }
}

}  // namespace weft::fuzz
