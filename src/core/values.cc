#include "core/values.h"

#include <algorithm>

#include "core/branch.h"
#include "encoding/json.h"
#include "encoding/utf.h"

namespace weft {

Value item_value(const Item& item, uint64_t index) {
  return content_visit(
      [&](const auto& c) -> Value {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, ContentAny> || std::is_same_v<C, ContentJson>) {
          return Value{c.values[index]};
        } else if constexpr (std::is_same_v<C, ContentBinary>) {
          return Value{Any(c.bytes)};
        } else if constexpr (std::is_same_v<C, ContentEmbed>) {
          return Value{c.value};
        } else if constexpr (std::is_same_v<C, ContentType>) {
          return Value{item.type()};
        } else if constexpr (std::is_same_v<C, ContentDoc>) {
          return Value{Value::SubDoc{c.guid, c.opts}};
        } else if constexpr (std::is_same_v<C, ContentString>) {
          return Value{Any(utf16_to_utf8(std::u16string_view(c.text).substr(index, 1)))};
        } else {
          return Value{Any()};
        }
      },
      item.content);
}

namespace {

Any value_to_json(const Value& v) {
  if (v.is_type()) return type_to_json(*v.type());
  if (v.is_doc()) return Any::object({{"$doc", Any(v.doc().guid)}});
  return v.any();
}

}  // namespace

std::u16string text_to_u16string(const Branch& type) {
  std::u16string out;
  for (const Item* n = type.start; n != nullptr; n = n->right) {
    if (n->deleted) continue;
    if (const auto* s = std::get_if<ContentString>(&n->content)) out += s->text;
  }
  return out;
}

std::string text_to_utf8(const Branch& type) {
  // Sized once for ASCII text (one byte per UTF-16 unit) and written in
  // place item by item; an item's exact UTF-8 length is only computed when
  // it might not fit in what is left (non-ASCII text, near the end).
  std::string out(type.length, '\0');
  size_t at = 0;
  for (const Item* n = type.start; n != nullptr; n = n->right) {
    if (n->deleted) continue;
    const auto* s = std::get_if<ContentString>(&n->content);
    if (s == nullptr || s->text.empty()) continue;
    // A lone high surrogate at an item's end may pair with a lone low one at
    // the next item's start: such (rare) text is converted as one string.
    if (is_low_surrogate(s->text.front()) || is_high_surrogate(s->text.back())) {
      return utf16_to_utf8(text_to_u16string(type));
    }
    const std::u16string_view text = s->text.view();
    if (out.size() - at < 3 * text.size()) {
      const size_t need = at + utf16_as_utf8_length(text);
      if (need > out.size()) out.resize(std::max(need, out.size() + out.size() / 2));
    }
    at = static_cast<size_t>(write_utf16_as_utf8(text, reinterpret_cast<uint8_t*>(out.data()) + at) -
                             reinterpret_cast<uint8_t*>(out.data()));
  }
  out.resize(at);
  return out;
}

Delta text_to_delta(const Branch& type) {
  Delta ops;
  Attributes current;
  std::u16string str;
  auto current_attrs = [&](DeltaOp& op) {
    if (!current.empty()) {
      op.attributes = current;
      op.has_attributes = true;
    }
  };
  auto pack = [&]() {
    if (str.empty()) return;
    DeltaOp op;
    op.text = std::move(str);
    str.clear();
    current_attrs(op);
    ops.push_back(std::move(op));
  };
  for (const Item* n = type.start; n != nullptr; n = n->right) {
    if (n->deleted) continue;
    if (const auto* s = std::get_if<ContentString>(&n->content)) {
      str += s->text;
    } else if (content_is<ContentType>(n->content) || content_is<ContentEmbed>(n->content)) {
      pack();
      DeltaOp op;
      op.values.push_back(item_value(*n, 0));
      current_attrs(op);
      ops.push_back(std::move(op));
    } else if (const auto* f = content_if<ContentFormat>(&n->content)) {
      pack();
      auto it =
          std::find_if(current.begin(), current.end(), [&](const auto& kv) { return kv.first == f->key; });
      if (f->value.is_null()) {
        if (it != current.end()) current.erase(it);
      } else if (it != current.end()) {
        it->second = f->value;
      } else {
        current.emplace_back(f->key, f->value);
      }
    }
  }
  pack();
  return ops;
}

