// Headless Chromium for the browser tests: Debian's `chromium` (installed by
// `make deps`), started on a fresh profile with the DevTools protocol on an
// ephemeral loopback port, and one page session over that protocol's
// WebSocket (Runtime.evaluate, Page.navigate, Page.captureScreenshot,
// Emulation.setDeviceMetricsOverride). The session also gathers what the page
// reports as an error: console.error calls, uncaught exceptions and the
// browser's own error log (a failed resource load, a CSP violation), so a test
// can assert there were none.
//
// Blocking and single-threaded on purpose: a test drives one page step by
// step, every read bounded by a deadline.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace solo::test {

inline constexpr const char* kChromiumPath = "/usr/bin/chromium";

// The Chromium process; killed (TERM, then KILL) when the object goes.
class Chromium {
 public:
  // `scratch` holds the profile and Chromium's stderr.
  Chromium(const std::filesystem::path& scratch, const std::string& url);
  ~Chromium();
  Chromium(const Chromium&) = delete;
  Chromium& operator=(const Chromium&) = delete;

  // The DevTools port from Chromium's stderr; 0 if it did not come in time.
  unsigned short devtools_port(std::chrono::seconds deadline) const;
  // The WebSocket path of the first page target; empty if none came in time.
  std::string page_target(unsigned short port, std::chrono::seconds deadline) const;
  std::string stderr_text() const;

 private:
  std::filesystem::path err_path_;
  pid_t pid_ = -1;
};

// One page's DevTools session.
class DevToolsPage {
 public:
  DevToolsPage(unsigned short port, const std::string& target_path);

  // Sends a command and returns its `result`; a protocol error throws.
  boost::json::object command(const std::string& method, boost::json::object params = {});

  // The value of a JavaScript expression (awaited when it is a promise);
  // an exception in the page throws std::runtime_error with its text.
  boost::json::value evaluate(const std::string& expression);
  // Evaluates `expression` every 100 ms until it is truthy or the deadline;
  // returns whether it became so. An exception in the page (an element not
  // drawn yet) counts as not yet.
  bool wait_for(const std::string& expression, std::chrono::milliseconds deadline);

  void navigate(const std::string& url);
  // Emulates a screen of this size (mobile: touch and the mobile viewport).
  void set_viewport(int width, int height, bool mobile);
  // Writes a PNG of the viewport; returns its size in bytes.
  std::size_t screenshot(const std::filesystem::path& file);

  // console.error, uncaught exceptions and the browser's error log entries
  // seen so far, in order.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  void note_event(const boost::json::object& frame);

  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_{io_};
  int64_t next_id_ = 0;
  std::vector<std::string> errors_;
};

// A JavaScript string literal of `text` (JSON's quoting is JavaScript's).
std::string js_string(const std::string& text);

}  // namespace solo::test
