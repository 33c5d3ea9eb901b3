// libFuzzer target for jid::Jid::Parse. Parsing must never crash, and a parsed JID is a fixed
// point: its Full() and BareString() parse back to the same address, building it from its parts
// gives it again, and every part is within RFC 6122's 1023-byte limit.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jid/jid.hpp"

namespace {

using parley::jid::Jid;

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto jid = Jid::Parse(text);
  if (!jid) return 0;

  Require(!jid->Empty());
  Require(jid->Domain().size() <= parley::jid::kMaxPartBytes);
  Require(jid->Local().size() <= parley::jid::kMaxPartBytes);
  Require(jid->Resource().size() <= parley::jid::kMaxPartBytes);

  // Idempotence: the normalised form is accepted and normalises to itself.
  const auto again = Jid::Parse(jid->Full());
  Require(again.has_value() && *again == *jid && again->Full() == jid->Full());

  const auto bare = Jid::Parse(jid->BareString());
  Require(bare.has_value() && *bare == jid->Bare() && bare->IsBare());

  const auto from_parts = Jid::FromParts(jid->Local(), jid->Domain(), jid->Resource());
  Require(from_parts.has_value() && *from_parts == *jid);

  if (!jid->Resource().empty()) {
    const auto with = jid->Bare().WithResource(jid->Resource());
    Require(with.has_value() && *with == *jid);
  }
  return 0;
}
