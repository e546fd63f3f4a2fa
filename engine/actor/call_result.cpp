// call_error's error_category (see call_result.hpp).
#include "engine/actor/call_result.hpp"

namespace solo {

namespace {

class call_error_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "solo.call"; }
  std::string message(int ev) const override {
    return std::string(to_string(static_cast<call_error>(ev)));
  }
};

}  // namespace

std::string_view to_string(call_error e) noexcept {
  switch (e) {
    case call_error::overloaded: return "overloaded: mailbox full";
    case call_error::timeout: return "timeout: no reply in time";
    case call_error::stopped: return "stopped: actor stopped without replying";
    case call_error::error: return "error: handler failed";
    case call_error::bad_reply: return "bad_reply: the reply cannot be encoded";
  }
  return "unknown call error";
}

const boost::system::error_category& call_error_category() noexcept {
  static const call_error_category_impl category;
  return category;
}

boost::system::error_code make_error_code(call_error e) noexcept {
  return {static_cast<int>(e), call_error_category()};
}

}  // namespace solo
