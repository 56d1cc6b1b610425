#include "server/awareness_table.h"

#include "encoding/lib0.h"

namespace weft::server {

namespace {

constexpr std::string_view kNull = "null";

struct Entry {
  uint64_t client;
  uint64_t clock;
  std::string state;
};

}  // namespace

Result<AwarenessTable::Applied> AwarenessTable::apply(std::span<const uint8_t> update, int64_t now_ms) {
  lib0::Decoder dec(update);
  const uint64_t n = dec.read_var_uint();
  std::vector<Entry> entries;
  for (uint64_t i = 0; i < n && dec.ok(); ++i) {
    Entry e;
    e.client = dec.read_var_uint();
    e.clock = dec.read_var_uint();
    e.state = dec.read_var_string();
    if (dec.ok()) entries.push_back(std::move(e));
  }
  if (!dec.ok()) return dec.status();
  if (dec.has_content()) return Status(ErrorCode::kMalformed, "bytes after the awareness update");

  Applied out;
  std::vector<uint64_t> accepted;
  for (Entry& e : entries) {
    auto m = meta_.find(e.client);
    const bool known = m != meta_.end();
    auto s = states_.find(e.client);
    const bool has = s != states_.end();
    const bool is_null = e.state == kNull;
    if (known && !(e.clock > m->second.clock || (e.clock == m->second.clock && is_null && has))) continue;
    meta_[e.client] = Meta{e.clock, now_ms};
    if (is_null) {
      if (has) {
        states_.erase(s);
        out.removed.push_back(e.client);
      }
    } else if (has) {
      s->second = std::move(e.state);
      out.updated.push_back(e.client);
    } else {
      states_.emplace(e.client, std::move(e.state));
      out.added.push_back(e.client);
    }
    accepted.push_back(e.client);
  }
  if (!accepted.empty()) out.update = encode(accepted);
  return out;
}

std::vector<uint8_t> AwarenessTable::remove(std::span<const uint64_t> clients) {
  std::vector<uint64_t> removed;
  for (uint64_t c : clients) {
    if (states_.erase(c) != 0) removed.push_back(c);
  }
  if (removed.empty()) return {};
  return encode(removed);
}

std::vector<uint64_t> AwarenessTable::expired(int64_t now_ms, int64_t timeout_ms) {
  std::vector<uint64_t> out;
  for (auto it = states_.begin(); it != states_.end();) {
    const Meta& m = meta_[it->first];
    if (now_ms - m.last_updated_ms >= timeout_ms) {
      out.push_back(it->first);
      it = states_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<uint8_t> AwarenessTable::encode_all() const {
  if (states_.empty()) return {};
  std::vector<uint64_t> clients;
  for (const auto& [c, _] : states_) clients.push_back(c);
  return encode(clients);
}

std::vector<uint8_t> AwarenessTable::encode(std::span<const uint64_t> clients) const {
  lib0::Encoder enc;
  enc.write_var_uint(clients.size());
  for (uint64_t c : clients) {
    auto m = meta_.find(c);
    auto s = states_.find(c);
    enc.write_var_uint(c);
    enc.write_var_uint(m == meta_.end() ? 0 : m->second.clock);
    enc.write_var_string(s == states_.end() ? kNull : std::string_view(s->second));
  }
  return enc.take();
}

}  // namespace weft::server
