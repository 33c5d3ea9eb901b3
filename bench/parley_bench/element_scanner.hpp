#pragma once
// ElementScanner: finds where the server's top-level elements begin and end in a byte stream
// without building trees or decoding anything (issue 4: minimal parsing on the hot path). It
// tracks tag depth, skipping quoted attribute values, declarations and comments; callers look
// inside an element with plain string searches. One per connection, on that connection's thread.

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::bench {

struct StreamEvent {
  enum class Kind { kNone, kStreamOpen, kElement, kStreamClose };
  Kind kind = Kind::kNone;
  std::string_view bytes;  // the stream header tag, or the whole element; valid until Append
};

class ElementScanner {
 public:
  // Adds received bytes. Invalidates views returned by Next().
  void Append(std::string_view bytes);
  // The next complete event, or kind kNone when more bytes are needed.
  StreamEvent Next();
  // A stream restart (RFC 6120 §4.3.3): forget everything, expect a new stream header.
  void Reset();
  std::size_t Buffered() const { return buf_.size() - consumed_; }
  // Releases the buffer's memory when nothing is buffered (idle connections).
  void Shrink();

 private:
  void Compact();

  std::string buf_;
  std::size_t consumed_ = 0;  // bytes before this are no longer needed
  std::size_t pos_ = 0;       // scanning position
  std::size_t tag_begin_ = 0;
  std::size_t elem_begin_ = 0;
  int depth_ = 0;
  bool in_tag_ = false;
  char quote_ = 0;
};

// The value of attribute `name` in the first tag of `element` ("" when absent). Quote-aware only
// as far as the first '>', which is all a stanza's start tag needs.
std::string_view AttributeOf(std::string_view element, std::string_view name);
// Text between <tag ...> (or <tag>) and the next '<', searched anywhere in `element`.
std::string_view ChildText(std::string_view element, std::string_view tag);
// True when the element's start tag has this local name, e.g. IsElement(e, "message") for both
// <message and <stream:message (prefix ignored).
bool IsElement(std::string_view element, std::string_view local_name);

}  // namespace parley::bench
