// HttpServer and HttpClient over TLS on 127.0.0.1, with certificates the test
// generates (support/test_certs.hpp): HTTPS, certificate verification on both
// sides (mutual TLS), plain HTTP and stalled handshakes against the TLS port,
// and bad certificate files at listen().
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/sse.hpp"
#include "support/async_test.hpp"
#include "support/test_certs.hpp"
#include "unit/net/net_test_support.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <future>

namespace solo::net {
namespace {

using namespace std::chrono_literals;
using test::RawConnection;
using test::TestServer;
using Clock = std::chrono::steady_clock;

Response hello_body(const Request& request) {
  return json_response(200, {{"hello", request.path}, {"remote", request.remote_address}});
}

asio::awaitable<Response> hello(Request& request) { co_return hello_body(request); }

asio::awaitable<void> two_ticks(std::shared_ptr<StreamWriter> writer) {
  for (int i = 1; i <= 2; ++i) {
    if (!co_await writer->write(format_sse_event(i, "tick", "{}"))) co_return;
  }
}

Response two_ticks_response() {
  Response response;
  response.content_type = "text/event-stream";
  response.stream = two_ticks;
  return response;
}

asio::awaitable<Response> ticks(Request&) { co_return two_ticks_response(); }

// Generated once per process: key generation is quick, but there is no need
// to repeat it per test.
struct Pki {
  solo::test::TempDir dir;
  solo::test::TestCerts certs{dir / "certs"};
};

const Pki& pki() {
  static Pki instance;
  return instance;
}

HttpServerOptions tls_options(bool mutual, std::chrono::milliseconds handshake_timeout = 10s) {
  HttpServerOptions options;
  TlsServerOptions tls;
  tls.cert_file = pki().certs.server.cert.string();
  tls.key_file = pki().certs.server.key.string();
  if (mutual) tls.client_ca_file = pki().certs.ca.cert.string();
  tls.handshake_timeout = handshake_timeout;
  options.tls = tls;
  return options;
}

std::string https_url(const TestServer& server) { return "https://127.0.0.1:" + std::to_string(server.port()); }

TlsClientOptions trusting_ca() {
  TlsClientOptions tls;
  tls.ca_file = pki().certs.ca.cert.string();
  return tls;
}

TlsClientOptions with_client_cert(const solo::test::CertFiles& files) {
  auto tls = trusting_ca();
  tls.cert_file = files.cert.string();
  tls.key_file = files.key.string();
  return tls;
}

// The exception text of fn(), or "" when it does not throw.
template <class Fn>
std::string failure_of(Fn fn) {
  try {
    fn();
  } catch (const std::exception& error) {
    return error.what();
  }
  return {};
}

bool https_works(const TestServer& server, const TlsClientOptions& tls) {
  HttpClient client(https_url(server), 5s, tls);
  auto response = client.request("GET", "/again");
  return response.status == 200;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(an_https_request_is_answered_and_the_server_certificate_is_verified) {
  TestServer server(tls_options(false), hello);
  BOOST_TEST(server.server().tls());
  HttpClient client(https_url(server), 5s, trusting_ca());
  BOOST_TEST(client.base_url() == https_url(server));
  auto response = client.request("GET", "/hello");
  BOOST_TEST(response.status == 200);
  auto body = boost::json::parse(response.body).as_object();
  BOOST_TEST(body.at("hello").as_string() == "/hello");
  BOOST_TEST(body.at("remote").as_string() == "127.0.0.1");

  // A client that trusts another CA (or only the system's) refuses the server.
  auto other = pki().certs.other_ca.cert.string();
  auto untrusted = failure_of([&] {
    HttpClient(https_url(server), 5s, TlsClientOptions{other, "", ""}).request("GET", "/hello");
  });
  BOOST_TEST(untrusted.find("certificate verify failed") != std::string::npos, untrusted);
  auto system_store = failure_of([&] { HttpClient(https_url(server), 5s).request("GET", "/hello"); });
  BOOST_TEST(!system_store.empty());
  // The certificate names 127.0.0.1, not another address of this host.
  BOOST_TEST(https_works(server, trusting_ca()));
}

BOOST_AUTO_TEST_CASE(a_stream_is_delivered_over_tls) {
  TestServer server(tls_options(false), ticks);
  HttpClient client(https_url(server), 5s, trusting_ca());
  SseParser parser;
  std::vector<SseEvent> events;
  client.stream("/events", {{"Accept", "text/event-stream"}}, [&](std::string_view piece) {
    for (auto& event : parser.feed(piece)) events.push_back(std::move(event));
    return true;
  });
  BOOST_TEST(events.size() == 2u);
  BOOST_TEST(TestServer::eventually([&] { return server.server().active_connections() == 0; }));
}

BOOST_AUTO_TEST_CASE(mutual_tls_admits_a_client_certificate_from_the_ca_only) {
  TestServer server(tls_options(true), hello);
  HttpClient good(https_url(server), 5s, with_client_cert(pki().certs.client));
  BOOST_TEST(good.request("GET", "/hello").status == 200);

  auto without = failure_of([&] { HttpClient(https_url(server), 5s, trusting_ca()).request("GET", "/hello"); });
  BOOST_TEST(!without.empty());
  BOOST_TEST_MESSAGE("without a client certificate: " << without);

  auto stranger = failure_of([&] {
    HttpClient(https_url(server), 5s, with_client_cert(pki().certs.other_client)).request("GET", "/hello");
  });
  BOOST_TEST(!stranger.empty());
  BOOST_TEST_MESSAGE("with another CA's certificate: " << stranger);

  // The refusals touched nobody else.
  BOOST_TEST(good.request("GET", "/hello").status == 200);
  BOOST_TEST(TestServer::eventually([&] { return server.server().active_connections() == 0; }));
}

BOOST_AUTO_TEST_CASE(plain_http_to_the_tls_port_fails_cleanly_and_the_server_keeps_serving) {
  TestServer server(tls_options(false), hello);
  {
    RawConnection raw(server.port());
    BOOST_TEST(raw.send("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    BOOST_TEST(raw.closed_within(3s));
    BOOST_TEST(raw.read_until("HTTP/1.1 200", 10ms).find("HTTP/1.1 200") == std::string::npos);
  }
  auto plain = failure_of([&] {
    HttpClient("http://127.0.0.1:" + std::to_string(server.port()), 3s).request("GET", "/hello");
  });
  BOOST_TEST(!plain.empty());
  BOOST_TEST(https_works(server, trusting_ca()));
  BOOST_TEST(TestServer::eventually([&] { return server.server().active_connections() == 0; }));
}

BOOST_AUTO_TEST_CASE(a_stalled_handshake_is_cut_off_without_holding_up_others) {
  TestServer server(tls_options(false, 400ms), hello);
  RawConnection silent(server.port());
  RawConnection partial(server.port());
  // The first bytes of a ClientHello record, and then nothing.
  BOOST_TEST(partial.send(std::string("\x16\x03\x01\x00\xc8\x01\x00", 7)));
  const auto started = Clock::now();
  // Others are served meanwhile.
  BOOST_TEST(https_works(server, trusting_ca()));
  BOOST_TEST(silent.closed_within(5s));
  BOOST_TEST(partial.closed_within(5s));
  const auto waited = Clock::now() - started;
  BOOST_TEST((waited >= 300ms && waited < 4s));
  BOOST_TEST(TestServer::eventually([&] { return server.server().active_connections() == 0; }));
  BOOST_TEST(https_works(server, trusting_ca()));
}

BOOST_AUTO_TEST_CASE(over_the_connection_cap_a_tls_client_gets_503) {
  auto options = tls_options(false);
  options.max_connections = 1;
  TestServer server(options, hello);
  RawConnection holder(server.port());
  BOOST_TEST(TestServer::eventually([&] { return server.server().active_connections() == 1; }));
  HttpClient client(https_url(server), 5s, trusting_ca());
  BOOST_TEST(client.request("GET", "/hello").status == 503);
}

BOOST_AUTO_TEST_CASE(bad_certificate_or_key_files_fail_listen_clearly) {
  asio::io_context io;
  auto listen_error = [&](TlsServerOptions tls) {
    HttpServerOptions options;
    options.port = 0;
    options.tls = std::move(tls);
    HttpServer server(io.get_executor(), options, hello);
    return failure_of([&] { server.listen(); });
  };
  const auto& certs = pki().certs;
  auto missing = listen_error({"/nonexistent/server.crt", certs.server.key.string(), "", 10s});
  BOOST_TEST(missing.find("cannot load TLS certificate /nonexistent/server.crt: ") == 0u, missing);

  auto not_a_cert = listen_error({certs.server.key.string(), certs.server.key.string(), "", 10s});
  BOOST_TEST(not_a_cert.find("cannot load TLS certificate " + certs.server.key.string() + ": ") == 0u, not_a_cert);

  auto wrong_key = listen_error({certs.server.cert.string(), certs.client.key.string(), "", 10s});
  BOOST_TEST(wrong_key.find("cannot load TLS key " + certs.client.key.string()) == 0u, wrong_key);

  auto bad_ca = listen_error({certs.server.cert.string(), certs.server.key.string(), "/nonexistent/ca.crt", 10s});
  BOOST_TEST(bad_ca.find("cannot load TLS client CA /nonexistent/ca.crt") == 0u, bad_ca);
}

BOOST_AUTO_TEST_CASE(the_client_rejects_bad_urls_and_unloadable_tls_files) {
  BOOST_CHECK_THROW(HttpClient("ftp://127.0.0.1:1"), std::invalid_argument);
  BOOST_CHECK_THROW(HttpClient("https://127.0.0.1:1", 1s, TlsClientOptions{"/nonexistent/ca.crt", "", ""}),
                    std::invalid_argument);
  auto tls = trusting_ca();
  tls.cert_file = pki().certs.client.cert.string();  // no key
  BOOST_CHECK_THROW(HttpClient("https://127.0.0.1:1", 1s, tls), std::invalid_argument);
  // http:// URLs ignore TLS options.
  BOOST_CHECK_NO_THROW(HttpClient("http://127.0.0.1:1", 1s, TlsClientOptions{"/nonexistent/ca.crt", "", ""}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace solo::net
