// Server counters for GET /metrics (Prometheus text format 0.0.4). Every
// field is an atomic: rooms and connections update them from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "server/auth.h"
#include "store/doc_store.h"

namespace weft::server {

// Why an incoming message was refused (the label of weft_rejected_messages_total).
enum class RejectReason : uint8_t {
  kTextFrame,
  kMalformedMessage,
  kMalformedUpdate,
  kMalformedStateVector,
  kMalformedAwareness,
  kDocTooLarge,
  kPersistFailed,
  kTooManyConnections,
  kRefused,   // policy (awareness full): dropped, the connection stays
  kReadOnly,  // a doc update on a read-only connection: dropped, the connection stays
  kRateLimited,
  kTooManyConnectionsPerIp,
  kTokenExpired,  // the connection's token expired while it was open: closed
  kCount,
};
const char* reject_reason_name(RejectReason reason);

struct Metrics {
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<int64_t> rooms_loaded{0};
  std::atomic<uint64_t> room_loads_total{0};
  std::atomic<uint64_t> room_evictions_total{0};
  std::atomic<uint64_t> messages_in{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> messages_out{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> updates_applied{0};    // changed a room's doc and were queued to the store
  std::atomic<uint64_t> updates_broadcast{0};  // broadcast after their commit
  std::atomic<uint64_t> updates_redundant{0};  // sync step 2 the doc already held: not stored
  std::atomic<uint64_t> slow_consumer_merges{0};
  std::atomic<uint64_t> compactions_started{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(RejectReason::kCount)> rejected{};
  // Requests refused for their token (WebSocket upgrades and /api/), by why.
  std::array<std::atomic<uint64_t>, static_cast<size_t>(AuthFailure::kCount)> auth_failures{};

  void reject(RejectReason reason) { rejected[static_cast<size_t>(reason)].fetch_add(1); }
  void auth_failure(AuthFailure why) { auth_failures[static_cast<size_t>(why)].fetch_add(1); }

  // The whole exposition: these counters plus the store's.
  std::string render(const StoreStats& store) const;
};

}  // namespace weft::server
