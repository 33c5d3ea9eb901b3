#include "stanza/error.hpp"

namespace parley::stanza {

std::string_view ToString(StreamCondition c) {
  switch (c) {
    case StreamCondition::kBadFormat:
      return "bad-format";
    case StreamCondition::kBadNamespacePrefix:
      return "bad-namespace-prefix";
    case StreamCondition::kConflict:
      return "conflict";
    case StreamCondition::kConnectionTimeout:
      return "connection-timeout";
    case StreamCondition::kHostGone:
      return "host-gone";
    case StreamCondition::kHostUnknown:
      return "host-unknown";
    case StreamCondition::kImproperAddressing:
      return "improper-addressing";
    case StreamCondition::kInternalServerError:
      return "internal-server-error";
    case StreamCondition::kInvalidFrom:
      return "invalid-from";
    case StreamCondition::kInvalidNamespace:
      return "invalid-namespace";
    case StreamCondition::kInvalidXml:
      return "invalid-xml";
    case StreamCondition::kNotAuthorized:
      return "not-authorized";
    case StreamCondition::kNotWellFormed:
      return "not-well-formed";
    case StreamCondition::kPolicyViolation:
      return "policy-violation";
    case StreamCondition::kRemoteConnectionFailed:
      return "remote-connection-failed";
    case StreamCondition::kReset:
      return "reset";
    case StreamCondition::kResourceConstraint:
      return "resource-constraint";
    case StreamCondition::kRestrictedXml:
      return "restricted-xml";
    case StreamCondition::kSeeOtherHost:
      return "see-other-host";
    case StreamCondition::kSystemShutdown:
      return "system-shutdown";
    case StreamCondition::kUndefinedCondition:
      return "undefined-condition";
    case StreamCondition::kUnsupportedEncoding:
      return "unsupported-encoding";
    case StreamCondition::kUnsupportedFeature:
      return "unsupported-feature";
    case StreamCondition::kUnsupportedStanzaType:
      return "unsupported-stanza-type";
    case StreamCondition::kUnsupportedVersion:
      return "unsupported-version";
  }
  return "undefined-condition";
}

std::string_view ToString(StanzaCondition c) {
  switch (c) {
    case StanzaCondition::kBadRequest:
      return "bad-request";
    case StanzaCondition::kConflict:
      return "conflict";
    case StanzaCondition::kFeatureNotImplemented:
      return "feature-not-implemented";
    case StanzaCondition::kForbidden:
      return "forbidden";
    case StanzaCondition::kGone:
      return "gone";
    case StanzaCondition::kInternalServerError:
      return "internal-server-error";
    case StanzaCondition::kItemNotFound:
      return "item-not-found";
    case StanzaCondition::kJidMalformed:
      return "jid-malformed";
    case StanzaCondition::kNotAcceptable:
      return "not-acceptable";
    case StanzaCondition::kNotAllowed:
      return "not-allowed";
    case StanzaCondition::kNotAuthorized:
      return "not-authorized";
    case StanzaCondition::kPolicyViolation:
      return "policy-violation";
    case StanzaCondition::kRecipientUnavailable:
      return "recipient-unavailable";
    case StanzaCondition::kRedirect:
      return "redirect";
    case StanzaCondition::kRegistrationRequired:
      return "registration-required";
    case StanzaCondition::kRemoteServerNotFound:
      return "remote-server-not-found";
    case StanzaCondition::kRemoteServerTimeout:
      return "remote-server-timeout";
    case StanzaCondition::kResourceConstraint:
      return "resource-constraint";
    case StanzaCondition::kServiceUnavailable:
      return "service-unavailable";
    case StanzaCondition::kSubscriptionRequired:
      return "subscription-required";
    case StanzaCondition::kUndefinedCondition:
      return "undefined-condition";
    case StanzaCondition::kUnexpectedRequest:
      return "unexpected-request";
  }
  return "undefined-condition";
}

std::string_view ToString(ErrorType t) {
  switch (t) {
    case ErrorType::kAuth:
      return "auth";
    case ErrorType::kCancel:
      return "cancel";
    case ErrorType::kContinue:
      return "continue";
    case ErrorType::kModify:
      return "modify";
    case ErrorType::kWait:
      return "wait";
  }
  return "cancel";
}

ErrorType DefaultType(StanzaCondition c) {
  switch (c) {
    case StanzaCondition::kBadRequest:
    case StanzaCondition::kJidMalformed:
    case StanzaCondition::kNotAcceptable:
    case StanzaCondition::kPolicyViolation:
    case StanzaCondition::kRedirect:
      return ErrorType::kModify;
    case StanzaCondition::kForbidden:
    case StanzaCondition::kNotAuthorized:
    case StanzaCondition::kRegistrationRequired:
    case StanzaCondition::kSubscriptionRequired:
      return ErrorType::kAuth;
    case StanzaCondition::kInternalServerError:
    case StanzaCondition::kRecipientUnavailable:
    case StanzaCondition::kRemoteServerTimeout:
    case StanzaCondition::kResourceConstraint:
    case StanzaCondition::kUnexpectedRequest:
      return ErrorType::kWait;
    default:
      return ErrorType::kCancel;
  }
}

}  // namespace parley::stanza
