// libFuzzer target: one incoming y-websocket frame (sync/message.h) through
// the decoder and through a room's RoomProtocol, read-write and read-only.
//  - decode_message never crashes; what it accepts re-encodes to a frame
//    that decodes to the same message;
//  - on_message fails exactly when the frame is malformed somewhere, and
//    then leaves the room's doc and awareness as they were ("no store
//    change on error": nothing is handed out to persist either);
//  - a read-only connection never gets a doc_update out; a doc_update that
//    on_message hands out always applies (what the server persists loads);
//  - every frame the protocol sends back decodes.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sync/room_protocol.h"

namespace {

using weft::Doc;
using weft::sync::Awareness;
using weft::sync::Bytes;

void check(bool cond) {
  if (!cond) std::abort();
}

// A room doc with content (text, map, a deletion), so a SyncStep1 has
// something to diff against.
void fill(Doc& doc) {
  check(doc.get_text("t").insert(0, std::string_view("héllo wörld")).is_ok());
  doc.get_map("m").set("k", weft::Any("v"));
  check(doc.get_text("t").remove_range(2, 3).is_ok());
}

weft::UpdateBytes doc_state(const Doc& doc) {
  weft::Result<weft::UpdateBytes> state = doc.encode_state_as_update();
  check(state.is_ok());
  return *state;
}

std::pair<Bytes, size_t> awareness_state(const Awareness& awareness) {
  return {awareness.encode_update(awareness.clients_with_state()), awareness.size()};
}

void check_frame(const Bytes& frame) { check(weft::sync::decode_message(frame).is_ok()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> frame(data, size);

  weft::Result<weft::sync::Message> decoded = weft::sync::decode_message(frame);
  if (decoded) {
    const Bytes again = weft::sync::encode_message(*decoded);
    weft::Result<weft::sync::Message> redecoded = weft::sync::decode_message(again);
    check(redecoded.is_ok() && *redecoded == *decoded);
  }

  Doc doc(1);
  fill(doc);
  Awareness awareness(weft::sync::AwarenessOptions{.max_clients = 8});
  // A state owned by another connection, which this one must not disturb on error.
  const std::vector<weft::sync::AwarenessEntry> entries = {{77, 3, R"({"user":"other"})"}};
  const Bytes other = weft::sync::encode_awareness_update(entries);
  check(awareness.apply_update(other, 0, 2).is_ok());

  for (bool read_only : {true, false}) {
    weft::sync::RoomProtocol conn(doc, awareness, 1);
    const weft::UpdateBytes doc_before = doc_state(doc);
    const auto awareness_before = awareness_state(awareness);
    weft::Result<weft::sync::MessageOutcome> out = conn.on_message(frame, 1000, read_only);
    if (!decoded) check(!out.is_ok());
    // The doc is only read by on_message; on error the awareness is untouched too.
    check(doc_state(doc) == doc_before);
    if (!out) {
      check(awareness_state(awareness) == awareness_before);
      continue;
    }
    for (const Bytes& reply : out->replies) check_frame(reply);
    if (out->awareness_broadcast) check_frame(*out->awareness_broadcast);
    if (out->refused_update) {
      check(read_only && !out->doc_update && out->replies.empty() && !out->awareness_broadcast);
    }
    if (out->doc_update) {
      check(!read_only);
      weft::Result<std::optional<Bytes>> applied = weft::sync::apply_doc_update(doc, *out->doc_update);
      check(applied.is_ok());
      if (*applied) check_frame(**applied);
    }
    if (std::optional<Bytes> removal = conn.on_close(2000)) check_frame(*removal);
  }
  return 0;
}
