// Operations on update bytes without a Doc: a port of the algorithms of yjs
// src/utils/updates.js (mergeUpdatesV2, diffUpdateV2,
// encodeStateVectorFromUpdateV2, convertUpdateFormat).
#include <algorithm>
#include <memory>

#include "encoding/lazy_writer.h"
#include "encoding/struct_reader.h"
#include "encoding/wire.h"
#include "weft/update.h"

namespace weft {

namespace {

struct Input {
  std::unique_ptr<UpdateDecoder> dec;
  std::unique_ptr<StructReader> reader;
};

Result<Input> open_input(std::span<const uint8_t> update, UpdateFormat format, bool filter_skips) {
  WEFT_ASSIGN_OR_RETURN(auto dec, make_update_decoder(format, update));
  Input in;
  in.reader = std::make_unique<StructReader>(*dec, update.size(), filter_skips);
  in.dec = std::move(dec);
  return in;
}

uint64_t end_of(const WireStruct& s) { return s.id.clock + s.length; }

// sliceStruct: the part of `s` from `diff` on. Items get origin (client, clock+diff-1)
// and their content spliced (a split surrogate pair becomes U+FFFD).
WireStruct slice_struct(const WireStruct& s, uint64_t diff) {
  WireStruct out;
  out.kind = s.kind;
  out.id = ID{s.id.client, s.id.clock + diff};
  if (s.kind != StructKind::kItem) {
    out.length = s.length - diff;
    return out;
  }
  out.origin = ID{s.id.client, s.id.clock + diff - 1};
  out.right_origin = s.right_origin;
  out.parent = s.parent;
  out.parent_sub = s.parent_sub;
  Content left = s.content;
  out.content = content_split(left, diff);
  out.length = content_length(out.content);
  return out;
}

// AbstractStruct.mergeWith as it behaves on lazily read structs: GC with GC and
// Skip with Skip; Items never merge (their `right` is not set).
bool merge_with(WireStruct& left, const WireStruct& right) {
  if (left.kind != right.kind || left.kind == StructKind::kItem) return false;
  left.length += right.length;
  return true;
}

// Yjs's comparator for the decoders of mergeUpdatesV2. It is not a strict
// weak order: two structs of one client at the same clock but of different
// kinds compare as "first argument first" both ways, so the result depends on
// the sort algorithm and is reproduced only by sorting the way V8 does.
int yjs_compare(const Input* a, const Input* b) {
  const WireStruct& x = *a->reader->curr();
  const WireStruct& y = *b->reader->curr();
  if (x.id.client == y.id.client) {
    if (x.id.clock == y.id.clock) {
      if (x.kind == y.kind) return 0;
      return x.kind == StructKind::kSkip ? 1 : -1;
    }
    return x.id.clock < y.id.clock ? -1 : 1;
  }
  return y.id.client < x.id.client ? -1 : 1;
}

// V8's Array.prototype.sort (TimSort) for the sizes merges see: arrays
// shorter than 64 are one run made by CountAndMakeRun and extended by binary
// insertion sort. Longer arrays use a stable sort, which agrees with V8
// whenever the comparator is consistent.
void js_sort_decoders(std::vector<Input*>& a) {
  const size_t n = a.size();
  if (n < 2) return;
  if (n >= 64) {
    std::stable_sort(a.begin(), a.end(), [](Input* x, Input* y) { return yjs_compare(x, y) < 0; });
    return;
  }
  // CountAndMakeRun(0, n)
  size_t run = 2;
  const bool descending = yjs_compare(a[1], a[0]) < 0;
  for (size_t i = 2; i < n; i++) {
    int order = yjs_compare(a[i], a[i - 1]);
    if (descending ? order >= 0 : order < 0) break;
    run++;
  }
  if (descending) std::reverse(a.begin(), a.begin() + static_cast<ptrdiff_t>(run));
  // BinaryInsertionSort(0, run, n)
  for (size_t start = run; start < n; start++) {
    Input* pivot = a[start];
    size_t left = 0, right = start;
    while (left < right) {
      size_t mid = left + ((right - left) >> 1);
      if (yjs_compare(pivot, a[mid]) < 0) {
        right = mid;
      } else {
        left = mid + 1;
      }
    }
    for (size_t p = start; p > left; p--) a[p] = a[p - 1];
    a[left] = pivot;
  }
}

Status finish_status(const std::vector<Input>& inputs) {
  for (const Input& in : inputs) {
    if (!in.dec->ok()) return in.dec->status();
  }
  return Status();
}

}  // namespace

Result<UpdateBytes> merge_updates(std::span<const std::span<const uint8_t>> updates, UpdateFormat format) {
  std::vector<Input> inputs;
  inputs.reserve(updates.size());
  uint64_t max_iterations = 16;
  for (auto u : updates) {
    WEFT_ASSIGN_OR_RETURN(auto in, open_input(u, format, /*filter_skips=*/true));
    inputs.push_back(std::move(in));
    max_iterations += 3 * max_structs_for_input(u.size());
  }
  if (updates.size() == 1) {
    // Returned unchanged, as JS does; still validated first.
    StructReader& r = *inputs[0].reader;
    while (r.curr() != nullptr) r.next();
    WEFT_RETURN_IF_ERROR(finish_status(inputs));
    (void)DeleteSet::read(*inputs[0].dec);
    WEFT_RETURN_IF_ERROR(finish_status(inputs));
    return UpdateBytes(updates[0].begin(), updates[0].end());
  }

  auto enc = make_update_encoder(format);
  LazyStructWriter writer(*enc);
  std::vector<Input*> decs;
  for (Input& in : inputs) decs.push_back(&in);
  std::optional<WireStruct> cw;  // currWrite (its offset is always 0)

  for (uint64_t iteration = 0;; iteration++) {
    if (iteration > max_iterations) return Status(ErrorCode::kMalformed, "merge did not converge");
    std::erase_if(decs, [](Input* d) { return d->reader->curr() == nullptr; });
    // Higher clients first, then ascending clocks, sorted exactly as V8 sorts
    // with Yjs's comparator (see js_sort_decoders).
    js_sort_decoders(decs);
    if (decs.empty()) break;
    StructReader& cd = *decs[0]->reader;
    const uint64_t first_client = cd.curr()->id.client;

    if (cw) {
      WireStruct* curr = cd.curr();
      bool iterated = false;
      // Skip what was already written (higher clients are written first).
      while (curr != nullptr && end_of(*curr) <= end_of(*cw) && curr->id.client >= cw->id.client) {
        curr = cd.next();
        iterated = true;
      }
      if (curr == nullptr || curr->id.client != first_client || (iterated && curr->id.clock > end_of(*cw))) {
        continue;
      }
      if (first_client != cw->id.client) {
        writer.write(*cw, 0);
        cw = std::move(*curr);
        cd.next();
      } else if (end_of(*cw) < curr->id.clock) {
        if (cw->kind == StructKind::kSkip) {
          cw->length = end_of(*curr) - cw->id.clock;  // extend the existing Skip
        } else {
          writer.write(*cw, 0);
          WireStruct skip;
          skip.kind = StructKind::kSkip;
          skip.id = ID{first_client, end_of(*cw)};
          skip.length = curr->id.clock - end_of(*cw);
          cw = std::move(skip);
        }
      } else {
        const uint64_t cw_end = end_of(*cw);
        if (curr->id.clock > cw_end) return Status(ErrorCode::kMalformed, "merge: inconsistent clocks");
        const uint64_t diff = cw_end - curr->id.clock;
        WireStruct sliced;
        const WireStruct* right = curr;
        if (diff > 0) {
          if (cw->kind == StructKind::kSkip) {
            if (diff > cw->length) return Status(ErrorCode::kMalformed, "merge: inconsistent skip");
            cw->length -= diff;  // prefer to shorten the Skip
          } else {
            sliced = slice_struct(*curr, diff);
            right = &sliced;
          }
        }
        if (!merge_with(*cw, *right)) {
          writer.write(*cw, 0);
          cw = right == curr ? std::move(*curr) : std::move(sliced);
          cd.next();
        }
      }
    } else {
      cw = std::move(*cd.curr());
      cd.next();
    }
    for (WireStruct* next = cd.curr(); next != nullptr && next->id.client == first_client &&
                                       next->id.clock == end_of(*cw) && next->kind != StructKind::kSkip;
         next = cd.next()) {
      writer.write(*cw, 0);
      cw = std::move(*next);
    }
  }
  if (cw) writer.write(*cw, 0);
  WEFT_RETURN_IF_ERROR(finish_status(inputs));
  writer.finish();

  DeleteSet merged;
  for (Input& in : inputs) {
    DeleteSet ds = DeleteSet::read(*in.dec);
    WEFT_RETURN_IF_ERROR(in.dec->status());
    for (auto& [client, dels] : ds.clients()) {
      auto& m = merged.clients()[client];
      m.insert(m.end(), dels.begin(), dels.end());
    }
  }
  merged.sort_and_merge();
  merged.write(*enc);
  WEFT_RETURN_IF_ERROR(enc->status());
  return enc->finish();
}

Result<UpdateBytes> diff_update(std::span<const uint8_t> update, std::span<const uint8_t> sv,
                                UpdateFormat format) {
  WEFT_ASSIGN_OR_RETURN(StateVector state, decode_state_vector(sv));
  WEFT_ASSIGN_OR_RETURN(Input in, open_input(update, format, /*filter_skips=*/false));
  auto enc = make_update_encoder(format);
  LazyStructWriter writer(*enc);
  StructReader& reader = *in.reader;
  while (WireStruct* curr = reader.curr()) {
    const uint64_t client = curr->id.client;
    auto it = state.find(client);
    const uint64_t sv_clock = it == state.end() ? 0 : it->second;
    if (curr->kind == StructKind::kSkip) {
      reader.next();  // the first written struct of a block is never a Skip
      continue;
    }
    if (end_of(*curr) > sv_clock) {
      writer.write(*curr, sv_clock > curr->id.clock ? sv_clock - curr->id.clock : 0);
      for (WireStruct* s = reader.next(); s != nullptr && s->id.client == client; s = reader.next()) {
        writer.write(*s, 0);
      }
    } else {
      WireStruct* s = reader.next();
      while (s != nullptr && s->id.client == client && end_of(*s) <= sv_clock) s = reader.next();
    }
  }
  WEFT_RETURN_IF_ERROR(in.dec->status());
  writer.finish();
  DeleteSet ds = DeleteSet::read(*in.dec);
  WEFT_RETURN_IF_ERROR(in.dec->status());
  ds.write(*enc);
  WEFT_RETURN_IF_ERROR(enc->status());
  return enc->finish();
}

Result<UpdateBytes> encode_state_vector_from_update(std::span<const uint8_t> update, UpdateFormat format) {
  WEFT_ASSIGN_OR_RETURN(Input in, open_input(update, format, /*filter_skips=*/false));
  StructReader& reader = *in.reader;
  lib0::Encoder entries;
  uint64_t size = 0;
  if (WireStruct* first = reader.curr()) {
    uint64_t curr_client = first->id.client;
    bool stop_counting = first->id.clock != 0;  // must start at 0
    uint64_t curr_clock = stop_counting ? 0 : end_of(*first);
    for (WireStruct* curr = first; curr != nullptr; curr = reader.next()) {
      if (curr_client != curr->id.client) {
        if (curr_clock != 0) {
          size++;
          entries.write_var_uint(curr_client);
          entries.write_var_uint(curr_clock);
        }
        curr_client = curr->id.client;
        curr_clock = 0;
        stop_counting = curr->id.clock != 0;
      }
      if (curr->kind == StructKind::kSkip) stop_counting = true;
      if (!stop_counting) curr_clock = end_of(*curr);
    }
    if (curr_clock != 0) {
      size++;
      entries.write_var_uint(curr_client);
      entries.write_var_uint(curr_clock);
    }
  }
  WEFT_RETURN_IF_ERROR(in.dec->status());
  (void)DeleteSet::read(*in.dec);  // JS ignores it; we still require it to be valid
  WEFT_RETURN_IF_ERROR(in.dec->status());
  lib0::Encoder out;
  out.write_var_uint(size);
  out.write_raw(entries.bytes());
  return out.take();
}

Result<UpdateBytes> convert_update(std::span<const uint8_t> update, UpdateFormat from, UpdateFormat to) {
  WEFT_ASSIGN_OR_RETURN(Input in, open_input(update, from, /*filter_skips=*/false));
  auto enc = make_update_encoder(to);
  LazyStructWriter writer(*enc);
  for (WireStruct* s = in.reader->curr(); s != nullptr; s = in.reader->next()) writer.write(*s, 0);
  WEFT_RETURN_IF_ERROR(in.dec->status());
  writer.finish();
  DeleteSet ds = DeleteSet::read(*in.dec);
  WEFT_RETURN_IF_ERROR(in.dec->status());
  if (from == to) return UpdateBytes(update.begin(), update.end());
  ds.write(*enc);
  WEFT_RETURN_IF_ERROR(enc->status());
  return enc->finish();
}

}  // namespace weft
