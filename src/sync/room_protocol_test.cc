#include "sync/room_protocol.h"

#include <gtest/gtest.h>

#include "sync/test_util.h"

namespace weft::sync {
namespace {

using testing::bytes;
using testing::hex;
using testing::unhex;

Bytes awareness_frame(ClientId client, uint64_t clock, const std::string& json) {
  const AwarenessEntry entry{client, clock, json};
  return encode_awareness_message(encode_awareness_update(std::span(&entry, 1)));
}

MessageOutcome ok(Result<MessageOutcome> r) {
  EXPECT_TRUE(r) << r.status().to_string();
  return r ? std::move(*r) : MessageOutcome{};
}

struct Room {
  Doc doc{100};
  Awareness awareness;
};

TEST(RoomProtocol, ConnectOnEmptyRoomSendsSyncStep1) {
  Room room;
  RoomProtocol conn(room.doc, room.awareness, 1);
  auto out = conn.on_connect();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(hex(out[0]), "00 00 01 00");
}

TEST(RoomProtocol, ConnectSendsKnownAwarenessStates) {
  Room room;
  ASSERT_TRUE(room.doc.get_text("t").insert(0, std::string_view("ab")));
  ASSERT_TRUE(room.awareness.apply_update(unhex("01 01 01 02 7b 7d"), 0, 7));
  RoomProtocol conn(room.doc, room.awareness, 1);
  auto out = conn.on_connect();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(hex(out[0]), "00 00 03 01 64 02");  // sv {100: 2}
  EXPECT_EQ(hex(out[1]), "01 06 01 01 01 02 7b 7d");
}

TEST(RoomProtocol, SyncStep1IsAnsweredWithTheirDiff) {
  Room room;
  room.doc.set_client_id(1);
  ASSERT_TRUE(room.doc.get_text("t").insert(0, std::string_view("ab")));
  RoomProtocol conn(room.doc, room.awareness, 1);
  auto out = ok(conn.on_message(unhex("00 00 01 00"), 0, false));
  ASSERT_EQ(out.replies.size(), 1u);
  // yjs-compat.md 3.8: text "ab" of client 1.
  EXPECT_EQ(hex(out.replies[0]), "00 01 0c 01 01 01 00 04 01 01 74 02 61 62 00");
  EXPECT_FALSE(out.doc_update);
  EXPECT_FALSE(out.awareness_broadcast);
  // A peer that has everything gets the empty update.
  out = ok(conn.on_message(encode_sync_step1(room.doc.encode_state_vector()), 0, true));
  EXPECT_EQ(hex(out.replies.at(0)), "00 01 02 00 00");
}

TEST(RoomProtocol, UpdatesComeBackUnappliedThenApplyGivesTheBroadcast) {
  Room room;
  Doc client(5);
  ASSERT_TRUE(client.get_text("t").insert(0, std::string_view("hi")));
  auto update = client.encode_state_as_update();
  ASSERT_TRUE(update);

  RoomProtocol conn(room.doc, room.awareness, 1);
  for (Bytes frame : {encode_sync_step2(*update), encode_sync_update(*update)}) {
    auto out = ok(conn.on_message(frame, 0, false));
    EXPECT_TRUE(out.replies.empty());
    ASSERT_TRUE(out.doc_update);
    EXPECT_EQ(*out.doc_update, *update);
    EXPECT_EQ(room.doc.get_text("t").to_string(), "");  // not applied yet
  }
  auto broadcast = apply_doc_update(room.doc, *update, "conn 1");
  ASSERT_TRUE(broadcast) << broadcast.status().to_string();
  ASSERT_TRUE(*broadcast);
  EXPECT_EQ(**broadcast, encode_sync_update(*update));
  EXPECT_EQ(room.doc.get_text("t").to_string(), "hi");
  // Applying it again changes nothing and broadcasts nothing.
  broadcast = apply_doc_update(room.doc, *update);
  ASSERT_TRUE(broadcast);
  EXPECT_FALSE(*broadcast);
}

TEST(RoomProtocol, BroadcastIsTheDocsUpdateEventNotTheIncomingBytes) {
  Room room;
  Doc client(5);
  ASSERT_TRUE(client.get_text("t").insert(0, std::string_view("ab")));
  auto first = client.encode_state_as_update();
  ASSERT_TRUE(first);
  ASSERT_TRUE(apply_doc_update(room.doc, *first));
  ASSERT_TRUE(client.get_text("t").insert(2, std::string_view("c")));
  auto both = client.encode_state_as_update();  // "ab" again, plus "c"
  ASSERT_TRUE(both);
  auto broadcast = apply_doc_update(room.doc, *both);
  ASSERT_TRUE(broadcast);
  ASSERT_TRUE(*broadcast);
  auto diff = client.encode_state_as_update(unhex("01 05 02"));
  ASSERT_TRUE(diff);
  EXPECT_EQ(hex(**broadcast), hex(encode_sync_update(*diff)));
}

TEST(RoomProtocol, EmptyUpdateNeedsNoPersisting) {
  Room room;
  RoomProtocol conn(room.doc, room.awareness, 1);
  auto out = ok(conn.on_message(unhex("00 01 02 00 00"), 0, false));
  EXPECT_FALSE(out.doc_update);
  EXPECT_TRUE(out.replies.empty());
}

// A reconnecting client's SyncStep2 repeats its whole delete set; when the
// room already holds all of it, it is neither stored nor applied. Anything
// new in it (one more struct, one more deleted range) is stored.
TEST(RoomProtocol, SyncStep2TheDocAlreadyHoldsIsRedundant) {
  Room room;
  Doc client(5);
  TextRef text = client.get_text("t");
  ASSERT_TRUE(text.insert(0, std::string_view("hello")));
  ASSERT_TRUE(text.remove_range(1, 2));
  auto state = client.encode_state_as_update();
  ASSERT_TRUE(state);
  ASSERT_TRUE(apply_doc_update(room.doc, *state));

  RoomProtocol conn(room.doc, room.awareness, 1);
  auto out = ok(conn.on_message(encode_sync_step2(*state), 0, false));
  EXPECT_TRUE(out.redundant_update);
  EXPECT_FALSE(out.doc_update);
  // As a live update (type 2) it is not judged: that check walks the doc.
  out = ok(conn.on_message(encode_sync_update(*state), 0, false));
  EXPECT_FALSE(out.redundant_update);
  EXPECT_TRUE(out.doc_update);

  ASSERT_TRUE(text.remove_range(0, 1));  // a new deleted range, no new struct
  state = client.encode_state_as_update();
  ASSERT_TRUE(state);
  out = ok(conn.on_message(encode_sync_step2(*state), 0, false));
  EXPECT_FALSE(out.redundant_update);
  EXPECT_TRUE(out.doc_update);
  ASSERT_TRUE(apply_doc_update(room.doc, *state));

  ASSERT_TRUE(text.insert(0, std::string_view("x")));  // a new struct
  state = client.encode_state_as_update();
  ASSERT_TRUE(state);
  out = ok(conn.on_message(encode_sync_step2(*state), 0, false));
  EXPECT_FALSE(out.redundant_update);
  EXPECT_TRUE(out.doc_update);
}

TEST(RoomProtocol, ReadOnlyRefusesStep2AndUpdateButAnswersStep1) {
  Room room;
  RoomProtocol conn(room.doc, room.awareness, 1);
  Doc client(5);
  ASSERT_TRUE(client.get_text("t").insert(0, std::string_view("x")));
  auto update = client.encode_state_as_update();
  ASSERT_TRUE(update);
  for (Bytes frame : {encode_sync_step2(*update), encode_sync_update(*update)}) {
    auto out = ok(conn.on_message(frame, 0, true));
    EXPECT_EQ(out.refused_update, static_cast<SyncType>(frame[1]));
    EXPECT_FALSE(out.doc_update);
    EXPECT_TRUE(out.replies.empty());
    EXPECT_FALSE(out.awareness_broadcast);
  }
  // Refused by type: a payload that is no update is refused the same way, unread.
  EXPECT_EQ(ok(conn.on_message(unhex("00 02 02 ff ff"), 0, true)).refused_update, SyncType::kUpdate);
  EXPECT_EQ(hex(room.doc.encode_state_vector()), "00");
  auto out = ok(conn.on_message(unhex("00 00 01 00"), 0, true));
  EXPECT_EQ(hex(out.replies.at(0)), "00 01 02 00 00");
  // Awareness is not a doc write.
  out = ok(conn.on_message(awareness_frame(5, 1, "{}"), 0, true));
  EXPECT_TRUE(out.awareness_broadcast);
}

TEST(RoomProtocol, MalformedInputIsAnErrorAndChangesNothing) {
  Room room;
  ASSERT_TRUE(room.awareness.apply_update(unhex("01 01 01 02 7b 7d"), 0, 7));
  RoomProtocol conn(room.doc, room.awareness, 1);
  const char* frames[] = {
      "",
      "07",                                      // unknown message type
      "00 00 01 00 00",                          // trailing byte
      "00 00 00",                                // step1 without a state vector
      "00 00 02 01 05",                          // state vector cut
      "00 02 0a 01 01 05 00 84 05 03 01 61 00",  // item refers to its own future
      "00 01 06 01 01 01 00 04 01",              // update cut
      "01 07 02 01 02 01 6e 75 6c",              // awareness entry cut ("nul")
      "01 0a 02 01 02 04 6e 75 6c 6c 02 02 7b",  // second entry's JSON cut
      "01 08 01 01 02 04 6e 75 6c 6c 00",        // payload length past the frame
  };
  for (const char* f : frames) {
    auto r = conn.on_message(unhex(f), 0, false);
    ASSERT_FALSE(r) << f;
    EXPECT_FALSE(is_refusal(r.status())) << f << ": " << r.status().to_string();
  }
  EXPECT_EQ(hex(room.doc.encode_state_vector()), "00");
  EXPECT_TRUE(room.awareness.has_state(1));
  EXPECT_EQ(room.awareness.clock(1), 1u);
}

TEST(RoomProtocol, AwarenessIsBroadcastAndRemovedOnClose) {
  Room room;
  RoomProtocol a(room.doc, room.awareness, 1);
  RoomProtocol b(room.doc, room.awareness, 2);
  auto out = ok(a.on_message(awareness_frame(11, 1, R"({"user":{"name":"Bo"}})"), 1000, false));
  ASSERT_TRUE(out.awareness_broadcast);
  EXPECT_EQ(*out.awareness_broadcast, awareness_frame(11, 1, R"({"user":{"name":"Bo"}})"));
  // A stale repeat changes nothing and is not broadcast.
  out = ok(a.on_message(awareness_frame(11, 1, R"({"user":{"name":"Al"}})"), 1000, false));
  EXPECT_FALSE(out.awareness_broadcast);
  // A renewal with the same state is broadcast (it feeds the clients' watchdogs).
  out = ok(a.on_message(awareness_frame(11, 2, R"({"user":{"name":"Bo"}})"), 1000, false));
  EXPECT_EQ(out.awareness_broadcast, awareness_frame(11, 2, R"({"user":{"name":"Bo"}})"));

  ok(b.on_message(awareness_frame(22, 3, "{}"), 1000, false));
  // A new connection gets SyncStep1 and both states.
  RoomProtocol c(room.doc, room.awareness, 3);
  auto hello = c.on_connect();
  ASSERT_EQ(hello.size(), 2u);
  EXPECT_EQ(hello[1], encode_awareness_message(room.awareness.encode_update(std::vector<ClientId>{11, 22})));
  // Query awareness gets the same.
  out = ok(c.on_message(unhex("03"), 1000, false));
  EXPECT_EQ(out.replies, std::vector<Bytes>{hello[1]});

  EXPECT_FALSE(c.on_close(2000));
  auto gone = a.on_close(2000);
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, awareness_frame(11, 2, "null"));
  EXPECT_FALSE(room.awareness.has_state(11));
  EXPECT_TRUE(room.awareness.has_state(22));
}

TEST(RoomProtocol, QueryAwarenessOnEmptyRoom) {
  Room room;
  RoomProtocol conn(room.doc, room.awareness, 1);
  auto out = ok(conn.on_message(unhex("03"), 0, false));
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(hex(out.replies[0]), "01 01 00");
}

TEST(RoomProtocol, AuthFromAClientIsIgnored) {
  Room room;
  RoomProtocol conn(room.doc, room.awareness, 1);
  auto out = ok(conn.on_message(encode_permission_denied("?"), 0, false));
  EXPECT_TRUE(out.replies.empty());
  EXPECT_FALSE(out.doc_update);
  EXPECT_FALSE(out.awareness_broadcast);
}

TEST(RoomProtocol, FullAwarenessIsARefusal) {
  Room room;
  room.awareness = Awareness(AwarenessOptions{.max_clients = 1});
  RoomProtocol conn(room.doc, room.awareness, 1);
  ok(conn.on_message(awareness_frame(1, 1, "{}"), 0, false));
  auto r = conn.on_message(awareness_frame(2, 1, "{}"), 0, false);
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_refusal(r.status()));
}

