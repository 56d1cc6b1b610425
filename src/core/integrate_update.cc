// Integrating a read update (ReadStructs, read_structs.h) into the document:
// yjs src/utils/encoding.js integrateStructs (Item.getMissing, the
// dependency stack, the rest left pending), a load into an empty document
// and the keystroke's in-order case beside it, and DeleteSet.js
// readAndApplyDeleteSet.
#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "core/branch.h"
#include "core/events.h"
#include "core/integrate.h"
#include "core/load_paths.h"
#include "core/read_structs.h"
#include "core/struct_store.h"
#include "core/text_ops.h"
#include "core/transaction.h"
#include "core/write_update.h"
#include "encoding/update_codec.h"
#include "weft/doc.h"

namespace weft {

namespace {

// The block ending at `id`, split off if needed (StructStore::get_item_clean_end),
// checking first the client's last block: an item's origin is often the
// newest block of its client (typing), and that needs no search. With
// `search_directly` (a big update: the origins of a loaded state point all
// over the document) an origin before the last block is found by the
// array's search without first trying the remembered position, which the
// previous, unrelated origin left there.
Item* block_ending_at(Transaction& txn, StructStore& store, ID id, bool search_directly) {
  if (StructStore::Blocks* blocks = store.blocks(id.client); blocks != nullptr && !blocks->empty()) {
    Item* last = blocks->back();
    if (last->id.clock + last->length - 1 == id.clock) return last;
    if (search_directly && id.clock < last->id.clock) {
      // Blocks are contiguous from clock 0, so find() holds for any clock below the last block's.
      return StructStore::clean_end_at(txn, *blocks, blocks->find(id.clock), id);
    }
  }
  return store.get_item_clean_end(txn, id);
}

// Item.getMissing: the client of a missing dependency, or resolves the
// item's neighbours and parent (splitting neighbours as needed).
std::optional<uint64_t> get_missing(Transaction& txn, ReadStructs& rs, const Ref& ref) {
  Item* item = ref.item;
  if (item->is_gc) return std::nullopt;
  StructStore& store = txn.doc.store();
  const uint64_t client = item->id.client;
  auto missing = [&](const ID& dep) { return dep.client != client && dep.clock >= store.state(dep.client); };
  const ID* parent_id = ref.parent_kind() == Ref::kIdParent ? &rs.parent_ids[ref.index()] : nullptr;
  if (item->origin && missing(*item->origin)) return item->origin->client;
  if (item->right_origin && missing(*item->right_origin)) return item->right_origin->client;
  if (parent_id != nullptr && missing(*parent_id)) return parent_id->client;

  Item* left = nullptr;
  Item* right = nullptr;
  if (item->origin) {
    left = block_ending_at(txn, store, *item->origin, rs.many_structs);
    item->origin = left->last_id();
  }
  if (item->right_origin) {
    // Typing: the right origin is the block right after the origin, already
    // starting at that clock (no search, nothing to split).
    Item* next = left != nullptr ? left->right : nullptr;
    if (next != nullptr && next->id == *item->right_origin) {
      right = next;
    } else {
      right = store.get_item_clean_start(txn, *item->right_origin);
    }
    item->right_origin = right->id;
  }
  Branch* parent = nullptr;
  if ((left != nullptr && left->is_gc) || (right != nullptr && right->is_gc)) {
    parent = nullptr;
  } else if (ref.parent_kind() == Ref::kNoParent) {
    Item* from = left != nullptr ? left : right;
    if (from != nullptr) {
      parent = from->parent;
      item->set_parent_sub(from->parent_sub());
    }
  } else if (parent_id != nullptr) {
    Item* parent_item = store.find(*parent_id);
    // A collected type keeps its Branch for handles, but its content is Deleted: no parent.
    bool is_type = !parent_item->is_gc && content_is<ContentType>(parent_item->content);
    parent = is_type ? parent_item->type() : nullptr;
  } else {
    parent = rs.roots[ref.index()];
  }
  item->left = left;
  item->right = right;
  item->parent = parent;
  item->seq_chunk = 0;  // the Ref's parent kind, read above: from now on the parent's index owns it
  return std::nullopt;
}

}  // namespace

// Remote typing fast path (the counterpart of text_ops.cc's local one). A
// string item whose resolved left neighbour is its own client's last block,
// ending right before it, visible, with the same right neighbour and right
// origin, would be linked in without a conflict scan and merged into that
// block by the transaction cleanup (yjs tryMergeWithLefts). Appending its
// text in place gives the same store, events-free transaction result and
// encoded bytes. Not taken when someone observes the type (their event
// delta needs the run as its own item), for formatted text, across
// surrogate halves (a later split there would differ), or for map entries.
//
// extendable checks the conditions on the left block for an item of its
// client starting where it ends, whose resolved right neighbour is `right`
// and right origin `right_origin`, with `text`: the block's string content,
// or null. extend_block appends the text.
ContentString* extendable(StructStore& store, Item* left, const Item* right, const OptionalID& right_origin,
                          std::u16string_view text) {
  if (left->right != right || left->parent == nullptr || left->parent_sub() || left->deleted || left->is_gc ||
      left->keep || !(left->right_origin == right_origin))
    return nullptr;
  auto* own = std::get_if<ContentString>(&left->content);
  if (own == nullptr || text.empty() || own->text.empty()) return nullptr;
  const Branch* parent = left->parent;
  if (parent->has_formatting || parent->is_deleted() || has_listeners(parent)) return nullptr;
  StructStore::Blocks* blocks = store.blocks(left->id.client);
  if (blocks == nullptr || blocks->back() != left) return nullptr;
  char16_t last = own->text.back();
  char16_t first = text.front();
  if ((last >= 0xD800 && last < 0xDC00) || (first >= 0xDC00 && first < 0xE000)) return nullptr;
  return own;
}

void extend_block(StructStore& store, Item* left, ContentString& own, std::u16string_view text) {
  const uint64_t n = text.size();
  store.note_state_change(*store.blocks(left->id.client), left->id.client, left->id.clock + left->length);
  own.text += text;
  left->length += n;
  Branch* parent = left->parent;
  parent->length += n;
  if (parent->seq_index) parent->seq_index->on_visible_change(left, static_cast<int64_t>(n));
  parent->clear_marker();
}

bool try_extend_block(Transaction& txn, Item* left, const Item* right, const OptionalID& right_origin,
                      std::u16string_view text) {
  ContentString* own = extendable(txn.doc.store(), left, right, right_origin, text);
  if (own == nullptr) return false;
  extend_block(txn.doc.store(), left, *own, text);
  txn.add_changed_type(left->parent, nullptr);
  return true;
}

namespace {

// The same for a read item (resolved by get_missing). On success the item is
// left to the caller to destroy.
bool try_extend_remote_item(Transaction& txn, Item* item) {
  Item* left = item->left;
  if (left == nullptr || item->parent == nullptr || item->parent_sub() || left->parent != item->parent ||
      left->id.client != item->id.client || left->id.clock + left->length != item->id.clock)
    return false;
  auto* add = std::get_if<ContentString>(&item->content);
  if (add == nullptr) return false;
  return try_extend_block(txn, left, item->right, item->right_origin, add->text.view());
}

void integrate_block(Transaction& txn, Item* item, uint64_t offset) {
  if (item->is_gc) {
    if (offset > 0) {
      item->id.clock += offset;
      item->length -= offset;
      std::get<ContentDeleted>(item->content).len = item->length;
    }
    txn.doc.store().add(item);
    return;
  }
  if (offset == 0 && try_extend_remote_item(txn, item)) {
    txn.doc.store().pool().destroy(item);
    return;
  }
  integrate_item(txn, item, offset);
}

// integrate_in_order takes updates of up to this many structs (keystrokes);
// bigger ones go through integrate_structs, which frees its refs as it goes.
constexpr size_t kInOrderMaxStructs = 64;

// Writes one not yet integrated struct (Item.write / GC.write / Skip.write).
void write_ref(UpdateEncoder& enc, const ReadStructs& rs, const Ref& ref) {
  const Item& item = *ref.item;
  if (ref.is_skip()) {
    enc.write_info(10);
    enc.rest().write_var_uint(item.length);  // always in the rest stream, also in v2
    return;
  }
  if (item.is_gc || item.origin || item.right_origin) {
    write_item(enc, item, 0);  // the parent is not written
    return;
  }
  enc.write_info(static_cast<uint8_t>((static_cast<uint8_t>(content_ref(item.content)) & 0x1f) |
                                      (item.parent_sub() ? 0x20 : 0)));
  if (ref.parent_kind() == Ref::kRootParent) {
    enc.write_parent_info(true);
    enc.write_string(std::string_view(rs.root_names[ref.index()]));
  } else {
    enc.write_parent_info(false);
    enc.write_left_id(rs.parent_ids[ref.index()]);
  }
  if (item.parent_sub()) enc.write_string(std::string_view(*item.parent_sub()));
  write_content(enc, item.content, 0);
}

// Writes leftover structs per client (descending) followed by an empty delete set.
UpdateBytes encode_rest(const ReadStructs& rs, const std::map<uint64_t, std::vector<Ref>>& rest) {
  auto enc = make_update_encoder(UpdateFormat::kV2);
  enc->rest().write_var_uint(rest.size());
  for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
    const auto& refs = it->second;
    enc->rest().write_var_uint(refs.size());
    enc->write_client(it->first);
    enc->rest().write_var_uint(refs.front().item->id.clock);
    for (const Ref& ref : refs) write_ref(*enc, rs, ref);
  }
  enc->rest().write_var_uint(0);
  return enc->finish();
}

}  // namespace

