#pragma once
// The in-memory XML tree that every stanza travels as: elements, attributes and text nodes.

#include <string>
#include <string_view>
#include <vector>

namespace parley::xml {

inline constexpr std::string_view kNsXml = "http://www.w3.org/XML/1998/namespace";

// One attribute. `name` is as qualified for output: "to", "xml:lang". An attribute in any other
// namespace is named in Clark notation, "{urn:example}local"; the serializer declares a prefix for
// it.
struct Attribute {
  std::string name;
  std::string value;
  bool operator==(const Attribute&) const = default;
};

// An XML element tree node, or a text node (IsText()). A plain value: movable, copyable, owns its
// children, not thread-safe. A text node has only TextContent(); an element has a local name, a
// namespace URI ("" = inherit the parent's when serialising), attributes in order, and children.
class Element {
 public:
  Element() = default;
  explicit Element(std::string name, std::string xmlns = {});
  static Element MakeText(std::string text);

  bool IsText() const { return is_text_; }
  const std::string& Name() const { return name_; }
  const std::string& Xmlns() const { return xmlns_; }
  void SetXmlns(std::string ns) { xmlns_ = std::move(ns); }
  const std::string& TextContent() const { return text_; }

  // nullptr when absent.
  const std::string* Attr(std::string_view name) const;
  std::string_view AttrOr(std::string_view name, std::string_view fallback = {}) const;
  // Replaces the value of `name`, or appends it; returns *this.
  Element& SetAttr(std::string_view name, std::string value);
  bool RemoveAttr(std::string_view name);
  // Room for n attributes in all, so that adding them does not regrow the list.
  void ReserveAttrs(std::size_t n) { attrs_.reserve(n); }
  const std::vector<Attribute>& Attrs() const { return attrs_; }

  const std::vector<Element>& Children() const { return children_; }
  std::vector<Element>& Children() { return children_; }
  // Returns the stored child. The reference is invalidated by the next AddChild/AddText on *this.
  Element& AddChild(Element child);
  Element& AddChild(std::string name, std::string xmlns = {});
  // Appends a text node; returns *this.
  Element& AddText(std::string text);

  // First element child called `name`; an empty `xmlns` matches any namespace.
  const Element* Child(std::string_view name, std::string_view xmlns = {}) const;
  Element* Child(std::string_view name, std::string_view xmlns = {});
  // First non-text child, or nullptr.
  const Element* FirstElement() const;
  // The direct text children, concatenated.
  std::string Text() const;

  // Structural equality: names, namespaces, attributes in order, children.
  bool operator==(const Element& other) const;

 private:
  std::string name_;
  std::string xmlns_;
  std::string text_;
  std::vector<Attribute> attrs_;
  std::vector<Element> children_;
  bool is_text_ = false;
};

}  // namespace parley::xml
