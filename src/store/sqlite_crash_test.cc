// Crash test with an outside witness: a child process appends and reports
// each acknowledged (durable) append through a pipe; the parent SIGKILLs it
// mid-stream, reopens the database and checks that every acknowledged update
// is present with its seq, and that nothing is stored twice.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_doc_store.h"
#include "store/store_test_util.h"

namespace weft {
namespace {

using testing_util::ScratchDir;
using testing_util::string_of;

struct Ack {
  uint32_t writer;
  uint32_t index;
  uint64_t seq;
};
static_assert(sizeof(Ack) <= PIPE_BUF, "pipe writes of one Ack are atomic");

constexpr int kWriters = 4;

std::string room_of(uint32_t writer) { return "room-" + std::to_string(writer % 2); }

std::string payload_of(int round, uint32_t writer, uint32_t index) {
  std::string p =
      "r" + std::to_string(round) + "w" + std::to_string(writer) + ":" + std::to_string(index) + ":";
  p.resize(200, static_cast<char>('a' + (index % 26)));
  return p;
}

[[noreturn]] void run_child(SqliteDocStoreOptions options, int round, int ack_fd) {
  auto store = SqliteDocStore::open(options);
  if (!store) _exit(2);
  std::vector<std::thread> threads;
  for (uint32_t w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (uint32_t i = 0;; ++i) {
        std::string p = payload_of(round, w, i);
        auto f = (*store)->append_future(room_of(w), Bytes(p.begin(), p.end()));
        // Report from this thread, after durability; keep several in flight
        // only through the other writers, so acks stay in per-writer order.
        Result<Seq> r = f.get();
        if (!r) _exit(3);
        Ack ack{w, i, *r};
        if (write(ack_fd, &ack, sizeof ack) != sizeof ack) _exit(4);
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

// Rounds of: a child appends, is SIGKILLed mid-stream, the parent reopens
// (recovering the update journal, if on) and checks every acknowledged update
// is there once, with its seq.
void kill_nine_rounds(const SqliteDocStoreOptions& base) {
  ScratchDir dir;
  SqliteDocStoreOptions options = base;
  options.path = dir.file("weft.db");
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      run_child(options, round, fds[1]);
    }
    close(fds[1]);

    std::vector<Ack> acks;
    auto read_ack = [&]() {
      Ack ack;
      size_t got = 0;
      while (got < sizeof ack) {
        ssize_t n = read(fds[0], reinterpret_cast<char*>(&ack) + got, sizeof ack - got);
        if (n <= 0) return false;
        got += static_cast<size_t>(n);
      }
      acks.push_back(ack);
      return true;
    };
    // Kill at a different point each round, while writes are in flight.
    const size_t kill_after = 150 + 200 * static_cast<size_t>(round);
    while (acks.size() < kill_after && read_ack()) {
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    while (read_ack()) {  // acks written before the kill count too
    }
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    ASSERT_GE(acks.size(), kill_after);

    auto store = SqliteDocStore::open(options);
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    std::map<std::string, std::map<Seq, std::string>> stored;  // room -> seq -> payload
    for (const char* room : {"room-0", "room-1"}) {
      Result<StoredDoc> doc = (*store)->load(room);
      ASSERT_TRUE(doc.is_ok()) << doc.status().message();
      std::set<std::string> seen;
      for (size_t i = 0; i < doc->updates.size(); ++i) {
        std::string p = string_of(doc->updates[i]);
        EXPECT_TRUE(seen.insert(p).second) << "duplicated update " << p.substr(0, 14);
        stored[room][doc->first_seq + i] = p;
      }
      EXPECT_EQ(doc->first_seq + doc->updates.size() - 1, doc->last_seq);
    }
    for (const Ack& ack : acks) {
      const auto& room = stored[room_of(ack.writer)];
      auto it = room.find(ack.seq);
      ASSERT_NE(it, room.end()) << "acknowledged seq " << ack.seq << " lost in round " << round;
      EXPECT_EQ(it->second, payload_of(round, ack.writer, ack.index));
    }
    // Next round appends on top of what survived.
  }
}

// The default: appends durable in the update journal, moved into SQLite
// behind them.
TEST(SqliteCrash, KillNineLosesNoAcknowledgedUpdate) { kill_nine_rounds(SqliteDocStoreOptions{}); }

// Small journal segments: the kill lands while segments wrap and are
// reused, and while the writer waits for the mover to free one.
TEST(SqliteCrash, KillNineWithWrappingJournalSegments) {
  SqliteDocStoreOptions options;
  options.journal_segment_bytes = 16384;
  options.journal_segments = 2;
  options.move_delay_ms = 2;
  kill_nine_rounds(options);
}

// SQLite commit mode (weft serve --journal=false).
TEST(SqliteCrash, KillNineLosesNoAcknowledgedUpdateWithoutJournal) {
  SqliteDocStoreOptions options;
  options.journal = false;
  kill_nine_rounds(options);
}

}  // namespace
}  // namespace weft