std::optional<RestStructs> integrate_structs(Transaction& txn, ReadStructs& rs) {
  StructStore& store = txn.doc.store();
  std::span<ClientRefs> clients = rs.clients();
  // Indexes into `clients` (ascending client); processed from the back (highest client first).
  std::vector<size_t>& ids = rs.ids;
  for (size_t k = 0; k < clients.size(); k++) ids.push_back(k);
  std::map<uint64_t, std::vector<Ref>> rest;  // non-owning: the items stay in `rs`
  std::map<uint64_t, uint64_t> missing_sv;
  auto update_missing = [&](uint64_t client, uint64_t clock) {
    auto [it, inserted] = missing_sv.emplace(client, clock);
    if (!inserted && it->second > clock) it->second = clock;
  };
  auto next_target = [&]() -> ClientRefs* {
    while (!ids.empty()) {
      ClientRefs& cr = clients[ids.back()];
      if (cr.i < cr.refs.size()) return &cr;
      ids.pop_back();
    }
    return nullptr;
  };
  ClientRefs* target = next_target();
  if (target == nullptr) return std::nullopt;

  std::vector<Ref*>& stack = rs.stack;
  LocalStates& state = rs.states;
  // Moves the stacked structs' clients (from the blocked struct on) to `rest`.
  auto add_stack_to_rest = [&]() {
    for (Ref* ref : stack) {
      uint64_t client = ref->item->id.client;
      ClientRefs* cr = rs.find(client);
      if (cr != nullptr && !cr->removed) {
        cr->i--;
        std::vector<Ref>& moved = rest[client];
        moved.clear();
        for (size_t k = cr->i; k < cr->refs.size(); k++) moved.push_back(cr->refs[k]);
        cr->removed = true;
        cr->i = cr->refs.size();
      } else {
        rest[client] = {*ref};
      }
      size_t index = static_cast<size_t>(cr - clients.data());
      ids.erase(std::remove(ids.begin(), ids.end(), index), ids.end());
    }
    stack.clear();
  };

  Ref* head = target->take();
  for (;;) {
    if (!head->is_skip()) {
      Item* item = head->item;
      uint64_t client = item->id.client;
      uint64_t& local_clock = state.get(store, client);
      if (local_clock < item->id.clock) {
        stack.push_back(head);
        update_missing(client, item->id.clock - 1);
        add_stack_to_rest();
      } else {
        uint64_t offset = local_clock - item->id.clock;
        // Resolving splits neighbours even when the struct is already known, as in JS.
        std::optional<uint64_t> missing = get_missing(txn, rs, *head);
        if (missing) {
          stack.push_back(head);
          ClientRefs* refs = rs.find(*missing);
          if (refs == nullptr || refs->removed || refs->i == refs->refs.size()) {
            update_missing(*missing, store.state(*missing));
            add_stack_to_rest();
          } else {
            head = refs->take();
            continue;
          }
        } else if (offset != 0 && offset >= item->length) {
          store.pool().destroy(item);  // already known
          head->item = nullptr;
        } else {
          uint64_t end = item->id.clock + item->length;
          head->item = nullptr;  // the store owns it now
          integrate_block(txn, item, offset);
          local_clock = end;
        }
      }
    }
    if (!stack.empty()) {
      head = stack.back();
      stack.pop_back();
    } else if (target != nullptr && target->i < target->refs.size()) {
      head = target->take();
    } else {
      target = next_target();
      if (target == nullptr) break;
      head = target->take();
    }
  }
  if (rest.empty()) return std::nullopt;
  return RestStructs{std::move(missing_sv), encode_rest(rs, rest)};
}

