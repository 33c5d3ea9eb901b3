#pragma once
// What the HTTP listener answers that is not a WebSocket: static files of the web client, and the
// discovery documents (XEP-0156 host-meta, and /parley-client.json for our own client). Pure
// functions of their inputs, so they are tested without sockets.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::http {

// The request target's path mapped to a file below web_root: the query and fragment are dropped,
// %XX sequences decoded, "/" and directories mean index.html. nullopt for anything that could
// leave web_root or is not a plain path ("..", NUL, backslash, a bad escape, not starting with
// '/').
std::optional<std::string> ResolveStaticPath(std::string_view web_root, std::string_view target);

// Media type by file extension ("application/octet-stream" when unknown).
std::string_view ContentTypeFor(std::string_view path);

// The Host header's value when it is a plausible host[:port] (letters, digits, '.', '-', ':', '[',
// ']'); nullopt otherwise, so that it can be echoed into URLs.
std::optional<std::string> SafeHostHeader(std::string_view host);

// The host part of a Host header value, lower-cased, without port or IPv6 brackets.
std::string HostName(std::string_view host_header);

// XEP-0156 §3: the XRD and JSON documents naming the WebSocket endpoint.
std::string HostMetaXrd(std::string_view websocket_url);
std::string HostMetaJson(std::string_view websocket_url);

// What our browser client needs to know about the domain it talks to.
struct ClientInfo {
  std::string domain;
  std::string muc;  // the MUC service, "" when there is none
  std::string websocket_path;
  bool registration = false;
};
std::string ClientInfoJson(const ClientInfo& info);

// Splits a comma-separated header value (e.g. Sec-WebSocket-Protocol) into trimmed tokens.
std::vector<std::string> HeaderTokens(std::string_view value);

}  // namespace parley::http
