#include "workloads.h"

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "bench_trace.h"  // sha256_hex
#include "weft/doc.h"
#include "weft/types.h"

namespace weft::bench {

namespace {

using Clock = std::chrono::steady_clock;

double round_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Wall and process CPU time of one phase: `record` writes <phase>Ms and
// <phase>CpuMs. CPU time hardly moves with machine load (wall time does).
struct Stopwatch {
  Clock::time_point wall = Clock::now();
  double cpu = cpu_ms();
  void record(nlohmann::ordered_json& out, const std::string& phase) const {
    out[phase + "Ms"] = round_ms(std::chrono::duration<double, std::milli>(Clock::now() - wall).count());
    out[phase + "CpuMs"] = round_ms(cpu_ms() - cpu);
  }
};

int64_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

// xorshift32 seeded with 42: the yjs side (bench/peers/workloads_yjs.mjs)
// draws the identical sequence, so both engines see the same positions.
class Rng {
 public:
  uint32_t next() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 17;
    x_ ^= x_ << 5;
    return x_;
  }
  uint64_t below(uint64_t k) { return next() % k; }  // k >= 1
  std::string word(uint32_t min_len, uint32_t max_len) {
    std::string w(min_len + below(max_len - min_len + 1), 'a');
    for (char& c : w) c = static_cast<char>('a' + below(26));
    return w;
  }

