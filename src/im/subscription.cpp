// RFC 6121 Appendix A, with the extra duties of §3.1–§3.4. Both functions start from "no state
// change, nothing to do" and only add; the roster push is derived from the state change at the end,
// so a row with no visible change can never push.
#include "im/subscription.hpp"

namespace parley::im {
namespace {

bool HasTo(Sub s) { return s == Sub::kTo || s == Sub::kBoth; }
bool HasFrom(Sub s) { return s == Sub::kFrom || s == Sub::kBoth; }

Sub Make(bool to, bool from) {
  if (to && from) return Sub::kBoth;
  if (to) return Sub::kTo;
  if (from) return Sub::kFrom;
  return Sub::kNone;
}
Sub AddTo(Sub s) { return Make(true, HasFrom(s)); }
Sub AddFrom(Sub s) { return Make(HasTo(s), true); }
Sub RemoveTo(Sub s) { return Make(false, HasFrom(s)); }
Sub RemoveFrom(Sub s) { return Make(HasTo(s), false); }

// §2.1.2 and §2.1.6: a roster push carries the item, so only a change in what the item shows
// warrants one. Pending-in is deliberately not shown (A.1 "None + Pending In": the server SHOULD
// NOT push).
bool RosterShowsChange(const SubState& before, const SubState& after) {
  return after.in_roster &&
         (!before.in_roster || ItemAttributesOf(before) != ItemAttributesOf(after));
}

}  // namespace

bool IsValid(const SubState& s) {
  if (s.pending_out && HasTo(s.sub)) return false;
  if (s.pending_in && HasFrom(s.sub)) return false;
  if (s.preapproved && (HasFrom(s.sub) || s.pending_in)) return false;
  if (!s.in_roster && (s.sub != Sub::kNone || s.pending_out || s.preapproved)) return false;
  return true;
}

std::optional<SubType> ParseSubType(std::string_view type) {
  if (type == "subscribe") return SubType::kSubscribe;
  if (type == "subscribed") return SubType::kSubscribed;
  if (type == "unsubscribe") return SubType::kUnsubscribe;
  if (type == "unsubscribed") return SubType::kUnsubscribed;
  return std::nullopt;
}

std::string_view ToString(SubType t) {
  switch (t) {
    case SubType::kSubscribe:
      return "subscribe";
    case SubType::kSubscribed:
      return "subscribed";
    case SubType::kUnsubscribe:
      return "unsubscribe";
    case SubType::kUnsubscribed:
      return "unsubscribed";
  }
  return "";
}

OutboundEffect Outbound(const SubState& s, SubType t) {
  OutboundEffect e;
  e.next = s;
  SubState& n = e.next;
  switch (t) {
    case SubType::kSubscribe:
      // A.2: the user's server MUST route every outbound 'subscribe' and 'unsubscribe', whatever
      // the state, so that the user can resynchronise with the contact's server. A.2.1: "None",
      // "None + Pending In" and "From" gain Pending Out; every other state is unchanged. §3.1.2: a
      // roster item is created for a potential contact who is not in the roster yet.
      e.route = true;
      if (!HasTo(s.sub)) n.pending_out = true;
      n.in_roster = true;
      break;

    case SubType::kSubscribed:
      if (HasFrom(s.sub))
        break;  // A.2.2 "From", "From + Pending Out", "Both": not routed, no change.
      if (s.pending_in) {
        // A.2.2 "None + Pending In" -> "From", "None + Pending Out/In" -> "From + Pending Out",
        // "To + Pending In" -> "Both", routed. §3.1.5: the approval creates the item if the request
        // had left none (A.1), and the user's server sends the user's current presence from each
        // available resource to the contact. The stored request has been answered (§3.1.3).
        n.sub = AddFrom(s.sub);
        n.pending_in = false;
        n.preapproved = false;
        n.in_roster = true;
        e.route = true;
        e.send_current_presence = true;
        e.clear_pending = true;
        break;
      }
      // §3.4 and A.2.2 "None", "None + Pending Out", "To": no request to approve, so this is a
      // pre-approval. The stanza MUST NOT be routed; the item is created if needed and shown with
      // approved='true'. A repeated pre-approval changes nothing.
      n.preapproved = true;
      n.in_roster = true;
      break;

    case SubType::kUnsubscribe:
      // A.2 (always routed) and A.2.3: "None + Pending Out", "To" -> "None";
      // "None + Pending Out/In", "To + Pending In" -> "None + Pending In";
      // "From + Pending Out", "Both" -> "From"; the rest unchanged. §3.3.2: roster push.
      e.route = true;
      n.sub = RemoveTo(s.sub);
      n.pending_out = false;
      break;

    case SubType::kUnsubscribed:
      // A.2.4: routed only when the state changes. "From" -> "None", "From + Pending Out" ->
      // "None + Pending Out", "Both" -> "To": §3.2.2 cancels the contact's subscription, so the
      // user's server also sends unavailable presence from each available resource to the contact.
      if (HasFrom(s.sub)) {
        n.sub = RemoveFrom(s.sub);
        e.route = true;
        e.send_unavailable = true;
      }
      // "None + Pending In" -> "None", "None + Pending Out/In" -> "None + Pending Out",
      // "To + Pending In" -> "To": the user denies the request (§3.2.1), which is also answered.
      if (s.pending_in) {
        n.pending_in = false;
        e.route = true;
        e.clear_pending = true;
      }
      // §3.4: 'unsubscribed' withdraws a pre-approval. The contact never learnt of it, so nothing
      // is routed (A.2.4: "None", "None + Pending Out", "To" are not routed); only the roster
      // changes.
      n.preapproved = false;
      break;
  }
  e.create_item = !s.in_roster && n.in_roster;
  e.roster_push = RosterShowsChange(s, n);
  return e;
}

InboundEffect Inbound(const SubState& s, SubType t) {
  InboundEffect e;
  e.next = s;
  SubState& n = e.next;
  switch (t) {
    case SubType::kSubscribe:
      if (HasFrom(s.sub)) {
        // A.3.1 "From", "From + Pending Out", "Both": not delivered, no change; §3.1.3 rule 2: the
        // contact already has a subscription, so the server auto-replies 'subscribed' for the user
        // (the contact's server has lost track) and sends the user's presence again.
        e.auto_reply_subscribed = true;
        e.send_current_presence = true;
        break;
      }
      if (s.preapproved) {
        // §3.4 and §3.1.3 rule 2: the user pre-approved this contact. The request is approved on
        // the user's behalf and not delivered: "None" -> "From", "None + Pending Out" -> "From +
        // Pending Out", "To" -> "Both". The pre-approval is used up; the item shows the new
        // subscription and loses approved='true'.
        n.sub = AddFrom(s.sub);
        n.preapproved = false;
        n.in_roster = true;
        e.auto_reply_subscribed = true;
        e.send_current_presence = true;
        break;
      }
      if (s.pending_in) {
        // A.3.1 "None + Pending In", "None + Pending Out/In", "To + Pending In": not delivered
        // again, no change. §3.1.3 rule 4: of several requests only the most recent is redelivered,
        // so the stored one is replaced.
        e.store_pending = true;
        break;
      }
      // A.3.1 "None" -> "None + Pending In", "None + Pending Out" -> "None + Pending Out/In",
      // "To" -> "To + Pending In", delivered. §3.1.3 rules 3–4: delivered to the available
      // resources and kept until the user answers, to be redelivered at each login. A.1: no roster
      // item is created and no roster push is sent for the pending request.
      n.pending_in = true;
      e.deliver = true;
      e.store_pending = true;
      break;

    case SubType::kSubscribed:
      // A.3.2 and §3.1.6: only an answer to our pending request changes anything:
      // "None + Pending Out" -> "To", "None + Pending Out/In" -> "To + Pending In",
      // "From + Pending Out" -> "Both", delivered and pushed. Otherwise the server MUST NOT deliver
      // it and MUST NOT change the state.
      if (s.pending_out && !HasTo(s.sub)) {
        n.sub = AddTo(s.sub);
        n.pending_out = false;
        e.deliver = true;
      }
      break;

    case SubType::kUnsubscribe:
      // A.3.3 and §3.3.3: "From" -> "None", "From + Pending Out" -> "None + Pending Out",
      // "Both" -> "To": delivered and pushed, and the user's server sends unavailable presence from
      // each of the user's available resources to the contact.
      if (HasFrom(s.sub)) {
        n.sub = RemoveFrom(s.sub);
        e.deliver = true;
        e.send_unavailable = true;
      }
      // "None + Pending In" -> "None", "None + Pending Out/In" -> "None + Pending Out",
      // "To + Pending In" -> "To": the contact withdraws its request; delivered, and the stored
      // request is dropped. Every other state: not delivered, no change.
      if (s.pending_in) {
        n.pending_in = false;
        e.deliver = true;
        e.clear_pending = true;
      }
      break;

    case SubType::kUnsubscribed:
      // A.3.4 and §3.2.3: "None + Pending Out" -> "None" (request denied), "None + Pending Out/In"
      // -> "None + Pending In", "To" -> "None", "To + Pending In" -> "None + Pending In",
      // "From + Pending Out" -> "From", "Both" -> "From": delivered and pushed. Otherwise the
      // server MUST NOT deliver it and MUST NOT change the state.
      if (HasTo(s.sub) || s.pending_out) {
        n.sub = RemoveTo(s.sub);
        n.pending_out = false;
        e.deliver = true;
      }
      break;
  }
  e.create_item = !s.in_roster && n.in_roster;
  e.roster_push = RosterShowsChange(s, n);
  return e;
}

bool ContactReceivesPresence(const SubState& s) { return HasFrom(s.sub); }
bool UserProbesContact(const SubState& s) { return HasTo(s.sub); }

std::string_view ToString(Sub s) {
  switch (s) {
    case Sub::kNone:
      return "none";
    case Sub::kTo:
      return "to";
    case Sub::kFrom:
      return "from";
    case Sub::kBoth:
      return "both";
  }
  return "none";
}

std::optional<Sub> ParseSub(std::string_view s) {
  if (s == "none") return Sub::kNone;
  if (s == "to") return Sub::kTo;
  if (s == "from") return Sub::kFrom;
  if (s == "both") return Sub::kBoth;
  return std::nullopt;
}

ItemAttributes ItemAttributesOf(const SubState& s) {
  return {.subscription = s.sub, .ask_subscribe = s.pending_out, .approved = s.preapproved};
}

std::string_view StateName(const SubState& s) {
  switch (s.sub) {
    case Sub::kNone:
      if (s.pending_out && s.pending_in) return "None + Pending Out/In";
      if (s.pending_out) return "None + Pending Out";
      if (s.pending_in) return "None + Pending In";
      return "None";
    case Sub::kTo:
      return s.pending_in ? "To + Pending In" : "To";
    case Sub::kFrom:
      return s.pending_out ? "From + Pending Out" : "From";
    case Sub::kBoth:
      return "Both";
  }
  return "None";
}

}  // namespace parley::im
