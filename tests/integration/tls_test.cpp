// The real `solo serve` over HTTPS with certificates the test generates:
// `listening on https://...`, /health over TLS, the CLI with --ca-cert (and
// $SOLO_CA_CERT), mutual TLS with --tls-client-ca and the CLI's
// --client-cert/--client-key, and clear failures for bad TLS files.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"
#include "support/test_certs.hpp"

using namespace solo;
using solo::test::SoloProcess;

namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs `solo ARGS...` to completion (killed after 30 s), SOLO_* cleared but for `env`.
Ran run_solo(const std::filesystem::path& dir, std::vector<std::string> args, const Env& env = {}) {
  static int counter = 0;
  auto stem = "tls-run-" + std::to_string(++counter);
  auto out_path = dir / (stem + ".out");
  auto err_path = dir / (stem + ".err");
  args.insert(args.begin(), SOLO_BINARY);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    for (const char* name : {"SOLO_URL", "SOLO_TENANT", "SOLO_TOKEN", "SOLO_CA_CERT", "SOLO_CLIENT_CERT",
                             "SOLO_CLIENT_KEY"}) {
      unsetenv(name);
    }
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  Ran ran;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ran.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ran.out = slurp_file(out_path);
  ran.err = slurp_file(err_path);
  return ran;
}

net::TlsClientOptions trust(const solo::test::TestCerts& certs) {
  net::TlsClientOptions tls;
  tls.ca_file = certs.ca.cert.string();
  return tls;
}

