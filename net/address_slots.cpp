#include "net/address_slots.hpp"

namespace solo::net {

struct AddressSlots::Counts {
  std::map<std::string, std::size_t, std::less<>> by_address;  // only addresses that hold a slot
};

namespace {

struct Slot {
  std::shared_ptr<AddressSlots::Counts> counts;
  std::string address;
  Slot(std::shared_ptr<AddressSlots::Counts> counts_in, std::string address_in)
      : counts(std::move(counts_in)), address(std::move(address_in)) {}
  ~Slot();
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
};

}  // namespace

AddressSlots::AddressSlots(std::size_t per_address)
    : per_address_(per_address), counts_(std::make_shared<Counts>()) {}

ConnectionSlot AddressSlots::try_take(const std::string& address) {
  auto& count = counts_->by_address[address];
  if (count >= per_address_) {
    if (count == 0) counts_->by_address.erase(address);
    return nullptr;
  }
  ++count;
  return std::make_shared<const Slot>(counts_, address);
}

std::size_t AddressSlots::held(const std::string& address) const {
  auto it = counts_->by_address.find(address);
  return it == counts_->by_address.end() ? 0 : it->second;
}

namespace {

Slot::~Slot() {
  auto it = counts->by_address.find(address);
  if (it == counts->by_address.end()) return;
  if (--it->second == 0) counts->by_address.erase(it);
}

}  // namespace

}  // namespace solo::net
