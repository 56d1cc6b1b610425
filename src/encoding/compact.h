// Containers of 16 bytes for the content of items: every item holds one
// Content, and its size is the size of its largest common kind. A
// std::u16string takes 32 bytes and a std::vector 24; these keep a pointer
// and 32-bit size and capacity, so Content takes 24 bytes (16 + the variant's
// index) and a tombstone's item 16 bytes less.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

// Memory that many texts' units share: a decoder filling many texts at once
// (a loaded state's strings) takes them from slabs (TextSlabWriter) instead
// of one allocation each, without the allocator's header per text. A slab is
// kBytes long and aligned to kBytes, so a text finds its slab from its units'
// address, and is freed with the last of its texts (see TextSlabWriter for
// the count). Such a text is otherwise an ordinary one, its units only its.
struct TextSlab {
  static constexpr size_t kBytes = 8192;
  std::atomic<uint64_t> refs;

  static TextSlab* of(const char16_t* units) {
    return reinterpret_cast<TextSlab*>(reinterpret_cast<uintptr_t>(units) & ~uintptr_t{kBytes - 1});
  }
  // Takes `n` off the count (a text let go of the slab: 1); frees the slab at 0.
  [[gnu::noinline]] static void release(TextSlab* slab, uint64_t n = 1) {
    if (slab->refs.fetch_sub(n, std::memory_order_acq_rel) == n) {
      slab->~TextSlab();
      ::operator delete (static_cast<void*>(slab), std::align_val_t{kBytes});
    }
  }
};

// A UTF-16 string (may hold lone surrogates) read like std::u16string for the
// operations items use. Texts of up to kInline units live inside the object
// (no allocation); longer ones on the heap, grown by doubling on append (the
// typing path appends to its own item). At most 2^31 - 1 units (the top bit
// of the capacity marks units in a TextSlab).
class Utf16Text {
 public:
  static constexpr size_t kInline = 4;
  static constexpr size_t npos = std::u16string_view::npos;
  static constexpr uint64_t kTrimSlack = 16;  // see trim()

  Utf16Text() noexcept { u_.heap = nullptr; }
  Utf16Text(std::u16string_view s) { init(s); }                   // NOLINT: implicit like std::u16string
  Utf16Text(const std::u16string& s) { init(s); }                 // NOLINT
  Utf16Text(const char16_t* s) { init(std::u16string_view(s)); }  // NOLINT
  Utf16Text(const Utf16Text& o) { init(o.view()); }
  Utf16Text(Utf16Text&& o) noexcept : u_(o.u_), size_(o.size_), cap_(o.cap_) {
    o.u_.heap = nullptr;
    o.size_ = 0;
    o.cap_ = 0;
  }
  Utf16Text& operator=(const Utf16Text& o) {
    if (this != &o) {
      Utf16Text copy(o);
      swap(copy);
    }
    return *this;
  }
  Utf16Text& operator=(Utf16Text&& o) noexcept {
    if (this != &o) {
      release();
      u_ = o.u_;
      size_ = o.size_;
      cap_ = o.cap_;
      o.u_.heap = nullptr;
      o.size_ = 0;
      o.cap_ = 0;
    }
    return *this;
  }
  ~Utf16Text() { release(); }

  void swap(Utf16Text& o) noexcept {
    std::swap(u_, o.u_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
  }

  size_t size() const { return size_; }
  size_t length() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return cap_ == 0 ? kInline : cap_ & ~kInSlab; }
  const char16_t* data() const { return cap_ == 0 ? u_.local : u_.heap; }
  char16_t* data() { return cap_ == 0 ? u_.local : u_.heap; }
  const char16_t* begin() const { return data(); }
  const char16_t* end() const { return data() + size_; }
  char16_t& operator[](size_t i) { return data()[i]; }
  char16_t operator[](size_t i) const { return data()[i]; }
  char16_t front() const { return data()[0]; }
  char16_t back() const { return data()[size_ - 1]; }

  std::u16string_view view() const { return {data(), size_}; }
  operator std::u16string_view() const { return view(); }  // NOLINT: implicit like std::u16string
  std::u16string str() const { return std::u16string(view()); }

  Utf16Text substr(size_t pos, size_t n = npos) const { return Utf16Text(view().substr(pos, n)); }

  Utf16Text& append(std::u16string_view s) {
    // Typing appends a unit or two to its item: copied in place without the
    // library calls insert() makes (nothing to move, a few units to copy).
    if (s.size() <= 4 && size_ + s.size() <= capacity() && !overlaps(s)) {
      char16_t* d = data() + size_;
      for (size_t k = 0; k < s.size(); k++) d[k] = s[k];
      size_ += static_cast<uint32_t>(s.size());
      return *this;
    }
    return insert(size_, s);
  }
  Utf16Text& operator+=(std::u16string_view s) { return append(s); }
  Utf16Text& operator+=(char16_t c) { return append(std::u16string_view(&c, 1)); }

