// Awareness for one room, as a y-websocket server keeps it (y-protocols
// awareness.js, yjs-compat.md 8.2 and 9.3). Pure: time comes in as now_ms.
//
// Update format: varUint(n), then n × (varUint(client), varUint(clock),
// varString(JSON.stringify(state))); a removed client has the state `null`.
//
// Per client the room keeps {clock, state JSON (or none), last_updated_ms}.
// Rules, as applyAwarenessUpdate: an entry is accepted if its clock is
// greater than the known one (0 for an unknown client), or equal with a
// null state while the client has a state. Accepting a null removes the
// state; accepting sets last_updated_ms = now_ms. The server has no local
// state of its own, so a remote null is never refused.
//
// Where this differs from JS, on purpose:
//  - An update is validated completely (framing, UTF-8, JSON.parse of every
//    state) before anything changes: JS applies the entries before a bad one.
//  - JSON.parse("undefined") throws in JS, so it is malformed here too.
//  - At most `max_clients` entries per room. A client whose state was
//    removed stays as an entry (its clock refuses replays of older states);
//    such entries are evicted oldest first when room is needed and pruned by
//    expire() after the timeout. An update that would still exceed the limit
//    is refused as a whole (kInvalidArgument).
//  - Ownership: the connection that last sent an accepted non-null state
//    for a client owns it (updates from the server itself, origin nullopt,
//    leave the owner as it is), and remove_connection() removes exactly those.
//    The reference server only records `added` clients, so a client that
//    reconnects after its state was removed is never removed again when its
//    new connection closes (it lingers until the 30 s timeout).
//
// States are stored as JSON.stringify(JSON.parse(text)), so broadcasts are
// the bytes the reference server writes; a falsy state (false, 0, "") is
// kept but encoded as `null`, as JS's `states.get(id) || null` does.
// Orders follow JS Map order: encode_all_states() lists clients in the order
// their states appeared; expire() in the order they were first seen.
//
// Not thread-safe: one room, one strand.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sync/message.h"
#include "weft/status.h"

namespace weft::sync {

using ClientId = uint64_t;
using ConnectionId = uint64_t;

struct AwarenessOptions {
  size_t max_clients = 1024;  // entries per room, removed clients included
};

// The 'update' event of y-protocols: `updated` holds every accepted
// non-null entry of an already known client, changed or not (a renewal).
struct AwarenessChange {
  std::vector<ClientId> added;
  std::vector<ClientId> updated;
  std::vector<ClientId> removed;

  bool empty() const { return added.empty() && updated.empty() && removed.empty(); }
  // added, then updated, then removed: what the reference server broadcasts.
  std::vector<ClientId> changed() const;
};

// One decoded entry of an awareness update.
struct AwarenessEntry {
  ClientId client = 0;
  uint64_t clock = 0;
  std::string state_json;  // JSON.stringify(JSON.parse(text)); "null" for a removal
  bool operator==(const AwarenessEntry&) const = default;
};

// Decodes and validates a whole awareness update. Errors: truncation,
// varUints beyond 2^53 - 1, invalid UTF-8 or JSON, bytes after the last entry.
Result<std::vector<AwarenessEntry>> decode_awareness_update(std::span<const uint8_t> update);
Bytes encode_awareness_update(std::span<const AwarenessEntry> entries);

class Awareness {
 public:
  static constexpr int64_t kDefaultTimeoutMs = 30000;

  explicit Awareness(AwarenessOptions options = {}) : options_(options) {}

  // applyAwarenessUpdate. `origin` is the connection it came from (nullopt:
  // the server itself). On error nothing changed.
  Result<AwarenessChange> apply_update(std::span<const uint8_t> update, int64_t now_ms,
                                       std::optional<ConnectionId> origin);

  // encodeAwarenessUpdate(awareness, clients): each client with its current
  // clock and state ("null" if it has none). Unknown clients are skipped
  // (JS would throw).
  Bytes encode_update(std::span<const ClientId> clients) const;
  // All clients that have a state, in JS states order (what a new connection
  // or a query-awareness receives). Empty if there are none.
  std::vector<ClientId> clients_with_state() const;

  // removeAwarenessStates(clients): drops the states of those that have one,
  // keeping their clocks, so that encode_update(change.removed) broadcasts
  // `null` with the unchanged clock (accepted by the equal-clock rule).
  AwarenessChange remove_states(std::span<const ClientId> clients, int64_t now_ms);
  // The connection closed: remove_states of the clients it owns; forgets it.
  AwarenessChange remove_connection(ConnectionId connection, int64_t now_ms);
  // The check timer: removes states not updated for timeout_ms (in order of
  // first sight, like JS's meta map) and prunes removed-client entries idle
  // as long. Call it every timeout_ms / 10, as y-protocols does.
  AwarenessChange expire(int64_t now_ms, int64_t timeout_ms = kDefaultTimeoutMs);

  // Inspection.
  size_t size() const { return entries_.size(); }
  bool has_state(ClientId client) const;
  std::optional<uint64_t> clock(ClientId client) const;
  // The stored JSON text, nullopt if the client has no state.
  std::optional<std::string> state_json(ClientId client) const;
  std::optional<int64_t> last_updated_ms(ClientId client) const;
  // Clients a connection owns, in the order it took them.
  std::vector<ClientId> connection_clients(ConnectionId connection) const;

 private:
  struct Entry {
    uint64_t clock = 0;
    std::optional<std::string> state;  // canonical JSON text, never "null"
    bool falsy = false;                // false, 0 or "": encoded as null
    int64_t last_updated_ms = 0;
    uint64_t seen_seq = 0;   // JS meta map order
    uint64_t state_seq = 0;  // JS states map order (set when the state appears)
    std::optional<ConnectionId> owner;
  };

  void set_owner(ClientId client, Entry& entry, std::optional<ConnectionId> owner);
  void erase_entry(ClientId client);
  // Drops the removed-client entry seen first, except those in `keep`.
  bool evict_one_removed(const std::unordered_set<ClientId>& keep);

  AwarenessOptions options_;
  std::unordered_map<ClientId, Entry> entries_;
  std::unordered_map<ConnectionId, std::vector<ClientId>> owned_;
  uint64_t next_seq_ = 0;
};

}  // namespace weft::sync
