// RFC 6121 presence subscriptions as a pure state machine: given one roster entry's subscription
// state and a subscription-related presence stanza, what the new state is and what the server must
// do besides (route, deliver, push the roster, auto-reply, send presence). No I/O, no storage, no
// threads: the roster and presence modules call these on the shard that owns the user's account and
// carry out the effects themselves. See docs/architecture/subscriptions.md.
#pragma once

#include <optional>
#include <string_view>

namespace parley::im {

// The subscription value of a roster item (RFC 6121 §2.1.2.5).
enum class Sub { kNone, kTo, kFrom, kBoth };

// The subscription state of one contact in one user's roster (RFC 6121 Appendix A's states: "None",
// "None + Pending Out", "None + Pending In", "None + Pending Out/In", "To", "To + Pending In",
// "From", "From + Pending Out", "Both"), plus whether a roster item exists and the pre-approval
// flag.
//
// Invariants kept by Outbound()/Inbound(), given a valid state: pending_out only without To,
// pending_in only without From, preapproved (§3.4) only without From and without pending_in, and a
// state other than plain "None" or "None + Pending In" only with in_roster (A.1: an inbound request
// alone MUST NOT create a roster item).
struct SubState {
  bool in_roster = false;  // a roster item exists for the contact
  Sub sub = Sub::kNone;
  bool pending_out = false;
  bool pending_in = false;
  bool preapproved = false;
  friend bool operator==(const SubState&, const SubState&) = default;
};

// Whether `s` satisfies the invariants above.
bool IsValid(const SubState& s);

enum class SubType { kSubscribe, kSubscribed, kUnsubscribe, kUnsubscribed };

// "subscribe", "subscribed", "unsubscribe", "unsubscribed"; anything else (including the other
// presence types) is nullopt.
std::optional<SubType> ParseSubType(std::string_view type);
std::string_view ToString(SubType t);

// The user sends <presence type=T to=contact/> (RFC 6121 §3.1.2, §3.2.2, §3.3.2, §3.4, A.2).
struct OutboundEffect {
  SubState next;
  // Forward the stanza (stamped with the user's bare JID) to the contact.
  bool route = false;
  // The state changed in a way the roster shows: push the item to the interested resources.
  bool roster_push = false;
  // A roster item is created (e.g. subscribe to a non-contact, approve a request, pre-approve).
  bool create_item = false;
  // After approving (subscribed): send the user's available presence to the contact (§3.1.5).
  bool send_current_presence = false;
  // After cancelling (unsubscribed): send unavailable from each available resource (§3.2.2).
  bool send_unavailable = false;
  // The user answered a stored inbound request (subscribed or unsubscribed): drop it so that it is
  // not redelivered at login (§3.1.3).
  bool clear_pending = false;
  friend bool operator==(const OutboundEffect&, const OutboundEffect&) = default;
};
OutboundEffect Outbound(const SubState& s, SubType t);

// The contact's server delivers <presence type=T from=contact/> to the user (§3.1.3, §3.1.6,
// §3.2.3, §3.3.3, A.3).
struct InboundEffect {
  SubState next;
  // Deliver to the user's available resources.
  bool deliver = false;
  // Subscribe: keep the request to redeliver at login (§3.1.3); it replaces an older stored request
  // from the same contact ("deliver only the most recent request").
  bool store_pending = false;
  // Drop a stored request (the contact withdrew it with 'unsubscribe').
  bool clear_pending = false;
  bool roster_push = false;
  // A roster item is created. Only for a pre-approval without an item, which valid states exclude.
  bool create_item = false;
  // Already approved or pre-approved: answer 'subscribed' for the user (§3.1.3, §3.4).
  bool auto_reply_subscribed = false;
  // With auto_reply_subscribed: also send the user's current presence to the contact.
  bool send_current_presence = false;
  // 'unsubscribe' ended the contact's subscription: send unavailable from each of the user's
  // available resources to the contact (§3.3.3).
  bool send_unavailable = false;
  friend bool operator==(const InboundEffect&, const InboundEffect&) = default;
};
InboundEffect Inbound(const SubState& s, SubType t);

// Who gets the user's presence broadcasts (§4.2.2: 'from' and 'both') and whose presence the user
// probes (§4.3: 'to' and 'both').
bool ContactReceivesPresence(const SubState& s);
bool UserProbesContact(const SubState& s);

std::string_view ToString(Sub s);  // "none" "to" "from" "both"
std::optional<Sub> ParseSub(std::string_view s);

// The roster <item/> attributes for a state (§2.1.2): subscription value, whether ask='subscribe'
// (§2.1.2.2: exactly when a request is pending out) and whether approved='true' (§2.1.2.1, §3.4).
struct ItemAttributes {
  Sub subscription = Sub::kNone;
  bool ask_subscribe = false;
  bool approved = false;
  friend bool operator==(const ItemAttributes&, const ItemAttributes&) = default;
};
ItemAttributes ItemAttributesOf(const SubState& s);

// The Appendix A name of the state, e.g. "None + Pending Out/In" (pre-approval and the roster item
// are not part of the name). For logs and test names.
std::string_view StateName(const SubState& s);

}  // namespace parley::im
