#include "net/forwarder.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <list>
#include <map>
#include <sstream>

namespace solo::net {

namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

struct Upstream {
  std::string host;
  std::string port;
};

std::optional<Upstream> parse_upstream(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty()) return std::nullopt;
  return Upstream{std::string(parsed->host()), parsed->has_port() ? std::string(parsed->port()) : "80"};
}

// Headers a proxy must not pass on (RFC 9110 7.6.1), those the forwarder sets
// itself, and the length (recomputed from the body relayed).
bool dropped_header(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "connection", "keep-alive",     "proxy-connection", "te",   "trailer",        "transfer-encoding",
      "upgrade",    "proxy-authenticate", "proxy-authorization", "host", "content-length",
      kForwardedByHeader};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

using Clock = std::chrono::steady_clock;

// How long an idle upstream connection is kept for reuse: well within the
// upstream's own idle timeout (HttpServerOptions::idle_timeout, 30 s), so
// that it is the forwarder, not the upstream, that closes a kept connection.
constexpr std::chrono::seconds kKeepIdle{2};

// Whether an idle connection is still open: nothing to read yet (a close by
// the upstream would read as end of stream; stray bytes make it unusable too).
bool still_open(tcp::socket& socket) {
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  char byte;
  socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
  const bool open = ec == asio::error::would_block;
  socket.non_blocking(false, ec);
  return open;
}

std::string forwarded_for(const Request& request) {
  auto earlier = request.header("x-forwarded-for");
  if (!earlier || earlier->empty()) return request.remote_address;
  return std::string(*earlier) + ", " + request.remote_address;
}

bool retry_is_harmless(std::string_view method) { return method == "GET" || method == "HEAD"; }

// A whole response as bytes, for a raw socket (the WebSocket path has no
// HttpServer left to write it).
std::string raw_response_text(const Response& response) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), 11};
  message.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) message.insert(name, value);
  message.keep_alive(false);
  message.body() = response.body;
  message.prepare_payload();
  std::ostringstream out;
  out << message;
  return out.str();
}

}  // namespace

struct Forwarder::State : std::enable_shared_from_this<Forwarder::State> {
  asio::any_io_executor executor;
  ForwarderOptions options;
  ForwarderStats stats;
  // Every socket open on the forwarder's behalf, so that stop() can end them.
  std::list<std::weak_ptr<tcp::socket>> sockets;

  // A socket open on the forwarder's behalf while alive: closed by stop(),
  // and counted in stats.open when it is an upstream connection.
  class Lease {
   public:
    Lease(std::shared_ptr<State> state, std::shared_ptr<tcp::socket> socket, bool upstream = true)
        : state_(std::move(state)), upstream_(upstream) {
      if (upstream_) ++state_->stats.open;
      state_->sockets.push_back(socket);
      entry_ = std::prev(state_->sockets.end());
    }
    ~Lease() {
      if (upstream_) --state_->stats.open;
      state_->sockets.erase(entry_);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

   private:
    std::shared_ptr<State> state_;
    bool upstream_;
    std::list<std::weak_ptr<tcp::socket>>::iterator entry_;
  };

  // One upstream connection, in use or kept idle for the next request.
  struct Connection {
    explicit Connection(const asio::any_io_executor& executor) : stream(executor) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::optional<Lease> lease;
    Clock::time_point idle_since;
  };

  // Idle connections by upstream URL, the most recent last.
  std::map<std::string, std::vector<std::shared_ptr<Connection>>> idle;
  bool closed = false;  // the Forwarder was destroyed

  std::shared_ptr<Connection> open_connection() {
    auto connection = std::make_shared<Connection>(executor);
    connection->lease.emplace(shared_from_this(),
                              std::shared_ptr<tcp::socket>(connection, &connection->stream.socket()));
    return connection;
  }

  void keep_idle(const std::string& upstream, std::shared_ptr<Connection> connection) {
    if (closed) return;  // the Forwarder is gone: a kept connection would hold its State for ever
    connection->idle_since = Clock::now();
    idle[upstream].push_back(std::move(connection));
  }

