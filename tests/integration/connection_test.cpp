// Connection limits of the real binary (docs/http-api.md, "Limits of the
// server"): the per-address cap (WebSocket connections count too) answers 503
// with Retry-After and leaves other addresses alone; /health answers 200
// while a flood holds every connection slot; a connection that sends nothing
// is closed after the first-byte deadline; a Transfer-Encoding that does not
// end in chunked, or one with Content-Length, is 400 and nothing is done;
// the descriptor soft limit is raised at start, and accept failures (out of
// descriptors) are logged at most once a second.
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "net/http_client.hpp"
#include "support/async_test.hpp"
#include "support/eventually.hpp"
#include "support/solo_process.hpp"
#include "support/websocket_client.hpp"
#include "unit/net/net_test_support.hpp"

using namespace solo;
using namespace std::chrono_literals;
using solo::test::eventually;
using solo::test::SoloProcess;
using solo::test::WsClient;
using RawConnection = solo::net::test::RawConnection;
namespace json = boost::json;

namespace {

std::string request(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& extra_headers = "", const std::string& body = "") {
  std::string text = method + " " + target + " HTTP/1.1\r\nHost: solo\r\n";
  if (!token.empty()) text += "Authorization: Bearer " + token + "\r\n";
  text += extra_headers;
  if (!body.empty() && extra_headers.find("Content-Length") == std::string::npos &&
      extra_headers.find("Transfer-Encoding") == std::string::npos) {
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return text + "\r\n" + body;
}

// The status line's code, or 0 when no answer came.
int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

json::object body_of(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return json::parse(response.substr(at + 4)).as_object();
}

// Sends one request on `connection` and returns the raw answer.
std::string round_trip(RawConnection& connection, const std::string& text) {
  if (!connection.send(text)) return "";
  return connection.read_response(10s);
}

std::uint16_t port(const SoloProcess& solo) { return solo::test::port_of(solo.url()); }

std::size_t open_descriptors(pid_t pid) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++count;
  }
  return count;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(connections)

BOOST_AUTO_TEST_CASE(the_per_address_cap_counts_websockets_refuses_with_503_and_spares_other_addresses) {
  test::TempDir dir;
  SoloProcess solo(dir / "data", {"--max-connections-per-address", "3"});
  const auto token = solo.admin_token();
  const auto list = request("GET", "/services", token);

  WsClient websocket(solo, token);
  BOOST_REQUIRE_MESSAGE(!websocket.error, websocket.error.message());
  RawConnection first(port(solo));
  BOOST_REQUIRE_EQUAL(status_of(round_trip(first, list)), 200);
  auto second = std::make_unique<RawConnection>(port(solo));
  BOOST_REQUIRE_EQUAL(status_of(round_trip(*second, list)), 200);

  // The fourth connection from 127.0.0.1: refused, and it takes no slot.
  for (int attempt = 0; attempt < 3; ++attempt) {
    RawConnection over(port(solo));
    const auto refused = round_trip(over, list);
    BOOST_TEST(status_of(refused) == 503, refused);
    BOOST_TEST(refused.find("Retry-After: 1") != std::string::npos, refused);
    const auto body = body_of(refused);
    BOOST_TEST(body.at("error").as_string() == "overloaded");
    BOOST_TEST(std::string(body.at("message").as_string()).find("too many connections from 127.0.0.1") == 0u,
               refused);
    BOOST_TEST(body.contains("timestamp"));
    BOOST_TEST(over.closed_within(5s));
  }

  // Another client address is served, and the held connections still are.
  RawConnection elsewhere(port(solo), "127.0.0.2");
  BOOST_TEST(status_of(round_trip(elsewhere, list)) == 200);
  BOOST_TEST(status_of(round_trip(first, list)) == 200);
  const auto status = websocket.op(1, "status", json::object{{"service_id", "none"}});
  BOOST_TEST(status.at("error").at("status").as_int64() == 404, json::serialize(status));

  // Closing the WebSocket gives its slot back.
  websocket.ws.close(boost::beast::websocket::close_code::normal);
  BOOST_TEST(eventually([&] {
    RawConnection again(port(solo));
    return status_of(round_trip(again, list)) == 200;
  }));
}

BOOST_AUTO_TEST_CASE(health_answers_200_while_a_flood_holds_every_connection_slot) {
  test::TempDir dir;
  constexpr int kCap = 8;
  SoloProcess solo(dir / "data", {"--max-connections", std::to_string(kCap)});
  const auto token = solo.admin_token();
  // The flood: kCap keep-alive connections, each past its first request (so
  // the first-byte deadline does not end them; idle keep-alive is 30 s).
  std::vector<std::unique_ptr<RawConnection>> flood;
  for (int i = 0; i < kCap; ++i) {
    flood.push_back(std::make_unique<RawConnection>(port(solo)));
    BOOST_REQUIRE_EQUAL(status_of(round_trip(*flood.back(), request("GET", "/health", ""))), 200);
  }
  for (int i = 0; i < 3; ++i) {
    RawConnection monitor(port(solo));
    const auto health = round_trip(monitor, request("GET", "/health", ""));
    BOOST_TEST(status_of(health) == 200, health);
    BOOST_TEST(body_of(health).at("status").as_string() == "healthy");
    BOOST_TEST(monitor.closed_within(5s));  // an overflow connection serves one request
  }
  RawConnection other(port(solo));
  const auto refused = round_trip(other, request("GET", "/services", token));
  BOOST_TEST(status_of(refused) == 503, refused);
  BOOST_TEST(refused.find("Retry-After: 1") != std::string::npos, refused);
  BOOST_TEST(std::string(body_of(refused).at("message").as_string()).find("too many connections (at most 8)") == 0u,
             refused);
  // The flood's connections are served as before.
  BOOST_TEST(status_of(round_trip(*flood.front(), request("GET", "/services", token))) == 200);
}

BOOST_AUTO_TEST_CASE(a_connection_that_sends_nothing_is_closed_after_the_first_byte_deadline) {
  test::TempDir dir;
  SoloProcess solo(dir / "data", {"--first-byte-timeout-ms", "500"});
  RawConnection silent(port(solo));
  // Well under the 30 s keep-alive idle deadline that applied before.
  BOOST_TEST(silent.closed_within(10s));
  BOOST_TEST(silent.read_response(100ms).empty());  // closed without an answer
  // A connection that does send is served.
  RawConnection talking(port(solo));
  BOOST_TEST(status_of(round_trip(talking, request("GET", "/health", ""))) == 200);
}

BOOST_AUTO_TEST_CASE(a_transfer_encoding_not_ending_in_chunked_or_with_content_length_is_400) {
  test::TempDir dir;
  SoloProcess solo(dir / "data");
  const auto token = solo.admin_token();
  const std::string body = R"({"key":"smuggled","value":"v"})";
  const std::vector<std::string> framings = {
      "Transfer-Encoding: xchunked\r\nContent-Length: " + std::to_string(body.size()) + "\r\n",
      "Transfer-Encoding: gzip\r\nContent-Length: " + std::to_string(body.size()) + "\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: " + std::to_string(body.size()) + "\r\n",
  };
  for (const auto& framing : framings) {
    RawConnection connection(port(solo));
    const auto answer = round_trip(connection, request("POST", "/secrets", token, framing, body));
    BOOST_TEST(status_of(answer) == 400, framing << " -> " << answer);
    BOOST_TEST(body_of(answer).at("error").as_string() == "invalid_request", answer);
    BOOST_TEST(connection.closed_within(5s));
  }
  net::HttpClient client = solo.client();
  const auto secret = client.request("GET", "/secrets/smuggled");
  BOOST_TEST(secret.status == 404, secret.body);
  // The same body with Content-Length only is stored.
  RawConnection plain(port(solo));
  BOOST_TEST(status_of(round_trip(plain, request("POST", "/secrets", token, "", body))) == 201);
}

BOOST_AUTO_TEST_CASE(the_connection_flags_refuse_zero_with_a_usage_error) {
  test::TempDir dir;
  for (const std::string flag : {"--max-connections", "--max-connections-per-address", "--first-byte-timeout-ms"}) {
    const auto err = dir / "stderr";
    const std::string command = std::string(SOLO_BINARY) + " serve --data " + (dir / "data").string() +
                                " --listen 127.0.0.1:0 " + flag + " 0 2>" + err.string();
    const int status = std::system(command.c_str());
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 2, flag);
    std::stringstream text;
    text << std::ifstream(err).rdbuf();
    BOOST_TEST(text.str().find(flag + " must be at least 1") != std::string::npos, text.str());
  }
}

