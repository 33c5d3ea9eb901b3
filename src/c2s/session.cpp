#include "c2s/session.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "hooks/events.hpp"
#include "jid/stringprep.hpp"
#include "modules/registry.hpp"
#include "router/router.hpp"
#include "sasl/credentials.hpp"
#include "sasl/tls_channel_binding.hpp"
#include "storage/blocking_pool.hpp"
#include "storage/user_store.hpp"
#include "xep/namespaces.hpp"
#include "xep/stanzas.hpp"
#include "xml/serializer.hpp"

namespace parley::c2s {

using stanza::StreamCondition;
namespace ns = xep;

namespace {

constexpr std::size_t kMaxDeferred = 32;
constexpr int kMaxSaslFailuresPerStream = 5;

std::string RandomId(std::size_t bytes) {
  unsigned char raw[32];
  RAND_bytes(raw, static_cast<int>(bytes));
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += kHex[raw[i] >> 4];
    out += kHex[raw[i] & 15];
  }
  return out;
}

bool Is(const xml::Element& el, std::string_view name, std::string_view xmlns) {
  return el.Name() == name && el.Xmlns() == xmlns;
}

// The WebSocket transport carries no stream header of its own (RFC 7395 §3.3.2): the parser is
// given this one, so that every message is parsed as a child of a jabber:client stream with the
// same limits as over TCP. The client's <open/> then arrives as an element.
constexpr std::string_view kWebSocketWrapper =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

// Inserts xmlns='jabber:client' after the element name of a serialized top-level stanza.
std::string WithClientNamespace(std::string_view bytes) {
  std::size_t end = bytes.find_first_of(" />", 1);
  if (end == std::string_view::npos) end = bytes.size();
  std::string out;
  out.reserve(bytes.size() + 24);
  out.append(bytes.substr(0, end));
  out += " xmlns='jabber:client'";
  out.append(bytes.substr(end));
  return out;
}

bool IsStanza(const xml::Element& el) {
  return el.Xmlns() == ns::kNsClient &&
         (el.Name() == "message" || el.Name() == "presence" || el.Name() == "iq");
}

}  // namespace

C2sSession::C2sSession(C2sContext& ctx, std::shared_ptr<net::Transport> conn, std::size_t shard)
    : ctx_(ctx),
      conn_(std::move(conn)),
      timer_(ctx.router.Shards().At(shard).Io()),
      shard_(shard),
      last_rx_(std::chrono::steady_clock::now()) {}

C2sSession::~C2sSession() = default;

void C2sSession::Start(bool direct_tls) {
  id_ = ctx_.router.AddLocalSession(weak_from_this());
  websocket_ = conn_->GetFraming() == net::Framing::kWebSocket;
  wrapper_needed_ = websocket_;
  parser_ = std::make_unique<xml::StreamParser>(*this, ctx_.options.parser);
  ArmTimer(ctx_.options.handshake_timeout);
  conn_->Start(shared_from_this(), direct_tls);
}

// ---------------------------------------------------------------------------------------------
// Bytes in

void C2sSession::OnData(std::string_view bytes) {
  last_rx_ = std::chrono::steady_clock::now();
  ping_id_.clear();  // any traffic proves the peer is alive
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  if (wrapper_needed_) {
    wrapper_needed_ = false;
    swallow_header_ = true;
    parser_->Feed(kWebSocketWrapper);
  }
  parser_->Feed(bytes);
  parser_->ReleaseIfIdle();
}

void C2sSession::OnTlsEstablished() {
  // RFC 6120 §5.4.3.3: the stream restarts over TLS; the client sends a new header.
  parser_->Reset();
  header_sent_ = false;
}

void C2sSession::OnClosed(std::string_view reason) {
  spdlog::debug("c2s {} closed: {}", stream_id_, reason);
  state_ = State::kClosed;
  Cleanup();
}

void C2sSession::OnStreamOpen(xml::StreamHeader header) {
  if (swallow_header_) {
    swallow_header_ = false;  // the WebSocket wrapper, not the client's <open/>
    return;
  }
  OpenStream(header);
}

