#pragma once
// Invariant checks. PARLEY_CHECK always runs; PARLEY_DCHECK only in debug builds.
// A failed check is a programmer error: it logs where and aborts.

#include <cstdio>
#include <cstdlib>

#define PARLEY_CHECK(cond)                                                                 \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: PARLEY_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

#ifdef NDEBUG
#define PARLEY_DCHECK(cond) \
  do {                      \
  } while (0)
#else
#define PARLEY_DCHECK(cond) PARLEY_CHECK(cond)
#endif
