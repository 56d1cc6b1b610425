#include "core/list_order_load.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/branch.h"
#include "core/load_paths.h"
#include "core/struct_store.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "encoding/struct_reader.h"
#include "encoding/update_codec_impl.h"
#include "encoding/utf.h"
#include "weft/doc.h"

namespace weft {

namespace {

constexpr uint32_t kNone = UINT32_MAX;
constexpr uint32_t kMaxClients = uint32_t{1} << 20;
constexpr uint32_t kMaxRoots = 255;
constexpr uint64_t kMaxNodes = (uint64_t{1} << 30) - 1;  // BuildNode's next holds 30 bits
constexpr uint64_t kMaxClock = UINT32_MAX;
// How far ahead the walks over nodes ask memory for what they will read.
constexpr uint32_t kAhead = 16;

// A struct of the update, in update order (clients' sections one after the
// other, each in clock order): node i + 1 of the same client starts where
// node i ends, so lengths and ids need no field of their own.
// Its first clock is kept apart (NodeTable::clock): the lookups by id
// search clocks alone.
struct Node {
  uint32_t next = kNone;    // list order, once integrated
  uint32_t bits = 0;        // client slot, root, flags (below)
  uint32_t origin = kNone;  // the node whose last unit is the origin
  uint32_t right = kNone;   // the node whose first unit is the right origin
};
static_assert(sizeof(Node) == 16);

// What the build reads of a node (Loader::compact): 12 bytes instead of 16,
// so that the nodes beside the runs and Items the build makes, at the
// load's peak, take less. The client slot follows from the node's index.
struct BuildNode {
  uint32_t next;    // bits 0-29: list order (kEndOfList at the end), bits 30-31: kBuilt* flags
  uint32_t origin;  // as in Node; once the node is built, origin and right hold its block
  uint32_t right;
  Item* block() const {
    Item* b;
    std::memcpy(&b, &origin, sizeof b);
    return b;
  }
  void set_block(Item* b) { std::memcpy(&origin, &b, sizeof b); }
};
static_assert(sizeof(BuildNode) == 12 && offsetof(BuildNode, right) == offsetof(BuildNode, origin) + 4);
constexpr uint32_t kEndOfList = (uint32_t{1} << 30) - 1;
constexpr uint32_t kBuiltDeleted = 1u << 30;
constexpr uint32_t kBuiltCountable = 1u << 31;

constexpr uint32_t kSlotMask = kMaxClients - 1;  // bits 0-19
constexpr int kRootShift = 20;                   // bits 20-27: the root's index
constexpr uint32_t kRootMask = 0xffu << kRootShift;
constexpr uint32_t kNoRoot = kMaxRoots;  // not known yet (an item with origins)
constexpr uint32_t kDeleted = 1u << 28;
constexpr uint32_t kCountable = 1u << 29;  // content other than Deleted (String, Any, ...)
constexpr uint32_t kIntegrated = 1u << 30;
constexpr uint32_t kOnStack = 1u << 31;

// The nodes in chunks of 2^20, appended as the update is read: no
// reallocation, and the build frees them client by client, so that the
// compact array and the finished blocks are not both whole at once.
class NodeTable {
 public:
  Node& operator[](uint32_t i) { return chunks_[i >> kShift].nodes[i & (kChunk - 1)]; }
  // After compact().
  BuildNode& built(uint32_t i) { return chunks_[i >> kShift].built[i & (kChunk - 1)]; }
  uint32_t& clock(uint32_t i) { return chunks_[i >> kShift].clocks[i & (kChunk - 1)]; }
  uint64_t size() const { return size_; }
  // A new node, at clock 0.
  Node& push_back() {
    if ((size_ & (kChunk - 1)) == 0) {
      chunks_.push_back(
          Chunk{std::make_unique<Node[]>(kChunk), std::make_unique<uint32_t[]>(kChunk), nullptr});
    }
    return (*this)[static_cast<uint32_t>(size_++)];
  }
  // Replaces every Node by convert(node), chunk by chunk: at most one
  // chunk more than the Nodes at any time.
  template <typename Convert>
  void compact(Convert&& convert) {
    for (uint64_t c = 0; c < chunks_.size(); c++) {
      const uint64_t n = std::min(kChunk, size_ - c * kChunk);
      chunks_[c].built = std::make_unique_for_overwrite<BuildNode[]>(n);
      for (uint64_t k = 0; k < n; k++) chunks_[c].built[k] = convert(chunks_[c].nodes[k]);
      chunks_[c].nodes.reset();
    }
  }
  // Frees the chunks holding only nodes below `i`.
  void release_before(uint64_t i) {
    for (uint64_t c = 0; (c + 1) * kChunk <= i && c < chunks_.size(); c++) chunks_[c] = Chunk{};
  }

