// The /ui page in a real browser: headless Chromium (Debian's `chromium`,
// installed by `make test` through the Makefile's PACKAGES) opens
// http://HOST:PORT/ui#token=..., the page opens the WebSocket with ?token=,
// watches, and lists the events. The test reads the page's live DOM through
// Chromium's DevTools protocol (Runtime.evaluate over its WebSocket), so it
// sees what a person would see as it changes: first the catch-up, then an
// event that happens while the page is open. A missing /usr/bin/chromium
// fails the test (it is part of `make test`), never skips it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/solo_process.hpp"
#include "support/websocket_read.hpp"

using namespace solo;
using solo::test::SoloProcess;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

constexpr const char* kEcho = R"(
function init(config) return {} end
function handle_call(msg, state) return msg, state end
)";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string deploy_body(const std::string& id) {
  json::object body;
  body["service_id"] = id;
  body["code"] = kEcho;
  return json::serialize(body);
}

// Headless Chromium on one URL with a fresh profile and the DevTools
// protocol on an ephemeral loopback port; killed when the object goes.
class Chromium {
 public:
  Chromium(const std::filesystem::path& scratch, const std::string& url) : err_path_(scratch / "chromium.err") {
    const auto profile = scratch / "chromium-profile";
    std::filesystem::create_directories(profile);
    std::vector<std::string> args = {kChromium,
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-quic",
                                     "--no-first-run",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--disable-dev-shm-usage",
                                     "--remote-debugging-address=127.0.0.1",
                                     "--remote-debugging-port=0",
                                     "--user-data-dir=" + profile.string(),
                                     url};
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(null, 1);
      dup2(err, 2);
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Chromium() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  Chromium(const Chromium&) = delete;
  Chromium& operator=(const Chromium&) = delete;

  // The DevTools port, from "DevTools listening on ws://127.0.0.1:PORT/..." on
  // stderr; 0 when it did not come within the deadline.
  unsigned short devtools_port(std::chrono::seconds deadline) const {
    const auto give_up = std::chrono::steady_clock::now() + deadline;
    const std::string marker = "DevTools listening on ws://127.0.0.1:";
    while (std::chrono::steady_clock::now() < give_up) {
      auto text = read_file(err_path_);
      if (auto at = text.find(marker); at != std::string::npos) {
        return static_cast<unsigned short>(std::stoi(text.substr(at + marker.size())));
      }
      std::this_thread::sleep_for(100ms);
    }
    return 0;
  }
  std::string errors() const { return read_file(err_path_); }

 private:
  std::filesystem::path err_path_;
  pid_t pid_ = -1;
};

// One DevTools page session: evaluates JavaScript in the page.
class DevToolsPage {
 public:
  DevToolsPage(unsigned short port, const std::string& path) {
    ws_.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws_.handshake("127.0.0.1:" + std::to_string(port), path);
  }

  // The value of a JavaScript expression that yields a string.
  std::string evaluate(const std::string& expression) {
    const int64_t id = ++next_id_;
    json::object params;
    params["expression"] = expression;
    params["returnByValue"] = true;
    json::object command;
    command["id"] = id;
    command["method"] = "Runtime.evaluate";
    command["params"] = std::move(params);
    ws_.text(true);
    ws_.write(asio::buffer(json::serialize(command)));
    for (;;) {
      beast::flat_buffer buffer;
      if (auto ec = test::read_within(ws_, io_, buffer, std::chrono::seconds(10))) throw beast::system_error(ec);
      auto frame = json::parse(beast::buffers_to_string(buffer.data())).as_object();
      if (!frame.contains("id") || frame.at("id").as_int64() != id) continue;  // an event, or another reply
      const auto* value = frame.at("result").as_object().at("result").as_object().if_contains("value");
      return value && value->is_string() ? std::string(value->as_string()) : std::string();
    }
  }

 private:
  asio::io_context io_;
  websocket::stream<tcp::socket> ws_{io_};
  int64_t next_id_ = 0;
};

// The path of the DevTools WebSocket of the first page Chromium shows.
std::string page_target(unsigned short port) {
  net::HttpClient devtools("http://127.0.0.1:" + std::to_string(port), 10s);
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < give_up) {
    auto listed = devtools.request("GET", "/json/list");
    if (listed.status == 200) {
      const auto targets = json::parse(listed.body);
      for (const auto& target : targets.as_array()) {
        const auto& entry = target.as_object();
        if (entry.at("type").as_string() != "page" || !entry.contains("webSocketDebuggerUrl")) continue;
        std::string url(entry.at("webSocketDebuggerUrl").as_string());  // ws://127.0.0.1:PORT/devtools/page/ID
        return url.substr(url.find('/', std::string("ws://").size()));
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  return {};
}

// Polls the page's event list until `done` holds for it (or the deadline).
std::string wait_for_list(DevToolsPage& page, const std::function<bool(const std::string&)>& done,
                          std::chrono::seconds deadline) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  std::string list;
  while (std::chrono::steady_clock::now() < give_up) {
    list = page.evaluate("(document.getElementById('status') || {}).textContent + '\\n' + "
                         "(document.getElementById('events') || {}).innerHTML");
    if (done(list)) break;
    std::this_thread::sleep_for(100ms);
  }
  return list;
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(browser)

BOOST_AUTO_TEST_CASE(the_ui_page_shows_past_and_live_events_in_headless_chromium) {
  BOOST_TEST_REQUIRE(std::filesystem::exists(kChromium),
                     kChromium << " is missing: the browser test needs Debian's `chromium` package "
                                  "(`make test` installs it; or apt-get install -y --no-install-recommends chromium)");
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  auto client = solo.client();
  auto deployed = client.request("POST", "/services", deploy_body("before-page"));
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);

  // The page itself needs no token.
  auto page_body = net::HttpClient(solo.url()).request("GET", "/ui");
  BOOST_TEST(page_body.status == 200);
  BOOST_TEST(contains(page_body.body, "new WebSocket"));

  Chromium chromium(dir.path(), solo.url() + "/ui#token=" + solo.admin_token());
  const auto port = chromium.devtools_port(120s);  // Chromium may start slowly on a loaded machine
  BOOST_TEST_REQUIRE(port != 0, "chromium never offered DevTools: " << chromium.errors());
  const auto target = page_target(port);
  BOOST_TEST_REQUIRE(!target.empty(), "chromium shows no page: " << chromium.errors());
  DevToolsPage page(port, target);

  // The catch-up: everything since the start, the earlier deploy included.
  auto list = wait_for_list(
      page,
      [](const std::string& text) {
        return contains(text, "data-type=\"system_started\"") && contains(text, "service=before-page");
      },
      60s);
  BOOST_TEST(contains(list, "watching"), list);
  BOOST_TEST(contains(list, "data-type=\"system_started\""), list);
  BOOST_TEST(contains(list, "service=before-page"), list);

  // Live: a deploy while the page is open shows up without a reload.
  deployed = client.request("POST", "/services", deploy_body("while-watching"));
  BOOST_TEST_REQUIRE(deployed.status == 201, deployed.body);
  list = wait_for_list(
      page, [](const std::string& text) { return contains(text, "service=while-watching"); }, 30s);
  BOOST_TEST(contains(list, "service=while-watching"), list);
  BOOST_TEST(contains(list, "data-type=\"service_deployed\""), list);
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
