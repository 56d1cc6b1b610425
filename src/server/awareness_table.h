// AwarenessTable: a room's awareness states as the y-websocket server keeps
// them (y-protocols awareness.js, yjs-compat.md 8.2), without timers or I/O:
// the caller passes the time in.
//
// Stopgap: weft_sync's awareness.h replaces this when it lands.
//
// Not thread-safe: a room uses it on its strand.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "weft/status.h"

namespace weft::server {

class AwarenessTable {
 public:
  struct Applied {
    std::vector<uint64_t> added;    // clients that had no state before
    std::vector<uint64_t> updated;  // clients whose state was renewed or changed
    std::vector<uint64_t> removed;  // clients whose state became null
    // The accepted entries re-encoded as one awareness update; empty when
    // nothing was accepted (then nothing is relayed).
    std::vector<uint8_t> update;
  };

  // Applies an awareness update: `varUint(n)` then n × (client, clock,
  // JSON state string, "null" for a removal). An entry is accepted when its
  // clock is newer, or equal with a null state for a client that has one.
  // A malformed update changes nothing and returns its error.
  Result<Applied> apply(std::span<const uint8_t> update, int64_t now_ms);

  // Removes `clients` (a closed connection's) and returns the update that
  // announces it: null states at their current clocks (receivers accept
  // them by the equal-clock rule). Empty when none of them had a state.
  std::vector<uint8_t> remove(std::span<const uint64_t> clients);

  // States not renewed since now_ms - timeout_ms: their ids, removed.
  std::vector<uint64_t> expired(int64_t now_ms, int64_t timeout_ms);

  // One update holding every current state; empty when there is none.
  std::vector<uint8_t> encode_all() const;
  // One update holding `clients` as they are now (null for removed ones).
  std::vector<uint8_t> encode(std::span<const uint64_t> clients) const;

  size_t size() const { return states_.size(); }
  bool has_state(uint64_t client) const { return states_.count(client) != 0; }

 private:
  struct Meta {
    uint64_t clock = 0;
    int64_t last_updated_ms = 0;
  };
  std::map<uint64_t, std::string> states_;  // JSON text of live states
  std::map<uint64_t, Meta> meta_;           // kept after removal, as y-protocols does
};

}  // namespace weft::server