 private:
  static constexpr int kShift = 20;
  static constexpr uint64_t kChunk = uint64_t{1} << kShift;
  struct Chunk {
    std::unique_ptr<Node[]> nodes;
    std::unique_ptr<uint32_t[]> clocks;
    std::unique_ptr<BuildNode[]> built;
  };
  std::vector<Chunk> chunks_;
  uint64_t size_ = 0;
};

struct Client {
  uint64_t id = 0;
  uint32_t first = 0;  // its nodes are [first, end)
  uint32_t end = 0;
  uint64_t clock_end = 0;
};

// The steps of the load; each returns false where the update is not taken.
class Loader {
 public:
  explicit Loader(std::span<const uint8_t> update) : update_(update) {}

  bool read();
  bool read_delete_set();
  bool resolve_origins();
  bool integrate();
  bool nothing_merges();
  // Makes the nodes BuildNodes; call once, after nothing_merges, before build.
  void compact();
  void build(Doc& doc);
  // Clocks in all, and those the delete set covers (read_delete_set).
  uint64_t clocks = 0;
  uint64_t deleted_clocks = 0;

 private:
  template <typename OnSection, typename OnStruct>
  bool scan(OnSection&& on_section, OnStruct&& on_struct);
  // A lookup by id in two steps, so that resolve_origins can make many at
  // once: the window of at most kSample clocks holding `clock`, found among
  // the sampled clocks and asked for from memory; then the search in it.
  struct Window {
    uint64_t clock = 0;
    uint32_t lo = kNone;  // kNone: no such client, or the clock is past its end
    uint32_t hi = 0;
    uint32_t slot = 0;  // the client's
  };
  Window window(uint64_t client, uint64_t clock);
  uint32_t search(const Window& w);
  // The node holding (client, clock), kNone if none.
  uint32_t node_at(uint64_t client, uint64_t clock) { return search(window(client, clock)); }
  uint32_t slot(uint32_t i) {
    if (!compacted_) return nodes_[i].bits & kSlotMask;
    // The client of a 4096-node stretch's first node, then the few after it.
    uint32_t s = first_slot_[i >> kStretchShift];
    while (clients_[s].end <= i) s++;
    return s;
  }
  uint32_t root(uint32_t i) { return (nodes_[i].bits & kRootMask) >> kRootShift; }
  uint64_t length(uint32_t i) { return length(i, clients_[slot(i)]); }
  // length() for a node of client `c` (without reading the node).
  uint64_t length(uint32_t i, const Client& c) {
    return (i + 1 < c.end ? nodes_.clock(i + 1) : c.clock_end) - nodes_.clock(i);
  }
  ID id_of(uint32_t i) { return ID{clients_[slot(i)].id, nodes_.clock(i)}; }
  // A visible node's content (kept by resolve_origins).
  Content& content_of(uint32_t i) {
    return std::lower_bound(contents_.begin(), contents_.end(), i,
                            [](const auto& c, uint32_t node) { return c.first < node; })
        ->second;
  }
  bool integrate_one(uint32_t x);
  Item* make_item(StructStore& store, Branch* parent, uint32_t i, const OptionalID& origin,
                  const OptionalID& right_origin);

