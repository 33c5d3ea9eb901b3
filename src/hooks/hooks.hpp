#pragma once
// Typed hooks: a module subscribes to an event type (one struct per event, events.hpp) with a
// priority; firing runs the handlers from the highest priority down until one returns Flow::kStop.
// Handlers are registered at start-up only; afterwards the table is read-only, so any shard may
// fire concurrently. A handler runs on the thread that fires the event (for session events: the
// session's shard).

#include <algorithm>
#include <functional>
#include <memory>
#include <typeindex>
#include <unordered_map>
#include <vector>

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
    auto it = lists_.find(std::type_index(typeid(Event)));
    if (it == lists_.end()) return Flow::kContinue;
    for (const auto& e : static_cast<const TypedList<Event>&>(*it->second).entries) {
      if (e.handler(event) == Flow::kStop) return Flow::kStop;
    }
    return Flow::kContinue;
  }

  template <typename Event>
  bool HasHandlers() const {
    return lists_.count(std::type_index(typeid(Event))) > 0;
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
  TypedList<Event>& List() {
    auto& slot = lists_[std::type_index(typeid(Event))];
    if (!slot) slot = std::make_unique<TypedList<Event>>();
    return static_cast<TypedList<Event>&>(*slot);
  }

  std::unordered_map<std::type_index, std::unique_ptr<ListBase>> lists_;
};

}  // namespace parley::hooks
