#include "core/block_array.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace weft {

namespace {
// find() prefetches from this many chunks (16K blocks, 256 KB of clocks) on.
constexpr size_t kPrefetchFromChunks = 64;
size_t lowbit(size_t k) { return k & (~k + 1); }
}  // namespace

size_t BlockArray::prefix(size_t c) const {
  size_t sum = 0;
  for (size_t k = c; k > 0; k -= lowbit(k)) sum += tree_[k - 1];
  return sum;
}

void BlockArray::tree_add(size_t c, int64_t delta) {
  for (size_t k = c + 1; k <= tree_.size(); k += lowbit(k)) tree_[k - 1] += static_cast<size_t>(delta);
}

void BlockArray::rebuild_tree() {
  const size_t n = chunks_.size();
  tree_.assign(n, 0);
  for (size_t k = 1; k <= n; k++) {
    tree_[k - 1] += chunks_[k - 1].size;
    size_t parent = k + lowbit(k);
    if (parent <= n) tree_[parent - 1] += tree_[k - 1];
  }
  cur_chunk_ = 0;
  cur_start_ = 0;
}

void BlockArray::seek(size_t i) const {
  // The largest chunk count `pos` whose prefix sum is <= i: chunk `pos` holds i.
  size_t pos = 0;
  size_t rem = i;
  size_t step = 1;
  while (step * 2 <= tree_.size()) step *= 2;
  for (; step > 0; step /= 2) {
    if (pos + step <= tree_.size() && tree_[pos + step - 1] <= rem) {
      pos += step;
      rem -= tree_[pos - 1];
    }
  }
  assert(pos < chunks_.size() && rem < chunks_[pos].size);
  cur_chunk_ = pos;
  cur_start_ = i - rem;
}

size_t BlockArray::find(uint64_t clock) const {
  assert(!chunks_.empty());
  // The last chunk starting at or before `clock`: the last chunk itself
  // (origins of blocks being appended are often recent ones), else the
  // search of the chunk bounds.
  const size_t last = chunks_.size() - 1;
  size_t c = last;
  if (clock < chunks_[last].first_clock) {
    c = static_cast<size_t>(std::upper_bound(chunks_.begin(), chunks_.begin() + static_cast<ptrdiff_t>(last),
                                             clock,
                                             [](uint64_t k, const Chunk& ch) { return k < ch.first_clock; }) -
                            chunks_.begin());
    c = c == 0 ? 0 : c - 1;
  }
  const Chunk& ch = chunks_[c];
  // The last block of the chunk starting at or before `clock` (the first
  // one does): a branch-free halving, since the comparisons are
  // unpredictable. Among many blocks (a million-item text, a long-edited
  // state loading) the chunk is rarely cached and each probe waits for
  // memory: both probes the next step may make are fetched while this one
  // is compared (b1.4 at 1e6: remote apply -17%). A smaller array stays
  // cached, and the fetches would only add instructions.
  // Offsets from the chunk's base, compared in 32 bits: a clock past the
  // chunk's last block (held by it) may be 2^32 or more past the base, and
  // is then past every offset. (A clock below the first block's, outside
  // the contract, finds the first as it always did.)
  const auto offset =
      static_cast<uint32_t>(std::min<uint64_t>(clock >= ch.base ? clock - ch.base : 0, UINT32_MAX));
  const uint32_t* base = ch.clocks.get();
  uint32_t n = ch.size;
  if (last >= kPrefetchFromChunks) {
    while (n > 1) {
      const uint32_t half = n / 2;
      __builtin_prefetch(base + half / 2);
      __builtin_prefetch(base + half + half / 2);
      base = base[half] <= offset ? base + half : base;
      n -= half;
    }
  } else {
    while (n > 1) {
      const uint32_t half = n / 2;
      base = base[half] <= offset ? base + half : base;
      n -= half;
    }
  }
  const size_t lo = static_cast<size_t>(base - ch.clocks.get());
  if (c != cur_chunk_) {
    cur_chunk_ = c;
    cur_start_ = c == last ? size_ - ch.size : prefix(c);
  }
  return cur_start_ + lo;
}

