#include "http/web_content.hpp"

#include <algorithm>
#include <cctype>

#include "xml/serializer.hpp"

namespace parley::http {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* kHex = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 15];
          out += kHex[c & 15];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

std::optional<std::string> ResolveStaticPath(std::string_view web_root, std::string_view target) {
  std::size_t cut = target.find_first_of("?#");
  if (cut != std::string_view::npos) target = target.substr(0, cut);
  if (target.empty() || target.front() != '/') return std::nullopt;
  auto path = PercentDecode(target);
  if (!path) return std::nullopt;
  if (path->find('\0') != std::string::npos || path->find('\\') != std::string::npos) {
    return std::nullopt;
  }
  // Reject any "." or ".." segment rather than normalising: nothing we serve needs one.
  std::size_t start = 1;
  while (start <= path->size()) {
    std::size_t end = path->find('/', start);
    if (end == std::string::npos) end = path->size();
    std::string_view segment(path->data() + start, end - start);
    if (segment == "." || segment == "..") return std::nullopt;
    start = end + 1;
  }
  if (path->back() == '/') *path += "index.html";
  std::string out(web_root);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out + *path;
}

std::string_view ContentTypeFor(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  std::size_t slash = path.rfind('/');
  std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string ext(path.substr(dot));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "application/octet-stream";
}

std::optional<std::string> SafeHostHeader(std::string_view host) {
  if (host.empty() || host.size() > 255) return std::nullopt;
  for (char c : host) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
              c == '[' || c == ']';
    if (!ok) return std::nullopt;
  }
  return std::string(host);
}

std::string HostName(std::string_view host_header) {
  std::string_view h = host_header;
  if (!h.empty() && h.front() == '[') {
    std::size_t close = h.find(']');
    h = close == std::string_view::npos ? h.substr(1) : h.substr(1, close - 1);
  } else if (std::size_t colon = h.rfind(':'); colon != std::string_view::npos) {
    h = h.substr(0, colon);
  }
  std::string out(h);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string HostMetaXrd(std::string_view websocket_url) {
  std::string out =
      "<?xml version='1.0' encoding='utf-8'?>\n"
      "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
      "  <Link rel=\"urn:xmpp:alt-connections:websocket\" href=\"";
  xml::AppendEscaped(out, websocket_url);
  out += "\"/>\n</XRD>\n";
  return out;
}

std::string HostMetaJson(std::string_view websocket_url) {
  std::string out = "{\"links\":[{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":";
  AppendJsonString(out, websocket_url);
  out += "}]}\n";
  return out;
}

std::string ClientInfoJson(const ClientInfo& info) {
  std::string out = "{\"domain\":";
  AppendJsonString(out, info.domain);
  out += ",\"muc\":";
  AppendJsonString(out, info.muc);
  out += ",\"websocket\":";
  AppendJsonString(out, info.websocket_path);
  out += ",\"registration\":";
  out += info.registration ? "true" : "false";
  out += "}\n";
  return out;
}

std::vector<std::string> HeaderTokens(std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view token = value.substr(start, end - start);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
      token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (!token.empty()) out.emplace_back(token);
    start = end + 1;
  }
  return out;
}

}  // namespace parley::http