 private:
  uint32_t x_ = 42;
};

enum class Root { kText, kArray, kMap };

// The first error an edit returned during the workload (empty: none). The
// edits run inside timed loops, so they record instead of branching out.
std::string g_edit_error;
void must(const Status& st) {
  if (!st.is_ok() && g_edit_error.empty()) g_edit_error = st.message();
}

// Reads the whole content of the root (as a check would) and returns its
// length: UTF-16 units, elements, or live keys.
uint64_t read_content(Doc& doc, Root root) {
  switch (root) {
    case Root::kText: {
      TextRef t = doc.get_text("text");
      const std::string content = t.to_string();
      return content.empty() ? 0 : t.length();
    }
    case Root::kArray:
      return doc.get_array("array").values().size();
    case Root::kMap:
      return doc.get_map("map").size();
  }
  return 0;
}

// What one run reports; printed as one JSON line.
struct Report {
  nlohmann::ordered_json out;
  bool ok = true;
  std::string error;
  void fail(const std::string& what) {
    if (ok) error = what;
    ok = false;
    std::fprintf(stderr, "weft bench workload: %s\n", what.c_str());
  }
};

// Encodes `doc` (timed, v1 and v2), then loads the v1 state into a fresh doc
// (timed, with the content read) and measures the heap that doc holds.
void encode_and_load(Report& r, Doc& doc, Root root, uint64_t expected_len) {
  Stopwatch t0;
  auto v1 = doc.encode_state_as_update();
  t0.record(r.out, "encode");
  t0 = Stopwatch();
  auto v2 = doc.encode_state_as_update({}, UpdateFormat::kV2);
  t0.record(r.out, "encodeV2");
  if (!v1 || !v2) {
    r.fail("encode failed");
    return;
  }
  r.out["docBytes"] = v1->size();
  r.out["docBytesV2"] = v2->size();
  r.out["docSha256"] = sha256_hex(v1->data(), v1->size());
  r.out["docV2Sha256"] = sha256_hex(v2->data(), v2->size());
  const int64_t heap0 = heap_in_use();
  {
    auto loaded = std::make_unique<Doc>(DocOptions{});
    t0 = Stopwatch();
    Status st = loaded->apply_update(*v1);
    const uint64_t len = read_content(*loaded, root);
    t0.record(r.out, "load");
    r.out["loadMemBytes"] = heap_in_use() - heap0;
    if (!st.is_ok()) r.fail("load: " + st.message());
    if (len != expected_len)
      r.fail("loaded length " + std::to_string(len) + " != " + std::to_string(expected_len));
  }
}

bool same_state(Doc& a, Doc& b) {
  auto ea = a.encode_state_as_update();
  auto eb = b.encode_state_as_update();
  return ea && eb && *ea == *eb;
}

// Single writer (B1 and the large workloads): client 1 makes every change in
// its own transaction while an update-v2 listener collects the updates; then a
// fresh peer (client 2) applies them one by one. `ops` returns the expected
// content length.
using SingleOps = std::function<uint64_t(Doc&, Rng&, uint64_t)>;

void run_single(Report& r, Root root, uint64_t n, const SingleOps& ops) {
  Rng rng;
  std::vector<UpdateBytes> updates;
  uint64_t update_bytes = 0;
  auto doc = std::make_unique<Doc>(1);
  doc->on_update_v2([&](const UpdateBytes& u, const Transaction&) {
    update_bytes += u.size();
    updates.push_back(u);
  });
  Stopwatch t0;
  const uint64_t expected = ops(*doc, rng, n);
  const uint64_t len = read_content(*doc, root);
  t0.record(r.out, "ops");
  if (len != expected) r.fail("length " + std::to_string(len) + " != expected " + std::to_string(expected));
  r.out["updateCount"] = updates.size();
  r.out["updateBytes"] = update_bytes;
  {
    Doc remote(2);
    t0 = Stopwatch();
    for (const UpdateBytes& u : updates) {
      if (Status st = remote.apply_update(u, UpdateFormat::kV2); !st.is_ok()) {
        r.fail("remote apply: " + st.message());
        break;
      }
    }
    const uint64_t rlen = read_content(remote, root);
    t0.record(r.out, "remote");
    if (rlen != expected) r.fail("remote length differs");
    if (!same_state(*doc, remote)) r.fail("remote state differs");
  }
  updates = {};
  encode_and_load(r, *doc, root, expected);
}

// Two writers (B2): both start from the same 100 characters; each makes n
// changes in one transaction; the two updates are exchanged; both texts must
// agree. opsMs covers both transactions, the exchange and the check.
using ClientOps = std::function<void(Doc&, Rng&, uint64_t, uint64_t& len, int client)>;

void run_two(Report& r, uint64_t n, const ClientOps& ops) {
  Rng rng;
  Doc a(1), b(2);
  const std::string start = rng.word(100, 100);
  must(a.get_text("text").insert(0, std::string_view(start)));
  const UpdateBytes start_state = *a.encode_state_as_update();
  if (Status st = b.apply_update(start_state); !st.is_ok()) r.fail("start sync: " + st.message());
  UpdateBytes ua, ub;
  a.on_update_v2([&](const UpdateBytes& u, const Transaction& t) {
    if (transaction_is_local(t)) ua = u;
  });
  b.on_update_v2([&](const UpdateBytes& u, const Transaction& t) {
    if (transaction_is_local(t)) ub = u;
  });
  uint64_t len_a = start.size(), len_b = start.size();
  Stopwatch t0;
  a.transact([&](Transaction&) { ops(a, rng, n, len_a, 1); });
  b.transact([&](Transaction&) { ops(b, rng, n, len_b, 2); });
  Status sa = b.apply_update(ua, UpdateFormat::kV2);
  Status sb = a.apply_update(ub, UpdateFormat::kV2);
  const std::string text_a = a.get_text("text").to_string();
  const std::string text_b = b.get_text("text").to_string();
  t0.record(r.out, "ops");
  if (!sa.is_ok() || !sb.is_ok()) r.fail("exchange failed");
  if (text_a != text_b) r.fail("texts differ after the exchange");
  const uint64_t expected = a.get_text("text").length();  // concurrent deletes may overlap
  r.out["updateCount"] = 2;
  r.out["updateBytes"] = ua.size() + ub.size();
  {
    // A fresh peer holding the start state applies both updates.
    Doc remote(3);
    Status st = remote.apply_update(start_state);
    t0 = Stopwatch();
    if (st.is_ok()) st = remote.apply_update(ua, UpdateFormat::kV2);
    if (st.is_ok()) st = remote.apply_update(ub, UpdateFormat::kV2);
    const std::string text_r = remote.get_text("text").to_string();
    t0.record(r.out, "remote");
    if (!st.is_ok() || text_r != text_a) r.fail("fresh peer differs");
  }
  if (!same_state(a, b)) r.fail("states differ after the exchange");
  encode_and_load(r, a, Root::kText, expected);
}

// Many writers (B3): m = 20 * floor(sqrt(n)) clients (ids 1..m) each make one
// change and emit one update (opsMs); then a fresh peer applies all m updates
// inside one transaction and reads the content (remoteMs).
using OneChange = std::function<void(Doc&, uint64_t client)>;

void run_many(Report& r, Root root, uint64_t n, const OneChange& change, bool one_entry) {
  const uint64_t m = 20 * static_cast<uint64_t>(std::floor(std::sqrt(static_cast<double>(n))));
  std::vector<UpdateBytes> updates;
  updates.reserve(m);
  uint64_t update_bytes = 0;
  Stopwatch t0;
  for (uint64_t i = 1; i <= m; ++i) {
    Doc d(i);
    d.on_update_v2([&](const UpdateBytes& u, const Transaction&) {
      update_bytes += u.size();
      updates.push_back(u);
    });
    change(d, i);
  }
  t0.record(r.out, "ops");
  r.out["clients"] = m;
  r.out["updateCount"] = updates.size();
  r.out["updateBytes"] = update_bytes;
  Doc receiver(m + 1);
  Status st;
  t0 = Stopwatch();
  receiver.transact([&](Transaction&) {
    for (const UpdateBytes& u : updates) {
      st = receiver.apply_update(u, UpdateFormat::kV2);
      if (!st.is_ok()) break;
    }
  });
  const uint64_t len = read_content(receiver, root);
  t0.record(r.out, "remote");
  if (!st.is_ok()) r.fail("apply: " + st.message());
  const uint64_t expected = one_entry ? 1 : len;
  if (len != expected || len == 0) r.fail("unexpected content length " + std::to_string(len));
  encode_and_load(r, receiver, root, len);
}

std::string repeat_char(uint64_t n, char first) {
  std::string s(n, first);
  for (uint64_t i = 0; i < n; ++i) s[i] = static_cast<char>(first + i % 26);
  return s;
}

Any number(uint64_t i) { return Any(static_cast<double>(i)); }

void run_named(Report& r, const std::string& name, uint64_t n) {
  auto text = [](Doc& d) { return d.get_text("text"); };
  auto array = [](Doc& d) { return d.get_array("array"); };
  if (name == "b1.1") {  // append n characters
    run_single(r, Root::kText, n, [&](Doc& d, Rng&, uint64_t n) {
      TextRef t = text(d);
      for (uint64_t i = 0; i < n; ++i) must(t.insert(i, std::string(1, static_cast<char>('a' + i % 26))));
      return n;
    });
  } else if (name == "b1.2") {  // insert a string of n characters at once
    run_single(r, Root::kText, n, [&](Doc& d, Rng&, uint64_t n) {
      must(text(d).insert(0, std::string_view(repeat_char(n, 'a'))));
      return n;
    });
  } else if (name == "b1.3") {  // prepend n characters
    run_single(r, Root::kText, n, [&](Doc& d, Rng&, uint64_t n) {
      TextRef t = text(d);
      for (uint64_t i = 0; i < n; ++i) must(t.insert(0, std::string(1, static_cast<char>('a' + i % 26))));
      return n;
    });
  } else if (name == "b1.4") {  // n characters at random positions
    run_single(r, Root::kText, n, [&](Doc& d, Rng& rng, uint64_t n) {
      TextRef t = text(d);
      for (uint64_t i = 0; i < n; ++i)
        must(t.insert(rng.below(i + 1), std::string(1, static_cast<char>('a' + i % 26))));
      return n;
    });
  } else if (name == "b1.5") {  // n words (2-10 characters) at random positions
    run_single(r, Root::kText, n, [&](Doc& d, Rng& rng, uint64_t n) {
      TextRef t = text(d);
      uint64_t len = 0;
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t pos = rng.below(len + 1);
        const std::string w = rng.word(2, 10);
        must(t.insert(pos, std::string_view(w)));
        len += w.size();
      }
      return len;
    });
  } else if (name == "b1.6") {  // insert n characters at once, then delete them at once
    run_single(r, Root::kText, n, [&](Doc& d, Rng&, uint64_t n) {
      TextRef t = text(d);
      must(t.insert(0, std::string_view(repeat_char(n, 'a'))));
      must(t.remove_range(0, n));
      return uint64_t{0};
    });
  } else if (name == "b1.7") {  // n random inserts of a word / deletes of 1-8 characters
    run_single(r, Root::kText, n, [&](Doc& d, Rng& rng, uint64_t n) {
      TextRef t = text(d);
      uint64_t len = 0;
      for (uint64_t i = 0; i < n; ++i) {
        if (len == 0 || rng.below(2) == 0) {
          const uint64_t pos = rng.below(len + 1);
          const std::string w = rng.word(2, 10);
          must(t.insert(pos, std::string_view(w)));
          len += w.size();
        } else {
          const uint64_t pos = rng.below(len);
          const uint64_t del = std::min<uint64_t>(1 + rng.below(8), len - pos);
          must(t.remove_range(pos, del));
          len -= del;
        }
      }
      return len;
    });
  } else if (name == "b1.8") {  // append n numbers to an array
    run_single(r, Root::kArray, n, [&](Doc& d, Rng&, uint64_t n) {
      ArrayRef a = array(d);
      for (uint64_t i = 0; i < n; ++i) must(a.insert(i, {number(i)}));
      return n;
    });
  } else if (name == "b1.9") {  // insert an array of n numbers at once
    run_single(r, Root::kArray, n, [&](Doc& d, Rng&, uint64_t n) {
      std::vector<Any> values;
      values.reserve(n);
      for (uint64_t i = 0; i < n; ++i) values.push_back(number(i));
      must(array(d).insert(0, values));
      return n;
    });
  } else if (name == "b1.10") {  // prepend n numbers
    run_single(r, Root::kArray, n, [&](Doc& d, Rng&, uint64_t n) {
      ArrayRef a = array(d);
      for (uint64_t i = 0; i < n; ++i) must(a.insert(0, {number(i)}));
      return n;
    });
  } else if (name == "b1.11") {  // n numbers at random positions
    run_single(r, Root::kArray, n, [&](Doc& d, Rng& rng, uint64_t n) {
      ArrayRef a = array(d);
      for (uint64_t i = 0; i < n; ++i) must(a.insert(rng.below(i + 1), {number(i)}));
      return n;
    });
  } else if (name == "b2.1") {  // each client inserts n characters at index 0 at once
    run_two(r, n, [&](Doc& d, Rng&, uint64_t n, uint64_t& len, int client) {
      must(text(d).insert(0, std::string_view(repeat_char(n, client == 1 ? 'a' : 'A'))));
      len += n;
    });
  } else if (name == "b2.2") {  // each client inserts n characters at random positions
    run_two(r, n, [&](Doc& d, Rng& rng, uint64_t n, uint64_t& len, int) {
      TextRef t = text(d);
      for (uint64_t i = 0; i < n; ++i)
        must(t.insert(rng.below(len + i + 1), std::string(1, static_cast<char>('a' + i % 26))));
      len += n;
    });
  } else if (name == "b2.3") {  // each client inserts n words (3-9) at random positions
    run_two(r, n, [&](Doc& d, Rng& rng, uint64_t n, uint64_t& len, int) {
      TextRef t = text(d);
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t pos = rng.below(len + 1);
        const std::string w = rng.word(3, 9);
        must(t.insert(pos, std::string_view(w)));
        len += w.size();
      }
    });
  } else if (name == "b2.4") {  // n rounds: insert a word, then insert another or delete 1-8
    run_two(r, n, [&](Doc& d, Rng& rng, uint64_t n, uint64_t& len, int) {
      TextRef t = text(d);
      auto insert_word = [&] {
        const uint64_t pos = rng.below(len + 1);
        const std::string w = rng.word(3, 9);
        must(t.insert(pos, std::string_view(w)));
        len += w.size();
      };
      for (uint64_t i = 0; i < n; ++i) {
        insert_word();
        if (rng.below(2) == 0) {
          insert_word();
        } else {
          const uint64_t pos = rng.below(len);
          const uint64_t del = std::min<uint64_t>(1 + rng.below(8), len - pos);
          must(t.remove_range(pos, del));
          len -= del;
        }
      }
    });
  } else if (name == "b3.1") {  // every client sets map key "v" to a number
    run_many(
        r, Root::kMap, n, [](Doc& d, uint64_t i) { d.get_map("map").set("v", number(i)); }, true);
  } else if (name == "b3.2") {  // ... to a small object
    run_many(
        r, Root::kMap, n,
        [](Doc& d, uint64_t i) {
          d.get_map("map").set("v", Any::object({{"name", "client " + std::to_string(i)},
                                                 {"address", "street " + std::to_string(i)}}));
        },
        true);
  } else if (name == "b3.3") {  // ... to a 100-fold repetition of its index
    run_many(
        r, Root::kMap, n,
        [](Doc& d, uint64_t i) {
          std::string s;
          for (int k = 0; k < 100; ++k) s += std::to_string(i);
          d.get_map("map").set("v", Any(s));
        },
        true);
  } else if (name == "b3.4") {  // every client inserts a short string at index 0 of an array
    run_many(
        r, Root::kArray, n,
        [](Doc& d, uint64_t i) {
          must(d.get_array("array").insert(0, {Any("client " + std::to_string(i))}));
        },
        false);
  } else if (name == "b3.5") {  // ... of a text
    run_many(
        r, Root::kText, n,
        [](Doc& d, uint64_t i) {
          must(d.get_text("text").insert(0, std::string_view("client " + std::to_string(i))));
        },
        false);
  } else if (name == "map.set") {  // n distinct keys in one map
    run_single(r, Root::kMap, n, [](Doc& d, Rng&, uint64_t n) {
      MapRef m = d.get_map("map");
      for (uint64_t i = 0; i < n; ++i) m.set("k" + std::to_string(i), number(i));
      return n;
    });
  } else if (name == "map.overwrite") {  // n sets cycling over floor(sqrt(n)) keys
    run_single(r, Root::kMap, n, [](Doc& d, Rng&, uint64_t n) {
      MapRef m = d.get_map("map");
      const uint64_t keys = static_cast<uint64_t>(std::floor(std::sqrt(static_cast<double>(n))));
      for (uint64_t i = 0; i < n; ++i) m.set("k" + std::to_string(i % keys), number(i));
      return keys;
    });
  } else if (name == "array.insert-middle") {  // n numbers, each at the middle of the array
    run_single(r, Root::kArray, n, [&](Doc& d, Rng&, uint64_t n) {
      ArrayRef a = array(d);
      for (uint64_t i = 0; i < n; ++i) must(a.insert(i / 2, {number(i)}));
      return n;
    });
  }
}

}  // namespace

std::vector<std::string> workload_names() {
  return {"b1.1",
          "b1.2",
          "b1.3",
          "b1.4",
          "b1.5",
          "b1.6",
          "b1.7",
          "b1.8",
          "b1.9",
          "b1.10",
          "b1.11",
          "b2.1",
          "b2.2",
          "b2.3",
          "b2.4",
          "b3.1",
          "b3.2",
          "b3.3",
          "b3.4",
          "b3.5",
          "map.set",
          "map.overwrite",
          "array.insert-middle"};
}

int run_bench_workload(const std::string& name, uint64_t n) {
  const auto names = workload_names();
  if (std::find(names.begin(), names.end(), name) == names.end() || n == 0) {
    std::fprintf(stderr, "weft bench workload: unknown workload '%s' or n = 0\n", name.c_str());
    return 2;
  }
  Report r;
  r.out["engine"] = "weft";
  r.out["workload"] = name;
  r.out["n"] = n;
  run_named(r, name, n);
  if (!g_edit_error.empty()) r.fail("edit: " + g_edit_error);
  r.out["ok"] = r.ok;
  if (!r.ok) r.out["error"] = r.error;
  std::printf("%s\n", r.out.dump().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace weft::bench
