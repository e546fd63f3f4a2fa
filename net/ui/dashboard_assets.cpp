// GET /ui and GET /ui/<path> (see dashboard_assets.hpp): the embedded table,
// found by its exact path in the table.
#include "net/ui/dashboard_assets.hpp"

#include <string>

#include "base/error.hpp"
#include "net/error_reply.hpp"
#include "net/http_message.hpp"
#include "net/router.hpp"

namespace solo::net {

namespace {

Response serve(const DashboardAsset& asset, const Request& request) {
  Response response;
  response.headers.emplace_back("Content-Security-Policy", std::string(kDashboardContentSecurityPolicy));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("ETag", std::string(asset.etag));
  if (auto seen = request.header("if-none-match"); seen && *seen == asset.etag) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  response.content_type = std::string(asset.content_type);
  response.body = std::string(asset.bytes);
  return response;
}

// Only a path in the table is served: nothing the request says reaches the
// file system (there is none; the files are in the binary). Anything else is
// 404 `not_found` in the API's error shape.
Response serve_path(std::string_view path, const Request& request) {
  for (const DashboardAsset& asset : dashboard_asset_table()) {
    if (asset.path == path) return serve(asset, request);
  }
  return error_reply(Error(ErrorKind::not_found, "the dashboard has no file " + std::string(path)));
}

}  // namespace

void add_dashboard_routes(Router& router) {
  router.add("GET", "/ui", [](Request& request) -> asio::awaitable<Response> {
    co_return serve_path("index.html", request);
  });
  router.add("GET", "/ui/{asset+}", [](Request& request) -> asio::awaitable<Response> {
    co_return serve_path(request.params.at("asset"), request);
  });
}

}  // namespace solo::net
