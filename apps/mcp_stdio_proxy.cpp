#include "apps/mcp_stdio_proxy.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <signal.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "apps/mcp_stdio_framing.hpp"
#include "net/http_client.hpp"
#include "net/sse.hpp"

namespace solo::mcp_stdio {

namespace {

namespace asio = boost::asio;

constexpr const char* kEndpoint = "/mcp";
constexpr int kInternalError = -32603;   // JSON-RPC: the proxy could not get an answer
constexpr int kInvalidRequest = -32600;  // JSON-RPC: a line over the size cap
constexpr auto kDeleteTimeout = std::chrono::seconds(5);
constexpr auto kStreamStopWait = std::chrono::seconds(1);
constexpr auto kFirstBackoff = std::chrono::milliseconds(250);
constexpr auto kMaxBackoff = std::chrono::seconds(5);

// Diagnostics: one write per line, so lines of several threads do not mix.
void note(const std::string& text) {
  auto line = "solo mcp: " + text + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// stdout, one JSON-RPC message per line, written whole from any thread.
class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}

  void write(std::string line) {
    line.push_back('\n');
    std::lock_guard lock(mutex_);
    if (broken_) return;
    const char* data = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      auto n = ::write(fd_, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        broken_ = true;  // the host stopped reading; its stdin EOF ends us soon
        note("stdout is closed; answers are dropped");
        return;
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
  std::mutex mutex_;
  bool broken_ = false;
};

// The MCP session: its id and protocol version, set by initialize's answer
// (on a pool thread) and read by every later message and the GET stream.
class Session {
 public:
  void start(std::string id, std::string version) {
    std::lock_guard lock(mutex_);
    id_ = std::move(id);
    version_ = std::move(version);
  }
  std::string id() const {
    std::lock_guard lock(mutex_);
    return id_;
  }
  void add_headers(net::HeaderList& headers) const {
    std::lock_guard lock(mutex_);
    if (!id_.empty()) headers.emplace_back("Mcp-Session-Id", id_);
    if (!version_.empty()) headers.emplace_back("MCP-Protocol-Version", version_);
  }

 private:
  mutable std::mutex mutex_;
  std::string id_;
  std::string version_;
};

// result.protocolVersion of initialize's answer, "" when absent.
std::string negotiated_version(const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (ec || !value.is_object()) continue;
    const auto* result = value.as_object().if_contains("result");
    if (!result || !result->is_object()) continue;
    const auto* version = result->as_object().if_contains("protocolVersion");
    if (version && version->is_string()) return std::string(version->as_string());
  }
  return {};
}

class Proxy {
 public:
  Proxy(const ProxyOptions& options, int in_fd, int out_fd)
      : options_(options), in_fd_(in_fd), out_(out_fd), signals_(io_, SIGINT, SIGTERM) {
    // A pipe or a terminal is read asynchronously; a regular file (`solo mcp
    // < file`) cannot join epoll, and reading it never blocks for long.
    int fd = ::dup(in_fd);
    if (fd >= 0) {
      try {
        input_.emplace(io_, fd);
      } catch (const boost::system::system_error&) {
        ::close(fd);
      }
    }
  }

  int run() {
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      // The host asked us to stop: end the session now, without waiting for
      // calls in flight (their answers would have no reader).
      note("stopping on a signal");
      end_session();
      std::fflush(nullptr);
      std::_Exit(0);
    });
    read_more();
    io_.run();
    end_session();
    return 0;
  }

 private:
  struct Pending {
    std::string line;
    LineKind kind;
  };

  void read_more() {
    reading_ = true;
    auto on_read = [this](const boost::system::error_code& ec, std::size_t n) { on_input(ec, n); };
    if (input_) {
      input_->async_read_some(asio::buffer(buffer_), on_read);
      return;
    }
    auto n = ::read(in_fd_, buffer_.data(), buffer_.size());
    boost::system::error_code ec;
    if (n == 0) ec = asio::error::eof;
    if (n < 0) ec = boost::system::error_code(errno, boost::system::system_category());
    asio::post(io_, [on_read, ec, n] { on_read(ec, n > 0 ? static_cast<std::size_t>(n) : 0); });
  }

