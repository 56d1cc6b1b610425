#include "server/metrics.h"

#include <fmt/format.h>

namespace weft::server {

const char* reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kTextFrame:
      return "text_frame";
    case RejectReason::kMalformedMessage:
      return "malformed_message";
    case RejectReason::kMalformedUpdate:
      return "malformed_update";
    case RejectReason::kMalformedStateVector:
      return "malformed_state_vector";
    case RejectReason::kMalformedAwareness:
      return "malformed_awareness";
    case RejectReason::kDocTooLarge:
      return "doc_too_large";
    case RejectReason::kPersistFailed:
      return "persist_failed";
    case RejectReason::kTooManyConnections:
      return "too_many_connections";
    case RejectReason::kRefused:
      return "refused";
    case RejectReason::kReadOnly:
      return "read_only";
    case RejectReason::kRateLimited:
      return "rate_limited";
    case RejectReason::kTooManyConnectionsPerIp:
      return "too_many_connections_per_ip";
    case RejectReason::kTokenExpired:
      return "token_expired";
    case RejectReason::kCount:
      break;
  }
  return "unknown";
}

namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, auto value) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
}

}  // namespace

std::string Metrics::render(const StoreStats& store) const {
  std::string out;
  metric(out, "weft_connections", "gauge", "Open WebSocket connections.", connections.load());
  metric(out, "weft_connections_total", "counter", "WebSocket connections accepted.",
         connections_total.load());
  metric(out, "weft_rooms_loaded", "gauge", "Rooms in memory.", rooms_loaded.load());
  metric(out, "weft_room_loads_total", "counter", "Rooms loaded from the store.", room_loads_total.load());
  metric(out, "weft_room_evictions_total", "counter", "Idle rooms dropped from memory.",
         room_evictions_total.load());
  metric(out, "weft_messages_in_total", "counter", "WebSocket messages received.", messages_in.load());
  metric(out, "weft_bytes_in_total", "counter", "WebSocket payload bytes received.", bytes_in.load());
  metric(out, "weft_messages_out_total", "counter", "WebSocket messages queued to clients.",
         messages_out.load());
  metric(out, "weft_bytes_out_total", "counter", "WebSocket payload bytes queued to clients.",
         bytes_out.load());
  metric(out, "weft_updates_applied_total", "counter", "Client updates that changed a document.",
         updates_applied.load());
  metric(out, "weft_updates_redundant_total", "counter",
         "Sync step 2 messages the document already held (reconnects): not stored.",
         updates_redundant.load());
  metric(out, "weft_updates_broadcast_total", "counter",
         "Update messages broadcast after a commit (one per batch of updates committed together).",
         updates_broadcast.load());
  metric(out, "weft_slow_consumer_merges_total", "counter", "Send queues whose updates were merged into one.",
         slow_consumer_merges.load());
  metric(out, "weft_compactions_started_total", "counter", "Update log compactions started.",
         compactions_started.load());
  out += "# HELP weft_rejected_messages_total Incoming messages refused, by reason.\n";
  out += "# TYPE weft_rejected_messages_total counter\n";
  for (size_t i = 0; i < rejected.size(); ++i) {
    out += fmt::format("weft_rejected_messages_total{{reason=\"{}\"}} {}\n",
                       reject_reason_name(static_cast<RejectReason>(i)), rejected[i].load());
  }
  out += "# HELP weft_auth_failures_total Requests refused for their token (401 or 403), by reason.\n";
  out += "# TYPE weft_auth_failures_total counter\n";
  for (size_t i = 0; i < auth_failures.size(); ++i) {
    out += fmt::format("weft_auth_failures_total{{reason=\"{}\"}} {}\n",
                       auth_failure_name(static_cast<AuthFailure>(i)), auth_failures[i].load());
  }

  metric(out, "weft_store_updates_persisted_total", "counter", "Updates committed durably.",
         store.updates_persisted);
  metric(out, "weft_store_bytes_persisted_total", "counter", "Update bytes committed durably.",
         store.bytes_persisted);
  metric(out, "weft_store_append_failures_total", "counter", "Appends that failed.", store.append_failures);
  metric(out, "weft_store_commits_total", "counter", "Write transactions (one WAL fsync each).",
         store.commits);
  metric(out, "weft_store_inline_commits_total", "counter",
         "Commits run on the appending thread while the writer was idle (low load).", store.inline_commits);
  metric(out, "weft_store_commit_failures_total", "counter", "Failed commits.", store.commit_failures);
  metric(out, "weft_store_compactions_total", "counter", "Compactions committed.", store.compactions);
  metric(out, "weft_store_max_batch", "gauge", "Most appends made durable by one commit.", store.max_batch);
  metric(out, "weft_store_queue_depth", "gauge", "Writes queued right now.", store.queue_depth);
  metric(out, "weft_store_checkpoints_total", "counter",
         "WAL checkpoint rounds (mostly off the commit path).", store.checkpoints);
  metric(out, "weft_store_checkpoint_failures_total", "counter", "WAL checkpoints that failed.",
         store.checkpoint_failures);
  metric(out, "weft_store_commit_latency_max_seconds", "gauge", "Slowest commit, fsync included.",
         static_cast<double>(store.commit_latency_us_max) / 1e6);
  out += "# HELP weft_store_commit_latency_seconds Commit latency, fsync included.\n";
  out += "# TYPE weft_store_commit_latency_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kCommitLatencyBoundsUs.size(); ++i) {
    cumulative += store.commit_latency_buckets[i];
    out += fmt::format("weft_store_commit_latency_seconds_bucket{{le=\"{}\"}} {}\n",
                       static_cast<double>(kCommitLatencyBoundsUs[i]) / 1e6, cumulative);
  }
  cumulative += store.commit_latency_buckets.back();
  out += fmt::format("weft_store_commit_latency_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("weft_store_commit_latency_seconds_sum {}\n",
                     static_cast<double>(store.commit_latency_us_total) / 1e6);
  out += fmt::format("weft_store_commit_latency_seconds_count {}\n", cumulative);
  return out;
}

}  // namespace weft::server
