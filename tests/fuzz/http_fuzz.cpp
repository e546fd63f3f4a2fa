// Fuzz target: the HTTP request path — raw HTTP/1.1 bytes read by the real
// HttpServer (Beast parser, limits), authenticated and dispatched by the real
// Gateway and Router to the real handlers, over a real Kernel whose store is
// SQLite in a temp dir (fuzz_kernel.hpp). Upgrades to /ws reach the WebSocket
// session too (client frames after the handshake).
//
// Input: the bytes a client sends on one connection (several pipelined
// requests allowed). "@ADMIN@" and "@TENANT@" in them are replaced by the
// admin token and a narrow tenant token, so an input picks its identity
// (e.g. "Authorization: Bearer @TENANT@"). The harness connects over
// loopback, writes the bytes, half-closes, and reads until the server closes
// (at most 3 s: streams — SSE, watch — are cut there).
//
// Invariants, for every response the server wrote:
//   - it parses as HTTP/1.1 (the first one; later ones until one does not);
//   - no 500 internal_error (an unexpected exception in Solo is a bug; 500
//     service_error, a service's own failure, is a documented answer);
//   - a JSON error has the documented shape {"error", "message", "timestamp"}
//     (strings), and a JSON success body is valid JSON;
// and afterwards the admin token still authenticates (no input may revoke it
// without knowing its id).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>

#include "fuzz/fuzz_check.hpp"
#include "fuzz/fuzz_kernel.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::ip::tcp;

namespace {

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// One connection: write everything, half-close, read to EOF (or 3 s).
asio::awaitable<std::string> exchange(tcp::endpoint server, std::string bytes) {
  auto executor = co_await asio::this_coro::executor;
  tcp::socket socket(executor);
  co_await socket.async_connect(server, asio::use_awaitable);
  asio::steady_timer deadline(executor, std::chrono::seconds(3));
  deadline.async_wait([&socket](boost::system::error_code ec) {
    if (!ec) socket.close();  // the coroutine is still reading: the frame is alive
  });
  // The server may answer and close before it read everything (413, 431):
  // a failed write is not a finding.
  auto [write_error, written] =
      co_await asio::async_write(socket, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  std::string received;
  char buffer[16384];
  for (;;) {
    auto [error, n] = co_await socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    received.append(buffer, n);
    if (error) break;
  }
  deadline.cancel();
  co_return received;
}

void check_response(const http::response<http::string_body>& response) {
  const int status = static_cast<int>(response.result_int());
  FUZZ_CHECK(status != 500 || response.body().find("\"service_error\"") != std::string::npos,
             "500: " + response.body());
  auto type = response[http::field::content_type];
  if (type.find("application/json") == std::string_view::npos || response.body().empty()) return;
  boost::system::error_code ec;
  auto body = json::parse(response.body(), ec);
  FUZZ_CHECK(!ec, "a JSON response that does not parse: " + response.body());
  if (status < 400) return;
  FUZZ_CHECK(body.is_object(), "an error that is not an object: " + response.body());
  for (const char* field : {"error", "message", "timestamp"}) {
    const auto* value = body.as_object().if_contains(field);
    FUZZ_CHECK(value && value->is_string(), std::string("an error without '") + field + "': " + response.body());
  }
}

// Checks each response in `received`, in order, until one does not parse
// (the first must, when there is any byte at all).
void check_responses(std::string_view received, bool first_is_head) {
  bool first = true;
  while (!received.empty()) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(64u << 20);
    parser.header_limit(64u << 10);
    if (first && first_is_head) parser.skip(true);
    boost::system::error_code ec;
    size_t used = parser.put(asio::buffer(received.data(), received.size()), ec);
    while (!ec && !parser.is_done() && used < received.size()) {
      size_t more = parser.put(asio::buffer(received.data() + used, received.size() - used), ec);
      if (more == 0) break;
      used += more;
    }
    if (!parser.is_done() && !ec && parser.is_header_done()) {
      parser.put_eof(ec);  // a body delimited by the close
    }
    if (first) {
      FUZZ_CHECK(!ec || ec == http::error::partial_message || ec == http::error::need_more,
                 "the first response does not parse: " + ec.message());
    }
    if (ec || !parser.is_done()) return;
    const auto& response = parser.get();
    check_response(response);
    if (response.result_int() == 101) return;  // WebSocket frames follow
    received.remove_prefix(used);
    first = false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& world = solo::fuzz::FuzzKernel::get();
  std::string bytes(reinterpret_cast<const char*>(data), size);
  replace_all(bytes, "@ADMIN@", world.admin_token());
  replace_all(bytes, "@TENANT@", world.tenant_token());

  static const tcp::endpoint server = [&world] {
    auto url = world.kernel().url();  // http://127.0.0.1:PORT
    auto port = static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1)));
    return tcp::endpoint(asio::ip::make_address("127.0.0.1"), port);
  }();
  auto received = world.run(exchange(server, bytes));
  check_responses(received, bytes.rfind("HEAD ", 0) == 0);
  world.reset_if_needed();
  return 0;
}
