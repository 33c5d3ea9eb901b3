#include "net/acceptor.hpp"

namespace parley::net {

bool OpenAcceptor(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address,
                  uint16_t port, std::string* error) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(address, ec);
  if (ec) {
    *error = "bad address " + address;
    return false;
  }
  boost::asio::ip::tcp::endpoint ep(addr, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace parley::net
