#include "core/tombstone_runs.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "core/branch.h"
#include "core/seq_index.h"
#include "core/struct_store.h"
#include "encoding/struct_reader.h"
#include "weft/doc.h"

namespace weft {

// The packed form of a run's members. A walk over one client's blocks
// (encoding) asks a run for one member by (client, clock) at a time, and
// consecutive blocks of a client often lie in different runs: members are
// found and read without decoding the others.
//
//   n_clients u8 (1..64), n_members u8 (2..64), layout u8: bits 0-3 the
//   width (4 or 8: bytes of each client id and base below; 4 when all fit
//   in 32 bits, as Yjs's random client ids always do), bit 7 set: no bases
//   clients x n_clients (ascending: slot order), then, unless bit 7, bases x
//   n_clients (a slot's smallest clock in the run; where they save less
//   than they take, as for random edits whose slots hold one or two
//   members, every base is 0), fixed width so that a lookup reads only its slot's
//   slot_start u8 x (n_clients + 1): the slot's members are by_slot[slot_start[s], slot_start[s + 1])
//   by_slot u8 x n_members: member positions (list order), grouped by slot, by clock within one
//   offsets u16 (little endian) x n_members: where each member's record starts, from the first record
//   records, in list order:
//     header u8: bits 0-5 slot, bits 6-7 origin mode
//     clock - base of its slot varUint, length << 2 | right origin mode varUint,
//     then the origin's and the right origin's bytes. Modes: 0 none,
//       1 a member's (origin: its last id; right origin: its id) then u8 position,
//       2 client varUint then clock varUint, 3 slot u8 then clock varUint
//
// A run holds as many clients as members, so that runs of random edits by
// many clients fill up too: the run's Item and header are paid once per 64
// members. Two clients' alternating keystrokes take about 9 bytes a member;
// 64 clients' random edits about 17, the run's Item included.

namespace {

// The bytes of one run being written (at most kMaxPacked).
struct Packed {
  // Header, client ids and bases at 8 bytes, slot table, by_slot, offsets,
  // then per member at most a header byte, two 10-byte varUints and two
  // 20-byte refs.
  static constexpr size_t kMaxPacked = 3 + 2 * 8 * kMaxRunMembers + (kMaxRunMembers + 1) +
                                       3 * kMaxRunMembers + kMaxRunMembers * (1 + 10 + 10 + 2 * 20);
  uint8_t bytes[kMaxPacked];
  size_t size = 0;

  void byte(uint8_t b) { bytes[size++] = b; }
  void var_uint(uint64_t n) {
    while (n > 0x7f) {
      byte(static_cast<uint8_t>(0x80 | (n & 0x7f)));
      n >>= 7;
    }
    byte(static_cast<uint8_t>(n));
  }
  void append(const uint8_t* from, size_t n) {
    std::memcpy(bytes + size, from, n);
    size += n;
  }
};

ID last_id(const RunMember& m) { return ID{m.id.client, m.id.clock + m.length - 1}; }

// A run's bytes were written by encode_members in this process: a malformed
// run is a bug, not input, hence logic_error rather than a Status.
[[noreturn]] void corrupt(const char* what) { throw std::logic_error(std::string("tombstone run: ") + what); }

uint64_t get(const uint8_t* data, size_t size, size_t& at) {
  uint64_t n = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at >= size) corrupt("truncated");
    const uint8_t b = data[at++];
    n |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return n;
  }
  corrupt("varUint too long");
}