std::string C2sSession::HeaderBytes(const hosts::Host* host) const {
  std::string open = websocket_ ? "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'"
                                : "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                                  "xmlns:stream='http://etherx.jabber.org/streams'";
  if (!stream_id_.empty()) open += " id='" + stream_id_ + "'";
  if (host) open += " from='" + host->domain + "'";
  open += websocket_ ? " version='1.0' xml:lang='en'/>" : " version='1.0' xml:lang='en'>";
  return open;
}

void C2sSession::ProcessFraming(const xml::Element& el) {
  if (el.Name() == "close") {
    CloseStream();
    return;
  }
  if (el.Name() != "open") {
    StreamError(StreamCondition::kUnsupportedStanzaType);
    return;
  }
  if (header_sent_) {
    StreamError(StreamCondition::kPolicyViolation, "<open/> without a stream restart");
    return;
  }
  // RFC 7395 §3.4: <open/> carries what the stream header carries over TCP.
  xml::StreamHeader header;
  header.name = "open";
  header.ns = std::string(ns::kNsFraming);
  header.default_ns = std::string(ns::kNsClient);
  header.attrs = el.Attrs();
  OpenStream(header);
}

void C2sSession::OpenStream(const xml::StreamHeader& header) {
  // RFC 6120 §4.8 and §4.9.3: check the namespaces, the addressee and the version.
  const std::string* to = header.Attr("to");
  std::optional<std::string> domain = to ? jid::NamePrep(*to) : std::nullopt;
  const hosts::Host* host = domain ? ctx_.hosts.Find(*domain) : nullptr;
  stream_id_ = RandomId(12);
  Send(HeaderBytes(host));
  header_sent_ = true;
  state_ = State::kOpen;
  if (header.default_ns != ns::kNsClient) {
    StreamError(StreamCondition::kInvalidNamespace, "Expected jabber:client");
    return;
  }
  if (!host) {
    StreamError(StreamCondition::kHostUnknown, "This server does not serve that domain");
    return;
  }
  if (host_ && host != host_) {
    StreamError(StreamCondition::kHostUnknown, "Domain changed on restart");
    return;
  }
  const std::string* version = header.Attr("version");
  if (!version || version->empty() || (*version)[0] < '1') {
    StreamError(StreamCondition::kUnsupportedVersion, "XMPP 1.0 required");
    return;
  }
  host_ = host;
  SendFeatures();
}

void C2sSession::SendFeatures() {
  xml::Element features("features", std::string(ns::kNsStream));
  bool secure = conn_->IsSecure();
  if (!secure && !CleartextAuthAllowed()) {
    // RFC 6120 §5.3.1: TLS is mandatory-to-negotiate here; nothing else is offered before it. A
    // WebSocket that is not secure (plain ws:// from elsewhere than loopback or a trusted proxy)
    // gets no feature at all: no mechanism is offered over it.
    if (conn_->CanStartTls()) {
      features.AddChild("starttls", std::string(ns::kNsTls)).AddChild("required");
    }
  } else if (!authenticated_) {
    // RFC 6120 §5.3.1: without a TLS requirement STARTTLS is offered as voluntary.
    if (!secure && conn_->CanStartTls()) features.AddChild("starttls", std::string(ns::kNsTls));
    auto& mechs = features.AddChild("mechanisms", std::string(ns::kNsSasl));
    SSL* ssl = conn_->NativeSsl();
    const std::vector<std::string> bindings =
        ssl ? sasl::AdvertisedBindings(ssl) : std::vector<std::string>{};
    for (const std::string& m : sasl::OfferedMechanisms(secure, !bindings.empty())) {
      mechs.AddChild("mechanism").AddText(m);
    }
    if (!bindings.empty()) {
      // XEP-0440: which channel-binding types this connection supports.
      auto& cbs = features.AddChild("sasl-channel-binding", std::string(ns::kNsSaslCb));
      for (const std::string& type : bindings) {
        cbs.AddChild("channel-binding").SetAttr("type", type);
      }
    }
    if (host_->allow_registration && secure) {
      features.AddChild("register", std::string(ns::kNsRegisterFeature));
    }
  } else {
    features.AddChild("bind", std::string(ns::kNsBind));
    features.AddChild("session", std::string(ns::kNsSession)).AddChild("optional");
    for (const xml::Element& f : ctx_.modules.StreamFeatures()) features.AddChild(f);
  }
  std::string out = websocket_ ? "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
                               : "<stream:features>";
  for (const auto& child : features.Children()) xml::Serialize(child, out, ns::kNsClient);
  out += "</stream:features>";
  Send(std::move(out));
}

