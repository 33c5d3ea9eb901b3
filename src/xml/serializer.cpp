#include "xml/serializer.hpp"

#include <array>
#include <vector>

namespace parley::xml {
namespace {

bool IsNamespaceDeclaration(std::string_view name) {
  return name == "xmlns" || name.starts_with("xmlns:");
}

// Splits "{uri}local" into uri and local; false when the name is not in Clark notation.
bool SplitClark(std::string_view name, std::string_view& uri, std::string_view& local) {
  if (!name.starts_with('{')) return false;
  std::size_t close = name.rfind('}');  // a URI may hold '}', a local name may not
  if (close == std::string_view::npos) return false;
  uri = name.substr(1, close - 1);
  local = name.substr(close + 1);
  return true;
}

void SerializeAttributes(const Element& e, std::string& out) {
  std::vector<std::string_view> prefixed;  // URIs that got a prefix on this element, ns1 = [0]
  for (const Attribute& a : e.Attrs()) {
    if (IsNamespaceDeclaration(a.name)) continue;
    std::string_view uri;
    std::string_view local;
    out += ' ';
    if (SplitClark(a.name, uri, local)) {
      std::size_t index = 0;
      while (index < prefixed.size() && prefixed[index] != uri) ++index;
      std::string prefix = "ns" + std::to_string(index + 1);
      if (index == prefixed.size()) {
        prefixed.push_back(uri);
        out += "xmlns:" + prefix + "='";
        AppendEscaped(out, uri);
        out += "' ";
      }
      out += prefix;
      out += ':';
      out += local;
    } else {
      out += a.name;
    }
    out += "='";
    AppendEscaped(out, a.value);
    out += '\'';
  }
}

constexpr const char* AttributeEscape(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&apos;";
    // XML 1.0 §3.3.3: a parser turns literal whitespace in attribute values into spaces.
    case '\t':
      return "&#9;";
    case '\n':
      return "&#10;";
    case '\r':
      return "&#13;";
    default:
      return nullptr;
  }
}

constexpr const char* TextEscape(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    // XML 1.0 §2.11: a parser turns a literal CR (and CRLF) into LF.
    case '\r':
      return "&#13;";
    default:
      return nullptr;
  }
}

// Appends `text`, copying the runs between characters that need escaping in one go: a stanza's
// text is mostly such runs, and appending byte by byte was a visible cost on the message path.
// `Escape(c)` is the replacement for c, or nullptr when c is written as it is.
template <const char* (*Escape)(char)>
void AppendWith(std::string& out, std::string_view text) {
  // Which bytes need a look at Escape(): a table lookup per byte instead of a switch.
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> special{};
    for (int c = 0; c < 128; ++c) special[c] = Escape(static_cast<char>(c)) != nullptr;
    return special;
  }();
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!kSpecial[static_cast<unsigned char>(text[i])]) continue;
    const char* replacement = Escape(text[i]);
    out.append(text.data() + run, i - run);
    out += replacement;
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

}  // namespace

void AppendEscaped(std::string& out, std::string_view text) {
  AppendWith<AttributeEscape>(out, text);
}

void AppendEscapedText(std::string& out, std::string_view text) {
  AppendWith<TextEscape>(out, text);
}

void Serialize(const Element& e, std::string& out, std::string_view parent_ns) {
  if (e.IsText()) {
    AppendEscapedText(out, e.TextContent());
    return;
  }
  // The XML namespace may not be the default namespace (Namespaces in XML §3); its prefix is
  // predeclared, so such an element is written as xml:name and changes nothing for its children.
  const bool xml_ns = e.Xmlns() == kNsXml;
  std::string_view qualifier = xml_ns ? "xml:" : "";
  out += '<';
  out += qualifier;
  out += e.Name();
  std::string_view ns = parent_ns;
  if (!xml_ns && !e.Xmlns().empty() && e.Xmlns() != parent_ns) {
    ns = e.Xmlns();
    out += " xmlns='";
    AppendEscaped(out, ns);
    out += '\'';
  }
  SerializeAttributes(e, out);
  if (e.Children().empty()) {
    out += "/>";
    return;
  }
  out += '>';
  for (const Element& child : e.Children()) Serialize(child, out, ns);
  out += "</";
  out += qualifier;
  out += e.Name();
  out += '>';
}

std::string ToString(const Element& e, std::string_view parent_ns) {
  std::string out;
  Serialize(e, out, parent_ns);
  return out;
}

}  // namespace parley::xml
