// Room: one document served to its WebSocket connections (yjs-compat.md 9.3).
//
// Everything a Room does runs on its strand: the Doc, the connection list,
// the awareness table. The public post_* methods may be called from any
// thread; they hop onto the strand.
//
// Lifecycle: the Server creates a Room when its first connection opens and
// calls start_load(); the stored state is read on the loader executor and
// applied to a fresh Doc there, then handed to the strand. Until then every
// attach / message / detach waits in order, so no client is ever answered
// from a doc that is still loading.
//
// Persist before broadcast: the per-connection protocol (weft_sync
// RoomProtocol) validates an update without applying it; the room appends
// it to the store and, only in the store's durable callback, applies it to
// the Doc and broadcasts the doc's update as [0,2,update] to every
// connection of the room. So the Doc only ever holds durable state, and a
// SyncStep2 never carries anything the server could still lose.
//
// Durable updates are drained in batches: the store acknowledges a group
// commit's appends one after another from its writer thread; the room
// collects them and, on the strand, applies all that have arrived in one
// Doc transaction and broadcasts that transaction's one update. Under load
// (many updates per commit) each connection gets one message per commit
// instead of one per update; at low load a batch is a single update.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/ws_handler.h"
#include "server/auth.h"
#include "server/metrics.h"
#include "server/server_options.h"
#include "store/doc_store.h"
#include "sync/awareness.h"
#include "sync/room_protocol.h"
#include "weft/doc.h"

namespace weft::server {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// What rooms share: owned by the Server, outlives every Room.
struct RoomContext {
  const ServerOptions& options;
  DocStore& store;
  Metrics& metrics;
  boost::asio::any_io_executor loader;  // blocking store reads run here
};

class Room : public std::enable_shared_from_this<Room> {
 public:
  Room(std::string name, Strand strand, RoomContext& ctx);
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }

  // Any thread.
  void start_load();
  // A read-only connection receives everything; its doc updates are
  // dropped by type (RoomProtocol), counted, and answered once with a
  // permission-denied message (docs/server.md, "Read-only connections").
  // From `expires_unix` on (its token's expiry) the connection is told
  // permission denied and closed, at the next tick or its next message.
  void post_attach(std::shared_ptr<WsConnection> conn, bool read_only = false,
                   int64_t expires_unix = kNoExpiry);
  void post_message(uint64_t conn_id, FrameKind kind, std::vector<uint8_t> bytes);
  void post_detach(uint64_t conn_id);
  // Periodic upkeep: awareness expiry; then, if the room may be dropped
  // (no connections for idle_timeout, no write in flight), calls `evict`
  // on the strand.
  void post_tick(std::function<void(const std::shared_ptr<Room>&)> evict);

  // Connections handed to this Room and not yet detached. Incremented by
  // the Server under its room-map lock (so an evicted Room gets none), and
  // decremented from on_close.
  std::atomic<int64_t> refs{0};

  // A room's stored state applied to a fresh Doc (blocking; any thread).
  struct Loaded {
    std::unique_ptr<Doc> doc;
    uint64_t log_count = 0;
    uint64_t stored_bytes = 0;
    Seq last_seq = 0;
  };
  static Result<Loaded> load(DocStore& store, const std::string& name);

 private:
  struct Conn {
    std::shared_ptr<WsConnection> conn;
    std::unique_ptr<sync::RoomProtocol> protocol;
    bool read_only = false;
    bool told_read_only = false;  // the permission-denied message went out
    int64_t expires_unix = kNoExpiry;
  };

  // Strand only.
  void run_or_queue(std::function<void()> op);
  void on_loaded(Result<Loaded> loaded);
  void attach(std::shared_ptr<WsConnection> conn, bool read_only, int64_t expires_unix);
  // Closes `c` if its token has expired; true if it did.
  bool close_if_expired(Conn& c, int64_t now_unix);
  void refuse_read_only(Conn& c, sync::SyncType type);
  // Answers an empty-state-vector SyncStep1 from the cache (full_state_).
  void send_full_state(Conn& c);
  void handle(uint64_t conn_id, FrameKind kind, const std::vector<uint8_t>& bytes);
  void detach(uint64_t conn_id);
  void persist(Conn& c, std::vector<uint8_t> update);
  // Any thread (the store's writer): queues one acknowledged append.
  void on_durable(uint64_t conn_id, std::shared_ptr<std::vector<uint8_t>> update, Result<Seq> seq);
  // Strand only: applies and broadcasts the queued acknowledgements.
  void drain_durable();
  void maybe_compact();
  void reject(Conn& c, RejectReason reason, const std::string& detail, uint16_t code);
  void fail_all(const std::string& why);
  void send(Conn& c, std::vector<uint8_t> bytes);
  void broadcast(const std::shared_ptr<const std::vector<uint8_t>>& message);
  void broadcast(std::optional<std::vector<uint8_t>> frame);
  void tick(const std::function<void(const std::shared_ptr<Room>&)>& evict);

  const std::string name_;
  Strand strand_;
  RoomContext& ctx_;

  bool loaded_ = false;
  bool failed_ = false;                        // the load failed: refuses everything, waits for eviction
  std::deque<std::function<void()>> waiting_;  // ops that arrived while loading
  std::unique_ptr<Doc> doc_;
  std::map<uint64_t, Conn> conns_;
  sync::Awareness awareness_;
  size_t in_flight_ = 0;       // appends not yet acknowledged
  uint64_t log_count_ = 0;     // updates in the store's log after its snapshot
  uint64_t stored_bytes_ = 0;  // snapshot + log, as far as this room knows
  Seq last_seq_ = 0;
  bool compacting_ = false;
  std::chrono::steady_clock::time_point idle_since_;
  // The SyncStep2 answering an empty state vector (the whole doc), shared by
  // every new client until the doc changes; null when not encoded yet.
  std::shared_ptr<const std::vector<uint8_t>> full_state_;

  struct Durable {
    uint64_t conn_id;
    std::shared_ptr<std::vector<uint8_t>> update;
    Result<Seq> seq;
  };
  std::mutex durable_mu_;          // guards durable_
  std::vector<Durable> durable_;   // acknowledged appends not yet drained, in seq order
  std::vector<Durable> draining_;  // strand only: reused buffer
};

}  // namespace weft::server
