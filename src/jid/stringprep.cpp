#include "jid/stringprep.hpp"

#include <unicode/usprep.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <cstdint>

#include "core/check.hpp"

namespace parley::jid {
namespace {

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// RFC 3454 Appendix C.2.1: ASCII control characters.
bool IsAsciiControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// usprep_openByType caches profiles process-wide; opening each once here just avoids the lookup.
// The profile is immutable after opening, so concurrent usprep_prepare calls are safe. Never
// closed.
const UStringPrepProfile* OpenProfile(UStringPrepProfileType type) {
  UErrorCode status = U_ZERO_ERROR;
  UStringPrepProfile* profile = usprep_openByType(type, &status);
  PARLEY_CHECK(U_SUCCESS(status) && profile != nullptr);
  return profile;
}

const UStringPrepProfile* IcuProfile(Profile profile) {
  switch (profile) {
    case Profile::kNodeprep: {
      static const UStringPrepProfile* const p = OpenProfile(USPREP_RFC3920_NODEPREP);
      return p;
    }
    case Profile::kNameprep: {
      static const UStringPrepProfile* const p = OpenProfile(USPREP_RFC3491_NAMEPREP);
      return p;
    }
    case Profile::kResourceprep: {
      static const UStringPrepProfile* const p = OpenProfile(USPREP_RFC3920_RESOURCEPREP);
      return p;
    }
    case Profile::kSaslprep: {
      static const UStringPrepProfile* const p = OpenProfile(USPREP_RFC4013_SASLPREP);
      return p;
    }
  }
  PARLEY_CHECK(false);
  return nullptr;
}

// Above this many bytes nothing we prepare is meaningful (JID parts are capped at 1023 bytes,
// SASL input at 8 KiB); refusing early bounds the work done on hostile input.
constexpr std::size_t kMaxInputBytes = 64 * 1024;

}  // namespace

namespace detail {

std::optional<std::string> AsciiPrepare(Profile profile, std::string_view in) {
  PARLEY_DCHECK(IsAscii(in));
  std::string out;
  out.reserve(in.size());
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    switch (profile) {
      case Profile::kNodeprep:
        // RFC 3920 Appendix A.5: C.1.1 (space), C.2.1 (controls) and A.5's extra characters.
        if (c == ' ' || IsAsciiControl(c)) return std::nullopt;
        if (std::string_view("\"&'/:<>@").find(ch) != std::string_view::npos) return std::nullopt;
        out.push_back(AsciiLower(ch));  // A.3: table B.2 case folding.
        break;
      case Profile::kNameprep:
        // RFC 3491 §5 prohibits nothing in ASCII (C.1.1 and C.2.1 are not in its list); §3 maps
        // B.2.
        out.push_back(AsciiLower(ch));
        break;
      case Profile::kResourceprep:  // RFC 3920 Appendix B.5: C.2.1, but not C.1.1 (space).
      case Profile::kSaslprep:      // RFC 4013 §2.3: C.2.1; ASCII space is allowed.
        if (IsAsciiControl(c)) return std::nullopt;
        out.push_back(ch);
        break;
    }
  }
  // ASCII has no B.1 (mapped to nothing) code points, is NFKC-stable, has no unassigned code
  // points and no RandALCat characters, so mapping, normalisation and the bidi rule are no-ops.
  return out;
}

std::optional<std::string> IcuPrepare(Profile profile, std::string_view in) {
  if (in.empty()) return std::string();
  if (in.size() > kMaxInputBytes) return std::nullopt;

  UErrorCode status = U_ZERO_ERROR;
  const auto in_len = static_cast<int32_t>(in.size());
  std::u16string src(in.size(), u'\0');  // UTF-16 never needs more code units than UTF-8 bytes.
  int32_t src_len = 0;
  u_strFromUTF8(src.data(), static_cast<int32_t>(src.size()), &src_len, in.data(), in_len, &status);
  if (U_FAILURE(status)) return std::nullopt;  // Ill-formed UTF-8 (incl. overlongs, surrogates).

  // Case folding and NFKC can expand; retry once with the size ICU asks for.
  std::u16string dest(static_cast<std::size_t>(src_len) * 2 + 16, u'\0');
  int32_t dest_len = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    status = U_ZERO_ERROR;
    dest_len = usprep_prepare(IcuProfile(profile), src.data(), src_len, dest.data(),
                              static_cast<int32_t>(dest.size()), USPREP_DEFAULT, nullptr, &status);
    if (status != U_BUFFER_OVERFLOW_ERROR) break;
    dest.assign(static_cast<std::size_t>(dest_len), u'\0');
  }
  if (U_FAILURE(status)) return std::nullopt;

  std::string out(static_cast<std::size_t>(dest_len) * 3, '\0');
  int32_t out_len = 0;
  status = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &out_len, dest.data(), dest_len,
              &status);
  if (U_FAILURE(status)) return std::nullopt;
  out.resize(static_cast<std::size_t>(out_len));
  return out;
}

}  // namespace detail

bool IsValidUtf8(std::string_view in) {
  if (IsAscii(in)) return true;
  if (in.size() > static_cast<std::size_t>(INT32_MAX)) return false;
  UErrorCode status = U_ZERO_ERROR;
  int32_t needed = 0;
  u_strFromUTF8(nullptr, 0, &needed, in.data(), static_cast<int32_t>(in.size()), &status);
  return status == U_BUFFER_OVERFLOW_ERROR || U_SUCCESS(status);
}

std::optional<std::string> Prepare(Profile profile, std::string_view in) {
  if (IsAscii(in)) return detail::AsciiPrepare(profile, in);
  return detail::IcuPrepare(profile, in);
}

std::optional<std::string> NodePrep(std::string_view in) { return Prepare(Profile::kNodeprep, in); }
std::optional<std::string> NamePrep(std::string_view in) { return Prepare(Profile::kNameprep, in); }
std::optional<std::string> ResourcePrep(std::string_view in) {
  return Prepare(Profile::kResourceprep, in);
}
std::optional<std::string> SaslPrep(std::string_view in) { return Prepare(Profile::kSaslprep, in); }

}  // namespace parley::jid
