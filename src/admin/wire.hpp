#pragma once
// The admin socket's wire format (docs/admin.md): one frame each way, a frame being a netstring
// whose payload is a sequence of netstrings.
//
//   request: frame( ns("parley-admin/1") ns(input) ns(arg0) ns(arg1) ... )
//   reply:   frame( ns("parley-admin/1") ns("ok" | "error" | "usage") ns(output) )
//   ns(s) = <decimal length of s> ":" s ","    (no leading zeros, no sign)
//
// Pure functions, no I/O; any thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "admin/admin.hpp"

namespace parley::admin::wire {

inline constexpr std::string_view kVersion = "parley-admin/1";
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;  // Request payload.
inline constexpr std::size_t kMaxReplyBytes = 16 * 1024 * 1024;

std::string EncodeNetstring(std::string_view s);

enum class FrameStatus { kNeedMore, kComplete, kInvalid };

// Looks for one complete frame at the start of `buffer`. kComplete: `*payload` views it inside
// `buffer` and `*consumed` is the frame's size. kInvalid: malformed, or the payload would exceed
// `max_payload` (known as soon as its length prefix arrives, so a reader never buffers more than
// max_payload plus a few bytes).
FrameStatus ParseFrame(std::string_view buffer, std::size_t max_payload, std::string_view* payload,
                       std::size_t* consumed);

std::string EncodeRequest(const AdminRequest& request);
std::optional<AdminRequest> DecodeRequest(std::string_view payload);  // nullopt: malformed.

std::string EncodeReply(const AdminReply& reply);
std::optional<AdminReply> DecodeReply(std::string_view payload);  // nullopt: malformed.

}  // namespace parley::admin::wire
