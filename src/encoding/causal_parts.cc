// plan_causal_parts: the structs of a v1 update in an order where each comes
// after what it depends on, the order Doc::apply_update integrates them in
// (follow a missing dependency to its client, integrate there, come back),
// cut every `share` structs. Each client section is read through a cursor of
// its own, so nothing is kept per struct: the memory is per client.
#include "encoding/causal_parts.h"

#include <algorithm>
#include <array>

#include "encoding/struct_reader.h"
#include "encoding/update_codec_impl.h"
#include "encoding/wire.h"

namespace weft {

namespace {

// What the walk needs of a struct: where it is and what it depends on.
struct Peeked {
  uint64_t clock = 0;
  uint64_t length = 0;
  std::array<ID, 3> deps;  // origin, right origin, parent item: those present
  uint8_t n_deps = 0;
  bool has_origin = false;  // deps[0] is the origin
  bool skip = false;
};

// One client section, read a struct at a time.
struct Cursor {
  uint64_t client = 0;
  const uint8_t* pos = nullptr;     // the next struct's info byte
  uint64_t clock = 0;               // the next struct's: all before it are placed (or not in the update)
  uint64_t left = 0;                // structs not placed yet
  uint64_t end = 0;                 // clock after the section's last struct
  uint32_t part = UINT32_MAX;       // of the last struct placed
  uint64_t part_clock = 0;          // where the client's structs in `part` begin
  ID last_origin{~uint64_t{0}, 0};  // of the last struct placed that had one
  Peeked next;                      // valid when `peeked`
  bool peeked = false;
  bool on_stack = false;
};

// Reads structs anywhere in a v1 update, one at a time (one decoder and
// one LazyStruct for all: the walk reads every struct).
class Peeker {
 public:
  explicit Peeker(std::span<const uint8_t> update) : update_(update), dec_(update) {}

  // Reads the struct at `pos` into `out`, at `id`; returns where the next
  // starts, nullptr on malformed bytes.
  const uint8_t* read(const uint8_t* pos, ID id, Peeked& out) {
    const std::span<const uint8_t> rest(pos, update_.data() + update_.size());
    dec_.rest() = lib0::Decoder(rest);
    const uint8_t info = dec_.read_info();
    out.n_deps = 0;
    out.has_origin = false;
    out.clock = id.clock;
    if (read_lazy_struct(dec_, info, id, lazy_)) {
      if (!dec_.ok()) return nullptr;
      out.length = lazy_.length;
      out.skip = lazy_.kind == StructKind::kSkip;
      if (lazy_.kind == StructKind::kItem) {
        out.has_origin = lazy_.has_origin;
        if (lazy_.has_origin) out.deps[out.n_deps++] = lazy_.origin;
        if (lazy_.has_right_origin) out.deps[out.n_deps++] = lazy_.right_origin;
        if (lazy_.has_parent && !lazy_.parent_is_name) out.deps[out.n_deps++] = lazy_.parent_id;
      }
      return dec_.rest().position();
    }
    // Content a LazyStruct cannot hold (a lone surrogate): read generically.
    if (!dec_.ok()) return nullptr;
    dec_.rest() = lib0::Decoder(rest);
    WireStruct wire;
    read_wire_struct(dec_, dec_.read_info(), id, wire);
    if (!dec_.ok()) return nullptr;
    out.length = wire.length;
    out.skip = wire.kind == StructKind::kSkip;
    if (wire.kind == StructKind::kItem) {
      out.has_origin = wire.origin.has_value();
      if (wire.origin) out.deps[out.n_deps++] = *wire.origin;
      if (wire.right_origin) out.deps[out.n_deps++] = *wire.right_origin;
      if (const ID* parent = std::get_if<ID>(&wire.parent)) out.deps[out.n_deps++] = *parent;
    }
    return dec_.rest().position();
  }

