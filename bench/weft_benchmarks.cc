// Google Benchmark suite: lib0 primitives; per editing trace, local apply,
// encode (v1/v2), load (v1/v2) and merge_updates of the per-transaction
// updates; one transaction in documents of 1 to 100,000 clients.
//
// Traces come from bench/traces (WEFT_BENCH_TRACES_DIR). WEFT_BENCH_TRACES=a,b
// restricts the trace set (default: all eight); --benchmark_filter works too.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "bench_trace.h"
#include "encoding/lib0.h"
#include "trace.h"
#include "weft/doc.h"
#include "weft/types.h"
#include "weft/update.h"

namespace {

using weft::Any;
using weft::Doc;
using weft::UpdateBytes;
using weft::UpdateFormat;
using weft::bench::kBenchClientId;
using weft::bench::Trace;

const std::vector<std::string> kAllTraces = {"automerge-paper", "seph-blog1",          "rustcode",
                                             "sveltecomponent", "friendsforever_flat", "clownschool_flat",
                                             "json-crdt-patch", "json-crdt-blog-post"};

// ---- lib0 primitives ------------------------------------------------------

std::vector<uint64_t> var_uint_inputs() {
  // Mostly small values (clocks, lengths), some large (client ids).
  std::vector<uint64_t> v;
  uint32_t x = 42;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1664525u + 1013904223u;
    switch (i % 4) {
      case 0:
        v.push_back(x % 128);
        break;
      case 1:
        v.push_back(x % 16384);
        break;
      case 2:
        v.push_back(x);
        break;
      default:
        v.push_back(uint64_t{x} * 1000 % weft::lib0::kMaxSafeInteger);
        break;
    }
  }
  return v;
}

void BM_WriteVarUint(benchmark::State& state) {
  const auto in = var_uint_inputs();
  weft::lib0::Encoder enc;
  for (auto _ : state) {
    enc.clear();
    for (uint64_t n : in) enc.write_var_uint(n);
    benchmark::DoNotOptimize(enc.bytes().data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * enc.size()));
}
BENCHMARK(BM_WriteVarUint)->MinTime(0.2);

void BM_ReadVarUint(benchmark::State& state) {
  const auto in = var_uint_inputs();
  weft::lib0::Encoder enc;
  for (uint64_t n : in) enc.write_var_uint(n);
  const auto bytes = enc.take();
  for (auto _ : state) {
    weft::lib0::Decoder dec(bytes);
    uint64_t sum = 0;
    for (size_t i = 0; i < in.size(); ++i) sum += dec.read_var_uint();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_ReadVarUint)->MinTime(0.2);

// A map entry value of the kind apps store (ContentAny / JSON).
Any sample_any() {
  return Any::object({{"id", Any(12345)},
                      {"title", Any("Weekly sync – notes")},
                      {"done", Any(false)},
                      {"score", Any(3.25)},
                      {"tags", Any(weft::AnyArray{Any("a"), Any("bb"), Any("ccc")})},
                      {"owner", Any::object({{"name", Any("Ada")}, {"age", Any(36)}, {"x", Any::null()}})},
                      {"blob", Any(weft::Bytes{1, 2, 3, 4, 5, 6, 7, 8})}});
}

void BM_WriteAny(benchmark::State& state) {
  const Any v = sample_any();
  weft::lib0::Encoder enc;
  for (auto _ : state) {
    enc.clear();
    for (int i = 0; i < 64; ++i) enc.write_any(v);
    benchmark::DoNotOptimize(enc.bytes().data());
  }
  state.SetItemsProcessed(state.iterations() * 64);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * enc.size()));
}
BENCHMARK(BM_WriteAny)->MinTime(0.2);

