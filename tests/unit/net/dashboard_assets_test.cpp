// The dashboard's static serving (net/ui/dashboard_assets.hpp) through a
// Router: index at /ui, a module by its path, the security headers, the ETag
// revalidation, 404 for a file not in the table and for every path that tries
// to step out of /ui/.
#include "net/ui/dashboard_assets.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>

#include "net/router.hpp"

namespace solo::net {
namespace {

Response get(const Router& router, std::string path, std::optional<std::string> if_none_match = std::nullopt) {
  Request request;
  request.method = "GET";
  request.path = path;
  request.target = std::move(path);
  if (if_none_match) request.headers.emplace_back("if-none-match", *if_none_match);
  asio::io_context io;
  auto result = asio::co_spawn(io, router.route(request), asio::use_future);
  io.run();
  return result.get();
}

std::optional<std::string> header(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Router dashboard_router() {
  Router router;
  add_dashboard_routes(router);
  return router;
}

BOOST_AUTO_TEST_SUITE(dashboard_assets)

BOOST_AUTO_TEST_CASE(ui_is_the_index_page_with_the_strict_policy) {
  Router router = dashboard_router();
  Response page = get(router, "/ui");
  BOOST_TEST(page.status == 200);
  BOOST_TEST(page.content_type == "text/html; charset=utf-8");
  BOOST_TEST(page.body.find("<form id=\"sign-in\"") != std::string::npos);
  BOOST_TEST(page.body.find("src=\"/ui/app.js\"") != std::string::npos);
  BOOST_TEST(header(page, "Content-Security-Policy").value_or("") == std::string(kDashboardContentSecurityPolicy));
  BOOST_TEST(header(page, "Content-Security-Policy").value_or("").find("script-src 'self'") != std::string::npos);
  BOOST_TEST(header(page, "X-Content-Type-Options").value_or("") == "nosniff");
  BOOST_TEST(get(router, "/ui/index.html").body == page.body);
}

BOOST_AUTO_TEST_CASE(modules_and_chart_js_are_javascript) {
  Router router = dashboard_router();
  for (std::string path : {"/ui/app.js", "/ui/views/services.js", "/ui/diff.js", "/ui/chart.min.js"}) {
    Response script = get(router, path);
    BOOST_TEST(script.status == 200, path);
    BOOST_TEST(script.content_type == "text/javascript; charset=utf-8", path);
    BOOST_TEST(!script.body.empty(), path);
  }
  BOOST_TEST(get(router, "/ui/chart.min.js").body.find("Chart.js v") != std::string::npos);
  BOOST_TEST(get(router, "/ui/app.css").content_type == "text/css; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(an_unchanged_file_is_304_by_its_etag) {
  Router router = dashboard_router();
  Response first = get(router, "/ui/app.js");
  std::string etag = header(first, "ETag").value_or("");
  BOOST_TEST(etag.size() > 2u);
  Response again = get(router, "/ui/app.js", etag);
  BOOST_TEST(again.status == 304);
  BOOST_TEST(again.body.empty());
  BOOST_TEST(get(router, "/ui/app.js", "\"stale\"").status == 200);
  BOOST_TEST(header(get(router, "/ui/app.css"), "ETag").value_or("") != etag);
}

BOOST_AUTO_TEST_CASE(unknown_files_and_traversal_are_404) {
  Router router = dashboard_router();
  for (std::string path : {"/ui/nope.js", "/ui/views", "/ui/../metrics", "/ui/views/../app.js", "/ui/./app.js",
                           "/ui//app.js", "/ui/dashboard_assets.cpp", "/ui/dashboard_assets.hpp", "/ui/app.js/"}) {
    BOOST_TEST(get(router, path).status == 404, path);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace solo::net
