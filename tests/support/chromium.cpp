// Headless Chromium and a DevTools page session; see chromium.hpp.
#include "support/chromium.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "net/http_client.hpp"
#include "support/websocket_read.hpp"

namespace solo::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Standard base64 (Page.captureScreenshot's `data`) to bytes.
std::string base64_decode(std::string_view text) {
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) throw std::runtime_error("screenshot: the data is not base64");
  std::size_t size = static_cast<std::size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) --size;  // EVP counts the padding
  out.resize(size);
  return out;
}

std::string describe_remote_object(const json::object& object) {
  if (const auto* description = object.if_contains("description"); description && description->is_string()) {
    return std::string(description->as_string());
  }
  if (const auto* value = object.if_contains("value")) return json::serialize(*value);
  return json::serialize(object);
}

}  // namespace

std::string js_string(const std::string& text) { return json::serialize(json::value(text)); }

Chromium::Chromium(const std::filesystem::path& scratch, const std::string& url)
    : err_path_(scratch / "chromium.err") {
  const auto profile = scratch / "chromium-profile";
  std::filesystem::create_directories(profile);
  std::vector<std::string> args = {kChromiumPath,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-dev-shm-usage",
                                   "--hide-scrollbars",
                                   "--window-size=1280,900",
                                   "--remote-debugging-address=127.0.0.1",
                                   "--remote-debugging-port=0",
                                   "--user-data-dir=" + profile.string(),
                                   url};
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    const int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(null, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

Chromium::~Chromium() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(50ms);
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

unsigned short Chromium::devtools_port(std::chrono::seconds deadline) const {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  const std::string marker = "DevTools listening on ws://127.0.0.1:";
  while (std::chrono::steady_clock::now() < give_up) {
    const auto text = read_text(err_path_);
    if (auto at = text.find(marker); at != std::string::npos) {
      return static_cast<unsigned short>(std::stoi(text.substr(at + marker.size())));
    }
    std::this_thread::sleep_for(100ms);
  }
  return 0;
}

std::string Chromium::page_target(unsigned short port, std::chrono::seconds deadline) const {
  net::HttpClient devtools("http://127.0.0.1:" + std::to_string(port), 10s);
  const auto give_up = std::chrono::steady_clock::now() + deadline;
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

std::string Chromium::stderr_text() const { return read_text(err_path_); }

DevToolsPage::DevToolsPage(unsigned short port, const std::string& target_path) {
  ws_.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws_.read_message_max(64 * 1024 * 1024);  // screenshots
  ws_.handshake("127.0.0.1:" + std::to_string(port), target_path);
  command("Runtime.enable");
  command("Log.enable");
  command("Page.enable");
}

json::object DevToolsPage::command(const std::string& method, json::object params) {
  const int64_t id = ++next_id_;
  json::object message{{"id", id}, {"method", method}, {"params", std::move(params)}};
  ws_.text(true);
  ws_.write(asio::buffer(json::serialize(message)));
  for (;;) {
    beast::flat_buffer buffer;
    if (auto ec = read_within(ws_, io_, buffer, 30s)) {
      throw std::runtime_error("DevTools " + method + ": " + ec.message());
    }
    auto frame = json::parse(beast::buffers_to_string(buffer.data())).as_object();
    if (!frame.contains("id")) {
      note_event(frame);
      continue;
    }
    if (frame.at("id").as_int64() != id) continue;
    if (const auto* error = frame.if_contains("error")) {
      throw std::runtime_error("DevTools " + method + ": " + json::serialize(*error));
    }
    return frame.at("result").as_object();
  }
}

void DevToolsPage::note_event(const json::object& frame) {
  const auto& method = frame.at("method").as_string();
  const auto* params = frame.if_contains("params");
  if (params == nullptr || !params->is_object()) return;
  const auto& p = params->as_object();
  if (method == "Runtime.consoleAPICalled" && p.at("type").as_string() == "error") {
    std::string text = "console.error:";
    for (const auto& arg : p.at("args").as_array()) text += " " + describe_remote_object(arg.as_object());
    errors_.push_back(std::move(text));
  } else if (method == "Runtime.exceptionThrown") {
    const auto& details = p.at("exceptionDetails").as_object();
    std::string text = "exception: " + std::string(details.at("text").as_string());
    if (const auto* exception = details.if_contains("exception")) {
      text += " " + describe_remote_object(exception->as_object());
    }
    errors_.push_back(std::move(text));
  } else if (method == "Log.entryAdded") {
    const auto& entry = p.at("entry").as_object();
    if (entry.at("level").as_string() != "error") return;
    std::string text = "log (" + std::string(entry.at("source").as_string()) + "): " +
                       std::string(entry.at("text").as_string());
    if (const auto* url = entry.if_contains("url")) text += " " + std::string(url->as_string());
    errors_.push_back(std::move(text));
  }
}

json::value DevToolsPage::evaluate(const std::string& expression) {
  auto result = command("Runtime.evaluate",
                        {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
  if (const auto* thrown = result.if_contains("exceptionDetails")) {
    const auto& details = thrown->as_object();
    std::string text(details.at("text").as_string());
    if (const auto* exception = details.if_contains("exception")) {
      text += " " + describe_remote_object(exception->as_object());
    }
    throw std::runtime_error("in the page: " + text + " (evaluating " + expression.substr(0, 200) + ")");
  }
  const auto& remote = result.at("result").as_object();
  if (const auto* value = remote.if_contains("value")) return *value;
  return nullptr;  // undefined
}

bool DevToolsPage::wait_for(const std::string& expression, std::chrono::milliseconds deadline) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  const std::string truthy = "Boolean(" + expression + ")";
  for (;;) {
    try {
      if (evaluate(truthy) == json::value(true)) return true;
    } catch (const std::runtime_error&) {
      // Not there yet (an element the page has not drawn): look again.
    }
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(100ms);
  }
}

void DevToolsPage::navigate(const std::string& url) { command("Page.navigate", {{"url", url}}); }

void DevToolsPage::set_viewport(int width, int height, bool mobile) {
  command("Emulation.setDeviceMetricsOverride",
          {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", mobile}});
}

std::size_t DevToolsPage::screenshot(const std::filesystem::path& file) {
  auto result = command("Page.captureScreenshot", {{"format", "png"}});
  const auto bytes = base64_decode(result.at("data").as_string());
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
  return bytes.size();
}

}  // namespace solo::test
