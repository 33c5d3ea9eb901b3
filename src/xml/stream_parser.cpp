#include "xml/stream_parser.hpp"

#include <cstdint>
#include <random>
#include <utility>

#include "xml/stream_parser_internal.hpp"

namespace parley::xml {

using stanza::StreamCondition;

namespace {

// Input goes to expat in slices this big; the limits are checked between slices, so a peer can
// overshoot a limit by at most one slice before it is stopped.
constexpr std::size_t kSliceBytes = 8 * 1024;
// An idle parser whose expat allocations grew past this is rebuilt (see MaybeCompact()).
constexpr std::size_t kCompactAboveBytes = 32 * 1024;
// Released expat parsers kept per thread for reuse (see StreamParser::Recycle()), and the most
// that one of them may hold to be kept.
constexpr std::size_t kPooledParsers = 4;
constexpr std::size_t kPoolAtMostBytes = 16 * 1024;

const XML_Memory_Handling_Suite kCountedMemorySuite{CountedMalloc, CountedRealloc, CountedFree};

// A salt for expat's hash tables (which it would otherwise draw from getrandom(2), a system call,
// on every rebuild): a per-thread generator seeded once from the OS, stepped by splitmix64.
unsigned long NextHashSalt() {
  thread_local std::uint64_t state =
      (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return static_cast<unsigned long>(z ^ (z >> 31));
}

// What a string holds on the heap: nothing while it fits in its own small buffer.
std::size_t HeapBytes(const std::string& s) {
  const char* self = reinterpret_cast<const char*>(&s);
  bool inline_buffer = s.data() >= self && s.data() < self + sizeof(s);
  return inline_buffer ? 0 : s.capacity() + 1;
}

}  // namespace

StreamParser::StreamParser(StreamHandler& handler, ParserLimits limits)
    : handler_(handler), limits_(limits) {}

StreamParser::~StreamParser() = default;

// A fresh expat parser, replacing any current one. With `replay`, the stream stays open: the new
// parser is fed a stream tag with the same namespace declarations, so that stanzas resolve as
// before, and no event is raised.
void StreamParser::NewExpat(bool replay) {
  live_.reset();  // the old parser goes first, so that two never coexist
  live_ = std::make_unique<Live>();
  Live& l = *live_;
  l.memory.cap = ExpatCap();
  {
    ScopedExpatMemory scope(&l.memory);
    l.parser = XML_ParserCreate_MM("UTF-8", &kCountedMemorySuite, &kSeparator);
  }
  PARLEY_CHECK(l.parser != nullptr);
  XML_SetHashSalt(l.parser, NextHashSalt());
  XML_SetUserData(l.parser, this);
  SetExpatCallbacks(l.parser);
#ifdef PARLEY_HAVE_REPARSE_DEFERRAL
  // expat 2.6 (and Debian's 2.5 backport) holds back a token that completes a buffer until more
  // bytes arrive; a stanza must be delivered when its last byte does.
  XML_SetReparseDeferralEnabled(l.parser, XML_FALSE);
#endif
  if (!replay) return;
  replaying_ = true;
  in_parse_ = true;
  XML_Status status;
  {
    ScopedExpatMemory scope(&l.memory);
    status = XML_Parse(l.parser, resume_header_.data(), static_cast<int>(resume_header_.size()),
                       XML_FALSE);
  }
  in_parse_ = false;
  replaying_ = false;
  PARLEY_CHECK(status == XML_STATUS_OK && l.root_seen);
  l.fed = l.boundary = l.content_end = resume_header_.size();
}

// Back to waiting for a stream header. The expat parser is created when its first byte arrives.
void StreamParser::Restart() {
  live_.reset();
  state_ = State::kHeader;
  resume_header_ = std::string();
}

void StreamParser::Reset() {
  if (in_parse_) {  // inside a callback: finish in Feed(), after XML_Parse returns
    live_->reset_requested = true;
    if (!live_->stopped) XML_StopParser(live_->parser, XML_FALSE);
    live_->stopped = true;
    return;
  }
  Restart();
}

// Room for a partial token of a maximal stanza in expat's buffer (which doubles), plus copies of
// its attribute values and names; anything beyond that is refused (XML_ERROR_NO_MEMORY).
std::size_t StreamParser::ExpatCap() const {
  return 4 * (limits_.max_stanza_bytes + limits_.max_header_bytes) + 64 * 1024;
}

void StreamParser::ReleaseIfIdle() {
  if (in_parse_ || live_ == nullptr) return;
  if (state_ == State::kOpen && MidStanza()) return;
  if (state_ == State::kHeader && live_->fed > 0) return;  // a header is partly received
  if (state_ == State::kOpen) return Recycle();
  live_.reset();
}

// Released parsers of open streams, most recently released last. Per thread, so per shard: a
// connection's parser is only ever touched by its own shard.
std::vector<std::unique_ptr<StreamParser::Live>>& StreamParser::Pool() {
  thread_local std::vector<std::unique_ptr<Live>> pool;
  return pool;
}

// A busy shard would otherwise rebuild an expat parser on nearly every read (a few microseconds).
// Between stanzas an expat parser is in the state of one that has just parsed the stream tag with
// the same namespace declarations, whichever connection it served (the stanzas' own declarations
// went out of scope with them), so the next connection with that stream context may continue
// with it. A few are kept per thread, and none that grew.
void StreamParser::Recycle() {
  std::unique_ptr<Live> l = std::move(live_);
  if (l->memory.bytes > kPoolAtMostBytes) return;
  XML_SetUserData(l->parser, nullptr);
  l->context = resume_header_;
  auto& pool = Pool();
  if (pool.size() == kPooledParsers) pool.erase(pool.begin());
  pool.push_back(std::move(l));
}

bool StreamParser::Reuse() {
  auto& pool = Pool();
  for (std::size_t i = pool.size(); i-- > 0;) {
    Live& l = *pool[i];
    if (l.context != resume_header_ || l.memory.cap != ExpatCap()) continue;
    live_ = std::move(pool[i]);
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(i));
    XML_SetUserData(live_->parser, this);
    return true;
  }
  return false;
}

void StreamParser::Fail(StreamCondition condition, std::string text) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  if (in_parse_ && !live_->stopped) XML_StopParser(live_->parser, XML_FALSE);
  live_->stopped = true;
  handler_.OnError(ParseError{condition, std::move(text)});
}

