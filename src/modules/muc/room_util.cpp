#include "modules/muc/room_util.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "modules/muc/room.hpp"
#include "xep/namespaces.hpp"

namespace parley::mod::muc {

xml::Element PresencePayload(const xml::Element& presence) {
  xml::Element out("presence", std::string(xep::kNsClient));
  for (const xml::Element& c : presence.Children()) {
    if (c.IsText()) continue;
    if (c.Xmlns() == kNsMuc || c.Xmlns() == kNsMucUser) continue;
    out.AddChild(c);
  }
  return out;
}

std::optional<std::uint32_t> ParseUnsigned(std::string_view text) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::chrono::system_clock::time_point> ParseStamp(std::string_view text) {
  std::string s(text);
  int year, month, day, hour, minute, second, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &used) != 6) {
    return std::nullopt;
  }
  std::size_t i = static_cast<std::size_t>(used);
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  long offset = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (oh * 60L + om) * 60L * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = ::timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits (until 2262): later stamps mean "the far future".
  constexpr std::time_t kLatest = 8'000'000'000;  // 2223
  return std::chrono::system_clock::from_time_t(std::min(t - offset, kLatest));
}

std::string FormatStamp(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

xml::Element MakeForm(std::string_view type, std::string_view title,
                      const std::vector<FormField>& fields) {
  xml::Element x("x", std::string(xep::kNsDataForms));
  x.SetAttr("type", std::string(type));
  if (!title.empty()) x.AddChild("title").AddText(std::string(title));
  for (const FormField& f : fields) {
    xml::Element field("field");
    field.SetAttr("var", f.var);
    if (!f.type.empty()) field.SetAttr("type", f.type);
    if (!f.label.empty()) field.SetAttr("label", f.label);
    for (const std::string& v : f.values) field.AddChild("value").AddText(v);
    for (const std::string& o : f.options) {
      xml::Element option("option");
      option.SetAttr("label", o);
      option.AddChild("value").AddText(o);
      field.AddChild(std::move(option));
    }
    x.AddChild(std::move(field));
  }
  return x;
}

std::optional<std::vector<std::string>> FieldValues(const xml::Element& form,
                                                    std::string_view var) {
  for (const xml::Element& f : form.Children()) {
    if (f.IsText() || f.Name() != "field" || f.AttrOr("var") != var) continue;
    std::vector<std::string> values;
    for (const xml::Element& v : f.Children()) {
      if (!v.IsText() && v.Name() == "value") values.push_back(v.Text());
    }
    return values;
  }
  return std::nullopt;
}

std::optional<bool> ParseBool(std::string_view text) {
  if (text == "1" || text == "true") return true;
  if (text == "0" || text == "false") return false;
  return std::nullopt;
}

}  // namespace parley::mod::muc
