// Properties of the RFC 6121 subscription state machine over every valid state (no change -> no
// push; nothing delivered or routed that the RFC forbids; repeats are idempotent), two servers
// running a handshake end to end, and the small helpers.

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "im/subscription.hpp"
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

// ---- Properties over every valid state. ----

std::vector<SubState> AllValidStates() {
  std::vector<SubState> states;
  for (bool roster : {false, true})
    for (Sub sub : {Sub::kNone, Sub::kTo, Sub::kFrom, Sub::kBoth})
      for (bool out : {false, true})
        for (bool in : {false, true})
          for (bool pre : {false, true}) {
            SubState s{.in_roster = roster,
                       .sub = sub,
                       .pending_out = out,
                       .pending_in = in,
                       .preapproved = pre};
            if (IsValid(s)) states.push_back(s);
          }
  return states;
}

constexpr SubType kAllTypes[] = {SubType::kSubscribe, SubType::kSubscribed, SubType::kUnsubscribe,
                                 SubType::kUnsubscribed};

TEST(SubscriptionProperties, ValidStatesAreTheNineOfAppendixAPlusItemAndPreapproval) {
  // 9 states with an item, "None" and "None + Pending In" without one, 3 pre-approved.
  EXPECT_EQ(AllValidStates().size(), 14u);
}

TEST(SubscriptionProperties, EveryTransitionKeepsTheInvariants) {
  for (const SubState& s : AllValidStates()) {
    for (SubType t : kAllTypes) {
      EXPECT_TRUE(IsValid(Outbound(s, t).next)) << StateName(s) << " out " << ToString(t);
      EXPECT_TRUE(IsValid(Inbound(s, t).next)) << StateName(s) << " in " << ToString(t);
    }
  }
}

TEST(SubscriptionProperties, NoStateChangeMeansNoPushAndNoItem) {
  for (const SubState& s : AllValidStates()) {
    for (SubType t : kAllTypes) {
      OutboundEffect out = Outbound(s, t);
      if (out.next == s) {
        EXPECT_FALSE(out.roster_push) << StateName(s) << " out " << ToString(t);
        EXPECT_FALSE(out.create_item) << StateName(s) << " out " << ToString(t);
      }
      InboundEffect in = Inbound(s, t);
      if (in.next == s) {
        EXPECT_FALSE(in.roster_push) << StateName(s) << " in " << ToString(t);
        EXPECT_FALSE(in.create_item) << StateName(s) << " in " << ToString(t);
      }
    }
  }
}

// A.3 / §3.1.6 / §3.2.3 / §3.3.3: an inbound subscribed, unsubscribed or unsubscribe that changes
// nothing MUST NOT be delivered. A.2: an outbound subscribed or unsubscribed that changes nothing
// is not routed, while subscribe and unsubscribe always are.
TEST(SubscriptionProperties, UnchangedStateIsNeitherDeliveredNorRouted) {
  for (const SubState& s : AllValidStates()) {
    for (SubType t : {SubType::kSubscribed, SubType::kUnsubscribed, SubType::kUnsubscribe}) {
      InboundEffect in = Inbound(s, t);
      if (in.next == s) {
        EXPECT_FALSE(in.deliver) << StateName(s) << " in " << ToString(t);
      }
    }
    for (SubType t : {SubType::kSubscribed, SubType::kUnsubscribed}) {
      OutboundEffect out = Outbound(s, t);
      if (out.next == s) {
        EXPECT_FALSE(out.route) << StateName(s) << " out " << ToString(t);
      }
    }
    EXPECT_TRUE(Outbound(s, SubType::kSubscribe).route) << StateName(s);
    EXPECT_TRUE(Outbound(s, SubType::kUnsubscribe).route) << StateName(s);
  }
}

