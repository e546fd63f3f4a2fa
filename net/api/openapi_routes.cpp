#include "net/api/openapi_routes.hpp"

#include "net/router.hpp"

namespace solo::net {

namespace {

asio::awaitable<Response> get_openapi(Request&) {
  Response response;
  response.content_type = "application/json";
  response.body = std::string(openapi_document());
  co_return response;
}

}  // namespace

void add_openapi_routes(Router& router) {
  router.add("GET", "/openapi.json", [](Request& request) { return get_openapi(request); });
}

}  // namespace solo::net
