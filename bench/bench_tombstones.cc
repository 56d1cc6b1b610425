#include "bench_tombstones.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "testdata/tombstone_updates.h"
#include "weft/doc.h"

namespace weft::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double peak_rss_mb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// User + system CPU time of the process so far: on a shared machine the wall
// time mostly measures waiting for a core.
double cpu_ms() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  auto ms = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3;
  };
  return ms(ru.ru_utime) + ms(ru.ru_stime);
}

}  // namespace

int run_tombstones_gen(uint64_t count, const std::string& path, const std::string& shape) {
  const auto t0 = Clock::now();
  if (shape != "alternating" && shape != "edits" && shape != "sessions" && shape != "visible") {
    std::fprintf(stderr,
                 "weft bench tombstones-gen: unknown shape %s (alternating, edits, sessions, visible)\n",
                 shape.c_str());
    return 2;
  }
  UpdateBytes bytes = shape == "edits"      ? testdata::make_edited_tombstone_update(count, 1)
                      : shape == "sessions" ? testdata::make_sessions_tombstone_update(count, 1)
                      : shape == "visible"  ? testdata::make_tombstone_update(count, {.deleted = false})
                                            : testdata::make_tombstone_update(count);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "weft bench tombstones-gen: cannot write %s\n", path.c_str());
    return 2;
  }
  std::printf("{\"items\":%llu,\"bytes\":%zu,\"genMs\":%.1f}\n", static_cast<unsigned long long>(count),
              bytes.size(), ms_since(t0));
  return 0;
}

int run_tombstones_load(const std::string& path, bool gc) {
  // One exactly sized buffer (reading through istreambuf_iterator doubled
  // the vector as it went: a 133 MB peak for a 76 MB file).
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const std::streamoff file_size = in ? static_cast<std::streamoff>(in.tellg()) : -1;
  std::vector<uint8_t> bytes(file_size > 0 ? static_cast<size_t>(file_size) : 0);
  in.seekg(0);
  if (file_size < 0 ||
      !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
    std::fprintf(stderr, "weft bench tombstones: cannot read %s\n", path.c_str());
    return 2;
  }
  in.close();
  const size_t input_bytes = bytes.size();
  const double rss_input = peak_rss_mb();
  Doc doc(DocOptions{.client_id = 99, .guid = {}, .gc = gc});
  const auto t0 = Clock::now();
  const double cpu0 = cpu_ms();
  Status st = doc.apply_update(bytes);
  // Read the text, as tombstones_yjs.mjs does; its length in UTF-16 units, as yjs reports it.
  TextRef text = doc.get_text("text");
  (void)text.to_string();
  const size_t text_len = text.length();
  const double load_ms = ms_since(t0);
  const double load_cpu_ms = cpu_ms() - cpu0;
  const double rss_load = peak_rss_mb();
  // The store holds everything it needs: give the input back before the
  // re-encode, so the output buffer does not sit on top of it.
  std::vector<uint8_t>().swap(bytes);
  if (!st.is_ok()) {
    std::fprintf(stderr, "weft bench tombstones: load: %s\n", st.message().c_str());
    return 1;
  }
  const auto t1 = Clock::now();
  const double cpu1 = cpu_ms();
  auto encoded = doc.encode_state_as_update();
  const double encode_ms = ms_since(t1);
  const double encode_cpu_ms = cpu_ms() - cpu1;
  if (!encoded) {
    std::fprintf(stderr, "weft bench tombstones: encode: %s\n", encoded.status().message().c_str());
    return 1;
  }
  // WEFT_BENCH_DUMP_UPDATE=FILE keeps the re-encoded state (with --no-gc it
  // must equal the input byte for byte).
  if (const char* dump = std::getenv("WEFT_BENCH_DUMP_UPDATE"); dump != nullptr && *dump != '\0') {
    std::ofstream out(dump, std::ios::binary);
    out.write(reinterpret_cast<const char*>(encoded->data()), static_cast<std::streamsize>(encoded->size()));
  }
  std::printf(
      "{\"engine\":\"weft\",\"gc\":%s,\"inputBytes\":%zu,\"textLength\":%zu,\"loadMs\":%.1f,"
      "\"loadCpuMs\":%.1f,\"encodeMs\":%.1f,\"encodeCpuMs\":%.1f,\"encodedBytes\":%zu,"
      "\"peakRssInputMB\":%.1f,\"peakRssAfterLoadMB\":%.1f,\"peakRssMB\":%.1f}\n",
      gc ? "true" : "false", input_bytes, text_len, load_ms, load_cpu_ms, encode_ms, encode_cpu_ms,
      encoded->size(), rss_input, rss_load, peak_rss_mb());
  return 0;
}

}  // namespace weft::bench
