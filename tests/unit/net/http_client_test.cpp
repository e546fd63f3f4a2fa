// HttpClient: failures are clear exceptions naming the URL.
#include "net/http_client.hpp"
#include "unit/net/net_test_support.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace solo::net {
namespace {

using namespace std::chrono_literals;

asio::awaitable<Response> answer_late(Request&) {
  asio::steady_timer timer(co_await asio::this_coro::executor, 3s);
  co_await timer.async_wait(asio::use_awaitable);
  co_return json_response(200, {{"late", true}});
}

asio::awaitable<Response> unauthorized(Request&) {
  co_return error_response(401, "unauthorized", "no token");
}

// A port nothing listens on: bind one, note it, release it.
std::uint16_t unused_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_client)

BOOST_AUTO_TEST_CASE(a_refused_connection_names_the_url_and_the_reason) {
  const auto url = "http://127.0.0.1:" + std::to_string(unused_port());
  HttpClient client(url);
  try {
    client.request("GET", "/health");
    BOOST_FAIL("request() should have thrown");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()) == "cannot connect to " + url + ": Connection refused");
  }
}

BOOST_AUTO_TEST_CASE(a_slow_server_hits_the_client_timeout) {
  test::TestServer server({}, answer_late);
  HttpClient client(server.url(), 300ms);
  try {
    client.request("GET", "/late");
    BOOST_FAIL("request() should have thrown");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("timed out") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_stream_refused_with_an_error_status_throws_it) {
  test::TestServer server({}, unauthorized);
  HttpClient client(server.url());
  try {
    client.stream("/events", {}, [](std::string_view) { return true; });
    BOOST_FAIL("stream() should have thrown");
  } catch (const HttpStatusError& e) {
    BOOST_TEST(e.status() == 401);
    BOOST_TEST(boost::json::parse(e.body()).at("error").as_string() == "unauthorized");
  }
}

BOOST_AUTO_TEST_CASE(only_http_urls_are_accepted) {
  BOOST_CHECK_THROW(HttpClient("ftp://x"), std::invalid_argument);
  BOOST_CHECK_THROW(HttpClient("not a url"), std::invalid_argument);
  BOOST_TEST(HttpClient("http://127.0.0.1:9/ignored").base_url() == "http://127.0.0.1:9");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net
