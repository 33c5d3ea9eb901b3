#pragma once
// Stream and stanza error conditions of RFC 6120 §4.9.3 and §8.3.3, as values.
// Protocol failures travel as these values (Result<T>), never as exceptions.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace parley::stanza {

inline constexpr std::string_view kNsStreams = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kNsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";

// RFC 6120 §4.9.3.
enum class StreamCondition {
  kBadFormat,
  kBadNamespacePrefix,
  kConflict,
  kConnectionTimeout,
  kHostGone,
  kHostUnknown,
  kImproperAddressing,
  kInternalServerError,
  kInvalidFrom,
  kInvalidNamespace,
  kInvalidXml,
  kNotAuthorized,
  kNotWellFormed,
  kPolicyViolation,
  kRemoteConnectionFailed,
  kReset,
  kResourceConstraint,
  kRestrictedXml,
  kSeeOtherHost,
  kSystemShutdown,
  kUndefinedCondition,
  kUnsupportedEncoding,
  kUnsupportedFeature,
  kUnsupportedStanzaType,
  kUnsupportedVersion,
};

// RFC 6120 §8.3.3.
enum class StanzaCondition {
  kBadRequest,
  kConflict,
  kFeatureNotImplemented,
  kForbidden,
  kGone,
  kInternalServerError,
  kItemNotFound,
  kJidMalformed,
  kNotAcceptable,
  kNotAllowed,
  kNotAuthorized,
  kPolicyViolation,
  kRecipientUnavailable,
  kRedirect,
  kRegistrationRequired,
  kRemoteServerNotFound,
  kRemoteServerTimeout,
  kResourceConstraint,
  kServiceUnavailable,
  kSubscriptionRequired,
  kUndefinedCondition,
  kUnexpectedRequest,
};

// RFC 6120 §8.3.2.
enum class ErrorType { kAuth, kCancel, kContinue, kModify, kWait };

std::string_view ToString(StreamCondition c);
std::string_view ToString(StanzaCondition c);
std::string_view ToString(ErrorType t);
// The type RFC 6120 §8.3.3 recommends for a condition.
ErrorType DefaultType(StanzaCondition c);

struct StreamError {
  StreamCondition condition;
  std::string text;
};

struct StanzaError {
  StanzaCondition condition;
  ErrorType type;
  std::string text;

  StanzaError(StanzaCondition c, std::string t = {})
      : condition(c), type(DefaultType(c)), text(std::move(t)) {}
  StanzaError(StanzaCondition c, ErrorType ty, std::string t = {})
      : condition(c), type(ty), text(std::move(t)) {}
};

// A value or the stanza error that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(StanzaError error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const StanzaError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, StanzaError> v_;
};

}  // namespace parley::stanza
