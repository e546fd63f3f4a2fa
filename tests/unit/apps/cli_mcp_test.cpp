// Tests for the `solo mcp` verb's command line (apps/cli_mcp.hpp): the client
// options every verb takes become the proxy's URL, identity and TLS, and what
// cannot work is a usage error before anything is read from stdin.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "apps/cli_mcp.hpp"

namespace {

// Runs with SOLO_URL, SOLO_TOKEN and SOLO_TENANT set to the given values
// (unset when nullopt), restored afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::optional<std::string> url, std::optional<std::string> token,
            std::optional<std::string> tenant = std::nullopt) {
    set("SOLO_URL", url);
    set("SOLO_TOKEN", token);
    set("SOLO_TENANT", tenant);
  }
  ~ScopedEnv() {
    for (auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

 private:
  void set(const std::string& name, const std::optional<std::string>& value) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

solo::CliArgs args_of(std::vector<std::string> words) {
  std::vector<char*> argv{const_cast<char*>("solo"), const_cast<char*>("mcp")};
  for (auto& word : words) argv.push_back(word.data());
  return solo::CliArgs::parse(static_cast<int>(argv.size()), argv.data(), 2,
                              {"--url", "--token", "--tenant", "--data", "--ca-cert", "--client-cert",
                               "--client-key"});
}

std::optional<std::string> header(const solo::net::HeaderList& headers, const std::string& name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_mcp)

BOOST_AUTO_TEST_CASE(url_and_token_come_from_the_options) {
  ScopedEnv env("http://env:1", "env-token");
  auto options = solo::mcp_proxy_options(args_of({"--url", "http://127.0.0.1:9", "--token", "t1"}));
  BOOST_TEST(options.url == "http://127.0.0.1:9");
  BOOST_TEST(header(options.identity, "Authorization").value_or("") == "Bearer t1");
  BOOST_TEST(!header(options.identity, "X-Tenant-ID").has_value());
}

BOOST_AUTO_TEST_CASE(url_token_and_tenant_fall_back_to_the_environment_like_every_verb) {
  ScopedEnv env("http://127.0.0.1:7", "env-token", "alpha");
  auto options = solo::mcp_proxy_options(args_of({}));
  BOOST_TEST(options.url == "http://127.0.0.1:7");
  BOOST_TEST(header(options.identity, "Authorization").value_or("") == "Bearer env-token");
  BOOST_TEST(header(options.identity, "X-Tenant-ID").value_or("") == "alpha");
}

BOOST_AUTO_TEST_CASE(the_admin_token_beside_the_server_is_used_when_no_token_is_given) {
  ScopedEnv env(std::nullopt, std::nullopt);
  auto dir = std::filesystem::temp_directory_path() / ("cli-mcp-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "admin.token") << "admin-secret\n";
  auto options = solo::mcp_proxy_options(args_of({"--data", dir.string()}));
  std::filesystem::remove_all(dir);
  BOOST_TEST(options.url == "http://127.0.0.1:8080");
  BOOST_TEST(header(options.identity, "Authorization").value_or("") == "Bearer admin-secret");
}

BOOST_AUTO_TEST_CASE(no_token_a_bad_url_or_an_argument_is_a_usage_error) {
  ScopedEnv env(std::nullopt, std::nullopt);
  BOOST_CHECK_THROW(solo::mcp_proxy_options(args_of({"--data", "/nonexistent-solo-dir"})), solo::UsageError);
  BOOST_CHECK_THROW(solo::mcp_proxy_options(args_of({"--url", "ftp://x", "--token", "t"})), solo::UsageError);
  BOOST_CHECK_THROW(solo::mcp_proxy_options(args_of({"--url", "localhost:8080", "--token", "t"})),
                    solo::UsageError);
  BOOST_CHECK_THROW(solo::mcp_proxy_options(args_of({"extra", "--token", "t"})), solo::UsageError);
  BOOST_CHECK_THROW(solo::mcp_proxy_options(args_of({"--token", "t", "--client-cert", "c.pem"})),
                    solo::UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
