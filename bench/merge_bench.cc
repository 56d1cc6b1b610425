// Google Benchmark suite for the update operations that work on raw bytes
// (merge_updates, diff_update), with the inputs yjs gets in
// bench/merge/yjs_merge_bench.mjs. Throughput (bytes/s) counts input bytes:
// the sum of the merged updates, or the size of the diffed update.
//
// Inputs (built on first run from bench/traces, then read from the cache
// directory WEFT_MERGE_BENCH_DIR, default /tmp/weft-merge-bench):
//   log-automerge   the 259,778 one-patch transaction updates of automerge-paper
//                   (one client), as a server's update log holds them
//   log-3clients    the per-patch updates of sveltecomponent, clownschool_flat and
//                   friendsforever_flat, three clients on three root texts, interleaved
//   state+incr      a doc of eight clients (the eight traces, each on its own root
//                   text, gc off) stored at 80% of every trace, plus one incremental
//                   update per client for the remaining 20%
//   diff            that doc's final state, diffed against the 80% state vector and
//                   against an empty one
// Each list is a file of [u32 little-endian length][bytes] records; weft's
// outputs are written to DIR/out/ so the node script can compare bytes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench_trace.h"
#include "trace.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace {

namespace fs = std::filesystem;
using weft::Doc;
using weft::UpdateBytes;
using weft::UpdateFormat;
using UpdateList = std::vector<UpdateBytes>;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "weft_merge_benchmarks: %s\n", what.c_str());
  std::exit(1);
}

fs::path cache_dir() {
  const char* env = std::getenv("WEFT_MERGE_BENCH_DIR");
  return env != nullptr && *env != '\0' ? fs::path(env) : fs::path("/tmp/weft-merge-bench");
}

const char* tag(UpdateFormat f) { return f == UpdateFormat::kV1 ? "v1" : "v2"; }

void write_file(const fs::path& path, std::span<const uint8_t> bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) die("cannot write " + path.string());
}

std::vector<uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_list(const fs::path& path, const UpdateList& list) {
  std::vector<uint8_t> out;
  for (const UpdateBytes& u : list) {
    for (int i = 0; i < 4; i++) out.push_back(static_cast<uint8_t>(u.size() >> (8 * i)));
    out.insert(out.end(), u.begin(), u.end());
  }
  write_file(path, out);
}

UpdateList read_list(const fs::path& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  UpdateList list;
  for (size_t pos = 0; pos + 4 <= bytes.size();) {
    size_t len = 0;
    for (int i = 0; i < 4; i++) len |= size_t{bytes[pos + i]} << (8 * i);
    pos += 4;
    if (pos + len > bytes.size()) die("truncated list " + path.string());
    list.emplace_back(bytes.begin() + static_cast<ptrdiff_t>(pos),
                      bytes.begin() + static_cast<ptrdiff_t>(pos + len));
    pos += len;
  }
  return list;
}

weft::bench::Trace trace(const std::string& name) {
  return weft::bench::load_trace(std::string(WEFT_BENCH_TRACES_DIR) + "/" + name + ".json.gz");
}

// One trace replayed by one client on root text `root`, a transaction per
// patch, optionally recording every transaction's update.
class TraceEditor {
 public:
  TraceEditor(const std::string& trace_name, uint64_t client, const std::string& root, bool gc, bool record)
      : trace_(trace(trace_name)), doc_(client, gc), text_(doc_.get_text(root)) {
    if (record) {
      doc_.on_update([this](const UpdateBytes& u, const weft::Transaction&) { v1.push_back(u); });
      doc_.on_update_v2([this](const UpdateBytes& u, const weft::Transaction&) { v2.push_back(u); });
    }
    if (!trace_.start_content.empty()) {
      doc_.transact(
          [&](weft::Transaction&) { check(text_.insert(0, std::string_view(trace_.start_content))); });
    }
  }
  size_t patches() const { return trace_.patches.size(); }
  // Applies patches up to (not including) `end`.
  void apply_until(size_t end) {
    for (; next_ < end; next_++) {
      const weft::bench::Patch& p = trace_.patches[next_];
      doc_.transact([&](weft::Transaction&) {
        if (p.del > 0) check(text_.remove_range(p.pos, p.del));
        if (!p.ins.empty()) check(text_.insert(p.pos, std::u16string_view(p.ins)));
      });
    }
  }
  Doc& doc() { return doc_; }
  UpdateList v1, v2;

