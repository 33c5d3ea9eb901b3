#pragma once
// Opening a listening socket, shared by every listener (c2s, HTTP).

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>

namespace parley::net {

// Opens, binds (SO_REUSEADDR) and listens on address:port. False with *error set on failure.
bool OpenAcceptor(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address,
                  uint16_t port, std::string* error);

}  // namespace parley::net