// The common case of a peer's keystroke: a few structs of one client,
// continuing exactly at the store's state of that client. They are
// integrated in order here, without integrate_structs' stacks, cursors and
// rest bookkeeping (which would take the same steps for them). A Skip, a gap
// or a struct with a missing dependency (get_missing changes nothing then)
// stops it: that struct and those after it are left at the client's cursor,
// where integrate_structs picks them up. Returns whether all were integrated.
bool integrate_in_order(Transaction& txn, ReadStructs& rs) {
  std::span<ClientRefs> clients = rs.clients();
  if (clients.size() != 1 || clients[0].refs.size() > kInOrderMaxStructs) return false;
  ClientRefs& cr = clients[0];
  StructStore& store = txn.doc.store();
  uint64_t clock = store.state(cr.client);
  while (cr.i < cr.refs.size()) {
    Ref& ref = cr.refs[cr.i];
    Item* item = ref.item;
    if (ref.is_skip() || item->id.clock != clock || get_missing(txn, rs, ref)) return false;
    cr.i++;
    clock += item->length;
    ref.item = nullptr;  // the store owns it now
    integrate_block(txn, item, 0);
  }
  return true;
}

namespace {

// Links a resolved item (get_missing ran) of a load into an empty document:
// integrate_item's steps for the common one (a sequence item of string or
// Deleted content whose left neighbour's right is its right one, so that
// the conflict scan has nothing to do), done here; any other through
// integrate_item. `changed` is the parent last recorded in txn.changed
// (recording it again would change nothing). `client` caches the item's
// client's blocks and deleted ranges (null until known): both stay where
// they are while the transaction adds to them.
struct LoadedClient {
  StructStore::Blocks* blocks = nullptr;
  std::vector<DeleteRange>* deleted = nullptr;
};

void link_loaded(Transaction& txn, Item* item, Branch*& changed, LoadedClient& client) {
  Branch* parent = item->parent;
  Item* left = item->left;
  Item* right = item->right;
  const bool is_deleted = std::holds_alternative<ContentDeleted>(item->content);
  if (parent == nullptr || item->parent_sub() || parent->seq_index ||
      !(left != nullptr ? left->right == right : right != nullptr && right->left == nullptr) ||
      !(is_deleted || std::holds_alternative<ContentString>(item->content))) {
    integrate_item(txn, item, 0);
    return;
  }
  if (left != nullptr) {
    left->right = item;
  } else {
    parent->start = item;  // right was the first item
  }
  if (right != nullptr) right->left = item;
  if (item->countable) parent->length += item->length;  // not deleted yet
  parent->clear_marker();
  if (client.blocks != nullptr) {
    txn.doc.store().append(*client.blocks, item);
  } else {
    txn.doc.store().add(item);
    client.blocks = txn.doc.store().blocks(item->id.client);
  }
  if (is_deleted) {
    if (client.deleted == nullptr) client.deleted = &txn.deleted_ranges(item->id.client);
    append_range(*client.deleted, item->id.clock, item->length);
    item->deleted = true;
  }
  if (parent != changed) {
    txn.add_changed_type(parent, nullptr);
    changed = parent;
  }
  if (parent->item != nullptr && parent->item->deleted) item->mark_deleted(txn);
}

}  // namespace

