#include "xml/expat_memory.hpp"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace parley::xml {
namespace {

constexpr std::size_t kHeaderBytes = 16;  // keeps malloc's 16-byte alignment
struct BlockHeader {
  std::size_t size;
  ExpatMemory* owner;
};
static_assert(sizeof(BlockHeader) <= kHeaderBytes);

thread_local ExpatMemory* t_memory = nullptr;

BlockHeader ReadHeader(void* p) {
  BlockHeader h;
  std::memcpy(&h, static_cast<char*>(p) - kHeaderBytes, sizeof(h));
  return h;
}

}  // namespace

void* CountedMalloc(std::size_t n) {
  ExpatMemory* m = t_memory;
  if (m != nullptr && m->bytes + n > m->cap) {
    m->exceeded = true;
    return nullptr;
  }
  char* raw = static_cast<char*>(std::malloc(n + kHeaderBytes));
  if (raw == nullptr) return nullptr;
  BlockHeader h{n, m};
  std::memcpy(raw, &h, sizeof(h));
  if (m != nullptr) m->bytes += n;
  return raw + kHeaderBytes;
}

void CountedFree(void* p) {
  if (p == nullptr) return;
  BlockHeader h = ReadHeader(p);
  if (h.owner != nullptr) h.owner->bytes -= h.size;
  std::free(static_cast<char*>(p) - kHeaderBytes);
}

void* CountedRealloc(void* p, std::size_t n) {
  if (p == nullptr) return CountedMalloc(n);
  BlockHeader h = ReadHeader(p);
  ExpatMemory* m = h.owner;
  if (m != nullptr && n > h.size && m->bytes + (n - h.size) > m->cap) {
    m->exceeded = true;
    return nullptr;
  }
  char* raw =
      static_cast<char*>(std::realloc(static_cast<char*>(p) - kHeaderBytes, n + kHeaderBytes));
  if (raw == nullptr) return nullptr;
  if (m != nullptr) m->bytes = m->bytes - h.size + n;
  h.size = n;
  std::memcpy(raw, &h, sizeof(h));
  return raw + kHeaderBytes;
}

ScopedExpatMemory::ScopedExpatMemory(ExpatMemory* memory)
    : saved_(std::exchange(t_memory, memory)) {}

ScopedExpatMemory::~ScopedExpatMemory() { t_memory = saved_; }

}  // namespace parley::xml
