// Internal: the live sessions of one NetServer, so stop() can close them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/http_handler.h"
#include "net/net_options.h"

namespace weft::net_detail {

class NetSession {
 public:
  virtual ~NetSession() = default;
  // Graceful: finish what is in flight, close (WebSocket: with 1001).
  virtual void shutdown() = 0;
  // Immediate: close the socket.
  virtual void abort() = 0;
};

class SessionRegistry {
 public:
  uint64_t next_id() { return ++last_id_; }
  void add(uint64_t id, std::weak_ptr<NetSession> session) {
    std::lock_guard lock(mu_);
    sessions_[id] = std::move(session);
  }
  void remove(uint64_t id) {
    std::lock_guard lock(mu_);
    sessions_.erase(id);
    if (sessions_.empty()) empty_.notify_all();
  }
  std::vector<std::shared_ptr<NetSession>> live() {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<NetSession>> out;
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return sessions_.size();
  }
  // True if every session was gone before `deadline`.
  bool wait_empty(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return empty_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
  }

  std::atomic<bool> stopping{false};

 private:
  std::atomic<uint64_t> last_id_{0};
  mutable std::mutex mu_;
  std::condition_variable empty_;
  std::unordered_map<uint64_t, std::weak_ptr<NetSession>> sessions_;
};

// Open TCP connections per remote address (HTTP and upgraded WebSocket
// alike), for NetServerOptions::max_connections_per_ip. A connection holds
// a slot from accept until its session ends.
class IpSlots : public std::enable_shared_from_this<IpSlots> {
 public:
  // A slot for `ip`, or null when `max` connections from it are open
  // (max 0: no limit, always a slot).
  std::shared_ptr<void> acquire(const std::string& ip, size_t max) {
    std::lock_guard lock(mu_);
    size_t& n = counts_[ip];
    if (max != 0 && n >= max) {
      if (n == 0) counts_.erase(ip);
      return nullptr;
    }
    ++n;
    // Non-null (this) so that a slot tests true; the deleter gives it back.
    return std::shared_ptr<void>(static_cast<void*>(this),
                                 [self = shared_from_this(), ip](void*) { self->release(ip); });
  }

 private:
  void release(const std::string& ip) {
    std::lock_guard lock(mu_);
    auto it = counts_.find(ip);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
  }

  std::mutex mu_;
  std::unordered_map<std::string, size_t> counts_;
};

// What every session of one server shares; outlives the server if a session does.
struct NetContext {
  NetServerOptions options;
  std::shared_ptr<HttpHandler> handler;
  SessionRegistry registry;
  std::shared_ptr<IpSlots> ip_slots = std::make_shared<IpSlots>();
};

}  // namespace weft::net_detail