// A big update into an empty document (apply_read_update's bulk case): each
// client's structs in clock order, highest client first as integrate_structs
// takes them. A struct that needs a later clock of another client sends the
// walk to that client first (yjs' integrateStructs does the same with its
// stack), and back when it has advanced: a state whose clients each build
// on the text of the one before (sessions appending to a document) is one
// pass, not a round per client. Rounds repeat while any client advances
// (yjs integrates in any order its dependencies allow, with the same
// result). Per struct get_missing's resolution and link_loaded; no
// try_extend_remote_item (the bulk walk merges such runs, bulk_load.h). A
// Skip, a client not starting at its state or a dependency not in the
// update leaves that client's structs at its cursor, where integrate_structs
// takes them. Returns whether all were integrated.
bool integrate_loaded(Transaction& txn, ReadStructs& rs) {
  StructStore& store = txn.doc.store();
  std::span<ClientRefs> clients = rs.clients();
  Branch* changed = nullptr;
  // Integrates `cr`'s structs up to the first it cannot; returns the client
  // that struct waits for, if it waits for another client's clock.
  auto advance = [&](ClientRefs& cr) -> std::optional<uint64_t> {
    uint64_t clock = store.state(cr.client);
    LoadedClient cached{store.blocks(cr.client), nullptr};
    while (cr.i < cr.refs.size()) {
      if (cr.i % RefList::kBlock == 0 && cr.i >= 2 * RefList::kBlock) [[unlikely]]
        cr.refs.release_before(cr.i);
      Ref& ref = cr.refs[cr.i];
      Item* item = ref.item;
      if (ref.is_skip() || item->id.clock != clock) return std::nullopt;
      if (std::optional<uint64_t> missing = get_missing(txn, rs, ref)) return missing;
      cr.i++;
      clock += item->length;
      ref.item = nullptr;  // the store owns it now
      if (item->is_gc) {
        store.add(item);
      } else {
        link_loaded(txn, item, changed, cached);
      }
    }
    return std::nullopt;
  };
  std::vector<size_t> stack;  // indexes into `clients`, each waiting for the next
  std::vector<bool> on_stack(clients.size());
  // Where a client's cursor stood when it last left the stack waiting (it is
  // taken again only after it, or the one sending the walk to it, advanced).
  std::vector<size_t> stuck_at(clients.size());
  bool all = false;
  for (bool progress = true; progress && !all;) {
    progress = false;
    bulk_load_passes.fetch_add(1, std::memory_order_relaxed);
    std::fill(stuck_at.begin(), stuck_at.end(), SIZE_MAX);
    for (size_t k = clients.size(); k-- > 0;) {
      stack.push_back(k);
      on_stack[k] = true;
      while (!stack.empty()) {
        const size_t top = stack.back();
        ClientRefs& cr = clients[top];
        const size_t start = cr.i;
        const std::optional<uint64_t> missing = advance(cr);
        progress = progress || cr.i != start;
        ClientRefs* next = missing ? rs.find(*missing) : nullptr;
        if (next != nullptr) {
          const auto n = static_cast<size_t>(next - clients.data());
          if (next->i < next->refs.size() && !on_stack[n] && (stuck_at[n] != next->i || cr.i != start)) {
            stack.push_back(n);
            on_stack[n] = true;
            continue;  // back to `cr` once `next` has advanced
          }
        }
        // Done, or waiting for what this pass cannot give now: back to the
        // one waiting for it (a later round tries again).
        if (cr.i < cr.refs.size()) stuck_at[top] = cr.i;
        on_stack[top] = false;
        stack.pop_back();
      }
    }
    all = std::all_of(clients.begin(), clients.end(),
                      [](const ClientRefs& cr) { return cr.i == cr.refs.size(); });
  }
  return all;
}

