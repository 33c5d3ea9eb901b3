#pragma once
// Typed hooks: a module subscribes to an event type (one struct per event, events.hpp) with a
// priority; firing runs the handlers from the highest priority down until one returns Flow::kStop.
// Handlers are registered at start-up only; afterwards the table is read-only, so any shard may
// fire concurrently. A handler runs on the thread that fires the event (for session events: the
// session's shard).

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "core/type_slot.hpp"

namespace parley::hooks {

enum class Flow { kContinue, kStop };

class Hooks {
 public:
  template <typename Event>
  using Handler = std::function<Flow(Event&)>;

  template <typename Event>
  void On(Handler<Event> handler, int priority = 0) {
    auto& list = List<Event>();
    list.entries.push_back({priority, std::move(handler)});
    std::stable_sort(list.entries.begin(), list.entries.end(),
                     [](const auto& a, const auto& b) { return a.priority > b.priority; });
  }

  // Runs the handlers; kStop when one of them stopped the event.
  template <typename Event>
  Flow Fire(Event& event) const {
    const TypedList<Event>* list = Find<Event>();
    if (list == nullptr) return Flow::kContinue;
    for (const auto& e : list->entries) {
      if (e.handler(event) == Flow::kStop) return Flow::kStop;
    }
    return Flow::kContinue;
  }

  template <typename Event>
  bool HasHandlers() const {
    return Find<Event>() != nullptr;
  }

 private:
  struct ListBase {
    virtual ~ListBase() = default;
  };
  template <typename Event>
  struct TypedList : ListBase {
    struct Entry {
      int priority;
      Handler<Event> handler;
    };
    std::vector<Entry> entries;
  };

  template <typename Event>
  const TypedList<Event>* Find() const {
    const std::size_t slot = core::TypeSlot<Event>();
    if (slot >= lists_.size() || lists_[slot] == nullptr) return nullptr;
    return static_cast<const TypedList<Event>*>(lists_[slot].get());
  }
  template <typename Event>
  TypedList<Event>& List() {
    const std::size_t slot = core::TypeSlot<Event>();
    if (slot >= lists_.size()) lists_.resize(slot + 1);
    if (!lists_[slot]) lists_[slot] = std::make_unique<TypedList<Event>>();
    return static_cast<TypedList<Event>&>(*lists_[slot]);
  }

  std::vector<std::unique_ptr<ListBase>> lists_;  // indexed by core::TypeSlot<Event>()
};

}  // namespace parley::hooks
