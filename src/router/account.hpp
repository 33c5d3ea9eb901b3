#pragma once
// AccountState: everything the server keeps in memory about one local account while it matters (it
// has sessions, or an operation on it is queued). Owned by the account's home shard (Router) and
// touched only there. Modules keep their per-account state in typed extensions (roster cache, block
// list, ...), loaded once by the account loaders before the first operation runs, and share
// immutable snapshots with the account's sessions through Attachments.

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/type_slot.hpp"
#include "jid/jid.hpp"
#include "router/local_session.hpp"
#include "xml/element.hpp"

namespace parley::router {

struct ResourceState {
  std::string resource;
  SessionRef ref;
  bool available = false;  // sent available presence (RFC 6121 §4.2)
  int priority = 0;
  bool roster_requested = false;                 // an "interested resource" (RFC 6121 §2.1.6)
  std::shared_ptr<const xml::Element> presence;  // last available presence it broadcast
  std::vector<std::string> directed;             // JIDs it sent directed presence to (§4.6)
};

struct AccountState {
  jid::Jid bare;
  std::string key;  // bare.BareString()
  std::vector<ResourceState> resources;
  bool loaded = false;
  bool loading = false;
  std::vector<std::function<void(AccountState&)>> waiting;  // run in order once loaded

  ResourceState* FindResource(std::string_view resource);
  ResourceState* FindResource(const SessionRef& ref);
  bool AnyAvailable() const;

  // A module's state for this account, created on first use.
  template <typename T>
  T& Ext() {
    const std::size_t index = core::TypeSlot<T>();
    if (index >= ext_.size()) ext_.resize(index + 1);
    auto& slot = ext_[index];
    if (!slot) slot = std::make_shared<T>();
    return *static_cast<T*>(slot.get());
  }
  // Replaces one attachment and returns the new snapshot (push it with Router::PushAttachments).
  template <typename T>
  void SetAttachment(std::shared_ptr<const T> value) {
    using Map = std::unordered_map<std::size_t, std::shared_ptr<const void>>;
    auto next = std::make_shared<Map>(attachments ? *attachments : Map{});
    (*next)[core::TypeSlot<T>()] = std::move(value);
    attachments = std::move(next);
  }
  Attachments attachments;

 private:
  std::vector<std::shared_ptr<void>> ext_;  // indexed by core::TypeSlot<T>()
};

}  // namespace parley::router
