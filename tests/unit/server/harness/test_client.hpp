#pragma once
// TestClient: a raw XMPP client over a real loopback socket (POSIX sockets, OpenSSL client), for
// transcript tests. It reads the server's stream with parley's own xml::StreamParser. Blocking, but
// every wait is bounded by kTimeout, so a silent server fails the test instead of hanging it. Used
// by one test thread; the connection lives as long as the object. Movable.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "xml/element.hpp"
#include "xml/stream_parser.hpp"

namespace parley::testing_util {

class TestClient {
 public:
  static constexpr std::chrono::milliseconds kTimeout{5000};

  // Connects to 127.0.0.1:port; with direct_tls the TLS handshake comes first (XEP-0368).
  TestClient(std::uint16_t port, bool direct_tls);
  ~TestClient();
  TestClient(TestClient&&) noexcept;
  TestClient& operator=(TestClient&&) noexcept;

  // Sends a stream header to `domain` and returns the first element after the server's header:
  // the <stream:features/>, or a <stream:error/>.
  xml::Element Open(std::string_view domain);
  const xml::StreamHeader& ServerHeader() const;
  // <starttls/>, <proceed/>, TLS handshake. False (with a test failure) if any step fails. The
  // caller then opens the new stream (RFC 6120 §5.4.3.3).
  bool StartTls();
  // SASL PLAIN with an initial response; returns <success/> or <failure/>. After <success/> the
  // caller opens the new stream.
  xml::Element AuthPlain(std::string_view user, std::string_view password);
  // Resource binding (RFC 6120 §7); an empty resource asks the server to choose one. Returns the
  // iq reply; on success Jid() is the bound full JID.
  xml::Element Bind(std::string_view resource);
  // Open, StartTls, Open, AuthPlain, Open, Bind; false (with a test failure) when a step fails.
  bool Login(std::string_view domain, std::string_view user, std::string_view password,
             std::string_view resource);
  const std::string& Jid() const;

  void Send(std::string_view xml);
  // The next element the server sends, or (with a test failure) a placeholder
  // <timeout xmlns='parley:test'/> or <closed xmlns='parley:test'/>.
  xml::Element Receive();
  // Whether Receive() skips presence stanzas (the default: true).
  void IgnorePresence(bool ignore);
  // Receive(), expecting a stream error; returns its condition ("" if it was something else).
  std::string ReceiveStreamError();
  // Succeeds when the server closes the connection (after at most </stream:stream>) within
  // kTimeout; fails when a stanza arrives instead or nothing happens.
  ::testing::AssertionResult ExpectClosed();
  // Initial presence with a priority (RFC 6121 §4.2), then a message to itself: when that comes
  // back, the account's home shard has recorded the presence, so later routing sees it.
  void Available(int priority);
  // A fresh id for a stanza: "<prefix>-<n>".
  std::string NextId(std::string_view prefix);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::testing_util
