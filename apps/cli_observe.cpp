// The observing verbs: `solo events` (the durable event log) and `solo logs`
// (the services' log lines). Without -f they page through what is stored and
// exit; with -f they follow the server's SSE stream until interrupted.
// Output: one readable line per item, or with --json one JSON object per line.
#include <iostream>

#include <boost/json.hpp>

#include "apps/cli_client.hpp"
#include "apps/cli_output.hpp"
#include "apps/cli_verbs.hpp"
#include "net/sse.hpp"

namespace solo {

namespace {

constexpr int kPage = 1000;  // the server's largest page

// A payload on one line, for people: a deploy's code as its size, and at
// most kPayloadChars characters (--json prints it whole).
std::string payload_summary(const boost::json::value& payload) {
  constexpr size_t kPayloadChars = 160;
  boost::json::value shown = payload;
  if (shown.is_object()) {
    if (auto code = shown.as_object().if_contains("code"); code && code->is_string()) {
      *code = "<" + std::to_string(code->as_string().size()) + " bytes>";
    }
  }
  auto text = boost::json::serialize(shown);
  if (text.size() > kPayloadChars) text = text.substr(0, kPayloadChars - 3) + "...";
  return text;
}

void print_event(const boost::json::value& event, bool json) {
  if (json) {
    std::cout << boost::json::serialize(event) << "\n";
    return;
  }
  std::cout << field_text(event, "id") << "  " << field_text(event, "timestamp") << "  "
            << field_text(event, "event_type");
  if (auto tenant = field_text(event, "tenant_id"); !tenant.empty()) std::cout << "  tenant=" << tenant;
  if (auto service = field_text(event, "service_id"); !service.empty()) std::cout << "  service=" << service;
  if (auto payload = event.as_object().if_contains("payload")) std::cout << "  " << payload_summary(*payload);
  std::cout << "\n";
}

void print_log(const boost::json::value& line, bool json) {
  if (json) {
    std::cout << boost::json::serialize(line) << "\n";
    return;
  }
  auto level = field_text(line, "level");
  level.resize(5, ' ');
  std::cout << field_text(line, "id") << "  " << field_text(line, "timestamp") << "  " << level << "  "
            << field_text(line, "service_id") << "  " << field_text(line, "message") << "\n";
}

// Follows an SSE stream at `target`, printing each event's data with `print`.
int follow(CliClient& client, const std::string& target, bool json,
           void (*print)(const boost::json::value&, bool)) {
  net::SseParser parser;
  client.stream(target, [&](std::string_view piece) {
    for (auto& event : parser.feed(piece)) {
      boost::system::error_code ec;
      auto value = boost::json::parse(event.data, ec);
      if (!ec) print(value, json);
    }
    std::cout.flush();
    return static_cast<bool>(std::cout);
  });
  return kExitOk;
}

// Pages through a JSON listing ({"<key>": [...], "next": id}) from `since`.
int page_through(CliClient& client, const std::string& path, const std::string& filters, const char* key,
                 int64_t since, bool json, void (*print)(const boost::json::value&, bool)) {
  for (;;) {
    auto body = client.expect_json(
        "GET", path + "?limit=" + std::to_string(kPage) + "&since=" + std::to_string(since) + filters);
    const auto& items = body.at(key).as_array();
    for (const auto& item : items) print(item, json);
    if (items.size() < static_cast<size_t>(kPage)) return kExitOk;
    since = body.at("next").to_number<int64_t>();
  }
}

int cmd_events(const CliArgs& args) {
  if (!args.positional.empty()) throw UsageError("unexpected argument '" + args.positional[0] + "'");
  int64_t since = args.value("--since") ? parse_count(*args.value("--since"), "--since") : 0;
  std::string filters;
  if (auto type = args.value("--type")) filters += "&type=" + url_encode(*type);
  if (auto service = args.value("--service")) filters += "&service_id=" + url_encode(*service);
  bool json = args.flag("--json");
  if (args.flag("-f") || args.flag("--follow")) {
    CliClient client(args, std::chrono::hours(24));
    return follow(client, "/events?since=" + std::to_string(since) + filters, json, print_event);
  }
  CliClient client(args);
  return page_through(client, "/events", filters, "events", since, json, print_event);
}

int cmd_logs(const CliArgs& args) {
  if (args.positional.size() > 1) throw UsageError("unexpected argument '" + args.positional[1] + "'");
  int64_t since = args.value("--since") ? parse_count(*args.value("--since"), "--since") : 0;
  std::string filters;
  if (!args.positional.empty()) filters += "&service_id=" + url_encode(args.positional[0]);
  if (auto level = args.value("--level")) filters += "&level=" + url_encode(*level);
  bool json = args.flag("--json");
  if (args.flag("-f") || args.flag("--follow")) {
    CliClient client(args, std::chrono::hours(24));
    return follow(client, "/logs?since=" + std::to_string(since) + filters, json, print_log);
  }
  CliClient client(args);
  return page_through(client, "/logs", filters, "logs", since, json, print_log);
}

}  // namespace

std::vector<Verb> observe_verbs() {
  return {
      {"logs", "logs [-f] [ID] [--level L] [--since N]",
       "service log lines, all or one service's, at level L and above (-f: follow)", {"--level", "--since"},
       {"-f", "--follow"}, cmd_logs},
      {"events", "events [-f] [--since N] [--type T] [--service ID]", "the durable event log (-f: follow)",
       {"--since", "--type", "--service"}, {"-f", "--follow"}, cmd_events},
  };
}

}  // namespace solo