  // Inserts s before position pos (<= size()); s may be a view of this text.
  Utf16Text& insert(size_t pos, std::u16string_view s) {
    if (pos > size_) throw std::out_of_range("Utf16Text::insert");
    if (s.empty()) return *this;
    const size_t n = checked(size_ + s.size());
    if (n <= capacity() && !overlaps(s)) {
      char16_t* d = data();
      std::memmove(d + pos + s.size(), d + pos, (size_ - pos) * sizeof(char16_t));
      std::memcpy(d + pos, s.data(), s.size() * sizeof(char16_t));
    } else {
      // A fresh buffer, so that s stays readable while it is copied.
      size_t cap = n <= capacity() ? capacity() : std::min(std::max(n, 2 * capacity()), kMaxUnits);
      auto* buf = allocate(cap);
      const char16_t* d = data();
      std::memcpy(buf, d, pos * sizeof(char16_t));
      std::memcpy(buf + pos, s.data(), s.size() * sizeof(char16_t));
      std::memcpy(buf + pos + s.size(), d + pos, (size_ - pos) * sizeof(char16_t));
      release();
      u_.heap = buf;
      cap_ = static_cast<uint32_t>(cap);
    }
    size_ = static_cast<uint32_t>(n);
    return *this;
  }
  // std::u16string::insert(pos, str, subpos, sublen).
  Utf16Text& insert(size_t pos, std::u16string_view s, size_t subpos, size_t sublen) {
    return insert(pos, s.substr(subpos, sublen));
  }

  // Shrinking keeps the capacity (as std::u16string does); growing fills with u'\0'.
  void resize(size_t n) {
    if (n > size_) {
      reserve(n);
      std::memset(data() + size_, 0, (n - size_) * sizeof(char16_t));
    }
    size_ = static_cast<uint32_t>(n);
  }
  // Sets the size to n and returns the units for the caller to write, all of
  // them: no zero fill, and a text that must grow drops its old units
  // instead of copying them (a decoder filling a fresh text).
  char16_t* resize_for_overwrite(size_t n) {
    if (n > capacity()) {
      n = checked(n);
      auto* buf = allocate(n);
      release();
      u_.heap = buf;
      cap_ = static_cast<uint32_t>(n);
    }
    size_ = static_cast<uint32_t>(n);
    return data();
  }
  void reserve(size_t n) {
    if (n <= capacity()) return;
    n = checked(n);
    auto* buf = allocate(n);
    std::memcpy(buf, data(), size_ * sizeof(char16_t));
    release();
    u_.heap = buf;
    cap_ = static_cast<uint32_t>(n);
  }
  void clear() { size_ = 0; }
  // Keeps the first n <= size() units, then trim(): what a split's left
  // part and a text that lost units to a tombstone do. Inline (resize is a
  // call with its growing path).
  [[gnu::always_inline]] void truncate(size_t n) {
    size_ = static_cast<uint32_t>(n);
    trim();
  }
  // Gives back heap capacity past twice the size plus kTrimSlack units: what
  // a split or a deletion that shrank the text left behind (a paste split by
  // later edits kept the whole paste's buffer). Appends leave at most 2x, so
  // a text that shrinks unit by unit (backspace) and grows again reallocates
  // only when its size halves or doubles; kTrimSlack spares the reallocation
  // where it would give back a few bytes.
  [[gnu::always_inline]] void trim() {
    if ((cap_ & ~kInSlab) > 2 * static_cast<uint64_t>(size_) + kTrimSlack) [[unlikely]]
      shrink_to_fit();
  }
  // Capacity == size (inline when it fits; a text in a slab moves out of
  // it); out of line: trim's callers are hot paths that rarely take it.
  [[gnu::noinline]] void shrink_to_fit() {
    if (cap_ == 0 || capacity() == size_) return;
    char16_t* old = u_.heap;
    const uint32_t old_cap = cap_;
    if (size_ <= kInline) {
      std::memcpy(u_.local, old, size_ * sizeof(char16_t));
      cap_ = 0;
    } else {
      u_.heap = allocate(size_);
      std::memcpy(u_.heap, old, size_ * sizeof(char16_t));
      cap_ = size_;
    }
    free_units(old, old_cap);
  }
  Utf16Text& assign(size_t n, char16_t c) {
    clear();
    resize(n);
    for (size_t i = 0; i < n; i++) data()[i] = c;
    return *this;
  }