  // An idle connection to `upstream` that is still open, or null. Drops the
  // ones kept too long, anywhere, and those the upstream has closed.
  std::shared_ptr<Connection> take_idle(const std::string& upstream) {
    const auto now = Clock::now();
    for (auto it = idle.begin(); it != idle.end();) {
      auto& kept = it->second;
      std::erase_if(kept, [&](const auto& c) { return now - c->idle_since > kKeepIdle; });
      it = kept.empty() ? idle.erase(it) : std::next(it);
    }
    auto found = idle.find(upstream);
    while (found != idle.end() && !found->second.empty()) {
      auto connection = std::move(found->second.back());
      found->second.pop_back();
      if (still_open(connection->stream.socket())) return connection;
    }
    return nullptr;
  }

  bool full() const { return stats.open >= options.max_connections; }

  // Room for one more upstream connection: when every one is taken, an idle
  // one (the oldest) is closed to make it.
  bool make_room() {
    if (!full()) return true;
    auto oldest = idle.end();
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if (!it->second.empty() &&
          (oldest == idle.end() || it->second.front()->idle_since < oldest->second.front()->idle_since)) {
        oldest = it;
      }
    }
    if (oldest == idle.end()) return false;
    oldest->second.erase(oldest->second.begin());
    return !full();
  }

  // Forwards in progress per client address (requests, streams, WebSocket
  // sessions): one client may hold at most half the node's connections, so
  // it cannot take them all from the others (its streams and sessions last).
  std::map<std::string, std::size_t> per_client;
  std::size_t per_client_bound() const { return std::max<std::size_t>(1, options.max_connections / 2); }

  class ClientTurn {
   public:
    ClientTurn(std::shared_ptr<State> state, std::string address)
        : state_(std::move(state)), address_(std::move(address)) {
      ++state_->per_client[address_];
    }
    ~ClientTurn() {
      auto found = state_->per_client.find(address_);
      if (--found->second == 0) state_->per_client.erase(found);
    }
    ClientTurn(const ClientTurn&) = delete;
    ClientTurn& operator=(const ClientTurn&) = delete;

   private:
    std::shared_ptr<State> state_;
    std::string address_;
  };

  // A turn for `address`, or null when it holds per_client_bound() already.
  std::shared_ptr<ClientTurn> take_turn(const std::string& address) {
    auto found = per_client.find(address);
    if (found != per_client.end() && found->second >= per_client_bound()) return nullptr;
    return std::make_shared<ClientTurn>(shared_from_this(), address);
  }

  Response over_capacity(const std::string& what) {
    ++stats.refused;
    auto response = error_response(503, "overloaded", what + "; retry");
    response.headers.emplace_back("Retry-After", "1");
    return response;
  }
  Response node_full() {
    return over_capacity("node " + options.node + " forwards at most " + std::to_string(options.max_connections) +
                         " requests at once");
  }
  Response client_full(const std::string& address) {
    return over_capacity("node " + options.node + " forwards at most " + std::to_string(per_client_bound()) +
                         " requests at once for one client address (" + address + ")");
  }

  // Connects within connect_timeout; false when the upstream cannot be reached.
  asio::awaitable<bool> connect(beast::tcp_stream& stream, const Upstream& upstream) {
    tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(upstream.host, upstream.port, as_tuple(use_awaitable));
    if (resolve_ec) co_return false;
    stream.expires_after(options.connect_timeout);
    auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, as_tuple(use_awaitable));
    co_return !connect_ec;
  }

  Response lost(const Request& request, std::string_view why) {
    ++stats.failed;
    return error_response(502, "forward_failed",
                          "node " + options.node + " forwarded " + request.method + " " + request.path +
                              " and no whole answer came back (" + std::string(why) +
                              "): whether it took effect is unknown");
  }
};

Forwarder::Forwarder(asio::any_io_executor executor, ForwarderOptions options)
    : state_(std::make_shared<State>()) {
  state_->executor = std::move(executor);
  state_->options = std::move(options);
}

Forwarder::~Forwarder() {
  state_->closed = true;
  stop();
}

bool Forwarder::can_forward_to(std::string_view url) { return parse_upstream(url).has_value(); }

bool Forwarder::forwarded(const Request& request) { return request.header(kForwardedByHeader).has_value(); }

bool Forwarder::is_upgrade(const Request& request) {
  auto upgrade = request.header("upgrade");
  return upgrade && beast::iequals(*upgrade, "websocket");
}

ForwarderStats Forwarder::stats() const { return state_->stats; }

void Forwarder::stop() {
  state_->idle.clear();
  for (auto& weak : state_->sockets) {
    if (auto socket = weak.lock()) {
      boost::system::error_code ignored;
      socket->shutdown(tcp::socket::shutdown_both, ignored);
      socket->close(ignored);
    }
  }
}