TEST(SubscriptionProperties, RepeatingAStanzaChangesNothingMore) {
  for (const SubState& s : AllValidStates()) {
    for (SubType t : kAllTypes) {
      SubState once = Outbound(s, t).next;
      OutboundEffect twice = Outbound(once, t);
      EXPECT_EQ(twice.next, once) << StateName(s) << " out " << ToString(t);
      EXPECT_FALSE(twice.roster_push || twice.create_item || twice.send_current_presence ||
                   twice.send_unavailable || twice.clear_pending)
          << StateName(s) << " out " << ToString(t);

      SubState in_once = Inbound(s, t).next;
      InboundEffect in_twice = Inbound(in_once, t);
      EXPECT_EQ(in_twice.next, in_once) << StateName(s) << " in " << ToString(t);
      EXPECT_FALSE(in_twice.roster_push || in_twice.create_item || in_twice.clear_pending ||
                   in_twice.send_unavailable)
          << StateName(s) << " in " << ToString(t);
      // Only a repeated subscribe may do something: the auto-reply to a subscriber (§3.1.3) and the
      // replacement of the stored request. It is never delivered twice.
      if (t != SubType::kSubscribe) {
        EXPECT_FALSE(in_twice.store_pending) << StateName(s) << " in " << ToString(t);
      }
      EXPECT_FALSE(in_twice.deliver) << StateName(s) << " in " << ToString(t);
    }
  }
}

TEST(SubscriptionProperties, AutoReplyOnlyWhenTheContactEndsUpSubscribed) {
  for (const SubState& s : AllValidStates()) {
    InboundEffect in = Inbound(s, SubType::kSubscribe);
    EXPECT_EQ(in.auto_reply_subscribed, ContactReceivesPresence(in.next)) << StateName(s);
    EXPECT_EQ(in.send_current_presence, in.auto_reply_subscribed) << StateName(s);
    EXPECT_NE(in.deliver || in.store_pending, in.auto_reply_subscribed) << StateName(s);
  }
}

// ---- Two servers, one handshake each way (RFC 6121 §3.1 and §3.4 end to end). ----

TEST(SubscriptionFlow, SubscribeApproveThenMutual) {
  SubState user;     // the user's roster entry for the contact
  SubState contact;  // the contact's roster entry for the user

  OutboundEffect o = Outbound(user, SubType::kSubscribe);  // §3.1.1
  ASSERT_TRUE(o.route);
  user = o.next;
  InboundEffect i = Inbound(contact, SubType::kSubscribe);  // §3.1.3
  ASSERT_TRUE(i.deliver);
  contact = i.next;
  EXPECT_FALSE(contact.in_roster);

  o = Outbound(contact, SubType::kSubscribed);  // §3.1.4–§3.1.5
  EXPECT_TRUE(o.route && o.create_item && o.send_current_presence && o.clear_pending);
  contact = o.next;
  i = Inbound(user, SubType::kSubscribed);  // §3.1.6
  EXPECT_TRUE(i.deliver && i.roster_push);
  user = i.next;
  EXPECT_EQ(user, kTo);
  EXPECT_EQ(contact, kFrom);
  EXPECT_TRUE(UserProbesContact(user));
  EXPECT_TRUE(ContactReceivesPresence(contact));

  // The contact subscribes back; the user's server auto-replies only if pre-approved, so here the
  // request is delivered and the user approves.
  contact = Outbound(contact, SubType::kSubscribe).next;
  i = Inbound(user, SubType::kSubscribe);
  EXPECT_TRUE(i.deliver);
  user = Outbound(i.next, SubType::kSubscribed).next;
  contact = Inbound(contact, SubType::kSubscribed).next;
  EXPECT_EQ(user, kBoth);
  EXPECT_EQ(contact, kBoth);

  // The user cancels the contact's subscription (§3.2) and unsubscribes (§3.3).
  o = Outbound(user, SubType::kUnsubscribed);
  EXPECT_TRUE(o.route && o.send_unavailable);
  user = o.next;
  contact = Inbound(contact, SubType::kUnsubscribed).next;
  o = Outbound(user, SubType::kUnsubscribe);
  user = o.next;
  i = Inbound(contact, SubType::kUnsubscribe);
  EXPECT_TRUE(i.deliver && i.send_unavailable);
  contact = i.next;
  EXPECT_EQ(user, kNone);
  EXPECT_EQ(contact, kNone);
}

TEST(SubscriptionFlow, PreapprovalAnswersTheLaterRequest) {
  SubState user;
  SubState contact;
  OutboundEffect o = Outbound(contact, SubType::kSubscribed);  // §3.4: the contact pre-approves
  EXPECT_FALSE(o.route);
  EXPECT_TRUE(o.create_item && o.roster_push);
  EXPECT_TRUE(ItemAttributesOf(o.next).approved);
  contact = o.next;

  user = Outbound(user, SubType::kSubscribe).next;
  InboundEffect i = Inbound(contact, SubType::kSubscribe);
  EXPECT_FALSE(i.deliver);
  EXPECT_FALSE(i.store_pending);
  EXPECT_TRUE(i.auto_reply_subscribed && i.send_current_presence && i.roster_push);
  contact = i.next;
  user = Inbound(user, SubType::kSubscribed).next;  // the auto-reply arrives
  EXPECT_EQ(contact, kFrom);
  EXPECT_FALSE(ItemAttributesOf(contact).approved);
  EXPECT_EQ(user, kTo);
}