void C2sSession::OnStanza(xml::Element stanza) {
  bool framing = websocket_ && stanza.Xmlns() == ns::kNsFraming;
  if (state_ == State::kConnected && websocket_ && !framing) {
    StreamError(StreamCondition::kPolicyViolation, "Expected <open/>");
    return;
  }
  if (state_ != State::kOpen && !framing) return;
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  if (busy_) {
    // An asynchronous step (storage, binding) is in flight: keep order by queueing, within bounds.
    if (deferred_.size() >= kMaxDeferred) {
      StreamError(StreamCondition::kPolicyViolation, "Too many stanzas in flight");
      return;
    }
    deferred_.push_back(std::move(stanza));
    return;
  }
  Process(std::move(stanza));
}

void C2sSession::OnStreamClose() { CloseStream(); }

void C2sSession::CloseStream() {
  // RFC 6120 §4.4 / RFC 7395 §3.6: answer with our own close and end the connection.
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  state_ = State::kClosing;
  Send(websocket_ ? "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>" : "</stream:stream>");
  conn_->Close();
  Cleanup();
}

void C2sSession::OnError(xml::ParseError error) {
  spdlog::info("c2s {} from {}: {} ({})", stream_id_, conn_->PeerAddress(),
               stanza::ToString(error.condition), error.text);
  StreamError(error.condition, error.text);
}

void C2sSession::Process(xml::Element el) {
  if (websocket_ && el.Xmlns() == ns::kNsFraming) {
    ProcessFraming(el);
  } else if (!conn_->IsSecure() && !CleartextAuthAllowed()) {
    ProcessBeforeTls(el);
  } else if (!authenticated_) {
    ProcessBeforeAuth(el);
  } else if (!bound_) {
    ProcessBeforeBind(el);
  } else {
    ProcessEstablished(el);
  }
}

void C2sSession::ProcessBeforeTls(xml::Element& el) {
  if (Is(el, "starttls", ns::kNsTls) && conn_->CanStartTls()) {
    Send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    conn_->StartTls();
    parser_->Reset();  // nothing more may arrive in clear text (RFC 6120 §5.4.3.3)
    return;
  }
  // RFC 6120 §5.3.1 / §6.4.1: TLS and then authentication come first.
  StreamError(IsStanza(el) ? StreamCondition::kNotAuthorized : StreamCondition::kPolicyViolation,
              conn_->CanStartTls() ? "STARTTLS required" : "A secure connection is required");
}

bool C2sSession::CleartextAuthAllowed() const {
  return !ctx_.options.require_encryption && !websocket_;
}

