// Nothing secret at rest, with the real binary: tokens and secret values never
// appear in plaintext in any file of the data directory (solo.db, its -wal and
// -shm, master.key...; admin.token holds the admin token and nothing else) nor
// in the server's stdout/stderr, after grants, attenuation, secrets stored,
// overwritten and deleted, a service bound to a secret, refused requests,
// revocation and a vault rotation. Then the vault's failure modes: a flipped
// byte, rows swapped between secrets and tenants, and a wrong master key are
// each a clear 500 from GET /secrets/{key}?reveal=true, and the server keeps
// serving. Last, the CLI verbs of the security layer (token, vault rotate,
// recovery, verify) against the real server.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;
using solo::test::send;

namespace {

std::string random_hex(size_t bytes) {
  static std::random_device rd;
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rd()) & 0xff;
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

struct Token {
  std::string token;
  std::string id;
};

boost::json::object grant_body(const std::string& tenant, const std::vector<std::string>& permissions,
                               const std::string& resource, int64_t ttl) {
  boost::json::array list;
  for (const auto& p : permissions) list.emplace_back(p);
  boost::json::object body;
  if (!tenant.empty()) body["tenant_id"] = tenant;
  body["permissions"] = std::move(list);
  body["resource"] = resource;
  if (ttl > 0) body["ttl_seconds"] = ttl;
  return body;
}

Token grant(const SoloProcess& solo, const std::string& bearer, const std::string& tenant,
            const std::vector<std::string>& permissions, const std::string& resource = "*", int64_t ttl = 3600) {
  auto response = send(solo, "POST", "/tokens", boost::json::serialize(grant_body(tenant, permissions, resource, ttl)),
                       bearer);
  BOOST_TEST_REQUIRE(response.status == 201, response.body);
  auto reply = boost::json::parse(response.body);
  return {std::string(reply.at("token").as_string()), std::string(reply.at("token_id").as_string())};
}

void put_secret(const SoloProcess& solo, const std::string& token, const std::string& key, const std::string& value,
                const std::string& tenant = "") {
  boost::json::object body;
  body["key"] = key;
  body["value"] = value;
  auto response = send(solo, "POST", "/secrets", boost::json::serialize(body), token, tenant);
  BOOST_TEST_REQUIRE(response.status == 201, response.body);
}

net::ClientResponse reveal(const SoloProcess& solo, const std::string& token, const std::string& key,
                           const std::string& tenant = "") {
  return send(solo, "GET", "/secrets/" + key + "?reveal=true", "", token, tenant);
}

std::string revealed_value(const SoloProcess& solo, const std::string& token, const std::string& key,
                           const std::string& tenant = "") {
  auto response = reveal(solo, token, key, tenant);
  BOOST_TEST_REQUIRE(response.status == 200, key << ": " << response.body);
  return std::string(boost::json::parse(response.body).at("value").as_string());
}

// Every regular file under `dir`, by path.
std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  return files;
}

// No needle in any file of the data directory nor in the server's output;
// admin.token may (only) hold the admin token.
void expect_nowhere(const SoloProcess& solo, const std::filesystem::path& data, const std::vector<std::string>& needles,
                    const std::string& admin_token, const std::string& when) {
  auto files = files_under(data);
  BOOST_TEST_REQUIRE(!files.empty());
  bool saw_db = false;
  for (const auto& file : files) {
    saw_db = saw_db || file.filename() == "solo.db";
    auto bytes = slurp(file);
    for (const auto& needle : needles) {
      BOOST_TEST(bytes.find(needle) == std::string::npos,
                 when << ": " << file.filename().string() << " holds " << needle.substr(0, 12) << "...");
    }
    if (file.filename() != "admin.token") {
      BOOST_TEST(bytes.find(admin_token) == std::string::npos,
                 when << ": " << file.filename().string() << " holds the admin token");
    }
  }
  BOOST_TEST(saw_db);
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"stdout", solo.output()}, {"stderr", solo.errors()}}) {
    for (const auto& needle : needles) {
      BOOST_TEST(text.find(needle) == std::string::npos, when << ": " << name << " holds " << needle.substr(0, 12));
    }
    BOOST_TEST(text.find(admin_token) == std::string::npos, when << ": " << name << " holds the admin token");
  }
}

