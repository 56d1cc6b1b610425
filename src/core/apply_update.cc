// Doc::apply_update: integrate decoded structs with pending handling
// (yjs src/utils/encoding.js integrateStructs / readUpdateV2) and apply the
// delete set (yjs src/utils/DeleteSet.js readAndApplyDeleteSet).
#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/branch.h"
#include "core/integrate.h"
#include "core/struct_store.h"
#include "core/transaction.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace weft {

namespace {

struct ClientRefs {
  std::vector<WireStruct> refs;
  size_t i = 0;
  bool removed = false;  // moved to the rest: treated as absent
};

// Item.getMissing: the client of a missing dependency, or resolves the
// struct into a detached item (splitting neighbours as needed).
std::optional<uint64_t> get_missing(Transaction& txn, WireStruct& ws, Item*& out) {
  StructStore& store = txn.doc.store();
  auto missing = [&](const std::optional<ID>& dep) {
    return dep && dep->client != ws.id.client && dep->clock >= store.state(dep->client);
  };
  if (ws.kind == StructKind::kGC) {
    out = make_gc(ws.id, ws.length);
    return std::nullopt;
  }
  if (missing(ws.origin)) return ws.origin->client;
  if (missing(ws.right_origin)) return ws.right_origin->client;
  if (const ID* pid = std::get_if<ID>(&ws.parent); pid != nullptr && missing(*pid)) return pid->client;

  Item* left = nullptr;
  Item* right = nullptr;
  if (ws.origin) {
    left = store.get_item_clean_end(txn, *ws.origin);
    ws.origin = left->last_id();
  }
  if (ws.right_origin) {
    right = store.get_item_clean_start(txn, *ws.right_origin);
    ws.right_origin = right->id;
  }
  Branch* parent = nullptr;
  if ((left != nullptr && left->is_gc) || (right != nullptr && right->is_gc)) {
    parent = nullptr;
  } else if (std::holds_alternative<std::monostate>(ws.parent)) {
    Item* from = left != nullptr ? left : right;
    if (from != nullptr) {
      parent = from->parent;
      ws.parent_sub = from->parent_sub ? std::optional<std::string>(*from->parent_sub) : std::nullopt;
    }
  } else if (const ID* pid = std::get_if<ID>(&ws.parent)) {
    Item* parent_item = store.find(*pid);
    // A collected type keeps its Branch for handles, but its content is Deleted: no parent.
    bool is_type = !parent_item->is_gc && std::holds_alternative<ContentType>(parent_item->content);
    parent = is_type ? parent_item->type.get() : nullptr;
  } else {
    parent = txn.doc.get_or_create_root(std::get<std::string>(ws.parent), std::nullopt);
  }
  Item* item = item_from_wire(std::move(ws));
  item->left = left;
  item->right = right;
  item->parent = parent;
  out = item;
  return std::nullopt;
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
  integrate_item(txn, item, offset);
}

struct RestStructs {
  std::map<uint64_t, uint64_t> missing;
  UpdateBytes update;  // v2
};

// Writes leftover structs per client (descending) followed by an empty delete set.
UpdateBytes encode_rest(const std::map<uint64_t, std::vector<WireStruct>>& rest) {
  auto enc = make_update_encoder(UpdateFormat::kV2);
  enc->rest().write_var_uint(rest.size());
  for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
    const auto& structs = it->second;
    enc->rest().write_var_uint(structs.size());
    enc->write_client(it->first);
    enc->rest().write_var_uint(structs.front().id.clock);
    for (const WireStruct& ws : structs) ws.write(*enc, 0);
  }
  enc->rest().write_var_uint(0);
  return enc->finish();
}

std::optional<RestStructs> integrate_structs(Transaction& txn, std::map<uint64_t, ClientRefs>& clients) {
  StructStore& store = txn.doc.store();
  std::vector<uint64_t> ids;  // ascending; processed from the back (highest client first)
  for (auto& [client, cr] : clients) ids.push_back(client);
  std::map<uint64_t, std::vector<WireStruct>> rest;
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

  std::vector<WireStruct*> stack;
  std::unordered_map<uint64_t, uint64_t> state;
  // Moves the stacked structs' clients (from the blocked struct on) to `rest`.
  // Copies, not moves: a struct may be referenced again by a later stack entry.
  auto add_stack_to_rest = [&]() {
    for (WireStruct* ws : stack) {
      uint64_t client = ws->id.client;
      auto found = clients.find(client);
      if (found != clients.end() && !found->second.removed) {
        ClientRefs& cr = found->second;
        cr.i--;
        rest[client].assign(cr.refs.begin() + static_cast<ptrdiff_t>(cr.i), cr.refs.end());
        cr.removed = true;
        cr.i = cr.refs.size();
      } else {
        rest[client] = {*ws};
      }
      ids.erase(std::remove(ids.begin(), ids.end(), client), ids.end());
    }
    stack.clear();
  };

  WireStruct* head = &target->refs[target->i++];
  for (;;) {
    if (head->kind != StructKind::kSkip) {
      uint64_t client = head->id.client;
      auto st = state.find(client);
      if (st == state.end()) st = state.emplace(client, store.state(client)).first;
      uint64_t local_clock = st->second;
      if (local_clock < head->id.clock) {
        stack.push_back(head);
        update_missing(client, head->id.clock - 1);
        add_stack_to_rest();
      } else {
        uint64_t offset = local_clock - head->id.clock;
        Item* item = nullptr;
        // Resolving splits neighbours even when the struct is already known, as in JS.
        std::optional<uint64_t> missing = get_missing(txn, *head, item);
        if (item != nullptr && offset != 0 && offset >= item->length) {
          delete item;  // already known
          item = nullptr;
        }
        if (missing) {
          stack.push_back(head);
          auto refs = clients.find(*missing);
          if (refs == clients.end() || refs->second.removed || refs->second.i == refs->second.refs.size()) {
            update_missing(*missing, store.state(*missing));
            add_stack_to_rest();
          } else {
            head = &refs->second.refs[refs->second.i++];
            continue;
          }
        } else if (item != nullptr) {
          uint64_t len = item->length;
          uint64_t clock = item->id.clock;
          integrate_block(txn, item, offset);
          state[client] = clock + len;
        }
      }
    }
    if (!stack.empty()) {
      head = stack.back();
      stack.pop_back();
    } else if (target != nullptr && target->i < target->refs.size()) {
      head = &target->refs[target->i++];
    } else {
      target = next_target();
      if (target == nullptr) break;
      head = &target->refs[target->i++];
    }
  }
  if (rest.empty()) return std::nullopt;
  return RestStructs{std::move(missing_sv), encode_rest(rest)};
}

