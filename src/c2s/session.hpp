#pragma once
// C2sSession: one client stream (RFC 6120) from the first byte to the close: stream headers and
// restarts, STARTTLS (TLS is required before authentication, loopback included), SASL, in-band
// registration before login, resource binding, then stanzas to and from the router. Owns its
// Transport (TCP, or WebSocket from src/http) and StreamParser; lives on the shard that accepted
// the connection, from accept until the connection closes (held by the connection's pending
// operations and the router's weak reference). See docs/architecture/tour.md.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "c2s/auth_throttle.hpp"
#include "hosts/host.hpp"
#include "jid/jid.hpp"
#include "net/transport.hpp"
#include "router/local_session.hpp"
#include "sasl/mechanism.hpp"
#include "xml/stream_parser.hpp"

namespace parley::router {
class Router;
}
namespace parley::mod {
class ModuleRegistry;
}
namespace parley::storage {
class BlockingPool;
class UserStore;
}  // namespace parley::storage

namespace parley::c2s {

struct C2sOptions {
  xml::ParserLimits parser;
  std::size_t max_send_queue_bytes = 1 << 20;
  std::chrono::seconds handshake_timeout{30};
  std::chrono::seconds ping_interval{300};
  std::chrono::seconds ping_timeout{60};
  bool strict_downgrade_check = false;
  // false: a TCP client may authenticate with SCRAM without TLS ([c2s] require_encryption). PLAIN
  // and in-band registration, which carry the password itself, still need TLS.
  bool require_encryption = true;
};

// Everything a session needs from the server; outlives every session.
struct C2sContext {
  router::Router& router;
  mod::ModuleRegistry& modules;
  storage::BlockingPool& pool;
  storage::UserStore& users;
  const hosts::HostTable& hosts;
  AuthThrottle& throttle;
  C2sOptions options;
};

class C2sSession final : public net::ConnectionHandler,
                         public router::LocalSession,
                         public xml::StreamHandler,
                         public std::enable_shared_from_this<C2sSession> {
 public:
  C2sSession(C2sContext& ctx, std::shared_ptr<net::Transport> conn, std::size_t shard);
  ~C2sSession() override;
  void Start(bool direct_tls);
  // Keeps an admission token (connection counters) for as long as the session lives.
  void SetAdmission(std::shared_ptr<void> token) { admission_ = std::move(token); }

  // net::ConnectionHandler
  void OnData(std::string_view bytes) override;
  void OnTlsEstablished() override;
  void OnClosed(std::string_view reason) override;
  // xml::StreamHandler
  void OnStreamOpen(xml::StreamHeader header) override;
  void OnStanza(xml::Element stanza) override;
  void OnStreamClose() override;
  void OnError(xml::ParseError error) override;
  // router::LocalSession
  void Deliver(const router::SharedStanza& stanza) override;
  void Kick(stanza::StreamCondition condition, std::string text) override;
  void SetAttachments(router::Attachments attachments) override;

 private:
  enum class State { kConnected, kOpen, kClosing, kClosed };

  void OpenStream(const xml::StreamHeader& header);
  void CloseStream();
  // RFC 7395: <open/> and <close/> arrive as elements of the framing namespace.
  void ProcessFraming(const xml::Element& el);
  std::string HeaderBytes(const hosts::Host* host) const;
  void Process(xml::Element stanza);
  void ProcessBeforeTls(xml::Element& el);
  void ProcessBeforeAuth(xml::Element& el);
  void ProcessBeforeBind(xml::Element& el);
  void ProcessEstablished(xml::Element& el);
  void SendFeatures();
  void Send(std::string bytes);
  void Send(const xml::Element& el);
  // A top-level stanza serialized with jabber:client as the default namespace (router output);
  // WebSocket messages must declare it (RFC 7395 §3.3.3), so it is spliced in there.
  void SendStanzaBytes(const net::SharedBytes& bytes);
  void StreamError(stanza::StreamCondition condition, std::string_view text = {});
  void Restart();
  void SetBusy(bool busy);

  // SASL (RFC 6120 §6)
  void Auth(const xml::Element& el);
  void SaslResponse(const xml::Element& el);
  void SaslStep(sasl::Step step);
  void SaslFailure(sasl::Failure failure, std::string text);
  sasl::MechanismContext MakeMechanismContext();
  bool ChannelBindingAvailable();
  // [c2s] require_encryption = false lets a TCP client authenticate without TLS (SCRAM only).
  bool CleartextAuthAllowed() const;

  // Binding (RFC 6120 §7)
  void Bind(const xml::Element& iq);

  // Liveness: handshake deadline, then XEP-0199 pings when idle.
  void ArmTimer(std::chrono::steady_clock::duration after);
  void OnTimer();

  void Cleanup();

  C2sContext& ctx_;
  std::shared_ptr<net::Transport> conn_;
  std::unique_ptr<xml::StreamParser> parser_;
  boost::asio::steady_timer timer_;
  std::size_t shard_;
  std::uint64_t id_ = 0;
  State state_ = State::kConnected;
  const hosts::Host* host_ = nullptr;
  std::string stream_id_;
  bool header_sent_ = false;
  bool websocket_ = false;       // RFC 7395 framing
  bool wrapper_needed_ = false;  // WebSocket: the parser needs its synthetic stream header
  bool swallow_header_ = false;  // ... whose OnStreamOpen is not the client's
  bool authenticated_ = false;
  bool bound_ = false;
  bool busy_ = false;
  bool cleaned_up_ = false;
  std::vector<xml::Element> deferred_;  // not a deque: an empty std::deque allocates ~600 bytes
  std::unique_ptr<sasl::ServerMechanism> mech_;
  std::string sasl_username_;
  int sasl_failures_ = 0;
  jid::Jid jid_;
  std::string full_jid_;  // jid_.Full() once bound: stamped on every stanza the client sends
  std::string ping_id_;
  std::chrono::steady_clock::time_point last_rx_;
  std::uint64_t ping_counter_ = 0;
  std::shared_ptr<void> admission_;
  router::Attachments attachments_;
};

}  // namespace parley::c2s