namespace {

// The ranges this transaction recorded as deleted for one client (items
// integrated with Deleted content, marked deleted, or collected), as they
// stood when a delete set began to be applied: a loaded document's deleted
// items arrive as Deleted content and its delete set lists the same ranges
// again. Every block in a recorded range is deleted (deletion is never
// undone; splits and GC keep the flag), so a range covered by them has
// nothing to split or mark. Answers only while the recorded ranges are in
// ascending order and the queries come in ascending order (an update's
// ranges per client); otherwise `covers` says no and the caller does the
// general walk.
class DeletedInTxn {
 public:
  DeletedInTxn(Transaction& txn, uint64_t client) {
    auto& all = txn.delete_set.clients();
    auto it = all.find(client);
    if (it == all.end()) return;
    ranges_ = &it->second;
    n_ = ranges_->size();  // later additions (this walk's own marks) are not consulted
    for (size_t k = 1; k < n_; k++) {
      if ((*ranges_)[k].clock < (*ranges_)[k - 1].clock) {
        n_ = 0;
        return;
      }
    }
  }

  // True if [clock, end) lies inside the union of the recorded ranges.
  bool covers(uint64_t clock, uint64_t end) {
    if (n_ == 0) return false;
    if (clock < last_query_) k_ = 0;  // out of order: search from the start
    last_query_ = clock;
    const std::vector<DeleteRange>& r = *ranges_;  // by index: the walk may append (and reallocate)
    while (k_ < n_ && r[k_].clock + r[k_].len <= clock) k_++;
    if (k_ == n_ || r[k_].clock > clock) return false;
    uint64_t reach = r[k_].clock + r[k_].len;
    for (size_t j = k_ + 1; reach < end && j < n_ && r[j].clock <= reach; j++)
      reach = std::max(reach, r[j].clock + r[j].len);
    return reach >= end;
  }

