// BlockArray: one client's blocks in clock order, as a gap buffer.
//
// Splits and merges insert into and erase from the middle of a client's
// block list. With a plain vector every such edit moves the whole tail (it
// was most of the local-apply time on long traces). Edits cluster around
// the spot being edited, so the free slots are kept as a gap at the last
// edit position: an edit costs the distance the gap moves, not the tail
// length. Appends at the end never move the gap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace weft {

struct Item;

class BlockArray {
 public:
  size_t size() const { return buf_.size() - gap_size(); }
  bool empty() const { return size() == 0; }

  Item*& operator[](size_t i) { return buf_[i < gap_begin_ ? i : i + gap_size()]; }
  Item* operator[](size_t i) const { return buf_[i < gap_begin_ ? i : i + gap_size()]; }
  Item* front() const { return (*this)[0]; }

  // The index StructStore::find_index found last. Lookups cluster (cleanup
  // re-finds blocks a transaction just split or touched), so the search
  // checks here first. Only a guess: edits may have moved it.
  size_t hint() const { return hint_; }
  void set_hint(size_t i) const { hint_ = i; }
  Item* back() const { return (*this)[size() - 1]; }

  void push_back(Item* item) {
    if (gap_end_ == buf_.size() && gap_begin_ < gap_end_) {
      buf_[gap_begin_++] = item;  // the gap sits at the end: fill it
      if (gap_begin_ == gap_end_) gap_begin_ = gap_end_ = buf_.size();
    } else {
      buf_.push_back(item);
      if (gap_begin_ == gap_end_) gap_begin_ = gap_end_ = buf_.size();
    }
  }

  // Inserts before position `index` (index <= size()).
  void insert(size_t index, Item* item) {
    if (gap_begin_ == gap_end_) open_gap(index);
    move_gap(index);
    buf_[gap_begin_++] = item;
  }

  // Removes positions [first, last).
  void erase(size_t first, size_t last) {
    if (first >= last) return;
    if (gap_begin_ == gap_end_) {
      // No gap yet: the erased slots become it.
      gap_begin_ = first;
      gap_end_ = last;
      return;
    }
    move_gap(last);
    gap_begin_ = first;
  }

  class const_iterator {
   public:
    const_iterator(const BlockArray* a, size_t i) : a_(a), i_(i) {}
    Item* operator*() const { return (*a_)[i_]; }
    const_iterator& operator++() {
      i_++;
      return *this;
    }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    const BlockArray* a_;
    size_t i_;
  };
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size()); }

 private:
  size_t gap_size() const { return gap_end_ - gap_begin_; }

  // Makes a gap of free slots at `index` (the buffer has none).
  void open_gap(size_t index) {
    size_t grow = std::max<size_t>(16, buf_.size() / 16);
    buf_.insert(buf_.begin() + static_cast<ptrdiff_t>(index), grow, nullptr);
    gap_begin_ = index;
    gap_end_ = index + grow;
  }

  // Moves the gap so that it starts at logical position `index`.
  void move_gap(size_t index) {
    if (index < gap_begin_) {
      size_t n = gap_begin_ - index;
      std::move_backward(buf_.begin() + static_cast<ptrdiff_t>(index),
                         buf_.begin() + static_cast<ptrdiff_t>(gap_begin_),
                         buf_.begin() + static_cast<ptrdiff_t>(gap_end_));
      gap_begin_ -= n;
      gap_end_ -= n;
    } else if (index > gap_begin_) {
      size_t n = index - gap_begin_;
      std::move(buf_.begin() + static_cast<ptrdiff_t>(gap_end_),
                buf_.begin() + static_cast<ptrdiff_t>(gap_end_ + n),
                buf_.begin() + static_cast<ptrdiff_t>(gap_begin_));
      gap_begin_ += n;
      gap_end_ += n;
    }
  }

  std::vector<Item*> buf_;
  // Free slots [gap_begin_, gap_end_) of buf_; empty when equal.
  size_t gap_begin_ = 0;
  size_t gap_end_ = 0;
  mutable size_t hint_ = 0;
};

}  // namespace weft
