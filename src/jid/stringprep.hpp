#pragma once
// The stringprep profiles (RFC 3454) that XMPP addresses and SASL use, behind one interface so that
// PRECIS (RFC 7564/7613/7622) can replace them later without touching callers.
//
// Every function returns the prepared UTF-8 string, or nullopt when the input is not valid UTF-8,
// contains a prohibited or unassigned code point, or fails the bidi rule (RFC 3454 §6). Unassigned
// code points are always rejected (RFC 3454 §7 "stored strings"), so that a string prepared today
// prepares the same way after an ICU upgrade. Pure-ASCII input takes a fast path that never enters
// ICU; ICU profiles are opened once, shared, and safe to use from any thread.

#include <optional>
#include <string>
#include <string_view>

namespace parley::jid {

// RFC 6122 Appendix A (RFC 3920 nodeprep): case-folded, NFKC, prohibits space and "&'/:<>@.
std::optional<std::string> NodePrep(std::string_view in);
// RFC 3491 nameprep, applied by Jid to each domain label (IDNA2003, RFC 3490 §4).
std::optional<std::string> NamePrep(std::string_view in);
// RFC 6122 Appendix B (RFC 3920 resourceprep): NFKC, no case folding, spaces allowed.
std::optional<std::string> ResourcePrep(std::string_view in);
// RFC 4013 SASLprep, for passwords and usernames: NFKC, no case folding, non-ASCII spaces ->
// U+0020.
std::optional<std::string> SaslPrep(std::string_view in);

// True when `in` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool IsValidUtf8(std::string_view in);

enum class Profile { kNodeprep, kNameprep, kResourceprep, kSaslprep };

// Same as the named functions above, selected by value.
std::optional<std::string> Prepare(Profile profile, std::string_view in);

namespace detail {
// The two halves of Prepare(), exposed so that tests can show they agree on ASCII input.
// AsciiPrepare requires pure-ASCII input.
std::optional<std::string> AsciiPrepare(Profile profile, std::string_view in);
std::optional<std::string> IcuPrepare(Profile profile, std::string_view in);
}  // namespace detail

}  // namespace parley::jid
