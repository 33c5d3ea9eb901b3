#pragma once
// Counted, capped allocation for expat parsers, so that a parser's memory can be measured and
// bounded whatever a peer sends.

#include <cstddef>

namespace parley::xml {

// The allocation counter of one expat parser. Owned by the object that owns the parser and must
// outlive it; used on one thread at a time.
struct ExpatMemory {
  std::size_t bytes = 0;  // currently allocated by expat (requested sizes)
  std::size_t cap = 0;    // an allocation that would exceed this fails, and sets `exceeded`
  bool exceeded = false;
};

// expat's memory suite has no user pointer: the counter charged for new blocks is the one published
// by the innermost ScopedExpatMemory on this thread. Every block records its owner, so freeing
// and growing need no scope. Wrap XML_ParserCreate_MM and every XML_Parse call in one.
class ScopedExpatMemory {
 public:
  explicit ScopedExpatMemory(ExpatMemory* memory);
  ~ScopedExpatMemory();
  ScopedExpatMemory(const ScopedExpatMemory&) = delete;
  ScopedExpatMemory& operator=(const ScopedExpatMemory&) = delete;

 private:
  ExpatMemory* saved_;
};

// The functions of an XML_Memory_Handling_Suite for XML_ParserCreate_MM.
void* CountedMalloc(std::size_t size);
void* CountedRealloc(void* block, std::size_t size);
void CountedFree(void* block);

}  // namespace parley::xml