 private:
  const std::vector<DeleteRange>* ranges_ = nullptr;
  size_t n_ = 0;
  size_t k_ = 0;
  uint64_t last_query_ = 0;
};

}  // namespace

std::optional<UpdateBytes> apply_delete_set(Transaction& txn, std::span<const DsClient> clients) {
  StructStore& store = txn.doc.store();
  DeleteSet unapplied;
  for (const DsClient& dc : clients) {
    uint64_t client = dc.client;
    uint64_t state = store.state(client);
    DeletedInTxn known(txn, client);
    for (const DeleteRange& r : dc.ranges) {
      uint64_t clock = r.clock;
      uint64_t clock_end = r.clock + r.len;
      if (load_fast_paths_enabled && clock_end <= state && known.covers(clock, clock_end))
        continue;  // nothing left to delete
      if (clock < state) {
        if (state < clock_end) unapplied.add(client, state, clock_end - state);
        StructStore::Blocks& blocks = *store.blocks(client);
        size_t index = StructStore::find_index(blocks, clock);
        Item* block = blocks[index];
        if (!block->deleted && block->id.clock == clock && clock_end < clock + block->length &&
            forward_delete_into_tombstone(txn, block, clock_end - clock, &blocks, index))
          continue;
        if (!block->deleted && block->id.clock < clock) {
          if (clock_end == block->id.clock + block->length &&
              backspace_into_tombstone(txn, block, clock - block->id.clock, &blocks, index + 1))
            continue;
          blocks.insert(index + 1, split_item(txn, block, clock - block->id.clock));
          index++;
        }
        while (index < blocks.size()) {
          // The clock array, not block->id: a tombstone run's members point at the run.
          if (blocks.clock_at(index) >= clock_end) break;
          block = blocks[index++];
          if (!block->deleted) {
            if (clock_end < block->id.clock + block->length) {
              blocks.insert(index, split_item(txn, block, clock_end - block->id.clock));
            }
            block->mark_deleted(txn);
          }
        }
      } else {
        unapplied.add(client, clock, clock_end - clock);
      }
    }
  }
  if (unapplied.empty()) return std::nullopt;
  auto enc = make_update_encoder(UpdateFormat::kV2);
  enc->rest().write_var_uint(0);
  unapplied.write(*enc);
  return enc->finish();
}

}  // namespace weft
