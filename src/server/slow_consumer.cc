#include "server/slow_consumer.h"

#include "sync/message.h"
#include "weft/update.h"

namespace weft::server {

bool merge_queued_updates(std::deque<OutMessage>& queue) {
  std::vector<size_t> positions;
  std::vector<std::span<const uint8_t>> updates;
  for (size_t i = 0; i < queue.size(); ++i) {
    const OutMessage& m = queue[i];
    if (!m.data || m.kind != FrameKind::kBinary || m.data->size() < 2 || (*m.data)[0] != 0 ||
        (*m.data)[1] != 2) {
      continue;
    }
    // The payload of `00 02 len bytes` is the tail of the frame.
    Result<sync::Message> msg = sync::decode_message(*m.data);
    if (!msg) continue;
    const auto* sm = std::get_if<sync::SyncMessage>(&*msg);
    if (sm == nullptr || sm->type != sync::SyncType::kUpdate) continue;
    positions.push_back(i);
    updates.push_back(std::span<const uint8_t>(*m.data).last(sm->payload.size()));
  }
  if (updates.size() < 2) return false;
  Result<UpdateBytes> merged = merge_updates(updates, UpdateFormat::kV1);
  if (!merged) return false;
  queue[positions[0]] = OutMessage{
      std::make_shared<const std::vector<uint8_t>>(sync::encode_sync_update(*merged)), FrameKind::kBinary};
  for (size_t k = positions.size(); k-- > 1;)
    queue.erase(queue.begin() + static_cast<ptrdiff_t>(positions[k]));
  return true;
}

}  // namespace weft::server