 private:
  std::span<const uint8_t> update_;
  UpdateDecoderV1 dec_;
  LazyStruct lazy_;
};

// Finds the client sections (one read of every struct); false if the update
// is malformed or names a client twice.
// Reads the sections' headers and every struct's length; `ds_at` is then
// where the delete set starts.
bool find_sections(std::span<const uint8_t> update, std::vector<Cursor>& cursors,
                   std::unordered_map<uint64_t, uint32_t>& index, uint64_t& structs, size_t& ds_at) {
  lib0::Decoder dec(update);
  const uint64_t sections = dec.read_var_uint();
  const uint64_t most = max_structs_for_input(update.size());
  if (!dec.ok() || sections > most) return false;
  cursors.reserve(sections);
  Peeker peeker(update);
  Peeked p;
  for (uint64_t s = 0; s < sections; s++) {
    Cursor c;
    c.left = dec.read_var_uint();
    c.client = dec.read_var_uint();
    c.clock = dec.read_var_uint();
    if (!dec.ok() || c.left > most - structs) return false;
    structs += c.left;
    c.pos = dec.position();
    if (!index.emplace(c.client, static_cast<uint32_t>(cursors.size())).second) return false;
    const uint8_t* pos = c.pos;
    uint64_t clock = c.clock;
    for (uint64_t i = 0; i < c.left; i++) {
      pos = peeker.read(pos, ID{c.client, clock}, p);
      if (pos == nullptr || p.length > kMaxClockEnd - clock) return false;
      clock += p.length;
    }
    c.end = clock;
    cursors.push_back(c);
    dec = lib0::Decoder(std::span<const uint8_t>(pos, update.data() + update.size()));
  }
  ds_at = static_cast<size_t>(dec.position() - update.data());
  return true;
}

// What split_update counts in SplitStats: clocks up to each client's end,
// and those of them the delete set covers. False on malformed bytes.
bool count_clocks(std::span<const uint8_t> update, size_t ds_at, const std::vector<Cursor>& cursors,
                  const std::unordered_map<uint64_t, uint32_t>& index, CausalParts& out) {
  for (const Cursor& c : cursors) out.clocks += c.end;
  UpdateDecoderV1 dec(update.subspan(ds_at));
  const DeleteSet ds = DeleteSet::read(dec);
  if (!dec.ok()) return false;
  for (const auto& [client, ranges] : ds.clients()) {
    auto it = index.find(client);
    if (it == index.end()) continue;
    const uint64_t end = cursors[it->second].end;
    for (const DeleteRange& r : ranges) {
      if (r.clock < end) out.deleted_clocks += std::min(r.end(), end) - r.clock;
    }
  }
  return true;
}

class Walk {
 public:
  Walk(std::span<const uint8_t> update, std::vector<Cursor>& cursors,
       const std::unordered_map<uint64_t, uint32_t>& index, uint64_t share, bool stop_if_scattered)
      : peeker_(update),
        cursors_(cursors),
        index_(index),
        share_(share),
        stop_if_scattered_(stop_if_scattered) {}

  // Places every struct (or, stopping at a scattered state, sets
  // out.scattered); false on malformed bytes.
  bool run(CausalParts& out) {
    for (uint32_t root = 0; root < cursors_.size(); root++) {
      while (cursors_[root].left > 0) {
        stack_.push_back(root);
        cursors_[root].on_stack = true;
        while (!stack_.empty()) {
          const uint32_t top = stack_.back();
          Cursor& c = cursors_[top];
          if (!c.peeked) {
            const uint8_t* pos = peeker_.read(c.pos, ID{c.client, c.clock}, c.next);
            if (pos == nullptr) return false;
            c.pos = pos;
            c.peeked = true;
          }
          if (const int64_t wait_for = missing(c); wait_for >= 0) {
            stack_.push_back(static_cast<uint32_t>(wait_for));
            cursors_[wait_for].on_stack = true;
            continue;
          }
          place(c, out);
          if (out.scattered) return true;
          // Back to the struct that waited for this client, if any.
          if (stack_.size() > 1 || c.left == 0) {
            c.on_stack = false;
            stack_.pop_back();
          }
        }
      }
    }
    out.parts = placed_ == 0 ? 1 : static_cast<size_t>((placed_ - 1) / share_ + 1);
    return true;
  }

