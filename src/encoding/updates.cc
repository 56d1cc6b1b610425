// Operations on update bytes without a Doc: a port of the algorithms of yjs
// src/utils/updates.js (mergeUpdatesV2, diffUpdateV2,
// encodeStateVectorFromUpdateV2, convertUpdateFormat).
#include <algorithm>
#include <memory>
#include <unordered_map>

#include "encoding/causal_parts.h"
#include "encoding/lazy_writer.h"
#include "encoding/struct_reader.h"
#include "encoding/update_codec_impl.h"
#include "encoding/wire.h"
#include "weft/update.h"

namespace weft {

namespace {

// One input update. S is LazyStruct (strings as views, the fast path) or
// WireStruct (the generic path, for what views cannot hold).
template <typename S>
struct BasicInput {
  std::unique_ptr<UpdateDecoder> dec;
  std::unique_ptr<BasicStructReader<S>> reader;
};
using Input = BasicInput<WireStruct>;

// An input of merge_impl, whose decoders and readers live in two vectors
// (two allocations for all inputs instead of several each: merges of many
// small updates are dominated by per-input costs). Dec is UpdateDecoderV1 or
// UpdateDecoderV2, whose field reads the reader calls without dispatch.
template <typename S, typename Dec>
struct MergeInput {
  using Decoder = Dec;
  Dec* dec = nullptr;
  BasicStructReader<S, Dec>* reader = nullptr;
};

// The encoder of the format Dec decodes.
template <typename Dec>
using EncoderFor = std::conditional_t<std::is_same_v<Dec, UpdateDecoderV1>, UpdateEncoderV1, UpdateEncoderV2>;

// Opens a decoder for `update` at the end of `decs` (reserved by the caller).
Status emplace_decoder(std::vector<UpdateDecoderV1>& decs, std::span<const uint8_t> update) {
  decs.emplace_back(update);
  return Status();
}
Status emplace_decoder(std::vector<UpdateDecoderV2>& decs, std::span<const uint8_t> update) {
  V2Columns columns;
  std::span<const uint8_t> rest;
  WEFT_RETURN_IF_ERROR(split_v2_update(update, columns, rest));
  decs.emplace_back(columns, rest);
  if (!decs.back().ok()) return decs.back().status();
  return Status();
}

template <typename S = WireStruct>
Result<BasicInput<S>> open_input(std::span<const uint8_t> update, UpdateFormat format, bool filter_skips) {
  WEFT_ASSIGN_OR_RETURN(auto dec, make_update_decoder(format, update));
  BasicInput<S> in;
  in.reader = std::make_unique<BasicStructReader<S>>(*dec, update.size(), filter_skips);
  in.dec = std::move(dec);
  return in;
}

void set_length(WireStruct& s, uint64_t length) { s.length = length; }

template <typename S>
uint64_t end_of(const S& s) {
  return s.id.clock + s.length;
}

LazyStruct slice_struct(const LazyStruct& s, uint64_t diff) { return s.slice(diff); }

// Writes `s`; false if a LazyStruct needs the generic path.
template <typename Enc>
bool write_struct(LazyStructWriter<Enc>& w, const LazyStruct& s, uint64_t offset) {
  return w.write(s, offset);
}
template <typename Enc>
bool write_struct(LazyStructWriter<Enc>& w, const WireStruct& s, uint64_t offset) {
  w.write(s, offset);
  return true;
}

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
template <typename S>
bool merge_with(S& left, const S& right) {
  if (left.kind != right.kind || left.kind == StructKind::kItem) return false;
  set_length(left, left.length + right.length);
  return true;
}

// Yjs's comparator for the decoders of mergeUpdatesV2. It is not a strict
// weak order: two structs of one client at the same clock but of different
// kinds compare as "first argument first" both ways, so the result depends on
// the sort algorithm and is reproduced only by sorting the way V8 does.
template <typename In>
int yjs_compare(In* a, In* b) {
  const auto& x = *a->reader->curr();
  const auto& y = *b->reader->curr();
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
template <typename In>
void js_sort_decoders(std::vector<In*>& a) {
  const size_t n = a.size();
  if (n < 2) return;
  if (n >= 64) {
    std::stable_sort(a.begin(), a.end(), [](In* x, In* y) { return yjs_compare(x, y) < 0; });
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
    In* pivot = a[start];
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

// Same (client, clock), different kinds: the pair Yjs's comparator orders
// "first argument first" both ways.
template <typename In>
bool mixed_pair(In* a, In* b) {
  const auto& x = *a->reader->curr();
  const auto& y = *b->reader->curr();
  return x.id.client == y.id.client && x.id.clock == y.id.clock && x.kind != y.kind;
}

// The decoder array of mergeUpdatesV2, which JS filters and re-sorts before
// every step although only the front decoder has moved since the last sort.
// While no two heads form a mixed pair the comparator is consistent, V8's
// sort is stable, and re-sorting equals moving the front decoder to its
// lower bound among the others (O(log n) + the distance it moves). With mixed
// pairs present the whole array is sorted as V8 would (js_sort_decoders).
template <typename In>
class DecoderQueue {
 public:
  explicit DecoderQueue(std::vector<In>& inputs) {
    for (In& in : inputs) {
      if (in.reader->curr() != nullptr) a_.push_back(&in);
    }
    full_sort();
  }
  bool empty() const { return begin_ == a_.size(); }
  In* front() const { return a_[begin_]; }

  // Filters and re-sorts after the front decoder advanced (or ran out).
  void front_changed() {
    In* x = a_[begin_];
    mixed_ -= front_mixed_;
    front_mixed_ = 0;
    if (x->reader->curr() == nullptr) {
      begin_++;
      if (mixed_ > 0) full_sort();
      settle();
      return;
    }
    if (mixed_ > 0) {
      full_sort();
      return;
    }
    // First position in a_[begin_+1, end) whose head is not below x.
    size_t lo = begin_ + 1, hi = a_.size();
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (yjs_compare(a_[mid], x) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if ((lo > begin_ + 1 && mixed_pair(a_[lo - 1], x)) || (lo < a_.size() && mixed_pair(x, a_[lo]))) {
      full_sort();
      return;
    }
    std::move(a_.begin() + static_cast<ptrdiff_t>(begin_ + 1), a_.begin() + static_cast<ptrdiff_t>(lo),
              a_.begin() + static_cast<ptrdiff_t>(begin_));
    a_[lo - 1] = x;
    settle();
  }

 private:
  void full_sort() {
    a_.erase(a_.begin(), a_.begin() + static_cast<ptrdiff_t>(begin_));
    begin_ = 0;
    // An array in order without mixed pairs is left as it is by any sort
    // (logs of updates usually arrive that way).
    bool sorted = true;
    for (size_t i = 1; i < a_.size() && sorted; i++) {
      sorted = yjs_compare(a_[i - 1], a_[i]) < 0 && !mixed_pair(a_[i - 1], a_[i]);
    }
    if (!sorted) js_sort_decoders(a_);
    mixed_ = 0;
    for (size_t i = 1; i < a_.size(); i++) mixed_ += mixed_pair(a_[i - 1], a_[i]) ? 1 : 0;
    settle();
  }
  void settle() { front_mixed_ = a_.size() - begin_ >= 2 && mixed_pair(a_[begin_], a_[begin_ + 1]) ? 1 : 0; }

  std::vector<In*> a_;
  size_t begin_ = 0;
  size_t mixed_ = 0;        // adjacent mixed pairs in a_[begin_, end)
  size_t front_mixed_ = 0;  // whether a_[begin_], a_[begin_ + 1] is one of them
};

// DeleteSet::read of `dec`'s delete set, appended to `merged`'s ranges (no
// delete set per input). A client's ranges stay sorted by clock where that is
// cheap: a sorted run that is long next to what it joins is merged in linear
// time; short ones are appended and left to sort_and_merge's one sort, which
// also handles everything else (many inputs each adding a range or two).
template <typename Dec>
Status read_delete_set_into(Dec& dec, DeleteSet& merged) {
  const auto by_clock = [](const DeleteRange& a, const DeleteRange& b) { return a.clock < b.clock; };
  std::vector<DeleteRange>* dels = nullptr;
  size_t old = 0;
  bool run_sorted = true;
  read_delete_set_ranges(
      dec,
      [&](uint64_t client, size_t) {
        dels = &merged.clients()[client];
        old = dels->size();
        run_sorted = true;
      },
      [&](uint64_t clock, uint64_t len) {
        if (dels->size() > old && clock < dels->back().clock) run_sorted = false;
        dels->push_back({clock, len});
      },
      [&] {
        const auto mid = dels->begin() + static_cast<ptrdiff_t>(old);
        if (run_sorted && old > 0 && dels->size() > old && mid->clock < (mid - 1)->clock &&
            (dels->size() - old) * 8 >= old && std::is_sorted(dels->begin(), mid, by_clock)) {
          std::inplace_merge(dels->begin(), mid, dels->end(), by_clock);
        }
      });
  return dec.ok() ? Status() : dec.status();
}

// Ends `writer`'s struct section and appends `ds`: the delete set is encoded
// first, so that the section is finished with room for exactly its bytes.
template <typename Enc>
Status finish_with_delete_set(Enc& enc, LazyStructWriter<Enc>& writer, const DeleteSet& ds) {
  Enc ds_enc;
  ds.write(ds_enc);
  WEFT_RETURN_IF_ERROR(ds_enc.status());
  const std::vector<uint8_t> ds_bytes = ds_enc.rest().take();
  writer.finish(ds_bytes.size());
  enc.rest().write_raw(ds_bytes);
  return Status();
}

// A buffer reserved from an upper bound of its size, given back to the caller:
// what the bound overestimated by far is returned to the allocator.
UpdateBytes trimmed(UpdateBytes out) {
  if (out.capacity() > 4 * out.size() + 65536) out.shrink_to_fit();
  return out;
}

template <typename In>
Status finish_status(const std::vector<In>& inputs) {
  for (const In& in : inputs) {
    if (!in.dec->ok()) return in.dec->status();
  }
  return Status();
}

template <typename S, typename Dec>
bool any_needs_generic(const std::vector<MergeInput<S, Dec>>& inputs) {
  if constexpr (std::is_same_v<S, LazyStruct>) {
    for (const auto& in : inputs) {
      if (in.reader->needs_generic()) return true;
    }
  }
  return false;
}

// mergeUpdatesV2 on S structs. With S = LazyStruct, sets `needs_generic` (and
// the result is to be ignored) when some struct needs the WireStruct path.
template <typename S, typename Dec>
Result<UpdateBytes> merge_impl(std::span<const std::span<const uint8_t>> updates, bool& needs_generic) {
  using In = MergeInput<S, Dec>;
  std::vector<In> inputs;
  inputs.reserve(updates.size());
  // Neither is reallocated: inputs point into them, readers into decoders.
  std::vector<Dec> decoders;
  decoders.reserve(updates.size());
  std::vector<BasicStructReader<S, Dec>> readers;
  readers.reserve(updates.size());
  uint64_t max_iterations = 16;
  size_t input_bytes = 0;
  for (auto u : updates) {
    input_bytes += u.size();
    WEFT_RETURN_IF_ERROR(emplace_decoder(decoders, u));
    readers.emplace_back(decoders.back(), u.size(), /*filter_skips=*/true);
    inputs.push_back(In{&decoders.back(), &readers.back()});
    max_iterations += 3 * max_structs_for_input(u.size());
  }
  auto fail = [&](Status st) -> Result<UpdateBytes> {
    needs_generic = any_needs_generic(inputs);
    return st;
  };
  // The caller retries on the generic structs; the status is never seen
  // (a Result holds a value or an error, never an ok status).
  const auto to_generic = [&] {
    return fail(Status(ErrorCode::kUnsupported, "merge: input needs the generic struct path"));
  };
  if (updates.size() == 1) {
    // Returned unchanged, as JS does; still validated first.
    auto& r = *inputs[0].reader;
    while (r.curr() != nullptr) r.next();
    if (Status st = finish_status(inputs); !st.is_ok()) return fail(st);
    if (any_needs_generic(inputs)) return to_generic();
    (void)DeleteSet::read(*inputs[0].dec);
    if (Status st = finish_status(inputs); !st.is_ok()) return fail(st);
    return UpdateBytes(updates[0].begin(), updates[0].end());
  }

  EncoderFor<Dec> enc;
  // v1 writes everything into rest: reserved once (untouched capacity costs
  // no memory), so that it is neither regrown nor copied while structs go in.
  if constexpr (std::is_same_v<Dec, UpdateDecoderV1>) enc.rest().reserve(input_bytes + 64);
  LazyStructWriter<EncoderFor<Dec>> writer(enc);
  // Higher clients first, then ascending clocks, in exactly the order V8's
  // sort gives with Yjs's comparator (see DecoderQueue).
  DecoderQueue<In> decs(inputs);
  std::optional<S> cw;  // currWrite (its offset is always 0)
  auto write = [&](const S& s) {
    if (write_struct(writer, s, 0)) return true;
    needs_generic = true;
    return false;
  };

  for (uint64_t iteration = 0;; iteration++) {
    if (iteration > max_iterations) return fail(Status(ErrorCode::kMalformed, "merge did not converge"));
    if (iteration > 0) decs.front_changed();
    if (decs.empty()) break;
    auto& cd = *decs.front()->reader;
    const uint64_t first_client = cd.curr()->id.client;

    if (cw) {
      S* curr = cd.curr();
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
        if (!write(*cw)) return UpdateBytes{};
        cw = std::move(*curr);
        cd.next();
      } else if (end_of(*cw) < curr->id.clock) {
        if (cw->kind == StructKind::kSkip) {
          set_length(*cw, end_of(*curr) - cw->id.clock);  // extend the existing Skip
        } else {
          if (!write(*cw)) return UpdateBytes{};
          S skip;
          skip.kind = StructKind::kSkip;
          skip.id = ID{first_client, end_of(*cw)};
          skip.length = curr->id.clock - end_of(*cw);
          cw = std::move(skip);
        }
      } else {
        const uint64_t cw_end = end_of(*cw);
        if (curr->id.clock > cw_end) return fail(Status(ErrorCode::kMalformed, "merge: inconsistent clocks"));
        const uint64_t diff = cw_end - curr->id.clock;
        S sliced;
        const S* right = curr;
        if (diff > 0) {
          if (cw->kind == StructKind::kSkip) {
            if (diff > cw->length) return fail(Status(ErrorCode::kMalformed, "merge: inconsistent skip"));
            set_length(*cw, cw->length - diff);  // prefer to shorten the Skip
          } else {
            sliced = slice_struct(*curr, diff);
            right = &sliced;
          }
        }
        if (!merge_with(*cw, *right)) {
          if (!write(*cw)) return UpdateBytes{};
          cw = right == curr ? std::move(*curr) : std::move(sliced);
          cd.next();
        }
      }
    } else {
      cw = std::move(*cd.curr());
      cd.next();
    }
    for (S* next = cd.curr(); next != nullptr && next->id.client == first_client &&
                              next->id.clock == end_of(*cw) && next->kind != StructKind::kSkip;
         next = cd.next()) {
      if (!write(*cw)) return UpdateBytes{};
      cw = std::move(*next);
    }
  }
  if (cw && !write(*cw)) return UpdateBytes{};
  if (Status st = finish_status(inputs); !st.is_ok()) return fail(st);
  if (any_needs_generic(inputs)) return to_generic();

  DeleteSet merged;
  for (In& in : inputs) WEFT_RETURN_IF_ERROR(read_delete_set_into(*in.dec, merged));
  merged.sort_and_merge();
  WEFT_RETURN_IF_ERROR(finish_with_delete_set(enc, writer, merged));
  WEFT_RETURN_IF_ERROR(enc.status());
  return trimmed(enc.finish());
}

}  // namespace

Result<UpdateBytes> merge_updates(std::span<const std::span<const uint8_t>> updates, UpdateFormat format) {
  bool needs_generic = false;
  if (format == UpdateFormat::kV1) {
    Result<UpdateBytes> fast = merge_impl<LazyStruct, UpdateDecoderV1>(updates, needs_generic);
    if (!needs_generic) return fast;
    return merge_impl<WireStruct, UpdateDecoderV1>(updates, needs_generic);
  }
  Result<UpdateBytes> fast = merge_impl<LazyStruct, UpdateDecoderV2>(updates, needs_generic);
  if (!needs_generic) return fast;
  return merge_impl<WireStruct, UpdateDecoderV2>(updates, needs_generic);
}

namespace {

// diffUpdateV2 on S structs (see merge_impl for `needs_generic`).
template <typename S, typename Dec>
Result<UpdateBytes> diff_impl(std::span<const uint8_t> update, const StateVector& state,
                              bool& needs_generic) {
  std::vector<Dec> decs;
  decs.reserve(1);
  WEFT_RETURN_IF_ERROR(emplace_decoder(decs, update));
  Dec& dec = decs.back();
  BasicStructReader<S, Dec> reader(dec, update.size(), /*filter_skips=*/false);
  EncoderFor<Dec> enc;
  if constexpr (std::is_same_v<Dec, UpdateDecoderV1>) enc.rest().reserve(update.size() + 64);
  LazyStructWriter<EncoderFor<Dec>> writer(enc);
  while (S* curr = reader.curr()) {
    const uint64_t client = curr->id.client;
    auto it = state.find(client);
    const uint64_t sv_clock = it == state.end() ? 0 : it->second;
    if (curr->kind == StructKind::kSkip) {
      reader.next();  // the first written struct of a block is never a Skip
      continue;
    }
    if (end_of(*curr) > sv_clock) {
      if (!write_struct(writer, *curr, sv_clock > curr->id.clock ? sv_clock - curr->id.clock : 0)) {
        needs_generic = true;
        return UpdateBytes{};
      }
      for (S* s = reader.next(); s != nullptr && s->id.client == client; s = reader.next()) {
        if (!write_struct(writer, *s, 0)) {
          needs_generic = true;
          return UpdateBytes{};
        }
      }
    } else {
      S* s = reader.next();
      while (s != nullptr && s->id.client == client && end_of(*s) <= sv_clock) s = reader.next();
    }
  }
  if constexpr (std::is_same_v<S, LazyStruct>) {
    if (reader.needs_generic()) {
      needs_generic = true;
      return UpdateBytes{};
    }
  }
  WEFT_RETURN_IF_ERROR(dec.status());
  DeleteSet ds = DeleteSet::read(dec);
  WEFT_RETURN_IF_ERROR(dec.status());
  WEFT_RETURN_IF_ERROR(finish_with_delete_set(enc, writer, ds));
  WEFT_RETURN_IF_ERROR(enc.status());
  return trimmed(enc.finish());
}

// split_update on S structs (see diff_impl for S and needs_generic): a
// struct goes to part_of(client, clock) of its start, which never decreases
// along a client's clocks.
template <typename S, typename Dec, typename PartOf>
Result<std::vector<UpdateBytes>> split_impl(std::span<const uint8_t> update, const StateVector& ends,
                                            size_t parts, PartOf&& part_of, SplitStats& stats,
                                            bool& needs_generic) {
  std::vector<Dec> decs;
  decs.reserve(1);
  WEFT_RETURN_IF_ERROR(emplace_decoder(decs, update));
  Dec& dec = decs.back();
  BasicStructReader<S, Dec> reader(dec, update.size(), /*filter_skips=*/false);
  using Enc = EncoderFor<Dec>;
  std::vector<Enc> encs(parts);  // never resized: the writers keep references
  std::vector<LazyStructWriter<Enc>> writers;
  writers.reserve(parts);
  for (Enc& e : encs) writers.emplace_back(e);
  // Per client, the parts its structs went to and the first clock of each.
  std::unordered_map<uint64_t, std::vector<std::pair<size_t, uint64_t>>> starts;
  while (S* curr = reader.curr()) {
    if (curr->kind != StructKind::kSkip) {
      const size_t p = part_of(curr->id.client, curr->id.clock);
      std::vector<std::pair<size_t, uint64_t>>& first = starts[curr->id.client];
      if (first.empty() || first.back().first < p) first.emplace_back(p, curr->id.clock);
      if (!write_struct(writers[p], *curr, 0)) {
        needs_generic = true;
        return std::vector<UpdateBytes>{};
      }
    }
    reader.next();
  }
  if constexpr (std::is_same_v<S, LazyStruct>) {
    if (reader.needs_generic()) {
      needs_generic = true;
      return std::vector<UpdateBytes>{};
    }
  }
  WEFT_RETURN_IF_ERROR(dec.status());
  DeleteSet ds = DeleteSet::read(dec);
  WEFT_RETURN_IF_ERROR(dec.status());
  // A deleted range is cut where a part's structs start, never inside a
  // struct: deleting part of a block splits it, and a split string with
  // its content kept (gc off) may lose a surrogate pair, which a whole
  // delete of the range would not. A part then gets the clocks from its
  // first struct's start to the client's next part's (every struct holding
  // them has arrived by then), the first part also those before; clocks of
  // a client without structs here go last.
  std::vector<DeleteSet> part_ds(parts);
  const std::vector<std::pair<size_t, uint64_t>> none{{parts - 1, 0}};
  for (const auto& [client, ranges] : ds.clients()) {
    auto end = ends.find(client);
    auto found = starts.find(client);
    const std::vector<std::pair<size_t, uint64_t>>& from = found == starts.end() ? none : found->second;
    size_t i = 0;  // ranges are sorted: the entry of from holding r.clock only moves on
    for (const DeleteRange& r : ranges) {
      if (end != ends.end() && r.clock < end->second)
        stats.deleted_clocks += std::min(r.end(), end->second) - r.clock;
      for (uint64_t clock = r.clock; clock < r.end();) {
        while (i + 1 < from.size() && from[i + 1].second <= clock) i++;
        const uint64_t next = i + 1 < from.size() ? std::min(r.end(), from[i + 1].second) : r.end();
        part_ds[from[i].first].add(client, clock, next - clock);
        clock = next;
      }
    }
  }
  stats.part_starts.assign(parts, {});
  for (const auto& [client, first] : starts) {
    for (const auto& [p, clock] : first) stats.part_starts[p].emplace_back(client, clock);
  }
  std::vector<UpdateBytes> out;
  out.reserve(parts);
  for (size_t p = 0; p < parts; p++) {
    WEFT_RETURN_IF_ERROR(finish_with_delete_set(encs[p], writers[p], part_ds[p]));
    WEFT_RETURN_IF_ERROR(encs[p].status());
    out.push_back(trimmed(encs[p].finish()));
  }
  return out;
}

// split_impl with the lazy reader, and the generic one when it must.
template <typename Dec, typename PartOf>
Result<std::vector<UpdateBytes>> split_either(std::span<const uint8_t> update, const StateVector& ends,
                                              size_t parts, PartOf&& part_of, SplitStats& stats) {
  bool needs_generic = false;
  SplitStats counted = stats;
  Result<std::vector<UpdateBytes>> out =
      split_impl<LazyStruct, Dec>(update, ends, parts, part_of, counted, needs_generic);
  if (needs_generic) {
    counted = stats;
    needs_generic = false;
    out = split_impl<WireStruct, Dec>(update, ends, parts, part_of, counted, needs_generic);
  }
  stats = counted;
  return out;
}

template <typename Dec>
Result<std::vector<UpdateBytes>> split_in(std::span<const uint8_t> update, UpdateFormat format, size_t parts,
                                          SplitOrder order, SplitStats& stats) {
  if (order == SplitOrder::kCausal) {
    CausalParts plan;
    const bool stop = stats.stop_if_mostly_visible;
    const bool stop_scattered = stats.stop_if_scattered;
    if (format == UpdateFormat::kV1) {
      WEFT_ASSIGN_OR_RETURN(plan, plan_causal_parts(update, parts, stop, stop_scattered));
    } else {  // planned on the v1 form (the plan names clients and clocks, not bytes)
      Result<UpdateBytes> v1 = convert_update(update, UpdateFormat::kV2, UpdateFormat::kV1);
      if (v1.is_ok()) {
        WEFT_ASSIGN_OR_RETURN(plan, plan_causal_parts(*v1, parts, stop, stop_scattered));
      }
    }
    if (plan.mostly_visible || plan.scattered) {
      stats.clocks = plan.clocks;
      stats.deleted_clocks = plan.deleted_clocks;
      stats.stopped_mostly_visible = plan.mostly_visible;
      stats.stopped_scattered = plan.scattered;
      return std::vector<UpdateBytes>{};
    }
    if (plan.parts > 0) {
      StateVector ends(plan.ends.begin(), plan.ends.end());
      for (const auto& [client, end] : ends) stats.clocks += end;
      // Structs come client by client in clock order: one cursor suffices.
      const std::vector<PartStart>* at = nullptr;
      uint64_t at_client = 0;
      size_t i = 0;
      auto part_of = [&](uint64_t client, uint64_t clock) -> size_t {
        if (at == nullptr || client != at_client) {
          at = &plan.starts.at(client);  // the plan read the same structs
          at_client = client;
          i = 0;
        }
        while (i + 1 < at->size() && (*at)[i + 1].clock <= clock) i++;
        return (*at)[i].part;
      };
      return split_either<Dec>(update, ends, plan.parts, part_of, stats);
    }
  }
  WEFT_ASSIGN_OR_RETURN(UpdateBytes sv, encode_state_vector_from_update(update, format));
  WEFT_ASSIGN_OR_RETURN(StateVector ends, decode_state_vector(sv));
  for (const auto& [client, end] : ends) stats.clocks += end;
  // A client's clocks [0, end) fall in `parts` bands of end / parts + 1 clocks.
  auto part_of = [&](uint64_t client, uint64_t clock) -> size_t {
    auto it = ends.find(client);
    const uint64_t width = it == ends.end() ? 0 : it->second / parts + 1;
    return width == 0 ? parts - 1 : static_cast<size_t>(std::min<uint64_t>(parts - 1, clock / width));
  };
  return split_either<Dec>(update, ends, parts, part_of, stats);
}

}  // namespace

Result<UpdateBytes> diff_update(std::span<const uint8_t> update, std::span<const uint8_t> sv,
                                UpdateFormat format) {
  WEFT_ASSIGN_OR_RETURN(StateVector state, decode_state_vector(sv));
  bool needs_generic = false;
  if (format == UpdateFormat::kV1) {
    Result<UpdateBytes> fast = diff_impl<LazyStruct, UpdateDecoderV1>(update, state, needs_generic);
    if (!needs_generic) return fast;
    return diff_impl<WireStruct, UpdateDecoderV1>(update, state, needs_generic);
  }
  Result<UpdateBytes> fast = diff_impl<LazyStruct, UpdateDecoderV2>(update, state, needs_generic);
  if (!needs_generic) return fast;
  return diff_impl<WireStruct, UpdateDecoderV2>(update, state, needs_generic);
}

Result<std::vector<UpdateBytes>> split_update(std::span<const uint8_t> update, UpdateFormat format,
                                              size_t parts, SplitStats* stats, SplitOrder order) {
  if (parts == 0 || parts > kMaxSplitParts)
    return Status(ErrorCode::kInvalidArgument,
                  "split_update: parts must be 1.." + std::to_string(kMaxSplitParts));
  SplitStats counted;
  counted.stop_if_mostly_visible = stats != nullptr && stats->stop_if_mostly_visible;
  counted.stop_if_scattered = stats != nullptr && stats->stop_if_scattered;
  Result<std::vector<UpdateBytes>> out =
      format == UpdateFormat::kV1 ? split_in<UpdateDecoderV1>(update, format, parts, order, counted)
                                  : split_in<UpdateDecoderV2>(update, format, parts, order, counted);
  if (stats != nullptr) *stats = counted;
  return out;
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
