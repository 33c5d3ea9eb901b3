#pragma once
// UserStore: the accounts of every served domain and their SCRAM credentials.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/credentials.hpp"

namespace parley::storage {

// kFull: a per-account limit was reached (OfflineStore::Push); nothing was written.
enum class StoreStatus { kOk, kExists, kNotFound, kFull, kError };

std::string_view ToString(StoreStatus status);

// The account store. Passwords are never stored, only the SCRAM-SHA-1 and SCRAM-SHA-256 credentials
// derived from them. `domain` and `username` are already prepared (nameprep / nodeprep, as in a
// parsed jid::Jid) and compared byte for byte. Implementations block (disk, network) and are
// thread-safe: call them from BlockingPool threads or from parleyctl's main thread, never from a
// shard. A backend owns its store; the store lives as long as its backend.
class UserStore {
 public:
  virtual ~UserStore() = default;

  // kExists when the account already exists (its credentials are left unchanged).
  virtual StoreStatus CreateUser(std::string_view domain, std::string_view username,
                                 const sasl::StoredCredentials& creds) = 0;
  // nullopt: no such user, or an error (logged).
  virtual std::optional<sasl::StoredCredentials> GetCredentials(std::string_view domain,
                                                                std::string_view username) = 0;
  // Replaces both credentials; kNotFound when there is no such user.
  virtual StoreStatus SetCredentials(std::string_view domain, std::string_view username,
                                     const sasl::StoredCredentials& creds) = 0;
  // Whether the account exists; false on error (logged). Cheap: one index lookup. The default
  // reads the credentials; backends override it.
  virtual bool UserExists(std::string_view domain, std::string_view username) {
    return GetCredentials(domain, username).has_value();
  }
  // kNotFound when there is no such user. Data owned by the account in other stores goes with it.
  virtual StoreStatus DeleteUser(std::string_view domain, std::string_view username) = 0;
  // The usernames of `domain`, sorted bytewise; empty on error (logged).
  virtual std::vector<std::string> ListUsers(std::string_view domain) = 0;
};

}  // namespace parley::storage
