// The MCP resources and the write_service prompt (mcp_resources.hpp). Each
// read is the REST request of a WebSocket op (or of GET /services/{id}/code),
// so authorization is the route's; the guide needs no request.
#include "net/mcp/mcp_resources.hpp"

#include <boost/json.hpp>

#include "engine/identifier.hpp"
#include "net/api/request_args.hpp"
#include "net/mcp/mcp_rest_answer.hpp"
#include "net/mcp/service_contract_guide.hpp"

namespace solo::net::mcp {

namespace {

namespace json = boost::json;

constexpr std::string_view kScheme = "solo://";
constexpr std::string_view kEventsUri = "solo://events";
constexpr std::string_view kGuideUri = "solo://guide/service-contract";
// A read of the event log or of a service's logs returns at most this many
// entries (the REST page limit); `?since=N` reads on from a cursor.
constexpr int kReadPage = 1000;

// A URI taken apart: what it names, the service id, and the since cursor.
struct ParsedUri {
  enum class Kind { events, guide, code, logs } kind;
  std::string service_id;
  std::optional<int64_t> since;
};

// Only the exact shapes above; anything else (a foreign scheme, "..", a
// percent sign, an unknown query) is not one of Solo's resources.
std::optional<ParsedUri> parse_uri(std::string_view uri) {
  if (uri.substr(0, kScheme.size()) != kScheme || uri.size() > 512) return std::nullopt;
  auto rest = uri.substr(kScheme.size());
  std::optional<int64_t> since;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    auto query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (query.substr(0, 6) != "since=" || query.size() == 6 || query.size() > 6 + 18) return std::nullopt;
    int64_t value = 0;
    for (char c : query.substr(6)) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    since = value;
  }
  if (rest == "events") return ParsedUri{ParsedUri::Kind::events, "", since};
  if (rest == "guide/service-contract" && !since) return ParsedUri{ParsedUri::Kind::guide, "", std::nullopt};
  constexpr std::string_view services = "services/";
  if (rest.substr(0, services.size()) != services) return std::nullopt;
  rest = rest.substr(services.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto id = rest.substr(0, slash);
  auto what = rest.substr(slash + 1);
  // An identifier cannot be "." or "..", nor hold '/', '%' or '?': no path tricks.
  if (!is_valid_identifier(id)) return std::nullopt;
  if (what == "code" && !since) return ParsedUri{ParsedUri::Kind::code, std::string(id), std::nullopt};
  if (what == "logs") return ParsedUri{ParsedUri::Kind::logs, std::string(id), since};
  return std::nullopt;
}

json::object text_content(std::string_view uri, std::string_view mime, std::string text) {
  return json::object{{"uri", uri}, {"mimeType", mime}, {"text", std::move(text)}};
}

json::object resource(std::string uri, std::string name, std::string title, std::string description,
                      std::string_view mime) {
  return json::object{{"uri", std::move(uri)},
                      {"name", std::move(name)},
                      {"title", std::move(title)},
                      {"description", std::move(description)},
                      {"mimeType", mime}};
}

constexpr std::string_view kPromptName = "write_service";
constexpr size_t kPurposeMaxBytes = 4096;

}  // namespace

const json::array& resource_templates() {
  static const json::array templates = {
      json::object{{"uriTemplate", "solo://services/{service_id}/code"},
                   {"name", "service-code"},
                   {"title", "A service's code"},
                   {"description", "The Lua source of the version of the service that runs now (needs status)."},
                   {"mimeType", "text/x-lua"}},
      json::object{{"uriTemplate", "solo://services/{service_id}/logs"},
                   {"name", "service-logs"},
                   {"title", "A service's logs"},
                   {"description",
                    "{logs, next}: the service's log lines, oldest first, at most 1000; append ?since=<next> to "
                    "read on (needs logs). Subscribable."},
                   {"mimeType", "application/json"}},
  };
  return templates;
}

OpRequest services_request() {
  json::object args{{"limit", kReadPage}};
  return *op_request("list", args);
}

json::array resource_list(const Response& services) {
  if (!is_success(services)) throw answer_error(services);
  json::array out;
  out.push_back(resource(std::string(kGuideUri), "service-contract", "How to write a Solo service",
                         "The service contract, the solo.* API, the sandbox's limits and examples.",
                         "text/markdown"));
  out.push_back(resource(std::string(kEventsUri), "events", "The event log",
                         "{events, next}: the tenant's durable events, oldest first, at most 1000; "
                         "solo://events?since=<next> reads on (needs events). Subscribable.",
                         "application/json"));
  auto body = answer_body(services);
  const json::value* list = body.is_object() ? body.as_object().if_contains("services") : nullptr;
  if (!list || !list->is_array()) return out;
  for (const auto& service : list->as_array()) {
    const json::value* id = service.is_object() ? service.as_object().if_contains("service_id") : nullptr;
    if (!id || !id->is_string()) continue;
    std::string sid(id->as_string());
    out.push_back(resource("solo://services/" + sid + "/code", sid + "-code", "Code of " + sid,
                           "The Lua source of " + sid + " as it runs now.", "text/x-lua"));
    out.push_back(resource("solo://services/" + sid + "/logs", sid + "-logs", "Logs of " + sid,
                           "The log lines of " + sid + " (at most 1000; ?since=<next> reads on).",
                           "application/json"));
  }
  return out;
}

std::optional<OpRequest> resource_request(std::string_view uri) {
  auto parsed = parse_uri(uri);
  if (!parsed) return std::nullopt;
  json::object args{{"limit", kReadPage}};
  if (parsed->since) args["since"] = *parsed->since;
  switch (parsed->kind) {
    case ParsedUri::Kind::guide: return OpRequest{};
    case ParsedUri::Kind::events: return op_request("events", args);
    case ParsedUri::Kind::logs:
      args["service_id"] = parsed->service_id;
      return op_request("logs", args);
    case ParsedUri::Kind::code: {
      OpRequest request;
      request.method = "GET";
      request.path = "/services/" + parsed->service_id + "/code";
      return request;
    }
  }
  return std::nullopt;
}

json::object resource_result(std::string_view uri, const Response& response) {
  auto parsed = parse_uri(uri);
  if (!parsed) throw Error(ErrorKind::not_found, "no resource " + std::string(uri));
  json::array contents;
  if (parsed->kind == ParsedUri::Kind::guide) {
    contents.push_back(text_content(uri, "text/markdown", std::string(service_contract_guide())));
    return json::object{{"contents", std::move(contents)}};
  }
  if (!is_success(response)) throw answer_error(response);
  auto body = answer_body(response);
  if (parsed->kind == ParsedUri::Kind::code) {
    const json::value* code = body.is_object() ? body.as_object().if_contains("code") : nullptr;
    if (!code || !code->is_string()) throw Error(ErrorKind::internal, "GET /services/{id}/code answered no code");
    contents.push_back(text_content(uri, "text/x-lua", std::string(code->as_string())));
  } else {
    contents.push_back(text_content(uri, "application/json", json::serialize(body)));
  }
  return json::object{{"contents", std::move(contents)}};
}

std::optional<Subscription> subscription_for(std::string_view uri) {
  auto parsed = parse_uri(uri);
  if (!parsed || parsed->since) return std::nullopt;
  if (parsed->kind == ParsedUri::Kind::events) return Subscription{Subscription::Kind::events, ""};
  if (parsed->kind == ParsedUri::Kind::logs) return Subscription{Subscription::Kind::logs, parsed->service_id};
  return std::nullopt;
}

const json::array& prompt_list() {
  static const json::array prompts = {json::object{
      {"name", kPromptName},
      {"title", "Write a Solo service"},
      {"description",
       "The service contract (init, handle_call, handle_cast, handle_info, code_change, terminate), the solo.* "
       "API with solo.storage, the sandbox's limits and two complete examples, so the service deploys on the "
       "first try."},
      {"arguments", json::array{json::object{{"name", "purpose"},
                                             {"description", "What the service should do (optional)"},
                                             {"required", false}}}}}};
  return prompts;
}

std::optional<json::object> prompt_get(std::string_view name, const json::object& arguments) {
  if (name != kPromptName) return std::nullopt;
  std::string purpose;
  for (const auto& [key, value] : arguments) {
    if (key != "purpose") throw BadRequest("unknown argument '" + std::string(key) + "' (the argument is: purpose)");
    if (!value.is_string()) throw BadRequest("'purpose' must be a string");
    if (value.as_string().size() > kPurposeMaxBytes) {
      throw BadRequest("'purpose' must be at most " + std::to_string(kPurposeMaxBytes) + " bytes");
    }
    purpose = std::string(value.as_string());
  }
  std::string text = std::string(service_contract_guide());
  text += purpose.empty()
              ? "\n---\n\nWrite a Solo service following this guide, then deploy it with deploy_service and try it "
                "with call_service."
              : "\n---\n\nWrite a Solo service that does the following, following this guide, then deploy it with "
                "deploy_service and try it with call_service:\n\n" +
                    purpose;
  json::array messages{json::object{{"role", "user"}, {"content", json::object{{"type", "text"}, {"text", text}}}}};
  return json::object{{"description", "How to write a Solo service"}, {"messages", std::move(messages)}};
}

}  // namespace solo::net::mcp
