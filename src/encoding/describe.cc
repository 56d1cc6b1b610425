// describe_update: a readable listing for `weft update inspect`.
#include <sstream>

#include "encoding/json.h"
#include "encoding/utf.h"
#include "encoding/wire.h"
#include "weft/update.h"

namespace weft {

namespace {

std::string id_str(const ID& id) { return std::to_string(id.client) + ":" + std::to_string(id.clock); }

std::string content_str(const Content& c) {
  return content_visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ContentDeleted>) {
          return "Deleted(" + std::to_string(x.len) + ")";
        } else if constexpr (std::is_same_v<T, ContentJson>) {
          std::string s = "JSON[";
          for (size_t i = 0; i < x.values.size(); i++) {
            if (i) s += ',';
            s += json_stringify(x.values[i]);  // not `"," + ...`: g++ 12 -O3 warns falsely (-Wrestrict)
          }
          return s + "]";
        } else if constexpr (std::is_same_v<T, ContentBinary>) {
          return "Binary(" + std::to_string(x.bytes.size()) + " bytes)";
        } else if constexpr (std::is_same_v<T, ContentString>) {
          return "String(" + json_stringify(Any(utf16_to_wtf8(x.text))) + ")";
        } else if constexpr (std::is_same_v<T, ContentEmbed>) {
          return "Embed(" + json_stringify(x.value) + ")";
        } else if constexpr (std::is_same_v<T, ContentFormat>) {
          return "Format(" + json_stringify(Any(x.key)) + "=" + json_stringify(x.value) + ")";
        } else if constexpr (std::is_same_v<T, ContentType>) {
          static const char* kNames[] = {"Array",       "Map",     "Text",   "XmlElement",
                                         "XmlFragment", "XmlHook", "XmlText"};
          std::string s = std::string("Type(") + kNames[static_cast<int>(x.type_ref)];
          if (!x.name.empty()) s += " " + json_stringify(Any(x.name));
          return s + ")";
        } else if constexpr (std::is_same_v<T, ContentAny>) {
          std::string s = "Any[";
          for (size_t i = 0; i < x.values.size(); i++) {
            if (i) s += ',';
            s += json_stringify(x.values[i]);  // not `"," + ...`: g++ 12 -O3 warns falsely (-Wrestrict)
          }
          return s + "]";
        } else {
          return "Doc(" + json_stringify(Any(x.guid)) + " " + json_stringify(x.opts) + ")";
        }
      },
      c);
}

}  // namespace

Result<std::string> describe_update(std::span<const uint8_t> update, UpdateFormat format) {
  WEFT_ASSIGN_OR_RETURN(DecodedUpdate u, decode_update(update, format));
  std::ostringstream out;
  out << "structs: " << u.structs.size() << "\n";
  for (const WireStruct& s : u.structs) {
    out << "  " << id_str(s.id) << " len " << s.length << " ";
    if (s.kind == StructKind::kGC) {
      out << "GC\n";
      continue;
    }
    if (s.kind == StructKind::kSkip) {
      out << "Skip\n";
      continue;
    }
    out << "Item";
    if (s.origin) out << " origin " << id_str(*s.origin);
    if (s.right_origin) out << " right " << id_str(*s.right_origin);
    if (const auto* name = std::get_if<std::string>(&s.parent))
      out << " parent " << json_stringify(Any(*name));
    if (const auto* pid = std::get_if<ID>(&s.parent)) out << " parent " << id_str(*pid);
    if (s.parent_sub) out << " key " << json_stringify(Any(*s.parent_sub));
    out << " " << content_str(s.content) << "\n";
  }
  out << "delete set:";
  if (u.delete_set.empty()) out << " empty";
  out << "\n";
  for (const auto& [client, dels] : u.delete_set.clients()) {
    out << "  " << client << ":";
    for (const auto& d : dels) out << " [" << d.clock << "," << d.end() << ")";
    out << "\n";
  }
  return out.str();
}

}  // namespace weft