  std::span<const uint8_t> update_;
  size_t ds_at_ = 0;
  std::vector<Client> clients_;
  std::unordered_map<uint64_t, uint32_t> slots_;
  uint64_t last_client_ = ~uint64_t{0};  // node_at's last client and its slot
  uint32_t last_slot_ = 0;
  // sampled_[k]: the clock of node k * kSample (read_delete_set fills it).
  static constexpr uint32_t kSample = 32;
  std::vector<uint32_t> sampled_;
  std::vector<std::string> roots_;
  NodeTable nodes_;
  std::vector<uint32_t> heads_;  // per root: its list's first node
  // The visible structs' contents (node, content), in node order.
  std::vector<std::pair<uint32_t, Content>> contents_;
  // After compact(): first_slot_[k] is the slot of node k << kStretchShift.
  static constexpr int kStretchShift = 12;
  bool compacted_ = false;
  std::vector<uint32_t> first_slot_;
  // YATA's conflict scan (entered only for concurrent inserts at one place).
  std::unordered_set<uint32_t> before_origin_, conflicting_;
};

// Walks the struct section: on_section(client, clock, count) per client,
// on_struct(LazyStruct&) per struct; false if either says so, on malformed
// bytes, or for a struct a LazyStruct cannot hold. Sets ds_at_.
template <typename OnSection, typename OnStruct>
bool Loader::scan(OnSection&& on_section, OnStruct&& on_struct) {
  UpdateDecoderV1 dec(update_);
  const uint64_t most = max_structs_for_input(update_.size());
  const uint64_t sections = dec.rest().read_var_uint();
  if (!dec.ok() || sections > most) return false;
  LazyStruct s;
  uint64_t structs = 0;
  for (uint64_t k = 0; k < sections; k++) {
    const uint64_t count = dec.rest().read_var_uint();
    const uint64_t client = dec.read_client();
    uint64_t clock = dec.rest().read_var_uint();
    if (!dec.ok() || count > most - structs) return false;
    structs += count;
    if (!on_section(client, clock, count)) return false;
    for (uint64_t i = 0; i < count; i++) {
      const uint8_t info = dec.read_info();
      if (!read_lazy_struct(dec, info, ID{client, clock}, s) || !dec.ok()) return false;
      if (!on_struct(s)) return false;
      clock += s.length;
    }
  }
  ds_at_ = static_cast<size_t>(dec.rest().position() - update_.data());
  return true;
}

// Every struct as a node (clock, client, content kind, root when on the wire).
bool Loader::read() {
  Client* cur = nullptr;
  std::unordered_map<std::string_view, uint32_t> root_index;
  return scan(
      [&](uint64_t client, uint64_t clock, uint64_t count) {
        // A section not starting at 0 leaves structs missing; one named twice
        // replaces the first in yjs: both for the general path.
        if (clock != 0 || count == 0 || clients_.size() >= kMaxClients || count > kMaxNodes - nodes_.size())
          return false;
        if (!slots_.emplace(client, static_cast<uint32_t>(clients_.size())).second) return false;
        const auto first = static_cast<uint32_t>(nodes_.size());
        clients_.push_back(Client{client, first, static_cast<uint32_t>(first + count), 0});
        cur = &clients_.back();
        return true;
      },
      [&](const LazyStruct& s) {
        // Format (formatting cleanup), Type (nested lists) and Doc
        // (subdocuments) content are left to the general path.
        const bool content_taken = s.ref == ContentRef::kString || s.ref == ContentRef::kDeleted ||
                                   s.ref == ContentRef::kAny || s.ref == ContentRef::kJson ||
                                   s.ref == ContentRef::kBinary || s.ref == ContentRef::kEmbed;
        if (s.kind != StructKind::kItem || !content_taken || s.has_parent_sub || s.length == 0 ||
            s.length > kMaxClock - s.id.clock)
          return false;
        uint32_t root = kNoRoot;
        if (s.has_parent) {
          if (!s.parent_is_name) return false;  // a nested type
          auto [it, added] = root_index.emplace(s.parent_name, static_cast<uint32_t>(roots_.size()));
          if (added) {
            if (roots_.size() == kMaxRoots) return false;
            roots_.emplace_back(s.parent_name);
          }
          root = it->second;
        }
        const auto i = static_cast<uint32_t>(nodes_.size());
        Node& n = nodes_.push_back();
        nodes_.clock(i) = static_cast<uint32_t>(s.id.clock);
        n.bits = static_cast<uint32_t>(cur - clients_.data()) | root << kRootShift;
        if (s.ref != ContentRef::kDeleted) {
          n.bits |= kCountable;
        } else {
          n.bits |= kDeleted;
        }
        cur->clock_end = s.id.clock + s.length;
        return true;
      });
}

Loader::Window Loader::window(uint64_t client, uint64_t clock) {
  Window w;
  w.clock = clock;
  if (client != last_client_) {
    auto it = slots_.find(client);
    if (it == slots_.end()) return w;
    last_client_ = client;
    last_slot_ = it->second;
  }
  const Client& c = clients_[last_slot_];
  if (clock >= c.clock_end) return w;
  // The sampled clocks of the client's nodes (contiguous, mostly cached):
  // the last at or before `clock` starts the window.
  uint32_t lo = c.first, hi = c.end;
  uint32_t slo = (c.first + kSample - 1) / kSample, shi = (c.end - 1) / kSample + 1;
  if (slo < shi && sampled_[slo] <= clock) {
    while (shi - slo > 1) {
      const uint32_t mid = slo + (shi - slo) / 2;
      if (sampled_[mid] <= clock) {
        slo = mid;
      } else {
        shi = mid;
      }
    }
    lo = slo * kSample;
    hi = std::min(c.end, lo + kSample);
  } else if (slo < shi) {
    hi = std::min(c.end, slo * kSample);
  }
  w.lo = lo;
  w.hi = hi;
  w.slot = last_slot_;
  __builtin_prefetch(&nodes_.clock(lo));
  __builtin_prefetch(&nodes_.clock(hi - 1));
  return w;
}

// The last node of the window starting at or before its clock.
uint32_t Loader::search(const Window& w) {
  if (w.lo == kNone) return kNone;
  uint32_t lo = w.lo, hi = w.hi;
  while (hi - lo > 1) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (nodes_.clock(mid) <= w.clock) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// Marks the deleted nodes; every range must cover whole structs of the
// update (a state's ranges do: deleting splits items first).
bool Loader::read_delete_set() {
  sampled_.resize((nodes_.size() + kSample - 1) / kSample);
  for (size_t k = 0; k < sampled_.size(); k++) sampled_[k] = nodes_.clock(static_cast<uint32_t>(k * kSample));
  UpdateDecoderV1 dec(update_.subspan(ds_at_));
  DeleteSet ds = DeleteSet::read(dec);
  if (!dec.ok() || dec.rest().remaining() != 0) return false;
  ds.sort_and_merge();
  for (const auto& [client, ranges] : ds.clients()) {
    for (const DeleteRange& r : ranges) {
      uint32_t i = node_at(client, r.clock);
      if (i == kNone || nodes_.clock(i) != r.clock) return false;
      const Client& c = clients_[slot(i)];
      if (r.len > c.clock_end - r.clock) return false;
      const uint64_t end = r.clock + r.len;
      for (; i < c.end && nodes_.clock(i) < end; i++) nodes_[i].bits |= kDeleted;
      if ((i < c.end ? nodes_.clock(i) : c.clock_end) != end) return false;
    }
  }
  for (const Client& c : clients_) {
    clocks += c.clock_end;
    for (uint32_t i = c.first; i < c.end; i++) deleted_clocks += nodes_[i].bits & kDeleted ? length(i) : 0;
  }
  return true;
}

// Points every node at its origin's and right origin's nodes (an origin must
// be a struct's last unit, a right origin a struct's first) and keeps the
// visible structs' contents.
bool Loader::resolve_origins() {
  // Each struct's lookups are finished kDepth structs later, their windows
  // fetched meanwhile (the origins of random edits lie all over memory).
  struct Pending {
    uint32_t node = kNone;
    bool has_origin = false, has_right = false;
    Window origin, right;
  };
  constexpr uint32_t kDepth = 16;
  Pending ring[kDepth];
  auto finish = [&](const Pending& p) {
    if (p.node == kNone) return true;
    Node& n = nodes_[p.node];
    if (p.has_origin) {
      const uint32_t o = search(p.origin);
      if (o == kNone || p.origin.clock != nodes_.clock(o) + length(o, clients_[p.origin.slot]) - 1)
        return false;
      n.origin = o;
    }
    if (p.has_right) {
      const uint32_t r = search(p.right);
      if (r == kNone || p.right.clock != nodes_.clock(r)) return false;
      n.right = r;
    }
    return true;
  };
  uint32_t i = 0;
  const bool read =
      scan([](uint64_t, uint64_t, uint64_t) { return true; },
           [&](const LazyStruct& s) {
             const uint32_t at = i++;
             // The contents the build needs: the visible ones only (most
             // strings of a state made without gc are deleted).
             if ((nodes_[at].bits & (kCountable | kDeleted)) == kCountable) {
               if (s.ref != ContentRef::kString) {
                 contents_.emplace_back(at, s.other);
               } else if (std::optional<std::u16string> text = utf8_to_utf16(s.text)) {
                 contents_.emplace_back(at, ContentString{Utf16Text(*text)});
               } else {
                 return false;
               }
             }
             // A later clock of its own client: JS throws while applying,
             // and the general path rejects the update (read_update.cc).
             auto later = [&](const ID& ref) { return ref.client == s.id.client && ref.clock >= s.id.clock; };
             if ((s.has_origin && later(s.origin)) || (s.has_right_origin && later(s.right_origin)))
               return false;
             Pending& p = ring[at % kDepth];
             if (!finish(p)) return false;
             p.node = at;
             p.has_origin = s.has_origin;
             p.has_right = s.has_right_origin;
             if (s.has_origin) p.origin = window(s.origin.client, s.origin.clock);
             if (s.has_right_origin) p.right = window(s.right_origin.client, s.right_origin.clock);
             return true;
           });
  if (!read) return false;
  for (uint32_t k = 0; k < kDepth; k++) {
    if (!finish(ring[(i + k) % kDepth])) return false;
  }
  return true;
}

// YATA (yjs Item.integrate) for node x, whose origins are integrated.
bool Loader::integrate_one(uint32_t x) {
  Node& nx = nodes_[x];
  uint32_t r = root(x);
  if (nx.origin != kNone) {
    r = root(nx.origin);
  } else if (nx.right != kNone) {
    r = root(nx.right);
  }
  if (r == kNoRoot) return false;  // no origins and no parent: malformed
  nx.bits = (nx.bits & ~kRootMask) | r << kRootShift;
  uint32_t left = nx.origin;
  uint32_t o = left != kNone ? nodes_[left].next : heads_[r];
  if (o != nx.right) {
    // Concurrent inserts between the origins: the conflict rules.
    before_origin_.clear();
    conflicting_.clear();
    const uint64_t client = clients_[slot(x)].id;
    while (o != kNone && o != nx.right) {
      const Node& no = nodes_[o];
      before_origin_.insert(o);
      conflicting_.insert(o);
      if (no.origin == nx.origin) {
        if (clients_[slot(o)].id < client) {
          left = o;
          conflicting_.clear();
        } else if (no.right == nx.right) {
          break;
        }
      } else if (no.origin != kNone && before_origin_.count(no.origin) != 0) {
        if (conflicting_.count(no.origin) == 0) {
          left = o;
          conflicting_.clear();
        }
      } else {
        break;
      }
      o = no.next;
    }
    if (before_origin_.bucket_count() > 4096) {  // clear() costs per bucket
      before_origin_ = {};
      conflicting_ = {};
    }
  }
  if (left != kNone) {
    nx.next = nodes_[left].next;
    nodes_[left].next = x;
  } else {
    nx.next = heads_[r];
    heads_[r] = x;
  }
  nx.bits |= kIntegrated;
  return true;
}

// Integrates every node after its origins and its client's previous node
// (any such order gives yjs's list order); false on a cycle (structs
// waiting on each other: yjs leaves them pending).
bool Loader::integrate() {
  heads_.assign(roots_.size(), kNone);
  std::vector<uint32_t> stack;
  for (uint64_t start = 0; start < nodes_.size(); start++) {
    // Most nodes integrate in update order: the origins a few ahead will be
    // read soon (they lie all over the table for random edits).
    if (start + kAhead < nodes_.size()) {
      const Node& ahead = nodes_[static_cast<uint32_t>(start + kAhead)];
      if (ahead.origin != kNone) __builtin_prefetch(&nodes_[ahead.origin]);
      if (ahead.right != kNone) __builtin_prefetch(&nodes_[ahead.right]);
    }
    if (nodes_[static_cast<uint32_t>(start)].bits & kIntegrated) continue;
    stack.push_back(static_cast<uint32_t>(start));
    nodes_[static_cast<uint32_t>(start)].bits |= kOnStack;
    while (!stack.empty()) {
      const uint32_t x = stack.back();
      const Node& nx = nodes_[x];
      // As in yjs, a client's structs also integrate in clock order: a
      // cycle through that order leaves the update pending there.
      const uint32_t before = x > clients_[slot(x)].first ? x - 1 : kNone;
      uint32_t dep = kNone;
      for (uint32_t d : {before, nx.origin, nx.right}) {
        if (d != kNone && !(nodes_[d].bits & kIntegrated)) {
          dep = d;
          break;
        }
      }
      if (dep != kNone) {
        if (nodes_[dep].bits & kOnStack) return false;
        nodes_[dep].bits |= kOnStack;
        stack.push_back(dep);
        continue;
      }
      if (!integrate_one(x)) return false;
      nodes_[x].bits &= ~kOnStack;
      stack.pop_back();
    }
  }
  return true;
}

// The blocks the general path would merge after the load (bulk_load.cc:
// a client's neighbours in clock order, also neighbours in the list, the
// right one's origin the left one's end, the same right origin and the
// same deletion): such updates are left to it.
bool Loader::nothing_merges() {
  for (const Client& c : clients_) {
    for (uint32_t i = c.first; i + 1 < c.end; i++) {
      const Node& a = nodes_[i];
      const Node& b = nodes_[i + 1];
      if (a.next != i + 1 || b.origin != i || a.right != b.right ||
          (a.bits & kDeleted) != (b.bits & kDeleted))
        continue;
      if (a.bits & kDeleted) return false;  // both collected: Deleted content merges
      // Visible: whether content_merge would join them (on copies: such
      // neighbours are rare, a state's were merged before it was encoded).
      Content left = content_of(i);
      if (content_merge(left, Content(content_of(i + 1)))) return false;
    }
  }
  return true;
}

void Loader::compact() {
  first_slot_.resize((nodes_.size() + (1u << kStretchShift) - 1) >> kStretchShift);
  uint32_t s = 0;
  for (size_t k = 0; k < first_slot_.size(); k++) {
    while (clients_[s].end <= k << kStretchShift) s++;
    first_slot_[k] = s;
  }
  nodes_.compact([](const Node& n) {
    return BuildNode{(n.next == kNone ? kEndOfList : n.next) | (n.bits & kDeleted ? kBuiltDeleted : 0) |
                         (n.bits & kCountable ? kBuiltCountable : 0),
                     n.origin, n.right};
  });
  compacted_ = true;
}

Item* Loader::make_item(StructStore& store, Branch* parent, uint32_t i, const OptionalID& origin,
                        const OptionalID& right_origin) {
  Item* item = store.pool().make();
  item->id = id_of(i);
  item->length = length(i);
  item->origin = origin;
  item->right_origin = right_origin;
  item->parent = parent;
  const uint32_t flags = nodes_.built(i).next;
  // As after the general path's collection: deleted countable content keeps
  // counting as countable, its content gone.
  item->countable = (flags & kBuiltCountable) != 0;
  if (flags & kBuiltDeleted) {
    item->deleted = true;
    item->content = ContentDeleted{item->length};
  } else {
    item->content = std::move(content_of(i));
  }
  return item;
}

// Builds each root's list in the order found, runs for stretches of
// tombstones, then every client's blocks.
void Loader::build(Doc& doc) {
  StructStore& store = doc.store();
  RunMember members[kMaxRunMembers];
  uint32_t member_nodes[kMaxRunMembers];
  size_t n_members = 0;
  for (size_t r = 0; r < roots_.size(); r++) {
    Branch* branch = doc.get_or_create_root(roots_[r], std::nullopt);
    Item* prev = nullptr;
    auto link = [&](Item* block) {
      block->left = prev;
      if (prev != nullptr) {
        prev->right = block;
      } else {
        branch->start = block;
      }
      prev = block;
    };
    auto flush = [&] {
      if (n_members >= 2) {
        Item* run = make_tombstone_run(std::span<const RunMember>(members, n_members), branch);
        link(run);
        for (size_t k = 0; k < n_members; k++) nodes_.built(member_nodes[k]).set_block(run);
      } else if (n_members == 1) {
        const RunMember& m = members[0];
        Item* item = make_item(store, branch, member_nodes[0], m.origin, m.right_origin);
        link(item);
        nodes_.built(member_nodes[0]).set_block(item);
      }
      n_members = 0;
    };
    // A walk kAhead nodes ahead on the list asks for what the build of
    // each will read (its clock, its origins' nodes and clocks): the list
    // order is random in memory for random edits.
    uint32_t ahead = heads_[r];
    auto step_ahead = [&] {
      if (ahead == kNone) return;
      const BuildNode& a = nodes_.built(ahead);
      __builtin_prefetch(&nodes_.clock(ahead));
      for (uint32_t d : {a.origin, a.right}) {
        if (d == kNone) continue;
        __builtin_prefetch(&nodes_.built(d));
        __builtin_prefetch(&nodes_.clock(d));
      }
      ahead = (a.next & kEndOfList) == kEndOfList ? kNone : a.next & kEndOfList;
    };
    for (uint32_t k = 0; k < kAhead; k++) step_ahead();
    for (uint32_t i = heads_[r]; i != kNone;) {
      step_ahead();
      BuildNode& n = nodes_.built(i);
      const uint32_t next = (n.next & kEndOfList) == kEndOfList ? kNone : n.next & kEndOfList;
      OptionalID origin, right_origin;
      if (n.origin != kNone)
        origin = ID{clients_[slot(n.origin)].id, nodes_.clock(n.origin) + length(n.origin) - 1};
      if (n.right != kNone) right_origin = id_of(n.right);
      const Client& c = clients_[slot(i)];
      // freezable (tombstone_runs.cc): a tombstone, not its client's last block.
      if ((n.next & kBuiltDeleted) && i + 1 < c.end) {
        if (n_members == kMaxRunMembers) flush();
        members[n_members] = RunMember{id_of(i), length(i), origin, right_origin};
        member_nodes[n_members++] = i;
      } else {
        flush();
        Item* item = make_item(store, branch, i, origin, right_origin);
        if (item->visible()) branch->length += item->length;
        link(item);
        n.set_block(item);
      }
      i = next;
    }
    flush();
  }
  std::vector<std::pair<uint32_t, Content>>().swap(contents_);
  // Each client's blocks, in clock order; the nodes go as they are passed.
  for (const Client& c : clients_) {
    StructStore::Blocks& blocks = store.new_client_blocks(c.id);
    for (uint32_t i = c.first; i < c.end; i++) blocks.push_back(nodes_.built(i).block(), nodes_.clock(i));
    nodes_.release_before(c.end);
  }
}

}  // namespace

ListOrderLoad load_in_list_order(Doc& doc, std::span<const uint8_t> update, const std::string& origin) {
  Loader loader(update);
  if (!loader.read() || !loader.read_delete_set()) return ListOrderLoad::kNotTaken;
  if (loader.deleted_clocks * 2 < loader.clocks) return ListOrderLoad::kMostlyVisible;
  if (!loader.resolve_origins() || !loader.integrate() || !loader.nothing_merges())
    return ListOrderLoad::kNotTaken;
  doc.transact(
      [&](Transaction& txn) {
        txn.local = false;
        loader.compact();
        loader.build(doc);
        txn.bulk_loaded = true;
      },
      origin);
  list_order_loads_done.fetch_add(1, std::memory_order_relaxed);
  return ListOrderLoad::kLoaded;
}

}  // namespace weft