TEST(RoomProtocol, ExpiryBroadcast) {
  Room room;
  RoomProtocol conn(room.doc, room.awareness, 1);
  ok(conn.on_message(awareness_frame(1, 4, "{}"), 0, false));
  EXPECT_FALSE(awareness_broadcast(room.awareness, room.awareness.expire(29999)));
  EXPECT_EQ(awareness_broadcast(room.awareness, room.awareness.expire(30000)), awareness_frame(1, 4, "null"));
}

// A y-websocket client reduced to its sync logic, to run handshakes in-process.
struct Client {
  Doc doc;
  explicit Client(uint64_t id) : doc(id) {}
  // messageSync handling of y-websocket: answer step1, apply step2/update.
  std::vector<Bytes> receive(const Bytes& frame) {
    auto m = decode_message(frame);
    EXPECT_TRUE(m);
    std::vector<Bytes> replies;
    if (auto* s = std::get_if<SyncMessage>(&*m)) {
      if (s->type == SyncType::kStep1) {
        auto u = doc.encode_state_as_update(s->payload);
        EXPECT_TRUE(u);
        replies.push_back(encode_sync_step2(*u));
      } else {
        EXPECT_TRUE(doc.apply_update(s->payload));
      }
    }
    return replies;
  }
};

// The server loop of room_protocol.h with persistence as a vector.
struct Server {
  Doc doc{1000};
  Awareness awareness;
  std::vector<Bytes> log;
  std::vector<Bytes> broadcasts;
  void handle(RoomProtocol& conn, Client& client, const Bytes& frame, bool read_only = false) {
    auto out = conn.on_message(frame, 0, read_only);
    ASSERT_TRUE(out) << out.status().to_string();
    for (const Bytes& reply : out->replies) {
      for (const Bytes& back : client.receive(reply)) handle(conn, client, back, read_only);
    }
    if (out->doc_update) {
      log.push_back(*out->doc_update);
      auto b = apply_doc_update(doc, *out->doc_update);
      ASSERT_TRUE(b);
      if (*b) broadcasts.push_back(**b);
    }
  }
};