// Applies the delete set; returns the ranges beyond known state (v2 update
// with zero structs) or nullopt.
std::optional<UpdateBytes> apply_delete_set(Transaction& txn, const DeleteSet& ds) {
  StructStore& store = txn.doc.store();
  DeleteSet unapplied;
  for (auto it = ds.clients().rbegin(); it != ds.clients().rend(); ++it) {
    uint64_t client = it->first;
    uint64_t state = store.state(client);
    for (const DeleteRange& r : it->second) {
      uint64_t clock = r.clock;
      uint64_t clock_end = r.clock + r.len;
      if (clock < state) {
        if (state < clock_end) unapplied.add(client, state, clock_end - state);
        StructStore::Blocks& blocks = *store.blocks(client);
        size_t index = StructStore::find_index(blocks, clock);
        Item* block = blocks[index];
        if (!block->deleted && block->id.clock < clock) {
          blocks.insert(index + 1, split_item(txn, block, clock - block->id.clock));
          index++;
        }
        while (index < blocks.size()) {
          block = blocks[index++];
          if (block->id.clock >= clock_end) break;
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

UpdateBytes merge_two_v2(const UpdateBytes& a, const UpdateBytes& b) {
  std::span<const uint8_t> parts[2] = {a, b};
  auto merged = merge_updates(parts, UpdateFormat::kV2);
  return merged ? std::move(*merged) : a;  // inputs are our own encodings: merging cannot fail
}

}  // namespace

// Integrates an already validated update inside the current transaction.
static void apply_decoded_update(Transaction& txn, DecodedUpdate&& update) {
  Doc& doc = txn.doc;
  StructStore& store = doc.store();
  std::map<uint64_t, ClientRefs> clients;
  for (WireStruct& ws : update.structs) {
    if (ws.kind == StructKind::kItem) {
      if (const std::string* root = std::get_if<std::string>(&ws.parent))
        doc.get_or_create_root(*root, std::nullopt);
    }
  }
  {
    // Group by client; a later block of the same client replaces an earlier one (as in JS).
    uint64_t current = 0;
    bool have_current = false;
    for (WireStruct& ws : update.structs) {
      if (!have_current || ws.id.client != current) {
        current = ws.id.client;
        have_current = true;
        clients[current] = ClientRefs{};
      }
      clients[current].refs.push_back(std::move(ws));
    }
  }
  bool retry = false;
  std::optional<RestStructs> rest = integrate_structs(txn, clients);
  if (store.pending_structs) {
    for (const auto& [client, clock] : store.pending_structs->missing) {
      if (clock < store.state(client)) {
        retry = true;
        break;
      }
    }
    if (rest) {
      auto& missing = store.pending_structs->missing;
      for (const auto& [client, clock] : rest->missing) {
        auto [it, inserted] = missing.emplace(client, clock);
        if (!inserted && it->second > clock) it->second = clock;
      }
      store.pending_structs->update = merge_two_v2(store.pending_structs->update, rest->update);
    }
  } else if (rest) {
    store.pending_structs = StructStore::PendingStructs{std::move(rest->missing), std::move(rest->update)};
  }

  std::optional<UpdateBytes> ds_rest = apply_delete_set(txn, update.delete_set);
  if (store.pending_ds) {
    std::optional<UpdateBytes> ds_rest2;
    auto pending = decode_update(*store.pending_ds, UpdateFormat::kV2);
    if (pending) ds_rest2 = apply_delete_set(txn, pending->delete_set);
    if (ds_rest && ds_rest2) {
      store.pending_ds = merge_two_v2(*ds_rest, *ds_rest2);
    } else {
      store.pending_ds = ds_rest ? std::move(ds_rest) : std::move(ds_rest2);
    }
  } else {
    store.pending_ds = std::move(ds_rest);
  }
  if (retry) {
    UpdateBytes pending_update = std::move(store.pending_structs->update);
    store.pending_structs.reset();
    auto decoded = decode_update(pending_update, UpdateFormat::kV2);
    if (decoded) apply_decoded_update(txn, std::move(*decoded));
  }
}

Status Doc::apply_update(std::span<const uint8_t> update, UpdateFormat format, const std::string& origin) {
  auto decoded = decode_update(update, format);
  if (!decoded) return decoded.status();
  WEFT_RETURN_IF_ERROR(validate_struct_refs(decoded->structs));
  transact(
      [&](Transaction& txn) {
        txn.local = false;
        apply_decoded_update(txn, std::move(*decoded));
      },
      origin);
  return Status::ok();
}

}  // namespace weft
