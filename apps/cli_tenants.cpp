// The tenant verbs: `solo tenant quota TENANT` (GET /tenants/{id}/quota),
// `solo tenant quota TENANT key=value...` (PUT /tenants/{id}/quota, admin)
// and `solo tenant show TENANT` (GET /tenants/{id}: use against quota).
#include <iostream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "apps/cli_client.hpp"
#include "apps/cli_output.hpp"
#include "apps/cli_verbs.hpp"

namespace solo {

namespace {

std::string quota_path(const std::string& tenant) { return "/tenants/" + url_encode(tenant) + "/quota"; }

// key=value... -> {"key": value}; values are non-negative integers.
boost::json::object parse_assignments(const std::vector<std::string>& items) {
  boost::json::object body;
  for (const auto& item : items) {
    auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw UsageError("expected QUOTA=VALUE, not '" + item + "' (e.g. services=10)");
    }
    auto key = item.substr(0, equals);
    body[key] = parse_count(item.substr(equals + 1), key);
  }
  return body;
}

void print_quota(const boost::json::value& reply) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, value] : reply.at("quota").as_object()) rows.push_back({std::string(name), plain_text(value)});
  print_table(std::cout, {"QUOTA", "LIMIT"}, rows);
}

int tenant_quota(const CliArgs& args) {
  if (args.positional.size() < 2) throw UsageError("missing argument: TENANT");
  const auto& tenant = args.positional[1];
  std::vector<std::string> assignments(args.positional.begin() + 2, args.positional.end());
  CliClient client(args);
  auto response = assignments.empty()
                      ? client.expect("GET", quota_path(tenant))
                      : client.expect("PUT", quota_path(tenant),
                                      boost::json::serialize(parse_assignments(assignments)));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  std::cout << "tenant " << tenant << (assignments.empty() ? "" : " (quota set)") << "\n";
  print_quota(boost::json::parse(response.body));
  return kExitOk;
}

int tenant_show(const CliArgs& args) {
  if (args.positional.size() != 2) throw UsageError("expected: solo tenant show TENANT");
  CliClient client(args);
  auto response = client.expect("GET", "/tenants/" + url_encode(args.positional[1]));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto reply = boost::json::parse(response.body);
  std::cout << "tenant " << field_text(reply, "tenant_id") << "\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, entry] : reply.at("quota").as_object()) {
    auto per_service = entry.as_object().if_contains("per_service");
    rows.push_back({std::string(name), field_text(entry, "used"), field_text(entry, "limit"),
                    per_service ? "per service (highest in use)" : ""});
  }
  print_table(std::cout, {"QUOTA", "USED", "LIMIT", ""}, rows);
  return kExitOk;
}

int cmd_tenant(const CliArgs& args) {
  if (args.positional.empty()) throw UsageError("missing subcommand: quota or show");
  const auto& sub = args.positional[0];
  if (sub == "quota") return tenant_quota(args);
  if (sub == "show") return tenant_show(args);
  throw UsageError("unknown subcommand '" + sub + "' (quota or show)");
}

}  // namespace

std::vector<Verb> tenant_verbs() {
  return {
      {"tenant",
       "tenant quota TENANT [QUOTA=VALUE...] | tenant show TENANT",
       "show a tenant's quota, or set some of it (admin); show its use against the quota",
       {},
       {},
       cmd_tenant},
  };
}

}  // namespace solo
