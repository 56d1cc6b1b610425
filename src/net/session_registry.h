// Internal: the live sessions of one NetServer, so stop() can close them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
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

// What every session of one server shares; outlives the server if a session does.
struct NetContext {
  NetServerOptions options;
  std::shared_ptr<HttpHandler> handler;
  SessionRegistry registry;
};

}  // namespace weft::net_detail
