// The one translation unit that compiles Boost.Asio and Asio's SSL support
// (BOOST_ASIO_SEPARATE_COMPILATION): every other file includes only declarations.

// clang-format off
#include <utility>  // first: g++ 12 needs it before Asio for C++20 coroutine support
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
// clang-format on
