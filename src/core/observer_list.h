// A shared type's observers, called as yjs calls a type's event handlers
// (callEventHandlerListeners: lib0's callAll over the handler array).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace weft {

// Observers in subscription order. While they are being called (a round),
// one added is called in the same round, and one removed is still called in
// it: yjs pushes a new handler onto the array being walked, and a removal
// replaces the array with a filtered copy, so the round goes on over the old
// one, and what is added after a removal joins the new one only.
template <typename Fn>
class ObserverList {
 public:
  bool empty() const { return list_ == nullptr || list_->empty(); }

  void add(uint64_t id, Fn fn) {
    if (list_ == nullptr) list_ = std::make_shared<List>();
    list_->emplace_back(id, std::make_shared<const Fn>(std::move(fn)));
  }

  // Whether `id` was here (TypeRefBase::unobserve tries both of a type's lists).
  bool remove(uint64_t id) {
    if (list_ == nullptr) return false;
    auto it = std::find_if(list_->begin(), list_->end(), [&](const Entry& e) { return e.first == id; });
    if (it == list_->end()) return false;
    auto next = std::make_shared<List>(list_->begin(), it);
    next->insert(next->end(), it + 1, list_->end());
    list_ = std::move(next);
    return true;
  }

  template <typename... Args>
  void call(Args&... args) const {
    const std::shared_ptr<List> round = list_;  // the round's list, even once replaced
    if (round == nullptr) return;
    for (size_t i = 0; i < round->size(); i++) {                // size read each time: additions join
      const std::shared_ptr<const Fn> fn = (*round)[i].second;  // alive while it runs
      (*fn)(args...);
    }
  }

 private:
  using Entry = std::pair<uint64_t, std::shared_ptr<const Fn>>;
  using List = std::vector<Entry>;
  std::shared_ptr<List> list_;
};

}  // namespace weft
