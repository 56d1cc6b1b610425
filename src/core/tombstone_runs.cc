#include "core/tombstone_runs.h"

#include <algorithm>
#include <stdexcept>

#include "core/branch.h"
#include "core/seq_index.h"
#include "core/struct_store.h"
#include "weft/doc.h"

namespace weft {

// The packed form of a run's members: the run's clients (varUint count, then
// each as a varUint), then per member in list order
// - a header byte: bits 0-3 the member's client (its slot in that table),
//   bits 4-5 its origin (0 none, 1 the previous member's last id, 2 written
//   out), bits 6-7 its right origin (0 none, 1 the previous member's, 2
//   written out);
// - its clock, zigzag, relative to where its client's previous member in the
//   run ended (0 for the first);
// - its length;
// - a written-out origin and right origin: client, clock.
// Members of a run of typed-then-deleted text take 3 or 4 bytes.

namespace {

constexpr size_t kMaxRunClients = 16;  // slots in the header's 4 bits

void put(std::vector<uint8_t>& out, uint64_t n) {
  while (n > 0x7f) {
    out.push_back(static_cast<uint8_t>(0x80 | (n & 0x7f)));
    n >>= 7;
  }
  out.push_back(static_cast<uint8_t>(n));
}

// The bytes were written by put() in this process: a malformed run is a bug,
// not input, hence logic_error rather than a Status.
uint64_t get(const std::vector<uint8_t>& in, size_t& at) {
  uint64_t n = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at >= in.size()) throw std::logic_error("tombstone run: truncated");
    const uint8_t b = in[at++];
    n |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return n;
  }
  throw std::logic_error("tombstone run: varUint too long");
}

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

std::unique_ptr<std::vector<uint8_t>> encode_members(const std::vector<Item*>& members) {
  std::vector<uint64_t> clients;
  for (const Item* m : members) {
    if (std::find(clients.begin(), clients.end(), m->id.client) == clients.end()) clients.push_back(m->id.client);
  }
  auto out = std::make_unique<std::vector<uint8_t>>();
  out->reserve(8 + 5 * clients.size() + 5 * members.size());
  put(*out, clients.size());
  for (uint64_t c : clients) put(*out, c);
  uint64_t expected[kMaxRunClients] = {};
  const Item* prev = nullptr;
  for (const Item* m : members) {
    const auto slot = static_cast<size_t>(std::find(clients.begin(), clients.end(), m->id.client) - clients.begin());
    const uint8_t origin_mode = !m->origin ? 0 : (prev != nullptr && *m->origin == prev->last_id()) ? 1 : 2;
    const uint8_t right_mode = !m->right_origin ? 0 : (prev != nullptr && m->right_origin == prev->right_origin) ? 1 : 2;
    out->push_back(static_cast<uint8_t>(slot | (origin_mode << 4) | (right_mode << 6)));
    put(*out, zigzag(static_cast<int64_t>(m->id.clock - expected[slot])));
    put(*out, m->length);
    expected[slot] = m->id.clock + m->length;
    if (origin_mode == 2) {
      put(*out, m->origin->client);
      put(*out, m->origin->clock);
    }
    if (right_mode == 2) {
      put(*out, m->right_origin->client);
      put(*out, m->right_origin->clock);
    }
    prev = m;
  }
  out->shrink_to_fit();
  return out;
}

// A tombstone that may join a run (see freeze_tombstone_runs).
bool freezable(StructStore& store, const Item* x) {
  return x->deleted && !x->is_gc && !x->keep && !x->is_run && x->parent_sub() == nullptr && x->type() == nullptr &&
         std::holds_alternative<ContentDeleted>(x->content) && x->id.clock + x->length < store.state(x->id.client);
}

// Points the member's place in its client's blocks at `item`.
void repoint(StructStore& store, ID member, Item* item) {
  StructStore::Blocks& blocks = *store.blocks(member.client);
  // The clock arrays alone: a thaw may run inside a merge walk that has set
  // merged-away slots to null (try_merge_with_lefts), the last one included.
  const size_t i = blocks.find(member.clock);
  if (blocks.clock_at(i) != member.clock) throw std::logic_error("tombstone run: member not at a block start");
  blocks[i] = item;
}

// Makes members[0] the run of members (at least two, neighbours in list order).
void form_run(StructStore& store, const std::vector<Item*>& members) {
  Item* run = members[0];
  Branch* parent = run->parent;
  SeqIndex* index = parent->seq_index.get();
  auto bytes = encode_members(members);
  for (size_t i = 1; i < members.size(); i++) {
    Item* m = members[i];
    if (index != nullptr) index->on_merge(run, m);  // told before the links change, as Item::try_merge does
    run->right = m->right;
    if (run->right != nullptr) run->right->left = run;
    repoint(store, m->id, run);
    store.pool().destroy(m);
  }
  run->id = ID{kRunClient, 0};
  run->length = 0;
  run->origin.reset();
  run->right_origin.reset();
  run->content = ContentDeleted{0};
  run->keep = true;
  run->is_run = true;
  run->set_run_bytes(std::move(bytes));
}

size_t freeze_list(StructStore& store, Branch& branch);

// Freezes the list of the type `item` holds, if any.
size_t freeze_nested(StructStore& store, const Item* item) {
  return item->type() != nullptr ? freeze_list(store, *item->type()) : 0;
}

