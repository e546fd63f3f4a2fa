#include "apps/cli.hpp"

#include <charconv>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include <boost/json.hpp>

#include "apps/cli_args.hpp"
#include "apps/serve.hpp"
#include "net/http_client.hpp"
#include "net/sse.hpp"

namespace solo {

namespace {

const std::set<std::string> kValued = {"--data", "--listen", "--url", "--token", "--since", "--synchronous",
                                       "--shutdown-deadline-ms", "--id", "--limit", "--heartbeat-ms"};

constexpr const char* kUsage = R"(usage: solo <command> [options]

  serve [--data DIR] [--listen HOST:PORT] [--synchronous FULL|NORMAL]
        [--shutdown-deadline-ms N]          run the server (default ./data, 127.0.0.1:8080)
  health                                    the server's /health
  events [-f] [--since ID]                  the event log (-f: follow live)

client options: --url URL (default $SOLO_URL or http://127.0.0.1:8080), --json
)";

int64_t parse_number(const std::string& text, const std::string& what) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    throw UsageError(what + " must be a non-negative integer");
  }
  return value;
}

std::string server_url(const CliArgs& args) {
  if (auto url = args.value("--url")) return *url;
  if (const char* env = std::getenv("SOLO_URL")) return env;
  return "http://127.0.0.1:8080";
}

// Prints an error body {"error","message"} readably and returns exit code 1.
int print_error(const net::ClientResponse& response) {
  boost::system::error_code ec;
  auto body = boost::json::parse(response.body, ec);
  if (!ec && body.is_object() && body.as_object().contains("message")) {
    std::cerr << "error " << response.status << " (" << body.at("error").as_string().c_str()
              << "): " << body.at("message").as_string().c_str() << "\n";
  } else {
    std::cerr << "error " << response.status << ": " << response.body << "\n";
  }
  return 1;
}

int cmd_serve(const CliArgs& args) {
  KernelOptions options;
  options.data_dir = args.value("--data").value_or("./data");
  std::string listen = args.value("--listen").value_or("127.0.0.1:8080");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw UsageError("--listen must be HOST:PORT");
  options.http.host = listen.substr(0, colon);
  if (options.http.host.size() > 2 && options.http.host.front() == '[') {
    options.http.host = options.http.host.substr(1, options.http.host.size() - 2);
  }
  int64_t port = parse_number(listen.substr(colon + 1), "port");
  if (port > 65535) throw UsageError("port must be at most 65535");
  options.http.port = static_cast<uint16_t>(port);
  if (auto sync = args.value("--synchronous")) options.synchronous = *sync;
  if (auto ms = args.value("--shutdown-deadline-ms")) {
    options.shutdown_deadline = std::chrono::milliseconds(parse_number(*ms, "--shutdown-deadline-ms"));
  }
  if (auto ms = args.value("--heartbeat-ms")) {
    options.sse_heartbeat = std::chrono::milliseconds(parse_number(*ms, "--heartbeat-ms"));
  }
  return serve(std::move(options));
}

int cmd_health(const CliArgs& args) {
  net::HttpClient client(server_url(args));
  auto response = client.request("GET", "/health");
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return response.status == 200 ? 0 : 1;
  }
  if (response.status != 200 && response.status != 503) return print_error(response);
  auto body = boost::json::parse(response.body).as_object();
  std::cout << "status:   " << body.at("status").as_string().c_str() << "\n"
            << "events:   " << boost::json::serialize(body.at("events")) << "\n"
            << "services: " << boost::json::serialize(body.at("services")) << "\n"
            << "uptime:   " << boost::json::serialize(body.at("uptime_s")) << " s\n";
  return response.status == 200 ? 0 : 1;
}

void print_event(const boost::json::value& event, bool json) {
  if (json) {
    std::cout << boost::json::serialize(event) << "\n";
    return;
  }
  const auto& e = event.as_object();
  std::cout << e.at("id").as_int64() << "  " << e.at("timestamp").as_string().c_str() << "  "
            << e.at("event_type").as_string().c_str();
  if (!e.at("tenant_id").as_string().empty()) std::cout << "  tenant=" << e.at("tenant_id").as_string().c_str();
  if (!e.at("service_id").as_string().empty()) std::cout << "  service=" << e.at("service_id").as_string().c_str();
  std::cout << "  " << boost::json::serialize(e.at("payload")) << "\n";
}

int cmd_events(const CliArgs& args) {
  net::HttpClient client(server_url(args), std::chrono::hours(24));
  int64_t since = args.value("--since") ? parse_number(*args.value("--since"), "--since") : 0;
  bool json = args.flag("--json");
  if (args.flag("-f") || args.flag("--follow")) {
    net::SseParser parser;
    client.stream("/events?since=" + std::to_string(since), {{"accept", "text/event-stream"}},
                  [&](std::string_view piece) {
                    for (auto& event : parser.feed(piece)) print_event(boost::json::parse(event.data), json);
                    std::cout.flush();
                    return true;
                  });
    return 0;
  }
  for (;;) {
    auto response = client.request("GET", "/events?limit=1000&since=" + std::to_string(since));
    if (response.status != 200) return print_error(response);
    auto body = boost::json::parse(response.body).as_object();
    const auto& events = body.at("events").as_array();
    for (const auto& event : events) print_event(event, json);
    if (events.size() < 1000) return 0;
    since = body.at("next").as_int64();
  }
}

const std::map<std::string, std::function<int(const CliArgs&)>>& verbs() {
  static const std::map<std::string, std::function<int(const CliArgs&)>> table = {
      {"serve", cmd_serve},
      {"health", cmd_health},
      {"events", cmd_events},
  };
  return table;
}

}  // namespace

int run_cli(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  auto verb = verbs().find(argv[1]);
  if (verb == verbs().end()) {
    std::cerr << "solo: unknown command '" << argv[1] << "'\n" << kUsage;
    return 2;
  }
  try {
    return verb->second(CliArgs::parse(argc, argv, 2, kValued));
  } catch (const UsageError& error) {
    std::cerr << "solo " << argv[1] << ": " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "solo " << argv[1] << ": " << error.what() << "\n";
    return 1;
  }
}

}  // namespace solo
