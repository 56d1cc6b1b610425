// Doc::to_canonical_json: the dump format of `weft doc json` and the interop
// tests (tests/interop/README.md): object keys sorted by UTF-16 code units,
// bytes as {"$bytes":[...]}, subdocuments as {"$doc":guid}, undefined as null.
#include <algorithm>

#include "core/branch.h"
#include "core/values.h"
#include "encoding/json.h"
#include "encoding/utf.h"
#include "weft/doc.h"

namespace weft {

namespace {

void write_canonical(const Any& v, std::string& out) {
  switch (v.kind()) {
    case Any::Kind::kUndefined:
      out += "null";
      return;
    case Any::Kind::kBytes: {
      out += "{\"$bytes\":[";
      const Bytes& b = v.as_bytes();
      for (size_t i = 0; i < b.size(); i++) {
        if (i) out += ',';
        out += std::to_string(b[i]);
      }
      out += "]}";
      return;
    }
    case Any::Kind::kArray: {
      out += '[';
      const AnyArray& a = v.as_array();
      for (size_t i = 0; i < a.size(); i++) {
        if (i) out += ',';
        write_canonical(a[i], out);
      }
      out += ']';
      return;
    }
    case Any::Kind::kObject: {
      std::vector<std::pair<std::u16string, const std::pair<std::string, Any>*>> entries;
      for (const auto& kv : v.as_object()) entries.emplace_back(utf8_to_utf16(kv.first).value_or(u""), &kv);
      std::sort(entries.begin(), entries.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      for (size_t i = 0; i < entries.size(); i++) {
        if (i) out += ',';
        json_stringify(Any(entries[i].second->first), out);
        out += ':';
        write_canonical(entries[i].second->second, out);
      }
      out += '}';
      return;
    }
    default:
      json_stringify(v, out);
  }
}

}  // namespace

std::string canonical_json(const Any& value) {
  std::string out;
  write_canonical(value, out);
  return out;
}

std::string Doc::to_canonical_json(const std::map<std::string, TypeRef>& types) const {
  AnyObject obj;
  for (const auto& [name, branch] : roots_) {
    auto fixed = types.find(name);
    std::optional<TypeRef> saved = branch->kind;
    if (fixed != types.end()) branch->kind = fixed->second;
    obj.emplace_back(name, type_to_json(*branch));
    branch->kind = saved;
  }
  for (const auto& [name, kind] : types) {
    if (roots_.count(name) == 0) {
      Branch empty(const_cast<Doc*>(this), kind, name);
      obj.emplace_back(name, type_to_json(empty));
    }
  }
  return canonical_json(Any::object(std::move(obj)));
}

}  // namespace weft
