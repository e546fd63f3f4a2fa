// Test helpers for the net layer: an HttpServer on port 0 running on its own
// io_context thread, and a raw POSIX connection for speaking (mis)formed HTTP
// byte by byte with receive timeouts (Asio's sync reads cannot time out).
#pragma once

#include "net/http_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace solo::net::test {

// The server under test: started in the constructor, drained and joined in
// the destructor. Handlers run on the server thread; the test thread is the
// client.
class TestServer {
 public:
  TestServer(HttpServerOptions options, HttpServer::RequestHandler handler,
             HttpServer::RequestObserver observer = {})
      : server_(io_.get_executor(), with_free_port(std::move(options)), std::move(handler)) {
    if (observer) server_.set_on_request(std::move(observer));
    server_.listen();
    asio::co_spawn(io_, server_.run(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() { stop(std::chrono::milliseconds(200)); }

  // drain(deadline) on the server thread; blocks the caller until it returns.
  void drain(std::chrono::milliseconds deadline) {
    asio::co_spawn(io_, server_.drain(deadline), asio::use_future).get();
  }
  void stop(std::chrono::milliseconds deadline) {
    if (!thread_.joinable()) return;
    drain(deadline);
    work_.reset();
    io_.stop();
    thread_.join();
  }

  HttpServer& server() { return server_; }
  asio::io_context::executor_type executor() { return io_.get_executor(); }  // the server's thread
  std::uint16_t port() const { return server_.local_endpoint().port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

  // Polls until pred() holds or the timeout passes; returns pred().
  template <class Pred>
  static bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

 private:
  static HttpServerOptions with_free_port(HttpServerOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;
    return options;
  }

  asio::io_context io_{1};
  // Keeps io_.run() going after a drain() left it without work, so that later
  // drain() calls (the destructor's) still run.
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  HttpServer server_;
  std::thread thread_;
};

// A blocking TCP connection with a receive timeout, to 127.0.0.1, from
// `source` when given (any 127.x.y.z works on Linux: another client address).
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &local.sin_addr);
      if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        throw std::runtime_error("RawConnection: cannot bind to " + std::string(source));
      }
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("RawConnection: cannot connect");
    }
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False once the peer has closed or reset the connection.
  bool send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }

  // Reads until `marker` has arrived, the peer closed, or the timeout passed;
  // returns everything read so far.
  std::string read_until(std::string_view marker,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (received_.find(marker) == std::string::npos && !closed_) {
      if (!read_some(until)) break;
    }
    return received_;
  }

  // Reads one complete response with a Content-Length body; removes it from
  // the pending bytes and returns it ("" on timeout or close).
  std::string read_response(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto head_end = received_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t length = 0;
        const auto at = lower(received_.substr(0, head_end)).find("content-length:");
        if (at != std::string::npos) length = std::stoul(received_.substr(at + 15));
        if (received_.size() >= head_end + 4 + length) {
          auto response = received_.substr(0, head_end + 4 + length);
          received_.erase(0, response.size());
          return response;
        }
      }
      if (closed_ || !read_some(until)) return {};
    }
  }

  // True if the peer closes (EOF or reset) within the timeout; data is dropped.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
      if (!read_some(until)) return closed_;
    }
    return true;
  }

  // A non-blocking check: has the peer closed already?
  bool peer_closed() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) received_.append(buffer, static_cast<std::size_t>(n));
    return n <= 0;
  }

 private:
  static std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }

  // False on timeout.
  bool read_some(std::chrono::steady_clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed_ = true;
    } else {
      received_.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

}  // namespace solo::net::test
