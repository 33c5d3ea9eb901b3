#pragma once
// The narrow stores of one backend, handed to modules together. Each module uses only the
// interfaces it needs; none writes SQL of its own.

#include "storage/block_store.hpp"
#include "storage/muc_store.hpp"
#include "storage/offline_store.hpp"
#include "storage/roster_store.hpp"
#include "storage/user_store.hpp"
#include "storage/vcard_store.hpp"

namespace parley::storage {

struct Stores {
  UserStore& users;
  RosterStore& rosters;
  OfflineStore& offline;
  BlockStore& blocks;
  VCardStore& vcards;
  MucStore* mucs = nullptr;  // multi-user chat rooms; null: rooms are never stored
};

}  // namespace parley::storage
