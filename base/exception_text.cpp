#include "base/exception_text.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace solo {

std::string describe_exception(const std::exception_ptr& error) {
  if (!error) return "normal";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

bool is_operation_aborted(const std::exception_ptr& error) {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    return e.code() == boost::asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

}  // namespace solo
