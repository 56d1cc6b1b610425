// Doc::apply_update for a huge state into an empty document: see
// load_in_parts_from_bytes (load_paths.h).
#include <algorithm>

#include "core/branch.h"
#include "core/list_order_load.h"
#include "core/load_paths.h"
#include "core/seq_index.h"
#include "core/struct_store.h"
#include "core/tombstone_runs.h"
#include "core/transaction.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace weft {

bool Doc::can_load_in_parts(size_t update_bytes) const {
  // The conditions of the bulk load (apply_update.cc), plus no update
  // handlers (they would see one update per part) and gc (without it
  // tombstones keep their content and no run forms).
  return update_bytes >= load_in_parts_from_bytes && load_fast_paths_enabled && gc_ && !loading_in_parts_ &&
         txn_ == nullptr && store_->clients().empty() && !has_pending() && !store_->types_observed() &&
         update_handlers_.empty() && update_v2_handlers_.empty() && after_transaction_handlers_.empty();
}

Status Doc::apply_in_parts(std::span<const uint8_t> update, UpdateFormat format, const std::string& origin) {
  // No second split below, however this returns (a thaw can throw on a
  // broken run: the flag must not stay set).
  struct Loading {
    bool& flag;
    explicit Loading(bool& f) : flag(f) { flag = true; }
    ~Loading() { flag = false; }
  } loading(loading_in_parts_);
  const size_t parts =
      std::clamp<size_t>(update.size() / std::max<size_t>(load_part_bytes, 1), 2, kMaxSplitParts);
  // The whole update is read here first: malformed structure fails before
  // anything is applied (or, where the plan stops at a scattered state, the
  // list-order load reads it all and changes nothing unless it takes it).
  SplitStats stats;
  auto plan = [&](bool stop_if_scattered) {
    stats = SplitStats{};
    stats.stop_if_mostly_visible = true;  // loaded whole below: no split wanted
    stats.stop_if_scattered = stop_if_scattered;
    return split_update(update, format, parts, &stats, load_in_parts_order);
  };
  // The load in list order, which makes no Item per tombstone either; it
  // reads v1, so a v2 state goes through its v1 form (a copy beside the
  // update while it loads, against an Item per tombstone in the whole load).
  bool list_order_refused = false;
  auto load_listed = [&] {
    if (!list_order_load_enabled || list_order_refused) return false;
    bool loaded = false;
    if (format == UpdateFormat::kV1) {
      loaded = load_in_list_order(*this, update, origin) == ListOrderLoad::kLoaded;
    } else if (Result<UpdateBytes> v1 = convert_update(update, UpdateFormat::kV2, UpdateFormat::kV1);
               v1.is_ok()) {
      loaded = load_in_list_order(*this, *v1, origin) == ListOrderLoad::kLoaded;
    }
    list_order_refused = !loaded;
    return loaded;
  };
  Result<std::vector<UpdateBytes>> split = plan(scattered_plan_check_enabled && list_order_load_enabled);
  if (!split.is_ok()) return split.status();
  if (stats.stopped_scattered) {
    // Scattered by the plan's count: the parts would thaw what earlier
    // ones froze, and give up below.
    if (load_listed()) return Status::ok();
    // Not taken (nested types, say): the parts, which hold memory near the
    // final document's where the count was wrong, and give up where it was not.
    split = plan(false);
    if (!split.is_ok()) return split.status();
  }
  auto load_whole = [&] {  // the parts not applied are released first: not beside the whole load
    std::vector<UpdateBytes>().swap(*split);
    return apply_update(update, format, origin);
  };
  // Where parts cost more than they save: the load in list order, else the whole load.
  auto load_listed_or_whole = [&] {
    std::vector<UpdateBytes>().swap(*split);
    return load_listed() ? Status::ok() : load_whole();
  };
  if (stats.deleted_clocks * 2 < stats.clocks) {
    // Mostly visible (split_update stopped before splitting, or cut by
    // bands): nearly every item stays an Item whichever way it is loaded,
    // and one bulk load is faster than parts through the general path.
    return load_whole();
  }
  const std::vector<std::string> roots_before = root_names();
  const uint64_t client_before = client_id_;
  auto undo = [&] {  // back to the empty document this started from
    reset_to_empty(roots_before);
    client_id_ = client_before;
  };
  loads_in_parts_begun++;
  uint64_t frozen = 0;
  uint64_t thawed_before = store_->members_thawed;
  for (size_t k = 0; k < split->size(); k++) {
    UpdateBytes& part = (*split)[k];
    Status st = k == load_in_parts_fail_at
                    ? Status(ErrorCode::kInvalidArgument, "injected part failure (test)")
                    : apply_update(part, format, origin);
    UpdateBytes().swap(part);
    if (!st.is_ok()) {  // a part failed (content the split does not check): as if nothing was applied
      undo();
      return st;
    }
    // Structs left waiting for a later part (cut by clock bands: an update
    // naming a client twice; or depending on structs the update lacks) are
    // applied again with every later part. Past a few parts' worth, that
    // costs more than parts save, and the state is loaded another way.
    const size_t waiting = (store_->pending_structs ? store_->pending_structs->update.size() : 0) +
                           (store_->pending_ds ? store_->pending_ds->size() : 0);
    if (waiting > 4 * (update.size() / parts)) {
      undo();
      return load_listed_or_whole();
    }
    // A part whose items have their origins among earlier parts' frozen
    // tombstones (edits all over a long-edited text rather than in runs of
    // typing) thaws them again, one split run per item: then parts cost
    // more than they save, and the state is loaded in list order instead
    // (or whole, where that load does not take it: every tombstone an
    // Item). Small parts make this cheap to find out: two parts of a
    // scattered state thaw, and are undone.
    // (Counting the structs whose origins lie in earlier parts up front
    // would also flag a client's typing, whose origin is its own previous
    // clock: the client's last block, never frozen.)
    const uint64_t thawed = store_->members_thawed - thawed_before;
    frozen += freeze_tombstones_since(*this, stats.part_starts[k]);
    // A few thaws cost little (a session starting next to older text thaws
    // one or two members): only many mark the state as scattered.
    if (thawed >= 64 && thawed * 8 > frozen) {
      undo();
      return load_listed_or_whole();
    }
    thawed_before = store_->members_thawed;
  }
  return Status::ok();
}

void Doc::reset_to_empty(const std::vector<std::string>& roots_before) {
  for (auto it = roots_.begin(); it != roots_.end();) {
    if (std::find(roots_before.begin(), roots_before.end(), it->first) == roots_before.end()) {
      it = roots_.erase(it);
      continue;
    }
    Branch& root = *it->second;
    root.start = nullptr;
    root.map.clear();
    root.length = 0;
    root.has_formatting = false;
    root.clear_marker();
    root.seq_index.reset();
    ++it;
  }
  store_ = std::make_unique<StructStore>();
  // Its cached states would match the new store's client versions.
  spare_txn_ = std::make_unique<Transaction>(*this, std::string(), true);
}

}  // namespace weft