// Packs `members` into `out` (its previous content dropped).
void encode_members(std::span<const RunMember> members, Packed& out) {
  const size_t n = members.size();
  // Slots in client order, so that a lookup by client is a binary search.
  uint64_t clients[kMaxRunMembers];
  for (size_t i = 0; i < n; i++) clients[i] = members[i].id.client;
  std::sort(clients, clients + n);
  const size_t n_clients = static_cast<size_t>(std::unique(clients, clients + n) - clients);
  auto slot_for = [&](uint64_t client) -> int {
    const uint64_t* it = std::lower_bound(clients, clients + n_clients, client);
    return it != clients + n_clients && *it == client ? static_cast<int>(it - clients) : -1;
  };
  uint8_t slot_of[kMaxRunMembers];
  uint64_t base[kMaxRunMembers];
  std::fill(base, base + n_clients, ~uint64_t{0});
  for (size_t i = 0; i < n; i++) {
    slot_of[i] = static_cast<uint8_t>(slot_for(members[i].id.client));
    base[slot_of[i]] = std::min(base[slot_of[i]], members[i].id.clock);
  }
  // Member positions grouped by slot, by clock within one: a slot's are
  // by_slot[slot_start[s], slot_start[s + 1]).
  uint8_t by_slot[kMaxRunMembers];
  for (size_t i = 0; i < n; i++) by_slot[i] = static_cast<uint8_t>(i);
  std::sort(by_slot, by_slot + n, [&](uint8_t a, uint8_t b) {
    return slot_of[a] != slot_of[b] ? slot_of[a] < slot_of[b] : members[a].id.clock < members[b].id.clock;
  });
  uint8_t slot_start[kMaxRunMembers + 1];
  for (size_t s = 0, at = 0; s <= n_clients; s++) {
    slot_start[s] = static_cast<uint8_t>(at);
    while (at < n && slot_of[by_slot[at]] == s) at++;
  }
  // The member whose clock range holds `id`, by position, or -1.
  auto member_holding = [&](const ID& id) -> int {
    const int slot = slot_for(id.client);
    if (slot < 0) return -1;
    const uint8_t* first = by_slot + slot_start[slot];
    const uint8_t* last = by_slot + slot_start[slot + 1];
    const uint8_t* it = std::upper_bound(first, last, id.clock,
                                         [&](uint64_t c, uint8_t m) { return c < members[m].id.clock; });
    if (it == first) return -1;
    const RunMember& m = members[*(it - 1)];
    return id.clock < m.id.clock + m.length ? *(it - 1) : -1;
  };
  // A member whose last id (origin) or id (right origin) a ref names;
  // member i's own neighbour first (the usual case).
  auto member_ending_at = [&](size_t i, const ID& id) -> int {
    if (i > 0 && last_id(members[i - 1]) == id) return static_cast<int>(i - 1);
    const int m = member_holding(id);
    return m >= 0 && last_id(members[m]) == id ? m : -1;
  };
  auto member_starting_at = [&](size_t i, const ID& id) -> int {
    if (i + 1 < n && members[i + 1].id == id) return static_cast<int>(i + 1);
    const int m = member_holding(id);
    return m >= 0 && members[m].id == id ? m : -1;
  };
  // Bases where they pay for themselves.
  const int narrow_width = clients[n_clients - 1] >> 32 == 0 ? 4 : 8;
  const bool narrow_bases = std::all_of(base, base + n_clients, [](uint64_t b) { return b >> 32 == 0; });
  // The bases' bytes, and the client ids' if the bases widen them.
  size_t with_bases = n_clients * (narrow_bases ? narrow_width : 8 + (8 - narrow_width)), without = 0;
  for (size_t i = 0; i < n; i++) {
    with_bases += var_uint_size(members[i].id.clock - base[slot_of[i]]);
    without += var_uint_size(members[i].id.clock);
  }
  const bool bases = with_bases < without;
  if (!bases) std::fill(base, base + n_clients, 0);
  const int width = bases && !narrow_bases ? 8 : narrow_width;
  out.size = 0;
  out.byte(static_cast<uint8_t>(n_clients));
  out.byte(static_cast<uint8_t>(n));
  out.byte(static_cast<uint8_t>(width | (bases ? 0 : 0x80)));
  auto put_fixed = [&](uint64_t v) {
    for (int k = 0; k < width; k++) out.byte(static_cast<uint8_t>(v >> (8 * k)));
  };
  for (size_t c = 0; c < n_clients; c++) put_fixed(clients[c]);
  if (bases) {
    for (size_t c = 0; c < n_clients; c++) put_fixed(base[c]);
  }
  out.append(slot_start, n_clients + 1);
  out.append(by_slot, n);
  const size_t offsets_at = out.size;
  out.size += 2 * n;  // filled in below
  const size_t records_at = out.size;
  // A ref's mode (see the format) and what follows it: the member's
  // position (1) or the slot (3) in `at`.
  struct Ref {
    uint8_t mode = 0;
    int at = 0;
  };
  auto ref_of = [&](const OptionalID& ref, int member) -> Ref {
    if (!ref) return {};
    if (member >= 0) return {1, member};
    if (const int slot = slot_for(ref->client); slot >= 0) return {3, slot};
    return {2, 0};
  };
  auto put_ref = [&](const OptionalID& ref, Ref r) {
    if (r.mode == 1 || r.mode == 3) out.byte(static_cast<uint8_t>(r.at));
    if (r.mode == 2) out.var_uint(ref->client);
    if (r.mode >= 2) out.var_uint(ref->clock);
  };
  for (size_t i = 0; i < n; i++) {
    const RunMember* m = &members[i];
    const size_t offset = out.size - records_at;
    if (offset > 0xffff) corrupt("records too long");  // 64 members never come near
    out.bytes[offsets_at + 2 * i] = static_cast<uint8_t>(offset & 0xff);
    out.bytes[offsets_at + 2 * i + 1] = static_cast<uint8_t>(offset >> 8);
    if (m->length >> 62 != 0) corrupt("member too long");  // freezable() keeps these out
    const Ref origin = ref_of(m->origin, m->origin ? member_ending_at(i, *m->origin) : -1);
    const Ref right = ref_of(m->right_origin, m->right_origin ? member_starting_at(i, *m->right_origin) : -1);
    out.byte(static_cast<uint8_t>(slot_of[i] | (origin.mode << 6)));
    out.var_uint(m->id.clock - base[slot_of[i]]);
    out.var_uint(m->length << 2 | right.mode);
    put_ref(m->origin, origin);
    put_ref(m->right_origin, right);
  }
}