void StreamParser::FailFromExpat() {
  XML_Error code = XML_GetErrorCode(live_->parser);
  std::string text = XML_ErrorString(code);
  StreamCondition condition = StreamCondition::kNotWellFormed;
  switch (code) {
    case XML_ERROR_NO_MEMORY:
      condition = live_->memory.exceeded ? StreamCondition::kPolicyViolation
                                         : StreamCondition::kResourceConstraint;
      break;
    case XML_ERROR_UNKNOWN_ENCODING:
    case XML_ERROR_INCORRECT_ENCODING:
      condition = StreamCondition::kUnsupportedEncoding;  // RFC 6120 §11.6
      break;
    // An unbound prefix is not namespace-well-formed: §4.9.3.13 names that <not-well-formed/>
    // (bad-namespace-prefix, §4.9.3.2, is for a bound prefix we do not support).
    default:  // RFC 6120 §4.9.3.13: everything else is a well-formedness error
      break;
  }
  Fail(condition, std::move(text));
}

std::size_t StreamParser::EventEnd() const {
  return static_cast<std::size_t>(XML_GetCurrentByteIndex(live_->parser) +
                                  XML_GetCurrentByteCount(live_->parser));
}

void StreamParser::FlushText() {
  Live& l = *live_;
  if (l.text.empty()) return;
  ++l.nodes;
  l.open.back()->AddText(std::move(l.text));
  l.text = std::string();
}