// ---- Small helpers. ----

TEST(SubscriptionNames, ParseSubType) {
  EXPECT_EQ(ParseSubType("subscribe"), SubType::kSubscribe);
  EXPECT_EQ(ParseSubType("subscribed"), SubType::kSubscribed);
  EXPECT_EQ(ParseSubType("unsubscribe"), SubType::kUnsubscribe);
  EXPECT_EQ(ParseSubType("unsubscribed"), SubType::kUnsubscribed);
  for (std::string_view other : {"", "probe", "unavailable", "error", "Subscribe", "subscribe "}) {
    EXPECT_EQ(ParseSubType(other), std::nullopt) << other;
  }
  for (SubType t : kAllTypes) {
    EXPECT_EQ(ParseSubType(ToString(t)), t);
  }
}

TEST(SubscriptionNames, SubRoundTrips) {
  EXPECT_EQ(ToString(Sub::kNone), "none");
  EXPECT_EQ(ToString(Sub::kTo), "to");
  EXPECT_EQ(ToString(Sub::kFrom), "from");
  EXPECT_EQ(ToString(Sub::kBoth), "both");
  for (Sub s : {Sub::kNone, Sub::kTo, Sub::kFrom, Sub::kBoth}) {
    EXPECT_EQ(ParseSub(ToString(s)), s);
  }
  EXPECT_EQ(ParseSub("remove"), std::nullopt);  // §2.1.2.5: only in a roster set, never a state
}

TEST(SubscriptionNames, StateNamesAreAppendixA1) {
  EXPECT_EQ(StateName(kNone), "None");
  EXPECT_EQ(StateName(kNoneOut), "None + Pending Out");
  EXPECT_EQ(StateName(kNoneIn), "None + Pending In");
  EXPECT_EQ(StateName(kNoneOutIn), "None + Pending Out/In");
  EXPECT_EQ(StateName(kTo), "To");
  EXPECT_EQ(StateName(kToIn), "To + Pending In");
  EXPECT_EQ(StateName(kFrom), "From");
  EXPECT_EQ(StateName(kFromOut), "From + Pending Out");
  EXPECT_EQ(StateName(kBoth), "Both");
}

TEST(SubscriptionPresence, BroadcastAndProbeFollowTheSubscription) {  // §4.2.2, §4.3
  EXPECT_FALSE(ContactReceivesPresence(kNoneIn));
  EXPECT_FALSE(ContactReceivesPresence(kToIn));
  EXPECT_TRUE(ContactReceivesPresence(kFromOut));
  EXPECT_TRUE(ContactReceivesPresence(kBoth));
  EXPECT_FALSE(UserProbesContact(kNoneOut));
  EXPECT_FALSE(UserProbesContact(kFromOut));
  EXPECT_TRUE(UserProbesContact(kToIn));
  EXPECT_TRUE(UserProbesContact(kBoth));
  EXPECT_FALSE(ContactReceivesPresence(kNonePre));  // a pre-approval is not a subscription
}

TEST(SubscriptionItem, AttributesShowSubscriptionAskAndApproved) {  // §2.1.2.1, §2.1.2.2
  EXPECT_EQ(ItemAttributesOf(kNoneOutIn), (ItemAttributes{Sub::kNone, true, false}));
  EXPECT_EQ(ItemAttributesOf(kToIn), (ItemAttributes{Sub::kTo, false, false}));
  EXPECT_EQ(ItemAttributesOf(kFromOut), (ItemAttributes{Sub::kFrom, true, false}));
  EXPECT_EQ(ItemAttributesOf(kBoth), (ItemAttributes{Sub::kBoth, false, false}));
  EXPECT_EQ(ItemAttributesOf(kNoneOutPre), (ItemAttributes{Sub::kNone, true, true}));
  // Pending in is never shown (A.1: the user's server keeps it beside the roster).
  EXPECT_EQ(ItemAttributesOf(kNoneIn), ItemAttributesOf(kNone));
}

}  // namespace
}  // namespace parley::im