// A run's allocation: the Item, then the size of the packed members (u32),
// then the members.
constexpr size_t kRunHeader = sizeof(Item) + sizeof(uint32_t);

// A new run of `members` (two or more) under `parent`, not linked yet.
Item* make_run(std::span<const RunMember> members, Branch* parent) {
  Packed packed;
  encode_members(members, packed);
  void* mem = ::operator new(kRunHeader + packed.size);
  auto* raw = static_cast<unsigned char*>(mem);
  const auto size = static_cast<uint32_t>(packed.size);
  std::memcpy(raw + sizeof(Item), &size, sizeof size);
  std::memcpy(raw + kRunHeader, packed.bytes, packed.size);
  Item* run = new (mem) Item();
  run->is_run = true;
  run->id = ID{kRunClient, 0};
  run->content = ContentDeleted{0};
  run->deleted = true;
  run->keep = true;
  run->parent = parent;
  return run;
}

const unsigned char* run_storage(const Item& run) { return reinterpret_cast<const unsigned char*>(&run); }

// A run's header, parsed: members are then read one at a time.
struct RunView {
  const uint8_t* data = nullptr;
  const uint8_t* slot_start = nullptr;
  const uint8_t* by_slot = nullptr;
  const uint8_t* offsets = nullptr;
  uint32_t size = 0;
  uint32_t records = 0;  // offset of the first record in data
  uint8_t n_clients = 0;
  uint8_t n_members = 0;
  uint8_t width = 0;
  bool bases = false;

  RunView() = default;
  explicit RunView(const Item& run) {
    if (!run.is_run) corrupt("not a run");
    std::memcpy(&size, run_storage(run) + sizeof(Item), sizeof size);
    data = run_storage(run) + kRunHeader;
    if (size < 3) corrupt("too short");
    n_clients = data[0];
    n_members = data[1];
    width = data[2] & 0x0f;
    bases = (data[2] & 0x80) == 0;
    if (n_clients == 0 || n_clients > kMaxRunMembers || n_members < 2 || n_members > kMaxRunMembers ||
        (width != 4 && width != 8))
      corrupt("bad counts");
    const size_t at = 3 + (bases ? 2 : 1) * size_t{width} * n_clients;
    if (at + (n_clients + 1) + 3 * n_members > size) corrupt("truncated header");
    slot_start = data + at;
    by_slot = slot_start + n_clients + 1;
    offsets = by_slot + n_members;
    records = static_cast<uint32_t>(offsets + 2 * n_members - data);
  }