void BM_ReadAny(benchmark::State& state) {
  weft::lib0::Encoder enc;
  for (int i = 0; i < 64; ++i) enc.write_any(sample_any());
  const auto bytes = enc.take();
  for (auto _ : state) {
    weft::lib0::Decoder dec(bytes);
    for (int i = 0; i < 64; ++i) benchmark::DoNotOptimize(dec.read_any());
  }
  state.SetItemsProcessed(state.iterations() * 64);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_ReadAny)->MinTime(0.2);

// ---- traces ---------------------------------------------------------------

// Everything derived from one trace, built once on first use.
struct TraceData {
  Trace trace;
  std::unique_ptr<Doc> doc;           // final doc (client kBenchClientId)
  UpdateBytes v1, v2;                 // encode_state_as_update of it
  std::vector<UpdateBytes> updates;   // one v1 update per patch transaction
  std::vector<UpdateBytes> updates2;  // the same as v2
};

void abort_with(const std::string& what) {
  std::fprintf(stderr, "weft_benchmarks: %s\n", what.c_str());
  std::abort();
}

TraceData& trace_data(const std::string& name) {
  static std::map<std::string, std::unique_ptr<TraceData>> cache;
  auto& slot = cache[name];
  if (slot) return *slot;
  slot = std::make_unique<TraceData>();
  TraceData& d = *slot;
  d.trace = weft::bench::load_trace(std::string(WEFT_BENCH_TRACES_DIR) + "/" + name + ".json.gz");
  d.doc = std::make_unique<Doc>(kBenchClientId);
  d.doc->on_update([&d](const UpdateBytes& u, const weft::Transaction&) { d.updates.push_back(u); });
  d.doc->on_update_v2([&d](const UpdateBytes& u, const weft::Transaction&) { d.updates2.push_back(u); });
  auto text = d.doc->get_text("text");
  if (auto st = weft::bench::apply_trace(*d.doc, text, d.trace); !st.is_ok()) abort_with(st.message());
  if (text.to_string() != d.trace.end_content) abort_with(name + ": wrong text");
  auto v1 = d.doc->encode_state_as_update({}, UpdateFormat::kV1);
  auto v2 = d.doc->encode_state_as_update({}, UpdateFormat::kV2);
  if (!v1 || !v2) abort_with(name + ": encode failed");
  d.v1 = std::move(*v1);
  d.v2 = std::move(*v2);
  return d;
}

void BM_Apply(benchmark::State& state, const std::string& name) {
  const Trace& trace = trace_data(name).trace;
  for (auto _ : state) {
    auto doc = std::make_unique<Doc>(kBenchClientId);
    auto text = doc->get_text("text");
    if (auto st = weft::bench::apply_trace(*doc, text, trace); !st.is_ok()) abort_with(st.message());
    benchmark::DoNotOptimize(text.length());
    state.PauseTiming();  // exclude destruction
    doc.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * trace.patches.size()));
  state.counters["patches"] = static_cast<double>(trace.patches.size());
}

void BM_Encode(benchmark::State& state, const std::string& name, UpdateFormat format) {
  TraceData& d = trace_data(name);
  size_t size = 0;
  for (auto _ : state) {
    auto bytes = d.doc->encode_state_as_update({}, format);
    size = bytes->size();
    benchmark::DoNotOptimize(bytes->data());
  }
  state.counters["bytes"] = static_cast<double>(size);
}

