// The one translation unit of parley-bench that compiles Boost.Asio and its SSL support
// (BOOST_ASIO_SEPARATE_COMPILATION), as src/net/asio_impl.cpp does for the server.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
// clang-format on