  uint64_t fixed(size_t at) const {
    uint64_t v = 0;
    for (int k = 0; k < width; k++) v |= static_cast<uint64_t>(data[at + k]) << (8 * k);
    return v;
  }
  uint64_t client(size_t slot) const { return fixed(3 + width * slot); }
  uint64_t base(size_t slot) const { return bases ? fixed(3 + width * (n_clients + slot)) : 0; }

  size_t record(size_t pos) const {
    if (pos >= n_members) corrupt("bad member position");
    return records + (offsets[2 * pos] | static_cast<size_t>(offsets[2 * pos + 1]) << 8);
  }
  // Member `pos`'s id and length (its origins not read); returns the modes
  // of its origin (bits 0-1) and right origin (bits 2-3), with `at` at their bytes.
  uint8_t read_id(size_t pos, RunMember& out, size_t& at) const {
    at = record(pos);
    if (at >= size) corrupt("truncated record");
    const uint8_t header = data[at++];
    const size_t slot = header & 0x3f;
    if (slot >= n_clients) corrupt("bad client slot");
    out.id = ID{client(slot), base(slot) + get(data, size, at)};
    const uint64_t length_and_mode = get(data, size, at);
    out.length = length_and_mode >> 2;
    return static_cast<uint8_t>(header >> 6 | (length_and_mode & 3) << 2);
  }
  OptionalID read_ref(uint8_t mode, bool last, size_t& at) const {
    switch (mode) {
      case 1: {
        if (at >= size) corrupt("truncated record");
        RunMember m;
        size_t ignored;
        read_id(data[at++], m, ignored);
        return last ? ID{m.id.client, m.id.clock + m.length - 1} : m.id;
      }
      case 2: {
        const uint64_t c = get(data, size, at);
        return ID{c, get(data, size, at)};
      }
      case 3: {
        if (at >= size || data[at] >= n_clients) corrupt("bad client slot");
        const uint64_t c = client(data[at++]);
        return ID{c, get(data, size, at)};
      }
      default:
        return std::nullopt;
    }
  }
  void read_refs(uint8_t modes, RunMember& out, size_t at) const {
    out.origin = read_ref(modes & 3, true, at);
    out.right_origin = read_ref(modes >> 2, false, at);
  }
  void read(size_t pos, RunMember& out) const {
    size_t at;
    const uint8_t modes = read_id(pos, out, at);  // before `at` is read
    read_refs(modes, out, at);
  }
  // read(), if member `pos` is `id` (a walk's guess at the next member):
  // the id is decoded once, not once to check and once to read.
  bool read_if(size_t pos, ID id, RunMember& out) const {
    size_t at;
    const uint8_t modes = read_id(pos, out, at);
    if (out.id != id) return false;
    read_refs(modes, out, at);
    return true;
  }
  uint64_t clock_of(size_t pos) const {
    RunMember m;
    size_t ignored;
    read_id(pos, m, ignored);
    return m.id.clock;
  }
  // Where the member (client, clock) is in by_slot, or n_members.
  size_t find(uint64_t member_client, uint64_t clock) const {
    size_t s = 0, count = n_clients;  // slots are in client order
    while (count > 1) {
      const size_t half = count / 2;
      if (client(s + half) <= member_client) s += half;
      count -= half;
    }
    if (client(s) == member_client) {
      size_t lo = slot_start[s], hi = std::min<size_t>(slot_start[s + 1], n_members);
      while (lo < hi) {  // the slot's members are sorted by clock
        const size_t mid = (lo + hi) / 2;
        const uint64_t c = clock_of(by_slot[mid]);
        if (c == clock) return mid;
        if (c < clock) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
    }
    return n_members;
  }
};

// A tombstone that may join a run (see freeze_tombstone_runs).
bool freezable(StructStore& store, const Item* x) {
  return x->deleted && !x->is_gc && !x->keep && !x->is_run && x->parent_sub() == nullptr &&
         x->type() == nullptr && std::holds_alternative<ContentDeleted>(x->content) &&
         x->id.clock + x->length < store.state(x->id.client) && x->length >> 62 == 0;
}

// Points the member's place in its client's blocks at `item`.
void repoint(StructStore& store, ID member, Item* item) {
  StructStore::Blocks& blocks = *store.blocks(member.client);
  // The clock arrays alone: a thaw may run inside a merge walk that has set
  // merged-away slots to null (try_merge_with_lefts), the last one included.
  const size_t i = blocks.find(member.clock);
  if (blocks.clock_at(i) != member.clock)
    throw std::logic_error("tombstone run: member not at a block start");
  blocks[i] = item;
}

RunMember member_of(const Item& item) {
  return RunMember{item.id, item.length, item.origin, item.right_origin};
}

// Links `now` into the list in `old`'s place (old's own links are left as
// they were) and tells the parent's index.
void take_place(Item* old, Item* now) {
  Branch* parent = old->parent;
  now->left = old->left;
  now->right = old->right;
  if (now->left != nullptr) {
    now->left->right = now;
  } else {
    parent->start = now;
  }
  if (now->right != nullptr) now->right->left = now;
  if (SeqIndex* index = parent->seq_index.get()) index->on_replace(old, now);
}

// Replaces `members` (at least two, neighbours in list order) by a run,
// which it returns (the members are destroyed).
Item* form_run(StructStore& store, const std::vector<Item*>& members) {
  Item* first = members[0];
  Branch* parent = first->parent;
  SeqIndex* index = parent->seq_index.get();
  RunMember packed[kMaxRunMembers];
  for (size_t i = 0; i < members.size(); i++) packed[i] = member_of(*members[i]);
  Item* run = make_run(std::span<const RunMember>(packed, members.size()), parent);
  // The run takes the first member's place, then the others merge into it
  // (told before the links change, as Item::try_merge does).
  take_place(first, run);
  for (size_t i = 1; i < members.size(); i++) {
    Item* m = members[i];
    if (index != nullptr) index->on_merge(run, m);
    run->right = m->right;
    if (run->right != nullptr) run->right->left = run;
  }
  for (Item* m : members) {
    repoint(store, m->id, run);
    store.pool().destroy(m);
  }
  return run;
}

// A member as an Item of its own, not linked yet.
Item* make_member(StructStore& store, const RunMember& r, Branch* parent) {
  Item* m = store.pool().make();
  m->id = r.id;
  m->length = r.length;
  m->origin = r.origin;
  m->right_origin = r.right_origin;
  m->parent = parent;
  m->content = ContentDeleted{r.length};
  m->deleted = true;
  return m;
}

// Replaces `run` in its list by its members: those in [from, to) become
// Items, the ones before and after stay frozen in runs of their own (a side
// of one member becomes an Item too). items[k] is then member k's Item, or
// null where it stays frozen.
void split_run(StructStore& store, Item* run, size_t from, size_t to, Item* items[kMaxRunMembers]) {
  RunMember ms[kMaxRunMembers];
  const RunView view(*run);
  const size_t n = view.n_members;
  for (size_t pos = 0; pos < n; pos++) view.read(pos, ms[pos]);
  if (from == 1) from = 0;  // a side of one member is not a run
  if (to == n - 1) to = n;
  Branch* parent = run->parent;
  SeqIndex* index = parent->seq_index.get();
  if (parent->marker == run) parent->clear_marker();
  Item* prev = nullptr;
  auto link = [&](Item* piece) {
    if (prev == nullptr) {
      take_place(run, piece);
    } else {  // after the previous piece
      piece->left = prev;
      piece->right = prev->right;
      prev->right = piece;
      if (piece->right != nullptr) piece->right->left = piece;
      if (index != nullptr) index->on_split(prev, piece);
    }
    prev = piece;
  };
  auto frozen = [&](size_t a, size_t b) {
    Item* piece = make_run(std::span<const RunMember>(ms + a, b - a), parent);
    link(piece);
    for (size_t k = a; k < b; k++) repoint(store, ms[k].id, piece);
  };
  for (size_t k = 0; k < n; k++) items[k] = nullptr;
  store.members_thawed += to - from;
  if (from > 0) frozen(0, from);
  for (size_t k = from; k < to; k++) {
    Item* m = make_member(store, ms[k], parent);
    link(m);
    repoint(store, ms[k].id, m);
    items[k] = m;
  }
  if (to < n) frozen(to, n);
  destroy_run(run);
}

size_t freeze_list(StructStore& store, Branch& branch);

// Freezes the stretch of freezable tombstones starting at `first` (its left
// neighbour is not freezable) into runs of at most kMaxRunMembers members,
// adding to `frozen` how many items it put
// into runs. Returns the item after the stretch.
Item* freeze_stretch(StructStore& store, Item* first, size_t& frozen) {
  std::vector<Item*> members;
  Item* it = first;
  while (it != nullptr && freezable(store, it)) {
    members.clear();
    for (Item* m = it; m != nullptr && members.size() < kMaxRunMembers && freezable(store, m); m = m->right)
      members.push_back(m);
    if (members.size() < 2) {  // one member saves nothing
      it = it->right;
      continue;
    }
    frozen += members.size();
    it = form_run(store, members)->right;  // `it` and the other members are destroyed
  }
  return it;
}

// Freezes the list of the type `item` holds, if any.
size_t freeze_nested(StructStore& store, const Item* item) {
  return item->type() != nullptr ? freeze_list(store, *item->type()) : 0;
}

// Freezes the branch's list and the types inside it; returns how many items it put into runs.
size_t freeze_list(StructStore& store, Branch& branch) {
  size_t frozen = 0;
  bool formed = false;
  for (Item* it = branch.start; it != nullptr;) {
    if (freezable(store, it)) {
      const size_t frozen_before = frozen;
      it = freeze_stretch(store, it, frozen);
      formed = formed || frozen > frozen_before;
      continue;
    }
    frozen += freeze_nested(store, it);
    it = it->right;
  }
  for (auto& [key, last] : branch.map) {
    for (const Item* it = last; it != nullptr; it = it->left) frozen += freeze_nested(store, it);
  }
  if (formed) branch.clear_marker();
  return frozen;
}

}  // namespace