  friend bool operator==(const Utf16Text& a, const Utf16Text& b) { return a.view() == b.view(); }
  friend bool operator==(const Utf16Text& a, std::u16string_view b) { return a.view() == b; }
  friend bool operator==(const Utf16Text& a, const std::u16string& b) { return a.view() == b; }
  friend bool operator==(const Utf16Text& a, const char16_t* b) { return a.view() == std::u16string_view(b); }

 private:
  static constexpr size_t kMaxUnits = (size_t{1} << 31) - 1;
  static size_t checked(size_t n) {
    if (n > kMaxUnits) throw std::length_error("Utf16Text: more than 2^31 - 1 units");
    return n;
  }
  static char16_t* allocate(size_t n) { return static_cast<char16_t*>(::operator new(n * sizeof(char16_t))); }
  void init(std::u16string_view s) {
    const size_t n = checked(s.size());
    if (n <= kInline) {
      cap_ = 0;
    } else {
      u_.heap = allocate(n);
      cap_ = static_cast<uint32_t>(n);
    }
    size_ = static_cast<uint32_t>(n);
    if (n > 0) std::memcpy(data(), s.data(), n * sizeof(char16_t));
  }
  // Frees heap units whose capacity field was `cap` (!= 0).
  static void free_units(char16_t* units, uint32_t cap) {
    if (cap & kInSlab) [[unlikely]] {
      TextSlab::release(TextSlab::of(units));
    } else {
      ::operator delete(units);
    }
  }
  void release() {
    if (cap_ != 0) free_units(u_.heap, cap_);
    cap_ = 0;
  }
  bool overlaps(std::u16string_view s) const {
    auto lo = reinterpret_cast<uintptr_t>(data());
    auto p = reinterpret_cast<uintptr_t>(s.data());
    return p >= lo && p < lo + capacity() * sizeof(char16_t);
  }

  union {
    char16_t* heap;
    char16_t local[kInline];
  } u_;
  uint32_t size_ = 0;
  // Heap capacity in units (with kInSlab: in a TextSlab); 0 while the text is in u_.local.
  uint32_t cap_ = 0;
  static constexpr uint32_t kInSlab = uint32_t{1} << 31;

  friend class TextSlabWriter;
};

// Gives texts their units in slabs (one allocation per TextSlab::kBytes
// instead of one per text). Each slab counts its texts so that it is freed
// with the last (texts may be moved anywhere, also to other threads): while
// the writer fills a slab, the count starts at kHold and each text released
// takes one off; when the writer leaves it (reset), it takes off kHold less
// the texts it gave out, so that the count is then the texts still alive.
// No atomic operation per text given out. Not thread-safe itself (one
// decoder).
class TextSlabWriter {
 public:
  // Longest text placed in a slab; longer ones get their own allocation.
  static constexpr size_t kMaxUnits = 1024;

  TextSlabWriter() = default;
  TextSlabWriter(const TextSlabWriter&) = delete;
  TextSlabWriter& operator=(const TextSlabWriter&) = delete;
  ~TextSlabWriter() { reset(); }

  // Utf16Text::resize_for_overwrite, with the units of a text of more than
  // Utf16Text::kInline (up to kMaxUnits) units in a slab.
  char16_t* resize_for_overwrite(Utf16Text& text, size_t n) {
    if (n <= Utf16Text::kInline || n > kMaxUnits) return text.resize_for_overwrite(n);
    if (static_cast<size_t>(end_ - next_) < n) [[unlikely]]
      start_slab();
    char16_t* units = next_;
    next_ += n;
    given_++;
    text.release();
    text.u_.heap = units;
    text.size_ = static_cast<uint32_t>(n);
    text.cap_ = static_cast<uint32_t>(n) | Utf16Text::kInSlab;
    return units;
  }
  // Lets go of the slab being filled (freed at once if no text holds it).
  void reset() {
    if (slab_ == nullptr) return;
    TextSlab::release(slab_, kHold - given_);
    slab_ = nullptr;
    next_ = end_ = nullptr;
    given_ = 0;
  }

 private:
  static constexpr uint64_t kHold = uint64_t{1} << 62;
  static_assert(sizeof(TextSlab) % sizeof(char16_t) == 0 &&
                sizeof(TextSlab) + 2 * kMaxUnits <= TextSlab::kBytes);
  [[gnu::noinline]] void start_slab() {
    reset();
    void* mem = ::operator new (TextSlab::kBytes, std::align_val_t{TextSlab::kBytes});
    slab_ = new (mem) TextSlab{};
    slab_->refs.store(kHold, std::memory_order_relaxed);
    next_ = reinterpret_cast<char16_t*>(static_cast<char*>(mem) + sizeof(TextSlab));
    end_ = reinterpret_cast<char16_t*>(static_cast<char*>(mem) + TextSlab::kBytes);
  }

