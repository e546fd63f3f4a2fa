// GET /ui and GET /ui/<path> (see dashboard_assets.hpp): the embedded table,
// one exact route per file.
#include "net/ui/dashboard_assets.hpp"

#include <string>

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

}  // namespace

void add_dashboard_routes(Router& router) {
  for (const DashboardAsset& asset : dashboard_asset_table()) {
    auto handler = [&asset](Request& request) -> asio::awaitable<Response> { co_return serve(asset, request); };
    if (asset.path == "index.html") router.add("GET", "/ui", handler);
    router.add("GET", "/ui/" + std::string(asset.path), handler);
  }
}

}  // namespace solo::net
