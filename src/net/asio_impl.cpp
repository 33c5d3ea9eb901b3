// The one translation unit that compiles Boost.Asio and Asio's SSL support
// (BOOST_ASIO_SEPARATE_COMPILATION): every other file includes only declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <utility>
