#include "apps/cli.hpp"

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "apps/cli_args.hpp"
#include "apps/cli_client.hpp"
#include "apps/cli_verbs.hpp"
#include "apps/cluster_node.hpp"
#include "apps/cluster_shards.hpp"
#include "apps/serve.hpp"
#include "engine/identifier.hpp"

namespace solo {

namespace {

// Options every client verb takes.
const std::set<std::string> kClientValued = {"--url",     "--tenant",      "--token",     "--data",
                                             "--ca-cert", "--client-cert", "--client-key"};
const std::set<std::string> kClientFlags = {"--json"};

constexpr const char* kClientOptions = R"(
client options (every verb but serve):
  --url URL      the server (default $SOLO_URL or http://127.0.0.1:8080)
  --tenant T     act as tenant T (default $SOLO_TENANT, else the server's "default")
  --token T      bearer token (default $SOLO_TOKEN, else the admin token in DIR/admin.token)
  --data DIR     where to find admin.token (default ./data)
  --ca-cert F    for https:// URLs: the CA (PEM) to trust (default $SOLO_CA_CERT, else the system's)
  --client-cert F, --client-key F
                 a client certificate and its key for mutual TLS
                 (default $SOLO_CLIENT_CERT, $SOLO_CLIENT_KEY)
  --json         print the server's JSON instead of the readable form

exit codes: 0 ok, 1 the server answered with an error, 2 usage error,
            3 the server cannot be reached. See docs/cli.md.
)";

int64_t parse_number(const std::string& text, const std::string& what) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    throw UsageError(what + " must be a non-negative integer");
  }
  return value;
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
  if (auto store = args.value("--store")) {
    if (!store->starts_with("postgresql://") && !store->starts_with("postgres://")) {
      throw UsageError("--store must be a postgresql:// URI (without it the store is DIR/solo.db)");
    }
    options.store = *store;
  }
  if (auto ms = args.value("--shutdown-deadline-ms")) {
    options.shutdown_deadline = std::chrono::milliseconds(parse_number(*ms, "--shutdown-deadline-ms"));
  }
  if (auto ms = args.value("--shutdown-step-deadline-ms")) {
    options.step_deadline = std::chrono::milliseconds(parse_number(*ms, "--shutdown-step-deadline-ms"));
    if (options.step_deadline.count() == 0) throw UsageError("--shutdown-step-deadline-ms must be at least 1");
  }
  if (auto ms = args.value("--heartbeat-ms")) {
    options.sse_heartbeat = std::chrono::milliseconds(parse_number(*ms, "--heartbeat-ms"));
  }
  if (auto n = args.value("--max-connections")) {
    options.http.max_connections = static_cast<std::size_t>(parse_number(*n, "--max-connections"));
    if (options.http.max_connections == 0) throw UsageError("--max-connections must be at least 1");
  }
  if (auto n = args.value("--max-connections-per-address")) {
    options.http.max_connections_per_address =
        static_cast<std::size_t>(parse_number(*n, "--max-connections-per-address"));
    if (options.http.max_connections_per_address == 0) {
      throw UsageError("--max-connections-per-address must be at least 1");
    }
  }
  if (auto ms = args.value("--first-byte-timeout-ms")) {
    options.http.first_byte_timeout = std::chrono::milliseconds(parse_number(*ms, "--first-byte-timeout-ms"));
    if (options.http.first_byte_timeout.count() == 0) throw UsageError("--first-byte-timeout-ms must be at least 1");
  }
  auto tls_cert = args.value("--tls-cert");
  auto tls_key = args.value("--tls-key");
  auto tls_client_ca = args.value("--tls-client-ca");
  if (tls_cert.has_value() != tls_key.has_value()) throw UsageError("--tls-cert and --tls-key go together");
  if (tls_client_ca && !tls_cert) throw UsageError("--tls-client-ca needs --tls-cert and --tls-key");
  if (tls_cert) {
    if (tls_cert->empty() || tls_key->empty()) throw UsageError("--tls-cert and --tls-key need a file");
    net::TlsServerOptions tls;
    tls.cert_file = *tls_cert;
    tls.key_file = *tls_key;
    tls.client_ca_file = tls_client_ca.value_or("");
    options.http.tls = std::move(tls);
  }
  auto advertise = args.value("--advertise");
  auto lease_ttl = args.value("--lease-ttl-ms");
  auto shards = args.value("--shards");
  if (auto node = args.value("--node")) {
    if (options.store.empty()) {
      throw UsageError("--node needs --store postgresql://... (the nodes of a cluster share a PostgreSQL store)");
    }
    if (!is_valid_identifier(*node)) {
      throw UsageError("--node must be 1 to 128 of A-Z a-z 0-9 _ - . (not starting with '.')");
    }
    ClusterOptions cluster;
    cluster.node = *node;
    if (advertise) {
      if (!advertise->starts_with("http://") && !advertise->starts_with("https://")) {
        throw UsageError("--advertise must be an http:// or https:// URL");
      }
      cluster.advertise = *advertise;
    }
    if (lease_ttl) {
      cluster.lease_ttl = std::chrono::milliseconds(parse_number(*lease_ttl, "--lease-ttl-ms"));
      if (cluster.lease_ttl < std::chrono::milliseconds(500)) throw UsageError("--lease-ttl-ms must be at least 500");
    }
    if (shards) {
      cluster.shards = static_cast<int>(parse_number(*shards, "--shards"));
      if (cluster.shards < 1 || cluster.shards > cluster_shards::kMaxShards) {
        throw UsageError("--shards must be 1 to " + std::to_string(cluster_shards::kMaxShards));
      }
    }
    return serve_cluster(std::move(options), std::move(cluster));
  }
  if (advertise || lease_ttl || shards) throw UsageError("--advertise, --lease-ttl-ms and --shards need --node");
  return serve(std::move(options));
}

int cmd_health(const CliArgs& args) {
  if (!args.positional.empty()) throw UsageError("unexpected argument '" + args.positional[0] + "'");
  CliClient client(args);
  auto response = client.send("GET", "/health");
  if (response.status != 200 && response.status != 503) throw server_error(response);
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return response.status == 200 ? kExitOk : kExitServerError;
  }
  auto body = boost::json::parse(response.body).as_object();
  std::cout << "status:   " << body.at("status").as_string().c_str() << "\n";
  if (body.at("status") == "standby") {
    // A cluster node standing by (docs/cluster.md): which node is active.
    const auto& active = body.at("active");
    std::cout << "node:     " << body.at("node").as_string().c_str() << "\n"
              << "active:   "
              << (active.is_object() ? std::string(active.at("node").as_string()) + " at " +
                                           std::string(active.at("url").as_string())
                                     : std::string("none yet"))
              << "\n";
    return kExitServerError;
  }
  std::cout << "events:   " << boost::json::serialize(body.at("events")) << "\n"
            << "services: " << boost::json::serialize(body.at("services")) << "\n"
            << "uptime:   " << boost::json::serialize(body.at("uptime_s")) << " s\n";
  return response.status == 200 ? kExitOk : kExitServerError;
}

