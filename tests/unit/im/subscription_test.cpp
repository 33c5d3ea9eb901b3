// RFC 6121 subscription state machine: one row per transition of Appendix A (A.2.1–A.2.4 for the
// user's outbound stanzas, A.3.1–A.3.4 for inbound ones), with the pre-approval rules of §3.4 and
// the extra duties of §3.1–§3.3 (route, deliver, push, auto-reply, presence) checked on every row.

#include "im/subscription.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "im/subscription_test_util.hpp"

namespace parley::im {
namespace {

using testing::kBoth;
using testing::kFrom;
using testing::kFromOut;
using testing::kNone;
using testing::kNoneIn;
using testing::kNoneOut;
using testing::kNoneOutIn;
using testing::kNoneOutPre;
using testing::kNonePre;
using testing::kStranger;
using testing::kStrangerIn;
using testing::kTo;
using testing::kToIn;
using testing::kToPre;

std::vector<std::string> Words(std::string_view flags) {
  std::vector<std::string> words;
  std::istringstream in{std::string(flags)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Expected effects written as words, so that a row reads like the RFC's table plus its prose.
OutboundEffect Out(SubState next, std::string_view flags) {
  OutboundEffect e{.next = next};
  for (const std::string& w : Words(flags)) {
    if (w == "route")
      e.route = true;
    else if (w == "push")
      e.roster_push = true;
    else if (w == "create")
      e.create_item = true;
    else if (w == "presence")
      e.send_current_presence = true;
    else if (w == "unavailable")
      e.send_unavailable = true;
    else if (w == "clear")
      e.clear_pending = true;
    else
      ADD_FAILURE() << "unknown outbound effect " << w;
  }
  return e;
}

InboundEffect In(SubState next, std::string_view flags) {
  InboundEffect e{.next = next};
  for (const std::string& w : Words(flags)) {
    if (w == "deliver")
      e.deliver = true;
    else if (w == "store")
      e.store_pending = true;
    else if (w == "clear")
      e.clear_pending = true;
    else if (w == "push")
      e.roster_push = true;
    else if (w == "create")
      e.create_item = true;
    else if (w == "auto-subscribed")
      e.auto_reply_subscribed = true;
    else if (w == "presence")
      e.send_current_presence = true;
    else if (w == "unavailable")
      e.send_unavailable = true;
    else
      ADD_FAILURE() << "unknown inbound effect " << w;
  }
  return e;
}

struct OutRow {
  const char* name;
  SubState state;
  SubType type;
  OutboundEffect want;
};

struct InRow {
  const char* name;
  SubState state;
  SubType type;
  InboundEffect want;
};

// ---- A.2: the user sends a subscription-related presence stanza to the contact. ----

const OutRow kOutboundRows[] = {
    // A.2.1 subscribe: always routed; §3.1.2 creates the item for a new contact.
    {"A21_None", kNone, SubType::kSubscribe, Out(kNoneOut, "route push")},
    {"A21_NonePendingOut", kNoneOut, SubType::kSubscribe, Out(kNoneOut, "route")},
    {"A21_NonePendingIn", kNoneIn, SubType::kSubscribe, Out(kNoneOutIn, "route push")},
    {"A21_NonePendingOutIn", kNoneOutIn, SubType::kSubscribe, Out(kNoneOutIn, "route")},
    {"A21_To", kTo, SubType::kSubscribe, Out(kTo, "route")},
    {"A21_ToPendingIn", kToIn, SubType::kSubscribe, Out(kToIn, "route")},
    {"A21_From", kFrom, SubType::kSubscribe, Out(kFromOut, "route push")},
    {"A21_FromPendingOut", kFromOut, SubType::kSubscribe, Out(kFromOut, "route")},
    {"A21_Both", kBoth, SubType::kSubscribe, Out(kBoth, "route")},
    {"A21_NotInRoster", kStranger, SubType::kSubscribe, Out(kNoneOut, "route push create")},
    {"A21_NotInRosterPendingIn", kStrangerIn, SubType::kSubscribe,
     Out(kNoneOutIn, "route push create")},
    {"A21_PreapprovedKeepsFlag", kNonePre, SubType::kSubscribe, Out(kNoneOutPre, "route push")},

    // A.2.2 subscribed: approval where a request is pending in (§3.1.5), otherwise pre-approval
    // (§3.4, never routed), otherwise nothing.
    {"A22_None", kNone, SubType::kSubscribed, Out(kNonePre, "push")},
    {"A22_NonePendingOut", kNoneOut, SubType::kSubscribed, Out(kNoneOutPre, "push")},
    {"A22_NonePendingIn", kNoneIn, SubType::kSubscribed, Out(kFrom, "route push presence clear")},
    {"A22_NonePendingOutIn", kNoneOutIn, SubType::kSubscribed,
     Out(kFromOut, "route push presence clear")},
    {"A22_To", kTo, SubType::kSubscribed, Out(kToPre, "push")},
    {"A22_ToPendingIn", kToIn, SubType::kSubscribed, Out(kBoth, "route push presence clear")},
    {"A22_From", kFrom, SubType::kSubscribed, Out(kFrom, "")},
    {"A22_FromPendingOut", kFromOut, SubType::kSubscribed, Out(kFromOut, "")},
    {"A22_Both", kBoth, SubType::kSubscribed, Out(kBoth, "")},
    {"A22_NotInRoster", kStranger, SubType::kSubscribed, Out(kNonePre, "push create")},
    {"A22_NotInRosterPendingIn", kStrangerIn, SubType::kSubscribed,
     Out(kFrom, "route push create presence clear")},
    {"A22_AlreadyPreapproved", kNonePre, SubType::kSubscribed, Out(kNonePre, "")},
    {"A22_AlreadyPreapprovedTo", kToPre, SubType::kSubscribed, Out(kToPre, "")},

    // A.2.3 unsubscribe: always routed.
    {"A23_None", kNone, SubType::kUnsubscribe, Out(kNone, "route")},
    {"A23_NonePendingOut", kNoneOut, SubType::kUnsubscribe, Out(kNone, "route push")},
    {"A23_NonePendingIn", kNoneIn, SubType::kUnsubscribe, Out(kNoneIn, "route")},
    {"A23_NonePendingOutIn", kNoneOutIn, SubType::kUnsubscribe, Out(kNoneIn, "route push")},
    {"A23_To", kTo, SubType::kUnsubscribe, Out(kNone, "route push")},
    {"A23_ToPendingIn", kToIn, SubType::kUnsubscribe, Out(kNoneIn, "route push")},
    {"A23_From", kFrom, SubType::kUnsubscribe, Out(kFrom, "route")},
    {"A23_FromPendingOut", kFromOut, SubType::kUnsubscribe, Out(kFrom, "route push")},
    {"A23_Both", kBoth, SubType::kUnsubscribe, Out(kFrom, "route push")},
    {"A23_NotInRoster", kStranger, SubType::kUnsubscribe, Out(kStranger, "route")},
    {"A23_PreapprovedKeepsFlag", kToPre, SubType::kUnsubscribe, Out(kNonePre, "route push")},

    // A.2.4 unsubscribed: routed only on a state change; cancelling 'from' sends unavailable
    // (§3.2.2); denying a request drops the stored one; withdrawing a pre-approval is local (§3.4).
    {"A24_None", kNone, SubType::kUnsubscribed, Out(kNone, "")},
    {"A24_NonePendingOut", kNoneOut, SubType::kUnsubscribed, Out(kNoneOut, "")},
    {"A24_NonePendingIn", kNoneIn, SubType::kUnsubscribed, Out(kNone, "route clear")},
    {"A24_NonePendingOutIn", kNoneOutIn, SubType::kUnsubscribed, Out(kNoneOut, "route clear")},
    {"A24_To", kTo, SubType::kUnsubscribed, Out(kTo, "")},
    {"A24_ToPendingIn", kToIn, SubType::kUnsubscribed, Out(kTo, "route clear")},
    {"A24_From", kFrom, SubType::kUnsubscribed, Out(kNone, "route push unavailable")},
    {"A24_FromPendingOut", kFromOut, SubType::kUnsubscribed,
     Out(kNoneOut, "route push unavailable")},
    {"A24_Both", kBoth, SubType::kUnsubscribed, Out(kTo, "route push unavailable")},
    {"A24_NotInRoster", kStranger, SubType::kUnsubscribed, Out(kStranger, "")},
    {"A24_NotInRosterPendingIn", kStrangerIn, SubType::kUnsubscribed,
     Out(kStranger, "route clear")},
    {"A24_WithdrawPreapprovalNone", kNonePre, SubType::kUnsubscribed, Out(kNone, "push")},
    {"A24_WithdrawPreapprovalPendingOut", kNoneOutPre, SubType::kUnsubscribed,
     Out(kNoneOut, "push")},
    {"A24_WithdrawPreapprovalTo", kToPre, SubType::kUnsubscribed, Out(kTo, "push")},
};

class OutboundTable : public ::testing::TestWithParam<OutRow> {};

TEST_P(OutboundTable, NextStateAndEffects) {
  const OutRow& row = GetParam();
  ASSERT_TRUE(IsValid(row.state));
  OutboundEffect got = Outbound(row.state, row.type);
  EXPECT_EQ(got, row.want) << "<presence type='" << ToString(row.type) << "'/> from \""
                           << StateName(row.state) << '"';
  EXPECT_TRUE(IsValid(got.next));
}

INSTANTIATE_TEST_SUITE_P(Rfc6121, OutboundTable, ::testing::ValuesIn(kOutboundRows),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- A.3: the contact's server delivers a subscription-related presence stanza to the user. ----

const InRow kInboundRows[] = {
    // A.3.1 subscribe: delivered and stored when new (§3.1.3); auto-approved when the contact is
    // already subscribed (§3.1.3 rule 2) or pre-approved (§3.4); a repeat replaces the stored one.
    {"A31_None", kNone, SubType::kSubscribe, In(kNoneIn, "deliver store")},
    {"A31_NonePendingOut", kNoneOut, SubType::kSubscribe, In(kNoneOutIn, "deliver store")},
    {"A31_NonePendingIn", kNoneIn, SubType::kSubscribe, In(kNoneIn, "store")},
    {"A31_NonePendingOutIn", kNoneOutIn, SubType::kSubscribe, In(kNoneOutIn, "store")},
    {"A31_To", kTo, SubType::kSubscribe, In(kToIn, "deliver store")},
    {"A31_ToPendingIn", kToIn, SubType::kSubscribe, In(kToIn, "store")},
    {"A31_From", kFrom, SubType::kSubscribe, In(kFrom, "auto-subscribed presence")},
    {"A31_FromPendingOut", kFromOut, SubType::kSubscribe, In(kFromOut, "auto-subscribed presence")},
    {"A31_Both", kBoth, SubType::kSubscribe, In(kBoth, "auto-subscribed presence")},
    {"A31_NotInRosterCreatesNoItem", kStranger, SubType::kSubscribe,
     In(kStrangerIn, "deliver store")},
    {"A31_NotInRosterRepeat", kStrangerIn, SubType::kSubscribe, In(kStrangerIn, "store")},
    {"A31_PreapprovedNone", kNonePre, SubType::kSubscribe,
     In(kFrom, "push auto-subscribed presence")},
    {"A31_PreapprovedNonePendingOut", kNoneOutPre, SubType::kSubscribe,
     In(kFromOut, "push auto-subscribed presence")},
    {"A31_PreapprovedTo", kToPre, SubType::kSubscribe, In(kBoth, "push auto-subscribed presence")},

    // A.3.2 subscribed: only an answer to a pending request is delivered (§3.1.6).
    {"A32_None", kNone, SubType::kSubscribed, In(kNone, "")},
    {"A32_NonePendingOut", kNoneOut, SubType::kSubscribed, In(kTo, "deliver push")},
    {"A32_NonePendingIn", kNoneIn, SubType::kSubscribed, In(kNoneIn, "")},
    {"A32_NonePendingOutIn", kNoneOutIn, SubType::kSubscribed, In(kToIn, "deliver push")},
    {"A32_To", kTo, SubType::kSubscribed, In(kTo, "")},
    {"A32_ToPendingIn", kToIn, SubType::kSubscribed, In(kToIn, "")},
    {"A32_From", kFrom, SubType::kSubscribed, In(kFrom, "")},
    {"A32_FromPendingOut", kFromOut, SubType::kSubscribed, In(kBoth, "deliver push")},
    {"A32_Both", kBoth, SubType::kSubscribed, In(kBoth, "")},
    {"A32_NotInRoster", kStranger, SubType::kSubscribed, In(kStranger, "")},
    {"A32_PreapprovedPendingOutKeepsFlag", kNoneOutPre, SubType::kSubscribed,
     In(kToPre, "deliver push")},

    // A.3.3 unsubscribe: ends the contact's subscription (§3.3.3: unavailable goes back) or
    // withdraws its pending request.
    {"A33_None", kNone, SubType::kUnsubscribe, In(kNone, "")},
    {"A33_NonePendingOut", kNoneOut, SubType::kUnsubscribe, In(kNoneOut, "")},
    {"A33_NonePendingIn", kNoneIn, SubType::kUnsubscribe, In(kNone, "deliver clear")},
    {"A33_NonePendingOutIn", kNoneOutIn, SubType::kUnsubscribe, In(kNoneOut, "deliver clear")},
    {"A33_To", kTo, SubType::kUnsubscribe, In(kTo, "")},
    {"A33_ToPendingIn", kToIn, SubType::kUnsubscribe, In(kTo, "deliver clear")},
    {"A33_From", kFrom, SubType::kUnsubscribe, In(kNone, "deliver push unavailable")},
    {"A33_FromPendingOut", kFromOut, SubType::kUnsubscribe,
     In(kNoneOut, "deliver push unavailable")},
    {"A33_Both", kBoth, SubType::kUnsubscribe, In(kTo, "deliver push unavailable")},
    {"A33_NotInRoster", kStranger, SubType::kUnsubscribe, In(kStranger, "")},
    {"A33_NotInRosterPendingIn", kStrangerIn, SubType::kUnsubscribe,
     In(kStranger, "deliver clear")},

    // A.3.4 unsubscribed: denies our pending request or cancels our subscription (§3.2.3).
    {"A34_None", kNone, SubType::kUnsubscribed, In(kNone, "")},
    {"A34_NonePendingOut", kNoneOut, SubType::kUnsubscribed, In(kNone, "deliver push")},
    {"A34_NonePendingIn", kNoneIn, SubType::kUnsubscribed, In(kNoneIn, "")},
    {"A34_NonePendingOutIn", kNoneOutIn, SubType::kUnsubscribed, In(kNoneIn, "deliver push")},
    {"A34_To", kTo, SubType::kUnsubscribed, In(kNone, "deliver push")},
    {"A34_ToPendingIn", kToIn, SubType::kUnsubscribed, In(kNoneIn, "deliver push")},
    {"A34_From", kFrom, SubType::kUnsubscribed, In(kFrom, "")},
    {"A34_FromPendingOut", kFromOut, SubType::kUnsubscribed, In(kFrom, "deliver push")},
    {"A34_Both", kBoth, SubType::kUnsubscribed, In(kFrom, "deliver push")},
    {"A34_NotInRoster", kStranger, SubType::kUnsubscribed, In(kStranger, "")},
    {"A34_PreapprovedToKeepsFlag", kToPre, SubType::kUnsubscribed, In(kNonePre, "deliver push")},
};

class InboundTable : public ::testing::TestWithParam<InRow> {};

TEST_P(InboundTable, NextStateAndEffects) {
  const InRow& row = GetParam();
  ASSERT_TRUE(IsValid(row.state));
  InboundEffect got = Inbound(row.state, row.type);
  EXPECT_EQ(got, row.want) << "<presence type='" << ToString(row.type) << "'/> in \""
                           << StateName(row.state) << '"';
  EXPECT_TRUE(IsValid(got.next));
}

INSTANTIATE_TEST_SUITE_P(Rfc6121, InboundTable, ::testing::ValuesIn(kInboundRows),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace parley::im