void C2sSession::ProcessBeforeAuth(xml::Element& el) {
  bool secure = conn_->IsSecure();
  if (!secure && !mech_ && Is(el, "starttls", ns::kNsTls)) {
    ProcessBeforeTls(el);  // the voluntary STARTTLS of a server that does not require it
  } else if (Is(el, "auth", ns::kNsSasl)) {
    Auth(el);
  } else if (Is(el, "response", ns::kNsSasl)) {
    SaslResponse(el);
  } else if (Is(el, "abort", ns::kNsSasl)) {
    mech_.reset();
    Send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>");
  } else if (el.Name() == "iq" && el.Xmlns() == ns::kNsClient && !secure) {
    // XEP-0077 §14.1: the password travels in the clear, so registration waits for TLS.
    Send(xep::MakeErrorReply(el,
                             stanza::StanzaError(stanza::StanzaCondition::kNotAllowed,
                                                 "In-band registration needs TLS: use STARTTLS")));
  } else if (el.Name() == "iq" && el.Xmlns() == ns::kNsClient) {
    // XEP-0077: in-band registration is the one thing allowed before authentication.
    auto self = shared_from_this();
    el.RemoveAttr("from");
    bool handled = ctx_.modules.HandlePreAuth(std::move(el), *host_, conn_->PeerAddress(),
                                              [self](xml::Element reply) {
                                                reply.RemoveAttr("to");
                                                self->Send(reply);
                                              });
    if (!handled) StreamError(StreamCondition::kNotAuthorized, "Authenticate first");
  } else if (IsStanza(el)) {
    StreamError(StreamCondition::kNotAuthorized, "Authenticate first");
  } else {
    StreamError(StreamCondition::kUnsupportedStanzaType);
  }
}

void C2sSession::ProcessBeforeBind(xml::Element& el) {
  if (el.Name() == "iq" && el.Xmlns() == ns::kNsClient && el.AttrOr("type") == "set") {
    if (const xml::Element* b = el.Child("bind", ns::kNsBind)) {
      (void)b;
      Bind(el);
      return;
    }
  }
  StreamError(
      IsStanza(el) ? StreamCondition::kNotAuthorized : StreamCondition::kUnsupportedStanzaType,
      "Bind a resource first");
}

void C2sSession::ProcessEstablished(xml::Element& el) {
  if (!IsStanza(el)) {
    StreamError(StreamCondition::kUnsupportedStanzaType);
    return;
  }
  // RFC 6120 §8.1.2.1: the server stamps 'from'; a different one claimed by the client is an error.
  if (const std::string* from = el.Attr("from")) {
    auto claimed = jid::Jid::Parse(*from);
    if (!claimed || !(*claimed == jid_ || *claimed == jid_.Bare())) {
      StreamError(StreamCondition::kInvalidFrom);
      return;
    }
  }
  el.SetAttr("from", full_jid_);
  std::string_view type = el.AttrOr("type");
  if (el.Name() == "iq") {
    if ((type == "result" || type == "error") && !ping_id_.empty() && el.AttrOr("id") == ping_id_) {
      ping_id_.clear();
      return;
    }
    if (type == "set" && el.Child("session", ns::kNsSession) && !el.Attr("to")) {
      // RFC 3921 §3 legacy session establishment: a no-op that old clients still send.
      xml::Element reply = xep::MakeIqResult(el);
      reply.RemoveAttr("to");
      Send(reply);
      return;
    }
    if (type == "set" && el.Child("bind", ns::kNsBind)) {
      // RFC 6120 §7.7.2.1: one resource per stream.
      Send(xep::MakeErrorReply(el, stanza::StanzaError(stanza::StanzaCondition::kNotAllowed)));
      return;
    }
  }
  hooks::ClientStanza event{el, jid_, {shard_, id_}, attachments_};
  if (ctx_.modules.Hooks().Fire(event) == hooks::Flow::kStop) return;
  ctx_.router.Route(std::move(el));
}

// ---------------------------------------------------------------------------------------------
// SASL

bool C2sSession::ChannelBindingAvailable() {
  SSL* ssl = conn_->NativeSsl();
  return ssl && !sasl::AdvertisedBindings(ssl).empty();
}

sasl::MechanismContext C2sSession::MakeMechanismContext() {
  sasl::MechanismContext mc;
  std::weak_ptr<net::Transport> weak = conn_;
  mc.channel_binding = [weak](std::string_view type) -> std::optional<std::string> {
    auto conn = weak.lock();
    SSL* ssl = conn ? conn->NativeSsl() : nullptr;
    if (!ssl) return std::nullopt;
    if (type == "tls-unique") return sasl::TlsUnique(ssl);
    if (type == "tls-exporter") return sasl::TlsExporter(ssl);
    if (type == "tls-server-end-point") return sasl::TlsServerEndPoint(ssl);
    return std::nullopt;
  };
  mc.plus_offered = ChannelBindingAvailable();
  mc.strict_downgrade_check = ctx_.options.strict_downgrade_check;
  return mc;
}