TEST(RoomProtocol, LoopbackHandshakeConverges) {
  Server server;
  ASSERT_TRUE(server.doc.get_text("t").insert(0, std::string_view("server ")));
  Client client(7);
  ASSERT_TRUE(client.doc.get_text("t").insert(0, std::string_view("client")));
  RoomProtocol conn(server.doc, server.awareness, 1);

  // Server opens with step1; the client answers with step2 and its own step1.
  for (const Bytes& frame : conn.on_connect()) {
    for (const Bytes& back : client.receive(frame)) server.handle(conn, client, back);
  }
  server.handle(conn, client, encode_sync_step1(client.doc.encode_state_vector()));

  EXPECT_EQ(server.doc.get_text("t").to_string(), client.doc.get_text("t").to_string());
  EXPECT_EQ(server.doc.encode_state_vector(), client.doc.encode_state_vector());
  ASSERT_EQ(server.log.size(), 1u);
  ASSERT_EQ(server.broadcasts.size(), 1u);
  // Replaying the persisted log rebuilds what the client sent.
  Doc replay(2000);
  for (const Bytes& u : server.log) ASSERT_TRUE(replay.apply_update(u));
  EXPECT_EQ(replay.encode_state_vector(), unhex("01 07 06"));
}

}  // namespace
}  // namespace weft::sync
