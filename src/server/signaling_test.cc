// SignalingHub with recording connections: the y-webrtc signaling protocol
// (subscribe, unsubscribe, publish to every subscriber including the sender,
// ping) and its bounds. The real server with raw ws clients is covered by
// tests/interop/signaling.test.mjs.
#include "server/signaling.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace weft::server {
namespace {

using nlohmann::json;

class RecordingConnection final : public WsConnection {
 public:
  explicit RecordingConnection(uint64_t id) : id_(id) {}
  bool send(OutMessage message) override {
    std::lock_guard lock(mu_);
    if (close_code_) return false;
    EXPECT_EQ(message.kind, FrameKind::kText);
    sent_.emplace_back(message.data->begin(), message.data->end());
    return true;
  }
  using WsConnection::send;
  void close(uint16_t code, std::string) override {
    std::lock_guard lock(mu_);
    if (!close_code_) close_code_ = code;
  }
  size_t pending_bytes() const override { return 0; }
  void edit_pending(const std::function<void(std::deque<OutMessage>&)>&) override {}
  uint64_t id() const override { return id_; }
  const std::string& remote() const override { return remote_; }
  const std::string& target() const override { return remote_; }
  bool compressed() const override { return false; }

  std::vector<json> received() const {
    std::lock_guard lock(mu_);
    std::vector<json> out;
    for (const auto& s : sent_) out.push_back(json::parse(s));
    return out;
  }
  std::vector<std::string> raw() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  uint16_t close_code() const {
    std::lock_guard lock(mu_);
    return close_code_;
  }

 private:
  const uint64_t id_;
  const std::string remote_ = "test";
  mutable std::mutex mu_;
  std::vector<std::string> sent_;
  uint16_t close_code_ = 0;
};

class SignalingTest : public ::testing::Test {
 protected:
  std::shared_ptr<RecordingConnection> open(uint64_t id) {
    auto c = std::make_shared<RecordingConnection>(id);
    EXPECT_TRUE(hub_->attach(c));
    return c;
  }
  void text(RecordingConnection& c, const std::string& s) { hub_->on_message(c, FrameKind::kText, s); }

  std::shared_ptr<SignalingHub> hub_ = std::make_shared<SignalingHub>();
};

TEST_F(SignalingTest, PublishReachesEverySubscriberIncludingTheSender) {
  auto a = open(1), b = open(2), c = open(3);
  text(*a, R"({"type":"subscribe","topics":["room-1"]})");
  text(*b, R"({"type":"subscribe","topics":["room-1","room-2"]})");
  text(*c, R"({"type":"subscribe","topics":["room-2"]})");
  EXPECT_EQ(hub_->subscribers("room-1"), 2u);

  text(*a, R"({"type":"publish","topic":"room-1","data":{"type":"announce","from":"peer-a"}})");
  for (auto* conn : {a.get(), b.get()}) {
    auto got = conn->received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["type"], "publish");
    EXPECT_EQ(got[0]["topic"], "room-1");
    EXPECT_EQ(got[0]["data"]["from"], "peer-a");
    EXPECT_EQ(got[0]["clients"], 2);
  }
  EXPECT_TRUE(c->received().empty());
  const std::string metrics = hub_->render_metrics();
  EXPECT_NE(metrics.find("weft_signaling_publishes_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("weft_signaling_messages_out_total 2\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("weft_signaling_subscriptions 4\n"), std::string::npos) << metrics;
  // Keys keep the order they were sent in; "clients" comes last.
  EXPECT_EQ(a->raw()[0],
            R"({"type":"publish","topic":"room-1","data":{"type":"announce","from":"peer-a"},"clients":2})");
}

TEST_F(SignalingTest, RelayedTextKeepsKeyOrder) {
  auto a = open(1);
  text(*a, R"({"type":"subscribe","topics":["t"]})");
  text(*a, R"({"type":"publish","topic":"t","zeta":1,"alpha":[1.5,"é"]})");
  ASSERT_EQ(a->raw().size(), 1u);
  EXPECT_EQ(a->raw()[0], R"({"type":"publish","topic":"t","zeta":1,"alpha":[1.5,"é"],"clients":1})");
}

TEST_F(SignalingTest, UnsubscribeAndCloseDropSubscriptionsAndEmptyTopics) {
  auto a = open(1), b = open(2);
  text(*a, R"({"type":"subscribe","topics":["x","y"]})");
  text(*b, R"({"type":"subscribe","topics":["x"]})");
  text(*a, R"({"type":"unsubscribe","topics":["x"]})");
  EXPECT_EQ(hub_->subscribers("x"), 1u);
  text(*b, R"({"type":"publish","topic":"x","n":1})");
  EXPECT_TRUE(a->received().empty());
  ASSERT_EQ(b->received().size(), 1u);
  EXPECT_EQ(b->received()[0]["clients"], 1);

  hub_->detach(b->id());
  EXPECT_EQ(hub_->subscribers("x"), 0u);
  EXPECT_EQ(hub_->stats().topics, 1u);  // "y" is still a's
  hub_->detach(a->id());
  EXPECT_EQ(hub_->stats().topics, 0u);
  EXPECT_EQ(hub_->stats().connections, 0u);
}

TEST_F(SignalingTest, PingIsAnsweredWithPong) {
  auto a = open(1);
  text(*a, R"({"type":"ping"})");
  auto got = a->received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], json({{"type", "pong"}}));
}

