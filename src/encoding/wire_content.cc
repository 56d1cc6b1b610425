// Item content on the wire (Item.js readItemContent, Content*.write).
#include <algorithm>

#include "encoding/json.h"
#include "encoding/utf.h"
#include "encoding/wire.h"

namespace weft {

namespace {

bool truthy(const Any& v) {
  switch (v.kind()) {
    case Any::Kind::kUndefined:
    case Any::Kind::kNull:
      return false;
    case Any::Kind::kBool:
      return v.as_bool();
    case Any::Kind::kNumber:
      return v.as_number() == v.as_number() && v.as_number() != 0;
    case Any::Kind::kBigInt:
      return v.as_bigint() != 0;
    case Any::Kind::kString:
      return !v.as_string().empty();
    default:
      return true;
  }
}

template <typename F>
std::vector<Any> read_values(UpdateDecoder& dec, F&& read_one) {
  uint64_t n = dec.read_len();
  std::vector<Any> values;
  values.reserve(static_cast<size_t>(std::min<uint64_t>(n, dec.rest().remaining() + 16)));
  for (uint64_t i = 0; i < n && dec.ok(); i++) values.push_back(read_one());
  return values;
}

}  // namespace

Result<Any> normalize_doc_opts(const Any& opts) {
  if (opts.is_undefined() || opts.is_null()) {
    return Status(ErrorCode::kMalformed, "subdocument options are null or undefined");
  }
  const Any* gc = opts.get("gc");
  const Any* auto_load = opts.get("autoLoad");
  const Any* meta = opts.get("meta");
  if (opts.get("guid") != nullptr) {
    return Status(ErrorCode::kUnsupported, "subdocument options override the guid");
  }
  AnyObject out;
  if (gc != nullptr && !gc->is_undefined() && !truthy(*gc)) out.emplace_back("gc", false);
  if (auto_load != nullptr && truthy(*auto_load)) out.emplace_back("autoLoad", true);
  if (meta != nullptr && !meta->is_undefined() && !meta->is_null()) out.emplace_back("meta", *meta);
  return Any::object(std::move(out));
}

Content read_content(UpdateDecoder& dec, uint8_t info) {
  switch (info & 0x1f) {
    case 1:
      return ContentDeleted{dec.read_len()};
    case 2:
      return ContentJson{read_values(dec, [&]() -> Any {
        std::string text = dec.read_string_utf8();
        if (!dec.ok() || text == "undefined") return Any::undefined();
        Result<Any> v = json_parse(text);
        if (!v) {
          dec.fail(v.status().code(), v.status().message());
          return {};
        }
        return std::move(*v);
      })};
    case 3:
      return ContentBinary{dec.read_buf()};
    case 4:
      return ContentString{dec.read_string()};
    case 5:
      return ContentEmbed{dec.read_json()};
    case 6: {
      std::string key = dec.read_key();
      return ContentFormat{std::move(key), dec.read_json()};
    }
    case 7: {
      uint8_t ref = dec.read_type_ref();
      if (!dec.ok()) return ContentType{};
      if (ref > 6) {
        dec.fail(ErrorCode::kUnsupported, "unknown type ref " + std::to_string(ref));
        return ContentType{};
      }
      ContentType t{static_cast<TypeRef>(ref), {}};
      if (t.type_ref == TypeRef::kXmlElement || t.type_ref == TypeRef::kXmlHook) t.name = dec.read_key();
      return t;
    }
    case 8: {
      // Straight into the item's vector (no std::vector to move from).
      const uint64_t n = dec.read_len();
      CompactVector<Any> values;
      values.reserve(static_cast<size_t>(std::min<uint64_t>(n, dec.rest().remaining() + 16)));
      for (uint64_t i = 0; i < n && dec.ok(); i++) values.emplace_back(dec.read_any());
      return ContentAny{std::move(values)};
    }
    case 9: {
      std::string guid = dec.read_string_utf8();
      Any opts = dec.read_any();
      if (!dec.ok()) return ContentDoc{};
      Result<Any> norm = normalize_doc_opts(opts);
      if (!norm) {
        dec.fail(norm.status().code(), norm.status().message());
        return ContentDoc{};
      }
      return ContentDoc{std::move(guid), std::move(*norm)};
    }
    default:
      dec.fail(ErrorCode::kMalformed, "unknown content ref " + std::to_string(info & 0x1f));
      return ContentDeleted{};
  }
}

void write_content(UpdateEncoder& enc, const Content& c, uint64_t offset) {
  content_visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ContentDeleted>) {
          enc.write_len(x.len - offset);
        } else if constexpr (std::is_same_v<T, ContentJson>) {
          enc.write_len(x.values.size() - offset);
          for (size_t i = static_cast<size_t>(offset); i < x.values.size(); i++) {
            enc.write_string(std::string_view(json_stringify(x.values[i])));
          }
        } else if constexpr (std::is_same_v<T, ContentBinary>) {
          enc.write_buf(x.bytes);
        } else if constexpr (std::is_same_v<T, ContentString>) {
          enc.write_string(std::u16string_view(x.text).substr(
              std::min<size_t>(static_cast<size_t>(offset), x.text.size())));
        } else if constexpr (std::is_same_v<T, ContentEmbed>) {
          enc.write_json(x.value);
        } else if constexpr (std::is_same_v<T, ContentFormat>) {
          enc.write_key(x.key);
          enc.write_json(x.value);
        } else if constexpr (std::is_same_v<T, ContentType>) {
          enc.write_type_ref(static_cast<uint8_t>(x.type_ref));
          if (x.type_ref == TypeRef::kXmlElement || x.type_ref == TypeRef::kXmlHook) enc.write_key(x.name);
        } else if constexpr (std::is_same_v<T, ContentAny>) {
          enc.write_len(x.values.size() - offset);
          for (size_t i = static_cast<size_t>(offset); i < x.values.size(); i++) enc.write_any(x.values[i]);
        } else if constexpr (std::is_same_v<T, ContentDoc>) {
          enc.write_string(std::string_view(x.guid));
          enc.write_any(x.opts);
        }
      },
      c);
}

}  // namespace weft
