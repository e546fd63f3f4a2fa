// Bounded blocking reads for the tests' Beast WebSocket clients. Asio's
// blocking reads ignore SO_RCVTIMEO (on EAGAIN they poll without a timeout),
// so a frame that never comes would hang a test forever; this reads
// asynchronously on the client's own io_context and gives up after `timeout`.
#pragma once

#include <chrono>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>

namespace solo::test {

// Reads one message into `buffer`. Returns its error, or
// asio::error::timed_out when nothing complete came within `timeout` (the
// read is then cancelled; the stream is not meant to be used further).
template <class WebSocketStream>
boost::beast::error_code read_within(WebSocketStream& ws, boost::asio::io_context& io,
                                     boost::beast::flat_buffer& buffer, std::chrono::milliseconds timeout) {
  bool done = false;
  boost::beast::error_code ec;
  ws.async_read(buffer, [&](boost::beast::error_code e, std::size_t) {
    done = true;
    ec = e;
  });
  io.restart();
  io.run_for(timeout);
  if (done) return ec;
  boost::beast::get_lowest_layer(ws).cancel();
  io.restart();
  io.run();
  return boost::asio::error::timed_out;
}

}  // namespace solo::test
