#include "storage/user_store.hpp"

namespace parley::storage {

std::string_view ToString(StoreStatus status) {
  switch (status) {
    case StoreStatus::kOk:
      return "ok";
    case StoreStatus::kExists:
      return "exists";
    case StoreStatus::kNotFound:
      return "not found";
    case StoreStatus::kFull:
      return "full";
    case StoreStatus::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace parley::storage