const std::vector<Verb>& verbs() {
  static const std::vector<Verb> table = [] {
    std::vector<Verb> all = {
        {"serve",
         "serve [--data DIR] [--store postgresql://...] [--listen HOST:PORT] [--synchronous FULL|NORMAL]\n"
         "       [--shutdown-deadline-ms N] [--shutdown-step-deadline-ms N] [--heartbeat-ms N]\n"
         "       [--max-connections N] [--max-connections-per-address N] [--first-byte-timeout-ms N]\n"
         "       [--tls-cert F --tls-key F [--tls-client-ca F]]\n"
         "       [--node NAME [--advertise URL] [--lease-ttl-ms N] [--shards N]]",
         "run the server (default ./data, 127.0.0.1:8080); HTTPS with --tls-cert/--tls-key,\n"
         "      requiring client certificates signed by --tls-client-ca when given; the store in\n"
         "      PostgreSQL with --store (docs/operations.md, \"PostgreSQL\"); with --node, one\n"
         "      node of a cluster on that store (docs/cluster.md)",
         {"--data", "--store", "--listen", "--synchronous", "--shutdown-deadline-ms", "--shutdown-step-deadline-ms",
          "--heartbeat-ms", "--max-connections",
          "--max-connections-per-address", "--first-byte-timeout-ms", "--tls-cert", "--tls-key", "--tls-client-ca",
          "--node", "--advertise", "--lease-ttl-ms", "--shards"},
         {},
         cmd_serve,
         false},
        {"health", "health", "the server's /health (exit 1 unless healthy)", {}, {}, cmd_health},
    };
    for (auto& verb : service_verbs()) all.push_back(std::move(verb));
    for (auto& verb : observe_verbs()) all.push_back(std::move(verb));
    for (auto& verb : token_verbs()) all.push_back(std::move(verb));
    for (auto& verb : tenant_verbs()) all.push_back(std::move(verb));
    for (auto& verb : storage_verbs()) all.push_back(std::move(verb));
    for (auto& verb : mcp_verbs()) all.push_back(std::move(verb));
    for (auto& verb : cluster_verbs()) all.push_back(std::move(verb));
    return all;
  }();
  return table;
}