std::vector<std::string> serve_tls_args(const solo::test::TestCerts& certs) {
  return {"--tls-cert", certs.server.cert.string(), "--tls-key", certs.server.key.string()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_serve)

BOOST_AUTO_TEST_CASE(serve_with_tls_listens_on_https_and_the_cli_follows) {
  test::TempDir dir;
  solo::test::TestCerts certs(dir / "certs");
  SoloProcess solo(dir / "data", serve_tls_args(certs), true, trust(certs));
  BOOST_TEST(solo.url().rfind("https://127.0.0.1:", 0) == 0u, solo.url());
  BOOST_TEST(solo.output().find("listening on https://127.0.0.1:") != std::string::npos);

  auto client = solo.client();
  auto health = client.request("GET", "/health");
  BOOST_TEST(health.status == 200);
  BOOST_TEST(boost::json::parse(health.body).as_object().at("status").as_string() == "healthy");
  // An authenticated endpoint over TLS too.
  BOOST_TEST(client.request("GET", "/services").status == 200);

  auto health_cli = run_solo(dir.path(), {"health", "--url", solo.url(), "--ca-cert", certs.ca.cert.string()});
  BOOST_TEST(health_cli.code == 0, health_cli.err);
  BOOST_TEST(health_cli.out.find("healthy") != std::string::npos, health_cli.out);

  // $SOLO_CA_CERT does the same; the admin token comes from --data.
  auto list_cli = run_solo(dir.path(), {"list", "--url", solo.url(), "--data", (dir / "data").string()},
                           {{"SOLO_CA_CERT", certs.ca.cert.string()}});
  BOOST_TEST(list_cli.code == 0, list_cli.err);

  // Without the CA the server is not trusted: unreachable (3), saying why.
  auto untrusted = run_solo(dir.path(), {"health", "--url", solo.url()});
  BOOST_TEST(untrusted.code == 3, untrusted.err);
  BOOST_TEST(untrusted.err.find("certificate verify failed") != std::string::npos, untrusted.err);
  auto wrong_ca = run_solo(dir.path(), {"health", "--url", solo.url(), "--ca-cert", certs.other_ca.cert.string()});
  BOOST_TEST(wrong_ca.code == 3, wrong_ca.err);
  // A CA file that cannot be read is a usage error.
  auto missing_ca = run_solo(dir.path(), {"health", "--url", solo.url(), "--ca-cert", "/nonexistent/ca.crt"});
  BOOST_TEST(missing_ca.code == 2, missing_ca.err);
  BOOST_TEST(missing_ca.err.find("/nonexistent/ca.crt") != std::string::npos, missing_ca.err);

  BOOST_TEST(solo.terminate().value_or(-1) == 0, solo.errors());
}

BOOST_AUTO_TEST_CASE(serve_with_a_client_ca_requires_client_certificates) {
  test::TempDir dir;
  solo::test::TestCerts certs(dir / "certs");
  auto args = serve_tls_args(certs);
  args.push_back("--tls-client-ca");
  args.push_back(certs.ca.cert.string());
  auto tls = trust(certs);
  tls.cert_file = certs.client.cert.string();
  tls.key_file = certs.client.key.string();
  SoloProcess solo(dir / "data", args, true, tls);
  BOOST_TEST(solo.url().rfind("https://127.0.0.1:", 0) == 0u, solo.url());
  BOOST_TEST(solo.client().request("GET", "/health").status == 200);

  const auto ca = certs.ca.cert.string();
  auto with_cert = run_solo(dir.path(), {"health", "--url", solo.url(), "--ca-cert", ca, "--client-cert",
                                         certs.client.cert.string(), "--client-key", certs.client.key.string()});
  BOOST_TEST(with_cert.code == 0, with_cert.err);
  auto from_env = run_solo(dir.path(), {"health", "--url", solo.url()},
                           {{"SOLO_CA_CERT", ca},
                            {"SOLO_CLIENT_CERT", certs.client.cert.string()},
                            {"SOLO_CLIENT_KEY", certs.client.key.string()}});
  BOOST_TEST(from_env.code == 0, from_env.err);

  auto without_cert = run_solo(dir.path(), {"health", "--url", solo.url(), "--ca-cert", ca});
  BOOST_TEST(without_cert.code == 3, without_cert.err);
  auto stranger = run_solo(dir.path(), {"health", "--url", solo.url(), "--ca-cert", ca, "--client-cert",
                                        certs.other_client.cert.string(), "--client-key",
                                        certs.other_client.key.string()});
  BOOST_TEST(stranger.code == 3, stranger.err);
  auto half = run_solo(dir.path(), {"health", "--url", solo.url(), "--ca-cert", ca, "--client-cert",
                                    certs.client.cert.string()});
  BOOST_TEST(half.code == 2, half.err);

  // Refused handshakes leave the server serving.
  BOOST_TEST(solo.client().request("GET", "/health").status == 200);
  BOOST_TEST(solo.terminate().value_or(-1) == 0, solo.errors());
}

BOOST_AUTO_TEST_CASE(bad_tls_options_fail_at_start) {
  test::TempDir dir;
  solo::test::TestCerts certs(dir / "certs");
  auto data = (dir / "data").string();
  auto missing = run_solo(dir.path(), {"serve", "--data", data, "--listen", "127.0.0.1:0", "--tls-cert",
                                       "/nonexistent/server.crt", "--tls-key", certs.server.key.string()});
  BOOST_TEST(missing.code == 1, missing.err);
  BOOST_TEST(missing.err.find("cannot load TLS certificate /nonexistent/server.crt") != std::string::npos,
             missing.err);
  BOOST_TEST(missing.out.find("listening on") == std::string::npos, missing.out);

  auto mismatched = run_solo(dir.path(), {"serve", "--data", data, "--listen", "127.0.0.1:0", "--tls-cert",
                                          certs.server.cert.string(), "--tls-key", certs.client.key.string()});
  BOOST_TEST(mismatched.code == 1, mismatched.err);
  BOOST_TEST(mismatched.err.find("cannot load TLS key") != std::string::npos, mismatched.err);

  auto half = run_solo(dir.path(), {"serve", "--data", data, "--listen", "127.0.0.1:0", "--tls-cert",
                                    certs.server.cert.string()});
  BOOST_TEST(half.code == 2, half.err);
  BOOST_TEST(half.err.find("--tls-cert and --tls-key") != std::string::npos, half.err);
}

BOOST_AUTO_TEST_SUITE_END()
