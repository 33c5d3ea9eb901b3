// Shared by the im tests: the states of RFC 6121 Appendix A.1 as values, and gtest printers that
// name them as the RFC does.
#pragma once

#include <ostream>

#include "im/subscription.hpp"

namespace parley::im {

inline void PrintTo(const SubState& s, std::ostream* os) {
  *os << '"' << StateName(s) << '"' << (s.in_roster ? "" : " (no item)")
      << (s.preapproved ? " +preapproved" : "");
}
inline void PrintTo(const OutboundEffect& e, std::ostream* os) {
  PrintTo(e.next, os);
  *os << (e.route ? " route" : "") << (e.roster_push ? " push" : "")
      << (e.create_item ? " create" : "") << (e.send_current_presence ? " presence" : "")
      << (e.send_unavailable ? " unavailable" : "") << (e.clear_pending ? " clear" : "");
}
inline void PrintTo(const InboundEffect& e, std::ostream* os) {
  PrintTo(e.next, os);
  *os << (e.deliver ? " deliver" : "") << (e.store_pending ? " store" : "")
      << (e.clear_pending ? " clear" : "") << (e.roster_push ? " push" : "")
      << (e.create_item ? " create" : "") << (e.auto_reply_subscribed ? " auto-subscribed" : "")
      << (e.send_current_presence ? " presence" : "") << (e.send_unavailable ? " unavailable" : "");
}

namespace testing {

// The nine states of A.1, each with a roster item.
inline constexpr SubState kNone{.in_roster = true};
inline constexpr SubState kNoneOut{.in_roster = true, .pending_out = true};
inline constexpr SubState kNoneIn{.in_roster = true, .pending_in = true};
inline constexpr SubState kNoneOutIn{.in_roster = true, .pending_out = true, .pending_in = true};
inline constexpr SubState kTo{.in_roster = true, .sub = Sub::kTo};
inline constexpr SubState kToIn{.in_roster = true, .sub = Sub::kTo, .pending_in = true};
inline constexpr SubState kFrom{.in_roster = true, .sub = Sub::kFrom};
inline constexpr SubState kFromOut{.in_roster = true, .sub = Sub::kFrom, .pending_out = true};
inline constexpr SubState kBoth{.in_roster = true, .sub = Sub::kBoth};
// "None" and "None + Pending In" without a roster item (A.1: an inbound request creates none).
inline constexpr SubState kStranger{};
inline constexpr SubState kStrangerIn{.pending_in = true};
// Pre-approved (§3.4): possible in "None", "None + Pending Out" and "To".
inline constexpr SubState kNonePre{.in_roster = true, .preapproved = true};
inline constexpr SubState kNoneOutPre{.in_roster = true, .pending_out = true, .preapproved = true};
inline constexpr SubState kToPre{.in_roster = true, .sub = Sub::kTo, .preapproved = true};

}  // namespace testing
}  // namespace parley::im