  void on_input(const boost::system::error_code& ec, std::size_t n) {
    reading_ = false;
    for (auto& line : splitter_.feed(std::string_view(buffer_.data(), n))) take(std::move(line));
    if (ec) {
      if (ec != asio::error::eof) note("cannot read stdin: " + ec.message());
      if (auto last = splitter_.finish()) take(std::move(*last));
      eof_ = true;
    }
    pump();
  }

  void take(LineSplitter::Line line) {
    if (line.oversized) {
      auto message = "a message longer than " + std::to_string(kMaxLineBytes) +
                     " bytes (the server's request size limit) was dropped";
      note(message);
      out_.write(error_line(nullptr, kInvalidRequest, message));
      return;
    }
    auto kind = classify(line.text);
    if (kind.blank) return;
    queue_.push_back({std::move(line.text), std::move(kind)});
  }

  // Sends what may be sent now; reads stdin again when the queue has room;
  // stops the loop after EOF once everything is answered.
  void pump() {
    while (!barrier_ && !queue_.empty()) {
      bool request = !queue_.front().kind.request_ids.empty() && !queue_.front().kind.initialize;
      if (request && in_flight_ >= kMaxInFlight) break;
      auto pending = std::make_shared<Pending>(std::move(queue_.front()));
      queue_.pop_front();
      if (request) {
        ++in_flight_;
      } else {
        barrier_ = true;  // initialize, a notification or a response: alone and in order
      }
      asio::post(pool_, [this, pending, request] {
        deliver(*pending);
        asio::post(io_, [this, request] {
          if (request) {
            --in_flight_;
          } else {
            barrier_ = false;
          }
          pump();
        });
      });
    }
    if (!reading_ && !eof_ && queue_.size() < kMaxQueued) read_more();
    if (eof_ && queue_.empty() && in_flight_ == 0 && !barrier_ && !reading_) {
      signals_.cancel();
      work_.reset();
    }
  }

  // One message to the server and its answer to stdout (on a pool thread).
  void deliver(const Pending& pending) {
    auto headers = options_.identity;
    headers.emplace_back("Accept", "application/json, text/event-stream");
    headers.emplace_back("Content-Type", "application/json");
    if (!pending.kind.initialize) session_.add_headers(headers);
    net::ClientResponse response;
    try {
      net::HttpClient http(options_.url, options_.call_timeout, options_.tls);
      response = http.request("POST", kEndpoint, pending.line, headers);
    } catch (const std::exception& error) {
      std::string message = std::string("cannot reach the Solo server: ") + error.what();
      note(message);
      answer_with_error(pending.kind, message);
      return;
    }
    auto lines = answer_lines(response.header("content-type").value_or(""), response.body);
    bool ok = response.status >= 200 && response.status < 300;
    if (pending.kind.initialize && ok && !lines.empty()) {
      session_.start(response.header("mcp-session-id").value_or(""), negotiated_version(lines));
      std::call_once(stream_started_, [this] { stream_thread_ = std::thread([this] { stream_loop(); }); });
    }
    for (auto& line : lines) out_.write(std::move(line));
    if (!lines.empty()) return;
    if (!ok) {
      bool in_session = !pending.kind.initialize && !session_.id().empty();
      auto message = status_message(response.status, response.body, in_session);
      note(message);
      answer_with_error(pending.kind, message);
    } else if (response.status != 202 && !pending.kind.request_ids.empty()) {
      answer_with_error(pending.kind, "the Solo server's answer (HTTP " + std::to_string(response.status) +
                                          ") held no JSON-RPC message");
    }
  }

  void answer_with_error(const LineKind& kind, const std::string& message) {
    for (const auto& id : kind.request_ids) out_.write(error_line(id, kInternalError, message));
  }

