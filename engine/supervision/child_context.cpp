// ChildContext: see child_context.hpp.
#include "engine/supervision/child_context.hpp"

#include "engine/supervision/incarnation.hpp"

namespace solo {

ChildContext::ChildContext(std::shared_ptr<detail::Incarnation> incarnation)
    : incarnation_(std::move(incarnation)) {}

void ChildContext::ready() {
  if (incarnation_->ready) return;
  incarnation_->ready = true;
  incarnation_->wakeup.notify();
}

const std::string& ChildContext::name() const { return incarnation_->name; }

asio::any_io_executor ChildContext::executor() const { return incarnation_->executor; }

}  // namespace solo