void decode_run(const Item& run, std::vector<RunMember>& out) {
  const RunView view(run);
  out.resize(view.n_members);
  for (size_t pos = 0; pos < view.n_members; pos++) view.read(pos, out[pos]);
}

size_t freeze_tombstone_runs(Doc& doc) {
  StructStore& store = doc.store();
  size_t frozen = 0;
  for (const std::string& name : doc.root_names()) {
    if (Branch* root = doc.root(name)) frozen += freeze_list(store, *root);
  }
  return frozen;
}

size_t freeze_tombstones_since(Doc& doc, std::span<const std::pair<uint64_t, uint64_t>> from) {
  StructStore& store = doc.store();
  size_t frozen = 0;
  for (const auto& [client, clock] : from) {
    StructStore::Blocks* client_blocks = store.blocks(client);
    if (client_blocks == nullptr || clock >= store.state(client)) continue;
    StructStore::Blocks& blocks = *client_blocks;
    // Forming a run changes no position in a client's blocks (members keep
    // their slots pointing at the run), so `i` stays valid through the walk.
    for (size_t i = StructStore::find_index(blocks, clock); i < blocks.size(); i++) {
      Item* block = blocks[i];
      if (block->is_run || !freezable(store, block)) continue;
      Item* first = block;
      while (first->left != nullptr && freezable(store, first->left)) first = first->left;
      Branch* parent = first->parent;
      const size_t frozen_before = frozen;
      freeze_stretch(store, first, frozen);
      if (frozen > frozen_before) parent->clear_marker();
    }
  }
  return frozen;
}

