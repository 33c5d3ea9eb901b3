#pragma once
// Transport: what a stream session needs from the thing that carries its bytes. Two kinds exist:
// Connection (a TCP socket carrying an RFC 6120 stream, TLS by STARTTLS or from the start) and the
// WebSocket transport of src/http (RFC 7395: one XML element per text message). A session asks its
// transport for the framing it speaks and writes stream headers, closes and stanzas accordingly;
// everything else (SASL, binding, routing, limits) is the same. Runs only on its shard's thread.

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace parley::net {

using SharedBytes = std::shared_ptr<const std::string>;

// Callbacks into the owner (a session). Run on the transport's shard.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Bytes of the stream (TCP), or one complete WebSocket message.
  virtual void OnData(std::string_view bytes) = 0;
  virtual void OnTlsEstablished() = 0;
  // The connection is gone (peer closed, error, or Close() finished). Called once.
  virtual void OnClosed(std::string_view reason) = 0;
};

enum class Framing {
  kStream,     // RFC 6120: <stream:stream> ... </stream:stream> over one byte stream
  kWebSocket,  // RFC 7395: <open/>, <close/> and one namespaced element per message
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Starts reading; with direct_tls (TCP only), performs the TLS handshake first.
  virtual void Start(std::shared_ptr<ConnectionHandler> handler, bool direct_tls) = 0;
  // Queues bytes (for WebSocket: one whole message). Returns false (and closes) when the send
  // queue limit is exceeded.
  virtual bool Send(SharedBytes bytes) = 0;
  bool Send(std::string bytes) {
    return Send(std::make_shared<const std::string>(std::move(bytes)));
  }
  // Whether STARTTLS can be offered, and starting it (TCP only; see Connection::StartTls).
  virtual bool CanStartTls() const = 0;
  virtual void StartTls() = 0;
  // Flushes what is queued, then ends the connection. Idempotent.
  virtual void Close() = 0;
  // Ends the connection now, dropping queued bytes.
  virtual void Abort(std::string_view reason) = 0;

  virtual Framing GetFraming() const = 0;
  // Confidential and integrity-protected: TLS here, or (WebSocket) HTTPS, loopback, or a trusted
  // TLS-terminating proxy. Authentication is offered only on secure transports.
  virtual bool IsSecure() const = 0;
  virtual bool IsClosing() const = 0;
  // The TLS connection whose channel bindings SASL may use, or nullptr.
  virtual SSL* NativeSsl() = 0;
  virtual const std::string& PeerAddress() const = 0;
  // For logs: "TLSv1.3", "WebSocket over loopback", ...
  virtual std::string SecurityDescription() = 0;
  virtual std::size_t QueuedBytes() const = 0;
};

}  // namespace parley::net
