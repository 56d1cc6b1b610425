// The public type handles (weft/types.h) over the core's list, map and text operations.
#include "weft/types.h"

#include "core/branch.h"
#include "core/list_ops.h"
#include "core/struct_store.h"
#include "core/text_ops.h"
#include "core/transaction.h"
#include "core/values.h"
#include "encoding/utf.h"
#include "weft/doc.h"

namespace weft {

namespace {

// Runs fn inside the doc's transaction (opening one when needed).
template <typename Fn>
auto in_txn(Branch* b, Fn&& fn) {
  using R = decltype(fn(std::declval<Transaction&>()));
  // Inside a transaction already (a caller's transact): no new one to join.
  if (Transaction* txn = b->doc->current_transaction()) return fn(*txn);
  if constexpr (std::is_void_v<R>) {
    b->doc->transact([&](Transaction& txn) { fn(txn); });
  } else {
    std::optional<R> result;
    b->doc->transact([&](Transaction& txn) { result.emplace(fn(txn)); });
    return std::move(*result);
  }
}

Content type_content(TypeRef kind, const std::string& name = {}) { return ContentType{kind, name}; }

template <typename Ref>
Result<Ref> insert_type(Branch* b, uint64_t index, TypeRef kind, const std::string& name = {}) {
  return in_txn(b, [&](Transaction& txn) -> Result<Ref> {
    std::vector<Content> contents;
    contents.push_back(type_content(kind, name));
    if (index > b->length) return Status(ErrorCode::kInvalidArgument, "index beyond length");
    Item* ref = list_insert_ref(txn, b, index);
    Item* item = list_insert_contents_after(txn, b, ref, std::move(contents));
    return Ref(item->type());
  });
}

template <typename Ref>
Ref set_type(Branch* b, const std::string& key, TypeRef kind, const std::string& name = {}) {
  return in_txn(
      b, [&](Transaction& txn) { return Ref(map_set(txn, b, key, type_content(kind, name))->type()); });
}

std::optional<Value> list_get(Branch* b, uint64_t index) {
  if (index >= b->length) return std::nullopt;
  auto [item, offset] = b->find_position(index);
  return item_value(*item, offset);
}

}  // namespace

TypeRef Value::type_kind() const { return type()->effective_kind(); }
TextRef Value::as_text() const { return TextRef(is_type() ? type() : nullptr); }
ArrayRef Value::as_array() const { return ArrayRef(is_type() ? type() : nullptr); }
MapRef Value::as_map() const { return MapRef(is_type() ? type() : nullptr); }
XmlElementRef Value::as_xml_element() const { return XmlElementRef(is_type() ? type() : nullptr); }
XmlTextRef Value::as_xml_text() const { return XmlTextRef(is_type() ? type() : nullptr); }

Doc& TypeRefBase::doc() const { return *branch_->doc; }
Any TypeRefBase::to_json() const { return type_to_json(*branch_); }

uint64_t TypeRefBase::observe(Observer fn) const {
  uint64_t id = branch_->doc->next_subscription_id();
  branch_->observers.add(id, std::move(fn));
  branch_->doc->store().mark_types_observed();
  return id;
}
uint64_t TypeRefBase::observe_deep(DeepObserver fn) const {
  uint64_t id = branch_->doc->next_subscription_id();
  branch_->deep_observers.add(id, std::move(fn));
  branch_->doc->store().mark_types_observed();
  return id;
}
void TypeRefBase::unobserve(uint64_t id) const {
  if (!branch_->observers.remove(id)) branch_->deep_observers.remove(id);
}

// Text

uint64_t TextRef::length() const { return branch_->length; }
std::u16string TextRef::to_u16string() const { return text_to_u16string(*branch_); }
std::string TextRef::to_string() const { return text_to_utf8(*branch_); }
Delta TextRef::to_delta() const { return text_to_delta(*branch_); }

Status TextRef::insert(uint64_t index, std::u16string_view text,
                       const std::optional<Attributes>& attrs) const {
  if (text.empty()) return Status::ok();
  return in_txn(branch_,
                [&](Transaction& txn) { return text_insert_string(txn, branch_, index, text, attrs); });
}
Status TextRef::insert(uint64_t index, std::string_view utf8, const std::optional<Attributes>& attrs) const {
  auto u16 = utf8_to_utf16(utf8);
  if (!u16) return Status(ErrorCode::kInvalidArgument, "text is not valid UTF-8");
  return insert(index, std::u16string_view(*u16), attrs);
}
Status TextRef::insert_embed(uint64_t index, const Any& embed, const std::optional<Attributes>& attrs) const {
  return in_txn(branch_, [&](Transaction& txn) {
    return text_insert(txn, branch_, index, ContentEmbed{embed}, attrs);
  });
}
Status TextRef::remove_range(uint64_t index, uint64_t length) const {
  return in_txn(branch_, [&](Transaction& txn) { return text_delete(txn, branch_, index, length); });
}
Status TextRef::format(uint64_t index, uint64_t length, const Attributes& attrs) const {
  return in_txn(branch_, [&](Transaction& txn) { return text_format(txn, branch_, index, length, attrs); });
}

// Array

uint64_t ArrayRef::length() const { return branch_->length; }
Status ArrayRef::insert(uint64_t index, const std::vector<Any>& values) const {
  return in_txn(branch_, [&](Transaction& txn) {
    return list_insert(txn, branch_, index, contents_from_values(values));
  });
}
Result<TextRef> ArrayRef::insert_text(uint64_t index) const {
  return insert_type<TextRef>(branch_, index, TypeRef::kText);
}
Result<ArrayRef> ArrayRef::insert_array(uint64_t index) const {
  return insert_type<ArrayRef>(branch_, index, TypeRef::kArray);
}
Result<MapRef> ArrayRef::insert_map(uint64_t index) const {
  return insert_type<MapRef>(branch_, index, TypeRef::kMap);
}
Result<XmlElementRef> ArrayRef::insert_xml_element(uint64_t index, const std::string& node_name) const {
  return insert_type<XmlElementRef>(branch_, index, TypeRef::kXmlElement, node_name);
}
Result<XmlTextRef> ArrayRef::insert_xml_text(uint64_t index) const {
  return insert_type<XmlTextRef>(branch_, index, TypeRef::kXmlText);
}
Status ArrayRef::insert_doc(uint64_t index, const std::string& guid, const Any& opts) const {
  return in_txn(branch_, [&](Transaction& txn) {
    std::vector<Content> contents;
    contents.push_back(ContentDoc{guid, opts});
    return list_insert(txn, branch_, index, std::move(contents));
  });
}
Status ArrayRef::remove_range(uint64_t index, uint64_t length) const {
  return in_txn(branch_, [&](Transaction& txn) { return list_delete(txn, branch_, index, length); });
}
std::optional<Value> ArrayRef::get(uint64_t index) const { return list_get(branch_, index); }
std::vector<Value> ArrayRef::values() const {
  std::vector<Value> out;
  out.reserve(branch_->length);  // the visible elements
  for (const Item* n = branch_->start; n != nullptr; n = n->right) {
    if (!n->visible()) continue;
    if (const auto* any = content_if<ContentAny>(&n->content)) {  // most array content: no visit per value
      for (const Any& v : any->values) out.push_back(Value{v});
      continue;
    }
    for (uint64_t i = 0; i < n->length; i++) out.push_back(item_value(*n, i));
  }
  return out;
}

// Map

void MapRef::set(const std::string& key, const Any& value) const {
  in_txn(branch_, [&](Transaction& txn) {
    if (value.is_bytes()) {
      map_set(txn, branch_, key, ContentBinary{value.as_bytes()});
    } else {
      map_set(txn, branch_, key, ContentAny{{value}});
    }
  });
}
TextRef MapRef::set_text(const std::string& key) const {
  return set_type<TextRef>(branch_, key, TypeRef::kText);
}
ArrayRef MapRef::set_array(const std::string& key) const {
  return set_type<ArrayRef>(branch_, key, TypeRef::kArray);
}
MapRef MapRef::set_map(const std::string& key) const { return set_type<MapRef>(branch_, key, TypeRef::kMap); }
XmlElementRef MapRef::set_xml_element(const std::string& key, const std::string& node_name) const {
  return set_type<XmlElementRef>(branch_, key, TypeRef::kXmlElement, node_name);
}
void MapRef::set_doc(const std::string& key, const std::string& guid, const Any& opts) const {
  in_txn(branch_, [&](Transaction& txn) { map_set(txn, branch_, key, ContentDoc{guid, opts}); });
}
void MapRef::remove(const std::string& key) const {
  in_txn(branch_, [&](Transaction& txn) { map_delete(txn, branch_, key); });
}
std::optional<Value> MapRef::get(const std::string& key) const {
  Item* item = branch_->map_item(key);
  if (item == nullptr) return std::nullopt;
  return item_value(*item, item->length - 1);
}
bool MapRef::contains(const std::string& key) const { return branch_->map_item(key) != nullptr; }
std::vector<std::string> MapRef::keys() const {
  std::vector<std::string> out;
  for (const auto& [key, item] : branch_->map) {
    if (!item->deleted) out.push_back(key);
  }
  std::sort(out.begin(), out.end());
  return out;
}
// Counts live entries in place: O(entries), no allocation. (It used to sort a
// copy of every key, which made a loop over size() quadratic and more.)
uint64_t MapRef::size() const {
  uint64_t n = 0;
  for (const auto& entry : branch_->map) n += entry.second->deleted ? 0 : 1;
  return n;
}

// XML

uint64_t XmlFragmentRef::length() const { return branch_->length; }
Result<XmlElementRef> XmlFragmentRef::insert_element(uint64_t index, const std::string& node_name) const {
  return insert_type<XmlElementRef>(branch_, index, TypeRef::kXmlElement, node_name);
}
Result<XmlTextRef> XmlFragmentRef::insert_text(uint64_t index) const {
  return insert_type<XmlTextRef>(branch_, index, TypeRef::kXmlText);
}
Status XmlFragmentRef::remove_range(uint64_t index, uint64_t length) const {
  return in_txn(branch_, [&](Transaction& txn) { return list_delete(txn, branch_, index, length); });
}
std::optional<Value> XmlFragmentRef::get(uint64_t index) const { return list_get(branch_, index); }
std::string XmlFragmentRef::to_string() const { return xml_to_string(*branch_); }

const std::string& XmlElementRef::node_name() const { return branch_->name; }
void XmlElementRef::set_attribute(const std::string& name, const Any& value) const {
  in_txn(branch_, [&](Transaction& txn) { map_set(txn, branch_, name, ContentAny{{value}}); });
}
void XmlElementRef::remove_attribute(const std::string& name) const {
  in_txn(branch_, [&](Transaction& txn) { map_delete(txn, branch_, name); });
}
std::optional<Any> XmlElementRef::get_attribute(const std::string& name) const {
  Item* item = branch_->map_item(name);
  if (item == nullptr) return std::nullopt;
  Value v = item_value(*item, item->length - 1);
  return v.is_any() ? std::optional<Any>(v.any()) : std::nullopt;
}

std::string XmlTextRef::to_xml_string() const { return xml_to_string(*branch_); }

}  // namespace weft