void C2sSession::Auth(const xml::Element& el) {
  if (mech_) {
    SaslFailure(sasl::Failure::kMalformedRequest, "Authentication already in progress");
    return;
  }
  std::string name(el.AttrOr("mechanism"));
  auto offered = sasl::OfferedMechanisms(conn_->IsSecure(), ChannelBindingAvailable());
  if (std::find(offered.begin(), offered.end(), name) == offered.end()) {
    SaslFailure(sasl::Failure::kInvalidMechanism, "");
    return;
  }
  mech_ = sasl::MakeServerMechanism(name, MakeMechanismContext());
  if (!mech_) {
    SaslFailure(sasl::Failure::kInvalidMechanism, "");
    return;
  }
  // RFC 6120 §6.4.2: "=" is an empty initial response; no text at all means none was sent.
  std::string text = el.Text();
  std::string initial;
  if (!text.empty() && text != "=") {
    auto decoded = sasl::Base64Decode(text);
    if (!decoded) {
      SaslFailure(sasl::Failure::kIncorrectEncoding, "");
      return;
    }
    initial = std::move(*decoded);
  }
  SaslStep(mech_->Start(initial));
}

void C2sSession::SaslResponse(const xml::Element& el) {
  if (!mech_) {
    SaslFailure(sasl::Failure::kMalformedRequest, "No authentication in progress");
    return;
  }
  std::string text = el.Text();
  std::string data;
  if (!text.empty() && text != "=") {
    auto decoded = sasl::Base64Decode(text);
    if (!decoded) {
      SaslFailure(sasl::Failure::kIncorrectEncoding, "");
      return;
    }
    data = std::move(*decoded);
  }
  SaslStep(mech_->Respond(data));
}

void C2sSession::SaslStep(sasl::Step step) {
  switch (step.kind) {
    case sasl::Step::Kind::kChallenge: {
      std::string out = "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
      out += sasl::Base64Encode(step.data);
      out += "</challenge>";
      Send(std::move(out));
      return;
    }
    case sasl::Step::Kind::kNeedCredentials: {
      // Storage and (for PLAIN) PBKDF2 run on the blocking pool; the mechanism is handed over and
      // nothing else touches it until the result is posted back here.
      sasl_username_ = step.username;
      SetBusy(true);
      auto self = shared_from_this();
      net::Shard& shard = ctx_.router.Shards().At(shard_);
      std::string domain = host_->domain;
      ctx_.pool.Post([self, &shard, domain, username = step.username] {
        std::optional<sasl::StoredCredentials> creds;
        auto local = jid::NodePrep(username);
        if (local && !local->empty()) creds = self->ctx_.users.GetCredentials(domain, *local);
        sasl::Step next = self->mech_->ProvideCredentials(creds ? &*creds : nullptr);
        shard.Post([self, next = std::move(next)]() mutable {
          if (self->state_ != State::kOpen) return;
          self->SetBusy(false);
          self->SaslStep(std::move(next));
        });
      });
      return;
    }
    case sasl::Step::Kind::kFailure:
      SaslFailure(step.failure, step.text);
      return;
    case sasl::Step::Kind::kSuccess:
      break;
  }
  auto local = jid::NodePrep(step.username);
  std::optional<jid::Jid> jid =
      local ? jid::Jid::FromParts(*local, host_->domain) : std::optional<jid::Jid>();
  if (!jid) {
    SaslFailure(sasl::Failure::kNotAuthorized, "");
    return;
  }
  if (!step.authzid.empty()) {
    auto authz = jid::Jid::Parse(step.authzid);
    if (!authz || !(*authz == *jid)) {
      SaslFailure(sasl::Failure::kInvalidAuthzid, "");
      return;
    }
  }
  spdlog::info("c2s {}: {} authenticated from {} with {} over {}", stream_id_, jid->BareString(),
               conn_->PeerAddress(), mech_->Name(), conn_->SecurityDescription());
  ctx_.throttle.Success(jid->BareString());
  std::string out = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
  if (!step.data.empty()) out += sasl::Base64Encode(step.data);
  out += "</success>";
  Send(std::move(out));
  mech_.reset();
  authenticated_ = true;
  jid_ = std::move(*jid);
  Restart();
}