 private:
  // The client the cursor's struct waits for: one whose struct it depends on
  // is in the update and not placed yet, -1 if none. A dependency on a client
  // already waiting (a cycle: malformed) or outside the update does not
  // hold the walk up: the struct is placed, and the load will find it.
  int64_t missing(const Cursor& c) const {
    for (uint8_t i = 0; i < c.next.n_deps; i++) {
      const ID dep = c.next.deps[i];
      auto it = index_.find(dep.client);
      if (it == index_.end()) continue;
      const Cursor& d = cursors_[it->second];
      if (dep.clock < d.clock || dep.clock >= d.end || d.on_stack) continue;  // placed, absent or waiting
      return it->second;
    }
    return -1;
  }

  void place(Cursor& c, CausalParts& out) {
    c.peeked = false;
    c.left--;
    c.clock += c.next.length;
    if (c.next.skip) return;
    const auto part = static_cast<uint32_t>(placed_++ / share_);
    if (stop_if_scattered_) {
      // Typing backwards at one place repeats one origin: it thaws once.
      if (c.next.has_origin) {
        const ID origin = c.next.deps[0];
        if (origin != c.last_origin && in_earlier_part(c, origin, part)) origins_before_++;
        c.last_origin = origin;
      }
      // At each part's start from the third on: past the first part, more
      // than an eighth of the structs have their origin in earlier parts.
      if (placed_ % share_ == 0 && part >= 1 && origins_before_ >= kScatteredFrom &&
          origins_before_ * 8 > placed_ - share_)
        out.scattered = true;
    }
    if (part != c.part) {
      out.starts[c.client].push_back({c.next.clock, part});
      c.part_clock = c.next.clock;
    }
    c.part = part;
  }

  // Whether `origin`, of the struct of `c` being placed in `part`, lies in
  // an earlier part and is not the end of the client's previous struct
  // (typing's origin, which stays an Item: the client's last block).
  bool in_earlier_part(const Cursor& c, ID origin, uint32_t part) const {
    if (origin.client == c.client && origin.clock + 1 == c.next.clock) return false;
    auto it = index_.find(origin.client);
    if (it == index_.end()) return false;
    const Cursor& d = cursors_[it->second];
    if (d.part == UINT32_MAX || origin.clock >= d.clock) return false;  // not placed
    return d.part < part || origin.clock < d.part_clock;
  }

  // Fewer origins in earlier parts than this do not make a state scattered.
  static constexpr uint64_t kScatteredFrom = 64;

  Peeker peeker_;
  std::vector<Cursor>& cursors_;
  const std::unordered_map<uint64_t, uint32_t>& index_;
  uint64_t share_;
  bool stop_if_scattered_;
  uint64_t placed_ = 0;
  uint64_t origins_before_ = 0;  // structs whose origin in_earlier_part
  std::vector<uint32_t> stack_;
};

}  // namespace

Result<CausalParts> plan_causal_parts(std::span<const uint8_t> update, size_t parts,
                                      bool stop_if_mostly_visible, bool stop_if_scattered) {
  CausalParts out;
  std::vector<Cursor> cursors;
  std::unordered_map<uint64_t, uint32_t> index;
  uint64_t structs = 0;
  size_t ds_at = 0;
  // Malformed bytes: not planned, and split_update reports what is wrong.
  if (!find_sections(update, cursors, index, structs, ds_at)) return out;
  if (stop_if_mostly_visible) {
    if (!count_clocks(update, ds_at, cursors, index, out)) return CausalParts{};
    if (out.deleted_clocks * 2 < out.clocks) {
      out.mostly_visible = true;
      return out;
    }
  }
  const uint64_t share = std::max<uint64_t>(1, (structs + parts - 1) / std::max<size_t>(parts, 1));
  Walk walk(update, cursors, index, share, stop_if_scattered);
  if (!walk.run(out)) return CausalParts{};
  if (out.scattered) {
    out.parts = 0;
    out.starts.clear();
    return out;
  }
  for (const Cursor& c : cursors) out.ends[c.client] = c.end;
  return out;
}

}  // namespace weft
