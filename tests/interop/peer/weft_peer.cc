// weft-peer: a Weft document driven over a line protocol, for the Weft -> Yjs
// interop suite (tests/interop/weft_to_yjs.test.mjs, README.md there).
//
//   weft-peer --client ID --seed S
//   apply <hex>   apply a v1 update; answers `update <hex>` for each local
//                 transaction it caused (formatting cleanup), then `ok`
//   ops <n>       n seeded random local transactions; `update <hex>` each, then `ok`
//   state | sv | json   `state <hex>`, `sv <hex>`, `json <canonical json>`, then `ok`
//   edit <json>   one edit (or a batch in one transaction) as local_edits.test.mjs
//                 and observers.test.mjs make them
//   observe       the text "t"'s event deltas printed (`event <delta>`)
//   watch         every type observed, shallow and deep (class Watcher)
// Errors answer `error <message>`.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/branch.h"
#include "core/load_paths.h"
#include "core/tombstone_runs.h"
#include "encoding/json.h"
#include "encoding/utf.h"
#include "weft/doc.h"
#include "weft/update.h"

namespace {

std::string to_hex(const std::vector<uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

bool from_hex(const std::string& s, std::vector<uint8_t>& out) {
  if (s.size() % 2) return false;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = nib(s[i]), lo = nib(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return true;
}

// Random edits over the four roots; text pieces mix ASCII, CJK and emoji
// (inserted whole: indices never fall inside a surrogate pair).
class RandomEditor {
 public:
  RandomEditor(weft::Doc& doc, uint64_t seed) : doc_(doc), rng_(seed) {}

  void transaction() {
    int n = 1 + pick(3);
    doc_.transact([&](weft::Transaction&) {
      for (int i = 0; i < n; i++) one_op();
    });
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }

  std::u16string piece() {
    static const char16_t* pieces[] = {u"a",        u"hello",      u"xyz ", u"世界",
                                       u"漢字かな", u"\U0001F600", u"é",    u"\U0001F44D\U0001F3FD",
                                       u"\n",       u"Ünï"};
    return pieces[pick(10)];
  }

  // A UTF-16 index that does not split a surrogate pair.
  uint64_t safe_index(const std::u16string& s) {
    uint64_t i = s.empty() ? 0 : static_cast<uint64_t>(pick(static_cast<int>(s.size()) + 1));
    while (i > 0 && i < s.size() && (s[i] >= 0xDC00 && s[i] <= 0xDFFF)) i--;
    return i;
  }

  // The text as index space: embeds occupy one unit (U+FFFC) like in Yjs.
  static std::u16string index_space(const weft::TextRef& t) {
    std::u16string s;
    for (const weft::DeltaOp& op : t.to_delta())
      s += op.values.empty() ? op.text : std::u16string(1, u'\uFFFC');
    return s;
  }

  void text_op(weft::TextRef t) {
    std::u16string s = index_space(t);
    int op = pick(10);
    if (op < 5 || s.empty()) {
      std::optional<weft::Attributes> attrs;
      if (pick(4) == 0) attrs = weft::Attributes{{"bold", weft::Any(true)}};
      (void)t.insert(safe_index(s), std::u16string_view(piece()), attrs);
    } else if (op < 8) {
      uint64_t a = safe_index(s), b = safe_index(s);
      if (a > b) std::swap(a, b);
      (void)t.remove_range(a, b - a);
    } else if (op < 9) {
      uint64_t a = safe_index(s), b = safe_index(s);
      if (a > b) std::swap(a, b);
      weft::Any value = pick(3) == 0 ? weft::Any::null() : weft::Any(pick(2) == 0);
      (void)t.format(a, b - a, {{pick(2) ? "bold" : "italic", value}});
    } else {
      (void)t.insert_embed(safe_index(s), weft::Any::object({{"image", weft::Any("x.png")}}));
    }
  }

  weft::Any value() {
    switch (pick(6)) {
      case 0:
        return weft::Any(pick(1000));
      case 1:
        return weft::Any("s" + std::to_string(pick(100)) + "😀");
      case 2:
        return weft::Any(pick(2) == 0);
      case 3:
        return weft::Any::null();
      case 4:
        return weft::Any(weft::AnyArray{weft::Any(1.5), weft::Any("x")});
      default:
        return weft::Any::object({{"k", weft::Any(pick(10))}, {"1", weft::Any("one")}});
    }
  }

  void array_op(weft::ArrayRef a) {
    uint64_t len = a.length();
    int op = pick(10);
    uint64_t at = static_cast<uint64_t>(pick(static_cast<int>(len) + 1));
    if (op < 4 || len == 0) {
      (void)a.insert(at, {value(), value()});
    } else if (op < 5) {
      (void)a.insert(at, {weft::Any(weft::Bytes{1, 2, 3})});
    } else if (op < 6) {
      auto m = a.insert_map(at);
      if (m) m->set("inner", value());
    } else if (op < 7) {
      auto t = a.insert_text(at);
      if (t) (void)t->insert(0, std::u16string_view(piece()));
    } else {
      uint64_t from = static_cast<uint64_t>(pick(static_cast<int>(len)));
      uint64_t n = std::min<uint64_t>(len - from, 1 + static_cast<uint64_t>(pick(3)));
      (void)a.remove_range(from, n);
    }
  }

  void map_op(weft::MapRef m) {
    std::string key = "k" + std::to_string(pick(5));
    int op = pick(10);
    if (op < 5) {
      m.set(key, value());
    } else if (op < 6) {
      m.set_map(key).set("nested", value());
    } else if (op < 7) {
      (void)m.set_text(key).insert(0, std::u16string_view(piece()));
    } else if (op < 8) {
      (void)m.set_array(key).insert(0, {value()});
    } else {
      m.remove(key);
    }
  }

  void xml_op(weft::XmlFragmentRef x) {
    uint64_t len = x.length();
    int op = pick(6);
    uint64_t at = static_cast<uint64_t>(pick(static_cast<int>(len) + 1));
    if (op < 2 || len == 0) {
      auto el = x.insert_element(at, pick(2) ? "p" : "div");
      if (el) {
        el->set_attribute("class", weft::Any("c" + std::to_string(pick(3))));
        auto t = el->insert_text(0);
        if (t) (void)t->insert(0, std::u16string_view(piece()));
      }
    } else if (op < 3) {
      auto t = x.insert_text(at);
      if (t) (void)t->insert(0, std::u16string_view(piece()), weft::Attributes{{"b", weft::Any::object({})}});
    } else if (op < 5) {
      auto v = x.get(static_cast<uint64_t>(pick(static_cast<int>(len))));
      if (v && v->is_type() && v->type_kind() == weft::TypeRef::kXmlText) text_op(v->as_text());
      if (v && v->is_type() && v->type_kind() == weft::TypeRef::kXmlElement) {
        v->as_xml_element().set_attribute("data", weft::Any(pick(100)));
      }
    } else {
      (void)x.remove_range(static_cast<uint64_t>(pick(static_cast<int>(len))), 1);
    }
  }

  void one_op() {
    switch (pick(4)) {
      case 0:
        return text_op(doc_.get_text("t"));
      case 1:
        return array_op(doc_.get_array("a"));
      case 2:
        return map_op(doc_.get_map("m"));
      default:
        return xml_op(doc_.get_xml_fragment("x"));
    }
  }

  weft::Doc& doc_;
  std::mt19937_64 rng_;
};

// `edit <json>`: one local edit, the same one a yjs peer makes (edits.test.mjs).
weft::Status apply_edit(weft::Doc& doc, const weft::Any& e) {
  auto str = [&](const char* k) {
    const weft::Any* v = e.get(k);
    return v && v->is_string() ? v->as_string() : std::string();
  };
  auto num = [&](const char* k) {
    const weft::Any* v = e.get(k);
    return v && v->is_number() ? static_cast<uint64_t>(v->as_number()) : uint64_t{0};
  };
  auto attrs = [&]() -> std::optional<weft::Attributes> {
    const weft::Any* a = e.get("a");
    if (a == nullptr || !a->is_object()) return std::nullopt;
    return weft::Attributes(a->as_object().begin(), a->as_object().end());
  };
  std::string op = str("op");
  if (op == "batch") {  // several edits in one transaction
    weft::Status status = weft::Status::ok();
    doc.transact([&](weft::Transaction&) {
      for (const weft::Any& one : e.get("edits")->as_array()) {
        if (status) status = apply_edit(doc, one);
      }
    });
    return status;
  }
  weft::TextRef t = doc.get_text("t");
  weft::ArrayRef a = doc.get_array("a");
  weft::MapRef m = doc.get_map("m");
  if (op == "ti") return t.insert(num("i"), std::string_view(str("s")), attrs());
  if (op == "te") return t.insert_embed(num("i"), *e.get("v"), attrs());
  if (op == "td") return t.remove_range(num("i"), num("n"));
  if (op == "tf") return t.format(num("i"), num("n"), attrs().value_or(weft::Attributes{}));
  if (op == "ai") return a.insert(num("i"), e.get("v")->as_array());
  if (op == "ad") return a.remove_range(num("i"), num("n"));
  if (op == "am") return a.insert_map(num("i")).status();
  if (op == "ms") return m.set(str("k"), *e.get("v")), weft::Status::ok();
  if (op == "mm") return m.set_map(str("k")), weft::Status::ok();
  if (op == "md") return m.remove(str("k")), weft::Status::ok();
  weft::XmlFragmentRef x = doc.get_xml_fragment("x");
  if (op == "xd") return x.remove_range(num("i"), num("n"));
  if (op == "at") {
    auto nt = a.insert_text(num("i"));
    return nt ? nt->insert(0, std::string_view(str("s"))) : nt.status();
  }
  if (op == "mt") return m.set_text(str("k")).insert(0, std::string_view(str("s")));
  // Edits of nested types (observers.test.mjs): a map or text at a key of
  // `m` or an index of `a`, the text of an element of `x`.
  auto nested = [&]() -> std::optional<weft::Value> {
    return e.get("mk") ? m.get(str("mk")) : e.get("ai") ? a.get(num("ai")) : x.get(num("xi"));
  };
  if (op == "ns" || op == "nt" || op == "nx" || op == "na") {
    std::optional<weft::Value> v = nested();
    if (!v || !v->is_type()) return weft::Status(weft::ErrorCode::kInvalidArgument, "no nested type");
    if (op == "ns") return v->as_map().set(str("j"), *e.get("v")), weft::Status::ok();
    if (op == "nt") return v->as_text().insert(num("i"), std::string_view(str("s")));
    if (op == "na") return v->as_xml_element().set_attribute("data", *e.get("v")), weft::Status::ok();
    std::optional<weft::Value> text = v->as_xml_element().get(0);
    if (!text || !text->is_type()) return weft::Status(weft::ErrorCode::kInvalidArgument, "no xml text");
    return text->as_xml_text().insert(num("i"), std::string_view(str("s")));
  }
  if (op == "xe") {
    auto el = x.insert_element(num("i"), "p");
    if (!el) return el.status();
    el->set_attribute("class", weft::Any("c"));
    auto tx = el->insert_text(0);
    if (!tx) return tx.status();
    return tx->insert(0, std::string_view(str("s")), weft::Attributes{{"b", weft::Any::object({})}});
  }
  return weft::Status(weft::ErrorCode::kInvalidArgument, "unknown edit " + op);
}

weft::Any value_json(const weft::Value& v) { return v.is_any() ? v.any() : weft::Any("<type>"); }

// An event's delta as JSON, in the shape of Yjs's YTextEvent.delta (text) or
// YEvent.changes.delta (`list`: inserts are arrays); types print as "<type>".
weft::Any delta_any(const weft::Delta& delta, bool list = false) {
  weft::AnyArray ops;
  for (const weft::DeltaOp& op : delta) {
    weft::AnyObject o;
    switch (op.kind) {
      case weft::DeltaOp::Kind::kInsert:
        if (list) {
          weft::AnyArray values;
          for (const weft::Value& v : op.values) values.push_back(value_json(v));
          o.emplace_back("insert", weft::Any(std::move(values)));
        } else if (!op.values.empty()) {
          o.emplace_back("insert", value_json(op.values[0]));
        } else {
          o.emplace_back("insert", weft::Any(weft::utf16_to_wtf8(op.text)));
        }
        break;
      case weft::DeltaOp::Kind::kRetain:
        o.emplace_back("retain", weft::Any(static_cast<double>(op.count)));
        break;
      case weft::DeltaOp::Kind::kDelete:
        o.emplace_back("delete", weft::Any(static_cast<double>(op.count)));
        break;
    }
    if (op.has_attributes) {
      o.emplace_back("attributes", weft::Any::object(op.attributes));
    }
    ops.push_back(weft::Any::object(std::move(o)));
  }
  return weft::Any(std::move(ops));
}

std::string delta_json(const weft::Delta& delta) { return weft::json_stringify(delta_any(delta)); }

// `watch`: every type of the document observed, shallow and deep. Types are
// numbered in the order a walk finds them (roots m, a, t, x; map keys
// sorted, list children in order), after each command; observers.test.mjs
// numbers the yjs document's the same way. Each call prints a line,
// `obs <n> <event>` or `deep <n> [<event>...]`, an event being
// {"t": target's number, "p": path, "k": [[key, action(, old value)]...] by
// key, "d": delta}.
class Watcher {
 public:
  Watcher(weft::Doc& doc, std::vector<std::string>& out) : doc_(doc), out_(out) {}

  void scan() {
    visit(doc_.get_map("m").branch(), weft::TypeRef::kMap);
    visit(doc_.get_array("a").branch(), weft::TypeRef::kArray);
    visit(doc_.get_text("t").branch(), weft::TypeRef::kText);
    visit(doc_.get_xml_fragment("x").branch(), weft::TypeRef::kXmlFragment);
  }

 private:
  struct Seen {
    int label;
    weft::TypeRef kind;
  };

  // A type by the id of its item (a freed type's Branch address may be reused).
  static std::string key(const weft::Branch* b) {
    if (b->item == nullptr) return b->name;
    return std::to_string(b->item->id.client) + ":" + std::to_string(b->item->id.clock);
  }

  void visit(weft::Branch* b, weft::TypeRef kind) {
    if (seen_.try_emplace(key(b), Seen{static_cast<int>(seen_.size()), kind}).second) {
      const int label = seen_.at(key(b)).label;
      weft::TypeRefBase ref(b);
      ref.observe([this, label](const weft::Event& e, weft::Transaction&) {
        out_.push_back("obs " + std::to_string(label) + " " + weft::json_stringify(event_json(e)));
      });
      ref.observe_deep([this, label](const std::vector<const weft::Event*>& events, weft::Transaction&) {
        weft::AnyArray all;
        for (const weft::Event* e : events) all.push_back(event_json(*e));
        out_.push_back("deep " + std::to_string(label) + " " +
                       weft::json_stringify(weft::Any(std::move(all))));
      });
    }
    auto child = [&](const std::optional<weft::Value>& v) {
      if (v && v->is_type()) visit(v->type(), v->type_kind());
    };
    switch (kind) {
      case weft::TypeRef::kMap: {
        weft::MapRef m(b);
        for (const std::string& k : m.keys()) child(m.get(k));
        break;
      }
      case weft::TypeRef::kArray:
        for (const weft::Value& v : weft::ArrayRef(b).values()) child(v);
        break;
      case weft::TypeRef::kXmlFragment:
      case weft::TypeRef::kXmlElement: {
        weft::XmlFragmentRef x(b);
        for (uint64_t i = 0; i < x.length(); i++) child(x.get(i));
        break;
      }
      default:
        break;
    }
  }

  weft::Any event_json(const weft::Event& e) const {
    auto found = seen_.find(key(e.target));
    weft::AnyArray path;
    for (const auto& p : e.path) {
      path.push_back(p.index() == 0 ? weft::Any(std::get<0>(p))
                                    : weft::Any(static_cast<double>(std::get<1>(p))));
    }
    weft::AnyArray keys;
    for (const auto& [k, c] : e.keys) {  // in first-change order, as yjs
      static const char* kActions[] = {"add", "update", "delete"};
      weft::AnyArray entry{weft::Any(k), weft::Any(kActions[static_cast<int>(c.action)])};
      if (c.old_value) entry.push_back(value_json(*c.old_value));
      keys.push_back(weft::Any(std::move(entry)));
    }
    const bool text = found != seen_.end() && (found->second.kind == weft::TypeRef::kText ||
                                               found->second.kind == weft::TypeRef::kXmlText);
    return weft::Any::object({{"t", found == seen_.end() ? weft::Any(-1.0) : weft::Any(found->second.label)},
                              {"p", weft::Any(std::move(path))},
                              {"k", weft::Any(std::move(keys))},
                              {"d", delta_any(e.delta, !text)}});
  }

  weft::Doc& doc_;
  std::vector<std::string>& out_;
  std::map<std::string, Seen> seen_;
};

}  // namespace

int main(int argc, char** argv) {
  // Test hook (tombstone_runs.h): every transaction ends with its tombstones frozen.
  if (const char* v = std::getenv("WEFT_TEST_FREEZE_RUNS"); v != nullptr && std::string(v) == "1") {
    weft::freeze_runs_after_transactions = true;
    weft::load_in_parts_from_bytes = 256;  // and small states into empty docs load in parts
    weft::load_part_bytes = 64;
  }
  uint64_t client = 1, seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--client") client = std::stoull(argv[i + 1]);
    if (flag == "--seed") seed = std::stoull(argv[i + 1]);
  }
  weft::Doc doc(client);
  doc.get_map("m");
  doc.get_array("a");
  doc.get_text("t");
  doc.get_xml_fragment("x");
  RandomEditor editor(doc, seed);
  std::vector<std::vector<uint8_t>> emitted;
  doc.on_update([&](const weft::UpdateBytes& u, const weft::Transaction&) { emitted.push_back(u); });
  const std::map<std::string, weft::TypeRef> types = {{"m", weft::TypeRef::kMap},
                                                      {"a", weft::TypeRef::kArray},
                                                      {"t", weft::TypeRef::kText},
                                                      {"x", weft::TypeRef::kXmlFragment}};
  auto flush = [&] {
    for (const auto& u : emitted) std::cout << "update " << to_hex(u) << "\n";
    emitted.clear();
  };
  std::vector<std::string> events;  // whole lines
  std::unique_ptr<Watcher> watcher;
  auto flush_events = [&] {
    if (watcher) watcher->scan();  // types the command made are watched from now on
    for (const auto& e : events) std::cout << e << "\n";
    events.clear();
  };
  std::string line;
  while (std::getline(std::cin, line)) {
    std::string cmd = line.substr(0, line.find(' '));
    std::string arg = line.size() > cmd.size() ? line.substr(cmd.size() + 1) : "";
    if (cmd == "apply") {
      std::vector<uint8_t> bytes;
      if (!from_hex(arg, bytes)) {
        std::cout << "error bad hex" << std::endl;
        continue;
      }
      emitted.clear();
      weft::Status s = doc.apply_update(bytes, weft::UpdateFormat::kV1, "remote");
      if (!s) {
        std::cout << "error " << s.to_string() << std::endl;
        continue;
      }
      // The remote update itself is not echoed, only what this peer did in response.
      std::vector<std::vector<uint8_t>> local;
      for (size_t i = 1; i < emitted.size(); i++) local.push_back(emitted[i]);
      emitted = local;
      flush();
    } else if (cmd == "ops") {
      emitted.clear();
      int n = std::stoi(arg.empty() ? "1" : arg);
      for (int i = 0; i < n; i++) editor.transaction();
      flush();
    } else if (cmd == "edit") {
      emitted.clear();
      auto e = weft::json_parse(arg);
      weft::Status s = e ? apply_edit(doc, *e) : e.status();
      if (!s) {
        std::cout << "error " << s.to_string() << std::endl;
        continue;
      }
      flush();
    } else if (cmd == "observe") {
      // From now on every transaction that changes text "t" prints its delta.
      doc.get_text("t").observe([&](const weft::Event& ev, weft::Transaction&) {
        events.push_back("event " + delta_json(ev.delta));
      });
    } else if (cmd == "watch") {
      if (!watcher) watcher = std::make_unique<Watcher>(doc, events);
    } else if (cmd == "state") {
      std::cout << "state " << to_hex(*doc.encode_state_as_update()) << "\n";
    } else if (cmd == "sv") {
      std::cout << "sv " << to_hex(doc.encode_state_vector()) << "\n";
    } else if (cmd == "json") {
      std::cout << "json " << doc.to_canonical_json(types) << "\n";
    } else {
      std::cout << "error unknown command " << cmd << std::endl;
      continue;
    }
    flush_events();
    std::cout << "ok" << std::endl;
  }
  return 0;
}
