#include "server/room.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace weft::server {

namespace asio = boost::asio;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A SyncStep1 with an empty state vector, [0 sync][0 step 1][1 byte][0
// clients]: what every new client without local state sends. Its answer is
// the room's whole state, which Room caches (full_state_).
constexpr std::array<uint8_t, 4> kEmptyStep1 = {0, 0, 1, 0};
constexpr std::array<uint8_t, 1> kEmptyStateVector = {0};

std::shared_ptr<const std::vector<uint8_t>> shared_bytes(std::vector<uint8_t> bytes) {
  return std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
}

}  // namespace

Room::Room(std::string name, Strand strand, RoomContext& ctx)
    : name_(std::move(name)),
      strand_(std::move(strand)),
      ctx_(ctx),
      idle_since_(std::chrono::steady_clock::now()) {
  ctx_.metrics.rooms_loaded.fetch_add(1);
}

Room::~Room() { ctx_.metrics.rooms_loaded.fetch_sub(1); }

Result<Room::Loaded> Room::load(DocStore& store, const std::string& name) {
  WEFT_ASSIGN_OR_RETURN(StoredDoc stored, store.load(name));
  Loaded out;
  out.doc = std::make_unique<Doc>();
  out.log_count = stored.updates.size();
  out.stored_bytes = stored.stored_bytes;
  out.last_seq = stored.last_seq;
  if (!stored.snapshot.empty()) {
    if (Status s = out.doc->apply_update(stored.snapshot); !s) {
      return Status(s.code(), "stored snapshot: " + s.to_string());
    }
  }
  for (size_t i = 0; i < stored.updates.size(); ++i) {
    // Only validated updates are stored; one that no longer applies is a bug
    // or a damaged file. Skipping it keeps the rest of the room readable.
    if (Status s = out.doc->apply_update(stored.updates[i]); !s) {
      spdlog::error("room '{}': stored update seq {} does not apply ({}); skipped", name,
                    stored.first_seq + i, s.to_string());
    }
  }
  return out;
}

void Room::start_load() {
  ctx_.metrics.room_loads_total.fetch_add(1);
  asio::post(ctx_.loader, [self = shared_from_this()] {
    auto started = std::chrono::steady_clock::now();
    Result<Loaded> loaded = load(self->ctx_.store, self->name_);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
            .count();
    if (loaded)
      spdlog::debug("room '{}' loaded in {} ms ({} log updates)", self->name_, ms, loaded->log_count);
    // Result is move-only in practice (Doc); share it into the handler.
    auto box = std::make_shared<Result<Loaded>>(std::move(loaded));
    asio::post(self->strand_, [self, box] { self->on_loaded(std::move(*box)); });
  });
}

void Room::on_loaded(Result<Loaded> loaded) {
  if (!loaded) {
    spdlog::error("room '{}': load failed: {}", name_, loaded.status().to_string());
    failed_ = true;
  } else {
    doc_ = std::move(loaded->doc);
    log_count_ = loaded->log_count;
    stored_bytes_ = loaded->stored_bytes;
    last_seq_ = loaded->last_seq;
  }
  loaded_ = true;
  std::deque<std::function<void()>> ops;
  ops.swap(waiting_);
  for (auto& op : ops) op();
  if (failed_) fail_all("the room could not be loaded");
}

void Room::run_or_queue(std::function<void()> op) {
  if (loaded_) {
    op();
  } else {
    waiting_.push_back(std::move(op));
  }
}

void Room::post_attach(std::shared_ptr<WsConnection> conn, bool read_only, int64_t expires_unix) {
  asio::post(strand_, [self = shared_from_this(), conn = std::move(conn), read_only, expires_unix]() mutable {
    self->run_or_queue([self, conn = std::move(conn), read_only, expires_unix]() mutable {
      self->attach(std::move(conn), read_only, expires_unix);
    });
  });
}

void Room::post_message(uint64_t conn_id, FrameKind kind, std::vector<uint8_t> bytes) {
  // dispatch: when the strand is free this runs right here on the
  // connection's io thread instead of waking another thread for it.
  asio::dispatch(strand_, [self = shared_from_this(), conn_id, kind, bytes = std::move(bytes)]() mutable {
    auto run = [self, conn_id, kind, bytes = std::move(bytes)] { self->handle(conn_id, kind, bytes); };
    self->run_or_queue(std::move(run));
  });
}

