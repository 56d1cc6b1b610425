#include "server/room.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "server/frame.h"

namespace weft::server {

namespace asio = boost::asio;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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

void Room::post_attach(std::shared_ptr<WsConnection> conn) {
  asio::post(strand_, [self = shared_from_this(), conn = std::move(conn)]() mutable {
    self->run_or_queue([self, conn = std::move(conn)]() mutable { self->attach(std::move(conn)); });
  });
}

void Room::post_message(uint64_t conn_id, FrameKind kind, std::vector<uint8_t> bytes) {
  asio::post(strand_, [self = shared_from_this(), conn_id, kind, bytes = std::move(bytes)]() mutable {
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

void Room::broadcast_awareness(const std::vector<uint8_t>& update) {
  if (update.empty()) return;
  broadcast(shared_bytes(encode_awareness(update)));
}

void Room::attach(std::shared_ptr<WsConnection> conn) {
  if (failed_) {
    conn->close(1011, "room unavailable");
    return;
  }
  const uint64_t id = conn->id();
  Conn& c = conns_[id];
  c.conn = std::move(conn);
  send(c, encode_sync_step1(doc_->encode_state_vector()));
  if (std::vector<uint8_t> states = awareness_.encode_all(); !states.empty())
    send(c, encode_awareness(states));
}

void Room::detach(uint64_t conn_id) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;
  std::vector<uint64_t> clients(it->second.awareness_clients.begin(), it->second.awareness_clients.end());
  conns_.erase(it);
  std::erase_if(deferred_step1_, [conn_id](const auto& d) { return d.first == conn_id; });
  broadcast_awareness(awareness_.remove(clients));
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
  deferred_step1_.clear();
}

void Room::handle(uint64_t conn_id, FrameKind kind, const std::vector<uint8_t>& bytes) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end() || failed_) return;
  Conn& c = it->second;
  if (kind == FrameKind::kText) {
    reject(c, RejectReason::kTextFrame, "text frame on the sync endpoint", kCloseProtocolError);
    return;
  }
  Result<Frame> frame = decode_frame(bytes);
  if (!frame) {
    reject(c, RejectReason::kMalformedMessage, frame.status().to_string(), kCloseProtocolError);
    return;
  }
  switch (frame->type) {
    case FrameType::kSyncStep1:
      if (in_flight_ > 0) {
        // Validated now, answered when what the doc holds is all durable.
        if (auto probe = doc_->encode_state_as_update(frame->payload); !probe) {
          reject(c, RejectReason::kMalformedStateVector, probe.status().to_string(), kCloseProtocolError);
          return;
        }
        deferred_step1_.emplace_back(conn_id,
                                     std::vector<uint8_t>(frame->payload.begin(), frame->payload.end()));
      } else {
        answer_step1(c, frame->payload);
      }
      break;
    case FrameType::kSyncStep2:
    case FrameType::kSyncUpdate:
      handle_update(c, frame->payload);
      break;
    case FrameType::kAwareness:
      handle_awareness(c, frame->payload);
      break;
    case FrameType::kQueryAwareness:
      send(c, encode_awareness(awareness_.encode_all().empty() ? std::vector<uint8_t>{0}
                                                               : awareness_.encode_all()));
      break;
    case FrameType::kAuth:
      break;  // nothing for a server to do with a client's auth message
  }
}

bool Room::answer_step1(Conn& c, std::span<const uint8_t> state_vector) {
  Result<UpdateBytes> diff = doc_->encode_state_as_update(state_vector);
  if (!diff) {
    reject(c, RejectReason::kMalformedStateVector, diff.status().to_string(), kCloseProtocolError);
    return false;
  }
  send(c, encode_sync_step2(*diff));
  return true;
}

void Room::handle_update(Conn& c, std::span<const uint8_t> update) {
  if (stored_bytes_ + update.size() > ctx_.options.max_doc_bytes) {
    reject(c, RejectReason::kDocTooLarge,
           fmt::format("{} stored bytes + {} byte update exceeds max_doc_bytes {}", stored_bytes_,
                       update.size(), ctx_.options.max_doc_bytes),
           kCloseTooBig);
    return;
  }
  bool changed = false;
  const uint64_t sub =
      doc_->on_update([&changed](const UpdateBytes&, const Transaction&) { changed = true; });
  Status s = doc_->apply_update(update, UpdateFormat::kV1, "remote");
  doc_->unobserve(sub);
  if (!s) {
    reject(c, RejectReason::kMalformedUpdate, s.to_string(), kCloseProtocolError);
    return;
  }
  // An update that only waits for missing dependencies changes no visible
  // state but must be kept; one the doc already had is dropped, as the
  // reference server's update event would not fire for it.
  if (!changed && !doc_->has_pending()) return;
  ctx_.metrics.updates_applied.fetch_add(1);
  ++in_flight_;
  stored_bytes_ += update.size();
  auto message = shared_bytes(encode_sync_update(update));
  ctx_.store.append(name_, Bytes(update.begin(), update.end()),
                    [self = shared_from_this(), message](Result<Seq> seq) {
                      asio::post(self->strand_, [self, message, seq = std::move(seq)]() mutable {
                        self->on_durable(message, std::move(seq));
                      });
                    });
}

void Room::on_durable(std::shared_ptr<const std::vector<uint8_t>> message, Result<Seq> seq) {
  --in_flight_;
  if (!seq) {
    // The doc holds state the store does not: drop it all. Clients reconnect,
    // resync from the reloaded room, and send their state again.
    ctx_.metrics.reject(RejectReason::kPersistFailed);
    spdlog::error("room '{}': persisting an update failed: {}; closing the room", name_,
                  seq.status().to_string());
    fail_all("persist failed");
    return;
  }
  if (failed_) return;
  last_seq_ = *seq;
  ++log_count_;
  ctx_.metrics.updates_broadcast.fetch_add(1);
  broadcast(message);
  if (in_flight_ == 0) {
    auto deferred = std::move(deferred_step1_);
    deferred_step1_.clear();
    for (auto& [conn_id, sv] : deferred) {
      if (auto it = conns_.find(conn_id); it != conns_.end()) answer_step1(it->second, sv);
    }
    maybe_compact();
  }
}

void Room::maybe_compact() {
  if (compacting_ || failed_ || in_flight_ > 0 || log_count_ < ctx_.options.compact_after_updates) return;
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

void Room::handle_awareness(Conn& c, std::span<const uint8_t> update) {
  auto applied = awareness_.apply(update, now_ms());
  if (!applied) {
    reject(c, RejectReason::kMalformedAwareness, applied.status().to_string(), kCloseProtocolError);
    return;
  }
  for (uint64_t id : applied->added) c.awareness_clients.insert(id);
  for (uint64_t id : applied->removed) c.awareness_clients.erase(id);
  broadcast_awareness(applied->update);
}

void Room::tick(const std::function<void(const std::shared_ptr<Room>&)>& evict) {
  const int64_t timeout = ctx_.options.awareness_timeout.count();
  if (std::vector<uint64_t> gone = awareness_.expired(now_ms(), timeout); !gone.empty()) {
    for (auto& [id, c] : conns_) {
      for (uint64_t client : gone) c.awareness_clients.erase(client);
    }
    broadcast_awareness(awareness_.encode(gone));
  }
  if (!conns_.empty() || in_flight_ > 0 || compacting_ || !waiting_.empty()) return;
  if (!failed_ && std::chrono::steady_clock::now() - idle_since_ < ctx_.options.idle_timeout) return;
  evict(shared_from_this());
}

}  // namespace weft::server
