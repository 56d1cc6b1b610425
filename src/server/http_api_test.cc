// The HTTP side of ServerCore, called directly (no sockets).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "server/server.h"
#include "store/sqlite_doc_store.h"
#include "store/store_test_util.h"
#include "weft/doc.h"

namespace weft::server {
namespace {

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteDocStoreOptions o;
    o.path = dir_.file("weft.db");
    auto s = SqliteDocStore::open(o);
    ASSERT_TRUE(s) << s.status().to_string();
    store_ = std::move(*s);
    core_ = std::make_shared<ServerCore>(ServerOptions{}, *store_);
  }

  HttpResponse get(const std::string& target) {
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    HttpReply reply = core_->on_request(r);
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(reply));
    return std::get<HttpResponse>(reply);
  }

  // Stores one update that sets m.k = "v" in `room`.
  void store_update(const std::string& room) {
    Doc doc(7);
    doc.get_map("m").set("k", Any(std::string("v")));
    auto update = doc.encode_state_as_update();
    ASSERT_TRUE(update);
    ASSERT_TRUE(store_->append_sync(room, *update));
  }

  testing_util::ScratchDir dir_;
  std::unique_ptr<SqliteDocStore> store_;
  std::shared_ptr<ServerCore> core_;
};

TEST_F(HttpApiTest, HealthAndMetrics) {
  EXPECT_EQ(get("/healthz").body, "ok");
  HttpResponse m = get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("weft_connections 0\n"), std::string::npos);
  EXPECT_NE(m.body.find("weft_rejected_messages_total{reason=\"text_frame\"} 0\n"), std::string::npos);
  EXPECT_NE(m.body.find("weft_store_commit_latency_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
}

TEST_F(HttpApiTest, RoomsJsonAndUpdate) {
  EXPECT_EQ(get("/api/rooms").body, "[]\n");
  EXPECT_EQ(get("/api/rooms/a%2Fb").status, 404);
  store_update("a%2Fb");
  HttpResponse rooms = get("/api/rooms");
  EXPECT_NE(rooms.body.find("\"room\":\"a%2Fb\""), std::string::npos) << rooms.body;
  HttpResponse json = get("/api/rooms/a%2Fb?type=m:map");
  EXPECT_EQ(json.status, 200);
  EXPECT_EQ(json.body, "{\"m\":{\"k\":\"v\"}}\n");

  HttpResponse full = get("/api/rooms/a%2Fb/update");
  EXPECT_EQ(full.status, 200);
  EXPECT_EQ(full.content_type, "application/octet-stream");
  Doc doc(8);
  ASSERT_TRUE(doc.apply_update(std::vector<uint8_t>(full.body.begin(), full.body.end())));
  const UpdateBytes sv = doc.encode_state_vector();
  std::string hex;
  for (uint8_t b : sv) hex += fmt::format("{:02x}", b);
  HttpResponse diff = get("/api/rooms/a%2Fb/update?sv=" + hex);
  EXPECT_EQ(diff.status, 200);
  EXPECT_EQ(diff.body, std::string("\x00\x00", 2));  // nothing beyond the state vector
  EXPECT_EQ(get("/api/rooms/a%2Fb/update?sv=zz").status, 400);
  EXPECT_EQ(get("/api/rooms/a%2Fb?type=m:set").status, 400);
}

TEST_F(HttpApiTest, UpgradesJoinRoomsExceptReservedPaths) {
  HttpRequest r;
  r.method = "GET";
  r.websocket_upgrade = true;
  r.path = "/my-room";
  EXPECT_TRUE(std::holds_alternative<WsAccept>(core_->on_request(r)));
  r.path = "/signaling";  // the y-webrtc signaling server (signaling_test.cc)
  EXPECT_TRUE(std::holds_alternative<WsAccept>(core_->on_request(r)));
  for (const char* reserved : {"/api/rooms", "/signaling/x"}) {
    r.path = reserved;
    HttpReply reply = core_->on_request(r);
    ASSERT_TRUE(std::holds_alternative<HttpResponse>(reply)) << reserved;
    EXPECT_EQ(std::get<HttpResponse>(reply).status, 404);
  }
  EXPECT_EQ(get("/no-such-file").status, 404);
}

}  // namespace
}  // namespace weft::server