void C2sSession::SaslFailure(sasl::Failure failure, std::string text) {
  mech_.reset();
  std::string account = sasl_username_.empty() ? "" : sasl_username_ + "@" + host_->domain;
  std::uint32_t recent = 0;
  auto delay = ctx_.throttle.Failure(conn_->PeerAddress(), account, &recent);
  spdlog::warn(
      "c2s {}: authentication failed for '{}' from {}: {} ({} recent failures, answer delayed {} "
      "ms)",
      stream_id_, account, conn_->PeerAddress(), sasl::ToString(failure), recent, delay.count());
  ++sasl_failures_;
  std::string out = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><";
  out += sasl::ToString(failure);
  out += "/>";
  if (!text.empty()) {
    out += "<text xml:lang='en'>";
    xml::AppendEscaped(out, text);
    out += "</text>";
  }
  out += "</failure>";
  bool too_many = sasl_failures_ >= kMaxSaslFailuresPerStream;
  auto finish = [this, out = std::move(out), too_many] {
    if (state_ != State::kOpen) return;
    Send(out);
    if (too_many) StreamError(StreamCondition::kPolicyViolation, "Too many failed attempts");
  };
  if (delay.count() == 0) {
    finish();
    return;
  }
  // Hold the answer back; the stream is busy meanwhile so nothing is processed out of order.
  SetBusy(true);
  auto self = shared_from_this();
  auto t = std::make_shared<boost::asio::steady_timer>(timer_.get_executor(), delay);
  t->async_wait([self, t, finish](const boost::system::error_code&) {
    finish();
    self->SetBusy(false);
  });
}

// ---------------------------------------------------------------------------------------------
// Binding

void C2sSession::Bind(const xml::Element& iq) {
  const xml::Element* bind = iq.Child("bind", ns::kNsBind);
  std::string requested = bind->Child("resource") ? bind->Child("resource")->Text() : "";
  std::optional<std::string> resource;
  if (requested.empty()) {
    resource = "parley-" + RandomId(6);  // RFC 6120 §7.6: server-generated
  } else {
    resource = jid::ResourcePrep(requested);
  }
  std::optional<jid::Jid> full = resource ? jid_.WithResource(*resource) : std::nullopt;
  if (!full) {
    Send(xep::MakeErrorReply(
        iq, stanza::StanzaError(stanza::StanzaCondition::kBadRequest, "Invalid resource")));
    return;
  }
  SetBusy(true);
  auto self = shared_from_this();
  xml::Element reply = xep::MakeIqResult(iq);
  reply.RemoveAttr("from");
  reply.RemoveAttr("to");
  ctx_.router.Bind(
      *full, {shard_, id_},
      [self, full = *full, reply = std::move(reply)](router::BindResult r) mutable {
        if (self->state_ != State::kOpen) {
          self->ctx_.router.Unbind(full, {self->shard_, self->id_});
          return;
        }
        self->SetBusy(false);
        if (!r.ok) {
          self->StreamError(StreamCondition::kInternalServerError);
          return;
        }
        self->jid_ = full;
        self->full_jid_ = full.Full();
        self->bound_ = true;
        self->attachments_ = std::move(r.attachments);
        reply.AddChild("bind", std::string(ns::kNsBind)).AddChild("jid").AddText(full.Full());
        self->Send(reply);
        spdlog::debug("c2s {}: bound {}", self->stream_id_, full.Full());
        self->ArmTimer(self->ctx_.options.ping_interval);
      });
}

// ---------------------------------------------------------------------------------------------
// Output, errors, lifetime

