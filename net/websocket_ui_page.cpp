// GET /ui (see websocket_ui_page.hpp): the page opens /ws?token=..., watches
// from the start and lists events and log lines as they arrive, reconnecting
// from the last id seen.
#include "net/websocket_ui_page.hpp"

#include <string>
#include <string_view>

#include "net/http_message.hpp"
#include "net/router.hpp"

namespace solo::net {

namespace {

std::string_view websocket_ui_page() {
  static constexpr std::string_view page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Solo - live events</title>
<style>
 body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
 #status { margin: .5em 0; color: #555; }
 #events { list-style: none; padding: 0; font-family: ui-monospace, monospace; }
 #events li { padding: 2px 4px; border-bottom: 1px solid #eee; }
 #events li.log { color: #666; }
</style>
</head>
<body>
<h1>Solo - live events</h1>
<form id="connect"><input id="token" type="password" placeholder="token" size="50" autocomplete="off">
<button type="submit">Watch</button></form>
<div id="status">not connected</div>
<ul id="events"></ul>
<script>
(function () {
  var list = document.getElementById('events');
  var status = document.getElementById('status');
  var input = document.getElementById('token');
  var socket = null, cursor = 0, token = '', nextId = 1, retry = null;
  function show(text, kind, type) {
    var item = document.createElement('li');
    item.className = kind;
    if (type) item.setAttribute('data-type', type);
    item.textContent = text;
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 500) list.removeChild(list.lastChild);
  }
  function connect() {
    if (retry) { clearTimeout(retry); retry = null; }
    if (socket) { socket.onclose = null; socket.close(); }
    var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(scheme + '//' + location.host + '/ws?token=' + encodeURIComponent(token));
    status.textContent = 'connecting';
    socket.onopen = function () {
      status.textContent = 'connected';
      socket.send(JSON.stringify({id: nextId++, op: 'watch', args: {since: cursor, logs: true}}));
    };
    socket.onmessage = function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      if (frame.event) {
        var e = frame.event;
        cursor = e.id;
        show('#' + e.id + ' ' + e.timestamp + ' ' + e.event_type + (e.tenant_id ? ' tenant=' + e.tenant_id : '') +
             (e.service_id ? ' service=' + e.service_id : ''), 'event', e.event_type);
      } else if (frame.log) {
        var l = frame.log;
        show(l.timestamp + ' [' + l.level + '] ' + (l.service_id || '') + ': ' + l.message, 'log', 'log');
      } else if (frame.ok === false) {
        status.textContent = 'error: ' + frame.error.error + ': ' + frame.error.message;
      } else if (frame.ok === true && frame.result && frame.result.watching) {
        status.textContent = 'watching';
      }
    };
    socket.onclose = function (event) {
      status.textContent = 'closed (' + event.code + (event.reason ? ' ' + event.reason : '') + '); retrying';
      retry = setTimeout(connect, 2000);
    };
  }
  document.getElementById('connect').onsubmit = function (event) {
    event.preventDefault();
    token = input.value;
    if (token) connect();
  };
  var match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (match) {
    token = decodeURIComponent(match[1]);
    history.replaceState(null, '', location.pathname);
    connect();
  }
})();
</script>
</body>
</html>
)html";
  return page;
}

}  // namespace

void add_ui_route(Router& router) {
  router.add("GET", "/ui", [](Request&) -> asio::awaitable<Response> {
    Response response;
    response.content_type = "text/html; charset=utf-8";
    response.headers.emplace_back("Cache-Control", "no-store");
    response.body = std::string(websocket_ui_page());
    co_return response;
  });
}

}  // namespace solo::net
