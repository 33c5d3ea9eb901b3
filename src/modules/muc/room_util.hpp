#pragma once
// Small helpers shared by the MUC files: presence payloads, numbers, XEP-0082 time stamps, data
// forms (XEP-0004).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xml/element.hpp"

namespace parley::mod::muc {

// The children of a presence worth repeating to other occupants (show, status, priority, caps,
// ...), without the MUC elements of the join itself.
xml::Element PresencePayload(const xml::Element& presence);

// A decimal integer in 0..2^32-1, nullopt otherwise (empty, sign, junk).
std::optional<std::uint32_t> ParseUnsigned(std::string_view text);

// XEP-0082 DateTime: "2002-09-10T23:08:25Z", with optional fractions and an offset.
std::optional<std::chrono::system_clock::time_point> ParseStamp(std::string_view text);
std::string FormatStamp(std::chrono::system_clock::time_point t);

// XEP-0004 data forms.
struct FormField {
  std::string var, type, label;
  std::vector<std::string> values;
  std::vector<std::string> options;
};
xml::Element MakeForm(std::string_view type, std::string_view title,
                      const std::vector<FormField>& fields);
// The values of `var` in a submitted form, or nullopt when the field is absent.
std::optional<std::vector<std::string>> FieldValues(const xml::Element& form, std::string_view var);
// XEP-0004 §3.3 boolean: "1"/"true" or "0"/"false".
std::optional<bool> ParseBool(std::string_view text);

}  // namespace parley::mod::muc
