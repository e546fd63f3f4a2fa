// `solo mcp` (apps/mcp_stdio_proxy.hpp) as an agent host runs it: the real
// binary with pipes on stdin and stdout.
//
// Against a scripted HTTP server (a few lines of sockets below, so every
// request the proxy makes can be inspected and held): the headers of each
// POST (token, Accept, Content-Type, the session id and protocol version
// after initialize), the GET stream opened after initialize, stdin read while
// a call is in flight (a ping is answered while an earlier request waits),
// DELETE of the session at EOF and exit 0.
//
// Against the real server: a subscription's notifications/resources/updated
// arrives on stdout through the session's GET stream, a line that is not JSON
// gets the server's parse error, the session is gone after EOF
// (solo_mcp_sessions), and an unreachable server gives every request a
// -32603 error instead of silence.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/child_process.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"

using solo::test::SoloProcess;
namespace json = boost::json;

namespace {

// `solo mcp ARGS...` with pipes on stdin and stdout, stderr in a file.
class McpProcess {
 public:
  McpProcess(const std::filesystem::path& dir, std::vector<std::string> args) : err_(dir / "mcp.err") {
    int in[2];
    int out[2];
    BOOST_TEST_REQUIRE(pipe(in) == 0);
    BOOST_TEST_REQUIRE(pipe(out) == 0);
    args.insert(args.begin(), {SOLO_BINARY, "mcp"});
    pid_ = fork();
    BOOST_TEST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err, 2);
      for (int fd : {in[0], in[1], out[0], out[1], err}) ::close(fd);
      solo::test::exec_child(std::move(args), {});
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~McpProcess() {
    close_stdin();
    if (stdout_ >= 0) ::close(stdout_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void send(const std::string& line) {
    auto text = line + "\n";
    BOOST_TEST_REQUIRE(::write(stdin_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }

  // The next stdout line, parsed; null when none came in time. Every line
  // must be a JSON-RPC message: anything else fails the test.
  json::value next(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        auto line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        boost::system::error_code ec;
        auto value = json::parse(line, ec);
        BOOST_TEST_REQUIRE(!ec, "stdout line is not JSON: " << line);
        BOOST_TEST_REQUIRE(value.is_object(), line);
        BOOST_TEST_REQUIRE(value.as_object().contains("jsonrpc"), "not JSON-RPC: " << line);
        return value;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return nullptr;
      pollfd fd{stdout_, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[65536];
      auto n = ::read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return nullptr;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // The next line that answers `id` (notifications before it are kept in `skipped`).
  json::value answer(const json::value& id, std::vector<json::value>* skipped = nullptr) {
    for (;;) {
      auto message = next();
      if (message.is_null()) return message;
      if (message.as_object().contains("id") && message.at("id") == id) return message;
      if (skipped) skipped->push_back(message);
    }
  }

  void close_stdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }

  // The exit code, or -1 when it did not exit in time.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    int code = solo::test::wait_child(pid_, timeout);
    pid_ = -1;
    return code;
  }

  // Whatever is left on stdout after exit (must be JSON-RPC lines only).
  std::string rest() {
    char chunk[65536];
    for (;;) {
      auto n = ::read(stdout_, chunk, sizeof chunk);
      if (n <= 0) break;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    return buffer_;
  }

  std::string errors() const { return solo::test::read_text(err_); }
  pid_t pid() const { return pid_; }

 private:
  std::filesystem::path err_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

// A scripted HTTP/1.1 server on 127.0.0.1: records each request, answers
// POST initialize with a session and protocol 2025-06-18, holds a POST whose
// method is "slow" until release(), answers other requests with an empty
// result, notifications with 202, GET with 405 and DELETE with 204.
class ScriptedServer {
 public:
  struct Seen {
    std::string method;  // HTTP method
    std::string headers;  // lower-cased header block
    std::string body;
  };

  ScriptedServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_TEST_REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    BOOST_TEST_REQUIRE(::listen(listener_, 16) == 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedServer() {
    release();
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    for (auto& thread : connections_) thread.join();
  }

  const std::string& url() const { return url_; }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void accept_loop() {
    for (;;) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string data;
    char chunk[8192];
    size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      auto n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) return (void)::close(fd);
      data.append(chunk, static_cast<size_t>(n));
    }
    std::string head = data.substr(0, header_end);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t length = 0;
    if (auto at = head.find("content-length:"); at != std::string::npos) length = std::stoul(head.substr(at + 15));
    while (data.size() < header_end + 4 + length) {
      auto n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) break;
      data.append(chunk, static_cast<size_t>(n));
    }
    Seen seen{head.substr(0, head.find(' ')), head, data.substr(header_end + 4, length)};
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(seen);
    }
    std::string status = "200 OK";
    std::string extra;
    std::string body;
    if (seen.method == "get") {
      status = "405 Method Not Allowed";
    } else if (seen.method == "delete") {
      status = "204 No Content";
    } else {
      auto message = json::parse(seen.body).as_object();
      if (!message.contains("id")) {
        status = "202 Accepted";
      } else {
        if (message.at("method") == json::value("slow")) {
          std::unique_lock lock(mutex_);
          changed_.wait(lock, [this] { return released_; });
        }
        json::object result;
        if (message.at("method") == json::value("initialize")) {
          result["protocolVersion"] = "2025-06-18";
          extra = "Mcp-Session-Id: session-one\r\n";
        }
        body = json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", message.at("id")}, {"result", result}});
        extra += "Content-Type: application/json\r\n";
      }
    }
    auto answer = "HTTP/1.1 " + status + "\r\n" + extra + "Content-Length: " + std::to_string(body.size()) +
                  "\r\nConnection: close\r\n\r\n" + body;
    [[maybe_unused]] auto n = ::write(fd, answer.data(), answer.size());
    ::close(fd);
  }

  int listener_ = -1;
  std::string url_;
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // the acceptor's only
  std::mutex mutex_;
  std::condition_variable changed_;
  bool released_ = false;
  std::vector<Seen> seen_;
};

std::string request(int id, const std::string& method, json::object params = {}) {
  return json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
}

std::string initialize(int id) {
  return request(id, "initialize",
                 {{"protocolVersion", "2025-06-18"},
                  {"capabilities", json::object()},
                  {"clientInfo", json::object{{"name", "test"}, {"version", "1"}}}});
}

bool has(const std::string& headers, const std::string& line) { return headers.find(line) != std::string::npos; }

// solo_mcp_sessions from /metrics, -1 when absent.
double open_sessions(const SoloProcess& solo) {
  auto response = solo::test::send(solo, "GET", "/metrics", "", solo.admin_token());
  std::istringstream in(response.body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("solo_mcp_sessions ", 0) == 0) return std::stod(line.substr(18));
  }
  return -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mcp_stdio)

BOOST_AUTO_TEST_CASE(relays_with_the_session_headers_reads_stdin_during_a_call_and_ends_the_session_at_eof) {
  solo::test::TempDir dir;
  ScriptedServer server;
  McpProcess mcp(dir.path(), {"--url", server.url(), "--token", "secret-token"});

  mcp.send(initialize(1));
  auto init = mcp.answer(1);
  BOOST_TEST_REQUIRE(!init.is_null(), "no answer to initialize; stderr: " << mcp.errors());
  BOOST_TEST(init.at("result").at("protocolVersion") == json::value("2025-06-18"));
  mcp.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  mcp.send("");  // a blank line is skipped

  // A request the server holds, then a ping: the ping is answered first.
  mcp.send(request(2, "slow"));
  mcp.send(request(3, "ping"));
  auto ping = mcp.next();
  BOOST_TEST_REQUIRE(!ping.is_null(), "the ping waited for the slow call; stderr: " << mcp.errors());
  BOOST_TEST(ping.at("id") == json::value(3));
  server.release();
  auto slow = mcp.next();
  BOOST_TEST_REQUIRE(!slow.is_null());
  BOOST_TEST(slow.at("id") == json::value(2));

  // The GET stream opens after initialize (on its own thread: wait for it
  // before EOF, which would stop it before it starts).
  BOOST_TEST(solo::test::eventually([&] {
    for (const auto& request : server.seen()) {
      if (request.method == "get") return true;
    }
    return false;
  }), "no GET stream after initialize");
  BOOST_TEST(solo::test::eventually([&] { return mcp.errors().find("no GET stream") != std::string::npos; }),
             "the 405 is not reported: " << mcp.errors());

  mcp.close_stdin();
  BOOST_TEST(mcp.wait() == 0, "stderr: " << mcp.errors());
  BOOST_TEST(mcp.rest().empty(), "stdout after the answers: " << mcp.rest());

  auto seen = server.seen();
  int posts = 0;
  bool got_stream = false;
  bool deleted = false;
  for (const auto& request : seen) {
    BOOST_TEST(has(request.headers, "authorization: bearer secret-token"), request.headers);
    if (request.method == "post") {
      ++posts;
      BOOST_TEST(has(request.headers, "accept: application/json, text/event-stream"), request.headers);
      BOOST_TEST(has(request.headers, "content-type: application/json"), request.headers);
      bool is_initialize = request.body.find("\"initialize\"") != std::string::npos;
      BOOST_TEST(has(request.headers, "mcp-session-id: session-one") == !is_initialize, request.headers);
      BOOST_TEST(has(request.headers, "mcp-protocol-version: 2025-06-18") == !is_initialize, request.headers);
    } else if (request.method == "get") {
      got_stream = true;
      BOOST_TEST(has(request.headers, "accept: text/event-stream"), request.headers);
      BOOST_TEST(has(request.headers, "mcp-session-id: session-one"), request.headers);
    } else if (request.method == "delete") {
      deleted = true;
      BOOST_TEST(has(request.headers, "mcp-session-id: session-one"), request.headers);
    }
  }
  BOOST_TEST(posts == 4);  // initialize, initialized, slow, ping: the blank line is not sent
  BOOST_TEST(got_stream);
  BOOST_TEST(deleted, "the session was not ended at EOF");
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_answers_each_request_with_an_error_not_silence) {
  solo::test::TempDir dir;
  // A port nothing listens on: bound and closed again.
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(probe);
  auto url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  McpProcess mcp(dir.path(), {"--url", url, "--token", "t"});
  mcp.send(initialize(1));
  mcp.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  mcp.send(request(2, "tools/list"));
  // A line past the server's body limit: answered (id null) and dropped, the next line intact.
  mcp.send(R"({"jsonrpc":"2.0","id":9,"method":"ping","params":{"pad":")" + std::string(1024 * 1024, 'x') + "\"}}");
  mcp.send(request(3, "ping"));
  // The answers in any order (the oversized line is answered as soon as it is read).
  std::map<std::string, json::value> answers;
  for (int i = 0; i < 4; ++i) {
    auto answer = mcp.next();
    BOOST_TEST_REQUIRE(!answer.is_null(), "only " << i << " answers; stderr: " << mcp.errors());
    answers[json::serialize(answer.at("id"))] = answer;
  }
  for (int id : {1, 2, 3}) {
    BOOST_TEST_REQUIRE(answers.count(std::to_string(id)) == 1u, "no answer for request " << id);
    const auto& error = answers[std::to_string(id)];
    BOOST_TEST(error.at("error").at("code") == json::value(-32603));
    auto message = std::string(error.at("error").at("message").as_string());
    BOOST_TEST(message.find("cannot reach the Solo server") != std::string::npos, message);
  }
  BOOST_TEST_REQUIRE(answers.count("null") == 1u, "no answer for the oversized line");
  BOOST_TEST(answers["null"].at("error").at("code") == json::value(-32600));
  mcp.close_stdin();
  BOOST_TEST(mcp.wait() == 0);
  BOOST_TEST(mcp.rest().empty(), "the notification got an answer: " << mcp.rest());
  BOOST_TEST(mcp.errors().find("cannot reach the Solo server") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_real_server_over_stdio_subscription_updates_arrive_through_the_session_stream) {
  solo::test::TempDir dir;
  SoloProcess solo(dir / "data", {"--heartbeat-ms", "200"});
  McpProcess mcp(dir.path(), {"--url", solo.url(), "--token", solo.admin_token()});

  mcp.send(initialize(1));
  auto init = mcp.answer(1);
  BOOST_TEST_REQUIRE(!init.is_null(), "stderr: " << mcp.errors());
  BOOST_TEST(init.at("result").at("protocolVersion") == json::value("2025-06-18"));
  mcp.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  BOOST_TEST(solo::test::eventually([&] { return open_sessions(solo) == 1; }));

  const char* code =
      "function init() return {} end\n"
      "function handle_call(msg, state) solo.log('info', 'heard ' .. tostring(msg.word)) return 'ok', state end\n";
  mcp.send(request(2, "tools/call",
                   {{"name", "deploy_service"}, {"arguments", json::object{{"service_id", "echo"}, {"code", code}}}}));
  auto deployed = mcp.answer(2);
  BOOST_TEST_REQUIRE(!deployed.is_null());
  BOOST_TEST(deployed.at("result").at("isError") == json::value(false), json::serialize(deployed));

  const std::string uri = "solo://services/echo/logs";
  mcp.send(request(3, "resources/subscribe", {{"uri", uri}}));
  auto subscribed = mcp.answer(3);
  BOOST_TEST_REQUIRE(!subscribed.is_null());
  BOOST_TEST(subscribed.as_object().contains("result"), json::serialize(subscribed));

  mcp.send(request(4, "tools/call",
                   {{"name", "call_service"},
                    {"arguments", json::object{{"service_id", "echo"}, {"message", json::object{{"word", "hi"}}}}}}));
  std::vector<json::value> notifications;
  auto called = mcp.answer(4, &notifications);
  BOOST_TEST_REQUIRE(!called.is_null());
  BOOST_TEST(called.at("result").at("isError") == json::value(false), json::serialize(called));
  // The update comes on the GET stream, before or after the call's answer.
  bool updated = false;
  for (int i = 0; i < 10 && !updated; ++i) {
    for (const auto& message : notifications) {
      const auto* method = message.as_object().if_contains("method");
      updated = updated || (method && *method == json::value("notifications/resources/updated") &&
                            message.at("params").at("uri") == json::value(uri));
    }
    if (updated) break;
    auto more = mcp.next(std::chrono::seconds(2));
    if (!more.is_null()) notifications.push_back(more);
  }
  BOOST_TEST(updated, "no notifications/resources/updated for " << uri << "; stderr: " << mcp.errors());

  // Not JSON: the server's parse error, relayed.
  mcp.send("this is not json");
  auto parse_error = mcp.next();
  BOOST_TEST_REQUIRE(!parse_error.is_null());
  BOOST_TEST(parse_error.at("error").at("code") == json::value(-32700), json::serialize(parse_error));

  mcp.close_stdin();
  BOOST_TEST(mcp.wait() == 0, "stderr: " << mcp.errors());
  BOOST_TEST(open_sessions(solo) == 0, "the session outlived solo mcp");
}

BOOST_AUTO_TEST_CASE(sigterm_ends_the_session_and_exits_0) {
  solo::test::TempDir dir;
  SoloProcess solo(dir / "data");
  McpProcess mcp(dir.path(), {"--url", solo.url(), "--token", solo.admin_token()});
  mcp.send(initialize(1));
  BOOST_TEST_REQUIRE(!mcp.answer(1).is_null(), "stderr: " << mcp.errors());
  BOOST_TEST(solo::test::eventually([&] { return open_sessions(solo) == 1; }));
  ::kill(mcp.pid(), SIGTERM);
  BOOST_TEST(mcp.wait() == 0, "stderr: " << mcp.errors());
  BOOST_TEST(open_sessions(solo) == 0, "the session outlived solo mcp");
}

BOOST_AUTO_TEST_SUITE_END()
