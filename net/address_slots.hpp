// AddressSlots: how many connections each client address holds, with a cap.
//
// The HttpServer takes a slot for every connection it serves, and the slot
// travels with the socket when a connection becomes a WebSocket session, so
// that HTTP and WebSocket connections count together against one cap per
// address. A slot is given back when the last copy of its handle goes.
//
// Threading: one executor (the server's); not thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

namespace solo::net {

// Holds one connection's slot while alive; opaque to its holders.
using ConnectionSlot = std::shared_ptr<const void>;

class AddressSlots {
 public:
  explicit AddressSlots(std::size_t per_address);

  // A slot for `address`, or null when it holds per_address slots already.
  ConnectionSlot try_take(const std::string& address);
  std::size_t held(const std::string& address) const;
  std::size_t per_address() const { return per_address_; }

  struct Counts;  // address_slots.cpp

 private:
  std::size_t per_address_;
  std::shared_ptr<Counts> counts_;  // shared with the handles, which may outlive this
};

}  // namespace solo::net