 private:
  static void check(const weft::Status& st) {
    if (!st.is_ok()) die(st.message());
  }
  weft::bench::Trace trace_;
  Doc doc_;
  weft::TextRef text_;
  size_t next_ = 0;
};

UpdateBytes state_of(Doc& doc, UpdateFormat f, std::span<const uint8_t> sv = {}) {
  auto r = doc.encode_state_as_update(sv, f);
  if (!r) die(r.status().message());
  return std::move(*r);
}

void build_inputs(const fs::path& dir) {
  std::fprintf(stderr, "weft_merge_benchmarks: building inputs in %s (once)\n", dir.string().c_str());
  {
    TraceEditor e("automerge-paper", weft::bench::kBenchClientId, "text", true, true);
    e.apply_until(e.patches());
    write_list(dir / "log-automerge.v1.lst", e.v1);
    write_list(dir / "log-automerge.v2.lst", e.v2);
  }
  {
    const char* names[] = {"sveltecomponent", "clownschool_flat", "friendsforever_flat"};
    std::vector<std::unique_ptr<TraceEditor>> eds;
    for (int i = 0; i < 3; i++) {
      eds.push_back(std::make_unique<TraceEditor>(names[i], 1000 + i, names[i], true, true));
      eds.back()->apply_until(eds.back()->patches());
    }
    for (UpdateFormat f : {UpdateFormat::kV1, UpdateFormat::kV2}) {
      UpdateList interleaved;
      for (size_t k = 0;; k++) {
        bool any = false;
        for (auto& e : eds) {
          const UpdateList& l = f == UpdateFormat::kV1 ? e->v1 : e->v2;
          if (k < l.size()) interleaved.push_back(l[k]), any = true;
        }
        if (!any) break;
      }
      write_list(dir / (std::string("log-3clients.") + tag(f) + ".lst"), interleaved);
    }
  }
  {
    const char* names[] = {"automerge-paper", "seph-blog1",          "rustcode",
                           "sveltecomponent", "friendsforever_flat", "clownschool_flat",
                           "json-crdt-patch", "json-crdt-blog-post"};
    std::vector<std::unique_ptr<TraceEditor>> eds;
    Doc stored(1, false);  // the server's doc at 80%
    for (int i = 0; i < 8; i++) {
      eds.push_back(std::make_unique<TraceEditor>(names[i], 2000 + 7919 * i, names[i], false, false));
      eds.back()->apply_until(eds.back()->patches() * 4 / 5);
      if (auto st = stored.apply_update(state_of(eds.back()->doc(), UpdateFormat::kV1), UpdateFormat::kV1);
          !st.is_ok())
        die(st.message());
    }
    const UpdateBytes sv80 = stored.encode_state_vector();
    write_file(dir / "sv80.bin", sv80);
    std::map<UpdateFormat, UpdateList> lists;
    for (UpdateFormat f : {UpdateFormat::kV1, UpdateFormat::kV2}) lists[f].push_back(state_of(stored, f));
    std::vector<UpdateBytes> svs;
    for (auto& e : eds) svs.push_back(e->doc().encode_state_vector());
    for (size_t i = 0; i < eds.size(); i++) {
      eds[i]->apply_until(eds[i]->patches());
      for (UpdateFormat f : {UpdateFormat::kV1, UpdateFormat::kV2}) {
        lists[f].push_back(state_of(eds[i]->doc(), f, svs[i]));
      }
      if (auto st = stored.apply_update(lists[UpdateFormat::kV1].back(), UpdateFormat::kV1); !st.is_ok())
        die(st.message());
    }
    for (UpdateFormat f : {UpdateFormat::kV1, UpdateFormat::kV2}) {
      write_list(dir / (std::string("state+incr.") + tag(f) + ".lst"), lists[f]);
      write_file(dir / (std::string("final.") + tag(f) + ".bin"), state_of(stored, f));
    }
  }
  write_file(dir / "complete", std::vector<uint8_t>{'1'});
}