const Verb* find_verb(const std::string& name) {
  for (const auto& verb : verbs()) {
    if (verb.name == name) return &verb;
  }
  return nullptr;
}

void print_usage(std::ostream& out) {
  out << "usage: solo <command> [options]\n\n";
  for (const auto& verb : verbs()) out << "  solo " << verb.synopsis << "\n      " << verb.summary << "\n";
  out << "  solo help [COMMAND]\n      this text, or one command's\n" << kClientOptions;
}

void print_verb_usage(std::ostream& out, const Verb& verb) {
  out << "usage: solo " << verb.synopsis << "\n  " << verb.summary << "\n";
  if (verb.client) out << kClientOptions;
}

// Every option given must be one the verb knows.
void check_options(const Verb& verb, const CliArgs& args) {
  for (const auto& [name, value] : args.options) {
    bool known = verb.valued.count(name) || verb.flags.count(name) ||
                 (verb.client && (kClientValued.count(name) || kClientFlags.count(name)));
    if (!known) throw UsageError("unknown option " + name);
    if (verb.flags.count(name) || kClientFlags.count(name)) {
      if (!value.empty()) throw UsageError(name + " takes no value");
    }
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::string name = argc < 2 ? "" : argv[1];
  if (name.empty() || name == "help" || name == "--help" || name == "-h") {
    if (argc >= 3) {
      if (const auto* verb = find_verb(argv[2])) {
        print_verb_usage(std::cout, *verb);
        return kExitOk;
      }
      std::cerr << "solo: unknown command '" << argv[2] << "'\n";
      return kExitUsage;
    }
    print_usage(name.empty() ? std::cerr : std::cout);
    return name.empty() ? kExitUsage : kExitOk;
  }
  const auto* verb = find_verb(name);
  if (!verb) {
    std::cerr << "solo: unknown command '" << name << "' (solo help lists them)\n";
    return kExitUsage;
  }
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      print_verb_usage(std::cout, *verb);
      return kExitOk;
    }
  }
  try {
    auto valued = verb->valued;
    if (verb->client) valued.insert(kClientValued.begin(), kClientValued.end());
    auto args = CliArgs::parse(argc, argv, 2, valued);
    check_options(*verb, args);
    return verb->run(args);
  } catch (const UsageError& error) {
    std::cerr << "solo " << name << ": " << error.what() << "\nusage: solo " << verb->synopsis << "\n";
    return kExitUsage;
  } catch (const ServerError& error) {
    std::cerr << "solo " << name << ": " << error.what() << "\n";
    return kExitServerError;
  } catch (const Unreachable& error) {
    std::cerr << "solo " << name << ": " << error.what() << "\n";
    return kExitUnreachable;
  } catch (const std::exception& error) {
    std::cerr << "solo " << name << ": " << error.what() << "\n";
    return kExitServerError;
  }
}

}  // namespace solo
