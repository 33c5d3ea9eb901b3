#pragma once
// What the router needs from a bound session: a place to deliver bytes and a way to end it.
// Implemented by c2s sessions (and later s2s, WebSocket, components). Called only on the session's
// own shard.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/type_slot.hpp"
#include "net/connection.hpp"
#include "stanza/error.hpp"
#include "xml/element.hpp"

namespace parley::router {

// A stanza on its way out, serialized once and shared by every recipient (fan-out without copies).
// Immutable after construction, so shards may share it. Only the bytes travel: no recipient needs
// the tree, and copying it for every delivery cost more than serializing it.
struct OutStanza {
  net::SharedBytes bytes;  // serialized with jabber:client as the default namespace
};
using SharedStanza = std::shared_ptr<const OutStanza>;
SharedStanza Share(const xml::Element& element);

// Immutable values a home shard hands to the account's sessions (e.g. the block list), so that a
// session can check its own outgoing stanzas without a hop. Replaced, never modified.
// Keyed by core::TypeSlot<T>().
using Attachments =
    std::shared_ptr<const std::unordered_map<std::size_t, std::shared_ptr<const void>>>;

template <typename T>
const T* GetAttachment(const Attachments& a) {
  if (!a) return nullptr;
  auto it = a->find(core::TypeSlot<T>());
  return it == a->end() ? nullptr : static_cast<const T*>(it->second.get());
}

class LocalSession {
 public:
  virtual ~LocalSession() = default;
  virtual void Deliver(const SharedStanza& stanza) = 0;
  // Ends the session with a stream error (e.g. <conflict/> when replaced, <not-authorized/> when
  // the account was deleted).
  virtual void Kick(stanza::StreamCondition condition, std::string text) = 0;
  // New snapshots from the account's home shard (see account.hpp). Optional.
  virtual void SetAttachments(Attachments attachments) { (void)attachments; }
};

// Where a session lives: its shard and its id there.
struct SessionRef {
  std::size_t shard = 0;
  std::uint64_t id = 0;
  friend bool operator==(const SessionRef&, const SessionRef&) = default;
};

}  // namespace parley::router