void BlockArray::grow(Chunk& c) {
  uint32_t cap = std::min<uint32_t>(kMaxChunk, std::max<uint32_t>(4, c.cap * 2));
  auto items = std::make_unique_for_overwrite<Item*[]>(cap);
  auto clocks = std::make_unique_for_overwrite<uint32_t[]>(cap);
  if (c.size > 0) {
    std::memcpy(items.get(), c.items.get(), c.size * sizeof(Item*));
    std::memcpy(clocks.get(), c.clocks.get(), c.size * sizeof(uint32_t));
  }
  c.items = std::move(items);
  c.clocks = std::move(clocks);
  c.cap = cap;
}

BlockArray::Chunk BlockArray::full_chunk() {
  Chunk c;
  c.items = std::make_unique_for_overwrite<Item*[]>(kMaxChunk);
  c.clocks = std::make_unique_for_overwrite<uint32_t[]>(kMaxChunk);
  c.cap = kMaxChunk;
  return c;
}

BlockArray::Chunk BlockArray::cut_tail(Chunk& c, uint32_t keep) {
  Chunk tail = full_chunk();
  tail.size = c.size - keep;
  std::memcpy(tail.items.get(), c.items.get() + keep, tail.size * sizeof(Item*));
  std::memcpy(tail.clocks.get(), c.clocks.get() + keep, tail.size * sizeof(uint32_t));
  tail.base = c.base;  // still within 2^32 of every clock moved
  tail.first_clock = tail.base + tail.clocks[0];
  c.size = keep;
  return tail;
}

void BlockArray::split_chunk(size_t c) {
  Chunk upper = cut_tail(chunks_[c], chunks_[c].size / 2);
  chunks_.insert(chunks_.begin() + static_cast<ptrdiff_t>(c) + 1, std::move(upper));
  rebuild_tree();
}

void BlockArray::push_back_slow(Item* item, uint64_t clock) {
  if (chunks_.empty() || chunks_.back().size == kMaxChunk || !chunks_.back().fits(clock)) {
    Chunk fresh;
    if (chunks_.empty()) {
      grow(fresh);  // a small array starts small
    } else {
      // Past its first chunk an array is a big one: chunks full size at
      // once, instead of growing 4, 8, ... 256 (seven allocations and copies).
      fresh = full_chunk();
    }
    fresh.base = fresh.first_clock = clock;
    fresh.items[0] = item;
    fresh.clocks[0] = 0;
    fresh.size = 1;
    chunks_.push_back(std::move(fresh));
    // Fenwick append: the new node covers chunks (k - lowbit(k), k].
    const size_t k = chunks_.size();
    tree_.push_back(0);
    tree_[k - 1] = 1 + prefix(k - 1) - prefix(k - lowbit(k));
  } else {
    Chunk& last = chunks_.back();
    if (last.size == last.cap) grow(last);
    last.clocks[last.size] = static_cast<uint32_t>(clock - last.base);
    last.items[last.size++] = item;
    tree_add(chunks_.size() - 1, 1);
  }
  size_++;
}

void BlockArray::assign(std::span<Item* const> items) {
  chunks_.clear();
  chunks_.reserve((items.size() + kMaxChunk - 1) / kMaxChunk);
  for (size_t at = 0; at < items.size();) {
    const size_t n = std::min<size_t>(kMaxChunk, items.size() - at);
    Chunk& c = chunks_.emplace_back(full_chunk());
    c.base = c.first_clock = items[at]->id.clock;
    // Clocks ascend: the chunk ends early at the first that is too far.
    while (c.size < n && items[at]->id.clock - c.base <= UINT32_MAX) {
      c.items[c.size] = items[at];
      c.clocks[c.size++] = static_cast<uint32_t>(items[at++]->id.clock - c.base);
    }
  }
  size_ = items.size();
  hint_ = 0;
  rebuild_tree();
}

