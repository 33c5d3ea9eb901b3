#include "storage/roster_store.hpp"

namespace parley::storage {

std::string_view ToString(Subscription s) {
  switch (s) {
    case Subscription::kNone:
      return "none";
    case Subscription::kTo:
      return "to";
    case Subscription::kFrom:
      return "from";
    case Subscription::kBoth:
      return "both";
  }
  return "none";
}

}  // namespace parley::storage
