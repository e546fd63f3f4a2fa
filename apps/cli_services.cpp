// The service verbs: deploy, list, status, call, cast, swap, kill — each one
// request to the /services endpoints of docs/http-api.md, printed readably or,
// with --json, as the server's body unchanged.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include <boost/json.hpp>

#include "apps/cli_client.hpp"
#include "apps/cli_output.hpp"
#include "apps/cli_verbs.hpp"

namespace solo {

namespace {

std::string service_path(const std::string& id) { return "/services/" + url_encode(id); }

// --limit k=v ... -> {"k": v}; values are non-negative integers.
boost::json::object limits_argument(const CliArgs& args) {
  boost::json::object limits;
  for (const auto& item : args.values("--limit")) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--limit takes NAME=VALUE, not '" + item + "'");
    limits[item.substr(0, eq)] = parse_count(item.substr(eq + 1), "--limit " + item.substr(0, eq));
  }
  return limits;
}

int cmd_deploy(const CliArgs& args) {
  expect_positionals(args, 1, 1);
  const auto& source = args.positional[0];
  auto format = args.value("--format").value_or("lua");
  if (format != "lua" && format != "native") throw UsageError("--format must be lua or native");
  boost::json::object body;
  // A native service's "code" is the name its type is registered under.
  std::string code = format == "native" ? source : read_source(source);
  std::string id = args.value("--id").value_or(format == "native" ? source
                                                                  : std::filesystem::path(source).stem().string());
  body["service_id"] = id;
  body["format"] = format;
  body["code"] = code;
  if (auto config = args.value("--config")) body["config"] = json_argument(*config, "--config");
  auto limits = limits_argument(args);
  if (!limits.empty()) body["limits"] = std::move(limits);
  auto secrets = args.values("--secret");
  if (!secrets.empty()) {
    boost::json::array names;
    for (const auto& name : secrets) names.emplace_back(name);
    body["secrets"] = std::move(names);
  }
  if (args.value("--max-restarts") || args.value("--max-seconds")) {
    boost::json::object restart;
    if (auto n = args.value("--max-restarts")) restart["max_restarts"] = parse_count(*n, "--max-restarts");
    if (auto s = args.value("--max-seconds")) restart["max_seconds"] = parse_count(*s, "--max-seconds");
    body["restart"] = std::move(restart);
  }
  CliClient client(args);
  auto response = client.expect("POST", "/services", boost::json::serialize(body));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto reply = boost::json::parse(response.body);
  std::cout << "deployed " << field_text(reply, "service_id") << " (version " << field_text(reply, "version")
            << ")\n";
  return kExitOk;
}

std::vector<std::string> service_row(const boost::json::value& service) {
  auto memory = service.as_object().if_contains("memory_bytes");
  return {field_text(service, "service_id"),
          field_text(service, "status"),
          field_text(service, "version"),
          field_text(service, "restarts"),
          field_text(service, "message_queue_len"),
          memory && memory->is_int64() ? human_bytes(memory->as_int64()) : std::string("-"),
          field_text(service, "updated_at")};
}

// One page when --limit or --offset is given; otherwise every service, page by page.
int cmd_list(const CliArgs& args) {
  expect_positionals(args, 0, 0);
  std::string filter;
  if (auto status = args.value("--status")) filter = "&status=" + url_encode(*status);
  CliClient client(args);
  boost::json::value body;
  if (args.value("--limit") || args.value("--offset")) {
    auto limit = args.value("--limit").value_or("100");
    auto offset = args.value("--offset").value_or("0");
    parse_count(limit, "--limit");
    parse_count(offset, "--offset");
    body = client.expect_json("GET", "/services?limit=" + limit + "&offset=" + offset + filter);
  } else {
    boost::json::array all;
    int64_t total = 0;
    for (;;) {
      auto page = client.expect_json("GET", "/services?limit=1000&offset=" + std::to_string(all.size()) + filter);
      total = page.at("total").to_number<int64_t>();
      const auto& services = page.at("services").as_array();
      all.insert(all.end(), services.begin(), services.end());
      if (services.empty() || static_cast<int64_t>(all.size()) >= total) break;
    }
    body = boost::json::object{{"services", std::move(all)}, {"total", total}, {"limit", total}, {"offset", 0}};
  }
  if (args.flag("--json")) {
    std::cout << boost::json::serialize(body) << "\n";
    return kExitOk;
  }
  const auto& services = body.at("services").as_array();
  if (services.empty()) {
    std::cout << "no services\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& service : services) rows.push_back(service_row(service));
  print_table(std::cout, {"SERVICE", "STATUS", "VERSION", "RESTARTS", "QUEUE", "MEMORY", "UPDATED"}, rows);
  return kExitOk;
}

int cmd_status(const CliArgs& args) {
  expect_positionals(args, 1, 1);
  CliClient client(args);
  auto response = client.expect("GET", service_path(args.positional[0]));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto status = boost::json::parse(response.body).as_object();
  static const char* order[] = {"service_id", "tenant_id",  "status",     "alive",     "format",
                                "version",    "code_sha256", "memory_bytes", "message_queue_len",
                                "reductions", "restarts",   "last_error", "created_at", "updated_at"};
  std::vector<std::pair<std::string, std::string>> lines;
  for (const char* key : order) {
    auto item = status.if_contains(key);
    if (!item) continue;
    if (std::string_view(key) == "last_error" && item->is_string() && item->as_string().empty()) continue;
    std::string text = plain_text(*item);
    if (std::string_view(key) == "memory_bytes" && item->is_int64()) text += " (" + human_bytes(item->as_int64()) + ")";
    lines.emplace_back(key, text);
  }
  for (const auto& [key, item] : status) {  // whatever a newer server adds
    if (std::find(std::begin(order), std::end(order), std::string_view(key)) == std::end(order)) {
      lines.emplace_back(std::string(key), plain_text(item));
    }
  }
  size_t width = 0;
  for (const auto& line : lines) width = std::max(width, line.first.size());
  for (const auto& [key, text] : lines) {
    std::cout << key << ":" << std::string(width - key.size() + 1, ' ') << text << "\n";
  }
  return kExitOk;
}

int cmd_call(const CliArgs& args) {
  expect_positionals(args, 1, 2);
  auto message = args.positional.size() > 1 ? json_argument(args.positional[1], "the message")
                                            : boost::json::value(boost::json::object());
  CliClient client(args);
  auto response = client.expect("POST", service_path(args.positional[0]) + "/call", boost::json::serialize(message));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto body = boost::json::parse(response.body);
  auto reply = body.as_object().if_contains("reply");
  std::cout << pretty_json(reply ? *reply : body) << "\n";
  return kExitOk;
}

int cmd_cast(const CliArgs& args) {
  expect_positionals(args, 1, 2);
  auto message = args.positional.size() > 1 ? json_argument(args.positional[1], "the message")
                                            : boost::json::value(boost::json::object());
  CliClient client(args);
  auto response = client.expect("POST", service_path(args.positional[0]) + "/cast", boost::json::serialize(message));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  std::cout << "queued for " << args.positional[0] << "\n";
  return kExitOk;
}

int cmd_swap(const CliArgs& args) {
  expect_positionals(args, 2, 2);
  boost::json::object body;
  body["code"] = read_source(args.positional[1]);
  if (auto ms = args.value("--rollback-window-ms")) body["rollback_window_ms"] = parse_count(*ms, "--rollback-window-ms");
  CliClient client(args);
  auto response = client.expect("PUT", service_path(args.positional[0]) + "/code", boost::json::serialize(body));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto reply = boost::json::parse(response.body);
  std::cout << "swapped " << args.positional[0] << " to version " << field_text(reply, "version") << "\n";
  return kExitOk;
}

int cmd_kill(const CliArgs& args) {
  expect_positionals(args, 1, 1);
  CliClient client(args);
  std::string query;
  if (args.flag("--force")) query += "force=true";
  if (args.flag("--purge")) query += std::string(query.empty() ? "" : "&") + "purge=true";
  auto target = service_path(args.positional[0]) + (query.empty() ? "" : "?" + query);
  auto response = client.expect("DELETE", target);
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  std::cout << "killed " << args.positional[0] << (args.flag("--purge") ? " (storage purged)" : "") << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Verb> service_verbs() {
  return {
      {"deploy",
       "deploy FILE [--id ID] [--format lua|native] [--config JSON] [--limit NAME=N ...]\n"
       "       [--secret NAME ...] [--max-restarts N] [--max-seconds S]",
       "deploy a service (id defaults to the file's stem)",
       {"--id", "--format", "--config", "--limit", "--secret", "--max-restarts", "--max-seconds"},
       {},
       cmd_deploy},
      {"list", "list [--status S] [--limit N] [--offset N]", "the services as a table", {"--status", "--limit", "--offset"},
       {}, cmd_list},
      {"status", "status ID", "one service's status", {}, {}, cmd_status},
      {"call", "call ID [JSON|-]", "send a message and print the reply", {}, {}, cmd_call},
      {"cast", "cast ID [JSON|-]", "send a message without waiting for a reply", {}, {}, cmd_cast},
      {"swap", "swap ID FILE [--rollback-window-ms N]", "hot-swap a service's code", {"--rollback-window-ms"}, {},
       cmd_swap},
      {"kill", "kill ID [--force] [--purge]",
       "stop a service (--force: without waiting for terminate; --purge: delete its storage too)", {},
       {"--force", "--purge"}, cmd_kill},
  };
}

}  // namespace solo
