// The dashboard's static files (net/ui/*.html|css|js and Chart.js), embedded
// at build time by cmake/embed_dashboard.cmake into a generated table, and
// served without a token: GET /ui is index.html, GET /ui/<path> each file. The
// page holds no data of its own; everything it shows comes from the
// token-authenticated API (/auth/whoami, /services, /ws, ...), so serving it
// openly reveals nothing but the code. The Gateway lets GET /ui and
// GET /ui/... through unauthenticated (net/gateway.cpp).
//
// Every response carries the strict Content-Security-Policy below (no inline
// script or style, nothing from another origin), nosniff and an ETag (a
// digest of the file, answered 304 on If-None-Match). Files are revalidated
// on every load (no-cache): their names carry no version, so a cached copy
// could otherwise outlive an upgrade of the binary.
#pragma once

#include <span>
#include <string_view>

namespace solo::net {

class Router;

struct DashboardAsset {
  std::string_view path;          // "index.html", "views/overview.js", "chart.min.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // quoted, e.g. "\"3f2a...\""
  std::string_view bytes;
};

// The generated table (dashboard_asset_table.cpp in the build directory).
std::span<const DashboardAsset> dashboard_asset_table();

inline constexpr std::string_view kDashboardContentSecurityPolicy =
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'";

// GET /ui and GET /ui/{asset+}: a path not exactly in the table is 404
// `not_found`, so no path can reach outside the table.
void add_dashboard_routes(Router& router);

}  // namespace solo::net