  // The session's GET stream (its own thread): each event's message to
  // stdout; reconnects with Last-Event-ID until the proxy stops, the server
  // says it has no stream (405) or the session is gone.
  void stream_loop() {
    std::optional<std::string> last_event_id;
    std::string session_id = session_.id();
    auto backoff = std::chrono::milliseconds(kFirstBackoff);
    while (!stopping_) {
      if (session_.id() != session_id) {
        // The host initialized again: event ids of the old session mean nothing in the new one.
        session_id = session_.id();
        last_event_id.reset();
      }
      auto headers = options_.identity;
      headers.emplace_back("Accept", "text/event-stream");
      session_.add_headers(headers);
      if (last_event_id) headers.emplace_back("Last-Event-ID", *last_event_id);
      try {
        net::HttpClient http(options_.url, options_.stream_idle, options_.tls);
        net::SseParser parser;
        http.stream(kEndpoint, headers, [&](std::string_view piece) {
          for (const auto& event : parser.feed(piece)) {
            if (auto line = event_line(event)) out_.write(std::move(*line));
          }
          if (parser.last_event_id()) last_event_id = parser.last_event_id();
          backoff = kFirstBackoff;
          return !stopping_.load();
        });
      } catch (const net::HttpStatusError& error) {
        if (stopping_) break;
        if (error.status() == 405) {
          note("the server offers no GET stream; only answers to requests are relayed");
          break;
        }
        if (error.status() == 401 || error.status() == 403 || error.status() == 404) {
          note("the session's stream: " + status_message(error.status(), error.body(), true));
          break;
        }
        note("the session's stream: " + status_message(error.status(), error.body(), true) + "; reconnecting");
      } catch (const std::exception& error) {
        if (stopping_) break;
        note(std::string("the session's stream dropped (") + error.what() + "); reconnecting");
      }
      std::unique_lock lock(stop_mutex_);
      stop_cv_.wait_for(lock, backoff, [this] { return stopping_.load(); });
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
    }
    std::lock_guard lock(stop_mutex_);
    stream_done_ = true;
    stop_cv_.notify_all();
  }

  // DELETEs the session and stops the GET stream. A stream thread still
  // blocked in a read (the server did not end it) cannot be joined in time:
  // the process then ends without it.
  void end_session() {
    {
      std::lock_guard lock(stop_mutex_);
      stopping_ = true;
      stop_cv_.notify_all();
    }
    auto id = session_.id();
    if (!id.empty()) {
      auto headers = options_.identity;
      session_.add_headers(headers);
      try {
        net::HttpClient http(options_.url, kDeleteTimeout, options_.tls);
        auto response = http.request("DELETE", kEndpoint, {}, headers);
        // 405: the server lets sessions expire on their own; 404: already gone.
        if (response.status >= 300 && response.status != 405 && response.status != 404) {
          note("ending the session: " + status_message(response.status, response.body, true));
        }
      } catch (const std::exception& error) {
        note(std::string("cannot end the session: ") + error.what());
      }
    }
    if (!stream_thread_.joinable()) return;
    std::unique_lock lock(stop_mutex_);
    if (stop_cv_.wait_for(lock, kStreamStopWait, [this] { return stream_done_; })) {
      lock.unlock();
      stream_thread_.join();
      return;
    }
    std::fflush(nullptr);
    std::_Exit(0);
  }

  const ProxyOptions& options_;
  int in_fd_;
  LineWriter out_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::signal_set signals_;
  std::optional<asio::posix::stream_descriptor> input_;
  std::array<char, 64 * 1024> buffer_{};
  LineSplitter splitter_;

  // The io thread's state: what waits, what is in flight.
  std::deque<Pending> queue_;
  std::size_t in_flight_ = 0;
  bool barrier_ = false;
  bool reading_ = false;
  bool eof_ = false;

  Session session_;
  std::once_flag stream_started_;
  std::thread stream_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stream_done_ = false;

  // Last: destroyed (joined) first, while everything its tasks touch lives.
  asio::thread_pool pool_{kMaxInFlight + 1};
};

}  // namespace

int run_proxy(const ProxyOptions& options, int in_fd, int out_fd) {
  ::signal(SIGPIPE, SIG_IGN);  // a host that closes our stdout must not kill us mid-DELETE
  Proxy proxy(options, in_fd, out_fd);
  return proxy.run();
}

}  // namespace solo::mcp_stdio