bool StreamParser::Feed(std::string_view bytes) {
  PARLEY_DCHECK(!in_parse_);
  if (state_ == State::kFailed) return false;
  if (state_ == State::kClosed) return true;
  if (live_ == nullptr) {
    // RFC 6120 §4.6.1: a whitespace keepalive between stanzas changes nothing; skip the rebuild.
    bool keepalive = state_ == State::kOpen && bytes.find_first_not_of(kXmlSpaces) == bytes.npos;
    if (keepalive || bytes.empty()) return true;
    if (state_ != State::kOpen || !Reuse()) NewExpat(state_ == State::kOpen);
  }
  // RFC 6120 §11.6: UTF-8 only; a UTF-16 or UTF-32 stream starts with a BOM or a NUL byte.
  for (std::size_t i = 0; live_->fed + i < 2 && i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    if (b == 0x00 || (live_->fed + i == 0 && (b == 0xFE || b == 0xFF))) {
      Fail(StreamCondition::kUnsupportedEncoding, "only UTF-8 (RFC 6120 §11.6)");
      return false;
    }
  }
  while (!bytes.empty()) {
    Live& l = *live_;
    std::string_view slice = bytes.substr(0, kSliceBytes);
    bytes.remove_prefix(slice.size());
    std::size_t last = slice.find_last_not_of(kXmlSpaces);
    if (last != std::string_view::npos) l.content_end = l.fed + last + 1;
    l.fed += slice.size();
    in_parse_ = true;
    XML_Status status;
    {
      ScopedExpatMemory scope(&l.memory);
      status = XML_Parse(l.parser, slice.data(), static_cast<int>(slice.size()), XML_FALSE);
    }
    in_parse_ = false;
    if (exception_) {
      state_ = State::kFailed;
      std::rethrow_exception(std::exchange(exception_, nullptr));
    }
    if (l.reset_requested) {
      bool ok = state_ != State::kFailed;
      Restart();
      return ok;
    }
    if (state_ == State::kFailed) return false;
    if (state_ == State::kClosed) return true;
    if (status != XML_STATUS_OK) {
      FailFromExpat();
      return false;
    }
    if (!CheckLimitsAfterSlice()) return false;
  }
  MaybeCompact();
  return true;
}

bool StreamParser::CheckLimitsAfterSlice() {
  if (state_ == State::kHeader) {
    if (live_->fed <= limits_.max_header_bytes) return true;
    Fail(StreamCondition::kPolicyViolation, "stream header too large");
    return false;
  }
  if (BufferedBytes() <= limits_.max_stanza_bytes) return true;
  Fail(StreamCondition::kPolicyViolation, "stanza too large");
  return false;
}

// expat never shrinks its buffers, tag stack or pools. When the parser is idle between stanzas and
// expat holds more than kCompactAboveBytes, swap in a fresh expat parser (for a caller that does
// not call ReleaseIfIdle()).
void StreamParser::MaybeCompact() {
  if (state_ != State::kOpen || MidStanza()) return;
  if (live_->memory.bytes <= kCompactAboveBytes) return;
  NewExpat(true);
}

bool StreamParser::MidStanza() const {
  return state_ == State::kOpen && live_ != nullptr &&
         (live_->depth > 0 || live_->content_end > live_->boundary);
}

std::size_t StreamParser::BufferedBytes() const {
  if (live_ == nullptr) return 0;
  const Live& l = *live_;
  return l.depth > 0 ? l.fed - l.stanza_start : l.fed - l.boundary;
}

std::size_t StreamParser::MemoryUsage() const {
  std::size_t bytes = sizeof(*this) + HeapBytes(resume_header_);
  if (live_ == nullptr) return bytes;
  const Live& l = *live_;
  return bytes + sizeof(Live) + l.memory.bytes + HeapBytes(l.text) + HeapBytes(l.context) +
         l.open.capacity() * sizeof(Element*) + l.header_decls.capacity() * sizeof(Attribute);
}

}  // namespace parley::xml
