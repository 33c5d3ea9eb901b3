#include <gtest/gtest.h>

#include <string>

#include "admin/wire.hpp"

namespace parley::admin::wire {
namespace {

TEST(AdminWireTest, NetstringsAreLengthPrefixed) {
  EXPECT_EQ(EncodeNetstring(""), "0:,");
  EXPECT_EQ(EncodeNetstring("a,b:c"), "5:a,b:c,");
}

TEST(AdminWireTest, RequestMatchesTheDocumentedExample) {
  // docs/admin.md shows this frame; other clients are written against it.
  EXPECT_EQ(EncodeRequest({{"user", "list"}, ""}), "35:14:parley-admin/1,0:,4:user,4:list,,");
  EXPECT_EQ(EncodeReply({true, "a@b\n"}), "30:14:parley-admin/1,2:ok,4:a@b\n,,");
}

TEST(AdminWireTest, RequestRoundTripsArbitraryBytes) {
  AdminRequest request{{"user", "add", std::string("a\0,:b", 5)}, "pass,word:1\n"};
  std::string frame = EncodeRequest(request);
  std::string_view payload;
  std::size_t consumed = 0;
  ASSERT_EQ(ParseFrame(frame, kMaxRequestBytes, &payload, &consumed), FrameStatus::kComplete);
  EXPECT_EQ(consumed, frame.size());
  std::optional<AdminRequest> decoded = DecodeRequest(payload);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->args, request.args);
  EXPECT_EQ(decoded->input, request.input);
}

TEST(AdminWireTest, ReplyRoundTripsEachStatus) {
  for (AdminReply reply : {AdminReply{true, "fine\n"}, AdminReply{false, "no\n"},
                           AdminReply{false, "usage: x\n", true}}) {
    std::string frame = EncodeReply(reply);
    std::string_view payload;
    std::size_t consumed = 0;
    ASSERT_EQ(ParseFrame(frame, kMaxReplyBytes, &payload, &consumed), FrameStatus::kComplete);
    std::optional<AdminReply> decoded = DecodeReply(payload);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->ok, reply.ok);
    EXPECT_EQ(decoded->usage_error, reply.usage_error);
    EXPECT_EQ(decoded->output, reply.output);
  }
}

TEST(AdminWireTest, EveryPrefixOfAFrameNeedsMore) {
  std::string frame = EncodeRequest({{"user", "list"}, ""});
  std::string_view payload;
  std::size_t consumed = 0;
  for (std::size_t i = 0; i < frame.size(); ++i) {
    EXPECT_EQ(ParseFrame(frame.substr(0, i), kMaxRequestBytes, &payload, &consumed),
              FrameStatus::kNeedMore)
        << i;
  }
}

TEST(AdminWireTest, OversizedFrameIsRejectedFromItsPrefix) {
  std::string_view payload;
  std::size_t consumed = 0;
  EXPECT_EQ(ParseFrame("65537:", kMaxRequestBytes, &payload, &consumed), FrameStatus::kInvalid);
  EXPECT_EQ(ParseFrame("9999999999", kMaxRequestBytes, &payload, &consumed), FrameStatus::kInvalid);
  EXPECT_EQ(ParseFrame("65536:", kMaxRequestBytes, &payload, &consumed), FrameStatus::kNeedMore);
}

TEST(AdminWireTest, MalformedFramesAreRejected) {
  std::string_view payload;
  std::size_t consumed = 0;
  for (const char* bad : {":", "x:", "-1:", "01:a,", "1:ab", "3:abc;"}) {
    EXPECT_EQ(ParseFrame(bad, kMaxRequestBytes, &payload, &consumed), FrameStatus::kInvalid) << bad;
  }
  // Well-framed but wrong content.
  EXPECT_FALSE(DecodeRequest("").has_value());
  EXPECT_FALSE(DecodeRequest(EncodeNetstring("parley-admin/2") + EncodeNetstring("")));
  EXPECT_FALSE(DecodeRequest(EncodeNetstring(kVersion)));  // No input field.
  EXPECT_FALSE(DecodeRequest(EncodeNetstring(kVersion) + "3:ab"));
  EXPECT_FALSE(
      DecodeReply(EncodeNetstring(kVersion) + EncodeNetstring("maybe") + EncodeNetstring("")));
}

}  // namespace
}  // namespace parley::admin::wire
