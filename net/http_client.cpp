// HttpClient: Beast over a private io_context, one connection per call.
//
// Blocking calls with timeouts: each step starts an asynchronous Beast
// operation on a tcp_stream with an expiry and runs the private io_context
// until it completes (sync socket calls cannot time out in Asio). request()
// and stream() are written once over the stream type: beast::tcp_stream for
// http://, beast::ssl_stream<beast::tcp_stream> for https://, whose context
// and host check come from net/tls_context.cpp.
#include "net/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

namespace solo::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

beast::tcp_stream& tcp_layer(beast::tcp_stream& stream) { return stream; }
beast::tcp_stream& tcp_layer(TlsStream& stream) { return stream.next_layer(); }

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

template <class Fields>
HeaderList collect_headers(const Fields& fields) {
  HeaderList out;
  for (const auto& field : fields) {
    out.emplace_back(lower(field.name_string()), std::string(field.value()));
  }
  return out;
}

}  // namespace

std::optional<std::string> ClientResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

struct HttpClient::Impl {
  HeaderList default_headers;  // sent with every request unless the call names the same header
  std::string base_url;
  std::string host;
  std::string port;
  std::chrono::milliseconds timeout;
  asio::io_context io;
  std::unique_ptr<asio::ssl::context> tls;  // https:// only
  bool keep_alive = false;
  std::optional<beast::tcp_stream> kept;  // the reused connection (keep_alive, http:// only)

  // Runs the io_context until the operation started just before completes.
  void run() {
    io.restart();
    io.run();
  }

  // run(), then throws if the operation failed.
  void wait(const beast::error_code& ec, std::string_view what) {
    run();
    check(ec, what);
  }

  void check(const beast::error_code& ec, std::string_view what) const {
    if (!ec) return;
    if (ec.category() == asio::error::get_ssl_category()) {
      // E.g. the server refused our client certificate (TLS 1.3 says so only
      // after the handshake): OpenSSL's text names the alert.
      throw std::runtime_error(std::string(what) + " " + base_url + ": " + openssl_reason(ec));
    }
    if (ec == beast::error::timeout) {
      throw std::runtime_error(std::string(what) + " " + base_url + ": timed out after " +
                               std::to_string(timeout.count()) + " ms");
    }
    throw std::runtime_error(std::string(what) + " " + base_url + ": " + ec.message());
  }

  // connect() and the TLS handshake: the server's certificate must verify and
  // name the host.
  std::unique_ptr<TlsStream> connect_tls() {
    auto stream = std::make_unique<TlsStream>(connect(), *tls);
    SSL* ssl = stream->native_handle();
    expect_server_name(ssl, host);
    beast::error_code ec;
    stream->next_layer().expires_after(timeout);
    stream->async_handshake(asio::ssl::stream_base::client, [&ec](beast::error_code e) { ec = e; });
    run();
    if (ec) {
      std::string reason = client_handshake_failure(ssl, ec);
      if (ec == beast::error::timeout) reason = "timed out after " + std::to_string(timeout.count()) + " ms";
      throw std::runtime_error("TLS handshake failed with " + base_url + ": " + reason);
    }
    return stream;
  }

  beast::tcp_stream connect() {
    beast::tcp_stream stream(io);
    beast::error_code ec;
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(host, port, ec);
    if (ec) throw std::runtime_error("cannot connect to " + base_url + ": " + ec.message());
    stream.expires_after(timeout);
    stream.async_connect(endpoints, [&ec](beast::error_code e, const tcp::endpoint&) { ec = e; });
    wait(ec, "cannot connect to");
    return stream;
  }

  http::request<http::string_body> make_request(std::string_view method, std::string_view target,
                                                std::string_view body, const HeaderList& headers) {
    http::request<http::string_body> request;
    request.version(11);
    const auto verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) {
      request.method_string(method);
    } else {
      request.method(verb);
    }
    request.target(target);
    request.set(http::field::host, host + ":" + port);
    request.set(http::field::user_agent, "solo");
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : default_headers) request.set(name, value);
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = std::string(body);
    request.prepare_payload();
    return request;
  }

  template <class Stream>
  void send(Stream& stream, http::request<http::string_body>& request) {
    beast::error_code ec;
    tcp_layer(stream).expires_after(timeout);
    http::async_write(stream, request, [&ec](beast::error_code e, std::size_t) { ec = e; });
    wait(ec, "cannot send request to");
  }
};

