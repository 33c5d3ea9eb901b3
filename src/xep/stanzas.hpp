#pragma once
// Builders for the stanzas and stream-level elements every part of the server sends.

#include <string>
#include <string_view>

#include "stanza/error.hpp"
#include "xml/element.hpp"

namespace parley::xep {

enum class StanzaKind { kMessage, kPresence, kIq, kOther };
StanzaKind KindOf(const xml::Element& e);

// RFC 6120 §8.3.1: an error reply to `stanza`: to/from swapped, type='error', the original payload
// kept, and <error type=...><condition/>[<text/>]</error> added.
xml::Element MakeErrorReply(const xml::Element& stanza, const stanza::StanzaError& error);
// An empty type='result' reply to an iq (to/from swapped, same id).
xml::Element MakeIqResult(const xml::Element& iq);
// "<stream:error><condition xmlns=.../>[<text/>]</stream:error></stream:stream>" as bytes.
std::string StreamErrorBytes(stanza::StreamCondition condition, std::string_view text = {});
// The <stream:error/> element alone, declaring its 'stream' prefix so that it parses on its own
// (RFC 7395 §3.6: a WebSocket message carries one standalone element).
std::string StandaloneStreamErrorBytes(stanza::StreamCondition condition,
                                       std::string_view text = {});

}  // namespace parley::xep
