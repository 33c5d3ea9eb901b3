#include "admin/wire.hpp"

#include <vector>

namespace parley::admin::wire {
namespace {

// Digits enough for any length we accept; more is malformed.
constexpr std::size_t kMaxLengthDigits = 9;

// Like ParseFrame, for one netstring; `*value` views the content.
FrameStatus ParseNetstring(std::string_view in, std::size_t max, std::string_view* value,
                           std::size_t* consumed) {
  std::size_t length = 0;
  std::size_t i = 0;
  for (; i < in.size() && in[i] != ':'; ++i) {
    char c = in[i];
    if (c < '0' || c > '9' || i >= kMaxLengthDigits || (i == 1 && in[0] == '0')) {
      return FrameStatus::kInvalid;
    }
    length = length * 10 + static_cast<std::size_t>(c - '0');
    if (length > max) return FrameStatus::kInvalid;
  }
  if (i == in.size()) return FrameStatus::kNeedMore;
  if (i == 0) return FrameStatus::kInvalid;  // ":" with no digits.
  std::size_t start = i + 1;
  if (in.size() < start + length + 1) return FrameStatus::kNeedMore;
  if (in[start + length] != ',') return FrameStatus::kInvalid;
  *value = in.substr(start, length);
  *consumed = start + length + 1;
  return FrameStatus::kComplete;
}

// Splits a payload into its fields; nullopt if it is not a sequence of whole netstrings or does
// not start with kVersion.
std::optional<std::vector<std::string_view>> SplitFields(std::string_view payload) {
  std::vector<std::string_view> fields;
  while (!payload.empty()) {
    std::string_view field;
    std::size_t used = 0;
    if (ParseNetstring(payload, payload.size(), &field, &used) != FrameStatus::kComplete) {
      return std::nullopt;
    }
    fields.push_back(field);
    payload.remove_prefix(used);
  }
  if (fields.empty() || fields[0] != kVersion) return std::nullopt;
  return fields;
}

}  // namespace

std::string EncodeNetstring(std::string_view s) {
  std::string out = std::to_string(s.size());
  out += ':';
  out += s;
  out += ',';
  return out;
}

FrameStatus ParseFrame(std::string_view buffer, std::size_t max_payload, std::string_view* payload,
                       std::size_t* consumed) {
  return ParseNetstring(buffer, max_payload, payload, consumed);
}

std::string EncodeRequest(const AdminRequest& request) {
  std::string payload = EncodeNetstring(kVersion) + EncodeNetstring(request.input);
  for (const std::string& arg : request.args) payload += EncodeNetstring(arg);
  std::string frame = EncodeNetstring(payload);
  WipeSecret(payload);
  return frame;
}

std::optional<AdminRequest> DecodeRequest(std::string_view payload) {
  std::optional<std::vector<std::string_view>> fields = SplitFields(payload);
  if (!fields || fields->size() < 2) return std::nullopt;
  AdminRequest request;
  request.input = (*fields)[1];
  for (std::size_t i = 2; i < fields->size(); ++i) request.args.emplace_back((*fields)[i]);
  return request;
}

std::string EncodeReply(const AdminReply& reply) {
  std::string_view status = reply.ok ? "ok" : (reply.usage_error ? "usage" : "error");
  return EncodeNetstring(EncodeNetstring(kVersion) + EncodeNetstring(status) +
                         EncodeNetstring(reply.output));
}

std::optional<AdminReply> DecodeReply(std::string_view payload) {
  std::optional<std::vector<std::string_view>> fields = SplitFields(payload);
  if (!fields || fields->size() != 3) return std::nullopt;
  AdminReply reply;
  std::string_view status = (*fields)[1];
  if (status == "ok") {
    reply.ok = true;
  } else if (status == "usage") {
    reply.usage_error = true;
  } else if (status != "error") {
    return std::nullopt;
  }
  reply.output = (*fields)[2];
  return reply;
}

}  // namespace parley::admin::wire