void Room::post_detach(uint64_t conn_id) {
  asio::post(strand_, [self = shared_from_this(), conn_id] {
    self->run_or_queue([self, conn_id] { self->detach(conn_id); });
  });
}

void Room::post_tick(std::function<void(const std::shared_ptr<Room>&)> evict) {
  asio::post(strand_, [self = shared_from_this(), evict = std::move(evict)] {
    if (self->loaded_) self->tick(evict);
  });
}

void Room::send(Conn& c, std::vector<uint8_t> bytes) {
  ctx_.metrics.messages_out.fetch_add(1);
  ctx_.metrics.bytes_out.fetch_add(bytes.size());
  c.conn->send(std::move(bytes));
}

void Room::broadcast(const std::shared_ptr<const std::vector<uint8_t>>& message) {
  for (auto& [id, c] : conns_) {
    ctx_.metrics.messages_out.fetch_add(1);
    ctx_.metrics.bytes_out.fetch_add(message->size());
    c.conn->send(OutMessage{message, FrameKind::kBinary});
  }
}

void Room::broadcast(std::optional<std::vector<uint8_t>> frame) {
  if (frame) broadcast(shared_bytes(std::move(*frame)));
}

void Room::attach(std::shared_ptr<WsConnection> conn, bool read_only, int64_t expires_unix) {
  if (failed_) {
    conn->close(1011, "room unavailable");
    return;
  }
  const uint64_t id = conn->id();
  Conn& c = conns_[id];
  c.conn = std::move(conn);
  c.protocol = std::make_unique<sync::RoomProtocol>(*doc_, awareness_, id);
  c.read_only = read_only;
  c.expires_unix = expires_unix;
  for (auto& frame : c.protocol->on_connect()) send(c, std::move(frame));
}

bool Room::close_if_expired(Conn& c, int64_t now_unix) {
  if (now_unix < c.expires_unix) return false;
  // Told first (y-websocket logs the reason), then closed; the client's
  // reconnect with the same token is refused with 401 before the upgrade.
  send(c, sync::encode_permission_denied("token expired"));
  reject(c, RejectReason::kTokenExpired, "its token expired", kClosePolicy);
  c.expires_unix = kNoExpiry;  // closing: told once
  return true;
}

void Room::detach(uint64_t conn_id) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;
  std::optional<std::vector<uint8_t>> removal = it->second.protocol->on_close(now_ms());
  conns_.erase(it);
  broadcast(std::move(removal));
  if (conns_.empty()) idle_since_ = std::chrono::steady_clock::now();
}

void Room::reject(Conn& c, RejectReason reason, const std::string& detail, uint16_t code) {
  ctx_.metrics.reject(reason);
  spdlog::warn("room '{}': closing connection {} from {}: {}: {}", name_, c.conn->id(), c.conn->remote(),
               reject_reason_name(reason), detail);
  c.conn->close(code, reject_reason_name(reason));
}

void Room::fail_all(const std::string& why) {
  failed_ = true;
  for (auto& [id, c] : conns_) c.conn->close(1011, why);
}

namespace {

// Which limit or check a refused frame failed, for the metric label.
RejectReason classify(std::span<const uint8_t> bytes) {
  Result<sync::Message> m = sync::decode_message(bytes);
  if (!m) return RejectReason::kMalformedMessage;
  if (const auto* s = std::get_if<sync::SyncMessage>(&*m)) {
    return s->type == sync::SyncType::kStep1 ? RejectReason::kMalformedStateVector
                                             : RejectReason::kMalformedUpdate;
  }
  if (std::holds_alternative<sync::AwarenessMessage>(*m)) return RejectReason::kMalformedAwareness;
  return RejectReason::kMalformedMessage;
}

}  // namespace

