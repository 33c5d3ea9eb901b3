// libFuzzer target for the stringprep profiles (jid/stringprep.hpp). Byte 0 picks the profile; the
// rest is the input. Never crashes; on ASCII input the fast path (detail::AsciiPrepare) and ICU
// (detail::IcuPrepare) agree exactly; Prepare() is the ICU result on everything else; a prepared
// string is valid UTF-8 and prepares to itself (RFC 3454 profiles are meant to be idempotent on
// their own output, and Jid relies on it).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jid/stringprep.hpp"

namespace {

namespace jid = parley::jid;
using jid::Profile;

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::optional<std::string> Named(Profile profile, std::string_view in) {
  switch (profile) {
    case Profile::kNodeprep:
      return jid::NodePrep(in);
    case Profile::kNameprep:
      return jid::NamePrep(in);
    case Profile::kResourceprep:
      return jid::ResourcePrep(in);
    case Profile::kSaslprep:
      return jid::SaslPrep(in);
  }
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto profile = static_cast<Profile>(data[0] % 4);
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  const std::optional<std::string> prepared = Named(profile, in);
  Require(prepared == jid::Prepare(profile, in));
  const std::optional<std::string> icu = jid::detail::IcuPrepare(profile, in);
  if (IsAscii(in)) {
    Require(jid::IsValidUtf8(in));
    Require(prepared == jid::detail::AsciiPrepare(profile, in));
  }
  Require(prepared == icu);

  if (prepared) {
    Require(jid::IsValidUtf8(in));
    Require(jid::IsValidUtf8(*prepared));
    Require(Named(profile, *prepared) == prepared);
  }
  return 0;
}
