#pragma once
// TypeSlot<T>(): a small number of its own for each type, handed out on first use (0, 1, 2, ...),
// for tables keyed by type on the stanza path (hooks, account extensions, session attachments).
// Hashing a std::type_index hashes the type's mangled name, and did so several times per stanza.
// Thread-safe; the numbers are dense, so a vector indexed by them stays small.

#include <atomic>
#include <cstddef>

namespace parley::core {

namespace detail {
inline std::size_t NextTypeSlot() {
  static std::atomic<std::size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

template <typename T>
std::size_t TypeSlot() {
  static const std::size_t slot = detail::NextTypeSlot();
  return slot;
}

}  // namespace parley::core