asio::awaitable<std::optional<Response>> Forwarder::forward(const Request& request, std::string upstream_url) {
  auto state = state_;
  auto upstream = parse_upstream(upstream_url);
  if (!upstream) co_return std::nullopt;
  auto turn = state->take_turn(request.remote_address);
  if (!turn) co_return state->client_full(request.remote_address);

  http::request<http::string_body> out;
  out.version(11);
  out.method_string(request.method);
  out.target(request.target);
  for (const auto& [name, value] : request.headers) {
    if (!dropped_header(name) && name != "x-forwarded-for") out.insert(name, value);
  }
  out.set(http::field::host, upstream->host + ":" + upstream->port);
  out.set("X-Forwarded-For", forwarded_for(request));
  out.set(kForwardedByHeader, state->options.node);
  out.keep_alive(true);
  out.body() = request.body;
  out.prepare_payload();

  // A kept connection the upstream closed in the meantime fails at once:
  // then the request goes once more, on a new connection (see below).
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto connection = attempt == 0 ? state->take_idle(upstream_url) : nullptr;
    const bool reused = connection != nullptr;
    if (!connection) {
      if (!state->make_room()) co_return state->node_full();
      connection = state->open_connection();
      if (!co_await state->connect(connection->stream, *upstream)) {
        ++state->stats.unreachable;
        co_return std::nullopt;
      }
    }
    auto& stream = connection->stream;
    stream.expires_after(state->options.response_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, out, as_tuple(use_awaitable));
    if (write_ec) {
      // The upstream read at most part of it, and answers nothing partial.
      if (reused) continue;
      ++state->stats.unreachable;
      co_return std::nullopt;
    }

    http::response_parser<http::empty_body> head;
    head.header_limit(64 * 1024);
    auto [head_ec, head_bytes] =
        co_await http::async_read_header(stream, connection->buffer, head, as_tuple(use_awaitable));
    if (head_ec) {
      if (retry_is_harmless(request.method)) {
        if (reused) continue;
        ++state->stats.unreachable;
        co_return std::nullopt;
      }
      co_return state->lost(request, head_ec.message());
    }

    Response response;
    const auto& got = head.get();
    response.status = static_cast<int>(got.result_int());
    response.content_type = std::string(got[http::field::content_type]);
    for (const auto& field : got) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (dropped_header(name) || name == "content-type") continue;
      response.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    const bool streamed = got.chunked() && got[http::field::content_type].starts_with("text/event-stream");
    if (!streamed) {
      http::response_parser<http::string_body> whole{std::move(head)};
      whole.body_limit(state->options.max_body_bytes);
      auto [body_ec, body_bytes] =
          co_await http::async_read(stream, connection->buffer, whole, as_tuple(use_awaitable));
      if (body_ec) co_return state->lost(request, body_ec.message());
      response.body = std::move(whole.get().body());
      ++state->stats.forwarded;
      if (whole.get().keep_alive()) state->keep_idle(upstream_url, std::move(connection));
      co_return response;
    }

    // A stream: relayed as it comes, until either end stops (its connection
    // is not kept). The HttpServer cancels it at drain(), and stop() closes
    // the upstream.
    ++state->stats.forwarded;
    auto parser = std::make_shared<http::response_parser<http::buffer_body>>(std::move(head));
    parser->body_limit(boost::none);
    response.stream = [state, connection, parser, turn](std::shared_ptr<StreamWriter> client) -> asio::awaitable<void> {
      std::array<char, 16 * 1024> piece;
      while (!parser->is_done()) {
        parser->get().body().data = piece.data();
        parser->get().body().size = piece.size();
        connection->stream.expires_after(state->options.response_timeout);
        // read_some: a stream's pieces go on as they come (read() would wait
        // for the piece buffer to fill, or the stream to end).
        auto [ec, n] =
            co_await http::async_read_some(connection->stream, connection->buffer, *parser, as_tuple(use_awaitable));
        if (ec == http::error::need_buffer) ec = {};
        if (ec) co_return;
        const std::size_t filled = piece.size() - parser->get().body().size;
        if (filled > 0 && !co_await client->write(std::string(piece.data(), filled))) co_return;
      }
    };
    co_return response;
  }
  ++state->stats.unreachable;  // two connections failed before the request was through
  co_return std::nullopt;
}