// Freezes the branch's list and the types inside it; returns how many items it put into runs.
size_t freeze_list(StructStore& store, Branch& branch) {
  size_t frozen = 0;
  std::vector<Item*> members;
  std::vector<uint64_t> clients;
  bool formed = false;
  for (Item* it = branch.start; it != nullptr;) {
    if (!freezable(store, it)) {
      frozen += freeze_nested(store, it);
      it = it->right;
      continue;
    }
    members.clear();
    clients.clear();
    for (Item* m = it; m != nullptr && members.size() < kMaxRunMembers && freezable(store, m); m = m->right) {
      if (std::find(clients.begin(), clients.end(), m->id.client) == clients.end()) {
        if (clients.size() == kMaxRunClients) break;
        clients.push_back(m->id.client);
      }
      members.push_back(m);
    }
    if (members.size() < 2) {  // one member saves nothing
      it = it->right;
      continue;
    }
    form_run(store, members);
    formed = true;
    frozen += members.size();
    it = it->right;  // `it` is the run now
  }
  for (auto& [key, last] : branch.map) {
    for (const Item* it = last; it != nullptr; it = it->left) frozen += freeze_nested(store, it);
  }
  if (formed) branch.clear_marker();
  return frozen;
}

}  // namespace

void decode_run(const Item& run, std::vector<RunMember>& out) {
  out.clear();
  const std::vector<uint8_t>* bytes = run.run_bytes();
  if (!run.is_run || bytes == nullptr) throw std::logic_error("tombstone run: not a run");
  const std::vector<uint8_t>& in = *bytes;
  size_t at = 0;
  const uint64_t n_clients = get(in, at);
  if (n_clients == 0 || n_clients > kMaxRunClients) throw std::logic_error("tombstone run: bad client count");
  uint64_t clients[kMaxRunClients];
  uint64_t expected[kMaxRunClients] = {};
  for (uint64_t i = 0; i < n_clients; i++) clients[i] = get(in, at);
  while (at < in.size()) {
    const uint8_t header = in[at++];
    const size_t slot = header & 0x0f;
    if (slot >= n_clients) throw std::logic_error("tombstone run: bad client slot");
    RunMember m;
    m.id.client = clients[slot];
    m.id.clock = expected[slot] + static_cast<uint64_t>(unzigzag(get(in, at)));
    m.length = get(in, at);
    expected[slot] = m.id.clock + m.length;
    switch ((header >> 4) & 3) {
      case 1:
        if (out.empty()) throw std::logic_error("tombstone run: no previous member");
        m.origin = ID{out.back().id.client, out.back().id.clock + out.back().length - 1};
        break;
      case 2: {
        const uint64_t client = get(in, at);
        m.origin = ID{client, get(in, at)};
        break;
      }
      default:
        break;
    }
    switch (header >> 6) {
      case 1:
        if (out.empty()) throw std::logic_error("tombstone run: no previous member");
        m.right_origin = out.back().right_origin;
        break;
      case 2: {
        const uint64_t client = get(in, at);
        m.right_origin = ID{client, get(in, at)};
        break;
      }
      default:
        break;
    }
    out.push_back(m);
  }
}

size_t freeze_tombstone_runs(Doc& doc) {
  StructStore& store = doc.store();
  size_t frozen = 0;
  for (const std::string& name : doc.root_names()) {
    if (Branch* root = doc.root(name)) frozen += freeze_list(store, *root);
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

Item* thaw_run(StructStore& store, Item* run) {
  if (!run->is_run) return run;
  thread_local std::vector<RunMember> members;
  decode_run(*run, members);
  const RunMember& first = members[0];
  run->take_run_bytes();
  run->id = first.id;
  run->length = first.length;
  run->origin = first.origin;
  run->right_origin = first.right_origin;
  run->content = ContentDeleted{first.length};
  run->keep = false;
  run->is_run = false;
  Branch* parent = run->parent;
  SeqIndex* index = parent->seq_index.get();
  Item* prev = run;
  for (size_t i = 1; i < members.size(); i++) {
    const RunMember& r = members[i];
    Item* m = store.pool().make();
    m->id = r.id;
    m->length = r.length;
    m->origin = r.origin;
    m->right_origin = r.right_origin;
    m->parent = parent;
    m->content = ContentDeleted{r.length};
    m->deleted = true;
    m->left = prev;
    m->right = prev->right;
    prev->right = m;
    if (m->right != nullptr) m->right->left = m;
    if (index != nullptr) index->on_split(prev, m);
    repoint(store, r.id, m);
    prev = m;
  }
  return prev;
}

const Item& RunReader::member(const BlockArray& blocks, size_t i, uint64_t client, const Item* block) {
  if (decoded_ != block) {
    decode_run(*block, members_);
    decoded_ = block;
    next_ = 0;
  }
  const uint64_t clock = blocks.clock_at(i);
  for (size_t k = 0; k < members_.size(); k++) {
    const size_t j = (next_ + k) % members_.size();
    const RunMember& m = members_[j];
    if (m.id.clock != clock || m.id.client != client) continue;
    next_ = j + 1;
    view_.id = m.id;
    view_.length = m.length;
    view_.origin = m.origin;
    view_.right_origin = m.right_origin;
    view_.parent = block->parent;
    view_.content = ContentDeleted{m.length};
    view_.deleted = true;
    return view_;
  }
  throw std::logic_error("tombstone run: block not among the run's members");
}

}  // namespace weft
