#include "net/api/store_unavailable.hpp"

#include <string>

#include "stores/sqlite.hpp"

namespace solo::net {

Response store_unavailable_response(const StoreError& error) {
  auto response = error_response(
      503, "store_unavailable",
      std::string("the store cannot commit (") + error.what() + "); nothing was written, retry later");
  response.headers.emplace_back("Retry-After", std::to_string(kStoreRetryAfterSeconds));
  return response;
}

}  // namespace solo::net
