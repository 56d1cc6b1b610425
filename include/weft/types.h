// Handles to shared types (Y.Text, Y.Array, Y.Map, Y.XmlFragment,
// Y.XmlElement, Y.XmlText). A handle is a non-owning pointer to the type's
// state inside its Doc: cheap to copy, valid while the Doc lives and the
// type has not been garbage-collected (a type whose parent was deleted is
// collected at the end of that transaction).
//
// Indices and lengths are UTF-16 code units for text, elements for arrays,
// exactly as in Yjs. Out-of-range indices return kInvalidArgument.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "weft/any.h"
#include "weft/status.h"
#include "weft/type_ref.h"

namespace weft {

class Branch;
class Doc;
class Transaction;
struct Event;

class TextRef;
class ArrayRef;
class MapRef;
class XmlFragmentRef;
class XmlElementRef;
class XmlTextRef;

// Text attributes (formatting): name -> value; a null value removes it.
using Attributes = std::vector<std::pair<std::string, Any>>;

// A value read from an array or map: a plain value (Any; bytes for Binary
// content), a shared type, or a subdocument guid.
struct Value {
  struct SubDoc {
    std::string guid;
    Any opts;
  };
  std::variant<Any, Branch*, SubDoc> v;

  bool is_any() const { return v.index() == 0; }
  bool is_type() const { return v.index() == 1; }
  bool is_doc() const { return v.index() == 2; }
  const Any& any() const { return std::get<0>(v); }
  Branch* type() const { return std::get<1>(v); }
  const SubDoc& doc() const { return std::get<2>(v); }
  TypeRef type_kind() const;
  TextRef as_text() const;
  ArrayRef as_array() const;
  MapRef as_map() const;
  XmlElementRef as_xml_element() const;
  XmlTextRef as_xml_text() const;
};

// One entry of a delta (Quill format for text, insert/retain/delete for arrays).
struct DeltaOp {
  enum class Kind { kInsert, kRetain, kDelete } kind = Kind::kInsert;
  std::u16string text;          // text insert (UTF-16)
  std::vector<Value> values;    // array insert, or one embed / type in text
  uint64_t count = 0;           // retain / delete length
  Attributes attributes;        // text only
  bool has_attributes = false;  // distinguishes {} from absent
};
using Delta = std::vector<DeltaOp>;

class TypeRefBase {
 public:
  TypeRefBase() = default;
  explicit TypeRefBase(Branch* branch) : branch_(branch) {}
  Branch* branch() const { return branch_; }
  bool valid() const { return branch_ != nullptr; }
  Doc& doc() const;
  // JSON as Yjs toJSON() gives it (text and XML become strings).
  Any to_json() const;
  // Observe changes of this type (event) or of it and its descendants (deep).
  using Observer = std::function<void(const Event&, Transaction&)>;
  using DeepObserver = std::function<void(const std::vector<const Event*>&, Transaction&)>;
  uint64_t observe(Observer fn) const;
  uint64_t observe_deep(DeepObserver fn) const;
  void unobserve(uint64_t id) const;

 protected:
  Branch* branch_ = nullptr;
};

class TextRef : public TypeRefBase {
 public:
  using TypeRefBase::TypeRefBase;
  uint64_t length() const;        // UTF-16 units
  std::string to_string() const;  // UTF-8
  std::u16string to_u16string() const;
  Status insert(uint64_t index, std::string_view utf8, const std::optional<Attributes>& attrs = {}) const;
  Status insert(uint64_t index, std::u16string_view text, const std::optional<Attributes>& attrs = {}) const;
  Status insert_embed(uint64_t index, const Any& embed, const std::optional<Attributes>& attrs = {}) const;
  Status remove_range(uint64_t index, uint64_t length) const;
  Status format(uint64_t index, uint64_t length, const Attributes& attrs) const;
  Delta to_delta() const;
};

class ArrayRef : public TypeRefBase {
 public:
  using TypeRefBase::TypeRefBase;
  uint64_t length() const;
  // Plain values are packed into one item; bytes become Binary content.
  Status insert(uint64_t index, const std::vector<Any>& values) const;
  Status push(const std::vector<Any>& values) const { return insert(length(), values); }
  Result<TextRef> insert_text(uint64_t index) const;
  Result<ArrayRef> insert_array(uint64_t index) const;
  Result<MapRef> insert_map(uint64_t index) const;
  Result<XmlElementRef> insert_xml_element(uint64_t index, const std::string& node_name) const;
  Result<XmlTextRef> insert_xml_text(uint64_t index) const;
  Status insert_doc(uint64_t index, const std::string& guid, const Any& opts = Any::object({})) const;
  Status remove_range(uint64_t index, uint64_t length) const;
  std::optional<Value> get(uint64_t index) const;
  std::vector<Value> values() const;
};

class MapRef : public TypeRefBase {
 public:
  using TypeRefBase::TypeRefBase;
  void set(const std::string& key, const Any& value) const;
  TextRef set_text(const std::string& key) const;
  ArrayRef set_array(const std::string& key) const;
  MapRef set_map(const std::string& key) const;
  XmlElementRef set_xml_element(const std::string& key, const std::string& node_name) const;
  void set_doc(const std::string& key, const std::string& guid, const Any& opts = Any::object({})) const;
  void remove(const std::string& key) const;
  std::optional<Value> get(const std::string& key) const;
  bool contains(const std::string& key) const;
  std::vector<std::string> keys() const;  // sorted
  uint64_t size() const;
};

class XmlFragmentRef : public TypeRefBase {
 public:
  using TypeRefBase::TypeRefBase;
  uint64_t length() const;
  Result<XmlElementRef> insert_element(uint64_t index, const std::string& node_name) const;
  Result<XmlTextRef> insert_text(uint64_t index) const;
  Status remove_range(uint64_t index, uint64_t length) const;
  std::optional<Value> get(uint64_t index) const;
  std::string to_string() const;  // as Yjs toString()
};

class XmlElementRef : public XmlFragmentRef {
 public:
  using XmlFragmentRef::XmlFragmentRef;
  const std::string& node_name() const;
  void set_attribute(const std::string& name, const Any& value) const;
  void remove_attribute(const std::string& name) const;
  std::optional<Any> get_attribute(const std::string& name) const;
};

class XmlTextRef : public TextRef {
 public:
  using TextRef::TextRef;
  std::string to_xml_string() const;  // formatting rendered as nested tags
};

// What changed in one type during one transaction (YEvent).
struct Event {
  Branch* target = nullptr;
  Branch* current_target = nullptr;
  // Keys (map) and indices (list) from current_target down to target.
  std::vector<std::variant<std::string, uint64_t>> path;
  struct KeyChange {
    enum class Action { kAdd, kUpdate, kDelete } action;
    std::optional<Value> old_value;
  };
  // Map part: each changed key once, in the order the transaction first
  // changed it (as yjs YEvent.keys, a Map over transaction.changed's Set).
  std::vector<std::pair<std::string, KeyChange>> keys;
  Delta delta;  // list part (array or text)

  // The change of `key`, or nullptr when the event does not report it. A
  // scan of `keys`: to look up many keys of a large event, index it once.
  const KeyChange* find_key(std::string_view key) const {
    for (const auto& [k, change] : keys) {
      if (k == key) return &change;
    }
    return nullptr;
  }
};

}  // namespace weft
