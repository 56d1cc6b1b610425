#include "sync/room_protocol.h"

#include "sync/update_check.h"
#include "weft/update.h"

namespace weft::sync {

std::vector<Bytes> RoomProtocol::on_connect() const {
  std::vector<Bytes> out;
  out.push_back(encode_sync_step1(doc_.encode_state_vector()));
  const std::vector<ClientId> clients = awareness_.clients_with_state();
  if (!clients.empty()) out.push_back(encode_awareness_message(awareness_.encode_update(clients)));
  return out;
}

Result<MessageOutcome> RoomProtocol::on_message(std::span<const uint8_t> frame, int64_t now_ms,
                                                bool read_only) {
  WEFT_ASSIGN_OR_RETURN(Message message, decode_message(frame));
  MessageOutcome out;
  if (auto* sync = std::get_if<SyncMessage>(&message)) {
    if (sync->type == SyncType::kStep1) {
      // Empty bytes would mean "everything" to encode_state_as_update; JS
      // fails to read a state vector from them.
      if (sync->payload.empty()) return Status(ErrorCode::kTruncated, "sync step 1 without a state vector");
      WEFT_ASSIGN_OR_RETURN(UpdateBytes update, doc_.encode_state_as_update(sync->payload));
      out.replies.push_back(encode_sync_step2(update));
      return out;
    }
    if (read_only) {
      out.refused_update = sync->type;
      return out;
    }
    WEFT_ASSIGN_OR_RETURN(bool has_content, check_update(sync->payload));
    if (!has_content) return out;
    if (sync->type == SyncType::kStep2 && !changes_doc(doc_, sync->payload)) {
      out.redundant_update = true;
      return out;
    }
    out.doc_update = std::move(sync->payload);
    return out;
  }
  if (auto* awareness = std::get_if<AwarenessMessage>(&message)) {
    WEFT_ASSIGN_OR_RETURN(AwarenessChange change,
                          awareness_.apply_update(awareness->update, now_ms, connection_));
    out.awareness_broadcast = awareness_broadcast(awareness_, change);
    return out;
  }
  if (std::holds_alternative<QueryAwarenessMessage>(message)) {
    out.replies.push_back(
        encode_awareness_message(awareness_.encode_update(awareness_.clients_with_state())));
    return out;
  }
  return out;  // auth: nothing to do
}

std::optional<Bytes> RoomProtocol::on_close(int64_t now_ms) {
  return awareness_broadcast(awareness_, awareness_.remove_connection(connection_, now_ms));
}

Result<std::optional<Bytes>> apply_doc_update(Doc& doc, std::span<const uint8_t> update,
                                              const std::string& origin) {
  std::vector<UpdateBytes> events;
  const uint64_t subscription =
      doc.on_update([&](const UpdateBytes& bytes, const Transaction&) { events.push_back(bytes); });
  Status status = doc.apply_update(update, UpdateFormat::kV1, origin);
  doc.unobserve(subscription);
  WEFT_RETURN_IF_ERROR(status);
  if (events.empty()) return std::optional<Bytes>();
  if (events.size() == 1) return std::optional<Bytes>(encode_sync_update(events[0]));
  // One apply is one transaction; should a handler have nested another, send one update.
  std::vector<std::span<const uint8_t>> parts(events.begin(), events.end());
  WEFT_ASSIGN_OR_RETURN(UpdateBytes merged, merge_updates(parts, UpdateFormat::kV1));
  return std::optional<Bytes>(encode_sync_update(merged));
}

std::optional<Bytes> awareness_broadcast(const Awareness& awareness, const AwarenessChange& change) {
  if (change.empty()) return std::nullopt;
  return encode_awareness_message(awareness.encode_update(change.changed()));
}

}  // namespace weft::sync