HttpClient::HttpClient(std::string base_url, std::chrono::milliseconds timeout, TlsClientOptions tls)
    : impl_(std::make_unique<Impl>()) {
  const auto url = boost::urls::parse_uri(base_url);
  const bool https = url && url->scheme() == "https";
  if (!url || (url->scheme() != "http" && !https) || url->host().empty()) {
    throw std::invalid_argument("not an http:// or https:// URL: " + base_url);
  }
  impl_->host = url->host();
  impl_->port = url->has_port() ? std::string(url->port()) : (https ? "443" : "80");
  impl_->base_url = (https ? "https://" : "http://") + std::string(url->encoded_host_and_port());
  impl_->timeout = timeout;
  if (https) impl_->tls = make_client_tls_context(tls);
}

HttpClient::~HttpClient() = default;

const std::string& HttpClient::base_url() const { return impl_->base_url; }

namespace {

// Impl is private to HttpClient: deduced, never named.
template <class Impl, class Stream>
ClientResponse do_request(Impl& impl, Stream& stream, std::string_view method, std::string_view target,
                          std::string_view body, const HeaderList& headers, bool close = true) {
  auto request = impl.make_request(method, target, body, headers);
  impl.send(stream, request);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);  // the CLI trusts its server
  beast::error_code ec;
  tcp_layer(stream).expires_after(impl.timeout);
  http::async_read(stream, buffer, parser, [&ec](beast::error_code e, std::size_t) { ec = e; });
  impl.wait(ec, "no valid response from");

  auto message = parser.release();
  ClientResponse response;
  response.status = static_cast<int>(message.result_int());
  response.headers = collect_headers(message);
  response.body = std::move(message.body());
  if (close || !message.keep_alive()) {
    beast::error_code ignored;
    tcp_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    impl.kept.reset();
  }
  return response;
}

}  // namespace

ClientResponse HttpClient::request(std::string_view method, std::string_view target,
                                   std::string_view body, const HeaderList& headers) {
  auto& impl = *impl_;
  if (impl.tls) {
    auto stream = impl.connect_tls();
    return do_request(impl, *stream, method, target, body, headers);
  }
  if (impl.keep_alive) {
    if (!impl.kept) impl.kept.emplace(impl.connect());
    try {
      return do_request(impl, *impl.kept, method, target, body, headers, false);
    } catch (...) {
      impl.kept.reset();  // the next request connects afresh
      throw;
    }
  }
  auto stream = impl.connect();
  return do_request(impl, stream, method, target, body, headers);
}

void HttpClient::keep_alive(bool on) {
  impl_->keep_alive = on && !impl_->tls;
  if (!impl_->keep_alive) impl_->kept.reset();
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

void HttpClient::set_default_headers(HeaderList headers) { impl_->default_headers = std::move(headers); }

namespace {

template <class Impl, class Stream>
void do_stream(Impl& impl, Stream& stream, std::string_view target, const HeaderList& headers,
               const std::function<bool(std::string_view)>& on_data) {
  auto request = impl.make_request("GET", target, {}, headers);
  impl.send(stream, request);

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // a stream has no length
  beast::error_code ec;
  tcp_layer(stream).expires_after(impl.timeout);
  http::async_read_header(stream, buffer, parser,
                          [&ec](beast::error_code e, std::size_t) { ec = e; });
  impl.wait(ec, "no valid response from");

  const int status = static_cast<int>(parser.get().result_int());
  const bool ok = status >= 200 && status < 300;
  std::string error_body;
  // read_some parses whatever arrived and stops when the buffer is full or
  // the bytes run out, so each piece reaches on_data as soon as it arrives.
  std::array<char, 8192> piece;
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    tcp_layer(stream).expires_after(impl.timeout);
    http::async_read_some(stream, buffer, parser,
                          [&ec](beast::error_code e, std::size_t) { ec = e; });
    impl.run();
    if (ec == http::error::need_buffer) ec = {};
    const auto n = piece.size() - parser.get().body().size;
    if (n > 0) {
      const std::string_view data(piece.data(), n);
      if (!ok) {
        error_body.append(data);
      } else if (!on_data(data)) {
        break;
      }
    }
    // The server ending the connection ends the stream (it does so at shutdown;
    // SSE clients reconnect with Last-Event-ID).
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::ssl::error::stream_truncated) {
      break;
    }
    impl.check(ec, "stream interrupted from");
  }
  beast::error_code ignored;
  tcp_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (!ok) {
    throw HttpStatusError("GET " + std::string(target) + " on " + impl.base_url + ": status " +
                              std::to_string(status) + " " + error_body,
                          status, error_body);
  }
}

}  // namespace

void HttpClient::stream(std::string_view target, const HeaderList& headers,
                        const std::function<bool(std::string_view)>& on_data) {
  auto& impl = *impl_;
  if (impl.tls) {
    auto stream = impl.connect_tls();
    do_stream(impl, *stream, target, headers, on_data);
    return;
  }
  auto stream = impl.connect();
  do_stream(impl, stream, target, headers, on_data);
}

}  // namespace solo::net
