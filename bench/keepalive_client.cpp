#include "bench/keepalive_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace solo::bench {

namespace asio = boost::asio;
namespace http = boost::beast::http;

struct KeepAliveClient::Impl {
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  boost::beast::flat_buffer buffer;
  std::string host;
  std::string authorization;
};

KeepAliveClient::KeepAliveClient(const std::string& host, unsigned short port, std::string bearer_token)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = host + ":" + std::to_string(port);
  if (!bearer_token.empty()) impl_->authorization = "Bearer " + bearer_token;
  asio::ip::tcp::resolver resolver(impl_->io);
  asio::connect(impl_->socket, resolver.resolve(host, std::to_string(port)));
  impl_->socket.set_option(asio::ip::tcp::no_delay(true));
}

KeepAliveClient::~KeepAliveClient() {
  boost::system::error_code ignored;
  impl_->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
}

std::string KeepAliveClient::request(std::string_view method, std::string_view target, std::string_view body,
                                     int expect_status) {
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, impl_->host);
  request.keep_alive(true);
  if (!impl_->authorization.empty()) request.set(http::field::authorization, impl_->authorization);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::string(body);
  }
  request.prepare_payload();
  http::write(impl_->socket, request);
  http::response<http::string_body> response;
  http::read(impl_->socket, impl_->buffer, response);
  if (response.result_int() != static_cast<unsigned>(expect_status)) {
    throw std::runtime_error(std::string(method) + " " + std::string(target) + " answered " +
                             std::to_string(response.result_int()) + ": " + response.body());
  }
  if (!response.keep_alive()) {
    throw std::runtime_error(std::string(method) + " " + std::string(target) + " closed the keep-alive connection");
  }
  return std::move(response.body());
}

}  // namespace solo::bench