TEST_F(SignalingTest, UnknownMessagesAreIgnored) {
  auto a = open(1);
  text(*a, R"({"type":"subscribe","topics":["t",5,null,{"a":1}]})");
  EXPECT_EQ(hub_->stats().subscriptions, 1u);
  for (const char* m : {R"([1,2])", R"("publish")", R"(null)", R"({"type":"hello"})", R"({"type":7})",
                        R"({"type":"publish","topic":""})", R"({"type":"publish","topic":5})",
                        R"({"type":"publish","topic":"nobody-here"})", R"({"type":"subscribe"})"}) {
    text(*a, m);
  }
  EXPECT_TRUE(a->received().empty());
  EXPECT_EQ(a->close_code(), 0);
}

TEST_F(SignalingTest, MalformedJsonClosesOnlyThatConnection) {
  auto a = open(1), b = open(2);
  text(*a, R"({"type":"subscribe","topics":["t"]})");
  text(*b, R"({"type":"subscribe","topics":["t"]})");
  text(*a, R"({"type":"publish", "topic": "t")");
  EXPECT_EQ(a->close_code(), kCloseProtocolError);
  EXPECT_EQ(b->close_code(), 0);
  EXPECT_TRUE(b->received().empty());
  text(*b, R"({"type":"subscribe","topics":"t"})");  // not an array
  EXPECT_EQ(b->close_code(), kCloseProtocolError);
}

TEST_F(SignalingTest, ATokenPatternLimitsTopics) {
  auto a = std::make_shared<RecordingConnection>(1);
  ASSERT_TRUE(hub_->attach(a, "team-*"));
  auto b = open(2);  // auth off for b: every topic
  text(*a, R"({"type":"subscribe","topics":["team-1","other"]})");
  text(*b, R"({"type":"subscribe","topics":["other"]})");
  EXPECT_EQ(hub_->subscribers("team-1"), 1u);
  EXPECT_EQ(hub_->subscribers("other"), 1u);  // b only
  text(*a, R"({"type":"publish","topic":"other","data":1})");
  EXPECT_TRUE(b->received().empty());
  text(*a, R"({"type":"publish","topic":"team-1","data":2})");
  ASSERT_EQ(a->received().size(), 1u);
  EXPECT_EQ(a->received()[0]["data"], 2);
  EXPECT_EQ(a->close_code(), 0);
}

TEST_F(SignalingTest, BinaryFramesAreRefused) {
  auto a = open(1);
  std::string m = R"({"type":"ping"})";
  hub_->on_message(*a, FrameKind::kBinary, m);
  EXPECT_EQ(a->close_code(), kCloseUnsupportedData);
  EXPECT_TRUE(a->received().empty());
}

TEST(SignalingLimitsTest, BoundsAreEnforced) {
  auto hub = std::make_shared<SignalingHub>(SignalingLimits{.max_topics_per_connection = 2,
                                                            .max_message_bytes = 100,
                                                            .max_subscribers_per_topic = 2,
                                                            .max_topics = 3,
                                                            .max_connections = 4});
  std::vector<std::shared_ptr<RecordingConnection>> conns;
  for (uint64_t id = 1; id <= 4; ++id) {
    conns.push_back(std::make_shared<RecordingConnection>(id));
    ASSERT_TRUE(hub->attach(conns.back()));
  }
  EXPECT_FALSE(hub->attach(std::make_shared<RecordingConnection>(5)));

  // Topics per connection: the third closes the connection (1008).
  hub->on_message(*conns[0], FrameKind::kText, R"({"type":"subscribe","topics":["a","b","c"]})");
  EXPECT_EQ(conns[0]->close_code(), kClosePolicy);
  EXPECT_EQ(hub->stats().subscriptions, 2u);

  // Subscribers per topic: the third is skipped, the connection stays.
  hub->on_message(*conns[1], FrameKind::kText, R"({"type":"subscribe","topics":["a"]})");
  hub->on_message(*conns[2], FrameKind::kText, R"({"type":"subscribe","topics":["a"]})");
  EXPECT_EQ(hub->subscribers("a"), 2u);
  EXPECT_EQ(conns[2]->close_code(), 0);

  // Topics in all: a fourth topic is not created.
  hub->on_message(*conns[3], FrameKind::kText, R"({"type":"subscribe","topics":["c","d"]})");
  EXPECT_EQ(hub->subscribers("c"), 1u);
  EXPECT_EQ(hub->subscribers("d"), 0u);
  EXPECT_EQ(hub->stats().topics, 3u);

  // Message size.
  hub->on_message(*conns[3], FrameKind::kText, std::string(101, ' '));
  EXPECT_EQ(conns[3]->close_code(), kCloseTooBig);
  EXPECT_NE(hub->render_metrics().find("weft_signaling_closed_total 2\n"), std::string::npos);
}

