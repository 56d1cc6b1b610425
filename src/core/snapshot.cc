#include "weft/snapshot.h"

#include "core/struct_store.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "core/write_update.h"
#include "encoding/wire.h"
#include "weft/doc.h"

namespace weft {

namespace {

DeleteSet to_delete_set(const Snapshot& snap) {
  DeleteSet ds;
  for (const auto& [client, ranges] : snap.deleted) {
    for (const auto& [clock, len] : ranges) ds.add(client, clock, len);
  }
  return ds;
}

}  // namespace

Snapshot snapshot(const Doc& doc) {
  Snapshot snap;
  snap.state_vector = doc.store().state_vector();
  DeleteSet ds = doc.store().delete_set();
  for (const auto& [client, ranges] : ds.clients()) {
    for (const DeleteRange& r : ranges) snap.deleted[client].emplace_back(r.clock, r.len);
  }
  return snap;
}

std::vector<uint8_t> encode_snapshot(const Snapshot& snap, UpdateFormat format) {
  auto enc = make_ds_encoder(format);
  to_delete_set(snap).write(*enc);
  enc->rest().write_var_uint(snap.state_vector.size());
  for (auto it = snap.state_vector.rbegin(); it != snap.state_vector.rend(); ++it) {
    enc->rest().write_var_uint(it->first);
    enc->rest().write_var_uint(it->second);
  }
  return enc->finish();
}

Result<Snapshot> decode_snapshot(std::span<const uint8_t> bytes, UpdateFormat format) {
  auto dec = make_ds_decoder(format, bytes);
  DeleteSet ds = DeleteSet::read(*dec);
  Snapshot snap;
  uint64_t n = dec->rest().read_var_uint();
  for (uint64_t i = 0; i < n && dec->ok(); i++) {
    uint64_t client = dec->rest().read_var_uint();
    uint64_t clock = dec->rest().read_var_uint();
    snap.state_vector[client] = clock;
  }
  if (!dec->ok()) return dec->status();
  for (const auto& [client, ranges] : ds.clients()) {
    for (const DeleteRange& r : ranges) snap.deleted[client].emplace_back(r.clock, r.len);
  }
  return snap;
}

bool is_visible_in(const Snapshot& snap, uint64_t client, uint64_t clock) {
  auto sv = snap.state_vector.find(client);
  if (sv == snap.state_vector.end() || sv->second <= clock) return false;
  auto del = snap.deleted.find(client);
  if (del == snap.deleted.end()) return true;
  for (const auto& [c, len] : del->second) {
    if (clock >= c && clock < c + len) return false;
  }
  return true;
}

Result<std::unique_ptr<Doc>> restore_snapshot(Doc& origin, const Snapshot& snap) {
  if (origin.gc_enabled())
    return Status(ErrorCode::kInvalidArgument, "restoring a snapshot needs a doc with GC off");
  StructStore& store = origin.store();
  for (const auto& [client, clock] : snap.state_vector) {
    if (clock > store.state(client)) {
      return Status(ErrorCode::kInvalidArgument, "snapshot is ahead of the document");
    }
  }
  auto enc = make_update_encoder(UpdateFormat::kV2);
  origin.transact([&](Transaction& txn) {
    uint64_t size = 0;
    for (const auto& [client, clock] : snap.state_vector) size += clock > 0 ? 1 : 0;
    enc->rest().write_var_uint(size);
    for (auto it = snap.state_vector.rbegin(); it != snap.state_vector.rend(); ++it) {
      auto [client, clock] = *it;
      if (clock == 0) continue;
      if (clock < store.state(client)) store.get_item_clean_start(txn, ID{client, clock});
      const StructStore::Blocks& blocks = *store.blocks(client);
      size_t last = StructStore::find_index(blocks, clock - 1);
      enc->rest().write_var_uint(last + 1);
      enc->write_client(client);
      enc->rest().write_var_uint(0);
      RunReader runs;
      for (size_t i = 0; i <= last; i++) write_item(*enc, runs.at(blocks, i, client), 0);
    }
    to_delete_set(snap).write(*enc);
  });
  DocOptions options;
  options.client_id = origin.client_id();
  options.gc = false;
  auto doc = std::make_unique<Doc>(options);
  WEFT_RETURN_IF_ERROR(doc->apply_update(enc->finish(), UpdateFormat::kV2, "snapshot"));
  return doc;
}

}  // namespace weft
