#pragma once
// Element trees to XML text, as sent on an XMPP stream (RFC 6120 §11: UTF-8, no XML declaration).

#include <string>
#include <string_view>

#include "xml/element.hpp"

namespace parley::xml {

// Appends e's XML to out. parent_ns is the default namespace in scope: an element whose Xmlns() is
// empty or equals it gets no xmlns attribute. Escapes &, <, > in text and &, <, ", ' in attributes
// (plus TAB, CR, LF in attributes and CR in text as character references, so that a parser's
// normalisation gives back the same value). Attributes named "{uri}local" get a generated prefix
// ns1, ns2, ... declared on the same element; attributes called xmlns or xmlns:* are not written,
// since namespaces come from Xmlns(). Never fails; it does not check that names are valid XML
// names.
void Serialize(const Element& e, std::string& out, std::string_view parent_ns = {});
std::string ToString(const Element& e, std::string_view parent_ns = {});

// Attribute-safe escaping of text: &, <, ", ' and TAB, CR, LF.
void AppendEscaped(std::string& out, std::string_view text);
// Text-node escaping: &, <, > and CR.
void AppendEscapedText(std::string& out, std::string_view text);

}  // namespace parley::xml