// The per-connection rate sits in the handler, before the hub: a burst of 3
// at a rate that refills nothing during the test lets exactly 3 through.
TEST(SignalingLimitsTest, MessageRateClosesTheFloodingConnectionOnly) {
  auto hub = std::make_shared<SignalingHub>(SignalingLimits{.message_rate = 0.001, .message_burst = 3});
  auto flooder = std::make_shared<RecordingConnection>(1), quiet = std::make_shared<RecordingConnection>(2);
  auto flooder_handler = hub->make_handler(), quiet_handler = hub->make_handler();
  flooder_handler->on_open(flooder);
  quiet_handler->on_open(quiet);
  auto send = [](WsHandler& h, WsConnection& c, std::string_view s) {
    h.on_message(c, FrameKind::kText, std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  for (int i = 0; i < 3; ++i) send(*flooder_handler, *flooder, R"({"type":"ping"})");
  EXPECT_EQ(flooder->received().size(), 3u);
  EXPECT_EQ(flooder->close_code(), 0);
  send(*flooder_handler, *flooder, R"({"type":"ping"})");
  EXPECT_EQ(flooder->close_code(), kClosePolicy);
  EXPECT_EQ(flooder->received().size(), 3u);
  send(*quiet_handler, *quiet, R"({"type":"ping"})");
  EXPECT_EQ(quiet->received().size(), 1u);
  EXPECT_EQ(quiet->close_code(), 0);
  EXPECT_NE(hub->render_metrics().find("weft_signaling_closed_total 1\n"), std::string::npos);
}

// A connection's token expiry: close_expired (the server's tick) closes it
// from that second on, once; a connection without a token, or with a later
// expiry, stays. A message after the expiry closes it too.
TEST(SignalingLimitsTest, ExpiredTokensCloseTheirConnections) {
  auto hub = std::make_shared<SignalingHub>();
  auto early = std::make_shared<RecordingConnection>(1), late = std::make_shared<RecordingConnection>(2),
       open = std::make_shared<RecordingConnection>(3);
  auto early_handler = hub->make_handler("room-*", 1000), late_handler = hub->make_handler("room-*", 2000),
       open_handler = hub->make_handler();
  early_handler->on_open(early);
  late_handler->on_open(late);
  open_handler->on_open(open);
  hub->close_expired(999);
  EXPECT_EQ(early->close_code(), 0);
  hub->close_expired(1000);
  EXPECT_EQ(early->close_code(), kClosePolicy);
  EXPECT_EQ(late->close_code(), 0);
  EXPECT_EQ(open->close_code(), 0);
  hub->close_expired(1001);  // closing already: not counted again
  EXPECT_NE(hub->render_metrics().find("weft_signaling_closed_total 1\n"), std::string::npos);
  hub->close_expired(kNoExpiry - 1);
  EXPECT_EQ(late->close_code(), kClosePolicy);
  EXPECT_EQ(open->close_code(), 0);

  // Checked per message against the real clock: a token expired at 1 (1970).
  auto stale = std::make_shared<RecordingConnection>(4);
  auto stale_handler = hub->make_handler("*", 1);
  stale_handler->on_open(stale);
  const std::string_view ping = R"({"type":"ping"})";
  stale_handler->on_message(*stale, FrameKind::kText,
                            std::span(reinterpret_cast<const uint8_t*>(ping.data()), ping.size()));
  EXPECT_EQ(stale->close_code(), kClosePolicy);
  EXPECT_TRUE(stale->received().empty());
}

TEST(SignalingConcurrencyTest, ManyThreadsSubscribePublishAndLeave) {
  auto hub = std::make_shared<SignalingHub>();
  constexpr int kThreads = 4, kRounds = 200;
  std::vector<std::shared_ptr<RecordingConnection>> conns;
  for (int i = 0; i < kThreads; ++i) {
    conns.push_back(std::make_shared<RecordingConnection>(i + 1));
    ASSERT_TRUE(hub->attach(conns.back()));
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto& c = *conns[i];
      for (int r = 0; r < kRounds; ++r) {
        hub->on_message(c, FrameKind::kText, R"({"type":"subscribe","topics":["shared"]})");
        hub->on_message(c, FrameKind::kText, R"({"type":"publish","topic":"shared","r":1})");
        hub->on_message(c, FrameKind::kText, R"({"type":"unsubscribe","topics":["shared"]})");
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(hub->stats().topics, 0u);
  for (auto& c : conns) {
    // Each of its own publishes reached it (it was subscribed), plus some of the others'.
    EXPECT_GE(c->received().size(), static_cast<size_t>(kRounds));
    EXPECT_EQ(c->close_code(), 0);
  }
}

}  // namespace
}  // namespace weft::server
