// ChildContext: what a supervised child's coroutine gets from its supervisor.
//
// The child calls ready() once it is started (listening, state loaded, ...):
// start() waits for that before starting the next child, which is how boot
// order becomes a guarantee. Stopping is not signalled here but through the
// coroutine's cancellation slot (terminal cancellation): a child just lets
// operation_aborted propagate, or catches it to clean up, then returns.
//
// Thread safety: none; use it on the io_context thread that runs the child.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace solo {

namespace asio = boost::asio;

namespace detail {
struct Incarnation;
}

class ChildContext {
 public:
  explicit ChildContext(std::shared_ptr<detail::Incarnation> incarnation);

  // Reports the child as started; later calls are no-ops.
  void ready();

  const std::string& name() const;
  asio::any_io_executor executor() const;

 private:
  std::shared_ptr<detail::Incarnation> incarnation_;
};

}  // namespace solo
