#include "bench_trace.h"

#include <malloc.h>
#include <sodium.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <vector>

namespace weft::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Rounded to microseconds so the JSON line stays short.
double round_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

// Process CPU time (the extra *CpuMs fields): hardly moves with machine load.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Bytes currently allocated through malloc (arena + mmapped chunks).
int64_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

Status apply_patch(Doc& doc, const TextRef& text, const Patch& p) {
  Status st;
  doc.transact([&](Transaction&) {
    if (p.del > 0) st = text.remove_range(p.pos, p.del);
    if (st.is_ok() && !p.ins.empty()) st = text.insert(p.pos, std::u16string_view(p.ins));
  });
  return st;
}

Status insert_start_content(Doc& doc, const TextRef& text, const Trace& trace) {
  if (trace.start_content.empty()) return Status::ok();
  Status st;
  doc.transact([&](Transaction&) { st = text.insert(0, std::string_view(trace.start_content)); });
  return st;
}

// The figures on stderr for people, then the JSON line the harness reads.
int print_result(nlohmann::ordered_json& out, const Trace& trace, bool ok, const std::string& error) {
  if (!ok) out["error"] = error;
  std::fprintf(stderr, "weft bench trace %s: %zu patches, ok=%s\n", trace.name.c_str(), trace.patches.size(),
               ok ? "true" : "false");
  for (const auto& [k, v] : out.items()) {
    if (v.is_number()) std::fprintf(stderr, "  %-14s %s\n", k.c_str(), v.dump().c_str());
  }
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

std::string sha256_hex(const void* data, size_t size) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, static_cast<const unsigned char*>(data), size);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof out);
  for (unsigned char b : out) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

Status apply_trace(Doc& doc, const TextRef& text, const Trace& trace) {
  for (const Patch& p : trace.patches) {
    Status st = apply_patch(doc, text, p);
    if (!st.is_ok()) return st;
  }
  return Status::ok();
}