size_t frozen_tombstones(const Doc& doc) {
  size_t n = 0;
  for (const auto& [client, blocks] : doc.store().clients()) {
    for (const Item* block : blocks) n += block->is_run ? 1 : 0;
  }
  return n;
}

ThawedRun thaw_run(StructStore& store, Item* run) {
  const size_t n = RunView(*run).n_members;
  Item* items[kMaxRunMembers];
  split_run(store, run, 0, n, items);
  return {items[0], items[n - 1]};
}

Item* thaw_member(StructStore& store, Item* run, size_t pos) {
  const size_t n = RunView(*run).n_members;
  if (pos >= n) corrupt("bad member position");
  Item* items[kMaxRunMembers];
  split_run(store, run, pos, pos + 1, items);
  return items[pos];
}

Item* thaw_member(StructStore& store, Item* run, ID member) {
  const RunView view(*run);
  const size_t k = view.find(member.client, member.clock);
  if (k == view.n_members) corrupt("no such member");
  return thaw_member(store, run, view.by_slot[k]);
}

Item* thaw_last_member(StructStore& store, Item* run) {
  return thaw_member(store, run, RunView(*run).n_members - 1);
}

Item* make_tombstone_run(std::span<const RunMember> members, Branch* parent) {
  if (members.size() < 2 || members.size() > kMaxRunMembers) corrupt("bad member count");
  return make_run(members, parent);
}