std::string js_string(const Any& value) {
  switch (value.kind()) {
    case Any::Kind::kUndefined:
      return "undefined";
    case Any::Kind::kNull:
      return "null";
    case Any::Kind::kBool:
      return value.as_bool() ? "true" : "false";
    case Any::Kind::kNumber:
      return js_number_to_string(value.as_number());
    case Any::Kind::kBigInt:
      return std::to_string(value.as_bigint());
    case Any::Kind::kString:
      return value.as_string();
    case Any::Kind::kBytes: {
      std::string out;
      for (size_t i = 0; i < value.as_bytes().size(); i++) {
        if (i) out += ',';
        out += std::to_string(value.as_bytes()[i]);
      }
      return out;
    }
    case Any::Kind::kArray: {
      std::string out;
      const AnyArray& a = value.as_array();
      for (size_t i = 0; i < a.size(); i++) {
        if (i) out += ",";
        if (!a[i].is_null() && !a[i].is_undefined()) out += js_string(a[i]);
      }
      return out;
    }
    case Any::Kind::kObject:
      return "[object Object]";
  }
  return "";
}

namespace {

std::string to_lower_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string xml_children_to_string(const Branch& type) {
  std::string out;
  for (const Item* n = type.start; n != nullptr; n = n->right) {
    if (!n->visible()) continue;
    for (uint64_t i = 0; i < n->length; i++) {
      Value v = item_value(*n, i);
      if (v.is_type()) {
        out += xml_to_string(*v.type());
      } else if (v.is_any()) {
        out += js_string(v.any());
      }
    }
  }
  return out;
}

}  // namespace

std::string xml_to_string(const Branch& type) {
  TypeRef kind = type.effective_kind();
  if (kind == TypeRef::kXmlText || kind == TypeRef::kText) {
    std::string out;
    for (const DeltaOp& op : text_to_delta(type)) {
      std::vector<std::pair<std::string, const Any*>> nodes(op.attributes.size());
      for (size_t i = 0; i < op.attributes.size(); i++)
        nodes[i] = {op.attributes[i].first, &op.attributes[i].second};
      std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [name, value] : nodes) {
        out += "<" + name;
        if (value->is_object()) {
          auto attrs = value->as_object();
          std::sort(attrs.begin(), attrs.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
          for (const auto& [k, v] : attrs) out += " " + k + "=\"" + js_string(v) + "\"";
        }
        out += ">";
      }
      if (!op.values.empty()) {
        const Value& v = op.values[0];
        out += v.is_type() ? xml_to_string(*v.type()) : v.is_any() ? js_string(v.any()) : "[object Object]";
      } else {
        out += utf16_to_utf8(op.text);
      }
      for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) out += "</" + it->first + ">";
    }
    return out;
  }
  if (kind == TypeRef::kXmlElement) {
    std::vector<std::pair<std::string, Any>> attrs;
    for (const auto& [key, item] : type.map) {
      if (!item->deleted)
        attrs.emplace_back(key, item_value(*item, item->length - 1).is_any()
                                    ? item_value(*item, item->length - 1).any()
                                    : Any());
    }
    std::sort(attrs.begin(), attrs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string name = to_lower_ascii(type.name);
    std::string out = "<" + name;
    for (const auto& [k, v] : attrs) out += " " + k + "=\"" + js_string(v) + "\"";
    out += ">" + xml_children_to_string(type) + "</" + name + ">";
    return out;
  }
  if (kind == TypeRef::kXmlHook || kind == TypeRef::kMap) return "[object Object]";
  return xml_children_to_string(type);
}

Any type_to_json(const Branch& type) {
  switch (type.effective_kind()) {
    case TypeRef::kText:
      return Any(text_to_utf8(type));
    case TypeRef::kXmlElement:
    case TypeRef::kXmlFragment:
    case TypeRef::kXmlText:
      return Any(xml_to_string(type));
    case TypeRef::kMap:
    case TypeRef::kXmlHook: {
      AnyObject obj;
      for (const auto& [key, item] : type.map) {
        if (!item->deleted) obj.emplace_back(key, value_to_json(item_value(*item, item->length - 1)));
      }
      return Any::object(std::move(obj));
    }
    case TypeRef::kArray: {
      AnyArray arr;
      for (const Item* n = type.start; n != nullptr; n = n->right) {
        if (!n->visible()) continue;
        for (uint64_t i = 0; i < n->length; i++) arr.push_back(value_to_json(item_value(*n, i)));
      }
      return Any(std::move(arr));
    }
  }
  return Any();
}

}  // namespace weft