  TextSlab* slab_ = nullptr;
  char16_t* next_ = nullptr;
  char16_t* end_ = nullptr;
  uint64_t given_ = 0;  // texts placed in slab_
};

// A vector in 16 bytes (pointer, 32-bit size and capacity) with the parts of
// std::vector's interface items use. At most 2^32 - 1 elements.
template <typename T>
class CompactVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  CompactVector() = default;
  CompactVector(std::initializer_list<T> il) : CompactVector(il.begin(), il.end()) {}
  CompactVector(std::vector<T>&& v)  // NOLINT: implicit, so `ContentAny{read_values(...)}` works
      : CompactVector(std::make_move_iterator(v.begin()), std::make_move_iterator(v.end())) {}
  CompactVector(const std::vector<T>& v) : CompactVector(v.begin(), v.end()) {}  // NOLINT
  template <typename It>
  CompactVector(It first, It last) {
    assign(first, last);
  }
  CompactVector(const CompactVector& o) : CompactVector(o.begin(), o.end()) {}
  CompactVector(CompactVector&& o) noexcept : data_(o.data_), size_(o.size_), cap_(o.cap_) {
    o.data_ = nullptr;
    o.size_ = 0;
    o.cap_ = 0;
  }
  CompactVector& operator=(const CompactVector& o) {
    if (this != &o) {
      CompactVector copy(o);
      swap(copy);
    }
    return *this;
  }
  CompactVector& operator=(CompactVector&& o) noexcept {
    if (this != &o) {
      CompactVector moved(std::move(o));
      swap(moved);
    }
    return *this;
  }
  ~CompactVector() {
    clear();
    ::operator delete(data_);
  }

  void swap(CompactVector& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return cap_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& front() { return data_[0]; }
  const T& front() const { return data_[0]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  void reserve(size_t n) {
    if (n > cap_) reallocate(n);
  }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == cap_) {
      // Constructed in the new buffer before the old elements move, so an
      // argument may be one of them.
      const size_t cap = checked(std::max<size_t>(4, 2 * static_cast<size_t>(cap_)));
      T* buf = allocate(cap);
      new (buf + size_) T(std::forward<Args>(args)...);
      move_into(buf);
      data_ = buf;
      cap_ = static_cast<uint32_t>(cap);
    } else {
      new (data_ + size_) T(std::forward<Args>(args)...);
    }
    size_++;
    return back();
  }
  friend bool operator==(const CompactVector& a, const CompactVector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const CompactVector& a, const std::vector<T>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

  void push_back(const T& v) { emplace_back(v); }
  void push_back(T&& v) { emplace_back(std::move(v)); }
  void clear() { erase(begin(), end()); }
  // Removes [first, last).
  void erase(T* first, T* last) {
    T* e = end();
    T* out = std::move(last, e, first);
    for (T* p = out; p != e; p++) p->~T();
    size_ -= static_cast<uint32_t>(last - first);
  }
  template <typename It>
  void assign(It first, It last) {
    clear();
    if constexpr (std::is_base_of_v<std::forward_iterator_tag,
                                    typename std::iterator_traits<It>::iterator_category>) {
      reserve(static_cast<size_t>(std::distance(first, last)));
    }
    for (; first != last; ++first) emplace_back(*first);
  }
  // Inserts [first, last) before pos; the range must not be in this vector.
  template <typename It>
  void insert(T* pos, It first, It last) {
    const size_t at = static_cast<size_t>(pos - data_), old = size_;
    for (; first != last; ++first) emplace_back(*first);
    std::rotate(data_ + at, data_ + old, data_ + size_);
  }

 private:
  static size_t checked(size_t n) {
    if (n > UINT32_MAX) throw std::length_error("CompactVector: more than 2^32 - 1 elements");
    return n;
  }
  static T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  // Moves the elements into buf (capacity >= size_) and frees the old buffer.
  void move_into(T* buf) {
    for (uint32_t i = 0; i < size_; i++) {
      new (buf + i) T(std::move(data_[i]));
      data_[i].~T();
    }
    ::operator delete(data_);
  }
  void reallocate(size_t n) {
    n = checked(n);
    T* buf = allocate(n);
    move_into(buf);
    data_ = buf;
    cap_ = static_cast<uint32_t>(n);
  }

  T* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t cap_ = 0;
};

}  // namespace weft
