// Incarnation: one run of one child, shared by the supervisor, the child's
// ChildContext and the co_spawn completion handler.
//
// Every restart creates a new Incarnation. Holding it in a shared_ptr from
// the completion handler is what lets the supervisor abandon a child that
// ignores cancellation past its deadline: the late child still finds its
// cancellation signal, its flags and its callable alive, and its exit is then
// recognised as stale (no Child points at this incarnation any more).
//
// Thread safety: none; one io_context thread. Internal to engine/supervision.
#pragma once

#include "base/wakeup.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <exception>
#include <functional>
#include <string>

namespace solo {

class ChildContext;

namespace detail {

struct Incarnation {
  Incarnation(asio::any_io_executor ex, std::string child_name,
              std::function<asio::awaitable<void>(ChildContext)> body)
      : executor(ex), name(std::move(child_name)), run(std::move(body)), wakeup(ex) {}

  asio::any_io_executor executor;
  std::string name;
  // A copy of ChildSpec::run: a lambda's captures must live as long as the
  // coroutine it started, even after the Child is removed.
  std::function<asio::awaitable<void>(ChildContext)> run;
  asio::cancellation_signal signal;  // bound to the child's coroutine; emit = ask it to stop
  Wakeup wakeup;                     // notified on ready() and on exit
  bool ready = false;                // the child called ChildContext::ready()
  bool exited = false;               // its coroutine completed (returned or threw)
  bool stop_requested = false;       // we cancelled it: its exit is not a crash
  std::exception_ptr exit_error;     // null after a normal return
};

}  // namespace detail
}  // namespace solo
