#include "sync/awareness.h"

#include <algorithm>
#include <unordered_set>

#include "encoding/json.h"
#include "encoding/lib0.h"

namespace weft::sync {

namespace {

constexpr std::string_view kNull = "null";

// JS `state || null`: the canonical texts of false, 0 (and -0) and "".
bool is_falsy_json(std::string_view json) { return json == "false" || json == "0" || json == "\"\""; }

}  // namespace

std::vector<ClientId> AwarenessChange::changed() const {
  std::vector<ClientId> out;
  out.reserve(added.size() + updated.size() + removed.size());
  out.insert(out.end(), added.begin(), added.end());
  out.insert(out.end(), updated.begin(), updated.end());
  out.insert(out.end(), removed.begin(), removed.end());
  return out;
}

Result<std::vector<AwarenessEntry>> decode_awareness_update(std::span<const uint8_t> update) {
  lib0::Decoder dec(update);
  const uint64_t n = dec.read_var_uint();
  std::vector<AwarenessEntry> entries;
  // Each entry takes at least 3 bytes: never trust the count for the reservation.
  entries.reserve(std::min<uint64_t>(n, dec.remaining() / 3));
  for (uint64_t i = 0; i < n && dec.ok(); i++) {
    AwarenessEntry e;
    e.client = dec.read_var_uint();
    e.clock = dec.read_var_uint();
    std::string text = dec.read_var_string();
    if (!dec.ok()) break;
    auto parsed = json_parse(text);
    if (!parsed || parsed->is_undefined()) {
      return Status(ErrorCode::kMalformed, "awareness state of client " + std::to_string(e.client) +
                                               " is not JSON" +
                                               (parsed ? std::string() : ": " + parsed.status().message()));
    }
    e.state_json = json_stringify(*parsed);
    entries.push_back(std::move(e));
  }
  if (!dec.ok()) return dec.status();
  if (dec.has_content()) {
    return Status(ErrorCode::kMalformed,
                  std::to_string(dec.remaining()) + " trailing bytes after the awareness update");
  }
  return entries;
}

Bytes encode_awareness_update(std::span<const AwarenessEntry> entries) {
  lib0::Encoder enc;
  enc.write_var_uint(entries.size());
  for (const AwarenessEntry& e : entries) {
    enc.write_var_uint(e.client);
    enc.write_var_uint(e.clock);
    enc.write_var_string(e.state_json);
  }
  return enc.take();
}

Result<AwarenessChange> Awareness::apply_update(std::span<const uint8_t> update, int64_t now_ms,
                                                std::optional<ConnectionId> origin) {
  WEFT_ASSIGN_OR_RETURN(std::vector<AwarenessEntry> entries, decode_awareness_update(update));

  // Check the limit before changing anything. An unknown client becomes an
  // entry iff one of its entries has a clock above 0.
  std::unordered_set<ClientId> mentioned;
  std::unordered_set<ClientId> new_clients;
  for (const AwarenessEntry& e : entries) {
    mentioned.insert(e.client);
    if (e.clock > 0 && !entries_.contains(e.client)) new_clients.insert(e.client);
  }
  if (entries_.size() + new_clients.size() > options_.max_clients) {
    size_t evictable = 0;
    for (const auto& [client, entry] : entries_) {
      if (!entry.state && !mentioned.contains(client)) evictable++;
    }
    if (entries_.size() + new_clients.size() - evictable > options_.max_clients) {
      return Status(ErrorCode::kInvalidArgument, "awareness: room is at its limit of " +
                                                     std::to_string(options_.max_clients) + " clients");
    }
  }

  AwarenessChange change;
  for (AwarenessEntry& e : entries) {
    auto it = entries_.find(e.client);
    const bool known = it != entries_.end();
    const uint64_t current = known ? it->second.clock : 0;
    const bool has_state = known && it->second.state.has_value();
    const bool is_null = e.state_json == kNull;
    if (!(current < e.clock || (current == e.clock && is_null && has_state))) continue;
    if (!known) {
      if (entries_.size() >= options_.max_clients) evict_one_removed(mentioned);
      it = entries_.emplace(e.client, Entry{}).first;
      it->second.seen_seq = next_seq_++;
    }
    Entry& entry = it->second;
    if (is_null) {
      entry.state.reset();
      entry.falsy = false;
      set_owner(e.client, entry, std::nullopt);
    } else {
      if (!entry.state) entry.state_seq = next_seq_++;
      entry.falsy = is_falsy_json(e.state_json);
      entry.state = std::move(e.state_json);
      if (origin) set_owner(e.client, entry, origin);
    }
    entry.clock = e.clock;
    entry.last_updated_ms = now_ms;
    if (!known && !is_null) {
      change.added.push_back(e.client);
    } else if (known && is_null) {
      change.removed.push_back(e.client);
    } else if (!is_null) {
      change.updated.push_back(e.client);
    }
  }
  return change;
}

Bytes Awareness::encode_update(std::span<const ClientId> clients) const {
  std::vector<AwarenessEntry> out;
  out.reserve(clients.size());
  for (ClientId client : clients) {
    auto it = entries_.find(client);
    if (it == entries_.end()) continue;
    const Entry& entry = it->second;
    out.push_back({client, entry.clock, entry.state && !entry.falsy ? *entry.state : std::string(kNull)});
  }
  return encode_awareness_update(out);
}

std::vector<ClientId> Awareness::clients_with_state() const {
  std::vector<std::pair<uint64_t, ClientId>> order;
  for (const auto& [client, entry] : entries_) {
    if (entry.state) order.emplace_back(entry.state_seq, client);
  }
  std::sort(order.begin(), order.end());
  std::vector<ClientId> out;
  out.reserve(order.size());
  for (const auto& [seq, client] : order) out.push_back(client);
  return out;
}

AwarenessChange Awareness::remove_states(std::span<const ClientId> clients, int64_t now_ms) {
  AwarenessChange change;
  for (ClientId client : clients) {
    auto it = entries_.find(client);
    if (it == entries_.end() || !it->second.state) continue;
    Entry& entry = it->second;
    entry.state.reset();
    entry.falsy = false;
    set_owner(client, entry, std::nullopt);
    // JS leaves lastUpdated alone here; only pruning of removed entries reads it.
    entry.last_updated_ms = now_ms;
    change.removed.push_back(client);
  }
  return change;
}

AwarenessChange Awareness::remove_connection(ConnectionId connection, int64_t now_ms) {
  auto it = owned_.find(connection);
  if (it == owned_.end()) return {};
  std::vector<ClientId> clients = std::move(it->second);
  owned_.erase(it);
  for (ClientId client : clients) entries_.at(client).owner.reset();
  return remove_states(clients, now_ms);
}

AwarenessChange Awareness::expire(int64_t now_ms, int64_t timeout_ms) {
  std::vector<std::pair<uint64_t, ClientId>> stale;
  std::vector<ClientId> prune;
  for (const auto& [client, entry] : entries_) {
    if (now_ms - entry.last_updated_ms < timeout_ms) continue;
    if (entry.state) {
      stale.emplace_back(entry.seen_seq, client);
    } else {
      prune.push_back(client);
    }
  }
  for (ClientId client : prune) erase_entry(client);
  std::sort(stale.begin(), stale.end());
  std::vector<ClientId> remove;
  remove.reserve(stale.size());
  for (const auto& [seq, client] : stale) remove.push_back(client);
  return remove_states(remove, now_ms);
}

bool Awareness::has_state(ClientId client) const {
  auto it = entries_.find(client);
  return it != entries_.end() && it->second.state.has_value();
}

std::optional<uint64_t> Awareness::clock(ClientId client) const {
  auto it = entries_.find(client);
  if (it == entries_.end()) return std::nullopt;
  return it->second.clock;
}

std::optional<std::string> Awareness::state_json(ClientId client) const {
  auto it = entries_.find(client);
  if (it == entries_.end()) return std::nullopt;
  return it->second.state;
}

std::optional<int64_t> Awareness::last_updated_ms(ClientId client) const {
  auto it = entries_.find(client);
  if (it == entries_.end()) return std::nullopt;
  return it->second.last_updated_ms;
}

std::vector<ClientId> Awareness::connection_clients(ConnectionId connection) const {
  auto it = owned_.find(connection);
  return it == owned_.end() ? std::vector<ClientId>{} : it->second;
}

void Awareness::set_owner(ClientId client, Entry& entry, std::optional<ConnectionId> owner) {
  if (entry.owner == owner) return;
  if (entry.owner) {
    auto it = owned_.find(*entry.owner);
    if (it != owned_.end()) {
      std::erase(it->second, client);
      if (it->second.empty()) owned_.erase(it);
    }
  }
  entry.owner = owner;
  if (owner) owned_[*owner].push_back(client);
}

void Awareness::erase_entry(ClientId client) {
  auto it = entries_.find(client);
  if (it == entries_.end()) return;
  set_owner(client, it->second, std::nullopt);
  entries_.erase(it);
}

bool Awareness::evict_one_removed(const std::unordered_set<ClientId>& keep) {
  std::optional<std::pair<uint64_t, ClientId>> oldest;
  for (const auto& [client, entry] : entries_) {
    if (entry.state || keep.contains(client)) continue;
    if (!oldest || entry.seen_seq < oldest->first) oldest = std::make_pair(entry.seen_seq, client);
  }
  if (!oldest) return false;
  erase_entry(oldest->second);
  return true;
}

}  // namespace weft::sync
