// Delete sets and state vectors (yjs src/utils/DeleteSet.js, encoding.js).
#include <algorithm>

#include "encoding/wire.h"

namespace weft {

void DeleteSet::add(uint64_t client, uint64_t clock, uint64_t len) {
  clients_[client].push_back({clock, len});
}

void DeleteSet::sort_and_merge() {
  for (auto& [client, dels] : clients_) {
    // Ranges with equal clocks merge to the same result in any order, so an
    // unstable sort will do; most sets arrive sorted (and stable_sort allocates).
    auto by_clock = [](const auto& a, const auto& b) { return a.clock < b.clock; };
    if (!std::is_sorted(dels.begin(), dels.end(), by_clock)) std::sort(dels.begin(), dels.end(), by_clock);
    size_t j = 1;
    for (size_t i = 1; i < dels.size(); i++) {
      DeleteRange& left = dels[j - 1];
      const DeleteRange& right = dels[i];
      if (left.clock + left.len >= right.clock) {
        left.len = std::max(left.len, right.clock + right.len - left.clock);
      } else {
        if (j < i) dels[j] = right;
        j++;
      }
    }
    if (!dels.empty()) dels.resize(j);
  }
}

bool DeleteSet::contains(ID id) const {
  auto it = clients_.find(id.client);
  if (it == clients_.end()) return false;
  const auto& dels = it->second;
  // First range starting after the clock; the candidate is the one before.
  auto r = std::upper_bound(dels.begin(), dels.end(), id.clock,
                            [](uint64_t clock, const DeleteRange& d) { return clock < d.clock; });
  if (r == dels.begin()) return false;
  --r;
  return id.clock < r->end();
}

void DeleteSet::merge(const DeleteSet& other) {
  for (const auto& [client, dels] : other.clients_) {
    auto& mine = clients_[client];
    mine.insert(mine.end(), dels.begin(), dels.end());
  }
  sort_and_merge();
}

void DeleteSet::write(UpdateEncoder& enc) const {
  enc.rest().write_var_uint(clients_.size());
  for (auto it = clients_.rbegin(); it != clients_.rend(); ++it) {
    enc.reset_ds_cur_val();
    enc.rest().write_var_uint(it->first);
    enc.rest().write_var_uint(it->second.size());
    for (const DeleteRange& d : it->second) {
      enc.write_ds_clock(d.clock);
      enc.write_ds_len(d.len);
    }
  }
}

DeleteSet DeleteSet::read(UpdateDecoder& dec) {
  DeleteSet ds;
  std::vector<DeleteRange>* dels = nullptr;
  read_delete_set_ranges(
      dec,
      [&](uint64_t client, size_t capacity) {
        dels = &ds.clients_[client];
        dels->reserve(dels->size() + capacity);
      },
      [&](uint64_t clock, uint64_t len) {
        dels->push_back({clock, len});
      },
      [] {});
  if (!dec.ok()) return {};
  return ds;
}

bool DeleteSet::operator==(const DeleteSet& other) const {
  if (clients_.size() != other.clients_.size()) return false;
  for (const auto& [client, dels] : clients_) {
    auto it = other.clients_.find(client);
    if (it == other.clients_.end() || it->second.size() != dels.size()) return false;
    for (size_t i = 0; i < dels.size(); i++) {
      if (dels[i].clock != it->second[i].clock || dels[i].len != it->second[i].len) return false;
    }
  }
  return true;
}

std::vector<uint8_t> encode_state_vector(const StateVector& sv) {
  lib0::Encoder enc;
  enc.write_var_uint(sv.size());
  for (auto it = sv.rbegin(); it != sv.rend(); ++it) {
    enc.write_var_uint(it->first);
    enc.write_var_uint(it->second);
  }
  return enc.take();
}

Result<StateVector> decode_state_vector(std::span<const uint8_t> bytes) {
  lib0::Decoder dec(bytes);
  StateVector sv;
  uint64_t n = dec.read_var_uint();
  for (uint64_t i = 0; i < n && dec.ok(); i++) {
    uint64_t client = dec.read_var_uint();
    uint64_t clock = dec.read_var_uint();
    if (dec.ok()) sv[client] = clock;  // a repeated client: the last entry wins
  }
  if (!dec.ok()) return dec.status();
  return sv;
}

}  // namespace weft