bool BlockArray::make_fit(Chunk& c, uint64_t clock) {
  if (c.fits(clock)) return true;
  if (clock > c.base) return false;
  // Lower the base to `clock` (a block split off the end of the chunk
  // before lands at this one's front), if the last clock stays in range.
  const uint64_t shift = c.base - clock;
  if (c.clocks[c.size - 1] + shift > UINT32_MAX) return false;
  for (uint32_t k = 0; k < c.size; k++) c.clocks[k] += static_cast<uint32_t>(shift);
  c.base = clock;
  return true;
}

void BlockArray::insert_alone(size_t c, size_t offset, Item* item, uint64_t clock) {
  Chunk alone;
  grow(alone);
  alone.items[0] = item;
  alone.clocks[0] = 0;
  alone.size = 1;
  alone.base = alone.first_clock = clock;
  Chunk& cut = chunks_[c];
  Chunk tail;
  if (offset > 0 && offset < cut.size) tail = cut_tail(cut, static_cast<uint32_t>(offset));
  const auto at = static_cast<ptrdiff_t>(offset == 0 ? c : c + 1);
  if (tail.size > 0) chunks_.insert(chunks_.begin() + at, std::move(tail));  // `cut` invalid from here
  chunks_.insert(chunks_.begin() + at, std::move(alone));
  size_++;
  rebuild_tree();
}

void BlockArray::insert(size_t index, Item* item, uint64_t clock) {
  if (index == size_) {
    push_back(item, clock);
    return;
  }
  locate(index);
  size_t c = cur_chunk_;
  size_t offset = index - cur_start_;
  if (offset == 0 && c > 0 && chunks_[c - 1].size < kMaxChunk) {
    // Between two chunks: append to the earlier one (moves nothing).
    c--;
    cur_chunk_ = c;
    cur_start_ -= chunks_[c].size;
    offset = chunks_[c].size;
  }
  if (chunks_[c].size == kMaxChunk) {
    split_chunk(c);
    if (offset > chunks_[c].size) {
      offset -= chunks_[c].size;
      c++;
    }
  } else if (chunks_[c].size == chunks_[c].cap) {
    grow(chunks_[c]);
  }
  Chunk& ch = chunks_[c];
  if (!make_fit(ch, clock)) return insert_alone(c, offset, item, clock);
  Item** at = ch.items.get() + offset;
  std::memmove(at + 1, at, (ch.size - offset) * sizeof(Item*));
  *at = item;
  uint32_t* clock_at = ch.clocks.get() + offset;
  std::memmove(clock_at + 1, clock_at, (ch.size - offset) * sizeof(uint32_t));
  *clock_at = static_cast<uint32_t>(clock - ch.base);
  ch.size++;
  if (offset == 0) ch.first_clock = clock;
  tree_add(c, 1);
  if (cur_chunk_ > c) cur_start_++;
  size_++;
}

void BlockArray::set_clock_slow(size_t i, uint64_t clock) {
  Item* item = (*this)[i];
  erase(i, i + 1);
  insert(i, item, clock);
}

void BlockArray::erase_slow(size_t first, size_t last) {
  while (first < last) {
    locate(first);
    const size_t c = cur_chunk_;
    Chunk& ch = chunks_[c];
    const size_t offset = first - cur_start_;
    const size_t n = std::min<size_t>(last - first, ch.size - offset);
    Item** at = ch.items.get() + offset;
    std::memmove(at, at + n, (ch.size - offset - n) * sizeof(Item*));
    uint32_t* clock_at = ch.clocks.get() + offset;
    std::memmove(clock_at, clock_at + n, (ch.size - offset - n) * sizeof(uint32_t));
    ch.size -= static_cast<uint32_t>(n);
    size_ -= n;
    last -= n;
    if (ch.size == 0) {
      chunks_.erase(chunks_.begin() + static_cast<ptrdiff_t>(c));
      rebuild_tree();
      continue;
    }
    if (offset == 0) ch.first_clock = ch.base + ch.clocks[0];
    tree_add(c, -static_cast<int64_t>(n));
  }
}

}  // namespace weft