void destroy_run(Item* run) {
  run->~Item();
  ::operator delete(static_cast<void*>(run));
}

bool release_member(Item* run) {
  // The run's own length is 0 (poison): it counts the members left.
  if (run->length == 0) run->length = RunView(*run).n_members;
  if (--run->length > 0) return false;
  destroy_run(run);
  return true;
}

RunPrefetcher::RunPrefetcher(const BlockArray& blocks, size_t at) : blocks_(blocks), at_(at) {
  size_t far = at + kFar;
  while (chunk_ < blocks.chunk_count() && far >= blocks.chunk(chunk_).size())
    far -= blocks.chunk(chunk_++).size();
  offset_ = far;
}

void RunPrefetcher::advance() {
  at_++;
  const Item* far = nullptr;
  if (chunk_ < blocks_.chunk_count()) {
    far = blocks_.chunk(chunk_)[offset_];
    if (++offset_ == blocks_.chunk(chunk_).size()) {
      chunk_++;
      offset_ = 0;
    }
    if (far != ring_[(at_ + kFar - 1) % kFar]) {
      __builtin_prefetch(far);
      __builtin_prefetch(reinterpret_cast<const char*>(far) + 64);
    }
  }
  ring_[(at_ + kFar) % kFar] = far;
  // Fetched kFar - kNear positions ago: its flags are in by now.
  const Item* near = ring_[(at_ + kNear) % kFar];
  // A client's consecutive blocks often share a run (typed text): asked for once.
  if (near == nullptr || near == last_run_ || !near->is_run) return;
  last_run_ = near;
  uint32_t size;
  std::memcpy(&size, run_storage(*near) + sizeof(Item), sizeof size);
  const unsigned char* end = run_storage(*near) + kRunHeader + std::min<size_t>(size, 512);
  for (const unsigned char* p = run_storage(*near) + 128; p < end; p += 64) __builtin_prefetch(p);
}

const Item& RunReader::member(const BlockArray& blocks, size_t i, uint64_t client, const Item* run) {
  if (ahead_ && &ahead_->blocks() == &blocks) {
    ahead_->advance_to(i);
  } else {
    ahead_.emplace(blocks, i);
  }
  // Consecutive blocks of a client often share a run: its header is parsed once.
  static_assert(sizeof(RunView) <= sizeof(view_state_) && std::is_trivially_destructible_v<RunView>);
  if (viewed_ != run) {
    new (view_state_) RunView(*run);
    viewed_ = run;
  }
  const RunView& view = *std::launder(reinterpret_cast<const RunView*>(view_state_));
  const uint64_t clock = blocks.clock_at(i);
  RunMember m;
  if (next_ < view.n_members && view.read_if(view.by_slot[next_], ID{client, clock}, m)) {
    next_++;
  } else {
    const size_t k = view.find(client, clock);
    if (k == view.n_members) corrupt("block not among the run's members");
    next_ = k + 1;
    view.read(view.by_slot[k], m);
  }
  Item& item = view_ ? *view_ : view_.emplace();
  item.id = m.id;
  item.length = m.length;
  item.origin = m.origin;
  item.right_origin = m.right_origin;
  item.parent = run->parent;
  item.content = ContentDeleted{m.length};
  item.deleted = true;
  return item;
}

}  // namespace weft
