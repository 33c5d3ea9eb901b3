#include "parley_bench/element_scanner.hpp"

#include <cstring>

namespace parley::bench {

void ElementScanner::Append(std::string_view bytes) {
  Compact();
  buf_.append(bytes);
}

void ElementScanner::Reset() {
  buf_.clear();
  consumed_ = pos_ = tag_begin_ = elem_begin_ = 0;
  depth_ = 0;
  in_tag_ = false;
  quote_ = 0;
}

void ElementScanner::Shrink() {
  if (Buffered() == 0 && !in_tag_ && depth_ <= 1) {
    buf_.clear();
    buf_.shrink_to_fit();
    consumed_ = pos_ = tag_begin_ = elem_begin_ = 0;
  }
}

void ElementScanner::Compact() {
  std::size_t keep = pos_;
  if (in_tag_ && tag_begin_ < keep) keep = tag_begin_;
  if (depth_ >= 2 && elem_begin_ < keep) keep = elem_begin_;
  if (consumed_ > keep) keep = consumed_;
  if (keep == 0) return;
  buf_.erase(0, keep);
  pos_ -= keep;
  tag_begin_ = tag_begin_ >= keep ? tag_begin_ - keep : 0;
  elem_begin_ = elem_begin_ >= keep ? elem_begin_ - keep : 0;
  consumed_ = 0;
}

StreamEvent ElementScanner::Next() {
  const char* data = buf_.data();
  const std::size_t size = buf_.size();
  while (pos_ < size) {
    if (!in_tag_) {
      const void* lt = std::memchr(data + pos_, '<', size - pos_);
      if (lt == nullptr) {
        pos_ = size;
        if (depth_ <= 1) consumed_ = pos_;  // whitespace keep-alives between stanzas
        break;
      }
      pos_ = static_cast<const char*>(lt) - data;
      tag_begin_ = pos_++;
      in_tag_ = true;
      quote_ = 0;
      continue;
    }
    // Inside a tag: look for its '>' outside quoted attribute values.
    char c = data[pos_++];
    if (quote_ != 0) {
      if (c == quote_) quote_ = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote_ = c;
      continue;
    }
    if (c != '>') continue;
    in_tag_ = false;
    const char first = tag_begin_ + 1 < size ? data[tag_begin_ + 1] : 0;
    if (first == '?' || first == '!') {
      if (depth_ <= 1) consumed_ = pos_;
      continue;
    }
    std::string_view tag(data + tag_begin_, pos_ - tag_begin_);
    if (first == '/') {
      --depth_;
      if (depth_ == 1) {
        consumed_ = pos_;
        return {StreamEvent::Kind::kElement,
                std::string_view(data + elem_begin_, pos_ - elem_begin_)};
      }
      if (depth_ <= 0) {
        depth_ = 0;
        consumed_ = pos_;
        return {StreamEvent::Kind::kStreamClose, tag};
      }
      continue;
    }
    const bool empty = tag.size() >= 2 && tag[tag.size() - 2] == '/';
    if (depth_ == 0) {
      consumed_ = pos_;
      if (!empty) depth_ = 1;
      return {empty ? StreamEvent::Kind::kStreamClose : StreamEvent::Kind::kStreamOpen, tag};
    }
    if (depth_ == 1) {
      elem_begin_ = tag_begin_;
      if (empty) {
        consumed_ = pos_;
        return {StreamEvent::Kind::kElement, tag};
      }
    }
    if (!empty) ++depth_;
  }
  return {};
}

std::string_view AttributeOf(std::string_view element, std::string_view name) {
  std::size_t end = element.find('>');
  std::string_view tag = element.substr(0, end);
  std::size_t at = 0;
  while ((at = tag.find(name, at)) != std::string_view::npos) {
    const bool starts = at > 0 && (tag[at - 1] == ' ' || tag[at - 1] == '\t' ||
                                   tag[at - 1] == '\n' || tag[at - 1] == '\r');
    std::size_t eq = at + name.size();
    if (starts && eq + 1 < tag.size() && tag[eq] == '=' &&
        (tag[eq + 1] == '\'' || tag[eq + 1] == '"')) {
      char q = tag[eq + 1];
      std::size_t close = tag.find(q, eq + 2);
      if (close == std::string_view::npos) return {};
      return tag.substr(eq + 2, close - eq - 2);
    }
    at += name.size();
  }
  return {};
}

std::string_view ChildText(std::string_view element, std::string_view tag) {
  std::size_t at = 0;
  while ((at = element.find(tag, at)) != std::string_view::npos) {
    if (at > 0 && element[at - 1] == '<') {
      std::size_t after = at + tag.size();
      if (after < element.size() && (element[after] == '>' || element[after] == ' ')) {
        std::size_t gt = element.find('>', after);
        if (gt == std::string_view::npos || element[gt - 1] == '/') return {};
        std::size_t lt = element.find('<', gt + 1);
        if (lt == std::string_view::npos) return {};
        return element.substr(gt + 1, lt - gt - 1);
      }
    }
    at += tag.size();
  }
  return {};
}

bool IsElement(std::string_view element, std::string_view local_name) {
  if (element.size() < local_name.size() + 2 || element[0] != '<') return false;
  std::size_t name_end = element.find_first_of(" \t\r\n/>", 1);
  std::string_view qname = element.substr(1, name_end - 1);
  std::size_t colon = qname.find(':');
  if (colon != std::string_view::npos) qname.remove_prefix(colon + 1);
  return qname == local_name;
}

}  // namespace parley::bench