namespace {

// Copies bytes from one socket to the other until either fails or closes.
asio::awaitable<void> pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
  std::array<char, 16 * 1024> bytes;
  for (;;) {
    auto [read_ec, n] = co_await from->async_read_some(asio::buffer(bytes), as_tuple(use_awaitable));
    if (read_ec) break;
    auto [write_ec, written] = co_await asio::async_write(*to, asio::buffer(bytes.data(), n), as_tuple(use_awaitable));
    if (write_ec) break;
  }
}

// The upgrade request as it goes to the upstream: the client's, with Host
// replaced and the forwarding headers added; Upgrade and Connection kept.
std::string upgrade_request(const Request& request, const Upstream& upstream, std::string_view node) {
  std::string text = request.method + " " + request.target + " HTTP/1.1\r\n";
  text += "Host: " + upstream.host + ":" + upstream.port + "\r\n";
  for (const auto& [name, value] : request.headers) {
    if (name == "host" || name == kForwardedByHeader || name == "x-forwarded-for") continue;
    text += name + ": " + value + "\r\n";
  }
  text += "X-Forwarded-For: " + forwarded_for(request) + "\r\n";
  text += std::string(kForwardedByHeader) + ": " + std::string(node) + "\r\n\r\n";
  return text;
}

asio::awaitable<void> run_splice(std::shared_ptr<Forwarder::State> state, Request request,
                                 std::shared_ptr<tcp::socket> client, ConnectionSlot slot, std::string upstream_url,
                                 Response unavailable);

}  // namespace

void Forwarder::splice(Request&& request, tcp::socket&& client, ConnectionSlot slot, std::string upstream,
                       Response unavailable) {
  auto socket = std::make_shared<tcp::socket>(std::move(client));
  asio::co_spawn(state_->executor,
                 run_splice(state_, std::move(request), std::move(socket), std::move(slot), std::move(upstream),
                            std::move(unavailable)),
                 asio::detached);
}

namespace {

asio::awaitable<void> answer_and_close(std::shared_ptr<tcp::socket> client, const Response& response) {
  auto text = raw_response_text(response);
  asio::steady_timer deadline(client->get_executor(), std::chrono::seconds(5));
  deadline.async_wait([client](boost::system::error_code ec) {
    if (!ec) client->close(ec);
  });
  co_await asio::async_write(*client, asio::buffer(text), as_tuple(use_awaitable));
  boost::system::error_code ignored;
  client->shutdown(tcp::socket::shutdown_both, ignored);
  client->close(ignored);
}

asio::awaitable<void> run_splice(std::shared_ptr<Forwarder::State> state, Request request,
                                 std::shared_ptr<tcp::socket> client, ConnectionSlot slot, std::string upstream_url,
                                 Response unavailable) {
  using namespace asio::experimental::awaitable_operators;
  Forwarder::State::Lease client_lease(state, client, false);
  auto upstream = parse_upstream(upstream_url);
  if (!upstream) {
    co_await answer_and_close(client, unavailable);
    co_return;
  }
  auto turn = state->take_turn(request.remote_address);
  if (!turn) {
    co_await answer_and_close(client, state->client_full(request.remote_address));
    co_return;
  }
  if (!state->make_room()) {
    co_await answer_and_close(client, state->node_full());
    co_return;
  }
  beast::tcp_stream connecting(state->executor);
  if (!co_await state->connect(connecting, *upstream)) {
    ++state->stats.unreachable;
    co_await answer_and_close(client, unavailable);
    co_return;
  }
  auto server = std::make_shared<tcp::socket>(connecting.release_socket());
  Forwarder::State::Lease server_lease(state, server);
  const auto head = upgrade_request(request, *upstream, state->options.node);
  auto [write_ec, written] = co_await asio::async_write(*server, asio::buffer(head), as_tuple(use_awaitable));
  if (write_ec) {
    ++state->stats.unreachable;
    co_await answer_and_close(client, unavailable);
    co_return;
  }
  ++state->stats.forwarded;
  co_await (pump(client, server) || pump(server, client));
  boost::system::error_code ignored;
  server->close(ignored);
  client->shutdown(tcp::socket::shutdown_both, ignored);
  client->close(ignored);
  (void)slot;  // held until here: the client's per-address slot on this node
}

}  // namespace

}  // namespace solo::net
