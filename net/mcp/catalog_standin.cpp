// SCRATCH (wip/mcp-server only): stand-ins for the catalog being written on
// wip/mcp-catalog, so the server links and its tests run. Dropped at merge.
#include <boost/json.hpp>

#include "base/error.hpp"
#include "net/mcp/mcp_resources.hpp"
#include "net/mcp/mcp_tools.hpp"

namespace solo::net::mcp {
namespace json = boost::json;

const json::array& tool_list() {
  static const json::array tools = [] {
    json::array out;
    for (auto name : {"deploy", "call", "list", "status"}) {
      out.push_back(json::object{{"name", name}, {"description", name}, {"inputSchema", json::object{{"type", "object"}}}});
    }
    return out;
  }();
  return tools;
}

std::optional<OpRequest> tool_request(std::string_view tool, const json::object& arguments) {
  if (tool != "deploy" && tool != "call" && tool != "list" && tool != "status") return std::nullopt;
  return op_request(tool, arguments);
}

json::object tool_result(std::string_view, const Response& response) {
  bool ok = response.status >= 200 && response.status < 300;
  json::object out{{"content", json::array{json::object{{"type", "text"}, {"text", response.body}}}}, {"isError", !ok}};
  if (ok) {
    boost::system::error_code ec;
    auto body = json::parse(response.body, ec);
    if (!ec && body.is_object()) out["structuredContent"] = body;
  }
  return out;
}

const json::array& resource_templates() {
  static const json::array templates{json::object{{"uriTemplate", "solo://services/{id}/logs"}, {"name", "logs"}}};
  return templates;
}

OpRequest services_request() { return OpRequest{"GET", "/services", {}, std::nullopt}; }

json::array resource_list(const Response&) { return json::array{json::object{{"uri", "solo://events"}, {"name", "events"}}}; }

std::optional<OpRequest> resource_request(std::string_view uri) {
  if (uri == "solo://events") return OpRequest{"GET", "/events", {}, std::nullopt};
  if (uri == "solo://guide/service-contract") return OpRequest{};
  constexpr std::string_view prefix = "solo://services/";
  if (uri.starts_with(prefix) && uri.ends_with("/logs")) {
    auto id = uri.substr(prefix.size(), uri.size() - prefix.size() - 5);
    return OpRequest{"GET", "/logs", {{"service_id", std::string(id)}}, std::nullopt};
  }
  return std::nullopt;
}

json::object resource_result(std::string_view uri, const Response& response) {
  if (response.status == 404) throw Error(ErrorKind::not_found, "not found");
  return json::object{{"contents", json::array{json::object{{"uri", uri}, {"mimeType", "application/json"}, {"text", response.body}}}}};
}

std::optional<Subscription> subscription_for(std::string_view uri) {
  if (uri == "solo://events") return Subscription{Subscription::Kind::events, ""};
  constexpr std::string_view prefix = "solo://services/";
  if (uri.starts_with(prefix) && uri.ends_with("/logs")) {
    return Subscription{Subscription::Kind::logs, std::string(uri.substr(prefix.size(), uri.size() - prefix.size() - 5))};
  }
  return std::nullopt;
}

const json::array& prompt_list() {
  static const json::array prompts{json::object{{"name", "service-contract"}}};
  return prompts;
}

std::optional<json::object> prompt_get(std::string_view name, const json::object&) {
  if (name != "service-contract") return std::nullopt;
  return json::object{{"messages", json::array{}}};
}

}  // namespace solo::net::mcp