fs::path inputs() {
  static const fs::path dir = [] {
    fs::path d = cache_dir();
    if (!fs::exists(d / "complete")) build_inputs(d);
    return d;
  }();
  return dir;
}

const UpdateList& list(const std::string& name) {
  static std::map<std::string, UpdateList> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, read_list(inputs() / (name + ".lst"))).first;
  return it->second;
}

const std::vector<uint8_t>& file(const std::string& name) {
  static std::map<std::string, std::vector<uint8_t>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, read_file(inputs() / name)).first;
  return it->second;
}

// Merges `name` in consecutive batches of `batch` updates (0: all in one call).
void BM_Merge(benchmark::State& state, const std::string& name, UpdateFormat f, size_t batch) {
  const UpdateList& updates = list(name + "." + tag(f));
  std::vector<std::span<const uint8_t>> spans(updates.begin(), updates.end());
  size_t in_bytes = 0;
  for (const auto& u : updates) in_bytes += u.size();
  if (batch == 0) batch = spans.size();
  size_t out_bytes = 0;
  std::vector<UpdateBytes> outs;
  for (auto _ : state) {
    outs.clear();
    out_bytes = 0;
    for (size_t i = 0; i < spans.size(); i += batch) {
      std::span<const std::span<const uint8_t>> part(spans.data() + i, std::min(batch, spans.size() - i));
      auto merged = weft::merge_updates(part, f);
      if (!merged) die(merged.status().message());
      out_bytes += merged->size();
      outs.push_back(std::move(*merged));
    }
  }
  std::vector<uint8_t> all;  // the batches' outputs, concatenated
  for (const auto& o : outs) all.insert(all.end(), o.begin(), o.end());
  const std::string suffix = batch == spans.size() ? "" : ".batch" + std::to_string(batch);
  write_file(inputs() / "out" / ("merge-" + name + "." + tag(f) + suffix + ".bin"), all);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in_bytes));
  state.counters["updates"] = static_cast<double>(updates.size());
  state.counters["in_bytes"] = static_cast<double>(in_bytes);
  state.counters["out_bytes"] = static_cast<double>(out_bytes);
}

void BM_Diff(benchmark::State& state, const std::string& sv_name, UpdateFormat f) {
  const std::vector<uint8_t>& update = file(std::string("final.") + tag(f) + ".bin");
  static const std::vector<uint8_t> kEmptySv = {0};
  const std::vector<uint8_t>& sv = sv_name == "empty" ? kEmptySv : file(sv_name + ".bin");
  UpdateBytes out;
  for (auto _ : state) {
    auto r = weft::diff_update(update, sv, f);
    if (!r) die(r.status().message());
    out = std::move(*r);
  }
  write_file(inputs() / "out" / ("diff-" + sv_name + "." + tag(f) + ".bin"), out);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * update.size()));
  state.counters["in_bytes"] = static_cast<double>(update.size());
  state.counters["out_bytes"] = static_cast<double>(out.size());
}

void register_benchmarks() {
  for (UpdateFormat f : {UpdateFormat::kV1, UpdateFormat::kV2}) {
    const std::string t = f == UpdateFormat::kV1 ? "V1" : "V2";
    for (auto [name, batch] :
         {std::pair{"log-automerge", 0}, std::pair{"log-automerge", 1000}, std::pair{"log-automerge", 100},
          std::pair{"log-3clients", 0}, std::pair{"log-3clients", 100}, std::pair{"state+incr", 0}}) {
      std::string label = "Merge" + t + "/" + name + (batch ? "/batch" + std::to_string(batch) : "/all");
      benchmark::RegisterBenchmark(label.c_str(), BM_Merge, std::string(name), f, size_t(batch))
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5);
    }
    for (const char* sv : {"sv80", "empty"}) {
      benchmark::RegisterBenchmark(("Diff" + t + "/final/" + sv).c_str(), BM_Diff, std::string(sv), f)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