void Room::handle(uint64_t conn_id, FrameKind kind, const std::vector<uint8_t>& bytes) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end() || failed_) return;
  Conn& c = it->second;
  if (c.expires_unix != kNoExpiry && close_if_expired(c, unix_now())) return;
  if (kind == FrameKind::kText) {
    reject(c, RejectReason::kTextFrame, "text frame on the sync endpoint", kCloseProtocolError);
    return;
  }
  if (bytes.size() == kEmptyStep1.size() && std::equal(bytes.begin(), bytes.end(), kEmptyStep1.begin())) {
    return send_full_state(c);
  }
  Result<sync::MessageOutcome> out = c.protocol->on_message(bytes, now_ms(), c.read_only);
  if (!out) {
    if (sync::is_refusal(out.status())) {
      ctx_.metrics.reject(RejectReason::kRefused);
      spdlog::debug("room '{}': connection {}: message refused: {}", name_, conn_id,
                    out.status().to_string());
      return;
    }
    reject(c, classify(bytes), out.status().to_string(), kCloseProtocolError);
    return;
  }
  if (out->refused_update) return refuse_read_only(c, *out->refused_update);
  for (auto& reply : out->replies) send(c, std::move(reply));
  broadcast(std::move(out->awareness_broadcast));
  if (out->redundant_update) ctx_.metrics.updates_redundant.fetch_add(1);
  if (out->doc_update) persist(c, std::move(*out->doc_update));
}

void Room::send_full_state(Conn& c) {
  if (!full_state_) {
    Result<UpdateBytes> update = doc_->encode_state_as_update(kEmptyStateVector);
    if (!update) {
      spdlog::error("room '{}': encoding the state failed: {}", name_, update.status().to_string());
      return c.conn->close(1011, "internal error");
    }
    full_state_ = shared_bytes(sync::encode_sync_step2(*update));
  }
  ctx_.metrics.messages_out.fetch_add(1);
  ctx_.metrics.bytes_out.fetch_add(full_state_->size());
  c.conn->send(OutMessage{full_state_, FrameKind::kBinary});
}

void Room::refuse_read_only(Conn& c, sync::SyncType type) {
  // Dropped, and the connection stays: a read-only y-websocket client
  // answers every SyncStep1 with a SyncStep2, so closing would make it
  // reconnect forever. A sync update (type 2) only comes from a local edit:
  // the first one is answered with y-protocols' permission-denied message,
  // which the client logs (console.warn) and otherwise ignores.
  ctx_.metrics.reject(RejectReason::kReadOnly);
  if (type != sync::SyncType::kUpdate || c.told_read_only) return;
  c.told_read_only = true;
  spdlog::debug("room '{}': connection {} is read-only; its updates are dropped", name_, c.conn->id());
  send(c, sync::encode_permission_denied("read-only connection: document updates are not accepted"));
}

void Room::persist(Conn& c, std::vector<uint8_t> update) {
  if (stored_bytes_ + update.size() > ctx_.options.max_doc_bytes) {
    reject(c, RejectReason::kDocTooLarge,
           fmt::format("{} stored bytes + {} byte update exceeds max_doc_bytes {}", stored_bytes_,
                       update.size(), ctx_.options.max_doc_bytes),
           kCloseTooBig);
    return;
  }
  ctx_.metrics.updates_applied.fetch_add(1);
  ++in_flight_;
  stored_bytes_ += update.size();
  auto shared = std::make_shared<std::vector<uint8_t>>(std::move(update));
  const uint64_t conn_id = c.conn->id();
  // Inline when the store is idle: the commit runs here, on the strand, and
  // the callback drains at once (on_durable), so a lone update crosses no
  // thread between its frame being read and its broadcast being queued.
  ctx_.store.append_inline(name_, Bytes(*shared),
                           [self = shared_from_this(), conn_id, shared](Result<Seq> seq) {
                             self->on_durable(conn_id, shared, std::move(seq));
                           });
}

void Room::on_durable(uint64_t conn_id, std::shared_ptr<std::vector<uint8_t>> update, Result<Seq> seq) {
  bool first = false;
  {
    std::lock_guard lock(durable_mu_);
    first = durable_.empty();
    durable_.push_back(Durable{conn_id, std::move(update), std::move(seq)});
  }
  // On the strand (an inline commit) drain now; from the writer thread one
  // drain per batch: later acknowledgements join the queued one.
  if (strand_.running_in_this_thread()) {
    drain_durable();
  } else if (first) {
    asio::post(strand_, [self = shared_from_this()] { self->drain_durable(); });
  }
}