void BM_Load(benchmark::State& state, const std::string& name, UpdateFormat format) {
  TraceData& d = trace_data(name);
  const UpdateBytes& bytes = format == UpdateFormat::kV1 ? d.v1 : d.v2;
  for (auto _ : state) {
    Doc doc(weft::DocOptions{});
    if (auto st = doc.apply_update(bytes, format); !st.is_ok()) abort_with(st.message());
    benchmark::DoNotOptimize(doc.get_text("text").length());
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

void BM_MergeUpdates(benchmark::State& state, const std::string& name, UpdateFormat format) {
  TraceData& d = trace_data(name);
  const auto& updates = format == UpdateFormat::kV1 ? d.updates : d.updates2;
  std::vector<std::span<const uint8_t>> spans(updates.begin(), updates.end());
  size_t size = 0;
  for (auto _ : state) {
    auto merged = weft::merge_updates(spans, format);
    if (!merged) abort_with(merged.status().message());
    size = merged->size();
    benchmark::DoNotOptimize(merged->data());
  }
  state.counters["updates"] = static_cast<double>(updates.size());
  state.counters["bytes"] = static_cast<double>(size);
}

// ---- documents of many clients ---------------------------------------------

// A document every one of `clients` past sessions typed one character into
// (each session a client of its own), as a server's long-lived document.
std::unique_ptr<Doc> doc_of_clients(int64_t clients) {
  auto doc = std::make_unique<Doc>(weft::DocOptions{.client_id = 1, .guid = {}, .gc = true});
  auto text = doc->get_text("text");
  for (int64_t c = 0; c < clients; c++) {
    doc->set_client_id(1000 + static_cast<uint64_t>(c));
    if (!text.insert(text.length(), std::u16string_view(u"x"))) abort_with("insert failed");
  }
  doc->set_client_id(5);
  return doc;
}

// One local keystroke (one transaction) near the start of such a document.
// The transaction's cost should not grow with the clients it does not touch.
void BM_KeystrokeAmongClients(benchmark::State& state) {
  auto doc = doc_of_clients(state.range(0));
  auto text = doc->get_text("text");
  uint64_t i = 0;
  for (auto _ : state) {
    if (!text.insert(i++ % 7, std::u16string_view(u"y"))) abort_with("insert failed");
  }
  state.counters["clients"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_KeystrokeAmongClients)->RangeMultiplier(10)->Range(1, 100000)->Unit(benchmark::kMicrosecond);

// The same keystroke arriving as a remote update (one transaction each, as a
// server applies what a client sends).
void BM_RemoteKeystrokeAmongClients(benchmark::State& state) {
  auto doc = doc_of_clients(state.range(0));
  Doc typist(weft::DocOptions{.client_id = 7, .guid = {}, .gc = true});
  std::vector<UpdateBytes> updates;
  typist.on_update([&](const UpdateBytes& u, const weft::Transaction&) { updates.push_back(u); });
  auto typed = typist.get_text("text");
  for (int k = 0; k < 100000; k++) {
    if (!typed.insert(0, std::u16string_view(u"z"))) abort_with("insert failed");
  }
  size_t next = 0;
  for (auto _ : state) {
    if (next == updates.size()) state.SkipWithError("out of updates");
    if (auto st = doc->apply_update(updates[next++]); !st.is_ok()) abort_with(st.message());
  }
  state.counters["clients"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_RemoteKeystrokeAmongClients)
    ->RangeMultiplier(10)
    ->Range(1, 100000)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(20000);

std::vector<std::string> selected_traces() {
  const char* env = std::getenv("WEFT_BENCH_TRACES");
  if (env == nullptr || *env == '\0') return kAllTraces;
  std::vector<std::string> out;
  std::stringstream ss(env);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

void register_trace_benchmarks() {
  constexpr double kMinTime = 0.1;
  for (const std::string& name : selected_traces()) {
    benchmark::RegisterBenchmark(("Apply/" + name).c_str(), BM_Apply, name)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(kMinTime);
    for (auto [fmt, tag] : {std::pair{UpdateFormat::kV1, "V1"}, std::pair{UpdateFormat::kV2, "V2"}}) {
      benchmark::RegisterBenchmark((std::string("Encode") + tag + "/" + name).c_str(), BM_Encode, name, fmt)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(kMinTime);
      benchmark::RegisterBenchmark((std::string("Load") + tag + "/" + name).c_str(), BM_Load, name, fmt)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(kMinTime);
      benchmark::RegisterBenchmark((std::string("MergeUpdates") + tag + "/" + name).c_str(), BM_MergeUpdates,
                                   name, fmt)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(kMinTime);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_trace_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
