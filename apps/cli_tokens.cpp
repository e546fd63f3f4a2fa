// The security and operations verbs: `solo token grant|list|revoke` (the
// /tokens endpoints), `solo vault rotate` (POST /vault/rotate), `solo recovery`
// (GET /system/recovery) and `solo verify` (POST /system/verify). Each is one
// request, printed readably or, with --json, as the server's body unchanged.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "apps/cli_client.hpp"
#include "apps/cli_output.hpp"
#include "apps/cli_verbs.hpp"

namespace solo {

namespace {

void expect_count(const CliArgs& args, size_t min, size_t max) {
  if (args.positional.size() > max) throw UsageError("unexpected argument '" + args.positional[max] + "'");
  if (args.positional.size() < min) throw UsageError("missing argument (see solo help)");
}

// "a,b" -> ["a", "b"]; empty items are a usage error.
boost::json::array split_list(const std::string& text, const std::string& what) {
  boost::json::array items;
  size_t start = 0;
  for (;;) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) throw UsageError(what + " takes a comma-separated list without empty items");
    items.emplace_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

// Prints `key: value` lines, aligned.
void print_fields(const std::vector<std::pair<std::string, std::string>>& lines) {
  size_t width = 0;
  for (const auto& line : lines) width = std::max(width, line.first.size());
  for (const auto& [key, text] : lines) std::cout << key << ":" << std::string(width - key.size() + 1, ' ') << text << "\n";
}

std::string or_dash(std::string text) { return text.empty() || text == "null" ? "-" : text; }

int token_grant(const CliArgs& args) {
  expect_count(args, 1, 1);
  auto permissions = args.value("--permissions");
  if (!permissions) throw UsageError("--permissions is required (e.g. --permissions call,status)");
  boost::json::object body;
  if (auto tenant = args.value("--tenant")) body["tenant_id"] = *tenant;
  body["permissions"] = split_list(*permissions, "--permissions");
  if (auto resource = args.value("--resource")) body["resource"] = *resource;
  if (auto ttl = args.value("--ttl")) {
    auto seconds = parse_count(*ttl, "--ttl");
    if (seconds == 0) throw UsageError("--ttl must be at least 1 second");
    body["ttl_seconds"] = seconds;
  }
  CliClient client(args);
  auto response = client.expect("POST", "/tokens", boost::json::serialize(body));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto reply = boost::json::parse(response.body);
  print_fields({{"token", field_text(reply, "token")},
                {"token_id", field_text(reply, "token_id")},
                {"tenant", field_text(reply, "tenant_id")},
                {"expires_at", or_dash(field_text(reply, "expires_at"))}});
  std::cerr << "(the token is shown once: only its hash is kept)\n";
  return kExitOk;
}

std::string join_permissions(const boost::json::value& token) {
  std::string out;
  if (auto list = token.as_object().if_contains("permissions"); list && list->is_array()) {
    for (const auto& permission : list->as_array()) {
      if (!out.empty()) out += ",";
      out += plain_text(permission);
    }
  }
  return out;
}

int token_list(const CliArgs& args) {
  expect_count(args, 1, 1);
  CliClient client(args);
  auto response = client.expect("GET", "/tokens");
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto body = boost::json::parse(response.body);
  const auto& tokens = body.at("tokens").as_array();
  if (tokens.empty()) {
    std::cout << "no tokens\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& token : tokens) {
    auto revoked = token.as_object().if_contains("revoked");
    rows.push_back({field_text(token, "token_id"), field_text(token, "tenant_id"), join_permissions(token),
                    field_text(token, "resource"), or_dash(field_text(token, "expires_at")),
                    or_dash(field_text(token, "parent_id")),
                    revoked && revoked->is_bool() && revoked->as_bool() ? "revoked" : "live"});
  }
  print_table(std::cout, {"TOKEN_ID", "TENANT", "PERMISSIONS", "RESOURCE", "EXPIRES", "PARENT", "STATE"}, rows);
  return kExitOk;
}

int token_revoke(const CliArgs& args) {
  expect_count(args, 2, 2);
  CliClient client(args);
  auto response = client.expect("DELETE", "/tokens/" + url_encode(args.positional[1]));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto reply = boost::json::parse(response.body);
  auto count = field_text(reply, "revoked");
  std::cout << "revoked " << args.positional[1] << " (" << count << (count == "1" ? " token" : " tokens")
            << " newly revoked, with those attenuated from it)\n";
  return kExitOk;
}

int cmd_token(const CliArgs& args) {
  if (args.positional.empty()) throw UsageError("missing subcommand: grant, list or revoke");
  const auto& sub = args.positional[0];
  bool granting = sub == "grant";
  if (!granting && (args.value("--permissions") || args.value("--resource") || args.value("--ttl"))) {
    throw UsageError("--permissions, --resource and --ttl belong to `solo token grant`");
  }
  if (granting) return token_grant(args);
  if (sub == "list") return token_list(args);
  if (sub == "revoke") return token_revoke(args);
  throw UsageError("unknown subcommand '" + sub + "' (grant, list or revoke)");
}

int cmd_vault(const CliArgs& args) {
  if (args.positional.empty()) throw UsageError("missing subcommand: rotate");
  if (args.positional[0] != "rotate") throw UsageError("unknown subcommand '" + args.positional[0] + "' (rotate)");
  expect_count(args, 1, 1);
  CliClient client(args);
  auto response = client.expect("POST", "/vault/rotate");
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto reply = boost::json::parse(response.body);
  std::cout << "vault key version " << field_text(reply, "key_version") << ": " << field_text(reply, "reencrypted")
            << " secrets re-encrypted\n";
  if (auto failed = reply.as_object().if_contains("failed"); failed && failed->is_array() && !failed->as_array().empty()) {
    std::cout << "could not be decrypted (left as they were): " << plain_text(*failed) << "\n";
    return kExitServerError;
  }
  return kExitOk;
}

void print_verification(const boost::json::value& verification, const std::string& indent) {
  std::cout << indent << "status:          " << field_text(verification, "status") << "\n"
            << indent << "fixes applied:   " << field_text(verification, "fixes_applied") << "\n";
  auto list = verification.as_object().if_contains("inconsistencies");
  if (!list || !list->is_array() || list->as_array().empty()) {
    std::cout << indent << "inconsistencies: none\n";
    return;
  }
  std::cout << indent << "inconsistencies:\n";
  for (const auto& item : list->as_array()) std::cout << indent << "  - " << plain_text(item) << "\n";
}

int cmd_recovery(const CliArgs& args) {
  expect_count(args, 0, 0);
  CliClient client(args);
  auto response = client.expect("GET", "/system/recovery");
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto report = boost::json::parse(response.body);
  print_fields({{"previous shutdown", field_text(report, "previous_shutdown")},
                {"recovered", field_text(report, "recovered")},
                {"skipped", field_text(report, "skipped")},
                {"failed", field_text(report, "failed")},
                {"tokens restored", field_text(report, "tokens_restored")},
                {"duration", field_text(report, "duration_ms") + " ms"}});
  if (auto steps = report.as_object().if_contains("steps"); steps && steps->is_object() && !steps->as_object().empty()) {
    std::cout << "steps:\n";
    for (const auto& [name, ms] : steps->as_object()) std::cout << "  " << std::string(name) << ": " << plain_text(ms) << " ms\n";
  }
  if (auto verification = report.as_object().if_contains("verification"); verification && verification->is_object()) {
    std::cout << "verification:\n";
    print_verification(*verification, "  ");
  }
  return kExitOk;
}

int cmd_verify(const CliArgs& args) {
  expect_count(args, 0, 0);
  CliClient client(args);
  auto response = client.expect("POST", "/system/verify");
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto report = boost::json::parse(response.body);
  print_verification(report, "");
  if (auto through = field_text(report, "verified_through"); !through.empty()) {
    std::cout << "verified through event " << through << "\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<Verb> token_verbs() {
  return {
      {"token",
       "token grant --tenant T --permissions P[,P...] [--resource R] [--ttl S]\n"
       "       token list | token revoke TOKEN_ID",
       "mint a capability token (shown once), list tokens, revoke one and those attenuated from it",
       {"--permissions", "--resource", "--ttl"},
       {},
       cmd_token},
      {"vault", "vault rotate", "new master key version; re-encrypt every secret (admin)", {}, {}, cmd_vault},
      {"recovery", "recovery", "the last start's recovery report (admin)", {}, {}, cmd_recovery},
      {"verify", "verify", "run the Verifier now and print its report (admin)", {}, {}, cmd_verify},
  };
}

}  // namespace solo