void Room::drain_durable() {
  draining_.clear();
  {
    std::lock_guard lock(durable_mu_);
    draining_.swap(durable_);
  }
  std::vector<std::span<const uint8_t>> stored;
  stored.reserve(draining_.size());
  for (Durable& d : draining_) {
    --in_flight_;
    if (!d.seq) {
      // Not stored, not applied: the sender still has it and sends it again
      // in its SyncStep2 after reconnecting.
      ctx_.metrics.reject(RejectReason::kPersistFailed);
      spdlog::error("room '{}': persisting an update of connection {} failed: {}", name_, d.conn_id,
                    d.seq.status().to_string());
      if (auto it = conns_.find(d.conn_id); it != conns_.end())
        it->second.conn->close(1011, "persist failed");
      continue;
    }
    last_seq_ = *d.seq;
    ++log_count_;
    stored.emplace_back(*d.update);
  }
  if (failed_ || stored.empty()) return;
  // All in one transaction, so the doc emits one update for the batch.
  std::vector<UpdateBytes> events;
  const uint64_t subscription =
      doc_->on_update([&](const UpdateBytes& bytes, const Transaction&) { events.push_back(bytes); });
  doc_->transact(
      [&](Transaction&) {
        for (std::span<const uint8_t> update : stored) {
          // check_update promises this cannot fail; the update is stored, so
          // the next load would skip it with a log line too.
          if (Status s = doc_->apply_update(update, UpdateFormat::kV1, "remote"); !s) {
            spdlog::error("room '{}': a persisted update did not apply: {}", name_, s.to_string());
          }
        }
      },
      "remote");
  doc_->unobserve(subscription);
  if (!events.empty()) full_state_.reset();
  for (const UpdateBytes& event : events) {
    ctx_.metrics.updates_broadcast.fetch_add(1);
    broadcast(shared_bytes(sync::encode_sync_update(event)));
  }
  maybe_compact();
}

void Room::maybe_compact() {
  // Durable callbacks arrive in append order and each applies its update,
  // so the doc holds exactly the updates up to last_seq_ (appends still in
  // flight have later seqs and stay in the log).
  if (compacting_ || failed_ || log_count_ < ctx_.options.compact_after_updates) return;
  Result<UpdateBytes> snapshot = doc_->encode_state_as_update();
  if (!snapshot) {
    spdlog::error("room '{}': encoding the snapshot failed: {}", name_, snapshot.status().to_string());
    return;
  }
  compacting_ = true;
  ctx_.metrics.compactions_started.fetch_add(1);
  const uint64_t count_at_start = log_count_;
  const uint64_t bytes_at_start = stored_bytes_;
  const uint64_t snapshot_bytes = snapshot->size();
  ctx_.store.compact(name_, std::move(*snapshot), last_seq_,
                     [self = shared_from_this(), count_at_start, bytes_at_start, snapshot_bytes](Status s) {
                       asio::post(self->strand_, [self, count_at_start, bytes_at_start, snapshot_bytes, s] {
                         self->compacting_ = false;
                         if (!s) {
                           spdlog::error("room '{}': compaction failed: {}", self->name_, s.to_string());
                           return;
                         }
                         self->log_count_ -= count_at_start;
                         self->stored_bytes_ = snapshot_bytes + (self->stored_bytes_ - bytes_at_start);
                         spdlog::debug("room '{}' compacted: snapshot {} bytes", self->name_, snapshot_bytes);
                       });
                     });
}

void Room::tick(const std::function<void(const std::shared_ptr<Room>&)>& evict) {
  const int64_t now_unix = unix_now();
  for (auto& [id, c] : conns_) close_if_expired(c, now_unix);  // detached later, by on_close
  sync::AwarenessChange expired = awareness_.expire(now_ms(), ctx_.options.awareness_timeout.count());
  broadcast(sync::awareness_broadcast(awareness_, expired));
  if (!conns_.empty() || in_flight_ > 0 || compacting_ || !waiting_.empty()) return;
  if (!failed_ && std::chrono::steady_clock::now() - idle_since_ < ctx_.options.idle_timeout) return;
  evict(shared_from_this());
}

}  // namespace weft::server
