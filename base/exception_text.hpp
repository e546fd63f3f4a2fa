// What went wrong, as text, for an exception caught as std::exception_ptr
// (supervisors, actors and the server log why a coroutine ended), and whether
// it was only a cancellation (operation_aborted), which is no failure.
#pragma once

#include <exception>
#include <string>

namespace solo {

// e.what() for a std::exception, "unknown exception" otherwise, "normal" for
// a null pointer (the coroutine returned).
std::string describe_exception(const std::exception_ptr& error);

// True when the exception is a boost::system::system_error carrying
// asio::error::operation_aborted.
bool is_operation_aborted(const std::exception_ptr& error);

}  // namespace solo