// ---- raw edits of the secrets table (the server is stopped) -----------------

struct RawSecret {
  std::string nonce, ciphertext, tag;
};

class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& file) {
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open " + file.string());
  }
  ~RawDb() { sqlite3_close(db_); }

  RawSecret read(const std::string& tenant, const std::string& name) {
    sqlite3_stmt* statement = prepare("SELECT nonce, ciphertext, tag FROM secrets WHERE tenant_id = ?1 AND name = ?2");
    sqlite3_bind_text(statement, 1, tenant.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(statement, 2, name.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(statement) != SQLITE_ROW) {
      sqlite3_finalize(statement);
      throw std::runtime_error("no secret row " + tenant + "/" + name);
    }
    RawSecret row{blob(statement, 0), blob(statement, 1), blob(statement, 2)};
    sqlite3_finalize(statement);
    return row;
  }

  void write(const std::string& tenant, const std::string& name, const RawSecret& row) {
    sqlite3_stmt* statement =
        prepare("UPDATE secrets SET nonce = ?1, ciphertext = ?2, tag = ?3 WHERE tenant_id = ?4 AND name = ?5");
    sqlite3_bind_blob(statement, 1, row.nonce.data(), static_cast<int>(row.nonce.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(statement, 2, row.ciphertext.data(), static_cast<int>(row.ciphertext.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(statement, 3, row.tag.data(), static_cast<int>(row.tag.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(statement, 4, tenant.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(statement, 5, name.c_str(), -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE || sqlite3_changes(db_) != 1) throw std::runtime_error("update failed for " + name);
  }

 private:
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db_));
    }
    return statement;
  }
  static std::string blob(sqlite3_stmt* statement, int col) {
    auto data = static_cast<const char*>(sqlite3_column_blob(statement, col));
    return std::string(data ? data : "", static_cast<size_t>(sqlite3_column_bytes(statement, col)));
  }
  sqlite3* db_ = nullptr;
};

void expect_undecryptable(const SoloProcess& solo, const std::string& admin, const std::string& tenant,
                          const std::string& key, const std::vector<std::string>& values) {
  auto response = reveal(solo, admin, key, tenant);
  BOOST_TEST(response.status == 500, key << ": " << response.status << " " << response.body);
  auto body = boost::json::parse(response.body);
  BOOST_TEST(body.at("error").as_string() == "internal_error");
  std::string message(body.at("message").as_string());
  BOOST_TEST(message.find("cannot be decrypted") != std::string::npos, message);
  BOOST_TEST(message.find(key) != std::string::npos, message);
  for (const auto& value : values) BOOST_TEST(response.body.find(value) == std::string::npos);
  // Existence without reveal still answers.
  auto exists = send(solo, "GET", "/secrets/" + key, "", admin, tenant);
  BOOST_TEST(exists.status == 200, exists.body);
}

// Runs the solo CLI; returns {exit code, stdout}.
std::pair<int, std::string> run_cli(const std::string& arguments) {
  std::string command = std::string(SOLO_BINARY) + " " + arguments + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_TEST_REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 4096> buffer{};
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const char* kBoundService = R"(
function init(config) return { calls = 0 } end
function handle_call(msg, state)
  local value = solo.secret("db-password")
  state.calls = state.calls + 1
  solo.log("info", "checked the database password: " .. #value .. " characters")
  solo.emit("password_checked", { length = #value, calls = state.calls })
  return { length = #value, unbound = solo.secret("api-key") == nil }, state
end
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(at_rest)

BOOST_AUTO_TEST_CASE(no_token_and_no_secret_value_appears_in_the_data_directory_or_the_output) {
  test::TempDir dir;
  auto data = dir / "data";
  std::vector<std::string> needles;  // every token and secret value but the admin token
  std::string admin;
  {
    SoloProcess solo(data);
    admin = solo.admin_token();
    BOOST_TEST_REQUIRE(admin.size() == 43u);

    // Tokens: admin-granted, attenuated, short-lived, revoked.
    auto alpha = grant(solo, admin, "alpha", {"grant", "deploy", "call", "status", "logs", "events", "secrets:read",
                                              "secrets:write"});
    auto child = grant(solo, alpha.token, "", {"call", "secrets:read"}, "*", 600);
    auto scoped = grant(solo, alpha.token, "", {"secrets:read"}, "secrets/db-password", 60);
    auto beta = grant(solo, admin, "beta", {"secrets:read", "secrets:write", "grant"});
    auto doomed = grant(solo, alpha.token, "", {"status", "grant"}, "*", 600);
    auto doomed_child = grant(solo, doomed.token, "", {"status"}, "*", 300);
    for (const auto* token : {&alpha, &child, &scoped, &beta, &doomed, &doomed_child}) needles.push_back(token->token);

    // Secrets: stored, overwritten (the old value must go too), deleted.
    std::string password_v1 = "pw1-" + random_hex(20), password_v2 = "pw2-" + random_hex(20);
    std::string api_key = "ak-" + random_hex(24), beta_value = "bv-" + random_hex(24);
    std::string deleted_value = "del-" + random_hex(20), refused_value = "ref-" + random_hex(20);
    std::string too_large = "big-" + random_hex(20) + std::string(70 * 1024, 'z');
    needles.insert(needles.end(), {password_v1, password_v2, api_key, beta_value, deleted_value, refused_value});
    put_secret(solo, alpha.token, "db-password", password_v1);
    put_secret(solo, alpha.token, "api-key", api_key);
    put_secret(solo, alpha.token, "db-password", password_v2);
    put_secret(solo, beta.token, "shared", beta_value);
    put_secret(solo, alpha.token, "scratch", deleted_value);
    BOOST_TEST(send(solo, "DELETE", "/secrets/scratch", "", alpha.token).status == 200);
    // Refused writes whose bodies carry a value: an invalid name, a value too large, no permission.
    boost::json::object bad;
    bad["key"] = "no/slashes";
    bad["value"] = refused_value;
    auto refused = send(solo, "POST", "/secrets", boost::json::serialize(bad), alpha.token);
    BOOST_TEST(refused.status == 400);
    BOOST_TEST(refused.body.find(refused_value) == std::string::npos);
    bad["key"] = "large";
    bad["value"] = too_large;
    auto large = send(solo, "POST", "/secrets", boost::json::serialize(bad), alpha.token);
    BOOST_TEST(large.status >= 400);
    BOOST_TEST(large.body.find(too_large.substr(0, 44)) == std::string::npos);
    needles.push_back(too_large.substr(0, 44));
    bad["key"] = "stolen";
    bad["value"] = refused_value;
    BOOST_TEST(send(solo, "POST", "/secrets", boost::json::serialize(bad), child.token).status == 403);

    // Reads: revealed to the right tokens, refused to the others (audit events).
    BOOST_TEST(revealed_value(solo, scoped.token, "db-password") == password_v2);
    BOOST_TEST(reveal(solo, scoped.token, "api-key").status == 403);
    BOOST_TEST(reveal(solo, beta.token, "db-password").status == 404);

    // A service bound to db-password, logging and emitting something innocuous.
    boost::json::object deploy;
    deploy["service_id"] = "checker";
    deploy["code"] = kBoundService;
    deploy["secrets"] = boost::json::array{"db-password"};
    auto deployed = send(solo, "POST", "/services", boost::json::serialize(deploy), alpha.token);
    BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
    for (int i = 0; i < 3; ++i) {
      auto call = send(solo, "POST", "/services/checker/call", "{}", child.token);
      BOOST_TEST_REQUIRE(call.status == 200, call.body);
      auto reply = boost::json::parse(call.body).at("reply");
      BOOST_TEST(reply.at("length").as_int64() == static_cast<int64_t>(password_v2.size()));
      BOOST_TEST(reply.at("unbound").as_bool());
    }
    auto logs = send(solo, "GET", "/logs", "", alpha.token);
    BOOST_TEST(logs.body.find("checked the database password") != std::string::npos, logs.body);

    // Refused tokens: unknown ones (a secret value used as a bearer, too), then revoked ones.
    BOOST_TEST(send(solo, "GET", "/services", "", api_key).status == 401);
    BOOST_TEST(send(solo, "GET", "/services", "", "x" + doomed.token).status == 401);
    BOOST_TEST(send(solo, "DELETE", "/tokens/" + doomed.id, "", alpha.token).status == 200);
    BOOST_TEST(send(solo, "GET", "/services", "", doomed.token).status == 401);
    BOOST_TEST(send(solo, "GET", "/services", "", doomed_child.token).status == 401);

    // A rotation while serving; values still read back.
    auto rotated = send(solo, "POST", "/vault/rotate", "", admin);
    BOOST_TEST_REQUIRE(rotated.status == 200, rotated.body);
    auto rotation = boost::json::parse(rotated.body);
    BOOST_TEST(rotation.at("key_version").as_int64() == 2);
    BOOST_TEST(rotation.at("reencrypted").as_int64() == 3);
    BOOST_TEST(rotation.at("failed").as_array().empty());
    BOOST_TEST(send(solo, "POST", "/vault/rotate", "", alpha.token).status == 403);
    BOOST_TEST(revealed_value(solo, child.token, "db-password") == password_v2);
    BOOST_TEST(revealed_value(solo, beta.token, "shared") == beta_value);
    BOOST_TEST(send(solo, "POST", "/services/checker/call", "{}", child.token).status == 200);

    // The events a tenant sees carry no values either.
    auto events = send(solo, "GET", "/events?since=0&limit=1000", "", admin);
    for (const auto& needle : needles) BOOST_TEST(events.body.find(needle) == std::string::npos);
    BOOST_TEST(events.body.find("secret_stored") != std::string::npos);
    BOOST_TEST(events.body.find("vault_rotated") != std::string::npos);
    BOOST_TEST(events.body.find("capability_revoked") != std::string::npos);

    expect_nowhere(solo, data, needles, admin, "while running");
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
    expect_nowhere(solo, data, needles, admin, "after SIGTERM");
  }
  // The key files are private.
  struct stat info {};
  BOOST_TEST_REQUIRE(::stat((data / "admin.token").c_str(), &info) == 0);
  BOOST_TEST((info.st_mode & 0777) == 0600u);
  BOOST_TEST_REQUIRE(::stat((data / "master.key").c_str(), &info) == 0);
  BOOST_TEST((info.st_mode & 0777) == 0600u);
  BOOST_TEST(slurp(data / "admin.token").find(admin) != std::string::npos);
  // A restart replays nothing into plain sight either.
  {
    SoloProcess solo(data);
    BOOST_TEST(send(solo, "GET", "/auth/verify", "", needles[0]).status == 200);
    solo.kill9();
    expect_nowhere(solo, data, needles, admin, "after a restart and SIGKILL");
  }
}

BOOST_AUTO_TEST_CASE(tampered_swapped_and_wrongly_keyed_secrets_are_a_clear_500_and_the_server_keeps_serving) {
  test::TempDir dir;
  auto data = dir / "data";
  std::string a = "va-" + random_hex(16), b = "vb-" + random_hex(16), c = "vc-" + random_hex(16),
              d = "vd-" + random_hex(16), e = "ve-" + random_hex(16), f = "vf-" + random_hex(16);
  std::vector<std::string> values = {a, b, c, d, e, f};
  {
    SoloProcess solo(data);
    auto admin = solo.admin_token();
    put_secret(solo, admin, "flipped", a, "alpha");
    put_secret(solo, admin, "copied-onto", b, "alpha");
    put_secret(solo, admin, "left", c, "alpha");
    put_secret(solo, admin, "right", d, "alpha");
    put_secret(solo, admin, "intact", e, "alpha");
    put_secret(solo, admin, "source", f, "beta");
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
  }
  {
    RawDb db(data / "solo.db");
    auto flipped = db.read("alpha", "flipped");
    flipped.ciphertext[flipped.ciphertext.size() / 2] ^= 0x01;
    db.write("alpha", "flipped", flipped);
    db.write("alpha", "copied-onto", db.read("beta", "source"));  // another tenant's row
    auto left = db.read("alpha", "left");
    auto right = db.read("alpha", "right");
    db.write("alpha", "left", right);  // swapped within the tenant
    db.write("alpha", "right", left);
  }
  {
    SoloProcess solo(data);
    auto admin = solo.admin_token();
    for (const char* key : {"flipped", "copied-onto", "left", "right"}) {
      expect_undecryptable(solo, admin, "alpha", key, values);
    }
    BOOST_TEST(revealed_value(solo, admin, "intact", "alpha") == e);
    BOOST_TEST(revealed_value(solo, admin, "source", "beta") == f);
    // Still serving: health, a new secret, a deploy.
    BOOST_TEST(send(solo, "GET", "/health", "", admin).status == 200);
    put_secret(solo, admin, "fresh", "fresh-value", "alpha");
    BOOST_TEST(revealed_value(solo, admin, "fresh", "alpha") == "fresh-value");
    // A rotation re-encrypts what it can and names what it cannot.
    auto rotated = send(solo, "POST", "/vault/rotate", "", admin);
    BOOST_TEST_REQUIRE(rotated.status == 200, rotated.body);
    auto failed = boost::json::parse(rotated.body).at("failed").as_array();
    BOOST_TEST(failed.size() == 4u, rotated.body);
    BOOST_TEST(revealed_value(solo, admin, "intact", "alpha") == e);
    for (const auto& value : values) BOOST_TEST(solo.errors().find(value) == std::string::npos);
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
  }
  // A wrong master key: same format, another key.
  std::filesystem::remove(data / "master.key");
  {
    std::ofstream key(data / "master.key");
    key << "v1 " << random_hex(32) << "\n" << "v2 " << random_hex(32) << "\n";
  }
  std::filesystem::permissions(data / "master.key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  {
    SoloProcess solo(data);
    auto admin = solo.admin_token();
    for (const char* key : {"intact", "fresh"}) expect_undecryptable(solo, admin, "alpha", key, values);
    expect_undecryptable(solo, admin, "beta", "source", values);
    BOOST_TEST(send(solo, "GET", "/health", "", admin).status == 200);
    auto listed = send(solo, "GET", "/secrets", "", admin, "alpha");
    BOOST_TEST(listed.status == 200);
    put_secret(solo, admin, "after", "after-value", "alpha");
    BOOST_TEST(revealed_value(solo, admin, "after", "alpha") == "after-value");
    BOOST_TEST(solo.terminate().value_or(-1) == 0);
  }
}

BOOST_AUTO_TEST_CASE(the_cli_grants_lists_revokes_rotates_and_reports) {
  test::TempDir dir;
  auto data = dir / "data";
  SoloProcess solo(data);
  std::string client = "--url " + solo.url() + " --data " + data.string();
  put_secret(solo, solo.admin_token(), "k", "v-cli-secret", "alpha");

  auto [granted_rc, granted] =
      run_cli("token grant " + client + " --tenant alpha --permissions grant,status,secrets:read --ttl 600 --json");
  BOOST_TEST_REQUIRE(granted_rc == 0, granted);
  auto reply = boost::json::parse(granted);
  std::string token(reply.at("token").as_string()), token_id(reply.at("token_id").as_string());
  BOOST_TEST(reply.at("tenant_id").as_string() == "alpha");
  BOOST_TEST(send(solo, "GET", "/secrets/k?reveal=true", "", token).status == 200);

  // The readable form, with the new token as the bearer: attenuation through the CLI.
  auto [child_rc, child] = run_cli("token grant --url " + solo.url() + " --token " + token +
                                   " --permissions status --resource services/x --ttl 60");
  BOOST_TEST_REQUIRE(child_rc == 0, child);
  BOOST_TEST(child.find("token_id:") != std::string::npos, child);
  BOOST_TEST(child.find("tenant:") != std::string::npos, child);
  auto [wider_rc, wider] = run_cli("token grant --url " + solo.url() + " --token " + token +
                                   " --permissions deploy --ttl 60");
  BOOST_TEST(wider_rc == 1);

  auto [list_rc, list] = run_cli("token list " + client + " --tenant alpha");
  BOOST_TEST(list_rc == 0);
  BOOST_TEST(list.find("TOKEN_ID") != std::string::npos, list);
  BOOST_TEST(list.find(token_id) != std::string::npos, list);
  BOOST_TEST(list.find(token) == std::string::npos);
  auto [list_json_rc, list_json] = run_cli("token list " + client + " --json");
  BOOST_TEST(list_json_rc == 0);
  BOOST_TEST(boost::json::parse(list_json).at("total").as_int64() >= 3);

  auto [revoke_rc, revoked] = run_cli("token revoke " + token_id + " " + client);
  BOOST_TEST(revoke_rc == 0, revoked);
  BOOST_TEST(revoked.find("revoked " + token_id + " (2 tokens") != std::string::npos, revoked);
  BOOST_TEST(send(solo, "GET", "/auth/verify", "", token).status == 401);
  BOOST_TEST(run_cli("token revoke nope " + client).first == 1);
  BOOST_TEST(run_cli("token " + client).first == 2);
  BOOST_TEST(run_cli("token grant " + client + " --tenant alpha").first == 2);  // --permissions missing
  BOOST_TEST(run_cli("token frobnicate " + client).first == 2);

  auto [rotate_rc, rotated] = run_cli("vault rotate " + client);
  BOOST_TEST(rotate_rc == 0, rotated);
  BOOST_TEST(rotated.find("vault key version 2: 1 secrets re-encrypted") != std::string::npos, rotated);
  auto [rotate_json_rc, rotated_json] = run_cli("vault rotate " + client + " --json");
  BOOST_TEST(rotate_json_rc == 0);
  BOOST_TEST(boost::json::parse(rotated_json).at("key_version").as_int64() == 3);
  BOOST_TEST(revealed_value(solo, solo.admin_token(), "k", "alpha") == "v-cli-secret");

  auto [recovery_rc, recovery] = run_cli("recovery " + client);
  BOOST_TEST(recovery_rc == 0, recovery);
  BOOST_TEST(recovery.find("previous shutdown: first_start") != std::string::npos, recovery);
  auto [recovery_json_rc, recovery_json] = run_cli("recovery " + client + " --json");
  BOOST_TEST(recovery_json_rc == 0);
  BOOST_TEST(boost::json::parse(recovery_json).at("previous_shutdown").as_string() == "first_start");

  auto [verify_rc, verified] = run_cli("verify " + client);
  BOOST_TEST(verify_rc == 0, verified);
  BOOST_TEST(verified.find("status:") != std::string::npos, verified);
  auto [verify_json_rc, verified_json] = run_cli("verify " + client + " --json");
  BOOST_TEST(verify_json_rc == 0);
  BOOST_TEST(boost::json::parse(verified_json).as_object().contains("inconsistencies"));

  // A tenant token is refused the admin verbs (exit 1, 403).
  auto tenant_token = grant(solo, solo.admin_token(), "alpha", {"status"});
  BOOST_TEST(run_cli("verify --url " + solo.url() + " --token " + tenant_token.token).first == 1);
  BOOST_TEST(run_cli("vault rotate --url " + solo.url() + " --token " + tenant_token.token).first == 1);
  // Unreachable is 3.
  BOOST_TEST(run_cli("recovery --url http://127.0.0.1:1 --token x").first == 3);
  // The server's output never shows the CLI-minted tokens.
  BOOST_TEST(solo.output().find(token) == std::string::npos);
  BOOST_TEST(solo.errors().find(token) == std::string::npos);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