BOOST_AUTO_TEST_CASE(the_descriptor_limit_is_raised_at_start_and_accept_failures_are_logged_once_a_second) {
  test::TempDir dir;
  rlimit mine{};
  BOOST_TEST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &mine) == 0);
  BOOST_TEST_REQUIRE(mine.rlim_max > 256u);
  // solo inherits a low soft limit and takes the hard one.
  rlimit low{256, mine.rlim_max};
  BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  std::unique_ptr<SoloProcess> solo;
  try {
    solo = std::make_unique<SoloProcess>(dir / "data");
  } catch (...) {
    ::setrlimit(RLIMIT_NOFILE, &mine);
    throw;
  }
  BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &mine) == 0);
  BOOST_TEST(solo->errors().find("descriptor limit raised from 256 to " + std::to_string(mine.rlim_max)) !=
                 std::string::npos,
             solo->errors());

  // Out of descriptors: the server cannot accept; a pending connection makes
  // every retry (20 a second) fail. About 3 s of that: at most a few lines.
  rlimit none{open_descriptors(solo->pid()), mine.rlim_max};
  BOOST_TEST_REQUIRE(::prlimit(solo->pid(), RLIMIT_NOFILE, &none, nullptr) == 0);
  std::vector<std::unique_ptr<RawConnection>> waiting;
  for (int i = 0; i < 4; ++i) waiting.push_back(std::make_unique<RawConnection>(port(*solo)));
  BOOST_TEST(eventually([&] { return count_of(solo->errors(), "more not logged since the last line") >= 2; },
                        std::chrono::seconds(15)));
  const auto errors = solo->errors();
  const auto lines = count_of(errors, "solo: accept failed: ");
  BOOST_TEST(lines >= 3u, errors);
  BOOST_TEST(lines <= 8u, errors);  // unthrottled: 20 a second
  BOOST_TEST(errors.find("Too many open files") != std::string::npos, errors);

  // Descriptors again: the waiting connections are served.
  BOOST_TEST_REQUIRE(::prlimit(solo->pid(), RLIMIT_NOFILE, &mine, nullptr) == 0);
  BOOST_TEST(status_of(round_trip(*waiting.front(), request("GET", "/health", ""))) == 200);
}

BOOST_AUTO_TEST_SUITE_END()