void C2sSession::Deliver(const router::SharedStanza& stanza) {
  if (state_ != State::kOpen || !bound_) return;
  SendStanzaBytes(stanza->bytes);
}

void C2sSession::SetAttachments(router::Attachments attachments) {
  attachments_ = std::move(attachments);
}

void C2sSession::Kick(StreamCondition condition, std::string text) {
  if (state_ != State::kOpen && state_ != State::kConnected) return;
  spdlog::info("c2s {}: {} ended: {}", stream_id_, jid_.Full(), stanza::ToString(condition));
  StreamError(condition, text);
}

void C2sSession::Send(std::string bytes) { conn_->Send(std::move(bytes)); }

void C2sSession::Send(const xml::Element& el) {
  std::string out;
  xml::Serialize(el, out, websocket_ ? std::string_view() : ns::kNsClient);
  conn_->Send(std::move(out));
}

void C2sSession::SendStanzaBytes(const net::SharedBytes& bytes) {
  if (websocket_) {
    conn_->Send(WithClientNamespace(*bytes));
  } else {
    conn_->Send(bytes);
  }
}

void C2sSession::StreamError(StreamCondition condition, std::string_view text) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  if (!header_sent_) {
    // RFC 6120 §4.9.1.2: an error before our header still opens the stream first.
    Send(HeaderBytes(nullptr));
    header_sent_ = true;
  }
  if (websocket_) {
    // RFC 7395 §3.6.1: the error, then <close/>.
    Send(xep::StandaloneStreamErrorBytes(condition, text));
    Send("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  } else {
    Send(xep::StreamErrorBytes(condition, text));
  }
  state_ = State::kClosing;
  conn_->Close();
  Cleanup();
}

void C2sSession::Restart() {
  // RFC 6120 §6.4.6: after <success/> both sides start a new stream over the same connection.
  parser_->Reset();
  header_sent_ = false;
  wrapper_needed_ = websocket_;
}

void C2sSession::SetBusy(bool busy) {
  busy_ = busy;
  while (!busy_ && !deferred_.empty() && state_ == State::kOpen) {
    xml::Element next = std::move(deferred_.front());
    deferred_.erase(deferred_.begin());
    Process(std::move(next));
  }
}

void C2sSession::ArmTimer(std::chrono::steady_clock::duration after) {
  timer_.expires_after(after);
  std::weak_ptr<C2sSession> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->OnTimer();
  });
}

void C2sSession::OnTimer() {
  if (state_ != State::kOpen && state_ != State::kConnected) return;
  if (!bound_) {
    spdlog::info("c2s {} from {}: no session established in time", stream_id_,
                 conn_->PeerAddress());
    StreamError(StreamCondition::kConnectionTimeout, "Handshake took too long");
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (!ping_id_.empty()) {
    // XEP-0199 §4.2: no answer (and no other traffic) since our ping: the connection is dead.
    spdlog::info("c2s {}: {} did not answer a ping, closing", stream_id_, jid_.Full());
    StreamError(StreamCondition::kConnectionTimeout, "No answer to ping");
    return;
  }
  auto idle = now - last_rx_;
  if (idle < ctx_.options.ping_interval) {
    ArmTimer(ctx_.options.ping_interval - idle);
    return;
  }
  ping_id_ = "ping-" + std::to_string(++ping_counter_);
  SendStanzaBytes(std::make_shared<const std::string>(
      "<iq type='get' id='" + ping_id_ + "' from='" + host_->domain + "' to='" + jid_.Full() +
      "'><ping xmlns='urn:xmpp:ping'/></iq>"));
  ArmTimer(ctx_.options.ping_timeout);
}

void C2sSession::Cleanup() {
  if (cleaned_up_) return;
  cleaned_up_ = true;
  timer_.cancel();
  deferred_ = {};
  if (bound_) {
    ctx_.router.Unbind(jid_, {shard_, id_});
    bound_ = false;
    hooks::SessionClosed closed{jid_};
    ctx_.modules.Hooks().Fire(closed);
  }
  ctx_.router.RemoveLocalSession(id_);
}

}  // namespace parley::c2s
