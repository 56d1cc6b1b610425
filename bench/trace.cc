#include "trace.h"

#include <zlib.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "encoding/utf.h"

namespace weft::bench {

std::string read_maybe_gzipped(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot open " + path);
  gzbuffer(f, 1 << 17);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      throw std::runtime_error("cannot read " + path + ": " + msg);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  gzclose(f);
  return out;
}

namespace {

std::string base_name(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  for (const char* ext : {".gz", ".json"}) {
    std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      name.resize(name.size() - e.size());
    }
  }
  return name;
}

std::u16string to_utf16(const std::string& utf8, const std::string& where) {
  auto u16 = utf8_to_utf16(utf8);
  if (!u16) throw std::runtime_error(where + ": invalid UTF-8");
  for (char16_t c : *u16) {
    if (is_high_surrogate(c) || is_low_surrogate(c)) {
      throw std::runtime_error(where +
                               ": code point above U+FFFF (code-point positions would differ "
                               "from UTF-16 positions; not supported)");
    }
  }
  return std::move(*u16);
}

}  // namespace

Trace load_trace(const std::string& path) {
  std::string raw = read_maybe_gzipped(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(raw);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  raw.clear();
  raw.shrink_to_fit();

  Trace t;
  t.name = base_name(path);
  try {
    t.start_content = j.value("startContent", std::string());
    t.end_content = j.at("endContent").get<std::string>();
    // Validates the texts as well: both must be UTF-16-compatible too.
    (void)to_utf16(t.start_content, path + " startContent");
    (void)to_utf16(t.end_content, path + " endContent");
    const auto& txns = j.at("txns");
    t.txn_ends.reserve(txns.size());
    for (const auto& txn : txns) {
      for (const auto& p : txn.at("patches")) {
        if (!p.is_array() || p.size() != 3) throw std::runtime_error(path + ": patch is not [pos, del, ins]");
        Patch patch;
        patch.pos = p[0].get<uint64_t>();
        patch.del = p[1].get<uint64_t>();
        patch.ins = to_utf16(p[2].get<std::string>(), path + " patch " + std::to_string(t.patches.size()));
        t.patches.push_back(std::move(patch));
      }
      t.txn_ends.push_back(t.patches.size());
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return t;
}

std::u16string replay_plain(const Trace& trace) {
  std::u16string s = *utf8_to_utf16(trace.start_content);
  for (const Patch& p : trace.patches) {
    if (p.pos > s.size() || p.del > s.size() - p.pos) throw std::runtime_error("patch out of range");
    s.replace(p.pos, p.del, p.ins);
  }
  return s;
}

}  // namespace weft::bench