int run_bench_trace(const std::string& path) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "weft bench trace: sodium_init failed\n");
    return 2;
  }
  Trace trace;
  try {
    trace = load_trace(path);  // not timed
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft bench trace: %s\n", e.what());
    return 2;
  }
  const std::string& expected = trace.end_content;
  bool ok = true;
  std::string error;
  auto fail = [&](const std::string& what) {
    if (ok) error = what;
    ok = false;
    std::fprintf(stderr, "weft bench trace: %s\n", what.c_str());
  };

  // WEFT_BENCH_ONLY=apply|emit|remote runs that one pass (apply alone, apply
  // with an update listener, or that and the fresh peer applying its updates)
  // and nothing else: for profiling one pass under
  // callgrind / perf without the others' noise.
  const char* only_env = std::getenv("WEFT_BENCH_ONLY");
  const std::string only = only_env != nullptr ? only_env : "";
  if (!only.empty() && only != "apply" && only != "emit" && only != "remote") {
    std::fprintf(stderr, "weft bench trace: WEFT_BENCH_ONLY must be apply, emit or remote\n");
    return 2;
  }

  // 1-2. apply: one local transaction per patch.
  nlohmann::ordered_json out;
  out["engine"] = "weft";
  out["version"] = "0.1.0";
  out["encoding"] = "update-v1";
  UpdateBytes bytes;
  if (only.empty() || only == "apply") {
    const int64_t heap0 = heap_in_use();
    auto doc = std::make_unique<Doc>(kBenchClientId);
    TextRef text = doc->get_text("text");
    if (Status st = insert_start_content(*doc, text, trace); !st.is_ok())
      fail("startContent: " + st.message());
    const auto t0 = Clock::now();
    const double c0 = cpu_ms();
    Status st = apply_trace(*doc, text, trace);
    const double apply_ms = ms_since(t0);
    const double apply_cpu_ms = cpu_ms() - c0;
    const int64_t mem_bytes = heap_in_use() - heap0;
    if (!st.is_ok()) fail("apply: " + st.message());

    // 3. verify.
    const auto t_read = Clock::now();
    const std::string final_text = text.to_string();
    const double read_ms = ms_since(t_read);
    if (final_text != expected) fail("text after apply differs from endContent");
    if (only == "apply") {
      out["applyMs"] = round_ms(apply_ms);
      out["applyCpuMs"] = round_ms(apply_cpu_ms);
      out["ok"] = ok;
      return print_result(out, trace, ok, error);
    }

    // 4. encode (update v1).
    const auto t1 = Clock::now();
    const double c1 = cpu_ms();
    auto encoded = doc->encode_state_as_update();
    const double encode_ms = ms_since(t1);
    const double encode_cpu_ms = cpu_ms() - c1;
    if (!encoded) {
      fail("encode: " + encoded.status().message());
    } else {
      bytes = std::move(*encoded);
    }
    if (const char* dump = std::getenv("WEFT_BENCH_DUMP_UPDATE"); dump != nullptr && *dump != '\0') {
      if (FILE* f = std::fopen(dump, "wb"); f != nullptr) {
        std::fwrite(bytes.data(), 1, bytes.size(), f);
        std::fclose(f);
      } else {
        fail(std::string("cannot write ") + dump);
      }
    }
    out["applyMs"] = round_ms(apply_ms);
    out["readTextMs"] = round_ms(read_ms);
    out["docBytes"] = bytes.size();
    out["encodeMs"] = round_ms(encode_ms);
    out["memBytes"] = mem_bytes;
    out["applyCpuMs"] = round_ms(apply_cpu_ms);
    out["encodeCpuMs"] = round_ms(encode_cpu_ms);
    // Extra: the same state as update v2 (size and time; bench/peers compares the size with yjs').
    const auto t_v2 = Clock::now();
    auto encoded_v2 = doc->encode_state_as_update({}, UpdateFormat::kV2);
    const double encode_v2_ms = ms_since(t_v2);
    if (!encoded_v2) {
      fail("encode v2: " + encoded_v2.status().message());
    } else {
      out["docBytesV2"] = encoded_v2->size();
      out["encodeV2Ms"] = round_ms(encode_v2_ms);
      out["docV2Sha256"] = sha256_hex(encoded_v2->data(), encoded_v2->size());
    }
    doc.reset();  // free the edited document before loading
  }

  // 5. load: a fresh doc applies the full state and reads the text once.
  if (only.empty()) {
    const int64_t heap0 = heap_in_use();
    auto doc2 = std::make_unique<Doc>(DocOptions{});
    const auto t2 = Clock::now();
    const double c2 = cpu_ms();
    Status st = doc2->apply_update(bytes);
    const std::string loaded = doc2->get_text("text").to_string();
    const double load_ms = ms_since(t2);
    const double load_cpu_ms = cpu_ms() - c2;
    const int64_t load_mem = heap_in_use() - heap0;
    if (!st.is_ok()) fail("load: " + st.message());
    if (loaded != expected) fail("text after load differs from endContent");
    out["loadMs"] = round_ms(load_ms);
    out["loadCpuMs"] = round_ms(load_cpu_ms);
    out["loadMemBytes"] = load_mem;
    out["ok"] = ok;
    out["textSha256"] = sha256_hex(loaded.data(), loaded.size());
    out["docSha256"] = sha256_hex(bytes.data(), bytes.size());
  }

  // Extra (ignored by the harness, issue 5): apply with an update listener
  // (one v1 update per transaction), then a fresh doc applies those updates
  // one by one, as a remote peer receiving keystrokes would.
  // The updates, back to back in one buffer (offsets in update_ends): the
  // listener appends each one, as a JS peer keeps a reference, instead of
  // allocating a vector per keystroke.
  std::vector<uint8_t> update_data;
  std::vector<size_t> update_ends;
  uint64_t update_total = 0;
  double emit_ms = 0;
  double emit_cpu_ms = 0;
  if (only == "emit" || only == "remote" ||
      (only.empty() && std::getenv("WEFT_BENCH_NO_UPDATES") == nullptr)) {
    update_ends.reserve(trace.patches.size());
    update_data.reserve(32 * trace.patches.size());
    {
      Doc doc(kBenchClientId);
      TextRef text = doc.get_text("text");
      if (Status st = insert_start_content(doc, text, trace); !st.is_ok())
        fail("startContent: " + st.message());
      doc.on_update([&](const UpdateBytes& u, const Transaction&) {
        update_total += u.size();
        update_data.insert(update_data.end(), u.begin(), u.end());
        update_ends.push_back(update_data.size());
      });
      const auto t0 = Clock::now();
      const double c0 = cpu_ms();
      Status st = apply_trace(doc, text, trace);
      emit_ms = ms_since(t0);
      emit_cpu_ms = cpu_ms() - c0;
      if (!st.is_ok()) fail("apply with updates: " + st.message());
      if (text.to_string() != expected) fail("text after apply with updates differs from endContent");
    }
    if (only == "emit") {
      out["applyEmitMs"] = round_ms(emit_ms);
      out["applyEmitCpuMs"] = round_ms(emit_cpu_ms);
      out["ok"] = ok;
    }
  }
  if (only == "remote" || (only.empty() && std::getenv("WEFT_BENCH_NO_UPDATES") == nullptr)) {
    Doc remote(DocOptions{});
    const auto t1 = Clock::now();
    const double c1 = cpu_ms();
    size_t begin = 0;
    for (size_t end : update_ends) {
      Status st = remote.apply_update(std::span<const uint8_t>(update_data.data() + begin, end - begin));
      begin = end;
      if (!st.is_ok()) {
        fail("remote apply: " + st.message());
        break;
      }
    }
    const double remote_ms = ms_since(t1);
    const double remote_cpu_ms = cpu_ms() - c1;
    if (remote.get_text("text").to_string() != expected) fail("text after remote apply differs");
    out["applyEmitMs"] = round_ms(emit_ms);
    out["updateCount"] = update_ends.size();
    out["updateBytes"] = update_total;
    out["updateApplyMs"] = round_ms(remote_ms);
    out["applyEmitCpuMs"] = round_ms(emit_cpu_ms);
    out["updateApplyCpuMs"] = round_ms(remote_cpu_ms);
    out["ok"] = ok;
  }
  return print_result(out, trace, ok, error);
}

}  // namespace weft::bench
