#include "support/solo_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/json.hpp>

#include "net/http_client.hpp"
#include "support/test_store.hpp"

namespace solo::test {

namespace {
std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}
}  // namespace

SoloProcess::SoloProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args, bool wait_healthy,
                         net::TlsClientOptions tls, bool own_session)
    : data_dir_(std::move(data_dir)), tls_(std::move(tls)) {
  static int counter = 0;
  auto stem = data_dir_.filename().string() + "-" + std::to_string(++counter);
  out_path_ = data_dir_.parent_path() / (stem + ".stdout");
  err_path_ = data_dir_.parent_path() / (stem + ".stderr");
  std::vector<std::string> args = {SOLO_BINARY, "serve", "--data", data_dir_.string(), "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // SOLO_TEST_POSTGRES: the same suite with the store in PostgreSQL
  // (support/test_store.hpp), one schema per data directory, so that a
  // restart on the same directory finds the same store.
  if (const char* server = postgres_under_test()) {
    args.push_back("--store");
    args.push_back(postgres_store_for(server, data_dir_));
  }
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    if (own_session) setsid();
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = output();
    auto at = text.find("listening on ");
    if (at != std::string::npos) {
      auto end = text.find('\n', at);
      if (end != std::string::npos) {
        url_ = text.substr(at + 13, end - at - 13);
        if (!wait_healthy || await_healthy(deadline)) return;
        break;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("solo exited during start: " + errors());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_healthy ? 10 : 1));
  }
  kill9();
  throw std::runtime_error("solo did not become healthy within 20 s: " + errors());
}

bool SoloProcess::await_healthy(std::chrono::steady_clock::time_point deadline) {
  // The gateway accepts during recovery and answers "starting"; tests start
  // once recovery is done.
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      net::HttpClient client(url_, std::chrono::seconds(2), tls_);
      auto response = client.request("GET", "/health");
      if (response.status == 200 && response.body.find("\"healthy\"") != std::string::npos) return true;
    } catch (const std::exception&) {
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("solo exited during start: " + errors());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

SoloProcess::~SoloProcess() {
  if (pid_ > 0) kill9();
}

void SoloProcess::signal(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

std::optional<int> SoloProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

std::optional<int> SoloProcess::terminate(std::chrono::milliseconds timeout) {
  signal(SIGTERM);
  auto code = wait(timeout);
  if (!code) kill9();
  return code;
}

void SoloProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string SoloProcess::admin_token() const {
  auto token = read_file(data_dir_ / "admin.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
  return token;
}

net::HttpClient SoloProcess::client(std::chrono::milliseconds timeout, const std::string& tenant) const {
  net::HttpClient client(url_, timeout, tls_);
  net::HeaderList headers = {{"authorization", "Bearer " + admin_token()}};
  if (!tenant.empty()) headers.emplace_back("x-tenant-id", tenant);
  client.set_default_headers(std::move(headers));
  return client;
}

std::string SoloProcess::output() const { return read_file(out_path_); }
std::string SoloProcess::errors() const { return read_file(err_path_); }

net::ClientResponse send(const SoloProcess& solo, const std::string& method, const std::string& target,
                         const std::string& body, const std::string& token, const std::string& tenant) {
  net::HttpClient client(solo.url(), std::chrono::seconds(30));
  net::HeaderList headers;
  headers.emplace_back("authorization", "Bearer " + token);
  if (!tenant.empty()) headers.emplace_back("x-tenant-id", tenant);
  return client.request(method, target, body, headers);
}

std::string grant_token(const SoloProcess& solo, const std::string& tenant, const std::vector<std::string>& permissions) {
  boost::json::array granted;
  for (const auto& permission : permissions) granted.emplace_back(permission);
  boost::json::object body{{"tenant_id", tenant}, {"permissions", std::move(granted)}, {"ttl_seconds", 600}};
  auto response = send(solo, "POST", "/tokens", boost::json::serialize(body), solo.admin_token());
  if (response.status != 201) {
    throw std::runtime_error("grant for " + tenant + ": " + std::to_string(response.status) + " " + response.body);
  }
  return std::string(boost::json::parse(response.body).at("token").as_string());
}

}  // namespace solo::test
