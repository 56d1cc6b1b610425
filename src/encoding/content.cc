#include "encoding/content.h"

#include <algorithm>
#include <type_traits>

#include "encoding/utf.h"

namespace weft {

ContentRef content_ref(const Content& c) { return static_cast<ContentRef>(c.index() + 1); }

uint64_t content_length(const Content& c) {
  return content_visit(
      [](const auto& x) -> uint64_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ContentDeleted>) {
          return x.len;
        } else if constexpr (std::is_same_v<T, ContentString>) {
          return x.text.size();
        } else if constexpr (std::is_same_v<T, ContentAny> || std::is_same_v<T, ContentJson>) {
          return x.values.size();
        } else {
          return 1;
        }
      },
      c);
}

bool content_countable(const Content& c) {
  return !std::holds_alternative<ContentDeleted>(c) && !content_is<ContentFormat>(c);
}

namespace {

template <typename T>
T split_values(T& left, uint64_t offset) {
  T right;
  auto off = static_cast<std::ptrdiff_t>(std::min<uint64_t>(offset, left.values.size()));
  right.values.assign(left.values.begin() + off, left.values.end());
  left.values.erase(left.values.begin() + off, left.values.end());
  return right;
}

}  // namespace

Content content_split(Content& c, uint64_t offset) {
  if (auto* s = std::get_if<ContentString>(&c)) {
    size_t off = static_cast<size_t>(std::min<uint64_t>(offset, s->text.size()));
    ContentString right{s->text.substr(off)};
    // The left part keeps its buffer: once it holds much less than that, it
    // is copied into one of its size (a paste split by later edits would
    // otherwise keep the whole paste's buffer alive).
    s->text.truncate(off);
    // ContentString.splice: never leave half a surrogate pair on either side.
    if (off > 0 && is_high_surrogate(s->text[off - 1])) {
      s->text[off - 1] = u'\uFFFD';
      if (right.text.empty()) {
        right.text.assign(1, u'\uFFFD');
      } else {
        right.text[0] = u'\uFFFD';
      }
    }
    return right;
  }
  if (auto* a = std::get_if<ContentAny>(&c)) return split_values(*a, offset);
  if (auto* j = content_if<ContentJson>(&c)) return split_values(*j, offset);
  if (auto* d = std::get_if<ContentDeleted>(&c)) {
    uint64_t off = std::min(offset, d->len);
    ContentDeleted right{d->len - off};
    d->len = off;
    return right;
  }
  // Not splittable (length 1); callers never split these.
  return c;
}

bool content_merge(Content& left, Content&& right) {
  if (left.index() != right.index()) return false;
  if (auto* s = std::get_if<ContentString>(&left)) {
    s->text += std::get<ContentString>(right).text;
    return true;
  }
  if (auto* a = std::get_if<ContentAny>(&left)) {
    auto& r = std::get<ContentAny>(right).values;
    a->values.insert(a->values.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
    return true;
  }
  if (auto* j = content_if<ContentJson>(&left)) {
    auto& r = content_if<ContentJson>(&right)->values;
    j->values.insert(j->values.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
    return true;
  }
  if (auto* d = std::get_if<ContentDeleted>(&left)) {
    d->len += std::get<ContentDeleted>(right).len;
    return true;
  }
  return false;
}

Content content_slice(const Content& c, uint64_t offset) {
  if (offset == 0) return c;
  if (auto* s = std::get_if<ContentString>(&c)) {
    size_t off = static_cast<size_t>(std::min<uint64_t>(offset, s->text.size()));
    return ContentString{s->text.substr(off)};
  }
  if (auto* a = std::get_if<ContentAny>(&c)) {
    auto off = static_cast<std::ptrdiff_t>(std::min<uint64_t>(offset, a->values.size()));
    return ContentAny{CompactVector<Any>(a->values.begin() + off, a->values.end())};
  }
  if (auto* j = content_if<ContentJson>(&c)) {
    auto off = static_cast<std::ptrdiff_t>(std::min<uint64_t>(offset, j->values.size()));
    return ContentJson{std::vector<Any>(j->values.begin() + off, j->values.end())};
  }
  if (auto* d = std::get_if<ContentDeleted>(&c)) return ContentDeleted{d->len - std::min(offset, d->len)};
  return c;
}

}  // namespace weft
