// A client's text frame to its op, watch, unwatch or ping (see
// websocket_dispatch.hpp). GCC 12 note: inside coroutines no lambda or braced
// temporary is passed within a co_await expression.
#include "net/websocket_dispatch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include <optional>

#include "net/api/authorization.hpp"
#include "net/api/request_args.hpp"
#include "net/error_reply.hpp"
#include "net/websocket_frames.hpp"
#include "net/websocket_ops.hpp"
#include "net/websocket_session.hpp"
#include "net/websocket_watch.hpp"

namespace solo::net {

namespace {

namespace json = boost::json;

asio::awaitable<void> run_op(std::shared_ptr<WebSocketSession> self, json::value id, std::shared_ptr<Request> request) {
  ++self->ops_in_flight;
  Response response;
  try {
    response = co_await self->hub->dispatch(*request);  // the Gateway answers expected failures
  } catch (...) {
    response = error_reply(std::current_exception(), "websocket op " + request->method + " " + request->path);
  }
  --self->ops_in_flight;
  self->hub->drain_progress.notify();
  if (response.stream) response = error_response(400, "invalid_request", "streams are not available as ops; use watch");
  self->send(reply_frame(id, response));
}

}  // namespace

void handle_text_frame(const std::shared_ptr<WebSocketSession>& self, std::string_view text) {
  if (self->closing) return;
  auto frame = parse_op_frame(text);
  if (!frame.error.empty()) {
    self->send(error_frame(frame.id, 400, "invalid_request", frame.error));
    return;
  }
  json::value id = std::move(frame.id);
  std::string op = std::move(frame.op);
  json::object args = std::move(frame.args);
  if (op == "watch") {
    asio::co_spawn(self->hub->executor, start_watch(self, std::move(id), std::move(args)), asio::detached);
    return;
  }
  if (op == "unwatch") {
    self->stop_watch();
    self->send(ok_frame(id, watch_result(false, 0)));
    return;
  }
  if (op == "ping") {
    json::object result;
    result["pong"] = true;
    self->send(ok_frame(id, std::move(result)));
    return;
  }
  std::optional<OpRequest> request;
  try {
    request = op_request(op, args);
  } catch (const BadRequest& error) {
    self->send(reply_frame(id, error_reply(error)));
    return;
  }
  if (!request) {
    self->send(error_frame(id, 400, "invalid_request", "unknown op '" + op + "'"));
    return;
  }
  if (self->ops_in_flight >= self->options().max_ops_in_flight) {
    self->send(
        reply_frame(id, error_reply(Error(ErrorKind::throttled, "too many operations in flight on this connection"))));
    return;
  }
  auto shared = std::make_shared<Request>(make_request(self->upgrade, std::move(*request)));
  asio::co_spawn(self->hub->executor, run_op(self, std::move(id), std::move(shared)), asio::detached);
}

}  // namespace solo::net
