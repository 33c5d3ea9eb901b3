#pragma once
// SendToServer: parleyctl's side of the admin socket. Blocking POSIX I/O on the caller's thread.

#include <chrono>
#include <optional>
#include <string>

#include "admin/admin.hpp"

namespace parley::admin {

// Sends one request to the server listening on `socket_path` and waits for its reply.
//  - nullopt when nothing listens there (no socket file, or connection refused): the caller may
//    then act on the database itself. `*error` says which.
//  - a reply with ok=false when a server was reached but the exchange failed (timeout, malformed
//    reply, connection closed): the command may or may not have run, so do not retry it directly.
//    `*error` holds the same message as the reply's output.
std::optional<AdminReply> SendToServer(const std::string& socket_path, const AdminRequest& req,
                                       std::string* error,
                                       std::chrono::milliseconds timeout = std::chrono::minutes(2));

}  // namespace parley::admin
