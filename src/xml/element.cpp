#include "xml/element.hpp"

#include <algorithm>
#include <utility>

namespace parley::xml {

Element::Element(std::string name, std::string xmlns)
    : name_(std::move(name)), xmlns_(std::move(xmlns)) {}

Element Element::MakeText(std::string text) {
  Element e;
  e.is_text_ = true;
  e.text_ = std::move(text);
  return e;
}

const std::string* Element::Attr(std::string_view name) const {
  for (const Attribute& a : attrs_) {
    if (a.name == name) return &a.value;
  }
  return nullptr;
}

std::string_view Element::AttrOr(std::string_view name, std::string_view fallback) const {
  const std::string* v = Attr(name);
  return v != nullptr ? std::string_view(*v) : fallback;
}

Element& Element::SetAttr(std::string_view name, std::string value) {
  for (Attribute& a : attrs_) {
    if (a.name == name) {
      a.value = std::move(value);
      return *this;
    }
  }
  attrs_.push_back(Attribute{std::string(name), std::move(value)});
  return *this;
}

bool Element::RemoveAttr(std::string_view name) {
  auto it = std::find_if(attrs_.begin(), attrs_.end(),
                         [name](const Attribute& a) { return a.name == name; });
  if (it == attrs_.end()) return false;
  attrs_.erase(it);
  return true;
}

Element& Element::AddChild(Element child) {
  children_.push_back(std::move(child));
  return children_.back();
}

Element& Element::AddChild(std::string name, std::string xmlns) {
  return AddChild(Element(std::move(name), std::move(xmlns)));
}

Element& Element::AddText(std::string text) {
  children_.push_back(MakeText(std::move(text)));
  return *this;
}

const Element* Element::Child(std::string_view name, std::string_view xmlns) const {
  for (const Element& c : children_) {
    if (!c.is_text_ && c.name_ == name && (xmlns.empty() || c.xmlns_ == xmlns)) return &c;
  }
  return nullptr;
}

Element* Element::Child(std::string_view name, std::string_view xmlns) {
  return const_cast<Element*>(std::as_const(*this).Child(name, xmlns));
}

const Element* Element::FirstElement() const {
  for (const Element& c : children_) {
    if (!c.is_text_) return &c;
  }
  return nullptr;
}

std::string Element::Text() const {
  std::string out;
  for (const Element& c : children_) {
    if (c.is_text_) out += c.text_;
  }
  return out;
}

bool Element::operator==(const Element& other) const {
  return is_text_ == other.is_text_ && name_ == other.name_ && xmlns_ == other.xmlns_ &&
         text_ == other.text_ && attrs_ == other.attrs_ && children_ == other.children_;
}

}  // namespace parley::xml
